"""Plausible wrong solutions for Chapter 3; each must lose its exercise's points."""

MISTAKES = [
    ("ch03_sgd_momentum", "averages the velocity with (1 - momentum) (not torch's convention)", '''
def sgd_momentum_step(theta, grad, state, lr, momentum):
    v = momentum * state.get("v", torch.zeros_like(theta)) + (1 - momentum) * grad
    return theta - lr * v, {"v": v}
'''),
    ("ch03_sgd_momentum", "moves with the old velocity before updating it", '''
def sgd_momentum_step(theta, grad, state, lr, momentum):
    v_old = state.get("v", torch.zeros_like(theta))
    new_theta = theta - lr * v_old
    return new_theta, {"v": momentum * v_old + grad}
'''),
    ("ch03_adagrad", "puts eps inside the square root", '''
def adagrad_step(theta, grad, state, lr, eps=1e-10):
    s = state.get("s", torch.zeros_like(theta)) + grad ** 2
    return theta - lr * grad / torch.sqrt(s + eps), {"s": s}
'''),
    ("ch03_adagrad", "accumulates |g| instead of g squared", '''
def adagrad_step(theta, grad, state, lr, eps=1e-10):
    s = state.get("s", torch.zeros_like(theta)) + grad.abs()
    return theta - lr * grad / (s.sqrt() + eps), {"s": s}
'''),
    ("ch03_rmsprop", "forgets the (1 - alpha) factor on the new squared gradient", '''
def rmsprop_step(theta, grad, state, lr, alpha=0.99, eps=1e-8):
    s = alpha * state.get("s", torch.zeros_like(theta)) + grad ** 2
    return theta - lr * grad / (s.sqrt() + eps), {"s": s}
'''),
    ("ch03_rmsprop", "swaps alpha and 1 - alpha", '''
def rmsprop_step(theta, grad, state, lr, alpha=0.99, eps=1e-8):
    s = (1 - alpha) * state.get("s", torch.zeros_like(theta)) + alpha * grad ** 2
    return theta - lr * grad / (s.sqrt() + eps), {"s": s}
'''),
    ("ch03_adam", "forgets the bias correction", '''
def adam_step(theta, grad, state, lr, beta1=0.9, beta2=0.999, eps=1e-8):
    m = beta1 * state.get("m", torch.zeros_like(theta)) + (1 - beta1) * grad
    v = beta2 * state.get("v", torch.zeros_like(theta)) + (1 - beta2) * grad ** 2
    return theta - lr * m / (v.sqrt() + eps), {"m": m, "v": v}
'''),
    ("ch03_adam", "counts steps from 0 (off by one in the bias correction)", '''
def adam_step(theta, grad, state, lr, beta1=0.9, beta2=0.999, eps=1e-8):
    t = state.get("t", 0)
    m = beta1 * state.get("m", torch.zeros_like(theta)) + (1 - beta1) * grad
    v = beta2 * state.get("v", torch.zeros_like(theta)) + (1 - beta2) * grad ** 2
    m_hat = m / (1 - beta1 ** (t + 2))
    v_hat = v / (1 - beta2 ** (t + 2))
    return theta - lr * m_hat / (v_hat.sqrt() + eps), {"m": m, "v": v, "t": t + 1}
'''),
    ("ch03_adam", "puts eps inside the square root", '''
def adam_step(theta, grad, state, lr, beta1=0.9, beta2=0.999, eps=1e-8):
    t = state.get("t", 0) + 1
    m = beta1 * state.get("m", torch.zeros_like(theta)) + (1 - beta1) * grad
    v = beta2 * state.get("v", torch.zeros_like(theta)) + (1 - beta2) * grad ** 2
    m_hat = m / (1 - beta1 ** t)
    v_hat = v / (1 - beta2 ** t)
    return theta - lr * m_hat / torch.sqrt(v_hat + eps), {"m": m, "v": v, "t": t}
'''),
    ("ch03_newton_step", "wrong sign (moves uphill)", '''
def newton_step(x, grad, hess):
    return x + torch.linalg.solve(hess, grad)
'''),
    ("ch03_newton_step", "multiplies by the Hessian instead of its inverse", '''
def newton_step(x, grad, hess):
    return x - hess @ grad
'''),
    ("ch03_newton_step", "uses only the diagonal of the Hessian", '''
def newton_step(x, grad, hess):
    return x - grad / torch.diagonal(hess)
'''),
    ("ch03_dropout", "forgets to rescale the kept units", '''
def dropout(x, p, training, generator):
    if not training:
        return x
    keep = torch.rand(x.shape, generator=generator, dtype=x.dtype) >= p
    return x * keep
'''),
    ("ch03_dropout", "keeps units with probability p instead of 1 - p", '''
def dropout(x, p, training, generator):
    if not training or p == 0:
        return x
    if p == 1:
        return torch.zeros_like(x)
    keep = torch.rand(x.shape, generator=generator, dtype=x.dtype) < p
    return x * keep / (1 - p)
'''),
    ("ch03_dropout", "one mask per feature, shared by the whole batch", '''
def dropout(x, p, training, generator):
    if not training or p == 0:
        return x
    if p == 1:
        return torch.zeros_like(x)
    keep = torch.rand(x.shape[-1], generator=generator, dtype=x.dtype) >= p
    return x * keep / (1 - p)
'''),
    ("ch03_dropout", "classic (non-inverted) dropout: scales by 1 - p at evaluation", '''
def dropout(x, p, training, generator):
    if not training:
        return x * (1 - p)
    keep = torch.rand(x.shape, generator=generator, dtype=x.dtype) >= p
    return x * keep
'''),
    ("ch03_dropout", "ignores the generator (global random state)", '''
def dropout(x, p, training, generator):
    if not training or p == 0:
        return x
    if p == 1:
        return torch.zeros_like(x)
    keep = torch.rand(x.shape, dtype=x.dtype) >= p
    return x * keep / (1 - p)
'''),
    ("ch03_batchnorm", "biased variance in the running estimate", '''
def batchnorm_forward(x, gamma, beta, running_mean, running_var, training, momentum=0.1, eps=1e-5):
    if training:
        mean, var = x.mean(dim=0), x.var(dim=0, unbiased=False)
        running_mean = (1 - momentum) * running_mean + momentum * mean
        running_var = (1 - momentum) * running_var + momentum * var
    else:
        mean, var = running_mean, running_var
    return gamma * (x - mean) / torch.sqrt(var + eps) + beta, running_mean, running_var
'''),
    ("ch03_batchnorm", "normalises with the unbiased variance", '''
def batchnorm_forward(x, gamma, beta, running_mean, running_var, training, momentum=0.1, eps=1e-5):
    if training:
        mean, var = x.mean(dim=0), x.var(dim=0, unbiased=True)
        running_mean = (1 - momentum) * running_mean + momentum * mean
        running_var = (1 - momentum) * running_var + momentum * var
    else:
        mean, var = running_mean, running_var
    return gamma * (x - mean) / torch.sqrt(var + eps) + beta, running_mean, running_var
'''),
    ("ch03_batchnorm", "momentum weights the old running value (Keras convention)", '''
def batchnorm_forward(x, gamma, beta, running_mean, running_var, training, momentum=0.1, eps=1e-5):
    if training:
        mean, var = x.mean(dim=0), x.var(dim=0, unbiased=False)
        n = x.shape[0]
        running_mean = momentum * running_mean + (1 - momentum) * mean
        running_var = momentum * running_var + (1 - momentum) * var * n / (n - 1)
    else:
        mean, var = running_mean, running_var
    return gamma * (x - mean) / torch.sqrt(var + eps) + beta, running_mean, running_var
'''),
    ("ch03_batchnorm", "uses the batch statistics in evaluation mode too", '''
def batchnorm_forward(x, gamma, beta, running_mean, running_var, training, momentum=0.1, eps=1e-5):
    mean, var = x.mean(dim=0), x.var(dim=0, unbiased=False)
    if training:
        n = x.shape[0]
        running_mean = (1 - momentum) * running_mean + momentum * mean
        running_var = (1 - momentum) * running_var + momentum * var * n / (n - 1)
    return gamma * (x - mean) / torch.sqrt(var + eps) + beta, running_mean, running_var
'''),
    ("ch03_batchnorm", "eps outside the square root", '''
def batchnorm_forward(x, gamma, beta, running_mean, running_var, training, momentum=0.1, eps=1e-5):
    if training:
        mean, var = x.mean(dim=0), x.var(dim=0, unbiased=False)
        n = x.shape[0]
        running_mean = (1 - momentum) * running_mean + momentum * mean
        running_var = (1 - momentum) * running_var + momentum * var * n / (n - 1)
    else:
        mean, var = running_mean, running_var
    return gamma * (x - mean) / (torch.sqrt(var) + eps) + beta, running_mean, running_var
'''),
    ("ch03_early_stopping", "counts a tie as an improvement (<= instead of <)", '''
class EarlyStopping:
    def __init__(self, patience=5, min_delta=0.0):
        self.patience, self.min_delta = patience, min_delta
        self.best_loss, self.best_epoch, self.epoch, self.wait = float("inf"), -1, -1, 0

    def step(self, val_loss):
        self.epoch += 1
        if val_loss <= self.best_loss - self.min_delta:
            self.best_loss, self.best_epoch, self.wait = val_loss, self.epoch, 0
        else:
            self.wait += 1
        return self.wait >= self.patience
'''),
    ("ch03_early_stopping", "off by one: waits patience + 1 epochs", '''
class EarlyStopping:
    def __init__(self, patience=5, min_delta=0.0):
        self.patience, self.min_delta = patience, min_delta
        self.best_loss, self.best_epoch, self.epoch, self.wait = float("inf"), -1, -1, 0

    def step(self, val_loss):
        self.epoch += 1
        if val_loss < self.best_loss - self.min_delta:
            self.best_loss, self.best_epoch, self.wait = val_loss, self.epoch, 0
        else:
            self.wait += 1
        return self.wait > self.patience
'''),
    ("ch03_early_stopping", "ignores min_delta", '''
class EarlyStopping:
    def __init__(self, patience=5, min_delta=0.0):
        self.patience, self.min_delta = patience, min_delta
        self.best_loss, self.best_epoch, self.epoch, self.wait = float("inf"), -1, -1, 0

    def step(self, val_loss):
        self.epoch += 1
        if val_loss < self.best_loss:
            self.best_loss, self.best_epoch, self.wait = val_loss, self.epoch, 0
        else:
            self.wait += 1
        return self.wait >= self.patience
'''),
    ("ch03_early_stopping", "numbers epochs from 1", '''
class EarlyStopping:
    def __init__(self, patience=5, min_delta=0.0):
        self.patience, self.min_delta = patience, min_delta
        self.best_loss, self.best_epoch, self.epoch, self.wait = float("inf"), 0, 0, 0

    def step(self, val_loss):
        self.epoch += 1
        if val_loss < self.best_loss - self.min_delta:
            self.best_loss, self.best_epoch, self.wait = val_loss, self.epoch, 0
        else:
            self.wait += 1
        return self.wait >= self.patience
'''),
]
