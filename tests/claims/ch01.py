"""Numbers in the prose of Chapter 1, measured or not run-dependent (see tests/claims/__init__.py)."""
from tests.claims import Claim

_LIB = "test_lib_basics.py::"

MEASURED: list[Claim] = [
    # the digits MLP: "about 98 %" of the test images
    Claim("98 %", _LIB + "test_digits_mlp_reaches_about_98_percent_and_generalises"),
    # XOR: the best line gets three clusters of four; the perceptron's final line does worse
    Claim("75 %", _LIB + "test_xor_best_line_gets_75_percent_and_the_perceptron_never_settles"),
    # XOR: two tanh units from seed 0 reach 100 %, from seed 3 they stall well short of it
    Claim("100 %", _LIB + "test_two_hidden_units_can_stall_eight_solve_xor_from_every_seed_tried"),
]

NOT_RUN_DEPENDENT: list[str] = [
    # the stable softmax of the logits (1000, 999, 990): e^0, e^-1, e^-10 over their sum
    "0.731", "0.269", "0.00003",
    "0.01",      # the default negative slope of leaky ReLU (PyTorch's and the exercise's)
    "0.3",       # the demo target sin(2x) + 0.3x of the universal approximation theorem
    "88.7",      # ln of float32's largest finite value: e^x overflows above it
    "30 %",      # OneCycleLR's default warm-up fraction (pct_start=0.3)
    "85,000",    # parameters of the 64-256-256-10 MLP: 85,002
    "4,000", "1,000",   # MNIST-1D's standard training and test sizes
    "3,600",     # our training part once 400 samples are held out for validation
    "32 %", "68 %", "94 %",   # published MNIST-1D accuracies (Greydanus, 2020)
]
