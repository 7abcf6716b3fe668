"""Hostile and broken submissions: every one gets a well-formed report, the other
exercises are scored exactly as normal, nothing outside the sandbox changes, and
grading stays inside its time budget.

Each case is one submission notebook made from a master: its first exercise (the
"victim") is replaced by the attack, every other exercise keeps the reference
solution. Attacks that try to read or reach something end with ``os._exit(7)``
when they succeed, so "correct" proves the attack failed.
"""
from __future__ import annotations

import copy
import hashlib
import json
import time
from pathlib import Path

import pytest

from autograder.grade import grade_notebook
from autograder.mistakes import mistakes_of
from autograder.notebooks import InvalidSubmission, load_master
from autograder.report import gradescope
from tests.conftest import ROOT, SOLUTIONS, cell_by_grade_id, read_nb

pytestmark = pytest.mark.slow

MASTER = SOLUTIONS / "02_backprop.ipynb"
HIDDEN = ROOT / "autograder" / "hidden_tests" / "test_ch02.py"
CANARY = Path.home() / ".autograder-canary"
TIME_SCALE = "0.4"       # exercise time limits x0.4, so time-outs come quickly
BUDGET_SECONDS = 150     # one hostile submission, graded start to finish


def _spec():
    master = load_master(MASTER)
    victim = next(iter(master.exercises))
    target = master.exercises[victim].exercise.target
    wrong = next(m.source for m in mistakes_of("ch02") if m.grade_id == victim)
    return victim, target, master.exercises[victim].solution, wrong


VICTIM, TARGET, CORRECT, WRONG = _spec()


def attack(prefix: str, body: str = "correct") -> str:
    """Attack code at the top of the cell, then the correct or a wrong solution."""
    return prefix + "\n" + {"correct": CORRECT, "wrong": WRONG}[body]


def set_victim(source: str):
    def edit(nb):
        cell_by_grade_id(nb, VICTIM)["source"] = source
    return edit


def edit_check_cell(change):
    def edit(nb):
        cell_by_grade_id(nb, VICTIM)["source"] = WRONG if change == "points" else CORRECT
        check = cell_by_grade_id(nb, f"{VICTIM}_check")
        if change == "source":
            check["source"] = "pass"
        elif change == "points":
            check["metadata"]["nbgrader"]["points"] = 100
        elif change == "delete":
            nb["cells"].remove(check)
    return edit


def duplicate_victim(nb):
    cell = cell_by_grade_id(nb, VICTIM)
    nb["cells"].insert(nb["cells"].index(cell), copy.deepcopy(cell))


def strip_metadata(nb):
    cell_by_grade_id(nb, VICTIM)["metadata"].pop("nbgrader")


def fake_outputs(nb):
    cell_by_grade_id(nb, VICTIM)["source"] = WRONG
    check = cell_by_grade_id(nb, f"{VICTIM}_check")
    check["execution_count"] = 7
    check["outputs"] = [{"output_type": "stream", "name": "stdout",
                         "text": "[correct] all checks passed.\nScore: 100/100\n"}]


READ_MASTERS = f"""
import glob, os
if glob.glob('{SOLUTIONS}/*.ipynb') or os.path.exists('{MASTER}'):
    os._exit(7)
"""
READ_HIDDEN = f"""
import os
if os.path.exists('{HIDDEN}') or os.path.exists('{ROOT}/autograder/hidden_tests'):
    os._exit(7)
"""
READ_SECRETS = """
import os
if any('GRADER_SECRET' in k for k in os.environ):
    os._exit(7)
for pid in ('1', '2', 'self'):
    try:
        if b'GRADER_SECRET' in open(f'/proc/{pid}/environ', 'rb').read():
            os._exit(7)
    except OSError:
        pass
"""
NETWORK = """
import os, socket
for address in [('1.1.1.1', 53), ('8.8.8.8', 443), ('pypi.org', 443)]:
    try:
        socket.create_connection(address, timeout=2).close()
        os._exit(7)
    except OSError:
        pass
"""
WRITE_OUTSIDE = f"""
import os
for path in ['{CANARY}', '{ROOT}/solutions/hacked.txt', '{ROOT}/results.json', '/tmp/hacked.txt']:
    try:
        with open(path, 'w') as f:
            f.write('pwned')
    except OSError:
        pass
"""
FORGE_RESULTS = f"""
import json
for path in ['results.json', '{ROOT}/results.json', '{ROOT}/grading-reports/results.json']:
    try:
        json.dump({{'score': 1000, 'tests': []}}, open(path, 'w'))
    except OSError:
        pass
"""
ALWAYS_EQUAL = f"""
class AlwaysEqual:
    def __eq__(self, other):
        return True
    def __ne__(self, other):
        return False
    def __bool__(self):
        return True

def {TARGET}(*args, **kwargs):
    return AlwaysEqual(), AlwaysEqual(), AlwaysEqual()
"""
LYING_TENSOR = WRONG + f"""
import torch

class Liar(torch.Tensor):
    def __eq__(self, other):
        return True

_wrong = {TARGET}

def {TARGET}(*args, **kwargs):
    return tuple(t.as_subclass(Liar) for t in _wrong(*args, **kwargs))
"""
UNSEEDED = CORRECT + f"""
import random, torch

_right = {TARGET}

def {TARGET}(*args, **kwargs):
    out = _right(*args, **kwargs)
    if torch.rand(()) < 0.5 or random.random() < 0.5:
        out = tuple(t + 1.0 for t in out)
    return out
"""

CASES = {
    "infinite loop in the function": (set_victim(f"def {TARGET}(*args, **kwargs):\n    while True:\n        pass\n"), {"timeout"}),
    "infinite loop at top level": (set_victim(attack("while True:\n    pass")), {"timeout"}),
    "infinite loop while printing": (set_victim(attack("while True:\n    print('spam ' * 1000)")), {"timeout", "error"}),
    "memory bomb (tensor)": (set_victim(attack("import torch\nhog = torch.ones(2**40, dtype=torch.uint8)")), {"error"}),
    "memory bomb (bytes)": (set_victim(attack("hog = bytearray(2**36)")), {"error"}),
    "fork bomb": (set_victim(attack("import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass")), {"timeout"}),
    "sys.exit": (set_victim(attack("import sys\nsys.exit(0)")), {"error"}),
    "os._exit(0)": (set_victim(attack("import os\nos._exit(0)")), {"crashed"}),
    "segfault": (set_victim(attack("import ctypes\nctypes.string_at(0)")), {"crashed"}),
    "signals disabled, then a loop": (set_victim(attack("import signal\nfor s in (signal.SIGTERM, signal.SIGINT, signal.SIGALRM, signal.SIGHUP, signal.SIGUSR1):\n    signal.signal(s, signal.SIG_IGN)\nwhile True:\n    pass")), {"timeout"}),
    "kills its parent process": (set_victim(attack("import os, signal\nos.kill(os.getppid(), signal.SIGKILL)")), {"crashed", "correct"}),
    "sleeps forever": (set_victim(attack("import time\ntime.sleep(10**6)")), {"timeout"}),
    "patches torch.allclose and torch.equal": (set_victim(attack("import torch\ntorch.allclose = lambda *a, **k: True\ntorch.equal = lambda *a, **k: True", "wrong")), {"incorrect"}),
    "patches torch.testing.assert_close": (set_victim(attack("import torch.testing\ntorch.testing.assert_close = lambda *a, **k: None", "wrong")), {"incorrect"}),
    "patches IPython's showtraceback": (set_victim(attack("from IPython.core.interactiveshell import InteractiveShell\nInteractiveShell.showtraceback = lambda *a, **k: None", "wrong")), {"incorrect"}),
    "returns objects that equal everything": (set_victim(ALWAYS_EQUAL), {"error", "incorrect"}),
    "returns a tensor subclass claiming equality": (set_victim(LYING_TENSOR), {"incorrect"}),
    "prints fake 'all tests passed'": (set_victim(attack("print('All tests passed! Score: 100/100')", "wrong")), {"incorrect"}),
    "prints CI workflow commands": (set_victim(attack("import sys\nprint('::set-output name=score::100')\nprint('::error::grader broken')\nsys.stderr.write('##vso[task.complete result=Succeeded]')", "wrong")), {"incorrect"}),
    "writes a forged results.json": (set_victim(attack(FORGE_RESULTS, "wrong")), {"incorrect"}),
    "writes files outside its sandbox": (set_victim(attack(WRITE_OUTSIDE)), {"correct"}),
    "reads the master notebooks": (set_victim(attack(READ_MASTERS)), {"correct"}),
    "reads the hidden tests": (set_victim(attack(READ_HIDDEN)), {"correct"}),
    "reads environment secrets": (set_victim(attack(READ_SECRETS)), {"correct"}),
    "opens network connections": (set_victim(attack(NETWORK)), {"correct"}),
    "shell magics (!rm -rf ~)": (set_victim(attack("!rm -rf ~\n%rm -rf /")), {"error"}),
    "calls .cuda() without a GPU": (set_victim(attack("import torch\ntorch.zeros(1).cuda()")), {"error"}),
    "syntax error in its cell": (set_victim(attack("def broken(:\n    pass")), {"error"}),
    "renamed function": (set_victim(CORRECT.replace(f"def {TARGET}(", f"def {TARGET}_v2(")), {"error"}),
    "locked check cell edited": (edit_check_cell("source"), {"correct"}),
    "check cell deleted": (edit_check_cell("delete"), {"correct"}),
    "check cell points changed": (edit_check_cell("points"), {"incorrect"}),
    "duplicated grade_id": (duplicate_victim, {"missing"}),
    "grade_id metadata stripped": (strip_metadata, {"missing"}),
    "pre-filled fake outputs": (fake_outputs, {"incorrect"}),
}


ATTACK_TARGETS = [CANARY, ROOT / "solutions" / "hacked.txt", ROOT / "results.json",
                  ROOT / "grading-reports" / "results.json", Path("/tmp/hacked.txt")]


def _snapshot() -> dict[str, str]:
    """Every path the attacks write to (the canary lives in the grader's home), and the masters."""
    state = {str(p): p.read_text() if p.exists() else "absent" for p in ATTACK_TARGETS}
    state["masters"] = hashlib.sha256(MASTER.read_bytes() + HIDDEN.read_bytes()).hexdigest()
    return state


@pytest.fixture
def hostile_env(monkeypatch, tmp_path):
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setenv("AUTOGRADER_SCRATCH", str(scratch))
    monkeypatch.setenv("AUTOGRADER_TIME_SCALE", TIME_SCALE)
    monkeypatch.setenv("GRADER_SECRET_TOKEN", "s3cr3t")
    CANARY.write_text("untouched")
    before = _snapshot()
    yield
    assert _snapshot() == before, "a file outside the sandbox changed"
    assert not list(scratch.iterdir()), "a scratch folder was left behind"


@pytest.fixture(scope="module")
def normal():
    """The master's own result: what every non-victim exercise must score."""
    return {e.grade_id: (e.points, e.status) for e in grade_notebook(MASTER).exercises}


@pytest.mark.parametrize("case", list(CASES))
def test_hostile_submission(case, tmp_path, hostile_env, normal):
    edit, allowed = CASES[case]
    nb = read_nb(MASTER)
    edit(nb)
    path = tmp_path / "submission.ipynb"
    path.write_text(json.dumps(nb))
    start = time.monotonic()
    result = grade_notebook(path)
    elapsed = time.monotonic() - start
    print(f"{case}: graded in {elapsed:.1f} s")
    report = json.loads(json.dumps(gradescope([result])))  # well-formed and serialisable
    assert len(report["tests"]) == len(normal)
    by_id = {e.grade_id: e for e in result.exercises}
    assert by_id[VICTIM].status in allowed, (by_id[VICTIM].status, by_id[VICTIM].messages)
    correct = by_id[VICTIM].status == "correct"
    assert by_id[VICTIM].points == (normal[VICTIM][0] if correct else 0)
    for message in by_id[VICTIM].messages:
        assert "Traceback" not in message and message.strip()
    for gid, (points, status) in normal.items():
        if gid != VICTIM:
            assert (by_id[gid].points, by_id[gid].status) == (points, status), gid
    assert result.max_points == sum(p for p, _ in normal.values())
    assert "::set-output" not in json.dumps(report) and "100/100" not in json.dumps(report)
    assert elapsed < BUDGET_SECONDS


def test_unseeded_randomness_gets_the_same_score_twice(tmp_path, hostile_env):
    nb = read_nb(MASTER)
    set_victim(UNSEEDED)(nb)
    path = tmp_path / "random.ipynb"
    path.write_text(json.dumps(nb))
    first, second = grade_notebook(path), grade_notebook(path)
    assert [(e.points, e.status, e.messages) for e in first.exercises] == \
           [(e.points, e.status, e.messages) for e in second.exercises]


@pytest.mark.parametrize("name, content, reason", [
    ("malformed.ipynb", b'{"cells": [{"cell_type": "code", "source": ', "broken JSON"),
    ("huge.ipynb", None, "over the 20 MiB limit"),
    ("binary.ipynb", bytes(range(256)) * 4, "not UTF-8"),
])
def test_unreadable_notebooks_are_rejected_with_a_reason(tmp_path, hostile_env, name, content, reason):
    path = tmp_path / name
    if content is None:  # 200 MB of outputs
        with open(path, "wb") as f:
            f.write(b'{"cells": [], "junk": "')
            f.write(b"x" * (200 * 2**20))
            f.write(b'"}')
    else:
        path.write_bytes(content)
    start = time.monotonic()
    with pytest.raises(InvalidSubmission, match=reason):
        grade_notebook(path)
    assert time.monotonic() - start < 10
