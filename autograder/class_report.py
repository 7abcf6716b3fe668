"""The class at a glance: ``report.html`` and its data as CSV.

One self-contained page (figures embedded as PNG, no script, no web font, nothing fetched) that
works offline: the score histogram, the pass rate and the results of every exercise, the most
frequent reasons for failing each exercise (grouped by catalogued mistake where the grader named
one, otherwise by message with its numbers blanked), and the students who need attention (their
grading timed out, crashed or could not start, or one of their exercises did). Its data:
``report_exercises.csv``, ``report_reasons.csv``, ``report_attention.csv`` and
``report_scores.csv``. Made from the outcomes alone, so the same outcomes give the same files.
"""
from __future__ import annotations

import base64
import csv
import html
import io
import re
import statistics
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

MISTAKE_PREFIX = "This looks like a known mistake: "
TOP_REASONS = 5
_NUMBER = re.compile(r"(?<![A-Za-z_])[-+]?\d+(?:\.\d+)?(?:e[-+]?\d+)?")
_OUTCOME_COLOURS = {"correct": "#3a923a", "incorrect": "#d9822b", "not attempted": "#b9b9b9",
                    "error": "#c23b22", "other": "#6a51a3"}


@dataclass
class ExerciseStats:
    grade_id: str
    number: str
    title: str
    points: float
    students: int = 0
    counts: Counter = field(default_factory=Counter)   # outcome -> students
    total_points: float = 0.0
    reasons: Counter = field(default_factory=Counter)  # (kind, key, text) -> students
    who: dict = field(default_factory=dict)            # (kind, key, text) -> [students]

    @property
    def pass_rate(self) -> float:
        return self.counts["correct"] / self.students if self.students else 0.0

    @property
    def mean_points(self) -> float:
        return self.total_points / self.students if self.students else 0.0


def outcome_of(status: str) -> str:
    """An exercise status grouped for the figure: correct, incorrect, not attempted, error, other."""
    if status in ("correct", "incorrect", "not attempted", "error"):
        return status
    return "other"  # timeout, crashed, missing


def reason_of(e) -> tuple[str, str, str]:
    """Why an exercise was lost, as (kind, key, text): a named mistake, a status, a message."""
    if e.mistakes:
        text = next((m[len(MISTAKE_PREFIX):] for m in e.messages if m.startswith(MISTAKE_PREFIX)),
                    e.mistakes[0])
        return "mistake", e.mistakes[0], text
    if e.status in ("not attempted", "timeout", "crashed", "missing"):
        return "status", e.status, e.status
    message = next((m for m in e.messages if m.strip()), e.status)
    grouped = _NUMBER.sub("#", " ".join(message.split()))
    if len(grouped) > 200:
        grouped = grouped[:199] + "…"
    return "message", grouped, grouped


def exercise_stats(outcomes, columns) -> list[ExerciseStats]:
    stats = {c.grade_id: ExerciseStats(c.grade_id, c.number, c.title, c.points) for c in columns}
    for o in outcomes:
        for nb in o.results:
            for e in nb.exercises:
                s = stats.get(e.grade_id)
                if s is None:
                    continue
                s.students += 1
                s.counts[outcome_of(e.status)] += 1
                s.total_points += e.points
                if e.status != "correct":
                    reason = reason_of(e)
                    s.reasons[reason] += 1
                    s.who.setdefault(reason, []).append(o.student)
    return list(stats.values())


def attention(outcomes) -> list[dict]:
    """Students whose grading timed out, crashed or was impossible, or with such an exercise."""
    rows = []
    for o in outcomes:
        troubled = [f"{e.number or e.grade_id} {e.status}" for nb in o.results for e in nb.exercises
                    if e.status in ("timeout", "crashed")]
        if o.status != "completed" or troubled:
            rows.append({"student": o.student, "status": o.status, "reason": o.reason,
                         "exercises": "; ".join(troubled)})
    return rows


# --- figures ---

def _png(fig) -> str:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, metadata={"Software": None})
    return base64.b64encode(buf.getvalue()).decode()


def score_histogram(totals: list[float], maximum: float, invalid: int) -> tuple[str, list]:
    from matplotlib.figure import Figure

    bins = min(20, max(5, int(maximum))) if maximum else 10
    edges = [maximum * i / bins for i in range(bins + 1)] if maximum else [i for i in range(11)]
    counts = [0] * bins
    for t in totals:
        i = min(bins - 1, int(t / maximum * bins)) if maximum else 0
        counts[i] += 1
    fig = Figure(figsize=(7.5, 3.2))
    ax = fig.add_subplot()
    ax.bar(edges[:-1], counts, width=[b - a for a, b in zip(edges, edges[1:])], align="edge",
           color="#4a7ab5", edgecolor="white", label=f"{len(totals)} graded")
    if totals:
        mean = statistics.fmean(totals)
        ax.axvline(mean, color="#c23b22", linestyle="--", label=f"mean {mean:.1f}")
    ax.set_xlim(0, edges[-1])
    ax.set_xlabel(f"total score (out of {maximum:g})")
    ax.set_ylabel("students")
    title = "Scores of the class"
    if invalid:
        title += f" ({invalid} submission(s) could not be graded, not shown)"
    ax.set_title(title)
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.legend(loc="upper left")
    fig.tight_layout()
    return _png(fig), list(zip(edges[:-1], edges[1:], counts))


def exercise_figure(stats: list[ExerciseStats]) -> str:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7.5, 0.27 * len(stats) + 1.5), layout="constrained")
    ax = fig.add_subplot()
    y = list(range(len(stats)))
    left = [0.0] * len(stats)
    for outcome, colour in _OUTCOME_COLOURS.items():
        shares = [s.counts[outcome] / s.students if s.students else 0 for s in stats]
        label = "timeout, crashed, missing" if outcome == "other" else outcome
        ax.barh(y, shares, left=left, color=colour, label=label, height=0.8)
        left = [a + b for a, b in zip(left, shares)]
    ax.set_yticks(y, [s.number for s in stats])
    ax.set_ylim(len(stats) - 0.5, -0.5)
    ax.set_xlim(0, 1)
    ax.xaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
    ax.set_xlabel("share of graded students")
    ax.set_ylabel("exercise")
    ax.set_title("Results per exercise", pad=24)
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=5, frameon=False,
              fontsize="small")
    return _png(fig)


# --- files ---

def _csv(rows: list[list]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    return buf.getvalue()


_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 72rem; color: #222;
       padding: 0 1rem; }
h1 { margin-bottom: .2rem; } h2 { margin-top: 2.2rem; border-bottom: 1px solid #ddd; }
.summary { color: #444; } img { max-width: 100%; }
table { border-collapse: collapse; margin: .5rem 0 1rem; } table.wide { width: 100%; }
td, th { border-bottom: 1px solid #e3e3e3; padding: .25rem .6rem; text-align: left;
         vertical-align: top; }
th { background: #f4f4f4; } td.n { text-align: right; font-variant-numeric: tabular-nums; }
.kind { font-size: 85%; color: #fff; border-radius: 3px; padding: 0 .3rem; }
.mistake { background: #6a51a3; } .message { background: #777; } .status { background: #b0b0b0; }
.students { color: #555; font-size: 90%; }
"""


def write_class_report(outcomes, columns, reports: Path) -> None:
    e = html.escape
    stats = exercise_stats(outcomes, columns)
    maximum = sum(c.points for c in columns)
    graded = [o for o in outcomes if o.results]
    totals = [o.points for o in graded]
    invalid = sum(1 for o in outcomes if not o.results)
    statuses = Counter(o.status for o in outcomes)
    histogram_png, histogram = score_histogram(totals, maximum, invalid)
    needs = attention(outcomes)

    (reports / "report_scores.csv").write_text(_csv(
        [["from", "to", "students"]] + [[f"{a:g}", f"{b:g}", n] for a, b, n in histogram]))
    (reports / "report_exercises.csv").write_text(_csv(
        [["exercise", "grade_id", "title", "points", "students", "pass_rate", "mean_points",
          *_OUTCOME_COLOURS]] +
        [[s.number, s.grade_id, s.title, f"{s.points:g}", s.students, f"{s.pass_rate:.3f}",
          f"{s.mean_points:.3f}", *[s.counts[k] for k in _OUTCOME_COLOURS]] for s in stats]))
    reason_rows = [["exercise", "grade_id", "kind", "key", "reason", "students", "who"]]
    for s in stats:
        for (kind, key, text), n in sorted(s.reasons.items(), key=lambda kv: (-kv[1], kv[0])):
            reason_rows.append([s.number, s.grade_id, kind, key, text, n,
                                " ".join(s.who[(kind, key, text)])])
    (reports / "report_reasons.csv").write_text(_csv(reason_rows))
    (reports / "report_attention.csv").write_text(_csv(
        [["student", "status", "reason", "exercises"]] +
        [[r["student"], r["status"], r["reason"], r["exercises"]] for r in needs]))

    mean = f"{statistics.fmean(totals):.1f}" if totals else "–"
    median = f"{statistics.median(totals):g}" if totals else "–"
    parts = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>Class report</title><style>{_STYLE}</style></head><body>",
        "<h1>Class report</h1>",
        f'<p class="summary">{len(outcomes)} submissions: '
        + ", ".join(f"{statuses.get(s, 0)} {s}" for s in ("completed", "timeout", "crashed",
                                                           "invalid"))
        + f". Mean score {mean} and median {median} out of {maximum:g} (graded submissions). "
        'Data: <a href="gradebook.csv">gradebook.csv</a>, <a href="report_exercises.csv">'
        'report_exercises.csv</a>, <a href="report_reasons.csv">report_reasons.csv</a>, '
        '<a href="report_attention.csv">report_attention.csv</a>; similar solutions: '
        '<a href="similarity.html">similarity.html</a>.</p>',
        "<h2>Scores</h2>",
        f'<img alt="Histogram of the total scores" src="data:image/png;base64,{histogram_png}">']
    parts.append("<h2>Students who need attention</h2>")
    if needs:
        parts.append("<table><tr><th>student</th><th>status</th><th>why</th>"
                     "<th>exercises timed out or crashed</th></tr>")
        for r in needs:
            parts.append(f"<tr><td>{e(r['student'])}</td><td>{e(r['status'])}</td>"
                         f"<td>{e(r['reason'])}</td><td>{e(r['exercises'])}</td></tr>")
        parts.append("</table>")
    else:
        parts.append("<p>None: every submission was graded and no exercise timed out or crashed."
                     "</p>")
    parts += [
        "<h2>Exercises</h2>",
        f'<img alt="Share of students per result, per exercise" '
        f'src="data:image/png;base64,{exercise_figure(stats)}">',
        "<table><tr><th>exercise</th><th>title</th><th>points</th><th>pass rate</th>"
        "<th>mean points</th><th>correct</th><th>incorrect</th><th>not attempted</th>"
        "<th>error</th><th>timeout, crashed, missing</th></tr>"]
    for s in stats:
        parts.append(
            f"<tr><td>{e(s.number)}</td><td>{e(s.title.split(' — ', 1)[-1])} "
            f'<span class="students">{e(s.grade_id)}</span></td><td class="n">{s.points:g}</td>'
            f'<td class="n">{s.pass_rate:.0%}</td><td class="n">{s.mean_points:.2f}</td>'
            + "".join(f'<td class="n">{s.counts[k]}</td>' for k in _OUTCOME_COLOURS) + "</tr>")
    parts.append("</table>")
    parts.append("<h2>Most frequent reasons for losing an exercise</h2>")
    parts.append('<p class="summary">Grouped by the known mistake the grader recognised '
                 '(<span class="kind mistake">mistake</span>), otherwise by the feedback message '
                 'with its numbers blanked (<span class="kind message">message</span>) or by '
                 'status (<span class="kind status">status</span>). At most '
                 f'{TOP_REASONS} per exercise; all of them are in report_reasons.csv.</p>')
    any_reason = False
    for s in stats:
        if not s.reasons:
            continue
        any_reason = True
        parts.append(f"<h3>Exercise {e(s.number)} — {e(s.title.split(' — ', 1)[-1])}</h3>"
                     "<table class=\"wide\"><tr><th>students</th><th>reason</th><th>who</th></tr>")
        top = sorted(s.reasons.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_REASONS]
        for (kind, key, text), n in top:
            who = s.who[(kind, key, text)]
            shown = ", ".join(who[:8]) + (f" and {len(who) - 8} more" if len(who) > 8 else "")
            label = f" <code>{e(key)}</code>" if kind == "mistake" else ""
            parts.append(f'<tr><td class="n">{n}</td><td><span class="kind {kind}">{kind}</span>'
                         f'{label} {e(text)}</td><td class="students">{e(shown)}</td></tr>')
        parts.append("</table>")
    if not any_reason:
        parts.append("<p>Every graded exercise was correct.</p>")
    parts.append("</body></html>\n")
    (reports / "report.html").write_text("\n".join(parts))
