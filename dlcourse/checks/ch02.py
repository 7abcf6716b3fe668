"""Public checks of Chapter 2 (backpropagation).

Every expected value is computed here with ``torch.autograd`` (or from the
definition of the relative error), never copied from the reference solution.
"""
from __future__ import annotations

import math
import random

import torch

from dlcourse.checks import call, exercise
from dlcourse.compare import CheckFailure, expect_close, expect_scalar


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


# --------------------------------------------------------------------------------------
# Exercise 2.1 - backward pass of a sigmoid neuron
# --------------------------------------------------------------------------------------

def neuron_grads_autograd(x, w, b, grad_out):
    """dL/dx, dL/dw, dL/db by autograd, where L = sum(grad_out * sigmoid(x @ w + b))."""
    x, w, b = (t.detach().clone().requires_grad_(True) for t in (x, w, b))
    (torch.sigmoid(x @ w + b) * grad_out).sum().backward()
    return x.grad, w.grad, b.grad


def neuron_cases(seeds, shapes, dtype=torch.float64):
    """Random (x, w, b, grad_out) with x of each (N, D) shape; values may be negative."""
    for seed, (n, d) in zip(seeds, shapes):
        g = _gen(seed)
        x = 2 * torch.randn(n, d, generator=g, dtype=dtype)
        w = torch.randn(d, generator=g, dtype=dtype)
        b = torch.randn((), generator=g, dtype=dtype)
        grad_out = torch.randn(n, generator=g, dtype=dtype)
        yield x, w, b, grad_out


def expect_neuron_grads(got, x, w, b, grad_out, what):
    if not isinstance(got, (tuple, list)) or len(got) != 3:
        raise CheckFailure(f"{what}: expected a tuple (grad_x, grad_w, grad_b), got {got!r:.80}")
    exp = neuron_grads_autograd(x, w, b, grad_out)
    for name, g, e in zip(("grad_x", "grad_w", "grad_b"), got, exp):
        expect_close(g, e, f"{name} {what}")


@exercise("ch02_sigmoid_neuron_backward", target="sigmoid_neuron_backward",
          title="Backward pass of a sigmoid neuron")
def check_sigmoid_neuron_backward(run):
    # the worked example of the chapter, one sample
    x = torch.tensor([[-1.0, -2.0]], dtype=torch.float64)
    w = torch.tensor([2.0, -3.0], dtype=torch.float64)
    b = torch.tensor(-3.0, dtype=torch.float64)
    g1 = torch.ones(1, dtype=torch.float64)
    expect_neuron_grads(run(call, x, w, b, g1), x, w, b, g1, "for the worked example")
    # batches (N, D): N = 1, non-square, D = 1, float32 and float64
    shapes = [(1, 3), (6, 4), (9, 1), (3, 7)]
    for x, w, b, grad_out in neuron_cases([1, 2, 3, 4], shapes):
        expect_neuron_grads(run(call, x, w, b, grad_out), x, w, b, grad_out,
                            f"for x of shape {tuple(x.shape)}")
    for x, w, b, grad_out in neuron_cases([5], [(5, 3)], torch.float32):
        expect_neuron_grads(run(call, x, w, b, grad_out), x, w, b, grad_out,
                            "for float32 inputs of shape (5, 3)")
    # zero inputs: only the bias path carries gradient to w
    x = torch.zeros(4, 2, dtype=torch.float64)
    w = torch.tensor([0.5, -1.5], dtype=torch.float64)
    b = torch.tensor(0.0, dtype=torch.float64)
    go = torch.tensor([1.0, -2.0, 0.0, 3.0], dtype=torch.float64)
    expect_neuron_grads(run(call, x, w, b, go), x, w, b, go, "for x = 0")


# --------------------------------------------------------------------------------------
# Exercise 2.2 - forward and backward pass of a two-layer sigmoid network
# --------------------------------------------------------------------------------------

MLP_KEYS = ("loss", "V", "gamma", "W", "theta")


def mlp_params(seed: int, n: int, d: int, q: int, l: int, dtype=torch.float64, scale=1.0):
    """Random (X, Y, V, gamma, W, theta) for a d-q-l network and a batch of n rows."""
    g = _gen(seed)
    X = scale * torch.randn(n, d, generator=g, dtype=dtype)
    Y = torch.rand(n, l, generator=g, dtype=dtype)
    V = torch.randn(d, q, generator=g, dtype=dtype)
    gamma = torch.randn(q, generator=g, dtype=dtype)
    W = torch.randn(q, l, generator=g, dtype=dtype)
    theta = torch.randn(l, generator=g, dtype=dtype)
    return X, Y, V, gamma, W, theta


def mlp_autograd(X, Y, V, gamma, W, theta) -> dict:
    """The loss 0.5 * sum((y_hat - Y)^2) and its gradients, by torch.autograd."""
    params = [t.detach().clone().requires_grad_(True) for t in (V, gamma, W, theta)]
    Vg, gg, Wg, tg = params
    hidden = torch.sigmoid(X @ Vg + gg)
    y_hat = torch.sigmoid(hidden @ Wg + tg)
    loss = 0.5 * (y_hat - Y).pow(2).sum()
    grads = torch.autograd.grad(loss, params)
    return {"loss": loss.detach(), **dict(zip(MLP_KEYS[1:], grads))}


def expect_mlp(got, expected: dict, what: str) -> None:
    if not isinstance(got, dict):
        raise CheckFailure(f"{what}: expected a dict with keys {MLP_KEYS}, got "
                           f"{type(got).__qualname__}")
    missing = [k for k in MLP_KEYS if k not in got]
    if missing:
        raise CheckFailure(f"{what}: the dict lacks the keys {missing}")
    for key in MLP_KEYS:
        label = "loss" if key == "loss" else f"dE/d{key}"
        expect_close(got[key], expected[key], f"{label} {what}", rtol=1e-6, atol=1e-10)


def probe_mlp_inputs_unchanged(fn, *args) -> bool:
    """True when ``fn(*args)`` leaves its input tensors as they were."""
    before = [a.clone() for a in args]
    fn(*args)
    return all(torch.equal(a, b) for a, b in zip(args, before))


MLP_SHAPES = [(1, 2, 3, 1), (5, 4, 3, 2), (7, 3, 6, 4), (16, 8, 5, 3)]


@exercise("ch02_mlp_backward", target="mlp_forward_backward",
          title="Backpropagation through a two-layer sigmoid network")
def check_mlp_backward(run):
    for seed, (n, d, q, l) in enumerate(MLP_SHAPES):
        args = mlp_params(seed, n, d, q, l)
        expect_mlp(run(call, *args), mlp_autograd(*args),
                   f"for n={n} samples, d={d} inputs, q={q} hidden, l={l} outputs")
    # zero inputs: the hidden layer then sees only its biases
    X, Y, V, gamma, W, theta = mlp_params(10, 3, 4, 2, 3)
    X = torch.zeros_like(X)
    expect_mlp(run(call, X, Y, V, gamma, W, theta), mlp_autograd(X, Y, V, gamma, W, theta),
               "for X = 0")


# --------------------------------------------------------------------------------------
# Exercise 2.3 - finite-difference gradient checking
# --------------------------------------------------------------------------------------

def _fixed_matrix(rows: int, cols: int) -> torch.Tensor:
    return torch.randn(rows, cols, generator=_gen(1234), dtype=torch.float64)


def _tanh_net(x):
    A = _fixed_matrix(5, x.shape[0])
    return torch.tanh(A @ x).pow(2).sum()


# Scalar functions of a float64 tensor; probes refer to them by name.
GRAD_CHECK_FUNCTIONS = {
    "square_sum": lambda x: (x * x).sum(),
    "exp3": lambda x: torch.exp(3 * x).sum(),
    "sin_prod": lambda x: (torch.sin(x) * x.flatten()[0]).sum() + x.pow(3).sum(),
    "logsumexp": lambda x: torch.logsumexp(x.flatten(), dim=0),
    "tanh_net": _tanh_net,
}


def probe_grad_check(grad_check, fname: str, x: torch.Tensor, grad: torch.Tensor, h: float):
    """Run the student's checker on a named function; return (numerical_grad, rel_error)."""
    result = grad_check(GRAD_CHECK_FUNCTIONS[fname], x, grad, h)
    if isinstance(result, (tuple, list)) and len(result) == 2:
        num, rel = result
        if isinstance(rel, torch.Tensor) and rel.numel() == 1:
            rel = rel.item()
        return num, rel
    return "not a pair"


def true_gradient(fname: str, x: torch.Tensor) -> torch.Tensor:
    """The gradient of a named function at x, by autograd."""
    xg = x.detach().clone().requires_grad_(True)
    GRAD_CHECK_FUNCTIONS[fname](xg).backward()
    return xg.grad


def relative_error_of(analytic: torch.Tensor, numerical: torch.Tensor) -> float:
    """max_i |a_i - n_i| / max(|a_i|, |n_i|, 1e-8), the definition used in the chapter."""
    scale = torch.stack([analytic.abs(), numerical.abs(),
                         torch.full_like(analytic, 1e-8)]).amax(dim=0)
    return ((analytic - numerical).abs() / scale).max().item()


def expect_pair(got, what):
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        raise CheckFailure(f"{what}: expected grad_check to return a pair "
                           "(numerical_gradient, relative_error)")
    return got


def grad_check_case(run, fname, x, grad, h, what, grad_rtol=1e-6):
    """Run one case; the numerical gradient must match autograd and the error its definition."""
    num, rel = expect_pair(run(probe_grad_check, fname, x, grad, h), what)
    expect_close(num, true_gradient(fname, x), f"numerical gradient {what}", rtol=grad_rtol,
                 atol=1e-8)
    expect_scalar(rel, relative_error_of(grad, num), f"relative error {what}", rtol=1e-6,
                  atol=1e-13)
    return rel


@exercise("ch02_grad_check", target="grad_check",
          title="A finite-difference gradient checker")
def check_grad_check(run):
    cases = [("square_sum", (3,), 0), ("sin_prod", (2, 3), 1), ("logsumexp", (1,), 2),
             ("tanh_net", (4,), 3), ("exp3", (5,), 4)]
    for fname, shape, seed in cases:
        x = torch.randn(shape, generator=_gen(seed), dtype=torch.float64)
        what = f"for {fname} at x of shape {shape}"
        rel = grad_check_case(run, fname, x, true_gradient(fname, x), 1e-5, what)
        if not rel < 1e-6:
            raise CheckFailure(f"relative error {what}: a correct gradient should give an error "
                               f"below 1e-6, got {rel:.3g}")
    # zero gradient entries: 0 / 0 must not give NaN
    x = torch.tensor([0.0, 1.5, 0.0, -2.0], dtype=torch.float64)
    rel = grad_check_case(run, "square_sum", x, true_gradient("square_sum", x), 1e-5,
                          "for square_sum at x with zeros")
    # a large step: the centred difference is still accurate, the one-sided one is not
    x = torch.linspace(-0.5, 0.8, 4, dtype=torch.float64)
    grad_check_case(run, "exp3", x, true_gradient("exp3", x), 1e-3,
                    "for exp(3x) with h = 1e-3 (centred differences?)", grad_rtol=1e-4)
    # wrong analytic gradients must be reported
    x = torch.randn(2, 3, generator=_gen(7), dtype=torch.float64)
    good = true_gradient("sin_prod", x)
    bad = good.clone()
    bad[1, 2] += 0.3
    for label, wrong in [("one wrong entry", bad), ("the wrong sign", -good)]:
        rel = grad_check_case(run, "sin_prod", x, wrong, 1e-5, f"for a gradient with {label}")
        if not rel > 1e-2:
            raise CheckFailure(f"a gradient with {label} should give a relative error above "
                               f"1e-2, got {rel:.3g}")


# --------------------------------------------------------------------------------------
# Exercise 2.4 - a scalar autograd engine
# --------------------------------------------------------------------------------------

def random_program(seed: int, n_leaves: int = 4, n_ops: int = 12):
    """A random expression graph: leaf values and a list of operations on earlier nodes.

    Nodes are numbered leaves first; every operation appends one node. Operands are
    drawn from all earlier nodes, so nodes are reused (and sometimes squared), which
    exercises gradient accumulation. Values are kept small so exp never overflows.
    """
    rng = random.Random(seed)
    vals = [rng.uniform(-1.5, 1.5) for _ in range(n_leaves)]
    ops = []
    while len(ops) < n_ops:
        kind = rng.choice(["add", "mul", "addc", "mulc", "exp", "tanh", "mul", "add"])
        i = rng.randrange(len(vals)) if rng.random() < 0.5 else len(vals) - 1 - rng.randrange(
            min(3, len(vals)))
        j = rng.randrange(len(vals))
        c = round(rng.uniform(-2.0, 2.0), 3)
        left = rng.random() < 0.5
        a, b = vals[i], vals[j]
        new = {"add": a + b, "mul": a * b, "addc": a + c, "mulc": a * c,
               "exp": math.exp(min(a, 50.0)), "tanh": math.tanh(a)}[kind]
        if abs(new) > 4.0:
            continue
        ops.append((kind, i, j, c, left))
        vals.append(new)
    # the output adds the last three nodes, so several branches meet at the end
    n = len(vals)
    ops.append(("add", n - 1, n - 2, 0.0, False))
    ops.append(("add", n, n - 3, 0.0, False))
    return vals[:n_leaves], ops


def run_program(leaves: list, ops) -> list:
    """Evaluate a program on leaf objects (Value or 0-d tensors); return all nodes."""
    nodes = list(leaves)
    for kind, i, j, c, left in ops:
        a, b = nodes[i], nodes[j]
        if kind == "add":
            out = a + b
        elif kind == "mul":
            out = a * b
        elif kind == "addc":
            out = c + a if left else a + c
        elif kind == "mulc":
            out = c * a if left else a * c
        elif kind == "exp":
            out = a.exp()
        else:
            out = a.tanh()
        nodes.append(out)
    return nodes


def probe_value_program(Value, seed: int, n_leaves: int, n_ops: int) -> dict:
    """Build a random graph from Value objects, call backward() on its output.

    Returns the value of every node and the gradient of every leaf as float64 tensors.
    """
    leaf_vals, ops = random_program(seed, n_leaves, n_ops)
    leaves = [Value(v) for v in leaf_vals]
    nodes = run_program(leaves, ops)
    nodes[-1].backward()
    return {"data": torch.tensor([float(n.data) for n in nodes], dtype=torch.float64),
            "grad": torch.tensor([float(v.grad) for v in leaves], dtype=torch.float64)}


def torch_program(seed: int, n_leaves: int, n_ops: int) -> dict:
    """The same graph as :func:`probe_value_program`, evaluated by PyTorch in float64."""
    leaf_vals, ops = random_program(seed, n_leaves, n_ops)
    leaves = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in leaf_vals]
    nodes = run_program(leaves, ops)
    grads = torch.autograd.grad(nodes[-1], leaves, allow_unused=True)
    grads = [torch.zeros((), dtype=torch.float64) if g is None else g for g in grads]
    return {"data": torch.stack([n.detach() for n in nodes]), "grad": torch.stack(grads)}


def probe_value_basics(Value) -> dict:
    """Attributes of fresh nodes, and x * x and 2 + 3 * x with backward()."""
    x = Value(1.5)
    out = {"fresh": torch.tensor([float(x.data), float(x.grad)], dtype=torch.float64)}
    sq = x * x
    sq.backward()
    y = Value(-0.5)
    z = 2 + 3 * y
    z.backward()
    out["square"] = torch.tensor([float(sq.data), float(sq.grad), float(x.grad)],
                                 dtype=torch.float64)
    out["affine"] = torch.tensor([float(z.data), float(y.grad)], dtype=torch.float64)
    return out


def expect_value_program(got, seed, n_leaves, n_ops, what):
    exp = torch_program(seed, n_leaves, n_ops)
    expect_close(got["data"], exp["data"], f"values of the nodes {what}")
    expect_close(got["grad"], exp["grad"], f"gradients of the leaves {what}")


@exercise("ch02_value", target="Value", title="A tiny autograd engine")
def check_value(run):
    got = run(probe_value_basics)
    expect_close(got["fresh"], torch.tensor([1.5, 0.0], dtype=torch.float64),
                 "Value(1.5): [data, grad] before any backward()")
    x = torch.tensor(1.5, dtype=torch.float64, requires_grad=True)
    (x * x).backward()
    expect_close(got["square"], torch.tensor([2.25, 1.0, x.grad.item()], dtype=torch.float64),
                 "s = x * x at x = 1.5: [s.data, s.grad, x.grad] after s.backward()")
    y = torch.tensor(-0.5, dtype=torch.float64, requires_grad=True)
    z = 2 + 3 * y
    z.backward()
    expect_close(got["affine"], torch.tensor([z.item(), y.grad.item()], dtype=torch.float64),
                 "z = 2 + 3 * y at y = -0.5: [z.data, y.grad]")
    for seed, n_leaves, n_ops in [(0, 2, 6), (1, 3, 10), (2, 4, 16), (3, 5, 25), (4, 1, 8)]:
        got = run(probe_value_program, seed, n_leaves, n_ops)
        expect_value_program(got, seed, n_leaves, n_ops,
                             f"of random expression #{seed} ({n_leaves} inputs, "
                             f"{n_ops + 2} operations)")


# The catalogue of known mistakes: exercise -> mistake id -> what the misconception is.
MISTAKES = {
    "ch02_sigmoid_neuron_backward": {
        "forgets_the_sigmoid_s_local_gradient_s_1": "forgets the sigmoid's local gradient s(1-s)",
        "evaluates_the_sigmoid_derivative_at_z": 'evaluates the sigmoid derivative at z instead of at sigmoid(z)',
        "does_not_sum_the_bias_gradient_over_the": 'does not sum the bias gradient over the batch',
        "ignores_the_upstream_gradient_assumes_dl": 'ignores the upstream gradient (assumes dL/ds = 1)',
    },
    "ch02_mlp_backward": {
        "forgets_the_hidden_sigmoid_s_derivative": "forgets the hidden sigmoid's derivative b_h(1-b_h) in e_h",
        "wrong_sign_returns_the_update_direction": 'wrong sign: returns the update direction +g b instead of the gradient -g b',
        "averages_the_bias_gradients_over_the": 'averages the bias gradients over the batch instead of summing',
        "drops_the_factor_1_2_in_the_loss": 'drops the factor 1/2 in the loss',
    },
    "ch02_grad_check": {
        "uses_one_sided_forward_differences": 'uses one-sided (forward) differences',
        "divides_the_centred_difference_by_h": 'divides the centred difference by h instead of 2h',
        "forgets_to_restore_x_after_perturbing_an": 'forgets to restore x after perturbing an entry',
        "relative_error_without_a_floor_0_0_gives": 'relative error without a floor: 0/0 gives NaN where both gradients vanish',
        "reports_the_mean_instead_of_the_largest": 'reports the mean instead of the largest relative error',
    },
    "ch02_value": {
        "overwrites_gradients_instead_of": 'overwrites gradients (=) instead of accumulating them (+=)',
        "recursive_backward_without_a_topological": 'recursive backward without a topological order (shared nodes propagate twice)',
        "tanh_derivative_written_as_1_tanh": 'tanh derivative written as 1 - tanh instead of 1 - tanh^2',
        "exp_derivative_evaluated_as_the_input": 'exp derivative evaluated as the input instead of e^input',
        "forgets_to_seed_the_output_gradient_with": 'forgets to seed the output gradient with 1',
    },
}
