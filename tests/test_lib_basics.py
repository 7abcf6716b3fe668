"""Tests of dlcourse.basics, including the figures Chapter 1 prints."""
from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from dlcourse import set_seed
from dlcourse.basics import (collapse_linear, draw_lines, fit_function, fit_line, hidden_layer,
                             label_predictor, make_logistic_regression, make_mlp,
                             make_outlier_data, perceptron_predictor, plot_mnist1d_examples,
                             subset, train_classifier, train_perceptron, train_xor_mlp)
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
    assert (single(x) - second(first(x))).abs().max() < 1e-5   # "about 1e-7": float32 rounding
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


def _l1_line(x: torch.Tensor, y: torch.Tensor) -> tuple[float, float]:
    """The exact least-absolute-deviations line, as a linear programme (scipy), so the test
    does not trust the gradient-descent fit it checks."""
    import numpy as np
    from scipy.optimize import linprog

    n = len(x)
    A = np.stack([x.numpy(), np.ones(n)], axis=1).astype(float)
    b = y.numpy().astype(float)
    cost = np.r_[0.0, 0.0, np.ones(n)]                     # minimise the sum of slacks t_i
    bounds = [(None, None)] * 2 + [(0, None)] * n          # with -t_i <= A_i p - b_i <= t_i
    result = linprog(cost, A_ub=np.block([[A, -np.eye(n)], [-A, -np.eye(n)]]),
                     b_ub=np.r_[b, -b], bounds=bounds)
    return float(result.x[0]), float(result.x[1])


def _l2_line(x: torch.Tensor, y: torch.Tensor) -> tuple[float, float]:
    A = torch.stack([x, torch.ones_like(x)], dim=1).double()
    a, c = torch.linalg.lstsq(A, y.double()[:, None]).solution[:, 0].tolist()
    return a, c


def test_fit_line_finds_the_exact_l1_and_l2_lines():
    x, y = make_outlier_data(n=40, n_outliers=4, slope=2.0, intercept=1.0)
    for loss, exact in (("l2", _l2_line), ("l1", _l1_line)):
        fitted = fit_line(x, y, loss=loss)
        assert all(abs(f - e) < 0.01 for f, e in zip(fitted, exact(x, y))), (loss, fitted)


def test_outliers_tilt_the_l2_fit_far_more_than_the_l1_fit():
    """The chapter: the L2 slope drops from about 2 to below 0; the L1 fit moves too, much less."""
    x, y = make_outlier_data(n=40, n_outliers=4, slope=2.0, intercept=1.0)
    assert x[-4:].min() > x[:-4].max()                      # the outliers have the largest x
    slopes = {(loss, data): fit_line(*xy, loss=loss)[0]
              for data, xy in {"all": (x, y), "clean": (x[:-4], y[:-4])}.items()
              for loss in ("l2", "l1")}
    assert abs(slopes["l2", "clean"] - 2.0) < 0.1 and abs(slopes["l1", "clean"] - 2.0) < 0.1
    assert slopes["l2", "all"] < 0                           # the L2 line even falls
    shift_l2 = abs(slopes["l2", "all"] - slopes["l2", "clean"])
    shift_l1 = abs(slopes["l1", "all"] - slopes["l1", "clean"])
    assert 0.02 < shift_l1 < 0.1 * shift_l2                  # L1 moves, but far less


def test_fit_function_error_falls_with_width():
    f = lambda x: torch.sin(2 * x) + 0.3 * x  # noqa: E731
    errors = [fit_function(f, hidden=h, steps=1000, device=CPU)[2] for h in (1, 3, 32)]
    assert errors[0] > errors[1] > errors[2]
    assert errors[2] < 1e-3


# --- figures printed in Chapter 1 --------------------------------------------------------

def test_make_xor_deals_equal_clusters_and_labels_exactly_one_coordinate_one():
    X, y = make_xor(n=200, noise=0.0, seed=0)
    corners, counts = torch.unique(X, dim=0, return_counts=True)
    assert corners.tolist() == [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]
    assert counts.tolist() == [50, 50, 50, 50]
    assert torch.equal(y, (X.sum(dim=1) == 1).long())
    assert not torch.equal(y, torch.tensor([0, 1, 1, 0]).repeat(50))   # shuffled, not dealt


def _separable_clouds():
    gen = torch.Generator().manual_seed(0)
    X = torch.cat([torch.randn(50, 2, generator=gen) * 0.5 + torch.tensor([-1.0, -1.0]),
                   torch.randn(50, 2, generator=gen) * 0.5 + torch.tensor([1.0, 1.0])])
    y = torch.cat([torch.zeros(50, dtype=torch.long), torch.ones(50, dtype=torch.long)])
    return X, y


def test_train_perceptron_follows_the_rule_step_by_step():
    # one mistake at score 0 (counted as +1), label -1: w = -2 lr x, b = -2 lr; then stop
    w, b, mistakes = train_perceptron(torch.tensor([[1.0, 2.0]]), torch.tensor([-1.0]), lr=0.5)
    assert w.tolist() == [-1.0, -2.0] and b.item() == -1.0 and mistakes == [1, 0]


def test_perceptron_separates_the_separable_clouds_within_a_few_epochs():
    X, y = _separable_clouds()
    w, b, mistakes = train_perceptron(X, 2.0 * y - 1, epochs=100)
    assert mistakes[-1] == 0 and len(mistakes) <= 10
    assert torch.equal(perceptron_predictor(w, b)(X), y)


def _best_line_accuracy(X: torch.Tensor, y: torch.Tensor, n_directions: int = 720) -> float:
    """The best accuracy of any line (both orientations), by brute force over directions and
    every threshold between the projected points."""
    angles = torch.arange(n_directions) * (2 * math.pi / n_directions)
    projections = X @ torch.stack([angles.cos(), angles.sin()])       # (N, directions)
    best = 0.0
    for p in projections.T:
        above = p[None, :] >= p[:, None]                                # thresholds x points
        best = max(best, (above == y.bool()[None, :]).float().mean(dim=1).max().item())
    return best


def test_xor_best_line_gets_75_percent_and_the_perceptron_never_settles():
    X, y = make_xor(n=200, noise=0.1, seed=0)
    assert abs(_best_line_accuracy(X, y) - 0.75) <= 0.01     # "three clusters out of four"
    w, b, mistakes = train_perceptron(X, 2.0 * y - 1, epochs=100)
    assert len(mistakes) == 100 and min(mistakes) > 0        # no epoch without a mistake
    assert all(0.35 <= m / len(X) <= 0.65 for m in mistakes)  # about half the points, every epoch
    final = (perceptron_predictor(w, b)(X) == y).float().mean().item()
    assert 0.35 <= final <= 0.65                              # no better than guessing


def test_two_tanh_units_solve_xor_with_a_linearly_separable_hidden_layer():
    X, y = make_xor(n=200, noise=0.1, seed=0)
    net = train_xor_mlp(X, y, hidden=2, activation=nn.Tanh, steps=300, lr=0.05, device=CPU,
                        seed=0)
    assert (label_predictor(net)(X) == y).float().mean().item() == 1.0
    H = hidden_layer(net, X)
    assert H.shape == (200, 2)
    # the output layer alone (a linear classifier) separates the hidden representation
    assert torch.equal(label_predictor(net[-1])(H), y)
    # the chapter's description: two nearly parallel lines, class 1 gathered near (-1, -1),
    # each class-0 cluster where one unit is high and the other low
    w = net[1].weight.detach()
    assert abs(torch.nn.functional.cosine_similarity(w[0], w[1], dim=0)) > 0.95
    corners = torch.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    nearest = torch.cdist(X, corners).argmin(dim=1)
    for k, corner in enumerate(corners.tolist()):
        median = H[nearest == k].median(dim=0).values
        if sum(corner) == 1:
            assert (median < -0.5).all(), (corner, median)
        else:
            assert median.max() > 0.5 and median.min() < -0.5, (corner, median)
    # the fresh points of another draw are classified as well
    X2, y2 = make_xor(n=400, noise=0.1, seed=1)
    assert (label_predictor(net)(X2) == y2).float().mean().item() >= 0.98


def test_two_hidden_units_can_stall_eight_solve_xor_from_every_seed_tried():
    X, y = make_xor(n=200, noise=0.1, seed=0)
    def accuracy(hidden, seed):
        net = train_xor_mlp(X, y, hidden=hidden, device=CPU, seed=seed)
        return (label_predictor(net)(X) == y).float().mean().item()
    assert accuracy(2, seed=3) < 0.9                          # "stalls well short of 100 %"
    assert all(accuracy(8, seed) == 1.0 for seed in range(5))


def test_draw_lines_draws_one_labelled_line_per_row(tmp_path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.set(xlim=(-1, 1), ylim=(-1, 1))
    draw_lines(torch.tensor([[1.0, 0.0], [1.0, 1.0]]), torch.tensor([0.0, 0.5]), ax, ["a", "b"])
    assert [line.get_label() for line in ax.get_lines()] == ["a", "b"]
    assert ax.get_xlim() == (-1, 1)
    plt.close(fig)


def test_mnist1d_figure_has_a_panel_per_class():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = plot_mnist1d_examples(load_mnist1d_split(), per_class=2)
    panels = [ax for ax in fig.axes if ax.lines]
    assert len(panels) == 10 and all(len(ax.lines) == 2 for ax in panels)
    assert [ax.get_title() for ax in panels] == [f"digit {k}" for k in range(10)]
    plt.close(fig)


@pytest.mark.slow
def test_digits_mlp_reaches_about_98_percent_and_generalises():
    set_seed(0)
    history, acc = train_classifier(make_mlp([64, 128, 10]), load_digits_split(), epochs=30,
                                    lr=1e-2, batch_size=32, weight_decay=1e-2, device=CPU,
                                    progress=False)
    assert 0.97 <= acc <= 0.995, acc                            # "about 98 %"
    # "the two curves stay close together"
    assert abs(history["train_acc"][-1] - history["val_acc"][-1]) <= 0.05
    assert history["val_loss"][-1] <= 2 * min(history["val_loss"])


@pytest.mark.slow
def test_overfitting_demo_shows_a_gap():
    set_seed(0)
    net = make_mlp([64, 256, 256, 10])
    assert 84_000 <= sum(p.numel() for p in net.parameters()) <= 86_000   # "about 85,000"
    history, _ = train_classifier(net, subset(load_digits_split(), 100),
                                  epochs=150, lr=1e-2, batch_size=100, one_cycle=False,
                                  device=CPU, progress=False)
    val = history["val_loss"]
    best_epoch = val.index(min(val)) + 1
    assert history["train_loss"][-1] < 1e-3                     # falls towards zero
    assert best_epoch <= 20                                     # "early (the dotted line)"
    assert val[-1] > 1.3 * min(val)                             # then climbs


@pytest.mark.slow
def test_mnist1d_logistic_regression_vs_mlp_match_published_figures():
    split = load_mnist1d_split()
    recipe = dict(epochs=30, lr=1e-2, batch_size=128, weight_decay=1e-2, device=CPU,
                  progress=False)                               # the same for both models
    set_seed(0)
    _, acc_lr = train_classifier(make_logistic_regression(40, 10), split, **recipe)
    set_seed(0)
    _, acc_mlp = train_classifier(make_mlp([40, 160, 160, 10]), split, **recipe)
    assert 0.27 <= acc_lr <= 0.38, acc_lr        # "about a third"; published: 32 %
    assert 0.62 <= acc_mlp <= 0.75, acc_mlp      # "about a third misclassified"; published: 68 %
    assert 1.7 <= acc_mlp / acc_lr <= 2.4        # "roughly double"
    assert not math.isnan(acc_lr + acc_mlp)
