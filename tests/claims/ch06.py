"""Numbers in the prose of Chapter 6, measured or not run-dependent (see tests/claims/__init__.py)."""
from tests.claims import Claim

MEASURED: list[Claim] = [
    # the beta sweep: at beta_KL = 4 the KL term is "below 0.01 nats" (posterior collapse)
    Claim("0.01", "test_lib_generative.py::"
                  "test_beta_sweep_trades_reconstruction_for_kl_up_to_posterior_collapse"),
    # the balanced ring GAN's spread "stays within 10% of the ring's radius" over steps 600-1,200
    Claim("10 %", "test_lib_generative.py::"
                  "test_ring_balanced_run_covers_the_ring_against_a_slow_discriminator_it_collapses"),
]

NOT_RUN_DEPENDENT: list[str] = [
    # properties of the math
    "1.44",      # one nat is 1 / ln 2 bits
    "1.41",      # the RMS radius of a 2-D standard normal, sqrt 2
    "39 %",      # P(|z| <= 1) = 1 - exp(-1/2) for a 2-D standard normal ...
    "61 %",      # ... so 61 % of its mass lies outside the unit circle
    "86 %",      # P(|z| <= 2) = 1 - exp(-2)
    "1.39",      # 2 log 2, L_D at D = 1/2
    # settings the reader is told
    "0.25",      # the smallest beta_KL of the sweep
    "0.5",       # a beta_KL of the sweep; Adam's beta_1 for the GANs
    "2.5",       # the decoded grid covers [-2.5, 2.5]^2
    "0.9",       # the judge's confidence threshold; Adam's default beta_1
    "2 %",       # share of samples that makes a class (or a mode) covered
    "12.5 %",    # a fair share of 8 modes
    "1,000",     # samples judged per model
    "20,000",    # samples the reparameterization check draws
    "0.05",      # standard deviation of each mode of the ring
    "0.002",     # learning rate of the GANs
    "0.0002",    # learning rate of the slow discriminator
    "1,200",     # steps of a ring GAN run
    "2,000",     # steps of the digits GAN
]
