"""grading/collect_submissions.py pins each student's repository at its last commit before the
deadline, copies only the notebooks, and records the commit; shard_matrix.py and
verify_gradebook.py, the other scripts of grade-class.yml. Fake student repositories, no grading."""
from __future__ import annotations

import csv
import importlib.util
import json
import shutil
import subprocess
import sys
from datetime import timedelta

import pytest

from tests.conftest import CHAPTERS, ROOT, SOLUTIONS
from tests.workflow_support import a_deadline, commit, make_repo

NOTEBOOK = "02_backprop.ipynb"
MASTER = (SOLUTIONS / NOTEBOOK).read_bytes()
STUB = (CHAPTERS / NOTEBOOK).read_bytes()


def script(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "grading" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def collect(*args, env=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "grading" / "collect_submissions.py"),
                           *map(str, args)], capture_output=True, text=True, env=env)


def manifest(path) -> dict[str, dict]:
    return {r["student"]: r for r in csv.DictReader(path.open())}


@pytest.fixture(scope="module")
def klass(tmp_path_factory):
    """Four students: work before and after the deadline, only after, a missing repository."""
    root = tmp_path_factory.mktemp("class")
    deadline = a_deadline()
    repos, shas = root / "repos", {}
    ada = make_repo(repos / "ada")
    shas["ada"] = commit(ada, {f"chapters/{NOTEBOOK}": MASTER, "README.md": "mine"},
                         deadline - timedelta(days=2))
    commit(ada, {f"chapters/{NOTEBOOK}": STUB}, deadline + timedelta(days=1), "after the deadline")
    bo = make_repo(repos / "bo")
    commit(bo, {f"chapters/{NOTEBOOK}": MASTER}, deadline + timedelta(hours=1), "late")
    cy = make_repo(repos / "cy")
    commit(cy, {f"chapters/{NOTEBOOK}": STUB}, deadline - timedelta(days=5))
    shas["cy"] = commit(cy, {"chapters/01_basics.ipynb": "symlink:/etc/passwd",
                             "chapters/old/03_optimizers.ipynb": STUB,
                             "chapters/notes.txt": "not a notebook"},
                        deadline - timedelta(seconds=1), "just in time")
    commit(cy, {f"chapters/{NOTEBOOK}": MASTER}, deadline + timedelta(seconds=1), "just too late")
    roster = root / "roster.csv"
    roster.write_text("student,repository\n"
                      f"ada,{ada}\nbo,{repos / 'bo'}\ncy lee,{cy}\ndee,{repos / 'nowhere'}\n")
    out, listing = root / "collected" / "submissions", root / "collected" / "collection.csv"
    proc = collect("--roster", roster, "--deadline", deadline.isoformat(), "--out", out,
                   "--manifest", listing)
    assert proc.returncode == 0, proc.stderr
    return {"root": root, "deadline": deadline, "shas": shas, "out": out, "roster": roster,
            "manifest": manifest(listing), "stdout": proc.stdout, "repos": repos}


def test_every_student_gets_a_folder_and_the_last_commit_before_the_deadline(klass):
    out, rows, shas = klass["out"], klass["manifest"], klass["shas"]
    assert sorted(p.name for p in out.iterdir()) == ["ada", "bo", "cy_lee", "dee"]
    assert rows["ada"]["commit"] == shas["ada"] and rows["cy_lee"]["commit"] == shas["cy"]
    # ada's notebook is the one committed before the deadline (the master), not the later stub
    assert (out / "ada" / NOTEBOOK).read_bytes() == MASTER
    assert (out / "cy_lee" / NOTEBOOK).read_bytes() == STUB  # one second too late is too late
    submission = json.loads((out / "ada" / "SUBMISSION.json").read_text())
    assert submission == {"repository": str(klass["repos"] / "ada"), "commit": shas["ada"],
                          "committed_at": rows["ada"]["committed_at"]}
    assert submission["committed_at"] == \
        (klass["deadline"] - timedelta(days=2)).isoformat().replace("+00:00", "Z")


def test_only_regular_notebooks_directly_in_chapters_are_copied(klass):
    cy = klass["out"] / "cy_lee"
    assert sorted(p.name for p in cy.iterdir()) == [NOTEBOOK, "SUBMISSION.json"]
    assert klass["manifest"]["cy_lee"]["notebooks"] == NOTEBOOK
    assert not (klass["out"] / "ada" / "README.md").exists()


def test_students_with_nothing_to_grade_are_recorded_with_a_reason(klass):
    out, rows = klass["out"], klass["manifest"]
    for student in ("bo", "dee"):
        assert [p.name for p in (out / student).iterdir()] == ["SUBMISSION.json"]
        assert json.loads((out / student / "SUBMISSION.json").read_text())["commit"] is None
        assert rows[student]["commit"] == ""
    assert "no commit at or before the deadline" in rows["bo"]["note"]
    assert "cannot clone" in rows["dee"]["note"]
    deadline = klass["deadline"].isoformat().replace("+00:00", "Z")
    assert {r["deadline"] for r in rows.values()} == {deadline}


def test_pins_reproduce_a_collection_even_after_new_commits(klass, tmp_path):
    repos = tmp_path / "repos"
    shutil.copytree(klass["repos"], repos, symlinks=True)
    roster = tmp_path / "roster.csv"
    roster.write_text(klass["roster"].read_text().replace(str(klass["repos"]), str(repos)))
    # a commit dated before the deadline, pushed later: a new collection by date would take it
    late = commit(repos / "ada", {f"chapters/{NOTEBOOK}": MASTER + b"\n"},
                  klass["deadline"] - timedelta(hours=1))
    again = tmp_path / "again"
    proc = collect("--roster", roster, "--deadline", klass["deadline"].isoformat(),
                   "--out", again / "submissions", "--manifest", again / "collection.csv")
    assert proc.returncode == 0 and manifest(again / "collection.csv")["ada"]["commit"] == late
    pinned = tmp_path / "pinned"
    proc = collect("--roster", roster, "--pins", klass["root"] / "collected" / "collection.csv",
                   "--out", pinned / "submissions", "--manifest", pinned / "collection.csv")
    assert proc.returncode == 0, proc.stderr
    rows = manifest(pinned / "collection.csv")
    assert {s: r["commit"] for s, r in rows.items()} == \
        {s: r["commit"] for s, r in klass["manifest"].items()}
    assert (pinned / "submissions" / "ada" / NOTEBOOK).read_bytes() == MASTER
    assert rows["bo"]["note"] == "pinned as having nothing to grade"


def test_classroom_roster_with_a_repository_pattern(klass, tmp_path):
    repos = klass["repos"]
    roster = tmp_path / "classroom_roster.csv"
    roster.write_text('"identifier","github_username","github_id","name"\n'
                      '"ada@uni.example","ada","1","Ada L."\n'
                      '"eve@uni.example","","","Eve"\n')
    proc = collect("--roster", roster, "--repository-pattern", f"{repos}/{{github_username}}",
                   "--deadline", klass["deadline"].isoformat(), "--out", tmp_path / "s",
                   "--manifest", tmp_path / "m.csv")
    assert proc.returncode == 0, proc.stderr
    rows = manifest(tmp_path / "m.csv")
    assert rows["ada_uni.example"]["commit"] == klass["shas"]["ada"]
    assert "has the student accepted the assignment" in rows["eve_uni.example"]["note"]


@pytest.mark.parametrize("roster, args, message", [
    ("student,repository\nada,x/y\nada,x/z\n", [], "appears twice"),
    ("student,github_username\nada,ada\n", [], "--repository-pattern"),
    ("name,repository\nada,x/y\n", [], "no student column"),
    ("student,repository\nada,x/y\n", ["--deadline", "2026-03-01T23:59"], "no UTC offset"),
    ("student,repository\nada,x/y\n", ["--deadline", "next friday"], "not an ISO 8601 time"),
])
def test_bad_rosters_and_options_are_refused_before_anything_is_cloned(tmp_path, roster, args, message):
    (tmp_path / "roster.csv").write_text(roster)
    proc = collect("--roster", tmp_path / "roster.csv", *args, "--out", tmp_path / "s",
                   "--manifest", tmp_path / "m.csv")
    assert proc.returncode == 2 and message in proc.stderr
    assert not (tmp_path / "s").exists()


def test_no_repository_reachable_fails_the_job_without_showing_the_token(tmp_path):
    (tmp_path / "roster.csv").write_text(f"student,repository\nada,{tmp_path / 'gone'}\n")
    proc = collect("--roster", tmp_path / "roster.csv", "--out", tmp_path / "s",
                   "--manifest", tmp_path / "m.csv",
                   env={"PATH": "/usr/bin:/bin", "STUDENT_REPOS_TOKEN": "tok-3141592653"})
    assert proc.returncode == 1 and "STUDENT_REPOS_TOKEN" in proc.stderr
    written = "".join(p.read_text() for p in tmp_path.rglob("*") if p.is_file())
    assert "tok-3141592653" not in proc.stdout + proc.stderr + written


def test_the_token_travels_as_an_http_header_in_gits_environment_only():
    module = script("collect_submissions")
    env = module.git_environment("tok-2718", "https://github.com")
    assert env["GIT_CONFIG_KEY_0"] == "http.https://github.com/.extraheader"
    assert env["GIT_CONFIG_VALUE_0"].startswith("AUTHORIZATION: basic ")
    assert "tok-2718" not in " ".join(env.values())  # base64, and never in a URL or argument
    assert env["GIT_TERMINAL_PROMPT"] == "0"
    assert module.clone_url("org/dl-ada", "https://github.com") == "https://github.com/org/dl-ada.git"
    with pytest.raises(module.CollectError):
        module.clone_url("not a repository", "https://github.com")


def test_shard_matrix_has_no_empty_shard(tmp_path):
    for name in ("a", "b", "c"):
        (tmp_path / name).mkdir()
    matrix = script("shard_matrix")
    assert matrix.shards(tmp_path, 4) == [1, 2, 3]
    assert matrix.shards(tmp_path, 2) == [1, 2]
    proc = subprocess.run([sys.executable, str(ROOT / "grading" / "shard_matrix.py"),
                           "--submissions", str(tmp_path), "--shards", "8"],
                          capture_output=True, text=True)
    assert proc.stdout == "shards=[1, 2, 3]\n"


def test_verify_gradebook_catches_a_lost_shard_and_a_wrong_commit():
    verify = script("verify_gradebook")
    collected = [{"student": "ada", "commit": "a" * 40}, {"student": "bo", "commit": ""}]
    assert verify.problems(collected, [{"student": "ada"}, {"student": "bo"}]) == []
    assert verify.problems(collected, [{"student": "ada", "commit": "a" * 40},
                                       {"student": "bo", "commit": ""}]) == []
    assert verify.problems(collected, [{"student": "ada"}]) == ["bo: 0 rows in the gradebook (expected 1)"]
    assert verify.problems(collected, [{"student": "ada", "commit": "b" * 40},
                                       {"student": "bo", "commit": ""}, {"student": "zed"}]) == [
        f"ada: graded at {'b' * 40}, collected at {'a' * 40}", "zed: in the gradebook but not collected"]
