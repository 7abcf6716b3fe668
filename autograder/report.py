"""Reports of graded submissions: terminal table, Gradescope results.json, Markdown
feedback, JUnit XML and the gradebook CSV. Every message in them is already safe to
show a student (hidden tests' expected values are redacted by the plugin)."""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from autograder.grade import NotebookResult

STATUS_MARK = {"correct": "ok", "incorrect": "FAIL", "not attempted": "--", "timeout": "TIME",
               "crashed": "CRASH", "error": "ERR", "missing": "MISS"}


def _pts(x: float) -> str:
    return f"{x:g}"


def table(results: list[NotebookResult]) -> str:
    """A per-exercise table for the terminal, then the reasons for lost points."""
    lines = []
    for nb in results:
        lines.append(f"{nb.path}  ({nb.chapter})")
        width = max(len(e.title) for e in nb.exercises)
        for e in nb.exercises:
            lines.append(f"  {e.title:<{width}}  {_pts(e.points):>4}/{_pts(e.max_points):<4} "
                         f"{STATUS_MARK.get(e.status, e.status):>5}  {e.status}")
        lines.append(f"  {'total':<{width}}  {_pts(nb.points):>4}/{_pts(nb.max_points):<4}")
        for e in nb.exercises:
            if e.status != "not attempted":
                for message in e.messages:
                    lines.append(f"  - {e.title}: {message}")
        lines.append("")
    total = sum(nb.points for nb in results)
    maximum = sum(nb.max_points for nb in results)
    lines.append(f"Score: {_pts(total)} / {_pts(maximum)}")
    return "\n".join(lines)


def gradescope(results: list[NotebookResult]) -> dict:
    """The submission in Gradescope's results.json format."""
    tests = []
    for nb in results:
        for e in nb.exercises:
            tests.append({
                "name": f"{e.title} ({e.grade_id})",
                "number": e.number,
                "score": e.points,
                "max_score": e.max_points,
                "status": "passed" if e.status == "correct" else "failed",
                "output": e.status if not e.messages else f"{e.status}: " + "\n".join(e.messages),
            })
    return {
        "score": sum(t["score"] for t in tests),
        "tests": tests,
        "output": f"{sum(t['score'] for t in tests):g} / {sum(t['max_score'] for t in tests):g} points",
    }


def markdown(student: str, results: list[NotebookResult], status: str = "completed",
             reason: str = "") -> str:
    """Short feedback for one student: score, a table, and what failed and why."""
    total = sum(nb.points for nb in results)
    maximum = sum(nb.max_points for nb in results)
    lines = [f"# Feedback for {student}", ""]
    if status == "invalid":
        return "\n".join(lines + [f"Your submission could not be graded: {reason}", ""])
    lines += [f"**Score: {_pts(total)} / {_pts(maximum)}**", "",
              "| exercise | points | result |", "|---|---|---|"]
    for nb in results:
        for e in nb.exercises:
            lines.append(f"| {e.title} | {_pts(e.points)} / {_pts(e.max_points)} | {e.status} |")
    problems = [(e, m) for nb in results for e in nb.exercises
                if e.status not in ("correct", "not attempted") for m in e.messages]
    if problems:
        lines += ["", "## What to fix", ""]
        lines += [f"- **{e.title}**: {m.replace(chr(10), ' ')}" for e, m in problems]
    return "\n".join(lines) + "\n"


def junit(students: dict[str, list[NotebookResult]], invalid: dict[str, str]) -> str:
    """JUnit XML: one test suite per student, one test case per exercise."""
    out = ['<?xml version="1.0" encoding="UTF-8"?>', "<testsuites>"]
    for student in sorted(set(students) | set(invalid)):
        if student in invalid:
            out.append(f'  <testsuite name={quoteattr(student)} tests="1" failures="0" errors="1">')
            out.append(f'    <testcase classname={quoteattr(student)} name="submission">'
                       f'<error message={quoteattr(invalid[student])}/></testcase>')
            out.append("  </testsuite>")
            continue
        cases = [e for nb in students[student] for e in nb.exercises]
        failures = sum(e.status != "correct" for e in cases)
        out.append(f'  <testsuite name={quoteattr(student)} tests="{len(cases)}" '
                   f'failures="{failures}" errors="0">')
        for e in cases:
            head = f'    <testcase classname={quoteattr(student)} name={quoteattr(e.label)}'
            if e.status == "correct":
                out.append(head + "/>")
            else:
                text = escape("\n".join(e.messages))
                out.append(head + f"><failure message={quoteattr(e.status)}>{text}</failure></testcase>")
        out.append("  </testsuite>")
    out.append("</testsuites>")
    return "\n".join(out) + "\n"


GRADEBOOK_FIELDS = ["student", "repository", "commit"]


def gradebook_csv(rows: list[dict], exercise_labels: list[str]) -> str:
    """One row per student: where the submission came from, points per exercise (columns
    headed ``"4.2 ch04_conv2d"``), total, maximum and status."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=[*GRADEBOOK_FIELDS, *exercise_labels, "total", "max",
                                             "status"], lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(row)
    return buf.getvalue()


def write_json(data, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2) + "\n")
