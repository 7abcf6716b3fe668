"""Public checks of Chapter 4 (convolutional networks).

The checks compare the student's code with PyTorch's own functions (``F.conv2d`` and its
gradients from autograd, ``F.max_pool2d``, ``F.cross_entropy(weight=...)``) on generated
inputs: several shapes and seeds, batch size 1, non-square images and kernels, strides and
paddings, zero and negative values. The two modules (LeNet-5, the residual block) get
prescribed weights and are compared with the same network written with PyTorch's functional
layers, forward and backward.

"No Python loop over pixels" is checked too: :func:`probe_lines_executed` counts the Python
lines the student's code executes; a vectorised function executes as many on a large image as
on a small one.

Known mistakes: where PyTorch's own functions give a catalogued mistake's result (a flipped or
transposed kernel, another stride, another reduction), the check passes it as a variant, and a
failing result that matches it is named. :class:`Suspects` keeps the naming honest: a mistake
stays suspected only while it would also have given every result that already passed.
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
    than on the small one (a Python loop over output positions: the catalogued mistake
    ``python_pixel_loop`` of every vectorised exercise)."""
    small = run(probe_lines_executed, *small_args)
    large = run(probe_lines_executed, *large_args)
    if large > small + 4:
        raise CheckFailure(
            f"{fn_name} executed {small} lines of Python on {small_desc} but {large} on "
            f"{large_desc}: it loops over output positions in Python. Vectorise it (no Python "
            "loop over pixels): build all windows at once and combine them with one tensor "
            "operation.", mistake="python_pixel_loop")


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


def expect_no_calls(run, fn_name: str, forbidden: list, args: tuple, mistake: str) -> None:
    """Fail when the student's function calls one of the ``forbidden`` library functions; the
    failure carries the id of the exercise's catalogued mistake ``mistake``."""
    called = run(probe_calls_to, forbidden, *args)
    if called:
        names = ", ".join(c.replace("torch.nn.functional.", "F.") for c in called)
        raise CheckFailure(f"{fn_name} calls {names}, which this exercise asks you to write "
                           "yourself; use only tensor operations.", mistake=mistake)


# --- naming known mistakes ---------------------------------------------------------------

RAISES = object()  # a variant meaning "this mistake raises an error on these inputs"


def _same(a, b) -> bool:
    """Would a result equal to ``a`` have passed the comparison with ``b``?"""
    if a is RAISES or b is RAISES:
        return a is b
    if isinstance(a, torch.Tensor) or isinstance(b, torch.Tensor):
        return (isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor)
                and a.shape == b.shape and a.dtype == b.dtype
                and bool(torch.allclose(a.double(), b.double(), rtol=1e-4, atol=1e-5)))
    if isinstance(a, dict) or isinstance(b, dict):
        return (isinstance(a, dict) and isinstance(b, dict) and a.keys() == b.keys()
                and all(_same(a[k], b[k]) for k in a))
    if isinstance(a, (tuple, list)) or isinstance(b, (tuple, list)):
        return (type(a) is type(b) and len(a) == len(b)
                and all(_same(x, y) for x, y in zip(a, b)))
    return type(a) is type(b) and a == b


class Suspects:
    """The catalogued mistakes of an exercise that a student's code may still be making.

    Call it with the variants of one case (mistake id -> what that mistake returns) to get those
    worth naming; after the case passed, :meth:`cleared` rules out every mistake whose variant
    differed from the right answer, since the code did not make it.
    """

    def __init__(self, grade_id: str):
        self.ids = set(MISTAKES[grade_id])

    def __call__(self, variants: dict) -> dict:
        return {m: v for m, v in variants.items() if m in self.ids and v is not RAISES}

    def cleared(self, variants: dict, expected) -> None:
        self.ids -= {m for m, v in variants.items() if not _same(v, expected)}


# --- the modules' probes -------------------------------------------------------------------

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

# the state_dict shapes of LeNet5 written with a catalogued mistake that changes them
LENET5_SHAPE_MISTAKES = {
    "c5_as_linear": {**LENET5_SHAPES, "c5.weight": [120, 400]},
    "c1_padded": {**LENET5_SHAPES, "f6.weight": [84, 480]},
}


def lenet5_functional(p: dict, x: torch.Tensor, act=torch.tanh, pool=F.avg_pool2d,
                      tanh_after_f6: bool = True, softmax_output: bool = False) -> torch.Tensor:
    """LeNet-5 written with ``torch.nn.functional``, parameters taken from the dict ``p``.

    The options give the network as a catalogued mistake would compute it: another activation
    or pooling, no tanh after F6, probabilities instead of logits."""
    h = pool(act(F.conv2d(x, p["c1.weight"], p["c1.bias"])), 2)
    h = pool(act(F.conv2d(h, p["c3.weight"], p["c3.bias"])), 2)
    h = act(F.conv2d(h, p["c5.weight"], p["c5.bias"])).flatten(1)
    h = F.linear(h, p["f6.weight"], p["f6.bias"])
    out = F.linear(act(h) if tanh_after_f6 else h, p["output.weight"], p["output.bias"])
    return out.softmax(dim=1) if softmax_output else out


LENET5_VALUE_MISTAKES = {
    "relu_instead_of_tanh": {"act": F.relu},
    "max_instead_of_average_pooling": {"pool": F.max_pool2d},
    "missing_tanh_after_f6": {"tanh_after_f6": False},
    "softmax_on_output": {"softmax_output": True},
}


def residual_shapes(cin: int, cout: int, stride: int, project: bool | None = None,
                    shortcut_bn: bool = True, conv_bias: bool = False) -> dict:
    """The state-dict names and shapes the exercise prescribes for ``ResidualBlock``.

    ``project`` (default: when the stride or the channels change), ``shortcut_bn`` and
    ``conv_bias`` give the shapes a catalogued mistake would have instead."""
    project = (stride != 1 or cin != cout) if project is None else project
    shapes = {"conv1.weight": [cout, cin, 3, 3], "conv2.weight": [cout, cout, 3, 3]}
    if conv_bias:
        shapes.update({"conv1.bias": [cout], "conv2.bias": [cout]})
    names = ["bn1", "bn2"]
    if project:
        shapes["shortcut.0.weight"] = [cout, cin, 1, 1]
        if conv_bias:
            shapes["shortcut.0.bias"] = [cout]
        if shortcut_bn:
            names.append("shortcut.1")
    for bn in names:
        for field in ("weight", "bias", "running_mean", "running_var"):
            shapes[f"{bn}.{field}"] = [cout]
        shapes[f"{bn}.num_batches_tracked"] = []
    return shapes


def residual_shape_mistakes(cin: int, cout: int, stride: int) -> dict:
    """The state-dict shapes of each catalogued mistake that changes them."""
    return {
        "identity_when_only_stride_changes": residual_shapes(cin, cout, stride, project=cin != cout),
        "projection_without_batch_norm": residual_shapes(cin, cout, stride, shortcut_bn=False),
        "always_projects": residual_shapes(cin, cout, stride, project=True),
        "conv_with_bias": residual_shapes(cin, cout, stride, conv_bias=True),
    }


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


def residual_functional(p: dict, x: torch.Tensor, stride: int, training: bool,
                        relu_before_addition: bool = False,
                        stride_on_second_conv: bool = False) -> torch.Tensor:
    """The basic residual block written with ``torch.nn.functional``; parameters from ``p``.

    Running statistics are copied, so ``p`` is never modified. The options give the block as a
    catalogued mistake would compute it."""
    def bn(h, name):
        return F.batch_norm(h, p[f"{name}.running_mean"].clone(), p[f"{name}.running_var"].clone(),
                            p[f"{name}.weight"], p[f"{name}.bias"], training=training, eps=1e-5)

    s1, s2 = (1, stride) if stride_on_second_conv else (stride, 1)
    h = F.relu(bn(F.conv2d(x, p["conv1.weight"], stride=s1, padding=1), "bn1"))
    h = bn(F.conv2d(h, p["conv2.weight"], stride=s2, padding=1), "bn2")
    skip = (bn(F.conv2d(x, p["shortcut.0.weight"], stride=stride), "shortcut.1")
            if "shortcut.0.weight" in p else x)
    return F.relu(h) + skip if relu_before_addition else F.relu(h + skip)


RESIDUAL_VALUE_MISTAKES = {
    "relu_before_addition": {"relu_before_addition": True},
    "stride_on_second_conv": {"stride_on_second_conv": True},
}


def _expect_shapes(got: dict, expected: dict, what: str, mistakes: dict | None = None) -> None:
    """Compare a state_dict's names and shapes; ``mistakes`` maps catalogued mistakes to the
    shapes they would give."""
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
                       f"{what}: the state_dict differs from the specification",
                       mistake=next((m for m, v in (mistakes or {}).items() if v == got), None))


def expect_module_results(got: dict, expected: dict, what: str, tol: float = 1e-4,
                          mistakes: dict | None = None) -> None:
    """Compare every tensor (and dict of tensors) of ``expected`` with ``got``; ``mistakes``
    maps catalogued mistakes to the results they would give."""
    mistakes = mistakes or {}
    for key, value in expected.items():
        if key not in got:
            raise CheckFailure(f"{what}: no result for {key}")
        if isinstance(value, dict):
            for name, t in value.items():
                if got[key].get(name) is None:
                    raise CheckFailure(f"{what}: parameter {name} received no gradient",
                                       f"{what}: a parameter received no gradient")
                expect_close(got[key][name], t, f"{what}: gradient of {name}", rtol=tol, atol=tol,
                             mistakes={m: v[key][name] for m, v in mistakes.items()
                                       if name in v.get(key, {})})
        else:
            expect_close(got[key], value, f"{what}: {key.replace('_', ' ')}", rtol=tol, atol=tol,
                         mistakes={m: v[key] for m, v in mistakes.items() if key in v})


def lenet5_case(seed: int, batch: int, **options) -> tuple[tuple, dict]:
    """Inputs of :func:`probe_lenet5` and the expected results, from the functional network
    (with ``options`` of :func:`lenet5_functional`: as a catalogued mistake computes it)."""
    state = random_state(LENET5_SHAPES, seed)
    x = _randn(seed + 100, batch, 1, 32, 32)
    grad_out = _randn(seed + 101, batch, 10)
    params = {k: v.clone().requires_grad_(True) for k, v in state.items()}
    xr = x.clone().requires_grad_(True)
    out = lenet5_functional(params, xr, **options)
    (out * grad_out).sum().backward()
    expected = {"logits": out.detach(), "grad_x": xr.grad,
                "grad_params": {k: v.grad for k, v in params.items()}}
    return (state, x, grad_out), expected


def residual_case(seed: int, cin: int, cout: int, stride: int, x_shape: tuple,
                  **options) -> tuple[tuple, dict]:
    """Inputs of :func:`probe_residual_block` and the expected results (with ``options`` of
    :func:`residual_functional`: as a catalogued mistake computes them)."""
    state = random_state(residual_shapes(cin, cout, stride), seed)
    x = _randn(seed + 100, *x_shape)
    eval_out = residual_functional(state, x, stride, training=False)
    grad_out = _randn(seed + 101, *eval_out.shape)
    eval_out = residual_functional(state, x, stride, training=False, **options)
    params = {k: (v.clone().requires_grad_(True) if v.is_floating_point()
                  and not k.endswith(("running_mean", "running_var")) else v)
              for k, v in state.items()}
    xr = x.clone().requires_grad_(True)
    out = residual_functional(params, xr, stride, training=True, **options)
    if out.shape == grad_out.shape:
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


def output_size_mistakes(n: int, k: int, s: int, p: int) -> dict:
    """What each catalogued mistake returns, from lengths PyTorch measures."""
    right = torch_output_size(n, k, s, p)
    return {"counts_steps_not_positions": right - 1,
            "pads_one_side": torch_output_size(n + p, k, s, 0) if n + p >= k else RAISES,
            "float_division": float(right),
            "rounds_up": torch_output_size(n + s - 1, k, s, p),   # a longer input: one more step
            "divides_stride1_length": torch_output_size(n, k, 1, p) // s}


@exercise("ch04_output_size", target="conv_output_size",
          title="Output size of a convolution")
def check_output_size(run):
    suspects = Suspects("ch04_output_size")
    for n, k, s, p in OUTPUT_SIZE_CASES:
        expected, variants = torch_output_size(n, k, s, p), output_size_mistakes(n, k, s, p)
        expect_equal(run(call, n, k, s, p), expected,
                     f"conv_output_size(n={n}, kernel_size={k}, stride={s}, padding={p})",
                     mistakes=suspects(variants))
        suspects.cleared(variants, expected)
    expect_equal(run(call, 12, 3), torch_output_size(12, 3, 1, 0),
                 "conv_output_size(12, 3) with the default stride and padding")


# --- 4.2 conv2d ------------------------------------------------------------------------------

# (seed, x shape, weight shape, bias?, stride, padding); the second case has as many output
# channels as output columns, so that a bias added along the last axis gives values, not an error
CONV_CASES = [
    (0, (1, 1, 5, 5), (1, 1, 3, 3), False, 1, 0),
    (1, (2, 3, 7, 4), (4, 3, 3, 3), True, 1, 1),
    (12, (2, 3, 7, 9), (4, 3, 3, 3), True, 1, 1),
    (2, (1, 3, 8, 6), (5, 3, 2, 4), True, 2, 0),
    (3, (3, 2, 10, 7), (2, 2, 5, 3), True, 3, 2),
    (4, (1, 4, 6, 6), (8, 4, 1, 1), True, 1, 0),
    (5, (2, 1, 9, 4), (3, 1, 3, 3), False, 2, 1),
]

CONV_FORBIDDEN = ["torch.nn.functional.conv2d", "torch.conv2d", "torch.convolution",
                  "torch.nn.functional.unfold"]
CONV_BACKWARD_FORBIDDEN = CONV_FORBIDDEN + [
    "torch.nn.functional.conv_transpose2d", "torch.conv_transpose2d", "torch.nn.functional.fold",
    "torch.nn.grad.conv2d_input", "torch.nn.grad.conv2d_weight", "torch.autograd.grad",
    "torch.autograd.backward"]
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


def conv2d_mistakes(x, w, b, s, p) -> dict:
    """What each catalogued mistake of ``conv2d`` returns, from ``F.conv2d`` itself."""
    out_no_bias = F.conv2d(x, w, None, stride=s, padding=p)
    last_axis_ok = b is None or out_no_bias.shape[-1] == len(b)
    return {"flipped_kernel": F.conv2d(x, w.flip(-2, -1), b, stride=s, padding=p),
            "stride_ignored": F.conv2d(x, w, b, padding=p),
            "padding_width_only": F.conv2d(F.pad(x, (p, p)), w, b, stride=s),
            "bias_on_last_axis": (out_no_bias + b if b is not None else out_no_bias)
            if last_axis_ok else RAISES,
            "bias_ignored": out_no_bias,
            "kernel_axes_swapped": F.conv2d(x, w.transpose(-2, -1), b, stride=s, padding=p)}


@exercise("ch04_conv2d", target="conv2d", title="2-D convolution, vectorised")
def check_conv2d(run):
    suspects = Suspects("ch04_conv2d")

    def compare(x, w, b, s, p, what, args, tol=(1e-4, 1e-5)):
        expected, variants = F.conv2d(x, w, b, stride=s, padding=p), conv2d_mistakes(x, w, b, s, p)
        expect_close(run(call, *args), expected, what, rtol=tol[0], atol=tol[1],
                     mistakes=suspects(variants))
        suspects.cleared(variants, expected)

    x, w = HAND_IMAGE[None, None], HAND_KERNEL[None, None]
    compare(x, w, None, 1, 0, "conv2d on the 5x5 image with the 3x3 kernel of the text",
            (x, w, None, 1, 0))
    for seed, xs, ws, with_bias, s, p in CONV_CASES:
        x, w, b = conv_inputs(seed, xs, ws, with_bias)
        what = (f"conv2d(x {xs}, weight {ws}, bias {'given' if with_bias else 'None'}, "
                f"stride={s}, padding={p})")
        compare(x, w, b, s, p, what, (x, w, b, s, p))
    x, w, b = conv_inputs(6, (2, 3, 6, 5), (4, 3, 3, 3), True)
    compare(x, w, b, 1, 0, "conv2d(x, w, b) with the default stride and padding", (x, w, b))
    zeros, b, w = torch.zeros(1, 2, 4, 4), _randn(7, 3), _randn(8, 3, 2, 3, 3)
    compare(zeros, w, b, 1, 1, "conv2d of an all-zero image (the output is the bias everywhere)",
            (zeros, w, b, 1, 1))
    x, w, b = conv_inputs(9, (2, 2, 7, 6), (3, 2, 3, 2), True, dtype=torch.float64)
    compare(x, w, b, 2, 1, "conv2d in float64 (keep the input's dtype)", (x, w, b, 2, 1),
            tol=(1e-7, 1e-9))
    x, w, b = conv_inputs(11, (1, 2, 5, 6), (3, 2, 3, 3), True)
    expect_no_calls(run, "conv2d", CONV_FORBIDDEN, (x, w, b, 1, 1), "calls_builtin_conv")
    w = _randn(10, 2, 1, 3, 3)
    expect_no_pixel_loop(run, "conv2d", (torch.ones(1, 1, 4, 4), w, None, 1, 0),
                         (torch.ones(1, 1, 20, 20), w, None, 1, 0), "a 4x4 image", "a 20x20 image")


# --- 4.3 conv2d backward ----------------------------------------------------------------------

# (seed, x shape, weight shape, stride, padding): stride 1 first, then strides that do and do
# not divide the padded size, non-square kernels, more input than output channels and back
CONV_BACKWARD_CASES = [
    (0, (1, 1, 5, 5), (1, 1, 3, 3), 1, 0),
    (1, (2, 3, 6, 7), (4, 3, 3, 2), 1, 1),
    (2, (2, 2, 9, 9), (3, 2, 3, 3), 2, 0),
    (3, (1, 3, 8, 7), (2, 3, 3, 3), 2, 1),
    (4, (3, 4, 10, 9), (5, 4, 2, 3), 3, 2),
    (5, (1, 2, 6, 6), (2, 2, 1, 1), 2, 0),
]


def conv2d_grads(x, w, grad_out, s, p) -> tuple:
    """``(grad_x, grad_weight, grad_bias)`` of ``sum(F.conv2d(x, w, b, s, p) * grad_out)``, from
    autograd."""
    x = x.clone().requires_grad_(True)
    w = w.clone().requires_grad_(True)
    b = torch.zeros(w.shape[0], dtype=w.dtype, requires_grad=True)
    (F.conv2d(x, w, b, stride=s, padding=p) * grad_out).sum().backward()
    return x.grad, w.grad, b.grad


def _fit(grad_padded: torch.Tensor, x_shape, p: int) -> torch.Tensor:
    """A gradient of the padded input, cut or zero-filled at the bottom and right to the padded
    size, then without the padding: what an ``x``-shaped answer built from it holds."""
    h, w = x_shape[2:]
    grad_padded = F.pad(grad_padded, (0, w + 2 * p - grad_padded.shape[3],
                                      0, h + 2 * p - grad_padded.shape[2]))
    return grad_padded[:, :, p:p + h, p:p + w]


def conv2d_backward_mistakes(x, w, gy, s, p) -> dict:
    """What each catalogued mistake of ``conv2d_backward`` returns. ``F.conv_transpose2d`` is
    the gradient of a convolution with respect to its input; its ``output_padding`` restores
    the rows and columns no window reached."""
    gx, gw, gb = conv2d_grads(x, w, gy, s, p)
    reach = [(x.shape[d] + 2 * p - w.shape[d]) % s for d in (2, 3)]
    per_example = torch.cat([conv2d_grads(x[n:n + 1], w, gy[n:n + 1], s, p)[1][None]
                             for n in range(len(x))])
    return {"kernel_not_flipped": (F.conv_transpose2d(gy, w.flip(-2, -1), stride=s, padding=p,
                                                      output_padding=reach), gw, gb),
            "grad_out_not_dilated": (_fit(F.conv_transpose2d(gy, w), x.shape, p), gw, gb),
            "padding_not_removed": (F.conv_transpose2d(gy, w, stride=s, output_padding=reach), gw, gb),
            "unreached_border_dropped": (F.conv_transpose2d(gy, w, stride=s, padding=p), gw, gb),
            "weight_grad_batch_mean": (gx, gw / len(x), gb),
            "weight_grad_per_example": (gx, per_example, gb),
            "bias_grad_mean": (gx, gw, gb / gy[:, 0].numel())}


def expect_grads(got, expected: tuple, what: str, mistakes: dict) -> None:
    """``got`` must be a tuple (or list) ``(grad_x, grad_weight, grad_bias)`` close to
    ``expected``."""
    if not isinstance(got, (tuple, list)) or len(got) != 3:
        raise CheckFailure(f"{what}: expected a tuple (grad_x, grad_weight, grad_bias), got "
                           f"{type(got).__qualname__}" + (f" of length {len(got)}"
                                                         if isinstance(got, (tuple, list)) else ""))
    for i, name in enumerate(("grad_x", "grad_weight", "grad_bias")):
        # a gradient entry sums up to N * H_out * W_out products: rounding grows with its scale
        scale = 1.0 + float(expected[i].abs().max()) if expected[i].numel() else 1.0
        rtol, atol = (1e-4, 1e-5 * scale) if expected[i].dtype == torch.float32 else (1e-7, 1e-9 * scale)
        expect_close(got[i], expected[i], f"{what}: {name}", rtol=rtol, atol=atol,
                     mistakes={m: v[i] for m, v in mistakes.items()})


def conv_backward_inputs(seed, x_shape, w_shape, s, p, dtype=torch.float32):
    """``x``, ``weight`` and a random ``grad_out`` of the right shape."""
    x, w, _ = conv_inputs(seed, x_shape, w_shape, False, dtype=dtype)
    out_shape = F.conv2d(x, w, stride=s, padding=p).shape
    return x, w, _randn(seed + 60, *out_shape, dtype=dtype)


@exercise("ch04_conv2d_backward", target="conv2d_backward", title="The gradients of a convolution")
def check_conv2d_backward(run):
    suspects = Suspects("ch04_conv2d_backward")
    for seed, xs, ws, s, p in CONV_BACKWARD_CASES:
        x, w, gy = conv_backward_inputs(seed, xs, ws, s, p)
        expected, variants = conv2d_grads(x, w, gy, s, p), conv2d_backward_mistakes(x, w, gy, s, p)
        expect_grads(run(call, x, w, gy, s, p), expected,
                     f"conv2d_backward(x {xs}, weight {ws}, grad_out {tuple(gy.shape)}, "
                     f"stride={s}, padding={p})", suspects(variants))
        suspects.cleared(variants, expected)
    x, w, gy = conv_backward_inputs(6, (2, 2, 5, 6), (3, 2, 3, 3), 1, 0)
    expect_grads(run(call, x, w, gy), conv2d_grads(x, w, gy, 1, 0),
                 "conv2d_backward(x, weight, grad_out) with the default stride and padding", {})
    x, w, gy = conv_backward_inputs(7, (2, 2, 7, 6), (3, 2, 3, 2), 2, 1, dtype=torch.float64)
    expect_grads(run(call, x, w, gy, 2, 1), conv2d_grads(x, w, gy, 2, 1),
                 "conv2d_backward in float64 (keep the input's dtype)", {})
    x, w, gy = conv_backward_inputs(8, (1, 2, 5, 6), (3, 2, 3, 3), 1, 1)
    expect_no_calls(run, "conv2d_backward", CONV_BACKWARD_FORBIDDEN, (x, w, gy, 1, 1),
                    "calls_builtin")
    small = conv_backward_inputs(9, (1, 1, 6, 6), (2, 1, 3, 3), 2, 1)
    large = conv_backward_inputs(9, (1, 1, 24, 24), (2, 1, 3, 3), 2, 1)
    expect_no_pixel_loop(run, "conv2d_backward", (*small, 2, 1), (*large, 2, 1),
                         "a 6x6 image", "a 24x24 image")


# --- 4.4 max pooling ------------------------------------------------------------------------

# (seed, x shape, kernel_size, stride or None, offset added to the input): overlapping windows
# come second, so that cutting the map into blocks is named before sizes it cannot divide
POOL_CASES = [
    (0, (1, 1, 4, 4), 2, None, 0.0),
    (2, (1, 2, 9, 9), 3, 2, 0.0),
    (1, (2, 3, 7, 5), 2, None, 0.0),
    (3, (2, 1, 6, 8), 3, 1, 0.0),
    (4, (1, 4, 5, 11), 2, 3, -10.0),
    (5, (3, 2, 8, 6), 4, None, -3.0),
]


def max_pool2d_mistakes(x, k, s) -> dict:
    """What each catalogued mistake of ``max_pool2d`` returns, from PyTorch's pooling."""
    stride = k if s is None else s
    pad = [(-(x.shape[d] - k)) % stride for d in (3, 2)]
    return {"windows_do_not_overlap": F.max_pool2d(x, k, k),
            "default_stride_one": F.max_pool2d(x, k, 1) if s is None else F.max_pool2d(x, k, s),
            "keeps_partial_windows": F.max_pool2d(F.pad(x, (0, pad[0], 0, pad[1])), k, stride),
            "averages": F.avg_pool2d(x, k, stride)}


@exercise("ch04_maxpool", target="max_pool2d", title="Max pooling")
def check_maxpool(run):
    suspects = Suspects("ch04_maxpool")

    def compare(x, k, s, what, args):
        expected, variants = F.max_pool2d(x, k, s), max_pool2d_mistakes(x, k, s)
        expect_close(run(call, *args), expected, what, mistakes=suspects(variants))
        suspects.cleared(variants, expected)

    for seed, xs, k, s, offset in POOL_CASES:
        x = _randn(seed, *xs) + offset
        compare(x, k, s, f"max_pool2d(x {xs}{' (all negative)' if offset < -5 else ''}, "
                f"kernel_size={k}, stride={s})", (x, k, s))
    x = _randn(6, 2, 2, 6, 6)
    compare(x, 2, None, "max_pool2d(x, 2): the stride defaults to the kernel size", (x, 2))
    x = torch.zeros(1, 1, 4, 6)
    compare(x, 2, 2, "max_pool2d of an all-zero image", (x, 2, 2))
    x = _randn(7, 1, 2, 5, 5, dtype=torch.float64)
    compare(x, 2, 1, "max_pool2d in float64", (x, 2, 1))
    expect_no_calls(run, "max_pool2d", POOL_FORBIDDEN, (_randn(8, 1, 2, 6, 6), 2, None),
                    "calls_builtin_pool")
    expect_no_pixel_loop(run, "max_pool2d", (torch.ones(1, 1, 4, 4), 2, 2),
                         (torch.ones(1, 1, 36, 36), 2, 2), "a 4x4 image", "a 36x36 image")


# --- 4.5 LeNet-5 ----------------------------------------------------------------------------

@exercise("ch04_lenet5", target="LeNet5", title="LeNet-5")
def check_lenet5(run):
    expected_count = sum(int(torch.tensor(s).prod()) for s in LENET5_SHAPES.values())
    suspects = Suspects("ch04_lenet5")
    for seed, batch in [(0, 1), (1, 3)]:
        inputs, expected = lenet5_case(seed, batch)
        variants = {m: lenet5_case(seed, batch, **options)[1]
                    for m, options in LENET5_VALUE_MISTAKES.items()}
        got = run(probe_lenet5, *inputs)
        _expect_shapes(got["state_shapes"], LENET5_SHAPES, "LeNet5()",
                       suspects(LENET5_SHAPE_MISTAKES))
        suspects.cleared(LENET5_SHAPE_MISTAKES, LENET5_SHAPES)
        expect_scalar(got["num_params"], expected_count, "number of parameters of LeNet5()")
        expect_scalar(got["num_params"], 61706, "number of parameters of LeNet5() (LeCun et al.)")
        expect_module_results(got, expected, f"LeNet5 on a batch of {batch}",
                              mistakes=suspects(variants))
        suspects.cleared(variants, expected)


# --- 4.6 residual block ---------------------------------------------------------------------

# (seed, in_channels, out_channels, stride, x shape)
RESIDUAL_CASES = [
    (0, 4, 4, 1, (2, 4, 6, 6)),
    (1, 3, 8, 1, (1, 3, 5, 7)),
    (2, 4, 6, 2, (2, 4, 8, 6)),
    (3, 4, 4, 2, (3, 4, 7, 7)),
]


@exercise("ch04_residual_block", target="ResidualBlock", title="Residual block")
def check_residual_block(run):
    suspects = Suspects("ch04_residual_block")
    for seed, cin, cout, stride, xs in RESIDUAL_CASES:
        what = f"ResidualBlock({cin}, {cout}, stride={stride}) on x {xs}"
        inputs, expected = residual_case(seed, cin, cout, stride, xs)
        variants = {m: residual_case(seed, cin, cout, stride, xs, **options)[1]
                    for m, options in RESIDUAL_VALUE_MISTAKES.items()}
        got = run(probe_residual_block, *inputs)
        shapes = residual_shape_mistakes(cin, cout, stride)
        _expect_shapes(got["state_shapes"], residual_shapes(cin, cout, stride), what,
                       suspects(shapes))
        suspects.cleared(shapes, residual_shapes(cin, cout, stride))
        expect_module_results(got, expected, what, mistakes=suspects(variants))
        suspects.cleared(variants, expected)


# --- 4.7 weighted cross-entropy -----------------------------------------------------------

# (seed, N, C, logit scale, kind of weights); a batch of one comes later, where dividing by
# the batch size and summing over it agree
CE_CASES = [
    (1, 8, 5, 2.0, "random"),
    (0, 1, 3, 1.0, "random"),
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


def weighted_ce_mistakes(logits, targets, weight) -> dict:
    """What each catalogued mistake of ``weighted_cross_entropy`` returns (those that give a
    finite number), from PyTorch's losses."""
    per_sample = F.cross_entropy(logits, targets, weight=weight, reduction="none")  # w_y * loss
    unweighted = F.cross_entropy(logits, targets, reduction="none")
    w_pred = weight[logits.argmax(dim=1)]
    return {"divides_by_batch_size": per_sample.sum() / len(targets),
            "sums_over_batch": per_sample.sum(),
            "log_softmax_over_batch": F.nll_loss(logits.log_softmax(dim=0), targets, weight=weight),
            "weight_by_predicted_class": (w_pred * unweighted).sum() / w_pred.sum()}


@exercise("ch04_weighted_ce", target="weighted_cross_entropy",
          title="Class-weighted cross-entropy")
def check_weighted_ce(run):
    suspects = Suspects("ch04_weighted_ce")
    for seed, n, c, scale, kind in CE_CASES:
        logits, targets, weight = ce_inputs(seed, n, c, scale, kind)
        what = f"weighted_cross_entropy on {n} samples, {c} classes, logits x{scale:g}, {kind} weights"
        expected = F.cross_entropy(logits, targets, weight=weight)
        variants = weighted_ce_mistakes(logits, targets, weight)
        got = run(call, logits, targets, weight)
        if isinstance(got, torch.Tensor) and got.is_floating_point() and not got.isfinite().all():
            raise CheckFailure(f"{what}: expected {expected.item():.6g}, got {got} (not finite)",
                               f"{what}: not finite", mistake="unstable_softmax")
        expect_close(got, expected, what, rtol=1e-5, atol=1e-5, mistakes=suspects(variants))
        suspects.cleared(variants, expected)
    logits, targets, weight = ce_inputs(5, 6, 4, 1.0, "random", dtype=torch.float64)
    expect_close(run(call, logits, targets, weight), F.cross_entropy(logits, targets, weight=weight),
                 "weighted_cross_entropy in float64")
    expect_no_calls(run, "weighted_cross_entropy", CE_FORBIDDEN, ce_inputs(7, 5, 3, 1.0, "random"),
                    "calls_builtin_loss")
    logits, targets, weight = ce_inputs(6, 7, 5, 2.0, "random")
    got = run(probe_loss_and_grad, logits, targets, weight)
    lr = logits.clone().requires_grad_(True)
    F.cross_entropy(lr, targets, weight=weight).backward()
    expect_close(got["grad"], lr.grad, "gradient of weighted_cross_entropy with respect to the "
                 "logits", rtol=1e-4, atol=1e-6)


# --- the catalogue of known mistakes -------------------------------------------------------
# exercise -> mistake id -> the misconception and the idea to revisit (never code). The grader
# holds an implementation of each (autograder/mistakes/ch04.py).

_LOOP = ("right values, but a Python loop over output positions: build every window at once, as "
         "a view with the memory strides of the section on convolution without loops, and "
         "combine all of them in one tensor operation")

MISTAKES = {
    "ch04_output_size": {
        "counts_steps_not_positions": "counts the steps the window takes but not the position it "
                                      "starts from: the output length is the number of window "
                                      "positions, one more than the number of steps",
        "pads_one_side": "adds the padding on one side only: p zeros go on each side, so the "
                         "padded length is n + 2p",
        "float_division": "returns a float: an output length is a whole number of window "
                          "positions; divide with floor (integer) division, which also drops a "
                          "window that would stick out past the padded border",
        "rounds_up": "rounds up: a window that would stick out past the padded border is dropped, "
                     "so the number of steps is rounded down (rounding up is pooling's ceil mode, "
                     "not what a convolution does)",
        "divides_stride1_length": "divides the stride-1 output length by the stride: the first "
                                  "window starts at position 0 and each later one s further, so "
                                  "count the steps (n + 2p - k) / s, round down, then add the "
                                  "starting position",
    },
    "ch04_conv2d": {
        "flipped_kernel": "flips the kernel, as the mathematical convolution (and signal-processing "
                          "libraries) do: deep-learning layers, F.conv2d included, compute the "
                          "cross-correlation, which multiplies X[i + a, j + b] by K[a, b]",
        "stride_ignored": "moves the window by one pixel whatever the stride: with stride s the "
                          "window of output (i, j) starts at input (s*i, s*j)",
        "padding_width_only": "pads only the width: padding adds p zeros on all four sides, above "
                              "and below as well as left and right (a padding list for F.pad "
                              "names the last axis first)",
        "bias_on_last_axis": "adds the bias along the last axis (the width): there is one bias per "
                             "output channel, added at every position of that channel's map",
        "bias_ignored": "leaves out the bias: when one is given, output channel o adds its b_o at "
                        "every position",
        "kernel_axes_swapped": "swaps the kernel's height and width: weight has shape "
                               "(C_out, C_in, k_h, k_w); its third axis runs down the rows of the "
                               "window, its fourth along the columns",
        "python_pixel_loop": _LOOP,
        "calls_builtin_conv": "calls PyTorch's own convolution (or its unfold): the exercise is to "
                              "build the windows yourself from the tensor's memory strides",
    },
    "ch04_conv2d_backward": {
        "kernel_not_flipped": "the gradient of the input uses the kernel unflipped: input pixel u "
                              "fed the output at u - a through weight K[a], so gathering its "
                              "gradient over the outputs walks through the kernel backwards: a "
                              "full correlation with the kernel flipped along both axes",
        "grad_out_not_dilated": "the output gradient was not spread out by the stride: output "
                                "(i, j) came from the window at input (s*i, s*j), so with stride s "
                                "put s - 1 zeros between neighbouring entries of dY first",
        "padding_not_removed": "returns the gradient of the padded input: the padding zeros are "
                               "not inputs, so drop p rows and columns of gradient on each side",
        "unreached_border_dropped": "drops the last rows or columns that no window reached (when "
                                    "the stride does not divide the padded size): they are inputs "
                                    "too, with gradient 0, and dX has the shape of X",
        "weight_grad_batch_mean": "averages the weight gradient over the batch: a weight is used by "
                                  "every example at every position, and its gradient is the sum "
                                  "of all those contributions (any averaging of the loss is "
                                  "already inside dY)",
        "weight_grad_per_example": "keeps one weight gradient per example: the kernel is shared by "
                                   "the whole batch, so dW sums over the examples and has the "
                                   "shape of W",
        "bias_grad_mean": "averages the bias gradient: b_o is added at every position of every "
                          "example, so its gradient is the sum of dY over the batch and all "
                          "positions of channel o",
        "python_pixel_loop": _LOOP,
        "calls_builtin": "calls PyTorch's convolution, transposed convolution, unfold or fold, or "
                         "autograd: the exercise is to compute the two correlations yourself with "
                         "tensor operations",
    },
    "ch04_maxpool": {
        "windows_do_not_overlap": "steps by the kernel size whatever the stride, as cutting the map "
                                  "into blocks does: with a stride smaller than the window, "
                                  "windows overlap and there are more of them",
        "default_stride_one": "uses stride 1 when none is given: a pooling layer's stride defaults "
                              "to its window size, so that the windows tile the map",
        "keeps_partial_windows": "keeps the windows that stick out past the border, padded with "
                                 "zeros: max pooling drops them (and a padding zero would beat "
                                 "negative values)",
        "averages": "averages each window: max pooling keeps the largest value",
        "python_pixel_loop": _LOOP,
        "calls_builtin_pool": "calls PyTorch's max pooling: build the windows yourself and take "
                              "their maximum",
    },
    "ch04_lenet5": {
        "relu_instead_of_tanh": "uses ReLU: LeNet-5 squashes with tanh after C1, C3, C5 and F6 "
                                "(ReLU came into use with AlexNet, years later)",
        "max_instead_of_average_pooling": "uses max pooling: LeNet-5's subsampling layers S2 and S4 "
                                          "average each 2x2 window",
        "missing_tanh_after_f6": "no tanh after F6: every hidden layer, F6 included, is followed by "
                                 "tanh; only the output layer returns raw scores",
        "softmax_on_output": "returns probabilities: forward returns logits, and the cross-entropy "
                             "loss applies the (log-)softmax itself",
        "c5_as_linear": "writes C5 as a dense layer: in LeNet-5 C5 is a convolution with 120 "
                        "kernels of 5x5 over 16 channels. On a 32x32 input its maps are 1x1, so it "
                        "computes what a dense layer on the flattened 16x5x5 maps would, but its "
                        "weight has a kernel's shape (120, 16, 5, 5) and it would still slide over "
                        "a larger input",
        "c1_padded": "pads C1, as versions of LeNet for 28x28 images do: on LeNet-5's 32x32 input "
                     "C1 has no padding, which is what leaves C5 with 1x1 maps",
    },
    "ch04_residual_block": {
        "relu_before_addition": "applies the last ReLU to the residual branch before the addition: "
                                "the block adds first, y = ReLU(F(x) + shortcut(x))",
        "identity_when_only_stride_changes": "keeps the identity shortcut when the stride is 2 but "
                                             "the channels stay: a strided block halves height "
                                             "and width, so x no longer has the shape of F(x) and "
                                             "must be projected",
        "stride_on_second_conv": "puts the stride on the second convolution: in the basic block "
                                 "the first 3x3 convolution downsamples, as in He et al.",
        "projection_without_batch_norm": "projects the shortcut with a 1x1 convolution but no "
                                         "batch norm: the projection, like each convolution of "
                                         "the branch, is followed by batch norm",
        "always_projects": "projects the shortcut even when the shapes match: then the shortcut is "
                           "the identity, with no parameters, which lets the signal and its "
                           "gradient pass unchanged",
        "conv_with_bias": "gives the convolutions a bias: each is followed by batch norm, whose "
                          "shift replaces the bias (the normalisation would cancel it anyway)",
    },
    "ch04_weighted_ce": {
        "divides_by_batch_size": "divides by the number of samples: the weighted mean divides by "
                                 "the sum of the weights of the batch's labels, so that the loss "
                                 "keeps its scale whatever the weights",
        "sums_over_batch": "sums over the batch instead of averaging: the loss is the weighted "
                           "mean (F.cross_entropy's default), whose scale does not grow with the "
                           "batch size",
        "unstable_softmax": "overflows for large logits: the exponential of a logit in the "
                            "hundreds is infinite; compute log-softmax as z - logsumexp(z), which "
                            "subtracts the maximum first",
        "log_softmax_over_batch": "normalises over the batch axis: the softmax runs over the "
                                  "classes of each sample (axis 1)",
        "weight_by_predicted_class": "weights each sample by its predicted class: the weight "
                                     "belongs to the sample's true label, w_{y_i}",
        "calls_builtin_loss": "calls PyTorch's cross-entropy or negative log-likelihood loss: "
                              "compute the log-softmax and the weighted mean yourself",
    },
}
