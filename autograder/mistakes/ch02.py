"""Implementations of Chapter 2's catalogued mistakes (the grader's own; never shipped).

Each entry is an exercise's solution cell written with one catalogued mistake: the correct
cell below with one edit. The grader must take that exercise's points and name the mistake;
the messages are in ``dlcourse/checks/ch02.py`` (``MISTAKES``).
"""
from autograder.mistakes import Mistake

NEURON = '''
def sigmoid_neuron_backward(x, w, b, grad_out):
    h = torch.sigmoid(x @ w + b)
    delta = grad_out * h * (1 - h)
    grad_x = delta[:, None] * w
    grad_w = x.T @ delta
    grad_b = delta.sum()
    return grad_x, grad_w, grad_b
'''

MLP = '''
def mlp_forward_backward(X, Y, W1, b1, W2, b2):
    H = torch.sigmoid(X @ W1 + b1)
    Y_hat = torch.sigmoid(H @ W2 + b2)
    loss = 0.5 * ((Y_hat - Y) ** 2).sum()
    delta2 = (Y_hat - Y) * Y_hat * (1 - Y_hat)
    delta1 = (delta2 @ W2.T) * H * (1 - H)
    return {"loss": loss, "W1": X.T @ delta1, "b1": delta1.sum(dim=0),
            "W2": H.T @ delta2, "b2": delta2.sum(dim=0)}
'''

GRAD_CHECK = '''
def grad_check(f, x, grad, h=1e-5):
    x = x.detach().clone()
    num = torch.zeros_like(x)
    x_flat, num_flat = x.view(-1), num.view(-1)
    for i in range(x_flat.numel()):
        old = x_flat[i].item()
        x_flat[i] = old + h
        f_plus = float(f(x))
        x_flat[i] = old - h
        f_minus = float(f(x))
        x_flat[i] = old
        num_flat[i] = (f_plus - f_minus) / (2 * h)
    denom = torch.clamp(torch.maximum(grad.abs(), num.abs()), min=1e-8)
    rel_error = ((grad - num).abs() / denom).max().item()
    return num, rel_error
'''

VALUE = '''
class Value:
    def __init__(self, data, _children=(), _op=""):
        self.data = float(data)
        self.grad = 0.0
        self._prev = tuple(_children)
        self._op = _op
        self._backward = lambda: None

    def __add__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data + other.data, (self, other), "+")

        def _backward():
            self.grad += out.grad
            other.grad += out.grad

        out._backward = _backward
        return out

    def __mul__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data * other.data, (self, other), "*")

        def _backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out._backward = _backward
        return out

    def exp(self):
        out = Value(math.exp(self.data), (self,), "exp")

        def _backward():
            self.grad += out.data * out.grad

        out._backward = _backward
        return out

    def tanh(self):
        t = math.tanh(self.data)
        out = Value(t, (self,), "tanh")

        def _backward():
            self.grad += (1 - t * t) * out.grad

        out._backward = _backward
        return out

    def backward(self):
        order, seen = [], set()

        def visit(node):
            if node not in seen:
                seen.add(node)
                for child in node._prev:
                    visit(child)
                order.append(node)

        visit(self)
        self.grad = 1.0
        for node in reversed(order):
            node._backward()

    def __radd__(self, other):
        return self + other

    def __rmul__(self, other):
        return self * other
'''


def edited(source: str, *edits: tuple[str, str]) -> str:
    """``source`` with each (old, new) replacement; every ``old`` must occur exactly once."""
    for old, new in edits:
        assert source.count(old) == 1, f"{old!r} occurs {source.count(old)} times"
        source = source.replace(old, new)
    return source


MISTAKES = [
    # --- Exercise 2.1 ---
    Mistake("ch02_sigmoid_neuron_backward", "sigmoid_slope_missing",
            edited(NEURON, ("delta = grad_out * h * (1 - h)", "delta = grad_out"))),
    Mistake("ch02_sigmoid_neuron_backward", "slope_taken_at_z",
            edited(NEURON, ("h = torch.sigmoid(x @ w + b)", "z = x @ w + b"),
                   ("delta = grad_out * h * (1 - h)", "delta = grad_out * z * (1 - z)"))),
    Mistake("ch02_sigmoid_neuron_backward", "upstream_gradient_ignored",
            edited(NEURON, ("delta = grad_out * h * (1 - h)", "delta = h * (1 - h)"))),
    Mistake("ch02_sigmoid_neuron_backward", "bias_gradient_not_summed",
            edited(NEURON, ("grad_b = delta.sum()", "grad_b = delta"))),
    Mistake("ch02_sigmoid_neuron_backward", "averaged_over_the_batch",
            edited(NEURON, ("grad_w = x.T @ delta", "grad_w = x.T @ delta / len(x)"),
                   ("grad_b = delta.sum()", "grad_b = delta.mean()"))),
    Mistake("ch02_sigmoid_neuron_backward", "multiply_gate_not_swapped",
            edited(NEURON, ("grad_x = delta[:, None] * w", "grad_x = delta[:, None] * x"),
                   ("grad_w = x.T @ delta", "grad_w = delta.sum() * w"))),
    # --- Exercise 2.2 ---
    Mistake("ch02_mlp_backward", "loss_without_half",
            edited(MLP, ("loss = 0.5 * ((Y_hat - Y) ** 2).sum()",
                         "loss = ((Y_hat - Y) ** 2).sum()"))),
    Mistake("ch02_mlp_backward", "mean_over_examples",
            edited(MLP, ("loss = 0.5 * ((Y_hat - Y) ** 2).sum()",
                         "loss = 0.5 * ((Y_hat - Y) ** 2).sum() / len(X)"),
                   ("delta2 = (Y_hat - Y) * Y_hat * (1 - Y_hat)",
                    "delta2 = (Y_hat - Y) * Y_hat * (1 - Y_hat) / len(X)"))),
    Mistake("ch02_mlp_backward", "gradient_sign_flipped",
            edited(MLP, ("delta2 = (Y_hat - Y) * Y_hat", "delta2 = (Y - Y_hat) * Y_hat"))),
    Mistake("ch02_mlp_backward", "output_slope_missing",
            edited(MLP, ("delta2 = (Y_hat - Y) * Y_hat * (1 - Y_hat)", "delta2 = Y_hat - Y"))),
    Mistake("ch02_mlp_backward", "hidden_slope_missing",
            edited(MLP, ("delta1 = (delta2 @ W2.T) * H * (1 - H)", "delta1 = delta2 @ W2.T"))),
    Mistake("ch02_mlp_backward", "bias_gradient_not_summed",
            edited(MLP, ('"b1": delta1.sum(dim=0)', '"b1": delta1'),
                   ('"b2": delta2.sum(dim=0)', '"b2": delta2'))),
    Mistake("ch02_mlp_backward", "weight_gradient_transposed",
            edited(MLP, ('"W1": X.T @ delta1', '"W1": delta1.T @ X'),
                   ('"W2": H.T @ delta2', '"W2": delta2.T @ H'))),
    # --- Exercise 2.3 ---
    Mistake("ch02_grad_check", "one_sided_difference",
            edited(GRAD_CHECK, ("x_flat[i] = old - h\n", "x_flat[i] = old\n"),
                   ("/ (2 * h)", "/ h"))),
    Mistake("ch02_grad_check", "centred_difference_over_h",
            edited(GRAD_CHECK, ("/ (2 * h)", "/ h"))),
    Mistake("ch02_grad_check", "perturbation_not_undone",
            edited(GRAD_CHECK, ("        x_flat[i] = old\n", ""))),
    Mistake("ch02_grad_check", "no_floor_in_relative_error",
            edited(GRAD_CHECK, ("torch.clamp(torch.maximum(grad.abs(), num.abs()), min=1e-8)",
                                "torch.maximum(grad.abs(), num.abs())"))),
    Mistake("ch02_grad_check", "mean_instead_of_max",
            edited(GRAD_CHECK, ("/ denom).max().item()", "/ denom).mean().item()"))),
    Mistake("ch02_grad_check", "sum_in_denominator",
            edited(GRAD_CHECK, ("torch.maximum(grad.abs(), num.abs())", "grad.abs() + num.abs()"))),
    Mistake("ch02_grad_check", "absolute_error",
            edited(GRAD_CHECK, ("/ denom).max()", ").max()"))),
    # --- Exercise 2.4 ---
    Mistake("ch02_value", "numbers_not_wrapped",
            edited(VALUE, ("        other = other if isinstance(other, Value) else Value(other)\n"
                           "        out = Value(self.data + other.data",
                           "        out = Value(self.data + other.data"),
                   ("        other = other if isinstance(other, Value) else Value(other)\n"
                    "        out = Value(self.data * other.data",
                    "        out = Value(self.data * other.data"))),
    Mistake("ch02_value", "leaf_backward_missing",
            edited(VALUE, ("self._backward = lambda: None", "self._backward = None"))),
    Mistake("ch02_value", "output_gradient_not_seeded",
            edited(VALUE, ("        self.grad = 1.0\n", ""))),
    Mistake("ch02_value", "gradient_overwritten",
            edited(VALUE, ("self.grad += out.grad\n            other.grad += out.grad",
                           "self.grad = out.grad\n            other.grad = out.grad"),
                   ("self.grad += other.data * out.grad\n            other.grad += self.data",
                    "self.grad = other.data * out.grad\n            other.grad = self.data"),
                   ("self.grad += out.data * out.grad", "self.grad = out.data * out.grad"),
                   ("self.grad += (1 - t * t) * out.grad", "self.grad = (1 - t * t) * out.grad"))),
    Mistake("ch02_value", "no_topological_order",
            edited(VALUE, ('''        order, seen = [], set()

        def visit(node):
            if node not in seen:
                seen.add(node)
                for child in node._prev:
                    visit(child)
                order.append(node)

        visit(self)
        self.grad = 1.0
        for node in reversed(order):
            node._backward()''', '''        self.grad = 1.0

        def push(node):
            node._backward()
            for child in node._prev:
                push(child)

        push(self)'''))),
    Mistake("ch02_value", "multiply_gate_not_swapped",
            edited(VALUE, ("self.grad += other.data * out.grad\n"
                           "            other.grad += self.data",
                           "self.grad += self.data * out.grad\n"
                           "            other.grad += other.data"))),
    Mistake("ch02_value", "tanh_slope_wrong",
            edited(VALUE, ("(1 - t * t) * out.grad", "(1 - t) * out.grad"))),
    Mistake("ch02_value", "exp_slope_wrong",
            edited(VALUE, ("self.grad += out.data * out.grad",
                           "self.grad += self.data * out.grad"))),
]
