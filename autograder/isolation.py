"""How the worker is isolated from the grader's machine.

With bubblewrap (``bwrap``, Debian package ``bubblewrap``) the worker runs in
new namespaces: no network (only its own loopback), its own PID namespace (the
whole tree dies with it), a read-only view of the system and the Python
environment, none of the repository except the course library and the worker's
own two modules (so no masters, hidden tests or other submissions), a private
/tmp, and a writable scratch folder that is deleted afterwards. When the grader
runs as root, the worker also drops to a dedicated unprivileged uid with a
process limit (fork bombs hit it), and never sees the grader's environment.

Without bubblewrap (not installed, or a container that forbids namespaces) the
worker is a separate process with a clean environment and resource limits; run
as root, the grader still starts it as a user of its own (``setpriv``), with a
copy of its two modules and the course library, so it cannot read what only
root may read (make the checkout and the results folder root-only, as the
Gradescope package does) nor signal the grader. The score stays trustworthy;
the network and the rest of the machine are not protected.
``AUTOGRADER_REQUIRE_SANDBOX=1`` turns that case into an error;
``AUTOGRADER_BWRAP=0`` chooses it (to try the fallback where bubblewrap works).
"""
from __future__ import annotations

import atexit
import fcntl
import functools
import os
import shutil
import subprocess
import sys
import tempfile
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


UID_FIRST, UID_COUNT = 61000, 4000  # uids no real account uses


class UidLease:
    """A sandbox uid held by one worker alone, for as long as it runs: an exclusive lock on a
    file named after the uid, in a folder shared by every grading process on the machine.
    Workers that shared a uid would share its process limit: one student's fork bomb would
    stop another student's code from starting."""

    def __init__(self):
        folder = Path("/run" if os.access("/run", os.W_OK) else "/tmp") / "autograder-uids"
        folder.mkdir(mode=0o700, exist_ok=True)
        start = os.getpid() * 16
        for i in range(UID_COUNT):
            uid = UID_FIRST + (start + i) % UID_COUNT
            fd = os.open(folder / str(uid), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                continue
            self.uid, self._fd = uid, fd
            return
        raise RuntimeError(f"all {UID_COUNT} sandbox uids are in use")

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


@functools.lru_cache(maxsize=1)
def _private_copy() -> str:
    """The worker's files copied to a folder of their own, readable by everyone (for a worker
    that runs as another user, without bubblewrap, while the checkout stays private)."""
    folder = Path(tempfile.mkdtemp(prefix="autograder-worker-code-"))
    for path in _worker_files():
        target = folder / path.relative_to(code_root())
        if path.is_dir():
            shutil.copytree(path, target, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, target)
    for sub in [folder, *folder.rglob("*")]:
        sub.chmod(0o755 if sub.is_dir() else 0o644)
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return str(folder)


def _worker_files() -> list[Path]:
    """What of the repository the worker may see: the course library and its own code."""
    package = code_root() / "autograder"
    return [package.parent / "dlcourse", package / "__init__.py", package / "worker.py",
            package / "protocol.py"]


def fallback() -> bool:
    """True when workers run without bubblewrap, as a user of their own (see above)."""
    if os.environ.get("AUTOGRADER_REQUIRE_SANDBOX") == "1":
        return False
    return ((os.environ.get("AUTOGRADER_BWRAP") == "0" or not bwrap_works())
            and os.geteuid() == 0 and shutil.which("setpriv") is not None)


def prepare() -> None:
    """Do once, before forking grading processes, what every worker start would repeat."""
    if fallback():
        _private_copy()


def command(argv: list[str], scratch: str) -> tuple[list[str], dict, UidLease | None]:
    """The command line and environment that run ``argv`` isolated, in ``scratch``, and the
    uid it runs as (when the grader runs as root): release it once the process has ended."""
    env = clean_env(scratch)
    if os.environ.get("AUTOGRADER_BWRAP") == "0" or not bwrap_works():
        if os.environ.get("AUTOGRADER_REQUIRE_SANDBOX") == "1":
            raise SandboxUnavailable("bubblewrap (bwrap) is required but cannot run here; "
                                     "install the Debian package `bubblewrap`")
        if os.geteuid() == 0 and shutil.which("setpriv"):
            # No namespaces (e.g. a container that forbids them), but as root the worker can
            # still run as a user of its own, which cannot read what only root may read.
            lease = UidLease()
            env["PYTHONPATH"] = env["PYTHONPATH"].replace(str(code_root()), _private_copy(), 1)
            env["AUTOGRADER_MAX_PROCESSES"] = str(MAX_PROCESSES)
            return ["setpriv", f"--reuid={lease.uid}", f"--regid={lease.uid}", "--clear-groups",
                    "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", *argv], env, lease
        return argv, env, None
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
    lease = None
    if os.geteuid() == 0:
        lease = UidLease()
        env["AUTOGRADER_MAX_PROCESSES"] = str(MAX_PROCESSES)
        args += ["--", "setpriv", f"--reuid={lease.uid}", f"--regid={lease.uid}", "--clear-groups",
                 "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs"]
    else:
        args[1:1] = ["--unshare-user"]
        args += ["--cap-drop", "ALL", "--"]
    return args + argv, env, lease


def remove_tree(path: str) -> None:
    """Delete a scratch folder, whatever the student left in it."""
    shutil.rmtree(path, ignore_errors=True)
