"""Regularization (Chapter 3): the code behind the chapter's regularization demos.

L1 and L2 penalties on a sparse regression problem (plain subgradient descent against the
proximal soft-threshold step), weight decay inside Adam against AdamW's decoupled decay,
small MLPs with and without dropout, batch norm, weight decay and augmentation for the
digits learning curves, a random-shift augmentation for 8x8 digits, and an after-the-fact
early-stopping rule. The figures the notebook prints are asserted in
``tests/test_lib_optimizers.py``.
"""
from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from dlcourse.seed import set_seed

# ---------------------------------------------------------------------------
# L1 and L2 penalties
# ---------------------------------------------------------------------------

def sparse_regression(n: int = 100, d: int = 20, relevant=(2.0, -1.5, 1.0), noise: float = 0.3,
                      seed: int = 0) -> dict:
    """Linear regression where only the first ``len(relevant)`` of ``d`` inputs matter.

    Returns ``X`` (n, d), ``y`` (n,) and ``w_true`` (d,), float64.
    """
    gen = torch.Generator().manual_seed(seed)
    X = torch.randn(n, d, generator=gen, dtype=torch.float64)
    w_true = torch.zeros(d, dtype=torch.float64)
    w_true[:len(relevant)] = torch.tensor(relevant, dtype=torch.float64)
    y = X @ w_true + noise * torch.randn(n, generator=gen, dtype=torch.float64)
    return {"X": X, "y": y, "w_true": w_true}


PENALTIES = ("L2", "L1, subgradient step", "L1, proximal step")


def penalised_descent(problem: dict, penalty: str, lr: float, lam: float,
                      steps: int) -> torch.Tensor:
    """Full-batch gradient descent on ``mean((X w - y)^2) / 2`` plus a penalty, from w = 0.

    ``penalty`` is one of :data:`PENALTIES`: ``"L2"`` adds ``lam * w`` to the gradient (the
    penalty ``lam/2 ||w||^2``); ``"L1, subgradient step"`` adds ``lam * sign(w)``;
    ``"L1, proximal step"`` takes the plain gradient step and then soft-thresholds by
    ``lr * lam`` (``F.softshrink``). Returns the weights after every step, (steps + 1, d).
    """
    X, y = problem["X"], problem["y"]
    w = torch.zeros(X.shape[1], dtype=X.dtype)
    history = [w]
    for _ in range(steps):
        grad = X.T @ (X @ w - y) / len(X)
        if penalty == "L2":
            w = w - lr * (grad + lam * w)
        elif penalty == "L1, subgradient step":
            w = w - lr * (grad + lam * torch.sign(w))
        elif penalty == "L1, proximal step":
            w = F.softshrink(w - lr * grad, lr * lam)
        else:
            raise ValueError(f"unknown penalty {penalty!r}")
        history.append(w)
    return torch.stack(history)


# ---------------------------------------------------------------------------
# Weight decay inside Adam (L2) or decoupled from it (AdamW)
# ---------------------------------------------------------------------------

def decay_under_noise(make_optimizer: Callable, scales, steps: int) -> torch.Tensor:
    """How a weight decays when its data gradient is pure noise of a given size.

    Weight i starts at 1 and receives the loss gradient ``+scales[i], -scales[i], ...``
    (flipping sign every step, as mini-batch noise does around a minimum: no net pull);
    ``make_optimizer([w])`` sets the decay. Returns the weights after every step,
    (steps + 1, len(scales)).
    """
    scales = torch.as_tensor(scales, dtype=torch.float64)
    w = torch.ones(len(scales), dtype=torch.float64, requires_grad=True)
    opt = make_optimizer([w])
    history = [w.detach().clone()]
    for step in range(steps):
        w.grad = scales * (-1.0) ** step
        opt.step()
        history.append(w.detach().clone())
    return torch.stack(history)


# ---------------------------------------------------------------------------
# Regularizers on the digits
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
                  progress: bool = True, desc: str = "training") -> dict:
    """Train one MLP on a :class:`~dlcourse.data.Split` and record learning curves.

    By default only the first ``n_train=300`` training images are used and the MLP is
    wide (256 units), so that overfitting is easy to see. The optimizer is SGD with
    momentum 0.9, where ``weight_decay`` is exactly an L2 penalty.

    After every epoch both losses are measured in eval mode (dropout off, batch norm on
    its running statistics), so training and validation numbers are comparable.
    Returns ``train_loss``, ``val_loss``, ``val_acc`` (lists, one entry per epoch).
    """
    set_seed(seed)
    net = make_mlp(hidden, dropout, batch_norm).to(device)
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
