"""Hidden tests of Chapter 1: the public check, then inputs the student has not seen,
compared with the reference solution and with PyTorch."""
import torch
import torch.nn.functional as F

from autograder.plugin import exercise
from dlcourse.checks import call
from dlcourse.checks.ch01 import (expect_mlp, mlp_case, probe_activations,
                                  probe_perceptron_training)
from dlcourse.compare import CheckFailure, expect_close, expect_scalar


def _randn(seed, *shape, scale=1.0, dtype=torch.float32):
    return scale * torch.randn(*shape, generator=torch.Generator().manual_seed(seed),
                               dtype=dtype)


# --- 1.1 dense ---------------------------------------------------------------------------

@exercise("ch01_dense")
def test_dense_public_check(student):
    student.check()


@exercise("ch01_dense")
def test_dense_hidden_inputs(student, reference):
    for seed, n, d_in, d_out in [(10, 1, 1, 1), (11, 16, 9, 30), (12, 3, 64, 10)]:
        X, W, b = _randn(seed, n, d_in), _randn(seed + 1, d_in, d_out), _randn(seed + 2, d_out)
        got = student.run(call, X, W, b)
        expect_close(got, reference.run(call, X, W, b), f"dense on X {tuple(X.shape)}")
        expect_close(got, F.linear(X, W.T, b), f"dense vs F.linear on X {tuple(X.shape)}")


# --- 1.2 perceptron ----------------------------------------------------------------------

@exercise("ch01_perceptron")
def test_perceptron_public_check(student):
    student.check()


@exercise("ch01_perceptron")
def test_perceptron_hidden_epochs(student, reference):
    for seed, n, d, lr in [(20, 30, 4, 0.7), (21, 5, 1, 2.0), (22, 12, 3, 1.0)]:
        X = _randn(seed, n, d)
        y = torch.where(_randn(seed + 1, n) >= 0, 1.0, -1.0)
        w, b = _randn(seed + 2, d), torch.tensor(-0.4)
        got_w, got_b, got_n = student.run(call, w, b, X, y, lr)
        exp_w, exp_b, exp_n = reference.run(call, w, b, X, y, lr)
        expect_scalar(got_n, float(exp_n), f"mistakes in one epoch ({n} points, lr {lr})")
        expect_close(got_w, exp_w, f"w after one epoch ({n} points, lr {lr})")
        expect_scalar(got_b, float(exp_b), f"b after one epoch ({n} points, lr {lr})",
                      rtol=1e-5, atol=1e-5)


@exercise("ch01_perceptron")
def test_perceptron_converges_on_separable_data(student):
    X = _randn(23, 80, 3)
    score = X @ torch.tensor([0.5, 1.0, -1.5]) - 0.2
    keep = score.abs() > 0.25
    X, y = X[keep], torch.where(score[keep] > 0, 1.0, -1.0)
    out = student.run(probe_perceptron_training, torch.zeros(3), torch.tensor(0.0), X, y,
                      0.1, 200)
    if out["mistakes"][-1] != 0:
        raise CheckFailure("the perceptron did not converge on linearly separable data")
    pred = torch.where(X @ out["w"] + out["b"] >= 0, 1.0, -1.0)
    expect_close(pred, y, "predictions after convergence")


# --- 1.3 activations ---------------------------------------------------------------------

@exercise("ch01_activations")
def test_activations_public_check(student):
    student.check()


@exercise("ch01_activations")
def test_activations_hidden_inputs(student, reference):
    cases = [(_randn(30, 1000, scale=50.0), 0.02), (_randn(31, 2, 2, 2, 2, 3), 0.5),
             (torch.tensor([-1e4, -88.0, -1e-8, 0.0, 1e-8, 88.0, 1e4]), 0.1)]
    for x, slope in cases:
        got = student.run(probe_activations, x, slope)
        ref = reference.run(probe_activations, x, slope)
        torch_values = {"sigmoid": torch.sigmoid(x), "tanh": torch.tanh(x), "relu": F.relu(x),
                        "leaky_relu": F.leaky_relu(x, slope),
                        "leaky_relu_default": F.leaky_relu(x)}
        for name, expected in torch_values.items():
            expect_close(got[name], expected, f"{name} on shape {tuple(x.shape)}")
            expect_close(got[name], ref[name], f"{name} vs the reference, shape {tuple(x.shape)}")


# --- 1.4 softmax -------------------------------------------------------------------------

@exercise("ch01_softmax")
def test_softmax_public_check(student):
    student.check()


@exercise("ch01_softmax")
def test_softmax_hidden_inputs(student, reference):
    for seed, shape in [(40, (1, 1)), (41, (3, 1000)), (42, (2, 4, 6)), (43, (2, 2, 2, 2, 5))]:
        x = 80 * torch.randn(shape, generator=torch.Generator().manual_seed(seed))
        got = student.run(call, x)
        expect_close(got, reference.run(call, x), f"softmax on shape {shape}")
        expect_close(got, torch.softmax(x, dim=-1), f"softmax vs torch.softmax, shape {shape}")
    x = torch.tensor([[-1e4, -1e4 + 1.0, -1e4 + 2.0], [1e4, 1e4, 1e4]])
    expect_close(student.run(call, x), torch.softmax(x, dim=-1), "softmax of +-10000")


# --- 1.5 MSE -----------------------------------------------------------------------------

@exercise("ch01_mse")
def test_mse_public_check(student):
    student.check()


@exercise("ch01_mse")
def test_mse_hidden_inputs(student, reference):
    for seed, shape in [(50, (1,)), (51, (100,)), (52, (3, 4, 5))]:
        y_hat, y = _randn(seed, *shape, scale=10.0), _randn(seed + 1, *shape)
        got = student.run(call, y_hat, y)
        expect_close(got, reference.run(call, y_hat, y), f"mse on shape {shape}")
        expect_close(got, F.mse_loss(y_hat, y), f"mse vs F.mse_loss on shape {shape}")
    y = _randn(53, 7)
    expect_close(student.run(call, y, y.clone()), torch.tensor(0.0), "mse of identical tensors")


# --- 1.6 cross-entropy -------------------------------------------------------------------

@exercise("ch01_cross_entropy")
def test_cross_entropy_public_check(student):
    student.check()


@exercise("ch01_cross_entropy")
def test_cross_entropy_hidden_inputs(student, reference):
    gen = torch.Generator().manual_seed(60)
    for seed, n, c, scale in [(61, 1, 10, 500.0), (62, 64, 10, 2.0), (63, 3, 1000, 5.0),
                              (64, 9, 3, 3000.0)]:
        logits = _randn(seed, n, c, scale=scale)
        target = torch.randint(0, c, (n,), generator=gen)
        got = student.run(call, logits, target)
        expect_close(got, reference.run(call, logits, target), f"cross_entropy on ({n}, {c})",
                     rtol=1e-5, atol=1e-5)
        expect_close(got, F.cross_entropy(logits, target),
                     f"cross_entropy vs F.cross_entropy on ({n}, {c})", rtol=1e-5, atol=1e-5)


# --- 1.7 MLP -----------------------------------------------------------------------------

@exercise("ch01_mlp")
def test_mlp_public_check(student):
    student.check()


@exercise("ch01_mlp")
def test_mlp_hidden_sizes(student):
    for seed, sizes, batch_shape in [(70, [3, 1], (1, 3)), (71, [10, 7, 5, 3, 2], (4, 10)),
                                     (72, [12, 20, 6], (2, 3, 4))]:
        weights, biases, X = mlp_case(seed, sizes, batch_shape)
        expect_mlp(student.run, sizes, weights, biases, X, f"MLP({sizes}) on {batch_shape}")
