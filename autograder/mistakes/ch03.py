"""Implementations of Chapter 3's catalogued mistakes (the grader's own; never shipped).

Each entry replaces the master's solution cell: the grader must take that exercise's points
and name the mistake. The messages are in ``dlcourse/checks/ch03.py`` (``MISTAKES``).
"""
from autograder.mistakes import Mistake

MISTAKES = [
    Mistake("ch03_sgd_momentum", "averages_the_velocity_with_1_momentum", '''
def sgd_momentum_step(theta, grad, state, lr, momentum):
    v = momentum * state.get("v", torch.zeros_like(theta)) + (1 - momentum) * grad
    return theta - lr * v, {"v": v}
'''),
    Mistake("ch03_sgd_momentum", "moves_with_the_old_velocity_before", '''
def sgd_momentum_step(theta, grad, state, lr, momentum):
    v_old = state.get("v", torch.zeros_like(theta))
    new_theta = theta - lr * v_old
    return new_theta, {"v": momentum * v_old + grad}
'''),
    Mistake("ch03_adagrad", "puts_eps_inside_the_square_root", '''
def adagrad_step(theta, grad, state, lr, eps=1e-10):
    s = state.get("s", torch.zeros_like(theta)) + grad ** 2
    return theta - lr * grad / torch.sqrt(s + eps), {"s": s}
'''),
    Mistake("ch03_adagrad", "accumulates_g_instead_of_g_squared", '''
def adagrad_step(theta, grad, state, lr, eps=1e-10):
    s = state.get("s", torch.zeros_like(theta)) + grad.abs()
    return theta - lr * grad / (s.sqrt() + eps), {"s": s}
'''),
    Mistake("ch03_rmsprop", "forgets_the_1_alpha_factor_on_the_new", '''
def rmsprop_step(theta, grad, state, lr, alpha=0.99, eps=1e-8):
    s = alpha * state.get("s", torch.zeros_like(theta)) + grad ** 2
    return theta - lr * grad / (s.sqrt() + eps), {"s": s}
'''),
    Mistake("ch03_rmsprop", "swaps_alpha_and_1_alpha", '''
def rmsprop_step(theta, grad, state, lr, alpha=0.99, eps=1e-8):
    s = (1 - alpha) * state.get("s", torch.zeros_like(theta)) + alpha * grad ** 2
    return theta - lr * grad / (s.sqrt() + eps), {"s": s}
'''),
    Mistake("ch03_adam", "forgets_the_bias_correction", '''
def adam_step(theta, grad, state, lr, beta1=0.9, beta2=0.999, eps=1e-8):
    m = beta1 * state.get("m", torch.zeros_like(theta)) + (1 - beta1) * grad
    v = beta2 * state.get("v", torch.zeros_like(theta)) + (1 - beta2) * grad ** 2
    return theta - lr * m / (v.sqrt() + eps), {"m": m, "v": v}
'''),
    Mistake("ch03_adam", "counts_steps_from_0_off_by_one_in_the", '''
def adam_step(theta, grad, state, lr, beta1=0.9, beta2=0.999, eps=1e-8):
    t = state.get("t", 0)
    m = beta1 * state.get("m", torch.zeros_like(theta)) + (1 - beta1) * grad
    v = beta2 * state.get("v", torch.zeros_like(theta)) + (1 - beta2) * grad ** 2
    m_hat = m / (1 - beta1 ** (t + 2))
    v_hat = v / (1 - beta2 ** (t + 2))
    return theta - lr * m_hat / (v_hat.sqrt() + eps), {"m": m, "v": v, "t": t + 1}
'''),
    Mistake("ch03_adam", "puts_eps_inside_the_square_root", '''
def adam_step(theta, grad, state, lr, beta1=0.9, beta2=0.999, eps=1e-8):
    t = state.get("t", 0) + 1
    m = beta1 * state.get("m", torch.zeros_like(theta)) + (1 - beta1) * grad
    v = beta2 * state.get("v", torch.zeros_like(theta)) + (1 - beta2) * grad ** 2
    m_hat = m / (1 - beta1 ** t)
    v_hat = v / (1 - beta2 ** t)
    return theta - lr * m_hat / torch.sqrt(v_hat + eps), {"m": m, "v": v, "t": t}
'''),
    Mistake("ch03_newton_step", "wrong_sign_moves_uphill", '''
def newton_step(x, grad, hess):
    return x + torch.linalg.solve(hess, grad)
'''),
    Mistake("ch03_newton_step", "multiplies_by_the_hessian_instead_of_its", '''
def newton_step(x, grad, hess):
    return x - hess @ grad
'''),
    Mistake("ch03_newton_step", "uses_only_the_diagonal_of_the_hessian", '''
def newton_step(x, grad, hess):
    return x - grad / torch.diagonal(hess)
'''),
    Mistake("ch03_dropout", "forgets_to_rescale_the_kept_units", '''
def dropout(x, p, training, generator):
    if not training:
        return x
    keep = torch.rand(x.shape, generator=generator, dtype=x.dtype) >= p
    return x * keep
'''),
    Mistake("ch03_dropout", "keeps_units_with_probability_p_instead", '''
def dropout(x, p, training, generator):
    if not training or p == 0:
        return x
    if p == 1:
        return torch.zeros_like(x)
    keep = torch.rand(x.shape, generator=generator, dtype=x.dtype) < p
    return x * keep / (1 - p)
'''),
    Mistake("ch03_dropout", "one_mask_per_feature_shared_by_the_whole", '''
def dropout(x, p, training, generator):
    if not training or p == 0:
        return x
    if p == 1:
        return torch.zeros_like(x)
    keep = torch.rand(x.shape[-1], generator=generator, dtype=x.dtype) >= p
    return x * keep / (1 - p)
'''),
    Mistake("ch03_dropout", "classic_non_inverted_dropout_scales_by_1", '''
def dropout(x, p, training, generator):
    if not training:
        return x * (1 - p)
    keep = torch.rand(x.shape, generator=generator, dtype=x.dtype) >= p
    return x * keep
'''),
    Mistake("ch03_dropout", "ignores_the_generator_global_random", '''
def dropout(x, p, training, generator):
    if not training or p == 0:
        return x
    if p == 1:
        return torch.zeros_like(x)
    keep = torch.rand(x.shape, dtype=x.dtype) >= p
    return x * keep / (1 - p)
'''),
    Mistake("ch03_batchnorm", "biased_variance_in_the_running_estimate", '''
def batchnorm_forward(x, gamma, beta, running_mean, running_var, training, momentum=0.1, eps=1e-5):
    if training:
        mean, var = x.mean(dim=0), x.var(dim=0, unbiased=False)
        running_mean = (1 - momentum) * running_mean + momentum * mean
        running_var = (1 - momentum) * running_var + momentum * var
    else:
        mean, var = running_mean, running_var
    return gamma * (x - mean) / torch.sqrt(var + eps) + beta, running_mean, running_var
'''),
    Mistake("ch03_batchnorm", "normalises_with_the_unbiased_variance", '''
def batchnorm_forward(x, gamma, beta, running_mean, running_var, training, momentum=0.1, eps=1e-5):
    if training:
        mean, var = x.mean(dim=0), x.var(dim=0, unbiased=True)
        running_mean = (1 - momentum) * running_mean + momentum * mean
        running_var = (1 - momentum) * running_var + momentum * var
    else:
        mean, var = running_mean, running_var
    return gamma * (x - mean) / torch.sqrt(var + eps) + beta, running_mean, running_var
'''),
    Mistake("ch03_batchnorm", "momentum_weights_the_old_running_value", '''
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
    Mistake("ch03_batchnorm", "uses_the_batch_statistics_in_evaluation", '''
def batchnorm_forward(x, gamma, beta, running_mean, running_var, training, momentum=0.1, eps=1e-5):
    mean, var = x.mean(dim=0), x.var(dim=0, unbiased=False)
    if training:
        n = x.shape[0]
        running_mean = (1 - momentum) * running_mean + momentum * mean
        running_var = (1 - momentum) * running_var + momentum * var * n / (n - 1)
    return gamma * (x - mean) / torch.sqrt(var + eps) + beta, running_mean, running_var
'''),
    Mistake("ch03_batchnorm", "eps_outside_the_square_root", '''
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
    Mistake("ch03_early_stopping", "counts_a_tie_as_an_improvement_instead", '''
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
    Mistake("ch03_early_stopping", "off_by_one_waits_patience_1_epochs", '''
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
    Mistake("ch03_early_stopping", "ignores_min_delta", '''
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
    Mistake("ch03_early_stopping", "numbers_epochs_from_1", '''
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
