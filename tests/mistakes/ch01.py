"""Plausible wrong solutions of Chapter 1; each must lose its exercise's points."""

_ACTIVATIONS_OK = '''
import torch

def sigmoid(x):
    z = torch.exp(-x.abs())
    return torch.where(x >= 0, 1 / (1 + z), z / (1 + z))

def relu(x):
    return torch.clamp(x, min=0)
'''

MISTAKES = [
    # --- 1.1 dense -----------------------------------------------------------------------
    ("ch01_dense", "multiplies by the transposed weight (PyTorch's nn.Linear layout)", '''
def dense(X, W, b):
    return X @ W.T + b
'''),
    ("ch01_dense", "forgets the bias", '''
def dense(X, W, b):
    return X @ W
'''),
    ("ch01_dense", "puts the weight on the left", '''
def dense(X, W, b):
    return (W.T @ X.T).T
'''),
    # --- 1.2 perceptron ------------------------------------------------------------------
    ("ch01_perceptron", "never updates the bias", '''
def perceptron_epoch(w, b, X, y, lr=1.0):
    w = w.clone()
    mistakes = 0
    for x_i, y_i in zip(X, y):
        out = 1.0 if w @ x_i + b >= 0 else -1.0
        if out != y_i:
            mistakes += 1
            w = w + lr * (y_i - out) * x_i
    return w, b, mistakes
'''),
    ("ch01_perceptron", "uses torch.sign, so a score of exactly 0 gives output 0", '''
import torch

def perceptron_epoch(w, b, X, y, lr=1.0):
    mistakes = 0
    for x_i, y_i in zip(X, y):
        out = torch.sign(w @ x_i + b)
        if out != y_i:
            mistakes += 1
        w = w + lr * (y_i - out) * x_i
        b = b + lr * (y_i - out)
    return w, b, mistakes
'''),
    ("ch01_perceptron", "updates in the wrong direction (output - target)", '''
def perceptron_epoch(w, b, X, y, lr=1.0):
    mistakes = 0
    for x_i, y_i in zip(X, y):
        out = 1.0 if w @ x_i + b >= 0 else -1.0
        if out != y_i:
            mistakes += 1
            w = w + lr * (out - y_i) * x_i
            b = b + lr * (out - y_i)
    return w, b, mistakes
'''),
    ("ch01_perceptron", "predicts every point with the initial weights (batch update)", '''
import torch

def perceptron_epoch(w, b, X, y, lr=1.0):
    out = torch.where(X @ w + b >= 0, 1.0, -1.0)
    diff = y - out
    w = w + lr * (diff[:, None] * X).sum(dim=0)
    b = b + lr * diff.sum()
    return w, b, int((diff != 0).sum())
'''),
    ("ch01_perceptron", "forgets the learning rate in the bias update", '''
def perceptron_epoch(w, b, X, y, lr=1.0):
    mistakes = 0
    for x_i, y_i in zip(X, y):
        out = 1.0 if w @ x_i + b >= 0 else -1.0
        if out != y_i:
            mistakes += 1
            w = w + lr * (y_i - out) * x_i
            b = b + (y_i - out)
    return w, b, mistakes
'''),
    # --- 1.3 activations -----------------------------------------------------------------
    ("ch01_activations", "tanh from its textbook formula: overflows to NaN for large |x|",
     _ACTIVATIONS_OK + '''
def tanh(x):
    return (torch.exp(x) - torch.exp(-x)) / (torch.exp(x) + torch.exp(-x))

def leaky_relu(x, negative_slope=0.01):
    return torch.where(x >= 0, x, negative_slope * x)
'''),
    ("ch01_activations", "sigmoid with the wrong sign in the exponent", '''
import torch

def sigmoid(x):
    return 1 / (1 + torch.exp(x))

def tanh(x):
    return torch.tanh(x)

def relu(x):
    return torch.clamp(x, min=0)

def leaky_relu(x, negative_slope=0.01):
    return torch.where(x >= 0, x, negative_slope * x)
'''),
    ("ch01_activations", "leaky_relu ignores its negative_slope argument", _ACTIVATIONS_OK + '''
def tanh(x):
    return 2 * sigmoid(2 * x) - 1

def leaky_relu(x, negative_slope=0.01):
    return torch.where(x >= 0, x, 0.01 * x)
'''),
    ("ch01_activations", "leaky_relu scales the positive side instead of the negative one",
     _ACTIVATIONS_OK + '''
def tanh(x):
    return 2 * sigmoid(2 * x) - 1

def leaky_relu(x, negative_slope=0.01):
    return torch.where(x >= 0, negative_slope * x, x)
'''),
    # --- 1.4 softmax ---------------------------------------------------------------------
    ("ch01_softmax", "forgets to subtract the maximum (overflows)", '''
def softmax(x):
    e = x.exp()
    return e / e.sum(dim=-1, keepdim=True)
'''),
    ("ch01_softmax", "normalises along the first dimension", '''
def softmax(x):
    e = (x - x.max(dim=0, keepdim=True).values).exp()
    return e / e.sum(dim=0, keepdim=True)
'''),
    ("ch01_softmax", "subtracts the global maximum instead of each row's", '''
def softmax(x):
    e = (x - x.max()).exp()
    return e / e.sum(dim=-1, keepdim=True)
'''),
    # --- 1.5 MSE -------------------------------------------------------------------------
    ("ch01_mse", "sums instead of averaging", '''
def mse(y_hat, y):
    return ((y_hat - y) ** 2).sum()
'''),
    ("ch01_mse", "mean absolute error instead of squared", '''
def mse(y_hat, y):
    return (y_hat - y).abs().mean()
'''),
    ("ch01_mse", "squares the mean error instead of averaging the squares", '''
def mse(y_hat, y):
    return (y_hat - y).mean() ** 2
'''),
    # --- 1.6 cross-entropy ---------------------------------------------------------------
    ("ch01_cross_entropy", "log of a naive softmax (infinite for large logits)", '''
import torch

def cross_entropy(logits, target):
    p = torch.exp(logits) / torch.exp(logits).sum(dim=1, keepdim=True)
    return -torch.log(p[torch.arange(len(target)), target]).mean()
'''),
    ("ch01_cross_entropy", "sums over the batch instead of averaging", '''
import torch

def cross_entropy(logits, target):
    log_p = logits - torch.logsumexp(logits, dim=1, keepdim=True)
    return -log_p[torch.arange(len(target)), target].sum()
'''),
    ("ch01_cross_entropy", "indexes logits[:, target] (an N x N block) instead of one entry per row", '''
import torch

def cross_entropy(logits, target):
    log_p = logits - torch.logsumexp(logits, dim=1, keepdim=True)
    return -log_p[:, target].mean()
'''),
    # --- 1.7 MLP -------------------------------------------------------------------------
    ("ch01_mlp", "a ReLU after the output layer too", '''
import torch
from torch import nn

class MLP(nn.Module):
    def __init__(self, sizes):
        super().__init__()
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:]))

    def forward(self, x):
        x = x.flatten(1)
        for layer in self.layers:
            x = torch.relu(layer(x))
        return x
'''),
    ("ch01_mlp", "no activation between the layers (a linear model)", '''
from torch import nn

class MLP(nn.Module):
    def __init__(self, sizes):
        super().__init__()
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:]))

    def forward(self, x):
        x = x.flatten(1)
        for layer in self.layers:
            x = layer(x)
        return x
'''),
    ("ch01_mlp", "forgets to flatten the input", '''
import torch
from torch import nn

class MLP(nn.Module):
    def __init__(self, sizes):
        super().__init__()
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:]))

    def forward(self, x):
        for layer in self.layers[:-1]:
            x = torch.relu(layer(x))
        return self.layers[-1](x)
'''),
    ("ch01_mlp", "off by one: the output layer is missing", '''
import torch
from torch import nn

class MLP(nn.Module):
    def __init__(self, sizes):
        super().__init__()
        self.layers = nn.ModuleList(nn.Linear(sizes[i], sizes[i + 1])
                                    for i in range(len(sizes) - 2))

    def forward(self, x):
        x = x.flatten(1)
        for layer in self.layers:
            x = torch.relu(layer(x))
        return x
'''),
    ("ch01_mlp", "sigmoid instead of ReLU in the hidden layers", '''
import torch
from torch import nn

class MLP(nn.Module):
    def __init__(self, sizes):
        super().__init__()
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:]))

    def forward(self, x):
        x = x.flatten(1)
        for layer in self.layers[:-1]:
            x = torch.sigmoid(layer(x))
        return self.layers[-1](x)
'''),
]
