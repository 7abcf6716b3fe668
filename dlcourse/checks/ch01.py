"""Public checks of Chapter 1 (deep-learning basics).

Every check compares the student's code with PyTorch's own function on generated
inputs (several shapes and seeds, batch size 1, non-square shapes, zeros, negative
and very large values) or, where PyTorch has no such function (the perceptron), with
hand-worked updates and with the perceptron convergence theorem.
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
        out = net(X)
        info["requires_grad"] = bool(out.requires_grad)
        info["output"] = out.detach()
    return info


# --- 1.1 dense layer ---------------------------------------------------------------------

@exercise("ch01_dense", target="dense", title="A dense layer")
def check_dense(run):
    cases = [(0, 1, 3, 2), (1, 5, 4, 4), (2, 7, 3, 6), (3, 2, 10, 1)]
    for seed, n, d_in, d_out in cases:
        X = _randn(seed, n, d_in)
        W = _randn(seed + 100, d_in, d_out)
        b = _randn(seed + 200, d_out)
        expect_close(run(call, X, W, b), F.linear(X, W.T, b),
                     f"dense(X, W, b) with X {tuple(X.shape)}, W {tuple(W.shape)}")
    X = _randn(5, 3, 2, dtype=torch.float64)
    W = _randn(6, 2, 5, dtype=torch.float64)
    b = torch.zeros(5, dtype=torch.float64)
    expect_close(run(call, X, W, b), F.linear(X, W.T, b), "dense in float64 with a zero bias")


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


def _expect_perceptron(got, expected, what):
    if not (isinstance(got, (tuple, list)) and len(got) == 3):
        raise CheckFailure(f"{what}: expected a tuple (w, b, n_mistakes), got {type(got).__name__}")
    w, b, n = got
    exp_w, exp_b, exp_n = expected
    expect_scalar(n, exp_n, f"{what}: number of mistakes")
    expect_close(w, exp_w, f"{what}: new w")
    expect_scalar(b, float(exp_b), f"{what}: new b", rtol=1e-5, atol=1e-5)


@exercise("ch01_perceptron", target="perceptron_epoch", title="The perceptron learning rule")
def check_perceptron(run):
    # Hand-worked: score 0 counts as +1, so this point is misclassified;
    # target - output = -1 - 1 = -2, hence w = 0 - 2 * [1, 2], b = 0 - 2.
    got = run(call, torch.zeros(2), torch.tensor(0.0), torch.tensor([[1.0, 2.0]]),
              torch.tensor([-1.0]), 1.0)
    _expect_perceptron(got, (torch.tensor([-2.0, -4.0]), torch.tensor(-2.0), 1),
                       "one point, w = 0, b = 0, lr = 1")
    # Hand-worked with a learning rate, two points, the second seen with updated weights:
    # point 1: score 0 -> output +1, target +1: correct, no change.
    # point 2: w and b are still 0, so score 0 -> output +1, target -1: a mistake;
    #          w = 0 + 0.5 * (-2) * [3, -1] = [-3, 1], b = 0 + 0.5 * (-2) = -1.
    got = run(call, torch.zeros(2), torch.tensor(0.0), torch.tensor([[1.0, 1.0], [3.0, -1.0]]),
              torch.tensor([1.0, -1.0]), 0.5)
    _expect_perceptron(got, (torch.tensor([-3.0, 1.0]), torch.tensor(-1.0), 1),
                       "two points, lr = 0.5")
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
        expect_close(got["sigmoid"], torch.sigmoid(x), f"sigmoid on {what}")
        expect_close(got["tanh"], torch.tanh(x), f"tanh on {what}")
        expect_close(got["relu"], F.relu(x), f"relu on {what}")
        expect_close(got["leaky_relu"], F.leaky_relu(x, slope),
                     f"leaky_relu(x, {slope}) on {what}")
        expect_close(got["leaky_relu_default"], F.leaky_relu(x, 0.01),
                     f"leaky_relu(x) with the default slope 0.01 on {what}")


# --- 1.4 softmax -------------------------------------------------------------------------

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
        expect_close(run(call, x), torch.softmax(x, dim=-1), f"softmax on {what}")


# --- 1.5 mean squared error --------------------------------------------------------------

@exercise("ch01_mse", target="mse", title="Mean squared error")
def check_mse(run):
    cases = [
        ("a single value", torch.tensor([2.5]), torch.tensor([-1.0])),
        ("10 values", _randn(0, 10), _randn(1, 10)),
        ("a (4, 3) batch", _randn(2, 4, 3), _randn(3, 4, 3)),
        ("a (2, 5, 1) batch with zeros", torch.zeros(2, 5, 1), _randn(4, 2, 5, 1)),
        ("float64 values", _randn(5, 6, 2, dtype=torch.float64),
         _randn(6, 6, 2, dtype=torch.float64)),
    ]
    for what, y_hat, y in cases:
        expect_close(run(call, y_hat, y), F.mse_loss(y_hat, y), f"mse on {what}")


# --- 1.6 cross-entropy -------------------------------------------------------------------

@exercise("ch01_cross_entropy", target="cross_entropy", title="Cross-entropy from logits")
def check_cross_entropy(run):
    gen = torch.Generator().manual_seed(0)
    cases = [
        ("batch size 1", _randn(0, 1, 3), torch.tensor([2])),
        ("a (5, 4) batch", _randn(1, 5, 4), torch.randint(0, 4, (5,), generator=gen)),
        ("a (8, 10) batch", _randn(2, 8, 10, scale=3.0), torch.randint(0, 10, (8,), generator=gen)),
        ("logits of magnitude ~1000", _randn(3, 6, 5, scale=1000.0),
         torch.randint(0, 5, (6,), generator=gen)),
        ("two classes, all targets 0", _randn(4, 4, 2), torch.zeros(4, dtype=torch.long)),
        ("float64 logits", _randn(5, 3, 7, dtype=torch.float64),
         torch.randint(0, 7, (3,), generator=gen)),
    ]
    for what, logits, target in cases:
        expect_close(run(call, logits, target), F.cross_entropy(logits, target),
                     f"cross_entropy on {what}", rtol=1e-5, atol=1e-5)


# --- 1.7 MLP -----------------------------------------------------------------------------

def _sequential_like(sizes, weights, biases) -> nn.Sequential:
    """The same network built from PyTorch layers, with the given weights."""
    layers: list[nn.Module] = [nn.Flatten()]
    for i, (w, b) in enumerate(zip(weights, biases)):
        if i:
            layers.append(nn.ReLU())
        lin = nn.Linear(w.shape[1], w.shape[0])
        with torch.no_grad():
            lin.weight.copy_(w)
            lin.bias.copy_(b)
        layers.append(lin)
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
                 f"{what}: weight shapes of the nn.Linear layers, in order")
    if not all(info["has_bias"]):
        raise CheckFailure(f"{what}: every nn.Linear layer needs a bias")
    expect_equal(info["n_params"], sum(w.numel() + b.numel() for w, b in zip(weights, biases)),
                 f"{what}: number of parameters")
    expected = _sequential_like(sizes, weights, biases)(X).detach()
    expect_close(info["output"], expected, f"{what}: output", rtol=1e-5, atol=1e-5)
    if not info["requires_grad"]:
        raise CheckFailure(f"{what}: the output must depend on the parameters through "
                           "autograd (no torch.no_grad or .detach() in forward)")


@exercise("ch01_mlp", target="MLP", title="An MLP module")
def check_mlp(run):
    for seed, sizes, batch_shape in [
        (0, [4, 3], (2, 4)),                 # no hidden layer: logistic regression
        (1, [5, 8, 3], (1, 5)),              # one hidden layer, batch size 1
        (2, [6, 16, 12, 4], (7, 6)),         # two hidden layers
        (3, [64, 32, 10], (3, 8, 8)),        # images are flattened first
    ]:
        weights, biases, X = mlp_case(seed, sizes, batch_shape)
        expect_mlp(run, sizes, weights, biases, X, f"MLP({sizes}) on input {batch_shape}")

# The catalogue of known mistakes: exercise -> mistake id -> what the misconception is.
MISTAKES = {
    "ch01_dense": {
        "multiplies_by_the_transposed_weight": "multiplies by the transposed weight (PyTorch's nn.Linear layout)",
        "forgets_the_bias": 'forgets the bias',
        "puts_the_weight_on_the_left": 'puts the weight on the left',
    },
    "ch01_perceptron": {
        "never_updates_the_bias": 'never updates the bias',
        "uses_torch_sign_so_a_score_of_exactly_0": 'uses torch.sign, so a score of exactly 0 gives output 0',
        "updates_in_the_wrong_direction_output": 'updates in the wrong direction (output - target)',
        "predicts_every_point_with_the_initial": 'predicts every point with the initial weights (batch update)',
        "forgets_the_learning_rate_in_the_bias": 'forgets the learning rate in the bias update',
    },
    "ch01_activations": {
        "tanh_from_its_textbook_formula_overflows": 'tanh from its textbook formula: overflows to NaN for large |x|',
        "sigmoid_with_the_wrong_sign_in_the": 'sigmoid with the wrong sign in the exponent',
        "leaky_relu_ignores_its_negative_slope": 'leaky_relu ignores its negative_slope argument',
        "leaky_relu_scales_the_positive_side": 'leaky_relu scales the positive side instead of the negative one',
    },
    "ch01_softmax": {
        "forgets_to_subtract_the_maximum": 'forgets to subtract the maximum (overflows)',
        "normalises_along_the_first_dimension": 'normalises along the first dimension',
        "subtracts_the_global_maximum_instead_of": "subtracts the global maximum instead of each row's",
    },
    "ch01_mse": {
        "sums_instead_of_averaging": 'sums instead of averaging',
        "mean_absolute_error_instead_of_squared": 'mean absolute error instead of squared',
        "squares_the_mean_error_instead_of": 'squares the mean error instead of averaging the squares',
    },
    "ch01_cross_entropy": {
        "log_of_a_naive_softmax_infinite_for": 'log of a naive softmax (infinite for large logits)',
        "sums_over_the_batch_instead_of_averaging": 'sums over the batch instead of averaging',
        "indexes_logits_target_an_n_x_n_block": 'indexes logits[:, target] (an N x N block) instead of one entry per row',
    },
    "ch01_mlp": {
        "a_relu_after_the_output_layer_too": 'a ReLU after the output layer too',
        "no_activation_between_the_layers_a": 'no activation between the layers (a linear model)',
        "forgets_to_flatten_the_input": 'forgets to flatten the input',
        "off_by_one_the_output_layer_is_missing": 'off by one: the output layer is missing',
        "sigmoid_instead_of_relu_in_the_hidden": 'sigmoid instead of ReLU in the hidden layers',
    },
}
