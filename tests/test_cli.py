"""`python -m autograder`: reports, exit codes, and one clear line for bad input."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import CHAPTERS, ROOT, master_paths


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
