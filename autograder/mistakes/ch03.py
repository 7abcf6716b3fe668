"""Implementations of Chapter 3's catalogued mistakes (the grader's own; never shipped).

Each entry replaces the master's solution cell: the grader must take that exercise's points
and name the mistake. The messages are in ``dlcourse/checks/ch03.py`` (``MISTAKES``).
"""
from autograder.mistakes import Mistake

_EARLY_STOPPING_INIT = '''
class EarlyStopping:
    def __init__(self, patience=5, min_delta=0.0):
        self.patience, self.min_delta = patience, min_delta
        self.best_loss, self.best_epoch, self.epoch, self.wait = float("inf"), -1, -1, 0
'''

_BATCHNORM_HEAD = '''
def batchnorm_forward(x, gamma, beta, running_mean, running_var, training, momentum=0.1, eps=1e-5):
    n = x.shape[0]
'''

_NEWTON_SEARCH = '''
    tau, fx = 1.0, f(x)
    while f(x + tau * d) > fx + c * tau * slope:
        tau *= shrink
    return x + tau * d, tau
'''

_NEWTON_FALLBACK = '''
    slope = grad @ d
    if slope >= 0:
        d = -grad
        slope = grad @ d
'''

MISTAKES = [
    # --- 3.1 momentum --------------------------------------------------------------------
    Mistake("ch03_sgd_momentum", "ema_velocity", '''
def sgd_momentum_step(theta, grad, state, lr, momentum):
    v = momentum * state.get("v", torch.zeros_like(theta)) + (1 - momentum) * grad
    return theta - lr * v, {"v": v}
'''),
    Mistake("ch03_sgd_momentum", "steps_with_the_old_velocity", '''
def sgd_momentum_step(theta, grad, state, lr, momentum):
    v_old = state.get("v", torch.zeros_like(theta))
    return theta - lr * v_old, {"v": momentum * v_old + grad}
'''),
    Mistake("ch03_sgd_momentum", "velocity_not_kept", '''
def sgd_momentum_step(theta, grad, state, lr, momentum):
    v = momentum * state.get("v", torch.zeros_like(theta)) + grad
    return theta - lr * v, state
'''),
    # --- 3.2 Adagrad ---------------------------------------------------------------------
    Mistake("ch03_adagrad", "eps_inside_the_root", '''
def adagrad_step(theta, grad, state, lr, eps=1e-10):
    s = state.get("s", torch.zeros_like(theta)) + grad ** 2
    return theta - lr * grad / torch.sqrt(s + eps), {"s": s}
'''),
    Mistake("ch03_adagrad", "accumulates_absolute_gradients", '''
def adagrad_step(theta, grad, state, lr, eps=1e-10):
    s = state.get("s", torch.zeros_like(theta)) + grad.abs()
    return theta - lr * grad / (s.sqrt() + eps), {"s": s}
'''),
    Mistake("ch03_adagrad", "no_accumulation", '''
def adagrad_step(theta, grad, state, lr, eps=1e-10):
    s = grad ** 2
    return theta - lr * grad / (s.sqrt() + eps), {"s": s}
'''),
    # --- 3.3 RMSprop ---------------------------------------------------------------------
    Mistake("ch03_rmsprop", "eps_inside_the_root", '''
def rmsprop_step(theta, grad, state, lr, alpha=0.99, eps=1e-8):
    s = alpha * state.get("s", torch.zeros_like(theta)) + (1 - alpha) * grad ** 2
    return theta - lr * grad / torch.sqrt(s + eps), {"s": s}
'''),
    Mistake("ch03_rmsprop", "forgets_one_minus_rho", '''
def rmsprop_step(theta, grad, state, lr, alpha=0.99, eps=1e-8):
    s = alpha * state.get("s", torch.zeros_like(theta)) + grad ** 2
    return theta - lr * grad / (s.sqrt() + eps), {"s": s}
'''),
    Mistake("ch03_rmsprop", "rho_and_one_minus_rho_swapped", '''
def rmsprop_step(theta, grad, state, lr, alpha=0.99, eps=1e-8):
    s = (1 - alpha) * state.get("s", torch.zeros_like(theta)) + alpha * grad ** 2
    return theta - lr * grad / (s.sqrt() + eps), {"s": s}
'''),
    # --- 3.4 Adam ------------------------------------------------------------------------
    Mistake("ch03_adam", "no_bias_correction", '''
def adam_step(theta, grad, state, lr, beta1=0.9, beta2=0.999, eps=1e-8):
    m = beta1 * state.get("m", torch.zeros_like(theta)) + (1 - beta1) * grad
    v = beta2 * state.get("v", torch.zeros_like(theta)) + (1 - beta2) * grad ** 2
    return theta - lr * m / (v.sqrt() + eps), {"m": m, "v": v}
'''),
    Mistake("ch03_adam", "step_counter_starts_at_0", '''
def adam_step(theta, grad, state, lr, beta1=0.9, beta2=0.999, eps=1e-8):
    t = state.get("t", 0)
    m = beta1 * state.get("m", torch.zeros_like(theta)) + (1 - beta1) * grad
    v = beta2 * state.get("v", torch.zeros_like(theta)) + (1 - beta2) * grad ** 2
    m_hat = m / (1 - beta1 ** t)
    v_hat = v / (1 - beta2 ** t)
    return theta - lr * m_hat / (v_hat.sqrt() + eps), {"m": m, "v": v, "t": t + 1}
'''),
    Mistake("ch03_adam", "step_counter_starts_at_2", '''
def adam_step(theta, grad, state, lr, beta1=0.9, beta2=0.999, eps=1e-8):
    t = state.get("t", 1) + 1
    m = beta1 * state.get("m", torch.zeros_like(theta)) + (1 - beta1) * grad
    v = beta2 * state.get("v", torch.zeros_like(theta)) + (1 - beta2) * grad ** 2
    m_hat = m / (1 - beta1 ** t)
    v_hat = v / (1 - beta2 ** t)
    return theta - lr * m_hat / (v_hat.sqrt() + eps), {"m": m, "v": v, "t": t}
'''),
    Mistake("ch03_adam", "eps_inside_the_root", '''
def adam_step(theta, grad, state, lr, beta1=0.9, beta2=0.999, eps=1e-8):
    t = state.get("t", 0) + 1
    m = beta1 * state.get("m", torch.zeros_like(theta)) + (1 - beta1) * grad
    v = beta2 * state.get("v", torch.zeros_like(theta)) + (1 - beta2) * grad ** 2
    m_hat = m / (1 - beta1 ** t)
    v_hat = v / (1 - beta2 ** t)
    return theta - lr * m_hat / torch.sqrt(v_hat + eps), {"m": m, "v": v, "t": t}
'''),
    Mistake("ch03_adam", "eps_added_to_uncorrected_root", '''
def adam_step(theta, grad, state, lr, beta1=0.9, beta2=0.999, eps=1e-8):
    t = state.get("t", 0) + 1
    m = beta1 * state.get("m", torch.zeros_like(theta)) + (1 - beta1) * grad
    v = beta2 * state.get("v", torch.zeros_like(theta)) + (1 - beta2) * grad ** 2
    step_size = lr * (1 - beta2 ** t) ** 0.5 / (1 - beta1 ** t)
    return theta - step_size * m / (v.sqrt() + eps), {"m": m, "v": v, "t": t}
'''),
    Mistake("ch03_adam", "stores_corrected_moments", '''
def adam_step(theta, grad, state, lr, beta1=0.9, beta2=0.999, eps=1e-8):
    t = state.get("t", 0) + 1
    m = beta1 * state.get("m", torch.zeros_like(theta)) + (1 - beta1) * grad
    v = beta2 * state.get("v", torch.zeros_like(theta)) + (1 - beta2) * grad ** 2
    m_hat = m / (1 - beta1 ** t)
    v_hat = v / (1 - beta2 ** t)
    return theta - lr * m_hat / (v_hat.sqrt() + eps), {"m": m_hat, "v": v_hat, "t": t}
'''),
    # --- 3.5 Newton with a line search ---------------------------------------------------
    Mistake("ch03_newton_step", "direction_sign_flipped", '''
def newton_step(f, x, grad, hess, c=1e-4, shrink=0.5):
    d = torch.linalg.solve(hess, grad)''' + _NEWTON_FALLBACK + _NEWTON_SEARCH),
    Mistake("ch03_newton_step", "multiplies_by_the_hessian", '''
def newton_step(f, x, grad, hess, c=1e-4, shrink=0.5):
    d = -(hess @ grad)''' + _NEWTON_FALLBACK + _NEWTON_SEARCH),
    Mistake("ch03_newton_step", "diagonal_hessian_only", '''
def newton_step(f, x, grad, hess, c=1e-4, shrink=0.5):
    d = -grad / torch.diagonal(hess)''' + _NEWTON_FALLBACK + _NEWTON_SEARCH),
    Mistake("ch03_newton_step", "no_descent_fallback", '''
def newton_step(f, x, grad, hess, c=1e-4, shrink=0.5):
    d = torch.linalg.solve(hess, -grad)
    slope = grad @ d''' + _NEWTON_SEARCH),
    Mistake("ch03_newton_step", "full_step_without_line_search", '''
def newton_step(f, x, grad, hess, c=1e-4, shrink=0.5):
    d = torch.linalg.solve(hess, -grad)''' + _NEWTON_FALLBACK + '''
    return x + d, 1.0
'''),
    Mistake("ch03_newton_step", "any_decrease_accepted", '''
def newton_step(f, x, grad, hess, c=1e-4, shrink=0.5):
    d = torch.linalg.solve(hess, -grad)''' + _NEWTON_FALLBACK + '''
    tau, fx = 1.0, f(x)
    while f(x + tau * d) > fx:
        tau *= shrink
    return x + tau * d, tau
'''),
    # --- 3.6 dropout ---------------------------------------------------------------------
    Mistake("ch03_dropout", "keep_probability_for_drop_probability", '''
def dropout(x, p, training, generator):
    if not training or p == 0:
        return x
    if p == 1:
        return torch.zeros_like(x)
    keep = torch.rand(x.shape, generator=generator, dtype=x.dtype) < p
    return x * keep / (1 - p)
'''),
    Mistake("ch03_dropout", "no_rescaling", '''
def dropout(x, p, training, generator):
    if not training:
        return x
    keep = torch.rand(x.shape, generator=generator, dtype=x.dtype) >= p
    return x * keep
'''),
    Mistake("ch03_dropout", "one_mask_shared_by_the_batch", '''
def dropout(x, p, training, generator):
    if not training or p == 0:
        return x
    if p == 1:
        return torch.zeros_like(x)
    keep = torch.rand(x.shape[-1], generator=generator, dtype=x.dtype) >= p
    return x * keep / (1 - p)
'''),
    Mistake("ch03_dropout", "scales_at_evaluation", '''
def dropout(x, p, training, generator):
    if not training:
        return x * (1 - p)
    keep = torch.rand(x.shape, generator=generator, dtype=x.dtype) >= p
    return x * keep
'''),
    Mistake("ch03_dropout", "ignores_the_generator", '''
def dropout(x, p, training, generator):
    if not training or p == 0:
        return x
    if p == 1:
        return torch.zeros_like(x)
    keep = torch.rand(x.shape, dtype=x.dtype) >= p
    return x * keep / (1 - p)
'''),
    Mistake("ch03_dropout", "nan_at_p_equal_1", '''
def dropout(x, p, training, generator):
    if not training:
        return x
    keep = torch.rand(x.shape, generator=generator, dtype=x.dtype) >= p
    return x * keep / (1 - p)
'''),
    # --- 3.7 batch norm ------------------------------------------------------------------
    Mistake("ch03_batchnorm", "biased_running_variance", _BATCHNORM_HEAD + '''
    if training:
        mean, var = x.mean(dim=0), x.var(dim=0, unbiased=False)
        running_mean = (1 - momentum) * running_mean + momentum * mean
        running_var = (1 - momentum) * running_var + momentum * var
    else:
        mean, var = running_mean, running_var
    return gamma * (x - mean) / torch.sqrt(var + eps) + beta, running_mean, running_var
'''),
    Mistake("ch03_batchnorm", "normalises_with_unbiased_variance", _BATCHNORM_HEAD + '''
    if training:
        mean, var = x.mean(dim=0), x.var(dim=0, unbiased=True)
        running_mean = (1 - momentum) * running_mean + momentum * mean
        running_var = (1 - momentum) * running_var + momentum * var
    else:
        mean, var = running_mean, running_var
    return gamma * (x - mean) / torch.sqrt(var + eps) + beta, running_mean, running_var
'''),
    Mistake("ch03_batchnorm", "momentum_weights_the_old_value", _BATCHNORM_HEAD + '''
    if training:
        mean, var = x.mean(dim=0), x.var(dim=0, unbiased=False)
        running_mean = momentum * running_mean + (1 - momentum) * mean
        running_var = momentum * running_var + (1 - momentum) * var * n / (n - 1)
    else:
        mean, var = running_mean, running_var
    return gamma * (x - mean) / torch.sqrt(var + eps) + beta, running_mean, running_var
'''),
    Mistake("ch03_batchnorm", "batch_statistics_at_evaluation", _BATCHNORM_HEAD + '''
    mean, var = x.mean(dim=0), x.var(dim=0, unbiased=False)
    if training:
        running_mean = (1 - momentum) * running_mean + momentum * mean
        running_var = (1 - momentum) * running_var + momentum * var * n / (n - 1)
    return gamma * (x - mean) / torch.sqrt(var + eps) + beta, running_mean, running_var
'''),
    Mistake("ch03_batchnorm", "eps_outside_the_root", _BATCHNORM_HEAD + '''
    if training:
        mean, var = x.mean(dim=0), x.var(dim=0, unbiased=False)
        running_mean = (1 - momentum) * running_mean + momentum * mean
        running_var = (1 - momentum) * running_var + momentum * var * n / (n - 1)
    else:
        mean, var = running_mean, running_var
    return gamma * (x - mean) / (torch.sqrt(var) + eps) + beta, running_mean, running_var
'''),
    # --- 3.8 early stopping --------------------------------------------------------------
    Mistake("ch03_early_stopping", "tie_counts_as_improvement", _EARLY_STOPPING_INIT + '''
    def step(self, val_loss):
        self.epoch += 1
        if val_loss <= self.best_loss - self.min_delta:
            self.best_loss, self.best_epoch, self.wait = val_loss, self.epoch, 0
        else:
            self.wait += 1
        return self.wait >= self.patience
'''),
    Mistake("ch03_early_stopping", "waits_one_epoch_too_many", _EARLY_STOPPING_INIT + '''
    def step(self, val_loss):
        self.epoch += 1
        if val_loss < self.best_loss - self.min_delta:
            self.best_loss, self.best_epoch, self.wait = val_loss, self.epoch, 0
        else:
            self.wait += 1
        return self.wait > self.patience
'''),
    Mistake("ch03_early_stopping", "ignores_min_delta", _EARLY_STOPPING_INIT + '''
    def step(self, val_loss):
        self.epoch += 1
        if val_loss < self.best_loss:
            self.best_loss, self.best_epoch, self.wait = val_loss, self.epoch, 0
        else:
            self.wait += 1
        return self.wait >= self.patience
'''),
    Mistake("ch03_early_stopping", "epochs_numbered_from_1", '''
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
    Mistake("ch03_early_stopping", "counter_not_reset", _EARLY_STOPPING_INIT + '''
    def step(self, val_loss):
        self.epoch += 1
        if val_loss < self.best_loss - self.min_delta:
            self.best_loss, self.best_epoch = val_loss, self.epoch
        else:
            self.wait += 1
        return self.wait >= self.patience
'''),
]
