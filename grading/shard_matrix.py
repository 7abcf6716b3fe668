"""The job matrix for grading in parallel: ``shards=[1, 2, ..., N]`` for $GITHUB_OUTPUT.

    python grading/shard_matrix.py --submissions collected/submissions --shards 4 >> "$GITHUB_OUTPUT"

N is the number of shards asked for, at most the number of students (so no job grades nobody)
and at most 20; each grading job then runs ``python -m autograder --batch DIR --shard K/N``.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

MAX_SHARDS = 20


def shards(submissions: Path, wanted: int) -> list[int]:
    students = sum(1 for p in submissions.iterdir()
                   if not p.name.startswith(".") and (p.is_dir() or p.suffix == ".ipynb"))
    return list(range(1, max(1, min(wanted, students, MAX_SHARDS)) + 1))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=Path, required=True)
    parser.add_argument("--shards", default="4", help="grading jobs wanted (default 4)")
    args = parser.parse_args(argv)
    try:
        wanted = int(args.shards or 4)
        if wanted < 1:
            raise ValueError
    except ValueError:
        print(f"shard_matrix: --shards {args.shards!r} is not a positive whole number", file=sys.stderr)
        return 2
    print(f"shards={json.dumps(shards(args.submissions, wanted))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
