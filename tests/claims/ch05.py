"""Numbers in the prose of Chapter 5, measured or not run-dependent (tests/claims/__init__.py)."""
from tests.claims import Claim

_LIB = "test_lib_rnn.py::"

MEASURED: list[Claim] = [
    # the published GRU on MNIST-1D (Greydanus, 2020): our test accuracy, measured once, above it
    Claim("91 %", _LIB + "test_gru_mnist1d_reaches_published_accuracy"),
    # the adding problem: the RNN's error within 20 % of the constant guess's from length 20 on
    Claim("20 %", _LIB + "test_adding_problem_rnn_fails_gated_networks_succeed"),
    # one unit of the trained LSTM keeps its forget gate above 0.99 on average
    Claim("0.99", _LIB + "test_gradient_reaches_early_steps_only_through_the_gates"),
    # reversal: without attention >= 95 % up to four digits and < 30 % at ten; with attention
    # > 80 % at every length, >= 95 % overall, and >= 90 % of the steps look at the mirror digit
    Claim("95 %", _LIB + "test_attention_keeps_long_strings_right"),
    Claim("30 %", _LIB + "test_attention_keeps_long_strings_right"),
    Claim("80 %", _LIB + "test_attention_keeps_long_strings_right"),
    Claim("90 %", _LIB + "test_attention_keeps_long_strings_right"),
]

NOT_RUN_DEPENDENT: list[str] = [
    "0.167",    # 2 * 1/12, the variance of a sum of two uniforms (also test_adding_problem_data)
    "0.73",     # sigmoid(1), the LSTM's forget gate at its initial bias (also asserted)
    "0.5",      # a gain of W_hh in the BPTT figure (a setting)
    "0.05",     # learning rates of the adding problem (settings)
    "0.01",
    "0.03",     # the peak learning rate of the MNIST-1D GRU (a setting)
    "10 %",     # the share of MNIST-1D's training set held out for validation (a setting)
    "4,000",    # MNIST-1D's training set and test set sizes
    "1,000",    # and the adding problem's test sequences per length
]
