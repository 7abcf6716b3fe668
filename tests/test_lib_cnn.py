"""Tests of dlcourse.cnn: the models, the complexity counter, the geometry helpers, and the
figures Chapter 4's demos print (asserted here with the thresholds of the prose, not only
eyeballed), plus the public checks' own machinery and the conv2d benchmark."""
from __future__ import annotations

import importlib.util
import json

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from autograder.mistakes.ch04 import MISTAKES as MISTAKE_IMPLEMENTATIONS
from dlcourse import cnn
from dlcourse.checks import bundle_targets, get_exercise, local_runner, target_names
from dlcourse.checks.ch04 import (LENET5_SHAPES, lenet5_functional, probe_lines_executed,
                                  random_state, residual_functional, residual_shapes)
from dlcourse.compare import CheckFailure
from tests.alternatives.ch04 import ALTERNATIVES
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
    rows = {r["model"]: r for r in cnn.architecture_table()}
    lenet, vgg = rows["LeNet-5"], rows["small VGG, widths 32-128"]
    resnet_wide, resnet = rows["small ResNet, widths 32-128"], rows["small ResNet, widths 16-64"]
    basic64, bottle = rows["basic block, 64 channels"], rows["bottleneck block, 256-64-256"]
    basic256 = rows["basic block, 256 channels"]
    assert lenet["params"] == 61706
    assert 12.5 < vgg["params"] / lenet["params"] < 13.5            # "thirteen times"
    assert 85 < vgg["macs"] / lenet["macs"] < 100                    # "almost a hundred times"
    dense = 128 * 4 * 4 * 256 + 256                                  # "2,048 inputs to 256 units"
    assert 0.6 < dense / vgg["params"] < 2 / 3                       # "almost two thirds"
    assert 0.8 < resnet_wide["params"] / vgg["params"] < 0.9         # "nearly as many"
    assert 2.5 < resnet_wide["macs"] / vgg["macs"] < 3               # "almost three times"
    assert 0.24 < resnet["params"] / resnet_wide["params"] < 0.26    # "a quarter"
    convs = lambda m: sum(isinstance(x, nn.Conv2d) and x.kernel_size == (3, 3)  # noqa: E731
                          for x in m.modules())
    assert convs(cnn.small_resnet((32, 64, 128))) == 13 and convs(cnn.small_vgg()) == 6
    assert 0.9 < bottle["params"] / basic64["params"] < 1.0          # "about the same"
    assert 0.9 < bottle["macs"] / basic64["macs"] < 1.0
    assert 16 < basic256["params"] / bottle["params"] < 18           # "about seventeen times"
    assert 16 < basic256["macs"] / bottle["macs"] < 18


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


def test_one_cycle_schedule_as_the_chapter_describes_it():
    p = nn.Parameter(torch.zeros(1))
    opt = cnn.OneCycle([p], 0.01, total_steps=200)
    for _ in range(200):
        opt.zero_grad()
        p.grad = torch.ones(1)
        opt.step()
    lrs, beta1s = opt.lrs, opt.beta1s
    peak = lrs.index(max(lrs))
    assert abs(peak - 0.3 * 200) <= 1                                # "the first 30 % of the steps"
    assert lrs[0] == pytest.approx(0.01 / 25) and max(lrs) == pytest.approx(0.01)
    assert lrs[-1] == pytest.approx(0.01 / (25 * 1e4), rel=0.05)
    assert beta1s[0] == pytest.approx(0.95) and beta1s[peak] == pytest.approx(0.85)
    assert beta1s[-1] == pytest.approx(0.95, abs=1e-4)
    assert all(a <= b for a, b in zip(lrs[:peak], lrs[1:peak + 1]))  # rises, then falls
    assert all(a >= b for a, b in zip(lrs[peak:], lrs[peak + 1:]))


def test_train_classifier_records_the_learning_rate_of_every_step():
    split = cnn.load_digits_split(flat=True)
    out = cnn.train_classifier(cnn.mlp(64, (16,)), split, 2, CPU, batch_size=256, progress=False)
    assert len(out["lr"]) == 2 * -(-len(split.X_train) // 256)


# --- geometry ------------------------------------------------------------------------------

def test_shift_fills_with_zeros_and_does_not_wrap():
    x = torch.arange(1.0, 10.0).reshape(1, 1, 3, 3)
    torch.testing.assert_close(cnn.shift(x, 1, 0)[0, 0],
                               torch.tensor([[0.0, 0, 0], [1, 2, 3], [4, 5, 6]]))
    torch.testing.assert_close(cnn.shift(x, 0, -1)[0, 0],
                               torch.tensor([[2.0, 3, 0], [5, 6, 0], [8, 9, 0]]))
    assert cnn.shift(x, 3, 0).abs().sum() == 0
    assert torch.equal(cnn.shift(x, 0, 0), x)


def test_equivariance_holds_for_shifts_by_multiples_of_the_stride():
    gen = torch.Generator().manual_seed(0)
    x = F.pad(torch.rand(1, 1, 8, 8, generator=gen), (5, 5, 5, 5))    # content away from the border
    w = torch.randn(1, 1, 3, 3, generator=gen)
    for stride, dy, commutes in [(1, 1, True), (1, 3, True), (2, 2, True), (2, 4, True),
                                 (2, 1, False), (2, 3, False), (3, 3, True), (3, 1, False)]:
        r = cnn.equivariance_error(x, w, stride, dy)
        assert (r["error"] < 1e-6) == commutes, (stride, dy, r)
        if commutes:
            assert r["output_shift"] == dy // stride
        else:
            assert r["error"] > 0.1


def test_shift_sensitivity_figures_quoted_in_the_chapter():
    split = cnn.load_digits_split(flat=False)
    s = cnn.shift_sensitivity(split.X_train, split.y_train)
    raw, same, other = s["raw pixels"], s["another image, same class"], s["another image, other class"]
    assert 0.75 < raw < 0.85                                # "about 0.8"
    assert 0.55 < same < 0.65 and raw > same                # "about 0.6", the shift wins
    assert abs(raw - other) < 0.05                          # "about as much as ... another digit"
    assert 0.5 < s["2x2 max pooling"] < 0.6 and s["2x2 max pooling"] < same   # "about 0.55"
    assert 0.15 < s["4x4 max pooling"] < 0.25               # "about 0.2"
    assert s["global max pooling"] == 0.0                   # "exactly 0"


@pytest.mark.parametrize("spec, side", [
    ([("conv", 3, 1)], 3),
    ([("conv", 3, 1)] * 2, 5),
    ([("conv", 3, 1), ("pool", 2, 2), ("conv", 3, 1)], 8),
    ([("conv", 5, 1), ("pool", 2, 2), ("conv", 5, 1), ("pool", 2, 2), ("conv", 5, 1)], 32),
    ([("conv", 3, 2), ("conv", 3, 2), ("conv", 3, 1)], 15),
    ([("conv", 7, 2), ("pool", 3, 2), ("conv", 3, 1)], 19),
])
def test_receptive_field_measured_equals_the_formula(spec, side):
    field = cnn.receptive_field(spec, size=48)
    assert field["measured"] == field["formula"] == side
    assert field["footprint"].min() >= 0


def test_loop_conv2d_matches_pytorch_and_is_over_twenty_times_slower():
    x, w = torch.randn(2, 3, 9, 7), torch.randn(4, 3, 3, 2)
    torch.testing.assert_close(cnn.loop_conv2d(x, w), F.conv2d(x, w), rtol=1e-4, atol=1e-4)
    timing = cnn.time_convolutions(CPU)
    assert timing["ratio"] > 20, timing                      # "more than twenty times slower"


def test_random_shift_layer_acts_only_in_training():
    layer = cnn.RandomShift(1, seed=0)
    x = torch.rand(64, 1, 8, 8)
    assert not torch.equal(layer.train()(x), x)
    assert torch.equal(layer.eval()(x), x)


def test_accuracy_under_shift_averages_over_every_direction():
    seen = []

    class Recorder(nn.Module):
        def forward(self, x):
            seen.append(x.clone())
            return torch.zeros(len(x), 10)

    X, y = torch.rand(5, 1, 8, 8), torch.zeros(5, dtype=torch.long)
    assert cnn.accuracy_under_shift(Recorder(), X, y, 0, CPU) == 1.0
    assert len(seen) == 1 and torch.equal(seen[0], X)
    seen.clear()
    cnn.accuracy_under_shift(Recorder(), X, y, 2, CPU)
    assert len(seen) == 16                                   # every shift with max(|dy|, |dx|) = 2
    assert all(any(torch.equal(s, cnn.shift(X, dy, dx)) for s in seen)
               for dy in (-2, 2) for dx in range(-2, 3))


def test_block_maps_and_top_activating():
    model = cnn.digits_cnn()
    x = torch.rand(7, 1, 8, 8)
    assert cnn.block_maps(model, x, 0).shape == (7, 16, 8, 8)
    assert cnn.block_maps(model, x, 1).shape == (7, 32, 4, 4)
    assert (cnn.block_maps(model, x, 1) >= 0).all()          # after the ReLU
    top = cnn.top_activating(model, x, 1, channels=[0, 5], k=3)
    strength = cnn.block_maps(model, x, 1).mean(dim=(2, 3))
    assert top.shape == (2, 3)
    assert top[1, 0] == strength[:, 5].argmax()


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
    ("ch04_output_size", "conv_output_size"), ("ch04_conv2d", "conv2d"),
    ("ch04_conv2d_backward", "conv2d_backward"), ("ch04_maxpool", "max_pool2d"),
    ("ch04_lenet5", "LeNet5"), ("ch04_residual_block", "ResidualBlock"),
    ("ch04_weighted_ce", "weighted_cross_entropy")])
def test_master_solutions_pass_their_public_checks(grade_id, name):
    get_exercise(grade_id).check(local_runner(_master_solution(grade_id, name)))


def _load(source, grade_id):
    """The targets a solution cell's ``source`` defines, as a check's ``run`` receives them."""
    ns = {"torch": torch, "nn": nn, "F": F}
    exec(source, ns)
    names = target_names(get_exercise(grade_id))
    return bundle_targets(names, [ns[n] for n in names])


@pytest.mark.parametrize("mistake", MISTAKE_IMPLEMENTATIONS, ids=lambda m: f"{m.grade_id}: {m.mistake_id}")
def test_public_check_names_each_catalogued_mistake(mistake):
    """The check cell fails every catalogued mistake and, in this chapter, names each one (the
    variants come from PyTorch's own functions; see ``Suspects``)."""
    with pytest.raises(CheckFailure) as failure:
        get_exercise(mistake.grade_id).check(local_runner(_load(mistake.source, mistake.grade_id)))
    assert failure.value.mistake == mistake.mistake_id, str(failure.value)


@pytest.mark.parametrize("grade_id, what, source", ALTERNATIVES, ids=lambda a: str(a)[:40])
def test_correct_alternatives_pass_the_public_checks(grade_id, what, source):
    get_exercise(grade_id).check(local_runner(_load(source, grade_id)))


def test_a_mistake_is_named_only_while_the_passed_cases_allow_it():
    from dlcourse.checks.ch04 import Suspects

    suspects = Suspects("ch04_output_size")
    variants = {"counts_steps_not_positions": 2, "rounds_up": 3}
    suspects.cleared(variants, 3)                       # a result of 3 passed: not off by one
    assert suspects({"counts_steps_not_positions": 4, "rounds_up": 4}) == {"rounds_up": 4}


# --- the demos' figures -------------------------------------------------------------------------

@pytest.mark.slow
def test_digits_cnn_reaches_98_percent():
    r = cnn.run_digits(CPU, progress=False)
    assert r["test_acc"] >= 0.98, r["test_acc"]


@pytest.mark.slow
def test_mnist1d_cnn_beats_published_94_and_the_mlp():
    r = cnn.run_mnist1d(CPU, progress=False)
    assert r["cnn"]["test_acc"] > 0.94, r["cnn"]["test_acc"]   # "does better than the paper's 94%"
    assert r["cnn"]["test_acc"] > r["mlp"]["test_acc"] + 0.25  # "far more accurate"
    assert 0.5 < r["mlp"]["test_acc"] < 0.68                   # "stays below the paper's 68%"
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
    clean = cnn.run_digits(CPU, progress=False)
    assert r["precision"] >= 0.85, r["precision"]              # "almost all"
    assert 0.93 < r["train_acc_given"] < 0.97                  # "about 95 %" of the given labels
    assert r["train_acc_true"] > 0.98                          # "more than 98 %" of the true ones
    assert r["test_acc"] > clean["test_acc"] - 0.02            # "within two points"


@pytest.mark.slow
def test_shift_robustness_figures_quoted_in_the_chapter():
    r = cnn.run_shift_robustness(CPU, progress=False)["accuracy"]
    mlp, mlp_aug = r["MLP"], r["MLP + augmentation"]
    cnn_, cnn_aug = r["CNN"], r["CNN + augmentation"]
    assert 0.25 < mlp[1] < 0.45                                # "about a third"
    assert 0.5 < cnn_[1] < 0.7                                 # "about 60 %"
    assert mlp_aug[1] > 0.9 and cnn_aug[1] > 0.9               # "above 90 %"
    assert 0.4 < cnn_aug[2] < 0.7                              # "about half"
    assert 0.15 < mlp_aug[2] < 0.35                            # "about a quarter"
    assert all(c >= m for c, m in zip(cnn_[1:], mlp[1:]))      # the CNN loses less...
    assert all(c >= m for c, m in zip(cnn_aug[1:], mlp_aug[1:]))   # ...and carries the invariance further


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
