"""The course on a CUDA GPU (``make test-gpu``; not collected otherwise, see conftest.py).

Every master runs top to bottom, and every student notebook runs the way the website builds it
(cells tagged ``skip-execution``, the exercises and their checks, left out), in a kernel of this
environment with nothing forcing the CPU: the set-up cell's ``get_device()`` must pick CUDA and
the notebook must really use it. The library tests run in their own process with
``DLCOURSE_DEVICE=cuda`` (see the Makefile). Without a CUDA device these tests fail, they do not
skip: ``make test-gpu`` is asked for on purpose.
"""
from __future__ import annotations

import os

import nbformat
import pytest

from tests.conftest import CHAPTERS, ROOT, master_paths

PROBE = ("import torch\n"
         "assert device.type == 'cuda', f'the set-up cell chose {device}'\n"
         "assert torch.cuda.max_memory_allocated() > 0, 'nothing ran on the GPU'\n"
         "print('GPU memory used:', torch.cuda.max_memory_allocated())\n")


@pytest.fixture(scope="module", autouse=True)
def cuda():
    import torch

    if not torch.cuda.is_available():
        pytest.fail("no CUDA device: make test-gpu needs an NVIDIA GPU and a CUDA build of PyTorch")
    return torch.cuda.get_device_name(0)


def execute(nb, timeout: int = 1800):
    from nbclient import NotebookClient

    env = {k: v for k, v in os.environ.items() if k != "DLCOURSE_DEVICE"}
    nb.cells.append(nbformat.v4.new_code_cell(PROBE))
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(ROOT)}})
    old = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        client.execute()
    finally:
        os.environ.clear()
        os.environ.update(old)
    return nb


@pytest.mark.parametrize("master", master_paths(), ids=lambda p: p.stem)
def test_master_runs_on_cuda(master):
    execute(nbformat.read(master, as_version=4))


@pytest.mark.parametrize("master", master_paths(), ids=lambda p: p.stem)
def test_student_notebook_runs_on_cuda_as_the_book_runs_it(master):
    nb = nbformat.read(CHAPTERS / master.name, as_version=4)
    nb.cells = [c for c in nb.cells if "skip-execution" not in c.get("metadata", {}).get("tags", [])]
    execute(nb)
