"""Models and training helpers for the deep-learning basics (introduced in Chapter 1).

The chapter's demos call these functions, and ``tests/test_lib_basics.py`` asserts
the figures the chapter prints (digits accuracy, MNIST-1D baselines, XOR, outliers), so
the numbers in the text are checked, not just shown.

Contents:

* :func:`make_mlp`, :func:`make_logistic_regression` - ``nn.Sequential`` models;
* :func:`collapse_linear` - two stacked linear layers rewritten as one;
* :func:`train_classifier` - mini-batch training with a progress bar, returning the
  learning curves and the test accuracy;
* :func:`subset` - a smaller training set, to provoke overfitting;
* :func:`train_perceptron`, :func:`perceptron_predictor` - the perceptron rule on separable
  data and on XOR;
* :func:`train_xor_mlp`, :func:`hidden_layer`, :func:`label_predictor`, :func:`draw_lines` -
  the MLP that solves XOR and the representation its hidden layer learns;
* :func:`plot_mnist1d_examples` - what MNIST-1D signals look like;
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

    In the chapter's row convention ``first`` computes ``X W1 + b1`` and ``second`` computes
    ``H W2 + b2``, so the stack is ``X (W1 W2) + (b1 W2 + b2)``. ``nn.Linear`` stores the
    transposes (``weight = W.T``), hence ``weight = W2.T W1.T = second.weight @ first.weight``
    and ``bias = second.weight @ b1 + b2``: stacking linear layers adds no expressive power.
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


# --- the perceptron ---------------------------------------------------------------------

def train_perceptron(X: torch.Tensor, y: torch.Tensor, epochs: int = 100, lr: float = 1.0):
    """The perceptron rule of Chapter 1, from ``w = 0``, ``b = 0``, for up to ``epochs`` epochs.

    ``y`` holds labels +1/-1; a score of exactly 0 counts as +1. Points are visited in order and
    a mistake on ``(x_i, y_i)`` moves ``w`` by ``2 lr y_i x_i`` and ``b`` by ``2 lr y_i`` (the
    rule's factor ``y_i - y_hat_i`` equals ``2 y_i`` on a mistake and 0 otherwise). Training stops
    after the first epoch without a mistake. Returns ``(w, b, mistakes)``: ``w`` (d,), ``b`` a
    0-d tensor, and ``mistakes[k]`` the number of mistakes made during epoch ``k + 1``.
    """
    # plain Python numbers: a loop over single points is ~100x faster than on tiny tensors
    points, labels = X.tolist(), [float(v) for v in y]
    w, b = [0.0] * X.shape[1], 0.0
    mistakes = []
    for _ in range(epochs):
        count = 0
        for point, label in zip(points, labels):
            score = sum(wj * xj for wj, xj in zip(w, point)) + b
            if (score >= 0) != (label > 0):
                count += 1
                w = [wj + 2 * lr * label * xj for wj, xj in zip(w, point)]
                b += 2 * lr * label
        mistakes.append(count)
        if count == 0:
            break
    return torch.tensor(w, dtype=X.dtype), torch.tensor(b, dtype=X.dtype), mistakes


def perceptron_predictor(w: torch.Tensor,
                         b: torch.Tensor) -> Callable[[torch.Tensor], torch.Tensor]:
    """``points (N, d) -> labels (N,)``: 1 where ``w.x + b >= 0``, else 0 (the plot's classes)."""
    def predict(points: torch.Tensor) -> torch.Tensor:
        return (points @ w + b >= 0).long()
    return predict


# --- XOR with a hidden layer ------------------------------------------------------------

def train_xor_mlp(X: torch.Tensor, y: torch.Tensor, hidden: int = 2, steps: int = 300,
                  lr: float = 0.05, activation: type[nn.Module] = nn.Tanh, device=None,
                  seed: int = 0) -> nn.Sequential:
    """A 2-``hidden``-2 network (``activation`` in the hidden layer) trained on (X, y).

    Full batch, cross-entropy, Adam (Chapter 3 explains it) for ``steps`` steps; the weights
    are initialised from ``seed``.
    """
    device = device or get_device()
    torch.manual_seed(seed)
    net = make_mlp([2, hidden, 2], activation=activation).to(device)
    optimizer = torch.optim.Adam(net.parameters(), lr=lr)
    X, y = X.to(device), y.to(device)
    for _ in range(steps):
        loss = nn.functional.cross_entropy(net(X), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return net


@torch.no_grad()
def hidden_layer(net: nn.Sequential, X: torch.Tensor) -> torch.Tensor:
    """What a :func:`make_mlp` network's last hidden layer outputs for ``X``, on the CPU.

    These are the inputs the output layer sees: the learned representation of ``X``.
    """
    device = next(net.parameters()).device
    return net[:-1](X.to(device)).cpu()


def draw_lines(weight: torch.Tensor, bias: torch.Tensor, ax, labels: list[str],
               steps: int = 200) -> None:
    """Draw, for each row ``w_j`` of ``weight`` (shape (k, 2)) and entry ``b_j`` of ``bias``
    (shape (k,)), the line ``w_j . x + b_j = 0`` across the current limits of ``ax``: dashed,
    one colour per line (never the classes' blue and red), labelled ``labels[j]``."""
    (x_lo, x_hi), (y_lo, y_hi) = ax.get_xlim(), ax.get_ylim()
    gx, gy = torch.meshgrid(torch.linspace(x_lo, x_hi, steps), torch.linspace(y_lo, y_hi, steps),
                            indexing="xy")
    grid = torch.stack([gx.ravel(), gy.ravel()], dim=1)
    scores = grid @ weight.detach().cpu().T + bias.detach().cpu()     # (steps * steps, k)
    for j, label in enumerate(labels):
        colour = ("C2", "C4", "C5", "C6", "C8", "C9")[j % 6]
        ax.contour(gx, gy, scores[:, j].reshape(gx.shape), levels=[0], colors=colour,
                   linestyles="--")
        ax.plot([], [], color=colour, ls="--", label=label)
    ax.set(xlim=(x_lo, x_hi), ylim=(y_lo, y_hi))


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
    with the largest x (the last ones: x is sorted) are pushed 15 below the line.
    Returns ``(x, y)``, each (n,)."""
    gen = torch.Generator().manual_seed(seed)
    x = torch.sort(torch.rand(n, generator=gen) * 4).values
    y = slope * x + intercept + noise * torch.randn(n, generator=gen)
    y[-n_outliers:] -= 15.0
    return x, y


def fit_line(x: torch.Tensor, y: torch.Tensor, loss: str = "l2", steps: int = 400,
             lr: float = 0.2) -> tuple[float, float]:
    """Fit ``y ~ a x + c`` by full-batch Adam on the mean squared (``"l2"``) or mean
    absolute (``"l1"``) error; return ``(a, c)``.

    The learning rate falls linearly from ``lr`` to 0: with a constant step the L1 fit would
    keep jumping around its minimum (its gradient never shrinks), instead of settling on it.
    """
    losses = {"l2": nn.functional.mse_loss, "l1": nn.functional.l1_loss}
    loss_fn = losses[loss]
    params = torch.zeros(2, requires_grad=True)
    optimizer = torch.optim.Adam([params], lr=lr)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1 - step / steps)
    for _ in range(steps):
        value = loss_fn(params[0] * x + params[1], y)
        optimizer.zero_grad()
        value.backward()
        optimizer.step()
        scheduler.step()
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


# --- MNIST-1D ---------------------------------------------------------------------------

def plot_mnist1d_examples(split: Split, per_class: int = 3, classes=range(10)):
    """A grid with one panel per digit class, each showing ``per_class`` training signals."""
    import matplotlib.pyplot as plt

    classes = list(classes)
    ncols = 5
    nrows = -(-len(classes) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(2.2 * ncols, 1.9 * nrows),
                             sharex=True, sharey=True, squeeze=False)
    positions = torch.arange(split.X_train.shape[1])
    for ax, digit in zip(axes.ravel(), classes):
        signals = split.X_train[split.y_train == digit][:per_class]
        for signal in signals:
            ax.plot(positions, signal, lw=1)
        ax.set_title(f"digit {digit}", fontsize=9)
    for ax in axes[-1]:
        ax.set_xlabel("position")
    for ax in axes[:, 0]:
        ax.set_ylabel("value")
    fig.suptitle(f"MNIST-1D: {per_class} training signals of each class")
    fig.tight_layout()
    return fig
