"""Grade a whole class: ``python -m autograder --batch DIR --workers N --reports OUT``.

DIR holds one subfolder or one notebook per student. Each student is graded in a
separate grader process (so nothing one submission does can stop the batch or
touch another's result), N at a time. OUT receives ``gradebook.csv``,
``junit.xml``, ``summary.md`` and, per student, ``results.json`` (Gradescope)
and ``feedback.md``. Re-running a batch gives identical files.
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from autograder.grade import ExerciseResult, NotebookResult
from autograder.notebooks import default_solutions_dir, load_master, masters
from autograder.report import gradebook_csv, gradescope, junit, markdown, write_json

STUDENT_SECONDS = 1200  # a whole submission; exercises have their own, shorter limits


@dataclass
class StudentOutcome:
    student: str
    status: str                    # completed / timeout / crashed / invalid
    results: list[NotebookResult]
    reason: str = ""


def student_entries(folder: Path) -> dict[str, Path]:
    """Student id -> their folder or notebook, sorted; ids are made safe for file names."""
    entries = {}
    for path in sorted(folder.iterdir()):
        if path.name.startswith(".") or not (path.is_dir() or path.suffix == ".ipynb"):
            continue
        student = re.sub(r"[^A-Za-z0-9_.-]", "_", path.stem if path.is_file() else path.name)
        entries[student] = path
    return entries


def _from_json(data: list[dict]) -> list[NotebookResult]:
    return [NotebookResult(nb["path"], nb["chapter"], [ExerciseResult(**e) for e in nb["exercises"]])
            for nb in data]


def grade_student(student: str, path: Path, solutions: Path) -> StudentOutcome:
    """Grade one student in a child grader process; never raises."""
    with tempfile.TemporaryDirectory(prefix="batch-") as tmp:
        out = Path(tmp) / "results.json"
        cmd = [sys.executable, "-m", "autograder", str(path), "--json", str(out),
               "--solutions", str(solutions)]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=STUDENT_SECONDS)
        except subprocess.TimeoutExpired:
            return StudentOutcome(student, "timeout", [], f"grading took over {STUDENT_SECONDS} s")
        if proc.returncode == 2:
            reason = (proc.stderr.strip().splitlines() or ["cannot be graded"])[-1]
            reason = reason.removeprefix("autograder: ").replace(str(path), path.name)
            return StudentOutcome(student, "invalid", [], reason)
        if proc.returncode != 0 or not out.exists():
            reason = (proc.stderr.strip().splitlines() or [f"exit status {proc.returncode}"])[-1]
            return StudentOutcome(student, "crashed", [], reason)
        results = _from_json(json.loads(out.read_text()))
    for nb in results:
        nb.path = Path(nb.path).name
    statuses = {e.status for nb in results for e in nb.exercises}
    status = "timeout" if "timeout" in statuses else "crashed" if "crashed" in statuses else "completed"
    return StudentOutcome(student, status, results)


def exercise_columns(solutions: Path) -> list[str]:
    """Every exercise of every chapter, in course order."""
    return [gid for path in masters(solutions).values() for gid in load_master(path).exercises]


def write_reports(outcomes: list[StudentOutcome], columns: list[str], reports: Path) -> None:
    reports.mkdir(parents=True, exist_ok=True)
    rows = []
    for o in outcomes:
        points = {e.grade_id: e.points for nb in o.results for e in nb.exercises}
        maximum = sum(e.max_points for nb in o.results for e in nb.exercises)
        rows.append({"student": o.student, **{c: points.get(c, "") for c in columns},
                     "total": sum(points.values()), "max": maximum, "status": o.status})
        folder = reports / o.student
        folder.mkdir(exist_ok=True)
        if o.status == "invalid" or not o.results:
            result = {"score": 0, "tests": [], "output": f"{o.status}: {o.reason}"}
        else:
            result = gradescope(o.results)
        write_json(result, folder / "results.json")
        (folder / "feedback.md").write_text(
            markdown(o.student, o.results, "invalid" if not o.results else o.status,
                     o.reason or o.status))
    (reports / "gradebook.csv").write_text(gradebook_csv(rows, columns))
    (reports / "junit.xml").write_text(junit({o.student: o.results for o in outcomes if o.results},
                                             {o.student: f"{o.status}: {o.reason}"
                                              for o in outcomes if not o.results}))
    counts = {s: sum(o.status == s for o in outcomes)
              for s in ("completed", "timeout", "crashed", "invalid")}
    mean = sum(r["total"] for r in rows) / len(rows) if rows else 0
    (reports / "summary.md").write_text(
        f"# Batch summary\n\n{len(outcomes)} submissions; mean score {mean:.2f}\n\n"
        + "\n".join(f"- {k}: {v}" for k, v in counts.items()) + "\n")


def grade_batch(folder: Path, reports: Path, workers: int = 2,
                solutions: Path | None = None) -> list[StudentOutcome]:
    """Grade every student in ``folder`` and write the reports; returns the outcomes."""
    solutions = Path(solutions or default_solutions_dir()).resolve()
    entries = student_entries(folder)
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        outcomes = list(pool.map(lambda item: grade_student(item[0], item[1].resolve(), solutions),
                                 entries.items()))
    write_reports(outcomes, exercise_columns(solutions), reports)
    return outcomes
