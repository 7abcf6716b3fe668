"""The trusted side of the worker: start it, talk to it under deadlines, kill it.

A :class:`Worker` is one sandboxed process tree for one notebook. Each exercise
is an :class:`ExerciseRun` inside it; the exercise's whole time budget (its cells
and every ``run`` request) is one deadline, after which the tree is killed.
"""
from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import tempfile
import time

from autograder import isolation
from autograder.protocol import MAX_MESSAGE_BYTES, ProtocolError, _HEADER, decode, encode

STARTUP_SECONDS = 90.0


class StudentFailure(Exception):
    """Base class: the submission's code failed in a way that costs the exercise."""
    status = "error"


class ExerciseTimeout(StudentFailure):
    status = "timeout"


class ExerciseCrashed(StudentFailure):
    status = "crashed"

    def __init__(self, message: str, worker_ok: bool = False):
        super().__init__(message)
        self.worker_ok = worker_ok  # only the exercise's child died; the worker is fine


class StudentCodeError(StudentFailure):
    status = "error"


class CellUnavailable(StudentFailure):
    status = "missing"


class NotAttemptedError(StudentFailure):
    status = "not attempted"


class GraderBug(RuntimeError):
    """A check or hidden test asked for something the worker cannot do: the grader's fault."""


class WorkerStartFailed(RuntimeError):
    """The worker could not start: a fault of the grader or its machine, not the student."""


def describe_exit(status: int) -> str:
    """A wait status in words, e.g. 'was killed by signal 11 (SIGSEGV, segmentation fault)'."""
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        name = signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else str(sig)
        extra = {signal.SIGSEGV: ", segmentation fault", signal.SIGKILL: ", e.g. out of memory",
                 signal.SIGABRT: ", abort"}.get(sig, "")
        return f"was killed by signal {sig} ({name}{extra})"
    return f"exited with status {os.WEXITSTATUS(status)} (did your code call exit()?)"


class Worker:
    """One worker process tree, started lazily, with the master's set-up cells run."""

    def __init__(self, setup_cells: list[tuple[str, str]], memory_mb: int = 3072):
        self.setup_cells = setup_cells
        self.memory_mb = memory_mb
        self.proc: subprocess.Popen | None = None
        self.scratch: str | None = None

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def start(self) -> None:
        self.scratch = tempfile.mkdtemp(prefix="autograder-", dir=os.environ.get("AUTOGRADER_SCRATCH"))
        os.chmod(self.scratch, 0o777)
        cmd, env = isolation.command([sys.executable, "-m", "autograder.worker"], self.scratch)
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, cwd=self.scratch, env=env,
                                     start_new_session=True)
        try:
            self.send({"op": "setup", "cells": self.setup_cells})
            reply = self.receive(time.monotonic() + STARTUP_SECONDS)
        except (StudentFailure, ProtocolError, OSError) as exc:
            log = self.log_tail()
            self.kill()
            raise WorkerStartFailed(f"the grading worker did not start: {exc}; its log: {log}") from None
        if reply.get("op") != "setup_done" or reply.get("errors"):
            self.kill()
            raise WorkerStartFailed(f"the master's set-up cells failed in the worker: {reply}")

    def log_tail(self, chars: int = 1500) -> str:
        """The end of what the worker printed (for diagnosing the grader, never for students)."""
        try:
            with open(os.path.join(self.scratch, "output.log"), errors="replace") as log:
                return log.read()[-chars:].strip() or "(empty)"
        except OSError:
            return "(no log)"

    def send(self, obj) -> None:
        try:
            self.proc.stdin.write(encode(obj))
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError):
            raise ExerciseCrashed("the process running your code ended unexpectedly") from None

    def _read(self, n: int, deadline: float) -> bytes:
        fd = self.proc.stdout.fileno()
        buf = bytearray()
        while len(buf) < n:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
                raise ExerciseTimeout("time limit exceeded")
            chunk = os.read(fd, min(n - len(buf), 1 << 20))
            if not chunk:
                raise ExerciseCrashed("the process running your code ended unexpectedly")
            buf += chunk
        return bytes(buf)

    def receive(self, deadline: float) -> dict:
        (size,) = _HEADER.unpack(self._read(_HEADER.size, deadline))
        if size > MAX_MESSAGE_BYTES:
            raise ExerciseCrashed(f"your code returned {size} bytes, over the "
                                  f"{MAX_MESSAGE_BYTES // 2**20} MiB limit")
        msg = decode(self._read(size, deadline))
        if type(msg) is not dict or "op" not in msg:
            raise ProtocolError("malformed message from the worker")
        return msg

    def kill(self) -> None:
        if self.proc is not None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            self.proc.wait()
            for stream in (self.proc.stdin, self.proc.stdout):
                try:
                    stream.close()
                except OSError:
                    pass
            self.proc = None
        if self.scratch:
            isolation.remove_tree(self.scratch)
            self.scratch = None


class ExerciseRun:
    """The student's code for one exercise, live in a forked child of the worker."""

    def __init__(self, worker: Worker, grade_id: str, cells: list[tuple[str, str]],
                 targets: tuple[str, ...], time_limit_s: float):
        self.worker = worker
        self.grade_id = grade_id
        self.time_limit_s = time_limit_s
        self.failure: StudentFailure | None = None
        self.open = False
        if not worker.alive:
            worker.start()  # start-up is the grader's time, not the exercise's
        self.deadline = time.monotonic() + time_limit_s
        try:
            worker.send({"op": "exercise", "cells": cells, "targets": list(targets),
                         "memory_mb": worker.memory_mb})
            reply = self._receive()
        except StudentFailure as exc:
            self._fail(exc)
            return
        self.open = True
        error = reply["errors"].get(grade_id)
        if error and error["kind"] == "not_attempted":
            self.failure = NotAttemptedError("not attempted: the cell still raises NotImplementedError")
        elif error:
            self.failure = StudentCodeError(f"your cell raised {error['message']}")
        elif reply["missing"]:
            names = ", ".join(f"`{n}`" for n in reply["missing"])
            self.failure = StudentCodeError(f"your cell does not define {names} (renamed or deleted?)")

    def _receive(self) -> dict:
        try:
            msg = self.worker.receive(self.deadline)
        except ExerciseTimeout:
            raise ExerciseTimeout(f"time limit of {self.time_limit_s:g} s exceeded "
                                  "(an infinite loop, or very slow code?)") from None
        except ProtocolError as exc:
            raise ExerciseCrashed(f"the process running your code sent garbage ({exc})") from None
        if msg["op"] == "exited":
            self.open = False
            raise ExerciseCrashed(f"the process running your code {describe_exit(msg['status'])}",
                                  worker_ok=True)
        return msg

    def _fail(self, exc: StudentFailure) -> StudentFailure:
        """Remember a fatal failure and tear the worker down (it may be wedged)."""
        self.failure = exc
        self.open = False
        if not getattr(exc, "worker_ok", False):
            self.worker.kill()
        return exc

    def run(self, probe: str, inputs: tuple):
        """Call ``probe(target, *inputs)`` in the child; return the plain result."""
        if self.failure:
            raise self.failure
        request = {"op": "run", "probe": probe, "inputs": list(inputs)}
        try:
            decode(encode(request)[_HEADER.size:])
        except ProtocolError:
            raise GraderBug(f"{probe} was given inputs that are not plain data (tensors, numbers, "
                            "strings and lists, tuples or dicts of them); pass seeds, not "
                            "generators or modules") from None
        try:
            self.worker.send(request)
            msg = self._receive()
        except StudentFailure as exc:
            raise self._fail(exc) from None
        if msg["op"] == "result":
            return msg["value"]
        if msg["op"] == "not_attempted":
            raise NotAttemptedError("not attempted: your code still raises NotImplementedError")
        if msg["op"] == "raised":
            raise StudentCodeError(f"your code raised {msg['message']}")
        raise self._fail(ExerciseCrashed(f"unexpected reply {msg.get('op')!r} from the worker"))

    def close(self) -> None:
        """End the exercise's child; the worker stays up for the next exercise."""
        if not self.open:
            return
        self.open = False
        try:
            self.worker.send({"op": "end"})
            msg = self.worker.receive(time.monotonic() + 10)
            if msg["op"] != "exited":
                self.worker.kill()
        except (StudentFailure, ProtocolError):
            self.worker.kill()
