"""Implementations of Chapter 4's catalogued mistakes (the grader's own; never shipped).

Each entry replaces the master's solution cell: the grader must take that exercise's points
and name the mistake. The messages are in ``dlcourse/checks/ch04.py`` (``MISTAKES``).
"""
from autograder.mistakes import Mistake


def _variant(source: str, *edits: tuple[str, str]) -> str:
    """``source`` with each ``(old, new)`` edit applied; every ``old`` must occur in it."""
    for old, new in edits:
        if old not in source:
            raise ValueError(f"{old!r} is not in the source")
        source = source.replace(old, new)
    return source


# Correct solutions, written differently from the masters', that the mistakes below edit.
_CONV = '''
def conv2d(x, weight, bias=None, stride=1, padding=0):
    kh, kw = weight.shape[2:]
    x = F.pad(x, (padding, padding, padding, padding))
    windows = x.unfold(2, kh, stride).unfold(3, kw, stride)
    out = torch.einsum("nchwij,ocij->nohw", windows, weight)
    if bias is not None:
        out = out + bias[None, :, None, None]
    return out
'''

_BACKWARD = '''
def conv2d_backward(x, weight, grad_out, stride=1, padding=0):
    n, c_in, h, w = x.shape
    c_out, _, kh, kw = weight.shape
    h_out, w_out = grad_out.shape[2:]
    x_pad = F.pad(x, (padding, padding, padding, padding))
    windows = x_pad.unfold(2, kh, stride).unfold(3, kw, stride)
    grad_weight = torch.einsum("nohw,nchwab->ocab", grad_out, windows)
    grad_bias = grad_out.sum(dim=(0, 2, 3))
    spread = grad_out.new_zeros(n, c_out, (h_out - 1) * stride + 1, (w_out - 1) * stride + 1)
    spread[:, :, ::stride, ::stride] = grad_out
    spread = F.pad(spread, (kw - 1, kw - 1, kh - 1, kh - 1))
    gathered = spread.unfold(2, kh, 1).unfold(3, kw, 1)
    grad_pad = torch.einsum("nohwab,ocab->nchw", gathered, weight.flip(2, 3))
    grad_pad = F.pad(grad_pad, (0, w + 2 * padding - grad_pad.shape[3],
                                0, h + 2 * padding - grad_pad.shape[2]))
    return grad_pad[:, :, padding:padding + h, padding:padding + w], grad_weight, grad_bias
'''

_MAXPOOL = '''
def max_pool2d(x, kernel_size, stride=None):
    stride = kernel_size if stride is None else stride
    windows = x.unfold(2, kernel_size, stride).unfold(3, kernel_size, stride)
    return windows.amax(dim=(-2, -1))
'''

_LENET = '''
class LeNet5(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(1, 6, 5)
        self.c3 = nn.Conv2d(6, 16, 5)
        self.c5 = nn.Conv2d(16, 120, 5)
        self.f6 = nn.Linear(120, 84)
        self.output = nn.Linear(84, 10)

    def forward(self, x):
        x = F.avg_pool2d(torch.tanh(self.c1(x)), 2)
        x = F.avg_pool2d(torch.tanh(self.c3(x)), 2)
        x = torch.tanh(self.c5(x)).flatten(1)
        x = torch.tanh(self.f6(x))
        return self.output(x)
'''

_RESIDUAL = '''
class ResidualBlock(nn.Module):
    def __init__(self, in_channels, out_channels, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)
        self.shortcut = nn.Identity()
        if stride != 1 or in_channels != out_channels:
            self.shortcut = nn.Sequential(nn.Conv2d(in_channels, out_channels, 1, stride, bias=False),
                                          nn.BatchNorm2d(out_channels))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        return F.relu(self.bn2(self.conv2(out)) + self.shortcut(x))
'''

_CE = '''
def weighted_cross_entropy(logits, targets, weight):
    log_probs = torch.log_softmax(logits, dim=1)
    picked = log_probs[torch.arange(len(targets)), targets]
    w = weight[targets]
    return -(w * picked).sum() / w.sum()
'''

MISTAKES = [
    # --- 4.1 output size
    Mistake("ch04_output_size", "counts_steps_not_positions", '''
def conv_output_size(n, kernel_size, stride=1, padding=0):
    return (n + 2 * padding - kernel_size) // stride
'''),
    Mistake("ch04_output_size", "pads_one_side", '''
def conv_output_size(n, kernel_size, stride=1, padding=0):
    return (n + padding - kernel_size) // stride + 1
'''),
    Mistake("ch04_output_size", "float_division", '''
def conv_output_size(n, kernel_size, stride=1, padding=0):
    return (n + 2 * padding - kernel_size) / stride + 1
'''),
    Mistake("ch04_output_size", "rounds_up", '''
import math

def conv_output_size(n, kernel_size, stride=1, padding=0):
    return math.ceil((n + 2 * padding - kernel_size) / stride) + 1
'''),
    Mistake("ch04_output_size", "divides_stride1_length", '''
def conv_output_size(n, kernel_size, stride=1, padding=0):
    return (n + 2 * padding - kernel_size + 1) // stride
'''),
    # --- 4.2 conv2d
    Mistake("ch04_conv2d", "flipped_kernel", _variant(
        _CONV,
        ("windows, weight)", "windows, weight.flip(2, 3))"))),
    Mistake("ch04_conv2d", "stride_ignored", _variant(
        _CONV,
        ("unfold(2, kh, stride).unfold(3, kw, stride)", "unfold(2, kh, 1).unfold(3, kw, 1)"))),
    Mistake("ch04_conv2d", "padding_width_only", _variant(
        _CONV,
        ("(padding, padding, padding, padding)", "(padding, padding)"))),
    Mistake("ch04_conv2d", "bias_on_last_axis", _variant(
        _CONV,
        ("bias[None, :, None, None]", "bias"))),
    Mistake("ch04_conv2d", "bias_ignored", _variant(
        _CONV,
        ("    if bias is not None:\n        out = out + bias[None, :, None, None]\n", ""))),
    Mistake("ch04_conv2d", "kernel_axes_swapped", _variant(
        _CONV,
        ("unfold(2, kh, stride).unfold(3, kw, stride)", "unfold(2, kw, stride).unfold(3, kh, stride)"),
        ("ocij->", "ocji->"))),
    Mistake("ch04_conv2d", "python_pixel_loop", '''
def conv2d(x, weight, bias=None, stride=1, padding=0):
    c_out, c_in, kh, kw = weight.shape
    x = F.pad(x, (padding,) * 4)
    h_out = (x.shape[2] - kh) // stride + 1
    w_out = (x.shape[3] - kw) // stride + 1
    out = x.new_zeros(x.shape[0], c_out, h_out, w_out)
    for i in range(h_out):
        for j in range(w_out):
            patch = x[:, :, i * stride:i * stride + kh, j * stride:j * stride + kw]
            out[:, :, i, j] = torch.einsum("ncij,ocij->no", patch, weight)
    if bias is not None:
        out = out + bias[None, :, None, None]
    return out
'''),
    Mistake("ch04_conv2d", "calls_builtin_conv", '''
def conv2d(x, weight, bias=None, stride=1, padding=0):
    return F.conv2d(x, weight, bias, stride=stride, padding=padding)
'''),
    # --- 4.3 conv2d backward
    Mistake("ch04_conv2d_backward", "kernel_not_flipped", _variant(
        _BACKWARD,
        ("weight.flip(2, 3))", "weight)"))),
    Mistake("ch04_conv2d_backward", "grad_out_not_dilated", _variant(_BACKWARD, (
        """spread = grad_out.new_zeros(n, c_out, (h_out - 1) * stride + 1, (w_out - 1) * stride + 1)
    spread[:, :, ::stride, ::stride] = grad_out
    spread = F.pad(spread,""", "spread = F.pad(grad_out,"))),
    Mistake("ch04_conv2d_backward", "padding_not_removed", _variant(
        _BACKWARD,
        ("grad_pad[:, :, padding:padding + h, padding:padding + w], grad_weight", "grad_pad, grad_weight"))),
    Mistake("ch04_conv2d_backward", "unreached_border_dropped", _variant(
        _BACKWARD, ("""    grad_pad = F.pad(grad_pad, (0, w + 2 * padding - grad_pad.shape[3],
                                0, h + 2 * padding - grad_pad.shape[2]))
""", ""), ("grad_pad[:, :, padding:padding + h, padding:padding + w]",
           "grad_pad[:, :, padding:grad_pad.shape[2] - padding, padding:grad_pad.shape[3] - padding]"))),
    Mistake("ch04_conv2d_backward", "weight_grad_batch_mean", _variant(
        _BACKWARD, ('grad_out, windows)', 'grad_out, windows) / n'))),
    Mistake("ch04_conv2d_backward", "weight_grad_per_example", _variant(
        _BACKWARD, ('"nohw,nchwab->ocab"', '"nohw,nchwab->nocab"'))),
    Mistake("ch04_conv2d_backward", "bias_grad_mean", _variant(
        _BACKWARD,
        ("grad_out.sum(dim=(0, 2, 3))", "grad_out.mean(dim=(0, 2, 3))"))),
    Mistake("ch04_conv2d_backward", "python_pixel_loop", '''
def conv2d_backward(x, weight, grad_out, stride=1, padding=0):
    kh, kw = weight.shape[2:]
    x_pad = F.pad(x, (padding,) * 4)
    grad_pad = torch.zeros_like(x_pad)
    grad_weight = torch.zeros_like(weight)
    for i in range(grad_out.shape[2]):
        for j in range(grad_out.shape[3]):
            rows = slice(i * stride, i * stride + kh)
            cols = slice(j * stride, j * stride + kw)
            g = grad_out[:, :, i, j]
            grad_weight += torch.einsum("no,ncab->ocab", g, x_pad[:, :, rows, cols])
            grad_pad[:, :, rows, cols] += torch.einsum("no,ocab->ncab", g, weight)
    h, w = x.shape[2:]
    return (grad_pad[:, :, padding:padding + h, padding:padding + w], grad_weight,
            grad_out.sum(dim=(0, 2, 3)))
'''),
    Mistake("ch04_conv2d_backward", "calls_builtin", '''
def conv2d_backward(x, weight, grad_out, stride=1, padding=0):
    x = x.detach().requires_grad_(True)
    weight = weight.detach().requires_grad_(True)
    y = F.conv2d(x, weight, stride=stride, padding=padding)
    grad_x, grad_weight = torch.autograd.grad(y, (x, weight), grad_out)
    return grad_x, grad_weight, grad_out.sum(dim=(0, 2, 3))
'''),
    # --- 4.4 max pooling
    Mistake("ch04_maxpool", "windows_do_not_overlap", '''
def max_pool2d(x, kernel_size, stride=None):
    n, c, h, w = x.shape
    k = kernel_size
    return x.reshape(n, c, h // k, k, w // k, k).amax(dim=(3, 5))
'''),
    Mistake("ch04_maxpool", "default_stride_one", _variant(
        _MAXPOOL, ("stride = kernel_size if stride is None", "stride = 1 if stride is None"))),
    Mistake("ch04_maxpool", "keeps_partial_windows", '''
def max_pool2d(x, kernel_size, stride=None):
    stride = kernel_size if stride is None else stride
    n, c, h, w = x.shape
    pad_h = (-(h - kernel_size)) % stride
    pad_w = (-(w - kernel_size)) % stride
    x = F.pad(x, (0, pad_w, 0, pad_h))
    return x.unfold(2, kernel_size, stride).unfold(3, kernel_size, stride).amax(dim=(-2, -1))
'''),
    Mistake("ch04_maxpool", "averages", _variant(_MAXPOOL, ("windows.amax(", "windows.mean("))),
    Mistake("ch04_maxpool", "python_pixel_loop", '''
def max_pool2d(x, kernel_size, stride=None):
    stride = kernel_size if stride is None else stride
    h_out = (x.shape[2] - kernel_size) // stride + 1
    w_out = (x.shape[3] - kernel_size) // stride + 1
    out = x.new_empty(x.shape[0], x.shape[1], h_out, w_out)
    for i in range(h_out):
        for j in range(w_out):
            window = x[:, :, i * stride:i * stride + kernel_size, j * stride:j * stride + kernel_size]
            out[:, :, i, j] = window.amax(dim=(-2, -1))
    return out
'''),
    Mistake("ch04_maxpool", "calls_builtin_pool", '''
def max_pool2d(x, kernel_size, stride=None):
    return nn.MaxPool2d(kernel_size, stride)(x)
'''),
    # --- 4.5 LeNet-5
    Mistake("ch04_lenet5", "relu_instead_of_tanh", _LENET.replace("torch.tanh", "F.relu")),
    Mistake("ch04_lenet5", "max_instead_of_average_pooling", _LENET.replace("F.avg_pool2d", "F.max_pool2d")),
    Mistake("ch04_lenet5", "missing_tanh_after_f6", _variant(
        _LENET,
        ("torch.tanh(self.f6(x))", "self.f6(x)"))),
    Mistake("ch04_lenet5", "softmax_on_output", _variant(
        _LENET,
        ("return self.output(x)", "return torch.softmax(self.output(x), dim=1)"))),
    Mistake("ch04_lenet5", "c5_as_linear", _variant(
        _LENET, ("nn.Conv2d(16, 120, 5)", "nn.Linear(16 * 5 * 5, 120)"),
        ("torch.tanh(self.c5(x)).flatten(1)", "torch.tanh(self.c5(x.flatten(1)))"))),
    Mistake("ch04_lenet5", "c1_padded", _variant(
        _LENET, ("nn.Conv2d(1, 6, 5)", "nn.Conv2d(1, 6, 5, padding=2)"),
        ("nn.Linear(120, 84)", "nn.Linear(120 * 2 * 2, 84)"))),
    # --- 4.6 residual block
    Mistake("ch04_residual_block", "relu_before_addition", _variant(
        _RESIDUAL, ("F.relu(self.bn2(self.conv2(out)) + self.shortcut(x))",
                    "F.relu(self.bn2(self.conv2(out))) + self.shortcut(x)"))),
    Mistake("ch04_residual_block", "identity_when_only_stride_changes", _variant(
        _RESIDUAL, ("if stride != 1 or in_channels != out_channels:", "if in_channels != out_channels:"))),
    Mistake("ch04_residual_block", "stride_on_second_conv", _variant(
        _RESIDUAL, ("out_channels, 3, stride, 1,", "out_channels, 3, 1, 1,"),
        ("out_channels, out_channels, 3, 1, 1,", "out_channels, out_channels, 3, stride, 1,"))),
    Mistake("ch04_residual_block", "projection_without_batch_norm", _variant(
        _RESIDUAL, (""",
                                          nn.BatchNorm2d(out_channels))""", ")"))),
    Mistake("ch04_residual_block", "always_projects", _variant(
        _RESIDUAL, ("if stride != 1 or in_channels != out_channels:", "if True:"))),
    Mistake("ch04_residual_block", "conv_with_bias", _RESIDUAL.replace("bias=False", "bias=True")),
    # --- 4.7 weighted cross-entropy
    Mistake("ch04_weighted_ce", "divides_by_batch_size", _variant(
        _CE,
        ("-(w * picked).sum() / w.sum()", "-(w * picked).mean()"))),
    Mistake("ch04_weighted_ce", "sums_over_batch", _variant(
        _CE,
        ("-(w * picked).sum() / w.sum()", "-(w * picked).sum()"))),
    Mistake("ch04_weighted_ce", "unstable_softmax", _variant(
        _CE, ("torch.log_softmax(logits, dim=1)", "(logits.exp() / logits.exp().sum(dim=1, keepdim=True)).log()"))),
    Mistake("ch04_weighted_ce", "log_softmax_over_batch", _variant(
        _CE,
        ("log_softmax(logits, dim=1)", "log_softmax(logits, dim=0)"))),
    Mistake("ch04_weighted_ce", "weight_by_predicted_class", _variant(
        _CE,
        ("weight[targets]", "weight[logits.argmax(dim=1)]"))),
    Mistake("ch04_weighted_ce", "calls_builtin_loss", '''
def weighted_cross_entropy(logits, targets, weight):
    return nn.CrossEntropyLoss(weight=weight)(logits, targets)
'''),
]
