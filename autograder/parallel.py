"""Grading in parallel on one machine: notebooks of a submission, and students of a class.

Both use processes forked from this (trusted) grader process once PyTorch, pytest and the course
library are imported, so a child starts at once instead of importing them again:

- :func:`grade_notebooks`: the notebooks of one submission, spread over ``jobs`` streams. Each
  stream is a child with its own sandboxed worker, which serves the stream's notebooks one after
  another; the heaviest chapters are handed out first, the rest to whichever stream is free.
- :func:`run_forked`: one child per task (a student of a batch), ``jobs`` at a time, each with a
  time limit; a child that crashes or runs out of time is reported, never stops the others.

Every child uses one PyTorch thread (``AUTOGRADER_THREADS`` to change it).
"""
from __future__ import annotations

import os
import pickle
import select
import signal
import struct
import time
import traceback
from dataclasses import dataclass
from typing import Callable

from autograder.isolation import threads
from autograder.sandbox import Worker

_LENGTH = struct.Struct(">Q")


def available_cpus() -> int:
    """CPUs this process may use: its affinity mask, capped by a cgroup CPU quota if any."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:
        cpus = os.cpu_count() or 1
    try:
        with open("/sys/fs/cgroup/cpu.max") as f:
            quota, period = f.read().split()[:2]
        if quota != "max":
            cpus = min(cpus, -(-int(quota) // int(period)))
    except (OSError, ValueError):
        pass
    return max(1, cpus)


def limit_threads() -> None:
    """Set the thread count before PyTorch is imported (and again after, in case it was)."""
    n = str(threads())
    for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[name] = n
    import sys
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(int(n))


# --- messages between a parent and its forked children (both trusted) ---

def _send(fd: int, obj) -> None:
    data = pickle.dumps(obj)
    view = memoryview(_LENGTH.pack(len(data)) + data)
    while view:
        view = view[os.write(fd, view):]


def _recv(fd: int):
    """The next object on ``fd``; EOFError when the other side is gone."""
    def exactly(n):
        buf = bytearray()
        while len(buf) < n:
            chunk = os.read(fd, n - len(buf))
            if not chunk:
                raise EOFError
            buf += chunk
        return bytes(buf)
    (size,) = _LENGTH.unpack(exactly(_LENGTH.size))
    return pickle.loads(exactly(size))


def _child_exit(code: int = 0) -> None:
    os._exit(code)


def _fork(body: Callable[[], None]) -> int:
    """Fork a child that runs ``body`` and exits (never returns into the caller's code)."""
    import sys
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            body()
        except BaseException:  # the parent learns of it from the missing result
            traceback.print_exc()
            code = 1
        finally:
            _child_exit(code)
    return pid


# Modules that grading a chapter imports on first use, which every forked process would import
# again: a ``torch.optim`` optimizer imports ``torch._dynamo`` when first built, about as long as
# importing PyTorch itself. The grader builds optimizers for the references of Chapters 3 and 6
# ("trusted"); Chapter 6's GAN-step probe also builds them where the student's code runs
# ("sandbox"), so its workers import the module while they would otherwise wait.
FIRST_USE_IMPORTS = {"trusted": {"ch03": ("torch._dynamo",), "ch06": ("torch._dynamo",)},
                     "sandbox": {"ch06": ("torch._dynamo",)}}


def first_use_imports(side: str, chapters=None) -> list[str]:
    """The modules of :data:`FIRST_USE_IMPORTS` for ``side`` and ``chapters`` (None: all)."""
    table = FIRST_USE_IMPORTS[side]
    return sorted({name for chapter, names in table.items()
                   if chapters is None or chapter in chapters for name in names})


def preload(chapters=None) -> None:
    """Import here, once, before forking grading processes, what grading ``chapters`` (None:
    every chapter) would import on first use."""
    import importlib

    for name in first_use_imports("trusted", chapters):
        importlib.import_module(name)


# --- the notebooks of one submission, in streams ---

def spawn_workers(count: int) -> list[Worker]:
    """Start ``count`` workers now, so that they import PyTorch while this process does."""
    workers = []
    for _ in range(count):
        worker = Worker()
        worker.spawn()
        workers.append(worker)
    return workers


def _cost(submission) -> int:
    """A rough guess of a notebook's grading time: the size of its chapter's hidden tests."""
    from autograder.grade import HIDDEN_TESTS

    try:
        return (HIDDEN_TESTS / f"test_{submission.master.chapter}.py").stat().st_size
    except OSError:
        return 0


def grade_notebooks(submissions: list, jobs: int = 1, workers: list[Worker] | None = None,
                    on_result: Callable | None = None) -> list:
    """Grade ``submissions`` (loaded notebooks) in up to ``jobs`` parallel streams.

    ``workers``: workers already spawned (one per stream); ``on_result(i, result, seconds)`` is
    called in this process as each notebook finishes. Returns the results in input order.
    Raises :class:`autograder.grade.GraderFault` when the grader cannot grade.
    """
    from autograder.grade import GraderFault, grade_submission

    jobs = max(1, min(jobs, len(submissions)))
    workers = list(workers or [])
    while len(workers) < jobs:
        workers.append(Worker())
    for extra in workers[jobs:]:
        extra.kill()
    workers = workers[:jobs]
    chapters = {sub.master.chapter for sub in submissions}
    for worker in workers:  # queued: a worker still importing PyTorch does it next
        worker.preload(first_use_imports("sandbox", chapters))
    results: list = [None] * len(submissions)
    if jobs == 1:
        try:
            for i, sub in enumerate(submissions):
                start = time.monotonic()
                results[i] = grade_submission(sub, workers[0])
                if on_result:
                    on_result(i, results[i], time.monotonic() - start)
        finally:
            workers[0].stop()
        return results

    order = sorted(range(len(submissions)), key=lambda i: -_cost(submissions[i]))
    preload(chapters)
    streams = []
    try:
        for k in range(jobs):
            tasks_r, tasks_w = os.pipe()
            results_r, results_w = os.pipe()

            def body(k=k, tasks_r=tasks_r, results_w=results_w):
                for j, other in enumerate(workers):  # only this stream's worker is ours
                    if j != k:
                        for stream in (other.proc.stdin, other.proc.stdout) if other.proc else ():
                            stream.close()
                limit_threads()
                while True:
                    i = _recv(tasks_r)
                    if i is None:
                        break
                    start = time.monotonic()
                    try:
                        outcome = ("ok", grade_submission(submissions[i], workers[k]))
                    except GraderFault as exc:
                        outcome = ("fault", str(exc))
                    except Exception as exc:
                        outcome = ("fault", f"{type(exc).__name__}: {exc}")
                    _send(results_w, (i, outcome, time.monotonic() - start))
                if workers[k].owner == os.getpid():  # started here after the first one died
                    workers[k].stop()
                else:
                    workers[k].release()

            pid = _fork(body)
            os.close(tasks_r)
            os.close(results_w)
            streams.append({"pid": pid, "tasks": tasks_w, "results": results_r, "busy": False})
        fault = None
        pending = list(order)
        done = 0
        for stream in streams:
            if pending:
                _send(stream["tasks"], pending.pop(0))
                stream["busy"] = True
        while done < len(submissions):
            busy = {s["results"]: s for s in streams if s["busy"]}
            if not busy:
                break
            ready, _, _ = select.select(list(busy), [], [])
            for fd in ready:
                stream = busy[fd]
                try:
                    i, (kind, value), seconds = _recv(fd)
                except EOFError:
                    stream["busy"] = False
                    fault = fault or "a grading process ended unexpectedly"
                    continue
                done += 1
                if kind == "fault":
                    fault = fault or value
                else:
                    results[i] = value
                    if on_result:
                        on_result(i, value, seconds)
                if pending and not fault:
                    _send(stream["tasks"], pending.pop(0))
                else:
                    stream["busy"] = False
        if fault:
            raise GraderFault(fault)
        return results
    finally:
        for stream in streams:
            try:
                _send(stream["tasks"], None)
            except OSError:
                pass
        for stream in streams:
            for fd in (stream["tasks"], stream["results"]):
                try:
                    os.close(fd)
                except OSError:
                    pass
            try:
                os.waitpid(stream["pid"], 0)
            except ChildProcessError:
                pass
        for worker in workers:
            worker.stop()


# --- one child per task (students of a batch) ---

@dataclass
class Finished:
    task: object
    value: object = None        # what the task returned
    error: str = ""             # why there is no value: "timeout", "crashed: ..."
    seconds: float = 0.0


def run_forked(tasks: list, fn: Callable, jobs: int, timeout_s: float,
               on_done: Callable[[Finished], None] | None = None,
               on_tick: Callable[[], None] | None = None, tick_s: float = 1.0) -> list[Finished]:
    """``fn(task)`` for every task, each in its own forked child, ``jobs`` at a time.

    A child that runs longer than ``timeout_s`` is killed (with its process group: its worker
    dies with it) and reported as ``error="timeout"``; one that dies without answering as
    ``"crashed: ..."``. ``on_done`` is called in this process as each task finishes, ``on_tick``
    about every ``tick_s`` seconds. Returns the results in task order.
    """
    jobs = max(1, jobs)
    results: list[Finished | None] = [None] * len(tasks)
    running: dict[int, dict] = {}   # read fd -> child
    queue = list(range(len(tasks)))

    def start(i: int) -> None:
        r, w = os.pipe()

        def body():
            os.close(r)
            os.setpgid(0, 0)
            limit_threads()
            _send(w, fn(tasks[i]))

        pid = _fork(body)
        os.close(w)
        running[r] = {"pid": pid, "task": i, "start": time.monotonic()}

    def finish(fd: int, finished: Finished) -> None:
        child = running.pop(fd)
        os.close(fd)
        try:
            os.killpg(child["pid"], signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            _, status = os.waitpid(child["pid"], 0)
        except ChildProcessError:
            status = 0
        if finished.error == "crashed":
            finished.error = _describe(status)
        finished.seconds = time.monotonic() - child["start"]
        results[child["task"]] = finished
        if on_done:
            on_done(finished)

    try:
        last_tick = 0.0
        while queue or running:
            while queue and len(running) < jobs:
                start(queue.pop(0))
            now = time.monotonic()
            deadline = min(c["start"] + timeout_s for c in running.values())
            wait = max(0.0, min(deadline - now, tick_s))
            ready, _, _ = select.select(list(running), [], [], wait)
            for fd in ready:
                task = tasks[running[fd]["task"]]
                try:
                    value = _recv(fd)
                    finish(fd, Finished(task, value))
                except (EOFError, pickle.UnpicklingError, struct.error):
                    finish(fd, Finished(task, error="crashed"))
            now = time.monotonic()
            for fd, child in list(running.items()):
                if now - child["start"] > timeout_s:
                    finish(fd, Finished(tasks[child["task"]], error="timeout"))
            if on_tick and time.monotonic() - last_tick >= tick_s:
                last_tick = time.monotonic()
                on_tick()
    finally:
        for fd, child in list(running.items()):
            try:
                os.killpg(child["pid"], signal.SIGKILL)
                os.waitpid(child["pid"], 0)
            except (ProcessLookupError, PermissionError, ChildProcessError):
                pass
            os.close(fd)
    return results


def _describe(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"crashed: the grading process was killed by signal {os.WTERMSIG(status)}"
    return f"crashed: the grading process exited with status {os.WEXITSTATUS(status)}"
