"""Correct alternative solutions of Chapter 3 (see tests/alternatives/__init__.py)."""

ALTERNATIVES: list[tuple[str, str, str]] = [
    ("ch03_sgd_momentum", "first step initialises the velocity with a copy of the gradient", '''
def sgd_momentum_step(theta, grad, state, lr, momentum):
    if "buf" in state:
        buf = state["buf"].mul(momentum).add(grad)
    else:
        buf = grad.clone()
    new_theta = theta.clone()
    new_theta.add_(buf, alpha=-lr)
    return new_theta, {"buf": buf}
'''),
    ("ch03_adagrad", "addcmul_ and an explicit step size tensor", '''
def adagrad_step(theta, grad, state, lr, eps=1e-10):
    acc = state["acc"].clone() if "acc" in state else torch.zeros_like(theta)
    acc.addcmul_(grad, grad)
    denom = acc.sqrt().add_(eps)
    return theta.addcdiv(grad, denom, value=-lr), {"acc": acc}
'''),
    ("ch03_rmsprop", "the running average as a lerp towards g squared", '''
def rmsprop_step(theta, grad, state, lr, alpha=0.99, eps=1e-8):
    sq = torch.lerp(state.get("sq", torch.zeros_like(theta)), grad * grad, 1 - alpha)
    return theta - lr * grad / (torch.sqrt(sq) + eps), {"sq": sq}
'''),
    ("ch03_adam", "keeps the running powers of beta in the state instead of a step counter", '''
def adam_step(theta, grad, state, lr, beta1=0.9, beta2=0.999, eps=1e-8):
    b1_t = state.get("b1_t", 1.0) * beta1
    b2_t = state.get("b2_t", 1.0) * beta2
    m = torch.lerp(state.get("m", torch.zeros_like(theta)), grad, 1 - beta1)
    v = torch.lerp(state.get("v", torch.zeros_like(theta)), grad * grad, 1 - beta2)
    denom = (v / (1 - b2_t)).sqrt() + eps
    return theta - lr * (m / (1 - b1_t)) / denom, {"m": m, "v": v, "b1_t": b1_t, "b2_t": b2_t}
'''),
    ("ch03_newton_step", "Cholesky solve with a fallback, a counted loop of halvings", '''
def newton_step(f, x, grad, hess, c=1e-4, shrink=0.5):
    try:
        d = -torch.cholesky_solve(grad[:, None], torch.linalg.cholesky(hess))[:, 0]
    except RuntimeError:  # not positive definite: no Cholesky factor
        d = -torch.linalg.lstsq(hess, grad[:, None]).solution[:, 0]
    if torch.dot(grad, d) >= 0:
        d = -grad
    f0, slope = f(x), torch.dot(grad, d)
    k = 0
    while not f(x + shrink ** k * d) <= f0 + c * shrink ** k * slope:
        k += 1
    return x + shrink ** k * d, shrink ** k
'''),
    ("ch03_dropout", "torch.bernoulli with the generator", '''
def dropout(x, p, training, generator):
    if not training:
        return x
    if p >= 1:
        return x * 0
    mask = torch.bernoulli(torch.full(x.shape, 1 - p, dtype=x.dtype), generator=generator)
    return x * mask / (1 - p)
'''),
    ("ch03_batchnorm", "variance from squared deviations; unbiased estimate from var()", '''
def batchnorm_forward(x, gamma, beta, running_mean, running_var, training, momentum=0.1, eps=1e-5):
    if not training:
        return gamma * (x - running_mean) / (running_var + eps).sqrt() + beta, running_mean, running_var
    mu = x.mean(0, keepdim=True)
    var = ((x - mu) ** 2).mean(0)
    y = gamma * (x - mu) * torch.rsqrt(var + eps) + beta
    new_mean = torch.lerp(running_mean, mu[0], momentum)
    new_var = torch.lerp(running_var, x.var(0, unbiased=True), momentum)
    return y, new_mean, new_var
'''),
    ("ch03_early_stopping", "keeps the whole history and decides from it", '''
class EarlyStopping:
    def __init__(self, patience=5, min_delta=0.0):
        self.patience, self.min_delta = patience, min_delta
        self.history = []
        self.best_loss, self.best_epoch = float("inf"), None

    def step(self, val_loss):
        self.history.append(val_loss)
        if val_loss < self.best_loss - self.min_delta:
            self.best_loss, self.best_epoch = val_loss, len(self.history) - 1
        return len(self.history) - 1 - self.best_epoch >= self.patience
'''),
]
