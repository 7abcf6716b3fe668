"""Correct alternative solutions of Chapter 1 (see tests/alternatives/__init__.py)."""

ALTERNATIVES: list[tuple[str, str, str]] = [
    ("ch01_dense", "a fused multiply-add (torch.addmm)", '''
import torch

def dense(X, W, b):
    return torch.addmm(b, X, W)
'''),
    ("ch01_dense", "index notation with einsum", '''
import torch

def dense(X, W, b):
    return torch.einsum("ni,io->no", X, W) + b
'''),
    ("ch01_perceptron", "mistake-driven form: a step of 2 lr y_i x_i only on mistakes", '''
def perceptron_epoch(w, b, X, y, lr=1.0):
    w, b = w.clone(), b.clone()
    wrong = 0
    for point, label in zip(X, y):
        predicted = 1.0 if float(point @ w + b) >= 0.0 else -1.0
        if predicted != float(label):
            wrong += 1
            w += 2 * lr * label * point
            b += 2 * lr * label
    return w, b, wrong
'''),
    ("ch01_perceptron", "indexes the points and uses torch.where for the output", '''
import torch

def perceptron_epoch(w, b, X, y, lr=1.0):
    n = 0
    for i in range(len(X)):
        output = torch.where(X[i] @ w + b >= 0, 1.0, -1.0)
        error = y[i] - output
        n += int(error != 0)
        w = w + lr * error * X[i]
        b = b + lr * error
    return w, b, n
'''),
    ("ch01_activations", "sigmoid through exp(-|x|), tanh as a ratio of decaying exponentials, "
     "ReLU and leaky ReLU by clamping", '''
import torch

def sigmoid(x):
    z = torch.exp(-x.abs())
    return torch.where(x >= 0, 1 / (1 + z), z / (1 + z))

def tanh(x):
    z = torch.exp(-2 * x.abs())
    return torch.sign(x) * (1 - z) / (1 + z)

def relu(x):
    return x.clamp(min=0)

def leaky_relu(x, negative_slope=0.01):
    return x.clamp(min=0) + negative_slope * x.clamp(max=0)
'''),
    ("ch01_softmax", "exponent of the log-probabilities, with amax", '''
import torch

def softmax(x):
    z = x - x.amax(dim=-1, keepdim=True)
    return torch.exp(z - torch.log(torch.exp(z).sum(dim=-1, keepdim=True)))
'''),
    ("ch01_mse", "sum divided by the number of entries", '''
import torch

def mse(y_hat, y):
    return torch.square(y_hat - y).sum() / y.numel()
'''),
    ("ch01_cross_entropy", "one-hot targets weigh the log-probabilities", '''
import torch
import torch.nn.functional as F

def cross_entropy(logits, target):
    m = logits.amax(dim=1, keepdim=True)
    log_p = logits - m - torch.exp(logits - m).sum(dim=1, keepdim=True).log()
    one_hot = F.one_hot(target, logits.shape[1]).to(logits.dtype)
    return -(one_hot * log_p).sum(dim=1).mean()
'''),
    ("ch01_cross_entropy", "gather picks each row's target logit", '''
import torch

def cross_entropy(logits, target):
    m = logits.max(dim=1).values
    log_z = m + torch.log(torch.exp(logits - m[:, None]).sum(dim=1))
    return (log_z - logits.gather(1, target[:, None]).squeeze(1)).mean()
'''),
    ("ch01_mlp", "an nn.Sequential built in a loop", '''
import torch
from torch import nn

class MLP(nn.Module):
    def __init__(self, sizes):
        super().__init__()
        modules = [nn.Flatten()]
        for i in range(len(sizes) - 1):
            if i > 0:
                modules.append(nn.ReLU())
            modules.append(nn.Linear(sizes[i], sizes[i + 1]))
        self.net = nn.Sequential(*modules)

    def forward(self, x):
        return self.net(x)
'''),
]
