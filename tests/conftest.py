"""Shared fixtures and helpers for the course's own tests."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = ROOT / "solutions"
CHAPTERS = ROOT / "chapters"

# The grader's tests must run inside the real sandbox, never silently without it.
os.environ.setdefault("AUTOGRADER_REQUIRE_SANDBOX", "1")

# The CUDA tests are asked for on purpose (`make test-gpu` sets DLCOURSE_TEST_GPU=1); elsewhere
# they are not collected rather than skipped.
if os.environ.get("DLCOURSE_TEST_GPU") != "1":
    collect_ignore = ["test_gpu.py"]


def master_paths() -> list[Path]:
    return sorted(SOLUTIONS.glob("[0-9][0-9]_*.ipynb"))


def read_nb(path: Path) -> dict:
    return json.loads(Path(path).read_text())


def cell_by_grade_id(nb: dict, grade_id: str) -> dict:
    return next(c for c in nb["cells"]
                if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == grade_id)


def with_solution(master: Path, grade_id: str, source: str, out: Path) -> Path:
    """A copy of ``master`` whose solution cell ``grade_id`` holds ``source``."""
    nb = read_nb(master)
    cell_by_grade_id(nb, grade_id)["source"] = source
    out.write_text(json.dumps(nb))
    return out


@pytest.fixture(scope="session")
def masters() -> list[Path]:
    found = master_paths()
    assert found, "no master notebooks in solutions/"
    return found


def _normalise(text: str) -> str:
    return " ".join(text.split())


def solution_lines(master: Path, min_length: int = 16) -> set[str]:
    """The non-trivial lines of a master's solutions that the student version lacks.

    A line counts when, with whitespace collapsed, it is at least ``min_length``
    characters long and appears nowhere in the student notebook (so docstrings and
    signatures given to students are not counted).
    """
    student_text = _normalise("\n".join("".join(c["source"]) for c in
                                         read_nb(CHAPTERS / master.name)["cells"]))
    lines = set()
    for cell in read_nb(master)["cells"]:
        source = "".join(cell["source"])
        for block in source.split("### BEGIN SOLUTION")[1:]:
            for line in block.split("### END SOLUTION")[0].splitlines():
                line = _normalise(line)
                if len(line) >= min_length and line not in student_text and not line.startswith("#"):
                    lines.add(line)
    return lines


def leaked_lines(text: str, masters_: list[Path]) -> list[str]:
    """The solution lines of any master that occur in ``text``."""
    text = _normalise(text)
    return [line for m in masters_ for line in sorted(solution_lines(m)) if line in text]


# The test files that take longest start first, so that pytest-xdist (`make test` spreads whole
# files over the cores) does not end with one long file on one core and the others idle.
LONGEST_FIRST = ["test_grader_chapters.py", "test_figures.py", "test_browser.py", "test_site.py",
                 "test_hostile.py", "test_lib_rnn.py", "test_workflow.py", "test_lib_generative.py",
                 "test_batch.py", "test_release.py"]


def pytest_collection_modifyitems(items):
    def rank(item):
        name = item.path.name
        return LONGEST_FIRST.index(name) if name in LONGEST_FIRST else len(LONGEST_FIRST)
    items.sort(key=rank)  # stable: the order within a file is kept
