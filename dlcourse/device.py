"""Device selection (introduced in Chapter 1): CUDA, then Apple MPS, then CPU."""
import os
import time

import torch


def get_device(prefer: str | None = None) -> torch.device:
    """Return the best available device.

    Order: CUDA, then Apple MPS, then CPU. ``prefer`` (or the environment
    variable ``DLCOURSE_DEVICE``) forces one, e.g. ``"cpu"`` for reproducible
    grading.
    """
    choice = prefer or os.environ.get("DLCOURSE_DEVICE")
    if choice:
        return torch.device(choice)
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def to_device(obj, device: torch.device):
    """Move a tensor, a module, or a (nested) tuple/list/dict of them to ``device``."""
    if isinstance(obj, (torch.Tensor, torch.nn.Module)):
        return obj.to(device)
    if isinstance(obj, (list, tuple)):
        return type(obj)(to_device(o, device) for o in obj)
    if isinstance(obj, dict):
        return {k: to_device(v, device) for k, v in obj.items()}
    return obj


def available_cpus() -> int:
    """CPUs this process may use: its affinity mask, capped by a cgroup CPU quota if any."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        cpus = os.cpu_count() or 1
    quota = _cgroup_quota()
    return max(1, min(cpus, quota)) if quota else max(1, cpus)


def _cgroup_quota() -> int | None:
    """The CPU quota of this process's cgroup, rounded up to whole CPUs (None if unlimited)."""
    try:  # cgroup v2: "max 100000" or "150000 100000"
        with open("/sys/fs/cgroup/cpu.max") as f:
            quota, period = f.read().split()[:2]
        return None if quota == "max" else -(-int(quota) // int(period))
    except (OSError, ValueError):
        pass
    try:  # cgroup v1
        with open("/sys/fs/cgroup/cpu/cpu.cfs_quota_us") as q, open("/sys/fs/cgroup/cpu/cpu.cfs_period_us") as p:
            quota, period = int(q.read()), int(p.read())
        return None if quota <= 0 else -(-quota // period)
    except (OSError, ValueError):
        return None


def _idle_cpus(seconds: float = 0.2) -> float | None:
    """How many CPUs of the machine sat idle over a short sample (None where /proc is missing)."""
    def sample():
        with open("/proc/stat") as f:
            fields = [int(v) for v in f.readline().split()[1:]]
        return fields[3] + fields[4], sum(fields)  # idle + iowait, total
    try:
        idle0, total0 = sample()
        time.sleep(seconds)
        idle1, total1 = sample()
    except (OSError, ValueError, IndexError):
        return None
    with open("/proc/stat") as f:
        ncpu = sum(1 for line in f if line.startswith("cpu") and line[3].isdigit())
    return ncpu * (idle1 - idle0) / max(1, total1 - total0)


def use_available_cpus() -> int:
    """Give PyTorch as many threads as there are CPUs it can really have (set-up cell, Chapter 1).

    On a shared machine (a JupyterHub node, a laptop running other work) PyTorch's default of one
    thread per core makes threads spin-wait for cores that are busy, which can slow a notebook
    down ten times. So: the CPUs of this process's affinity mask and cgroup quota, less those
    other programs keep busy right now, at least one. An explicit ``OMP_NUM_THREADS`` (or
    ``DLCOURSE_NUM_THREADS``) wins. Returns the number of threads.
    """
    told = os.environ.get("DLCOURSE_NUM_THREADS") or os.environ.get("OMP_NUM_THREADS")
    if told and told.isdigit() and int(told) > 0:
        threads = int(told)
    else:
        threads = available_cpus()
        idle = _idle_cpus()
        if idle is not None:
            threads = max(1, min(threads, int(idle + 0.5)))
    torch.set_num_threads(threads)
    return threads
