"""pytest plugin: print how long each master notebook took to run (target: 90 s each).

A test reports a run with ``record_property("notebook_seconds", (path, seconds))``.
"""
_elapsed: dict[str, float] = {}


def pytest_runtest_logreport(report):
    for name, value in report.user_properties:
        if name == "notebook_seconds":
            path, seconds = value
            _elapsed[path] = seconds


def pytest_terminal_summary(terminalreporter):
    if not _elapsed:
        return
    terminalreporter.section("notebook execution time (target: 90 s each on 2 CPU cores)")
    for path, seconds in sorted(_elapsed.items()):
        flag = "" if seconds <= 90 else "   <-- over the 90 s target"
        terminalreporter.write_line(f"{seconds:7.1f} s  {path}{flag}")
