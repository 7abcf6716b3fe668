"""Reading notebooks: the masters (trusted) and submissions (untrusted, maybe malformed)."""
from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported when a master is read: this module is usable before torch is
    from dlcourse.checks import Exercise

MAX_NOTEBOOK_BYTES = 20 * 1024 * 1024
GRADE_ID = re.compile(r"^ch(\d\d)_[a-z0-9_]+$")


class InvalidSubmission(Exception):
    """The file cannot be graded at all; the message says why, in one line."""


def default_solutions_dir() -> Path:
    """``solutions/`` next to this package, or ``$AUTOGRADER_SOLUTIONS``."""
    env = os.environ.get("AUTOGRADER_SOLUTIONS")
    return Path(env) if env else Path(__file__).resolve().parent.parent / "solutions"


def _source(cell: dict) -> str:
    src = cell.get("source", "")
    if isinstance(src, list):
        src = "".join(s for s in src if isinstance(s, str))
    return src if isinstance(src, str) else ""


def _grade_id(cell: dict):
    meta = cell.get("metadata")
    nbg = meta.get("nbgrader") if isinstance(meta, dict) else None
    gid = nbg.get("grade_id") if isinstance(nbg, dict) else None
    return gid if isinstance(gid, str) else None


_IPYTHON_SYNTAX = re.compile(r"^\s*[!%]|\?\s*$|^\s*[/;,]", re.M)


def to_python(source: str) -> str:
    """Turn IPython syntax (``!cmd``, ``%magic``) into plain Python calls the worker refuses."""
    if not _IPYTHON_SYNTAX.search(source):
        return source  # plain Python (IPython is not even imported)
    from IPython.core.inputtransformer2 import TransformerManager

    try:
        return TransformerManager().transform_cell(source)
    except Exception:  # leave it as is: compiling it will report the syntax error
        return source


@dataclass
class ExerciseSpec:
    """An exercise as the master defines it: registry entry, points, reference source."""
    exercise: "Exercise"
    points: float
    solution: str


@dataclass
class Master:
    """A chapter's master notebook, the source of truth for cells and points."""
    path: Path
    chapter: str  # e.g. "ch01"
    setup_cells: list[tuple[str, str]]
    exercises: dict[str, ExerciseSpec] = field(default_factory=dict)


@lru_cache(maxsize=None)
def load_master(path: Path) -> Master:
    from dlcourse.checks import get_exercise

    nb = json.loads(Path(path).read_text())
    chapter = nb["metadata"]["dlcourse"]["chapter"]
    setup, solutions, points = [], {}, {}
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "code":
            continue
        tags = cell.get("metadata", {}).get("tags", [])
        nbg = cell.get("metadata", {}).get("nbgrader", {})
        if "setup" in tags:
            setup.append((f"master cell {i}", _source(cell)))
        if nbg.get("solution"):
            solutions[nbg["grade_id"]] = _source(cell)
        if nbg.get("grade") and nbg["grade_id"].endswith("_check"):
            points[nbg["grade_id"][: -len("_check")]] = float(nbg["points"])
    master = Master(Path(path), chapter, setup)
    for gid, source in solutions.items():
        master.exercises[gid] = ExerciseSpec(get_exercise(gid), points[gid], source)
    return master


@lru_cache(maxsize=None)
def masters(solutions_dir: Path) -> dict[str, Path]:
    """Chapter id -> master path, e.g. ``{"ch01": Path("solutions/01_basics.ipynb")}``."""
    return {f"ch{p.name[:2]}": p for p in sorted(Path(solutions_dir).glob("[0-9][0-9]_*.ipynb"))}


def submission_notebooks(paths: list[Path]) -> list[Path]:
    """Expand folders into the notebooks they hold; InvalidSubmission when there are none."""
    found = []
    for path in map(Path, paths):
        if path.is_dir():
            notebooks = sorted(p for p in path.glob("*.ipynb"))
            if not notebooks:
                raise InvalidSubmission(f"{path}: folder holds no .ipynb notebook")
            found.extend(notebooks)
        elif path.exists() and path.suffix != ".ipynb":
            raise InvalidSubmission(f"{path}: not a notebook (expected a .ipynb file)")
        elif not path.exists():
            raise InvalidSubmission(f"{path}: no such file")
        else:
            found.append(path)
    return found


@dataclass
class Submission:
    """A student's notebook: its solution cells by grade_id, and what is wrong with them."""
    path: Path
    master: Master
    cells: dict[str, str]           # grade_id -> Python source
    problems: dict[str, str]        # grade_id -> why it cannot be graded


def load_submission(path: Path, solutions_dir: Path | None = None) -> Submission:
    """Parse and validate a submitted notebook; raise InvalidSubmission with a reason."""
    path = Path(path)
    if not path.exists():
        raise InvalidSubmission(f"{path}: no such file")
    if not path.is_file():
        raise InvalidSubmission(f"{path}: not a file")
    size = path.stat().st_size
    if size > MAX_NOTEBOOK_BYTES:
        raise InvalidSubmission(f"{path}: {size / 2**20:.0f} MiB is over the "
                                f"{MAX_NOTEBOOK_BYTES // 2**20} MiB limit for a notebook "
                                "(clear the outputs and submit again)")
    try:
        nb = json.loads(path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError:
        raise InvalidSubmission(f"{path}: not a notebook (not UTF-8 text)") from None
    except json.JSONDecodeError as exc:
        raise InvalidSubmission(f"{path}: not a valid notebook (broken JSON at line {exc.lineno}, "
                                f"column {exc.colno})") from None
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise InvalidSubmission(f"{path}: not a Jupyter notebook (no list of cells)")
    if nb.get("nbformat") != 4:
        raise InvalidSubmission(f"{path}: notebook format {nb.get('nbformat')!r} is not supported "
                                "(expected version 4)")
    found: dict[str, list[str]] = {}
    chapters = set()
    for cell in nb["cells"]:
        if not isinstance(cell, dict):
            continue
        gid = _grade_id(cell)
        if gid and GRADE_ID.match(gid) and cell.get("cell_type") == "code":
            found.setdefault(gid, []).append(_source(cell))
            chapters.add(f"ch{GRADE_ID.match(gid).group(1)}")
    known = masters(Path(solutions_dir or default_solutions_dir()))
    chapters &= set(known)
    if len(chapters) != 1:
        if not chapters:
            raise InvalidSubmission(f"{path}: not a notebook from this course "
                                    "(no exercise cells with a known grade_id)")
        raise InvalidSubmission(f"{path}: mixes exercises of chapters {', '.join(sorted(chapters))}")
    master = load_master(known[chapters.pop()])
    cells, problems = {}, {}
    for gid in master.exercises:
        sources = found.get(gid, [])
        if not sources:
            problems[gid] = (f"the exercise cell `{gid}` is missing from the notebook "
                             "(deleted, or its metadata changed?)")
        elif len(sources) > 1:
            problems[gid] = (f"the exercise cell `{gid}` appears {len(sources)} times; "
                             "keep exactly one copy")
        else:
            cells[gid] = to_python(sources[0])
    return Submission(path, master, cells, problems)
