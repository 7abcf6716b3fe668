"""The built website (make book): every chapter rendered with prose, math, executed
demos and figures, and not one line of solution code."""
from __future__ import annotations

import pytest

from tests.conftest import ROOT, leaked_lines, master_paths

HTML = ROOT / "_build" / "html"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def pages():
    if not (HTML / "index.html").exists():
        pytest.fail("_build/html is missing: run `make book` first (make test does)")
    from bs4 import BeautifulSoup

    return {p.stem: BeautifulSoup((HTML / "chapters" / f"{p.stem}.html").read_text(), "html.parser")
            for p in master_paths()}


@pytest.mark.parametrize("master", master_paths(), ids=lambda p: p.stem)
def test_chapter_page_has_prose_math_figures_and_outputs(pages, master):
    page = pages[master.stem]
    body = page.select_one("article") or page
    assert len(body.get_text(" ").split()) > 1500, "too little prose"
    assert page.select(".math"), "no LaTeX math"
    figures = [img for img in page.select(".cell_output img") if img.get("src", "").startswith("../_images/")]
    assert len(figures) >= 3, "fewer than 3 executed figures"
    assert len(page.select(".cell_output")) >= 5, "demos were not executed"
    assert not page.select(".output.error, .output.traceback"), "an executed cell raised"


def test_no_solution_line_anywhere_in_the_site():
    files = sorted(HTML.rglob("*.html")) + sorted(HTML.rglob("*.ipynb")) + sorted(HTML.rglob("*.js"))
    assert files
    from bs4 import BeautifulSoup

    leaks = {}
    for path in files:
        raw = path.read_text(errors="replace")
        text = BeautifulSoup(raw, "html.parser").get_text(" ") if path.suffix == ".html" else raw
        found = leaked_lines(text, master_paths())
        if found:
            leaks[str(path.relative_to(HTML))] = found[:3]
    assert not leaks, f"solution code in the built site: {leaks}"
