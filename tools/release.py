"""Generate the student notebooks from the masters with ``nbgrader generate_assignment``.

    python tools/release.py [--out DIR] [CHAPTER ...]

Each master ``solutions/NN_topic.ipynb`` is copied into a throw-away nbgrader
course directory, released there by nbgrader itself (solutions replaced by
stubs, hidden tests removed, cells locked, checksums computed), and the result
is written to ``chapters/NN_topic.ipynb`` (or ``DIR``). ``--check`` releases
into a temporary folder and fails if ``chapters/`` differs from it.
"""
from __future__ import annotations

import argparse
import filecmp
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def release_one(master: Path, out_dir: Path) -> Path:
    """Release one master notebook into ``out_dir`` and return the student notebook's path."""
    name = master.stem
    with tempfile.TemporaryDirectory(prefix="release-") as tmp:
        course = Path(tmp)
        (course / "source" / name).mkdir(parents=True)
        shutil.copy(master, course / "source" / name / master.name)
        bin_dir = str(Path(sys.executable).parent)  # nbgrader calls `alembic` from there
        env = {**os.environ, "PATH": bin_dir + os.pathsep + os.environ.get("PATH", "")}
        proc = subprocess.run(
            [os.path.join(bin_dir, "nbgrader"), "generate_assignment", name, "--force", "--log-level=WARN",
             f"--CourseDirectory.root={course}",
             f"--CourseDirectory.db_url=sqlite:///{course / 'gradebook.db'}"],
            capture_output=True, text=True, cwd=course, env=env)
        released = course / "release" / name / master.name
        if proc.returncode != 0 or not released.exists():
            raise SystemExit(f"nbgrader could not release {master}:\n{proc.stdout}{proc.stderr}")
        nb = json.loads(released.read_text())
        out_dir.mkdir(parents=True, exist_ok=True)
        target = out_dir / master.name
        target.write_text(json.dumps(nb, indent=1, ensure_ascii=False, sort_keys=True) + "\n")
        return target


def masters(selected: list[str]) -> list[Path]:
    """The master notebooks to release: all of ``solutions/``, or the chapters named."""
    found = sorted((ROOT / "solutions").glob("[0-9][0-9]_*.ipynb"))
    if selected:
        found = [m for m in found if m.stem in selected or m.stem[:2] in selected]
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("chapters", nargs="*", help="e.g. 01_basics or 01 (default: all)")
    parser.add_argument("--out", type=Path, default=ROOT / "chapters")
    parser.add_argument("--check", action="store_true",
                        help="fail if chapters/ is not what a release would produce")
    args = parser.parse_args()
    todo = masters(args.chapters)
    if not todo:
        raise SystemExit("no master notebooks found in solutions/")
    if not args.check:
        for master in todo:
            print(f"released {release_one(master, args.out).relative_to(ROOT)}")
        return 0
    stale = []
    with tempfile.TemporaryDirectory(prefix="release-check-") as tmp:
        for master in todo:
            fresh = release_one(master, Path(tmp))
            committed = ROOT / "chapters" / master.name
            if not committed.exists() or not filecmp.cmp(fresh, committed, shallow=False):
                stale.append(str(committed.relative_to(ROOT)))
    if stale:
        print("out of date with its master (run `make release`): " + ", ".join(stale))
        return 1
    print(f"{len(todo)} student notebook(s) match their masters")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    sys.exit(main())
