"""Optimization (Chapter 3): the code behind the chapter's optimizer demos.

Test functions (a quartic with a local and a global minimum, Rosenbrock's valley), one
trajectory recorder shared by every method (``torch.optim``, Newton with or without a line
search, L-BFGS), a learning-rate sweep that runs an optimizer at many rates at once,
mini-batch noise and the cost of an update against the batch size, learning-rate schedules,
and the exponential moving averages behind Adam's bias correction. The figures the notebook
prints come from these functions and are asserted in ``tests/test_lib_optimizers.py``.
Regularization lives in :mod:`dlcourse.regularization`.
"""
from __future__ import annotations

import math
import time
from collections.abc import Callable

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F
from torch import nn
from torch.optim import lr_scheduler
from tqdm.auto import tqdm

# ---------------------------------------------------------------------------
# Test functions
# ---------------------------------------------------------------------------

ROSENBROCK_MIN = (1.0, 1.0)
ROSENBROCK_START = (-1.5, 2.0)


def quartic(x):
    """``x^4 - 3x^2 + x``, element-wise: a local minimum near 1.13, a global one near -1.30."""
    return x ** 4 - 3 * x ** 2 + x


def quartic_grad(x):
    """The derivative of :func:`quartic`, ``4x^3 - 6x + 1``."""
    return 4 * x ** 3 - 6 * x + 1


def rosenbrock(p: torch.Tensor, a: float = 1.0, b: float = 100.0) -> torch.Tensor:
    """Rosenbrock's banana valley ``(a - x)^2 + b (y - x^2)^2`` for points ``p`` of shape (..., 2).

    The global minimum is 0 at ``(a, a^2)``; the valley floor is curved and flat
    along its length but steep across it, which is what makes it hard.
    """
    x, y = p[..., 0], p[..., 1]
    return (a - x) ** 2 + b * (y - x ** 2) ** 2


def rosenbrock_grad(p: torch.Tensor, a: float = 1.0, b: float = 100.0) -> torch.Tensor:
    """The gradient of :func:`rosenbrock` in closed form, for points of shape (..., 2)."""
    x, y = p[..., 0], p[..., 1]
    across = y - x ** 2
    return torch.stack([-2 * (a - x) - 4 * b * x * across, 2 * b * across], dim=-1)


def hessian_eigenvalues(f: Callable, point) -> torch.Tensor:
    """Eigenvalues (ascending) of the Hessian of ``f`` at ``point``, from autograd."""
    x = torch.as_tensor(point, dtype=torch.float64)
    return torch.linalg.eigvalsh(torch.autograd.functional.hessian(f, x))


def gd_1d(df: Callable[[float], float], x0: float, lr: float, steps: int) -> list[float]:
    """Plain gradient descent on a function of one variable, given its derivative ``df``."""
    xs = [x0]
    for _ in range(steps):
        xs.append(xs[-1] - lr * df(xs[-1]))
    return xs


# ---------------------------------------------------------------------------
# Trajectories: one recorder for every method
# ---------------------------------------------------------------------------

def trajectory(f: Callable, start, update: Callable, steps: int, tol: float | None = None,
               f_min: float = 0.0) -> dict:
    """Iterate ``x <- update(x)`` from ``start`` and record where it goes.

    Stops after ``steps`` updates, or as soon as ``f(x) - f_min < tol``. Returns ``path``
    (T+1, d), ``losses`` (T+1,) and ``steps_to_tol`` (updates needed, or ``None``).
    """
    x = torch.as_tensor(start, dtype=torch.float64).clone()
    path, losses, reached = [x.clone()], [], None
    for step in range(steps + 1):
        with torch.no_grad():
            value = f(x).item()
        losses.append(value)
        if tol is not None and value - f_min < tol:
            reached = step
            break
        if step == steps:
            break
        x = update(x).detach().clone()
        path.append(x.clone())
    return {"path": torch.stack(path), "losses": torch.tensor(losses, dtype=torch.float64),
            "steps_to_tol": reached}


def descend(f: Callable, make_optimizer: Callable, start, steps: int, tol: float | None = None,
            f_min: float = 0.0) -> dict:
    """Minimise ``f`` from ``start`` with a ``torch.optim`` optimizer; see :func:`trajectory`.

    ``make_optimizer([p])`` builds the optimizer for the single float64 parameter ``p``.
    """
    p = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    opt = make_optimizer([p])

    def update(_):
        opt.zero_grad()
        f(p).backward()
        opt.step()
        return p

    return trajectory(f, start, update, steps, tol, f_min)


def backtracking(f: Callable, x: torch.Tensor, direction: torch.Tensor, slope: float,
                 c: float = 1e-4, shrink: float = 0.5, max_halvings: int = 60) -> float:
    """Armijo's rule: the largest ``tau`` among 1, shrink, shrink^2, ... with
    ``f(x + tau d) <= f(x) + c tau slope`` (``slope`` = gradient . d); 0.0 if none does.

    All candidates are evaluated in one batched call of ``f`` (shape (K, d)).
    """
    taus = shrink ** torch.arange(max_halvings + 1, dtype=torch.float64)
    with torch.no_grad():
        trials = f(x + taus[:, None] * direction)
        accepted = trials <= f(x) + c * taus * slope
    return taus[accepted][0].item() if accepted.any() else 0.0


def newton_descend(f: Callable, start, steps: int, tol: float | None = None,
                   f_min: float = 0.0, line_search: bool = False, c: float = 1e-4,
                   shrink: float = 0.5) -> dict:
    """Newton iterations on ``f`` with autograd's exact Hessian; see :func:`trajectory`.

    Pure Newton (``line_search=False``) always takes the full step. With ``line_search``
    the direction falls back to the negative gradient where the Newton direction does not
    point downhill, and :func:`backtracking` picks the step length. ``f`` must accept a
    batch of points (shape (K, d)) for the line search. The linear system is solved by
    least squares, so a singular Hessian does not stop the demo.
    """
    def update(x):
        g = torch.autograd.functional.jacobian(f, x)
        H = torch.autograd.functional.hessian(f, x)
        d = -torch.linalg.lstsq(H, g.unsqueeze(-1)).solution.squeeze(-1)
        if not line_search:
            return x + d
        if g @ d >= 0:  # not a descent direction: the Hessian is not positive definite here
            d = -g
        return x + backtracking(f, x, d, (g @ d).item(), c, shrink) * d

    return trajectory(f, start, update, steps, tol, f_min)


def lbfgs_descend(f: Callable, start, steps: int, tol: float | None = None,
                  f_min: float = 0.0, lr: float = 1.0) -> dict:
    """``torch.optim.LBFGS`` with a strong-Wolfe line search, one iteration per step.

    See :func:`trajectory`. Each step may evaluate ``f`` several times (the line search);
    the count here is of iterations.
    """
    p = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([p], lr=lr, max_iter=1, max_eval=25, history_size=10,
                            line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = f(p)
        loss.backward()
        return loss

    def update(_):
        opt.step(closure)
        return p

    return trajectory(f, start, update, steps, tol, f_min)


# ---------------------------------------------------------------------------
# A learning-rate sweep on Rosenbrock's valley
# ---------------------------------------------------------------------------

# The optimizers compared on the Rosenbrock valley: torch.optim with its default settings.
ROSENBROCK_OPTIMIZERS = {
    "gradient descent": lambda params, lr: torch.optim.SGD(params, lr=lr),
    "momentum 0.9": lambda params, lr: torch.optim.SGD(params, lr=lr, momentum=0.9),
    "Adagrad": lambda params, lr: torch.optim.Adagrad(params, lr=lr),
    "RMSprop": lambda params, lr: torch.optim.RMSprop(params, lr=lr),
    "Adam": lambda params, lr: torch.optim.Adam(params, lr=lr),
}

# Half-decade grid: 1e-5, 3e-5, 1e-4, ..., 1, 3.
LEARNING_RATES = tuple(m * 10.0 ** e for e in range(-5, 1) for m in (1, 3))


def sweep_learning_rates(grad: Callable, make_optimizer: Callable, lrs, start,
                         steps: int) -> torch.Tensor:
    """Run one optimizer from ``start`` at every learning rate of ``lrs`` at once.

    Every optimizer used here moves by its learning rate times a function of the gradients
    seen so far (momentum buffer, squared-gradient averages; no weight decay). So one
    ``torch.optim`` optimizer with learning rate 1 steps a tensor ``U`` of shape
    (len(lrs), d), fed with the gradient at ``x_i = start + lr_i U_i``; row i then follows
    exactly the run at ``lr_i`` (the updates are element-wise, so rows never mix), at the
    cost of one run. Returns the path, shape (steps + 1, len(lrs), d).
    """
    lrs = torch.as_tensor(lrs, dtype=torch.float64)[:, None]
    start = torch.as_tensor(start, dtype=torch.float64)
    U = torch.zeros(len(lrs), len(start), dtype=torch.float64)
    opt = make_optimizer([U], 1.0)
    path = [start + lrs * U]
    with torch.no_grad():
        for _ in range(steps):
            U.grad = grad(path[-1])
            opt.step()
            path.append(start + lrs * U)
    return torch.stack(path)


def rosenbrock_sweep(optimizers: dict | None = None, lrs=LEARNING_RATES, start=ROSENBROCK_START,
                     steps: int = 2000, progress: bool = True) -> dict:
    """Every optimizer at every learning rate on :func:`rosenbrock`.

    Returns ``{name: {"lrs", "final", "path", "best"}}``: ``final`` (len(lrs),) is f after
    ``steps`` updates (``inf`` where the run diverged to NaN or infinity), ``best`` the
    index of the lowest final value.
    """
    optimizers = ROSENBROCK_OPTIMIZERS if optimizers is None else optimizers
    results = {}
    for name, make in tqdm(optimizers.items(), desc="optimizers", disable=not progress,
                           leave=False):
        path = sweep_learning_rates(rosenbrock_grad, make, lrs, start, steps)
        final = rosenbrock(path[-1])
        final = torch.where(final.isfinite(), final, torch.tensor(math.inf, dtype=final.dtype))
        results[name] = {"lrs": list(lrs), "final": final, "path": path,
                         "best": int(final.argmin())}
    return results


def best_runs(sweep: dict, tol: float = 1e-3) -> dict:
    """Each optimizer's run at its best learning rate, as :func:`trajectory` returns it
    (plus ``lr``); ``steps_to_tol`` counts the updates until ``f < tol``."""
    runs = {}
    for name, res in sweep.items():
        path = res["path"][:, res["best"]]
        losses = rosenbrock(path)
        below = (losses < tol).nonzero()
        runs[name] = {"path": path, "losses": losses, "lr": res["lrs"][res["best"]],
                      "steps_to_tol": int(below[0]) if len(below) else None}
    return runs


def plot_sweep(sweep: dict, title: str, ax=None, ceiling: float = 1e4):
    """Final ``f`` against the learning rate (log-log), one line per optimizer; runs that
    diverged are drawn as crosses above a dotted line at ``ceiling``, one row per optimizer."""
    ax = ax or plt.subplots(figsize=(6.5, 4.5))[1]
    rows = 0
    for name, res in sweep.items():
        lrs, final = torch.tensor(res["lrs"]), res["final"]
        ok = final.isfinite()
        line, = ax.loglog(lrs[ok], final[ok].clamp_min(1e-30), "o-", ms=4, label=name)
        if not ok.all():
            rows += 1
            ax.loglog(lrs[~ok], torch.full((int((~ok).sum()),), ceiling * 4.0 ** rows), "x",
                      ms=8, color=line.get_color())
    ax.axhline(ceiling, color="k", lw=0.8, ls=":", label="diverged (NaN or ∞) above this line")
    ax.set_ylim(top=ceiling * 4.0 ** (rows + 1))
    ax.set(title=title, xlabel=r"learning rate $\eta$ (log scale)",
           ylabel="$f$ after the last step (log scale)")
    ax.legend(fontsize=8)
    return ax


def plot_paths(f: Callable, results: dict, title: str, xlim=(-2.0, 2.0), ylim=(-1.0, 3.0),
               minimum=ROSENBROCK_MIN, ax=None):
    """Contour plot of ``f`` (log-spaced levels) with each method's path on top."""
    ax = ax or plt.subplots(figsize=(7, 5.5))[1]
    gx, gy = torch.meshgrid(torch.linspace(*xlim, 300, dtype=torch.float64),
                            torch.linspace(*ylim, 300, dtype=torch.float64), indexing="xy")
    zz = f(torch.stack([gx, gy], dim=-1))
    levels = torch.logspace(-1, 3.5, 18).tolist()
    ax.contour(gx, gy, zz, levels=levels, colors="0.75", linewidths=0.7)
    styles = ["-", "--", "-.", ":"]
    for i, (name, res) in enumerate(results.items()):
        path = res["path"]
        ax.plot(path[:, 0], path[:, 1], styles[i % len(styles)], marker=".", ms=2.5,
                lw=1.6, label=name)
    ax.plot(*minimum, "r*", ms=14, label="minimum")
    ax.set(title=title, xlabel="$x$", ylabel="$y$", xlim=xlim, ylim=ylim)
    ax.legend(fontsize=8, loc="lower right")
    return ax


def plot_losses(results: dict, title: str, f_min: float = 0.0, ax=None):
    """``f(x_t) - f_min`` against the step, log scale, one line per method."""
    ax = ax or plt.subplots(figsize=(6, 4.5))[1]
    for name, res in results.items():
        ax.semilogy((res["losses"] - f_min).clamp_min(1e-30), lw=1.4, label=name)
    ax.set(title=title, xlabel="step", ylabel="$f(x_t) - f^*$ (log scale)")
    ax.legend(fontsize=8)
    return ax


# ---------------------------------------------------------------------------
# Adam's moments
# ---------------------------------------------------------------------------

def ema(x: torch.Tensor, beta: float) -> torch.Tensor:
    """Exponential moving averages of ``x`` (along dim 0) that start from zero.

    Entry t is ``(1 - beta) * sum_{s <= t} beta^(t - s) x_s``: the running average
    ``m_t = beta m_{t-1} + (1 - beta) x_t`` with ``m_0 = 0``, written as one weighted sum.
    """
    t = torch.arange(len(x), dtype=torch.float64)
    lag = t[:, None] - t[None, :]
    weights = torch.where(lag >= 0, (1 - beta) * beta ** lag.clamp_min(0), torch.zeros(()))
    return (weights.to(x.dtype) @ x.reshape(len(x), -1)).reshape(x.shape)


# ---------------------------------------------------------------------------
# Mini-batch noise and the cost of an update
# ---------------------------------------------------------------------------

def fit_softmax_regression(X: torch.Tensor, y: torch.Tensor, steps: int = 100, lr: float = 0.5):
    """A linear softmax classifier trained by full-batch gradient descent (a reference point
    at which to measure mini-batch noise). Returns ``(W, b)`` with shapes (C, D), (C,)."""
    model = nn.Linear(X.shape[1], int(y.max()) + 1).to(X.device)
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    for _ in range(steps):
        loss = F.cross_entropy(model(X), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return model.weight.detach(), model.bias.detach()


def per_sample_softmax_terms(W: torch.Tensor, b: torch.Tensor, X: torch.Tensor, y: torch.Tensor):
    """Per-sample cross-entropy losses (N,) and gradients w.r.t. ``W`` (N, C, D) of a linear
    softmax classifier ``logits = X W^T + b``.

    The gradient of sample i is ``(softmax(z_i) - onehot(y_i)) x_i^T``, written out so
    that the noise of every mini-batch size can be measured from one pass.
    """
    logits = X @ W.T + b
    losses = F.cross_entropy(logits, y, reduction="none")
    err = logits.softmax(dim=1) - F.one_hot(y, W.shape[0]).to(logits.dtype)
    grads = err[:, :, None] * X[:, None, :]
    return losses, grads


def minibatch_noise(losses: torch.Tensor, grads: torch.Tensor, batch_sizes, draws: int = 400,
                    seed: int = 0) -> dict:
    """Spread of mini-batch estimates around the full-batch loss and gradient.

    For each batch size B, ``draws`` batches are sampled without replacement; returns
    ``{"batch_size": [...], "loss_std": [...], "grad_error": [...]}`` where ``loss_std``
    is the standard deviation of the mini-batch loss and ``grad_error`` the root mean
    squared distance between the mini-batch and full-batch gradients.
    """
    gen = torch.Generator().manual_seed(seed)
    n = len(losses)
    flat = grads.reshape(n, -1)
    full_grad = flat.mean(dim=0)
    out = {"batch_size": [], "loss_std": [], "grad_error": []}
    for B in batch_sizes:
        # Row d of `pick` averages the B examples of draw d: a matrix product instead of
        # gathering a (draws, B, ...) tensor, which would not fit in memory for large B.
        order = torch.rand(draws, n, generator=gen).argsort(dim=1)[:, :B]
        pick = torch.zeros(draws, n, dtype=flat.dtype)
        pick.scatter_(1, order, 1.0 / B)
        pick = pick.to(flat.device)
        batch_losses = pick @ losses
        dist2 = (pick @ flat - full_grad).pow(2).sum(dim=1)
        out["batch_size"].append(int(B))
        out["loss_std"].append(batch_losses.std().item())
        out["grad_error"].append(dist2.mean().sqrt().item())
    return out


def sgd_batch_size_runs(X: torch.Tensor, y: torch.Tensor, batch_sizes, lr: float, epochs: int,
                        device, seed: int = 0, evals_per_epoch: int = 10,
                        progress: bool = True) -> dict:
    """Train a linear softmax classifier with plain SGD for each batch size.

    Every run starts from the same zero weights and sees ``epochs`` passes over the
    data. The full training loss is recorded ``evals_per_epoch`` times per epoch.
    Returns ``{B: {"epoch": [...], "update": [...], "loss": [...]}}``.
    """
    X, y = X.to(device), y.to(device)
    n, d = X.shape
    classes = int(y.max()) + 1
    runs = {}
    for B in tqdm(batch_sizes, desc="batch sizes", disable=not progress, leave=False):
        model = nn.Linear(d, classes).to(device)
        nn.init.zeros_(model.weight)
        nn.init.zeros_(model.bias)
        opt = torch.optim.SGD(model.parameters(), lr=lr)
        gen = torch.Generator().manual_seed(seed)
        updates_per_epoch = math.ceil(n / B)
        every = max(1, updates_per_epoch // evals_per_epoch)
        rec = {"epoch": [], "update": [], "loss": []}

        def record(update, rec=rec, model=model, updates_per_epoch=updates_per_epoch):
            with torch.no_grad():
                rec["loss"].append(F.cross_entropy(model(X), y).item())
            rec["update"].append(update)
            rec["epoch"].append(update / updates_per_epoch)

        record(0)
        update = 0
        for _ in range(epochs):
            order = torch.randperm(n, generator=gen).to(device)
            for start in range(0, n, B):
                batch = order[start:start + B]
                loss = F.cross_entropy(model(X[batch]), y[batch])
                opt.zero_grad()
                loss.backward()
                opt.step()
                update += 1
                if update % every == 0 or update == epochs * updates_per_epoch:
                    record(update)
        runs[B] = rec
    return runs


def time_per_update(X: torch.Tensor, y: torch.Tensor, batch_sizes, device, repeats: int = 30,
                    seed: int = 0) -> dict:
    """Median wall-clock seconds of one SGD update (forward, backward, step) of a linear
    softmax classifier, for each batch size; ``{"batch_size": [...], "seconds": [...]}``.

    The median of ``repeats`` timed updates (after two untimed ones) keeps the figure
    robust to other work on the machine.
    """
    X, y = X.to(device), y.to(device)
    model = nn.Linear(X.shape[1], int(y.max()) + 1).to(device)
    opt = torch.optim.SGD(model.parameters(), lr=1e-3)
    gen = torch.Generator().manual_seed(seed)
    sync = torch.cuda.synchronize if X.device.type == "cuda" else (lambda: None)
    out = {"batch_size": [], "seconds": []}
    for B in batch_sizes:
        times = []
        for rep in range(repeats + 2):
            batch = torch.randint(0, len(X), (B,), generator=gen).to(X.device)
            sync()
            tic = time.perf_counter()
            loss = F.cross_entropy(model(X[batch]), y[batch])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sync()
            if rep >= 2:
                times.append(time.perf_counter() - tic)
        out["batch_size"].append(int(B))
        out["seconds"].append(sorted(times)[len(times) // 2])
    return out


# ---------------------------------------------------------------------------
# Learning-rate schedules
# ---------------------------------------------------------------------------

def _warmup_cosine(opt, steps: int):
    warm = steps // 10
    return lr_scheduler.SequentialLR(
        opt, [lr_scheduler.LinearLR(opt, start_factor=0.01, total_iters=warm),
              lr_scheduler.CosineAnnealingLR(opt, T_max=steps - warm)], milestones=[warm])


# name -> (optimizer, total steps) -> torch scheduler (None: a constant rate)
SCHEDULES = {
    "constant": lambda opt, steps: None,
    "step (x0.1 every third)": lambda opt, steps: lr_scheduler.StepLR(opt, math.ceil(steps / 3),
                                                                     0.1),
    "cosine": lambda opt, steps: lr_scheduler.CosineAnnealingLR(opt, T_max=steps),
    "warm-up + cosine": _warmup_cosine,
    "one-cycle": lambda opt, steps: lr_scheduler.OneCycleLR(
        opt, max_lr=opt.param_groups[0]["lr"], total_steps=steps, cycle_momentum=False),
}


def schedule_curves(steps: int, lr: float, schedules: dict | None = None) -> dict:
    """The learning rate each schedule uses at every step: ``{name: tensor (steps,)}``.

    Read off PyTorch's own schedulers, stepped once per update on a dummy optimizer.
    """
    schedules = SCHEDULES if schedules is None else schedules
    curves = {}
    for name, make in schedules.items():
        opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=lr)
        scheduler = make(opt, steps)
        rates = []
        for _ in range(steps):
            rates.append(opt.param_groups[0]["lr"])
            opt.step()
            if scheduler is not None:
                scheduler.step()
        curves[name] = torch.tensor(rates, dtype=torch.float64)
    return curves


def noisy_least_squares(n: int = 500, d: int = 10, noise: float = 0.5, seed: int = 0) -> dict:
    """A linear regression problem ``L(w) = mean((X w - y)^2) / 2`` with label noise.

    Returns ``X`` (n, d), ``y`` (n,), the minimiser ``w_star`` and ``loss_star = L(w_star)``.
    Features have different scales, so the curvature differs between directions.
    """
    gen = torch.Generator().manual_seed(seed)
    X = torch.randn(n, d, generator=gen, dtype=torch.float64) * torch.linspace(0.3, 1.5, d,
                                                                                dtype=torch.float64)
    y = X @ torch.randn(d, generator=gen, dtype=torch.float64)
    y = y + noise * torch.randn(n, generator=gen, dtype=torch.float64)
    w_star = torch.linalg.lstsq(X, y.unsqueeze(1)).solution.squeeze(1)
    loss_star = ((X @ w_star - y) ** 2).mean().item() / 2
    return {"X": X, "y": y, "w_star": w_star, "loss_star": loss_star}


def sgd_with_schedules(problem: dict, curves: dict, batch_size: int = 4, seed: int = 0,
                       record_every: int = 20) -> dict:
    """Mini-batch SGD on :func:`noisy_least_squares` once per learning-rate curve.

    All runs start from zero and see the same batches (one shared random stream), so they
    differ only in their learning rates. Returns ``{"step": [...], name: [excess loss
    L(w_t) - L(w_star), ...]}`` recorded every ``record_every`` updates.
    """
    X, y = problem["X"], problem["y"]
    names = list(curves)
    rates = torch.stack([curves[n] for n in names], dim=1)  # (steps, runs)
    W = torch.zeros(len(names), X.shape[1], dtype=torch.float64)
    gen = torch.Generator().manual_seed(seed)

    def excess():
        return (((W @ X.T - y) ** 2).mean(dim=1) / 2 - problem["loss_star"]).tolist()

    out = {"step": [0], **{n: [v] for n, v in zip(names, excess())}}
    for step in range(len(rates)):
        idx = torch.randint(0, len(X), (batch_size,), generator=gen)
        residual = W @ X[idx].T - y[idx]               # (runs, B)
        W -= rates[step, :, None] * (residual @ X[idx]) / batch_size
        if (step + 1) % record_every == 0:
            out["step"].append(step + 1)
            for n, v in zip(names, excess()):
                out[n].append(v)
    return out
