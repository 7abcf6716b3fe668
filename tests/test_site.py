"""The website's configuration and built HTML (issue 8), without a browser.

The HTML checks read ``_build/html`` (``make test`` builds it first with ``make book``); the
instructor edition is built here with ``book/build_instructor.py`` (``make book-instructor``).
``tests/test_browser.py`` loads the same pages in headless Chromium.
"""
from __future__ import annotations

import html
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.browser_support import HTML, ROOT, ensure_instructor_build, repository_url, toc_chapters

CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
VENV_BIN = str(Path(sys.executable).parent)


def notebook(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def source(cell) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def install_cell_text() -> str:
    """The install cell, as written once in AUTHORING.md."""
    text = (ROOT / "AUTHORING.md").read_text(encoding="utf-8")
    section = text.split("## The install cell", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1).rstrip("\n")


def masters() -> list[Path]:
    return sorted((ROOT / "solutions").glob("[0-9][0-9]_*.ipynb"))


# --- configuration ---

def test_repository_url_is_one_setting():
    url = CONFIG["repository"]["url"]
    assert url.startswith("https://github.com/")
    assert (ROOT / "_config.yml").read_text().count(url) == 1, "write the repository URL once"
    launch = CONFIG["launch_buttons"]
    for key in ("binderhub_url", "colab_url", "jupyterhub_url"):
        assert launch.get(key, "").startswith("https://"), key
    assert not any(v for k, v in launch.items() if "url" in k and url in str(v))


def test_mathjax_is_served_with_the_site():
    path = CONFIG["sphinx"]["config"]["mathjax_path"]
    assert not re.match(r"(https?:)?//", path), "mathjax_path must be a local file"
    sys.path.insert(0, str(ROOT / "book" / "_ext"))
    try:
        from dlcourse_book import mathjax_static_dir
    finally:
        sys.path.pop(0)
    assert (mathjax_static_dir() / path).is_file()


def test_install_cell_text_names_the_repository():
    cell = install_cell_text()
    assert len(cell.splitlines()) <= 4
    assert f'git+{repository_url()}"' in cell
    assert cell.startswith("try:\n    import dlcourse\n")


@pytest.mark.parametrize("path", masters() + sorted((ROOT / "chapters").glob("[0-9][0-9]_*.ipynb")),
                         ids=lambda p: f"{p.parent.name}/{p.name}")
def test_first_code_cell_installs_the_course_when_missing(path):
    cells = [c for c in notebook(path)["cells"] if c["cell_type"] == "code"]
    assert cells, "no code cell"
    first = cells[0]
    assert source(first).rstrip("\n") == install_cell_text(), (
        f"{path.name}: the first code cell must be AUTHORING.md's install cell, verbatim")
    assert "remove-cell" in first.get("metadata", {}).get("tags", [])


# --- the built website (make book) ---

def built_pages() -> list[str]:
    return toc_chapters()


@pytest.fixture(scope="module")
def html_dir() -> Path:
    if not (HTML / "index.html").is_file():
        pytest.fail("no website in _build/html: run `make book` first (make test does)")
    return HTML


REMOTE_RESOURCE = re.compile(
    r'<(?:img|script|iframe|source|video|audio|embed)\b[^>]*\bsrc="(?:https?:)?//'
    r'|<link\b[^>]*\brel="(?:stylesheet|icon|preload|modulepreload)"[^>]*\bhref="(?:https?:)?//'
    r'|<link\b[^>]*\bhref="(?:https?:)?//[^"]*"[^>]*\brel="(?:stylesheet|icon|preload|modulepreload)"'
    r'|url\((?:["\'])?(?:https?:)?//', re.I)


@pytest.mark.slow
@pytest.mark.parametrize("doc", built_pages())
def test_chapter_page(html_dir, doc):
    page = html_dir / f"{doc}.html"
    assert page.is_file(), f"{doc} is in _toc.yml but was not built"
    text = page.read_text(encoding="utf-8")
    remote = REMOTE_RESOURCE.findall(text)
    assert not remote, f"{doc} loads resources from the network: {remote[:3]}"
    assert "cdn.jsdelivr" not in text and "unpkg.com" not in text and "cdnjs" not in text
    # math: the local MathJax
    scripts = re.findall(r'<script[^>]*src="([^"]*mathjax[^"]*)"', text)
    assert scripts and all(s.startswith("../_static/mathjax/") for s in scripts), scripts
    assert (html_dir / "_static" / "mathjax" / "tex-chtml.js").is_file()
    assert (html_dir / "_static" / "mathjax" / "output" / "chtml" / "fonts" / "woff-v2").is_dir()
    # launch buttons and the download button, from the one repository URL
    repo = repository_url().removesuffix("/")
    org_repo = repo.removeprefix("https://github.com/")
    nb_path = f"{doc}.ipynb"
    branch = CONFIG["repository"].get("branch", "main")
    assert f"colab.research.google.com/github/{org_repo}/blob/{branch}/{nb_path}" in text
    assert f"mybinder.org/v2/gh/{org_repo}/{branch}?urlpath=lab/tree/{nb_path}" in text
    assert CONFIG["launch_buttons"]["jupyterhub_url"] + "/hub/user-redirect/git-pull?" in text
    assert f'href="../_sources/{nb_path}"' in text
    assert (html_dir / "_sources" / nb_path).is_file()
    # every exercise of the master is an exercise box with its number and title
    master = ROOT / "solutions" / f"{Path(doc).name}.ipynb"
    if master.is_file():
        from dlcourse.checks import exercises_of

        # (Sphinx's smart quotes print Newton's as Newton’s)
        plain = text.replace("\u2019", "'").replace("\u201c", '"').replace("\u201d", '"')
        for ex in exercises_of(f"ch{Path(doc).name[:2]}"):
            assert html.escape(ex.title, quote=False) in plain, f"no box titled {ex.title!r}"
        assert text.count("dlcourse-exercise") == len(exercises_of(f"ch{Path(doc).name[:2]}"))
    # no solution in the public website
    assert "dlcourse-solution" not in text and "### BEGIN SOLUTION" not in text


@pytest.mark.slow
def test_search_index_covers_every_chapter(html_dir):
    index = (html_dir / "searchindex.js").read_text(encoding="utf-8")
    for doc in built_pages():
        assert f'"{doc}"' in index, f"{doc} is not in the search index"
    assert (html_dir / "search.html").is_file()


# --- the instructor edition (make book-instructor) ---

@pytest.fixture(scope="module")
def instructor_html(html_dir) -> Path:
    return ensure_instructor_build()


def solution_lines(master: Path) -> dict[str, list[str]]:
    """grade_id -> the non-trivial lines between the nbgrader solution markers."""
    found = {}
    for cell in notebook(master)["cells"]:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell["cell_type"] == "code" and meta.get("solution"):
            body = source(cell).split("### BEGIN SOLUTION", 1)[-1].split("### END SOLUTION", 1)[0]
            found[meta["grade_id"]] = [ln.strip() for ln in body.splitlines()
                                       if len(ln.strip()) > 12 and not ln.strip().startswith("#")]
    return found


def visible_text(html: str) -> str:
    import html as html_lib
    return html_lib.unescape(re.sub(r"<[^>]+>", "", html))


@pytest.mark.slow
@pytest.mark.parametrize("doc", built_pages())
def test_instructor_edition_shows_each_solution_in_a_collapsed_toggle(instructor_html, doc):
    master = ROOT / "solutions" / f"{Path(doc).name}.ipynb"
    if not master.is_file():
        pytest.skip(f"no master for {doc}")
    text = (instructor_html / f"{doc}.html").read_text(encoding="utf-8")
    public = (HTML / f"{doc}.html").read_text(encoding="utf-8")
    solutions = solution_lines(master)
    assert solutions, f"{master.name} has no solution cells"
    for grade_id, lines in solutions.items():
        match = re.search(rf'<div class="([^"]*)" id="solution-{grade_id}">(.*?)</div>\s*</div>', text, re.S)
        assert match, f"no reference-solution toggle for {grade_id}"
        assert {"dropdown", "dlcourse-solution"} <= set(match.group(1).split()), match.group(1)
        body = visible_text(match.group(2))
        assert f"Reference solution ({grade_id})" in body
        for line in lines:
            assert line in body, f"{grade_id}: solution line missing from the toggle: {line!r}"
        # the toggle follows the exercise's stub and precedes its check cell
        assert text.find(f"{grade_id}", match.end()) > match.end(), grade_id
    assert "dlcourse-solution" not in public


# --- nbgrader's Validate, as a student runs it (make lab's button, or the command) ---

@pytest.mark.slow
@pytest.mark.timeout(900)
def test_nbgrader_validate_runs_the_checks_of_an_untouched_chapter():
    student = ROOT / "chapters" / "01_basics.ipynb"
    if not student.is_file():
        pytest.skip("chapters/01_basics.ipynb does not exist yet")
    n_checks = sum(1 for c in notebook(student)["cells"]
                   if c["cell_type"] == "code" and c["metadata"].get("nbgrader", {}).get("grade")
                   and not c["metadata"]["nbgrader"].get("solution"))
    env = {**os.environ, "PATH": VENV_BIN + os.pathsep + os.environ.get("PATH", "")}
    proc = subprocess.run(["nbgrader", "validate", "chapters/01_basics.ipynb"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=850)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-3000:]
    # every check cell ran (nbgrader_config.py) and reports the untouched stub
    assert f"VALIDATION FAILED ON {n_checks} CELL(S)!" in out, out[-3000:]
    assert out.count("[not attempted]") == n_checks, out[-3000:]
