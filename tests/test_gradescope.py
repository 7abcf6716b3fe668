"""The Gradescope package (``make gradescope``): what the zip holds, and ``run_autograder`` run
against a simulated ``/autograder`` (its root taken from ``AUTOGRADER_ROOT``): full marks for
the master, 0 points and the reason for an upload without a notebook, and, where the container
forbids bubblewrap, a hostile submission that can read neither the masters nor the results."""
from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from autograder.gradescope import build
from autograder.notebooks import load_master
from tests.conftest import SOLUTIONS, with_solution

pytestmark = pytest.mark.slow
MASTER = SOLUTIONS / "02_backprop.ipynb"


@pytest.fixture(scope="module")
def package(tmp_path_factory):
    return build(tmp_path_factory.mktemp("gradescope") / "autograder.zip")


def test_package_holds_the_scripts_the_course_and_the_hidden_tests(package):
    with zipfile.ZipFile(package) as archive:
        names = set(archive.namelist())
        modes = {i.filename: i.external_attr >> 16 for i in archive.infolist()}
        setup = archive.read("setup.sh").decode()
    assert {"setup.sh", "run_autograder", "requirements-grading.txt", "pyproject.toml"} <= names
    assert modes["setup.sh"] & stat.S_IXUSR and modes["run_autograder"] & stat.S_IXUSR
    assert "autograder/hidden_tests/test_ch02.py" in names and "autograder/mistakes/ch02.py" in names
    assert "dlcourse/checks/ch02.py" in names and f"solutions/{MASTER.name}" in names
    assert not any(n.startswith(("tests/", "chapters/")) or "__pycache__" in n for n in names)
    assert "download.pytorch.org/whl/cpu" in setup and "bubblewrap" in setup
    assert subprocess.run(["bash", "-n", "-c", setup]).returncode == 0
    assert build(package.with_name("again.zip")).read_bytes() == package.read_bytes()


def simulated_root(package: Path, tmp: Path, upload: dict[str, Path]) -> Path:
    """/autograder as Gradescope lays it out: source/ (the zip), submission/, results/."""
    root = tmp / "autograder"
    with zipfile.ZipFile(package) as archive:
        archive.extractall(root / "source")
    for info in zipfile.ZipFile(package).infolist():
        (root / "source" / info.filename).chmod((info.external_attr >> 16) & 0o777)
    for name, path in upload.items():
        (root / "submission" / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, root / "submission" / name)
    (root / "submission").mkdir(exist_ok=True)
    root.chmod(0o755)
    tmp.chmod(0o755)
    return root


def run_autograder(root: Path, **env) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    environment.update(AUTOGRADER_ROOT=str(root), AUTOGRADER_PYTHON=sys.executable, **env)
    return subprocess.run([str(root / "source" / "run_autograder")], env=environment,
                          capture_output=True, text=True, timeout=900)


def test_run_autograder_grades_the_upload(package, tmp_path):
    root = simulated_root(package, tmp_path, {
        f"homework/{MASTER.name}": MASTER,
        f"homework/.ipynb_checkpoints/{MASTER.stem}-checkpoint.ipynb": MASTER})
    proc = run_autograder(root)
    assert proc.returncode == 0, proc.stderr
    results = json.loads((root / "results" / "results.json").read_text())
    master = load_master(MASTER)
    assert results["score"] == sum(s.points for s in master.exercises.values())
    assert [t["number"] for t in results["tests"]] == [f"2.{i}" for i in range(1, len(master.exercises) + 1)]
    assert all(t["name"].startswith("Exercise 2.") and t["status"] == "passed" for t in results["tests"])
    assert (root / "results" / "feedback.md").read_text().startswith("# Feedback for ")


def test_upload_without_a_notebook_gets_zero_and_the_reason(package, tmp_path):
    essay = tmp_path / "essay.txt"
    essay.write_text("I did not do it")
    root = simulated_root(package, tmp_path, {"essay.txt": essay})
    proc = run_autograder(root)
    assert proc.returncode == 0, proc.stderr
    results = json.loads((root / "results" / "results.json").read_text())
    assert results["score"] == 0 and "could not be graded" in results["output"]
    assert "no .ipynb notebook" in results["output"]


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("setpriv"), reason="needs root")
def test_without_bubblewrap_the_student_cannot_read_masters_or_forge_results(package, tmp_path):
    victim = next(iter(load_master(MASTER).exercises))
    solution = load_master(MASTER).exercises[victim].solution
    source = tmp_path / "autograder" / "source"
    secrets = [source / "solutions" / MASTER.name, source / "autograder" / "hidden_tests" /
               "test_ch02.py", source / "autograder" / "grade.py"]
    attack = ("import json, os\n"
              f"for path in {[str(p) for p in secrets]!r}:\n"
              "    try:\n        open(path).read()\n        os._exit(7)\n"
              "    except OSError:\n        pass\n"
              f"for path in [{str(tmp_path / 'autograder' / 'results' / 'results.json')!r}]:\n"
              "    try:\n        json.dump({'score': 1000}, open(path, 'w'))\n"
              "    except OSError:\n        pass\n" + solution)
    notebook = with_solution(MASTER, victim, attack, tmp_path / MASTER.name)
    root = simulated_root(package, tmp_path, {MASTER.name: notebook})
    proc = run_autograder(root, AUTOGRADER_BWRAP="0", AUTOGRADER_REQUIRE_SANDBOX="0")
    assert proc.returncode == 0, proc.stderr
    results = json.loads((root / "results" / "results.json").read_text())
    assert results["score"] == sum(s.points for s in load_master(MASTER).exercises.values())
    assert all(t["status"] == "passed" for t in results["tests"]), results
