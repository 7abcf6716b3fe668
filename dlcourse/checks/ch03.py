"""Public checks of Chapter 3 (optimizers and regularization).

The optimizer steps are compared with ``torch.optim`` over 100 steps on seeded
least-squares problems; the Newton step with quadratics whose minimum is known, with a
point where the Hessian is not positive definite, and with autograd's Hessian; dropout
with its defining properties; batch norm with ``nn.BatchNorm1d``; the early-stopping
helper with scripted loss curves. Where PyTorch itself produces what a known mistake
would return (another setting of an optimizer or of ``nn.BatchNorm1d``, a biased
estimate), the check compares with it too and names the mistake.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from dlcourse.checks import exercise
from dlcourse.compare import CheckFailure, expect_close, expect_equal, expect_scalar, expect_type

# The catalogue of known mistakes: exercise -> mistake id -> the misconception and the idea
# to revisit (never code). autograder/mistakes/ch03.py implements each one.
MISTAKES = {
    "ch03_sgd_momentum": {
        "ema_velocity": "the velocity is averaged as in the lecture notes, m = βm + (1 − β)g; that "
                        "is the same method with the learning rate scaled by (1 − β). PyTorch, "
                        "and this exercise, add the whole gradient: m = βm + g",
        "steps_with_the_old_velocity": "θ moves with the previous step's velocity: first add the "
                                       "new gradient to the velocity, then step along the "
                                       "updated velocity",
        "velocity_not_kept": "the velocity does not survive from one call to the next, so every "
                             "step is plain gradient descent: keep it in the returned state and "
                             "read it back on the next call",
    },
    "ch03_adagrad": {
        "eps_inside_the_root": "ε sits inside the square root, as in the lecture notes; PyTorch "
                               "(graded here) adds ε after taking the root of the summed "
                               "squares, and with a large ε the two differ",
        "accumulates_absolute_gradients": "the sum collects |g| instead of g²: Adagrad divides "
                                          "by the root of the summed squared gradients",
        "no_accumulation": "only the current squared gradient is used, so every step has about "
                           "the same size η: Adagrad's sum must keep every past g² (carry it "
                           "in the state), which is what makes its steps shrink",
    },
    "ch03_rmsprop": {
        "eps_inside_the_root": "ε sits inside the square root, as in the lecture notes; PyTorch "
                               "(graded here) adds ε after taking the root of the average",
        "forgets_one_minus_rho": "the new squared gradient enters with weight 1 instead of "
                                 "(1 − ρ): that is not an average any more, it grows to "
                                 "1/(1 − ρ) times the squared gradient",
        "rho_and_one_minus_rho_swapped": "ρ and 1 − ρ are swapped: ρ (PyTorch's alpha, 0.99 by "
                                         "default) weights the old average, so the memory is "
                                         "about 1/(1 − ρ) steps",
    },
    "ch03_adam": {
        "no_bias_correction": "the moments are used without bias correction: both start at zero, "
                              "so divide m by 1 − β₁ᵗ and v by 1 − β₂ᵗ",
        "step_counter_starts_at_0": "the step counter is 0 at the first step, so the correction "
                                    "divides by 1 − β⁰ = 0 and everything turns into NaN: "
                                    "steps count from t = 1",
        "step_counter_starts_at_2": "the step counter is already 2 at the first step (counted "
                                    "twice, or started at 1 and increased before use): steps "
                                    "count from t = 1",
        "eps_inside_the_root": "ε sits inside the square root: PyTorch (graded here) divides by "
                               "√v̂ + ε",
        "eps_added_to_uncorrected_root": "ε is added to the root of the uncorrected v (the "
                                         "efficient form in Kingma and Ba's paper, also used by "
                                         "Keras); this exercise follows PyTorch: √v̂ + ε, after "
                                         "the correction",
        "stores_corrected_moments": "the bias-corrected moments are carried to the next step: "
                                    "keep the raw running averages m and v in the state and "
                                    "correct them afresh at every step",
    },
    "ch03_newton_step": {
        "direction_sign_flipped": "the Newton direction has the wrong sign: it solves H d = −∇f, "
                                  "a step against the gradient rescaled by the inverse curvature",
        "multiplies_by_the_hessian": "the gradient is multiplied by the Hessian instead of solved "
                                     "with it: Newton's direction is −H⁻¹∇f, long steps where "
                                     "the curvature is small",
        "diagonal_hessian_only": "only the Hessian's diagonal is used: that ignores how the "
                                 "coordinates interact (the off-diagonal curvature), so it is "
                                 "not Newton's direction",
        "no_descent_fallback": "the Newton direction is kept where it points uphill (the Hessian "
                               "is not positive definite there, e.g. near a maximum): when "
                               "∇f·d ≥ 0, fall back to the steepest-descent direction −∇f",
        "full_step_without_line_search": "the full Newton step is taken even when it does not "
                                         "lower f enough: shrink τ until Armijo's condition "
                                         "holds",
        "any_decrease_accepted": "any decrease of f is accepted: Armijo's condition asks for a "
                                 "decrease of at least c·τ·|∇f·d|, a fraction c of what the slope "
                                 "promises",
    },
    "ch03_dropout": {
        "keep_probability_for_drop_probability": "p is used as the probability of keeping a "
                                                 "unit (a convention of some papers and older "
                                                 "libraries); here, as in PyTorch, p is the "
                                                 "probability of dropping it",
        "no_rescaling": "the kept units are not scaled by 1/(1 − p): inverted dropout scales them "
                        "up in training so that every unit keeps its expected value",
        "one_mask_shared_by_the_batch": "one mask is shared by every example (or every feature): "
                                        "each entry of x needs its own random draw",
        "scales_at_evaluation": "classic, not inverted, dropout: it multiplies by (1 − p) at "
                                "evaluation; inverted dropout scales in training and is the "
                                "identity at evaluation",
        "ignores_the_generator": "the mask does not come from `generator`, so a seeded generator "
                                 "does not repeat it: draw all randomness from the generator "
                                 "argument",
        "nan_at_p_equal_1": "with p = 1 the scaling divides by 1 − p = 0 and produces NaN: every "
                            "unit is dropped, so the output is all zeros",
    },
    "ch03_batchnorm": {
        "biased_running_variance": "the running variance is fed the biased batch variance; "
                                   "PyTorch normalises with the biased one but updates the "
                                   "running estimate with the unbiased one, scaled by B/(B − 1)",
        "normalises_with_unbiased_variance": "the batch is normalised with the unbiased variance: "
                                             "training mode divides by the biased batch "
                                             "variance (mean of squared deviations)",
        "momentum_weights_the_old_value": "momentum weights the old running value (Keras' "
                                          "convention); in PyTorch momentum is the weight of the "
                                          "new batch statistic",
        "batch_statistics_at_evaluation": "evaluation mode normalises with the batch's own "
                                          "statistics: it must use the running estimates, so a "
                                          "prediction does not depend on its batch mates",
        "eps_outside_the_root": "ε is added after the square root: batch norm divides by "
                                "√(σ² + ε)",
    },
    "ch03_early_stopping": {
        "tie_counts_as_improvement": "an epoch that only ties the best loss counts as an "
                                     "improvement: only a loss below best − min_delta improves",
        "waits_one_epoch_too_many": "training stops one epoch late: stop as soon as `patience` "
                                    "epochs in a row have not improved",
        "ignores_min_delta": "min_delta is ignored: a gain counts only if it is larger than "
                             "min_delta",
        "epochs_numbered_from_1": "epochs are numbered from 1: the first call to step is epoch 0",
        "counter_not_reset": "the count of epochs without improvement is not reset by an "
                             "improvement: patience counts non-improving epochs in a row",
    },
}


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


def _torch_optimizer(kind: str, p: torch.Tensor, h: dict):
    """The ``torch.optim`` optimizer of ``kind`` with the exercise's hyper-parameters ``h``."""
    if kind == "momentum":
        return torch.optim.SGD([p], lr=h["lr"], momentum=h["momentum"])
    if kind == "adagrad":
        return torch.optim.Adagrad([p], lr=h["lr"], eps=h["eps"],
                                   initial_accumulator_value=h.get("initial_sum", 0.0))
    if kind == "rmsprop":
        return torch.optim.RMSprop([p], lr=h["lr"], alpha=h["alpha"], eps=h["eps"])
    if kind == "adam":
        return torch.optim.Adam([p], lr=h["lr"], betas=(h["beta1"], h["beta2"]), eps=h["eps"])
    raise ValueError(kind)


def torch_trajectory(kind: str, problem: dict, hyper: dict, steps: int = 100,
                     first_step: int = 1) -> torch.Tensor:
    """The same run with ``torch.optim`` (the reference the steps must track).

    ``first_step`` sets the step count Adam sees at its first update (1 normally; a larger
    value makes PyTorch reproduce a counter that starts late).
    """
    p = problem["theta0"].clone().requires_grad_(True)
    opt = _torch_optimizer(kind, p, hyper)
    if first_step != 1:
        opt.state[p] = {"step": torch.tensor(float(first_step - 1)),
                        "exp_avg": torch.zeros_like(p), "exp_avg_sq": torch.zeros_like(p)}
    path = [p.detach().clone()]
    for _ in range(steps):
        with torch.no_grad():
            p.grad = lstsq_grad(p, problem["X"], problem["Y"])
        opt.step()
        path.append(p.detach().clone())
    return torch.stack(path)


def optimizer_variants(kind: str, problem: dict, hyper: dict, steps: int) -> dict:
    """What catalogued mistakes would return, as ``torch.optim`` computes it with other
    settings: mistake id -> trajectory."""
    run = lambda k, h, **kw: torch_trajectory(k, problem, {**hyper, **h}, steps, **kw)  # noqa: E731
    if kind == "momentum":  # an average started at 0 is (1 - beta) times PyTorch's buffer
        return {"ema_velocity": run("momentum", {"lr": hyper["lr"] * (1 - hyper["momentum"])}),
                "velocity_not_kept": run("momentum", {"momentum": 0.0})}
    if kind == "adagrad":
        return {"eps_inside_the_root": run("adagrad", {"initial_sum": hyper["eps"], "eps": 0.0}),
                "no_accumulation": run("rmsprop", {"alpha": 0.0})}
    if kind == "rmsprop":  # a sum without (1 - rho) is the average divided by (1 - rho)
        scale = math.sqrt(1 - hyper["alpha"])
        return {"rho_and_one_minus_rho_swapped": run("rmsprop", {"alpha": 1 - hyper["alpha"]}),
                "forgets_one_minus_rho": run("rmsprop", {"lr": hyper["lr"] * scale,
                                                         "eps": hyper["eps"] * scale})}
    if kind == "adam":  # a counter that starts very late: 1 - beta^t = 1, no correction at all
        return {"no_bias_correction": run("adam", {}, first_step=10 ** 9),
                "step_counter_starts_at_2": run("adam", {}, first_step=2)}
    return {}


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
            what = f"trajectory over {steps} steps, theta of shape {shape}, {hyper}"
            if (isinstance(got, torch.Tensor) and got.dim() > 0 and len(got) > 1
                    and got[1].isnan().all() and not got[0].isnan().any()):
                raise CheckFailure(f"{what}: every entry is NaN after the first step",
                                   mistake="step_counter_starts_at_0" if kind == "adam" else None)
            expected = torch_trajectory(kind, problem, hyper, steps)
            # 1e-6 relative, entry-wise or to the trajectory's scale (for entries near 0)
            tol = {"rtol": 1e-6, "atol": 1e-6 * expected.abs().max().item()}
            try:
                expect_close(got, expected, what, **tol)
            except CheckFailure:  # only now pay for the variants, to name the mistake
                expect_close(got, expected, what, **tol,
                             mistakes=optimizer_variants(kind, problem, hyper, steps))
    problem = make_lstsq_problem(7, 16, 3, 2, dtype=torch.float32)
    got = run(probe_optimizer_trajectory, problem, settings[0], 10)
    expect_close(got, torch_trajectory(kind, problem, settings[0], 10),
                 f"10 steps on a float32 problem, {settings[0]}", rtol=1e-4, atol=1e-5)


@exercise("ch03_sgd_momentum", target="sgd_momentum_step", title="SGD with momentum")
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
# Newton's method with a backtracking line search
# ---------------------------------------------------------------------------


def make_spd(d: int, seed: int, cond: float = 100.0) -> torch.Tensor:
    """A random symmetric positive definite (d, d) matrix with the given condition number."""
    gen = torch.Generator().manual_seed(seed)
    Q, _ = torch.linalg.qr(torch.randn(d, d, generator=gen, dtype=torch.float64))
    eig = torch.logspace(0, math.log10(cond), d, dtype=torch.float64)
    return (Q * eig) @ Q.T


def make_function(kind: str, params: dict):
    """A function of points of shape (..., d), built from plain data (so probes can cross
    into the sandbox): ``"quadratic"`` 1/2 (x - x*)^T A (x - x*); ``"quartic"`` the sum of
    x^4 - 3x^2 + x over coordinates; ``"logsumexp"`` logsumexp(W x) + |x|^2/2 (convex);
    ``"rosenbrock"`` (1 - x)^2 + 100 (y - x^2)^2; ``"tanh"`` a non-convex mix."""
    if kind == "quadratic":
        A, x_star = params["A"], params["x_star"]
        return lambda x: 0.5 * (((x - x_star) @ A) * (x - x_star)).sum(-1)
    if kind == "quartic":
        return lambda x: (x ** 4 - 3 * x ** 2 + x).sum(-1)
    if kind == "logsumexp":
        W = params["W"]
        return lambda x: torch.logsumexp(x @ W.T, dim=-1) + 0.5 * (x * x).sum(-1)
    if kind == "rosenbrock":
        return lambda x: (1 - x[..., 0]) ** 2 + 100 * (x[..., 1] - x[..., 0] ** 2) ** 2
    if kind == "tanh":
        W = params["W"]
        return lambda x: (torch.tanh(x @ W.T) ** 2).sum(-1) + (x ** 4).sum(-1) - (x ** 2).sum(-1)
    raise ValueError(kind)


def derivatives(f, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Gradient and Hessian of ``f`` at ``x`` from autograd."""
    return (torch.autograd.functional.jacobian(f, x),
            torch.autograd.functional.hessian(f, x))


def probe_newton(newton_step, kind: str, params: dict, x: torch.Tensor, c: float, shrink: float):
    """One call of the student's step on :func:`make_function` at ``x``.

    Returns ``{"x": new point, "step": accepted step length as a float}``.
    """
    f = make_function(kind, params)
    g, H = derivatives(f, x)
    out = newton_step(f, x, g, H, c, shrink)
    if not (isinstance(out, tuple) and len(out) == 2):
        raise TypeError("newton_step must return a tuple (new_x, tau)")
    return {"x": out[0], "step": float(out[1])}


def probe_newton_iterations(newton_step, params: dict, x0: torch.Tensor, iters: int):
    """Iterate the student's step on the convex ``"logsumexp"`` function; the gradient norm
    after each iteration."""
    f = make_function("logsumexp", params)
    x, norms = x0.clone(), []
    for _ in range(iters):
        g, H = derivatives(f, x)
        x = newton_step(f, x, g, H)[0]
        norms.append(derivatives(f, x)[0].norm())
    return torch.stack(norms)


def probe_newton_descent(newton_step, kind: str, params: dict, x0: torch.Tensor, iters: int):
    """Iterate the student's step from ``x0`` on :func:`make_function`; f at every iterate."""
    f = make_function(kind, params)
    x, values = x0.clone(), [f(x0)]
    for _ in range(iters):
        g, H = derivatives(f, x)
        x = newton_step(f, x, g, H)[0]
        values.append(f(x))
    return torch.stack(values)


def expected_newton(f, x, g, H, c: float, shrink: float, direction=None, fallback: bool = True,
                    line_search: bool = True) -> dict:
    """Where a damped Newton step from ``x`` lands, with every candidate step length
    evaluated at once. ``direction`` replaces the Newton direction (to compute what a
    mistaken direction does); ``fallback`` and ``line_search`` switch those parts off."""
    d = -torch.linalg.lstsq(H, g.unsqueeze(-1)).solution.squeeze(-1) if direction is None \
        else direction
    if fallback and g @ d >= 0:
        d = -g
    if not line_search:
        return {"x": x + d, "step": 1.0}
    taus = shrink ** torch.arange(200, dtype=torch.float64)
    with torch.no_grad():
        ok = f(x + taus[:, None] * d) <= f(x) + c * taus * (g @ d)
    tau = taus[ok][0].item() if ok.any() else 0.0
    return {"x": x + tau * d, "step": tau}


def newton_variants(f, x, g, H, c: float, shrink: float) -> dict:
    """What each catalogued mistake returns at ``x``: mistake id -> {"x", "step"}."""
    newton = torch.linalg.lstsq(H, g.unsqueeze(-1)).solution.squeeze(-1)
    return {  # checked in this order: "any decrease" before "full step", which it can match
        "direction_sign_flipped": expected_newton(f, x, g, H, c, shrink, direction=newton),
        "multiplies_by_the_hessian": expected_newton(f, x, g, H, c, shrink, direction=-(H @ g)),
        "diagonal_hessian_only": expected_newton(f, x, g, H, c, shrink,
                                                 direction=-g / H.diagonal()),
        "no_descent_fallback": expected_newton(f, x, g, H, c, shrink, fallback=False),
        "any_decrease_accepted": expected_newton(f, x, g, H, 0.0, shrink),
        "full_step_without_line_search": expected_newton(f, x, g, H, c, shrink,
                                                         line_search=False),
    }


def compare_newton(run, kind: str, params: dict, x: torch.Tensor, c: float, shrink: float,
                   what: str) -> dict:
    """One step of the student's ``newton_step`` against :func:`expected_newton`; returns
    what the student's step gave."""
    f = make_function(kind, params)
    g, H = derivatives(f, x)
    expected = expected_newton(f, x, g, H, c, shrink)
    got = run(probe_newton, kind, params, x, c, shrink)
    variants = newton_variants(f, x, g, H, c, shrink)
    expect_close(got["x"], expected["x"], f"{what}: the new point", rtol=1e-7, atol=1e-9,
                 mistakes={k: v["x"] for k, v in variants.items()})
    expect_scalar(got["step"], expected["step"], f"{what}: the accepted step length tau",
                  rtol=1e-9, atol=0.0)
    return got


def quadratic_params(seed: int, d: int, cond: float = 100.0) -> dict:
    """A quadratic with a known minimiser ``x_star``."""
    gen = torch.Generator().manual_seed(100 + seed)
    return {"A": make_spd(d, seed, cond), "x_star": torch.randn(d, generator=gen,
                                                               dtype=torch.float64)}


@exercise("ch03_newton_step", target="newton_step",
          title="Newton's method with a backtracking line search")
def check_newton_step(run):
    # Quadratics: with c < 1/2 the full step is accepted and lands on the minimum.
    for seed, d in [(0, 1), (1, 3), (2, 8)]:
        params = quadratic_params(seed, d)
        x = params["x_star"] + 5 * torch.randn(d, generator=torch.Generator().manual_seed(seed),
                                               dtype=torch.float64)
        got = compare_newton(run, "quadratic", params, x, 1e-4, 0.5,
                             f"a {d}-dimensional quadratic, c=1e-4")
        expect_close(got["x"], params["x_star"], f"a {d}-dimensional quadratic: one step lands "
                     "on the minimum", rtol=1e-7, atol=1e-8)
    # Already at the minimum: the step stays put.
    params = quadratic_params(5, 4)
    compare_newton(run, "quadratic", params, params["x_star"].clone(), 1e-4, 0.5,
                   "starting at the minimum (zero gradient)")
    # The quartic x^4 - 3x^2 + x at x = 0.3, where f'' < 0: Newton's direction points uphill.
    compare_newton(run, "quartic", {}, torch.tensor([0.3], dtype=torch.float64), 1e-4, 0.5,
                   "the quartic at x = 0.3, where the Hessian is negative")
    # Rosenbrock at a point where the full Newton step would raise f: the search must shrink.
    compare_newton(run, "rosenbrock", {}, torch.tensor([-1.45, 2.1], dtype=torch.float64),
                   1e-4, 0.5, "Rosenbrock at (-1.45, 2.1), where the full step goes uphill")
    # A quadratic with c = 0.6: the full step decreases f, but not by c times the slope.
    params = quadratic_params(3, 2)
    compare_newton(run, "quadratic", params, params["x_star"] + 1.0, 0.6, 0.5,
                   "a quadratic with c=0.6 (the full step is not enough of a decrease)")
    # Another shrink factor, and non-quadratic functions with autograd's derivatives.
    for seed, d in [(3, 2), (4, 6)]:
        gen = torch.Generator().manual_seed(seed)
        W = torch.randn(5, d, generator=gen, dtype=torch.float64)
        x = 2 * torch.randn(d, generator=gen, dtype=torch.float64)
        compare_newton(run, "tanh", {"W": W}, x, 1e-3, 0.3,
                       f"a non-convex function in {d} dimensions, c=1e-3, shrink=0.3")
        norms = run(probe_newton_iterations, {"W": W}, x, 6)
        if not bool(norms[-1] < 1e-7):
            raise CheckFailure(f"six steps on the convex logsumexp(Wx) + |x|^2/2 should drive "
                               f"the gradient norm below 1e-7; got {norms.tolist()}")


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


def check_dropout_modes(run, x: torch.Tensor) -> None:
    """Evaluation mode is the identity; p = 0 changes nothing; p = 1 drops everything."""
    expect_close(run(probe_dropout, x, 0.5, False, 0), x,
                 "dropout(x, p=0.5, training=False) must return x unchanged",
                 mistakes={"scales_at_evaluation": 0.5 * x})
    expect_close(run(probe_dropout, x, 0.0, True, 0), x,
                 "dropout(x, p=0.0, training=True) must return x unchanged")
    zeros = run(probe_dropout, x, 1.0, True, 0)
    if isinstance(zeros, torch.Tensor) and zeros.isnan().any():
        raise CheckFailure("dropout(x, p=1.0, training=True) returned NaN; expected zeros",
                           mistake="nan_at_p_equal_1")
    expect_close(zeros, torch.zeros_like(x), "dropout(x, p=1.0, training=True) must return zeros")


@exercise("ch03_dropout", target="dropout", title="Inverted dropout")
def check_dropout(run):
    gen = torch.Generator().manual_seed(0)
    check_dropout_modes(run, torch.randn(3, 7, generator=gen))
    for p in [0.2, 0.5, 0.7]:
        x = torch.rand(300, 200, generator=gen) + 0.5  # strictly positive: zeros = dropped
        out = run(probe_dropout_twice, x, p, 11)
        y = out["a"]
        expect_like(y, x, f"dropout(x, p={p}) in training mode")
        if not torch.equal(out["b"], y):
            raise CheckFailure(f"p={p}: two calls with identically seeded generators gave "
                               "different masks", mistake="ignores_the_generator")
        dropped = y == 0
        col_rate, row_rate = dropped.double().mean(dim=0), dropped.double().mean(dim=1)
        all_or_nothing = lambda rate: bool(((rate == 0) | (rate == 1)).all())  # noqa: E731
        if all_or_nothing(col_rate) or all_or_nothing(row_rate):
            raise CheckFailure(f"p={p}: whole columns (or rows) are dropped together",
                               mistake="one_mask_shared_by_the_batch")
        rate = dropped.double().mean().item()
        if abs(rate - p) > 0.01:
            raise CheckFailure(f"p={p}: {rate:.3f} of the units were zeroed; expected about {p}",
                               mistake="keep_probability_for_drop_probability"
                               if abs(rate - (1 - p)) <= 0.01 else None)
        kept = ~dropped
        expect_close(y[kept], x[kept] / (1 - p), f"p={p}: kept units must be scaled by 1/(1-p)",
                     mistakes={"no_rescaling": x[kept]})
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


def batchnorm_variants(batches, eval_x, gamma, beta, momentum: float, eps: float) -> dict:
    """What each catalogued mistake returns, from ``nn.BatchNorm1d`` and ``F.batch_norm``
    with other inputs or settings: mistake id -> the probe's dict."""
    def normalised(x, var):  # F.batch_norm with given statistics (its evaluation mode)
        return F.batch_norm(x, x.mean(0), var, gamma, beta, False, 0.0, eps)

    # Batches squeezed about their mean so that their unbiased variance is the biased
    # variance of the original: nn.BatchNorm1d then tracks the biased estimate.
    squeezed = [x.mean(0) + (x - x.mean(0)) * math.sqrt((len(x) - 1) / len(x)) for x in batches]
    biased = torch_batchnorm(squeezed, eval_x, gamma, beta, momentum, eps)
    biased_y = {f"train_y{i}": normalised(x, x.var(0, unbiased=False))
                for i, x in enumerate(batches)}
    variants = {
        "biased_running_variance": {**biased, **biased_y},
        "momentum_weights_the_old_value": torch_batchnorm(batches, eval_x, gamma, beta,
                                                          1 - momentum, eps),
        "normalises_with_unbiased_variance": {f"train_y{i}": normalised(x, x.var(0))
                                              for i, x in enumerate(batches)},
        "eps_outside_the_root": {  # sqrt(var' + eps) = sqrt(var) + eps
            f"train_y{i}": normalised(x, (x.var(0, unbiased=False).sqrt() + eps) ** 2 - eps)
            for i, x in enumerate(batches)},
    }
    if len(eval_x) > 1:
        variants["batch_statistics_at_evaluation"] = {
            "eval_y": F.batch_norm(eval_x, None, None, gamma, beta, True, 0.0, eps)}
    return variants


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
    variants = batchnorm_variants(batches, eval_x, gamma, beta, momentum, eps)
    for key, value in expected.items():
        if key not in got:
            raise CheckFailure(f"{what}: missing output {key}")
        expect_close(got[key], value, f"{what}, {key.replace('_', ' ')}",
                     mistakes={m: v[key] for m, v in variants.items() if key in v})


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


def expected_early_stopping(losses, patience: int, min_delta: float, strict: bool = True,
                            in_a_row: bool = True, first_epoch: int = 0) -> dict:
    """What the helper must report, computed from the epochs since the last improvement.

    The switches compute what a mistaken rule reports instead: ``strict=False`` lets a tie
    improve, ``in_a_row=False`` counts every epoch without improvement, ``first_epoch=1``
    numbers the epochs from 1.
    """
    decisions, best_epochs, best_losses = [], [], []
    best_epoch, best, misses = None, math.inf, 0
    for epoch, loss in enumerate(losses):
        threshold = best - min_delta
        if best_epoch is None or loss < threshold or (not strict and loss == threshold):
            best_epoch, best = epoch, loss
            misses = misses if not in_a_row else 0
        else:
            misses += 1
        decisions.append(misses >= patience)
        best_epochs.append(best_epoch + first_epoch)
        best_losses.append(best)
        if decisions[-1]:
            break
    return {"stop": torch.tensor(decisions), "best_epoch": torch.tensor(best_epochs),
            "best_loss": torch.tensor(best_losses, dtype=torch.float64)}


def early_stopping_variants(losses, patience: int, min_delta: float) -> dict:
    """What each catalogued mistake reports: mistake id -> the probe's dict."""
    return {
        "tie_counts_as_improvement": expected_early_stopping(losses, patience, min_delta,
                                                             strict=False),
        "waits_one_epoch_too_many": expected_early_stopping(losses, patience + 1, min_delta),
        "ignores_min_delta": expected_early_stopping(losses, patience, 0.0),
        "epochs_numbered_from_1": expected_early_stopping(losses, patience, min_delta,
                                                          first_epoch=1),
        "counter_not_reset": expected_early_stopping(losses, patience, min_delta,
                                                     in_a_row=False),
    }


EARLY_STOPPING_CASES = [
    # (losses, patience, min_delta)
    ([1.0, 0.8, 0.6, 0.5, 0.45, 0.44], 2, 0.0),            # always improving: never stops
    ([1.0, 0.7, 0.5, 0.55, 0.6, 0.52, 0.65, 0.7], 3, 0.0),  # U-shape
    ([1.0, 1.2, 0.9, 1.1, 0.8, 1.3, 1.4], 2, 0.0),          # setbacks between gains
    ([0.9, 0.5, 0.5, 0.5, 0.4], 2, 0.0),                    # a plateau is no improvement
    ([1.0, 0.95, 0.93, 0.92, 0.80, 0.79], 2, 0.05),         # small gains below min_delta
    ([2.0, 3.0, 1.0, 4.0], 1, 0.0),                         # patience 1
    ([0.3, -0.1, -0.2, 0.0, -0.15, 0.1], 2, 0.0),           # negative losses
]


def check_stopping_cases(run, cases) -> None:
    for losses, patience, min_delta in cases:
        got = run(probe_early_stopping, losses, patience, min_delta)
        expected = expected_early_stopping(losses, patience, min_delta)
        variants = early_stopping_variants(losses, patience, min_delta)
        what = f"losses {losses}, patience={patience}, min_delta={min_delta}"
        expect_equal(got["stop"].tolist(), expected["stop"].tolist(),
                     f"{what}: what step() returned",
                     mistakes={m: v["stop"].tolist() for m, v in variants.items()})
        expect_close(got["best_epoch"], expected["best_epoch"],
                     f"{what}: best_epoch after each step",
                     mistakes={m: v["best_epoch"] for m, v in variants.items()})
        expect_close(got["best_loss"], expected["best_loss"], f"{what}: best_loss after each step")


@exercise("ch03_early_stopping", target="EarlyStopping", title="Early stopping")
def check_early_stopping(run):
    check_stopping_cases(run, EARLY_STOPPING_CASES)
    expect_equal(len(run(probe_early_stopping, [1.0] * 10, 4, 0.0)["stop"]), 5,
                 "a flat curve with patience 4: number of step() calls until it says stop")
