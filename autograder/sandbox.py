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
# An exercise's time limit is CPU time of the student's code (the kernel stops it there), so a
# busy machine never costs a correct student the exercise; waiting (sleep, a blocked read) is
# stopped by a wall-clock limit this many times longer.
WALL_FACTOR = 3.0


class StudentFailure(Exception):
    """Base class: the submission's code failed in a way that costs the exercise."""
    status = "error"


class ExerciseTimeout(StudentFailure):
    status = "timeout"

    def __init__(self, message: str, worker_ok: bool = False):
        super().__init__(message)
        self.worker_ok = worker_ok  # the child was stopped by its own CPU limit


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
    """One worker process tree, started lazily; it serves the notebooks of one submission in
    turn, running each notebook's set-up cells (from its master) before that notebook's
    exercises."""

    def __init__(self, memory_mb: int = 3072):
        self.memory_mb = memory_mb
        self.proc: subprocess.Popen | None = None
        self.scratch: str | None = None
        self.owner = os.getpid()        # the process that started it (and must reap it)
        self.setup_key: tuple | None = None
        self._stderr = None
        self._uid: isolation.UidLease | None = None  # the uid it runs as, when run as root

    @property
    def alive(self) -> bool:
        if self.proc is None:
            return False
        if self.owner == os.getpid():
            return self.proc.poll() is None
        return _running(self.proc.pid)  # started by the process this one was forked from

    def spawn(self) -> None:
        """Start the process (it imports PyTorch at once); :meth:`prepare` waits for it."""
        self.scratch = tempfile.mkdtemp(prefix="autograder-", dir=os.environ.get("AUTOGRADER_SCRATCH"))
        os.chmod(self.scratch, 0o777)
        cmd, env, self._uid = isolation.command([sys.executable, "-m", "autograder.worker"],
                                                self.scratch)
        # What the process writes before it takes over its own output (Python's own errors,
        # a failed import) is kept outside the sandbox, to say why a worker did not start.
        self._stderr = tempfile.NamedTemporaryFile(prefix="autograder-worker-", suffix=".log",
                                                   delete=False)
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self._stderr, cwd=self.scratch, env=env,
                                     start_new_session=True)
        self.owner = os.getpid()
        self.setup_key = None

    def preload(self, modules: list[str]) -> None:
        """Have the worker import ``modules`` (starting it if needed) before its next request,
        so that the children it forks for exercises do not each import them; no reply."""
        if not modules:
            return
        if not self.alive:
            self.kill()
            self.spawn()
        try:
            self.send({"op": "import", "modules": list(modules)})
        except StudentFailure:
            pass  # a worker that died is restarted by prepare(), which says why if it cannot

    def prepare(self, setup_cells: list[tuple[str, str]]) -> None:
        """Make sure the worker is running with these set-up cells run (a no-op when it is)."""
        key = tuple(map(tuple, setup_cells))
        if self.alive and self.setup_key == key:
            return
        if not self.alive:
            self.kill()
            self.spawn()
        self.setup_key = None
        try:
            self.send({"op": "setup", "cells": [list(c) for c in setup_cells]})
            reply = self.receive(time.monotonic() + STARTUP_SECONDS)
        except (StudentFailure, ProtocolError, OSError) as exc:
            reason = self.start_failure(exc)
            self.kill(keep_log=True)
            raise WorkerStartFailed(reason) from None
        if reply.get("op") != "setup_done" or reply.get("errors"):
            errors = "; ".join(f"{k}: {v}" for k, v in (reply.get("errors") or {}).items())
            self.kill()
            raise WorkerStartFailed(f"the master's set-up cells failed in the grading worker: "
                                    f"{errors or reply}")
        self.setup_key = key

    def start(self, setup_cells: list[tuple[str, str]] = ()) -> None:
        """Start (or restart) the worker and run ``setup_cells`` in it."""
        self.kill()
        self.prepare(list(setup_cells))

    def start_failure(self, exc: Exception) -> str:
        """One line: why the worker did not start, from what it printed (kept in a file)."""
        if isinstance(exc, ExerciseTimeout):
            what = f"it did not answer within {STARTUP_SECONDS:g} s"
        elif self.proc is not None and self.owner == os.getpid() and self._exit_code() is not None:
            code = self.proc.returncode
            what = (f"it exited with status {code}" if code >= 0
                    else f"it was killed by signal {-code}")
        else:
            what = f"it ended unexpectedly ({exc})"
        lines = []
        if self._stderr is not None:
            try:
                with open(self._stderr.name, errors="replace") as f:
                    lines = [line.strip() for line in f.read().splitlines() if line.strip()]
            except OSError:
                pass
        if not lines:
            lines = [line for line in self.log_tail().splitlines()
                     if line.strip() and line != "(no log)" and line != "(empty)"]
        last = lines[-1][:300] if lines else "it printed nothing"
        where = f" (its error output: {self._stderr.name})" if self._stderr is not None else ""
        return f"the grading worker did not start: {what}: {last}{where}"

    def _exit_code(self, wait_s: float = 5.0) -> int | None:
        """The worker's exit status; a worker whose pipes just closed may need a moment to exit."""
        try:
            return self.proc.wait(timeout=wait_s)
        except subprocess.TimeoutExpired:
            return None

    def log_tail(self, chars: int = 1500) -> str:
        """The end of what the worker printed (for diagnosing the grader, never for students)."""
        try:
            with open(os.path.join(self.scratch, "output.log"), errors="replace") as log:
                return log.read()[-chars:].strip() or "(empty)"
        except OSError:
            return "(no log)"

    def send(self, obj) -> None:
        self.send_bytes(encode(obj))

    def send_bytes(self, data: bytes) -> None:
        try:
            self.proc.stdin.write(data)
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

    def stop(self, wait_s: float = 5.0) -> None:
        """End the worker the polite way (it exits when its input closes), then clean up."""
        if self.proc is not None and self.owner == os.getpid() and self.alive:
            try:
                self.proc.stdin.close()
                self.proc.wait(timeout=wait_s)
            except (OSError, subprocess.TimeoutExpired):
                pass
        self.kill()

    def release(self) -> None:
        """Forget a worker another process started (close our ends; it stops it)."""
        if self.proc is not None:
            self._close_pipes()
        if self._uid is not None:
            self._uid.release()  # our copy of the lock; the worker's owner holds it too
            self._uid = None
        self.scratch = None
        self._stderr = None

    def _close_pipes(self) -> None:
        """Close our ends of the worker's pipes and forget its process."""
        for stream in (self.proc.stdin, self.proc.stdout):
            try:
                stream.close()
            except OSError:
                pass
        self.proc = None

    def kill(self, keep_log: bool = False) -> None:
        """End the worker's whole process tree and delete its scratch folder."""
        if self.proc is not None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            if self.owner == os.getpid():
                self.proc.wait()
            self._close_pipes()
        if self._uid is not None:
            self._uid.release()
            self._uid = None
        if self._stderr is not None:
            self._stderr.close()
            if not keep_log:
                try:
                    os.unlink(self._stderr.name)
                except OSError:
                    pass
            self._stderr = None
        if self.scratch:
            isolation.remove_tree(self.scratch)
            self.scratch = None
        self.setup_key = None


def _running(pid: int) -> bool:
    """Whether a process that is not our child is still running (not ended, not a zombie)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except (OSError, IndexError):
        return False


class ExerciseRun:
    """The student's code for one exercise, live in a forked child of the worker."""

    def __init__(self, worker: Worker, grade_id: str, cells: list[tuple[str, str]],
                 targets: tuple[str, ...], time_limit_s: float):
        """``worker`` must be prepared (running, with its notebook's set-up cells run)."""
        self.worker = worker
        self.grade_id = grade_id
        self.time_limit_s = time_limit_s
        self.wall_limit_s = time_limit_s * WALL_FACTOR
        self.failure: StudentFailure | None = None
        self.open = False
        self.deadline = time.monotonic() + self.wall_limit_s
        try:
            worker.send({"op": "exercise", "cells": cells, "targets": list(targets),
                         "memory_mb": worker.memory_mb, "cpu_s": time_limit_s})
            reply = self._receive()
        except StudentFailure as exc:
            self._fail(exc)
            return
        if (reply.get("op") != "ready" or type(reply.get("errors")) is not dict
                or type(reply.get("missing")) is not list):
            self._fail(ExerciseCrashed("the process running your code sent garbage"))
            return
        self.open = True
        error = reply["errors"].get(grade_id)
        if error is not None and (type(error) is not dict or type(error.get("message")) is not str):
            error = {"kind": "error", "message": "an error the grader cannot read"}
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
            raise ExerciseTimeout(self.timeout_message()) from None
        except ProtocolError as exc:
            raise ExerciseCrashed(f"the process running your code sent garbage ({exc})") from None
        if msg["op"] == "exited":
            self.open = False
            status = msg.get("status")
            cpu = msg.get("cpu") if type(msg.get("cpu")) is float else 0.0
            if type(status) is not int:
                raise ExerciseCrashed("the process running your code sent garbage")
            if (os.WIFSIGNALED(status) and os.WTERMSIG(status) in (signal.SIGXCPU, signal.SIGKILL)
                    and cpu >= 0.95 * self.time_limit_s):
                raise ExerciseTimeout(self.timeout_message(), worker_ok=True)
            raise ExerciseCrashed(f"the process running your code {describe_exit(status)}",
                                  worker_ok=True)
        return msg

    def timeout_message(self) -> str:
        """The same words whichever limit stopped the code (which one does can depend on how
        busy the machine is, and a re-run must give the same feedback)."""
        return (f"time limit of {self.time_limit_s:g} s exceeded (an infinite loop, very slow "
                "code, or code that waits for something?)")

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
        try:
            data = encode({"op": "run", "probe": probe, "inputs": list(inputs)})
        except TypeError:
            raise GraderBug(f"{probe} was given inputs that are not plain data (tensors, numbers, "
                            "strings and lists, tuples or dicts of them); pass seeds, not "
                            "generators or modules") from None
        try:
            self.worker.send_bytes(data)
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
