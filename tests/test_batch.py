"""Batch grading: a gradebook row per student with the right status, per-student
reports, JUnit XML, no hidden expected values in feedback, identical re-runs."""
from __future__ import annotations

import csv
import filecmp
import json
import xml.etree.ElementTree as ET

import pytest

from autograder.batch import grade_batch
from autograder.notebooks import load_master
from tests.conftest import CHAPTERS, SOLUTIONS, with_solution

pytestmark = pytest.mark.slow
MASTER = SOLUTIONS / "02_backprop.ipynb"


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    root = tmp_path_factory.mktemp("batch")
    subs = root / "submissions"
    (subs / "ada").mkdir(parents=True)
    (subs / "ada" / MASTER.name).write_bytes(MASTER.read_bytes())
    (subs / "bo b").mkdir()
    (subs / "bo b" / MASTER.name).write_bytes((CHAPTERS / MASTER.name).read_bytes())
    (subs / "cy.ipynb").write_text("{ not json")
    victim = next(iter(load_master(MASTER).exercises))
    with_solution(MASTER, victim, "while True:\n    pass\n", subs / "dee.ipynb")
    with_solution(MASTER, victim, "import os\nos._exit(3)\n", subs / "eve.ipynb")
    from autograder.mistakes import mistakes_of
    wrong = next(m.source for m in mistakes_of("ch02") if m.grade_id == victim)
    with_solution(MASTER, victim, wrong, subs / "fay.ipynb")
    mp = pytest.MonkeyPatch()
    mp.setenv("AUTOGRADER_TIME_SCALE", "0.3")
    first = grade_batch(subs, root / "run1", workers=2)
    grade_batch(subs, root / "run2", workers=2)
    mp.undo()
    return root, {o.student: o for o in first}, victim


def test_one_row_per_student_with_status(batch):
    root, outcomes, victim = batch
    rows = {r["student"]: r for r in csv.DictReader((root / "run1" / "gradebook.csv").open())}
    assert set(rows) == {"ada", "bo_b", "cy", "dee", "eve", "fay"}
    assert {s: r["status"] for s, r in rows.items()} == {
        "ada": "completed", "bo_b": "completed", "cy": "invalid", "dee": "timeout",
        "eve": "crashed", "fay": "completed"}
    full = sum(s.points for s in load_master(MASTER).exercises.values())
    assert float(rows["ada"]["total"]) == full and float(rows["bo_b"]["total"]) == 0
    for student in ("dee", "eve", "fay"):  # only the broken exercise is lost
        assert float(rows[student][victim]) == 0
        assert float(rows[student]["total"]) == full - load_master(MASTER).exercises[victim].points
    assert victim in rows["ada"] and "broken JSON" in outcomes["cy"].reason


def test_reports_per_student_and_junit(batch):
    root, _, _ = batch
    for student in ("ada", "bo_b", "cy", "dee", "eve", "fay"):
        data = json.loads((root / "run1" / student / "results.json").read_text())
        assert "score" in data and "tests" in data
        assert (root / "run1" / student / "feedback.md").read_text().startswith(f"# Feedback for {student}")
    suites = ET.parse(root / "run1" / "junit.xml").getroot()
    assert {s.get("name") for s in suites} == {"ada", "bo_b", "cy", "dee", "eve", "fay"}
    ada = next(s for s in suites if s.get("name") == "ada")
    assert ada.get("failures") == "0" and int(ada.get("tests")) >= 4


def test_feedback_never_shows_hidden_expected_values(batch):
    root, _, _ = batch
    feedback = (root / "run1" / "fay" / "feedback.md").read_text()
    assert "What to fix" in feedback
    for line in feedback.splitlines():
        if "fails the hidden test" in line:
            assert "expected" not in line, line


def test_rerunning_a_batch_gives_identical_files(batch):
    root, _, _ = batch
    run1, run2 = root / "run1", root / "run2"
    files = sorted(p.relative_to(run1) for p in run1.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(run2) for p in run2.rglob("*") if p.is_file())
    _, mismatch, errors = filecmp.cmpfiles(run1, run2, [str(f) for f in files], shallow=False)
    assert not mismatch and not errors
