"""How fast is the grader? Prints wall times and ratios; asserts nothing.

    python benchmarks/grading_speed.py [--batch-size 20] [--workers 1,2,...] [--skip-nbgrader]
                                       [--repeat 3] [--wait-idle SECONDS]

1. One complete submission (the master of every chapter), graded by one ``python -m autograder``
   with its default ``--workers`` (the number of cores). Target: 8 s or less on an idle 2-core
   machine.
2. ``nbgrader autograde`` on the same complete submission, in the same run, and the ratio.
   nbgrader executes every cell of every notebook (training demos included) in the student's
   kernel; the autograder runs only set-up and solution cells. Target: 20x or more.
3. A batch of N complete submissions, ``--batch --workers W``, for W = 1, 2 and (where the
   machine has more cores) the number of cores: time and throughput. Target on 2 cores:
   2 workers take 0.6x the time of 1 worker or less.

The machine's load (other programs) is printed before and after: on a shared machine the
figures are slower than on an idle one.
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
ENV = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", "MPLBACKEND": "Agg",
       "OMP_NUM_THREADS": "1"}


def _cpu_ticks() -> tuple[int, int]:
    """(idle, total) clock ticks of all CPUs since boot, from /proc/stat."""
    with open("/proc/stat") as f:
        fields = [int(v) for v in f.readline().split()[1:]]
    return fields[3] + fields[4], sum(fields)


def busy_cpus(seconds: float = 1.0) -> float:
    """CPUs kept busy by everything on the machine over a short sample."""
    idle0, total0 = _cpu_ticks()
    time.sleep(seconds)
    idle1, total1 = _cpu_ticks()
    return (os.cpu_count() or 1) * (1 - (idle1 - idle0) / max(1, total1 - total0))


def wait_until_idle(limit_s: float, busy_below: float = 0.3) -> None:
    """Wait (at most ``limit_s``) until other programs leave the CPUs idle for a few seconds."""
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        if busy_cpus(3.0) < busy_below:
            return
        time.sleep(10)


def machine_state(label: str) -> None:
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"[{label}] load average {load}; CPUs busy right now: {busy_cpus():.2f} of "
          f"{os.cpu_count()}", flush=True)


def timed(cmd: list[str], cwd: Path = ROOT) -> tuple[float, float]:
    """Wall seconds and busy CPU-seconds of the whole machine meanwhile (the grader's, sandboxed
    workers included, when nothing else runs)."""
    idle0, total0 = _cpu_ticks()
    start = time.monotonic()
    proc = subprocess.run(cmd, cwd=cwd, env=ENV, capture_output=True, text=True)
    elapsed = time.monotonic() - start
    idle1, total1 = _cpu_ticks()
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(map(str, cmd))} failed:\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}")
    busy_ticks = (total1 - total0) - (idle1 - idle0)
    return elapsed, busy_ticks / os.sysconf("SC_CLK_TCK")


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
                        "--force", "--ExecutePreprocessor.timeout=600", *common], course)[0]
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-size", type=int, default=20)
    parser.add_argument("--workers", default=None,
                        help="comma-separated worker counts for the batch (default: 1,2 and the "
                             "number of cores if more)")
    parser.add_argument("--skip-nbgrader", action="store_true")
    parser.add_argument("--skip-batch", action="store_true")
    parser.add_argument("--repeat", type=int, default=3, help="runs of the single submission")
    parser.add_argument("--wait-idle", type=float, default=0, metavar="SECONDS",
                        help="before each measurement, wait up to this long for a quiet machine")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from autograder.parallel import available_cpus

    cores = available_cpus()
    counts = ([int(w) for w in args.workers.split(",")] if args.workers
              else sorted({1, 2, cores} if cores > 2 else {1, 2}))
    masters = sorted((ROOT / "solutions").glob("[0-9][0-9]_*.ipynb"))
    print(f"{len(masters)} chapters; {cores} CPU cores for the grader; python {sys.version.split()[0]}")
    machine_state("before")
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        work = Path(tmp)
        runs = []
        for _ in range(args.repeat):
            wait_until_idle(args.wait_idle)
            machine_state("one submission")
            runs.append(timed([sys.executable, "-m", "autograder", *map(str, masters)]))
        single, cpu = min(runs)
        print(f"one complete submission ({len(masters)} notebooks, --workers {cores}): "
              f"{single:6.1f} s wall, {cpu:.1f} s CPU  (target <= 8 s on an idle 2-core machine)"
              + (f"; best of {', '.join(f'{w:.1f}' for w, _ in runs)} s" if len(runs) > 1 else ""),
              flush=True)
        if not args.skip_nbgrader:
            wait_until_idle(args.wait_idle)
            machine_state("nbgrader")
            reference = nbgrader_autograde(masters, work)
            print(f"nbgrader autograde, same complete submission: {reference:6.1f} s "
                  f"(the autograder is {reference / single:.1f}x faster; target >= 20x)", flush=True)
        if not args.skip_batch:
            batch = work / "batch"
            for i in range(args.batch_size):
                (batch / f"student{i:02d}").mkdir(parents=True)
                for master in masters:
                    shutil.copy(master, batch / f"student{i:02d}" / master.name)
            times = {}
            for workers in counts:
                wait_until_idle(args.wait_idle)
                machine_state(f"batch, {workers} worker(s)")
                elapsed, cpu = timed([sys.executable, "-m", "autograder", "--batch", str(batch),
                                      "--workers", str(workers), "--reports",
                                      str(work / f"reports-{workers}")])
                times[workers] = elapsed
                print(f"batch of {args.batch_size} complete submissions, {workers} worker(s): "
                      f"{elapsed:6.1f} s wall, {cpu:.0f} s CPU, "
                      f"{args.batch_size / elapsed * 60:.1f} submissions per minute"
                      + (f"  ({elapsed / times[1]:.2f}x the time of 1 worker)"
                         if workers != 1 and 1 in times else ""), flush=True)
    machine_state("after")


if __name__ == "__main__":
    main()
