"""Command line.

    python -m autograder PATH... [--out results.json] [--workers N]
    python -m autograder --batch DIR [--workers N] [--reports OUT] [--shard K/N]
    python -m autograder --merge OUT1 OUT2 ... --reports FINAL

PATH is a notebook or a folder of notebooks making up one submission. Exit
status 0 whenever a report was produced, whatever the score; 2 when the input
cannot be graded (missing path, not a notebook, not from this course); 1 when
the grader itself failed.
"""
from __future__ import annotations

# Before anything imports PyTorch: every process the grader starts uses one intra-op thread
# unless AUTOGRADER_THREADS says otherwise, and grades on the CPU (as its workers do), so
# that reference outputs are the same on every machine and no GPU state is forked.
import os  # noqa: E402

from autograder.parallel import available_cpus, limit_threads

limit_threads()
os.environ["DLCOURSE_DEVICE"] = "cpu"

import argparse  # noqa: E402
import dataclasses  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

from autograder.notebooks import InvalidSubmission, submission_notebooks  # noqa: E402


def shard_arg(text: str) -> tuple[int, int]:
    try:
        k, n = (int(x) for x in text.split("/"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: expected K/N, e.g. 2/4") from None
    if not 1 <= k <= n:
        raise argparse.ArgumentTypeError(f"{text!r}: K must be between 1 and N")
    return k, n


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m autograder", description=__doc__.splitlines()[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog="\n".join(__doc__.splitlines()[2:5]))
    p.add_argument("paths", nargs="*", type=Path, help="notebooks or folders of one submission")
    p.add_argument("--out", type=Path, help="write Gradescope results.json here")
    p.add_argument("--json", type=Path, help="write the detailed per-exercise results here")
    p.add_argument("--markdown", type=Path, help="write Markdown feedback for the student here")
    p.add_argument("--junit", type=Path, help="write JUnit XML here")
    p.add_argument("--solutions", type=Path, help="folder of master notebooks (default: solutions/)")
    p.add_argument("--workers", type=int, default=available_cpus(),
                   help="grading processes at once: notebooks of a submission, or students of "
                        "a batch (default: the number of CPU cores, here %(default)s)")
    p.add_argument("--batch", type=Path, help="grade every student (subfolder or notebook) in DIR")
    p.add_argument("--shard", type=shard_arg, metavar="K/N",
                   help="with --batch: grade only the K-th of N equal parts of the class")
    p.add_argument("--merge", type=Path, nargs="+", metavar="REPORTS",
                   help="combine the --reports folders of shard runs into --reports")
    p.add_argument("--reports", type=Path, default=Path("grading-reports"),
                   help="where --batch and --merge write their reports (default: grading-reports/)")
    p.add_argument("--similarity-threshold", type=float, default=None,
                   help="flag pairs of solutions at least this similar (0-1; default 0.7)")
    return p


def invalid(args, exc: InvalidSubmission) -> int:
    """The submission cannot be graded: say why (and in the reports asked for, with 0 points)."""
    print(f"autograder: {exc}", file=sys.stderr)
    reason = str(exc)
    for path in args.paths:
        reason = reason.replace(str(path.parent) + "/", "") if str(path.parent) != "." else reason
    if args.out:
        from autograder.report import write_json
        write_json({"score": 0, "tests": [],
                    "output": f"Your submission could not be graded: {reason}"}, args.out)
    if args.markdown:
        from autograder.report import markdown
        args.markdown.parent.mkdir(parents=True, exist_ok=True)
        args.markdown.write_text(markdown(args.paths[0].resolve().name, [], "invalid", reason))
    return 2


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    workers = max(1, args.workers)
    if args.merge:
        from autograder.batch import merge_main
        return merge_main(args)
    if args.batch:
        from autograder.batch import batch_main
        return batch_main(args, workers)
    if args.shard:
        parser().error("--shard needs --batch DIR")
    if not args.paths:
        parser().error("give a notebook, a folder, --batch DIR or --merge REPORTS...")
    try:
        notebooks = submission_notebooks(args.paths)
    except InvalidSubmission as exc:
        return invalid(args, exc)
    from autograder.parallel import spawn_workers

    # The workers import PyTorch while this process does.
    spawned = spawn_workers(min(workers, len(notebooks)))
    try:
        from autograder.grade import GraderFault
        from autograder.notebooks import load_submission
        from autograder.parallel import grade_notebooks
        from autograder.report import gradescope, junit, markdown, table, write_json

        try:
            submissions = [load_submission(p, args.solutions) for p in notebooks]
        except InvalidSubmission as exc:
            return invalid(args, exc)

        def progress(i, result, seconds):
            print(f"graded {Path(result.path).name}: {result.points:g}/{result.max_points:g} "
                  f"in {seconds:.1f} s", file=sys.stderr, flush=True)

        start = time.monotonic()
        try:
            results = grade_notebooks(submissions, workers, spawned, on_result=progress)
        except GraderFault as exc:
            print(f"autograder: the grader could not grade this submission: {exc}",
                  file=sys.stderr)
            return 1
    finally:
        for worker in spawned:
            worker.stop()
    print(f"{len(results)} notebook(s) graded in {time.monotonic() - start:.1f} s",
          file=sys.stderr)
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


def exit_now(code: int) -> None:
    """Exit without tearing down the interpreter (with PyTorch loaded that takes most of a
    second, a tenth of grading a whole submission); exit handlers still run."""
    import atexit

    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except OSError:  # e.g. a closed pipe
            pass
    atexit._run_exitfuncs()
    os._exit(code)


if __name__ == "__main__":
    try:
        code = main()
    except KeyboardInterrupt:
        code = 130
    except Exception as exc:  # a fault of the grader, not of the submission
        print(f"autograder: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        code = 1
    exit_now(code)
