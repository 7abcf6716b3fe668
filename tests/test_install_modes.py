"""The grader works whatever way the course is installed, and its worker imports exactly the
``dlcourse`` and ``autograder`` files the grader runs from (never another checkout's); when the
worker cannot start, one line says why and its error output is kept.

Each case copies the course's code into a temporary checkout, makes a fresh virtual environment
that reaches the shared one's packages (torch, pytest...) through a ``.pth`` file, and grades the
master of Chapter 2 from there: it must get full marks. A second, sabotaged checkout (its
``dlcourse`` and worker raise on import) stands for "another checkout": importing anything from
it fails the grading.
"""
from __future__ import annotations

import json
import os
import shutil
import site
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.slow
NOTEBOOK = "02_backprop.ipynb"
SABOTAGE = "raise ImportError('imported from the sabotaged checkout')\n"


def make_checkout(dest: Path, sabotage: str = "") -> Path:
    """The grader's code and masters; ``sabotage``: "all" or "worker" breaks it on import."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ("autograder", "dlcourse"):
        shutil.copytree(ROOT / name, dest / name, ignore=ignore)
    (dest / "solutions").mkdir()
    shutil.copy(ROOT / "solutions" / NOTEBOOK, dest / "solutions" / NOTEBOOK)
    shutil.copy(ROOT / "pyproject.toml", dest / "pyproject.toml")
    if sabotage:
        (dest / "autograder" / "worker.py").write_text(SABOTAGE)
    if sabotage == "all":
        for path in (dest / "dlcourse" / "__init__.py", dest / "autograder" / "grade.py"):
            path.write_text(SABOTAGE)
    return dest


def make_venv(dest: Path) -> Path:
    """A fresh environment without the course, reaching the shared packages by a .pth file."""
    base = getattr(sys, "_base_executable", sys.executable)
    subprocess.run([base, "-m", "venv", "--without-pip", str(dest)], check=True, timeout=300)
    shared = [p for p in site.getsitepackages() if Path(p).is_dir()]
    purelib = subprocess.run([str(dest / "bin" / "python"), "-c",
                              "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    Path(purelib, "shared-environment.pth").write_text("\n".join(shared) + "\n")
    return dest / "bin" / "python"


def pip_install(python: Path, checkout: Path, editable: bool) -> None:
    """Install the checkout into ``python``'s environment (offline, nothing else touched)."""
    cmd = [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet",
           "--no-deps", "--no-build-isolation", "--no-index", "--ignore-installed",
           *(["-e"] if editable else []), str(checkout)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600, cwd=checkout)
    assert proc.returncode == 0, proc.stderr[-3000:]


def grade(python: Path, notebook: Path, cwd: Path, pythonpath: str | None = None,
          solutions: Path | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONSTARTUP")}
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    out = cwd / "results.json"
    args = [str(python), "-m", "autograder", str(notebook), "--out", str(out), "--workers", "1"]
    if solutions:
        args += ["--solutions", str(solutions)]
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=900)


def full_marks(proc: subprocess.CompletedProcess, cwd: Path) -> None:
    assert proc.returncode == 0, proc.stderr[-3000:]
    data = json.loads((cwd / "results.json").read_text())
    assert data["tests"] and data["score"] == sum(t["max_score"] for t in data["tests"]), data
    assert "sabotaged" not in proc.stdout + proc.stderr


@pytest.fixture
def course(tmp_path):
    """This course's code in a checkout, a sabotaged other checkout, and a fresh environment."""
    here = make_checkout(tmp_path / "checkout")
    other = make_checkout(tmp_path / "other-checkout", sabotage="all")
    python = make_venv(tmp_path / "venv")
    work = tmp_path / "elsewhere"
    work.mkdir()
    return here, other, python, work


def test_editable_install_of_this_checkout(course):
    here, _, python, work = course
    pip_install(python, here, editable=True)
    full_marks(grade(python, here / "solutions" / NOTEBOOK, work), work)


def test_editable_install_of_another_checkout(course):
    """The environment's editable install points at the sabotaged checkout; the grader is run
    from this one (``python -m autograder`` in its folder) and never touches the other."""
    here, other, python, _ = course
    pip_install(python, other, editable=True)
    full_marks(grade(python, here / "solutions" / NOTEBOOK, here), here)


def test_plain_install(course):
    here, _, python, work = course
    pip_install(python, here, editable=False)
    shutil.rmtree(here / "autograder")  # the installed copy is all there is
    shutil.rmtree(here / "dlcourse")
    full_marks(grade(python, here / "solutions" / NOTEBOOK, work,
                     solutions=here / "solutions"), work)


def test_pythonpath_without_install(course):
    here, _, python, work = course
    full_marks(grade(python, here / "solutions" / NOTEBOOK, work, pythonpath=str(here)), work)


def test_pythonpath_wins_over_an_editable_install_of_another_checkout(course):
    here, other, python, work = course
    pip_install(python, other, editable=True)
    full_marks(grade(python, here / "solutions" / NOTEBOOK, work, pythonpath=str(here)), work)


def test_checkout_without_any_install(course):
    here, _, python, _ = course
    full_marks(grade(python, Path("solutions") / NOTEBOOK, here), here)


def test_a_worker_that_cannot_start_says_why_in_one_line(tmp_path):
    broken = make_checkout(tmp_path / "broken", sabotage="worker")
    proc = grade(Path(sys.executable), Path("solutions") / NOTEBOOK, broken)
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    line = lines[0]
    assert "the grading worker did not start" in line and "exited with status 1" in line
    assert "ImportError: imported from the sabotaged checkout" in line
    log = Path(line.rsplit("its error output: ", 1)[1].rstrip(")"))
    assert "Traceback" in log.read_text()  # the worker's stderr is kept
    log.unlink()
