"""The grader proves itself on every chapter: full marks for the master, zero and
"not attempted" for the untouched student notebook, and lost points, on exactly
the right exercise, for each plausible mistake in tests/mistakes/chNN.py."""
from __future__ import annotations

import importlib

import pytest

from autograder.grade import grade_notebook
from tests.conftest import CHAPTERS, master_paths, with_solution

pytestmark = pytest.mark.slow


def _mistakes():
    cases = []
    for master in master_paths():
        chapter = f"ch{master.name[:2]}"
        try:
            module = importlib.import_module(f"tests.mistakes.{chapter}")
        except ModuleNotFoundError:
            continue
        for grade_id, what, source in module.MISTAKES:
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


@pytest.mark.parametrize("master, grade_id, source", _mistakes())
def test_each_plausible_mistake_loses_exactly_its_exercise(master, grade_id, source, tmp_path):
    result = grade_notebook(with_solution(master, grade_id, source, tmp_path / master.name))
    by_id = {e.grade_id: e for e in result.exercises}
    wrong = by_id[grade_id]
    assert wrong.points == 0, f"the mistake was given {wrong.points} points"
    assert wrong.status == "incorrect" or wrong.status == "error", wrong.status
    assert wrong.messages and all(m.strip() for m in wrong.messages)
    others = {g: e.status for g, e in by_id.items() if g != grade_id and e.status != "correct"}
    assert not others, f"other exercises lost points too: {others}"


def test_every_chapter_has_mistakes_for_every_exercise():
    from autograder.notebooks import load_master

    for master in master_paths():
        module = importlib.import_module(f"tests.mistakes.ch{master.name[:2]}")
        covered = {gid for gid, _, _ in module.MISTAKES}
        missing = set(load_master(master).exercises) - covered
        assert not missing, f"{master.name}: no plausible mistake for {sorted(missing)}"
