"""The pytest plugin that connects hidden tests to a submission.

Hidden tests are ordinary pytest functions marked with :func:`exercise`. They get
two fixtures: ``student`` (the submission's code, in the worker) and
``reference`` (the master's solution, run here). This plugin records every
test's outcome, which :mod:`autograder.grade` turns into scores.
"""
from __future__ import annotations

import copy
import os
from dataclasses import dataclass

import pytest
import torch

from autograder.notebooks import Submission
from autograder.isolation import SandboxUnavailable
from autograder.recognise import MistakeCatalogue, raised_kind
from autograder.sandbox import (CellUnavailable, ExerciseRun, GraderBug, NotAttemptedError,
                                StudentCodeError, StudentFailure, Worker, WorkerStartFailed)
from dlcourse.checks import bundle_targets, get_exercise, probe_name, target_names
from dlcourse.compare import CheckFailure
from dlcourse.seed import set_seed


def exercise(grade_id: str):
    """Mark a hidden test as belonging to the exercise ``grade_id``."""
    return pytest.mark.exercise(grade_id)


@dataclass
class TestOutcome:
    grade_id: str
    name: str
    status: str          # passed / failed / not attempted / error / timeout / crashed
    message: str = ""
    mistake: str | None = None  # the catalogued mistake the failure looks like


class StudentCode:
    """The ``student`` fixture: one exercise of the submission, behind the worker."""

    def __init__(self, plugin: "GradingPlugin", grade_id: str):
        self._plugin = plugin
        self.grade_id = grade_id

    def run(self, probe, *inputs):
        """``probe(target, *inputs)`` run on the student's code; returns plain data.

        Each call is recorded, so that a failing test can be matched against the catalogued
        mistakes (:mod:`autograder.recognise`).
        """
        try:
            value = self._plugin.exercise_run(self.grade_id).run(probe_name(probe), inputs)
        except StudentCodeError as exc:
            self._plugin.calls.append((probe, inputs, ("raised", raised_kind(str(exc)))))
            raise
        self._plugin.calls.append((probe, inputs, ("value", value)))
        return value

    def check(self) -> None:
        """Run the exercise's public check against the student's code.

        Its failures keep their full message: the student sees the same in the notebook.
        """
        try:
            get_exercise(self.grade_id).check(self.run)
        except CheckFailure as exc:
            exc.public = True
            raise


class ReferenceCode:
    """The ``reference`` fixture: the master's solution, executed in this process."""

    _namespaces: dict = {}

    def __init__(self, submission: Submission, grade_id: str):
        master = submission.master
        key = (master.path, grade_id)
        if key not in self._namespaces:
            namespace = {"__name__": "__reference__"}
            for label, source in master.setup_cells:
                exec(compile(source, f"<{label}>", "exec"), namespace)
            exec(compile(master.exercises[grade_id].solution, f"<reference {grade_id}>", "exec"),
                 namespace)
            self._namespaces[key] = namespace
        self._namespace = self._namespaces[key]
        self._names = target_names(master.exercises[grade_id].exercise)

    def run(self, probe, *inputs):
        target = bundle_targets(self._names, [self._namespace[n] for n in self._names])
        set_seed(0)
        with torch.random.fork_rng():
            return probe(target, *copy.deepcopy(inputs))


class GradingPlugin:
    """Collects outcomes of one submission's hidden tests; owns its worker."""

    def __init__(self, submission: Submission):
        self.submission = submission
        self.worker = Worker(submission.master.setup_cells)
        self.outcomes: list[TestOutcome] = []
        self.calls: list = []  # the current test's calls of the student's code
        self.catalogue = MistakeCatalogue(submission.master)
        self._current: ExerciseRun | None = None
        self._order = list(submission.master.exercises)

    # -- the student's code, one exercise at a time --
    def exercise_run(self, grade_id: str) -> ExerciseRun:
        if self._current is not None and self._current.grade_id == grade_id:
            return self._current
        if self._current is not None:
            self._current.close()
        spec = self.submission.master.exercises[grade_id].exercise
        if grade_id in self.submission.problems:
            self._current = _Unavailable(grade_id, self.submission.problems[grade_id])
            return self._current
        cells = [(grade_id, self.submission.cells[grade_id])]
        targets = target_names(spec)
        scale = float(os.environ.get("AUTOGRADER_TIME_SCALE", "1"))
        self._current = ExerciseRun(self.worker, grade_id, cells, targets, spec.time_limit_s * scale)
        return self._current

    def close(self) -> None:
        if self._current is not None:
            self._current.close()
        self.worker.kill()

    # -- pytest hooks --
    def pytest_configure(self, config):
        config.addinivalue_line("markers", "exercise(grade_id): the exercise a hidden test belongs to")

    def pytest_collection_modifyitems(self, items):
        """Run tests grouped by exercise, in the notebook's order, so each exercise's
        code is loaded once."""
        def key(item):
            gid = _grade_id_of(item)
            return self._order.index(gid) if gid in self._order else len(self._order)
        items.sort(key=key)

    @pytest.fixture
    def student(self, request):
        return StudentCode(self, _grade_id_of(request.node))

    @pytest.fixture
    def reference(self, request):
        return ReferenceCode(self.submission, _grade_id_of(request.node))

    def pytest_runtest_setup(self, item):
        self.calls = []

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        outcome = yield
        report = outcome.get_result()
        if report.when == "setup" and report.passed:
            return
        if report.when == "teardown" and report.passed:
            return
        gid = _grade_id_of(item)
        if report.when == "call" and report.passed:
            self.outcomes.append(TestOutcome(gid, item.name, "passed"))
            return
        exc = call.excinfo.value if call.excinfo else None
        if isinstance(exc, (WorkerStartFailed, SandboxUnavailable, GraderBug)):
            status, message = "grader error", str(exc)
        elif isinstance(exc, NotAttemptedError):
            status, message = "not attempted", str(exc)
        elif isinstance(exc, StudentFailure):
            status, message = exc.status, str(exc)
        elif isinstance(exc, CheckFailure):
            status, message = "failed", _student_message(exc, item.name)
        elif exc is not None:
            status = "failed"
            message = f"unexpected result: {type(exc).__name__}: {exc}"
        else:
            status, message = "failed", str(report.longrepr)[-500:]
        mistake = None
        if status in ("failed", "error"):
            mistake = getattr(exc, "mistake", None) or self.catalogue.identify(gid, self.calls)
        self.outcomes.append(TestOutcome(gid, item.name, status, message, mistake))


class _Unavailable:
    """Stands in for an ExerciseRun whose cell is missing or duplicated."""

    def __init__(self, grade_id: str, reason: str):
        self.grade_id = grade_id
        self.failure = CellUnavailable(reason)

    def run(self, probe, inputs):
        raise self.failure

    def close(self):
        pass


def _student_message(exc: CheckFailure, test_name: str) -> str:
    """What a student may read: a hidden test's expected values are never shown."""
    if getattr(exc, "public", False):
        return str(exc)
    label = test_name.removeprefix("test_").replace("_", " ")
    detail = f": {exc.summary}" if exc.summary else ""
    return f"fails the hidden test \"{label}\"{detail}"


def _grade_id_of(item) -> str:
    marker = item.get_closest_marker("exercise")
    if marker is None:
        raise pytest.UsageError(f"hidden test {item.nodeid} has no @exercise(...) marker")
    return marker.args[0]
