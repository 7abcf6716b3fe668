"""Plausible wrong solutions of Chapter 4; each must lose its exercise's points."""

MISTAKES = [
    # --- 4.1 output size -----------------------------------------------------------------
    ("ch04_output_size", "forgets the +1 (counts the steps, not the positions)", '''
def conv_output_size(n, kernel_size, stride=1, padding=0):
    return (n + 2 * padding - kernel_size) // stride
'''),
    ("ch04_output_size", "pads only one side", '''
def conv_output_size(n, kernel_size, stride=1, padding=0):
    return (n + padding - kernel_size) // stride + 1
'''),
    ("ch04_output_size", "true division: returns a float that is wrong when the stride does not divide", '''
def conv_output_size(n, kernel_size, stride=1, padding=0):
    return (n + 2 * padding - kernel_size) / stride + 1
'''),
    ("ch04_output_size", "rounds up instead of down", '''
import math

def conv_output_size(n, kernel_size, stride=1, padding=0):
    return math.ceil((n + 2 * padding - kernel_size) / stride) + 1
'''),
    # --- 4.2 conv2d ------------------------------------------------------------------------
    ("ch04_conv2d", "flips the kernel (true convolution instead of PyTorch's cross-correlation)", '''
def conv2d(x, weight, bias=None, stride=1, padding=0):
    weight = weight.flip(-1, -2)
    x = F.pad(x, (padding,) * 4)
    windows = x.unfold(2, weight.shape[2], stride).unfold(3, weight.shape[3], stride)
    out = torch.einsum("nchwij,ocij->nohw", windows, weight)
    if bias is not None:
        out = out + bias[None, :, None, None]
    return out
'''),
    ("ch04_conv2d", "ignores the stride", '''
def conv2d(x, weight, bias=None, stride=1, padding=0):
    x = F.pad(x, (padding,) * 4)
    windows = x.unfold(2, weight.shape[2], 1).unfold(3, weight.shape[3], 1)
    out = torch.einsum("nchwij,ocij->nohw", windows, weight)
    if bias is not None:
        out = out + bias[None, :, None, None]
    return out
'''),
    ("ch04_conv2d", "adds the bias along the wrong axis (the last one)", '''
def conv2d(x, weight, bias=None, stride=1, padding=0):
    x = F.pad(x, (padding,) * 4)
    windows = x.unfold(2, weight.shape[2], stride).unfold(3, weight.shape[3], stride)
    out = torch.einsum("nchwij,ocij->nohw", windows, weight)
    if bias is not None:
        out = out + bias
    return out
'''),
    ("ch04_conv2d", "swaps the kernel's height and width axes", '''
def conv2d(x, weight, bias=None, stride=1, padding=0):
    x = F.pad(x, (padding,) * 4)
    windows = x.unfold(2, weight.shape[3], stride).unfold(3, weight.shape[2], stride)
    out = torch.einsum("nchwij,ocji->nohw", windows, weight)
    if bias is not None:
        out = out + bias[None, :, None, None]
    return out
'''),
    ("ch04_conv2d", "correct values but a Python loop over output pixels", '''
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
    ("ch04_conv2d", "calls PyTorch's own convolution", '''
def conv2d(x, weight, bias=None, stride=1, padding=0):
    return F.conv2d(x, weight, bias, stride=stride, padding=padding)
'''),
    # --- 4.3 max pooling -------------------------------------------------------------------
    ("ch04_maxpool", "reshapes into blocks: only right when the stride equals the kernel and divides the size", '''
def max_pool2d(x, kernel_size, stride=None):
    n, c, h, w = x.shape
    k = kernel_size
    return x.reshape(n, c, h // k, k, w // k, k).amax(dim=(3, 5))
'''),
    ("ch04_maxpool", "the default stride is 1 instead of the kernel size", '''
def max_pool2d(x, kernel_size, stride=None):
    stride = 1 if stride is None else stride
    return x.unfold(2, kernel_size, stride).unfold(3, kernel_size, stride).amax(dim=(-2, -1))
'''),
    ("ch04_maxpool", "pads with zeros, so all-negative windows at the border give 0", '''
def max_pool2d(x, kernel_size, stride=None):
    stride = kernel_size if stride is None else stride
    n, c, h, w = x.shape
    pad_h = (-(h - kernel_size)) % stride
    pad_w = (-(w - kernel_size)) % stride
    x = F.pad(x, (0, pad_w, 0, pad_h))
    return x.unfold(2, kernel_size, stride).unfold(3, kernel_size, stride).amax(dim=(-2, -1))
'''),
    ("ch04_maxpool", "averages instead of taking the maximum", '''
def max_pool2d(x, kernel_size, stride=None):
    stride = kernel_size if stride is None else stride
    return x.unfold(2, kernel_size, stride).unfold(3, kernel_size, stride).mean(dim=(-2, -1))
'''),
    ("ch04_maxpool", "uses nn.MaxPool2d", '''
def max_pool2d(x, kernel_size, stride=None):
    return nn.MaxPool2d(kernel_size, stride)(x)
'''),
    # --- 4.4 LeNet-5 -----------------------------------------------------------------------
    ("ch04_lenet5", "uses ReLU instead of tanh", '''
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
    ("ch04_lenet5", "max pooling instead of average pooling (subsampling)", '''
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
    ("ch04_lenet5", "forgets the tanh after F6", '''
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
    ("ch04_lenet5", "pads C1 by 2 (the 28x28-input variant), so C5 sees 2x2 maps", '''
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
    # --- 4.5 residual block ----------------------------------------------------------------
    ("ch04_residual_block", "applies the last ReLU before the addition", '''
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
    ("ch04_residual_block", "projects only when the channels change, not when the stride is 2", '''
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
    ("ch04_residual_block", "puts the stride on the second convolution", '''
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
    ("ch04_residual_block", "a projection shortcut without batch norm", '''
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
    # --- 4.6 weighted cross-entropy ----------------------------------------------------------
    ("ch04_weighted_ce", "divides by the number of samples instead of the sum of their weights", '''
def weighted_cross_entropy(logits, targets, weight):
    log_probs = torch.log_softmax(logits, dim=1)
    picked = log_probs[torch.arange(len(targets)), targets]
    return -(weight[targets] * picked).mean()
'''),
    ("ch04_weighted_ce", "softmax without subtracting the maximum (overflows for large logits)", '''
def weighted_cross_entropy(logits, targets, weight):
    e = logits.exp()
    probs = e / e.sum(dim=1, keepdim=True)
    picked = probs[torch.arange(len(targets)), targets].log()
    w = weight[targets]
    return -(w * picked).sum() / w.sum()
'''),
    ("ch04_weighted_ce", "normalises the log-softmax over the batch axis", '''
def weighted_cross_entropy(logits, targets, weight):
    log_probs = torch.log_softmax(logits, dim=0)
    picked = log_probs[torch.arange(len(targets)), targets]
    w = weight[targets]
    return -(w * picked).sum() / w.sum()
'''),
    ("ch04_weighted_ce", "uses nn.CrossEntropyLoss", '''
def weighted_cross_entropy(logits, targets, weight):
    return nn.CrossEntropyLoss(weight=weight)(logits, targets)
'''),
    ("ch04_weighted_ce", "weights each sample by its predicted class instead of its true class", '''
def weighted_cross_entropy(logits, targets, weight):
    log_probs = torch.log_softmax(logits, dim=1)
    picked = log_probs[torch.arange(len(targets)), targets]
    w = weight[logits.argmax(dim=1)]
    return -(w * picked).sum() / w.sum()
'''),
]
