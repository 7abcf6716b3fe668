"""The pytest plugin that connects hidden tests to a submission.

Hidden tests are ordinary pytest functions marked with :func:`exercise`. They get
two fixtures: ``student`` (the submission's code, in the worker) and
``reference`` (the master's solution, run here). This plugin records every
test's outcome, which :mod:`autograder.grade` turns into scores.
"""
from __future__ import annotations

import copy
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import pytest
import torch

from autograder.notebooks import Submission
from autograder.isolation import SandboxUnavailable
from autograder.protocol import ProtocolError, decode, encode
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
    """The ``reference`` fixture: the master's solution, executed in this process.

    Its results depend only on the master and the inputs, so where ``AUTOGRADER_REFERENCE_CACHE``
    names a folder (a batch sets one for all its grading processes) each is computed once per
    batch and read back for every other student.
    """

    _namespaces: dict = {}

    def __init__(self, submission: Submission, grade_id: str):
        master = submission.master
        self._namespace = self.warm(master, grade_id)
        self._names = target_names(master.exercises[grade_id].exercise)
        self._key = hashlib.sha256(repr((
            master.setup_cells, master.exercises[grade_id].solution, grade_id)).encode()).digest()

    @classmethod
    def warm(cls, master, grade_id: str) -> dict:
        """The namespace in which the master's solution of ``grade_id`` is defined."""
        key = (master.path, grade_id)
        if key not in cls._namespaces:
            namespace = {"__name__": "__reference__"}
            for label, source in master.setup_cells:
                exec(compile(source, f"<{label}>", "exec"), namespace)
            exec(compile(master.exercises[grade_id].solution, f"<reference {grade_id}>", "exec"),
                 namespace)
            cls._namespaces[key] = namespace
        return cls._namespaces[key]

    def run(self, probe, *inputs):
        cached = self._cache_file(probe, inputs)
        if cached is not None:
            try:
                return decode(cached.read_bytes()[8:])
            except (OSError, ProtocolError):
                pass
        target = bundle_targets(self._names, [self._namespace[n] for n in self._names])
        set_seed(0)
        with torch.random.fork_rng():
            value = probe(target, *copy.deepcopy(inputs))
        if cached is not None and _plain(value):
            try:
                data = encode(value)
                partial = cached.with_suffix(f".{os.getpid()}.part")
                partial.write_bytes(data)
                partial.replace(cached)  # atomic: another process reads all of it or nothing
            except (OSError, TypeError):
                pass
        return value

    def _cache_file(self, probe, inputs) -> Path | None:
        folder = os.environ.get("AUTOGRADER_REFERENCE_CACHE")
        if not folder:
            return None
        try:
            data = encode(list(inputs))
        except TypeError:
            return None
        digest = hashlib.sha256(self._key + probe_name(probe).encode() + data).hexdigest()
        return Path(folder) / f"{digest}.ref"


def _plain(value, depth: int = 0) -> bool:
    """True when a value is plain data that a cache can give back exactly."""
    if depth > 20:
        return False
    if value is None or type(value) in (bool, int, float, str, torch.dtype):
        return True
    if type(value) is torch.Tensor:
        return (not value.requires_grad and value.layout == torch.strided
                and value.device.type == "cpu")
    if type(value) in (list, tuple):
        return all(_plain(v, depth + 1) for v in value)
    if type(value) is dict:
        return all(type(k) is str and _plain(v, depth + 1) for k, v in value.items())
    return False


class GradingPlugin:
    """Collects outcomes of one submission's hidden tests; owns its worker."""

    def __init__(self, submission: Submission, worker: Worker | None = None):
        self.submission = submission
        self._own_worker = worker is None
        self.worker = worker if worker is not None else Worker()
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
        # start-up and set-up are the grader's time, not the exercise's
        self.worker.prepare(self.submission.master.setup_cells)
        scale = float(os.environ.get("AUTOGRADER_TIME_SCALE", "1"))
        self._current = ExerciseRun(self.worker, grade_id, cells, targets, spec.time_limit_s * scale)
        return self._current

    def close(self) -> None:
        if self._current is not None:
            self._current.close()
            self._current = None
        if self._own_worker:
            self.worker.stop()

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
