"""Progress of a batch: a bar redrawn in place on a terminal, one plain line per student in a
CI log (no control characters)."""
from __future__ import annotations

import io

from autograder.batch import StudentOutcome
from autograder.grade import ExerciseResult, NotebookResult
from autograder.progress import BatchProgress, clock


def outcome(student, status, points=3.0):
    results = [NotebookResult("02.ipynb", "ch02", [
        ExerciseResult("ch02_x", "Exercise 2.1 — X", 4.0, points, "correct", number="2.1")])]
    return StudentOutcome(student, status, results if status != "invalid" else [],
                          "broken JSON" if status == "invalid" else "")


def test_plain_lines_in_a_ci_log():
    log = io.StringIO()
    progress = BatchProgress(log, tty=False)
    progress.start(3)
    progress.done(outcome("ada", "completed"), 2.5)
    progress.done(outcome("bo", "invalid"), 0.1)
    progress.done(outcome("cy", "timeout", 0.0), 9.0)
    progress.close()
    lines = log.getvalue().splitlines()
    assert lines[0] == "grading 3 student(s)"
    assert lines[1].startswith("[1/3] ada: 3/4 completed in 2.5 s (") and "ETA" in lines[1]
    assert lines[2].startswith("[2/3] bo: invalid (broken JSON) in 0.1 s")
    assert lines[3].startswith("[3/3] cy: 0/4 timeout")
    assert lines[4].startswith("graded 3/3 students in ") and "1 completed, 1 timeout, 0 crashed, 1 invalid" in lines[4]
    assert "\r" not in log.getvalue() and "\x1b" not in log.getvalue()


def test_a_bar_on_a_terminal():
    term = io.StringIO()
    progress = BatchProgress(term, tty=True)
    progress.start(4)
    progress.done(outcome("ada", "completed"), 1.0)
    progress.tick()
    progress.close()
    frames = term.getvalue().split("\r\x1b[2K")
    assert frames[-1].endswith("\n")
    last = frames[-1]
    assert last.startswith("[#####---------------]   1/4 students")
    assert "elapsed" in last and "ETA" in last
    assert "completed 1  timeout 0  crashed 0  invalid 0" in last


def test_clock():
    assert clock(5) == "0:05" and clock(125) == "2:05" and clock(3725) == "1:02:05"
