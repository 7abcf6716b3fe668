"""Optimizers and regularization (Chapter 3): the code behind the chapter's demos.

Test surfaces (Rosenbrock), a driver that runs any ``torch.optim`` optimizer on
them and counts the steps to a tolerance, Newton's method for the comparison,
mini-batch noise measurements, small MLPs with and without regularization for
the digits learning curves, a random-shift augmentation for 8x8 digits, and an
after-the-fact early-stopping rule. The figures the notebook prints come from
these functions and are asserted in ``tests/test_lib_optimizers.py``.
"""
from __future__ import annotations

import math
from collections.abc import Callable

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from dlcourse.seed import set_seed

# ---------------------------------------------------------------------------
# Test surfaces
# ---------------------------------------------------------------------------

ROSENBROCK_MIN = (1.0, 1.0)


def rosenbrock(p: torch.Tensor, a: float = 1.0, b: float = 100.0) -> torch.Tensor:
    """Rosenbrock's banana valley ``(a - x)^2 + b (y - x^2)^2`` for points ``p`` of shape (..., 2).

    The global minimum is 0 at ``(a, a^2)``; the valley floor is curved and flat
    along its length but steep across it, which is what makes it hard.
    """
    x, y = p[..., 0], p[..., 1]
    return (a - x) ** 2 + b * (y - x ** 2) ** 2


def descend(f: Callable, make_optimizer: Callable, start, steps: int, tol: float | None = None,
            f_min: float = 0.0) -> dict:
    """Minimise ``f`` from ``start`` with a ``torch.optim`` optimizer.

    ``make_optimizer([p])`` builds the optimizer for the single parameter ``p``
    (a float64 tensor of shape (2,)). Runs at most ``steps`` updates and stops
    early once ``f(p) - f_min < tol``. Returns ``path`` (T+1, 2), ``losses``
    (T+1,) and ``steps_to_tol`` (the number of updates needed, or ``None``).
    """
    p = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    opt = make_optimizer([p])
    path, losses, reached = [p.detach().clone()], [], None
    for step in range(steps + 1):
        loss = f(p)
        losses.append(loss.item())
        if tol is not None and loss.item() - f_min < tol:
            reached = step
            break
        if step == steps:
            break
        opt.zero_grad()
        loss.backward()
        opt.step()
        path.append(p.detach().clone())
    return {"path": torch.stack(path), "losses": torch.tensor(losses, dtype=torch.float64),
            "steps_to_tol": reached}


def newton_descend(f: Callable, start, steps: int, tol: float | None = None,
                   f_min: float = 0.0) -> dict:
    """Pure Newton iterations on ``f`` using the exact Hessian from autograd.

    Same return value as :func:`descend`. The linear system ``H d = g`` is solved
    by least squares, so a singular Hessian does not stop the demo.
    """
    x = torch.tensor(start, dtype=torch.float64)
    path, losses, reached = [x.clone()], [], None
    for step in range(steps + 1):
        value = f(x).item()
        losses.append(value)
        if tol is not None and value - f_min < tol:
            reached = step
            break
        if step == steps:
            break
        g = torch.autograd.functional.jacobian(f, x)
        H = torch.autograd.functional.hessian(f, x)
        direction = torch.linalg.lstsq(H, g.unsqueeze(-1)).solution.squeeze(-1)
        x = x - direction
        path.append(x.clone())
    return {"path": torch.stack(path), "losses": torch.tensor(losses, dtype=torch.float64),
            "steps_to_tol": reached}


def lbfgs_descend(f: Callable, start, steps: int, tol: float | None = None,
                  f_min: float = 0.0, lr: float = 1.0) -> dict:
    """``torch.optim.LBFGS`` with a strong-Wolfe line search, one iteration per step.

    Same return value as :func:`descend`. Each step may evaluate ``f`` several
    times (the line search); the count here is of iterations.
    """
    p = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([p], lr=lr, max_iter=1, max_eval=25, history_size=10,
                            line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = f(p)
        loss.backward()
        return loss

    path, losses, reached = [p.detach().clone()], [], None
    for step in range(steps + 1):
        with torch.no_grad():
            value = f(p).item()
        losses.append(value)
        if tol is not None and value - f_min < tol:
            reached = step
            break
        if step == steps:
            break
        opt.step(closure)
        path.append(p.detach().clone())
    return {"path": torch.stack(path), "losses": torch.tensor(losses, dtype=torch.float64),
            "steps_to_tol": reached}


# The optimizers compared on the Rosenbrock valley; learning rates picked by a
# coarse search (the largest of 1e-4, 3e-4, 1e-3, ... that does not diverge).
ROSENBROCK_OPTIMIZERS = {
    "gradient descent": lambda ps: torch.optim.SGD(ps, lr=1e-3),
    "momentum 0.9": lambda ps: torch.optim.SGD(ps, lr=1e-3, momentum=0.9),
    "Adagrad": lambda ps: torch.optim.Adagrad(ps, lr=0.5),
    "RMSprop": lambda ps: torch.optim.RMSprop(ps, lr=1e-2),
    "Adam": lambda ps: torch.optim.Adam(ps, lr=0.1),
}


def compare_on_rosenbrock(start=(-1.5, 2.0), steps: int = 2000, tol: float = 1e-3,
                          optimizers: dict | None = None, second_order: bool = True,
                          progress: bool = True) -> dict:
    """Run every optimizer (and, with ``second_order``, Newton and L-BFGS) on Rosenbrock.

    Returns ``{name: result of descend}``.
    """
    optimizers = ROSENBROCK_OPTIMIZERS if optimizers is None else optimizers
    results = {}
    for name, make in tqdm(optimizers.items(), desc="optimizers", disable=not progress,
                           leave=False):
        results[name] = descend(rosenbrock, make, start, steps, tol)
    if second_order:
        results["Newton"] = newton_descend(rosenbrock, start, 100, tol)
        results["L-BFGS"] = lbfgs_descend(rosenbrock, start, 200, tol)
    return results


def plot_paths(f: Callable, results: dict, title: str, xlim=(-2.0, 2.0), ylim=(-1.0, 3.0),
               minimum=ROSENBROCK_MIN, ax=None):
    """Contour plot of ``f`` (log-spaced levels) with each optimizer's path on top."""
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
    """``f(x_t) - f_min`` against the step, log scale, one line per optimizer."""
    ax = ax or plt.subplots(figsize=(6, 4.5))[1]
    for name, res in results.items():
        ax.semilogy((res["losses"] - f_min).clamp_min(1e-16), lw=1.4, label=name)
    ax.set(title=title, xlabel="step", ylabel="$f(x_t) - f^*$ (log scale)")
    ax.legend(fontsize=8)
    return ax


def gd_1d(df: Callable[[float], float], x0: float, lr: float, steps: int) -> list[float]:
    """Plain gradient descent on a function of one variable, given its derivative ``df``."""
    xs = [x0]
    for _ in range(steps):
        xs.append(xs[-1] - lr * df(xs[-1]))
    return xs


# ---------------------------------------------------------------------------
# Mini-batch noise
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


# ---------------------------------------------------------------------------
# Regularization on the digits
# ---------------------------------------------------------------------------

def make_mlp(hidden: int = 128, dropout: float = 0.0, batch_norm: bool = False,
             n_in: int = 64, n_out: int = 10, depth: int = 2) -> nn.Sequential:
    """An MLP with ``depth`` hidden ReLU layers, optionally with batch norm (before the ReLU)
    and dropout (after it)."""
    layers, width = [], n_in
    for _ in range(depth):
        layers.append(nn.Linear(width, hidden))
        if batch_norm:
            layers.append(nn.BatchNorm1d(hidden))
        layers.append(nn.ReLU())
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
        width = hidden
    layers.append(nn.Linear(width, n_out))
    return nn.Sequential(*layers)


def random_shift(X: torch.Tensor, generator: torch.Generator, max_shift: int = 1,
                 side: int = 8) -> torch.Tensor:
    """Shift each flattened ``side x side`` image by up to ``max_shift`` pixels in each
    direction (zeros enter at the border). ``X``: (N, side*side) -> same shape."""
    n = X.shape[0]
    imgs = X.reshape(n, side, side)
    m = max_shift
    padded = F.pad(imgs, (m, m, m, m))
    dy = torch.randint(0, 2 * m + 1, (n,), generator=generator).to(X.device)
    dx = torch.randint(0, 2 * m + 1, (n,), generator=generator).to(X.device)
    ar = torch.arange(side, device=X.device)
    rows = (ar[None, :] + dy[:, None])[:, :, None]
    cols = (ar[None, :] + dx[:, None])[:, None, :]
    out = padded[torch.arange(n, device=X.device)[:, None, None], rows, cols]
    return out.reshape(n, side * side)


REGULARIZERS = {
    "no regularization": {},
    "dropout 0.5": {"dropout": 0.5},
    "L2 (weight decay 3e-3)": {"weight_decay": 3e-3},
    "batch norm": {"batch_norm": True},
    "augmentation (shifts)": {"augment": True},
}


def train_variant(split, device, epochs: int = 50, hidden: int = 256, dropout: float = 0.0,
                  batch_norm: bool = False, weight_decay: float = 0.0, augment: bool = False,
                  lr: float = 0.05, batch_size: int = 100, seed: int = 0, n_train: int | None = 300,
                  optimizer: str = "sgd", progress: bool = True, desc: str = "training") -> dict:
    """Train one MLP on a :class:`~dlcourse.data.Split` and record learning curves.

    By default only the first ``n_train=300`` training images are used and the MLP is
    wide (256 units), so that overfitting is easy to see. ``optimizer`` is ``"sgd"``
    (momentum 0.9; ``weight_decay`` is then exactly an L2 penalty) or ``"adam"``.

    After every epoch both losses are measured in eval mode (dropout off, batch norm on
    its running statistics), so training and validation numbers are comparable.
    Returns ``train_loss``, ``val_loss``, ``val_acc`` (lists, one entry per epoch).
    """
    set_seed(seed)
    net = make_mlp(hidden, dropout, batch_norm).to(device)
    if optimizer == "adam":
        opt = torch.optim.Adam(net.parameters(), lr=lr, weight_decay=weight_decay)
    else:
        opt = torch.optim.SGD(net.parameters(), lr=lr, momentum=0.9, weight_decay=weight_decay)
    # Whole tensors on the device and index batches: much faster than a DataLoader
    # for a data set this small.
    n_train = len(split.X_train) if n_train is None else n_train
    X_train, y_train = split.X_train[:n_train].to(device), split.y_train[:n_train].to(device)
    X_val, y_val = split.X_val.to(device), split.y_val.to(device)
    gen = torch.Generator().manual_seed(seed)
    history = {"train_loss": [], "val_loss": [], "val_acc": []}
    bar = tqdm(range(epochs), desc=desc, disable=not progress, leave=False)
    for _ in bar:
        net.train()
        order = torch.randperm(len(X_train), generator=gen).to(device)
        for start in range(0, len(order), batch_size):
            idx = order[start:start + batch_size]
            X, y = X_train[idx], y_train[idx]
            if augment:
                X = random_shift(X, gen)
            loss = F.cross_entropy(net(X), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
        net.eval()
        with torch.no_grad():
            train_loss = F.cross_entropy(net(X_train), y_train).item()
            val_logits = net(X_val)
            val_loss = F.cross_entropy(val_logits, y_val).item()
            val_acc = (val_logits.argmax(dim=1) == y_val).float().mean().item()
        history["train_loss"].append(train_loss)
        history["val_loss"].append(val_loss)
        history["val_acc"].append(val_acc)
        bar.set_postfix(val_loss=f"{val_loss:.3f}")
    return history


def compare_regularizers(split, device, epochs: int = 50, variants: dict | None = None,
                         progress: bool = True) -> dict:
    """Train one MLP per entry of ``variants`` (default :data:`REGULARIZERS`)."""
    variants = REGULARIZERS if variants is None else variants
    return {name: train_variant(split, device, epochs=epochs, progress=progress, desc=name, **kw)
            for name, kw in variants.items()}


def generalization_gap(history: dict, last: int = 5) -> float:
    """Validation minus training loss, averaged over the last ``last`` epochs."""
    tr = history["train_loss"][-last:]
    va = history["val_loss"][-last:]
    return sum(v - t for v, t in zip(va, tr)) / len(tr)


def early_stopping_epoch(val_losses, patience: int, min_delta: float = 0.0) -> tuple[int, int]:
    """Replay a validation-loss curve: ``(epoch where training would stop, best epoch)``.

    Epochs are 0-based. An epoch improves when its loss is below the best so far by more
    than ``min_delta``; training stops after ``patience`` epochs in a row without
    improvement (or at the last epoch). Works on a finished curve, after the fact.
    """
    best_at = 0
    for epoch in range(1, len(val_losses)):
        if val_losses[epoch] < val_losses[best_at] - min_delta:
            best_at = epoch
        elif epoch - best_at >= patience:
            return epoch, best_at
    return len(val_losses) - 1, best_at
