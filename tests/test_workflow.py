"""The ready CI workflow for graded repositories runs the grader the way the README says."""
from __future__ import annotations

import yaml

from tests.conftest import ROOT


def test_workflow_installs_grades_summarises_and_uploads():
    flow = yaml.safe_load((ROOT / "grading" / "grade-student-repository.yml").read_text())
    steps = flow["jobs"]["grade"]["steps"]
    text = "\n".join(str(s.get("run", "")) + str(s.get("uses", "")) for s in steps)
    assert "bubblewrap" in text and "pip install" in text and "-e course" in text
    assert "python -m autograder submission/chapters" in text
    for flag in ("--out", "--markdown", "--junit"):
        assert flag in text
    assert "GITHUB_STEP_SUMMARY" in text and "actions/upload-artifact" in text
    grade = next(s for s in steps if s.get("name") == "Grade")
    assert grade["env"]["AUTOGRADER_REQUIRE_SANDBOX"] == "1"
    assert all(s.get("with", {}).get("persist-credentials") is False
               for s in steps if s.get("uses", "").startswith("actions/checkout"))
