"""How the worker is isolated from the grader's machine.

With bubblewrap (``bwrap``, Debian package ``bubblewrap``) the worker runs in
new namespaces: no network (only its own loopback), its own PID namespace (the
whole tree dies with it), a read-only view of the system and the Python
environment, none of the repository except the course library and the worker's
own two modules (so no masters, hidden tests or other submissions), a private
/tmp, and a writable scratch folder that is deleted afterwards. When the grader
runs as root, the worker also drops to a dedicated unprivileged uid with a
process limit (fork bombs hit it), and never sees the grader's environment.

Without bubblewrap the worker is only a separate process with a clean
environment and resource limits: the score stays trustworthy, the machine is not
protected. ``AUTOGRADER_REQUIRE_SANDBOX=1`` turns that case into an error.
"""
from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
from pathlib import Path

MAX_PROCESSES = 64
TMPFS_BYTES = 64 * 2**20  # the sandbox's private /tmp lives in memory; keep it small
_SYSTEM_DIRS = ["/usr", "/bin", "/sbin", "/lib", "/lib64", "/lib32", "/etc/alternatives",
                "/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/localtime",
                "/etc/passwd", "/etc/group", "/etc/ssl"]


def threads() -> int:
    """PyTorch intra-op threads of the worker: ``AUTOGRADER_THREADS``, 1 unless told."""
    value = os.environ.get("AUTOGRADER_THREADS", "1")
    return int(value) if value.isdigit() and int(value) > 0 else 1


class SandboxUnavailable(RuntimeError):
    """Isolation was required but bubblewrap cannot run here."""


def code_root() -> Path:
    """The folder holding the ``autograder`` and ``dlcourse`` packages this grader runs from."""
    return Path(__file__).resolve().parent.parent


def library_dirs() -> list[str]:
    """Folders of Python packages the worker may need beyond the environment's own prefix (a
    user site, a site folder added by a ``.pth`` file or ``PYTHONPATH``): every folder on this
    process's ``sys.path`` except the grader's own checkout and the folders above it, which
    hold masters and hidden tests (the worker gets the two packages it needs one by one).
    Paths as ``sys.path`` spells them (the sandbox shows each where it really is, too)."""
    root = code_root()
    prefixes = [Path(p) for p in (sys.prefix, sys.base_prefix)]
    prefixes += [p.resolve() for p in prefixes]
    found = []
    for entry in sys.path:
        literal = Path(os.path.abspath(entry or os.getcwd()))
        try:
            real = literal.resolve()
        except OSError:
            continue
        if not real.is_dir() or real == root or real in root.parents or root in real.parents:
            continue  # the checkout: masters and hidden tests
        if any(p == prefix or prefix in p.parents for p in (literal, real) for prefix in prefixes):
            continue  # bound with the whole environment anyway
        for path in (str(literal), str(real)):
            if path not in found:
                found.append(path)
    return found


def clean_env(scratch: str) -> dict:
    """The only variables the worker sees; nothing from the grader's environment leaks in.

    ``PYTHONPATH`` makes the worker import the grader's own ``dlcourse`` and ``autograder``,
    whatever the environment's install points at (another checkout, no install at all), then
    what the grader's own ``PYTHONPATH`` adds besides the checkout.
    """
    told = [str(Path(p).resolve()) for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    extra = [p for p in library_dirs() if p in told]
    return {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "PYTHONPATH": os.pathsep.join([str(code_root()), *extra]),
        "HOME": scratch,
        "TMPDIR": scratch,
        "LANG": "C.UTF-8",
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
        "OMP_NUM_THREADS": str(threads()),
        "MKL_NUM_THREADS": str(threads()),
        "CUDA_VISIBLE_DEVICES": "",
        "DLCOURSE_DEVICE": "cpu",
        "MPLBACKEND": "Agg",
        "MPLCONFIGDIR": scratch,
    }


@functools.lru_cache(maxsize=1)
def bwrap_works() -> bool:
    """True when bubblewrap is installed and can create namespaces on this machine."""
    if not shutil.which("bwrap"):
        return False
    probe = ["bwrap", "--ro-bind", "/", "/", "--unshare-all", "--die-with-parent", "true"]
    try:
        return subprocess.run(probe, capture_output=True, timeout=20).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def sandbox_uid() -> int:
    """A uid no real account uses, distinct per grading process (so parallel
    graders do not share a process limit)."""
    return 61000 + os.getpid() % 4000


def _worker_files() -> list[Path]:
    """What of the repository the worker may see: the course library and its own code."""
    package = code_root() / "autograder"
    return [package.parent / "dlcourse", package / "__init__.py", package / "worker.py",
            package / "protocol.py"]


def command(argv: list[str], scratch: str) -> tuple[list[str], dict]:
    """The command line and environment that run ``argv`` isolated, in ``scratch``."""
    env = clean_env(scratch)
    if not bwrap_works():
        if os.environ.get("AUTOGRADER_REQUIRE_SANDBOX") == "1":
            raise SandboxUnavailable("bubblewrap (bwrap) is required but cannot run here; "
                                     "install the Debian package `bubblewrap`")
        return argv, env
    # Every namespace but the user one: as root, setpriv below needs real uids to switch to.
    args = ["bwrap", "--die-with-parent", "--new-session", "--unshare-net", "--unshare-pid",
            "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
            "--proc", "/proc", "--dev", "/dev", "--size", str(TMPFS_BYTES), "--tmpfs", "/tmp"]
    made = set()

    def parents(path: str) -> list[str]:
        """Create missing parent folders world-readable (bwrap would make them 0700)."""
        out = []
        for parent in reversed(Path(path).parents):
            if str(parent) != "/" and str(parent) not in made:
                made.add(str(parent))
                out += ["--perms", "0755", "--dir", str(parent)]
        return out

    for path in [*_SYSTEM_DIRS, sys.base_prefix, sys.prefix, *library_dirs()]:
        args += parents(path) + ["--ro-bind-try", path, path]
    for path in _worker_files():
        args += parents(str(path)) + ["--ro-bind", str(path), str(path)]
    args += parents(scratch) + ["--bind", scratch, scratch, "--chdir", scratch]
    if os.geteuid() == 0:
        uid = sandbox_uid()
        env["AUTOGRADER_MAX_PROCESSES"] = str(MAX_PROCESSES)
        args += ["--", "setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups",
                 "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs"]
    else:
        args[1:1] = ["--unshare-user"]
        args += ["--cap-drop", "ALL", "--"]
    return args + argv, env


def remove_tree(path: str) -> None:
    """Delete a scratch folder, whatever the student left in it."""
    shutil.rmtree(path, ignore_errors=True)
