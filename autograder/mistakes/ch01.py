"""Implementations of Chapter 1's catalogued mistakes (the grader's own; never shipped).

Each entry replaces the master's solution cell: the grader must take that exercise's points
and name the mistake. The messages are in ``dlcourse/checks/ch01.py`` (``MISTAKES``).
"""
from autograder.mistakes import Mistake

MISTAKES = [
    Mistake("ch01_dense", "multiplies_by_the_transposed_weight", '''
def dense(X, W, b):
    return X @ W.T + b
'''),
    Mistake("ch01_dense", "forgets_the_bias", '''
def dense(X, W, b):
    return X @ W
'''),
    Mistake("ch01_dense", "puts_the_weight_on_the_left", '''
def dense(X, W, b):
    return (W.T @ X.T).T
'''),
    Mistake("ch01_perceptron", "never_updates_the_bias", '''
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
    Mistake("ch01_perceptron", "uses_torch_sign_so_a_score_of_exactly_0", '''
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
    Mistake("ch01_perceptron", "updates_in_the_wrong_direction_output", '''
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
    Mistake("ch01_perceptron", "predicts_every_point_with_the_initial", '''
import torch

def perceptron_epoch(w, b, X, y, lr=1.0):
    out = torch.where(X @ w + b >= 0, 1.0, -1.0)
    diff = y - out
    w = w + lr * (diff[:, None] * X).sum(dim=0)
    b = b + lr * diff.sum()
    return w, b, int((diff != 0).sum())
'''),
    Mistake("ch01_perceptron", "forgets_the_learning_rate_in_the_bias", '''
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
    Mistake("ch01_activations", "tanh_from_its_textbook_formula_overflows", '''
import torch

def sigmoid(x):
    z = torch.exp(-x.abs())
    return torch.where(x >= 0, 1 / (1 + z), z / (1 + z))

def relu(x):
    return torch.clamp(x, min=0)

def tanh(x):
    return (torch.exp(x) - torch.exp(-x)) / (torch.exp(x) + torch.exp(-x))

def leaky_relu(x, negative_slope=0.01):
    return torch.where(x >= 0, x, negative_slope * x)
'''),
    Mistake("ch01_activations", "sigmoid_with_the_wrong_sign_in_the", '''
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
    Mistake("ch01_activations", "leaky_relu_ignores_its_negative_slope", '''
import torch

def sigmoid(x):
    z = torch.exp(-x.abs())
    return torch.where(x >= 0, 1 / (1 + z), z / (1 + z))

def relu(x):
    return torch.clamp(x, min=0)

def tanh(x):
    return 2 * sigmoid(2 * x) - 1

def leaky_relu(x, negative_slope=0.01):
    return torch.where(x >= 0, x, 0.01 * x)
'''),
    Mistake("ch01_activations", "leaky_relu_scales_the_positive_side", '''
import torch

def sigmoid(x):
    z = torch.exp(-x.abs())
    return torch.where(x >= 0, 1 / (1 + z), z / (1 + z))

def relu(x):
    return torch.clamp(x, min=0)

def tanh(x):
    return 2 * sigmoid(2 * x) - 1

def leaky_relu(x, negative_slope=0.01):
    return torch.where(x >= 0, negative_slope * x, x)
'''),
    Mistake("ch01_softmax", "forgets_to_subtract_the_maximum", '''
def softmax(x):
    e = x.exp()
    return e / e.sum(dim=-1, keepdim=True)
'''),
    Mistake("ch01_softmax", "normalises_along_the_first_dimension", '''
def softmax(x):
    e = (x - x.max(dim=0, keepdim=True).values).exp()
    return e / e.sum(dim=0, keepdim=True)
'''),
    Mistake("ch01_softmax", "subtracts_the_global_maximum_instead_of", '''
def softmax(x):
    e = (x - x.max()).exp()
    return e / e.sum(dim=-1, keepdim=True)
'''),
    Mistake("ch01_mse", "sums_instead_of_averaging", '''
def mse(y_hat, y):
    return ((y_hat - y) ** 2).sum()
'''),
    Mistake("ch01_mse", "mean_absolute_error_instead_of_squared", '''
def mse(y_hat, y):
    return (y_hat - y).abs().mean()
'''),
    Mistake("ch01_mse", "squares_the_mean_error_instead_of", '''
def mse(y_hat, y):
    return (y_hat - y).mean() ** 2
'''),
    Mistake("ch01_cross_entropy", "log_of_a_naive_softmax_infinite_for", '''
import torch

def cross_entropy(logits, target):
    p = torch.exp(logits) / torch.exp(logits).sum(dim=1, keepdim=True)
    return -torch.log(p[torch.arange(len(target)), target]).mean()
'''),
    Mistake("ch01_cross_entropy", "sums_over_the_batch_instead_of_averaging", '''
import torch

def cross_entropy(logits, target):
    log_p = logits - torch.logsumexp(logits, dim=1, keepdim=True)
    return -log_p[torch.arange(len(target)), target].sum()
'''),
    Mistake("ch01_cross_entropy", "indexes_logits_target_an_n_x_n_block", '''
import torch

def cross_entropy(logits, target):
    log_p = logits - torch.logsumexp(logits, dim=1, keepdim=True)
    return -log_p[:, target].mean()
'''),
    Mistake("ch01_mlp", "a_relu_after_the_output_layer_too", '''
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
    Mistake("ch01_mlp", "no_activation_between_the_layers_a", '''
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
    Mistake("ch01_mlp", "forgets_to_flatten_the_input", '''
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
    Mistake("ch01_mlp", "off_by_one_the_output_layer_is_missing", '''
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
    Mistake("ch01_mlp", "sigmoid_instead_of_relu_in_the_hidden", '''
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
