"""Collect every student's notebooks at a pinned commit, for ``python -m autograder --batch``.

    python grading/collect_submissions.py --roster grading/roster.csv --deadline 2026-03-01T23:59:00+01:00 \\
        --out collected/submissions --manifest collected/collection.csv

The roster is a CSV file with one row per student. Either it names each repository in a
``repository`` column (``owner/name``, a URL or a local path), or ``--repository-pattern`` builds
the name from the row's columns, as for a GitHub Classroom roster (columns ``identifier``,
``github_username``, ``github_id``, ``name``):
``--repository-pattern 'my-org/deep-learning-{github_username}'``.
The student's id is the ``student`` column, else ``identifier``, else ``github_username``
(``--student-column`` chooses another).

Each repository is cloned without a work tree (no checkout, so nothing in it runs) and graded at
the last commit of its default branch, following first parents, whose committer date is at or
before the deadline (or now, when the deadline is later or not given). Its regular files
``chapters/*.ipynb`` are copied to ``OUT/<student>/``, beside ``SUBMISSION.json``:
``{"repository": ..., "commit": ..., "committed_at": ...}`` (commit and time null when there is
nothing to grade). Every roster row gets a folder, so a student with no submission is graded 0
with a reason, never left out. ``--pins FILE`` (a previous manifest, or any CSV with ``student``
and ``commit`` columns) grades those students at exactly those commits, to reproduce a grade.

The manifest (CSV) records per student the repository, commit, commit time, deadline, time of
collection, the notebooks found and a note saying why nothing was collected, when so.

A token for private repositories is read from the environment variable STUDENT_REPOS_TOKEN and
sent to git as an HTTP header through git's environment: it never appears on a command line, in
a URL, in a repository's configuration or in the output.

Exit status: 0 when every roster row was handled (some may have nothing to grade: see the
manifest), 2 when the roster or an option is wrong, 1 when no repository could be cloned at all
(a wrong or expired token, most likely).
"""
from __future__ import annotations

import argparse
import base64
import csv
import json
import os
import re
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

TOKEN_VARIABLE = "STUDENT_REPOS_TOKEN"
STUDENT_COLUMNS = ("student", "identifier", "github_username")
NOTEBOOK_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*\.ipynb$")
# The grader refuses a notebook over 20 MiB and says why; this larger limit only guards the disk.
MAX_NOTEBOOK_BYTES = 100 * 2**20
GIT_SECONDS = 600
MANIFEST_COLUMNS = ["student", "repository", "commit", "committed_at", "deadline", "collected_at",
                    "notebooks", "note"]


class RosterError(Exception):
    """The roster or an option cannot be used; the message says why, in one line."""


class CollectError(Exception):
    """Nothing can be collected for one student; the message goes into the manifest."""


@dataclass
class Entry:
    student: str          # folder name in OUT, as the grader's --batch names the student
    repository: str       # as written in the roster (owner/name, URL or path), "" when unknown
    problem: str = ""     # why the row has no repository


@dataclass
class Collected:
    entry: Entry
    commit: str | None = None
    committed_at: str | None = None
    notebooks: list[str] = field(default_factory=list)
    note: str = ""
    cloned: bool = False


def safe_id(name: str) -> str:
    """The folder name the grader's ``--batch`` would give this student."""
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name.strip())


def parse_deadline(text: str | None, now: datetime) -> datetime:
    """An ISO 8601 time with a UTC offset; empty means now. A later deadline than now means now."""
    if not text:
        return now
    try:
        deadline = datetime.fromisoformat(text.strip())
    except ValueError:
        raise RosterError(f"deadline {text!r} is not an ISO 8601 time "
                          "(for example 2026-03-01T23:59:00+01:00)") from None
    if deadline.tzinfo is None:
        raise RosterError(f"deadline {text!r} has no UTC offset: write it as, for example, "
                          f"{text.strip()}+01:00 or {text.strip()}Z")
    return min(deadline, now)


def iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def read_roster(path: Path, pattern: str | None, student_column: str | None) -> list[Entry]:
    try:
        rows = list(csv.DictReader(path.open(newline="", encoding="utf-8-sig")))
    except FileNotFoundError:
        raise RosterError(f"{path}: no such roster file") from None
    if not rows:
        raise RosterError(f"{path}: the roster has no rows")
    columns = set(rows[0])
    column = student_column or next((c for c in STUDENT_COLUMNS if c in columns), None)
    if column not in columns:
        raise RosterError(f"{path}: no student column (expected one of {', '.join(STUDENT_COLUMNS)}"
                          f"{', or ' + student_column if student_column else ''})")
    if not pattern and "repository" not in columns:
        raise RosterError(f"{path}: no 'repository' column; give --repository-pattern "
                          "(e.g. 'my-org/deep-learning-{github_username}') for a GitHub Classroom roster")
    entries, seen = [], {}
    for number, row in enumerate(rows, start=2):
        name = (row.get(column) or "").strip()
        if not name:
            raise RosterError(f"{path}, line {number}: empty {column!r}")
        student = safe_id(name)
        if student.startswith("."):
            student = "_" + student[1:]
        if student in seen:
            raise RosterError(f"{path}, line {number}: student {student!r} appears twice "
                              f"(first on line {seen[student]})")
        seen[student] = number
        repository, problem = (row.get("repository") or "").strip(), ""
        if not repository and pattern:
            names = re.findall(r"{(\w+)}", pattern)
            missing = [n for n in names if not (row.get(n) or "").strip()]
            if missing:
                problem = (f"no repository: the roster row has no {', '.join(missing)} "
                           "(has the student accepted the assignment?)")
            else:
                repository = pattern.format(**{n: row[n].strip() for n in names})
        elif not repository:
            problem = "no repository in the roster"
        entries.append(Entry(student, repository, problem))
    return entries


def read_pins(path: Path) -> dict[str, str]:
    """student -> commit ('' for 'nothing was collected') from a manifest or gradebook."""
    try:
        rows = list(csv.DictReader(path.open(newline="", encoding="utf-8")))
    except FileNotFoundError:
        raise RosterError(f"{path}: no such pins file") from None
    if rows and not {"student", "commit"} <= set(rows[0]):
        raise RosterError(f"{path}: a pins file needs 'student' and 'commit' columns")
    pins = {}
    for row in rows:
        commit = (row["commit"] or "").strip()
        if commit and not re.fullmatch(r"[0-9a-f]{40}|[0-9a-f]{64}", commit):
            raise RosterError(f"{path}: {row['student']}: {commit!r} is not a full commit id")
        pins[safe_id(row["student"])] = commit
    return pins


def clone_url(repository: str, server: str) -> str:
    """``owner/name`` -> a URL on the GitHub server; a URL or a local path as it is."""
    if "://" in repository or repository.startswith(("/", ".", "~")) or repository.startswith("git@"):
        return os.path.expanduser(repository)
    if re.fullmatch(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+", repository):
        return f"{server.rstrip('/')}/{repository.removesuffix('.git')}.git"
    raise CollectError(f"{repository!r} is neither owner/name, a URL nor a path")


def git_environment(token: str | None, server: str) -> dict[str, str]:
    """git's environment: no prompt, no user or system configuration, the token as a header."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(GIT_TERMINAL_PROMPT="0", GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull,
               GIT_ASKPASS="true", SSH_ASKPASS="true")
    if token:
        basic = base64.b64encode(f"x-access-token:{token}".encode()).decode()
        env.update(GIT_CONFIG_COUNT="1", GIT_CONFIG_KEY_0=f"http.{server.rstrip('/')}/.extraheader",
                   GIT_CONFIG_VALUE_0=f"AUTHORIZATION: basic {basic}")
    return env


def git(args: list[str], repo: Path | None, env: dict[str, str], binary: bool = False):
    cmd = ["git", *(["--git-dir", str(repo)] if repo else []), *args]
    try:
        proc = subprocess.run(cmd, env=env, capture_output=True, timeout=GIT_SECONDS)
    except subprocess.TimeoutExpired:
        raise CollectError(f"git {args[0]} took over {GIT_SECONDS} s") from None
    if proc.returncode != 0:
        message = proc.stderr.decode(errors="replace").strip().splitlines()
        raise CollectError(f"git {args[0]} failed: {message[-1] if message else proc.returncode}")
    return proc.stdout if binary else proc.stdout.decode()


def pick_commit(repo: Path, env: dict[str, str], deadline: datetime) -> tuple[str, str] | None:
    """The last first-parent commit of HEAD whose committer date is at or before the deadline."""
    log = git(["log", "--first-parent", "--format=%H %ct", "HEAD"], repo, env)
    for line in log.splitlines():
        sha, seconds = line.split()
        if int(seconds) <= deadline.timestamp():
            return sha, iso(datetime.fromtimestamp(int(seconds), timezone.utc))
    return None


def pinned_commit(repo: Path, env: dict[str, str], sha: str) -> tuple[str, str]:
    try:
        git(["cat-file", "-e", f"{sha}^{{commit}}"], repo, env)
    except CollectError:  # not on the branch any more (force-pushed away?): ask for it by id
        try:
            git(["fetch", "--quiet", "origin", sha], repo, env)
        except CollectError:
            raise CollectError(f"the pinned commit {sha} is not in the repository any more") from None
    seconds = git(["show", "-s", "--format=%ct", sha], repo, env).strip()
    return sha, iso(datetime.fromtimestamp(int(seconds), timezone.utc))


def copy_notebooks(repo: Path, env: dict[str, str], sha: str, folder: str,
                   out: Path) -> tuple[list[str], list[str]]:
    """Copy the regular files ``folder/*.ipynb`` of commit ``sha`` into ``out``; symlinks and
    sub-folders are skipped. Returns the names copied and notes on those left out."""
    listing = git(["ls-tree", "-z", sha, "--", f"{folder.rstrip('/')}/"], repo, env)
    copied, notes = [], []
    for record in filter(None, listing.split("\0")):
        meta, _, path = record.partition("\t")
        mode, kind, oid = meta.split()
        name = path.rsplit("/", 1)[-1]
        if kind != "blob" or mode not in ("100644", "100755") or not NOTEBOOK_NAME.match(name):
            continue
        size = int(git(["cat-file", "-s", oid], repo, env))
        if size > MAX_NOTEBOOK_BYTES:
            notes.append(f"{name} left out: {size / 2**20:.0f} MiB")
            continue
        (out / name).write_bytes(git(["cat-file", "blob", oid], repo, env, binary=True))
        copied.append(name)
    return sorted(copied), notes


def collect_one(entry: Entry, out: Path, deadline: datetime, pin: str | None, branch: str | None,
                folder: str, env: dict[str, str], server: str) -> Collected:
    result = Collected(entry)
    target = out / entry.student
    target.mkdir(parents=True)
    try:
        if entry.problem:
            raise CollectError(entry.problem)
        url = clone_url(entry.repository, server)
        with tempfile.TemporaryDirectory(prefix="collect-") as tmp:
            repo = Path(tmp) / "repo.git"
            clone = ["clone", "--quiet", "--bare", "--single-branch", "--filter=blob:none"]
            try:
                git([*clone, *(["--branch", branch] if branch else []), url, str(repo)], None, env)
            except CollectError as exc:
                raise CollectError(f"cannot clone the repository ({exc})") from None
            result.cloned = True
            if pin is not None:
                if not pin:
                    raise CollectError("pinned as having nothing to grade")
                result.commit, result.committed_at = pinned_commit(repo, env, pin)
            else:
                try:
                    found = pick_commit(repo, env, deadline)
                except CollectError:
                    raise CollectError("the repository has no commit yet") from None
                if found is None:
                    raise CollectError(f"no commit at or before the deadline {iso(deadline)}")
                result.commit, result.committed_at = found
            result.notebooks, notes = copy_notebooks(repo, env, result.commit, folder, target)
            if not result.notebooks:
                notes.insert(0, f"no notebook in {folder}/ at this commit")
            result.note = "; ".join(notes)
    except CollectError as exc:
        result.note = str(exc)
    submission = {"repository": entry.repository or None, "commit": result.commit,
                  "committed_at": result.committed_at}
    (target / "SUBMISSION.json").write_text(json.dumps(submission, indent=1) + "\n")
    return result


def write_manifest(results: list[Collected], deadline: datetime, collected_at: datetime,
                   path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, MANIFEST_COLUMNS, lineterminator="\n")
        writer.writeheader()
        for r in results:
            writer.writerow({"student": r.entry.student, "repository": r.entry.repository,
                             "commit": r.commit or "", "committed_at": r.committed_at or "",
                             "deadline": iso(deadline), "collected_at": iso(collected_at),
                             "notebooks": " ".join(r.notebooks), "note": r.note})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--roster", type=Path, required=True, help="CSV, one row per student")
    parser.add_argument("--repository-pattern",
                        help="e.g. 'my-org/deep-learning-{github_username}' (empty: the roster's "
                             "repository column)")
    parser.add_argument("--student-column", help="roster column with the student's id")
    parser.add_argument("--deadline", default="", help="ISO 8601 with UTC offset; empty: now")
    parser.add_argument("--pins", type=lambda s: Path(s) if s else None,
                        help="CSV with student and commit: grade exactly these (empty: none)")
    parser.add_argument("--branch", help="branch to grade (default: the repository's default branch)")
    parser.add_argument("--notebooks", default="chapters", help="folder of notebooks in each repository")
    parser.add_argument("--out", type=Path, required=True, help="folder for the batch (must not exist)")
    parser.add_argument("--manifest", type=Path, required=True, help="CSV written here")
    parser.add_argument("--jobs", type=int, default=8, help="repositories cloned at once")
    args = parser.parse_args(argv)
    now = datetime.now(timezone.utc).replace(microsecond=0)
    server = os.environ.get("GITHUB_SERVER_URL") or "https://github.com"
    try:
        deadline = parse_deadline(args.deadline, now)
        entries = read_roster(args.roster, args.repository_pattern or None, args.student_column)
        pins = read_pins(args.pins) if args.pins else {}
        if args.out.exists() and any(args.out.iterdir()):
            raise RosterError(f"{args.out}: already holds files; collect into a new folder")
    except RosterError as exc:
        print(f"collect_submissions: {exc}", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    env = git_environment(os.environ.get(TOKEN_VARIABLE), server)
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        results = list(pool.map(
            lambda e: collect_one(e, args.out, deadline, pins.get(e.student), args.branch,
                                  args.notebooks, env, server), entries))
    write_manifest(results, deadline, now, args.manifest)
    annotate = os.environ.get("GITHUB_ACTIONS") == "true"
    for r in results:
        line = (f"{r.entry.student:<24} {(r.commit or '-')[:12]:<12} {r.committed_at or '-':<20} "
                f"{len(r.notebooks)} notebook(s){'  ' + r.note if r.note else ''}")
        print(line)
        if annotate and r.note:
            print(f"::warning title=Nothing to grade for {r.entry.student}::{r.note}")
    print(f"deadline {iso(deadline)}: {sum(bool(r.notebooks) for r in results)} of {len(results)} "
          f"students have notebooks to grade; wrote {args.out}/ and {args.manifest}")
    if not any(r.cloned for r in results) and any(not r.entry.problem for r in results):
        print(f"collect_submissions: no repository could be cloned: check the {TOKEN_VARIABLE} "
              "secret (contents: read on the students' repositories) and the roster",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
