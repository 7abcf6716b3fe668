"""The grader's implementations of every catalogued mistake, one module per chapter.

A :class:`Mistake` is an exercise's solution cell written with one known mistake. Tests grade
each (the exercise must be lost and the feedback must name the mistake); the grader runs them to
recognise a failing submission's mistake on its hidden inputs. Students never receive this
package; the catalogue's messages live in ``dlcourse.checks.chNN.MISTAKES``.
"""
from __future__ import annotations

import importlib
from typing import NamedTuple


class Mistake(NamedTuple):
    grade_id: str
    mistake_id: str
    source: str


def mistakes_of(chapter: str) -> list[Mistake]:
    """Every implemented mistake of a chapter (e.g. ``"ch03"``); empty when it has none."""
    try:
        module = importlib.import_module(f"autograder.mistakes.{chapter}")
    except ModuleNotFoundError:
        return []
    return list(module.MISTAKES)
