"""`make release` is nbgrader's own generate_assignment, and chapters/ is up to date."""
from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import CHAPTERS, ROOT, master_paths, read_nb

pytestmark = pytest.mark.slow


def test_committed_student_notebooks_match_a_fresh_release():
    proc = subprocess.run([sys.executable, "tools/release.py", "--check"], cwd=ROOT,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("master", master_paths(), ids=lambda p: p.stem)
def test_student_notebook_has_stubs_and_no_solution_lines(master):
    student = read_nb(CHAPTERS / master.name)
    text = "\n".join("".join(c["source"]) for c in student["cells"])
    assert "### BEGIN SOLUTION" not in text
    assert text.count("raise NotImplementedError()") >= 4
    for cell in student["cells"]:
        nbg = cell["metadata"].get("nbgrader", {})
        if nbg.get("grade"):
            assert nbg.get("checksum") and cell["metadata"].get("editable") is False
