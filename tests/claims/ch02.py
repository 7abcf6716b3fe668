"""Numbers in the prose of Chapter 2, measured or not run-dependent (see tests/claims/__init__.py)."""
from tests.claims import Claim

LIB = "test_lib_backprop.py"

MEASURED: list[Claim] = [
    # the backward pass's FLOPs over the forward pass's, digits network and ten layers
    Claim("1.14", f"{LIB}::test_backward_costs_between_one_and_two_forward_passes"),
    Claim("1.97", f"{LIB}::test_backward_costs_between_one_and_two_forward_passes"),
    # test accuracy of the hand-written sigmoid network on the digits
    Claim("97 %", f"{LIB}::test_manual_backprop_reproduces_autograd_loss_curve"),
    # the learning-rate sweep: eta = 64 stays at the loss of an all-zero output
    Claim("0.5", f"{LIB}::test_lr_sweep_four_is_best_and_sixty_four_saturates"),
    # the XOR network built from Value: loss at the start and after 100 steps
    Claim("4.5", f"{LIB}::test_value_mlp_learns_xor"),
    Claim("0.02", f"{LIB}::test_value_mlp_learns_xor"),
    # ReLU + naive: growth of the activations' spread per layer (sqrt(64 / 2) by the math)
    Claim("5.7", f"{LIB}::test_relu_naive_explodes"),
    # ReLU + LeCun: the spread shrinks by 1/sqrt(2) per layer
    Claim("0.71", f"{LIB}::test_relu_lecun_halves_the_variance_and_he_keeps_it"),
]

NOT_RUN_DEPENDENT: list[str] = [
    "0.1",   # a typical learning rate with cross-entropy losses (a convention, not a result)
    "0.7",   # the point x = 0.7 where the finite differences are evaluated
    "2.3",   # ln 10, the cross-entropy of a uniform guess over 10 classes
]
