"""Public checks of Chapter 3 (optimizers and regularization).

The optimizer steps are compared with ``torch.optim`` over 100 steps on seeded
least-squares problems; the Newton step with quadratics whose minimum is known
and with autograd's Hessian; dropout with its defining properties; batch norm
with ``nn.BatchNorm1d``; the early-stopping helper with scripted loss curves.
"""
from __future__ import annotations

import math

import torch
from torch import nn

from dlcourse.checks import call, exercise
from dlcourse.compare import CheckFailure, expect_close, expect_equal, expect_scalar, expect_type

# ---------------------------------------------------------------------------
# Optimizer steps: problems, the probe, and the torch.optim reference
# ---------------------------------------------------------------------------


def make_lstsq_problem(seed: int, n: int, d: int, k: int | None, dtype=torch.float64,
                       zero_column: bool = False) -> dict:
    """A seeded least-squares problem ``L(theta) = ||X theta - Y||^2 / (2n)``.

    ``theta`` has shape (d,) when ``k`` is None, else (d, k). Columns of ``X`` get
    very different scales so that adaptive methods behave differently from SGD;
    ``zero_column`` makes the first column zero, so one gradient entry is always 0.
    """
    gen = torch.Generator().manual_seed(seed)
    scales = torch.logspace(-1, 1, d, dtype=torch.float64)
    X = torch.randn(n, d, generator=gen, dtype=torch.float64) * scales
    if zero_column:
        X[:, 0] = 0.0
    shape = (n,) if k is None else (n, k)
    Y = torch.randn(shape, generator=gen, dtype=torch.float64)
    theta0 = torch.randn((d,) if k is None else (d, k), generator=gen, dtype=torch.float64)
    return {"X": X.to(dtype), "Y": Y.to(dtype), "theta0": theta0.to(dtype)}


def lstsq_grad(theta: torch.Tensor, X: torch.Tensor, Y: torch.Tensor) -> torch.Tensor:
    """Gradient of ``||X theta - Y||^2 / (2n)`` with respect to ``theta``."""
    return X.T @ (X @ theta - Y) / X.shape[0]


def probe_optimizer_trajectory(step, problem: dict, hyper: dict, steps: int = 100):
    """Run ``steps`` updates of the student's ``step`` from ``problem["theta0"]``.

    The state starts as an empty dict; every call receives the state returned by the
    previous one. Returns the trajectory, a tensor of shape (steps + 1, *theta.shape).
    """
    theta = problem["theta0"].clone()
    state: dict = {}
    path = [theta.clone()]
    for _ in range(steps):
        grad = lstsq_grad(theta, problem["X"], problem["Y"])
        theta, state = step(theta, grad, state, **hyper)
        if not isinstance(theta, torch.Tensor):
            raise TypeError(f"the step must return (new_theta, new_state) with a tensor "
                            f"new_theta, got {type(theta).__name__}")
        if not isinstance(state, dict):
            raise TypeError(f"the step must return (new_theta, new_state) with a dict "
                            f"new_state, got {type(state).__name__}")
        path.append(theta.detach().clone())
    return torch.stack(path)


def torch_trajectory(kind: str, problem: dict, hyper: dict, steps: int = 100) -> torch.Tensor:
    """The same run with ``torch.optim`` (the reference the steps must track)."""
    p = problem["theta0"].clone().requires_grad_(True)
    h = dict(hyper)
    if kind == "momentum":
        opt = torch.optim.SGD([p], lr=h["lr"], momentum=h["momentum"])
    elif kind == "adagrad":
        opt = torch.optim.Adagrad([p], lr=h["lr"], eps=h["eps"])
    elif kind == "rmsprop":
        opt = torch.optim.RMSprop([p], lr=h["lr"], alpha=h["alpha"], eps=h["eps"])
    elif kind == "adam":
        opt = torch.optim.Adam([p], lr=h["lr"], betas=(h["beta1"], h["beta2"]), eps=h["eps"])
    else:
        raise ValueError(kind)
    path = [p.detach().clone()]
    for _ in range(steps):
        with torch.no_grad():
            p.grad = lstsq_grad(p, problem["X"], problem["Y"])
        opt.step()
        path.append(p.detach().clone())
    return torch.stack(path)


# (seed, n, d, k, zero_column): scalar parameter, vector, non-square matrix, a dead input
PUBLIC_PROBLEMS = [(0, 20, 1, None, False), (1, 50, 5, None, True), (2, 30, 4, 3, False)]


def check_optimizer(run, kind: str, settings: list[dict], problems=PUBLIC_PROBLEMS,
                    steps: int = 100) -> None:
    """Compare the student's trajectories with ``torch.optim`` to 1e-6 relative (float64),
    and check that a float32 problem stays float32."""
    for hyper in settings:
        for seed, n, d, k, zero in problems:
            problem = make_lstsq_problem(seed, n, d, k, zero_column=zero)
            shape = (d,) if k is None else (d, k)
            got = run(probe_optimizer_trajectory, problem, hyper, steps)
            expected = torch_trajectory(kind, problem, hyper, steps)
            # 1e-6 relative, entry-wise or to the trajectory's scale (for entries near 0)
            expect_close(got, expected,
                         f"trajectory over {steps} steps, theta of shape {shape}, {hyper}",
                         rtol=1e-6, atol=1e-6 * expected.abs().max().item())
    problem = make_lstsq_problem(7, 16, 3, 2, dtype=torch.float32)
    got = run(probe_optimizer_trajectory, problem, settings[0], 10)
    expect_close(got, torch_trajectory(kind, problem, settings[0], 10),
                 f"10 steps on a float32 problem, {settings[0]}", rtol=1e-4, atol=1e-5)


@exercise("ch03_sgd_momentum", target="sgd_momentum_step",
          title="SGD with momentum")
def check_sgd_momentum(run):
    check_optimizer(run, "momentum", [{"lr": 0.05, "momentum": 0.9},
                                      {"lr": 0.2, "momentum": 0.0},
                                      {"lr": 0.01, "momentum": 0.5}])


@exercise("ch03_adagrad", target="adagrad_step", title="Adagrad")
def check_adagrad(run):
    check_optimizer(run, "adagrad", [{"lr": 0.1, "eps": 1e-10}, {"lr": 0.5, "eps": 0.1}])


@exercise("ch03_rmsprop", target="rmsprop_step", title="RMSprop")
def check_rmsprop(run):
    check_optimizer(run, "rmsprop", [{"lr": 0.01, "alpha": 0.99, "eps": 1e-8},
                                     {"lr": 0.003, "alpha": 0.9, "eps": 0.1}])


@exercise("ch03_adam", target="adam_step", title="Adam")
def check_adam(run):
    check_optimizer(run, "adam", [{"lr": 0.01, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8},
                                  {"lr": 0.01, "beta1": 0.5, "beta2": 0.9, "eps": 0.1}])


# ---------------------------------------------------------------------------
# Newton's method
# ---------------------------------------------------------------------------


def make_spd(d: int, seed: int, cond: float = 100.0) -> torch.Tensor:
    """A random symmetric positive definite (d, d) matrix with the given condition number."""
    gen = torch.Generator().manual_seed(seed)
    Q, _ = torch.linalg.qr(torch.randn(d, d, generator=gen, dtype=torch.float64))
    eig = torch.logspace(0, math.log10(cond), d, dtype=torch.float64)
    return (Q * eig) @ Q.T


def smooth_convex(W: torch.Tensor):
    """``f(x) = logsumexp(W x) + |x|^2 / 2``: convex, not quadratic."""
    return lambda x: torch.logsumexp(W @ x, dim=0) + 0.5 * (x * x).sum()


def probe_newton_iterations(newton_step, W: torch.Tensor, x0: torch.Tensor, iters: int):
    """Iterate the student's Newton step on :func:`smooth_convex`; gradient norm after each."""
    f = smooth_convex(W)
    x, norms = x0.clone(), []
    for _ in range(iters):
        g = torch.autograd.functional.jacobian(f, x)
        H = torch.autograd.functional.hessian(f, x)
        x = newton_step(x, g, H)
        norms.append(torch.autograd.functional.jacobian(f, x).norm())
    return torch.stack(norms)


@exercise("ch03_newton_step", target="newton_step", title="A Newton step")
def check_newton_step(run):
    # Quadratics 1/2 x^T A x - b^T x with a known minimiser: one step lands on it.
    for seed, d in [(0, 1), (1, 3), (2, 8)]:
        gen = torch.Generator().manual_seed(100 + seed)
        A = make_spd(d, seed)
        x_star = torch.randn(d, generator=gen, dtype=torch.float64)
        x = torch.randn(d, generator=gen, dtype=torch.float64) * 5
        grad = A @ (x - x_star)  # = A x - b with b = A x_star
        expect_close(run(call, x, grad, A), x_star,
                     f"one Newton step on a {d}-dimensional quadratic (should land on the "
                     f"minimum)", rtol=1e-7, atol=1e-8)
    # Already at the minimum (zero gradient, a negative coordinate): the step stays put.
    A = make_spd(4, 5)
    x = torch.tensor([0.0, -1.5, 2.0, 0.25], dtype=torch.float64)
    expect_close(run(call, x, torch.zeros(4, dtype=torch.float64), A), x,
                 "Newton step with a zero gradient")
    # A non-quadratic function, gradient and Hessian from autograd.
    for seed, d in [(3, 2), (4, 6)]:
        gen = torch.Generator().manual_seed(seed)
        W = torch.randn(5, d, generator=gen, dtype=torch.float64)
        x = torch.randn(d, generator=gen, dtype=torch.float64)
        f = smooth_convex(W)
        g = torch.autograd.functional.jacobian(f, x)
        H = torch.autograd.functional.hessian(f, x)
        L = torch.linalg.cholesky(H)
        expected = x - torch.cholesky_solve(g.unsqueeze(1), L).squeeze(1)
        expect_close(run(call, x, g, H), expected,
                     f"Newton step on logsumexp(Wx) + |x|^2/2 in {d} dimensions")
        norms = run(probe_newton_iterations, W, x, 6)
        if not bool(norms[-1] < 1e-10):
            raise CheckFailure(f"six Newton iterations on a smooth convex function should "
                               f"drive the gradient norm below 1e-10; got {norms.tolist()}")


# ---------------------------------------------------------------------------
# Inverted dropout
# ---------------------------------------------------------------------------


def expect_like(got, x: torch.Tensor, what: str) -> None:
    """A tensor with the dtype and shape of ``x``."""
    expect_type(got, torch.Tensor, what)
    if got.dtype != x.dtype:
        raise CheckFailure(f"{what}: expected dtype {x.dtype}, got {got.dtype}")
    if tuple(got.shape) != tuple(x.shape):
        raise CheckFailure(f"{what}: expected shape {tuple(x.shape)}, got {tuple(got.shape)}")


def probe_dropout(dropout, x: torch.Tensor, p: float, training: bool, seed: int):
    """One call with a ``torch.Generator`` seeded with ``seed`` (generators cannot cross into
    the sandbox, seeds can)."""
    return dropout(x, p, training, torch.Generator().manual_seed(seed))


def probe_dropout_twice(dropout, x: torch.Tensor, p: float, seed: int):
    """Two training-mode calls with generators seeded alike: must give the same result."""
    a = dropout(x, p, True, torch.Generator().manual_seed(seed))
    b = dropout(x, p, True, torch.Generator().manual_seed(seed))
    return {"a": a, "b": b}


@exercise("ch03_dropout", target="dropout", title="Inverted dropout")
def check_dropout(run):
    gen = torch.Generator().manual_seed(0)
    for p in [0.2, 0.5, 0.7]:
        x = torch.rand(300, 200, generator=gen) + 0.5  # strictly positive: zeros = dropped
        out = run(probe_dropout_twice, x, p, 11)
        y = out["a"]
        expect_close(out["b"], y, f"two calls with identically seeded generators (p={p}); "
                     "draw all randomness from `generator`")
        expect_like(y, x, f"dropout(x, p={p}) in training mode")
        dropped = y == 0
        rate = dropped.double().mean().item()
        if abs(rate - p) > 0.01:
            raise CheckFailure(f"p={p}: {rate:.3f} of the units were zeroed; expected about {p} "
                               "(p is the probability of DROPPING a unit)")
        kept = ~dropped
        expect_close(y[kept], x[kept] / (1 - p),
                     f"p={p}: kept units must be scaled by 1/(1-p)")
        col_rate = dropped.double().mean(dim=0)
        row_rate = dropped.double().mean(dim=1)
        if (col_rate - p).abs().max() > 0.15 or (row_rate - p).abs().max() > 0.15:
            raise CheckFailure(f"p={p}: every entry needs its own random draw; some rows or "
                               "columns are dropped far more or less often than p")
        expect_scalar(y.double().mean().item(), x.double().mean().item(),
                      f"p={p}: mean of the output (expected value preserved)", rtol=0.02)
    # Zero and negative values, batch size 1, float64.
    x = torch.tensor([[0.0, -1.0, 2.0, -3.5, 4.0]], dtype=torch.float64)
    y = run(probe_dropout, x, 0.5, True, 3)
    expect_like(y, x, "dropout on a float64 input of shape (1, 5)")
    kept = y != 0
    expect_close(y[kept], 2 * x[kept], "dropout p=0.5 on [0, -1, 2, -3.5, 4]: kept units doubled")
    # Evaluation mode is the identity, p = 0 changes nothing, p = 1 drops everything.
    x = torch.randn(3, 7, generator=gen)
    expect_close(run(probe_dropout, x, 0.5, False, 0), x,
                 "dropout(x, p=0.5, training=False) must return x unchanged")
    expect_close(run(probe_dropout, x, 0.0, True, 0), x,
                 "dropout(x, p=0.0, training=True) must return x unchanged")
    expect_close(run(probe_dropout, x, 1.0, True, 0), torch.zeros_like(x),
                 "dropout(x, p=1.0, training=True) must return zeros (and no NaN)")


# ---------------------------------------------------------------------------
# Batch normalization
# ---------------------------------------------------------------------------


def probe_batchnorm(batchnorm_forward, batches, eval_x, gamma, beta, momentum: float,
                    eps: float):
    """Training-mode calls on each batch (running statistics carried along), then one
    evaluation-mode call. Returns every output and the running statistics after each call."""
    C = gamma.shape[0]
    running_mean = torch.zeros(C, dtype=gamma.dtype)
    running_var = torch.ones(C, dtype=gamma.dtype)
    out = {}
    for i, x in enumerate(batches):
        y, running_mean, running_var = batchnorm_forward(
            x, gamma, beta, running_mean, running_var, True, momentum, eps)
        out[f"train_y{i}"] = y
        out[f"running_mean{i}"] = running_mean.clone()
        out[f"running_var{i}"] = running_var.clone()
    y, rm, rv = batchnorm_forward(eval_x, gamma, beta, running_mean, running_var, False,
                                  momentum, eps)
    out["eval_y"] = y
    out["eval_running_mean"] = rm.clone()
    out["eval_running_var"] = rv.clone()
    return out


def torch_batchnorm(batches, eval_x, gamma, beta, momentum: float, eps: float) -> dict:
    """The same sequence of calls through ``nn.BatchNorm1d``."""
    C = gamma.shape[0]
    bn = nn.BatchNorm1d(C, eps=eps, momentum=momentum).to(gamma.dtype)
    with torch.no_grad():
        bn.weight.copy_(gamma)
        bn.bias.copy_(beta)
        out = {}
        bn.train()
        for i, x in enumerate(batches):
            out[f"train_y{i}"] = bn(x)
            out[f"running_mean{i}"] = bn.running_mean.clone()
            out[f"running_var{i}"] = bn.running_var.clone()
        bn.eval()
        out["eval_y"] = bn(eval_x)
        out["eval_running_mean"] = bn.running_mean.clone()
        out["eval_running_var"] = bn.running_var.clone()
    return out


def batchnorm_case(seed: int, sizes, C: int, eval_n: int, dtype=torch.float64,
                   constant_feature: bool = False) -> tuple:
    """Random batches with shifted, scaled features; gamma with zero and negative entries."""
    gen = torch.Generator().manual_seed(seed)
    shift = 3 * torch.randn(C, generator=gen, dtype=torch.float64)
    scale = torch.rand(C, generator=gen, dtype=torch.float64) * 4 + 0.1
    batches = [torch.randn(n, C, generator=gen, dtype=torch.float64) * scale + shift
               for n in sizes]
    if constant_feature:
        for b in batches:
            b[:, 0] = 1.5
    eval_x = torch.randn(eval_n, C, generator=gen, dtype=torch.float64) * scale + shift
    gamma = torch.randn(C, generator=gen, dtype=torch.float64)
    gamma[0] = 0.0
    if C > 1:
        gamma[1] = -abs(gamma[1]) - 0.5
    beta = torch.randn(C, generator=gen, dtype=torch.float64)
    cast = lambda t: t.to(dtype)  # noqa: E731
    return [cast(b) for b in batches], cast(eval_x), cast(gamma), cast(beta)


def compare_batchnorm(run, case, momentum: float, eps: float, what: str) -> None:
    batches, eval_x, gamma, beta = case
    got = run(probe_batchnorm, batches, eval_x, gamma, beta, momentum, eps)
    expected = torch_batchnorm(batches, eval_x, gamma, beta, momentum, eps)
    for key, value in expected.items():
        if key not in got:
            raise CheckFailure(f"{what}: missing output {key}")
        expect_close(got[key], value, f"{what}, {key.replace('_', ' ')}")


@exercise("ch03_batchnorm", target="batchnorm_forward",
          title="Batch normalization, train and eval")
def check_batchnorm(run):
    compare_batchnorm(run, batchnorm_case(0, [16, 16, 16], 4, 5), 0.1, 1e-5,
                      "batches of 16 x 4 features")
    compare_batchnorm(run, batchnorm_case(1, [2, 7], 1, 1), 0.3, 1e-3,
                      "batches of 2 then 7, one feature, eval on a single sample")
    compare_batchnorm(run, batchnorm_case(2, [9, 5, 12], 6, 3, constant_feature=True), 0.5, 0.1,
                      "a constant feature (zero variance), eps=0.1, momentum=0.5")
    compare_batchnorm(run, batchnorm_case(3, [8, 8], 3, 4, dtype=torch.float32), 0.1, 1e-5,
                      "float32 batches")


# ---------------------------------------------------------------------------
# Early stopping
# ---------------------------------------------------------------------------


def probe_early_stopping(EarlyStopping, losses, patience: int, min_delta: float):
    """Feed ``losses`` one epoch at a time until ``step`` returns True.

    Returns the decisions and, after each call, ``best_epoch`` and ``best_loss``.
    """
    stopper = EarlyStopping(patience=patience, min_delta=min_delta)
    decisions, best_epochs, best_losses = [], [], []
    for loss in losses:
        stop = stopper.step(float(loss))
        decisions.append(bool(stop))
        best_epochs.append(int(stopper.best_epoch))
        best_losses.append(float(stopper.best_loss))
        if stop:
            break
    return {"stop": torch.tensor(decisions), "best_epoch": torch.tensor(best_epochs),
            "best_loss": torch.tensor(best_losses, dtype=torch.float64)}


def expected_early_stopping(losses, patience: int, min_delta: float) -> dict:
    """What the helper must report, computed from 'epochs since the last improvement'."""
    decisions, best_epochs, best_losses = [], [], []
    best_epoch, best = None, math.inf
    for epoch, loss in enumerate(losses):
        if best_epoch is None or loss < best - min_delta:
            best_epoch, best = epoch, loss
        decisions.append(epoch - best_epoch >= patience)
        best_epochs.append(best_epoch)
        best_losses.append(best)
        if decisions[-1]:
            break
    return {"stop": torch.tensor(decisions), "best_epoch": torch.tensor(best_epochs),
            "best_loss": torch.tensor(best_losses, dtype=torch.float64)}


EARLY_STOPPING_CASES = [
    # (losses, patience, min_delta)
    ([1.0, 0.8, 0.6, 0.5, 0.45, 0.44], 2, 0.0),            # always improving: never stops
    ([1.0, 0.7, 0.5, 0.55, 0.6, 0.52, 0.65, 0.7], 3, 0.0),  # U-shape
    ([0.9, 0.5, 0.5, 0.5, 0.4], 2, 0.0),                    # a plateau is no improvement
    ([1.0, 0.95, 0.93, 0.92, 0.80, 0.79], 2, 0.05),         # small gains below min_delta
    ([2.0, 3.0, 1.0, 4.0], 1, 0.0),                         # patience 1
    ([0.3, -0.1, -0.2, 0.0, -0.15, 0.1], 2, 0.0),           # negative losses
]


def check_stopping_cases(run, cases) -> None:
    for losses, patience, min_delta in cases:
        got = run(probe_early_stopping, losses, patience, min_delta)
        expected = expected_early_stopping(losses, patience, min_delta)
        what = f"losses {losses}, patience={patience}, min_delta={min_delta}"
        stop_got, stop_exp = got["stop"].tolist(), expected["stop"].tolist()
        if stop_got != stop_exp:
            raise CheckFailure(f"{what}: step() returned {stop_got}, expected {stop_exp}")
        expect_close(got["best_epoch"], expected["best_epoch"],
                     f"{what}: best_epoch after each step")
        expect_close(got["best_loss"], expected["best_loss"], f"{what}: best_loss after each step")


@exercise("ch03_early_stopping", target="EarlyStopping",
          title="Early stopping")
def check_early_stopping(run):
    check_stopping_cases(run, EARLY_STOPPING_CASES)
    expect_equal(len(run(probe_early_stopping, [1.0] * 10, 4, 0.0)["stop"]), 5,
                 "a flat curve with patience 4: number of step() calls until it says stop")

# The catalogue of known mistakes: exercise -> mistake id -> what the misconception is.
MISTAKES = {
    "ch03_sgd_momentum": {
        "averages_the_velocity_with_1_momentum": "averages the velocity with (1 - momentum) (not torch's convention)",
        "moves_with_the_old_velocity_before": 'moves with the old velocity before updating it',
    },
    "ch03_adagrad": {
        "puts_eps_inside_the_square_root": 'puts eps inside the square root',
        "accumulates_g_instead_of_g_squared": 'accumulates |g| instead of g squared',
    },
    "ch03_rmsprop": {
        "forgets_the_1_alpha_factor_on_the_new": 'forgets the (1 - alpha) factor on the new squared gradient',
        "swaps_alpha_and_1_alpha": 'swaps alpha and 1 - alpha',
    },
    "ch03_adam": {
        "forgets_the_bias_correction": 'forgets the bias correction',
        "counts_steps_from_0_off_by_one_in_the": 'counts steps from 0 (off by one in the bias correction)',
        "puts_eps_inside_the_square_root": 'puts eps inside the square root',
    },
    "ch03_newton_step": {
        "wrong_sign_moves_uphill": 'wrong sign (moves uphill)',
        "multiplies_by_the_hessian_instead_of_its": 'multiplies by the Hessian instead of its inverse',
        "uses_only_the_diagonal_of_the_hessian": 'uses only the diagonal of the Hessian',
    },
    "ch03_dropout": {
        "forgets_to_rescale_the_kept_units": 'forgets to rescale the kept units',
        "keeps_units_with_probability_p_instead": 'keeps units with probability p instead of 1 - p',
        "one_mask_per_feature_shared_by_the_whole": 'one mask per feature, shared by the whole batch',
        "classic_non_inverted_dropout_scales_by_1": 'classic (non-inverted) dropout: scales by 1 - p at evaluation',
        "ignores_the_generator_global_random": 'ignores the generator (global random state)',
    },
    "ch03_batchnorm": {
        "biased_variance_in_the_running_estimate": 'biased variance in the running estimate',
        "normalises_with_the_unbiased_variance": 'normalises with the unbiased variance',
        "momentum_weights_the_old_running_value": 'momentum weights the old running value (Keras convention)',
        "uses_the_batch_statistics_in_evaluation": 'uses the batch statistics in evaluation mode too',
        "eps_outside_the_square_root": 'eps outside the square root',
    },
    "ch03_early_stopping": {
        "counts_a_tie_as_an_improvement_instead": 'counts a tie as an improvement (<= instead of <)',
        "off_by_one_waits_patience_1_epochs": 'off by one: waits patience + 1 epochs',
        "ignores_min_delta": 'ignores min_delta',
        "numbers_epochs_from_1": 'numbers epochs from 1',
    },
}
