"""The grader proves itself on every chapter: full marks for the master, zero and
"not attempted" for the untouched student notebook; for each catalogued mistake
(``autograder/mistakes/chNN.py``) lost points on exactly its exercise and feedback that names
it; for each correct alternative (``tests/alternatives/chNN.py``) full marks and no mistake.

All of these are graded as one class by the batch grader, as an instructor grades students.
Mistakes (and alternatives) of different exercises share a submission, so that a chapter needs
as many submissions as its exercise with the most mistakes has; two exercises whose reference
solutions use one another never share one, so a mistake is only ever graded beside correct code
that it could affect.
"""
from __future__ import annotations

import importlib
import json
import re
from functools import cache
from pathlib import Path

import pytest

from autograder.batch import grade_batch
from autograder.mistakes import mistakes_of
from autograder.notebooks import load_master
from autograder.parallel import available_cpus
from dlcourse.checks import get_exercise, target_names
from tests.conftest import CHAPTERS, cell_by_grade_id, master_paths, read_nb

pytestmark = pytest.mark.slow


def _chapter(master) -> str:
    return f"ch{master.name[:2]}"


def _alternatives_of(chapter: str) -> list[tuple[str, str, str]]:
    return importlib.import_module(f"tests.alternatives.{chapter}").ALTERNATIVES


@cache
def _linked(chapter: str) -> set[frozenset]:
    """Pairs of exercises of which one's reference solution calls the other's function."""
    master = next(m for m in master_paths() if _chapter(m) == chapter)
    specs = load_master(master).exercises
    return {frozenset((a, b)) for a in specs for b, spec in specs.items() if a != b
            and any(re.search(rf"\b{name}\b", spec.solution) for name in target_names(get_exercise(a)))}


def _rounds(chapter: str, items: list) -> list[dict]:
    """Share ``items`` (each with a grade_id first) out into submissions: one item per exercise
    in each, and never two linked exercises."""
    rounds: list[dict] = []
    for item in items:
        grade_id = item[0]
        for r in rounds:
            if grade_id not in r and not any(frozenset((grade_id, g)) in _linked(chapter) for g in r):
                r[grade_id] = item
                break
        else:
            rounds.append({grade_id: item})
    return rounds


@cache
def _submissions() -> dict[str, tuple[Path, dict]]:
    """Student id -> (notebook to grade, {grade_id: ("mistake" | "alternative", id)})."""
    out = {}
    for master in master_paths():
        chapter = _chapter(master)
        out[f"{chapter}-master"] = (master, {})
        out[f"{chapter}-untouched"] = (CHAPTERS / master.name, {})
        mistakes = [(m.grade_id, "mistake", m.mistake_id, m.source) for m in mistakes_of(chapter)]
        alternatives = [(g, "alternative", what, src) for g, what, src in _alternatives_of(chapter)]
        for kind, items in (("mistakes", mistakes), ("alternatives", alternatives)):
            for r, chosen in enumerate(_rounds(chapter, items), 1):
                out[f"{chapter}-{kind}-{r}"] = (master, chosen)
    return out


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> dict:
    """Grade every submission of every chapter in one batch; student id -> StudentOutcome."""
    root = tmp_path_factory.mktemp("catalogue-class")
    (root / "class").mkdir()
    for student, (notebook, chosen) in _submissions().items():
        nb = read_nb(notebook)
        for grade_id, (_, _, _, source) in chosen.items():
            cell_by_grade_id(nb, grade_id)["source"] = source
        (root / "class" / student).mkdir()
        (root / "class" / student / notebook.name).write_text(json.dumps(nb))
    outcomes = grade_batch(root / "class", root / "reports", workers=available_cpus())
    return {o.student: o for o in outcomes}


def _exercises(outcome) -> dict:
    assert outcome.status == "completed", (outcome.status, outcome.reason)
    return {e.grade_id: e for nb in outcome.results for e in nb.exercises}


def _placed(kind: str):
    """(student, grade_id, item) for every mistake or alternative, as test parameters."""
    return [pytest.param(student, grade_id, item, id=f"{grade_id}: {item[2]}")
            for student, (_, chosen) in _submissions().items() if f"-{kind}-" in student
            for grade_id, item in chosen.items()]


@pytest.mark.parametrize("master", master_paths(), ids=lambda p: p.stem)
def test_master_gets_full_marks(graded, master):
    outcome = graded[f"{_chapter(master)}-master"]
    wrong = {g: (e.status, e.messages) for g, e in _exercises(outcome).items() if e.status != "correct"}
    assert not wrong, f"the reference solution lost points: {wrong}"
    assert outcome.points == sum(e.max_points for e in _exercises(outcome).values()) > 0


@pytest.mark.parametrize("master", master_paths(), ids=lambda p: p.stem)
def test_untouched_student_notebook_gets_zero_not_attempted(graded, master):
    outcome = graded[f"{_chapter(master)}-untouched"]
    assert outcome.points == 0
    assert {e.status for e in _exercises(outcome).values()} == {"not attempted"}
    assert len(_exercises(outcome)) >= 4


@pytest.mark.parametrize("student, grade_id, item", _placed("mistakes"))
def test_each_catalogued_mistake_loses_its_exercise_and_is_named(graded, student, grade_id, item):
    mistake_id = item[2]
    wrong = _exercises(graded[student])[grade_id]
    assert wrong.points == 0, f"the mistake was given {wrong.points} points"
    assert wrong.status in ("incorrect", "error"), wrong.status
    assert wrong.messages and all(m.strip() for m in wrong.messages)
    message = get_exercise(grade_id).mistakes[mistake_id]
    assert mistake_id in wrong.mistakes, f"not recognised; feedback: {wrong.messages}"
    assert any(message in m for m in wrong.messages), f"feedback does not name it: {wrong.messages}"


@pytest.mark.parametrize("student", [s for s in _submissions() if "-mistakes-" in s])
def test_a_mistake_costs_no_other_exercise(graded, student):
    chosen = _submissions()[student][1]
    others = {g: e.status for g, e in _exercises(graded[student]).items()
              if g not in chosen and e.status != "correct"}
    assert not others, f"exercises without a mistake lost points: {others}"


@pytest.mark.parametrize("student, grade_id, item", _placed("alternatives"))
def test_each_correct_alternative_gets_full_marks_and_no_mistake(graded, student, grade_id, item):
    ex = _exercises(graded[student])[grade_id]
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
