"""Tests of dlcourse.optimizers (Chapter 3's demos) and of the chapter's public checks.

The figures the notebook prints (steps to tolerance on Rosenbrock, noise against batch size,
generalization gaps of the regularizers) are asserted here.
"""
import json
import math
from pathlib import Path

import pytest
import torch

from dlcourse.checks import exercises_of, local_runner
from dlcourse.checks.ch03 import EARLY_STOPPING_CASES, expected_early_stopping
from dlcourse.compare import CheckFailure
from dlcourse.data import load_digits_split
from dlcourse.optimizers import (ROSENBROCK_OPTIMIZERS, compare_on_rosenbrock,
                                 compare_regularizers, descend, early_stopping_epoch,
                                 fit_softmax_regression, gd_1d, generalization_gap,
                                 lbfgs_descend, make_mlp, minibatch_noise, newton_descend,
                                 per_sample_softmax_terms, random_shift, rosenbrock,
                                 sgd_batch_size_runs)

ROOT = Path(__file__).resolve().parent.parent
MASTER = ROOT / "solutions" / "03_optimizers.ipynb"


def _steps(result, cap):
    return math.inf if result["steps_to_tol"] is None else result["steps_to_tol"]


# --- surfaces and drivers --------------------------------------------------------------------

def test_rosenbrock_minimum_and_gradient():
    p = torch.tensor([1.0, 1.0], dtype=torch.float64, requires_grad=True)
    rosenbrock(p).backward()
    assert rosenbrock(p).item() == 0.0
    assert torch.equal(p.grad, torch.zeros(2, dtype=torch.float64))
    assert rosenbrock(torch.tensor([-1.5, 2.0])).item() == pytest.approx(12.5)
    batch = torch.tensor([[0.0, 0.0], [1.0, 1.0]])
    assert rosenbrock(batch).tolist() == [1.0, 0.0]


def test_descend_on_a_quadratic():
    f = lambda p: ((p - torch.tensor([1.0, -2.0], dtype=torch.float64)) ** 2).sum()  # noqa: E731
    res = descend(f, lambda ps: torch.optim.SGD(ps, lr=0.1), (0.0, 0.0), 500, tol=1e-8)
    assert res["steps_to_tol"] is not None
    assert res["path"].shape == (res["steps_to_tol"] + 1, 2)
    assert len(res["losses"]) == res["steps_to_tol"] + 1
    assert torch.allclose(res["path"][-1], torch.tensor([1.0, -2.0], dtype=torch.float64),
                          atol=1e-4)
    capped = descend(f, lambda ps: torch.optim.SGD(ps, lr=1e-4), (0.0, 0.0), 5, tol=1e-8)
    assert capped["steps_to_tol"] is None and capped["path"].shape == (6, 2)


def test_newton_solves_a_quadratic_in_one_step():
    A = torch.tensor([[3.0, 1.0], [1.0, 2.0]], dtype=torch.float64)
    f = lambda x: 0.5 * x @ A @ x - x.sum()  # noqa: E731
    res = newton_descend(f, (5.0, -7.0), steps=3)
    x_star = torch.linalg.solve(A, torch.ones(2, dtype=torch.float64))
    assert torch.allclose(res["path"][1], x_star, atol=1e-10)


def test_gd_1d_reaches_local_or_global_minimum_by_start():
    df = lambda x: 4 * x ** 3 - 6 * x + 1  # noqa: E731
    left = gd_1d(df, -2.0, 0.02, 200)[-1]
    right = gd_1d(df, 2.0, 0.02, 200)[-1]
    assert left == pytest.approx(-1.3008, abs=1e-3)
    assert right == pytest.approx(1.1309, abs=1e-3)


@pytest.mark.slow
def test_rosenbrock_race_figures():
    """What the notebook prints: momentum and Adam reach f < 1e-3 well before plain gradient
    descent (which does not within 2000 steps); Newton and L-BFGS need far fewer steps."""
    res = compare_on_rosenbrock(steps=2000, tol=1e-3, progress=False)
    assert set(ROSENBROCK_OPTIMIZERS) | {"Newton", "L-BFGS"} == set(res)
    gd = _steps(res["gradient descent"], 2000)
    mom, adam = _steps(res["momentum 0.9"], 2000), _steps(res["Adam"], 2000)
    assert mom < 1000 and adam < 1000
    assert mom < gd and adam < gd
    assert res["gradient descent"]["losses"][-1] > 1e-2
    assert res["Newton"]["steps_to_tol"] <= 10
    assert res["L-BFGS"]["steps_to_tol"] <= 100
    for name, r in res.items():  # paths start at the starting point and stay finite
        assert torch.equal(r["path"][0], torch.tensor([-1.5, 2.0], dtype=torch.float64)), name
        assert torch.isfinite(r["path"]).all(), name


def test_lbfgs_descend_reaches_tolerance():
    res = lbfgs_descend(rosenbrock, (-1.5, 2.0), steps=200, tol=1e-3)
    assert res["steps_to_tol"] is not None and res["losses"][-1] < 1e-3


# --- mini-batch noise -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def digits():
    return load_digits_split()


def test_per_sample_terms_match_autograd(digits):
    X, y = digits.X_train[:50].double(), digits.y_train[:50]
    gen = torch.Generator().manual_seed(0)
    W = torch.randn(10, 64, generator=gen, dtype=torch.float64, requires_grad=True)
    b = torch.randn(10, generator=gen, dtype=torch.float64)
    losses, grads = per_sample_softmax_terms(W, b, X, y)
    loss = torch.nn.functional.cross_entropy(X @ W.T + b, y)
    loss.backward()
    assert torch.allclose(losses.mean(), loss)
    assert torch.allclose(grads.mean(0), W.grad)


def test_noise_falls_like_one_over_sqrt_batch(digits):
    """The notebook's table: both spreads fall with B, roughly halving per factor 4."""
    W, b = fit_softmax_regression(digits.X_train, digits.y_train, steps=100, lr=0.5)
    losses, grads = per_sample_softmax_terms(W, b, digits.X_train, digits.y_train)
    sizes = [1, 4, 16, 64, 256, 1024]
    noise = minibatch_noise(losses, grads, sizes, draws=400, seed=0)
    assert noise["batch_size"] == sizes
    for key in ("loss_std", "grad_error"):
        values = noise[key]
        assert all(a > b for a, b in zip(values, values[1:])), (key, values)
        for a, b in zip(values[:4], values[1:5]):  # up to B = 256: ratio near 1/2
            assert 0.35 < b / a < 0.65, (key, values)


def test_smaller_batches_make_more_progress_per_epoch(digits):
    runs = sgd_batch_size_runs(digits.X_train, digits.y_train, [1, 32, len(digits.X_train)],
                               lr=0.1, epochs=2, device="cpu", progress=False)
    final = {B: rec["loss"][-1] for B, rec in runs.items()}
    assert final[1] < final[32] < final[len(digits.X_train)]
    assert runs[1]["update"][-1] == 2 * len(digits.X_train)
    assert runs[len(digits.X_train)]["update"][-1] == 2
    assert runs[1]["loss"][0] == pytest.approx(math.log(10), rel=1e-5)


# --- regularization ---------------------------------------------------------------------------

def test_make_mlp_layers():
    net = make_mlp(hidden=16, dropout=0.5, batch_norm=True)
    kinds = [type(m).__name__ for m in net]
    assert kinds == ["Linear", "BatchNorm1d", "ReLU", "Dropout"] * 2 + ["Linear"]
    assert net(torch.randn(3, 64)).shape == (3, 10)


def test_random_shift_moves_whole_images():
    gen = torch.Generator().manual_seed(0)
    X = torch.zeros(200, 64)
    X[:, 3 * 8 + 4] = 1.0  # one lit pixel at row 3, column 4
    out = random_shift(X, gen)
    assert out.shape == X.shape
    assert torch.equal(out.sum(1), torch.ones(200))  # the pixel moves, nothing is lost
    pos = out.argmax(1)
    rows, cols = pos // 8, pos % 8
    assert set(rows.tolist()) == {2, 3, 4} and set(cols.tolist()) == {3, 4, 5}
    assert torch.equal(random_shift(X, gen, max_shift=0), X)


def test_early_stopping_replay_agrees_with_the_check():
    for losses, patience, min_delta in EARLY_STOPPING_CASES:
        expected = expected_early_stopping(losses, patience, min_delta)
        stop, best = early_stopping_epoch(losses, patience, min_delta)
        calls = len(expected["stop"])
        if expected["stop"][-1]:
            assert stop == calls - 1
        else:
            assert stop == len(losses) - 1
        assert best == expected["best_epoch"][-1].item()


@pytest.mark.slow
def test_regularizers_shrink_the_generalization_gap(digits):
    """What the notebook prints: dropout, L2 and augmentation shrink the gap between validation
    and training loss; batch norm reaches a lower best validation loss than no regularization."""
    curves = compare_regularizers(digits, "cpu", epochs=50, progress=False)
    gap = {name: generalization_gap(h) for name, h in curves.items()}
    base = gap["no regularization"]
    assert base > 0.15
    for name in ("dropout 0.5", "L2 (weight decay 3e-3)", "augmentation (shifts)"):
        assert gap[name] < base - 0.01, gap
    assert min(curves["batch norm"]["val_loss"]) < min(curves["no regularization"]["val_loss"])
    assert curves["no regularization"]["train_loss"][-1] < 0.05
    assert curves["no regularization"]["val_acc"][-1] > 0.85
    # early stopping on the batch-norm run stops well before the end, near the best epoch
    bn_val = curves["batch norm"]["val_loss"]
    stop, best = early_stopping_epoch(bn_val, patience=5)
    assert stop < 40 and bn_val[best] <= min(bn_val) + 0.005


# --- the chapter's checks: the master's solutions pass, the mistakes fail -------------------

def _master_namespace():
    nb = json.loads(MASTER.read_text())
    ns = {}
    setup = [c for c in nb["cells"] if "setup" in c["metadata"].get("tags", [])]
    for cell in setup:
        exec("".join(cell["source"]), ns)
    for cell in nb["cells"]:
        if cell["metadata"].get("nbgrader", {}).get("solution"):
            exec("".join(cell["source"]), ns)
    return ns


@pytest.mark.slow
def test_master_solutions_pass_the_public_checks():
    ns = _master_namespace()
    exercises = exercises_of("ch03")
    assert [e.grade_id for e in exercises] == [
        "ch03_sgd_momentum", "ch03_adagrad", "ch03_rmsprop", "ch03_adam", "ch03_newton_step",
        "ch03_dropout", "ch03_batchnorm", "ch03_early_stopping"]
    for ex in exercises:
        ex.check(local_runner(ns[ex.target]))


@pytest.mark.slow
def test_mistakes_fail_the_public_checks():
    from autograder.mistakes import mistakes_of

    by_id = {e.grade_id: e for e in exercises_of("ch03")}
    assert {m.grade_id for m in mistakes_of("ch03")} == set(by_id)
    for gid, _, source in mistakes_of("ch03"):
        ns = {"torch": torch}
        exec(source, ns)
        ex = by_id[gid]
        with pytest.raises(CheckFailure):
            ex.check(local_runner(ns[ex.target]))


def test_plots_draw_paths_and_losses():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from dlcourse.optimizers import plot_losses, plot_paths

    res = {"GD": descend(rosenbrock, lambda ps: torch.optim.SGD(ps, lr=1e-3), (-1.5, 2.0), 20)}
    ax = plot_paths(rosenbrock, res, "paths")
    assert ax.get_title() == "paths" and ax.get_legend() is not None
    ax = plot_losses(res, "losses")
    assert ax.get_yscale() == "log" and len(ax.get_lines()) == 1
    plt.close("all")
