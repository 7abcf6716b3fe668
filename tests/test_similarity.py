"""The similarity report: planted near-copies (renamed variables, reordered lines) are found,
independent correct solutions are not, the given stub and docstring never count, and the report
is the same every time it is made."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest
import torch
from torch import nn  # noqa: F401  (the solutions below are run in this namespace)
import torch.nn.functional as F  # noqa: F401

from autograder.notebooks import load_master
from autograder.similarity import similar_pairs, stub_of
from dlcourse.checks import check
from tests.conftest import ROOT, SOLUTIONS

MASTER = load_master((SOLUTIONS / "05_rnn.ipynb").resolve())
GRU = MASTER.exercises["ch05_gru_cell"].solution
STUB = stub_of(GRU)


def fill(body: str) -> str:
    """The stub with its ``raise NotImplementedError()`` replaced by ``body``."""
    indented = "\n".join(("        " + line) if line else "" for line in body.strip().splitlines())
    return STUB.replace("        # YOUR CODE HERE\n        raise NotImplementedError()", indented)


ORIGINAL = GRU.replace("        ### BEGIN SOLUTION\n", "").replace("        ### END SOLUTION\n", "")
# the original with every local name changed and two independent lines swapped
NEAR_COPY = fill("""
a_z, a_r, a_n = (x @ self.weight_ih.T + self.bias_ih).chunk(3, dim=1)
b_z, b_r, b_n = (h @ self.weight_hh.T + self.bias_hh).chunk(3, dim=1)
reset = torch.sigmoid(a_z + b_z)
update = torch.sigmoid(a_r + b_r)
candidate = torch.tanh(a_n + update * b_n)
return (1 - reset) * candidate + reset * h
""".replace("a_z, a_r", "a_r, a_z").replace("b_z, b_r", "b_r, b_z"))
INDEPENDENT = {
    "cy": fill("""
H = h.shape[1]
gi = torch.addmm(self.bias_ih, x, self.weight_ih.t())
gh = torch.addmm(self.bias_hh, h, self.weight_hh.t())
reset = torch.sigmoid(gi[:, :H] + gh[:, :H])
update = torch.sigmoid(gi[:, H:2 * H] + gh[:, H:2 * H])
candidate = torch.tanh(gi[:, 2 * H:] + reset * gh[:, 2 * H:])
return update * h + (1 - update) * candidate
"""),
    "dee": fill("""
W_ir, W_iz, W_in = self.weight_ih.split(self.weight_ih.shape[0] // 3)
W_hr, W_hz, W_hn = self.weight_hh.split(self.weight_hh.shape[0] // 3)
b_ir, b_iz, b_in = self.bias_ih.split(self.bias_ih.shape[0] // 3)
b_hr, b_hz, b_hn = self.bias_hh.split(self.bias_hh.shape[0] // 3)
r = torch.sigmoid(F.linear(x, W_ir, b_ir) + F.linear(h, W_hr, b_hr))
z = torch.sigmoid(F.linear(x, W_iz, b_iz) + F.linear(h, W_hz, b_hz))
n = torch.tanh(F.linear(x, W_in, b_in) + r * F.linear(h, W_hn, b_hn))
return n + z * (h - n)
"""),
    "eve": fill("""
gates_x = F.linear(x, self.weight_ih, self.bias_ih)
gates_h = F.linear(h, self.weight_hh, self.bias_hh)
rx, zx, nx = gates_x.chunk(3, 1)
rh, zh, nh = gates_h.chunk(3, 1)
r = (rx + rh).sigmoid()
z = (zx + zh).sigmoid()
n = (nx + r * nh).tanh()
return (1 - z) * n + z * h
"""),
}


@pytest.mark.parametrize("source", [ORIGINAL, NEAR_COPY, *INDEPENDENT.values()],
                         ids=["original", "near copy", *INDEPENDENT])
def test_every_solution_here_is_correct(source, capsys):
    namespace = {"torch": torch, "nn": torch.nn, "F": torch.nn.functional}
    exec(source, namespace)
    check("ch05_gru_cell", namespace["GRUCell"])
    assert "[correct]" in capsys.readouterr().out


def test_renamed_and_reordered_copy_is_found_and_shown_side_by_side():
    pairs = similar_pairs({"ada": ORIGINAL, "bo": NEAR_COPY, **INDEPENDENT}, STUB,
                          number="5.5", grade_id="ch05_gru_cell")
    assert [(p.a, p.b) for p in pairs] == [("ada", "bo")]
    pair = pairs[0]
    assert pair.similarity_a >= 0.8 and pair.similarity_b >= 0.8
    assert "<mark>" in pair.html_a and "<mark>" in pair.html_b
    assert "&gt;" not in pair.html_a.replace("-&gt;", "")  # code is escaped, not mangled
    assert "a_r, a_z" in pair.html_b.replace("<mark>", "").replace("</mark>", "")


def test_independent_correct_solutions_are_not_flagged():
    assert similar_pairs({"ada": ORIGINAL, **INDEPENDENT}, STUB, threshold=0.5) == []


def test_the_given_stub_and_docstring_never_count():
    # two students who only touched the docstring and wrote one different line each
    a = fill("return h")
    b = fill("return torch.zeros_like(h)")
    assert similar_pairs({"a": a, "b": b, "c": STUB}, STUB, threshold=0.1) == []


def test_code_most_of_a_class_shares_is_not_a_copy():
    shared = {f"s{i:02d}": ORIGINAL for i in range(12)}
    assert similar_pairs({**shared, **INDEPENDENT}, STUB) == []


def test_same_report_whatever_the_hash_seed():
    script = ("import json, sys; sys.path.insert(0, '.');"
              "from tests.test_similarity import *;"
              "pairs = similar_pairs({'ada': ORIGINAL, 'bo': NEAR_COPY, **INDEPENDENT}, STUB, 0.0);"
              "print(json.dumps([(p.a, p.b, p.similarity_a, p.similarity_b) for p in pairs]))")
    outputs = set()
    for seed in ("1", "2"):
        proc = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                              text=True, env={**__import__("os").environ, "PYTHONHASHSEED": seed},
                              timeout=300)
        assert proc.returncode == 0, proc.stderr
        outputs.add(proc.stdout)
    assert len(outputs) == 1 and json.loads(outputs.pop())
