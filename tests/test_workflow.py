"""The two grading workflows: the student-side one holds nothing secret and runs the public checks;
the instructor-side one collects, grades in shards, merges and publishes. Both pass actionlint.
The slow tests run the workflows' own steps here: the public checks on a student bundle, and the
collection and grading steps on a class of fake student repositories."""
from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from autograder.notebooks import load_master
from dlcourse.checks import get_exercise
from tests.conftest import CHAPTERS, ROOT, SOLUTIONS, cell_by_grade_id, read_nb
from tests.workflow_support import (a_deadline, commit, course_workspace, load_workflow,
                                    make_repo, outputs, run_step)

WORKFLOWS = ["student-checks.yml", "grade-class.yml"]
LINT_BIN = ROOT / "_build" / "lint-workflows" / "bin"


def all_steps(flow: dict):
    for job in flow["jobs"].values():
        yield from job["steps"]


def uses(s: dict) -> str:
    return s.get("uses", "")


# --- what each workflow may touch ---

def test_student_workflow_has_no_secret_and_checks_out_only_the_students_repository():
    text = (ROOT / "grading" / "student-checks.yml").read_text()
    flow = load_workflow("student-checks.yml")
    assert "secrets." not in text and "vars." not in text
    assert flow["permissions"] == {"contents": "read"}
    checkouts = [s for s in all_steps(flow) if uses(s).startswith("actions/checkout")]
    assert len(checkouts) == 1 and set(checkouts[0]["with"]) == {"persist-credentials"}
    assert checkouts[0]["with"]["persist-credentials"] is False
    assert not any(uses(s).startswith("actions/download-artifact") for s in all_steps(flow))
    checks = next(s for s in all_steps(flow) if s.get("id") == "checks")
    assert checks["shell"] == "python" and "GITHUB_STEP_SUMMARY" in checks["run"]
    assert not re.search(r"^\s*(from|import) autograder", checks["run"], re.M)  # not in the bundle
    assert set(flow["on"]) >= {"push", "workflow_dispatch"}


def test_instructor_workflow_collects_grades_in_shards_merges_and_publishes():
    flow = load_workflow("grade-class.yml")
    assert set(flow["on"]) == {"schedule", "workflow_dispatch"}
    assert flow["permissions"] == {"contents": "read"}
    jobs = flow["jobs"]
    assert jobs["grade"]["needs"] == "collect" and jobs["merge"]["needs"] == "grade"
    assert jobs["grade"]["strategy"]["matrix"]["shard"] == "${{ fromJSON(needs.collect.outputs.shards) }}"
    assert jobs["grade"]["strategy"]["fail-fast"] is False
    grade = next(s for s in jobs["grade"]["steps"] if s.get("id") == "grade")
    assert "python -m autograder --batch collected/submissions --shard \"$SHARD/$SHARDS\"" in grade["run"]
    assert grade["env"]["AUTOGRADER_REQUIRE_SANDBOX"] == "1"
    merge = next(s for s in jobs["merge"]["steps"] if s.get("id") == "merge")
    assert "python -m autograder --merge shards/shard-*" in merge["run"]
    published = {s["with"]["name"]: s["with"]["path"] for s in jobs["merge"]["steps"]
                 if uses(s).startswith("actions/upload-artifact")}
    assert set(published) == {"gradebook", "class-report", "feedback"}
    assert "final/gradebook.csv" in published["gradebook"]
    assert "collected/collection.csv" in published["gradebook"]
    assert published["class-report"] == "final/report.html"
    assert "final/*/feedback.md" in published["feedback"]


def test_only_the_collect_step_holds_the_token_and_no_job_keeps_git_credentials():
    flow = load_workflow("grade-class.yml")
    holders = [s.get("id") or s.get("name") for s in all_steps(flow) if "secrets." in json.dumps(s)]
    assert holders == ["collect"]
    collect = next(s for s in all_steps(flow) if s.get("id") == "collect")
    assert collect["env"]["STUDENT_REPOS_TOKEN"] == "${{ secrets.STUDENT_REPOS_TOKEN }}"
    for name in WORKFLOWS:
        for s in all_steps(load_workflow(name)):
            if uses(s).startswith("actions/checkout"):
                assert s["with"]["persist-credentials"] is False and "repository" not in s["with"]


@pytest.mark.parametrize("name", WORKFLOWS)
def test_no_expression_is_pasted_into_a_script(name):
    """Expressions go through env: (quoted shell variables), never into the script's text, so no
    roster entry, input or branch name can inject code."""
    for s in all_steps(load_workflow(name)):
        assert "${{" not in s.get("run", ""), s.get("name")


def actionlint() -> list[str] | None:
    found = LINT_BIN / "actionlint" if (LINT_BIN / "actionlint").exists() else shutil.which("actionlint")
    if not found:
        return None
    cmd = [str(found), "-no-color"]
    for tool in ("shellcheck", "pyflakes"):
        if (LINT_BIN / tool).exists():
            cmd.append(f"-{tool}={LINT_BIN / tool}")
    return cmd


def test_workflows_pass_actionlint():
    cmd = actionlint()
    if cmd is None:
        pytest.skip("actionlint is not installed: `make lint-workflows` installs it into _build/")
    proc = subprocess.run([*cmd, *(f"grading/{n}" for n in WORKFLOWS)], cwd=ROOT,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # and it does find mistakes: an undefined step output
    broken = (ROOT / "grading" / "grade-class.yml").read_text().replace(
        "steps.shards.outputs.shards", "steps.shardz.outputs.shards")
    proc = subprocess.run([*cmd, "-"], input=broken, capture_output=True, text=True)
    assert proc.returncode == 1 and "shardz" in proc.stdout


# --- the student-side workflow's check step, run on a student bundle ---

@pytest.mark.slow
def test_public_checks_step_reports_each_exercise_of_a_students_repository(tmp_path):
    repo = tmp_path / "student-repo"
    subprocess.run([sys.executable, "tools/student_bundle.py", str(repo)], cwd=ROOT, check=True,
                   capture_output=True)
    notebook = "02_backprop.ipynb"
    for other in (repo / "chapters").glob("*.ipynb"):
        if other.name != notebook:
            other.unlink()
    from autograder.mistakes import mistakes_of
    master, nb = read_nb(SOLUTIONS / notebook), read_nb(repo / "chapters" / notebook)
    first, second, third, _ = load_master(SOLUTIONS / notebook).exercises
    cell_by_grade_id(nb, first)["source"] = cell_by_grade_id(master, first)["source"]
    cell_by_grade_id(nb, second)["source"] = next(m.source for m in mistakes_of("ch02")
                                                  if m.grade_id == second)
    cell_by_grade_id(nb, third)["source"] = "def grad_check(:\n"
    (repo / "chapters" / notebook).write_text(json.dumps(nb))
    flow = load_workflow("student-checks.yml")
    proc = run_step(flow, "checks", "checks", repo, {}, pythonpath=repo)  # the bundle's library
    assert proc.returncode == 0, proc.stdout + proc.stderr
    summary = (repo / ".github-files" / "summary-checks-checks.md").read_text()
    exercises = load_master(SOLUTIONS / notebook).exercises
    title = {gid: spec.exercise.title for gid, spec in exercises.items()}
    cells = [[c.strip() for c in line.strip("|").split("|")] for line in summary.splitlines()
             if line.startswith("| ") and " — " in line]
    rows = {title: verdict for _, title, verdict in cells}
    assert rows == {title[first]: "correct", title[second]: "incorrect", title[third]: "error",
                    title[list(exercises)[3]]: "not attempted"}
    assert "1 of 4 exercises pass" in summary and "SyntaxError" in summary
    assert "::notice title=Public checks::1 of 4 exercises pass" in proc.stdout


@pytest.mark.slow
def test_public_checks_step_fails_when_an_exercise_cell_is_missing(tmp_path):
    repo = tmp_path / "student-repo"
    (repo / "chapters").mkdir(parents=True)
    nb = read_nb(CHAPTERS / "02_backprop.ipynb")
    gid = next(iter(load_master(SOLUTIONS / "02_backprop.ipynb").exercises))
    nb["cells"] = [c for c in nb["cells"]
                   if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") != gid]
    (repo / "chapters" / "02_backprop.ipynb").write_text(json.dumps(nb))
    (repo / "chapters" / "03_optimizers.ipynb").write_text("{ not json")
    proc = run_step(load_workflow("student-checks.yml"), "checks", "checks", repo, {},
                    pythonpath=repo)
    assert proc.returncode == 1
    summary = (repo / ".github-files" / "summary-checks-checks.md").read_text()
    assert f"The exercise cell `{gid}` is missing" in summary
    assert "03_optimizers.ipynb: cannot be checked" in summary


# --- the instructor-side workflow's steps, run on a class of fake student repositories ---

NOTEBOOK = "02_backprop.ipynb"


def graded_in_one_run(workspace: Path) -> Path:
    """The collected class graded by one `--batch` run (once per module): its reports folder."""
    single = workspace / "single"
    if not (single / "gradebook.csv").exists():
        proc = subprocess.run([sys.executable, "-m", "autograder", "--batch", "collected/submissions",
                               "--workers", "2", "--reports", "single"], cwd=workspace,
                              capture_output=True, text=True,
                              env={**os.environ, "PYTHONPATH": str(ROOT)})
        assert proc.returncode == 0, proc.stderr
    return single


@pytest.fixture(scope="module")
def collected_class(tmp_path_factory):
    """The collect job's steps on four students: ada (full marks before the deadline, a stub
    after), cy (a catalogued mistake before, fixed after), bo (only late work), dee (no repository)."""
    root = tmp_path_factory.mktemp("grade-class")
    deadline = a_deadline()
    master, stub = (SOLUTIONS / NOTEBOOK).read_bytes(), (CHAPTERS / NOTEBOOK).read_bytes()
    from autograder.mistakes import mistakes_of
    victim = next(iter(load_master(SOLUTIONS / NOTEBOOK).exercises))
    nb = read_nb(SOLUTIONS / NOTEBOOK)
    cell_by_grade_id(nb, victim)["source"] = next(m.source for m in mistakes_of("ch02")
                                                  if m.grade_id == victim)
    repos, shas = root / "repos", {}
    ada = make_repo(repos / "ada")
    shas["ada"] = commit(ada, {f"chapters/{NOTEBOOK}": master}, deadline - timedelta(days=1))
    commit(ada, {f"chapters/{NOTEBOOK}": stub}, deadline + timedelta(days=1))
    cy = make_repo(repos / "cy")
    shas["cy"] = commit(cy, {f"chapters/{NOTEBOOK}": json.dumps(nb)}, deadline - timedelta(hours=3))
    commit(cy, {f"chapters/{NOTEBOOK}": master}, deadline + timedelta(hours=3))
    bo = make_repo(repos / "bo")
    commit(bo, {f"chapters/{NOTEBOOK}": master}, deadline + timedelta(minutes=5))
    roster = root / "roster.csv"
    roster.write_text(f"student,repository\nada,{ada}\nbo,{bo}\ncy,{cy}\ndee,{repos / 'missing'}\n")
    workspace = course_workspace(root / "workspace")
    flow = load_workflow("grade-class.yml")
    values = {"${{ secrets.STUDENT_REPOS_TOKEN }}": "",
              "${{ vars.ROSTER || 'grading/roster.csv' }}": str(roster),
              "${{ vars.REPOSITORY_PATTERN }}": "",
              "${{ inputs.deadline || vars.DEADLINE }}": deadline.isoformat(),
              "${{ inputs.pins }}": "",
              "${{ inputs.shards || vars.SHARDS || '4' }}": "2"}
    for step_id in ("collect", "shards"):
        proc = run_step(flow, "collect", step_id, workspace, values)
        assert proc.returncode == 0, proc.stdout + proc.stderr
    return {"workspace": workspace, "flow": flow, "shas": shas, "victim": victim,
            "shards": json.loads(outputs(workspace, "collect", "shards")["shards"])}


def gradebook_rows(path: Path) -> dict[str, dict]:
    return {r["student"]: r for r in csv.DictReader(path.open())}


def assert_class_graded(final: Path, info: dict) -> dict[str, dict]:
    rows = gradebook_rows(final / "gradebook.csv")
    exercises = load_master(SOLUTIONS / NOTEBOOK).exercises
    full = sum(spec.points for spec in exercises.values())
    assert set(rows) == {"ada", "bo", "cy", "dee"}
    assert float(rows["ada"]["total"]) == full  # graded at the commit before the deadline
    victim = get_exercise(info["victim"])
    assert float(rows["cy"][f"{victim.number} {victim.grade_id}"]) == 0  # the mistake, not the fix
    assert float(rows["cy"]["total"]) == full - exercises[info["victim"]].points
    assert rows["bo"]["status"] == rows["dee"]["status"] == "invalid"
    for student in rows:
        assert (final / student / "feedback.md").exists()
    assert rows["ada"]["commit"] == info["shas"]["ada"]  # from SUBMISSION.json
    assert rows["cy"]["commit"] == info["shas"]["cy"]
    return rows


def test_collect_job_steps_pin_each_repository_and_split_the_class(collected_class):
    info, workspace = collected_class, collected_class["workspace"]
    assert info["shards"] == [1, 2]  # 2 asked for, 4 students
    manifest = {r["student"]: r for r in csv.DictReader(
        (workspace / "collected" / "collection.csv").open())}
    assert {s: r["commit"] for s, r in manifest.items()} == {
        "ada": info["shas"]["ada"], "bo": "", "cy": info["shas"]["cy"], "dee": ""}
    submissions = workspace / "collected" / "submissions"
    assert sorted(p.name for p in (submissions / "cy").iterdir()) == [NOTEBOOK, "SUBMISSION.json"]


@pytest.mark.slow
def test_collected_class_grades_at_the_pinned_commits(collected_class):
    """The collect job's output, graded by one `--batch` run (what the shards together give)."""
    info, workspace = collected_class, collected_class["workspace"]
    assert_class_graded(graded_in_one_run(workspace), info)
    proc = subprocess.run([sys.executable, "grading/verify_gradebook.py", "--manifest",
                           "collected/collection.csv", "--gradebook", "single/gradebook.csv"],
                          cwd=workspace, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


@pytest.mark.slow
def test_grade_and_merge_steps_give_the_single_run_gradebook(collected_class):
    """The grade job's step once per shard, then the merge job's steps, as the workflow runs them."""
    info, workspace, flow = collected_class, collected_class["workspace"], collected_class["flow"]
    shards = workspace / "shards"
    for k in info["shards"]:
        values = {"${{ matrix.shard }}": str(k), "${{ strategy.job-total }}": str(len(info["shards"]))}
        proc = run_step(flow, "grade", "grade", workspace, values)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        # what upload-artifact (shard-K) and download-artifact (pattern shard-*, path shards) do
        shutil.copytree(workspace / "reports" / f"shard-{k}", shards / f"shard-{k}")
    books = [shards / f"shard-{k}" / "gradebook.csv" for k in info["shards"]]
    graded = [r["student"] for book in books for r in csv.DictReader(book.open())]
    assert sorted(graded) == ["ada", "bo", "cy", "dee"]  # each student in exactly one shard
    for step_id in ("merge", "verify"):
        proc = run_step(flow, "merge", step_id, workspace, {})
        assert proc.returncode == 0, proc.stdout + proc.stderr
    merged = assert_class_graded(workspace / "final", info)
    assert (workspace / "final" / "report.html").exists()
    assert merged == gradebook_rows(graded_in_one_run(workspace) / "gradebook.csv")
