"""Models and training helpers for the deep-learning basics (introduced in Chapter 1).

The chapter's demos call these functions, and ``tests/test_lib_basics.py`` asserts
the figures the chapter prints (digits accuracy, MNIST-1D baselines, XOR), so the
numbers in the text are checked, not just shown.

Contents:

* :func:`make_mlp`, :func:`make_logistic_regression` - ``nn.Sequential`` models;
* :func:`collapse_linear` - two stacked linear layers rewritten as one;
* :func:`train_classifier` - mini-batch training with a progress bar, returning the
  learning curves and the test accuracy;
* :func:`subset` - a smaller training set, to provoke overfitting;
* :func:`fit_sklearn_perceptron`, :func:`train_xor_mlp`, :func:`label_predictor` - the
  XOR demo;
* :func:`make_outlier_data`, :func:`fit_line` - L1 versus L2 regression with outliers;
* :func:`fit_function` - a one-hidden-layer network fitting a curve (universal
  approximation).
"""
from __future__ import annotations

import math
from typing import Callable

import torch
from torch import nn
from tqdm.auto import tqdm

from dlcourse.data import Split
from dlcourse.device import get_device
from dlcourse.train import evaluate


# --- models -----------------------------------------------------------------------------

def make_mlp(sizes: list[int], activation: type[nn.Module] = nn.ReLU) -> nn.Sequential:
    """A multilayer perceptron as ``nn.Sequential``.

    ``sizes = [n_in, h_1, ..., h_k, n_out]`` gives ``len(sizes) - 1`` linear layers with
    ``activation`` between consecutive ones and none after the last (the output is
    raw logits). The input is flattened first, so images of shape (N, 8, 8) work too.
    """
    if len(sizes) < 2:
        raise ValueError("an MLP needs at least an input and an output size")
    modules: list[nn.Module] = [nn.Flatten()]
    n_layers = len(sizes) - 1
    for k in range(n_layers):
        modules.append(nn.Linear(sizes[k], sizes[k + 1]))
        if k < n_layers - 1:
            modules.append(activation())
    return nn.Sequential(*modules)


def make_logistic_regression(n_in: int, n_classes: int) -> nn.Sequential:
    """Multinomial logistic regression: flatten, then one linear layer (logits).

    It is the MLP with no hidden layer; softmax is applied by the cross-entropy loss.
    """
    return make_mlp([n_in, n_classes])


def collapse_linear(first: nn.Linear, second: nn.Linear) -> nn.Linear:
    """The single ``nn.Linear`` equal to ``second(first(x))``.

    With ``first(x) = W1 x + b1`` and ``second(h) = W2 h + b2`` the composition is
    ``(W2 W1) x + (W2 b1 + b2)``: stacking linear layers adds no expressive power.
    """
    merged = nn.Linear(first.in_features, second.out_features,
                       bias=first.bias is not None or second.bias is not None)
    with torch.no_grad():
        merged.weight.copy_(second.weight @ first.weight)
        if merged.bias is not None:
            bias = torch.zeros(second.out_features, dtype=second.weight.dtype,
                               device=second.weight.device)
            if first.bias is not None:
                bias = bias + second.weight @ first.bias
            if second.bias is not None:
                bias = bias + second.bias
            merged.bias.copy_(bias)
    return merged.to(first.weight.device)


# --- training ---------------------------------------------------------------------------

def subset(split: Split, n_train: int, seed: int = 0) -> Split:
    """The same split with only ``n_train`` random training samples (validation/test kept)."""
    idx = torch.randperm(len(split.X_train), generator=torch.Generator().manual_seed(seed))
    idx = idx[:n_train]
    return Split(split.X_train[idx], split.y_train[idx], split.X_val, split.y_val,
                 split.X_test, split.y_test)


def train_classifier(net: nn.Module, split: Split, epochs: int, lr: float,
                     batch_size: int = 64, weight_decay: float = 0.0, device=None,
                     seed: int = 0, one_cycle: bool = True, progress: bool = True,
                     desc: str = "training") -> tuple[dict, float]:
    """Train a classifier with AdamW and cross-entropy; return ``(history, test_accuracy)``.

    Each epoch shuffles the training set (with its own generator seeded by ``seed``),
    runs forward, loss, backward and step on each mini-batch, then measures the loss
    and accuracy on the training and validation sets. ``one_cycle`` warms the learning
    rate up to ``lr`` and anneals it back down (Chapter 3 explains schedules).

    ``history`` has per-epoch lists ``train_loss``, ``train_acc``, ``val_loss``,
    ``val_acc`` (the format :func:`dlcourse.plot.plot_history` reads). The test set is
    used once, at the end.
    """
    device = device or get_device()
    net.to(device)
    X_train, y_train = split.X_train.to(device), split.y_train.to(device)
    val = [(split.X_val.to(device), split.y_val.to(device))]
    train_eval = [(X_train, y_train)]
    loss_fn = nn.functional.cross_entropy
    optimizer = torch.optim.AdamW(net.parameters(), lr=lr, weight_decay=weight_decay)
    steps_per_epoch = math.ceil(len(X_train) / batch_size)
    scheduler = (torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=lr,
                                                     total_steps=epochs * steps_per_epoch)
                 if one_cycle else None)
    gen = torch.Generator().manual_seed(seed)
    history = {"train_loss": [], "train_acc": [], "val_loss": [], "val_acc": []}
    for _ in tqdm(range(epochs), desc=desc, disable=not progress, leave=False):
        net.train()
        order = torch.randperm(len(X_train), generator=gen).to(device)
        for start in range(0, len(X_train), batch_size):
            idx = order[start:start + batch_size]
            loss = loss_fn(net(X_train[idx]), y_train[idx])   # forward + loss
            optimizer.zero_grad()
            loss.backward()                                     # backward
            optimizer.step()                                    # step
            if scheduler is not None:
                scheduler.step()
        train_loss, train_acc = evaluate(net, train_eval, loss_fn, device)
        val_loss, val_acc = evaluate(net, val, loss_fn, device)
        history["train_loss"].append(train_loss)
        history["train_acc"].append(train_acc)
        history["val_loss"].append(val_loss)
        history["val_acc"].append(val_acc)
    test = [(split.X_test.to(device), split.y_test.to(device))]
    return history, evaluate(net, test, loss_fn, device)[1]


# --- XOR --------------------------------------------------------------------------------

def fit_sklearn_perceptron(X: torch.Tensor, y: torch.Tensor, seed: int = 0):
    """Fit scikit-learn's (linear) ``Perceptron``; return ``(predict, train_accuracy)``.

    ``predict`` maps a float tensor (N, 2) to a tensor of 0/1 labels, as
    :func:`dlcourse.plot.plot_decision_boundary` expects.
    """
    from sklearn.linear_model import Perceptron

    clf = Perceptron(max_iter=100, tol=None, random_state=seed).fit(X.numpy(), y.numpy())

    def predict(points: torch.Tensor) -> torch.Tensor:
        return torch.as_tensor(clf.predict(points.detach().cpu().numpy()))

    return predict, float(clf.score(X.numpy(), y.numpy()))


def train_xor_mlp(X: torch.Tensor, y: torch.Tensor, hidden: int = 8, steps: int = 300,
                  lr: float = 0.05, device=None, seed: int = 0) -> nn.Sequential:
    """A 2-``hidden``-2 ReLU network trained full-batch with Adam on (X, y)."""
    device = device or get_device()
    torch.manual_seed(seed)
    net = make_mlp([2, hidden, 2]).to(device)
    optimizer = torch.optim.Adam(net.parameters(), lr=lr)
    X, y = X.to(device), y.to(device)
    for _ in range(steps):
        loss = nn.functional.cross_entropy(net(X), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return net


def label_predictor(net: nn.Module, device=None) -> Callable[[torch.Tensor], torch.Tensor]:
    """Wrap a classifier as ``points (N, d) on CPU -> predicted labels (N,) on CPU``."""
    device = device or next(net.parameters()).device

    @torch.no_grad()
    def predict(points: torch.Tensor) -> torch.Tensor:
        net.eval()
        return net(points.to(device)).argmax(dim=1).cpu()

    return predict


# --- regression with outliers -----------------------------------------------------------

def make_outlier_data(n: int = 40, n_outliers: int = 4, slope: float = 2.0,
                      intercept: float = 1.0, noise: float = 0.3, seed: int = 0):
    """Points on the line ``slope * x + intercept`` plus noise; the ``n_outliers`` points
    with the largest x are pushed far below the line. Returns ``(x, y)``, each (n,)."""
    gen = torch.Generator().manual_seed(seed)
    x = torch.sort(torch.rand(n, generator=gen) * 4).values
    y = slope * x + intercept + noise * torch.randn(n, generator=gen)
    y[-n_outliers:] -= 15.0
    return x, y


def fit_line(x: torch.Tensor, y: torch.Tensor, loss: str = "l2", steps: int = 1500,
             lr: float = 0.05) -> tuple[float, float]:
    """Fit ``y ~ a x + c`` by full-batch Adam on the mean squared (``"l2"``) or mean
    absolute (``"l1"``) error; return ``(a, c)``."""
    losses = {"l2": nn.functional.mse_loss, "l1": nn.functional.l1_loss}
    loss_fn = losses[loss]
    params = torch.zeros(2, requires_grad=True)
    optimizer = torch.optim.Adam([params], lr=lr)
    for _ in range(steps):
        value = loss_fn(params[0] * x + params[1], y)
        optimizer.zero_grad()
        value.backward()
        optimizer.step()
    return params[0].item(), params[1].item()


# --- universal approximation ------------------------------------------------------------

def fit_function(f: Callable[[torch.Tensor], torch.Tensor], hidden: int, steps: int = 1500,
                 lr: float = 0.01, n_points: int = 256, lo: float = -math.pi,
                 hi: float = math.pi, device=None, seed: int = 0):
    """Fit ``f`` on ``[lo, hi]`` with one tanh hidden layer of ``hidden`` units.

    Full-batch Adam on the mean squared error. Returns ``(x, prediction, mse)`` with
    ``x`` and ``prediction`` of shape (n_points,) on the CPU.
    """
    device = device or get_device()
    torch.manual_seed(seed)
    x = torch.linspace(lo, hi, n_points).unsqueeze(1)
    target = f(x)
    net = make_mlp([1, hidden, 1], activation=nn.Tanh).to(device)
    optimizer = torch.optim.Adam(net.parameters(), lr=lr)
    xd, td = x.to(device), target.to(device)
    for _ in range(steps):
        loss = nn.functional.mse_loss(net(xd), td)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        pred = net(xd).cpu()
    return x.squeeze(1), pred.squeeze(1), nn.functional.mse_loss(pred, target).item()
