"""Numbers in the prose of Chapter 3, measured or not run-dependent (see tests/claims/__init__.py)."""
from tests.claims import Claim

_LIB = "test_lib_optimizers.py::"

MEASURED: list[Claim] = [
    # gradient descent on the quartic: the global and the local minimum it reaches
    Claim("1.30", _LIB + "test_gd_1d_reaches_local_or_global_minimum_by_start"),
    Claim("1.13", _LIB + "test_gd_1d_reaches_local_or_global_minimum_by_start"),
    # updates per two epochs, and what an update costs in time
    Claim("2,338", _LIB + "test_batch_size_per_epoch_and_per_update"),
    Claim("3 ×", _LIB + "test_an_update_on_32_examples_costs_about_as_much_time_as_on_one"),
    Claim("10 ×", _LIB + "test_an_update_on_32_examples_costs_about_as_much_time_as_on_one"),
    # Adam without bias correction, on a constant gradient
    Claim("3.2", _LIB + "test_adam_steps_without_bias_correction_are_too_large"),
    Claim("6.6", _LIB + "test_adam_steps_without_bias_correction_are_too_large"),
    Claim("4.5", _LIB + "test_adam_steps_without_bias_correction_are_too_large"),
    # schedules against a constant rate
    Claim("5 ×", _LIB + "test_annealed_schedules_end_closer_to_the_minimum"),
    # Rosenbrock: the curvatures, the stability limit, Adam's best rate (also a start: x = 0.3)
    Claim("1,002", _LIB + "test_rosenbrock_curvature_at_the_minimum"),
    Claim("0.40", _LIB + "test_rosenbrock_curvature_at_the_minimum"),
    Claim("2,500", _LIB + "test_rosenbrock_curvature_at_the_minimum"),
    Claim("0.002", _LIB + "test_rosenbrock_curvature_at_the_minimum"),
    Claim("0.3", _LIB + "test_rosenbrock_sweep_and_race_figures"),
    # Newton with and without safeguards on the quartic
    Claim("0.170", _LIB + "test_safeguards_keep_newton_away_from_the_maximum"),
    Claim("1.131", _LIB + "test_safeguards_keep_newton_away_from_the_maximum"),
    # AdamW against Adam + L2
    Claim("0.13", _LIB + "test_adamw_decays_every_weight_alike_adam_l2_does_not"),
    Claim("0.96", _LIB + "test_adamw_decays_every_weight_alike_adam_l2_does_not"),
]

NOT_RUN_DEPENDENT: list[str] = [
    # the learning rate against the curvature: settings and the factor |1 - eta f''|,
    # 0.9^30 = 0.042, the factor -1.1 at eta f'' = 2.1
    "0.1", "1.9", "2.1", "0.9", "0.04", "1.1",
    # the size of the digits training split (a property of the fixed split); sqrt(32) = 5.7
    "1,169", "5.7",
    # Adam's defaults and the biases at the first step (0.1, 0.001, its root 0.03);
    # RMSprop's default decay; batch norm's default momentum is 0.1 as well
    "0.999", "0.001", "0.03", "0.99",
    # settings the reader is told: learning rates, steps, lambda, eta * lambda, noise sizes,
    # dropout p, the Rosenbrock start (-1.5, 2)
    "0.05", "2,000", "1,000", "0.2", "0.005", "0.01", "0.5", "1.5",
]
