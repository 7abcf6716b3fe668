"""A chapter notebook on a busy machine: how many threads the set-up cell picks, and what it costs.

    python benchmarks/chapter_contention.py [CHAPTER]     (default: 01_basics)

Runs the master notebook ``solutions/CHAPTER.ipynb`` top to bottom three times and prints the
wall-clock time of each:

1. idle, with the thread count the set-up cell's ``use_available_cpus()`` picks;
2. beside one busy process per CPU (a shared JupyterHub node, a laptop compiling), again with
   the set-up cell's choice;
3. the same contention with PyTorch's default (one thread per CPU), for comparison.

The target (issue 13): run 2 within 2x of run 1. ``OMP_NUM_THREADS`` is removed from the
kernels' environment, since an explicit value would override the set-up cell's choice.
"""
from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
THREADS_PROBE = "print('threads:', torch.get_num_threads())"


@contextlib.contextmanager
def busy_cpus(count: int):
    """``count`` processes that keep one CPU each busy until the block ends."""
    procs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(count)]
    time.sleep(1.0)
    try:
        yield
    finally:
        for proc in procs:
            proc.kill()
            proc.wait()


def run_notebook(path: Path, env: dict[str, str]) -> tuple[float, str]:
    """Execute the notebook in a fresh kernel with ``env`` added; (seconds, threads used)."""
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(THREADS_PROBE))
    saved = dict(os.environ)
    os.environ.pop("OMP_NUM_THREADS", None)
    os.environ.update(env)
    try:
        client = NotebookClient(nb, timeout=900, kernel_name="python3",
                                resources={"metadata": {"path": str(path.parent)}})
        start = time.perf_counter()
        client.execute()
        seconds = time.perf_counter() - start
    finally:
        os.environ.clear()
        os.environ.update(saved)
    threads = "".join(o.get("text", "") for o in nb.cells[-1].outputs).split(":")[-1].strip()
    return seconds, threads


def main() -> None:
    chapter = sys.argv[1] if len(sys.argv) > 1 else "01_basics"
    path = ROOT / "solutions" / f"{chapter}.ipynb"
    cpus = os.cpu_count() or 1
    rows = []
    seconds, threads = run_notebook(path, {})
    rows.append(("idle, set-up cell's choice", threads, seconds))
    with busy_cpus(cpus):
        seconds, threads = run_notebook(path, {})
        rows.append((f"{cpus} busy processes, set-up cell's choice", threads, seconds))
        seconds, threads = run_notebook(path, {"DLCOURSE_NUM_THREADS": str(cpus)})
        rows.append((f"{cpus} busy processes, one thread per CPU", threads, seconds))
    print(f"{chapter} on {cpus} CPUs")
    for label, threads, seconds in rows:
        print(f"  {label:<42} threads {threads:>2}   {seconds:7.1f} s")
    ratio = rows[1][2] / rows[0][2]
    print(f"  contention / idle with the set-up cell's choice: {ratio:.2f}x (target <= 2x)")


if __name__ == "__main__":
    main()
