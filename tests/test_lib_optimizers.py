"""Tests of dlcourse.optimizers and dlcourse.regularization (Chapter 3's demos) and of the
chapter's public checks.

Every run-dependent number of the chapter's prose is asserted here with the prose's threshold
(``tests/claims/ch03.py`` lists them): the curvature of Rosenbrock's valley, the learning-rate
sweep and the race at the best rates, Adam's uncorrected step sizes, the cost of an update
against the batch size, the schedules, the safeguarded Newton method, L1's exact zeros, AdamW
against Adam + L2, and the regularizers' learning curves.
"""
import json
import math
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from dlcourse.checks import exercises_of, local_runner
from dlcourse.checks.ch03 import EARLY_STOPPING_CASES, expected_early_stopping
from dlcourse.compare import CheckFailure
from dlcourse.data import load_digits_split
from dlcourse.optimizers import (LEARNING_RATES, ROSENBROCK_OPTIMIZERS, ROSENBROCK_START,
                                 SCHEDULES, best_runs, descend, ema, fit_softmax_regression,
                                 gd_1d, hessian_eigenvalues, lbfgs_descend, minibatch_noise,
                                 newton_descend, noisy_least_squares, per_sample_softmax_terms,
                                 plot_losses, plot_paths, plot_sweep, quartic, quartic_grad,
                                 rosenbrock, rosenbrock_grad, rosenbrock_sweep, schedule_curves,
                                 sgd_batch_size_runs, sgd_with_schedules, sweep_learning_rates,
                                 time_per_update)
from dlcourse.regularization import (PENALTIES, compare_regularizers, decay_under_noise,
                                     early_stopping_epoch, generalization_gap, make_mlp,
                                     penalised_descent, random_shift, sparse_regression)

ROOT = Path(__file__).resolve().parent.parent
MASTER = ROOT / "solutions" / "03_optimizers.ipynb"


# --- test functions, gradient descent in one dimension ----------------------------------------

def test_rosenbrock_minimum_and_gradient():
    p = torch.tensor([1.0, 1.0], dtype=torch.float64, requires_grad=True)
    rosenbrock(p).backward()
    assert rosenbrock(p).item() == 0.0
    assert torch.equal(p.grad, torch.zeros(2, dtype=torch.float64))
    assert rosenbrock(torch.tensor([-1.5, 2.0])).item() == pytest.approx(12.5)
    assert rosenbrock(torch.tensor([[0.0, 0.0], [1.0, 1.0]])).tolist() == [1.0, 0.0]
    points = torch.randn(7, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    points.requires_grad_(True)
    rosenbrock(points).sum().backward()
    assert torch.allclose(rosenbrock_grad(points.detach()), points.grad)


def test_rosenbrock_curvature_at_the_minimum():
    """The prose: curvatures about 1,002 and 0.40, a ratio of about 2,500; 2 over the larger
    one is about 0.002."""
    low, high = hessian_eigenvalues(rosenbrock, (1.0, 1.0)).tolist()
    assert round(high) == 1002 and round(low, 2) == 0.40
    assert 2400 < high / low < 2600
    assert round(2 / high, 3) == 0.002


def test_gd_1d_reaches_local_or_global_minimum_by_start():
    """The prose: from -2 to the global minimum near -1.30, from 2 to the local one near 1.13."""
    left = gd_1d(quartic_grad, -2.0, 0.02, 60)[-1]
    right = gd_1d(quartic_grad, 2.0, 0.02, 60)[-1]
    assert round(left, 2) == -1.30 and quartic(left) < quartic(right)
    assert round(right, 2) == 1.13


def test_learning_rate_times_curvature_sets_the_factor():
    """On f(x) = 2x^2: eta f'' = 0.1 and 1.9 end equally far (0.9^30), 1 lands at once, 2.1
    diverges."""
    runs = {p: gd_1d(lambda x: 4.0 * x, 1.0, lr=p / 4.0, steps=30) for p in (0.1, 1.0, 1.9, 2.1)}
    assert abs(runs[0.1][-1]) == pytest.approx(0.9 ** 30) == pytest.approx(abs(runs[1.9][-1]))
    assert round(0.9 ** 30, 2) == 0.04
    assert runs[1.0][1] == 0.0
    assert abs(runs[2.1][-1]) > 10 and all(x > 0 for x in runs[0.1])


# --- trajectories and second-order methods ------------------------------------------------------

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
    f = lambda x: 0.5 * ((x @ A) * x).sum(-1) - x.sum(-1)  # noqa: E731
    x_star = torch.linalg.solve(A, torch.ones(2, dtype=torch.float64))
    for line_search in (False, True):
        res = newton_descend(f, (5.0, -7.0), steps=3, line_search=line_search)
        assert torch.allclose(res["path"][1], x_star, atol=1e-10)


def test_safeguards_keep_newton_away_from_the_maximum():
    """The prose: from x = 0.3 pure Newton converges to the local maximum near 0.170; with the
    safeguards it ends in the minimum near 1.131."""
    f = lambda p: quartic(p[..., 0])  # noqa: E731
    pure = newton_descend(f, (0.3,), steps=20)["path"][-1, 0].item()
    safe = newton_descend(f, (0.3,), steps=20, line_search=True)["path"][-1, 0].item()
    assert round(pure, 3) == 0.170 and 12 * pure ** 2 - 6 < 0 and abs(quartic_grad(pure)) < 1e-12
    assert round(safe, 3) == 1.131 and 12 * safe ** 2 - 6 > 0


def test_newton_line_search_and_lbfgs_on_rosenbrock():
    """The prose: pure Newton needs 5 steps, 2 of them uphill (once to f of about 752); with the
    line search f never increases and about 20 steps are needed; L-BFGS about 35 iterations."""
    pure = newton_descend(rosenbrock, ROSENBROCK_START, 100, tol=1e-3)
    safe = newton_descend(rosenbrock, ROSENBROCK_START, 100, tol=1e-3, line_search=True)
    lbfgs = lbfgs_descend(rosenbrock, ROSENBROCK_START, 200, tol=1e-3)
    assert pure["steps_to_tol"] == 5
    assert int((pure["losses"][1:] > pure["losses"][:-1]).sum()) == 2
    assert round(pure["losses"].max().item()) == 752
    assert 15 <= safe["steps_to_tol"] <= 25
    assert bool((safe["losses"][1:] <= safe["losses"][:-1]).all())
    assert 30 <= lbfgs["steps_to_tol"] <= 40 and lbfgs["losses"][-1] < 1e-3


# --- the learning-rate sweep ---------------------------------------------------------------------

def test_sweep_rows_are_the_runs_at_each_learning_rate():
    """Running every rate at once gives the same paths as separate torch.optim runs."""
    for name, make in ROSENBROCK_OPTIMIZERS.items():
        lrs = [1e-3, 3e-2]
        path = sweep_learning_rates(rosenbrock_grad, make, lrs, ROSENBROCK_START, 150)
        for i, lr in enumerate(lrs):
            alone = descend(rosenbrock, lambda ps, lr=lr: make(ps, lr), ROSENBROCK_START, 150)
            n = len(alone["path"])
            assert torch.allclose(path[:n, i], alone["path"], rtol=1e-9, atol=1e-12,
                                  equal_nan=True), (name, lr)


@pytest.mark.slow
def test_rosenbrock_sweep_and_race_figures():
    """The prose: gradient descent and momentum diverge from 3e-3 on, the adaptive methods
    nowhere on the grid; the best rates are 1e-3 (gradient descent, momentum), 3e-3 (RMSprop),
    0.3 (Adam), 1 (Adagrad); at their best rates momentum and Adam reach f < 1e-3 within 700
    steps, Adam ends lowest, the three others do not reach it in 2,000 steps."""
    sweep = rosenbrock_sweep(steps=2000, progress=False)
    assert list(sweep) == list(ROSENBROCK_OPTIMIZERS)
    assert sweep["Adam"]["lrs"] == list(LEARNING_RATES)
    for name, res in sweep.items():
        diverged = {lr for lr, v in zip(res["lrs"], res["final"].tolist()) if not math.isfinite(v)}
        expected = {lr for lr in LEARNING_RATES if lr >= 3e-3} if name in (
            "gradient descent", "momentum 0.9") else set()
        assert diverged == expected, (name, diverged)
    best = {name: res["lrs"][res["best"]] for name, res in sweep.items()}
    assert best == pytest.approx({"gradient descent": 1e-3, "momentum 0.9": 1e-3, "Adagrad": 1.0,
                                  "RMSprop": 3e-3, "Adam": 0.3})
    race = best_runs(sweep, tol=1e-3)
    assert race["momentum 0.9"]["steps_to_tol"] < 700 and race["Adam"]["steps_to_tol"] < 700
    for name in ("gradient descent", "Adagrad", "RMSprop"):
        assert race[name]["steps_to_tol"] is None, name
    finals = {name: res["losses"][-1].item() for name, res in race.items()}
    assert min(finals, key=finals.get) == "Adam"
    for res in race.values():
        assert torch.equal(res["path"][0], torch.tensor(ROSENBROCK_START, dtype=torch.float64))


def test_lbfgs_descend_reaches_tolerance():
    res = lbfgs_descend(rosenbrock, ROSENBROCK_START, steps=200, tol=1e-3)
    assert res["steps_to_tol"] is not None and res["losses"][-1] < 1e-3


# --- Adam's bias correction ----------------------------------------------------------------------

def test_ema_is_the_zero_started_running_average():
    x = torch.randn(30, 3, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    m, expected = torch.zeros(3, dtype=torch.float64), []
    for row in x:
        m = 0.8 * m + 0.2 * row
        expected.append(m)
    assert torch.allclose(ema(x, 0.8), torch.stack(expected))


def test_adam_steps_without_bias_correction_are_too_large():
    """The prose: on a constant gradient the uncorrected step is 3.2 eta at t = 1, peaks at 6.6
    eta (t = 12) and is still 4.5 eta at t = 50; torch.optim.Adam's steps are eta."""
    t = torch.arange(1, 51, dtype=torch.float64)
    g = torch.ones(50, dtype=torch.float64)
    m, v = ema(g, 0.9), ema(g ** 2, 0.999)
    uncorrected = m / v.sqrt()
    assert round(uncorrected[0].item(), 1) == 3.2
    assert int(uncorrected.argmax()) + 1 == 12 and round(uncorrected.max().item(), 1) == 6.6
    assert round(uncorrected[-1].item(), 1) == 4.5
    corrected = (m / (1 - 0.9 ** t)) / (v / (1 - 0.999 ** t)).sqrt()
    assert torch.allclose(corrected, torch.ones(50, dtype=torch.float64))
    p = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.Adam([p], lr=0.01, eps=0.0)
    for _ in range(50):
        p.grad = torch.ones(1, dtype=torch.float64)
        before = p.detach().clone()
        opt.step()
        assert (before - p.detach()).item() == pytest.approx(0.01, rel=1e-9)


# --- mini-batch noise and the cost of an update ------------------------------------------------

@pytest.fixture(scope="module")
def digits():
    return load_digits_split()


def test_per_sample_terms_match_autograd(digits):
    X, y = digits.X_train[:50].double(), digits.y_train[:50]
    gen = torch.Generator().manual_seed(0)
    W = torch.randn(10, 64, generator=gen, dtype=torch.float64, requires_grad=True)
    b = torch.randn(10, generator=gen, dtype=torch.float64)
    losses, grads = per_sample_softmax_terms(W, b, X, y)
    loss = F.cross_entropy(X @ W.T + b, y)
    loss.backward()
    assert torch.allclose(losses.mean(), loss)
    assert torch.allclose(grads.mean(0), W.grad)


def test_noise_falls_like_one_over_sqrt_batch(digits):
    """The notebook's table: both spreads fall with B, roughly halving per factor 4; the
    training split has 1,169 examples."""
    assert len(digits.X_train) == 1169
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


def _loss_at(rec, update):
    """The loss of the last record at or before ``update``."""
    return [loss for u, loss in zip(rec["update"], rec["loss"]) if u <= update][-1]


def test_batch_size_per_epoch_and_per_update(digits):
    """The prose: per epoch B = 1 wins (2,338 updates against 74 and 2); per update the batch
    of 32 is ahead of single examples at every number of updates."""
    n = len(digits.X_train)
    runs = sgd_batch_size_runs(digits.X_train, digits.y_train, [1, 32, n], lr=0.1, epochs=2,
                               device="cpu", evals_per_epoch=40, progress=False)
    final = {B: rec["loss"][-1] for B, rec in runs.items()}
    assert final[1] < final[32] < final[n]
    assert runs[1]["update"][-1] == 2338 and runs[32]["update"][-1] == 74
    assert runs[n]["update"][-1] == 2
    assert runs[1]["loss"][0] == pytest.approx(math.log(10), rel=1e-5)
    for update, loss in zip(runs[32]["update"][1:], runs[32]["loss"][1:]):
        assert loss < _loss_at(runs[1], update), update


def test_an_update_on_32_examples_costs_about_as_much_time_as_on_one(digits):
    """The prose: an update at B = 32 takes less than 3x as long as at B = 1, so an epoch at
    B = 32 runs more than 10x faster."""
    n = len(digits.X_train)
    timing = time_per_update(digits.X_train, digits.y_train, [1, 32], device="cpu")
    t1, t32 = timing["seconds"]
    assert t32 < 3 * t1
    assert t1 * n > 10 * t32 * math.ceil(n / 32)


# --- learning-rate schedules --------------------------------------------------------------------

def test_schedule_curves_follow_their_definitions():
    curves = schedule_curves(1000, lr=0.05)
    assert list(curves) == list(SCHEDULES)
    assert torch.all(curves["constant"] == 0.05)
    step = curves["step (x0.1 every third)"]
    assert step[333] == pytest.approx(0.05) and step[334] == pytest.approx(0.005)
    assert step[668] == step[999] == pytest.approx(0.0005)
    cosine = curves["cosine"]
    assert cosine[0] == pytest.approx(0.05) and cosine[500] == pytest.approx(0.025, rel=1e-3)
    warm = curves["warm-up + cosine"]
    assert warm[0] == pytest.approx(0.0005) and warm[100] == pytest.approx(0.05)
    cycle = curves["one-cycle"]
    assert int(cycle.argmax()) in range(295, 305) and cycle.max() == pytest.approx(0.05)
    assert cycle[-1] < 1e-5


def test_sgd_with_schedules_is_plain_sgd_per_run():
    problem = noisy_least_squares(n=50, d=3, seed=1)
    rate = torch.full((40,), 0.05, dtype=torch.float64)
    out = sgd_with_schedules(problem, {"a": rate, "b": 2 * rate}, batch_size=2, seed=3,
                             record_every=40)
    gen = torch.Generator().manual_seed(3)
    w = {"a": torch.zeros(3, dtype=torch.float64), "b": torch.zeros(3, dtype=torch.float64)}
    X, y = problem["X"], problem["y"]
    for _ in range(40):
        idx = torch.randint(0, 50, (2,), generator=gen)
        for name, lr in (("a", 0.05), ("b", 0.1)):
            w[name] = w[name] - lr * X[idx].T @ (X[idx] @ w[name] - y[idx]) / 2
    for name in w:
        loss = ((X @ w[name] - y) ** 2).mean().item() / 2 - problem["loss_star"]
        assert out[name][-1] == pytest.approx(loss, rel=1e-9)


def test_annealed_schedules_end_closer_to_the_minimum():
    """The prose: all four annealed schedules end more than 5x closer to the minimum than the
    constant rate (mean over the last 100 updates)."""
    curves = schedule_curves(1000, lr=0.05)
    excess = sgd_with_schedules(noisy_least_squares(), curves, batch_size=4, seed=0)
    final = {name: sum(excess[name][-5:]) / 5 for name in curves}
    for name, value in final.items():
        if name != "constant":
            assert final["constant"] > 5 * value, (name, final)


# --- L1 and L2, AdamW -------------------------------------------------------------------------

def test_only_the_proximal_step_gives_exact_zeros():
    """The prose: of the 17 irrelevant weights, none is exactly zero with L2 or the subgradient
    step, all 17 with the proximal step; the subgradient keeps jumping across zero by about
    eta * lambda = 0.005."""
    problem = sparse_regression()
    final = {}
    for penalty in PENALTIES:
        history = penalised_descent(problem, penalty, lr=0.05, lam=0.1, steps=1000)
        final[penalty] = history[-1]
        assert bool((history[-1][:3].abs() > 0.5).all()), penalty  # the three that matter stay
        if penalty == "L1, subgradient step":
            tail = history[-50:, 3:]
            flips = (torch.sign(tail[1:]) != torch.sign(tail[:-1])).sum(dim=0)
            assert bool((flips > 10).all())
            assert tail.abs().max() < 2 * 0.05 * 0.1
    assert int((final["L2"][3:] == 0).sum()) == 0
    assert int((final["L1, subgradient step"][3:] == 0).sum()) == 0
    assert int((final["L1, proximal step"][3:] == 0).sum()) == 17


def test_softshrink_is_the_soft_threshold():
    w = torch.tensor([-2.0, -0.05, 0.0, 0.03, 0.5], dtype=torch.float64)
    expected = torch.sign(w) * torch.clamp(w.abs() - 0.1, min=0.0)
    assert torch.equal(F.softshrink(w, 0.1), expected)


def test_adamw_decays_every_weight_alike_adam_l2_does_not():
    """The prose: AdamW leaves all three weights at 0.13 (about (1 - eta lambda)^1000); Adam with
    L2 removes the one with small gradients and leaves the one with large gradients at 0.96."""
    sizes = [0.01, 1.0, 100.0]
    adamw = decay_under_noise(lambda w: torch.optim.AdamW(w, lr=0.01, weight_decay=0.2),
                              sizes, 1000)[-1]
    adam = decay_under_noise(lambda w: torch.optim.Adam(w, lr=0.01, weight_decay=0.2),
                             sizes, 1000)[-1]
    assert [round(w, 2) for w in adamw.tolist()] == [0.13] * 3
    assert torch.allclose(adamw, torch.full((3,), 0.998 ** 1000, dtype=torch.float64), rtol=0.05)
    assert abs(adam[0]) < 1e-3 and round(adam[2].item(), 2) == 0.96


# --- regularizers on the digits -----------------------------------------------------------------

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


def test_batchnorm_with_momentum_none_averages_the_batches():
    """The notebook's num_batches_tracked demo: 3 after three training batches and one
    evaluation batch; the running mean is the mean of the batch means."""
    bn = torch.nn.BatchNorm1d(3, momentum=None)
    gen = torch.Generator().manual_seed(1)
    batches = [2 * torch.randn(16, 3, generator=gen) + 5 for _ in range(3)]
    bn.train()
    for batch in batches:
        bn(batch)
    bn.eval()
    bn(batches[0])
    assert bn.num_batches_tracked.item() == 3
    assert torch.allclose(bn.running_mean, torch.stack([b.mean(0) for b in batches]).mean(0))
    assert torch.allclose(bn.running_var, torch.stack([b.var(0) for b in batches]).mean(0))


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
    """The prose: without regularization the training loss goes to almost zero and the gap is
    the largest; dropout and L2 keep the training loss higher and shrink the gap, dropout also
    lowers the best validation loss; batch norm's training loss collapses within a few epochs
    and it reaches the lowest validation loss; augmentation shrinks the gap the most and its
    training loss is still falling; early stopping on the batch-norm run stops well before the
    end, at its best epoch."""
    curves = compare_regularizers(digits, "cpu", epochs=50, progress=False)
    gap = {name: generalization_gap(h) for name, h in curves.items()}
    best_val = {name: min(h["val_loss"]) for name, h in curves.items()}
    train = {name: h["train_loss"][-1] for name, h in curves.items()}
    base = "no regularization"
    assert train[base] < 0.05 and max(gap, key=gap.get) == base
    for name in ("dropout 0.5", "L2 (weight decay 3e-3)"):
        assert gap[name] < gap[base] - 0.01 and train[name] > train[base], name
    assert best_val["dropout 0.5"] < best_val[base]
    assert min(best_val, key=best_val.get) == "batch norm"
    assert curves["batch norm"]["train_loss"][9] < 0.1
    assert min(gap, key=gap.get) == "augmentation (shifts)"
    aug = curves["augmentation (shifts)"]["train_loss"]
    assert aug[-1] < min(aug[-10:-5])
    assert curves[base]["val_acc"][-1] > 0.85
    bn_val = curves["batch norm"]["val_loss"]
    stop, best = early_stopping_epoch(bn_val, patience=5)
    assert stop < 40 and bn_val[best] <= min(bn_val) + 0.005


# --- the chapter's checks: the master's solutions pass, the mistakes fail ------------------------

# The catalogued mistakes the public check names itself (the others the grader names, from its
# own implementations of them).
NAMED_BY_THE_CHECK = {
    "ch03_sgd_momentum": {"ema_velocity", "velocity_not_kept"},
    "ch03_adagrad": {"eps_inside_the_root", "no_accumulation"},
    "ch03_rmsprop": {"rho_and_one_minus_rho_swapped", "forgets_one_minus_rho"},
    "ch03_adam": {"no_bias_correction", "step_counter_starts_at_0", "step_counter_starts_at_2"},
    "ch03_newton_step": {"direction_sign_flipped", "multiplies_by_the_hessian",
                         "diagonal_hessian_only", "no_descent_fallback",
                         "full_step_without_line_search", "any_decrease_accepted"},
    "ch03_dropout": {"keep_probability_for_drop_probability", "no_rescaling",
                     "one_mask_shared_by_the_batch", "scales_at_evaluation",
                     "ignores_the_generator", "nan_at_p_equal_1"},
    "ch03_batchnorm": {"biased_running_variance", "normalises_with_unbiased_variance",
                       "momentum_weights_the_old_value", "batch_statistics_at_evaluation",
                       "eps_outside_the_root"},
    "ch03_early_stopping": {"tie_counts_as_improvement", "waits_one_epoch_too_many",
                            "ignores_min_delta", "epochs_numbered_from_1", "counter_not_reset"},
}


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
def test_mistakes_fail_the_public_checks_which_name_the_listed_ones():
    from autograder.mistakes import mistakes_of

    by_id = {e.grade_id: e for e in exercises_of("ch03")}
    assert {m.grade_id for m in mistakes_of("ch03")} == set(by_id)
    named = {gid: set() for gid in by_id}
    for gid, mistake_id, source in mistakes_of("ch03"):
        ns = {"torch": torch}
        exec(source, ns)
        ex = by_id[gid]
        with pytest.raises(CheckFailure) as failure:
            ex.check(local_runner(ns[ex.target]))
        assert failure.value.mistake in (None, mistake_id), (mistake_id, failure.value.mistake)
        if failure.value.mistake == mistake_id:
            named[gid].add(mistake_id)
    assert named == NAMED_BY_THE_CHECK


def test_plots_draw_paths_losses_and_sweeps():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    res = {"GD": descend(rosenbrock, lambda ps: torch.optim.SGD(ps, lr=1e-3), ROSENBROCK_START, 20)}
    ax = plot_paths(rosenbrock, res, "paths")
    assert ax.get_title() == "paths" and ax.get_legend() is not None
    ax = plot_losses(res, "losses")
    assert ax.get_yscale() == "log" and len(ax.get_lines()) == 1
    sweep = rosenbrock_sweep({"GD": ROSENBROCK_OPTIMIZERS["gradient descent"]}, lrs=(1e-3, 1.0),
                             steps=50, progress=False)
    ax = plot_sweep(sweep, "sweep")
    assert ax.get_xscale() == "log" and ax.get_legend() is not None
    crosses = [line for line in ax.get_lines() if line.get_marker() == "x"]
    assert len(crosses) == 1 and list(crosses[0].get_xdata()) == [1.0]  # lr = 1 diverged
    plt.close("all")
