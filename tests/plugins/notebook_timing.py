"""pytest plugin: print how long each notebook took under nbval (target: 90 s each)."""
from collections import defaultdict

_elapsed = defaultdict(float)


def pytest_runtest_logreport(report):
    if report.when == "call" and ".ipynb::" in report.nodeid:
        _elapsed[report.nodeid.split("::", 1)[0]] += report.duration


def pytest_terminal_summary(terminalreporter):
    if not _elapsed:
        return
    terminalreporter.section("notebook execution time (target: 90 s each on 2 CPU cores)")
    for path, seconds in sorted(_elapsed.items()):
        flag = "" if seconds <= 90 else "   <-- over the 90 s target"
        terminalreporter.write_line(f"{seconds:7.1f} s  {path}{flag}")
