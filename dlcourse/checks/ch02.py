"""Public checks of Chapter 2 (backpropagation).

Every expected value is computed here with ``torch.autograd`` (or from the definition of the
relative error), never copied from the reference solution. The results of the catalogued
mistakes (``MISTAKES``) that autograd can produce — another activation, a detached factor, a
sign, a factor, a transpose, a per-example bias — are passed to the comparisons, so the check
cell names the mistake an answer looks like.
"""
from __future__ import annotations

import math
import random

import torch

from dlcourse.checks import call, exercise
from dlcourse.compare import CheckFailure, expect_close, expect_scalar

# The catalogue of known mistakes: exercise -> mistake id -> the misconception and the idea to
# revisit. The grader holds an implementation of each (autograder/mistakes/ch02.py).
MISTAKES = {
    "ch02_sigmoid_neuron_backward": {
        "sigmoid_slope_missing":
            "the sigmoid's local gradient is missing: the gradient at the sigmoid's input is the "
            "upstream gradient times the slope h(1 - h) of that sample, h being the neuron's "
            "output (see 'The sigmoid and its derivative')",
        "slope_taken_at_z":
            "the sigmoid's slope is h(1 - h) with h = sigma(z), the neuron's output; z(1 - z), "
            "with the pre-activation z, is not the sigmoid's derivative",
        "upstream_gradient_ignored":
            "the upstream gradient grad_out is not used: the chain rule multiplies each sample's "
            "local gradient by the gradient arriving from above for that sample",
        "bias_gradient_not_summed":
            "the bias gradient must be one number: the bias is shared by all N samples, and a "
            "value used several times receives the sum of the gradients of its uses",
        "averaged_over_the_batch":
            "the weight and bias gradients are averaged over the batch: a shared parameter "
            "receives the sum of the samples' contributions (any 1/N belongs in the upstream "
            "gradient, not here)",
        "multiply_gate_not_swapped":
            "a multiply gate sends each factor the upstream gradient times the *other* factor: "
            "d(w_i x_ni)/dx_ni = w_i and d(w_i x_ni)/dw_i = x_ni",
    },
    "ch02_mlp_backward": {
        "loss_without_half":
            "the loss lacks the factor 1/2 of the contract: each example's loss is "
            "1/2 * sum over outputs of (y_hat - y)^2",
        "mean_over_examples":
            "the loss and the gradients are averaged over the N examples (PyTorch's default "
            "reduction='mean'); this exercise's L is the sum over the examples, as in the "
            "derivation",
        "gradient_sign_flipped":
            "the gradients have the wrong sign: the notes' g_j and e_h are minus the gradients "
            "(-dl/dz), the direction of the update; return the gradients themselves",
        "output_slope_missing":
            "the output sigmoid's slope y_hat(1 - y_hat) is missing from delta2 (Step 2: the "
            "error must pass the output sigmoid before it reaches W2)",
        "hidden_slope_missing":
            "the hidden sigmoid's slope h(1 - h) is missing from delta1 (Step 3: the error sent "
            "back through W2 must still pass the hidden sigmoid)",
        "bias_gradient_not_summed":
            "a bias gradient must have the shape of its bias: the biases are shared by all N "
            "examples, so their gradients sum the examples' deltas",
        "weight_gradient_transposed":
            "a weight gradient must have the shape of its weight, (d, q) for W1 and (q, K) for "
            "W2; nn.Linear stores its weight transposed, as (out, in), but these W are (in, out)",
    },
    "ch02_grad_check": {
        "one_sided_difference":
            "the numerical gradient is a one-sided difference, whose error shrinks only like h; "
            "the contract asks for the centred difference (f(x + h e_i) - f(x - h e_i)) / (2h), "
            "whose error shrinks like h^2",
        "centred_difference_over_h":
            "the centred difference spans a distance 2h, from x - h e_i to x + h e_i, so it is "
            "divided by 2h, not h (the estimate comes out twice too large)",
        "perturbation_not_undone":
            "each coordinate must be put back to its original value before the next one is "
            "perturbed; otherwise later estimates are taken at a shifted point",
        "no_floor_in_relative_error":
            "where both gradients are zero the ratio is 0/0 = NaN: the denominator "
            "max(|a_i|, |n_i|, 1e-8) has a floor for this reason",
        "mean_instead_of_max":
            "the relative error is the largest entry's error, not the mean: one wrong entry "
            "among many correct ones must still show",
        "sum_in_denominator":
            "the relative error divides by max(|a_i|, |n_i|, 1e-8), not by |a_i| + |n_i| (a "
            "common variant, which halves the error of a nearly correct gradient)",
        "absolute_error":
            "the error is not relative: divide each |a_i - n_i| by max(|a_i|, |n_i|, 1e-8), so "
            "that the verdict does not depend on the gradient's scale",
    },
    "ch02_value": {
        "numbers_not_wrapped":
            "a plain number on either side of + or * must first become a Value (a leaf), so that "
            "it has .data and .grad like every other node",
        "leaf_backward_missing":
            "every node needs a _backward that can be called, leaves included: a leaf has no "
            "inputs, so its _backward does nothing",
        "output_gradient_not_seeded":
            "backward() must start the chain rule from d(out)/d(out) = 1 at the output; with 0 "
            "every gradient stays 0",
        "gradient_overwritten":
            "a node used several times (x * x, or a value that feeds two gates) receives the sum "
            "of the gradients of its uses: accumulate into .grad, do not overwrite it",
        "no_topological_order":
            "a node passed its gradient on before every node that uses it had passed theirs, or "
            "more than once: run each node's _backward exactly once, in reverse topological order",
        "multiply_gate_not_swapped":
            "the multiply gate sends each factor the upstream gradient times the *other* "
            "factor's value: d(ab)/da = b",
        "tanh_slope_wrong":
            "the local gradient of tanh(a) is 1 - tanh(a)^2, not 1 - tanh(a)",
        "exp_slope_wrong":
            "the local gradient of e^a is e^a itself (the node's own value), not a",
    },
}


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _straight_through(fn):
    """``fn`` in the forward pass, the identity in the backward pass: a missing local slope."""
    return lambda z: z + (fn(z) - z).detach()


def _slope_at_z(z):
    """A function whose derivative is z(1 - z): the sigmoid's slope taken at the wrong value."""
    return z * z / 2 - z ** 3 / 3


def _compare_parts(got, expected: tuple, names: tuple, what: str, variants: dict, **tol):
    """Compare a tuple (or dict) part by part; each part names the mistakes it matches."""
    for i, name in enumerate(names):
        part_got = got[name] if isinstance(got, dict) else got[i]
        mistakes = {m: v[i] for m, v in variants.items()}
        expect_close(part_got, expected[i], f"{name} {what}", mistakes=mistakes, **tol)


# --------------------------------------------------------------------------------------
# Exercise 2.1 - backward pass of a sigmoid neuron
# --------------------------------------------------------------------------------------

NEURON_PARTS = ("grad_x", "grad_w", "grad_b")


def neuron_grads_autograd(x, w, b, grad_out, activation=torch.sigmoid, per_sample_bias=False):
    """dL/dx, dL/dw, dL/db by autograd, where L = sum(grad_out * activation(x @ w + b)).

    With ``per_sample_bias`` every sample gets its own copy of b, so dL/db has one entry per
    sample: the gradient at each sample's pre-activation.
    """
    x, w = (t.detach().clone().requires_grad_(True) for t in (x, w))
    bias = b.detach().expand(len(x)).clone() if per_sample_bias else b.detach().clone()
    bias.requires_grad_(True)
    (activation(x @ w + bias) * grad_out).sum().backward()
    return x.grad, w.grad, bias.grad


def neuron_mistakes(x, w, b, grad_out) -> dict:
    """What each catalogued mistake of Exercise 2.1 returns, by autograd."""
    n = len(x)
    gx, gw, gb = neuron_grads_autograd(x, w, b, grad_out)
    delta = neuron_grads_autograd(x, w, b, grad_out, per_sample_bias=True)[2]
    return {
        "sigmoid_slope_missing": neuron_grads_autograd(x, w, b, grad_out, lambda z: z),
        "slope_taken_at_z": neuron_grads_autograd(x, w, b, grad_out, _slope_at_z),
        "upstream_gradient_ignored": neuron_grads_autograd(x, w, b, torch.ones_like(grad_out)),
        "bias_gradient_not_summed": (gx, gw, delta),
        "averaged_over_the_batch": (gx, gw / n, gb / n),
        "multiply_gate_not_swapped": (delta[:, None] * x, delta.sum() * w, gb),
    }


def neuron_cases(seeds, shapes, dtype=torch.float64):
    """Random (x, w, b, grad_out) with x of each (N, d) shape; values may be negative."""
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
    _compare_parts(got, neuron_grads_autograd(x, w, b, grad_out), NEURON_PARTS, what,
                   neuron_mistakes(x, w, b, grad_out))


@exercise("ch02_sigmoid_neuron_backward", target="sigmoid_neuron_backward",
          title="Backward pass of a sigmoid neuron")
def check_sigmoid_neuron_backward(run):
    # the worked example of the chapter, one sample
    x = torch.tensor([[-1.0, -2.0]], dtype=torch.float64)
    w = torch.tensor([2.0, -3.0], dtype=torch.float64)
    b = torch.tensor(-3.0, dtype=torch.float64)
    g1 = torch.ones(1, dtype=torch.float64)
    expect_neuron_grads(run(call, x, w, b, g1), x, w, b, g1, "for the worked example")
    # batches (N, d): N = 1, non-square, d = 1, float32 and float64
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

MLP_KEYS = ("loss", "W1", "b1", "W2", "b2")


def mlp_params(seed: int, n: int, d: int, q: int, k: int, dtype=torch.float64, scale=1.0):
    """Random (X, Y, W1, b1, W2, b2) for a d-q-K network and a batch of n rows."""
    g = _gen(seed)
    X = scale * torch.randn(n, d, generator=g, dtype=dtype)
    Y = torch.rand(n, k, generator=g, dtype=dtype)
    W1 = torch.randn(d, q, generator=g, dtype=dtype)
    b1 = torch.randn(q, generator=g, dtype=dtype)
    W2 = torch.randn(q, k, generator=g, dtype=dtype)
    b2 = torch.randn(k, generator=g, dtype=dtype)
    return X, Y, W1, b1, W2, b2


def mlp_autograd(X, Y, W1, b1, W2, b2, hidden=torch.sigmoid, output=torch.sigmoid,
                 per_example_bias=False) -> tuple:
    """(L, dL/dW1, dL/db1, dL/dW2, dL/db2) by torch.autograd, L = 0.5 * sum((y_hat - Y)^2).

    ``hidden`` and ``output`` are the two activations; with ``per_example_bias`` every example
    gets its own copy of the biases (their gradients keep one row per example).
    """
    n = len(X)
    W1g, W2g = (t.detach().clone().requires_grad_(True) for t in (W1, W2))
    b1g, b2g = ((t.detach().expand(n, -1) if per_example_bias else t.detach()).clone()
                .requires_grad_(True) for t in (b1, b2))
    y_hat = output(hidden(X @ W1g + b1g) @ W2g + b2g)
    loss = 0.5 * (y_hat - Y).pow(2).sum()
    return (loss.detach(), *torch.autograd.grad(loss, [W1g, b1g, W2g, b2g]))


def mlp_mistakes(*args) -> dict:
    """What each catalogued mistake of Exercise 2.2 returns, by autograd."""
    loss, gW1, gb1, gW2, gb2 = mlp_autograd(*args)
    n = len(args[0])
    return {
        "loss_without_half": (2 * loss, gW1, gb1, gW2, gb2),
        "mean_over_examples": (loss / n, gW1 / n, gb1 / n, gW2 / n, gb2 / n),
        "gradient_sign_flipped": (loss, -gW1, -gb1, -gW2, -gb2),
        "output_slope_missing": mlp_autograd(*args, output=_straight_through(torch.sigmoid)),
        "hidden_slope_missing": mlp_autograd(*args, hidden=_straight_through(torch.sigmoid)),
        "bias_gradient_not_summed": mlp_autograd(*args, per_example_bias=True),
        "weight_gradient_transposed": (loss, gW1.T, gb1, gW2.T, gb2),
    }


def expect_mlp(got, args, what: str) -> None:
    """The dict returned for ``args`` must match autograd; a mismatch names a mistake."""
    if not isinstance(got, dict):
        raise CheckFailure(f"{what}: expected a dict with keys {MLP_KEYS}, got "
                           f"{type(got).__qualname__}")
    missing = [k for k in MLP_KEYS if k not in got]
    if missing:
        raise CheckFailure(f"{what}: the dict lacks the keys {missing}")
    labels = tuple("loss" if k == "loss" else f"dL/d{k}" for k in MLP_KEYS)
    renamed = {label: got[key] for label, key in zip(labels, MLP_KEYS)}
    _compare_parts(renamed, mlp_autograd(*args), labels, what, mlp_mistakes(*args),
                   rtol=1e-6, atol=1e-10)


def probe_mlp_inputs_unchanged(fn, *args) -> bool:
    """True when ``fn(*args)`` leaves its input tensors as they were."""
    before = [a.clone() for a in args]
    fn(*args)
    return all(torch.equal(a, b) for a, b in zip(args, before))


MLP_SHAPES = [(1, 2, 3, 1), (5, 4, 3, 2), (7, 3, 6, 4), (16, 8, 5, 3)]


@exercise("ch02_mlp_backward", target="mlp_forward_backward",
          title="Backpropagation through a two-layer sigmoid network")
def check_mlp_backward(run):
    for seed, (n, d, q, k) in enumerate(MLP_SHAPES):
        args = mlp_params(seed, n, d, q, k)
        expect_mlp(run(call, *args), args,
                   f"for N={n} examples, d={d} inputs, q={q} hidden units, K={k} outputs")
    # zero inputs: the hidden layer then sees only its biases
    X, Y, W1, b1, W2, b2 = mlp_params(10, 3, 4, 2, 3)
    args = (torch.zeros_like(X), Y, W1, b1, W2, b2)
    expect_mlp(run(call, *args), args, "for X = 0")


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

# The one-sided difference (f(x + h e_i) - f(x)) / h in closed form, where it has one.
ONE_SIDED_DIFFERENCE = {
    "square_sum": lambda x, h: 2 * x + h,
    "exp3": lambda x, h: torch.exp(3 * x) * torch.expm1(torch.tensor(3 * h, dtype=x.dtype)) / h,
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


def gradient_without_undoing(fname: str, x: torch.Tensor, h: float) -> torch.Tensor:
    """What a checker that never puts coordinates back finds, by autograd: entry i is the
    derivative at x with every earlier entry (in flattened order) moved by -h."""
    flat = x.reshape(-1)
    out = torch.empty_like(flat)
    for i in range(flat.numel()):
        moved = flat.clone()
        moved[:i] -= h
        out[i] = true_gradient(fname, moved.reshape(x.shape)).reshape(-1)[i]
    return out.reshape(x.shape)


def relative_error_of(analytic: torch.Tensor, numerical: torch.Tensor, floor: float = 1e-8,
                      denominator: str = "max", reduce: str = "max") -> float:
    """max_i |a_i - n_i| / max(|a_i|, |n_i|, 1e-8), the definition used in the chapter.

    ``denominator`` ("max", "sum" or "one") and ``reduce`` ("max" or "mean") give the
    variants of the catalogued mistakes.
    """
    scale = {"max": torch.maximum(analytic.abs(), numerical.abs()),
             "sum": analytic.abs() + numerical.abs(),
             "one": torch.ones_like(analytic)}[denominator].clamp_min(floor)
    ratios = (analytic - numerical).abs() / scale
    return (ratios.max() if reduce == "max" else ratios.mean()).item()


def expect_pair(got, what):
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        raise CheckFailure(f"{what}: expected grad_check to return a pair "
                           "(numerical_gradient, relative_error)")
    return got


def grad_check_case(run, fname, x, grad, h, what, grad_rtol=1e-6):
    """Run one case; the numerical gradient must match autograd and the error its definition."""
    num, rel = expect_pair(run(probe_grad_check, fname, x, grad, h), what)
    true = true_gradient(fname, x)
    num_mistakes = {"centred_difference_over_h": 2 * true,
                    "perturbation_not_undone": gradient_without_undoing(fname, x, h)}
    if fname in ONE_SIDED_DIFFERENCE:
        num_mistakes["one_sided_difference"] = ONE_SIDED_DIFFERENCE[fname](x, h)
    expect_close(num, true, f"numerical gradient {what}", rtol=grad_rtol, atol=1e-8,
                 mistakes=num_mistakes)
    if isinstance(rel, float) and math.isnan(rel):
        raise CheckFailure(f"relative error {what}: got NaN", mistake="no_floor_in_relative_error")
    rel_mistakes = {"mean_instead_of_max": relative_error_of(grad, num, reduce="mean"),
                    "sum_in_denominator": relative_error_of(grad, num, denominator="sum"),
                    "absolute_error": relative_error_of(grad, num, denominator="one")}
    expect_scalar(rel, relative_error_of(grad, num), f"relative error {what}", rtol=1e-6,
                  atol=1e-13, mistakes=rel_mistakes)
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
    grad_check_case(run, "square_sum", x, true_gradient("square_sum", x), 1e-5,
                    "for square_sum at x with zeros")
    # a large step: the centred difference is still accurate, the one-sided one is not
    x = torch.linspace(-0.5, 0.8, 4, dtype=torch.float64)
    grad_check_case(run, "exp3", x, true_gradient("exp3", x), 1e-3,
                    "for exp(3x) with h = 1e-3", grad_rtol=1e-4)
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


def run_program(leaves: list, ops, ops_table: dict | None = None) -> list:
    """Evaluate a program on leaf objects (Value or 0-d tensors); return all nodes.

    ``ops_table`` may replace "mul", "exp" or "tanh" by other functions of the operands.
    """
    table = {"mul": lambda a, b: a * b, "exp": lambda a: a.exp(), "tanh": lambda a: a.tanh(),
             **(ops_table or {})}
    nodes = list(leaves)
    for kind, i, j, c, left in ops:
        a, b = nodes[i], nodes[j]
        if kind == "add":
            out = a + b
        elif kind == "mul":
            out = table["mul"](a, b)
        elif kind == "addc":
            out = c + a if left else a + c
        elif kind == "mulc":
            out = c * a if left else a * c
        else:
            out = table[kind](a)
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


class _TanhSlopeWrong(torch.autograd.Function):
    """tanh whose backward uses 1 - tanh instead of 1 - tanh^2."""

    @staticmethod
    def forward(ctx, a):
        t = torch.tanh(a)
        ctx.save_for_backward(t)
        return t

    @staticmethod
    def backward(ctx, grad_out):
        (t,) = ctx.saved_tensors
        return grad_out * (1 - t)


class _ExpSlopeWrong(torch.autograd.Function):
    """exp whose backward multiplies by the input instead of the output."""

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return torch.exp(a)

    @staticmethod
    def backward(ctx, grad_out):
        (a,) = ctx.saved_tensors
        return grad_out * a


class _MulNotSwapped(torch.autograd.Function):
    """a * b whose backward sends each factor its own value instead of the other's."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a * b

    @staticmethod
    def backward(ctx, grad_out):
        a, b = ctx.saved_tensors
        return grad_out * a, grad_out * b


VALUE_PROGRAM_MISTAKES = {
    "tanh_slope_wrong": {"tanh": _TanhSlopeWrong.apply},
    "exp_slope_wrong": {"exp": _ExpSlopeWrong.apply},
    "multiply_gate_not_swapped": {"mul": _MulNotSwapped.apply},
}


def torch_program(seed: int, n_leaves: int, n_ops: int, ops_table: dict | None = None) -> dict:
    """The same graph as :func:`probe_value_program`, evaluated by PyTorch in float64."""
    leaf_vals, ops = random_program(seed, n_leaves, n_ops)
    leaves = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in leaf_vals]
    nodes = run_program(leaves, ops, ops_table)
    grads = torch.autograd.grad(nodes[-1], leaves, allow_unused=True)
    grads = [torch.zeros((), dtype=torch.float64) if g is None else g for g in grads]
    return {"data": torch.stack([n.detach() for n in nodes]), "grad": torch.stack(grads)}


def probe_value_basics(Value) -> dict:
    """Fresh nodes, then x * x, 2 + 3 * y and a node used twice, each with backward()."""
    x = Value(1.5)
    out = {"fresh": torch.tensor([float(x.data), float(x.grad)], dtype=torch.float64)}
    sq = x * x
    sq.backward()
    out["square"] = torch.tensor([float(sq.data), float(sq.grad), float(x.grad)],
                                 dtype=torch.float64)
    y = Value(-0.5)
    z = 2 + 3 * y
    z.backward()
    out["affine"] = torch.tensor([float(z.data), float(y.grad)], dtype=torch.float64)
    u = Value(0.5)
    a = u * 3          # an inner node ...
    s = a + a          # ... used twice
    s.backward()
    out["shared"] = torch.tensor([float(s.data), float(u.grad)], dtype=torch.float64)
    return out


def _outcome(action) -> str:
    """"ok", or the name of the exception ``action()`` raised (not attempted still propagates)."""
    try:
        action()
    except NotImplementedError:
        raise
    except Exception as exc:  # noqa: BLE001 - the student's code may raise anything
        return type(exc).__name__
    return "ok"


def probe_value_edge_cases(Value) -> dict:
    """Plain numbers as operands on either side, and backward() on a lone leaf."""
    numbers = _outcome(lambda: (Value(1.5) * 2 + 1, 2 + 3 * Value(1.5)))
    leaf = Value(2.0)
    called = _outcome(leaf.backward)
    return {"numbers": numbers, "leaf": called,
            "leaf_values": torch.tensor([float(leaf.data), float(leaf.grad)], dtype=torch.float64)
            if called == "ok" else "not run"}


def expect_value_edge_cases(got) -> None:
    """Numbers must combine with Values, and a leaf's backward() must work and give grad 1."""
    if got["numbers"] != "ok":
        raise CheckFailure(f"Value(1.5) * 2 + 1 and 2 + 3 * Value(1.5): your code raised "
                           f"{got['numbers']}",
                           mistake="numbers_not_wrapped" if got["numbers"] == "AttributeError"
                           else None)
    if got["leaf"] != "ok":
        raise CheckFailure(f"leaf = Value(2.0); leaf.backward(): your code raised {got['leaf']}",
                           mistake="leaf_backward_missing" if got["leaf"] == "TypeError" else None)
    expect_close(got["leaf_values"], torch.tensor([2.0, 1.0], dtype=torch.float64),
                 "leaf = Value(2.0); leaf.backward(): [leaf.data, leaf.grad]",
                 mistakes={"output_gradient_not_seeded": torch.tensor([2.0, 0.0],
                                                                      dtype=torch.float64)})


def _torch_basics() -> dict:
    """The same expressions as :func:`probe_value_basics`, by torch.autograd."""
    x, y, u = (torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in (1.5, -0.5, 0.5))
    sq = x * x
    z = 2 + 3 * y
    a = u * 3
    s = a + a
    gx, = torch.autograd.grad(sq, x)
    gy, = torch.autograd.grad(z, y)
    gu, = torch.autograd.grad(s, u)
    t = lambda *v: torch.tensor([float(torch.as_tensor(e).detach()) for e in v],  # noqa: E731
                                dtype=torch.float64)
    return {"square": (t(sq, 1.0, gx), {"gradient_overwritten": t(sq, 1.0, gx / 2),
                                        "output_gradient_not_seeded": t(sq, 0.0, 0.0)}),
            "affine": (t(z, gy), {"multiply_gate_not_swapped": t(z, y),
                                  "output_gradient_not_seeded": t(z, 0.0)}),
            "shared": (t(s, gu), {"no_topological_order": t(s, 2 * gu),
                                  "gradient_overwritten": t(s, gu / 2),
                                  "output_gradient_not_seeded": t(s, 0.0)})}


def expect_value_program(got, seed, n_leaves, n_ops, what):
    exp = torch_program(seed, n_leaves, n_ops)
    expect_close(got["data"], exp["data"], f"values of the nodes {what}")
    variants = {m: torch_program(seed, n_leaves, n_ops, table)["grad"]
                for m, table in VALUE_PROGRAM_MISTAKES.items()}
    variants["output_gradient_not_seeded"] = torch.zeros_like(exp["grad"])
    expect_close(got["grad"], exp["grad"], f"gradients of the leaves {what}", mistakes=variants)


@exercise("ch02_value", target="Value", title="A tiny autograd engine")
def check_value(run):
    expect_value_edge_cases(run(probe_value_edge_cases))
    got = run(probe_value_basics)
    expect_close(got["fresh"], torch.tensor([1.5, 0.0], dtype=torch.float64),
                 "Value(1.5): [data, grad] before any backward()")
    labels = {"square": "s = x * x at x = 1.5: [s.data, s.grad, x.grad] after s.backward()",
              "affine": "z = 2 + 3 * y at y = -0.5: [z.data, y.grad]",
              "shared": "a = u * 3, s = a + a at u = 0.5: [s.data, u.grad]"}
    for key, (expected, mistakes) in _torch_basics().items():
        expect_close(got[key], expected, labels[key], mistakes=mistakes)
    for seed, n_leaves, n_ops in [(0, 2, 6), (1, 3, 10), (2, 4, 16), (3, 5, 25), (4, 1, 8)]:
        got = run(probe_value_program, seed, n_leaves, n_ops)
        expect_value_program(got, seed, n_leaves, n_ops,
                             f"of random expression #{seed} ({n_leaves} inputs, "
                             f"{n_ops + 2} operations)")
