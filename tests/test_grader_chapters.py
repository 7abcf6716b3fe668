"""The grader proves itself on every chapter: full marks for the master, zero and
"not attempted" for the untouched student notebook; for each catalogued mistake
(``autograder/mistakes/chNN.py``) lost points on exactly its exercise and feedback that names
it; for each correct alternative (``tests/alternatives/chNN.py``) full marks and no mistake."""
from __future__ import annotations

import importlib

import pytest

from autograder.grade import grade_notebook
from autograder.mistakes import mistakes_of
from autograder.notebooks import load_master
from dlcourse.checks import get_exercise
from tests.conftest import CHAPTERS, master_paths, with_solution

pytestmark = pytest.mark.slow


def _chapter(master) -> str:
    return f"ch{master.name[:2]}"


def _mistakes():
    return [pytest.param(master, m, id=f"{m.grade_id}: {m.mistake_id}")
            for master in master_paths() for m in mistakes_of(_chapter(master))]


def _alternatives():
    cases = []
    for master in master_paths():
        module = importlib.import_module(f"tests.alternatives.{_chapter(master)}")
        for grade_id, what, source in module.ALTERNATIVES:
            cases.append(pytest.param(master, grade_id, source, id=f"{grade_id}: {what}"))
    return cases


@pytest.mark.parametrize("master", master_paths(), ids=lambda p: p.stem)
def test_master_gets_full_marks(master):
    result = grade_notebook(master)
    wrong = {e.grade_id: (e.status, e.messages) for e in result.exercises if e.status != "correct"}
    assert not wrong, f"the reference solution lost points: {wrong}"
    assert result.points == result.max_points > 0


@pytest.mark.parametrize("master", master_paths(), ids=lambda p: p.stem)
def test_untouched_student_notebook_gets_zero_not_attempted(master):
    result = grade_notebook(CHAPTERS / master.name)
    assert result.points == 0
    assert {e.status for e in result.exercises} == {"not attempted"}
    assert len(result.exercises) >= 4


@pytest.mark.parametrize("master, mistake", _mistakes())
def test_each_catalogued_mistake_loses_its_exercise_and_is_named(master, mistake, tmp_path):
    result = grade_notebook(with_solution(master, mistake.grade_id, mistake.source,
                                          tmp_path / master.name))
    by_id = {e.grade_id: e for e in result.exercises}
    wrong = by_id[mistake.grade_id]
    assert wrong.points == 0, f"the mistake was given {wrong.points} points"
    assert wrong.status in ("incorrect", "error"), wrong.status
    assert wrong.messages and all(m.strip() for m in wrong.messages)
    message = get_exercise(mistake.grade_id).mistakes[mistake.mistake_id]
    assert mistake.mistake_id in wrong.mistakes, f"not recognised; feedback: {wrong.messages}"
    assert any(message in m for m in wrong.messages), f"feedback does not name it: {wrong.messages}"
    others = {g: e.status for g, e in by_id.items() if g != mistake.grade_id and e.status != "correct"}
    assert not others, f"other exercises lost points too: {others}"


@pytest.mark.parametrize("master, grade_id, source", _alternatives())
def test_each_correct_alternative_gets_full_marks_and_no_mistake(master, grade_id, source, tmp_path):
    result = grade_notebook(with_solution(master, grade_id, source, tmp_path / master.name))
    ex = next(e for e in result.exercises if e.grade_id == grade_id)
    assert ex.status == "correct" and ex.points == ex.max_points, ex.messages
    assert not ex.mistakes


@pytest.mark.parametrize("master", master_paths(), ids=lambda p: p.stem)
def test_catalogue_and_implementations_match(master):
    """Every exercise has a catalogue; each catalogued mistake has an implementation, and each
    implementation a catalogue entry."""
    chapter = _chapter(master)
    exercises = list(load_master(master).exercises)
    catalogue = {(g, m) for g in exercises for m in get_exercise(g).mistakes}
    implemented = {(m.grade_id, m.mistake_id) for m in mistakes_of(chapter)}
    assert catalogue == implemented, (f"without implementation: {sorted(catalogue - implemented)}; "
                                      f"without catalogue entry: {sorted(implemented - catalogue)}")
    bare = [g for g in exercises if not get_exercise(g).mistakes]
    assert not bare, f"exercises without known mistakes: {bare}"


@pytest.mark.parametrize("master", master_paths(), ids=lambda p: p.stem)
def test_every_exercise_has_a_correct_alternative(master):
    module = importlib.import_module(f"tests.alternatives.{_chapter(master)}")
    covered = {gid for gid, _, _ in module.ALTERNATIVES}
    missing = set(load_master(master).exercises) - covered
    assert not missing, f"{master.name}: no correct alternative for {sorted(missing)}"
