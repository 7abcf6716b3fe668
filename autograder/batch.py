"""Grade a whole class: ``python -m autograder --batch DIR --workers N --reports OUT``.

DIR holds one subfolder or one notebook per student. Each student is graded in a separate
grader process (forked from this one once PyTorch and the course are loaded, so it starts at
once), N at a time: nothing one submission does can stop the batch or touch another's result.
A student's folder may hold ``SUBMISSION.json`` (``{"repository": "org/repo", "commit": "<sha>",
"committed_at": "<ISO time>"}``, written by the script that collected it); the gradebook records
where each grade came from. Reference outputs are computed once per batch (a cache shared by the
grading processes).

OUT receives ``gradebook.csv``, ``junit.xml``, ``summary.md``, the class report
(``report.html`` with its data in ``report_*.csv``), the similarity report (``similarity.html``,
``similarity.csv``), ``outcomes.json`` (everything above is made from it) and, per student,
``results.json`` (Gradescope) and ``feedback.md``. Re-running a batch gives identical files.

A class too large for one machine is graded in shards: ``--shard K/N`` grades every N-th student
(in sorted order, starting with the K-th), and ``--merge OUT1 ... OUTN --reports FINAL`` combines
the shards' ``outcomes.json`` into exactly the files a single run would have written.
"""
from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

STUDENT_SECONDS = 600  # a whole submission, beyond the sum of its exercises' wall-clock limits
STATUSES = ("completed", "timeout", "crashed", "invalid")
OUTCOMES_FORMAT = 1
SUBMISSION_FILE = "SUBMISSION.json"
_SUBMISSION_FIELDS = {
    "repository": re.compile(r"^[A-Za-z0-9_.-]{1,100}/[A-Za-z0-9_.-]{1,100}$"),
    "commit": re.compile(r"^[0-9a-fA-F]{7,64}$"),
    "committed_at": re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9:.+\-Z]{5,30}$"),
}


@dataclass
class StudentOutcome:
    student: str
    status: str                    # completed / timeout / crashed / invalid
    results: list                  # NotebookResult
    reason: str = ""
    submission: dict = field(default_factory=dict)  # repository, commit, committed_at
    sources: dict = field(default_factory=dict)     # grade_id -> the student's solution cell

    @property
    def points(self) -> float:
        return sum(e.points for nb in self.results for e in nb.exercises)


@dataclass(frozen=True)
class Column:
    """An exercise of the course, as the gradebook and the reports head it."""
    grade_id: str
    number: str
    title: str
    points: float
    stub: str = ""      # the cell students were given (the similarity report leaves it out)

    @property
    def label(self) -> str:
        return f"{self.number} {self.grade_id}"


# --- the class ---

_REPORT_FILES = {"gradebook.csv", "junit.xml", "summary.md", "report.html", "similarity.html",
                 "similarity.csv", "outcomes.json"}


def student_entries(folder: Path) -> dict[str, Path]:
    """Student id -> their folder or notebook, sorted; ids are made safe for file names (and
    never the name of a report the batch writes beside the students' folders)."""
    entries = {}
    for path in sorted(folder.iterdir()):
        if path.name.startswith(".") or not (path.is_dir() or path.suffix == ".ipynb"):
            continue
        student = re.sub(r"[^A-Za-z0-9_.-]", "_", path.stem if path.is_file() else path.name)
        if student in _REPORT_FILES or student.startswith("report_"):
            student = f"_{student}"
        base, n = student, 1
        while student in entries:  # "bo b/" and "bo_b.ipynb" are two students
            n += 1
            student = f"{base}-{n}"
        entries[student] = path
    return entries


def shard_of(students: list[str], shard: tuple[int, int] | None) -> list[str]:
    """The K-th of N parts of the sorted class: students K, K+N, K+2N, ... (1-based)."""
    ordered = sorted(students)
    if not shard:
        return ordered
    k, n = shard
    return ordered[k - 1::n]


def submission_info(path: Path) -> dict:
    """What ``SUBMISSION.json`` in a student's folder says (only well-formed fields)."""
    file = path / SUBMISSION_FILE if path.is_dir() else None
    if file is None or not file.is_file() or file.stat().st_size > 64 * 1024:
        return {}
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {key: data[key] for key, pattern in _SUBMISSION_FIELDS.items()
            if isinstance(data.get(key), str) and pattern.match(data[key])}


def course_columns(solutions: Path) -> list[Column]:
    """Every exercise of every chapter, in course order."""
    from autograder.notebooks import load_master, masters
    from autograder.similarity import stub_of

    return [Column(gid, spec.exercise.number, spec.exercise.title, spec.points,
                   stub_of(spec.solution))
            for path in masters(solutions).values()
            for gid, spec in load_master(path).exercises.items()]


# --- grading ---

def student_seconds(solutions: Path) -> float:
    """The most a whole submission may take: every exercise at its wall-clock limit, plus
    ``STUDENT_SECONDS`` for start-up and the grader's own work. Beyond it, the student's grading
    process is stopped (and the status says "timeout")."""
    from autograder.notebooks import load_master, masters
    from autograder.sandbox import WALL_FACTOR

    scale = float(os.environ.get("AUTOGRADER_TIME_SCALE", "1"))
    return STUDENT_SECONDS + sum(spec.exercise.time_limit_s * scale * WALL_FACTOR
                                 for path in masters(solutions).values()
                                 for spec in load_master(path).exercises.values())


def _status(results) -> str:
    statuses = {e.status for nb in results for e in nb.exercises}
    return "timeout" if "timeout" in statuses else "crashed" if "crashed" in statuses else "completed"


def grade_student(student: str, path: Path, solutions: Path) -> StudentOutcome:
    """Grade one student (in this process, with one worker); never raises."""
    from autograder.grade import GraderFault
    from autograder.notebooks import InvalidSubmission, load_submission, submission_notebooks
    from autograder.parallel import grade_notebooks

    try:
        submissions = [load_submission(p, solutions) for p in submission_notebooks([path])]
    except InvalidSubmission as exc:
        reason = str(exc).replace(str(path), path.name)
        return StudentOutcome(student, "invalid", [], reason)
    sources = {gid: src for sub in submissions for gid, src in sorted(sub.cells.items())}
    try:
        results = grade_notebooks(submissions, jobs=1)
    except GraderFault as exc:
        return StudentOutcome(student, "crashed", [], f"the grader failed: {exc}", sources=sources)
    for nb in results:
        nb.path = Path(nb.path).name
    return StudentOutcome(student, _status(results), results, sources=sources)


def grade_batch(folder: Path, reports: Path, workers: int = 2, solutions: Path | None = None,
                shard: tuple[int, int] | None = None, progress=None,
                similarity_threshold: float | None = None) -> list[StudentOutcome]:
    """Grade every student in ``folder`` (or one shard of them) and write the reports.

    ``progress``: a :class:`autograder.progress.BatchProgress`-like object, or None for none.
    Returns the outcomes, sorted by student.
    """
    from autograder.notebooks import default_solutions_dir, load_master, masters
    from autograder.parallel import run_forked
    from autograder.plugin import ReferenceCode

    solutions = Path(solutions or default_solutions_dir()).resolve()
    entries = student_entries(folder)
    chosen = shard_of(list(entries), shard)
    columns = course_columns(solutions)
    # Loaded here once, so that every forked grading process starts with them.
    for path in masters(solutions).values():
        master = load_master(path)
        for gid in master.exercises:
            ReferenceCode.warm(master, gid)
    from autograder.isolation import prepare
    from autograder.parallel import preload

    prepare()
    preload()
    limit = student_seconds(solutions)
    cache = tempfile.mkdtemp(prefix="autograder-references-")
    previous = os.environ.get("AUTOGRADER_REFERENCE_CACHE")
    os.environ["AUTOGRADER_REFERENCE_CACHE"] = cache
    if progress is not None:
        progress.start(len(chosen))
    try:
        def grade(student):
            return grade_student(student, entries[student].resolve(), solutions)

        def done(finished):
            if finished.error:
                reason = (f"grading took over {limit:.0f} s" if finished.error == "timeout"
                          else finished.error.removeprefix("crashed: "))
                status = "timeout" if finished.error == "timeout" else "crashed"
                finished.value = StudentOutcome(finished.task, status, [], reason)
            if progress is not None:
                progress.done(finished.value, finished.seconds)

        finished = run_forked(chosen, grade, workers, limit, on_done=done,
                              on_tick=progress.tick if progress is not None else None)
    finally:
        if previous is None:
            os.environ.pop("AUTOGRADER_REFERENCE_CACHE", None)
        else:
            os.environ["AUTOGRADER_REFERENCE_CACHE"] = previous
        shutil.rmtree(cache, ignore_errors=True)
        if progress is not None:
            progress.close()
    outcomes = [f.value for f in finished]
    for outcome in outcomes:
        outcome.submission = submission_info(entries[outcome.student])
    save_outcomes(outcomes, columns, reports, shard, sorted(entries))
    write_reports(outcomes, columns, reports, similarity_threshold)
    return outcomes


# --- outcomes.json: what every report is made from ---

def save_outcomes(outcomes: list[StudentOutcome], columns: list[Column], reports: Path,
                  shard: tuple[int, int] | None, roster: list[str]) -> None:
    from autograder.report import write_json

    write_json({
        "format": OUTCOMES_FORMAT,
        "shard": list(shard) if shard else None,
        "class": sorted(roster),
        "exercises": [dataclasses.asdict(c) for c in columns],
        "students": [dataclasses.asdict(o) for o in sorted(outcomes, key=lambda o: o.student)],
    }, reports / "outcomes.json")


class MergeError(Exception):
    """Shard reports that cannot be combined; the message says why."""


def load_outcomes(reports: Path) -> dict:
    from autograder.grade import ExerciseResult, NotebookResult

    file = reports / "outcomes.json"
    try:
        data = json.loads(file.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise MergeError(f"{file}: cannot be read ({exc})") from None
    if not isinstance(data, dict) or data.get("format") != OUTCOMES_FORMAT:
        raise MergeError(f"{file}: not an outcomes file of this grader")
    data["columns"] = [Column(**c) for c in data["exercises"]]
    data["outcomes"] = [
        StudentOutcome(s["student"], s["status"],
                       [NotebookResult(nb["path"], nb["chapter"],
                                       [ExerciseResult(**e) for e in nb["exercises"]])
                        for nb in s["results"]],
                       s["reason"], s["submission"], s["sources"])
        for s in data["students"]]
    return data


def merge_reports(folders: list[Path], reports: Path,
                  similarity_threshold: float | None = None) -> list[StudentOutcome]:
    """Combine the reports of shard runs into the reports one run over the class writes."""
    parts = [load_outcomes(f) for f in folders]
    columns, roster = parts[0]["columns"], parts[0]["class"]
    shards = set()
    outcomes: dict[str, StudentOutcome] = {}
    for folder, part in zip(folders, parts):
        if part["columns"] != columns:
            raise MergeError(f"{folder}: graded against different exercises than {folders[0]}")
        if part["class"] != roster:
            raise MergeError(f"{folder}: a different class than {folders[0]}")
        shard = tuple(part["shard"]) if part["shard"] else None
        if shard in shards:
            raise MergeError(f"{folder}: shard {shard[0]}/{shard[1]} given twice"
                             if shard else f"{folder}: the same whole-class run given twice")
        shards.add(shard)
        for o in part["outcomes"]:
            if o.student in outcomes:
                raise MergeError(f"{folder}: student {o.student} is in two of the reports")
            outcomes[o.student] = o
    sizes = {s[1] for s in shards if s}
    if len(sizes) > 1:
        raise MergeError(f"shards of different splits: {sorted(sizes)}")
    if sizes:
        n = sizes.pop()
        missing = [f"{k}/{n}" for k in range(1, n + 1) if (k, n) not in shards]
        if missing:
            raise MergeError(f"shard {', '.join(missing)} missing")
    absent = sorted(set(roster) - set(outcomes))
    if absent:
        raise MergeError(f"no result for {len(absent)} student(s) of the class, e.g. {absent[0]}")
    merged = [outcomes[s] for s in sorted(outcomes)]
    save_outcomes(merged, columns, reports, None, roster)
    write_reports(merged, columns, reports, similarity_threshold)
    return merged


# --- the reports ---

def write_reports(outcomes: list[StudentOutcome], columns: list[Column], reports: Path,
                  similarity_threshold: float | None = None) -> None:
    from autograder.class_report import write_class_report
    from autograder.report import gradebook_csv, gradescope, junit, markdown, write_json
    from autograder.similarity import DEFAULT_THRESHOLD, write_similarity_report

    outcomes = sorted(outcomes, key=lambda o: o.student)
    reports.mkdir(parents=True, exist_ok=True)
    rows = []
    for o in outcomes:
        points = {e.grade_id: e.points for nb in o.results for e in nb.exercises}
        maximum = sum(e.max_points for nb in o.results for e in nb.exercises)
        rows.append({"student": o.student, "repository": o.submission.get("repository", ""),
                     "commit": o.submission.get("commit", ""),
                     **{c.label: points.get(c.grade_id, "") for c in columns},
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
    (reports / "gradebook.csv").write_text(gradebook_csv(rows, [c.label for c in columns]))
    (reports / "junit.xml").write_text(junit({o.student: o.results for o in outcomes if o.results},
                                             {o.student: f"{o.status}: {o.reason}"
                                              for o in outcomes if not o.results}))
    counts = {s: sum(o.status == s for o in outcomes) for s in STATUSES}
    mean = sum(r["total"] for r in rows) / len(rows) if rows else 0
    (reports / "summary.md").write_text(
        f"# Batch summary\n\n{len(outcomes)} submissions; mean score {mean:.2f}\n\n"
        + "\n".join(f"- {k}: {v}" for k, v in counts.items())
        + "\n\nClass report: report.html; similarity report: similarity.html\n")
    write_class_report(outcomes, columns, reports)
    write_similarity_report(outcomes, columns, reports,
                            DEFAULT_THRESHOLD if similarity_threshold is None
                            else similarity_threshold)


# --- command line ---

def batch_main(args, workers: int) -> int:
    from autograder.progress import BatchProgress

    if not args.batch.is_dir():
        print(f"autograder: {args.batch}: not a folder of submissions", file=sys.stderr)
        return 2
    progress = BatchProgress(sys.stderr)
    outcomes = grade_batch(args.batch, args.reports, workers, args.solutions, args.shard,
                           progress, args.similarity_threshold)
    _print_outcomes(outcomes, args.reports)
    return 0


def merge_main(args) -> int:
    try:
        outcomes = merge_reports(args.merge, args.reports, args.similarity_threshold)
    except MergeError as exc:
        print(f"autograder: cannot merge: {exc}", file=sys.stderr)
        return 2
    _print_outcomes(outcomes, args.reports)
    return 0


def _print_outcomes(outcomes: list[StudentOutcome], reports: Path) -> None:
    for o in outcomes:
        print(f"{o.student:<30} {o.points:>6g}  {o.status}{'  (' + o.reason + ')' if o.reason else ''}")
    print(f"wrote {reports}/gradebook.csv, junit.xml, summary.md, report.html, similarity.html "
          "and one folder per student")
