"""Correct alternative solutions of Chapter 4 (see tests/alternatives/__init__.py)."""

ALTERNATIVES: list[tuple[str, str, str]] = [
    ("ch04_output_size", "math.floor of a true division", '''
import math

def conv_output_size(n, kernel_size, stride=1, padding=0):
    return math.floor((n + 2 * padding - kernel_size) / stride) + 1
'''),
    ("ch04_output_size", "counts the window starts with range", '''
def conv_output_size(n, kernel_size, stride=1, padding=0):
    return len(range(0, n + 2 * padding - kernel_size + 1, stride))
'''),
    ("ch04_conv2d", "unfold twice, then einsum over channels and kernel", '''
def conv2d(x, weight, bias=None, stride=1, padding=0):
    kh, kw = weight.shape[2:]
    x = F.pad(x, (padding, padding, padding, padding))
    windows = x.unfold(2, kh, stride).unfold(3, kw, stride)
    out = torch.einsum("nchwij,ocij->nohw", windows, weight)
    if bias is not None:
        out = out + bias[None, :, None, None]
    return out
'''),
    ("ch04_conv2d", "as_strided in (N, H_out, W_out, C, kH, kW) order and tensordot", '''
def conv2d(x, weight, bias=None, stride=1, padding=0):
    x = F.pad(x, [padding] * 4)
    n, c, h, w = x.shape
    o, _, kh, kw = weight.shape
    sn, sc, sh, sw = x.stride()
    shape = (n, (h - kh) // stride + 1, (w - kw) // stride + 1, c, kh, kw)
    patches = torch.as_strided(x, shape, (sn, sh * stride, sw * stride, sc, sh, sw))
    out = torch.tensordot(patches, weight, dims=([3, 4, 5], [1, 2, 3])).permute(0, 3, 1, 2)
    return out if bias is None else out + bias.view(1, -1, 1, 1)
'''),
    ("ch04_conv2d_backward", "a loop over the kernel's k_h x k_w offsets, vectorised over pixels", '''
def conv2d_backward(x, weight, grad_out, stride=1, padding=0):
    kh, kw = weight.shape[2:]
    h_out, w_out = grad_out.shape[2:]
    x_pad = F.pad(x, [padding] * 4)
    grad_pad = torch.zeros_like(x_pad)
    grad_weight = torch.zeros_like(weight)
    for a in range(kh):
        for b in range(kw):
            rows = slice(a, a + stride * (h_out - 1) + 1, stride)
            cols = slice(b, b + stride * (w_out - 1) + 1, stride)
            grad_weight[:, :, a, b] = torch.einsum("nohw,nchw->oc", grad_out, x_pad[:, :, rows, cols])
            grad_pad[:, :, rows, cols] += torch.einsum("nohw,oc->nchw", grad_out, weight[:, :, a, b])
    h, w = x.shape[2:]
    grad_x = grad_pad[:, :, padding:padding + h, padding:padding + w]
    return grad_x, grad_weight, grad_out.sum(dim=(0, 2, 3))
'''),
    ("ch04_conv2d_backward", "grad_x by scattering each window's gradient with index_add_", '''
def conv2d_backward(x, weight, grad_out, stride=1, padding=0):
    n, c, h, w = x.shape
    o, _, kh, kw = weight.shape
    ho, wo = grad_out.shape[2:]
    xp = F.pad(x, (padding,) * 4)
    hp, wp = xp.shape[2:]
    cols = xp.unfold(2, kh, stride).unfold(3, kw, stride)              # (n, c, ho, wo, kh, kw)
    grad_weight = torch.tensordot(grad_out, cols, dims=([0, 2, 3], [0, 2, 3]))
    contrib = torch.einsum("nohw,ocab->nchwab", grad_out, weight)      # what each window sends back
    rows = (torch.arange(ho)[:, None] * stride + torch.arange(kh)[None, :])     # (ho, kh)
    colsi = (torch.arange(wo)[:, None] * stride + torch.arange(kw)[None, :])   # (wo, kw)
    flat = (rows[:, None, :, None] * wp + colsi[None, :, None, :]).reshape(-1)
    grad_pad = xp.new_zeros(n, c, hp * wp)
    grad_pad.index_add_(2, flat.to(x.device), contrib.reshape(n, c, -1))
    grad_pad = grad_pad.reshape(n, c, hp, wp)
    return grad_pad[:, :, padding:padding + h, padding:padding + w], grad_weight, grad_out.sum((0, 2, 3))
'''),
    ("ch04_maxpool", "as_strided windows", '''
def max_pool2d(x, kernel_size, stride=None):
    s = stride or kernel_size
    k = kernel_size
    n, c, h, w = x.shape
    sn, sc, sh, sw = x.stride()
    shape = (n, c, (h - k) // s + 1, (w - k) // s + 1, k, k)
    return torch.as_strided(x, shape, (sn, sc, sh * s, sw * s, sh, sw)).flatten(4).max(dim=4).values
'''),
    ("ch04_maxpool", "running maximum over the k x k offsets", '''
def max_pool2d(x, kernel_size, stride=None):
    s = kernel_size if stride is None else stride
    h_out = (x.shape[2] - kernel_size) // s + 1
    w_out = (x.shape[3] - kernel_size) // s + 1
    best = None
    for a in range(kernel_size):
        for b in range(kernel_size):
            part = x[:, :, a:a + s * (h_out - 1) + 1:s, b:b + s * (w_out - 1) + 1:s]
            best = part if best is None else torch.maximum(best, part)
    return best
'''),
    ("ch04_lenet5", "activation and pooling as modules, torch.flatten", '''
class LeNet5(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(1, 6, kernel_size=(5, 5))
        self.c3 = nn.Conv2d(6, 16, kernel_size=(5, 5))
        self.c5 = nn.Conv2d(16, 120, kernel_size=(5, 5))
        self.f6 = nn.Linear(120, 84)
        self.output = nn.Linear(84, 10)
        self.act = nn.Tanh()
        self.pool = nn.AvgPool2d(2, stride=2)

    def forward(self, x):
        x = self.pool(self.act(self.c1(x)))
        x = self.pool(self.act(self.c3(x)))
        x = torch.flatten(self.act(self.c5(x)), start_dim=1)
        return self.output(self.act(self.f6(x)))
'''),
    ("ch04_residual_block", "ReLU modules and the shortcut chosen in one expression", '''
class ResidualBlock(nn.Module):
    def __init__(self, in_channels, out_channels, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, out_channels, kernel_size=3, stride=stride, padding=1,
                               bias=False)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.conv2 = nn.Conv2d(out_channels, out_channels, kernel_size=3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)
        same_shape = stride == 1 and in_channels == out_channels
        self.shortcut = nn.Identity() if same_shape else nn.Sequential(
            nn.Conv2d(in_channels, out_channels, kernel_size=1, stride=stride, bias=False),
            nn.BatchNorm2d(out_channels))
        self.relu = nn.ReLU()

    def forward(self, x):
        branch = self.bn2(self.conv2(self.relu(self.bn1(self.conv1(x)))))
        return self.relu(branch + self.shortcut(x))
'''),
    ("ch04_weighted_ce", "log_softmax and a one-hot mask", '''
def weighted_cross_entropy(logits, targets, weight):
    one_hot = torch.zeros_like(logits).scatter_(1, targets[:, None], 1.0)
    nll = -(one_hot * torch.log_softmax(logits, dim=1)).sum(dim=1)
    w = (one_hot * weight[None, :]).sum(dim=1)
    return (w * nll).sum() / w.sum()
'''),
]
