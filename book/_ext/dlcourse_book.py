"""Sphinx extension of the course website (loaded from ``_config.yml``: ``sphinx.local_extensions``).

It does two things:

* **Offline math.** The MathJax 3 files of the PyPI package ``sphinx-mathjax-offline`` are added
  to ``html_static_path``, so they are copied to ``_build/html/_static/mathjax/`` and served with
  the site; ``_config.yml`` points ``mathjax_path`` at ``mathjax/tex-chtml.js``. No CDN is used.
* **Progress bars without a CDN.** ``tqdm.auto`` draws ipywidgets progress bars in executed
  notebooks; myst-nb would load the widget manager from a CDN to show them. Instead, each widget
  view is replaced at build time by static HTML drawn from the saved widget state (``<progress>``
  and its labels), and no widget JavaScript is added to the page.
* **No unused remote scripts.** sphinx-thebe's configuration script (which names a CDN URL and is
  emitted twice, a console error) is dropped from pages when Thebe is not enabled.
* **Exercise and prediction boxes.** Notebooks write an exercise as a plain titled admonition,
  ``:::{admonition} Exercise 4.2 — Title``, which reads well in JupyterLab (jupyterlab-myst) and
  in renderers without MyST; here it gets the class ``dlcourse-exercise`` (and a "Predict, then
  run" box ``dlcourse-predict``) for ``book/_static/dlcourse.css``.
* **Instructor edition.** When the configuration value ``dlcourse_edition`` is ``"instructor"``
  (``make book-instructor`` sets it, see ``book/build_instructor.py``), every exercise's solution
  cell of a student notebook ``chapters/NN_topic.ipynb`` is followed by a collapsed toggle
  ("Reference solution") holding the master's solution cell from ``solutions/NN_topic.ipynb``.
  The default edition (``"student"``) adds nothing: no solution reaches the public website.
"""
from __future__ import annotations

import html
import importlib.util
import json
import re
from pathlib import Path

from docutils import nodes

SOLUTION_MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")
TOGGLE_CLASS = "dlcourse-solution"


def mathjax_static_dir() -> Path:
    """The folder whose ``mathjax/`` sub-folder holds the MathJax distribution."""
    spec = importlib.util.find_spec("sphinx-mathjax-offline")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the package sphinx-mathjax-offline is missing: run `make book` "
                           "(it installs requirements.txt)")
    static = Path(list(spec.submodule_search_locations)[0]) / "static"
    if not (static / "mathjax" / "tex-chtml.js").is_file():
        raise RuntimeError(f"no MathJax in {static}")
    return static


def _add_static(app, config):
    """Serve MathJax and the course's own stylesheet (``book/_static``) with the site."""
    own = Path(__file__).resolve().parent.parent / "_static"
    config.html_static_path = list(config.html_static_path) + [str(mathjax_static_dir()), str(own)]


# --- ipywidgets (tqdm progress bars) as static HTML ---

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
_VIEW_RE = re.compile(r'<script type="application/vnd\.jupyter\.widget-view\+json">(.*?)</script>', re.S)


def render_widget(models: dict, model_id: str, depth: int = 0) -> str:
    """Static HTML for one widget of a saved widget state (boxes, HTML/labels, progress bars)."""
    model = models.get(model_id)
    if model is None or depth > 20:
        return ""
    name, state = model.get("model_name", ""), model.get("state", {})
    if name in ("HBoxModel", "VBoxModel", "BoxModel", "GridBoxModel"):
        direction = "column" if name == "VBoxModel" else "row"
        inner = "".join(render_widget(models, str(c).replace("IPY_MODEL_", ""), depth + 1)
                        for c in state.get("children", []))
        return (f'<div class="dlcourse-widget-box" style="display:flex;flex-direction:{direction};'
                f'align-items:center;gap:0.5em">{inner}</div>')
    if name == "HTMLModel":
        return f'<span class="dlcourse-widget-html">{state.get("value", "")}</span>'
    if name in ("LabelModel", "TextModel"):
        return f'<span class="dlcourse-widget-label">{html.escape(str(state.get("value", "")))}</span>'
    if name in ("FloatProgressModel", "IntProgressModel"):
        value, vmax = state.get("value", 0), state.get("max", 100)
        style = html.escape(str(state.get("bar_style", "") or ""))
        return (f'<progress class="dlcourse-widget-progress {style}" value="{value}" max="{vmax}" '
                f'style="width:20em">{value}/{vmax}</progress>')
    return ""


def _static_widgets(app, doctree):
    """Replace widget views by static HTML and drop myst-nb's widget scripts of this page."""
    js_files = getattr(app.env, "nb_metadata", {}).get(app.env.docname, {}).get("js_files", {})
    state_js = js_files.pop("ipywidgets_state", None)
    for key in [k for k in js_files if k.startswith("ipywidgets_")]:
        del js_files[key]
    models = {}
    if state_js is not None:
        models = json.loads(state_js[1].get("body", "{}")).get("state", {})
    for raw in list(doctree.findall(nodes.raw)):
        match = _VIEW_RE.search(raw.astext())
        if not match:
            continue
        view = json.loads(match.group(1))
        if isinstance(view, str):
            view = json.loads(view)
        static = render_widget(models, view.get("model_id", ""))
        raw.replace_self(nodes.raw("", f'<div class="dlcourse-widget">{static}</div>', format="html"))


def _drop_thebe_scripts(app, pagename, templatename, context, doctree):
    """Remove sphinx-thebe's scripts when Thebe is not enabled (it never is offline)."""
    launch = (app.config.html_theme_options or {}).get("launch_buttons", {}) or {}
    if launch.get("thebe"):
        return
    scripts = context.get("script_files")
    if not scripts:
        return
    def is_thebe(js):
        body = getattr(js, "attributes", {}).get("body", "") if not isinstance(js, str) else ""
        return "THEBE_JS_URL" in body or str(getattr(js, "filename", js)).endswith("sphinx-thebe.js")
    scripts[:] = [js for js in scripts if not is_thebe(js)]


# --- exercise and prediction boxes ---

BOX_CLASSES = {"Exercise ": "dlcourse-exercise", "Predict, then run": "dlcourse-predict"}


def _box_classes(app, doctree):
    """Add a class to admonitions whose title marks them as an exercise or a prediction."""
    for box in doctree.findall(nodes.admonition):
        titles = [c for c in box.children if isinstance(c, nodes.title)]
        if not titles:
            continue
        text = titles[0].astext()
        for prefix, cls in BOX_CLASSES.items():
            if text.startswith(prefix) and cls not in box["classes"]:
                box["classes"].append(cls)


# --- instructor edition ---

def master_solutions(master: Path) -> dict[str, str]:
    """``grade_id`` -> source of the master's solution cell, without the nbgrader markers."""
    nb = json.loads(master.read_text(encoding="utf-8"))
    found = {}
    for cell in nb["cells"]:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell.get("cell_type") == "code" and meta.get("solution") and meta.get("grade_id"):
            source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            lines = [ln for ln in source.splitlines() if ln.strip() not in SOLUTION_MARKERS]
            found[meta["grade_id"]] = "\n".join(lines).strip("\n")
    return found


def solution_toggle(grade_id: str, source: str) -> nodes.admonition:
    """A collapsed admonition (sphinx-togglebutton's ``dropdown`` class) with the code."""
    box = nodes.admonition(classes=["dropdown", TOGGLE_CLASS], ids=[f"solution-{grade_id}"])
    box += nodes.title(text=f"Reference solution ({grade_id})")
    code = nodes.literal_block(source, source, language="python")
    box += code
    return box


def _add_solutions(app, doctree):
    if app.config.dlcourse_edition != "instructor":
        return
    docname = app.env.docname
    if not docname.startswith("chapters/"):
        return
    master = Path(app.srcdir) / "solutions" / (Path(docname).name + ".ipynb")
    if not master.is_file():
        return
    app.env.note_dependency(str(master))
    solutions = master_solutions(master)
    for cell in list(doctree.findall(nodes.container)):
        if cell.get("nb_element") != "cell_code":
            continue
        meta = (cell.get("cell_metadata") or {}).get("nbgrader", {})
        grade_id = meta.get("grade_id")
        if meta.get("solution") and grade_id in solutions:
            cell.parent.insert(cell.parent.index(cell) + 1, solution_toggle(grade_id, solutions[grade_id]))


def setup(app):
    app.add_config_value("dlcourse_edition", "student", "env", [str])
    app.connect("config-inited", _add_static)
    app.connect("doctree-read", _static_widgets)
    app.connect("doctree-read", _add_solutions)
    app.connect("doctree-read", _box_classes)
    app.add_css_file("dlcourse.css")
    app.connect("html-page-context", _drop_thebe_scripts)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
