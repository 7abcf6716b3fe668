"""Public checks of Chapter 1 (deep-learning basics).

Every check compares the student's code with PyTorch's own function on generated
inputs (several shapes and seeds, batch size 1, non-square shapes, zeros, negative
and very large values) or, where PyTorch has no such function (the perceptron), with
hand-worked updates and with the perceptron convergence theorem.

Where a catalogued mistake (``MISTAKES`` at the end) has a result that PyTorch or a hand-worked
example gives, the check passes it as a variant, so the verdict names the misconception. The
first failing case decides, so each check starts with inputs on which the catalogued mistakes
all give different results.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from dlcourse.checks import call, exercise
from dlcourse.compare import CheckFailure, expect_close, expect_equal, expect_scalar


def _randn(seed: int, *shape, scale: float = 1.0, dtype=torch.float32) -> torch.Tensor:
    return scale * torch.randn(*shape, generator=torch.Generator().manual_seed(seed),
                               dtype=dtype)


def _same_result(got, variant) -> bool:
    """``got`` equals a mistake's result, NaN for NaN (an overflow leaves a pattern of NaNs)."""
    return (isinstance(got, torch.Tensor) and got.shape == variant.shape
            and got.dtype == variant.dtype
            and torch.allclose(got.detach().cpu(), variant.cpu(), rtol=1e-5, atol=1e-6,
                               equal_nan=True))


def _expect(got, expected, what: str, mistakes: dict | None = None, **tolerance) -> None:
    """``expect_close`` that also names a mistake whose result holds NaNs (which
    ``expect_close`` never counts as equal)."""
    try:
        expect_close(got, expected, what, mistakes=mistakes, **tolerance)
    except CheckFailure as exc:
        if exc.mistake is None:
            exc.mistake = next((m for m, v in (mistakes or {}).items() if _same_result(got, v)),
                               None)
        raise


# --- probes (run where the student's code lives; return plain data only) ----------------

def probe_activations(ns, x: torch.Tensor, slope: float) -> dict:
    """Apply the four activations of the exercise to ``x``."""
    return {
        "sigmoid": ns.sigmoid(x.clone()),
        "tanh": ns.tanh(x.clone()),
        "relu": ns.relu(x.clone()),
        "leaky_relu": ns.leaky_relu(x.clone(), slope),
        "leaky_relu_default": ns.leaky_relu(x.clone()),
    }


def probe_perceptron_training(perceptron_epoch, w, b, X, y, lr, max_epochs) -> dict:
    """Run ``perceptron_epoch`` until an epoch has no mistake (or ``max_epochs``)."""
    mistakes = []
    for _ in range(max_epochs):
        w, b, n = perceptron_epoch(w, b, X, y, lr)
        mistakes.append(int(n))
        if int(n) == 0:
            break
    return {"w": w, "b": b, "mistakes": mistakes}


def probe_mlp(MLP, sizes, weights, biases, X) -> dict:
    """Build ``MLP(sizes)``, describe its structure, load the given weights into its
    linear layers (in the order they were registered) and run it on ``X``."""
    torch.manual_seed(0)
    net = MLP(list(sizes))
    if not isinstance(net, nn.Module):
        return {"is_module": False}
    linears = [m for m in net.modules() if isinstance(m, nn.Linear)]
    info = {
        "is_module": True,
        "n_params": sum(p.numel() for p in net.parameters()),
        "linear_shapes": [list(m.weight.shape) for m in linears],
        "has_bias": [m.bias is not None for m in linears],
    }
    shapes_ok = (len(linears) == len(weights)
                 and all(list(m.weight.shape) == list(w.shape) for m, w in zip(linears, weights))
                 and all(m.bias is not None for m in linears))
    if shapes_ok:
        with torch.no_grad():
            for m, w, b in zip(linears, weights, biases):
                m.weight.copy_(w)
                m.bias.copy_(b)
        try:
            out = net(X)
        except RuntimeError as exc:  # a shape mismatch: the check says where, and names it
            info["forward_error"] = type(exc).__name__
            return info
        info["requires_grad"] = bool(out.requires_grad)
        info["output"] = out.detach()
    return info


# --- 1.1 dense layer ---------------------------------------------------------------------

@exercise("ch01_dense", target="dense", title="A dense layer")
def check_dense(run):
    # a square W first: there X W^T (nn.Linear's layout) has the right shape, so it can be named
    cases = [(1, 5, 4, 4), (0, 1, 3, 2), (2, 7, 3, 6), (3, 2, 10, 1)]
    for seed, n, d_in, d_out in cases:
        X = _randn(seed, n, d_in)
        W = _randn(seed + 100, d_in, d_out)
        b = _randn(seed + 200, d_out)
        mistakes = {"bias_missing": F.linear(X, W.T)}
        if d_in == d_out:
            mistakes["transposed_weight"] = F.linear(X, W, b)
        _expect(run(call, X, W, b), F.linear(X, W.T, b),
                f"dense(X, W, b) with X {tuple(X.shape)}, W {tuple(W.shape)}", mistakes)
    X = _randn(5, 3, 2, dtype=torch.float64)
    W = _randn(6, 2, 5, dtype=torch.float64)
    b = torch.zeros(5, dtype=torch.float64)
    _expect(run(call, X, W, b), F.linear(X, W.T, b), "dense in float64 with a zero bias")


# --- 1.2 perceptron ----------------------------------------------------------------------

def _perceptron_reference(w, b, X, y, lr):
    """The same rule, written in its mistake-driven form: on a mistake the update is
    ``2 * lr * y_i * x_i`` (since target - output = 2 y_i then)."""
    w = w.detach().clone()
    b = b.detach().clone()
    errors = 0
    for xi, yi in zip(X, y):
        predicted_positive = bool((xi @ w + b) >= 0)
        if predicted_positive != bool(yi > 0):
            errors += 1
            w += 2 * lr * yi * xi
            b += 2 * lr * yi
    return w, b, errors


def _expect_perceptron(got, expected, what, mistakes: dict | None = None):
    """Compare ``(w, b, n_mistakes)`` with ``expected``; on a failure, name the catalogued
    mistake whose whole result ``got`` reproduces."""
    if not (isinstance(got, (tuple, list)) and len(got) == 3):
        raise CheckFailure(f"{what}: expected a tuple (w, b, n_mistakes), got {type(got).__name__}")
    try:
        _expect_perceptron_values(got, expected, what)
    except CheckFailure as exc:
        for mistake, variant in (mistakes or {}).items():
            try:
                _expect_perceptron_values(got, variant, what)
            except CheckFailure:
                continue
            exc.mistake = mistake
            break
        raise


def _expect_perceptron_values(got, expected, what):
    w, b, n = got
    exp_w, exp_b, exp_n = expected
    expect_scalar(n, exp_n, f"{what}: number of mistakes")
    expect_close(w, torch.as_tensor(exp_w, dtype=torch.float32), f"{what}: new w")
    expect_scalar(b, float(exp_b), f"{what}: new b", rtol=1e-5, atol=1e-5)


@exercise("ch01_perceptron", target="perceptron_epoch", title="The perceptron learning rule")
def check_perceptron(run):
    # Hand-worked, lr = 0.5, w = 0, b = 0, two points:
    # point 1, x = (1, 1), y = +1: score 0 counts as +1, correct, no change.
    # point 2, x = (3, -1), y = -1: w and b are still 0, so score 0 -> output +1, a mistake;
    #   y - output = -2: w = 0.5 * (-2) * (3, -1) = (-3, 1), b = 0.5 * (-2) = -1.
    # The catalogued mistakes, worked the same way (w, b, number of mistakes):
    # - bias never updated: b stays 0.
    # - torch.sign (output 0 at score 0): point 1 counts as a mistake and moves w, b by
    #   0.5 * (1 - 0) = 0.5 to (0.5, 0.5), 0.5; point 2 then scores 1.5 -> +1, a mistake:
    #   w = (0.5, 0.5) - (3, -1) = (-2.5, 1.5), b = 0.5 - 1 = -0.5; 2 mistakes.
    # - output - target: point 2 moves w, b by +1 * (3, -1) and +1: (3, -1), 1.
    # - no learning rate in the bias step: b = -2.
    # - step lr * y * x without the factor (y - output): w = -0.5 * (3, -1), b = -0.5.
    # - scikit-learn's convention (a mistake when y * score <= 0, step lr * y * x): point 1 is
    #   a mistake: w = (0.5, 0.5), b = 0.5; point 2 scores 1.5, a mistake:
    #   w = (0.5, 0.5) - 0.5 * (3, -1) = (-1, 1), b = 0; 2 mistakes.
    got = run(call, torch.zeros(2), torch.tensor(0.0), torch.tensor([[1.0, 1.0], [3.0, -1.0]]),
              torch.tensor([1.0, -1.0]), 0.5)
    _expect_perceptron(got, ([-3.0, 1.0], -1.0, 1), "two points, lr = 0.5", {
        "bias_not_updated": ([-3.0, 1.0], 0.0, 1),
        "sign_of_zero_is_zero": ([-2.5, 1.5], -0.5, 2),
        "update_against_the_error": ([3.0, -1.0], 1.0, 1),
        "learning_rate_missing_in_bias": ([-3.0, 1.0], -2.0, 1),
        "step_without_error_factor": ([-1.5, 0.5], -0.5, 1),
        "textbook_zero_score_convention": ([-1.0, 1.0], 0.0, 2),
    })
    # Hand-worked, lr = 1, w = 0, b = 0: x = (1, 0) with y = -1, then x = (2, 0) with y = +1.
    # Point 1 scores 0 -> +1, a mistake: w = -2 * (1, 0) = (-2, 0), b = -2. Point 2 is scored
    # with these weights: -4 - 2 = -6 -> -1, a mistake: w = (-2, 0) + 2 * (2, 0) = (2, 0),
    # b = 0; 2 mistakes. Scoring both points with the initial weights (a batch update) finds
    # only the first mistake: (-2, 0), -2, 1 mistake.
    got = run(call, torch.zeros(2), torch.tensor(0.0), torch.tensor([[1.0, 0.0], [2.0, 0.0]]),
              torch.tensor([-1.0, 1.0]), 1.0)
    _expect_perceptron(got, ([2.0, 0.0], 0.0, 2), "two points on a line, lr = 1",
                       {"batch_update": ([-2.0, 0.0], -2.0, 1)})
    # Hand-worked: score 0 counts as +1, so this point is misclassified;
    # target - output = -1 - 1 = -2, hence w = 0 - 2 * [1, 2], b = 0 - 2.
    got = run(call, torch.zeros(2), torch.tensor(0.0), torch.tensor([[1.0, 2.0]]),
              torch.tensor([-1.0]), 1.0)
    _expect_perceptron(got, ([-2.0, -4.0], -2.0, 1), "one point, w = 0, b = 0, lr = 1")
    # Sequential updates on random data (order matters), several learning rates.
    for seed, n, d, lr in [(0, 10, 3, 1.0), (1, 25, 2, 0.1), (2, 1, 5, 0.3)]:
        X = _randn(seed, n, d)
        y = torch.where(_randn(seed + 50, n) > 0, 1.0, -1.0)
        w, b = _randn(seed + 7, d), torch.tensor(0.2)
        got = run(call, w, b, X, y, lr)
        _expect_perceptron(got, _perceptron_reference(w, b, X, y, lr),
                           f"one epoch on {n} random points in {d}-D, lr = {lr}")
    # Linearly separable data: the perceptron must reach an epoch without mistakes.
    X = _randn(3, 40, 2)
    true_w, true_b = torch.tensor([1.5, -2.0]), torch.tensor(0.3)
    score = X @ true_w + true_b
    keep = score.abs() > 0.3  # a margin, so convergence is quick
    X, y = X[keep], torch.where(score[keep] > 0, 1.0, -1.0)
    out = run(probe_perceptron_training, torch.zeros(2), torch.tensor(0.0), X, y, 1.0, 100)
    if out["mistakes"][-1] != 0:
        raise CheckFailure(f"separable data: still {out['mistakes'][-1]} mistakes after "
                           f"{len(out['mistakes'])} epochs (the perceptron must converge)")
    pred = torch.where(X @ out["w"] + out["b"] >= 0, 1.0, -1.0)
    expect_close(pred, y, "separable data: predictions with the final w, b")


# --- 1.3 activations ---------------------------------------------------------------------

def _sigmoid_as_a_ratio(x: torch.Tensor) -> torch.Tensor:
    """``e^x / (1 + e^x)``, evaluated literally: NaN where ``e^x`` overflows."""
    return torch.exp(x) / (1 + torch.exp(x))


def _tanh_as_a_ratio(x: torch.Tensor) -> torch.Tensor:
    """``(e^x - e^-x) / (e^x + e^-x)``, evaluated literally: NaN where an exponential overflows."""
    return (torch.exp(x) - torch.exp(-x)) / (torch.exp(x) + torch.exp(-x))


@exercise("ch01_activations", target=("sigmoid", "tanh", "relu", "leaky_relu"),
          title="Activation functions")
def check_activations(run):
    inputs = [
        ("a vector with zeros", torch.tensor([-3.0, -1.0, 0.0, 0.0, 0.5, 2.0])),
        ("a (4, 7) matrix", _randn(0, 4, 7, scale=3.0)),
        ("a (2, 3, 5) tensor of large values (|x| up to ~300)", _randn(1, 2, 3, 5, scale=100.0)),
        ("float64 values", _randn(2, 3, 4, scale=5.0, dtype=torch.float64)),
        ("a single number", torch.tensor([-0.7])),
    ]
    for (what, x), slope in zip(inputs, [0.01, 0.2, 0.05, 0.3, 0.1]):
        got = run(probe_activations, x, slope)
        _expect(got["sigmoid"], torch.sigmoid(x), f"sigmoid on {what}", {
            "sigmoid_sign_flipped": torch.sigmoid(-x),
            "sigmoid_ratio_overflows": _sigmoid_as_a_ratio(x),
        })
        _expect(got["tanh"], torch.tanh(x), f"tanh on {what}", {
            "tanh_input_not_doubled": torch.tanh(x / 2),
            "tanh_ratio_overflows": _tanh_as_a_ratio(x),
        })
        expect_close(got["relu"], F.relu(x), f"relu on {what}")
        _expect(got["leaky_relu"], F.leaky_relu(x, slope), f"leaky_relu(x, {slope}) on {what}", {
            "leaky_relu_ignores_its_slope": F.leaky_relu(x, 0.01),
            "leaky_relu_scales_the_positive_side": torch.where(x < 0, x, slope * x),
        })
        expect_close(got["leaky_relu_default"], F.leaky_relu(x, 0.01),
                     f"leaky_relu(x) with the default slope 0.01 on {what}")


# --- 1.4 softmax -------------------------------------------------------------------------

def _exp_normalised(x: torch.Tensor, shift: torch.Tensor, total_dims) -> torch.Tensor:
    """``e^(x - shift)`` divided by its sum over ``total_dims``, evaluated literally."""
    e = torch.exp(x - shift)
    return e / e.sum(dim=total_dims, keepdim=True)


@exercise("ch01_softmax", target="softmax", title="A numerically stable softmax")
def check_softmax(run):
    cases = [
        ("a vector", torch.tensor([1.0, 2.0, 3.0, 0.0, -1.0])),
        ("a (1, 5) batch", _randn(0, 1, 5)),
        ("a (4, 10) batch", _randn(1, 4, 10, scale=3.0)),
        ("a (2, 3, 7) tensor", _randn(2, 2, 3, 7)),
        ("logits of magnitude ~1000", _randn(3, 3, 6, scale=1000.0)),
        ("float64 logits", _randn(4, 2, 5, scale=10.0, dtype=torch.float64)),
        ("equal logits", torch.full((2, 4), 7.0)),
    ]
    rows = _randn(5, 3, 5, scale=2.0)
    rows[1] -= 5000.0  # rows far apart: each needs its own maximum
    rows[2] += 3000.0
    cases.append(("rows whose logits differ by thousands", rows))
    for what, x in cases:
        every_axis = tuple(range(x.dim()))
        _expect(run(call, x), torch.softmax(x, dim=-1), f"softmax on {what}", {
            "normalised_along_the_first_axis": torch.softmax(x, dim=0),
            "no_max_shift": _exp_normalised(x, torch.zeros(()), -1),
            "one_maximum_for_the_whole_tensor": _exp_normalised(x, x.max(), -1),
            "normalised_over_the_whole_tensor": _exp_normalised(
                x, x.max(dim=-1, keepdim=True).values, every_axis),
        })


# --- 1.5 mean squared error --------------------------------------------------------------

@exercise("ch01_mse", target="mse", title="Mean squared error")
def check_mse(run):
    cases = [  # 10 values first: on a single value several of the mistakes coincide
        ("10 values", _randn(0, 10), _randn(1, 10)),
        ("a (4, 3) batch", _randn(2, 4, 3), _randn(3, 4, 3)),
        ("a single value", torch.tensor([2.5]), torch.tensor([-1.0])),
        ("a (2, 5, 1) batch with zeros", torch.zeros(2, 5, 1), _randn(4, 2, 5, 1)),
        ("float64 values", _randn(5, 6, 2, dtype=torch.float64),
         _randn(6, 6, 2, dtype=torch.float64)),
    ]
    for what, y_hat, y in cases:
        _expect(run(call, y_hat, y), F.mse_loss(y_hat, y), f"mse on {what}", {
            "sum_instead_of_mean": F.mse_loss(y_hat, y, reduction="sum"),
            "absolute_instead_of_squared": F.l1_loss(y_hat, y),
            "square_of_the_mean_error": (y_hat - y).mean() ** 2,
            "root_of_the_mean": F.mse_loss(y_hat, y).sqrt(),
            "mean_over_the_last_axis_only": F.mse_loss(y_hat, y, reduction="none").mean(dim=-1),
        })


# --- 1.6 cross-entropy -------------------------------------------------------------------

def _cross_entropy_mistakes(logits: torch.Tensor, target: torch.Tensor) -> dict:
    """What each catalogued cross-entropy mistake returns, from PyTorch's own functions."""
    log_p = F.log_softmax(logits, dim=1)
    literal_softmax = torch.exp(logits) / torch.exp(logits).sum(dim=1, keepdim=True)
    return {
        "sum_over_the_batch": F.cross_entropy(logits, target, reduction="sum"),
        "every_target_column_for_every_row": -log_p[:, target].mean(),
        "maximum_not_added_back": F.cross_entropy(logits, target) - logits.max(dim=1).values.mean(),
        "log_of_a_literal_softmax":
            -literal_softmax.log().gather(1, target[:, None]).mean(),
    }


@exercise("ch01_cross_entropy", target="cross_entropy", title="Cross-entropy from logits")
def check_cross_entropy(run):
    gen = torch.Generator().manual_seed(0)
    cases = [  # a batch first: with one sample, sum and mean (and the N x N block) coincide
        ("a (5, 4) batch", _randn(1, 5, 4), torch.randint(0, 4, (5,), generator=gen)),
        ("batch size 1", _randn(0, 1, 3), torch.tensor([2])),
        ("a (8, 10) batch", _randn(2, 8, 10, scale=3.0), torch.randint(0, 10, (8,), generator=gen)),
        ("logits of magnitude ~1000", _randn(3, 6, 5, scale=1000.0),
         torch.randint(0, 5, (6,), generator=gen)),
        ("two classes, all targets 0", _randn(4, 4, 2), torch.zeros(4, dtype=torch.long)),
        ("float64 logits", _randn(5, 3, 7, dtype=torch.float64),
         torch.randint(0, 7, (3,), generator=gen)),
    ]
    for what, logits, target in cases:
        _expect(run(call, logits, target), F.cross_entropy(logits, target),
                f"cross_entropy on {what}", _cross_entropy_mistakes(logits, target),
                rtol=1e-5, atol=1e-5)


# --- 1.7 MLP -----------------------------------------------------------------------------

def _sequential_like(sizes, weights, biases, activation=nn.ReLU, last_activation=False):
    """The same network built from PyTorch layers, with the given weights (``activation``
    between the layers, and after the last one too when ``last_activation``)."""
    layers: list[nn.Module] = [nn.Flatten()]
    for i, (w, b) in enumerate(zip(weights, biases)):
        if i and activation is not None:
            layers.append(activation())
        lin = nn.Linear(w.shape[1], w.shape[0])
        with torch.no_grad():
            lin.weight.copy_(w)
            lin.bias.copy_(b)
        layers.append(lin)
    if last_activation:
        layers.append(activation())
    return nn.Sequential(*layers)


def mlp_case(seed: int, sizes, batch_shape):
    """Random weights for ``sizes`` and an input of shape ``batch_shape``."""
    weights = [_randn(seed + i, n_out, n_in, scale=n_in ** -0.5)
               for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:]))]
    biases = [_randn(seed + 50 + i, w.shape[0], scale=0.5) for i, w in enumerate(weights)]
    return weights, biases, _randn(seed + 99, *batch_shape)


def expect_mlp(run, sizes, weights, biases, X, what: str) -> None:
    """Compare ``MLP(sizes)`` with the ``nn.Sequential`` equivalent."""
    info = run(probe_mlp, list(sizes), weights, biases, X)
    if not info["is_module"]:
        raise CheckFailure(f"{what}: MLP(sizes) must be an nn.Module")
    expected_shapes = [list(w.shape) for w in weights]
    expect_equal(info["linear_shapes"], expected_shapes,
                 f"{what}: weight shapes of the registered nn.Linear layers, in order",
                 mistakes={"layers_in_a_python_list": [],
                           "output_layer_missing": expected_shapes[:-1]})
    if not all(info["has_bias"]):
        raise CheckFailure(f"{what}: every nn.Linear layer needs a bias",
                           mistake="layers_without_bias")
    expect_equal(info["n_params"], sum(w.numel() + b.numel() for w, b in zip(weights, biases)),
                 f"{what}: number of parameters")
    if "forward_error" in info:
        raise CheckFailure(f"{what}: forward raised {info['forward_error']} on an input of shape "
                           f"{tuple(X.shape)}",
                           mistake="input_not_flattened" if X.dim() > 2 else None)
    expected = _sequential_like(sizes, weights, biases)(X).detach()
    _expect(info["output"], expected, f"{what}: output", {
        "relu_after_the_output_layer": _sequential_like(
            sizes, weights, biases, last_activation=True)(X).detach(),
        "no_activation_between_layers": _sequential_like(
            sizes, weights, biases, activation=None)(X).detach(),
        "sigmoid_in_the_hidden_layers": _sequential_like(
            sizes, weights, biases, activation=nn.Sigmoid)(X).detach(),
    }, rtol=1e-5, atol=1e-5)
    if not info["requires_grad"]:
        raise CheckFailure(f"{what}: the output must depend on the parameters through "
                           "autograd (no torch.no_grad or .detach() in forward)")


@exercise("ch01_mlp", target="MLP", title="An MLP module")
def check_mlp(run):
    for seed, sizes, batch_shape in [
        (1, [5, 8, 3], (1, 5)),              # one hidden layer, batch size 1
        (0, [4, 3], (2, 4)),                 # no hidden layer: logistic regression
        (2, [6, 16, 12, 4], (7, 6)),         # two hidden layers
        (3, [64, 32, 10], (3, 8, 8)),        # images are flattened first
    ]:
        weights, biases, X = mlp_case(seed, sizes, batch_shape)
        expect_mlp(run, sizes, weights, biases, X, f"MLP({sizes}) on input {batch_shape}")


# --- the catalogue of known mistakes ------------------------------------------------------
# exercise -> mistake id -> the misconception and the idea to revisit (never code). The grader
# holds an implementation of each (autograder/mistakes/ch01.py).

MISTAKES = {
    "ch01_dense": {
        "transposed_weight":
            "multiplied by the transpose of W. That is the layout of nn.Linear's weight "
            "(d_out, d_in), and of the column form W'x in papers; here W has shape "
            "(d_in, d_out), one column per neuron, and the samples are the rows of X, so "
            "Z = XW + b.",
        "bias_missing":
            "the bias is missing. Each neuron adds its own b_j to its weighted sum, so the "
            "vector b (one entry per neuron) is added to every row of XW.",
    },
    "ch01_perceptron": {
        "bias_not_updated":
            "the bias never changes. It is the weight of an input that is always 1, so it "
            "learns by the same rule: b <- b + lr (y_i - output_i).",
        "sign_of_zero_is_zero":
            "a score of exactly 0 gave the output 0 (the sign function's value at 0), which is "
            "neither class. In this course a score >= 0 means the output +1.",
        "update_against_the_error":
            "the update pushes the misclassified point further to the wrong side. The step is "
            "lr (target - output) x_i, which moves the point's score towards its label.",
        "batch_update":
            "every point was scored with the weights from the start of the epoch. The "
            "perceptron updates after each point, so a later point must be scored with the "
            "weights the earlier mistakes have already changed.",
        "learning_rate_missing_in_bias":
            "the learning rate scales the weight step but not the bias step. The learning rate "
            "multiplies both: b <- b + lr (y_i - output_i).",
        "step_without_error_factor":
            "the step is lr y_i x_i, the form of many texts, without the factor "
            "(y_i - output_i). That factor is 2 y_i on a mistake, so this course's steps are "
            "twice as long.",
        "textbook_zero_score_convention":
            "scikit-learn's convention: a point with y_i * score <= 0 counts as a mistake "
            "(so a score of exactly 0 is always wrong) and the step is lr y_i x_i. In this "
            "course a score of 0 means the output +1, and the step is lr (y_i - output_i) x_i.",
    },
    "ch01_activations": {
        "sigmoid_sign_flipped":
            "1 / (1 + e^x) is sigma(-x), the mirror image: the sigmoid 1 / (1 + e^-x) rises "
            "from 0 to 1 as x grows.",
        "sigmoid_ratio_overflows":
            "the sigmoid as e^x / (1 + e^x) gives inf / inf = NaN once e^x overflows (x above "
            "about 88.7 in float32). Written as 1 / (1 + e^-x), an overflow only divides 1 by "
            "infinity, which gives the correct limit 0.",
        "tanh_input_not_doubled":
            "2 sigma(x) - 1 is tanh(x / 2). The identity doubles the argument too: "
            "tanh(x) = 2 sigma(2x) - 1.",
        "tanh_ratio_overflows":
            "tanh as (e^x - e^-x) / (e^x + e^-x) gives inf / inf = NaN once |x| is above about "
            "88.7 (float32). Use a form in which an overflow only gives the limit +-1, such as "
            "2 sigma(2x) - 1.",
        "leaky_relu_ignores_its_slope":
            "leaky_relu uses a fixed slope instead of its negative_slope argument: the slope "
            "alpha is a parameter of the function (PReLU even learns it).",
        "leaky_relu_scales_the_positive_side":
            "the slope is applied to the positive inputs. Leaky ReLU is the identity for "
            "x >= 0 and multiplies only the negative inputs by alpha.",
    },
    "ch01_softmax": {
        "no_max_shift":
            "the exponentials overflow: e^z is inf in float32 once z is above about 88.7, and "
            "inf / inf is NaN. Subtracting a row's maximum from its logits leaves the softmax "
            "unchanged (softmax(z - c) = softmax(z)) and keeps every exponent <= 0.",
        "normalised_along_the_first_axis":
            "the softmax is normalised along the first axis. Each slice along the last axis "
            "(each row of logits, one per sample) is its own distribution and must sum to 1.",
        "one_maximum_for_the_whole_tensor":
            "one maximum is subtracted for the whole tensor. A row whose logits all lie far "
            "below it underflows to 0 / 0 = NaN; each row needs its own maximum.",
        "normalised_over_the_whole_tensor":
            "each entry is divided by the sum over the whole tensor. Each row is its own "
            "distribution: divide by that row's own sum.",
    },
    "ch01_mse": {
        "sum_instead_of_mean":
            "the squared errors are summed. The MSE is their mean (F.mse_loss's default "
            "reduction), so it does not grow with the number of entries.",
        "absolute_instead_of_squared":
            "this is the mean absolute error (the L1 loss): the MSE squares each difference "
            "instead of taking its absolute value.",
        "square_of_the_mean_error":
            "the mean error is squared, so positive and negative errors cancel first. Square "
            "each difference, then average.",
        "root_of_the_mean":
            "the square root is taken: that is the RMSE, in the units of y. The MSE is the mean "
            "of the squared differences, without a root.",
        "mean_over_the_last_axis_only":
            "the mean runs over the last axis only, which leaves one loss per sample. The MSE "
            "here is one number, the mean over all entries.",
    },
    "ch01_cross_entropy": {
        "log_of_a_literal_softmax":
            "the log of a softmax computed literally: e^z overflows for large logits "
            "(inf / inf = NaN) and a tiny probability underflows to 0 (log 0 = -inf). Use "
            "-log p_c = log sum_k e^(z_k) - z_c, with the maximum shifted out of the sum.",
        "sum_over_the_batch":
            "the losses of the samples are summed. F.cross_entropy averages them over the batch "
            "by default, so the loss does not grow with the batch size.",
        "every_target_column_for_every_row":
            "every row is paired with every target (an N x N block of logits). Each row needs "
            "one logit, the one in its own target's column.",
        "maximum_not_added_back":
            "the maximum is shifted out but not added back: "
            "log sum_k e^(z_k) = m + log sum_k e^(z_k - m), so without + m each sample's loss "
            "is off by its row's maximum.",
    },
    "ch01_mlp": {
        "relu_after_the_output_layer":
            "a ReLU follows the last layer too. The last layer outputs logits, which can be "
            "negative; the loss applies the softmax, so the output layer has no activation.",
        "no_activation_between_layers":
            "there is no activation between the layers. Stacked linear layers collapse into a "
            "single linear layer, so this MLP is no more than logistic regression.",
        "input_not_flattened":
            "the input is not flattened. nn.Linear acts on the last axis only, so an "
            "(N, 8, 8) batch must become (N, 64) first.",
        "output_layer_missing":
            "one layer short: sizes = [d_0, ..., d_L] describes L = len(sizes) - 1 layers, "
            "the last of which produces the logits.",
        "sigmoid_in_the_hidden_layers":
            "the hidden layers use the sigmoid. This exercise's MLP applies ReLU after every "
            "layer except the last.",
        "layers_in_a_python_list":
            "the layers are kept in a plain Python list, which nn.Module does not look into: "
            "they are missing from parameters(), so an optimizer would never train them. Keep "
            "them in an nn.ModuleList.",
        "layers_without_bias":
            "the layers have no bias (bias=False). Every layer of this MLP is a dense layer "
            "with a bias, like nn.Linear's default.",
    },
}
