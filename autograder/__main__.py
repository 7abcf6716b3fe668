"""Command line.

    python -m autograder PATH... [--out results.json]
    python -m autograder --batch DIR [--workers N] [--reports OUT]

PATH is a notebook or a folder of notebooks making up one submission. Exit
status 0 whenever a report was produced, whatever the score; 2 when the input
cannot be graded (missing path, not a notebook, not from this course); 1 when
the grader itself failed.
"""
from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

from autograder.grade import grade_notebook
from autograder.notebooks import InvalidSubmission
from autograder.report import gradescope, junit, markdown, table, write_json


def submission_notebooks(paths: list[Path]) -> list[Path]:
    """Expand folders into the notebooks they hold (checkpoints skipped)."""
    found = []
    for path in paths:
        if path.is_dir():
            notebooks = sorted(p for p in path.glob("*.ipynb"))
            if not notebooks:
                raise InvalidSubmission(f"{path}: folder holds no .ipynb notebook")
            found.extend(notebooks)
        elif path.exists() and path.suffix != ".ipynb":
            raise InvalidSubmission(f"{path}: not a notebook (expected a .ipynb file)")
        else:
            found.append(path)
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder", description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", type=Path, help="notebooks or folders of one submission")
    parser.add_argument("--out", type=Path, help="write Gradescope results.json here")
    parser.add_argument("--json", type=Path, help="write the detailed per-exercise results here")
    parser.add_argument("--markdown", type=Path, help="write Markdown feedback for the student here")
    parser.add_argument("--junit", type=Path, help="write JUnit XML here")
    parser.add_argument("--solutions", type=Path, help="folder of master notebooks (default: solutions/)")
    parser.add_argument("--batch", type=Path, help="grade every student (subfolder or notebook) in DIR")
    parser.add_argument("--workers", type=int, default=2, help="students graded at once (--batch)")
    parser.add_argument("--reports", type=Path, default=Path("grading-reports"),
                        help="where --batch writes its reports (default: grading-reports/)")
    args = parser.parse_args(argv)
    if args.batch:
        return batch_main(args)
    if not args.paths:
        parser.error("give a notebook, a folder, or --batch DIR")
    try:
        results = [grade_notebook(p, args.solutions) for p in submission_notebooks(args.paths)]
    except InvalidSubmission as exc:
        print(f"autograder: {exc}", file=sys.stderr)
        return 2
    print(table(results))
    if args.out:
        write_json(gradescope(results), args.out)
        print(f"wrote {args.out}")
    if args.json:
        write_json([dataclasses.asdict(r) for r in results], args.json)
    student = args.paths[0].resolve().name
    if args.markdown:
        args.markdown.parent.mkdir(parents=True, exist_ok=True)
        args.markdown.write_text(markdown(student, results))
    if args.junit:
        args.junit.parent.mkdir(parents=True, exist_ok=True)
        args.junit.write_text(junit({student: results}, {}))
    return 0


def batch_main(args) -> int:
    from autograder.batch import grade_batch

    if not args.batch.is_dir():
        print(f"autograder: {args.batch}: not a folder of submissions", file=sys.stderr)
        return 2
    outcomes = grade_batch(args.batch, args.reports, args.workers, args.solutions)
    for o in outcomes:
        score = sum(e.points for nb in o.results for e in nb.exercises)
        print(f"{o.student:<30} {score:>6g}  {o.status}{'  (' + o.reason + ')' if o.reason else ''}")
    print(f"wrote {args.reports}/gradebook.csv, junit.xml, summary.md and one folder per student")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:  # a fault of the grader, not of the submission
        print(f"autograder: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        sys.exit(1)
