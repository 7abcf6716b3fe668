"""Implementations of Chapter 1's catalogued mistakes (the grader's own; never shipped).

Each entry replaces the master's solution cell: the grader must take that exercise's points
and name the mistake. The messages are in ``dlcourse/checks/ch01.py`` (``MISTAKES``).
"""
from autograder.mistakes import Mistake

# the three activations that are right, for the entries whose mistake is in the fourth
_SIGMOID = '''
def sigmoid(x):
    return 1 / (1 + torch.exp(-x))
'''
_TANH = '''
def tanh(x):
    return 2 * sigmoid(2 * x) - 1
'''
_RELU = '''
def relu(x):
    return torch.clamp(x, min=0)
'''
_LEAKY = '''
def leaky_relu(x, negative_slope=0.01):
    return torch.where(x >= 0, x, negative_slope * x)
'''


def _activations(**wrong: str) -> str:
    """The four activations, with the ones named in ``wrong`` replaced."""
    parts = {"sigmoid": _SIGMOID, "tanh": _TANH, "relu": _RELU, "leaky_relu": _LEAKY}
    parts.update(wrong)
    return "import torch\n" + "".join(parts.values())


def _mlp(layers: str, forward: str) -> str:
    """An MLP class whose ``__init__`` stores ``layers`` (an expression in ``sizes``) as
    ``self.layers`` and whose ``forward`` body is ``forward`` (indented by 8 spaces)."""
    return f'''
import torch
from torch import nn

class MLP(nn.Module):
    def __init__(self, sizes):
        super().__init__()
        self.layers = {layers}

    def forward(self, x):
{forward}'''


_PAIRS = "zip(sizes[:-1], sizes[1:])"
_MODULE_LIST = f"nn.ModuleList(nn.Linear(a, b) for a, b in {_PAIRS})"
_FORWARD = '''        x = x.flatten(1)
        for layer in self.layers[:-1]:
            x = torch.relu(layer(x))
        return self.layers[-1](x)
'''
_RELU_EVERYWHERE = '''        x = x.flatten(1)
        for layer in self.layers:
            x = torch.relu(layer(x))
        return x
'''

MISTAKES = [
    # --- 1.1 dense -----------------------------------------------------------------------
    Mistake("ch01_dense", "transposed_weight", '''
def dense(X, W, b):
    return X @ W.T + b
'''),
    Mistake("ch01_dense", "bias_missing", '''
def dense(X, W, b):
    return X @ W
'''),
    # --- 1.2 perceptron ------------------------------------------------------------------
    Mistake("ch01_perceptron", "bias_not_updated", '''
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
    Mistake("ch01_perceptron", "sign_of_zero_is_zero", '''
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
    Mistake("ch01_perceptron", "update_against_the_error", '''
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
    Mistake("ch01_perceptron", "batch_update", '''
import torch

def perceptron_epoch(w, b, X, y, lr=1.0):
    out = torch.where(X @ w + b >= 0, 1.0, -1.0)
    diff = y - out
    w = w + lr * (diff[:, None] * X).sum(dim=0)
    b = b + lr * diff.sum()
    return w, b, int((diff != 0).sum())
'''),
    Mistake("ch01_perceptron", "learning_rate_missing_in_bias", '''
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
    Mistake("ch01_perceptron", "step_without_error_factor", '''
def perceptron_epoch(w, b, X, y, lr=1.0):
    mistakes = 0
    for x_i, y_i in zip(X, y):
        out = 1.0 if w @ x_i + b >= 0 else -1.0
        if out != y_i:
            mistakes += 1
            w = w + lr * y_i * x_i
            b = b + lr * y_i
    return w, b, mistakes
'''),
    Mistake("ch01_perceptron", "textbook_zero_score_convention", '''
def perceptron_epoch(w, b, X, y, lr=1.0):
    mistakes = 0
    for x_i, y_i in zip(X, y):
        if y_i * (w @ x_i + b) <= 0:
            mistakes += 1
            w = w + lr * y_i * x_i
            b = b + lr * y_i
    return w, b, mistakes
'''),
    # --- 1.3 activations -----------------------------------------------------------------
    Mistake("ch01_activations", "sigmoid_sign_flipped", _activations(sigmoid='''
def sigmoid(x):
    return 1 / (1 + torch.exp(x))
''')),
    Mistake("ch01_activations", "sigmoid_ratio_overflows", _activations(sigmoid='''
def sigmoid(x):
    return torch.exp(x) / (1 + torch.exp(x))
''', tanh='''
def tanh(x):
    return 2 / (1 + torch.exp(-2 * x)) - 1
''')),
    Mistake("ch01_activations", "tanh_input_not_doubled", _activations(tanh='''
def tanh(x):
    return 2 * sigmoid(x) - 1
''')),
    Mistake("ch01_activations", "tanh_ratio_overflows", _activations(tanh='''
def tanh(x):
    return (torch.exp(x) - torch.exp(-x)) / (torch.exp(x) + torch.exp(-x))
''')),
    Mistake("ch01_activations", "leaky_relu_ignores_its_slope", _activations(leaky_relu='''
def leaky_relu(x, negative_slope=0.01):
    return torch.where(x >= 0, x, 0.01 * x)
''')),
    Mistake("ch01_activations", "leaky_relu_scales_the_positive_side", _activations(leaky_relu='''
def leaky_relu(x, negative_slope=0.01):
    return torch.where(x >= 0, negative_slope * x, x)
''')),
    # --- 1.4 softmax ---------------------------------------------------------------------
    Mistake("ch01_softmax", "no_max_shift", '''
def softmax(x):
    e = x.exp()
    return e / e.sum(dim=-1, keepdim=True)
'''),
    Mistake("ch01_softmax", "normalised_along_the_first_axis", '''
def softmax(x):
    e = (x - x.max(dim=0, keepdim=True).values).exp()
    return e / e.sum(dim=0, keepdim=True)
'''),
    Mistake("ch01_softmax", "one_maximum_for_the_whole_tensor", '''
def softmax(x):
    e = (x - x.max()).exp()
    return e / e.sum(dim=-1, keepdim=True)
'''),
    Mistake("ch01_softmax", "normalised_over_the_whole_tensor", '''
def softmax(x):
    e = (x - x.max(dim=-1, keepdim=True).values).exp()
    return e / e.sum()
'''),
    # --- 1.5 MSE -------------------------------------------------------------------------
    Mistake("ch01_mse", "sum_instead_of_mean", '''
def mse(y_hat, y):
    return ((y_hat - y) ** 2).sum()
'''),
    Mistake("ch01_mse", "absolute_instead_of_squared", '''
def mse(y_hat, y):
    return (y_hat - y).abs().mean()
'''),
    Mistake("ch01_mse", "square_of_the_mean_error", '''
def mse(y_hat, y):
    return (y_hat - y).mean() ** 2
'''),
    Mistake("ch01_mse", "root_of_the_mean", '''
def mse(y_hat, y):
    return ((y_hat - y) ** 2).mean().sqrt()
'''),
    Mistake("ch01_mse", "mean_over_the_last_axis_only", '''
def mse(y_hat, y):
    return ((y_hat - y) ** 2).mean(dim=-1)
'''),
    # --- 1.6 cross-entropy ---------------------------------------------------------------
    Mistake("ch01_cross_entropy", "log_of_a_literal_softmax", '''
import torch

def cross_entropy(logits, target):
    p = torch.exp(logits) / torch.exp(logits).sum(dim=1, keepdim=True)
    return -torch.log(p[torch.arange(len(target)), target]).mean()
'''),
    Mistake("ch01_cross_entropy", "sum_over_the_batch", '''
import torch

def cross_entropy(logits, target):
    m = logits.max(dim=1, keepdim=True).values
    log_p = logits - m - torch.log(torch.exp(logits - m).sum(dim=1, keepdim=True))
    return -log_p[torch.arange(len(target)), target].sum()
'''),
    Mistake("ch01_cross_entropy", "every_target_column_for_every_row", '''
import torch

def cross_entropy(logits, target):
    m = logits.max(dim=1, keepdim=True).values
    log_p = logits - m - torch.log(torch.exp(logits - m).sum(dim=1, keepdim=True))
    return -log_p[:, target].mean()
'''),
    Mistake("ch01_cross_entropy", "maximum_not_added_back", '''
import torch

def cross_entropy(logits, target):
    m = logits.max(dim=1, keepdim=True).values
    log_sum = torch.log(torch.exp(logits - m).sum(dim=1))
    return (log_sum - logits[torch.arange(len(target)), target]).mean()
'''),
    # --- 1.7 MLP -------------------------------------------------------------------------
    Mistake("ch01_mlp", "relu_after_the_output_layer", _mlp(_MODULE_LIST, _RELU_EVERYWHERE)),
    Mistake("ch01_mlp", "no_activation_between_layers", _mlp(
        _MODULE_LIST, _RELU_EVERYWHERE.replace("torch.relu(layer(x))", "layer(x)"))),
    Mistake("ch01_mlp", "input_not_flattened", _mlp(
        _MODULE_LIST, _FORWARD.replace("        x = x.flatten(1)\n", ""))),
    Mistake("ch01_mlp", "output_layer_missing", _mlp(
        "nn.ModuleList(nn.Linear(sizes[i], sizes[i + 1]) for i in range(len(sizes) - 2))",
        _RELU_EVERYWHERE)),
    Mistake("ch01_mlp", "sigmoid_in_the_hidden_layers", _mlp(_MODULE_LIST, _FORWARD.replace(
        "torch.relu", "torch.sigmoid"))),
    Mistake("ch01_mlp", "layers_in_a_python_list", _mlp(
        f"[nn.Linear(a, b) for a, b in {_PAIRS}]", _FORWARD)),
    Mistake("ch01_mlp", "layers_without_bias", _mlp(
        f"nn.ModuleList(nn.Linear(a, b, bias=False) for a, b in {_PAIRS})", _FORWARD)),
]
