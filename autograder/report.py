"""Reports of a graded submission: terminal table, Gradescope results.json, Markdown."""
from __future__ import annotations

import json
from pathlib import Path

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


def write_json(data: dict, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2) + "\n")
