"""`python -m autograder`: reports, exit codes, and one clear line for bad input."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from autograder.notebooks import load_master
from tests.conftest import CHAPTERS, ROOT, cell_by_grade_id, master_paths, read_nb


def run_cli(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "autograder", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=600)


@pytest.mark.parametrize("make_input, expected", [
    (lambda tmp: tmp / "nowhere.ipynb", "no such file"),
    (lambda tmp: (tmp / "essay.txt").write_text("hello") and tmp / "essay.txt", "not a notebook"),
    (lambda tmp: (tmp / "broken.ipynb").write_text("{\"cells\": [") and tmp / "broken.ipynb",
     "broken JSON"),
    (lambda tmp: (tmp / "other.ipynb").write_text(json.dumps(
        {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
            {"cell_type": "code", "source": "print(1)", "metadata": {}, "outputs": [],
             "execution_count": None}]})) and tmp / "other.ipynb", "not a notebook from this course"),
    (lambda tmp: (tmp / "empty").mkdir() or tmp / "empty", "holds no .ipynb"),
])
def test_bad_input_gets_one_clear_line_and_nonzero_exit(tmp_path, make_input, expected):
    proc = run_cli(make_input(tmp_path))
    assert proc.returncode == 2
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0], proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.slow
def test_master_report_table_and_gradescope_json(tmp_path):
    master = master_paths()[0]
    out = tmp_path / "results.json"
    proc = run_cli(master, "--out", out)
    assert proc.returncode == 0, proc.stderr
    assert "correct" in proc.stdout and "Score:" in proc.stdout
    data = json.loads(out.read_text())
    assert set(data) >= {"score", "tests"}
    assert data["score"] == sum(t["max_score"] for t in data["tests"]) > 0
    for test in data["tests"]:
        assert set(test) >= {"name", "score", "max_score", "status", "output"}
        assert test["status"] == "passed"


@pytest.mark.slow
def test_zero_score_is_still_exit_zero_and_folder_grades_every_notebook(tmp_path):
    student = CHAPTERS / master_paths()[0].name
    folder = tmp_path / "submission"
    folder.mkdir()
    (folder / student.name).write_bytes(student.read_bytes())
    proc = run_cli(folder, "--out", tmp_path / "r.json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads((tmp_path / "r.json").read_text())
    assert data["score"] == 0
    assert all(t["output"].startswith("not attempted") for t in data["tests"])


def test_one_thread_in_the_grader_unless_told(tmp_path):
    script = ("import os, autograder.__main__, torch; "
              "print(torch.get_num_threads(), os.environ['OMP_NUM_THREADS'])")
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_NUM_THREADS", "AUTOGRADER_THREADS")}
    plain = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True,
                           text=True, timeout=300)
    told = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True,
                          env={**env, "AUTOGRADER_THREADS": "2"}, timeout=300)
    assert plain.stdout.split() == ["1", "1"], plain.stderr
    assert told.stdout.split() == ["2", "2"], told.stderr


def test_workers_default_to_the_cpu_count():
    from autograder.parallel import available_cpus
    proc = run_cli("--help")
    assert proc.returncode == 0
    assert f"here {available_cpus()})" in " ".join(proc.stdout.split())


@pytest.mark.parametrize("args, expected", [
    (["--shard", "3/2", "--batch", "."], "K must be between 1 and N"),
    (["--shard", "half", "--batch", "."], "expected K/N"),
    (["--shard", "1/2", "x.ipynb"], "--shard needs --batch"),
])
def test_bad_shard_is_refused(args, expected):
    proc = run_cli(*args)
    assert proc.returncode == 2 and expected in proc.stderr


def test_merge_of_something_that_is_not_a_report_says_why(tmp_path):
    proc = run_cli("--merge", tmp_path, "--reports", tmp_path / "out")
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "cannot merge" in lines[0] and "outcomes.json" in lines[0]


@pytest.mark.slow
def test_worker_uses_one_thread_and_each_notebook_gets_a_progress_line(tmp_path):
    """Two notebooks, graded in parallel; the student's code checks its own thread count."""
    first, second = master_paths()[:2]
    nb = read_nb(first)
    gid = next(iter(load_master(first).exercises))
    cell = cell_by_grade_id(nb, gid)
    cell["source"] = ("import os, torch\n"
                      "assert torch.get_num_threads() == 1, torch.get_num_threads()\n"
                      "assert os.environ['OMP_NUM_THREADS'] == '1'\n" + "".join(cell["source"]))
    folder = tmp_path / "submission"
    folder.mkdir()
    (folder / first.name).write_text(json.dumps(nb))
    (folder / second.name).write_bytes(second.read_bytes())
    proc = run_cli(folder, "--workers", "2", "--out", tmp_path / "r.json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads((tmp_path / "r.json").read_text())
    assert data["score"] == sum(t["max_score"] for t in data["tests"])
    progress = [line for line in proc.stderr.splitlines() if line.startswith("graded ")]
    assert sorted(line.split(":")[0] for line in progress) == [f"graded {first.name}",
                                                                f"graded {second.name}"]
