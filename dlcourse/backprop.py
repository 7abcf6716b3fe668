"""Backpropagation by hand (Chapter 2): layer objects with forward/backward methods,
a comparison of hand-written backprop with autograd, a learning-rate sweep, the cost of
the backward pass in floating-point operations, per-layer gradient norms for deep
networks, the accuracy of finite differences, and a tiny MLP trained with any scalar
autograd engine.

The layers here follow the "module" style used by most frameworks: every layer
remembers what its forward pass saw and turns the gradient of the loss with respect
to its output into the gradient with respect to its input (and its parameters).
"""
from __future__ import annotations

import math
import random

import torch
from torch import nn
from tqdm.auto import tqdm


# --------------------------------------------------------------------------------------
# Layers with an explicit backward pass
# --------------------------------------------------------------------------------------

class Dense:
    """Affine layer ``out = inp @ weight + bias`` with ``weight`` of shape (n_in, n_out).

    Initialised with LeCun's rule: entries drawn from N(0, 1/n_in).
    """

    def __init__(self, n_in: int, n_out: int, generator: torch.Generator,
                 dtype=torch.float64, device="cpu"):
        std = 1.0 / math.sqrt(n_in)
        self.weight = (std * torch.randn(n_in, n_out, generator=generator, dtype=dtype)).to(device)
        self.bias = torch.zeros(n_out, dtype=dtype, device=device)
        self.grad_weight = torch.zeros_like(self.weight)
        self.grad_bias = torch.zeros_like(self.bias)
        self._inp = None

    def forward(self, inp: torch.Tensor) -> torch.Tensor:
        self._inp = inp
        return torch.addmm(self.bias, inp, self.weight)

    def backward(self, grad_out: torch.Tensor) -> torch.Tensor:
        """Store the parameter gradients; return dLoss/dInput (same shape as the input)."""
        self.grad_weight = torch.einsum("ni,no->io", self._inp, grad_out)
        self.grad_bias = torch.einsum("no->o", grad_out)
        return torch.einsum("no,io->ni", grad_out, self.weight)

    def parameters(self):
        return [(self.weight, self.grad_weight), (self.bias, self.grad_bias)]

    def step(self, lr: float) -> None:
        """Gradient-descent update of the weights and the bias (in place)."""
        self.weight.sub_(lr * self.grad_weight)
        self.bias.sub_(lr * self.grad_bias)


class SigmoidLayer:
    """Element-wise logistic function; its local derivative is out * (1 - out)."""

    def forward(self, inp: torch.Tensor) -> torch.Tensor:
        self._out = torch.sigmoid(inp)
        return self._out

    def backward(self, grad_out: torch.Tensor) -> torch.Tensor:
        local = self._out - self._out.square()
        return local * grad_out

    def step(self, lr: float) -> None:
        pass


class ReLULayer:
    """Element-wise max(0, x); its local derivative is 1 where the input was positive."""

    def forward(self, inp: torch.Tensor) -> torch.Tensor:
        self._mask = inp > 0
        return inp.clamp_min(0)

    def backward(self, grad_out: torch.Tensor) -> torch.Tensor:
        return torch.where(self._mask, grad_out, torch.zeros_like(grad_out))

    def step(self, lr: float) -> None:
        pass


class HalfSquaredError:
    """Loss ``(1/N) * sum_n 0.5 * ||pred_n - target_n||^2`` over a batch of N rows.

    The mean over the batch (PyTorch's default reduction), so every gradient is 1/N times
    the gradient of the summed loss that Chapter 2's derivation uses.
    """

    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        self._diff = pred - target
        return 0.5 * self._diff.pow(2).sum() / len(pred)

    def backward(self) -> torch.Tensor:
        return self._diff / len(self._diff)


class LayerMLP:
    """A stack of layer objects; ``backward`` walks the list in reverse order."""

    def __init__(self, sizes: list[int], activation: str = "sigmoid", seed: int = 0,
                 dtype=torch.float64, device="cpu"):
        gen = torch.Generator().manual_seed(seed)
        act = {"sigmoid": SigmoidLayer, "relu": ReLULayer}[activation]
        self.layers = []
        for n_in, n_out in zip(sizes[:-1], sizes[1:]):
            self.layers += [Dense(n_in, n_out, gen, dtype, device), act()]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def backward(self, grad_out: torch.Tensor) -> torch.Tensor:
        for layer in reversed(self.layers):
            grad_out = layer.backward(grad_out)
        return grad_out

    def step(self, lr: float) -> None:
        for layer in self.layers:
            layer.step(lr)

    def dense_layers(self) -> list[Dense]:
        return [layer for layer in self.layers if isinstance(layer, Dense)]

    def to_torch(self) -> nn.Sequential:
        """An ``nn.Sequential`` with the same weights (nn.Linear stores W transposed)."""
        mods = []
        for layer in self.layers:
            if isinstance(layer, Dense):
                lin = nn.Linear(*layer.weight.shape, dtype=layer.weight.dtype,
                                device=layer.weight.device)
                with torch.no_grad():
                    lin.weight.copy_(layer.weight.T)
                    lin.bias.copy_(layer.bias)
                mods.append(lin)
            else:
                mods.append(nn.Sigmoid() if isinstance(layer, SigmoidLayer) else nn.ReLU())
        return nn.Sequential(*mods)


def one_hot(y: torch.Tensor, num_classes: int, dtype=torch.float64) -> torch.Tensor:
    """Integer labels (N,) -> one-hot rows (N, num_classes)."""
    return torch.eye(num_classes, dtype=dtype, device=y.device)[y]


def train_manual_vs_autograd(X: torch.Tensor, y: torch.Tensor, X_test: torch.Tensor,
                             y_test: torch.Tensor, hidden: int = 32, epochs: int = 40,
                             batch_size: int = 32, lr: float = 2.0, seed: int = 0,
                             device="cpu", progress: bool = True) -> dict:
    """Train the same sigmoid MLP twice, with :class:`LayerMLP` and with autograd.

    Both runs start from identical weights, see identical mini-batches (one shared
    shuffling order per epoch) and minimise the half squared error to one-hot
    targets with plain gradient descent ``w <- w - lr * dL/dw`` in float64. Returns
    the per-epoch mean training loss of each run and their test accuracies.
    """
    X = X.to(device=device, dtype=torch.float64)
    X_test = X_test.to(device=device, dtype=torch.float64)
    y, y_test = y.to(device), y_test.to(device)
    n_classes = int(y.max()) + 1
    T = one_hot(y, n_classes)
    manual = LayerMLP([X.shape[1], hidden, n_classes], "sigmoid", seed, torch.float64, device)
    auto = manual.to_torch()
    opt = torch.optim.SGD(auto.parameters(), lr=lr)
    loss_layer = HalfSquaredError()
    order_gen = torch.Generator().manual_seed(seed + 1)
    hist = {"manual": [], "autograd": []}
    for _ in tqdm(range(epochs), desc="manual vs autograd", disable=not progress, leave=False):
        perm = torch.randperm(len(X), generator=order_gen).to(device)
        sums = {"manual": 0.0, "autograd": 0.0}
        for start in range(0, len(X), batch_size):
            idx = perm[start:start + batch_size]
            xb, tb = X[idx], T[idx]
            # 1. forward, 2. loss, 3. backward, 4. update -- by hand ...
            loss_m = loss_layer.forward(manual.forward(xb), tb)
            manual.backward(loss_layer.backward())
            manual.step(lr)
            # ... and the same four steps with autograd and torch.optim
            loss_a = 0.5 * (auto(xb) - tb).pow(2).sum() / len(xb)
            opt.zero_grad()
            loss_a.backward()
            opt.step()
            sums["manual"] += loss_m.item() * len(xb)
            sums["autograd"] += loss_a.item() * len(xb)
        for key in hist:
            hist[key].append(sums[key] / len(X))
    with torch.no_grad():
        acc_m = (manual.forward(X_test).argmax(1) == y_test).double().mean().item()
        acc_a = (auto(X_test).argmax(1) == y_test).double().mean().item()
    hist["test_acc_manual"], hist["test_acc_autograd"] = acc_m, acc_a
    return hist


# --------------------------------------------------------------------------------------
# Vanishing and exploding gradients
# --------------------------------------------------------------------------------------

# Weight variance of each initialisation rule, for a layer with n_in inputs and n_out outputs.
INIT_VARIANCE = {
    "naive": lambda n_in, n_out: 1.0,                      # N(0, 1) whatever the width
    "lecun": lambda n_in, n_out: 1.0 / n_in,               # LeCun et al. (1998b)
    "glorot": lambda n_in, n_out: 2.0 / (n_in + n_out),    # Glorot and Bengio (2010)
    "he": lambda n_in, n_out: 2.0 / n_in,                  # He et al. (2015)
}


def deep_mlp(depth: int, width: int, n_in: int, n_out: int, activation: str, init: str,
             seed: int = 0, dtype=torch.float64) -> nn.Sequential:
    """``depth`` linear layers with ``activation`` between them (none after the last).

    Weights are drawn from N(0, v) with the variance v of :data:`INIT_VARIANCE` for ``init``
    ("naive", "lecun", "glorot" or "he"); biases start at zero.
    """
    gen = torch.Generator().manual_seed(seed)
    act = {"sigmoid": nn.Sigmoid, "relu": nn.ReLU, "tanh": nn.Tanh}[activation]
    sizes = [n_in] + [width] * (depth - 1) + [n_out]
    mods = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        lin = nn.Linear(a, b, dtype=dtype)
        std = math.sqrt(INIT_VARIANCE[init](a, b))
        with torch.no_grad():
            lin.weight.copy_(std * torch.randn(b, a, generator=gen, dtype=dtype))
            lin.bias.zero_()
        mods.append(lin)
        if i < depth - 1:
            mods.append(act())
    return nn.Sequential(*mods)


def layer_gradient_norms(X: torch.Tensor, y: torch.Tensor, activation: str, init: str,
                         depth: int = 10, width: int = 64, seed: int = 0,
                         device="cpu") -> dict:
    """Gradient norms per layer of a freshly initialised deep MLP on one batch.

    Returns ``grad_norm`` (Frobenius norm of dLoss/dW for layers 1..depth, input
    side first), ``act_std`` (standard deviation of each hidden layer's output) and
    ``loss``, the mean cross-entropy at initialisation, in float64.
    """
    n_classes = int(y.max()) + 1
    net = deep_mlp(depth, width, X.shape[1], n_classes, activation, init, seed).to(device)
    X = X.to(device=device, dtype=torch.float64)
    y = y.to(device)
    stds = []
    h = X
    for mod in net:
        h = mod(h)
        if not isinstance(mod, nn.Linear):
            stds.append(h.std().item())
    loss = nn.functional.cross_entropy(h, y)
    loss.backward()
    norms = [m.weight.grad.norm().item() for m in net if isinstance(m, nn.Linear)]
    return {"grad_norm": norms, "act_std": stds, "loss": loss.item()}


GRADIENT_NORM_CONFIGS = [("sigmoid", "naive"), ("sigmoid", "lecun"), ("relu", "naive"),
                         ("relu", "lecun"), ("relu", "he"), ("tanh", "glorot")]


def gradient_norm_table(X: torch.Tensor, y: torch.Tensor, depth: int = 10, width: int = 64,
                        seed: int = 0, device="cpu") -> dict:
    """:func:`layer_gradient_norms` for each (activation, init) of ``GRADIENT_NORM_CONFIGS``.

    Keys look like ``"relu/he"``.
    """
    return {f"{act}/{init}": layer_gradient_norms(X, y, act, init, depth, width, seed, device)
            for act, init in GRADIENT_NORM_CONFIGS}


def init_variances(n_in: int, n_out: int, seed: int = 0) -> dict:
    """Measured weight variance of each initialisation, as PyTorch's functions draw it.

    For a (n_out, n_in) weight matrix: ``nn.Linear``'s default, ``nn.init.xavier_normal_``
    (Glorot), ``nn.init.kaiming_normal_`` with ReLU's gain (He) and a normal draw with
    standard deviation 1/sqrt(n_in) (LeCun; PyTorch has no function of that name). Each entry
    maps to (measured variance, the rule's variance).
    """
    torch.manual_seed(seed)
    linear = nn.Linear(n_in, n_out, dtype=torch.float64).weight.detach()
    w = torch.empty(n_out, n_in, dtype=torch.float64)
    glorot = nn.init.xavier_normal_(w.clone())
    he = nn.init.kaiming_normal_(w.clone(), nonlinearity="relu")
    lecun = nn.init.normal_(w.clone(), std=1.0 / math.sqrt(n_in))
    return {
        "nn.Linear default, U(-1/sqrt(d_in), 1/sqrt(d_in))": (linear.var().item(), 1 / (3 * n_in)),
        "LeCun, N(0, 1/d_in)": (lecun.var().item(), INIT_VARIANCE["lecun"](n_in, n_out)),
        "Glorot, xavier_normal_": (glorot.var().item(), INIT_VARIANCE["glorot"](n_in, n_out)),
        "He, kaiming_normal_": (he.var().item(), INIT_VARIANCE["he"](n_in, n_out)),
    }


# --------------------------------------------------------------------------------------
# The cost of the backward pass
# --------------------------------------------------------------------------------------

def forward_backward_flops(sizes: list[int], batch_size: int, seed: int = 0) -> dict:
    """Floating-point operations of one forward and one backward pass of a sigmoid MLP.

    Counted by ``torch.utils.flop_counter.FlopCounterMode`` (matrix products only; the
    element-wise work is a small fraction). The input batch does not require a gradient,
    as in training. Returns ``forward``, ``backward`` and their ``ratio``.
    """
    from torch.utils.flop_counter import FlopCounterMode

    torch.manual_seed(seed)
    layers = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        layers += [nn.Linear(n_in, n_out), nn.Sigmoid()]
    net = nn.Sequential(*layers[:-1])
    X = torch.randn(batch_size, sizes[0])
    with FlopCounterMode(display=False) as forward:
        loss = net(X).square().mean()
    with FlopCounterMode(display=False) as backward:
        loss.backward()
    f, b = forward.get_total_flops(), backward.get_total_flops()
    return {"forward": f, "backward": b, "ratio": b / f}


# --------------------------------------------------------------------------------------
# Why lr = 4: a learning-rate sweep
# --------------------------------------------------------------------------------------

def lr_sweep(X: torch.Tensor, y: torch.Tensor, lrs, hidden: int = 32, epochs: int = 30,
             batch_size: int = 32, seed: int = 0, device="cpu") -> dict:
    """Train one sigmoid MLP per learning rate, all at once; return their loss curves.

    Every network starts from the weights of ``LayerMLP(..., seed)`` and sees the mini-batches
    in the order of :func:`train_manual_vs_autograd` (same seeds), minimising the half squared
    error to one-hot targets, averaged over the batch, with plain gradient descent. The
    networks are stacked along a first axis so that one batched forward and backward pass
    trains them all. Returns ``loss`` (``{lr: mean training loss of each epoch}``) and
    ``output_slope`` (``{lr: mean of y_hat * (1 - y_hat) over the training set at the end}``,
    the output sigmoids' slope: near 0 when they are saturated).
    """
    X = X.to(device=device, dtype=torch.float64)
    y = y.to(device)
    T = one_hot(y, int(y.max()) + 1)
    start = LayerMLP([X.shape[1], hidden, T.shape[1]], "sigmoid", seed, torch.float64, device)
    k = len(lrs)
    # (k, n_in, n_out) weights and (k, 1, n_out) biases, one slice per learning rate
    params = [t.expand(k, *t.shape).clone() for layer in start.dense_layers()
              for t in (layer.weight, layer.bias.unsqueeze(0))]
    for t in params:
        t.requires_grad_(True)
    W1, b1, W2, b2 = params

    def forward(inputs):
        return torch.sigmoid(torch.sigmoid(inputs @ W1 + b1) @ W2 + b2)     # (k, B, C)

    steps = torch.tensor(list(lrs), dtype=torch.float64, device=device).view(k, 1, 1)
    order_gen = torch.Generator().manual_seed(seed + 1)
    curves = torch.zeros(epochs, k, dtype=torch.float64)
    for epoch in range(epochs):
        perm = torch.randperm(len(X), generator=order_gen).to(device)
        for begin in range(0, len(X), batch_size):
            idx = perm[begin:begin + batch_size]
            losses = 0.5 * (forward(X[idx]) - T[idx]).pow(2).sum(dim=(1, 2)) / len(idx)
            losses.sum().backward()                 # the networks share no parameter
            with torch.no_grad():
                for t in params:
                    t -= steps * t.grad
                    t.grad = None
            curves[epoch] += losses.detach().cpu() * len(idx)
    curves /= len(X)
    with torch.no_grad():
        out = forward(X)
        slopes = (out * (1 - out)).mean(dim=(1, 2)).cpu()
    return {"loss": {lr: curves[:, i].tolist() for i, lr in enumerate(lrs)},
            "output_slope": {lr: slopes[i].item() for i, lr in enumerate(lrs)}}


# --------------------------------------------------------------------------------------
# How accurate are finite differences?
# --------------------------------------------------------------------------------------

def finite_difference_errors(hs, dtype=torch.float64, x0: float = 0.7) -> dict:
    """Relative error of one-sided and centred differences of f(x) = exp(x) sin(3x).

    For each step h in ``hs`` the derivative at ``x0`` is estimated in ``dtype``
    by (f(x+h) - f(x)) / h and by (f(x+h) - f(x-h)) / (2h) and compared with the
    exact derivative exp(x) (sin(3x) + 3 cos(3x)) computed in float64.
    """
    def f(t):
        return torch.exp(t) * torch.sin(3 * t)

    steps = torch.tensor(list(hs), dtype=dtype)
    x = torch.full_like(steps, x0)
    exact = math.exp(x0) * (math.sin(3 * x0) + 3 * math.cos(3 * x0))
    one_sided = (f(x + steps) - f(x)) / steps
    centred = (f(x + steps) - f(x - steps)) / (2 * steps)
    rel = lambda est: ((est.double() - exact).abs() / abs(exact)).tolist()  # noqa: E731
    return {"h": [float(s) for s in steps.double()], "forward": rel(one_sided),
            "central": rel(centred)}


# --------------------------------------------------------------------------------------
# A payoff for a scalar autograd engine: train a tiny MLP with it
# --------------------------------------------------------------------------------------

XOR_INPUTS = [(-1.0, -1.0), (-1.0, 1.0), (1.0, -1.0), (1.0, 1.0)]
XOR_TARGETS = [-1.0, 1.0, 1.0, -1.0]   # +1 when exactly one input is +1: not linearly separable


def train_value_mlp(Value, hidden: int = 4, steps: int = 100, lr: float = 0.05,
                    seed: int = 0, record_every: int = 10) -> dict:
    """Train a 2-``hidden``-1 tanh network built from scalar ``Value`` nodes on XOR.

    ``Value`` is any engine with Chapter 2's interface: ``Value(number)``, ``+`` and ``*``
    (numbers allowed on either side), ``.tanh()``, ``.backward()``, ``.data`` and ``.grad``.
    The loss is the summed squared error over the four points; each step builds a fresh
    graph, calls ``backward()`` on the loss, moves every parameter by ``-lr * grad`` and
    zeroes the gradients. Returns the loss every ``record_every`` steps (and after the last),
    the predictions before and after training, and the number of nodes in one step's graph.
    """
    rng = random.Random(seed)
    w_in = [[Value(rng.uniform(-1, 1)) for _ in range(hidden)] for _ in range(2)]
    b_in = [Value(0.0) for _ in range(hidden)]
    w_out = [Value(rng.uniform(-1, 1)) for _ in range(hidden)]
    b_out = Value(0.0)
    params = [w for row in w_in for w in row] + b_in + w_out + [b_out]

    def predict(x):
        units = []
        for j in range(hidden):
            pre = b_in[j]
            for i in range(2):
                pre = pre + w_in[i][j] * x[i]
            units.append(pre.tanh())
        out = b_out
        for j in range(hidden):
            out = out + w_out[j] * units[j]
        return out.tanh()

    before = [predict(x).data for x in XOR_INPUTS]
    history = []
    for step in range(steps + 1):
        loss = Value(0.0)
        for x, t in zip(XOR_INPUTS, XOR_TARGETS):
            miss = predict(x) + (-t)
            loss = loss + miss * miss
        if step % record_every == 0 or step == steps:
            history.append((step, loss.data))
        if step == steps:
            break
        loss.backward()
        for p in params:
            p.data -= lr * p.grad
            p.grad = 0.0
    return {"loss": history, "before": before, "after": [predict(x).data for x in XOR_INPUTS],
            "graph_size": _count_nodes(loss)}


def _count_nodes(root) -> int:
    """Number of distinct nodes reachable from ``root`` through ``_prev``."""
    seen, stack = set(), [root]
    while stack:
        node = stack.pop()
        if id(node) not in seen:
            seen.add(id(node))
            stack.extend(node._prev)
    return len(seen)
