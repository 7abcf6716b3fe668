"""Drawing computational graphs with matplotlib alone (Chapter 2), no Graphviz needed.

A graph is given by its output node and a function that lists a node's inputs. The default
reads the attributes of a scalar autograd node in the style of Chapter 2's ``Value``: ``data``
(the forward value), ``grad`` (the gradient of the output), ``_prev`` (the inputs) and, when
present, ``_op`` (the operation's name) and ``label`` (a variable's name). Each edge carries the
value that flows forward along it (black, above) and the gradient that flows back along it
(red, below). Other graphs, such as the one PyTorch records in ``grad_fn``, are drawn by passing
``inputs`` and ``node_text`` and no edge labels.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import matplotlib.pyplot as plt


@dataclass(eq=False)
class GraphNode:
    """A node of a hand-built graph, with the attributes :func:`draw_graph` reads.

    ``label`` names a variable ("w0"); ``_op`` names the operation that made the node ("*").
    """
    data: float
    grad: float = 0.0
    _prev: tuple = ()
    _op: str = ""
    label: str = ""


@dataclass
class _Layout:
    nodes: list = field(default_factory=list)       # in post-order: inputs before users
    xy: dict = field(default_factory=dict)          # id(node) -> (column, row)


def _value_inputs(node) -> list:
    return list(getattr(node, "_prev", ()))


def _value_text(node) -> str:
    op = getattr(node, "_op", "") or ""
    label = getattr(node, "label", "") or ""
    if op:
        return op
    return label or f"{node.data:.3g}"


def _value_edge(node) -> tuple[str, str]:
    return f"{node.data:.3g}", f"{node.grad:.3g}"


def layout(root, inputs: Callable = _value_inputs) -> _Layout:
    """Place every node on a grid: the output in the last column, each input one column before
    the leftmost node that uses it. Column by column from the output, each node is wanted at
    the height of the nodes that use it (a node's inputs spread around it, in order), and the
    nodes of a column are then pushed apart to at least one row between them."""
    out = _Layout()
    seen: set[int] = set()

    def visit(node):
        if id(node) in seen:
            return
        seen.add(id(node))
        for child in inputs(node):
            visit(child)
        out.nodes.append(node)

    visit(root)
    order = {id(n): i for i, n in enumerate(out.nodes)}   # ties keep the inputs' order
    users: dict[int, list] = {id(n): [] for n in out.nodes}
    for node in out.nodes:
        kids = inputs(node)
        for rank, child in enumerate(kids):
            users[id(child)].append((node, rank - (len(kids) - 1) / 2))
    depth = {id(root): 0}
    for node in reversed(out.nodes):           # every user comes before its inputs here
        if id(node) != id(root):
            depth[id(node)] = 1 + max(depth[id(u)] for u, _ in users[id(node)])
    last = max(depth.values())
    columns: dict[int, list] = {}
    for node in reversed(out.nodes):
        columns.setdefault(depth[id(node)], []).append(node)
    row: dict[int, float] = {}
    for d in sorted(columns):                  # from the output leftwards
        wanted = {id(n): (sum(row[id(u)] + offset for u, offset in users[id(n)])
                          / len(users[id(n)]) if users[id(n)] else 0.0) for n in columns[d]}
        placed = sorted(columns[d], key=lambda n: (wanted[id(n)], order[id(n)]))
        rows = []
        for n in placed:
            rows.append(wanted[id(n)] if not rows else max(wanted[id(n)], rows[-1] + 1.0))
        shift = (sum(wanted.values()) - sum(rows)) / len(rows)
        for n, r in zip(placed, rows):
            row[id(n)] = r + shift
    for node in out.nodes:
        out.xy[id(node)] = (float(last - depth[id(node)]), -row[id(node)])
    return out


def draw_graph(root, ax=None, title: str | None = None, inputs: Callable = _value_inputs,
               node_text: Callable = _value_text, edge_text: Callable | None = _value_edge,
               output_edge: bool = True):
    """Draw the graph that ends in ``root``; return the axes.

    ``edge_text(node)`` gives the (forward, backward) texts written on the edges that leave
    ``node``; ``None`` leaves edges bare. With ``output_edge`` the output gets an edge of its own,
    so its value and its gradient (1 after ``backward()``) are shown too.
    """
    lay = layout(root, inputs)
    xs = [x for x, _ in lay.xy.values()]
    ys = [y for _, y in lay.xy.values()]
    if ax is None:
        width = 1.9 * (max(xs) - min(xs) + 1) + (1.5 if output_edge else 0.5)
        height = 0.9 * (max(ys) - min(ys) + 1) + 0.6
        _, ax = plt.subplots(figsize=(min(width, 14), min(max(height, 2.2), 9)))
    ax.set_xlim(min(xs) - 0.6, max(xs) + (1.9 if output_edge else 0.6))
    ax.set_ylim(min(ys) - 0.6, max(ys) + 0.6)
    ax.set_axis_off()
    scale = _points_per_unit(ax)
    sizes = {}
    for node in lay.nodes:
        x, y = lay.xy[id(node)]
        is_leaf = not inputs(node)
        text = node_text(node)
        circle = not is_leaf and len(text) <= 3    # circles only around short operator names
        sizes[id(node)] = _half_size(text, circle)
        ax.text(x, y, text, ha="center", va="center", fontsize=FONT_SIZE, zorder=3,
                bbox=dict(boxstyle="circle,pad=0.3" if circle else "round,pad=0.3",
                          fc="#f2f2f2" if is_leaf else "#dde8f7", ec="0.3"))
    for node in lay.nodes:
        for bend, child in _bends(inputs(node)):
            (x0, y0), (x1, y1) = lay.xy[id(child)], lay.xy[id(node)]
            if not bend and x1 - x0 > 1 and y0 != y1:
                bend = -0.15 if y1 > y0 else 0.15   # an edge past other columns bows outwards
            _edge(ax, (x0, y0), (x1, y1), sizes[id(child)], sizes[id(node)],
                  scale, edge_text(child) if edge_text else None, bend)
    if output_edge:
        x0, y0 = lay.xy[id(root)]
        ax.text(x0 + 1.05, y0, "output", ha="left", va="center", fontsize=9)
        _edge(ax, (x0, y0), (x0 + 1.0, y0), sizes[id(root)], (0.0, 0.0), scale,
              edge_text(root) if edge_text else None)
    if edge_text:
        ax.text(0.0, 0.0, "on each edge: value (forward pass) above, gradient of the output "
                "(backward pass) below, in red", transform=ax.transAxes, fontsize=8.5,
                color="0.3", ha="left", va="top")
    if title:
        ax.set_title(title)
    return ax


FONT_SIZE = 10


def _half_size(text: str, circle: bool) -> tuple[float, float]:
    """Half the width and height, in points, of a node's box (estimated from its text)."""
    width = 0.62 * FONT_SIZE * len(text) + 0.6 * FONT_SIZE
    height = 1.8 * FONT_SIZE
    if circle:
        return (max(width, height) / 2,) * 2
    return width / 2, height / 2


def _points_per_unit(ax) -> tuple[float, float]:
    """Points per data unit along x and y, from the axes' size and limits."""
    fig_w, fig_h = ax.figure.get_size_inches()
    box = ax.get_position()
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    return 72 * fig_w * box.width / (x1 - x0), 72 * fig_h * box.height / (y1 - y0)


def _to_border(half: tuple[float, float], ux: float, uy: float) -> float:
    """Distance in points from a box's centre to its border along the unit direction (ux, uy)."""
    w, h = half
    return min(w / abs(ux) if ux else math.inf, h / abs(uy) if uy else math.inf)


def _bends(nodes) -> list:
    """(bend, node) pairs: copies of one input (x * x uses x twice) bend apart symmetrically."""
    counts: dict[int, int] = {}
    for node in nodes:
        counts[id(node)] = counts.get(id(node), 0) + 1
    seen: dict[int, int] = {}
    out = []
    for node in nodes:
        k, m = seen.get(id(node), 0), counts[id(node)]
        seen[id(node)] = k + 1
        out.append((0.5 * (k - (m - 1) / 2), node))
    return out


def _edge(ax, start, end, half_a, half_b, scale, texts, bend: float = 0.0):
    """An arrow between two nodes' boxes, with the forward and backward texts at its middle."""
    dx, dy = end[0] - start[0], end[1] - start[1]
    px, py = dx * scale[0], dy * scale[1]
    norm = math.hypot(px, py)
    ux, uy = px / norm, py / norm
    ax.annotate("", xy=end, xytext=start, zorder=1,
                arrowprops=dict(arrowstyle="-|>", color="0.35", lw=1.0,
                                shrinkA=_to_border(half_a, ux, uy) + 1,
                                shrinkB=_to_border(half_b, ux, uy) + 1,
                                connectionstyle=f"arc3,rad={bend}"))
    if texts:
        forward, backward = texts
        # the middle of an arc3 curve lies half the bend times the chord's length off the chord
        mx = (start[0] + end[0]) / 2 + 0.5 * bend * py / scale[0]
        my = (start[1] + end[1]) / 2 - 0.5 * bend * px / scale[1]
        ax.text(mx, my + 0.07, forward, ha="center", va="bottom", fontsize=8.5, zorder=2)
        ax.text(mx, my - 0.07, backward, ha="center", va="top", fontsize=8.5, color="#c0392b",
                zorder=2)


def grad_fn_inputs(fn) -> list:
    """The nodes a PyTorch ``grad_fn`` node passes gradients to (its ``next_functions``)."""
    return [child for child, _ in fn.next_functions if child is not None]


def draw_torch_graph(out, ax=None, title: str | None = None):
    """Draw the graph PyTorch recorded for the tensor ``out``: its ``grad_fn`` and everything
    ``backward()`` would visit from there (``AccumulateGrad`` nodes write into leaves' ``.grad``).
    Node names drop PyTorch's suffix ``Backward0`` ("MulBackward0" is drawn as "Mul")."""
    return draw_graph(out.grad_fn, ax=ax, title=title, inputs=grad_fn_inputs,
                      node_text=lambda fn: type(fn).__name__.removesuffix("Backward0"),
                      edge_text=None, output_edge=False)
