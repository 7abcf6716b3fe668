"""How fast is the grader? Prints wall times; asserts nothing.

    python benchmarks/grading_speed.py [--batch-size 20] [--workers 2] [--skip-nbgrader]

1. One complete submission: the master of every chapter, graded by one
   ``python -m autograder`` process (target: 60 s or less).
2. A batch of N students (each the complete submission), ``--batch --workers W``.
3. ``nbgrader autograde`` on the same complete submission, and the ratio. nbgrader
   executes every cell of every notebook (training demos included) in the
   student's kernel; the autograder runs only set-up and solution cells.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
ENV = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", "MPLBACKEND": "Agg"}


def timed(cmd: list[str], cwd: Path = ROOT) -> float:
    start = time.monotonic()
    proc = subprocess.run(cmd, cwd=cwd, env=ENV, capture_output=True, text=True)
    elapsed = time.monotonic() - start
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}")
    return elapsed


def nbgrader_autograde(masters: list[Path], work: Path) -> float:
    """Release each chapter with nbgrader, submit the masters as student s1, autograde all."""
    course = work / "nbgrader-course"
    db = f"sqlite:///{course / 'gradebook.db'}"
    common = [f"--CourseDirectory.root={course}", f"--CourseDirectory.db_url={db}", "--log-level=ERROR"]
    for master in masters:
        (course / "source" / master.stem).mkdir(parents=True)
        shutil.copy(master, course / "source" / master.stem / master.name)
        timed([str(BIN / "nbgrader"), "generate_assignment", master.stem, "--force", *common], course)
        submitted = course / "submitted" / "s1" / master.stem
        submitted.mkdir(parents=True)
        shutil.copy(master, submitted / master.name)
    timed([str(BIN / "nbgrader"), "db", "student", "add", "s1", *common], course)
    total = 0.0
    for master in masters:
        total += timed([str(BIN / "nbgrader"), "autograde", master.stem, "--student", "s1",
                        "--force", "--ExecutePreprocessor.timeout=600", *common], course)
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-size", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--skip-nbgrader", action="store_true")
    args = parser.parse_args()
    masters = sorted((ROOT / "solutions").glob("[0-9][0-9]_*.ipynb"))
    print(f"{len(masters)} chapters on {os.cpu_count()} CPU cores")
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        work = Path(tmp)
        single = timed([sys.executable, "-m", "autograder", *map(str, masters)])
        print(f"one complete submission ({len(masters)} notebooks): {single:6.1f} s  (target <= 60 s)")
        batch = work / "batch"
        for i in range(args.batch_size):
            (batch / f"student{i:02d}").mkdir(parents=True)
            for master in masters:
                shutil.copy(master, batch / f"student{i:02d}" / master.name)
        many = timed([sys.executable, "-m", "autograder", "--batch", str(batch),
                      "--workers", str(args.workers), "--reports", str(work / "reports")])
        print(f"batch of {args.batch_size} complete submissions, {args.workers} workers: {many:6.1f} s "
              f"({many / args.batch_size:.1f} s per student)")
        if not args.skip_nbgrader:
            reference = nbgrader_autograde(masters, work)
            print(f"nbgrader autograde, same complete submission: {reference:6.1f} s "
                  f"(autograder is {reference / single:.1f}x faster)")


if __name__ == "__main__":
    main()
