"""Hidden tests of Chapter 2 (backpropagation).

Each exercise runs its public check, then compares the submission with the
reference solution and with torch.autograd on inputs the student never saw.
"""
import torch

from autograder.plugin import exercise
from dlcourse.checks import call
from dlcourse.checks.ch02 import (MLP_KEYS, expect_mlp, expect_neuron_grads,
                                  expect_value_program, grad_check_case, mlp_params,
                                  neuron_cases, probe_grad_check, probe_mlp_inputs_unchanged,
                                  probe_value_program, true_gradient)
from dlcourse.compare import CheckFailure, expect_close, expect_scalar


# --- Exercise 2.1 ----------------------------------------------------------------------

@exercise("ch02_sigmoid_neuron_backward")
def test_sigmoid_neuron_public_check(student):
    student.check()


@exercise("ch02_sigmoid_neuron_backward")
def test_sigmoid_neuron_hidden_inputs(student, reference):
    shapes = [(1, 1), (11, 2), (2, 13), (32, 8)]
    for x, w, b, grad_out in neuron_cases([101, 102, 103, 104], shapes):
        got = student.run(call, x, w, b, grad_out)
        what = f"for hidden x of shape {tuple(x.shape)}"
        expect_neuron_grads(got, x, w, b, grad_out, what)
        for name, g, r in zip(("grad_x", "grad_w", "grad_b"), got,
                              reference.run(call, x, w, b, grad_out)):
            expect_close(g, r, f"{name} {what} (reference)")
    # large pre-activations: the sigmoid saturates and the gradients almost vanish
    for x, w, b, grad_out in neuron_cases([105], [(4, 3)]):
        x = 40 * x
        expect_neuron_grads(student.run(call, x, w, b, grad_out), x, w, b, grad_out,
                            "for saturated inputs")


# --- Exercise 2.2 ----------------------------------------------------------------------

@exercise("ch02_mlp_backward")
def test_mlp_public_check(student):
    student.check()


@exercise("ch02_mlp_backward")
def test_mlp_hidden_inputs(student, reference):
    for seed, (n, d, q, k) in enumerate([(1, 1, 1, 1), (3, 10, 2, 5), (64, 64, 32, 10),
                                          (9, 2, 7, 1)], start=200):
        args = mlp_params(seed, n, d, q, k, scale=3.0 if seed % 2 else 0.5)
        what = f"for hidden shapes N={n}, d={d}, q={q}, K={k}"
        got = student.run(call, *args)
        expect_mlp(got, args, what)
        ref = reference.run(call, *args)
        for key in MLP_KEYS:
            expect_close(got[key], ref[key], f"{key} {what} (reference)", rtol=1e-6, atol=1e-10)


@exercise("ch02_mlp_backward")
def test_mlp_does_not_change_its_inputs(student):
    args = mlp_params(300, 4, 3, 5, 2)
    same = student.run(probe_mlp_inputs_unchanged, *args)
    if not same:
        raise CheckFailure("mlp_forward_backward changed its input tensors in place")


# --- Exercise 2.3 ----------------------------------------------------------------------

@exercise("ch02_grad_check")
def test_grad_check_public_check(student):
    student.check()


@exercise("ch02_grad_check")
def test_grad_check_hidden_functions(student, reference):
    for fname, shape, seed, h in [("tanh_net", (7,), 400, 1e-6), ("logsumexp", (3, 2), 401, 1e-5),
                                  ("sin_prod", (1, 1), 402, 1e-4), ("square_sum", (2, 2, 2), 403,
                                                                     1e-5)]:
        x = torch.randn(shape, generator=torch.Generator().manual_seed(seed),
                        dtype=torch.float64)
        grad = true_gradient(fname, x)
        what = f"for hidden case {fname} {shape}"
        grad_check_case(student.run, fname, x, grad, h, what)
        num_s, rel_s = student.run(probe_grad_check, fname, x, grad, h)
        num_r, rel_r = reference.run(probe_grad_check, fname, x, grad, h)
        expect_close(num_s, num_r, f"numerical gradient {what} (reference)", rtol=1e-6,
                     atol=1e-9)
    # a gradient that is off by a factor 2 everywhere must give a relative error near 1/2
    x = torch.randn(5, generator=torch.Generator().manual_seed(404), dtype=torch.float64)
    grad = 2 * true_gradient("exp3", x)
    rel = grad_check_case(student.run, "exp3", x, grad, 1e-5, "for a doubled gradient")
    expect_scalar(rel, 0.5, "relative error of a gradient twice too large", rtol=1e-4)
    # an input with an exact zero gradient entry next to a tiny one: the floor decides
    x = torch.tensor([[0.0, 1e-9], [2.0, -3.0]], dtype=torch.float64)
    grad_check_case(student.run, "square_sum", x, true_gradient("square_sum", x), 1e-5,
                    "for square_sum with zero and tiny gradient entries", grad_rtol=1e-4)


# --- Exercise 2.4 ----------------------------------------------------------------------

@exercise("ch02_value")
def test_value_public_check(student):
    student.check()


@exercise("ch02_value")
def test_value_hidden_expressions(student, reference):
    for seed, n_leaves, n_ops in [(500, 3, 40), (501, 6, 30), (502, 2, 60), (503, 8, 12)]:
        what = f"of hidden random expression #{seed}"
        got = student.run(probe_value_program, seed, n_leaves, n_ops)
        expect_value_program(got, seed, n_leaves, n_ops, what)
        ref = reference.run(probe_value_program, seed, n_leaves, n_ops)
        expect_close(got["grad"], ref["grad"], f"gradients {what} (reference)")
