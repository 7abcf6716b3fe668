"""Progress of a batch: a bar on a terminal, plain lines in a CI log.

On a terminal one line is redrawn in place::

    [##########----------]  12/20 students  0:41 elapsed  ETA 0:27  completed 11  timeout 1  crashed 0  invalid 0

Elsewhere (a CI log, a file) one line is printed per student as they finish::

    [12/20] ada: 73/80 completed in 4.1 s (0:41 elapsed, ETA 0:27)
"""
from __future__ import annotations

import time

STATUSES = ("completed", "timeout", "crashed", "invalid")


def clock(seconds: float) -> str:
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


class BatchProgress:
    def __init__(self, stream, tty: bool | None = None, width: int = 20):
        self.stream = stream
        self.tty = stream.isatty() if tty is None else tty
        self.width = width
        self.total = 0
        self.finished = 0
        self.counts = {s: 0 for s in STATUSES}
        self.started = time.monotonic()

    def start(self, total: int) -> None:
        self.total = total
        self.started = time.monotonic()
        if not self.tty:
            self.stream.write(f"grading {total} student(s)\n")
            self.stream.flush()
        self.tick()

    def eta(self) -> str:
        if not self.finished:
            return "?"
        elapsed = time.monotonic() - self.started
        return clock(elapsed / self.finished * (self.total - self.finished))

    def done(self, outcome, seconds: float) -> None:
        self.finished += 1
        self.counts[outcome.status] = self.counts.get(outcome.status, 0) + 1
        if self.tty:
            self.tick()
            return
        elapsed = clock(time.monotonic() - self.started)
        maximum = sum(e.max_points for nb in outcome.results for e in nb.exercises)
        score = f"{outcome.points:g}/{maximum:g} " if outcome.results else ""
        reason = f" ({outcome.reason})" if outcome.reason else ""
        self.stream.write(f"[{self.finished}/{self.total}] {outcome.student}: {score}"
                          f"{outcome.status}{reason} in {seconds:.1f} s "
                          f"({elapsed} elapsed, ETA {self.eta()})\n")
        self.stream.flush()

    def line(self) -> str:
        filled = self.width * self.finished // max(1, self.total)
        bar = "#" * filled + "-" * (self.width - filled)
        counts = "  ".join(f"{s} {self.counts.get(s, 0)}" for s in STATUSES)
        return (f"[{bar}] {self.finished:>3}/{self.total} students  "
                f"{clock(time.monotonic() - self.started)} elapsed  ETA {self.eta()}  {counts}")

    def tick(self) -> None:
        if self.tty:
            self.stream.write("\r\x1b[2K" + self.line())
            self.stream.flush()

    def close(self) -> None:
        if self.tty:
            self.stream.write("\r\x1b[2K" + self.line() + "\n")
        else:
            counts = ", ".join(f"{self.counts.get(s, 0)} {s}" for s in STATUSES)
            self.stream.write(f"graded {self.finished}/{self.total} students in "
                              f"{clock(time.monotonic() - self.started)}: {counts}\n")
        self.stream.flush()
