"""Recognise a catalogued mistake in a failing exercise.

While an exercise's hidden tests run, every call of the student's code is recorded: the probe,
its inputs and what came back (a value, or the type of exception raised). When a test fails,
each implementation of the exercise's catalogued mistakes (``autograder/mistakes/chNN.py``) is
run here, in the trusted grader, on the same calls; the first one that gives the same results on
all of them, and differs from the reference solution on at least one, names the mistake (a
mistake that the calls cannot tell from a correct answer is never named). Only failing exercises
pay for this.
"""
from __future__ import annotations

import copy
import math
import re

import torch

from autograder.mistakes import mistakes_of
from dlcourse.checks import bundle_targets, chapter_of, target_names
from dlcourse.seed import set_seed

_RAISED = re.compile(r"your code raised (\w+)")


def raised_kind(message: str) -> str:
    """The exception type in a worker's "your code raised TypeError: ..." message."""
    match = _RAISED.match(message)
    return match.group(1) if match else "error"


def same_result(a, b) -> bool:
    """Structural equality with a float tolerance: what counts as "the same answer".

    Floats agree to 0.1 % (another way of writing the same mistake rounds differently); entries
    near zero to a millionth of the tensor's largest entry.
    """
    if isinstance(a, torch.Tensor) or isinstance(b, torch.Tensor):
        if not (isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor)):
            return False
        if a.dtype != b.dtype or a.shape != b.shape:
            return False
        if not (a.is_floating_point() or a.is_complex()):
            return bool(torch.equal(a, b))
        a, b = a.double(), b.double()
        scale = b[b.isfinite()].abs().max().item() if b.isfinite().any() else 0.0
        return bool(torch.allclose(a, b, rtol=1e-3, atol=1e-6 * scale + 1e-12, equal_nan=True))
    if type(a) in (list, tuple) or type(b) in (list, tuple):
        return type(a) is type(b) and len(a) == len(b) and all(map(same_result, a, b))
    if isinstance(a, dict) or isinstance(b, dict):
        return (isinstance(a, dict) and isinstance(b, dict) and a.keys() == b.keys()
                and all(same_result(a[k], b[k]) for k in a))
    if isinstance(a, float) or isinstance(b, float):
        if type(a) not in (int, float) or type(b) not in (int, float):
            return False
        return (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=1e-3, abs_tol=1e-12)
    return type(a) is type(b) and a == b


class MistakeCatalogue:
    """The implemented mistakes of one chapter, each loaded (once) beside the master's set-up."""

    def __init__(self, master):
        self.master = master
        self._namespaces: dict[str, dict | None] = {}

    def _namespace(self, key: str, source: str) -> dict | None:
        """The master's set-up cells and ``source`` run in a fresh namespace (cached by key)."""
        if key not in self._namespaces:
            namespace = {"__name__": "__mistake__"}
            try:
                for label, setup in self.master.setup_cells:
                    exec(compile(setup, f"<{label}>", "exec"), namespace)
                exec(compile(source, f"<{key}>", "exec"), namespace)
            except Exception:
                namespace = None
            self._namespaces[key] = namespace
        return self._namespaces[key]

    def _replay(self, namespace, names, probe, inputs):
        target = bundle_targets(names, [namespace[n] for n in names])
        set_seed(0)
        try:
            with torch.random.fork_rng():
                return ("value", probe(target, *copy.deepcopy(inputs)))
        except NotImplementedError:
            return ("not attempted", None)
        except Exception as exc:
            return ("raised", type(exc).__name__)

    def identify(self, grade_id: str, calls: list) -> str | None:
        """The id of the first mistake that reproduces every recorded call, or None.

        ``calls`` holds ``(probe, inputs, (kind, value))`` with kind "value" or "raised".
        """
        if not calls:
            return None
        spec = self.master.exercises[grade_id]
        names = target_names(spec.exercise)
        reference = self._namespace(f"reference {grade_id}", spec.solution)
        expected = None
        for mistake in mistakes_of(chapter_of(grade_id)):
            if mistake.grade_id != grade_id:
                continue
            namespace = self._namespace(f"mistake {grade_id}:{mistake.mistake_id}", mistake.source)
            if namespace is None or any(n not in namespace for n in names):
                continue
            replayed = [self._replay(namespace, names, probe, inputs) for probe, inputs, _ in calls]
            if not all(map(self._matches, replayed, [outcome for _, _, outcome in calls])):
                continue
            if expected is None and reference is not None:
                expected = [self._replay(reference, names, probe, inputs) for probe, inputs, _ in calls]
            if expected is not None and all(map(self._matches, replayed, expected)):
                continue  # on these calls the mistake gives the correct answers
            return mistake.mistake_id
        return None

    @staticmethod
    def _matches(replayed, recorded) -> bool:
        if replayed[0] != recorded[0]:
            return False
        if replayed[0] == "raised":
            return replayed[1] == recorded[1]
        return same_result(replayed[1], recorded[1])
