"""Tests of dlcourse.backprop and dlcourse.graphs: the layers' backward passes, the graph
drawings, and every number Chapter 2's prose states (see tests/claims/ch02.py)."""
import math
from pathlib import Path

import matplotlib
import pytest
import torch
from torch import nn

from autograder.notebooks import load_master
from dlcourse.backprop import (XOR_TARGETS, Dense, HalfSquaredError, LayerMLP, ReLULayer,
                               SigmoidLayer, deep_mlp, finite_difference_errors,
                               forward_backward_flops, gradient_norm_table, init_variances,
                               layer_gradient_norms, lr_sweep, one_hot, train_manual_vs_autograd,
                               train_value_mlp)
from dlcourse.data import load_digits_split
from dlcourse.graphs import GraphNode, draw_graph, draw_torch_graph, grad_fn_inputs, layout

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


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


def test_dense_uses_lecun_variance():
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

@pytest.fixture(scope="module")
def trained(digits):
    return train_manual_vs_autograd(digits.X_train, digits.y_train, digits.X_test,
                                    digits.y_test, hidden=32, epochs=30, batch_size=32, lr=4.0,
                                    seed=0, progress=False)


@pytest.mark.slow
def test_manual_backprop_reproduces_autograd_loss_curve(trained):
    hist = trained
    assert len(hist["manual"]) == len(hist["autograd"]) == 30
    for m, a in zip(hist["manual"], hist["autograd"]):
        assert abs(m - a) <= 1e-6 * abs(a)  # the chapter promises the same curve
    assert hist["manual"][-1] < 0.1 * hist["manual"][0]  # and that it learns
    assert hist["test_acc_manual"] == hist["test_acc_autograd"]
    assert 0.95 <= hist["test_acc_manual"] <= 0.99  # "about 97 %"


@pytest.mark.slow
def test_lr_sweep_four_is_best_and_sixty_four_saturates(digits, trained):
    lrs = [0.25, 1.0, 4.0, 16.0, 64.0]
    sweep = lr_sweep(digits.X_train, digits.y_train, lrs, hidden=32, epochs=30, batch_size=32,
                     seed=0)
    # the stacked run with eta = 4 is the demo's run: same start, same batches
    for s, a in zip(sweep["loss"][4.0], trained["autograd"]):
        assert abs(s - a) <= 1e-9 * a
    final = {lr: curve[-1] for lr, curve in sweep["loss"].items()}
    assert min(final, key=final.get) == 4.0                     # "eta = 4 ends lowest"
    assert all(final[lr] > 2 * final[4.0] for lr in (0.25, 1.0, 16.0))
    assert abs(final[64.0] - 0.5) < 1e-3                        # "stays at a loss of 0.5"
    assert all(abs(v - 0.5) < 0.01 for v in sweep["loss"][64.0][2:])
    assert sweep["output_slope"][64.0] < 1e-6 < sweep["output_slope"][4.0]   # saturated


def test_lr_sweep_trains_each_rate_on_its_own():
    """Networks stacked in one tensor must not share gradients: a rate of 0 changes nothing."""
    X = torch.rand(40, 6, generator=torch.Generator().manual_seed(0))
    y = torch.arange(40) % 3
    sweep = lr_sweep(X, y, [0.0, 2.0], hidden=5, epochs=3, batch_size=8)
    frozen = sweep["loss"][0.0]
    assert max(frozen) - min(frozen) < 1e-12                      # never moved
    assert sweep["loss"][2.0][-1] < frozen[-1]


def test_backward_costs_between_one_and_two_forward_passes():
    def expected(sizes, batch):
        """Two multiply-adds per weight and example forward; twice that backward, except the
        first layer's input gradient, which nobody needs."""
        forward = sum(2 * batch * a * b for a, b in zip(sizes[:-1], sizes[1:]))
        return forward, 2 * forward - 2 * batch * sizes[0] * sizes[1]

    for sizes, printed in [([64, 32, 10], "1.14"), ([64] + [256] * 9 + [10], "1.97")]:
        flops = forward_backward_flops(sizes, batch_size=32)
        assert (flops["forward"], flops["backward"]) == expected(sizes, 32)
        assert f"{flops['ratio']:.2f}" == printed   # the prediction's answer quotes these


@pytest.fixture(scope="module")
def norm_table(digits):
    return gradient_norm_table(digits.X_train[:256], digits.y_train[:256], depth=10, width=64,
                               seed=0)


def _per_layer(values, steps):
    return (values[-1] / values[0]) ** (1 / steps)


def test_gradient_norm_table_shapes(norm_table):
    assert set(norm_table) == {"sigmoid/naive", "sigmoid/lecun", "relu/naive", "relu/lecun",
                               "relu/he", "tanh/glorot"}
    for res in norm_table.values():
        assert len(res["grad_norm"]) == 10 and len(res["act_std"]) == 9
        assert all(math.isfinite(v) and v > 0 for v in res["grad_norm"])


def test_sigmoid_gradients_vanish(norm_table):
    lecun = norm_table["sigmoid/lecun"]
    g = lecun["grad_norm"]
    assert 1e-6 < g[0] / g[-1] < 1e-5              # "between 10^5 and 10^6 times less"
    assert 3.0 < _per_layer(g, 9) < 5.5      # "a factor of about four per layer"
    assert all(a < b for a, b in zip(g[:-1], g[1:]))
    assert max(lecun["act_std"]) < 2 * min(lecun["act_std"])   # the forward spread is kept
    naive = norm_table["sigmoid/naive"]
    assert 5 < naive["grad_norm"][-1] / naive["grad_norm"][0] < 20   # "about a factor of ten"
    assert 9 < naive["loss"] < 13                                   # "about 11"


def test_relu_naive_explodes(norm_table):
    naive = norm_table["relu/naive"]
    assert 4.5 < _per_layer(naive["act_std"], 8) < 7.0     # "about 5.7" per layer
    assert 3e5 < naive["act_std"][-1] < 3e7                # "about 10^6"
    assert all(1e6 < g < 1e8 for g in naive["grad_norm"])  # "of order 10^7"
    assert 1e6 < naive["loss"] < 1e8                       # "and so is the loss"


def test_scaled_initialisations_keep_gradients_in_a_band(norm_table):
    for key in ("relu/lecun", "tanh/glorot"):
        g = norm_table[key]["grad_norm"]
        assert max(g) / min(g) < 3.0, key                  # "within a factor of three"
    for key in ("sigmoid/lecun", "relu/lecun", "relu/he", "tanh/glorot"):
        assert abs(norm_table[key]["loss"] - math.log(10)) < 0.5, key   # "a few tenths"


def test_relu_lecun_halves_the_variance_and_he_keeps_it(norm_table):
    assert 0.6 < _per_layer(norm_table["relu/lecun"]["act_std"], 8) < 0.8    # "about 0.71"
    he = norm_table["relu/he"]["act_std"]
    assert max(he) < 1.5 * min(he)                                           # "constant"


def test_init_variances_follow_their_rules():
    d_in, d_out = 256, 64
    measured = {name: m for name, (m, _) in init_variances(d_in, d_out).items()}
    rules = [1 / (3 * d_in), 1 / d_in, 2 / (d_in + d_out), 2 / d_in]   # Linear, LeCun, Glorot, He
    for (name, m), rule in zip(measured.items(), rules):
        assert abs(m / rule - 1) < 0.05, name
    torch.manual_seed(1)
    w = nn.Linear(d_in, d_out).weight
    assert w.abs().max() <= 1 / math.sqrt(d_in)           # U(-1/sqrt(d_in), 1/sqrt(d_in))


def test_deep_mlp_inits():
    for init, rule in [("lecun", 1 / 200), ("glorot", 2 / 400), ("he", 2 / 200), ("naive", 1.0)]:
        net = deep_mlp(3, 200, 100, 10, "relu", init, seed=0)
        lins = [m for m in net if isinstance(m, nn.Linear)]
        assert [tuple(m.weight.shape) for m in lins] == [(200, 100), (200, 200), (10, 200)]
        assert abs(lins[1].weight.var().item() / rule - 1) < 0.05, init
        assert all(torch.equal(m.bias, torch.zeros_like(m.bias)) for m in lins)
    res = layer_gradient_norms(torch.randn(8, 100), torch.arange(8) % 10, "tanh", "glorot",
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
    # "about 1e-10 for steps between 1e-6 and 1e-5"
    best = min(range(len(hs)), key=lambda k: e64["central"][k])
    assert 1e-6 <= hs[best] <= 1e-5
    assert all(2e-11 < e < 5e-10 for h, e in zip(hs, e64["central"]) if 1e-6 <= h <= 1e-5)
    # "three orders of magnitude better than the best forward difference"
    assert 300 < min(e64["forward"]) / min(e64["central"]) < 3000
    assert 3e-6 < min(e32["central"]) < 5e-5           # float32: "only about 1e-5"
    # "for steps below about 3e-8 the estimate is zero" (relative error exactly 1)
    assert all(e == 1.0 for h, e in zip(hs, e32["central"]) if h < 4e-8)
    assert all(e < 1.0 for h, e in zip(hs, e32["central"]) if h > 4e-8)
    # round-off makes tiny steps worse
    assert e64["central"][-1] > 100 * min(e64["central"])


# --- a scalar engine's payoff ---------------------------------------------------------------

def master_value_class():
    """The reference solution's Value, executed from the master notebook."""
    master = load_master(ROOT / "solutions" / "02_backprop.ipynb")
    namespace = {}
    for _, source in master.setup_cells:
        exec(source, namespace)
    exec(master.exercises["ch02_value"].solution, namespace)
    return namespace["Value"]


def test_value_mlp_learns_xor():
    run = train_value_mlp(master_value_class(), hidden=4, steps=100, lr=0.1, seed=0)
    (first_step, first), (last_step, last) = run["loss"][0], run["loss"][-1]
    assert (first_step, last_step) == (0, 100)
    assert 4.4 < first < 4.6                            # "from about 4.5"
    assert 0.015 < last < 0.025                         # "to about 0.02"
    for out, target in zip(run["after"], XOR_TARGETS):
        assert out * target > 0 and abs(out - target) < 0.1   # "close, with the right signs"
    assert 150 < run["graph_size"] < 500                # "a few hundred nodes"


def test_value_mlp_does_not_learn_with_a_broken_engine():
    Value = master_value_class()

    class Broken(Value):
        """Products pass no gradient back: only the biases can learn, which XOR defeats."""

        def __mul__(self, other):
            out = super().__mul__(other)
            out._backward = lambda: None
            return out

    run = train_value_mlp(Broken, hidden=4, steps=30, lr=0.1, seed=0)
    assert run["loss"][-1][1] > 0.9 * run["loss"][0][1]


# --- graph drawings ---------------------------------------------------------------------------

def _worked_neuron():
    leaves = {n: GraphNode(v, label=n) for n, v in
              [("w0", 2.0), ("x0", -1.0), ("w1", -3.0), ("x1", -2.0), ("w2", -3.0)]}
    a0 = GraphNode(-2.0, 0.2, (leaves["w0"], leaves["x0"]), "×")
    a1 = GraphNode(6.0, 0.2, (leaves["w1"], leaves["x1"]), "×")
    a2 = GraphNode(4.0, 0.2, (a0, a1), "+")
    z = GraphNode(1.0, 0.2, (a2, leaves["w2"]), "+")
    out = GraphNode(0.73, 1.0, (z,), "σ")
    return out, leaves


def test_layout_puts_inputs_left_of_their_users_in_separate_rows():
    out, leaves = _worked_neuron()
    lay = layout(out)
    assert len(lay.nodes) == 10
    assert lay.xy[id(out)][0] == max(x for x, _ in lay.xy.values())
    for node in lay.nodes:
        for child in node._prev:
            assert lay.xy[id(child)][0] < lay.xy[id(node)][0]
    cells = [lay.xy[id(n)] for n in lay.nodes]
    assert len(set(cells)) == len(cells)                      # no two nodes on one spot
    column = sorted((n for n in lay.nodes if lay.xy[id(n)][0] == lay.xy[id(leaves["w0"])][0]),
                    key=lambda n: -lay.xy[id(n)][1])
    assert [n.label for n in column] == ["w0", "x0", "w1", "x1"]   # inputs keep their order


def test_draw_graph_writes_values_and_gradients_on_the_edges():
    out, _ = _worked_neuron()
    ax = draw_graph(out, title="t")
    texts = [t.get_text() for t in ax.texts]
    for expected in ["w0", "x1", "×", "+", "σ", "-2", "6", "0.73", "0.2", "1", "output"]:
        assert expected in texts, expected
    assert len([p for p in ax.patches]) + len(ax.texts) > 0
    assert not ax.axison and ax.get_title() == "t"
    plt.close(ax.figure)


def test_draw_graph_handles_a_node_used_twice():
    x = GraphNode(1.5, 3.0, label="x")
    square = GraphNode(2.25, 1.0, (x, x), "*")
    ax = draw_graph(square)
    arrows = [c for c in ax.texts if c.get_text() == "" and hasattr(c, "arrow_patch")]
    assert len(arrows) == 3                            # two edges from x, one to "output"
    plt.close(ax.figure)


def test_draw_torch_graph_follows_grad_fn():
    w = torch.tensor([2.0, -3.0], requires_grad=True)
    out = torch.sigmoid(w[0] * 3.0 + w[1])
    assert [type(f).__name__ for f in grad_fn_inputs(out.grad_fn)] == ["AddBackward0"]
    ax = draw_torch_graph(out, title="t")
    names = {t.get_text() for t in ax.texts}
    assert {"Sigmoid", "Add", "Mul", "Select", "AccumulateGrad"} <= names
    plt.close(ax.figure)
