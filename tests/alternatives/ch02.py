"""Correct alternative solutions of Chapter 2 (see tests/alternatives/__init__.py)."""

ALTERNATIVES: list[tuple[str, str, str]] = [
    ("ch02_sigmoid_neuron_backward", "einsum and outer product, slope as sigma(z) sigma(-z)", '''
def sigmoid_neuron_backward(x, w, b, grad_out):
    z = torch.einsum("nd,d->n", x, w) + b
    delta = grad_out * torch.sigmoid(z) * torch.sigmoid(-z)
    return torch.outer(delta, w), torch.einsum("n,nd->d", delta, x), torch.sum(delta)
'''),
    ("ch02_mlp_backward", "addmm and einsum, slopes from the pre-activations", '''
def mlp_forward_backward(X, Y, W1, b1, W2, b2):
    z1 = torch.addmm(b1, X, W1)
    H = torch.sigmoid(z1)
    z2 = torch.addmm(b2, H, W2)
    err = torch.sigmoid(z2) - Y
    d2 = err * torch.sigmoid(z2) * torch.sigmoid(-z2)
    d1 = torch.einsum("nk,jk->nj", d2, W2) * torch.sigmoid(z1) * torch.sigmoid(-z1)
    return {"loss": (err * err).sum() / 2,
            "W1": torch.einsum("ni,nj->ij", X, d1), "b1": d1.sum(0),
            "W2": torch.einsum("nj,nk->jk", H, d2), "b2": d2.sum(0)}
'''),
    ("ch02_grad_check", "no in-place perturbation: x plus or minus a one-hot step", '''
def grad_check(f, x, grad, h=1e-5):
    num = torch.empty_like(x)
    entries = num.reshape(-1)
    for i in range(x.numel()):
        step = torch.zeros(x.numel(), dtype=x.dtype)
        step[i] = h
        step = step.reshape(x.shape)
        entries[i] = (f(x + step) - f(x - step)) / (2 * h)
    scale = torch.stack([grad.abs(), num.abs(), torch.full_like(num, 1e-8)]).amax(dim=0)
    return num, float(((grad - num).abs() / scale).max())
'''),
    ("ch02_value", "shared helper for one-input operations; Kahn's algorithm on the users", '''
class Value:
    def __init__(self, data, _children=(), _op=""):
        self.data = float(data)
        self.grad = 0.0
        self._prev = tuple(_children)
        self._op = _op
        self._backward = lambda: None

    @staticmethod
    def _lift(v):
        return v if isinstance(v, Value) else Value(v)

    def _unary(self, value, local, op):
        out = Value(value, (self,), op)

        def _backward():
            self.grad += local * out.grad

        out._backward = _backward
        return out

    def __add__(self, other):
        other = Value._lift(other)
        out = Value(self.data + other.data, (self, other), "+")

        def _backward():
            for node in (self, other):
                node.grad += out.grad

        out._backward = _backward
        return out

    def __mul__(self, other):
        other = Value._lift(other)
        out = Value(self.data * other.data, (self, other), "*")

        def _backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out._backward = _backward
        return out

    def exp(self):
        e = math.exp(self.data)
        return self._unary(e, e, "exp")

    def tanh(self):
        t = math.tanh(self.data)
        return self._unary(t, 1.0 - t ** 2, "tanh")

    def backward(self):
        waiting, stack, seen = {}, [self], {id(self)}
        while stack:                       # count, for every node, the edges to its users
            node = stack.pop()
            for child in node._prev:
                waiting[id(child)] = waiting.get(id(child), 0) + 1
                if id(child) not in seen:
                    seen.add(id(child))
                    stack.append(child)
        self.grad = 1.0
        ready = [self]
        while ready:                       # a node goes once all its users have gone
            node = ready.pop()
            node._backward()
            for child in node._prev:
                waiting[id(child)] -= 1
                if waiting[id(child)] == 0:
                    ready.append(child)

    def __radd__(self, other):
        return self + other

    def __rmul__(self, other):
        return self * other
'''),
    ("ch02_value", "recursive depth-first order kept in a dict, operands wrapped on both sides", '''
class Value:
    def __init__(self, data, _children=(), _op=""):
        self.data, self.grad = float(data), 0.0
        self._prev, self._op = tuple(_children), _op
        self._backward = lambda: None

    def __add__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data + other.data, (self, other), "+")

        def _backward():
            self.grad = self.grad + out.grad
            other.grad = other.grad + out.grad

        out._backward = _backward
        return out

    def __mul__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data * other.data, (self, other), "*")

        def _backward():
            a, c = self.data, other.data
            self.grad = self.grad + c * out.grad
            other.grad = other.grad + a * out.grad

        out._backward = _backward
        return out

    def exp(self):
        out = Value(math.exp(self.data), (self,), "exp")

        def _backward():
            self.grad = self.grad + out.data * out.grad

        out._backward = _backward
        return out

    def tanh(self):
        out = Value(math.tanh(self.data), (self,), "tanh")

        def _backward():
            self.grad = self.grad + (1 - out.data ** 2) * out.grad

        out._backward = _backward
        return out

    def backward(self):
        order = {}

        def visit(node):
            if id(node) in order:
                return
            for child in node._prev:
                visit(child)
            order[id(node)] = node

        visit(self)
        self.grad = 1.0
        for node in reversed(list(order.values())):
            node._backward()

    def __radd__(self, other):
        return Value(other) + self

    def __rmul__(self, other):
        return Value(other) * self
'''),
]
