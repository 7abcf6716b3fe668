"""Hidden tests of Chapter 3: the public check, then problems and hyper-parameters the
student has not seen, compared with the reference solution and with PyTorch."""
import torch

from autograder.plugin import exercise
from dlcourse.checks.ch03 import (batchnorm_case, check_stopping_cases, derivatives,
                                  expected_early_stopping, expected_newton, make_function,
                                  make_lstsq_problem, probe_batchnorm, probe_dropout,
                                  probe_dropout_twice, probe_early_stopping, probe_newton,
                                  probe_newton_descent, probe_optimizer_trajectory,
                                  quadratic_params, torch_batchnorm, torch_trajectory)
from dlcourse.compare import CheckFailure, expect_close, expect_scalar

# (seed, n, d, k, zero_column) not used by the public check
HIDDEN_PROBLEMS = [(40, 3, 2, None, False), (41, 64, 7, 5, True), (42, 10, 12, 1, False)]


def _trajectories(student, reference, kind, settings, steps=100):
    for hyper in settings:
        for seed, n, d, k, zero in HIDDEN_PROBLEMS:
            problem = make_lstsq_problem(seed, n, d, k, zero_column=zero)
            got = student.run(probe_optimizer_trajectory, problem, hyper, steps)
            ref = reference.run(probe_optimizer_trajectory, problem, hyper, steps)
            expected = torch_trajectory(kind, problem, hyper, steps)
            atol = 1e-6 * expected.abs().max().item()
            what = f"{steps} steps on hidden problem {seed} ({n}x{d}), {hyper}"
            expect_close(got, expected, what + " vs torch.optim", rtol=1e-6, atol=atol)
            expect_close(got, ref, what + " vs the reference", rtol=1e-6, atol=atol)


# --- 3.1 momentum ------------------------------------------------------------------------

@exercise("ch03_sgd_momentum")
def test_sgd_momentum_public_check(student):
    student.check()


@exercise("ch03_sgd_momentum")
def test_sgd_momentum_hidden_problems(student, reference):
    _trajectories(student, reference, "momentum",
                  [{"lr": 0.02, "momentum": 0.95}, {"lr": 0.1, "momentum": 0.3}])


# --- 3.2 Adagrad -------------------------------------------------------------------------

@exercise("ch03_adagrad")
def test_adagrad_public_check(student):
    student.check()


@exercise("ch03_adagrad")
def test_adagrad_hidden_problems(student, reference):
    _trajectories(student, reference, "adagrad", [{"lr": 0.3, "eps": 1e-10},
                                                  {"lr": 0.05, "eps": 0.5}])


# --- 3.3 RMSprop -------------------------------------------------------------------------

@exercise("ch03_rmsprop")
def test_rmsprop_public_check(student):
    student.check()


@exercise("ch03_rmsprop")
def test_rmsprop_hidden_problems(student, reference):
    _trajectories(student, reference, "rmsprop", [{"lr": 0.002, "alpha": 0.95, "eps": 1e-3},
                                                  {"lr": 0.001, "alpha": 0.5, "eps": 0.3}])


# --- 3.4 Adam ----------------------------------------------------------------------------

@exercise("ch03_adam")
def test_adam_public_check(student):
    student.check()


@exercise("ch03_adam")
def test_adam_hidden_problems(student, reference):
    _trajectories(student, reference, "adam",
                  [{"lr": 0.003, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8},
                   {"lr": 0.005, "beta1": 0.0, "beta2": 0.99, "eps": 1e-3},
                   {"lr": 0.01, "beta1": 0.8, "beta2": 0.5, "eps": 0.2}])


# --- 3.5 Newton with a line search ------------------------------------------------------

@exercise("ch03_newton_step")
def test_newton_public_check(student):
    student.check()


def _newton_step_both(student, reference, kind, params, x, c, shrink, what):
    got = student.run(probe_newton, kind, params, x, c, shrink)
    ref = reference.run(probe_newton, kind, params, x, c, shrink)
    f = make_function(kind, params)
    g, H = derivatives(f, x)
    expected = expected_newton(f, x, g, H, c, shrink)
    for name, want in (("the reference", ref), ("a batched line search", expected)):
        expect_close(got["x"], want["x"], f"{what}: new point vs {name}", rtol=1e-7, atol=1e-9)
        expect_scalar(got["step"], want["step"], f"{what}: step length vs {name}", rtol=1e-9,
                      atol=0.0)
    return got


@exercise("ch03_newton_step")
def test_newton_hidden_quadratics(student, reference):
    for seed, d, cond, c in [(50, 2, 1e3, 1e-4), (51, 20, 1e4, 0.3), (52, 5, 1.0, 0.49)]:
        params = quadratic_params(seed, d, cond)
        x = params["x_star"] - 3 * torch.randn(d, generator=torch.Generator().manual_seed(seed),
                                               dtype=torch.float64)
        got = _newton_step_both(student, reference, "quadratic", params, x, c, 0.5,
                                f"{d}-dim quadratic, c={c}")
        expect_close(got["x"], params["x_star"], f"{d}-dim quadratic: lands on the minimum",
                     rtol=1e-6, atol=1e-7)
    params = quadratic_params(53, 3)
    _newton_step_both(student, reference, "quadratic", params, params["x_star"] + 0.5, 0.9, 0.7,
                      "3-dim quadratic, c=0.9, shrink=0.7")


@exercise("ch03_newton_step")
def test_newton_where_the_hessian_is_indefinite(student, reference):
    # The quartic x^4 - 3x^2 + x per coordinate: f'' < 0 for |x| < 0.71.
    for x in ([0.1], [0.5, -0.2, 1.5], [-0.6, 2.0]):
        _newton_step_both(student, reference, "quartic", {}, torch.tensor(x, dtype=torch.float64),
                          1e-4, 0.5, f"the quartic at {x}")
    gen = torch.Generator().manual_seed(54)
    W = torch.randn(4, 3, generator=gen, dtype=torch.float64)
    for seed in range(55, 58):
        x = torch.randn(3, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
        _newton_step_both(student, reference, "tanh", {"W": W}, x, 1e-2, 0.4,
                          f"a non-convex function at {[round(v, 3) for v in x.tolist()]}")


@exercise("ch03_newton_step")
def test_newton_descends_rosenbrock(student, reference):
    got = student.run(probe_newton_descent, "rosenbrock", {},
                      torch.tensor([-1.5, 2.0], dtype=torch.float64), 40)
    ref = reference.run(probe_newton_descent, "rosenbrock", {},
                        torch.tensor([-1.5, 2.0], dtype=torch.float64), 40)
    expect_close(got, ref, "f after each of 40 safeguarded Newton steps on Rosenbrock from "
                 "(-1.5, 2)", rtol=1e-6, atol=1e-12)
    if not bool((got[1:] <= got[:-1]).all()):
        raise CheckFailure("with a line search, f must never increase from one step to the next")


# --- 3.6 dropout -------------------------------------------------------------------------

@exercise("ch03_dropout")
def test_dropout_public_check(student):
    student.check()


@exercise("ch03_dropout")
def test_dropout_hidden_inputs(student):
    gen = torch.Generator().manual_seed(60)
    for p, shape in [(0.1, (50, 20, 30)), (0.9, (30000,)), (0.35, (1, 25000))]:
        x = torch.rand(shape, generator=gen, dtype=torch.float64) + 0.2
        out = student.run(probe_dropout_twice, x, p, 61)
        y = out["a"]
        expect_close(out["b"], y, f"repeatability with a seeded generator, p={p}")
        kept = y != 0
        expect_close(y[kept], x[kept] / (1 - p), f"kept units scaled by 1/(1-p), p={p}")
        rate = 1 - kept.double().mean().item()
        if abs(rate - p) > 0.02:
            raise CheckFailure(f"p={p}, shape {shape}: dropped {rate:.3f} of the units")
    x = -torch.rand(4, 4, generator=gen)
    expect_close(student.run(probe_dropout, x, 0.9, False, 1), x,
                 "evaluation mode is the identity on negative inputs")


@exercise("ch03_dropout")
def test_dropout_is_unbiased_on_average(student):
    # Average of many independent masks on the same input approaches the input.
    x = torch.linspace(-2, 2, 40, dtype=torch.float64).repeat(2000, 1)
    y = student.run(probe_dropout, x, 0.4, True, 62)
    expect_close(y.mean(dim=0), x[0], "column means of dropout over 2000 rows", rtol=0.0,
                 atol=0.15)


# --- 3.7 batch norm ----------------------------------------------------------------------

@exercise("ch03_batchnorm")
def test_batchnorm_public_check(student):
    student.check()


@exercise("ch03_batchnorm")
def test_batchnorm_hidden_sequences(student, reference):
    for seed, sizes, C, eval_n, momentum, eps in [(70, [3, 30, 4, 11], 5, 2, 0.2, 1e-5),
                                                  (71, [2, 2, 2], 2, 1, 0.9, 1e-2),
                                                  (72, [64], 33, 7, 0.01, 1e-5)]:
        batches, eval_x, gamma, beta = batchnorm_case(seed, sizes, C, eval_n)
        got = student.run(probe_batchnorm, batches, eval_x, gamma, beta, momentum, eps)
        ref = reference.run(probe_batchnorm, batches, eval_x, gamma, beta, momentum, eps)
        expected = torch_batchnorm(batches, eval_x, gamma, beta, momentum, eps)
        for key, value in expected.items():
            expect_close(got[key], value, f"hidden case {seed}, {key} vs nn.BatchNorm1d")
            expect_close(got[key], ref[key], f"hidden case {seed}, {key} vs the reference")


# --- 3.8 early stopping ------------------------------------------------------------------

HIDDEN_CURVES = [
    ([5.0, 4.0, 4.0, 3.9, 3.95, 4.1, 4.2, 4.3, 3.0], 3, 0.05),
    ([1.0, 1.0, 1.0], 2, 0.0),
    ([0.5], 1, 0.0),
    ([0.0, -1e-9, -2e-9, -3e-9], 2, 1e-8),
    ([3.0, 2.0, 1.0, 1.5, 0.9, 1.0, 1.1, 1.2, 1.3, 0.1], 4, 0.0),
]


@exercise("ch03_early_stopping")
def test_early_stopping_public_check(student):
    student.check()


@exercise("ch03_early_stopping")
def test_early_stopping_hidden_curves(student, reference):
    check_stopping_cases(student.run, HIDDEN_CURVES)
    for losses, patience, min_delta in HIDDEN_CURVES:
        got = student.run(probe_early_stopping, losses, patience, min_delta)
        ref = reference.run(probe_early_stopping, losses, patience, min_delta)
        for key in ("stop", "best_epoch", "best_loss"):
            expect_close(got[key], ref[key], f"{losses}, patience {patience}: {key}")


@exercise("ch03_early_stopping")
def test_early_stopping_random_curves(student):
    gen = torch.Generator().manual_seed(80)
    for trial in range(5):
        n = 30
        trend = torch.linspace(1, 0, n, dtype=torch.float64) ** 2
        noisy = (trend + 0.05 * torch.randn(n, generator=gen, dtype=torch.float64)).tolist()
        patience = trial + 1
        got = student.run(probe_early_stopping, noisy, patience, 0.01)
        expected = expected_early_stopping(noisy, patience, 0.01)
        if got["stop"].tolist() != expected["stop"].tolist():
            raise CheckFailure(f"random curve {trial}, patience {patience}: decisions "
                               f"{got['stop'].tolist()}, expected {expected['stop'].tolist()}")
        expect_close(got["best_epoch"], expected["best_epoch"], f"random curve {trial}: best_epoch")
