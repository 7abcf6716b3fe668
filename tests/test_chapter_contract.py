"""What every chapter's markdown must hold, so that it reads the same on the website, in
JupyterLab (jupyterlab-myst) and in renderers without MyST (GitHub, Colab, VS Code), and so that
no run-dependent number in the prose goes untested.

- Each exercise is a markdown cell of its own that starts with
  ``:::{admonition} Exercise N.k — Title``, the title that ``dlcourse.checks`` registers (the
  number is the exercise's position in the chapter), placed before its solution cell, followed
  in the same cell by one or two collapsed hints (``:::{dropdown} Hint 1``).
- At least three "Predict, then run" boxes per chapter, each with its answer in a dropdown.
- No markup that one of the renderers shows raw: citation roles, ``{exercise}``, ``:label:``.
  Papers are cited in plain text, "(LeCun et al., 1998)"; the References cell is generated.
- The chapter links to the notation page.
- Every number in the prose is registered in ``tests/claims/chNN.py``: measured (with the library
  test that asserts it) or not run-dependent (a published figure, a property of the math).
"""
from __future__ import annotations

import importlib
import re
import sys

import pytest

from autograder.notebooks import load_master
from dlcourse.checks import exercises_of
from tests.conftest import ROOT, master_paths, read_nb

sys.path.insert(0, str(ROOT / "tools"))
import references  # noqa: E402  (tools/references.py)

RAW_MYST = ["{footcite}", "{footbibliography}", "{cite", "{exercise}", ":label:", "{bibliography}"]
EXERCISE_BOX = re.compile(r"^:::\{admonition\} (Exercise \d+\.\d+ — .+)$", re.M)
HINT = re.compile(r"^:::\{dropdown\} Hint (\d)\s*$", re.M)
PREDICT = re.compile(r"^::::\{admonition\} Predict, then run\s*$(.*?)^::::\s*$", re.M | re.S)
# a decimal, a thousands-separated count, a percentage or a factor ("2.2×"; not "3 × 3")
NUMBER = re.compile(r"(?<![\w.,\\^_{])(\d{1,3}(?:,\d{3})+(?![\d,])|\d+(?:\.\d+)?)(?:\s?(%|×)(?!\s*\d))?")


def _src(cell) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def _markdown(nb) -> list[str]:
    return [_src(c) for c in nb["cells"] if c["cell_type"] == "markdown"]


def _chapter(master) -> str:
    return f"ch{master.name[:2]}"


MASTERS = master_paths()


@pytest.mark.parametrize("master", MASTERS, ids=lambda p: p.stem)
def test_exercise_boxes_carry_number_and_title_before_their_solution(master):
    nb = read_nb(master)
    exercises = exercises_of(_chapter(master))
    found = []
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "markdown":
            continue
        titles = EXERCISE_BOX.findall(_src(cell))
        if not titles:
            continue
        assert len(titles) == 1 and _src(cell).startswith(":::{admonition} Exercise"), \
            f"cell {i}: an exercise box must start its own markdown cell"
        solution = next((c for c in nb["cells"][i + 1:] if c["cell_type"] == "code"
                         and c["metadata"].get("nbgrader", {}).get("solution")), None)
        assert solution is not None, f"cell {i}: no solution cell after {titles[0]!r}"
        found.append((titles[0], solution["metadata"]["nbgrader"]["grade_id"]))
    assert found == [(ex.title, ex.grade_id) for ex in exercises], \
        "exercise boxes (title, next solution cell) differ from the registered exercises, in order"


@pytest.mark.parametrize("master", MASTERS, ids=lambda p: p.stem)
def test_every_exercise_offers_one_or_two_hints(master):
    nb = read_nb(master)
    for text in _markdown(nb):
        titles = EXERCISE_BOX.findall(text)
        if titles:
            hints = [int(n) for n in HINT.findall(text)]
            assert hints in ([1], [1, 2]), f"{titles[0]}: hints numbered {hints}, expected 1 or 1, 2"


@pytest.mark.parametrize("master", MASTERS, ids=lambda p: p.stem)
def test_at_least_three_predict_then_run_questions_with_collapsed_answers(master):
    boxes = [b for text in _markdown(read_nb(master)) for b in PREDICT.findall(text)]
    assert len(boxes) >= 3, f"{len(boxes)} 'Predict, then run' boxes"
    for body in boxes:
        assert re.search(r"^:::\{dropdown\} Answer\s*$", body, re.M), "a prediction without an answer"


@pytest.mark.parametrize("master", MASTERS, ids=lambda p: p.stem)
def test_no_markup_that_a_renderer_shows_raw(master):
    for i, text in enumerate(_markdown(read_nb(master))):
        for raw in RAW_MYST:
            assert raw not in text, f"markdown cell {i} uses {raw}"


@pytest.mark.parametrize("master", MASTERS, ids=lambda p: p.stem)
def test_links_to_the_notation_page(master):
    assert "](../notation.md)" in _markdown(read_nb(master))[0]


def test_reference_lists_are_generated_from_the_bib_file():
    assert references.main(["--check"]) == 0


def test_citation_labels_are_unambiguous():
    refs = references.bibliography()
    labels = [(r.label, r.year) for r in refs]
    assert len(labels) == len(set(labels)), "two entries cite as the same 'Author, Year'"


# --- claims ---

def _prose_numbers(master) -> set[str]:
    """Numbers written in the chapter's prose (code spans and the reference list left out)."""
    found = set()
    for text in _markdown(read_nb(master)):
        if text.startswith(references.HEADING):
            continue
        text = re.sub(r"`[^`]*`|Exercise \d+\.\d+", " ", text)
        for number, unit in NUMBER.findall(text):
            if unit or "." in number or "," in number:
                found.add(f"{number} {unit}" if unit else number)
    return found


def _claims(master):
    return importlib.import_module(f"tests.claims.{_chapter(master)}")


@pytest.mark.parametrize("master", MASTERS, ids=lambda p: p.stem)
def test_every_number_in_the_prose_is_registered(master):
    claims = _claims(master)
    registered = {c.text for c in claims.MEASURED} | set(claims.NOT_RUN_DEPENDENT)
    unregistered = sorted(_prose_numbers(master) - registered)
    assert not unregistered, (f"numbers in the prose of {master.name} that tests/claims/"
                              f"{_chapter(master)}.py does not list: {unregistered}")
    stale = sorted(registered - _prose_numbers(master))
    assert not stale, f"tests/claims/{_chapter(master)}.py lists numbers the prose no longer has: {stale}"


@pytest.mark.parametrize("master", MASTERS, ids=lambda p: p.stem)
def test_every_measured_claim_names_an_existing_test(master):
    for claim in _claims(master).MEASURED:
        path, _, name = claim.test.partition("::")
        source = (ROOT / "tests" / path).read_text()
        assert re.search(rf"^def {re.escape(name)}\(", source, re.M), \
            f"{claim.text!r}: no test {claim.test}"
