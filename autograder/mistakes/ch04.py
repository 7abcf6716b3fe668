"""Implementations of Chapter 4's catalogued mistakes (the grader's own; never shipped).

Each entry replaces the master's solution cell: the grader must take that exercise's points
and name the mistake. The messages are in ``dlcourse/checks/ch04.py`` (``MISTAKES``).
"""
from autograder.mistakes import Mistake

MISTAKES = [
    Mistake("ch04_output_size", "forgets_the_1_counts_the_steps_not_the", '''
def conv_output_size(n, kernel_size, stride=1, padding=0):
    return (n + 2 * padding - kernel_size) // stride
'''),
    Mistake("ch04_output_size", "pads_only_one_side", '''
def conv_output_size(n, kernel_size, stride=1, padding=0):
    return (n + padding - kernel_size) // stride + 1
'''),
    Mistake("ch04_output_size", "true_division_returns_a_float_that_is", '''
def conv_output_size(n, kernel_size, stride=1, padding=0):
    return (n + 2 * padding - kernel_size) / stride + 1
'''),
    Mistake("ch04_output_size", "rounds_up_instead_of_down", '''
import math

def conv_output_size(n, kernel_size, stride=1, padding=0):
    return math.ceil((n + 2 * padding - kernel_size) / stride) + 1
'''),
    Mistake("ch04_conv2d", "flips_the_kernel_true_convolution", '''
def conv2d(x, weight, bias=None, stride=1, padding=0):
    weight = weight.flip(-1, -2)
    x = F.pad(x, (padding,) * 4)
    windows = x.unfold(2, weight.shape[2], stride).unfold(3, weight.shape[3], stride)
    out = torch.einsum("nchwij,ocij->nohw", windows, weight)
    if bias is not None:
        out = out + bias[None, :, None, None]
    return out
'''),
    Mistake("ch04_conv2d", "ignores_the_stride", '''
def conv2d(x, weight, bias=None, stride=1, padding=0):
    x = F.pad(x, (padding,) * 4)
    windows = x.unfold(2, weight.shape[2], 1).unfold(3, weight.shape[3], 1)
    out = torch.einsum("nchwij,ocij->nohw", windows, weight)
    if bias is not None:
        out = out + bias[None, :, None, None]
    return out
'''),
    Mistake("ch04_conv2d", "adds_the_bias_along_the_wrong_axis_the", '''
def conv2d(x, weight, bias=None, stride=1, padding=0):
    x = F.pad(x, (padding,) * 4)
    windows = x.unfold(2, weight.shape[2], stride).unfold(3, weight.shape[3], stride)
    out = torch.einsum("nchwij,ocij->nohw", windows, weight)
    if bias is not None:
        out = out + bias
    return out
'''),
    Mistake("ch04_conv2d", "swaps_the_kernel_s_height_and_width_axes", '''
def conv2d(x, weight, bias=None, stride=1, padding=0):
    x = F.pad(x, (padding,) * 4)
    windows = x.unfold(2, weight.shape[3], stride).unfold(3, weight.shape[2], stride)
    out = torch.einsum("nchwij,ocji->nohw", windows, weight)
    if bias is not None:
        out = out + bias[None, :, None, None]
    return out
'''),
    Mistake("ch04_conv2d", "correct_values_but_a_python_loop_over", '''
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
    Mistake("ch04_conv2d", "calls_pytorch_s_own_convolution", '''
def conv2d(x, weight, bias=None, stride=1, padding=0):
    return F.conv2d(x, weight, bias, stride=stride, padding=padding)
'''),
    Mistake("ch04_maxpool", "reshapes_into_blocks_only_right_when_the", '''
def max_pool2d(x, kernel_size, stride=None):
    n, c, h, w = x.shape
    k = kernel_size
    return x.reshape(n, c, h // k, k, w // k, k).amax(dim=(3, 5))
'''),
    Mistake("ch04_maxpool", "the_default_stride_is_1_instead_of_the", '''
def max_pool2d(x, kernel_size, stride=None):
    stride = 1 if stride is None else stride
    return x.unfold(2, kernel_size, stride).unfold(3, kernel_size, stride).amax(dim=(-2, -1))
'''),
    Mistake("ch04_maxpool", "pads_with_zeros_so_all_negative_windows", '''
def max_pool2d(x, kernel_size, stride=None):
    stride = kernel_size if stride is None else stride
    n, c, h, w = x.shape
    pad_h = (-(h - kernel_size)) % stride
    pad_w = (-(w - kernel_size)) % stride
    x = F.pad(x, (0, pad_w, 0, pad_h))
    return x.unfold(2, kernel_size, stride).unfold(3, kernel_size, stride).amax(dim=(-2, -1))
'''),
    Mistake("ch04_maxpool", "averages_instead_of_taking_the_maximum", '''
def max_pool2d(x, kernel_size, stride=None):
    stride = kernel_size if stride is None else stride
    return x.unfold(2, kernel_size, stride).unfold(3, kernel_size, stride).mean(dim=(-2, -1))
'''),
    Mistake("ch04_maxpool", "uses_nn_maxpool2d", '''
def max_pool2d(x, kernel_size, stride=None):
    return nn.MaxPool2d(kernel_size, stride)(x)
'''),
    Mistake("ch04_lenet5", "uses_relu_instead_of_tanh", '''
class LeNet5(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(1, 6, 5)
        self.c3 = nn.Conv2d(6, 16, 5)
        self.c5 = nn.Conv2d(16, 120, 5)
        self.f6 = nn.Linear(120, 84)
        self.output = nn.Linear(84, 10)

    def forward(self, x):
        x = F.avg_pool2d(F.relu(self.c1(x)), 2)
        x = F.avg_pool2d(F.relu(self.c3(x)), 2)
        x = F.relu(self.c5(x)).flatten(1)
        return self.output(F.relu(self.f6(x)))
'''),
    Mistake("ch04_lenet5", "max_pooling_instead_of_average_pooling", '''
class LeNet5(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(1, 6, 5)
        self.c3 = nn.Conv2d(6, 16, 5)
        self.c5 = nn.Conv2d(16, 120, 5)
        self.f6 = nn.Linear(120, 84)
        self.output = nn.Linear(84, 10)

    def forward(self, x):
        x = F.max_pool2d(torch.tanh(self.c1(x)), 2)
        x = F.max_pool2d(torch.tanh(self.c3(x)), 2)
        x = torch.tanh(self.c5(x)).flatten(1)
        return self.output(torch.tanh(self.f6(x)))
'''),
    Mistake("ch04_lenet5", "forgets_the_tanh_after_f6", '''
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
        return self.output(self.f6(x))
'''),
    Mistake("ch04_lenet5", "pads_c1_by_2_the_28x28_input_variant_so", '''
class LeNet5(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(1, 6, 5, padding=2)
        self.c3 = nn.Conv2d(6, 16, 5)
        self.c5 = nn.Conv2d(16, 120, 5)
        self.f6 = nn.Linear(120, 84)
        self.output = nn.Linear(84, 10)

    def forward(self, x):
        x = F.avg_pool2d(torch.tanh(self.c1(x)), 2)
        x = F.avg_pool2d(torch.tanh(self.c3(x)), 2)
        x = torch.tanh(self.c5(x)).mean(dim=(2, 3))
        return self.output(torch.tanh(self.f6(x)))
'''),
    Mistake("ch04_residual_block", "applies_the_last_relu_before_the", '''
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
        return F.relu(self.bn2(self.conv2(out))) + self.shortcut(x)
'''),
    Mistake("ch04_residual_block", "projects_only_when_the_channels_change", '''
class ResidualBlock(nn.Module):
    def __init__(self, in_channels, out_channels, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)
        self.shortcut = nn.Identity()
        if in_channels != out_channels:
            self.shortcut = nn.Sequential(nn.Conv2d(in_channels, out_channels, 1, stride, bias=False),
                                          nn.BatchNorm2d(out_channels))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        return F.relu(self.bn2(self.conv2(out)) + self.shortcut(x))
'''),
    Mistake("ch04_residual_block", "puts_the_stride_on_the_second", '''
class ResidualBlock(nn.Module):
    def __init__(self, in_channels, out_channels, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)
        self.shortcut = nn.Identity()
        if stride != 1 or in_channels != out_channels:
            self.shortcut = nn.Sequential(nn.Conv2d(in_channels, out_channels, 1, stride, bias=False),
                                          nn.BatchNorm2d(out_channels))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        return F.relu(self.bn2(self.conv2(out)) + self.shortcut(x))
'''),
    Mistake("ch04_residual_block", "a_projection_shortcut_without_batch_norm", '''
class ResidualBlock(nn.Module):
    def __init__(self, in_channels, out_channels, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)
        self.shortcut = nn.Identity()
        if stride != 1 or in_channels != out_channels:
            self.shortcut = nn.Sequential(nn.Conv2d(in_channels, out_channels, 1, stride, bias=False))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        return F.relu(self.bn2(self.conv2(out)) + self.shortcut(x))
'''),
    Mistake("ch04_weighted_ce", "divides_by_the_number_of_samples_instead", '''
def weighted_cross_entropy(logits, targets, weight):
    log_probs = torch.log_softmax(logits, dim=1)
    picked = log_probs[torch.arange(len(targets)), targets]
    return -(weight[targets] * picked).mean()
'''),
    Mistake("ch04_weighted_ce", "softmax_without_subtracting_the_maximum", '''
def weighted_cross_entropy(logits, targets, weight):
    e = logits.exp()
    probs = e / e.sum(dim=1, keepdim=True)
    picked = probs[torch.arange(len(targets)), targets].log()
    w = weight[targets]
    return -(w * picked).sum() / w.sum()
'''),
    Mistake("ch04_weighted_ce", "normalises_the_log_softmax_over_the", '''
def weighted_cross_entropy(logits, targets, weight):
    log_probs = torch.log_softmax(logits, dim=0)
    picked = log_probs[torch.arange(len(targets)), targets]
    w = weight[targets]
    return -(w * picked).sum() / w.sum()
'''),
    Mistake("ch04_weighted_ce", "uses_nn_crossentropyloss", '''
def weighted_cross_entropy(logits, targets, weight):
    return nn.CrossEntropyLoss(weight=weight)(logits, targets)
'''),
    Mistake("ch04_weighted_ce", "weights_each_sample_by_its_predicted", '''
def weighted_cross_entropy(logits, targets, weight):
    log_probs = torch.log_softmax(logits, dim=1)
    picked = log_probs[torch.arange(len(targets)), targets]
    w = weight[logits.argmax(dim=1)]
    return -(w * picked).sum() / w.sum()
'''),
]
