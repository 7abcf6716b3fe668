"""How fast is the reference ``conv2d`` of Chapter 4 next to PyTorch's ``F.conv2d``?

    .venv/bin/python benchmarks/conv2d_speed.py [--repeats N]

A maintainers' benchmark: it reads the master notebook, so it is not part of the student
bundle, and the chapter does not refer to it (its notebook times a Python loop over pixels
against ``F.conv2d`` instead, with ``dlcourse.cnn.time_convolutions``).

Loads the reference solution from the master notebook (the code cell whose nbgrader
``grade_id`` is ``ch04_conv2d``), executes it in a fresh namespace with ``torch`` and ``F``
imported, checks it against ``F.conv2d``, then times both on the CPU on a batch of 32 colour
32x32 images with sixteen 5x5 filters. Timings alternate between the two functions and the
best of many runs is reported (the least disturbed by other processes), with the medians for
reference. Target: the reference is within 5x of ``F.conv2d``.
"""
from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

ROOT = Path(__file__).resolve().parent.parent
MASTER = ROOT / "solutions" / "04_cnn.ipynb"
TARGET_RATIO = 5.0


def load_reference(grade_id: str = "ch04_conv2d", name: str = "conv2d"):
    """The master's solution cell of ``grade_id``, executed in a fresh namespace."""
    nb = json.loads(MASTER.read_text())
    for cell in nb["cells"]:
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == grade_id:
            source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            namespace = {"torch": torch, "F": F, "nn": nn}
            exec(compile(source, f"<reference {grade_id}>", "exec"), namespace)
            return namespace[name]
    raise SystemExit(f"no cell with grade_id {grade_id!r} in {MASTER}")


def time_pair(fns, repeats: int) -> list[list[float]]:
    """Run the functions alternately ``repeats`` times; return each one's timings in seconds."""
    times = [[] for _ in fns]
    for fn in fns:  # warm-up
        for _ in range(3):
            fn()
    for _ in range(repeats):
        for k, fn in enumerate(fns):
            start = time.perf_counter()
            fn()
            times[k].append(time.perf_counter() - start)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=200)
    args = parser.parse_args()

    conv2d = load_reference()
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(32, 3, 32, 32, generator=gen)
    w = torch.randn(16, 3, 5, 5, generator=gen)
    b = torch.randn(16, generator=gen)
    for s, p in [(1, 0), (1, 2), (2, 1)]:
        if not torch.allclose(conv2d(x, w, b, s, p), F.conv2d(x, w, b, stride=s, padding=p),
                              rtol=1e-4, atol=1e-4):
            raise SystemExit(f"the reference conv2d disagrees with F.conv2d (stride {s}, padding {p})")

    with torch.no_grad():
        ours, theirs = time_pair([lambda: conv2d(x, w, b, 1, 0), lambda: F.conv2d(x, w, b)],
                                 args.repeats)
    best_ratio = min(ours) / min(theirs)
    median_ratio = statistics.median(ours) / statistics.median(theirs)
    print(f"input 32x3x32x32, sixteen 5x5 filters, stride 1, no padding, CPU, "
          f"{torch.get_num_threads()} thread(s), {args.repeats} alternating runs")
    print(f"F.conv2d            best {min(theirs) * 1e3:8.3f} ms   median {statistics.median(theirs) * 1e3:8.3f} ms")
    print(f"reference conv2d    best {min(ours) * 1e3:8.3f} ms   median {statistics.median(ours) * 1e3:8.3f} ms")
    print(f"ratio (reference / F.conv2d): best {best_ratio:.2f}x, median {median_ratio:.2f}x "
          f"(target: within {TARGET_RATIO:g}x)")
    print("within target" if best_ratio <= TARGET_RATIO else "SLOWER THAN TARGET")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
