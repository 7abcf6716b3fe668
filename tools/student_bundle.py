"""Build the student edition of the course into a folder (and a .tar.gz beside it).

    python tools/student_bundle.py OUT_DIR

It holds what a student needs and nothing an instructor must keep: the student
notebooks, the notation page they link to, the course library with its public
checks, the set-up files, a README, and the public-checks workflow
(``grading/student-checks.yml`` as ``.github/workflows/public-checks.yml``), so a
repository made from the bundle checks every push. No masters, no autograder, no
hidden tests.
"""
from __future__ import annotations

import shutil
import sys
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INCLUDE = ["chapters", "notation.md", "dlcourse", "requirements.txt", "pyproject.toml",
           "nbgrader_config.py"]
WORKFLOW = ("grading/student-checks.yml", ".github/workflows/public-checks.yml")
README = """# Deep Learning, Graded: student edition

    python3 -m venv .venv && .venv/bin/pip install -r requirements.txt && .venv/bin/pip install -e .
    .venv/bin/jupyter lab chapters/

Open a chapter, fill in every `# YOUR CODE HERE` stub, and run the check cell below it: it
answers *correct*, *incorrect* (with what was expected and what came back) or *not attempted*.
Your grade comes from the same checks plus hidden inputs, run by your instructor's autograder.
"""


def build(out: Path) -> Path:
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints")
    for name in INCLUDE:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, out / name, ignore=ignore)
        elif source.exists():
            shutil.copy2(source, out / name)
    (out / "README.md").write_text(README)
    workflow = out / WORKFLOW[1]
    workflow.parent.mkdir(parents=True)
    shutil.copy2(ROOT / WORKFLOW[0], workflow)
    archive = out.with_suffix(".tar.gz")
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(out, arcname=out.name)
    return archive


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    print(f"wrote {build(Path(sys.argv[1]).resolve())}")
