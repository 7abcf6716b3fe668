"""Numbers in the prose of Chapter 4, measured or not run-dependent (see tests/claims/__init__.py)."""
from tests.claims import Claim

_LIB = "test_lib_cnn.py::"

MEASURED: list[Claim] = [
    # a one-pixel shift against the yardsticks (deterministic, computed on the CPU)
    Claim("0.8", _LIB + "test_shift_sensitivity_figures_quoted_in_the_chapter"),
    Claim("0.6", _LIB + "test_shift_sensitivity_figures_quoted_in_the_chapter"),
    Claim("0.55", _LIB + "test_shift_sensitivity_figures_quoted_in_the_chapter"),
    Claim("0.2", _LIB + "test_shift_sensitivity_figures_quoted_in_the_chapter"),
    # the digits CNN and MNIST-1D
    Claim("98 %", _LIB + "test_digits_cnn_reaches_98_percent"),
    Claim("94 %", _LIB + "test_mnist1d_cnn_beats_published_94_and_the_mlp"),
    Claim("68 %", _LIB + "test_mnist1d_cnn_beats_published_94_and_the_mlp"),
    # label noise: agreement with the given and with the true labels
    Claim("95 %", _LIB + "test_highest_losses_are_the_flipped_labels"),
    Claim("98 %", _LIB + "test_highest_losses_are_the_flipped_labels"),
    # accuracy under test-time shifts, with and without augmentation
    Claim("60 %", _LIB + "test_shift_robustness_figures_quoted_in_the_chapter"),
    Claim("90 %", _LIB + "test_shift_robustness_figures_quoted_in_the_chapter"),
]

NOT_RUN_DEPENDENT: list[str] = [
    "1,000",    # a hypothetical dense layer's width
    "61,706",   # LeNet-5's parameter count (arithmetic; also asserted by test_lenet5_*)
    "2,048",    # the small VGG's flattened width, 128 x 4 x 4
    "0.01",     # the maximum learning rate of the one-cycle schedule
    "30 %",     # OneCycleLR's default warm-up share (test_one_cycle_schedule_as_the_chapter_describes_it)
    "0.95",     # OneCycleLR's default beta1 range, ditto
    "0.85",
    "5 %",      # the share of labels flipped, a setting of the experiment
    "100 %",    # the training accuracy of a network that memorises (Zhang et al., 2017)
]
