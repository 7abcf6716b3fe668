"""Implementations of Chapter 2's catalogued mistakes (the grader's own; never shipped).

Each entry replaces the master's solution cell: the grader must take that exercise's points
and name the mistake. The messages are in ``dlcourse/checks/ch02.py`` (``MISTAKES``).
"""
from autograder.mistakes import Mistake

MISTAKES = [
    Mistake("ch02_sigmoid_neuron_backward", "forgets_the_sigmoid_s_local_gradient_s_1", '''
def sigmoid_neuron_backward(x, w, b, grad_out):
    """Backward pass of a sigmoid neuron (see the exercise)."""
    s = torch.sigmoid(x @ w + b)      # forward pass, (N,)
    dz = grad_out       # through the sigmoid gate, (N,)
    grad_x = dz[:, None] * w          # dz/dx = w for every sample, (N, D)
    grad_w = x.T @ dz                 # dz/dw = x, summed over the batch, (D,)
    grad_b = dz.sum()                 # dz/db = 1, summed over the batch, ()
    return grad_x, grad_w, grad_b
'''),
    Mistake("ch02_sigmoid_neuron_backward", "evaluates_the_sigmoid_derivative_at_z", '''
def sigmoid_neuron_backward(x, w, b, grad_out):
    """Backward pass of a sigmoid neuron (see the exercise)."""
    s = x @ w + b                    # forward pass, (N,)
    dz = grad_out * s * (1 - s)       # through the sigmoid gate, (N,)
    grad_x = dz[:, None] * w          # dz/dx = w for every sample, (N, D)
    grad_w = x.T @ dz                 # dz/dw = x, summed over the batch, (D,)
    grad_b = dz.sum()                 # dz/db = 1, summed over the batch, ()
    return grad_x, grad_w, grad_b
'''),
    Mistake("ch02_sigmoid_neuron_backward", "does_not_sum_the_bias_gradient_over_the", '''
def sigmoid_neuron_backward(x, w, b, grad_out):
    """Backward pass of a sigmoid neuron (see the exercise)."""
    s = torch.sigmoid(x @ w + b)      # forward pass, (N,)
    dz = grad_out * s * (1 - s)       # through the sigmoid gate, (N,)
    grad_x = dz[:, None] * w          # dz/dx = w for every sample, (N, D)
    grad_w = x.T @ dz                 # dz/dw = x, summed over the batch, (D,)
    grad_b = dz                       # dz/db = 1, summed over the batch, ()
    return grad_x, grad_w, grad_b
'''),
    Mistake("ch02_sigmoid_neuron_backward", "ignores_the_upstream_gradient_assumes_dl", '''
def sigmoid_neuron_backward(x, w, b, grad_out):
    """Backward pass of a sigmoid neuron (see the exercise)."""
    s = torch.sigmoid(x @ w + b)      # forward pass, (N,)
    dz = s * (1 - s)                  # through the sigmoid gate, (N,)
    grad_x = dz[:, None] * w          # dz/dx = w for every sample, (N, D)
    grad_w = x.T @ dz                 # dz/dw = x, summed over the batch, (D,)
    grad_b = dz.sum()                 # dz/db = 1, summed over the batch, ()
    return grad_x, grad_w, grad_b
'''),
    Mistake("ch02_mlp_backward", "forgets_the_hidden_sigmoid_s_derivative", '''
def mlp_forward_backward(X, Y, V, gamma, W, theta):
    """Two-layer network by hand (see the exercise)."""
    B = torch.sigmoid(X @ V + gamma)           # hidden outputs b_h, (N, q)
    Y_hat = torch.sigmoid(B @ W + theta)       # network outputs, (N, l)
    loss = 0.5 * ((Y_hat - Y) ** 2).sum()
    G = Y_hat * (1 - Y_hat) * (Y - Y_hat)      # output terms g_j, (N, l)
    E = G @ W.T                                # hidden terms e_h, (N, q)
    return {"loss": loss, "V": -X.T @ E, "gamma": -E.sum(dim=0),
            "W": -B.T @ G, "theta": -G.sum(dim=0)}
'''),
    Mistake("ch02_mlp_backward", "wrong_sign_returns_the_update_direction", '''
def mlp_forward_backward(X, Y, V, gamma, W, theta):
    """Two-layer network by hand (see the exercise)."""
    B = torch.sigmoid(X @ V + gamma)           # hidden outputs b_h, (N, q)
    Y_hat = torch.sigmoid(B @ W + theta)       # network outputs, (N, l)
    loss = 0.5 * ((Y_hat - Y) ** 2).sum()
    G = Y_hat * (1 - Y_hat) * (Y - Y_hat)      # output terms g_j, (N, l)
    E = B * (1 - B) * (G @ W.T)                # hidden terms e_h, (N, q)
    return {"loss": loss, "V": X.T @ E, "gamma": E.sum(dim=0),
            "W": B.T @ G, "theta": G.sum(dim=0)}
'''),
    Mistake("ch02_mlp_backward", "averages_the_bias_gradients_over_the", '''
def mlp_forward_backward(X, Y, V, gamma, W, theta):
    """Two-layer network by hand (see the exercise)."""
    B = torch.sigmoid(X @ V + gamma)           # hidden outputs b_h, (N, q)
    Y_hat = torch.sigmoid(B @ W + theta)       # network outputs, (N, l)
    loss = 0.5 * ((Y_hat - Y) ** 2).sum()
    G = Y_hat * (1 - Y_hat) * (Y - Y_hat)      # output terms g_j, (N, l)
    E = B * (1 - B) * (G @ W.T)                # hidden terms e_h, (N, q)
    return {"loss": loss, "V": -X.T @ E, "gamma": -E.mean(dim=0),
            "W": -B.T @ G, "theta": -G.mean(dim=0)}
'''),
    Mistake("ch02_mlp_backward", "drops_the_factor_1_2_in_the_loss", '''
def mlp_forward_backward(X, Y, V, gamma, W, theta):
    """Two-layer network by hand (see the exercise)."""
    B = torch.sigmoid(X @ V + gamma)           # hidden outputs b_h, (N, q)
    Y_hat = torch.sigmoid(B @ W + theta)       # network outputs, (N, l)
    loss = ((Y_hat - Y) ** 2).sum()
    G = Y_hat * (1 - Y_hat) * (Y - Y_hat)      # output terms g_j, (N, l)
    E = B * (1 - B) * (G @ W.T)                # hidden terms e_h, (N, q)
    return {"loss": loss, "V": -X.T @ E, "gamma": -E.sum(dim=0),
            "W": -B.T @ G, "theta": -G.sum(dim=0)}
'''),
    Mistake("ch02_grad_check", "uses_one_sided_forward_differences", '''
def grad_check(f, x, grad, h=1e-5):
    """Finite-difference gradient check (see the exercise)."""
    x = x.detach().clone()                     # work on a copy
    num = torch.zeros_like(x)
    x_flat, num_flat = x.view(-1), num.view(-1)   # views: writing x_flat[i] changes x
    for i in range(x_flat.numel()):
        old = x_flat[i].item()
        x_flat[i] = old + h
        f_plus = float(f(x))
        x_flat[i] = old
        f_minus = float(f(x))
        x_flat[i] = old                        # restore before moving on
        num_flat[i] = (f_plus - f_minus) / h
    denom = torch.clamp(torch.maximum(grad.abs(), num.abs()), min=1e-8)
    rel_error = ((grad - num).abs() / denom).max().item()
    return num, rel_error
'''),
    Mistake("ch02_grad_check", "divides_the_centred_difference_by_h", '''
def grad_check(f, x, grad, h=1e-5):
    """Finite-difference gradient check (see the exercise)."""
    x = x.detach().clone()                     # work on a copy
    num = torch.zeros_like(x)
    x_flat, num_flat = x.view(-1), num.view(-1)   # views: writing x_flat[i] changes x
    for i in range(x_flat.numel()):
        old = x_flat[i].item()
        x_flat[i] = old + h
        f_plus = float(f(x))
        x_flat[i] = old - h
        f_minus = float(f(x))
        x_flat[i] = old                        # restore before moving on
        num_flat[i] = (f_plus - f_minus) / h
    denom = torch.clamp(torch.maximum(grad.abs(), num.abs()), min=1e-8)
    rel_error = ((grad - num).abs() / denom).max().item()
    return num, rel_error
'''),
    Mistake("ch02_grad_check", "forgets_to_restore_x_after_perturbing_an", '''
def grad_check(f, x, grad, h=1e-5):
    """Finite-difference gradient check (see the exercise)."""
    x = x.detach().clone()                     # work on a copy
    num = torch.zeros_like(x)
    x_flat, num_flat = x.view(-1), num.view(-1)   # views: writing x_flat[i] changes x
    for i in range(x_flat.numel()):
        old = x_flat[i].item()
        x_flat[i] = old + h
        f_plus = float(f(x))
        x_flat[i] = old - h
        f_minus = float(f(x))
        num_flat[i] = (f_plus - f_minus) / (2 * h)
    denom = torch.clamp(torch.maximum(grad.abs(), num.abs()), min=1e-8)
    rel_error = ((grad - num).abs() / denom).max().item()
    return num, rel_error
'''),
    Mistake("ch02_grad_check", "relative_error_without_a_floor_0_0_gives", '''
def grad_check(f, x, grad, h=1e-5):
    """Finite-difference gradient check (see the exercise)."""
    x = x.detach().clone()                     # work on a copy
    num = torch.zeros_like(x)
    x_flat, num_flat = x.view(-1), num.view(-1)   # views: writing x_flat[i] changes x
    for i in range(x_flat.numel()):
        old = x_flat[i].item()
        x_flat[i] = old + h
        f_plus = float(f(x))
        x_flat[i] = old - h
        f_minus = float(f(x))
        x_flat[i] = old                        # restore before moving on
        num_flat[i] = (f_plus - f_minus) / (2 * h)
    denom = torch.maximum(grad.abs(), num.abs())
    rel_error = ((grad - num).abs() / denom).max().item()
    return num, rel_error
'''),
    Mistake("ch02_grad_check", "reports_the_mean_instead_of_the_largest", '''
def grad_check(f, x, grad, h=1e-5):
    """Finite-difference gradient check (see the exercise)."""
    x = x.detach().clone()                     # work on a copy
    num = torch.zeros_like(x)
    x_flat, num_flat = x.view(-1), num.view(-1)   # views: writing x_flat[i] changes x
    for i in range(x_flat.numel()):
        old = x_flat[i].item()
        x_flat[i] = old + h
        f_plus = float(f(x))
        x_flat[i] = old - h
        f_minus = float(f(x))
        x_flat[i] = old                        # restore before moving on
        num_flat[i] = (f_plus - f_minus) / (2 * h)
    denom = torch.clamp(torch.maximum(grad.abs(), num.abs()), min=1e-8)
    rel_error = ((grad - num).abs() / denom).mean().item()
    return num, rel_error
'''),
    Mistake("ch02_value", "overwrites_gradients_instead_of", '''
class Value:
    """A scalar that remembers how it was computed, for reverse-mode autodiff.

    Value(data) wraps a Python number. Attributes: data (float), grad (float, the
    gradient of the final output with respect to this node, 0.0 until backward()).
    Supported: a + b, a * b (b a Value or a number, on either side), a.exp(), a.tanh(),
    and out.backward(), which fills .grad of every node that out depends on.
    """

    def __init__(self, data, _children=()):
        self.data = float(data)
        self.grad = 0.0
        self._prev = tuple(_children)
        self._backward = lambda: None      # pushes self.grad to the children

    def __add__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data + other.data, (self, other))

        def _backward():
            self.grad = out.grad            # local gradient 1
            other.grad = out.grad

        out._backward = _backward
        return out

    def __mul__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data * other.data, (self, other))

        def _backward():
            self.grad = other.data * out.grad   # d(ab)/da = b
            other.grad = self.data * out.grad   # d(ab)/db = a

        out._backward = _backward
        return out

    def exp(self):
        out = Value(math.exp(self.data), (self,))

        def _backward():
            self.grad = out.data * out.grad     # d(e^a)/da = e^a

        out._backward = _backward
        return out

    def tanh(self):
        t = math.tanh(self.data)
        out = Value(t, (self,))

        def _backward():
            self.grad = (1 - t * t) * out.grad  # d tanh(a)/da = 1 - tanh(a)^2

        out._backward = _backward
        return out

    def backward(self):
        order, seen = [], set()

        def visit(node):                         # topological order: children first
            if node not in seen:
                seen.add(node)
                for child in node._prev:
                    visit(child)
                order.append(node)

        visit(self)
        self.grad = 1.0                          # dout/dout
        for node in reversed(order):
            node._backward()

    def __radd__(self, other):                   # number + Value
        return self + other

    def __rmul__(self, other):                   # number * Value
        return self * other

    def __repr__(self):
        return f"Value(data={self.data:.4g}, grad={self.grad:.4g})"
'''),
    Mistake("ch02_value", "recursive_backward_without_a_topological", '''
class Value:
    """A scalar that remembers how it was computed, for reverse-mode autodiff.

    Value(data) wraps a Python number. Attributes: data (float), grad (float, the
    gradient of the final output with respect to this node, 0.0 until backward()).
    Supported: a + b, a * b (b a Value or a number, on either side), a.exp(), a.tanh(),
    and out.backward(), which fills .grad of every node that out depends on.
    """

    def __init__(self, data, _children=()):
        self.data = float(data)
        self.grad = 0.0
        self._prev = tuple(_children)
        self._backward = lambda: None      # pushes self.grad to the children

    def __add__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data + other.data, (self, other))

        def _backward():
            self.grad += out.grad            # local gradient 1
            other.grad += out.grad

        out._backward = _backward
        return out

    def __mul__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data * other.data, (self, other))

        def _backward():
            self.grad += other.data * out.grad   # d(ab)/da = b
            other.grad += self.data * out.grad   # d(ab)/db = a

        out._backward = _backward
        return out

    def exp(self):
        out = Value(math.exp(self.data), (self,))

        def _backward():
            self.grad += out.data * out.grad     # d(e^a)/da = e^a

        out._backward = _backward
        return out

    def tanh(self):
        t = math.tanh(self.data)
        out = Value(t, (self,))

        def _backward():
            self.grad += (1 - t * t) * out.grad  # d tanh(a)/da = 1 - tanh(a)^2

        out._backward = _backward
        return out

    def backward(self):
        self.grad = 1.0

        def push(node):
            node._backward()
            for child in node._prev:
                push(child)

        push(self)

    def __radd__(self, other):                   # number + Value
        return self + other

    def __rmul__(self, other):                   # number * Value
        return self * other

    def __repr__(self):
        return f"Value(data={self.data:.4g}, grad={self.grad:.4g})"
'''),
    Mistake("ch02_value", "tanh_derivative_written_as_1_tanh", '''
class Value:
    """A scalar that remembers how it was computed, for reverse-mode autodiff.

    Value(data) wraps a Python number. Attributes: data (float), grad (float, the
    gradient of the final output with respect to this node, 0.0 until backward()).
    Supported: a + b, a * b (b a Value or a number, on either side), a.exp(), a.tanh(),
    and out.backward(), which fills .grad of every node that out depends on.
    """

    def __init__(self, data, _children=()):
        self.data = float(data)
        self.grad = 0.0
        self._prev = tuple(_children)
        self._backward = lambda: None      # pushes self.grad to the children

    def __add__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data + other.data, (self, other))

        def _backward():
            self.grad += out.grad            # local gradient 1
            other.grad += out.grad

        out._backward = _backward
        return out

    def __mul__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data * other.data, (self, other))

        def _backward():
            self.grad += other.data * out.grad   # d(ab)/da = b
            other.grad += self.data * out.grad   # d(ab)/db = a

        out._backward = _backward
        return out

    def exp(self):
        out = Value(math.exp(self.data), (self,))

        def _backward():
            self.grad += out.data * out.grad     # d(e^a)/da = e^a

        out._backward = _backward
        return out

    def tanh(self):
        t = math.tanh(self.data)
        out = Value(t, (self,))

        def _backward():
            self.grad += (1 - t) * out.grad  # d tanh(a)/da = 1 - tanh(a)^2

        out._backward = _backward
        return out

    def backward(self):
        order, seen = [], set()

        def visit(node):                         # topological order: children first
            if node not in seen:
                seen.add(node)
                for child in node._prev:
                    visit(child)
                order.append(node)

        visit(self)
        self.grad = 1.0                          # dout/dout
        for node in reversed(order):
            node._backward()

    def __radd__(self, other):                   # number + Value
        return self + other

    def __rmul__(self, other):                   # number * Value
        return self * other

    def __repr__(self):
        return f"Value(data={self.data:.4g}, grad={self.grad:.4g})"
'''),
    Mistake("ch02_value", "exp_derivative_evaluated_as_the_input", '''
class Value:
    """A scalar that remembers how it was computed, for reverse-mode autodiff.

    Value(data) wraps a Python number. Attributes: data (float), grad (float, the
    gradient of the final output with respect to this node, 0.0 until backward()).
    Supported: a + b, a * b (b a Value or a number, on either side), a.exp(), a.tanh(),
    and out.backward(), which fills .grad of every node that out depends on.
    """

    def __init__(self, data, _children=()):
        self.data = float(data)
        self.grad = 0.0
        self._prev = tuple(_children)
        self._backward = lambda: None      # pushes self.grad to the children

    def __add__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data + other.data, (self, other))

        def _backward():
            self.grad += out.grad            # local gradient 1
            other.grad += out.grad

        out._backward = _backward
        return out

    def __mul__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data * other.data, (self, other))

        def _backward():
            self.grad += other.data * out.grad   # d(ab)/da = b
            other.grad += self.data * out.grad   # d(ab)/db = a

        out._backward = _backward
        return out

    def exp(self):
        out = Value(math.exp(self.data), (self,))

        def _backward():
            self.grad += self.data * out.grad     # d(e^a)/da = e^a

        out._backward = _backward
        return out

    def tanh(self):
        t = math.tanh(self.data)
        out = Value(t, (self,))

        def _backward():
            self.grad += (1 - t * t) * out.grad  # d tanh(a)/da = 1 - tanh(a)^2

        out._backward = _backward
        return out

    def backward(self):
        order, seen = [], set()

        def visit(node):                         # topological order: children first
            if node not in seen:
                seen.add(node)
                for child in node._prev:
                    visit(child)
                order.append(node)

        visit(self)
        self.grad = 1.0                          # dout/dout
        for node in reversed(order):
            node._backward()

    def __radd__(self, other):                   # number + Value
        return self + other

    def __rmul__(self, other):                   # number * Value
        return self * other

    def __repr__(self):
        return f"Value(data={self.data:.4g}, grad={self.grad:.4g})"
'''),
    Mistake("ch02_value", "forgets_to_seed_the_output_gradient_with", '''
class Value:
    """A scalar that remembers how it was computed, for reverse-mode autodiff.

    Value(data) wraps a Python number. Attributes: data (float), grad (float, the
    gradient of the final output with respect to this node, 0.0 until backward()).
    Supported: a + b, a * b (b a Value or a number, on either side), a.exp(), a.tanh(),
    and out.backward(), which fills .grad of every node that out depends on.
    """

    def __init__(self, data, _children=()):
        self.data = float(data)
        self.grad = 0.0
        self._prev = tuple(_children)
        self._backward = lambda: None      # pushes self.grad to the children

    def __add__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data + other.data, (self, other))

        def _backward():
            self.grad += out.grad            # local gradient 1
            other.grad += out.grad

        out._backward = _backward
        return out

    def __mul__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data * other.data, (self, other))

        def _backward():
            self.grad += other.data * out.grad   # d(ab)/da = b
            other.grad += self.data * out.grad   # d(ab)/db = a

        out._backward = _backward
        return out

    def exp(self):
        out = Value(math.exp(self.data), (self,))

        def _backward():
            self.grad += out.data * out.grad     # d(e^a)/da = e^a

        out._backward = _backward
        return out

    def tanh(self):
        t = math.tanh(self.data)
        out = Value(t, (self,))

        def _backward():
            self.grad += (1 - t * t) * out.grad  # d tanh(a)/da = 1 - tanh(a)^2

        out._backward = _backward
        return out

    def backward(self):
        order, seen = [], set()

        def visit(node):                         # topological order: children first
            if node not in seen:
                seen.add(node)
                for child in node._prev:
                    visit(child)
                order.append(node)

        visit(self)
        for node in reversed(order):
            node._backward()

    def __radd__(self, other):                   # number + Value
        return self + other

    def __rmul__(self, other):                   # number * Value
        return self * other

    def __repr__(self):
        return f"Value(data={self.data:.4g}, grad={self.grad:.4g})"
'''),
]
