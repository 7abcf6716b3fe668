"""The website and JupyterLab in a real browser (issue 8).

* Every chapter page of ``_build/html`` (built by ``make book``), served on localhost, is loaded
  in headless Chromium with name resolution switched off (the site must work offline): no console
  errors, every image loaded, MathJax rendered the math, and the search page finds each chapter.
  A full-page screenshot of each page is saved in ``_build/screenshots/``.
* The instructor edition shows each reference solution in a toggle that starts collapsed.
* JupyterLab is started on localhost with a token; a student chapter is opened through the
  server's API and run by a kernel of that server: the check cell of an untouched stub answers
  "not attempted", and "correct" once the master's solution replaces the stub.
* Every student chapter, opened in JupyterLab with jupyterlab-myst, renders its markdown as the
  website does: each exercise is a box titled "Exercise N.k — ...", hints are collapsed
  dropdowns, math is typeset, and no cell shows MyST source (``:::{``, ``{footcite}``,
  ``:label:``, ``{ref}``). A screenshot of one exercise is saved as
  ``_build/screenshots/jupyterlab-exercise.png``.
"""
from __future__ import annotations

import base64
import json
import re
import shutil
import tempfile
import time
from pathlib import Path

import pytest

from tests.browser_support import (HTML, ROOT, SCREENSHOTS, JupyterLab, ServerKernel, chromium,
                                   chromium_missing, console_errors, ensure_instructor_build,
                                   serve_directory, toc_chapters, wait_for)

pytestmark = pytest.mark.browser

PAGES = ["intro"] + toc_chapters()


@pytest.fixture(scope="module")
def browser():
    why = chromium_missing()
    if why:
        pytest.fail(why)
    with chromium() as driver:
        yield driver


@pytest.fixture(scope="module")
def site():
    if not (HTML / "index.html").is_file():
        pytest.fail("no website in _build/html: run `make book` first (make test does)")
    with serve_directory(HTML) as url:
        yield url


def load(driver, url: str) -> None:
    console_errors(driver)  # drop what an earlier page left
    driver.get(url)
    wait_for(lambda: driver.execute_script("return document.readyState") == "complete", 60)


def mathjax_done(driver) -> dict:
    """Wait for MathJax's first typeset; return its version and the rendered elements."""
    return driver.execute_async_script("""
        const done = arguments[arguments.length - 1];
        const report = () => done({version: window.MathJax ? MathJax.version : null,
                                   rendered: document.querySelectorAll('mjx-container').length,
                                   errors: document.querySelectorAll('mjx-merror').length});
        const wait = (n) => {
            if (window.MathJax && MathJax.startup && MathJax.startup.promise)
                MathJax.startup.promise.then(report, report);
            else if (n > 0) setTimeout(() => wait(n - 1), 100);
            else report();
        };
        wait(300);
    """)


def images(driver) -> list[dict]:
    return driver.execute_script(
        "return Array.from(document.images).map(i => ({src: i.currentSrc || i.src, "
        "complete: i.complete, width: i.naturalWidth}));")


def full_page_screenshot(driver, path: Path) -> None:
    metrics = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})
    size = metrics.get("cssContentSize") or metrics["contentSize"]
    clip = {"x": 0, "y": 0, "width": size["width"], "height": min(size["height"], 20000), "scale": 1}
    shot = driver.execute_cdp_cmd("Page.captureScreenshot",
                                  {"format": "png", "captureBeyondViewport": True, "clip": clip})
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(base64.b64decode(shot["data"]))


@pytest.mark.parametrize("doc", PAGES)
def test_page_renders_offline(browser, site, doc):
    html = (HTML / f"{doc}.html").read_text(encoding="utf-8")
    load(browser, f"{site}/{doc}.html")
    math = mathjax_done(browser)
    assert math["version"] and math["version"].startswith("3."), "the local MathJax did not load"
    if 'class="math' in html:
        assert math["rendered"] > 0, "MathJax rendered no math"
        assert math["errors"] == 0, "MathJax could not render some TeX"
    imgs = wait_for(lambda: (lambda found: found if all(i["complete"] for i in found) else None)(images(browser)), 30)
    imgs = imgs if imgs is not None else images(browser)
    broken = [i["src"] for i in imgs if not i["complete"] or i["width"] == 0]
    assert not broken, f"images that did not load: {broken}"
    assert all(i["src"].startswith(site) or i["src"].startswith("data:") for i in imgs)
    shot = SCREENSHOTS / f"{doc.replace('/', '__')}.png"
    full_page_screenshot(browser, shot)
    assert shot.stat().st_size > 10_000
    errors = console_errors(browser)
    assert not errors, "console errors:\n" + "\n".join(errors)


def search_term(doc: str) -> str:
    """A word of the chapter's title, for the search test."""
    html = (HTML / f"{doc}.html").read_text(encoding="utf-8")
    title = re.sub(r"<[^>]+>", "", re.search(r"<h1[^>]*>(.*?)</h1>", html, re.S).group(1))
    words = [w for w in re.findall(r"[A-Za-z]{5,}", title) if w.lower() != "chapter"]
    return max(words, key=len)


@pytest.mark.parametrize("doc", toc_chapters())
def test_search_finds_the_chapter(browser, site, doc):
    term = search_term(doc)
    load(browser, f"{site}/search.html?q={term}")
    hrefs = wait_for(lambda: browser.execute_script(
        "const r = document.querySelector('#search-results');"
        "return r && /Search finished/.test(r.innerText) ? "
        "Array.from(r.querySelectorAll('a')).map(a => a.getAttribute('href')) : null;"), 30)
    assert hrefs is not None, "the search did not finish"
    assert any(h.split("#")[0].endswith(f"{doc}.html") for h in hrefs), (term, hrefs)
    errors = console_errors(browser)
    assert not errors, "console errors:\n" + "\n".join(errors)


def test_instructor_solutions_start_collapsed(browser):
    with_master = [d for d in toc_chapters() if (ROOT / "solutions" / f"{Path(d).name}.ipynb").is_file()]
    if not with_master:
        pytest.skip("no chapter with a master yet")
    html_dir = ensure_instructor_build()
    doc = with_master[0]
    with serve_directory(html_dir) as url:
        load(browser, f"{url}/{doc}.html")
        toggles = wait_for(lambda: browser.execute_script(
            "return Array.from(document.querySelectorAll('.dlcourse-solution'))"
            ".filter(e => e.classList.contains('toggle-hidden')).length"), 20)
        total = browser.execute_script("return document.querySelectorAll('.dlcourse-solution').length")
        assert total > 0 and toggles == total, "every reference solution starts collapsed"
        first = browser.find_element("css selector", ".dlcourse-solution")
        code = first.find_element("css selector", "pre")
        assert not code.is_displayed()
        first.find_element("css selector", "button.toggle-button").click()
        assert wait_for(code.is_displayed, 5), "the toggle does not open"
        assert "def " in code.text or "class " in code.text
        full_page_screenshot(browser, SCREENSHOTS / f"instructor__{Path(doc).name}.png")
        errors = console_errors(browser)
        assert not errors, "console errors:\n" + "\n".join(errors)


# --- JupyterLab ---

def lab_chapter() -> str:
    """The student chapter to run: chapter 1 when it exists, else the first released one."""
    found = sorted(p.stem for p in (ROOT / "chapters").glob("[0-9][0-9]_*.ipynb")
                   if (ROOT / "solutions" / p.name).is_file())
    if not found:
        pytest.skip("no released chapter yet")
    return "01_basics" if "01_basics" in found else found[0]


def code_of(cell) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


@pytest.mark.slow
@pytest.mark.timeout(1500)
def test_jupyterlab_runs_a_chapter_and_its_checks(browser):
    name = lab_chapter()
    master = json.loads((ROOT / "solutions" / f"{name}.ipynb").read_text(encoding="utf-8"))
    reference = {c["metadata"]["nbgrader"]["grade_id"]: code_of(c) for c in master["cells"]
                 if c["cell_type"] == "code" and c["metadata"].get("nbgrader", {}).get("solution")}
    with tempfile.TemporaryDirectory(prefix="lab-root-") as tmp:
        (Path(tmp) / "chapters").mkdir()
        shutil.copy(ROOT / "chapters" / f"{name}.ipynb", Path(tmp) / "chapters")
        lab = JupyterLab(Path(tmp))
        try:
            assert "JupyterLab" in lab.request("GET", "/lab", raw=True)
            model = lab.request("GET", f"/api/contents/chapters/{name}.ipynb?content=1")
            assert model["type"] == "notebook"
            cells = model["content"]["cells"]
            kernel = ServerKernel(lab, f"chapters/{name}.ipynb")
            verdicts = []
            try:
                for cell in cells:
                    if cell["cell_type"] != "code":
                        continue
                    meta = cell["metadata"].get("nbgrader", {})
                    tags = cell["metadata"].get("tags", [])
                    code = code_of(cell)
                    if meta.get("solution"):
                        grade_id = meta["grade_id"]
                        assert kernel.execute(code)["status"] == "ok", f"stub of {grade_id}"
                        stub_of = grade_id
                        continue
                    if meta.get("grade") and re.match(r"\s*check\(", code):
                        untouched = kernel.execute(code)
                        assert "[not attempted]" in untouched["text"], (stub_of, untouched)
                        assert untouched["status"] == "error"
                        solved = kernel.execute(reference[stub_of])
                        assert solved["status"] == "ok", (stub_of, solved["text"][-2000:])
                        done = kernel.execute(code)
                        assert "[correct]" in done["text"] and done["status"] == "ok", (stub_of, done)
                        verdicts.append(stub_of)
                        continue
                    if "skip-execution" in tags:
                        continue
                    result = kernel.execute(code)
                    assert result["status"] == "ok", (code[:200], result["text"][-2000:])
            finally:
                kernel.close()
            assert verdicts and set(verdicts) == set(reference), (verdicts, sorted(reference))
            # JupyterLab itself renders the notebook in the browser
            console_errors(browser)
            browser.get(f"{lab.url}/lab/tree/chapters/{name}.ipynb?token={lab.token}")
            # (JupyterLab 4 draws only the cells in view, so a few cells is the expectation)
            count = "return document.querySelectorAll('.jp-Notebook .jp-Cell').length"
            wait_for(lambda: browser.execute_script(count) >= min(3, len(cells)), 90)
            assert browser.execute_script(count) >= min(3, len(cells))
            assert wait_for(lambda: browser.execute_script(
                "return Array.from(document.querySelectorAll('.jp-Notebook .jp-MarkdownCell'))"
                ".some(e => e.innerText.trim().length > 0)"), 30), "the notebook's text is not shown"
            full_page_screenshot(browser, SCREENSHOTS / f"jupyterlab__{name}.png")
        finally:
            lab.stop()


# --- the student's JupyterLab renders MyST like the website (issue 13) ---

RAW_MYST = [":::{", "::::{", "```{", "{footcite}", "{cite", ":label:", "{ref}", "{numref}", "{eq}",
            "{dropdown}", "{admonition}"]
SCREENSHOT_EXERCISE = ("04_cnn", "Exercise 4.2")


def _markdown_cells(name: str) -> list[str]:
    nb = json.loads((ROOT / "chapters" / f"{name}.ipynb").read_text(encoding="utf-8"))
    return [code_of(c) for c in nb["cells"] if c["cell_type"] == "markdown"]


@pytest.fixture(scope="module")
def student_lab(tmp_path_factory):
    """JupyterLab on a copy of the student's notebooks, drawing every cell (no windowing).

    A copy, because JupyterLab may save a notebook it opened (its autosave), which must never
    change the committed ones.
    """
    root = tmp_path_factory.mktemp("student-lab")
    shutil.copytree(ROOT / "chapters", root / "chapters")
    shutil.copy(ROOT / "notation.md", root)
    lab = JupyterLab(root, settings={"@jupyterlab/notebook-extension:tracker": {"windowingMode": "none"}})
    try:
        yield lab
    finally:
        lab.stop()


RENDERED = """
    const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
    return Array.from(panel ? panel.querySelectorAll('.jp-MarkdownCell') : []).map(cell => {
        const out = cell.querySelector('.myst');
        return {myst: !!out, text: out ? out.innerText : cell.innerText,
                boxes: out ? Array.from(out.querySelectorAll('.myst-admonition-header-text'))
                                  .map(e => e.innerText.trim()) : [],
                details: out ? out.querySelectorAll('details').length : 0,
                math: out ? out.querySelectorAll('.katex').length : 0};
    });
"""


@pytest.mark.slow
@pytest.mark.timeout(900)
@pytest.mark.parametrize("name", [Path(d).name for d in toc_chapters()])
def test_jupyterlab_renders_the_chapter_like_the_book(browser, student_lab, name):
    from dlcourse.checks import exercises_of

    sources = _markdown_cells(name)
    # a workspace of its own, so that only this chapter is open
    browser.get(f"{student_lab.url}/lab/workspaces/render-{name}/tree/chapters/{name}.ipynb"
                f"?reset&token={student_lab.token}")
    cells = wait_for(lambda: (lambda r: r if len(r) == len(sources) and all(c["myst"] for c in r)
                              else None)(browser.execute_script(RENDERED)), 300)
    assert cells, "JupyterLab did not render every markdown cell with jupyterlab-myst"
    time.sleep(1)  # math and dropdowns settle
    cells = browser.execute_script(RENDERED)
    for i, cell in enumerate(cells):
        shown = [raw for raw in RAW_MYST if raw in cell["text"]]
        assert not shown, f"markdown cell {i} shows raw MyST {shown}: {cell['text'][:300]!r}"
    # (MyST prints Newton's with a typographic apostrophe, as the website does)
    boxes = [b.replace("\u2019", "'") for c in cells for b in c["boxes"] if b.startswith("Exercise ")]
    assert boxes == [e.title for e in exercises_of(f"ch{name[:2]}")]
    hints = sum(src.count(":::{dropdown}") for src in sources)
    assert sum(c["details"] for c in cells) == hints
    assert sum(c["math"] for c in cells) >= sum(src.count("$") // 2 for src in sources) // 2
    if name == SCREENSHOT_EXERCISE[0]:
        header = next(e for e in browser.find_elements(
            "css selector", ".myst-admonition-header-text") if e.text.startswith(SCREENSHOT_EXERCISE[1]))
        box = header.find_element("xpath", "./ancestor::div[contains(@class, 'jp-MarkdownCell')][1]")
        browser.execute_script("arguments[0].scrollIntoView({block: 'start'})", box)
        time.sleep(0.5)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        box.screenshot(str(SCREENSHOTS / "jupyterlab-exercise.png"))
        assert (SCREENSHOTS / "jupyterlab-exercise.png").stat().st_size > 10_000
