"""Public checks: immediate feedback for every graded exercise.

Each chapter has a module ``dlcourse.checks.chNN`` that registers its exercises
with :func:`exercise`. A check receives ``run(probe, *inputs)``, which calls
``probe(target, *inputs)`` wherever the student's code lives: directly in the
notebook kernel (:func:`check`), or inside the autograder's sandbox, where only
plain tensors come back. Checks compare with PyTorch's own functions and with
hand-worked values, never with the student's globals.
"""
from __future__ import annotations

import copy
import importlib
import types
from dataclasses import dataclass
from typing import Callable

import torch

from dlcourse.compare import CheckFailure


class NotAttempted(Exception):
    """The exercise still raises ``NotImplementedError``."""


@dataclass(frozen=True)
class Exercise:
    """One graded exercise: its nbgrader ``grade_id``, the name(s) it defines, its check.

    ``name`` is the short title ("Stable softmax"); the number ("1.4") comes from the order in
    which the chapter's check module registers its exercises, which is the notebook's order.
    ``mistakes`` is the exercise's catalogue of known mistakes, kept in the ``MISTAKES`` dict of
    its chapter's check module: id -> what the misconception is and which idea to revisit (never
    code). The grader holds an implementation of each (``autograder/mistakes/chNN.py``); a check
    names one by passing variants to ``expect_close`` (or raising a failure with its id).
    """
    grade_id: str
    target: str | tuple[str, ...]
    name: str
    check: Callable
    time_limit_s: float = 30.0

    @property
    def mistakes(self) -> dict[str, str]:
        """The catalogue of known mistakes: id -> message."""
        module = importlib.import_module(f"dlcourse.checks.{chapter_of(self.grade_id)}")
        return getattr(module, "MISTAKES", {}).get(self.grade_id, {})

    @property
    def number(self) -> str:
        """``"4.2"``: chapter number and position among the chapter's exercises."""
        chapter = chapter_of(self.grade_id)
        ids = [g for g in EXERCISES if chapter_of(g) == chapter]
        return f"{int(chapter[2:])}.{ids.index(self.grade_id) + 1}"

    @property
    def title(self) -> str:
        """``"Exercise 4.2 — 2-D convolution, vectorised"``, as the notebook's box shows it."""
        return f"Exercise {self.number} — {self.name}"


EXERCISES: dict[str, Exercise] = {}


def exercise(grade_id: str, target: str | tuple[str, ...], title: str, time_limit_s: float = 30.0):
    """Register the decorated function as the public check of ``grade_id`` (``title``: short)."""
    def register(fn):
        EXERCISES[grade_id] = Exercise(grade_id, target, title, fn, time_limit_s)
        return fn
    return register


def chapter_of(grade_id: str) -> str:
    """``"ch04_conv2d"`` -> ``"ch04"``."""
    return grade_id.split("_", 1)[0]


def get_exercise(grade_id: str) -> Exercise:
    """Look up an exercise, importing its chapter's check module on first use."""
    if grade_id not in EXERCISES:
        try:
            importlib.import_module(f"dlcourse.checks.{chapter_of(grade_id)}")
        except ModuleNotFoundError:
            pass
    if grade_id not in EXERCISES:
        raise KeyError(f"unknown exercise {grade_id!r}")
    return EXERCISES[grade_id]


def exercises_of(chapter: str) -> list[Exercise]:
    """All registered exercises of a chapter (e.g. ``"ch01"``), in definition order."""
    importlib.import_module(f"dlcourse.checks.{chapter}")
    return [e for g, e in EXERCISES.items() if chapter_of(g) == chapter]


# --- probes: module-level functions, so the sandbox can import them by name ---

def call(fn, *args):
    """The default probe: call the student's function with the inputs."""
    return fn(*args)


def probe_name(probe: Callable) -> str:
    """``module:qualname`` of a probe, as sent to the sandbox."""
    return f"{probe.__module__}:{probe.__qualname__}"


def resolve_probe(name: str) -> Callable:
    """Inverse of :func:`probe_name`; only probes inside ``dlcourse`` are allowed."""
    module, _, qualname = name.partition(":")
    if not (module == "dlcourse" or module.startswith("dlcourse.")):
        raise ValueError(f"probe {name!r} is not part of the course library")
    obj = importlib.import_module(module)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    return obj


def local_runner(target) -> Callable:
    """A ``run(probe, *inputs)`` that calls ``target`` in this process."""
    def run(probe, *inputs):
        inputs = copy.deepcopy(inputs)  # a student function may modify its inputs in place
        try:
            return probe(target, *inputs)
        except NotImplementedError as exc:
            raise NotAttempted(str(exc)) from None
    return run


# --- the verdict shown in the notebook ---

class _Verdict(Exception):
    """Raised after printing a verdict, so nbgrader scores the cell as failed.

    ``_render_traceback_`` makes IPython show only the verdict, not a traceback.
    """

    def _render_traceback_(self):
        return [str(self)]


def target_names(ex: Exercise) -> tuple[str, ...]:
    """The names an exercise defines, as a tuple."""
    return (ex.target,) if isinstance(ex.target, str) else tuple(ex.target)


def bundle_targets(names: tuple[str, ...], objects) -> object:
    """One target as itself; several as a namespace with their names (what probes receive)."""
    return objects[0] if len(names) == 1 else types.SimpleNamespace(**dict(zip(names, objects)))


def explain(ex: Exercise, failure: CheckFailure) -> str:
    """A failure in words: the catalogued mistake it looks like first, then the numbers."""
    if failure.mistake and failure.mistake in ex.mistakes:
        return f"this looks like a known mistake: {ex.mistakes[failure.mistake]}\n  Details: {failure}"
    return str(failure)


def check(grade_id: str, *targets) -> None:
    """Run the public check of ``grade_id`` on the student's ``targets`` and print the verdict."""
    ex = get_exercise(grade_id)
    names = target_names(ex)
    if len(targets) != len(names):
        raise _Verdict(f"[error] {ex.title}: check() needs {len(names)} name(s): {', '.join(names)}")
    target = bundle_targets(names, targets)
    try:
        with torch.random.fork_rng():
            ex.check(local_runner(target))
    except NotAttempted:
        raise _Verdict(f"[not attempted] {ex.title}: replace `raise NotImplementedError()` "
                       "with your code, then run this cell again. Stuck? The hints under the "
                       "exercise point the way without giving the code.") from None
    except CheckFailure as exc:
        raise _Verdict(f"[incorrect] {ex.title}: {explain(ex, exc)}") from None
    except Exception as exc:  # the student's code raised: name it, without a traceback
        raise _Verdict(f"[error] {ex.title}: your code raised {type(exc).__name__}: {exc}") from None
    print(f"[correct] {ex.title}: all checks passed.")
