"""Every master runs top to bottom without an error, within its time, and every figure it shows
has a title, axis labels, and a legend when it has several lines.

This is the one run of the masters in `make test` (the website runs the student notebooks).
Each master gets a first cell that wraps matplotlib's figure rendering: every figure displayed
is inspected as it is drawn; the run's wall time is printed at the end of the session. Axes that only show images (axis turned off)
need no labels, colour bars are not plot axes, panels sharing an axis may label it once, and
one legend may serve a row of panels drawing the same series.
"""
from __future__ import annotations

import json
import time

import nbformat
import pytest
from nbclient import NotebookClient

from tests.conftest import master_paths

pytestmark = pytest.mark.slow

INSPECT = r'''
import matplotlib
from matplotlib.backend_bases import FigureCanvasBase
_figure_problems = []

def _inspect(fig):
    suptitle = fig._suptitle.get_text() if fig._suptitle else ""
    for i, ax in enumerate(fig.axes):
        if not ax.axison or hasattr(ax, "_colorbar") or ax.get_label() == "<colorbar>":
            continue
        name = f"figure {fig.number}, axes {i}"
        if not (ax.get_title() or ax.get_title("left") or suptitle):
            _figure_problems.append(f"{name}: no title")
        # a label on any axes sharing this axis counts (shared-axis panels label it once)
        xlabel = any(a.get_xlabel() for a in ax.get_shared_x_axes().get_siblings(ax))
        ylabel = hasattr(ax, "get_zlabel") or any(
            a.get_ylabel() for a in ax.get_shared_y_axes().get_siblings(ax))
        if not (xlabel and ylabel) and not ax.images:
            _figure_problems.append(f"{name} ({ax.get_title()!r}): missing axis label")
        labelled = [a for a in (*ax.get_lines(), *ax.collections) if not a.get_label().startswith("_")]
        if len(labelled) > 1:
            # one legend may explain a row of panels that draw the same series
            if not fig.legends and not any(a.get_legend() for a in fig.axes):
                _figure_problems.append(f"{name} ({ax.get_title()!r}): several labelled lines, no legend")

_print_figure = FigureCanvasBase.print_figure

def _checked_print_figure(self, *args, **kwargs):
    _inspect(self.figure)
    return _print_figure(self, *args, **kwargs)

FigureCanvasBase.print_figure = _checked_print_figure
'''


def figure_problems(nb, cwd) -> tuple[list[str], int]:
    """Run ``nb`` with figure inspection; return the problems found and the figures shown."""
    nb.cells.insert(0, nbformat.v4.new_code_cell(INSPECT))
    nb.cells.append(nbformat.v4.new_code_cell("import json; print(json.dumps(_figure_problems))"))
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(cwd)}}).execute()
    problems = json.loads(nb.cells[-1].outputs[0]["text"])
    displayed = sum(o.get("output_type") == "display_data" and "image/png" in o.get("data", {})
                    for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    return problems, displayed


@pytest.mark.timeout(900)
@pytest.mark.parametrize("master", master_paths(), ids=lambda p: p.stem)
def test_master_runs_and_every_figure_is_titled_labelled_and_has_a_legend(master, record_property):
    start = time.perf_counter()
    problems, displayed = figure_problems(nbformat.read(master, as_version=4), master.parent.parent)
    record_property("notebook_seconds", (f"solutions/{master.name}", time.perf_counter() - start))
    assert displayed >= 3, f"only {displayed} figures shown"
    assert not problems, "\n".join(problems)


def test_the_inspection_catches_an_unlabelled_figure(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(
        "%matplotlib inline\nimport matplotlib.pyplot as plt\n"
        "fig, ax = plt.subplots()\nax.plot([0, 1], label='a')\nax.plot([1, 0], label='b')\nplt.show()")]
    problems, displayed = figure_problems(nb, tmp_path)
    assert displayed == 1
    assert any("no title" in p for p in problems)
    assert any("axis label" in p for p in problems)
    assert any("no legend" in p for p in problems)
