"""Grade one notebook: run its chapter's hidden tests and score each exercise.

An exercise earns its points only when every one of its tests passes (as an
nbgrader test cell does); its status and message say why not otherwise.
"""
from __future__ import annotations

import contextlib
import io
import os
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from autograder.notebooks import Submission, load_submission
from autograder.plugin import GradingPlugin

HIDDEN_TESTS = Path(__file__).resolve().parent / "hidden_tests"

# Worst first: the status an exercise gets from its tests' statuses.
_PRECEDENCE = ["missing", "not attempted", "timeout", "crashed", "error", "failed"]


@dataclass
class ExerciseResult:
    grade_id: str
    title: str
    max_points: float
    points: float
    status: str                 # correct / incorrect / not attempted / timeout / crashed / error / missing
    messages: list[str] = field(default_factory=list)
    mistakes: list[str] = field(default_factory=list)  # ids of catalogued mistakes recognised


@dataclass
class NotebookResult:
    path: str
    chapter: str
    exercises: list[ExerciseResult]

    @property
    def points(self) -> float:
        return sum(e.points for e in self.exercises)

    @property
    def max_points(self) -> float:
        return sum(e.max_points for e in self.exercises)


def _summarise(grade_id: str, spec, outcomes) -> ExerciseResult:
    mine = [o for o in outcomes if o.grade_id == grade_id]
    title = spec.exercise.title
    if not mine:
        return ExerciseResult(grade_id, title, spec.points, 0.0, "error",
                              ["no hidden tests ran for this exercise (a fault of the grader)"])
    failed = [o for o in mine if o.status != "passed"]
    if not failed:
        return ExerciseResult(grade_id, title, spec.points, spec.points, "correct")
    worst = min(failed, key=lambda o: _PRECEDENCE.index(o.status)
                if o.status in _PRECEDENCE else len(_PRECEDENCE))
    status = "incorrect" if worst.status == "failed" else worst.status
    messages = list(dict.fromkeys(o.message for o in failed if o.message))
    if status in ("not attempted", "missing", "timeout", "crashed"):
        messages = [worst.message]
    mistakes = list(dict.fromkeys(o.mistake for o in failed if o.mistake))
    catalogue = spec.exercise.mistakes
    named = [f"This looks like a known mistake: {catalogue[m]}" for m in mistakes if m in catalogue]
    return ExerciseResult(grade_id, title, spec.points, 0.0, status, named + messages, mistakes)


def grade_submission(submission: Submission) -> NotebookResult:
    """Run the hidden tests of the submission's chapter and score every exercise."""
    master = submission.master
    test_file = HIDDEN_TESTS / f"test_{master.chapter}.py"
    plugin = GradingPlugin(submission)
    args = [str(test_file), "-p", "no:cacheprovider", "-p", "no:randomly", "-o", "addopts=",
            "--rootdir", str(HIDDEN_TESTS), "-q"]
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            code = pytest.main(args, plugins=[plugin])
    finally:
        plugin.close()
    if code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
        raise RuntimeError(f"the hidden tests of {master.chapter} could not run (pytest exit {code})")
    broken = [o.message for o in plugin.outcomes if o.status == "grader error"]
    if broken:
        raise RuntimeError(broken[0])
    results = [_summarise(gid, spec, plugin.outcomes) for gid, spec in master.exercises.items()]
    return NotebookResult(str(submission.path), master.chapter, results)


def grade_notebook(path: os.PathLike, solutions_dir: Path | None = None) -> NotebookResult:
    """Load, validate and grade one notebook (raises InvalidSubmission when it cannot)."""
    return grade_submission(load_submission(Path(path), solutions_dir))
