"""Build the autograder package Gradescope expects: ``python -m autograder.gradescope OUT.zip``
(``make gradescope`` writes ``_build/gradescope/autograder.zip``).

Upload the zip as a "Zip file upload" programming assignment (Ubuntu 22.04 base image). Inside:

- ``setup.sh``: run once when Gradescope builds the image: Python, bubblewrap, a virtual
  environment with the CPU build of PyTorch and the versions of the packages this course was
  tested with (``requirements-grading.txt``, written from the environment that built the zip);
- ``run_autograder``: run for every submission: grades the notebooks the student uploaded
  (found anywhere in the upload) and writes ``/autograder/results/results.json`` (one test per
  exercise, named ``Exercise 4.2 — ... (ch04_conv2d)`` and numbered ``4.2``) and
  ``feedback.md``; a submission that cannot be graded gets 0 points and the reason;
- the course: ``autograder/`` (with the hidden tests and the catalogue of mistakes),
  ``dlcourse/``, the master notebooks in ``solutions/``, ``pyproject.toml``.

``run_autograder`` reads ``AUTOGRADER_ROOT`` (default ``/autograder``) and ``AUTOGRADER_PYTHON``
(default the environment ``setup.sh`` made), so the same script runs against a simulated layout.
The masters, hidden tests and results are made readable by root only; where the container
forbids bubblewrap's namespaces the student's code runs as a user of its own (see
``autograder/isolation.py``), which cannot read them.
"""
from __future__ import annotations

import argparse
import stat
import sys
import zipfile
from importlib import metadata
from pathlib import Path

from autograder.isolation import code_root

GRADING_PACKAGES = ["numpy", "matplotlib", "scikit-learn", "mnist1d", "tqdm", "pytest",
                    "ipython"]

SETUP_SH = """#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder's image.
set -euo pipefail
ROOT="${AUTOGRADER_ROOT:-/autograder}"
SOURCE="$ROOT/source"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq python3 python3-venv python3-pip bubblewrap util-linux >/dev/null
python3 -m venv "$ROOT/venv"
"$ROOT/venv/bin/pip" install --quiet --upgrade pip
"$ROOT/venv/bin/pip" install --quiet --index-url https://download.pytorch.org/whl/cpu \\
    "torch==__TORCH__"
"$ROOT/venv/bin/pip" install --quiet -r "$SOURCE/requirements-grading.txt"
"$ROOT/venv/bin/python" -c "import torch, pytest, IPython; print('torch', torch.__version__)"
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Gradescope runs this for every submission, as root. It grades the notebooks the student
# uploaded and writes $ROOT/results/results.json (and feedback.md).
set -uo pipefail
ROOT="${AUTOGRADER_ROOT:-/autograder}"
SOURCE="$ROOT/source"
PYTHON="${AUTOGRADER_PYTHON:-$ROOT/venv/bin/python}"
mkdir -p "$ROOT/results"
# Masters, hidden tests and results: root only (the student's code never runs as root); the
# worker's own files and the course library stay readable, the folders above them passable.
chmod -R go-rwx "$SOURCE" "$ROOT/results" 2>/dev/null || true
chmod go+x "$SOURCE" "$SOURCE/autograder"
chmod -R go+rX "$SOURCE/dlcourse" "$SOURCE/autograder/__init__.py" \
    "$SOURCE/autograder/worker.py" "$SOURCE/autograder/protocol.py"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
# The notebooks of the upload, wherever the student put them (checkpoints left out).
find "$ROOT/submission" -name '*.ipynb' -not -path '*/.ipynb_checkpoints/*' -type f \\
    -exec cp -t "$WORK" {} + 2>/dev/null
cd "$SOURCE"
env -u PYTHONPATH PYTHONPATH="$SOURCE" OMP_NUM_THREADS=1 "$PYTHON" -m autograder "$WORK" \\
    --solutions "$SOURCE/solutions" --out "$ROOT/results/results.json" \\
    --markdown "$ROOT/results/feedback.md"
status=$?
# 0: graded; 2: the submission cannot be graded (results.json says why, with 0 points).
if [ "$status" -ne 0 ] && [ "$status" -ne 2 ]; then
    echo "run_autograder: the grader failed (exit status $status)" >&2
    exit "$status"
fi
exit 0
"""


def course_files(root: Path, solutions: Path) -> list[tuple[Path, str]]:
    """(file, name in the zip) for the course: grader, library, masters, project file."""
    files = []
    for package in ("autograder", "dlcourse"):
        for path in sorted((root / package).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
                files.append((path, path.relative_to(root).as_posix()))
    for path in sorted(solutions.glob("[0-9][0-9]_*.ipynb")):
        files.append((path, f"solutions/{path.name}"))
    files.append((root / "pyproject.toml", "pyproject.toml"))
    return files


def requirements() -> str:
    """The versions of the grading packages installed here (what the course was tested with)."""
    lines = []
    for name in GRADING_PACKAGES:
        try:
            lines.append(f"{name}=={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            lines.append(name)
    return "\n".join(lines) + "\n"


def _add(archive: zipfile.ZipFile, name: str, data: bytes, executable: bool = False) -> None:
    info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))  # the same zip every time
    info.compress_type = zipfile.ZIP_DEFLATED
    mode = 0o755 if executable else 0o644
    info.external_attr = (stat.S_IFREG | mode) << 16
    archive.writestr(info, data)


def build(out: Path, root: Path | None = None, solutions: Path | None = None) -> Path:
    root = Path(root or code_root())
    solutions = Path(solutions or root / "solutions")
    try:
        torch_version = metadata.version("torch").split("+")[0]
    except metadata.PackageNotFoundError:
        torch_version = "2.13.0"
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w") as archive:
        _add(archive, "setup.sh", SETUP_SH.replace("__TORCH__", torch_version).encode(), True)
        _add(archive, "run_autograder", RUN_AUTOGRADER.encode(), True)
        _add(archive, "requirements-grading.txt", requirements().encode())
        for path, name in course_files(root, solutions):
            _add(archive, name, path.read_bytes())
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder.gradescope",
                                     description="Build the Gradescope autograder zip.")
    parser.add_argument("out", type=Path, nargs="?",
                        default=Path("_build/gradescope/autograder.zip"))
    parser.add_argument("--solutions", type=Path, help="folder of master notebooks")
    args = parser.parse_args(argv)
    path = build(args.out, solutions=args.solutions)
    with zipfile.ZipFile(path) as archive:
        count = len(archive.namelist())
    print(f"wrote {path} ({count} files): upload it to Gradescope as the autograder")
    return 0


if __name__ == "__main__":
    sys.exit(main())
