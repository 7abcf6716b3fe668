"""Hidden tests of Chapter 4: the public check, then inputs the student has not seen,
compared with the reference solution and with PyTorch."""
import torch
import torch.nn.functional as F

from autograder.plugin import exercise
from dlcourse.checks import call
from dlcourse.checks.ch04 import (ce_inputs, conv2d_grads, conv_backward_inputs, conv_inputs,
                                  expect_grads, expect_module_results, expect_no_pixel_loop,
                                  lenet5_case, probe_lenet5, probe_loss_and_grad,
                                  probe_residual_block, residual_case, residual_shapes,
                                  torch_output_size, _expect_shapes, _randn)
from dlcourse.compare import expect_close, expect_equal

# --- 4.1 output size ---------------------------------------------------------------------


@exercise("ch04_output_size")
def test_output_size_public_check(student):
    student.check()


@exercise("ch04_output_size")
def test_output_size_hidden_cases(student, reference):
    for n, k, s, p in [(3, 3, 1, 0), (100, 10, 7, 3), (17, 4, 4, 0), (2, 5, 1, 2), (64, 3, 2, 1),
                       (31, 1, 5, 0), (50, 6, 6, 5)]:
        what = f"conv_output_size({n}, {k}, {s}, {p})"
        got = student.run(call, n, k, s, p)
        expect_equal(got, reference.run(call, n, k, s, p), what)
        expect_equal(got, torch_output_size(n, k, s, p), what)


# --- 4.2 conv2d ------------------------------------------------------------------------------


@exercise("ch04_conv2d")
def test_conv2d_public_check(student):
    student.check()


@exercise("ch04_conv2d")
def test_conv2d_hidden_shapes(student, reference):
    for seed, xs, ws, with_bias, s, p in [
        (20, (1, 1, 1, 1), (2, 1, 1, 1), True, 1, 0),
        (21, (4, 3, 32, 32), (16, 3, 5, 5), True, 1, 0),
        (22, (2, 5, 11, 13), (3, 5, 4, 2), False, 2, 3),
        (23, (1, 2, 6, 17), (6, 2, 6, 1), True, 4, 1),
        (24, (3, 8, 9, 9), (1, 8, 3, 3), True, 1, 1),
    ]:
        x, w, b = conv_inputs(seed, xs, ws, with_bias)
        what = f"conv2d(x {xs}, weight {ws}, stride={s}, padding={p})"
        got = student.run(call, x, w, b, s, p)
        expect_close(got, F.conv2d(x, w, b, stride=s, padding=p), what, rtol=1e-4, atol=1e-4)
        expect_close(got, reference.run(call, x, w, b, s, p), what + " vs the reference",
                     rtol=1e-4, atol=1e-4)


@exercise("ch04_conv2d")
def test_conv2d_no_pixel_loop_on_strided_padded_input(student):
    w, b = _randn(25, 3, 2, 3, 3), _randn(26, 3)
    expect_no_pixel_loop(student.run, "conv2d", (torch.ones(2, 2, 5, 5), w, b, 2, 1),
                         (torch.ones(2, 2, 41, 41), w, b, 2, 1), "a 5x5 image", "a 41x41 image")


@exercise("ch04_conv2d")
def test_conv2d_large_batch_in_time(student):
    x, w, b = conv_inputs(27, (64, 3, 32, 32), (16, 3, 5, 5), True)
    expect_close(student.run(call, x, w, b, 1, 2), F.conv2d(x, w, b, padding=2),
                 "conv2d on a batch of 64 colour 32x32 images", rtol=1e-4, atol=1e-4)


# --- 4.3 conv2d backward -------------------------------------------------------------------


@exercise("ch04_conv2d_backward")
def test_conv2d_backward_public_check(student):
    student.check()


@exercise("ch04_conv2d_backward")
def test_conv2d_backward_hidden_shapes(student, reference):
    for seed, xs, ws, s, p in [
        (70, (1, 1, 1, 1), (2, 1, 1, 1), 1, 0),
        (71, (4, 3, 16, 16), (8, 3, 5, 5), 1, 2),
        (72, (2, 5, 11, 13), (3, 5, 4, 2), 2, 3),
        (73, (1, 2, 6, 17), (6, 2, 6, 1), 4, 1),
        (74, (3, 6, 9, 8), (2, 6, 3, 3), 3, 0),
    ]:
        x, w, gy = conv_backward_inputs(seed, xs, ws, s, p)
        what = f"conv2d_backward(x {xs}, weight {ws}, stride={s}, padding={p})"
        got = student.run(call, x, w, gy, s, p)
        expect_grads(got, conv2d_grads(x, w, gy, s, p), what, {})
        expect_grads(got, reference.run(call, x, w, gy, s, p), what + " vs the reference", {})


@exercise("ch04_conv2d_backward")
def test_conv2d_backward_no_pixel_loop_on_strided_padded_input(student):
    small = conv_backward_inputs(75, (2, 2, 5, 5), (3, 2, 3, 3), 2, 1)
    large = conv_backward_inputs(75, (2, 2, 41, 41), (3, 2, 3, 3), 2, 1)
    expect_no_pixel_loop(student.run, "conv2d_backward", (*small, 2, 1), (*large, 2, 1),
                         "a 5x5 image", "a 41x41 image")


# --- 4.4 max pooling ------------------------------------------------------------------------


@exercise("ch04_maxpool")
def test_maxpool_public_check(student):
    student.check()


@exercise("ch04_maxpool")
def test_maxpool_hidden_shapes(student, reference):
    for seed, xs, k, s, offset in [(30, (1, 1, 1, 1), 1, None, 0.0), (31, (4, 3, 13, 10), 3, 3, -5.0),
                                   (32, (2, 2, 8, 8), 5, 1, 0.0), (33, (1, 6, 7, 20), 2, 4, 2.0),
                                   (34, (2, 1, 11, 11), 4, 2, -20.0)]:
        x = _randn(seed, *xs) + offset
        what = f"max_pool2d(x {xs}, kernel_size={k}, stride={s})"
        got = student.run(call, x, k, s)
        expect_close(got, F.max_pool2d(x, k, s), what)
        expect_close(got, reference.run(call, x, k, s), what + " vs the reference")


# --- 4.5 LeNet-5 ----------------------------------------------------------------------------


@exercise("ch04_lenet5")
def test_lenet5_public_check(student):
    student.check()


@exercise("ch04_lenet5")
def test_lenet5_hidden_weights(student, reference):
    for seed, batch in [(40, 2), (41, 5)]:
        inputs, expected = lenet5_case(seed, batch)
        got = student.run(probe_lenet5, *inputs)
        ref = reference.run(probe_lenet5, *inputs)
        expect_equal(got["state_shapes"], ref["state_shapes"], "LeNet5 parameter names and shapes")
        expect_module_results(got, expected, f"LeNet5 on hidden weights, batch {batch}")


# --- 4.6 residual block ---------------------------------------------------------------------


@exercise("ch04_residual_block")
def test_residual_block_public_check(student):
    student.check()


@exercise("ch04_residual_block")
def test_residual_block_hidden_shapes(student, reference):
    for seed, cin, cout, stride, xs in [(50, 8, 16, 2, (1, 8, 9, 9)), (51, 2, 2, 1, (5, 2, 3, 4)),
                                        (52, 6, 3, 3, (2, 6, 10, 8)), (53, 5, 5, 2, (2, 5, 6, 5))]:
        what = f"ResidualBlock({cin}, {cout}, stride={stride}) on x {xs}"
        inputs, expected = residual_case(seed, cin, cout, stride, xs)
        got = student.run(probe_residual_block, *inputs)
        _expect_shapes(got["state_shapes"], residual_shapes(cin, cout, stride), what)
        expect_module_results(got, expected, what)
        ref = reference.run(probe_residual_block, *inputs)
        expect_close(got["train_out"], ref["train_out"], what + " vs the reference", rtol=1e-4, atol=1e-4)


# --- 4.7 weighted cross-entropy -----------------------------------------------------------


@exercise("ch04_weighted_ce")
def test_weighted_ce_public_check(student):
    student.check()


@exercise("ch04_weighted_ce")
def test_weighted_ce_hidden_inputs(student, reference):
    for seed, n, c, scale, kind in [(60, 1, 2, 1.0, "random"), (61, 64, 10, 5.0, "random"),
                                    (62, 9, 3, 500.0, "random"), (63, 30, 8, 1.0, "some zero")]:
        logits, targets, weight = ce_inputs(seed, n, c, scale, kind)
        what = f"weighted_cross_entropy on {n} samples, {c} classes, logits x{scale:g}"
        got = student.run(probe_loss_and_grad, logits, targets, weight)
        lr = logits.clone().requires_grad_(True)
        loss = F.cross_entropy(lr, targets, weight=weight)
        loss.backward()
        expect_close(got["loss"], loss.detach(), what, rtol=1e-5, atol=1e-5)
        expect_close(got["grad"], lr.grad, what + ": gradient", rtol=1e-4, atol=1e-6)
        ref = reference.run(probe_loss_and_grad, logits, targets, weight)
        expect_close(got["loss"], ref["loss"], what + " vs the reference", rtol=1e-5, atol=1e-5)
