"""Unit tests of the course library's shared core."""
from __future__ import annotations

import math

import pytest
import torch

from dlcourse import get_device, set_seed, to_device
from dlcourse.checks import NotAttempted, call, local_runner, probe_name, resolve_probe
from dlcourse.compare import CheckFailure, expect_close, expect_equal, expect_scalar, expect_type
from dlcourse.data import load_digits_split, load_mnist1d_split, make_xor
from dlcourse.train import evaluate, fit


def test_device_order_and_override(monkeypatch):
    monkeypatch.delenv("DLCOURSE_DEVICE", raising=False)
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    if not torch.cuda.is_available() and torch.backends.mps.is_available():
        expected = "mps"
    assert get_device().type == expected
    monkeypatch.setenv("DLCOURSE_DEVICE", "cpu")
    assert get_device() == torch.device("cpu")
    assert get_device("cpu") == torch.device("cpu")


def test_to_device_handles_nested_containers():
    moved = to_device({"a": [torch.ones(2), (torch.zeros(1), 3)]}, torch.device("cpu"))
    assert moved["a"][0].device.type == "cpu" and moved["a"][1][1] == 3


def test_set_seed_makes_torch_numpy_and_python_repeatable():
    import random

    import numpy as np

    set_seed(3)
    first = (torch.rand(3), np.random.rand(), random.random())
    set_seed(3)
    second = (torch.rand(3), np.random.rand(), random.random())
    assert torch.equal(first[0], second[0]) and first[1:] == second[1:]


class TestExpectClose:
    def test_accepts_equal_within_tolerance(self):
        x = torch.randn(3, 4)
        expect_close(x + 1e-7, x, "x")

    @pytest.mark.parametrize("got, expected, words", [
        ([1.0], torch.ones(1), "expected a torch.Tensor"),
        (torch.ones(2, 3), torch.ones(3, 2), "expected shape (3, 2), got (2, 3)"),
        (torch.ones(3), torch.ones(1), "expected shape (1,)"),  # no broadcasting
        (torch.ones(3, dtype=torch.float64), torch.ones(3), "expected dtype torch.float32"),
        (torch.tensor([1.0, 2.0, 3.5]), torch.tensor([1.0, 2.0, 3.0]), "first at index (2,)"),
        (torch.tensor([float("nan")]), torch.tensor([float("nan")]), "NaN"),
        (torch.tensor([1, 2]), torch.tensor([1, 3]), "expected 3, got 2"),
    ])
    def test_rejects_with_a_message_that_says_why(self, got, expected, words):
        with pytest.raises(CheckFailure, match=None) as info:
            expect_close(got, expected, "result")
        assert words in str(info.value)

    def test_rejects_tensor_subclasses_that_lie_about_equality(self):
        class Liar(torch.Tensor):
            def __eq__(self, other):
                return True
        with pytest.raises(CheckFailure, match="expected a torch.Tensor"):
            expect_close(torch.zeros(2).as_subclass(Liar), torch.ones(2), "x")

    def test_reports_the_largest_error(self):
        with pytest.raises(CheckFailure, match="largest error 0.5"):
            expect_close(torch.tensor([1.0, 2.5, 3.1]), torch.tensor([1.0, 2.0, 3.0]), "x")


def test_expect_scalar_and_equal_and_type():
    expect_scalar(torch.tensor(2.0), 2.0, "s")
    expect_scalar(3, 3.0, "s")
    for bad in (float("nan"), "2.0", True, torch.ones(2)):
        with pytest.raises(CheckFailure):
            expect_scalar(bad, 2.0, "s")
    expect_equal((1, "a"), (1, "a"), "t")
    with pytest.raises(CheckFailure):
        expect_equal([1, "a"], (1, "a"), "t")
    with pytest.raises(CheckFailure, match="builtins.int"):
        expect_type(1, float, "t")


def test_probes_resolve_only_inside_the_library():
    assert resolve_probe(probe_name(call)) is call
    with pytest.raises(ValueError):
        resolve_probe("os:system")


def test_local_runner_isolates_inputs_and_detects_stubs():
    def mutating(x):
        x.add_(1)
        return x
    original = torch.zeros(2)
    local_runner(mutating)(call, original)
    assert torch.equal(original, torch.zeros(2))

    def stub(x):
        raise NotImplementedError()
    with pytest.raises(NotAttempted):
        local_runner(stub)(call, original)


def test_digits_split_shapes_and_disjointness():
    split = load_digits_split()
    n = len(split.X_train) + len(split.X_val) + len(split.X_test)
    assert n == 1797 and split.X_train.shape[1] == 64
    assert 0 <= split.X_train.min() and split.X_train.max() <= 1
    images = load_digits_split(flat=False)
    assert images.X_test.shape[1:] == (1, 8, 8)


def test_mnist1d_split_is_the_standard_one():
    split = load_mnist1d_split()
    assert split.X_train.shape[1] == 40
    assert len(split.X_train) + len(split.X_val) == 4000 and len(split.X_test) == 1000
    assert set(split.y_test.tolist()) == set(range(10))


def test_xor_labels_follow_the_quadrants():
    X, y = make_xor(n=400, noise=0.0)
    assert torch.equal(y, ((X[:, 0] > 0.5) ^ (X[:, 1] > 0.5)).long())


def test_fit_reduces_the_loss_and_reports_validation():
    set_seed(0)
    split = load_digits_split()
    train, val, _ = split.loaders(batch_size=128)
    net = torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.ReLU(), torch.nn.Linear(32, 10))
    opt = torch.optim.Adam(net.parameters(), lr=1e-2)
    history = fit(net, train, torch.nn.functional.cross_entropy, opt, 5, torch.device("cpu"),
                  val_loader=val, progress=False)
    assert history["train_loss"][-1] < history["train_loss"][0]
    assert len(history["val_acc"]) == 5 and history["val_acc"][-1] > 0.8
    loss, acc = evaluate(net, val, torch.nn.functional.cross_entropy, torch.device("cpu"))
    assert math.isclose(acc, history["val_acc"][-1])


class TestCheckVerdicts:
    """The check cell's verdicts, on a real exercise with several targets."""

    @staticmethod
    def _activations(**overrides):
        funcs = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu,
                 "leaky_relu": lambda x, negative_slope=0.01:
                 torch.nn.functional.leaky_relu(x, negative_slope)}
        funcs.update(overrides)
        return [funcs[n] for n in ("sigmoid", "tanh", "relu", "leaky_relu")]

    def test_correct(self, capsys):
        from dlcourse.checks import check

        check("ch01_activations", *self._activations())
        assert capsys.readouterr().out.startswith("[correct]")

    @pytest.mark.parametrize("override, verdict", [
        ({"relu": lambda x: x.clamp(min=0.1)}, "[incorrect]"),
        ({"tanh": lambda x: (_ for _ in ()).throw(NotImplementedError())}, "[not attempted]"),
        ({"sigmoid": lambda x: 1 / 0}, "[error]"),
    ])
    def test_failures_raise_a_one_line_verdict(self, override, verdict):
        from dlcourse.checks import _Verdict, check

        with pytest.raises(_Verdict) as info:
            check("ch01_activations", *self._activations(**override))
        assert str(info.value).startswith(verdict)
        assert info.value._render_traceback_() == [str(info.value)]

    def test_wrong_number_of_names_is_explained(self):
        from dlcourse.checks import _Verdict, check

        with pytest.raises(_Verdict, match="needs 4 name"):
            check("ch01_activations", torch.sigmoid)
