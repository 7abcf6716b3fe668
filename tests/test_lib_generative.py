"""Tests of dlcourse.generative: units of the library, then the figures Chapter 6 promises.

The slow tests train exactly the chapter's models (the ``run_*_demo`` functions the notebook
calls, on CPU) and assert the printed figures with margins. Thresholds, and why:

* the judge: real test digits are recognised confidently (top probability >= 0.9) about 89%
  of the time and junk (noise, shuffled pixels) essentially never, so we require >= 80% and
  <= 5%; test accuracy about 97%, we require >= 94%;
* the VAE's 1,000 samples score about 63% confident and 9 classes covered: we require more
  than 45% (halfway between junk and real digits) and >= 8 classes;
* the 2-D GAN covers 7-8 of the 8 modes after 2,000 steps: we require >= 6, with more than
  half of the samples within three standard deviations of a mode;
* the digits GAN scores about 50-57% confident and 8-9 classes: we require more than 35% and
  >= 7 classes.
"""
from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from torch.distributions import Normal, kl_divergence

from dlcourse.data import load_digits_split
from dlcourse.generative import (RING_STD, VAE, judge_samples, make_ring_mixture, mlp,
                                 mode_coverage, non_digits, run_digits_gan_demo,
                                 run_ring_gan_demo, run_vae_demo, train_digit_classifier,
                                 train_gan, vae_interpolate, vae_reconstruct, vae_samples,
                                 vae_terms)
from dlcourse.train import accuracy

CPU = torch.device("cpu")


# --------------------------------------------------------------------------- units

def test_mlp_layers_and_shapes():
    net = mlp([5, 7, 3])
    assert [type(m).__name__ for m in net] == ["Linear", "ReLU", "Linear"]
    assert net(torch.randn(4, 5)).shape == (4, 3)


def test_vae_shapes_and_reparameterized_sampling():
    torch.manual_seed(0)
    vae = VAE(in_dim=10, hidden=16, latent_dim=3)
    x = torch.rand(6, 10)
    logits, mu, logvar = vae(x)
    assert logits.shape == (6, 10) and mu.shape == logvar.shape == (6, 3)
    rec, kl = vae_terms(logits, x, mu, logvar)
    (rec.sum() + kl.sum()).backward()
    enc_grads = [p.grad for p in vae.encoder.parameters()]
    assert all(g is not None and g.abs().sum() > 0 for g in enc_grads)


def test_vae_terms_match_hand_formulas():
    g = torch.Generator().manual_seed(1)
    logits, x = 4 * torch.randn(5, 12, generator=g), torch.rand(5, 12, generator=g)
    mu, logvar = torch.randn(5, 2, generator=g), torch.randn(5, 2, generator=g)
    rec, kl = vae_terms(logits, x, mu, logvar)
    p = torch.sigmoid(logits.double())
    rec_hand = -(x * p.log() + (1 - x) * (1 - p).log()).sum(1)
    kl_hand = 0.5 * (mu ** 2 + logvar.exp() - 1 - logvar).sum(1)
    torch.testing.assert_close(rec.double(), rec_hand, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(kl, kl_hand, rtol=1e-5, atol=1e-6)


def test_vae_sampling_helpers_shapes_and_range():
    vae = VAE(in_dim=64, hidden=8, latent_dim=2)
    s = vae_samples(vae, 7, CPU, seed=3)
    assert s.shape == (7, 64) and s.min() >= 0 and s.max() <= 1
    torch.testing.assert_close(s, vae_samples(vae, 7, CPU, seed=3))
    assert vae_reconstruct(vae, torch.rand(4, 64), CPU).shape == (4, 64)
    a, b = torch.rand(64), torch.rand(64)
    strip = vae_interpolate(vae, a, b, 5, CPU)
    assert strip.shape == (5, 64)
    torch.testing.assert_close(strip[0], vae_reconstruct(vae, a[None], CPU)[0])
    torch.testing.assert_close(strip[-1], vae_reconstruct(vae, b[None], CPU)[0])


def test_ring_mixture_geometry():
    X, centres = make_ring_mixture(2000, n_modes=8, radius=2.0, std=0.05, seed=0)
    assert X.shape == (2000, 2) and centres.shape == (8, 2)
    torch.testing.assert_close(centres.norm(dim=1), torch.full((8,), 2.0))
    cov = mode_coverage(X, centres, 0.05)
    assert cov["covered"] == 8 and cov["near_share"] > 0.98
    assert sum(cov["counts"]) <= 2000


def test_mode_coverage_counts_collapsed_and_off_data_samples():
    _, centres = make_ring_mixture(1, n_modes=8)
    collapsed = centres[3].repeat(100, 1)
    cov = mode_coverage(collapsed, centres, 0.05)
    assert cov["covered"] == 1 and cov["counts"][3] == 100 and cov["near_share"] == 1.0
    origin = torch.zeros(50, 2)
    cov = mode_coverage(origin, centres, 0.05)
    assert cov["covered"] == 0 and cov["near_share"] == 0.0


def test_non_digits_keep_the_ink_but_not_the_shape():
    X = load_digits_split().X_test[:40]
    junk = non_digits(X, seed=0)
    assert junk.shape == X.shape
    shuffled = junk[20:]
    torch.testing.assert_close(shuffled.sort(1).values, X[:20].sort(1).values)
    assert not torch.equal(shuffled, X[:20])


def test_judge_samples_counts_confident_predictions():
    class Fixed(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.w = torch.nn.Parameter(torch.zeros(1))

        def forward(self, x):  # class = first pixel * 9, confidence from the second pixel
            logits = torch.zeros(len(x), 10)
            logits[torch.arange(len(x)), (x[:, 0] * 9).long()] = x[:, 1] * 20
            return logits

    x = torch.zeros(100, 64)
    x[:60, 1] = 1.0                 # 60 confident samples ...
    x[:30, 0] = 1.0                 # ... 30 of class 9, 30 of class 0
    x[60:, 0] = 5 / 9 + 1e-3        # 40 unsure samples of class 5
    r = judge_samples(Fixed(), x, threshold=0.9, min_share=0.02)
    assert r["confident_share"] == pytest.approx(0.6)
    assert r["counts"][9] == 30 and r["counts"][0] == 30 and r["counts"][5] == 0
    assert r["classes_covered"] == 2


def test_train_gan_discriminator_loss_is_sum_of_the_two_means():
    # the library's stacked BCE times 2 equals mean BCE(real, 1) + mean BCE(fake, 0)
    real, fake = torch.randn(6), torch.randn(6)
    stacked = 2 * F.binary_cross_entropy_with_logits(torch.cat([real, fake]),
                                                     torch.cat([torch.ones(6), torch.zeros(6)]))
    two = (F.binary_cross_entropy_with_logits(real, torch.ones(6))
           + F.binary_cross_entropy_with_logits(fake, torch.zeros(6)))
    torch.testing.assert_close(stacked, two)


def test_train_gan_runs_records_and_moves_both_networks():
    torch.manual_seed(0)
    G, D = mlp([2, 8, 2]), mlp([2, 8, 1])
    g0 = [p.detach().clone() for p in G.parameters()]
    d0 = [p.detach().clone() for p in D.parameters()]
    X, _ = make_ring_mixture(100)
    out = train_gan(G, D, X, 2, 5, CPU, batch_size=16, snapshot_every=2, n_snapshot=10,
                    progress=False)
    assert len(out["d_loss"]) == len(out["g_loss"]) == 5
    assert sorted(out["snapshots"]) == [1, 2, 4]
    assert out["snapshots"][4].shape == (10, 2)
    assert all(not torch.equal(a, b) for a, b in zip(g0, G.parameters()))
    assert all(not torch.equal(a, b) for a, b in zip(d0, D.parameters()))
    assert math.isclose(out["d_loss"][0], out["d_loss"][0]) and out["d_loss"][0] > 0


def test_kl_of_prior_is_zero():
    z = torch.zeros(3, 2)
    _, kl = vae_terms(torch.zeros(3, 4), torch.rand(3, 4), z, z)
    torch.testing.assert_close(kl, torch.zeros(3))
    q = Normal(torch.tensor(0.0), torch.tensor(1.0))
    assert kl_divergence(q, q).item() == 0.0


# --------------------------------------------------------------------------- the chapter's figures

@pytest.fixture(scope="module")
def split():
    return load_digits_split()


@pytest.fixture(scope="module")
def judge(split):
    return train_digit_classifier(split, CPU, progress=False)


@pytest.mark.slow
def test_judge_is_accurate_confident_on_digits_and_unsure_on_junk(split, judge):
    _, _, test_loader = split.loaders()
    assert accuracy(judge, test_loader, CPU) >= 0.94
    real = judge_samples(judge, split.X_test)
    assert real["confident_share"] >= 0.80 and real["classes_covered"] == 10
    junk = judge_samples(judge, non_digits(split.X_test, seed=1))
    assert junk["confident_share"] <= 0.05


@pytest.mark.slow
def test_vae_demo_samples_are_recognisable_and_diverse(split, judge):
    vae, history = run_vae_demo(split, CPU, progress=False)
    assert history["recon"][-1] < history["recon"][0] - 5  # it learned to reconstruct
    assert history["kl"][-1] > 1.0                         # and its codes carry information
    scores = judge_samples(judge, vae_samples(vae, 1000, CPU, seed=2))
    assert scores["classes_covered"] >= 8, scores
    assert scores["confident_share"] > 0.45, scores


@pytest.mark.slow
def test_ring_gan_demo_covers_the_modes():
    _, _, out, _, centres = run_ring_gan_demo(CPU, progress=False)
    final = mode_coverage(out["snapshots"][max(out["snapshots"])], centres, RING_STD)
    assert final["covered"] >= 6, final
    assert final["near_share"] > 0.5, final


@pytest.mark.slow
def test_digits_gan_demo_samples_are_recognisable_and_diverse(split, judge):
    _, _, out = run_digits_gan_demo(split, CPU, progress=False)
    scores = judge_samples(judge, out["snapshots"][max(out["snapshots"])])
    assert scores["classes_covered"] >= 7, scores
    assert scores["confident_share"] > 0.35, scores
