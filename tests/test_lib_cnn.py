"""Tests of dlcourse.cnn: the models, the complexity counter, the helpers, and the figures
Chapter 4's demos print (asserted here, not only eyeballed), plus the conv2d benchmark."""
from __future__ import annotations

import importlib.util
import json

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from dlcourse import cnn
from dlcourse.checks import get_exercise, local_runner
from dlcourse.checks.ch04 import (LENET5_SHAPES, lenet5_functional, probe_lines_executed,
                                  random_state, residual_functional, residual_shapes)
from dlcourse.compare import CheckFailure
from tests.conftest import ROOT

CPU = torch.device("cpu")


# --- models ----------------------------------------------------------------------------------

def test_lenet5_has_the_classic_parameter_count_and_shape():
    net = cnn.lenet5()
    assert cnn.count_parameters(net) == 61706 == 156 + 2416 + 48120 + 10164 + 850
    assert net(torch.zeros(2, 1, 32, 32)).shape == (2, 10)


def test_lenet5_sequential_equals_the_functional_reference():
    state = random_state(LENET5_SHAPES, 3)
    net = cnn.lenet5()
    params = [p for p in net.parameters()]
    for p, name in zip(params, ["c1.weight", "c1.bias", "c3.weight", "c3.bias", "c5.weight",
                                "c5.bias", "f6.weight", "f6.bias", "output.weight", "output.bias"]):
        p.data.copy_(state[name])
    x = torch.randn(3, 1, 32, 32)
    torch.testing.assert_close(net(x), lenet5_functional(state, x))


@pytest.mark.parametrize("cin, cout, stride", [(4, 4, 1), (4, 8, 2), (3, 5, 1), (6, 6, 2)])
def test_basic_block_matches_the_functional_residual_block(cin, cout, stride):
    block = cnn.basic_block(cin, cout, stride)
    state = random_state(residual_shapes(cin, cout, stride), 7)
    mapping = {"conv1.weight": "body.0.weight", "bn1": "body.1", "conv2.weight": "body.3.weight",
               "bn2": "body.4", "shortcut.0.weight": "shortcut.0.weight", "shortcut.1": "shortcut.1"}
    renamed = {}
    for name, value in state.items():
        for old, new in mapping.items():
            if name == old or name.startswith(old + "."):
                renamed[new + name[len(old):]] = value
    block.load_state_dict(renamed)
    x = torch.randn(2, cin, 7, 6)
    block.eval()
    torch.testing.assert_close(block(x), residual_functional(state, x, stride, training=False))
    block.train()
    torch.testing.assert_close(block(x), residual_functional(state, x, stride, training=True))


def test_model_shapes():
    assert cnn.digits_cnn()(torch.zeros(3, 1, 8, 8)).shape == (3, 10)
    assert cnn.mnist1d_cnn()(torch.zeros(3, 40)).shape == (3, 10)
    assert cnn.mlp(40)(torch.zeros(3, 40)).shape == (3, 10)
    assert cnn.small_vgg()(torch.zeros(2, 3, 32, 32)).shape == (2, 10)
    assert cnn.small_resnet()(torch.zeros(2, 3, 32, 32)).shape == (2, 10)
    assert cnn.bottleneck_block(16, 4, 32, 2)(torch.zeros(1, 16, 8, 8)).shape == (1, 32, 4, 4)


def test_conv_block_halves_the_resolution_when_pooling():
    assert cnn.conv_block(3, 5)(torch.zeros(2, 3, 8, 6)).shape == (2, 5, 4, 3)
    assert cnn.conv_block(3, 5, pool=False)(torch.zeros(2, 3, 8, 6)).shape == (2, 5, 8, 6)


def test_build_from_spec_rejects_unknown_layers():
    with pytest.raises(ValueError):
        cnn.build_from_spec([("attention", 3)], 1)


# --- complexity ---------------------------------------------------------------------------------

def test_complexity_counts_macs_by_hand():
    conv = nn.Sequential(nn.Conv2d(3, 4, 3), nn.Flatten(), nn.Linear(4 * 6 * 6, 5))
    info = cnn.complexity(conv, (3, 8, 8))
    assert info["macs"] == 4 * 6 * 6 * (3 * 3 * 3) + 5 * 144
    assert info["params"] == 4 * 28 + 5 * 145
    assert info["output_shape"] == (5,)
    grouped = nn.Conv1d(4, 8, 3, groups=2)
    assert cnn.complexity(grouped, (4, 10))["macs"] == 8 * 8 * 2 * 3


def test_lenet5_macs_by_hand():
    expected = 6 * 28 * 28 * 25 + 16 * 10 * 10 * 150 + 120 * 400 + 84 * 120 + 10 * 84
    assert cnn.complexity(cnn.lenet5(), (1, 32, 32))["macs"] == expected == 416520


def test_architecture_table_figures_quoted_in_the_chapter():
    rows = {r["model"].split(" (")[0].split(",")[0]: r for r in cnn.architecture_table()}
    lenet, vgg, resnet = rows["LeNet-5"], rows["small VGG"], rows["small ResNet"]
    basic, bottle = rows["basic block"], rows["bottleneck block"]
    assert lenet["params"] == 61706
    assert 12 < vgg["params"] / lenet["params"] < 14          # "thirteen times"
    assert 80 < vgg["macs"] / lenet["macs"] < 100             # "almost a hundred times"
    assert resnet["params"] < vgg["params"] / 4 and resnet["macs"] < vgg["macs"]
    assert 0.05 < bottle["params"] / basic["params"] < 0.07   # "about 6%"
    assert 0.05 < bottle["macs"] / basic["macs"] < 0.07
    dense = 128 * 4 * 4 * 256 + 256
    assert dense > vgg["params"] / 2                          # "most of them in its first dense layer"


# --- helpers --------------------------------------------------------------------------------------

def test_inverse_frequency_weights():
    y = torch.tensor([0, 0, 0, 1])
    w = cnn.inverse_frequency_weights(y, 3)
    torch.testing.assert_close(w, torch.tensor([4 / 9, 4 / 3, 4 / 3]))


def test_make_imbalanced_keeps_few_rare_samples():
    split = cnn.load_digits_split(flat=False)
    imb = cnn.make_imbalanced(split, rare_classes=(5, 6), keep=3)
    counts = torch.bincount(imb.y_train, minlength=10)
    assert counts[5] == counts[6] == 3
    assert counts[0] == (split.y_train == 0).sum()
    assert torch.equal(imb.X_test, split.X_test)


def test_flip_labels_changes_exactly_the_flipped_ones():
    y = torch.arange(100) % 10
    noisy, flipped = cnn.flip_labels(y, 0.1, 10, seed=1)
    assert flipped.sum() == 10
    assert torch.all(noisy[flipped] != y[flipped]) and torch.equal(noisy[~flipped], y[~flipped])
    assert noisy.min() >= 0 and noisy.max() < 10


def test_per_class_recall():
    net = nn.Linear(2, 3, bias=False)
    net.weight.data = torch.eye(3, 2)            # predicts class 0 or 1 by the larger coordinate
    X = torch.tensor([[1.0, 0.0], [0.0, 1.0], [0.0, 1.0], [1.0, 0.0]])
    y = torch.tensor([0, 1, 2, 1])
    torch.testing.assert_close(cnn.per_class_recall(net, X, y, 3, CPU), torch.tensor([1.0, 0.5, 0.0]))


def test_random_shift_moves_images_within_the_range():
    x = torch.zeros(50, 1, 5, 5)
    x[:, :, 2, 2] = 1.0
    out = cnn.random_shift(x, 1, torch.Generator().manual_seed(0))
    assert out.shape == x.shape
    pos = out[:, 0].flatten(1).argmax(1)
    rows, cols = pos // 5, pos % 5
    assert torch.all(out.flatten(1).sum(1) == 1)   # a one-pixel shift keeps the centre pixel
    assert set(rows.tolist()) == {1, 2, 3} and set(cols.tolist()) == {1, 2, 3}
    x2 = torch.arange(16.0).reshape(1, 1, 4, 4).repeat(30, 1, 1, 1)
    for img in cnn.random_shift(x2, 1, torch.Generator().manual_seed(1)):  # a shift, zero-filled
        matches = [(dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1)
                   if torch.equal(img[0], _shift(x2[0, 0], dy, dx))]
        assert matches


def _shift(img, dy, dx):
    out = torch.zeros_like(img)
    h, w = img.shape
    out[max(dy, 0):h + min(dy, 0), max(dx, 0):w + min(dx, 0)] = \
        img[max(-dy, 0):h + min(-dy, 0), max(-dx, 0):w + min(-dx, 0)]
    return out


def test_one_cycle_steps_the_schedule():
    p = nn.Parameter(torch.zeros(1))
    opt = cnn.OneCycle([p], 0.1, total_steps=10)
    lrs = []
    for _ in range(10):
        opt.zero_grad()
        p.grad = torch.ones(1)
        opt.step()
        lrs.append(opt.optimizer.param_groups[0]["lr"])
    assert max(lrs) > lrs[0] and lrs[-1] < 0.01


# --- the public checks' own machinery ------------------------------------------------------

def _loop_conv(x, w):
    out = torch.zeros(x.shape[0], w.shape[0], x.shape[2] - w.shape[2] + 1, x.shape[3] - w.shape[3] + 1)
    for i in range(out.shape[2]):
        for j in range(out.shape[3]):
            out[:, :, i, j] = torch.einsum("ncij,ocij->no", x[:, :, i:i + w.shape[2], j:j + w.shape[3]], w)
    return out


def test_line_counter_sees_python_loops_but_not_vectorised_code():
    w = torch.randn(1, 1, 3, 3)
    small, large = torch.zeros(1, 1, 5, 5), torch.zeros(1, 1, 15, 15)
    assert probe_lines_executed(_loop_conv, large, w) > probe_lines_executed(_loop_conv, small, w) + 50

    def vectorised(x, w):
        return F.conv2d(x, w)
    assert probe_lines_executed(vectorised, small, w) == probe_lines_executed(vectorised, large, w) == 1


def test_conv2d_check_rejects_a_pixel_loop_even_when_values_are_right():
    def loop_conv2d(x, weight, bias=None, stride=1, padding=0):
        x = F.pad(x, (padding,) * 4)
        kh, kw = weight.shape[2:]
        h_out, w_out = (x.shape[2] - kh) // stride + 1, (x.shape[3] - kw) // stride + 1
        out = x.new_zeros(x.shape[0], weight.shape[0], h_out, w_out)
        for i in range(h_out):
            for j in range(w_out):
                patch = x[:, :, i * stride:i * stride + kh, j * stride:j * stride + kw]
                out[:, :, i, j] = torch.einsum("ncij,ocij->no", patch, weight)
        return out if bias is None else out + bias[None, :, None, None]

    with pytest.raises(CheckFailure, match="loops over output positions"):
        get_exercise("ch04_conv2d").check(local_runner(loop_conv2d))


def _master_solution(grade_id, name):
    nb = json.loads((ROOT / "solutions" / "04_cnn.ipynb").read_text())
    cell = next(c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id") == grade_id)
    ns = {"torch": torch, "nn": nn, "F": F}
    exec("".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"], ns)
    return ns[name]


@pytest.mark.parametrize("grade_id, name", [
    ("ch04_output_size", "conv_output_size"), ("ch04_conv2d", "conv2d"), ("ch04_maxpool", "max_pool2d"),
    ("ch04_lenet5", "LeNet5"), ("ch04_residual_block", "ResidualBlock"),
    ("ch04_weighted_ce", "weighted_cross_entropy")])
def test_master_solutions_pass_their_public_checks(grade_id, name):
    get_exercise(grade_id).check(local_runner(_master_solution(grade_id, name)))


# --- the demos' figures -------------------------------------------------------------------------

@pytest.mark.slow
def test_digits_cnn_reaches_98_percent():
    r = cnn.run_digits(CPU, progress=False)
    assert r["test_acc"] >= 0.98, r["test_acc"]


@pytest.mark.slow
def test_mnist1d_cnn_beats_published_94_and_the_mlp():
    r = cnn.run_mnist1d(CPU, progress=False)
    assert r["cnn"]["test_acc"] >= 0.94, r["cnn"]["test_acc"]
    assert r["cnn"]["test_acc"] > r["mlp"]["test_acc"] + 0.25
    assert 0.5 < r["mlp"]["test_acc"] < 0.75          # the MLP lands in the published MLP's range
    assert 0.8 < r["mlp"]["params"] / r["cnn"]["params"] < 1.0   # "a similar number of parameters"


@pytest.mark.slow
def test_weighted_loss_rescues_the_rare_classes():
    r = cnn.run_imbalance(CPU, progress=False)
    assert r["counts"][5:].tolist() == [6] * 5
    plain, weighted = r["plain"], r["weighted"]
    assert weighted["recall"][5:].mean() > plain["recall"][5:].mean() + 0.1
    assert weighted["test_acc"] > plain["test_acc"]
    assert (plain["recall"][:5] - weighted["recall"][:5]).max() < 0.05  # frequent classes lose ~nothing


@pytest.mark.slow
def test_highest_losses_are_the_flipped_labels():
    r = cnn.run_label_noise(CPU, progress=False)
    assert r["precision"] >= 0.85, r["precision"]
    assert r["test_acc"] >= 0.97


@pytest.mark.slow
def test_conv2d_reference_within_5x_of_torch():
    spec = importlib.util.spec_from_file_location("conv2d_speed", ROOT / "benchmarks" / "conv2d_speed.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    conv2d = bench.load_reference()
    x, w, b = torch.randn(32, 3, 32, 32), torch.randn(16, 3, 5, 5), torch.randn(16)
    with torch.no_grad():
        ours, theirs = bench.time_pair([lambda: conv2d(x, w, b), lambda: F.conv2d(x, w, b)], 100)
    assert min(ours) / min(theirs) <= 5.0, (min(ours), min(theirs))


def test_call_recorder_names_forbidden_functions_and_restores_them():
    from dlcourse.checks.ch04 import CONV_FORBIDDEN, probe_calls_to

    original = F.conv2d
    x, w = torch.randn(1, 1, 4, 4), torch.randn(1, 1, 3, 3)
    assert probe_calls_to(lambda a, b: nn.functional.conv2d(a, b), CONV_FORBIDDEN, x, w) == \
        ["torch.nn.functional.conv2d"]
    assert probe_calls_to(lambda a, b: torch.einsum("ij,ij->", a[0, 0, :3, :3], b[0, 0]),
                          CONV_FORBIDDEN, x, w) == []
    assert F.conv2d is original and torch.conv2d is original
