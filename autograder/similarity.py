"""Similar solutions across a class, per exercise, with ``copydetect``.

For every exercise, each student's solution cell is tokenised and normalised by copydetect
(names become ``V``, function names ``F``, strings ``S``, comments and layout dropped), so renamed
variables and re-spaced code do not hide a copy; its k-gram fingerprints are winnowed, which
keeps most of them when lines are reordered. What every student was given is excluded: the lines
of the exercise's stub (signature, docstring, comments) wherever the student kept them, its
fingerprints, and the fingerprints shared by more than half of the class (the idioms every correct answer uses; in classes of more than ten students). Pairs whose overlap covers at least the
threshold of either solution are listed, side by side with the shared code highlighted.

The report is for an instructor to read; it never changes a score.
"""
from __future__ import annotations

import contextlib
import csv
import difflib
import html
import io
import itertools
import re
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

DEFAULT_THRESHOLD = 0.7
K = 12                # characters of normalised code per fingerprint
WINDOW = 3            # winnowing window
MIN_TOKENS = 30       # solutions shorter than this (normalised, stub removed) are not compared
COMMON_SHARE = 0.5    # fingerprints in more than this share of the class count as given
COMMON_MIN = 10       # ... and in more than this many students (a small class has no "usual")
_SOLUTION = re.compile(r"^([ \t]*)### BEGIN SOLUTION[^\n]*\n.*?^[ \t]*### END SOLUTION[^\n]*$",
                       re.S | re.M)


def own_lines(code: str, stub: str) -> str:
    """The lines of ``code`` the student wrote: those of the given stub (signature, docstring,
    comments) left out, wherever the student kept them."""
    given = stub.splitlines()
    lines = code.splitlines()
    matcher = difflib.SequenceMatcher(None, given, lines, autojunk=False)
    kept = []
    for tag, _, _, j1, j2 in matcher.get_opcodes():
        if tag in ("replace", "insert"):
            kept += lines[j1:j2]
    return "\n".join(line for line in kept if line.strip()) + "\n"


def stub_of(master_source: str) -> str:
    """The cell students were given: the master's with each solution region cleared."""
    return _SOLUTION.sub(lambda m: f"{m.group(1)}# YOUR CODE HERE\n{m.group(1)}"
                                   "raise NotImplementedError()", master_source)


@contextlib.contextmanager
def _stable_hashes():
    """copydetect hashes k-grams with Python's ``hash``, which changes from run to run; a CRC
    makes the report the same every time it is made (and the same from merged shards)."""
    from copydetect import utils

    original = utils.hashed_kgrams

    def hashed_kgrams(string, k):
        return np.array([zlib.crc32(string[i:i + k].encode()) for i in range(len(string) - k + 1)],
                        dtype=np.int64)

    utils.hashed_kgrams = hashed_kgrams
    try:
        yield
    finally:
        utils.hashed_kgrams = original


def fingerprint(name: str, code: str, boilerplate=()):
    from copydetect import CodeFingerprint

    return CodeFingerprint(name, K, WINDOW, boilerplate=np.array(sorted(boilerplate), dtype=np.int64),
                           fp=io.StringIO(code), language="python")


@dataclass
class Pair:
    number: str
    grade_id: str
    title: str
    a: str
    b: str
    similarity_a: float    # share of a's code found in b
    similarity_b: float
    html_a: str
    html_b: str

    @property
    def score(self) -> float:
        return max(self.similarity_a, self.similarity_b)


def similar_pairs(sources: dict[str, str], stub: str, threshold: float = DEFAULT_THRESHOLD,
                  number: str = "", grade_id: str = "", title: str = "") -> list[Pair]:
    """Pairs of students whose solutions (``sources``: student -> cell) are similar."""
    from copydetect import compare_files
    from copydetect.utils import highlight_overlap

    sources = {s: own_lines(code, stub) for s, code in sources.items()}
    with _stable_hashes():
        given = set(int(h) for h in fingerprint("stub", stub).hashes)
        prints = {s: fingerprint(s, code, given) for s, code in sorted(sources.items())}
        prints = {s: fp for s, fp in prints.items() if fp.token_coverage >= MIN_TOKENS}
        if len(prints) < 2:
            return []
        # fingerprints most of the class shares are part of the task, not of a copy
        counts: dict[int, int] = {}
        for fp in prints.values():
            for h in fp.hashes:
                counts[h] = counts.get(h, 0) + 1
        limit = max(COMMON_MIN, COMMON_SHARE * len(prints))
        common = {h for h, c in counts.items() if c > limit}
        if common:
            prints = {s: fingerprint(s, sources[s], given | {int(h) for h in common})
                      for s in prints}
            prints = {s: fp for s, fp in prints.items() if fp.token_coverage >= MIN_TOKENS}
        # only pairs that share a fingerprint at all are compared in full
        owners: dict[int, list[str]] = {}
        for s, fp in prints.items():
            for h in fp.hashes:
                owners.setdefault(h, []).append(s)
        candidates = set()
        for students in owners.values():
            candidates.update(itertools.combinations(sorted(students), 2))
        pairs = []
        for a, b in sorted(candidates):
            _, (sim_a, sim_b), (slices_a, slices_b) = compare_files(prints[a], prints[b])
            if max(sim_a, sim_b) < threshold:
                continue
            mark_a, _ = highlight_overlap(prints[a].raw_code, slices_a, "<mark>", "</mark>",
                                          escape_html=True)
            mark_b, _ = highlight_overlap(prints[b].raw_code, slices_b, "<mark>", "</mark>",
                                          escape_html=True)
            pairs.append(Pair(number, grade_id, title, a, b, round(float(sim_a), 3),
                              round(float(sim_b), 3), mark_a, mark_b))
    return sorted(pairs, key=lambda p: (-p.score, p.a, p.b))


def class_pairs(outcomes, columns, threshold: float = DEFAULT_THRESHOLD) -> list[Pair]:
    """Similar pairs for every exercise of the course (``columns``, each with the ``stub``
    students were given), over the students who attempted it."""
    pairs = []
    for column in columns:
        sources = {}
        for o in outcomes:
            code = o.sources.get(column.grade_id)
            states = [e.status for nb in o.results for e in nb.exercises
                      if e.grade_id == column.grade_id]
            if code and states and states[0] not in ("not attempted", "missing"):
                sources[o.student] = code
        if len(sources) >= 2:
            pairs += similar_pairs(sources, column.stub, threshold,
                                   column.number, column.grade_id, column.title)
    return pairs


_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 78rem; color: #222; }
h1 { margin-bottom: .2rem; } .note { color: #555; max-width: 60rem; }
.pair { border: 1px solid #ccc; border-radius: 6px; margin: 1rem 0; padding: .5rem 1rem; }
.side { display: grid; grid-template-columns: 1fr 1fr; gap: 1rem; }
pre { background: #f7f7f7; padding: .6rem; overflow-x: auto; font-size: 12.5px; margin: 0; }
mark { background: #ffe08a; }
table { border-collapse: collapse; } td, th { border-bottom: 1px solid #ddd; padding: .2rem .6rem;
text-align: left; }
"""


def write_similarity_report(outcomes, columns, reports: Path,
                            threshold: float = DEFAULT_THRESHOLD) -> list[Pair]:
    """``similarity.html`` (pairs side by side) and ``similarity.csv`` in ``reports``."""
    pairs = class_pairs(outcomes, columns, threshold)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["exercise", "grade_id", "student_a", "student_b", "similarity_a",
                     "similarity_b"])
    for p in pairs:
        writer.writerow([p.number, p.grade_id, p.a, p.b, f"{p.similarity_a:.3f}",
                         f"{p.similarity_b:.3f}"])
    (reports / "similarity.csv").write_text(buf.getvalue())
    e = html.escape
    parts = [f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
             f"<title>Similar solutions</title><style>{_STYLE}</style></head><body>",
             "<h1>Similar solutions</h1>",
             f"<p class=\"note\">Pairs of solution cells, per exercise, whose shared code covers at "
             f"least {threshold:.0%} of one of them, found with copydetect after removing the "
             f"given stub and the code most of the class shares. Similar is not the same as "
             f"copied: short exercises have few ways to be solved. This report never changes a "
             f"score. Each side shows the lines the student wrote (the stub's lines left out). "
             f"{len(outcomes)} students; {len(pairs)} pair(s) above the threshold.</p>"]
    if pairs:
        parts.append("<table><tr><th>exercise</th><th>students</th><th>shared code</th></tr>")
        for i, p in enumerate(pairs):
            parts.append(f"<tr><td>{e(p.number)}</td><td><a href=\"#pair{i}\">{e(p.a)} &amp; "
                         f"{e(p.b)}</a></td><td>{p.similarity_a:.0%} / {p.similarity_b:.0%}</td></tr>")
        parts.append("</table>")
    for i, p in enumerate(pairs):
        parts.append(f"<div class=\"pair\" id=\"pair{i}\"><h3>Exercise {e(p.number)} — "
                     f"{e(p.title.split(' — ', 1)[-1])} <small>({e(p.grade_id)})</small></h3>"
                     f"<div class=\"side\"><div><b>{e(p.a)}</b>: {p.similarity_a:.0%} shared"
                     f"<pre>{p.html_a}</pre></div><div><b>{e(p.b)}</b>: {p.similarity_b:.0%} shared"
                     f"<pre>{p.html_b}</pre></div></div></div>")
    parts.append("</body></html>\n")
    (reports / "similarity.html").write_text("\n".join(parts))
    return pairs
