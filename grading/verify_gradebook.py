"""Check a merged gradebook against the collection before it is published.

    python grading/verify_gradebook.py --manifest collected/collection.csv --gradebook final/gradebook.csv

Every student collected must have exactly one row (a lost shard would otherwise publish a
gradebook that silently lacks students), no row may name a student who was not collected, and
where the gradebook records the commit it must be the one collected. Writes the Markdown for the
job summary (students, commits, deadline) to --summary when given. Exit status 1 on a mismatch.
"""
from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path


def problems(manifest: list[dict], gradebook: list[dict]) -> list[str]:
    found: dict[str, list[dict]] = {}
    for row in gradebook:
        found.setdefault(row.get("student", ""), []).append(row)
    out = []
    for m in manifest:
        rows = found.get(m["student"], [])
        if len(rows) != 1:
            out.append(f"{m['student']}: {len(rows)} rows in the gradebook (expected 1)")
        elif "commit" in rows[0] and (rows[0]["commit"] or "") != m["commit"]:
            out.append(f"{m['student']}: graded at {rows[0]['commit'] or 'no commit'}, "
                       f"collected at {m['commit'] or 'no commit'}")
    collected = {m["student"] for m in manifest}
    out += [f"{s}: in the gradebook but not collected" for s in found if s not in collected]
    return out


def summary(manifest: list[dict]) -> str:
    deadline = manifest[0]["deadline"] if manifest else "-"
    lines = [f"## Collected at {manifest[0]['collected_at'] if manifest else '-'}, deadline {deadline}",
             "", "| Student | Commit | Committed at | Notebooks | Note |", "|---|---|---|---|---|"]
    for m in manifest:
        note = m["note"].replace("|", "\\|")
        lines.append(f"| {m['student']} | `{m['commit'][:12] or '-'}` | {m['committed_at'] or '-'} "
                     f"| {len(m['notebooks'].split())} | {note} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--manifest", type=Path, required=True)
    parser.add_argument("--gradebook", type=Path, required=True)
    parser.add_argument("--summary", type=Path, help="append the collection table (Markdown) here")
    args = parser.parse_args(argv)
    manifest = list(csv.DictReader(args.manifest.open(newline="", encoding="utf-8")))
    gradebook = list(csv.DictReader(args.gradebook.open(newline="", encoding="utf-8")))
    found = problems(manifest, gradebook)
    if args.summary:
        with args.summary.open("a", encoding="utf-8") as f:
            f.write(summary(manifest))
    if found:
        print("verify_gradebook: the gradebook does not match the collection:", file=sys.stderr)
        for line in found:
            print(f"  {line}", file=sys.stderr)
        return 1
    print(f"gradebook verified: {len(manifest)} students, one row each"
          f"{', at the collected commits' if gradebook and 'commit' in gradebook[0] else ''}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
