"""Public checks of Chapter 4 (convolutional networks).

The checks compare the student's code with PyTorch's own functions (``F.conv2d``,
``F.max_pool2d``, ``F.cross_entropy(weight=...)``) on generated inputs: several shapes and
seeds, batch size 1, non-square images and kernels, strides and paddings, zero and negative
values. The two modules (LeNet-5, the residual block) get prescribed weights and are compared
with the same network written with PyTorch's functional layers, forward and backward.

"No Python loop over pixels" is checked too: :func:`probe_lines_executed` counts the Python
lines the student's code executes; a vectorised function executes as many on a large image as
on a small one.
"""
from __future__ import annotations

import importlib
import os
import sys
import sysconfig

import torch
import torch.nn.functional as F

from dlcourse.checks import call, exercise
from dlcourse.compare import CheckFailure, expect_close, expect_equal, expect_scalar


def _randn(seed: int, *shape, scale: float = 1.0, dtype=torch.float32) -> torch.Tensor:
    return scale * torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=dtype)


def _uniform(seed: int, *shape, low: float = 0.0, high: float = 1.0) -> torch.Tensor:
    u = torch.rand(*shape, generator=torch.Generator().manual_seed(seed))
    return low + (high - low) * u


# --- probes (run where the student's code lives; return plain data only) ----------------

def _library_dirs() -> tuple[str, ...]:
    """Folders whose code is not the student's: the standard library, installed packages,
    PyTorch and this course library."""
    import dlcourse

    paths = sysconfig.get_paths()
    dirs = {paths["stdlib"], paths["platstdlib"], paths["purelib"], paths["platlib"],
            os.path.dirname(torch.__file__), os.path.dirname(dlcourse.__file__)}
    return tuple(os.path.realpath(d) + os.sep for d in dirs if d)


def probe_lines_executed(fn, *args) -> int:
    """Call ``fn(*args)`` and count the Python lines executed in the student's own code
    (everything outside the standard library, installed packages and ``dlcourse``)."""
    skip = _library_dirs()
    count = 0

    def local(frame, event, arg):
        nonlocal count
        if event == "line":
            count += 1
        return local

    def global_trace(frame, event, arg):
        filename = frame.f_code.co_filename
        if not filename.startswith("<") and os.path.realpath(filename).startswith(skip):
            return None
        return local

    previous = sys.gettrace()
    sys.settrace(global_trace)
    try:
        fn(*args)
    finally:
        sys.settrace(previous)
    return count


def expect_no_pixel_loop(run, fn_name: str, small_args: tuple, large_args: tuple,
                         small_desc: str, large_desc: str) -> None:
    """Fail when the student's function executes clearly more Python lines on the large input
    than on the small one (a Python loop over output positions)."""
    small = run(probe_lines_executed, *small_args)
    large = run(probe_lines_executed, *large_args)
    if large > small + 4:
        raise CheckFailure(
            f"{fn_name} executed {small} lines of Python on {small_desc} but {large} on "
            f"{large_desc}: it loops over output positions in Python. Vectorise it (no Python "
            "loop over pixels): build all windows at once and combine them with one tensor "
            "operation.")


def probe_calls_to(fn, forbidden: list, *args) -> list:
    """Call ``fn(*args)`` with the library functions named in ``forbidden`` (dotted paths such
    as ``"torch.nn.functional.conv2d"``) wrapped so that each call is recorded; return the
    names that were called."""
    called: list[str] = []
    saved = []
    for path in forbidden:
        module_name, _, attr = path.rpartition(".")
        module = importlib.import_module(module_name)
        original = getattr(module, attr)

        def recorder(*a, _path=path, _original=original, **k):
            called.append(_path)
            return _original(*a, **k)

        saved.append((module, attr, original))
        setattr(module, attr, recorder)
    try:
        fn(*args)
    finally:
        for module, attr, original in reversed(saved):
            setattr(module, attr, original)
    return sorted(set(called))


def expect_no_calls(run, fn_name: str, forbidden: list, args: tuple) -> None:
    """Fail when the student's function calls one of the ``forbidden`` library functions."""
    called = run(probe_calls_to, forbidden, *args)
    if called:
        names = ", ".join(c.replace("torch.nn.functional.", "F.") for c in called)
        raise CheckFailure(f"{fn_name} calls {names}, which this exercise asks you to write "
                           "yourself; use only tensor operations.")


def _state_shapes(module) -> dict:
    return {k: list(v.shape) for k, v in module.state_dict().items()}


def probe_lenet5(LeNet5, state: dict, x: torch.Tensor, grad_out: torch.Tensor) -> dict:
    """Build ``LeNet5()``, report its parameters, load ``state`` (when the names and shapes
    match) and run it forward and backward on ``x``."""
    torch.manual_seed(0)
    net = LeNet5()
    info = {"state_shapes": _state_shapes(net),
            "num_params": sum(p.numel() for p in net.parameters())}
    if info["state_shapes"] != {k: list(v.shape) for k, v in state.items()}:
        return info
    net.load_state_dict(state)
    x = x.clone().requires_grad_(True)
    out = net(x)
    info["logits"] = out.detach()
    (out * grad_out).sum().backward()
    info["grad_x"] = x.grad
    info["grad_params"] = {k: p.grad for k, p in net.named_parameters()}
    return info


def probe_residual_block(ResidualBlock, in_channels: int, out_channels: int, stride: int,
                         state: dict, x: torch.Tensor, grad_out: torch.Tensor) -> dict:
    """Build ``ResidualBlock(in_channels, out_channels, stride)``, report its state's names and
    shapes, load ``state`` (when they match) and run it in evaluation mode, then in training
    mode forward and backward."""
    torch.manual_seed(0)
    block = ResidualBlock(in_channels, out_channels, stride)
    info = {"state_shapes": _state_shapes(block)}
    if info["state_shapes"] != {k: list(v.shape) for k, v in state.items()}:
        return info
    block.load_state_dict(state)
    block.eval()
    with torch.no_grad():
        info["eval_out"] = block(x)
    block.train()
    x = x.clone().requires_grad_(True)
    out = block(x)
    info["train_out"] = out.detach()
    (out * grad_out).sum().backward()
    info["grad_x"] = x.grad
    info["grad_params"] = {k: p.grad for k, p in block.named_parameters()}
    return info


def probe_loss_and_grad(fn, logits: torch.Tensor, targets: torch.Tensor, weight: torch.Tensor) -> dict:
    """``fn(logits, targets, weight)`` and the gradient of that loss with respect to ``logits``."""
    logits = logits.clone().requires_grad_(True)
    loss = fn(logits, targets, weight)
    loss.backward()
    return {"loss": loss.detach(), "grad": logits.grad}


# --- reference networks in PyTorch's functional form (for comparisons) ------------------

LENET5_SHAPES = {
    "c1.weight": [6, 1, 5, 5], "c1.bias": [6],
    "c3.weight": [16, 6, 5, 5], "c3.bias": [16],
    "c5.weight": [120, 16, 5, 5], "c5.bias": [120],
    "f6.weight": [84, 120], "f6.bias": [84],
    "output.weight": [10, 84], "output.bias": [10],
}


def lenet5_functional(p: dict, x: torch.Tensor) -> torch.Tensor:
    """LeNet-5 written with ``torch.nn.functional``, parameters taken from the dict ``p``."""
    h = F.avg_pool2d(torch.tanh(F.conv2d(x, p["c1.weight"], p["c1.bias"])), 2)
    h = F.avg_pool2d(torch.tanh(F.conv2d(h, p["c3.weight"], p["c3.bias"])), 2)
    h = torch.tanh(F.conv2d(h, p["c5.weight"], p["c5.bias"])).flatten(1)
    h = torch.tanh(F.linear(h, p["f6.weight"], p["f6.bias"]))
    return F.linear(h, p["output.weight"], p["output.bias"])


def residual_shapes(cin: int, cout: int, stride: int) -> dict:
    """The state-dict names and shapes the exercise prescribes for ``ResidualBlock``."""
    shapes = {"conv1.weight": [cout, cin, 3, 3], "conv2.weight": [cout, cout, 3, 3]}
    names = ["bn1", "bn2"]
    if stride != 1 or cin != cout:
        shapes["shortcut.0.weight"] = [cout, cin, 1, 1]
        names.append("shortcut.1")
    for bn in names:
        for field in ("weight", "bias", "running_mean", "running_var"):
            shapes[f"{bn}.{field}"] = [cout]
        shapes[f"{bn}.num_batches_tracked"] = []
    return shapes


def random_state(shapes: dict, seed: int) -> dict:
    """Random weights for the given names: positive running variances and batch-norm scales,
    a zero batch counter, small random everything else."""
    state = {}
    for i, (name, shape) in enumerate(sorted(shapes.items())):
        if name.endswith("num_batches_tracked"):
            state[name] = torch.tensor(0)
        elif name.endswith("running_var") or (name.startswith(("bn", "shortcut.1")) and name.endswith("weight")):
            state[name] = _uniform(seed + i, *shape, low=0.5, high=1.5)
        else:
            fan_in = max(1, int(torch.tensor(shape[1:]).prod())) if len(shape) > 1 else 1
            state[name] = _randn(seed + i, *shape, scale=1.0 / fan_in ** 0.5 if len(shape) > 1 else 0.3)
    return state


def residual_functional(p: dict, x: torch.Tensor, stride: int, training: bool) -> torch.Tensor:
    """The basic residual block written with ``torch.nn.functional``; parameters from ``p``.

    Running statistics are copied, so ``p`` is never modified."""
    def bn(h, name):
        return F.batch_norm(h, p[f"{name}.running_mean"].clone(), p[f"{name}.running_var"].clone(),
                            p[f"{name}.weight"], p[f"{name}.bias"], training=training, eps=1e-5)

    h = F.relu(bn(F.conv2d(x, p["conv1.weight"], stride=stride, padding=1), "bn1"))
    h = bn(F.conv2d(h, p["conv2.weight"], padding=1), "bn2")
    skip = (bn(F.conv2d(x, p["shortcut.0.weight"], stride=stride), "shortcut.1")
            if "shortcut.0.weight" in p else x)
    return F.relu(h + skip)


def _expect_shapes(got: dict, expected: dict, what: str) -> None:
    if got == expected:
        return
    missing = sorted(set(expected) - set(got))
    extra = sorted(set(got) - set(expected))
    wrong = sorted(k for k in set(got) & set(expected) if got[k] != expected[k])
    parts = []
    if missing:
        parts.append("missing " + ", ".join(f"{k} {tuple(expected[k])}" for k in missing))
    if extra:
        parts.append("unexpected " + ", ".join(f"{k} {tuple(got[k])}" for k in extra))
    if wrong:
        parts.append("wrong shape " + ", ".join(f"{k}: expected {tuple(expected[k])}, got "
                                                f"{tuple(got[k])}" for k in wrong))
    raise CheckFailure(f"{what}: the parameters and buffers (state_dict) differ from the "
                       f"specification: {'; '.join(parts)}",
                       f"{what}: the state_dict differs from the specification")


def expect_module_results(got: dict, expected: dict, what: str, tol: float = 1e-4) -> None:
    """Compare every tensor (and dict of tensors) of ``expected`` with ``got``."""
    for key, value in expected.items():
        if key not in got:
            raise CheckFailure(f"{what}: no result for {key}")
        if isinstance(value, dict):
            for name, t in value.items():
                if got[key].get(name) is None:
                    raise CheckFailure(f"{what}: parameter {name} received no gradient",
                                       f"{what}: a parameter received no gradient")
                expect_close(got[key][name], t, f"{what}: gradient of {name}", rtol=tol, atol=tol)
        else:
            expect_close(got[key], value, f"{what}: {key.replace('_', ' ')}", rtol=tol, atol=tol)


def lenet5_case(seed: int, batch: int) -> tuple[tuple, dict]:
    """Inputs of :func:`probe_lenet5` and the expected results, from the functional network."""
    state = random_state(LENET5_SHAPES, seed)
    x = _randn(seed + 100, batch, 1, 32, 32)
    grad_out = _randn(seed + 101, batch, 10)
    params = {k: v.clone().requires_grad_(True) for k, v in state.items()}
    xr = x.clone().requires_grad_(True)
    out = lenet5_functional(params, xr)
    (out * grad_out).sum().backward()
    expected = {"logits": out.detach(), "grad_x": xr.grad,
                "grad_params": {k: v.grad for k, v in params.items()}}
    return (state, x, grad_out), expected


def residual_case(seed: int, cin: int, cout: int, stride: int, x_shape: tuple) -> tuple[tuple, dict]:
    """Inputs of :func:`probe_residual_block` and the expected results."""
    state = random_state(residual_shapes(cin, cout, stride), seed)
    x = _randn(seed + 100, *x_shape)
    eval_out = residual_functional(state, x, stride, training=False)
    grad_out = _randn(seed + 101, *eval_out.shape)
    params = {k: (v.clone().requires_grad_(True) if v.is_floating_point()
                  and not k.endswith(("running_mean", "running_var")) else v)
              for k, v in state.items()}
    xr = x.clone().requires_grad_(True)
    out = residual_functional(params, xr, stride, training=True)
    (out * grad_out).sum().backward()
    expected = {"eval_out": eval_out, "train_out": out.detach(), "grad_x": xr.grad,
                "grad_params": {k: v.grad for k, v in params.items() if v.requires_grad}}
    return (cin, cout, stride, state, x, grad_out), expected


# --- 4.1 output size ----------------------------------------------------------------------

OUTPUT_SIZE_CASES = [(5, 3, 1, 0), (5, 3, 1, 1), (32, 5, 1, 0), (28, 5, 1, 2), (7, 3, 2, 0),
                     (8, 3, 2, 1), (10, 4, 3, 1), (1, 1, 1, 0), (6, 7, 1, 1), (224, 11, 4, 2),
                     (9, 2, 2, 0), (13, 5, 3, 0)]


def torch_output_size(n: int, k: int, s: int, p: int) -> int:
    """The output length PyTorch's convolution produces (measured, not computed)."""
    return int(F.conv1d(torch.zeros(1, 1, n), torch.zeros(1, 1, k), stride=s, padding=p).shape[-1])


@exercise("ch04_output_size", target="conv_output_size",
          title="Output size of a convolution")
def check_output_size(run):
    for n, k, s, p in OUTPUT_SIZE_CASES:
        expect_equal(run(call, n, k, s, p), torch_output_size(n, k, s, p),
                     f"conv_output_size(n={n}, kernel_size={k}, stride={s}, padding={p})")
    expect_equal(run(call, 12, 3), torch_output_size(12, 3, 1, 0),
                 "conv_output_size(12, 3) with the default stride and padding")


# --- 4.2 conv2d ------------------------------------------------------------------------------

# (seed, x shape, weight shape, bias?, stride, padding)
CONV_CASES = [
    (0, (1, 1, 5, 5), (1, 1, 3, 3), False, 1, 0),
    (1, (2, 3, 7, 9), (4, 3, 3, 3), True, 1, 1),
    (2, (1, 3, 8, 6), (5, 3, 2, 4), True, 2, 0),
    (3, (3, 2, 10, 7), (2, 2, 5, 3), True, 3, 2),
    (4, (1, 4, 6, 6), (8, 4, 1, 1), True, 1, 0),
    (5, (2, 1, 9, 4), (3, 1, 3, 3), False, 2, 1),
]

CONV_FORBIDDEN = ["torch.nn.functional.conv2d", "torch.conv2d", "torch.convolution",
                  "torch.nn.functional.unfold"]
POOL_FORBIDDEN = ["torch.nn.functional.max_pool2d", "torch.max_pool2d",
                  "torch.nn.functional.max_pool2d_with_indices", "torch.nn.functional.adaptive_max_pool2d"]
CE_FORBIDDEN = ["torch.nn.functional.cross_entropy", "torch.nn.functional.nll_loss"]

HAND_IMAGE = torch.tensor([[1, 1, 1, 0, 0], [0, 1, 1, 1, 0], [0, 0, 1, 1, 1],
                           [0, 0, 1, 1, 0], [0, 1, 1, 0, 0]], dtype=torch.float32)
HAND_KERNEL = torch.tensor([[1, 0, 1], [0, 1, 0], [1, 0, 1]], dtype=torch.float32)


def conv_inputs(seed, x_shape, w_shape, with_bias, dtype=torch.float32):
    x = _randn(seed, *x_shape, dtype=dtype)
    w = _randn(seed + 50, *w_shape, dtype=dtype)
    b = _randn(seed + 51, w_shape[0], dtype=dtype) if with_bias else None
    return x, w, b


@exercise("ch04_conv2d", target="conv2d", title="2-D convolution, vectorised")
def check_conv2d(run):
    x, w = HAND_IMAGE[None, None], HAND_KERNEL[None, None]
    expect_close(run(call, x, w, None, 1, 0), F.conv2d(x, w),
                 "conv2d on the 5x5 image with the 3x3 kernel of the text")
    for seed, xs, ws, with_bias, s, p in CONV_CASES:
        x, w, b = conv_inputs(seed, xs, ws, with_bias)
        what = (f"conv2d(x {xs}, weight {ws}, bias {'given' if with_bias else 'None'}, "
                f"stride={s}, padding={p})")
        expect_close(run(call, x, w, b, s, p), F.conv2d(x, w, b, stride=s, padding=p), what,
                     rtol=1e-4, atol=1e-5)
    x, w, b = conv_inputs(6, (2, 3, 6, 5), (4, 3, 3, 3), True)
    expect_close(run(call, x, w, b), F.conv2d(x, w, b), "conv2d(x, w, b) with the default "
                 "stride and padding", rtol=1e-4, atol=1e-5)
    zeros, b = torch.zeros(1, 2, 4, 4), _randn(7, 3)
    expect_close(run(call, zeros, _randn(8, 3, 2, 3, 3), b, 1, 1),
                 F.conv2d(zeros, _randn(8, 3, 2, 3, 3), b, padding=1),
                 "conv2d of an all-zero image (the output is the bias everywhere)")
    x, w, b = conv_inputs(9, (2, 2, 7, 6), (3, 2, 3, 2), True, dtype=torch.float64)
    expect_close(run(call, x, w, b, 2, 1), F.conv2d(x, w, b, stride=2, padding=1),
                 "conv2d in float64 (keep the input's dtype)")
    x, w, b = conv_inputs(11, (1, 2, 5, 6), (3, 2, 3, 3), True)
    expect_no_calls(run, "conv2d", CONV_FORBIDDEN, (x, w, b, 1, 1))
    w = _randn(10, 2, 1, 3, 3)
    expect_no_pixel_loop(run, "conv2d", (torch.ones(1, 1, 4, 4), w, None, 1, 0),
                         (torch.ones(1, 1, 20, 20), w, None, 1, 0), "a 4x4 image", "a 20x20 image")


# --- 4.3 max pooling ------------------------------------------------------------------------

# (seed, x shape, kernel_size, stride or None, offset added to the input)
POOL_CASES = [
    (0, (1, 1, 4, 4), 2, None, 0.0),
    (1, (2, 3, 7, 5), 2, None, 0.0),
    (2, (1, 2, 9, 9), 3, 2, 0.0),
    (3, (2, 1, 6, 8), 3, 1, 0.0),
    (4, (1, 4, 5, 11), 2, 3, -10.0),
    (5, (3, 2, 8, 6), 4, None, -3.0),
]


@exercise("ch04_maxpool", target="max_pool2d", title="Max pooling")
def check_maxpool(run):
    for seed, xs, k, s, offset in POOL_CASES:
        x = _randn(seed, *xs) + offset
        expect_close(run(call, x, k, s), F.max_pool2d(x, k, s),
                     f"max_pool2d(x {xs}{' (all negative)' if offset < -5 else ''}, "
                     f"kernel_size={k}, stride={s})")
    x = _randn(6, 2, 2, 6, 6)
    expect_close(run(call, x, 2), F.max_pool2d(x, 2), "max_pool2d(x, 2): the stride defaults "
                 "to the kernel size")
    x = torch.zeros(1, 1, 4, 6)
    expect_close(run(call, x, 2, 2), F.max_pool2d(x, 2, 2), "max_pool2d of an all-zero image")
    x = _randn(7, 1, 2, 5, 5, dtype=torch.float64)
    expect_close(run(call, x, 2, 1), F.max_pool2d(x, 2, 1), "max_pool2d in float64")
    expect_no_calls(run, "max_pool2d", POOL_FORBIDDEN, (_randn(8, 1, 2, 6, 6), 2, None))
    expect_no_pixel_loop(run, "max_pool2d", (torch.ones(1, 1, 4, 4), 2, 2),
                         (torch.ones(1, 1, 36, 36), 2, 2), "a 4x4 image", "a 36x36 image")


# --- 4.4 LeNet-5 ----------------------------------------------------------------------------

@exercise("ch04_lenet5", target="LeNet5", title="LeNet-5")
def check_lenet5(run):
    expected_count = sum(int(torch.tensor(s).prod()) for s in LENET5_SHAPES.values())
    for seed, batch in [(0, 1), (1, 3)]:
        inputs, expected = lenet5_case(seed, batch)
        got = run(probe_lenet5, *inputs)
        _expect_shapes(got["state_shapes"], LENET5_SHAPES, "LeNet5()")
        expect_scalar(got["num_params"], expected_count, "number of parameters of LeNet5()")
        expect_scalar(got["num_params"], 61706, "number of parameters of LeNet5() (LeCun et al.)")
        expect_module_results(got, expected, f"LeNet5 on a batch of {batch}")


# --- 4.5 residual block ---------------------------------------------------------------------

# (seed, in_channels, out_channels, stride, x shape)
RESIDUAL_CASES = [
    (0, 4, 4, 1, (2, 4, 6, 6)),
    (1, 3, 8, 1, (1, 3, 5, 7)),
    (2, 4, 6, 2, (2, 4, 8, 6)),
    (3, 4, 4, 2, (3, 4, 7, 7)),
]


@exercise("ch04_residual_block", target="ResidualBlock", title="Residual block")
def check_residual_block(run):
    for seed, cin, cout, stride, xs in RESIDUAL_CASES:
        what = f"ResidualBlock({cin}, {cout}, stride={stride}) on x {xs}"
        inputs, expected = residual_case(seed, cin, cout, stride, xs)
        got = run(probe_residual_block, *inputs)
        _expect_shapes(got["state_shapes"], residual_shapes(cin, cout, stride), what)
        expect_module_results(got, expected, what)


# --- 4.6 weighted cross-entropy -----------------------------------------------------------

# (seed, N, C, logit scale, kind of weights)
CE_CASES = [
    (0, 1, 3, 1.0, "random"),
    (1, 8, 5, 2.0, "random"),
    (2, 16, 10, 1.0, "ones"),
    (3, 12, 4, 100.0, "random"),
    (4, 20, 6, 3.0, "some zero"),
]


def ce_inputs(seed: int, n: int, c: int, scale: float, kind: str, dtype=torch.float32):
    logits = _randn(seed, n, c, scale=scale, dtype=dtype)
    targets = torch.randint(0, c, (n,), generator=torch.Generator().manual_seed(seed + 1))
    weight = _uniform(seed + 2, c, low=0.1, high=3.0).to(dtype)
    if kind == "ones":
        weight = torch.ones(c, dtype=dtype)
    elif kind == "some zero":
        targets[0] = 0  # at least one sample keeps a positive weight
        weight[1::2] = 0.0
    return logits, targets, weight


@exercise("ch04_weighted_ce", target="weighted_cross_entropy",
          title="Class-weighted cross-entropy")
def check_weighted_ce(run):
    for seed, n, c, scale, kind in CE_CASES:
        logits, targets, weight = ce_inputs(seed, n, c, scale, kind)
        what = f"weighted_cross_entropy on {n} samples, {c} classes, logits x{scale:g}, {kind} weights"
        expect_close(run(call, logits, targets, weight),
                     F.cross_entropy(logits, targets, weight=weight), what, rtol=1e-5, atol=1e-5)
    logits, targets, weight = ce_inputs(5, 6, 4, 1.0, "random", dtype=torch.float64)
    expect_close(run(call, logits, targets, weight), F.cross_entropy(logits, targets, weight=weight),
                 "weighted_cross_entropy in float64")
    expect_no_calls(run, "weighted_cross_entropy", CE_FORBIDDEN, ce_inputs(7, 5, 3, 1.0, "random"))
    logits, targets, weight = ce_inputs(6, 7, 5, 2.0, "random")
    got = run(probe_loss_and_grad, logits, targets, weight)
    lr = logits.clone().requires_grad_(True)
    F.cross_entropy(lr, targets, weight=weight).backward()
    expect_close(got["grad"], lr.grad, "gradient of weighted_cross_entropy with respect to the "
                 "logits", rtol=1e-4, atol=1e-6)

# The catalogue of known mistakes: exercise -> mistake id -> what the misconception is.
MISTAKES = {
    "ch04_output_size": {
        "forgets_the_1_counts_the_steps_not_the": 'forgets the +1 (counts the steps, not the positions)',
        "pads_only_one_side": 'pads only one side',
        "true_division_returns_a_float_that_is": 'true division: returns a float that is wrong when the stride does not divide',
        "rounds_up_instead_of_down": 'rounds up instead of down',
    },
    "ch04_conv2d": {
        "flips_the_kernel_true_convolution": "flips the kernel (true convolution instead of PyTorch's cross-correlation)",
        "ignores_the_stride": 'ignores the stride',
        "adds_the_bias_along_the_wrong_axis_the": 'adds the bias along the wrong axis (the last one)',
        "swaps_the_kernel_s_height_and_width_axes": "swaps the kernel's height and width axes",
        "correct_values_but_a_python_loop_over": 'correct values but a Python loop over output pixels',
        "calls_pytorch_s_own_convolution": "calls PyTorch's own convolution",
    },
    "ch04_maxpool": {
        "reshapes_into_blocks_only_right_when_the": 'reshapes into blocks: only right when the stride equals the kernel and divides the size',
        "the_default_stride_is_1_instead_of_the": 'the default stride is 1 instead of the kernel size',
        "pads_with_zeros_so_all_negative_windows": 'pads with zeros, so all-negative windows at the border give 0',
        "averages_instead_of_taking_the_maximum": 'averages instead of taking the maximum',
        "uses_nn_maxpool2d": 'uses nn.MaxPool2d',
    },
    "ch04_lenet5": {
        "uses_relu_instead_of_tanh": 'uses ReLU instead of tanh',
        "max_pooling_instead_of_average_pooling": 'max pooling instead of average pooling (subsampling)',
        "forgets_the_tanh_after_f6": 'forgets the tanh after F6',
        "pads_c1_by_2_the_28x28_input_variant_so": 'pads C1 by 2 (the 28x28-input variant), so C5 sees 2x2 maps',
    },
    "ch04_residual_block": {
        "applies_the_last_relu_before_the": 'applies the last ReLU before the addition',
        "projects_only_when_the_channels_change": 'projects only when the channels change, not when the stride is 2',
        "puts_the_stride_on_the_second": 'puts the stride on the second convolution',
        "a_projection_shortcut_without_batch_norm": 'a projection shortcut without batch norm',
    },
    "ch04_weighted_ce": {
        "divides_by_the_number_of_samples_instead": 'divides by the number of samples instead of the sum of their weights',
        "softmax_without_subtracting_the_maximum": 'softmax without subtracting the maximum (overflows for large logits)',
        "normalises_the_log_softmax_over_the": 'normalises the log-softmax over the batch axis',
        "uses_nn_crossentropyloss": 'uses nn.CrossEntropyLoss',
        "weights_each_sample_by_its_predicted": 'weights each sample by its predicted class instead of its true class',
    },
}
