"""Convolutional networks for Chapter 4: models, training recipes and the demos' experiments.

Everything the chapter's demos compute lives here, so that the figures the notebook prints are
also asserted in ``tests/test_lib_cnn.py``:

* model builders: a LeNet-style CNN for the 8x8 digits, a 1-D CNN and an MLP for MNIST-1D, the
  classic LeNet-5, a small VGG and a small ResNet (with basic and bottleneck blocks);
* geometry: zero-filled shifts, how far a convolution commutes with them (equivariance), how much
  a shift changes a representation before and after pooling, and receptive fields;
* :func:`time_convolutions`: a Python loop over pixels against ``F.conv2d``;
* :func:`complexity`: parameters and multiply-adds of a model, counted with forward hooks;
* :func:`train_classifier`: AdamW with a one-cycle learning-rate schedule on top of
  :func:`dlcourse.train.fit`;
* the experiments: digits, MNIST-1D (CNN against MLP), class imbalance with a weighted loss,
  finding flipped labels by their loss, and accuracy under test-time shifts with and without
  random-shift augmentation.

Introduced in Chapter 4.
"""
from __future__ import annotations

import time

import torch
import torch.nn.functional as F
from torch import nn

from dlcourse.data import Split, load_digits_split, load_mnist1d_split
from dlcourse.seed import set_seed
from dlcourse.train import accuracy, fit

# --------------------------------------------------------------------------------------------
# Building blocks and models
# --------------------------------------------------------------------------------------------


def conv_block(cin: int, cout: int, kernel_size: int = 3, pool: bool = True,
               batch_norm: bool = True) -> nn.Sequential:
    """Convolution ('same' padding) -> [batch norm] -> ReLU -> [2x2 max pooling].

    Input (N, cin, H, W); output (N, cout, H, W), or (N, cout, H//2, W//2) with ``pool``. With
    batch norm the convolution has no bias (the norm's shift replaces it).
    """
    layers: list[nn.Module] = [nn.Conv2d(cin, cout, kernel_size, padding=kernel_size // 2,
                                         bias=not batch_norm)]
    if batch_norm:
        layers.append(nn.BatchNorm2d(cout))
    layers.append(nn.ReLU())
    if pool:
        layers.append(nn.MaxPool2d(2))
    return nn.Sequential(*layers)


def digits_cnn(channels: tuple[int, int] = (16, 32), hidden: int = 64, dropout: float = 0.25,
               num_classes: int = 10) -> nn.Sequential:
    """A LeNet-style CNN for the 8x8 digits: two convolutional blocks (the base), then a head.

    Input (N, 1, 8, 8) -> block 8x8 -> 4x4 -> block 4x4 -> 2x2 -> flatten -> dropout -> dense
    -> ReLU -> dense -> logits (N, num_classes). ``model[0][0]`` is the first convolution.
    """
    c1, c2 = channels
    return nn.Sequential(
        conv_block(1, c1), conv_block(c1, c2),
        nn.Flatten(), nn.Dropout(dropout),
        nn.Linear(c2 * 2 * 2, hidden), nn.ReLU(), nn.Linear(hidden, num_classes),
    )


def mnist1d_cnn(channels: int = 32, num_classes: int = 10, length: int = 40) -> nn.Sequential:
    """A 1-D CNN for MNIST-1D signals of shape (N, length).

    Three Conv1d-BatchNorm-ReLU layers (kernel 5, 5, 3; strides 1, 2, 2) turn the signal into
    ``2 * channels`` feature maps of length ``length // 4``; a dense layer maps them to logits.
    """
    c = channels
    return nn.Sequential(
        nn.Unflatten(1, (1, length)),
        nn.Conv1d(1, c, 5, padding=2, bias=False), nn.BatchNorm1d(c), nn.ReLU(),
        nn.Conv1d(c, c, 5, stride=2, padding=2, bias=False), nn.BatchNorm1d(c), nn.ReLU(),
        nn.Conv1d(c, 2 * c, 3, stride=2, padding=1, bias=False), nn.BatchNorm1d(2 * c), nn.ReLU(),
        nn.Flatten(), nn.Linear(2 * c * (length // 4), num_classes),
    )


def mlp(in_features: int, hidden: tuple[int, ...] = (100, 100), num_classes: int = 10) -> nn.Sequential:
    """A fully connected ReLU network (the Chapter 1 kind): (N, in_features) -> logits."""
    layers: list[nn.Module] = []
    width = in_features
    for h in hidden:
        layers += [nn.Linear(width, h), nn.ReLU()]
        width = h
    layers.append(nn.Linear(width, num_classes))
    return nn.Sequential(*layers)


# Layer specifications: ("conv", out_channels, kernel), ("tanh",), ("relu",), ("avg", k),
# ("max", k), ("flatten",), ("dense", out_features).
LENET5_SPEC = [("conv", 6, 5), ("tanh",), ("avg", 2), ("conv", 16, 5), ("tanh",), ("avg", 2),
               ("conv", 120, 5), ("tanh",), ("flatten",), ("dense", 84), ("tanh",), ("dense", 10)]


def build_from_spec(spec, in_channels: int, in_features: int | None = None) -> nn.Sequential:
    """Turn a list of layer specifications (see ``LENET5_SPEC``) into an ``nn.Sequential``.

    ``in_features`` is the width seen by the first ``dense`` layer after ``flatten``; when it
    is ``None`` the builder assumes the maps are 1x1 there (as in LeNet-5).
    """
    layers: list[nn.Module] = []
    channels, width = in_channels, in_features
    for kind, *args in spec:
        if kind == "conv":
            layers.append(nn.Conv2d(channels, args[0], args[1]))
            channels = args[0]
        elif kind in ("tanh", "relu"):
            layers.append(nn.Tanh() if kind == "tanh" else nn.ReLU())
        elif kind in ("avg", "max"):
            layers.append((nn.AvgPool2d if kind == "avg" else nn.MaxPool2d)(args[0]))
        elif kind == "flatten":
            layers.append(nn.Flatten())
            width = channels if width is None else width
        elif kind == "dense":
            layers.append(nn.Linear(width, args[0]))
            width = args[0]
        else:
            raise ValueError(f"unknown layer kind {kind!r}")
    return nn.Sequential(*layers)


def lenet5() -> nn.Sequential:
    """The classic LeNet-5 for (N, 1, 32, 32) inputs, as a plain ``nn.Sequential``."""
    return build_from_spec(LENET5_SPEC, in_channels=1)


def small_vgg(widths: tuple[int, ...] = (32, 64, 128), convs_per_stage: int = 2,
              num_classes: int = 10, image_size: int = 32, hidden: int = 256) -> nn.Sequential:
    """A VGG-style network for (N, 3, image_size, image_size): stages of 3x3 convolutions.

    Each stage stacks ``convs_per_stage`` conv-BN-ReLU layers and ends in 2x2 max pooling; the
    head is dense -> ReLU -> dropout -> dense, as in VGG (with fewer units).
    """
    layers: list[nn.Module] = []
    channels = 3
    for w in widths:
        for k in range(convs_per_stage):
            layers.append(conv_block(channels, w, pool=(k == convs_per_stage - 1)))
            channels = w
    side = image_size // 2 ** len(widths)
    layers += [nn.Flatten(), nn.Linear(channels * side * side, hidden), nn.ReLU(),
               nn.Dropout(0.5), nn.Linear(hidden, num_classes)]
    return nn.Sequential(*layers)


class Residual(nn.Module):
    """``relu(body(x) + shortcut(x))``: the skeleton shared by every residual block."""

    def __init__(self, body: nn.Module, shortcut: nn.Module | None = None):
        super().__init__()
        self.body = body
        self.shortcut = shortcut if shortcut is not None else nn.Identity()

    def forward(self, x):
        return F.relu(self.body(x) + self.shortcut(x))


def _conv_bn(cin: int, cout: int, k: int, stride: int = 1) -> list[nn.Module]:
    return [nn.Conv2d(cin, cout, k, stride, k // 2, bias=False), nn.BatchNorm2d(cout)]


def _projection(cin: int, cout: int, stride: int) -> nn.Module | None:
    if stride == 1 and cin == cout:
        return None
    return nn.Sequential(*_conv_bn(cin, cout, 1, stride))


def basic_block(cin: int, cout: int, stride: int = 1) -> Residual:
    """ResNet's basic block: two 3x3 conv-BN layers (ReLU between), projection when needed."""
    body = nn.Sequential(*_conv_bn(cin, cout, 3, stride), nn.ReLU(), *_conv_bn(cout, cout, 3))
    return Residual(body, _projection(cin, cout, stride))


def bottleneck_block(cin: int, mid: int, cout: int, stride: int = 1) -> Residual:
    """ResNet's bottleneck block: 1x1 (reduce to ``mid``) -> 3x3 -> 1x1 (expand to ``cout``)."""
    body = nn.Sequential(*_conv_bn(cin, mid, 1), nn.ReLU(), *_conv_bn(mid, mid, 3, stride),
                         nn.ReLU(), *_conv_bn(mid, cout, 1))
    return Residual(body, _projection(cin, cout, stride))


def small_resnet(widths: tuple[int, ...] = (16, 32, 64), blocks_per_stage: int = 2,
                 num_classes: int = 10) -> nn.Sequential:
    """A small ResNet for (N, 3, H, W): a 3x3 stem, stages of basic blocks (each later stage
    halves the resolution with a strided, projected block), global average pooling, one dense layer."""
    layers: list[nn.Module] = [*_conv_bn(3, widths[0], 3), nn.ReLU()]
    channels = widths[0]
    for s, w in enumerate(widths):
        for b in range(blocks_per_stage):
            stride = 2 if (s > 0 and b == 0) else 1
            layers.append(basic_block(channels, w, stride))
            channels = w
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(channels, num_classes)]
    return nn.Sequential(*layers)


# --------------------------------------------------------------------------------------------
# Geometry: shifts, equivariance, pooling's tolerance, receptive fields
# --------------------------------------------------------------------------------------------


def shift(x: torch.Tensor, dy: int, dx: int) -> torch.Tensor:
    """Move the images of (..., H, W) down by ``dy`` and right by ``dx`` pixels (negative: up,
    left), filling the uncovered border with zeros. Unlike ``torch.roll`` nothing wraps around:
    what leaves the image is lost."""
    h, w = x.shape[-2:]
    out = torch.zeros_like(x)
    if abs(dy) >= h or abs(dx) >= w:
        return out
    out[..., max(dy, 0):h + min(dy, 0), max(dx, 0):w + min(dx, 0)] = \
        x[..., max(-dy, 0):h + min(-dy, 0), max(-dx, 0):w + min(-dx, 0)]
    return out


def relative_change(a: torch.Tensor, b: torch.Tensor) -> float:
    """``|a - b| / |a|`` with Euclidean norms over the whole tensor."""
    return ((a - b).norm() / a.norm()).item()


def equivariance_error(x: torch.Tensor, weight: torch.Tensor, stride: int, dy: int) -> dict:
    """Does a convolution commute with a shift of its input by ``dy`` rows?

    Convolves ``x`` and ``shift(x, dy, 0)`` (``same``-style padding ``k // 2``, the given
    stride) and compares the second result with the first shifted by ``m`` output rows, for the
    two whole numbers ``m`` nearest to ``dy / stride``. Returns the best ``m`` and its relative
    error ``|conv(shift(x)) - shift(conv(x))| / |conv(x)|``; the error is 0 when the shift
    commutes. ``x`` should have an empty margin wider than the shift, so that no content
    crosses the border.
    """
    pad = weight.shape[-1] // 2
    out = F.conv2d(x, weight, stride=stride, padding=pad)
    out_shifted = F.conv2d(shift(x, dy, 0), weight, stride=stride, padding=pad)
    errors = {m: relative_change(out_shifted, shift(out, m, 0)) if out.norm() > 0 else 0.0
              for m in sorted({dy // stride, -(-dy // stride)})}
    best = min(errors, key=errors.get)
    return {"output_shift": best, "error": errors[best]}


def shift_sensitivity(X: torch.Tensor, y: torch.Tensor, dx: int = 1) -> dict:
    """How much moving images (N, 1, H, W) right by ``dx`` pixels changes them, relative to
    their size, as raw pixels and after max pooling; with two yardsticks.

    Returns relative changes for ``"raw pixels"``, ``"2x2 max pooling"``, ``"4x4 max
    pooling"`` and ``"global max pooling"``, and the median relative distance between an image
    and another image of the same class (``"another image, same class"``) and of another class
    (``"another image, other class"``), consecutive in ``X`` order within each class, or paired
    by a fixed permutation.
    """
    moved = shift(X, 0, dx)
    pools = {"raw pixels": lambda t: t,
             "2x2 max pooling": lambda t: F.max_pool2d(t, 2),
             "4x4 max pooling": lambda t: F.max_pool2d(t, 4),
             "global max pooling": lambda t: F.adaptive_max_pool2d(t, 1)}
    out = {name: relative_change(pool(X), pool(moved)) for name, pool in pools.items()}

    def distances(a, b):
        return (a - b).flatten(1).norm(dim=1) / a.flatten(1).norm(dim=1)

    same = torch.cat([distances(X[idx[:-1]], X[idx[1:]])
                      for idx in (torch.nonzero(y == c).flatten() for c in y.unique())])
    perm = torch.randperm(len(X), generator=torch.Generator().manual_seed(0))
    other = distances(X, X[perm])[y != y[perm]]
    out["another image, same class"] = same.median().item()
    out["another image, other class"] = other.median().item()
    return out


def receptive_field(spec, size: int = 33) -> dict:
    """Receptive field of the centre unit at the end of a stack of layers, measured and computed.

    ``spec`` lists ``("conv", k, s)`` and ``("pool", k, s)``. The stack is built on one channel
    with every weight set to 1, average pooling and no non-linearity, so that no contribution
    can cancel; the input pixels whose gradient is non-zero for the centre output are exactly
    its receptive field. Returns ``"measured"`` (the side of that square), ``"formula"``
    (layer by layer ``r += (k - 1) * jump`` then ``jump *= s``, from ``r = jump = 1``: ``jump``
    is the distance in input pixels between neighbouring units) and
    ``"footprint"``: the gradient (H, W), which counts the paths from each pixel to the unit.
    """
    layers: list[nn.Module] = []
    r, jump = 1, 1
    for kind, k, s in spec:
        if kind == "conv":
            conv = nn.Conv2d(1, 1, k, stride=s, bias=False)
            nn.init.ones_(conv.weight)
            layers.append(conv)
        elif kind == "pool":
            layers.append(nn.AvgPool2d(k, s))
        else:
            raise ValueError(f"unknown layer kind {kind!r}")
        r, jump = r + (k - 1) * jump, jump * s
    x = torch.zeros(1, 1, size, size, requires_grad=True)
    out = nn.Sequential(*layers)(x)
    out[0, 0, out.shape[2] // 2, out.shape[3] // 2].backward()
    footprint = x.grad[0, 0]
    rows = torch.nonzero(footprint.abs().sum(dim=1)).flatten()
    return {"measured": int(rows.max() - rows.min() + 1), "formula": r, "footprint": footprint}


# --------------------------------------------------------------------------------------------
# Speed: a loop over pixels against PyTorch's convolution
# --------------------------------------------------------------------------------------------


def loop_conv2d(x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """The convolution formula with a Python loop over output positions (stride 1, no padding):
    one small tensor operation per output pixel. Correct, and slow."""
    kh, kw = weight.shape[2:]
    out = x.new_zeros(x.shape[0], weight.shape[0], x.shape[2] - kh + 1, x.shape[3] - kw + 1)
    for i in range(out.shape[2]):
        for j in range(out.shape[3]):
            patch = x[:, :, i:i + kh, j:j + kw]                         # (N, C_in, kH, kW)
            out[:, :, i, j] = (patch[:, None] * weight[None]).sum(dim=(2, 3, 4))
    return out


def best_time(fn, repeats: int = 5) -> float:
    """The shortest of ``repeats`` timed calls of ``fn()``, in seconds, after one warm-up call
    (the shortest is the least disturbed by other programs)."""
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
    return min(times)


@torch.no_grad()
def time_convolutions(device, batch: int = 8, channels: int = 3, size: int = 32,
                      filters: int = 16, kernel: int = 5, seed: int = 0) -> dict:
    """Seconds per call of :func:`loop_conv2d` and of ``F.conv2d`` on a batch of ``batch``
    colour images (checked to agree first), their ratio, and the ``shape`` of the batch."""
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(batch, channels, size, size, generator=gen).to(device)
    w = torch.randn(filters, channels, kernel, kernel, generator=gen).to(device)
    if not torch.allclose(loop_conv2d(x, w), F.conv2d(x, w), rtol=1e-3, atol=1e-3):
        raise AssertionError("loop_conv2d disagrees with F.conv2d")
    loop = best_time(lambda: loop_conv2d(x, w), repeats=2)
    builtin = best_time(lambda: F.conv2d(x, w), repeats=20)
    return {"loop": loop, "F.conv2d": builtin, "ratio": loop / builtin, "shape": tuple(x.shape)}


# --------------------------------------------------------------------------------------------
# Counting parameters and multiply-adds
# --------------------------------------------------------------------------------------------


def count_parameters(model: nn.Module) -> int:
    """Number of trainable parameters (batch-norm running statistics are buffers, not counted)."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


@torch.no_grad()
def complexity(model: nn.Module, input_shape: tuple[int, ...]) -> dict:
    """Parameters and multiply-adds for one input of shape ``input_shape`` (no batch axis).

    Multiply-adds (MACs) count the products of convolutions and dense layers: a convolution
    does ``C_in / groups * prod(kernel)`` of them per output value, a dense layer ``in_features``
    per output value. Batch norm, activations and pooling are left out (they are comparatively
    cheap). Also returns the output shape.
    """
    macs = 0

    def hook(module, inputs, output):
        nonlocal macs
        per_output = (module.in_channels // module.groups * int(torch.tensor(module.kernel_size).prod())
                      if isinstance(module, nn.modules.conv._ConvNd) else module.in_features)
        macs += output[0].numel() * per_output  # output[0]: the first (only) sample

    handles = [m.register_forward_hook(hook) for m in model.modules()
               if isinstance(m, (nn.modules.conv._ConvNd, nn.Linear))]
    was_training = model.training
    model.eval()
    try:
        out = model(torch.zeros(1, *input_shape, device=next(model.parameters()).device))
    finally:
        for h in handles:
            h.remove()
        model.train(was_training)
    return {"params": count_parameters(model), "macs": int(macs), "output_shape": tuple(out.shape[1:])}


def architecture_table() -> list[dict]:
    """Parameters and multiply-adds of LeNet-5 (1x32x32); of a small VGG and of a small ResNet
    at the same widths and at half of them (3x32x32); and of three residual blocks on 56x56
    maps: a basic block at 64 channels, a bottleneck block 256 -> 64 -> 256 (He et al.'s
    comparison of two blocks of similar cost), and a basic block at 256 channels."""
    rows = []
    for name, model, shape in [
        ("LeNet-5", lenet5(), (1, 32, 32)),
        ("small VGG, widths 32-128", small_vgg(), (3, 32, 32)),
        ("small ResNet, widths 32-128", small_resnet((32, 64, 128)), (3, 32, 32)),
        ("small ResNet, widths 16-64", small_resnet((16, 32, 64)), (3, 32, 32)),
        ("basic block, 64 channels", basic_block(64, 64), (64, 56, 56)),
        ("bottleneck block, 256-64-256", bottleneck_block(256, 64, 256), (256, 56, 56)),
        ("basic block, 256 channels", basic_block(256, 256), (256, 56, 56)),
    ]:
        rows.append({"model": name, "input": "x".join(map(str, shape)), **complexity(model, shape)})
    return rows


# --------------------------------------------------------------------------------------------
# Training
# --------------------------------------------------------------------------------------------


class OneCycle:
    """AdamW whose learning rate follows a one-cycle schedule (warm up, then anneal).

    It has the two methods :func:`dlcourse.train.fit` calls, ``zero_grad`` and ``step``; each
    ``step`` also advances the schedule by one batch. ``lrs`` and ``beta1s`` record the learning
    rate and Adam's beta1 each step used (PyTorch's ``OneCycleLR`` with its defaults: 30 % warm-up
    from ``max_lr / 25``, cosine annealing to ``max_lr / 25e4``, beta1 cycled 0.95 -> 0.85 -> 0.95).
    """

    def __init__(self, params, max_lr: float, total_steps: int, weight_decay: float = 1e-2):
        self.optimizer = torch.optim.AdamW(params, lr=max_lr, weight_decay=weight_decay)
        self.scheduler = torch.optim.lr_scheduler.OneCycleLR(self.optimizer, max_lr,
                                                             total_steps=total_steps)
        self.lrs: list[float] = []
        self.beta1s: list[float] = []

    def zero_grad(self):
        self.optimizer.zero_grad()

    def step(self):
        group = self.optimizer.param_groups[0]
        self.lrs.append(group["lr"])
        self.beta1s.append(group["betas"][0])
        self.optimizer.step()
        self.scheduler.step()


def train_classifier(net: nn.Module, split: Split, epochs: int, device, lr: float = 1e-2,
                     batch_size: int = 64, seed: int = 0, loss_fn=F.cross_entropy,
                     weight_decay: float = 1e-2, progress: bool = True,
                     desc: str = "training") -> dict:
    """Train ``net`` on ``split`` with mini-batches and a one-cycle schedule.

    Returns ``{"history": ..., "test_acc": ..., "lr": ...}``; the history has per-epoch
    ``train_loss``, ``val_loss`` and ``val_acc`` (see :func:`dlcourse.train.fit`), ``lr`` the
    learning rate of every step.
    """
    set_seed(seed)
    train_loader, val_loader, test_loader = split.loaders(batch_size=batch_size, seed=seed)
    net.to(device)
    opt = OneCycle(net.parameters(), lr, epochs * len(train_loader), weight_decay)
    history = fit(net, train_loader, loss_fn, opt, epochs, device, val_loader,
                  progress=progress, desc=desc)
    return {"history": history, "test_acc": accuracy(net, test_loader, device), "lr": opt.lrs}


def run_digits(device, epochs: int = 12, seed: int = 0, progress: bool = True) -> dict:
    """The LeNet-style CNN (:func:`digits_cnn`) on the 8x8 digits.

    Returns ``model``, ``history``, ``test_acc``, ``lr`` (per step) and the ``split`` used.
    """
    split = load_digits_split(flat=False)
    set_seed(seed)
    model = digits_cnn()
    out = train_classifier(model, split, epochs, device, lr=1e-2, batch_size=32, seed=seed,
                           progress=progress, desc="digits CNN")
    return {"model": model, "split": split, **out}


def run_mnist1d(device, epochs: int = 8, seed: int = 0, progress: bool = True) -> dict:
    """A 1-D CNN and an MLP trained the same way on MNIST-1D.

    Returns ``cnn`` and ``mlp``, each ``{"model", "history", "test_acc", "params"}``.
    """
    split = load_mnist1d_split()
    results = {}
    for name, build in [("cnn", mnist1d_cnn), ("mlp", lambda: mlp(40))]:
        set_seed(seed)
        model = build()
        out = train_classifier(model, split, epochs, device, lr=1e-2, batch_size=64, seed=seed,
                               progress=progress, desc=f"MNIST-1D {name}")
        results[name] = {"model": model, "params": count_parameters(model), **out}
    return results


# --------------------------------------------------------------------------------------------
# Dataset pitfalls: imbalance, flipped labels, augmentation
# --------------------------------------------------------------------------------------------


def make_imbalanced(split: Split, rare_classes=(5, 6, 7, 8, 9), keep: int = 6,
                    seed: int = 0) -> Split:
    """Keep only ``keep`` training samples of each rare class (validation and test untouched)."""
    gen = torch.Generator().manual_seed(seed)
    keep_mask = torch.ones(len(split.y_train), dtype=torch.bool)
    for c in rare_classes:
        idx = (split.y_train == c).nonzero().flatten()
        drop = idx[torch.randperm(len(idx), generator=gen)[keep:]]
        keep_mask[drop] = False
    return Split(split.X_train[keep_mask], split.y_train[keep_mask], split.X_val, split.y_val,
                 split.X_test, split.y_test)


def inverse_frequency_weights(y: torch.Tensor, num_classes: int) -> torch.Tensor:
    """Class weights ``N / (K * n_k)``: a class seen half as often counts twice as much."""
    counts = torch.bincount(y, minlength=num_classes).float()
    return len(y) / (num_classes * counts.clamp(min=1))


@torch.no_grad()
def per_class_recall(net: nn.Module, X: torch.Tensor, y: torch.Tensor, num_classes: int,
                     device) -> torch.Tensor:
    """Share of each class's samples predicted correctly, shape (num_classes,)."""
    net.eval()
    pred = net(X.to(device)).argmax(dim=1).cpu()
    hits = torch.bincount(y[pred == y], minlength=num_classes).float()
    return hits / torch.bincount(y, minlength=num_classes).float().clamp(min=1)


def run_imbalance(device, keep: int = 6, epochs: int = 20, batch_size: int = 64, seed: int = 0,
                  progress: bool = True) -> dict:
    """The digits with classes 5-9 made rare, trained with the plain and the weighted loss.

    Returns, for ``"plain"`` and ``"weighted"``: ``recall`` (per class on the test set),
    ``test_acc``, ``balanced_acc`` (mean recall); plus ``counts`` (training samples per class)
    and ``weights``.
    """
    split = make_imbalanced(load_digits_split(flat=False), keep=keep, seed=seed)
    weights = inverse_frequency_weights(split.y_train, 10).to(device)
    results = {"counts": torch.bincount(split.y_train, minlength=10), "weights": weights.cpu()}
    losses = {"plain": F.cross_entropy,
              "weighted": lambda logits, y: F.cross_entropy(logits, y, weight=weights)}
    for name, loss_fn in losses.items():
        set_seed(seed)
        model = digits_cnn(channels=(8, 16), hidden=32)
        out = train_classifier(model, split, epochs, device, lr=1e-2, batch_size=batch_size,
                               seed=seed, loss_fn=loss_fn, progress=progress,
                               desc=f"{name} loss")
        recall = per_class_recall(model, split.X_test, split.y_test, 10, device)
        results[name] = {"recall": recall, "test_acc": out["test_acc"],
                         "balanced_acc": recall.mean().item()}
    return results


def flip_labels(y: torch.Tensor, fraction: float, num_classes: int, seed: int = 0):
    """Give a random ``fraction`` of the samples a different, random label.

    Returns ``(noisy_labels, flipped)`` where ``flipped`` is a boolean mask.
    """
    gen = torch.Generator().manual_seed(seed)
    n_flip = int(round(fraction * len(y)))
    idx = torch.randperm(len(y), generator=gen)[:n_flip]
    noisy = y.clone()
    noisy[idx] = (y[idx] + torch.randint(1, num_classes, (n_flip,), generator=gen)) % num_classes
    flipped = torch.zeros(len(y), dtype=torch.bool)
    flipped[idx] = True
    return noisy, flipped


@torch.no_grad()
def per_sample_loss(net: nn.Module, X: torch.Tensor, y: torch.Tensor, device) -> torch.Tensor:
    """Cross-entropy of each sample (no reduction), on the CPU."""
    net.eval()
    return F.cross_entropy(net(X.to(device)), y.to(device), reduction="none").cpu()


def run_label_noise(device, fraction: float = 0.05, epochs: int = 12, seed: int = 0,
                    progress: bool = True) -> dict:
    """Train the digits CNN on labels of which ``fraction`` were flipped, then rank the
    training samples by their loss.

    Returns ``losses``, ``order`` (indices by decreasing loss), ``flipped`` (mask), ``noisy``
    labels, ``split``, ``test_acc``, ``precision`` (the share of flipped samples among the
    ``flipped.sum()`` highest-loss ones), and the training accuracy measured against the labels
    the network was trained on (``train_acc_given``) and against the true ones
    (``train_acc_true``).
    """
    split = load_digits_split(flat=False)
    noisy, flipped = flip_labels(split.y_train, fraction, 10, seed)
    noisy_split = Split(split.X_train, noisy, split.X_val, split.y_val, split.X_test, split.y_test)
    set_seed(seed)
    model = digits_cnn()
    out = train_classifier(model, noisy_split, epochs, device, lr=1e-2, batch_size=32, seed=seed,
                           progress=progress, desc="noisy labels")
    losses = per_sample_loss(model, split.X_train, noisy, device)
    order = losses.argsort(descending=True)
    k = int(flipped.sum())
    with torch.no_grad():
        pred = model(split.X_train.to(device)).argmax(dim=1).cpu()
    return {"losses": losses, "order": order, "flipped": flipped, "noisy": noisy, "split": split,
            "test_acc": out["test_acc"], "precision": flipped[order[:k]].float().mean().item(),
            "train_acc_given": (pred == noisy).float().mean().item(),
            "train_acc_true": (pred == split.y_train).float().mean().item()}


def random_shift(x: torch.Tensor, max_shift: int = 1, generator: torch.Generator | None = None) -> torch.Tensor:
    """Translate each image of (N, C, H, W) by a random whole number of pixels in
    [-max_shift, max_shift] along each axis, filling the uncovered border with zeros."""
    n, h, w = x.shape[0], x.shape[-2], x.shape[-1]
    m = max_shift
    padded = F.pad(x, (m, m, m, m))
    dy = torch.randint(0, 2 * m + 1, (n,), generator=generator)
    dx = torch.randint(0, 2 * m + 1, (n,), generator=generator)
    rows = (dy[:, None] + torch.arange(h)[None, :]).to(x.device)  # (N, H)
    cols = (dx[:, None] + torch.arange(w)[None, :]).to(x.device)  # (N, W)
    batch = torch.arange(n, device=x.device)[:, None, None]
    out = padded.permute(0, 2, 3, 1)[batch, rows[:, :, None], cols[:, None, :]]  # (N, H, W, C)
    return out.permute(0, 3, 1, 2)


class RandomShift(nn.Module):
    """Data augmentation as a layer: in training mode, :func:`random_shift` each batch by up to
    ``max_shift`` pixels (a new draw every batch, so every epoch sees other versions of each
    image); in evaluation mode, pass the images through unchanged."""

    def __init__(self, max_shift: int = 1, seed: int = 0):
        super().__init__()
        self.max_shift = max_shift
        self.generator = torch.Generator().manual_seed(seed)

    def forward(self, x):
        return random_shift(x, self.max_shift, self.generator) if self.training else x


@torch.no_grad()
def accuracy_under_shift(net: nn.Module, X: torch.Tensor, y: torch.Tensor, distance: int,
                         device) -> float:
    """Mean test accuracy over every shift of exactly ``distance`` pixels (the largest of the
    vertical and horizontal move; 8 shifts at distance 1, 16 at distance 2), zero-filled."""
    net.eval()
    moves = [(dy, dx) for dy in range(-distance, distance + 1)
             for dx in range(-distance, distance + 1) if max(abs(dy), abs(dx)) == distance]
    X, y = X.to(device), y.to(device)
    hits = [(net(shift(X, dy, dx)).argmax(dim=1) == y).float().mean().item() for dy, dx in moves]
    return sum(hits) / len(hits)


def run_shift_robustness(device, plain_cnn: nn.Module | None = None, distances=(0, 1, 2),
                         max_shift: int = 1, epochs: int = 12, seed: int = 0,
                         progress: bool = True) -> dict:
    """An MLP and the digits CNN, each trained with and without random shifts of up to
    ``max_shift`` pixels, tested on the digits moved by 0, 1 and 2 pixels.

    ``plain_cnn`` is a digits CNN already trained without augmentation by the same recipe
    (:func:`run_digits`), to save training it again. Returns, for ``"MLP"``, ``"MLP +
    augmentation"``, ``"CNN"`` and ``"CNN + augmentation"``, the accuracies at ``distances``.
    """
    split = load_digits_split(flat=False)
    builders = {"MLP": lambda: nn.Sequential(nn.Flatten(), mlp(64)), "CNN": digits_cnn}
    results = {}
    for name, build in builders.items():
        for augment in (False, True):
            label = f"{name} + augmentation" if augment else name
            if name == "CNN" and not augment and plain_cnn is not None:
                net = plain_cnn
            else:
                set_seed(seed)
                net = build()
                if augment:
                    net = nn.Sequential(RandomShift(max_shift, seed), net)
                train_classifier(net, split, epochs, device, lr=1e-2, batch_size=32, seed=seed,
                                 progress=progress, desc=label)
            results[label] = [accuracy_under_shift(net, split.X_test, split.y_test, d, device)
                              for d in distances]
    return {"distances": list(distances), "accuracy": results}


# --------------------------------------------------------------------------------------------
# What the network learned
# --------------------------------------------------------------------------------------------


@torch.no_grad()
def feature_maps(model: nn.Sequential, x: torch.Tensor, upto: int) -> torch.Tensor:
    """Output of ``model[:upto]`` for ``x`` (the feature maps after the first ``upto`` modules)."""
    model.eval()
    return model[:upto](x)


@torch.no_grad()
def block_maps(model: nn.Sequential, x: torch.Tensor, block: int) -> torch.Tensor:
    """The feature maps of convolutional block ``block`` of :func:`digits_cnn` (0 or 1) after
    its convolution, batch norm and ReLU, before its pooling: (N, C, H, W)."""
    model.eval()
    return model[block][:3](model[:block](x))


@torch.no_grad()
def top_activating(model: nn.Sequential, X: torch.Tensor, block: int, channels, k: int = 6,
                   device=None) -> torch.Tensor:
    """For each channel in ``channels`` of block ``block``, the indices of the ``k`` images of
    ``X`` whose feature map in that channel has the largest mean: (len(channels), k)."""
    device = device or next(model.parameters()).device
    strength = block_maps(model, X.to(device), block).mean(dim=(2, 3)).cpu()   # (N, C)
    return strength[:, list(channels)].topk(k, dim=0).indices.T
