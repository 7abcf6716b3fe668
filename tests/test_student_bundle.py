"""`make student-bundle` ships no master, no hidden test and no line of solution code."""
from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT, leaked_lines, master_paths


def test_student_bundle_has_the_course_but_no_solutions_or_hidden_tests(tmp_path):
    out = tmp_path / "student-bundle"
    subprocess.run([sys.executable, "tools/student_bundle.py", str(out)], cwd=ROOT, check=True,
                   capture_output=True)
    files = [p for p in out.rglob("*") if p.is_file()]
    names = {p.relative_to(out).as_posix() for p in files}
    for master in master_paths():
        assert f"chapters/{master.name}" in names
    assert "dlcourse/checks/__init__.py" in names and "README.md" in names
    assert "notation.md" in names  # the chapters link to it
    assert (out / ".github/workflows/public-checks.yml").read_text() == \
        (ROOT / "grading/student-checks.yml").read_text()
    assert not any(n.startswith(("solutions/", "autograder/", "tests/")) for n in names)
    assert not any("hidden" in n or "mistakes" in n for n in names)
    text = "\n".join(p.read_text(errors="replace") for p in files)
    leaks = leaked_lines(text, master_paths())
    assert not leaks, f"solution lines in the student bundle: {leaks[:5]}"
    assert (tmp_path / "student-bundle.tar.gz").stat().st_size > 10_000
