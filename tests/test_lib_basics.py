"""Tests of dlcourse.basics, including the figures Chapter 1 prints."""
from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from dlcourse import set_seed
from dlcourse.basics import (collapse_linear, fit_function, fit_line, fit_sklearn_perceptron,
                             label_predictor, make_logistic_regression, make_mlp,
                             make_outlier_data, subset, train_classifier, train_xor_mlp)
from dlcourse.data import load_digits_split, load_mnist1d_split, make_xor

CPU = torch.device("cpu")


# --- models ------------------------------------------------------------------------------

def test_make_mlp_structure_and_parameter_count():
    net = make_mlp([64, 32, 16, 10])
    linears = [m for m in net if isinstance(m, nn.Linear)]
    assert [tuple(m.weight.shape) for m in linears] == [(32, 64), (16, 32), (10, 16)]
    assert isinstance(net[0], nn.Flatten)
    assert sum(isinstance(m, nn.ReLU) for m in net) == 2
    assert not isinstance(net[-1], nn.ReLU)        # logits: no activation at the end
    assert sum(p.numel() for p in net.parameters()) == 64 * 32 + 32 + 32 * 16 + 16 + 16 * 10 + 10
    assert net(torch.randn(3, 8, 8)).shape == (3, 10)   # flattens images


def test_make_mlp_forward_matches_manual_computation():
    torch.manual_seed(0)
    net = make_mlp([5, 7, 3], activation=nn.Tanh)
    x = torch.randn(4, 5)
    l1, l2 = net[1], net[3]
    expected = torch.tanh(x @ l1.weight.T + l1.bias) @ l2.weight.T + l2.bias
    torch.testing.assert_close(net(x), expected)


def test_make_mlp_rejects_too_few_sizes():
    with pytest.raises(ValueError):
        make_mlp([4])


def test_logistic_regression_is_one_linear_layer():
    net = make_logistic_regression(40, 10)
    assert [type(m) for m in net] == [nn.Flatten, nn.Linear]
    assert sum(p.numel() for p in net.parameters()) == 40 * 10 + 10


@pytest.mark.parametrize("bias1,bias2", [(True, True), (False, True), (True, False), (False, False)])
def test_collapse_linear_equals_the_stack(bias1, bias2):
    torch.manual_seed(1)
    first, second = nn.Linear(5, 16, bias=bias1), nn.Linear(16, 3, bias=bias2)
    single = collapse_linear(first, second)
    x = torch.randn(8, 5)
    torch.testing.assert_close(single(x), second(first(x)), rtol=1e-5, atol=1e-6)
    assert single.weight.shape == (3, 5)
    assert (single.bias is not None) == (bias1 or bias2)


# --- training helpers --------------------------------------------------------------------

def test_subset_keeps_validation_and_test():
    split = load_digits_split()
    small = subset(split, 50)
    assert len(small.X_train) == 50 and len(small.y_train) == 50
    assert small.X_val is split.X_val and small.X_test is split.X_test
    # the samples are real training rows with their own labels
    rows = (split.X_train[:, None, :] == small.X_train[None]).all(-1)
    idx = rows.float().argmax(0)
    assert rows.any(0).all() and torch.equal(split.y_train[idx], small.y_train)


def test_train_classifier_history_and_determinism():
    split = subset(load_digits_split(), 200)
    results = []
    for _ in range(2):
        set_seed(0)
        history, acc = train_classifier(make_mlp([64, 16, 10]), split, epochs=3, lr=1e-2,
                                        device=CPU, progress=False)
        results.append((history, acc))
    history, acc = results[0]
    assert set(history) == {"train_loss", "train_acc", "val_loss", "val_acc"}
    assert all(len(v) == 3 for v in history.values())
    assert history["train_loss"][-1] < history["train_loss"][0]
    assert 0.0 <= acc <= 1.0
    assert results[0] == results[1]


def test_fit_line_l1_resists_outliers_l2_does_not():
    x, y = make_outlier_data(n=40, n_outliers=4, slope=2.0, intercept=1.0)
    a2, _ = fit_line(x, y, loss="l2")
    a1, c1 = fit_line(x, y, loss="l1")
    assert abs(a1 - 2.0) < 0.2 and abs(c1 - 1.0) < 0.3     # L1 recovers the line
    assert abs(a2 - 2.0) > 1.0                              # L2 is dragged away
    # L2 fit agrees with the closed-form least-squares line
    A = torch.stack([x, torch.ones_like(x)], dim=1)
    exact = torch.linalg.lstsq(A, y[:, None]).solution[:, 0]
    assert abs(a2 - exact[0].item()) < 1e-2


def test_fit_function_error_falls_with_width():
    f = lambda x: torch.sin(2 * x) + 0.3 * x  # noqa: E731
    errors = [fit_function(f, hidden=h, steps=1000, device=CPU)[2] for h in (1, 3, 32)]
    assert errors[0] > errors[1] > errors[2]
    assert errors[2] < 1e-3


# --- figures printed in Chapter 1 --------------------------------------------------------

def test_xor_perceptron_fails_mlp_solves():
    X, y = make_xor(n=200, noise=0.1, seed=0)
    predict_p, acc_p = fit_sklearn_perceptron(X, y)
    assert acc_p <= 0.76          # a line gets at most 3 of the 4 clusters right
    labels = predict_p(X)
    assert labels.shape == y.shape and set(labels.tolist()) <= {0, 1}
    net = train_xor_mlp(X, y, hidden=8, steps=300, lr=0.05, device=CPU, seed=0)
    acc_mlp = (label_predictor(net)(X) == y).float().mean().item()
    assert acc_mlp >= 0.99
    # the boundary generalises to fresh XOR points
    X2, y2 = make_xor(n=400, noise=0.1, seed=1)
    assert (label_predictor(net)(X2) == y2).float().mean().item() >= 0.98


def test_sklearn_perceptron_separates_separable_data():
    gen = torch.Generator().manual_seed(0)
    X = torch.cat([torch.randn(50, 2, generator=gen) * 0.5 - 1, torch.randn(50, 2, generator=gen) * 0.5 + 1])
    y = torch.cat([torch.zeros(50, dtype=torch.long), torch.ones(50, dtype=torch.long)])
    _, acc = fit_sklearn_perceptron(X, y)
    assert acc == 1.0


@pytest.mark.slow
def test_digits_mlp_reaches_97_percent():
    set_seed(0)
    _, acc = train_classifier(make_mlp([64, 128, 10]), load_digits_split(), epochs=30, lr=1e-2,
                              batch_size=32, weight_decay=1e-2, device=CPU, progress=False)
    assert acc >= 0.97


@pytest.mark.slow
def test_overfitting_demo_shows_a_gap():
    set_seed(0)
    history, _ = train_classifier(make_mlp([64, 256, 256, 10]), subset(load_digits_split(), 100),
                                  epochs=150, lr=1e-2, batch_size=100, one_cycle=False,
                                  device=CPU, progress=False)
    best = min(history["val_loss"])
    assert history["train_loss"][-1] < 1e-3
    assert history["val_loss"][-1] > 1.3 * best     # validation loss rose after its minimum


@pytest.mark.slow
def test_mnist1d_logistic_regression_vs_mlp_match_published_figures():
    split = load_mnist1d_split()
    set_seed(0)
    _, acc_lr = train_classifier(make_logistic_regression(40, 10), split, epochs=30, lr=1e-2,
                                 batch_size=128, device=CPU, progress=False)
    set_seed(0)
    _, acc_mlp = train_classifier(make_mlp([40, 160, 160, 10]), split, epochs=30, lr=1e-2,
                                  batch_size=128, weight_decay=1e-2, device=CPU, progress=False)
    assert 0.27 <= acc_lr <= 0.38, acc_lr        # published: 32 %
    assert 0.62 <= acc_mlp <= 0.75, acc_mlp      # published: 68 %
    assert acc_mlp - acc_lr >= 0.25
    assert not math.isnan(acc_lr + acc_mlp)
