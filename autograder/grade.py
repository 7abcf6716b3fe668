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
from autograder.sandbox import Worker

HIDDEN_TESTS = Path(__file__).resolve().parent / "hidden_tests"

# Worst first: the status an exercise gets from its tests' statuses.
_PRECEDENCE = ["missing", "not attempted", "timeout", "crashed", "error", "failed"]


@dataclass
class ExerciseResult:
    grade_id: str
    title: str                  # "Exercise 4.2 — 2-D convolution, vectorised"
    max_points: float
    points: float
    status: str                 # correct / incorrect / not attempted / timeout / crashed / error / missing
    messages: list[str] = field(default_factory=list)
    mistakes: list[str] = field(default_factory=list)  # ids of catalogued mistakes recognised
    number: str = ""            # "4.2", as the notebook, the website and every report show it

    @property
    def label(self) -> str:
        """``"4.2 ch04_conv2d"``: the number people read, and the stable id machines match."""
        return f"{self.number} {self.grade_id}".strip()


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
    title, number = spec.exercise.title, spec.exercise.number
    if not mine:
        return ExerciseResult(grade_id, title, spec.points, 0.0, "error",
                              ["no hidden tests ran for this exercise (a fault of the grader)"],
                              number=number)
    failed = [o for o in mine if o.status != "passed"]
    if not failed:
        return ExerciseResult(grade_id, title, spec.points, spec.points, "correct", number=number)
    worst = min(failed, key=lambda o: _PRECEDENCE.index(o.status)
                if o.status in _PRECEDENCE else len(_PRECEDENCE))
    status = "incorrect" if worst.status == "failed" else worst.status
    messages = list(dict.fromkeys(o.message for o in failed if o.message))
    if status in ("not attempted", "missing", "timeout", "crashed"):
        messages = [worst.message]
    mistakes = list(dict.fromkeys(o.mistake for o in failed if o.mistake))
    catalogue = spec.exercise.mistakes
    named = [f"This looks like a known mistake: {catalogue[m]}" for m in mistakes if m in catalogue]
    return ExerciseResult(grade_id, title, spec.points, 0.0, status, named + messages, mistakes,
                          number)


# Hidden tests need only the grading plugin: no plugins from the environment (nbval, anyio,
# ...: seconds of imports per session), no assertion rewriting, no log or output capture, no
# warnings bookkeeping and no garbage collections at the end of every session.
_PYTEST_ARGS = ["-p", "no:cacheprovider", "-p", "no:randomly", "-o", "addopts=", "-q",
                "--assert=plain", "-p", "no:unraisableexception", "-p", "no:threadexception",
                "-p", "no:logging", "-p", "no:faulthandler", "-p", "no:warnings",
                "-p", "no:doctest", "-p", "no:junitxml", "-p", "no:pastebin",
                "-p", "no:stepwise", "-p", "no:lfplugin", "-p", "no:nose", "-p", "no:capture"]


@contextlib.contextmanager
def _quiet_pytest():
    """No plugins from entry points while the hidden tests run; nothing printed."""
    before = os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD")
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            yield
    finally:
        if before is None:
            os.environ.pop("PYTEST_DISABLE_PLUGIN_AUTOLOAD", None)
        else:
            os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = before


def grade_submission(submission: Submission, worker: Worker | None = None) -> NotebookResult:
    """Run the hidden tests of the submission's chapter and score every exercise.

    ``worker`` (optional) is a worker to reuse: one can serve every notebook of a submission.
    """
    master = submission.master
    test_file = HIDDEN_TESTS / f"test_{master.chapter}.py"
    plugin = GradingPlugin(submission, worker)
    args = [str(test_file), "--rootdir", str(HIDDEN_TESTS), *_PYTEST_ARGS]
    try:
        with _quiet_pytest():
            code = pytest.main(args, plugins=[plugin])
    finally:
        plugin.close()
    if code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
        raise RuntimeError(f"the hidden tests of {master.chapter} could not run (pytest exit {code})")
    broken = [o.message for o in plugin.outcomes if o.status == "grader error"]
    if broken:
        raise GraderFault(broken[0])
    results = [_summarise(gid, spec, plugin.outcomes) for gid, spec in master.exercises.items()]
    return NotebookResult(str(submission.path), master.chapter, results)


class GraderFault(RuntimeError):
    """The grader could not grade (its worker did not start, a hidden test is broken...)."""


def grade_notebook(path: os.PathLike, solutions_dir: Path | None = None,
                   worker: Worker | None = None) -> NotebookResult:
    """Load, validate and grade one notebook (raises InvalidSubmission when it cannot)."""
    return grade_submission(load_submission(Path(path), solutions_dir), worker)
