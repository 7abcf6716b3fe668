"""Batch grading: a gradebook row per student with the right status, per-student reports,
JUnit XML, no hidden expected values in feedback, where each submission came from
(SUBMISSION.json), the class and similarity reports, and shards: grading the class in two
shards and merging them writes exactly the files one run writes (which also shows that a
re-run gives identical files)."""
from __future__ import annotations

import csv
import difflib
import filecmp
import json
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from autograder.batch import grade_batch, merge_reports, shard_of, submission_info
from autograder.notebooks import load_master
from tests.conftest import CHAPTERS, ROOT, SOLUTIONS, with_solution

pytestmark = pytest.mark.slow
MASTER = SOLUTIONS / "02_backprop.ipynb"
STUDENTS = {"ada", "bo_b", "cy", "dee", "eve", "fay", "gus"}
COMMIT = "0123456789abcdef0123456789abcdef01234567"


def _label(grade_id: str) -> str:
    return f"{load_master(MASTER).exercises[grade_id].exercise.number} {grade_id}"


COPIED = "ch02_grad_check"
# ada's grad_check (the reference solution) with every local name changed and lines reordered
NEAR_COPY = '''def grad_check(f, x, grad, h=1e-5):
    """Compare an analytic gradient with centred finite differences."""
    estimate = torch.zeros_like(x)
    point = x.detach().clone()
    p_flat, e_flat = point.view(-1), estimate.view(-1)
    for k in range(p_flat.numel()):
        saved = p_flat[k].item()
        p_flat[k] = saved - h
        value_minus = float(f(point))
        p_flat[k] = saved + h
        value_plus = float(f(point))
        p_flat[k] = saved
        e_flat[k] = (value_plus - value_minus) / (2 * h)
    denom = torch.clamp(torch.maximum(grad.abs(), estimate.abs()), min=1e-8)
    worst = ((grad - estimate).abs() / denom).max().item()
    return estimate, worst
'''


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    root = tmp_path_factory.mktemp("batch")
    subs = root / "submissions"
    (subs / "ada").mkdir(parents=True)
    (subs / "ada" / MASTER.name).write_bytes(MASTER.read_bytes())
    (subs / "ada" / "SUBMISSION.json").write_text(json.dumps(
        {"repository": "course-org/ada-homework", "commit": COMMIT,
         "committed_at": "2025-01-31T23:59:59Z"}))
    (subs / "bo b").mkdir()
    (subs / "bo b" / MASTER.name).write_bytes((CHAPTERS / MASTER.name).read_bytes())
    (subs / "bo b" / "SUBMISSION.json").write_text('{"repository": "=cmd|x", "commit": 7}')
    (subs / "cy.ipynb").write_text("{ not json")
    victim = next(iter(load_master(MASTER).exercises))
    with_solution(MASTER, victim, "while True:\n    pass\n", subs / "dee.ipynb")
    with_solution(MASTER, victim, "import os\nos._exit(3)\n", subs / "eve.ipynb")
    from autograder.mistakes import mistakes_of
    mistake = next(m for m in mistakes_of("ch02") if m.grade_id == victim)
    with_solution(MASTER, victim, mistake.source, subs / "fay.ipynb")
    with_solution(MASTER, COPIED, NEAR_COPY, subs / "gus.ipynb")  # a copy of ada's
    mp = pytest.MonkeyPatch()
    mp.setenv("AUTOGRADER_TIME_SCALE", "0.3")
    first = grade_batch(subs, root / "run1", workers=2)
    grade_batch(subs, root / "shard1", workers=2, shard=(1, 2))
    grade_batch(subs, root / "shard2", workers=2, shard=(2, 2))
    mp.undo()
    return root, {o.student: o for o in first}, victim, mistake


def _rows(folder):
    return {r["student"]: r for r in csv.DictReader((folder / "gradebook.csv").open())}


def test_one_row_per_student_with_status(batch):
    root, outcomes, victim, _ = batch
    rows = _rows(root / "run1")
    assert set(rows) == STUDENTS
    assert {s: r["status"] for s, r in rows.items()} == {
        "ada": "completed", "bo_b": "completed", "cy": "invalid", "dee": "timeout",
        "eve": "crashed", "fay": "completed", "gus": "completed"}
    full = sum(s.points for s in load_master(MASTER).exercises.values())
    column = _label(victim)
    assert float(rows["ada"]["total"]) == full and float(rows["bo_b"]["total"]) == 0
    assert float(rows["gus"]["total"]) == full  # similarity never changes a score
    for student in ("dee", "eve", "fay"):  # only the broken exercise is lost
        assert float(rows[student][column]) == 0
        assert float(rows[student]["total"]) == full - load_master(MASTER).exercises[victim].points
    assert "broken JSON" in outcomes["cy"].reason


def test_gradebook_columns_carry_the_exercise_number(batch):
    root, _, _, _ = batch
    header = (root / "run1" / "gradebook.csv").read_text().splitlines()[0].split(",")
    assert header[:3] == ["student", "repository", "commit"]
    assert header[-3:] == ["total", "max", "status"]
    assert "1.1 ch01_dense" in header and "2.1 ch02_sigmoid_neuron_backward" in header
    numbers = [h.split()[0] for h in header[3:-3]]
    assert numbers == sorted(numbers, key=lambda n: tuple(map(int, n.split("."))))


def test_submission_json_is_recorded_when_well_formed(batch):
    root, _, _, _ = batch
    rows = _rows(root / "run1")
    assert rows["ada"]["repository"] == "course-org/ada-homework"
    assert rows["ada"]["commit"] == COMMIT
    assert rows["bo_b"]["repository"] == "" and rows["bo_b"]["commit"] == ""  # malformed: dropped
    assert rows["gus"]["repository"] == ""  # a lone notebook has no SUBMISSION.json
    assert "SUBMISSION" not in (root / "run1" / "ada" / "results.json").read_text()


def test_reports_per_student_and_junit(batch):
    root, _, victim, _ = batch
    for student in STUDENTS:
        data = json.loads((root / "run1" / student / "results.json").read_text())
        assert "score" in data and "tests" in data
        assert (root / "run1" / student / "feedback.md").read_text().startswith(f"# Feedback for {student}")
    ada = json.loads((root / "run1" / "ada" / "results.json").read_text())
    first = ada["tests"][0]
    assert first["number"] == "2.1" and first["name"].startswith("Exercise 2.1 — ")
    assert first["name"].endswith(f"({victim})")
    suites = ET.parse(root / "run1" / "junit.xml").getroot()
    assert {s.get("name") for s in suites} == STUDENTS
    ada = next(s for s in suites if s.get("name") == "ada")
    assert ada.get("failures") == "0" and int(ada.get("tests")) >= 4
    assert [c.get("name") for c in ada][0] == _label(victim)


def test_feedback_never_shows_hidden_expected_values(batch):
    root, _, _, _ = batch
    feedback = (root / "run1" / "fay" / "feedback.md").read_text()
    assert "What to fix" in feedback
    for line in feedback.splitlines():
        if "fails the hidden test" in line:
            assert "expected" not in line, line


def test_class_report_groups_failures_by_named_mistake(batch):
    root, _, victim, mistake = batch
    page = (root / "run1" / "report.html").read_text()
    assert page.count("data:image/png;base64,") == 2
    assert "Exercise 2.1 — " in page and mistake.mistake_id in page
    reasons = list(csv.DictReader((root / "run1" / "report_reasons.csv").open()))
    named = [r for r in reasons if r["kind"] == "mistake"]
    assert [(r["grade_id"], r["key"], r["who"]) for r in named] == [(victim, mistake.mistake_id, "fay")]
    attention = {r["student"]: r for r in csv.DictReader((root / "run1" / "report_attention.csv").open())}
    assert set(attention) == {"cy", "dee", "eve"}
    assert attention["dee"]["exercises"] == "2.1 timeout"
    exercises = {r["grade_id"]: r for r in csv.DictReader((root / "run1" / "report_exercises.csv").open())}
    assert exercises[victim]["exercise"] == "2.1"
    assert exercises[victim]["students"] == "6"  # cy could not be graded


def test_similarity_report_flags_the_renamed_copy(batch):
    root, _, _, _ = batch
    pairs = list(csv.DictReader((root / "run1" / "similarity.csv").open()))
    flagged = {(p["grade_id"], p["student_a"], p["student_b"]) for p in pairs}
    assert (COPIED, "ada", "gus") in flagged
    assert "ada &amp; gus" in (root / "run1" / "similarity.html").read_text()


def test_shards_split_the_class_without_overlap(batch):
    root, _, _, _ = batch
    one, two = set(_rows(root / "shard1")), set(_rows(root / "shard2"))
    assert one | two == STUDENTS and not one & two and abs(len(one) - len(two)) <= 1
    assert shard_of(sorted(STUDENTS), (1, 2)) == sorted(one)


def test_merged_shards_give_the_files_of_one_run(batch, tmp_path):
    """Also a re-run: the shards graded every student again."""
    root, _, _, _ = batch
    proc = subprocess.run([sys.executable, "-m", "autograder", "--merge", root / "shard2",
                           root / "shard1", "--reports", tmp_path / "merged"],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    run1, merged = root / "run1", tmp_path / "merged"
    files = sorted(p.relative_to(run1) for p in run1.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(merged) for p in merged.rglob("*") if p.is_file())
    _, mismatch, errors = filecmp.cmpfiles(run1, merged, [str(f) for f in files], shallow=False)
    assert not errors
    diffs = ["".join(difflib.unified_diff((run1 / f).read_text().splitlines(True),
                                          (merged / f).read_text().splitlines(True),
                                          f"run1/{f}", f"merged/{f}", n=1))[:3000]
             for f in mismatch]
    assert not mismatch, "\n".join(diffs)


def test_merge_refuses_a_missing_shard(batch, tmp_path):
    root, _, _, _ = batch
    with pytest.raises(Exception, match="shard 2/2 missing"):
        merge_reports([root / "shard1"], tmp_path / "merged")


def test_submission_info_ignores_what_it_cannot_trust(tmp_path):
    (tmp_path / "SUBMISSION.json").write_text(json.dumps(
        {"repository": "org/repo", "commit": "abc1234", "committed_at": "2025-02-01T10:00:00+01:00",
         "extra": "ignored"}))
    assert submission_info(tmp_path) == {"repository": "org/repo", "commit": "abc1234",
                                         "committed_at": "2025-02-01T10:00:00+01:00"}
    (tmp_path / "SUBMISSION.json").write_text("[1, 2]")
    assert submission_info(tmp_path) == {}
    (tmp_path / "SUBMISSION.json").write_text('{"repository": "../../etc", "commit": "xyz"}')
    assert submission_info(tmp_path) == {}


def test_student_ids_are_safe_and_distinct(tmp_path):
    from autograder.batch import student_entries
    for name in ("bo b", "gradebook.csv", "report_x", ".hidden"):
        (tmp_path / name).mkdir()
    for name in ("bo_b.ipynb", "notes.txt"):
        (tmp_path / name).write_text("{}")
    assert set(student_entries(tmp_path)) == {"bo_b", "bo_b-2", "_gradebook.csv", "_report_x"}
