"""Tests of dlcourse.backprop: the layers' backward passes, and the figures Chapter 2 promises."""
import math

import pytest
import torch
from torch import nn

from dlcourse.backprop import (Dense, HalfSquaredError, LayerMLP, ReLULayer, SigmoidLayer,
                               deep_mlp, finite_difference_errors, gradient_norm_table,
                               layer_gradient_norms, one_hot, train_manual_vs_autograd)
from dlcourse.data import load_digits_split


def _rand(*shape, seed=0):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed),
                       dtype=torch.float64)


@pytest.fixture(scope="module")
def digits():
    return load_digits_split()


# --- layers ------------------------------------------------------------------------------

@pytest.mark.parametrize("n,n_in,n_out", [(1, 3, 2), (5, 4, 4), (7, 1, 6)])
def test_dense_backward_matches_autograd(n, n_in, n_out):
    layer = Dense(n_in, n_out, torch.Generator().manual_seed(n), torch.float64)
    layer.bias = _rand(n_out, seed=1)
    x = _rand(n, n_in, seed=2)
    up = _rand(n, n_out, seed=3)
    out_manual = layer.forward(x)
    grad_in = layer.backward(up)

    xg = x.clone().requires_grad_(True)
    Wg = layer.weight.clone().requires_grad_(True)
    bg = layer.bias.clone().requires_grad_(True)
    out = xg @ Wg + bg
    torch.testing.assert_close(out_manual, out.detach())
    (out * up).sum().backward()
    torch.testing.assert_close(grad_in, xg.grad)
    torch.testing.assert_close(layer.grad_weight, Wg.grad)
    torch.testing.assert_close(layer.grad_bias, bg.grad)


def test_dense_uses_xavier_variance():
    layer = Dense(400, 300, torch.Generator().manual_seed(0), torch.float64)
    assert abs(layer.weight.var().item() * 400 - 1.0) < 0.02
    assert torch.equal(layer.bias, torch.zeros(300, dtype=torch.float64))


@pytest.mark.parametrize("layer_cls,fn", [(SigmoidLayer, torch.sigmoid), (ReLULayer, torch.relu)])
def test_activation_backward_matches_autograd(layer_cls, fn):
    x = 3 * _rand(4, 5, seed=4)
    x[0, 0] = 0.0  # ReLU's derivative at 0 is taken as 0, as in PyTorch
    up = _rand(4, 5, seed=5)
    layer = layer_cls()
    out = layer.forward(x)
    grad_in = layer.backward(up)
    xg = x.clone().requires_grad_(True)
    ref = fn(xg)
    (ref * up).sum().backward()
    torch.testing.assert_close(out, ref.detach())
    torch.testing.assert_close(grad_in, xg.grad)


def test_half_squared_error_and_its_gradient():
    pred, target = _rand(6, 3, seed=6), _rand(6, 3, seed=7)
    loss_layer = HalfSquaredError()
    loss = loss_layer.forward(pred, target)
    pg = pred.clone().requires_grad_(True)
    ref = 0.5 * nn.functional.mse_loss(pg, target, reduction="sum") / 6
    ref.backward()
    torch.testing.assert_close(loss, ref.detach())
    torch.testing.assert_close(loss_layer.backward(), pg.grad)


@pytest.mark.parametrize("activation", ["sigmoid", "relu"])
def test_layer_mlp_gradients_and_to_torch(activation):
    net = LayerMLP([5, 7, 4, 3], activation, seed=3)
    x, t = _rand(9, 5, seed=8), torch.rand(9, 3, dtype=torch.float64)
    loss_layer = HalfSquaredError()
    loss = loss_layer.forward(net.forward(x), t)
    grad_x = net.backward(loss_layer.backward())

    seq = net.to_torch()
    xg = x.clone().requires_grad_(True)
    ref = 0.5 * (seq(xg) - t).pow(2).sum() / 9
    ref.backward()
    torch.testing.assert_close(loss, ref.detach())
    torch.testing.assert_close(grad_x, xg.grad)
    lins = [m for m in seq if isinstance(m, nn.Linear)]
    for dense, lin in zip(net.dense_layers(), lins):
        torch.testing.assert_close(dense.grad_weight, lin.weight.grad.T)
        torch.testing.assert_close(dense.grad_bias, lin.bias.grad)
    # the manual SGD step equals torch's
    net.step(0.1)
    with torch.no_grad():
        for lin in lins:
            lin.weight -= 0.1 * lin.weight.grad
            lin.bias -= 0.1 * lin.bias.grad
    for dense, lin in zip(net.dense_layers(), lins):
        torch.testing.assert_close(dense.weight, lin.weight.T)


def test_one_hot():
    got = one_hot(torch.tensor([2, 0, 1]), 4)
    assert got.dtype == torch.float64
    assert torch.equal(got, torch.eye(4, dtype=torch.float64)[[2, 0, 1]])


# --- the demos' promised figures -----------------------------------------------------------

@pytest.mark.slow
def test_manual_backprop_reproduces_autograd_loss_curve(digits):
    hist = train_manual_vs_autograd(digits.X_train, digits.y_train, digits.X_test,
                                    digits.y_test, hidden=32, epochs=30, batch_size=32, lr=4.0,
                                    seed=0, progress=False)
    assert len(hist["manual"]) == len(hist["autograd"]) == 30
    for m, a in zip(hist["manual"], hist["autograd"]):
        assert abs(m - a) <= 1e-6 * abs(a)  # the chapter promises the same curve
    assert hist["manual"][-1] < 0.1 * hist["manual"][0]  # and that it learns
    assert hist["test_acc_manual"] == hist["test_acc_autograd"]
    assert hist["test_acc_manual"] >= 0.95  # printed in the notebook (about 0.97)


@pytest.fixture(scope="module")
def norm_table(digits):
    return gradient_norm_table(digits.X_train[:256], digits.y_train[:256], depth=10, width=64,
                               seed=0)


def test_gradient_norm_table_shapes(norm_table):
    assert set(norm_table) == {"sigmoid/naive", "sigmoid/xavier", "relu/naive", "relu/xavier",
                               "tanh/xavier"}
    for res in norm_table.values():
        assert len(res["grad_norm"]) == 10 and len(res["act_std"]) == 9
        assert all(math.isfinite(v) and v > 0 for v in res["grad_norm"])


def test_sigmoid_gradients_vanish(norm_table):
    xav = norm_table["sigmoid/xavier"]["grad_norm"]
    naive = norm_table["sigmoid/naive"]["grad_norm"]
    assert xav[0] < 1e-4 * xav[-1]            # first layer far smaller than the last
    assert naive[0] < 0.2 * naive[-1]
    # monotone decay towards the input with Xavier weights: about x4 per layer
    assert all(a < b for a, b in zip(xav[:-1], xav[1:]))


def test_relu_naive_explodes_and_xavier_stays_in_a_band(norm_table):
    naive, xav = norm_table["relu/naive"], norm_table["relu/xavier"]
    assert min(naive["grad_norm"]) > 1e5 * max(xav["grad_norm"])
    assert naive["act_std"][-1] > 1e5 * naive["act_std"][0]
    for key in ("relu/xavier", "tanh/xavier"):
        g = norm_table[key]["grad_norm"]
        assert max(g) / min(g) < 3.0, key


def test_deep_mlp_inits():
    net = deep_mlp(3, 200, 100, 10, "relu", "xavier", seed=0)
    lins = [m for m in net if isinstance(m, nn.Linear)]
    assert [tuple(m.weight.shape) for m in lins] == [(200, 100), (200, 200), (10, 200)]
    assert abs(lins[1].weight.var().item() * 200 - 1) < 0.05
    naive = deep_mlp(2, 200, 100, 10, "sigmoid", "naive", seed=0)
    assert abs(naive[0].weight.var().item() - 1) < 0.05
    res = layer_gradient_norms(torch.randn(8, 100), torch.arange(8) % 10, "tanh", "xavier",
                               depth=3, width=20)
    assert len(res["grad_norm"]) == 3 and res["loss"] > 0


def test_finite_difference_errors():
    hs = [10.0 ** (-k / 2) for k in range(2, 27)]
    e64 = finite_difference_errors(hs, torch.float64)
    e32 = finite_difference_errors(hs, torch.float32)
    # truncation error: O(h) for one-sided, O(h^2) for centred differences
    i = hs.index(1e-3)
    assert 1e-3 < e64["forward"][i] < 1e-1
    assert e64["central"][i] < 1e-4
    # the best achievable errors printed in the chapter
    assert min(e64["central"]) < 1e-9
    assert min(e64["forward"]) > 10 * min(e64["central"])
    assert min(e32["central"]) > 1e-6  # float32 is not precise enough for gradient checks
    # round-off makes tiny steps worse
    assert e64["central"][-1] > 100 * min(e64["central"])
