"""Plausible wrong solutions of Chapter 2; the grader must take points off each."""

MISTAKES = [
    ('ch02_sigmoid_neuron_backward', "forgets the sigmoid's local gradient s(1-s)", '''
def sigmoid_neuron_backward(x, w, b, grad_out):
    """Backward pass of a sigmoid neuron (see the exercise)."""
    s = torch.sigmoid(x @ w + b)      # forward pass, (N,)
    dz = grad_out       # through the sigmoid gate, (N,)
    grad_x = dz[:, None] * w          # dz/dx = w for every sample, (N, D)
    grad_w = x.T @ dz                 # dz/dw = x, summed over the batch, (D,)
    grad_b = dz.sum()                 # dz/db = 1, summed over the batch, ()
    return grad_x, grad_w, grad_b
'''),
    ('ch02_sigmoid_neuron_backward', 'evaluates the sigmoid derivative at z instead of at sigmoid(z)', '''
def sigmoid_neuron_backward(x, w, b, grad_out):
    """Backward pass of a sigmoid neuron (see the exercise)."""
    s = x @ w + b                    # forward pass, (N,)
    dz = grad_out * s * (1 - s)       # through the sigmoid gate, (N,)
    grad_x = dz[:, None] * w          # dz/dx = w for every sample, (N, D)
    grad_w = x.T @ dz                 # dz/dw = x, summed over the batch, (D,)
    grad_b = dz.sum()                 # dz/db = 1, summed over the batch, ()
    return grad_x, grad_w, grad_b
'''),
    ('ch02_sigmoid_neuron_backward', 'does not sum the bias gradient over the batch', '''
def sigmoid_neuron_backward(x, w, b, grad_out):
    """Backward pass of a sigmoid neuron (see the exercise)."""
    s = torch.sigmoid(x @ w + b)      # forward pass, (N,)
    dz = grad_out * s * (1 - s)       # through the sigmoid gate, (N,)
    grad_x = dz[:, None] * w          # dz/dx = w for every sample, (N, D)
    grad_w = x.T @ dz                 # dz/dw = x, summed over the batch, (D,)
    grad_b = dz                       # dz/db = 1, summed over the batch, ()
    return grad_x, grad_w, grad_b
'''),
    ('ch02_sigmoid_neuron_backward', 'ignores the upstream gradient (assumes dL/ds = 1)', '''
def sigmoid_neuron_backward(x, w, b, grad_out):
    """Backward pass of a sigmoid neuron (see the exercise)."""
    s = torch.sigmoid(x @ w + b)      # forward pass, (N,)
    dz = s * (1 - s)                  # through the sigmoid gate, (N,)
    grad_x = dz[:, None] * w          # dz/dx = w for every sample, (N, D)
    grad_w = x.T @ dz                 # dz/dw = x, summed over the batch, (D,)
    grad_b = dz.sum()                 # dz/db = 1, summed over the batch, ()
    return grad_x, grad_w, grad_b
'''),
    ('ch02_mlp_backward', "forgets the hidden sigmoid's derivative b_h(1-b_h) in e_h", '''
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
    ('ch02_mlp_backward', 'wrong sign: returns the update direction +g b instead of the gradient -g b', '''
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
    ('ch02_mlp_backward', 'averages the bias gradients over the batch instead of summing', '''
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
    ('ch02_mlp_backward', 'drops the factor 1/2 in the loss', '''
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
    ('ch02_grad_check', 'uses one-sided (forward) differences', '''
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
    ('ch02_grad_check', 'divides the centred difference by h instead of 2h', '''
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
    ('ch02_grad_check', 'forgets to restore x after perturbing an entry', '''
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
    ('ch02_grad_check', 'relative error without a floor: 0/0 gives NaN where both gradients vanish', '''
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
    ('ch02_grad_check', 'reports the mean instead of the largest relative error', '''
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
    ('ch02_value', 'overwrites gradients (=) instead of accumulating them (+=)', '''
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
    ('ch02_value', 'recursive backward without a topological order (shared nodes propagate twice)', '''
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
    ('ch02_value', 'tanh derivative written as 1 - tanh instead of 1 - tanh^2', '''
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
    ('ch02_value', 'exp derivative evaluated as the input instead of e^input', '''
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
    ('ch02_value', 'forgets to seed the output gradient with 1', '''
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
