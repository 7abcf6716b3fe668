"""The worker: the only place where a submission's code runs.

Started by the grader (inside the sandbox when one is available) as
``python -m autograder.worker``. It reads requests on stdin and answers on
stdout; the student's own prints go to ``output.log`` in its scratch folder.
For each notebook of the submission the worker runs the master's set-up cells
in a fresh namespace, then forks one child per exercise, which runs the
student's cells and answers ``run`` requests with plain data. A crash, exit or
hang in a child costs only that exercise. The worker itself never runs student
code, so one worker serves all the notebooks of a submission.
"""
from __future__ import annotations

import importlib
import math
import os
import resource
import signal
import sys
import traceback

from autograder.protocol import encode, read_message, write_message

FILE_LIMIT = 64 * 2**20  # largest file (including the captured output) student code may write


class _NoShell:
    """Stands in for IPython inside the worker: magics and shell commands are refused."""

    def _refuse(self, *args, **kwargs):
        raise RuntimeError("shell commands and magics (!cmd, %magic) are not run by the grader")

    system = getoutput = run_line_magic = run_cell_magic = _refuse


def _short_error(exc: BaseException, filename_prefix: str = "<cell") -> str:
    """The exception and the last line of the student's code it came from."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename.startswith(filename_prefix)]
    where = f" (line {frames[-1].lineno} of your cell)" if frames else ""
    if isinstance(exc, SyntaxError):
        where = f" (line {exc.lineno} of your cell)"
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}{': ' + text[:300] if text else ''}{where}"


def to_plain(value, depth: int = 0):
    """Copy a result into types that cross the boundary; raise TypeError otherwise."""
    import numpy as np
    import torch

    if depth > 20:
        raise TypeError("result nested too deeply")
    if isinstance(value, torch.Tensor):
        return value.detach().to("cpu").as_subclass(torch.Tensor).clone()
    if value is None or type(value) in (bool, int, float, str):
        return value
    if isinstance(value, np.generic) and not isinstance(value, np.ndarray):
        return value.item()
    if type(value) in (list, tuple):
        return type(value)(to_plain(v, depth + 1) for v in value)
    if type(value) is dict and all(type(k) is str for k in value):
        return {k: to_plain(v, depth + 1) for k, v in value.items()}
    raise TypeError(f"returned an object of type {type(value).__module__}.{type(value).__qualname__}, "
                    "which cannot be checked")


def _limit_memory(megabytes: int) -> None:
    """Cap this process's address space at its current size plus ``megabytes``."""
    with open("/proc/self/status") as status:
        vm_kb = next(int(line.split()[1]) for line in status if line.startswith("VmSize:"))
    limit = (vm_kb * 1024) + megabytes * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _serve_exercise(request: dict, namespace: dict, rin, rout) -> None:
    """Child process: run the student's cells, then answer ``run`` requests until ``end``."""
    import torch

    from dlcourse.checks import bundle_targets, resolve_probe
    from dlcourse.seed import set_seed

    os.setpgid(0, 0)  # its own process group, so the parent can kill its descendants too
    _limit_memory(request["memory_mb"])
    cpu = max(1, math.ceil(request.get("cpu_s", 30)))  # SIGXCPU there, SIGKILL a second later
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_LIMIT, FILE_LIMIT))
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # an oversized write fails instead of killing
    set_seed(0)
    errors = {}
    for grade_id, source in request["cells"]:
        try:
            exec(compile(source, f"<cell {grade_id}>", "exec"), namespace)
        except NotImplementedError:
            errors[grade_id] = {"kind": "not_attempted", "message": "the cell still raises NotImplementedError"}
        except BaseException as exc:  # SystemExit and KeyboardInterrupt included
            errors[grade_id] = {"kind": "error", "message": _short_error(exc)}
    names = request["targets"]
    missing = [n for n in names if n not in namespace]
    write_message(rout, {"op": "ready", "errors": errors, "missing": missing})
    while True:
        msg = read_message(rin)
        if msg["op"] != "run":
            os._exit(0)
        try:
            target = bundle_targets(names, [namespace[n] for n in names])
            set_seed(msg.get("seed", 0))
            with torch.random.fork_rng():
                value = resolve_probe(msg["probe"])(target, *msg["inputs"])
            reply = {"op": "result", "value": to_plain(value)}
        except NotImplementedError:
            reply = {"op": "not_attempted"}
        except BaseException as exc:
            reply = {"op": "raised", "message": _short_error(exc)}
        sys.stdout.flush()
        try:
            data = encode(reply)
        except TypeError as exc:  # e.g. a tensor of a dtype that cannot be sent
            data = encode({"op": "raised", "message": f"TypeError: your code returned data "
                                                      f"that cannot be checked ({exc})"})
        rout.write(data)
        rout.flush()


def _die_with_parent() -> None:
    """Be killed when the parent process ends (also where no sandbox does it for us)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def main() -> None:
    _die_with_parent()
    rin = os.fdopen(os.dup(0), "rb", buffering=0)
    rout = os.fdopen(os.dup(1), "wb", buffering=0)
    log = os.open("output.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(log, 1)
    os.dup2(log, 2)
    sys.stdin = open(os.devnull)
    sys.stdout = os.fdopen(1, "w", buffering=1)
    sys.stderr = os.fdopen(2, "w", buffering=1)

    if os.environ.get("AUTOGRADER_MAX_PROCESSES"):  # a dedicated uid: the limit is ours alone
        limit = int(os.environ["AUTOGRADER_MAX_PROCESSES"])
        resource.setrlimit(resource.RLIMIT_NPROC, (limit, limit))

    import torch

    threads = os.environ.get("OMP_NUM_THREADS", "1")
    torch.set_num_threads(int(threads) if threads.isdigit() and int(threads) > 0 else 1)
    namespace: dict = {}
    while True:
        try:
            msg = read_message(rin)
        except EOFError:
            break
        if msg["op"] == "setup":  # a notebook begins: a fresh namespace with its set-up cells run
            namespace = {"__name__": "__main__", "get_ipython": _NoShell}
            errors = {}
            for label, source in msg["cells"]:
                try:
                    exec(compile(source, f"<setup {label}>", "exec"), namespace)
                except BaseException as exc:
                    errors[label] = _short_error(exc, "<setup")
            write_message(rout, {"op": "setup_done", "errors": errors})
        elif msg["op"] == "import":  # modules the exercises' children would each import
            for name in msg["modules"]:
                try:
                    importlib.import_module(name)
                except Exception:  # the children will try again, and say why
                    pass
        elif msg["op"] == "exercise":
            pid = os.fork()
            if pid == 0:
                try:
                    _die_with_parent()
                    _serve_exercise(msg, dict(namespace), rin, rout)
                finally:
                    os._exit(0)
            _, status, usage = os.wait4(pid, 0)
            try:
                os.killpg(pid, signal.SIGKILL)  # descendants the child left behind
            except (ProcessLookupError, PermissionError):
                pass
            write_message(rout, {"op": "exited", "status": status,
                                 "cpu": float(usage.ru_utime + usage.ru_stime)})
        else:
            break
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)  # at once: tearing down PyTorch's interpreter state takes a good half second


if __name__ == "__main__":
    main()
