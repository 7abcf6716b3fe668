"""Hidden tests of Chapter 6 (generative models): the public check, then inputs the
student has not seen, compared with the reference solution and with PyTorch."""
import torch

from autograder.plugin import exercise
from dlcourse.checks import call
from dlcourse.checks.ch06 import (_flat, check_first_call_losses, check_gan_losses_on,
                                  check_gan_step_structure, check_kl_on,
                                  check_reparam_given_noise, check_reparam_statistics,
                                  check_vae_loss_on, gan_batches, gan_step_reference,
                                  gaussian_params, probe_d_loss, probe_g_loss,
                                  probe_gan_step, probe_reparam_grad, tiny_gan, vae_inputs)
from dlcourse.compare import expect_close


# --- 6.1 reparameterize ------------------------------------------------------------------

@exercise("ch06_reparameterize")
def test_reparameterize_public_check(student):
    student.check()


@exercise("ch06_reparameterize")
def test_reparameterize_hidden_inputs(student, reference):
    for seed, shape, scale in [(20, (1, 1), 1.0), (21, (9, 5), 3.0), (22, (2, 1, 6), 0.1)]:
        check_reparam_given_noise(student.run, seed, shape, scale)
        mu, logvar = gaussian_params(seed, shape, scale)
        g = torch.Generator().manual_seed(seed + 1)
        noise, weight = torch.randn(shape, generator=g), torch.randn(shape, generator=g)
        got = student.run(probe_reparam_grad, mu, logvar, noise, weight)
        ref = reference.run(probe_reparam_grad, mu, logvar, noise, weight)
        for key in ("z", "mu_grad", "logvar_grad"):
            expect_close(got[key], ref[key], f"{key} for hidden shape {shape} (reference)",
                         rtol=1e-5, atol=1e-6)
    # statistics with large and tiny variances, one latent dimension
    for seed, m, lv in [(23, 0.0, 2.5), (24, 5.0, -4.0)]:
        check_reparam_statistics(student.run, seed, m, lv, 40000, 1)


# --- 6.2 Gaussian KL ---------------------------------------------------------------------

@exercise("ch06_gaussian_kl")
def test_gaussian_kl_public_check(student):
    student.check()


@exercise("ch06_gaussian_kl")
def test_gaussian_kl_hidden_inputs(student, reference):
    for seed, shape, scale in [(30, (1, 32), 1.0), (31, (17, 3), 4.0), (32, (2, 2, 2, 5), 0.01)]:
        mu, logvar = gaussian_params(seed, shape, scale)
        what = f"gaussian_kl on hidden shape {shape}"
        check_kl_on(student.run, mu, logvar, what + " (torch.distributions)", rtol=1e-5, atol=1e-5)
        expect_close(student.run(call, mu, logvar), reference.run(call, mu, logvar),
                     what + " (reference)", rtol=1e-5, atol=1e-5)
    # mean zero, variance one in some dimensions only: those contribute nothing
    mu = torch.tensor([[0.0, 1.0, 0.0]])
    logvar = torch.tensor([[0.0, 0.0, -1.0]])
    check_kl_on(student.run, mu, logvar,
                "gaussian_kl with some dimensions equal to the prior")


# --- 6.3 VAE loss --------------------------------------------------------------------------

@exercise("ch06_vae_loss")
def test_vae_loss_public_check(student):
    student.check()


@exercise("ch06_vae_loss")
def test_vae_loss_hidden_inputs(student, reference):
    for seed, n, pixels, latent, beta in [(40, 1, (1,), 1, 1.0), (41, 32, (64,), 2, 1.0),
                                          (42, 7, (3, 5), 9, 0.25), (43, 2, (64,), 16, 10.0)]:
        inputs = vae_inputs(seed, n, pixels, latent)
        what = f"vae_loss on a hidden batch of {n} with images {pixels}, beta={beta}"
        check_vae_loss_on(student.run, inputs, beta, what + " (PyTorch)")
        expect_close(student.run(call, *inputs, beta), reference.run(call, *inputs, beta),
                     what + " (reference)", rtol=1e-5, atol=1e-4)
    # binary targets exactly 0 and 1, zero logits: BCE is log 2 per pixel
    x = torch.tensor([[0.0, 1.0, 1.0, 0.0]])
    zero = torch.zeros(1, 2)
    check_vae_loss_on(student.run, (torch.zeros(1, 4), x, zero, zero), 1.0,
                      "vae_loss with zero logits and q equal to the prior")


# --- 6.4 GAN losses ------------------------------------------------------------------------

@exercise("ch06_gan_losses")
def test_gan_losses_public_check(student):
    student.check()


@exercise("ch06_gan_losses")
def test_gan_losses_hidden_inputs(student, reference):
    for seed, n_real, n_fake, tail in [(50, 1, 9, (1,)), (51, 64, 64, ()), (52, 3, 2, (1,))]:
        g = torch.Generator().manual_seed(seed)
        real = 5 * torch.randn((n_real, *tail), generator=g)
        fake = 5 * torch.randn((n_fake, *tail), generator=g)
        label = f"for hidden batches of {n_real} real and {n_fake} fake logits"
        check_gan_losses_on(student.run, real, fake, label)
        for probe, args, name in [(probe_d_loss, (real, fake), "discriminator_loss"),
                                  (probe_g_loss, (fake,), "generator_loss")]:
            got, ref = student.run(probe, *args), reference.run(probe, *args)
            for key in ref:
                expect_close(got[key], ref[key], f"{name} {label}: {key} (reference)",
                             rtol=1e-5, atol=1e-6)
    # a perfect discriminator: the non-saturating loss still has a strong gradient
    fake = torch.full((4, 1), -30.0)
    check_gan_losses_on(student.run, torch.full((4, 1), 30.0), fake,
                        "with a confident discriminator (logits +-30)")


# --- 6.5 GAN step --------------------------------------------------------------------------

@exercise("ch06_gan_step")
def test_gan_step_public_check(student):
    student.check()


@exercise("ch06_gan_step")
def test_gan_step_hidden_inputs_sgd(student):
    seed, z_dim, x_dim, batch, n_steps, lr = 60, 5, 3, 2, 3, 0.05
    batches = gan_batches(seed, n_steps, batch, z_dim, x_dim)
    out = student.run(probe_gan_step, seed, z_dim, x_dim, "sgd", lr, batches)
    G0, D0 = (_flat(net) for net in tiny_gan(seed, z_dim, x_dim))
    what = "gan_step on hidden data (SGD)"
    check_gan_step_structure(out, n_steps, G0, D0, what)
    ref = gan_step_reference(seed, z_dim, x_dim, lr, batches)
    check_first_call_losses(out, ref, what)
    for key in ("d_loss", "g_loss", "D_end", "G_end"):
        expect_close(out[key], ref[key], f"{what}: {key}", rtol=1e-4, atol=1e-5)


@exercise("ch06_gan_step")
def test_gan_step_hidden_inputs_adam(student, reference):
    for seed, z_dim, x_dim, batch, n_steps in [(61, 2, 2, 8, 3), (62, 1, 4, 1, 2)]:
        batches = gan_batches(seed, n_steps, batch, z_dim, x_dim)
        out = student.run(probe_gan_step, seed, z_dim, x_dim, "adam", 0.01, batches)
        G0, D0 = (_flat(net) for net in tiny_gan(seed, z_dim, x_dim))
        what = f"gan_step on hidden data (Adam, z_dim={z_dim}, x_dim={x_dim}, batch {batch})"
        check_gan_step_structure(out, n_steps, G0, D0, what)
        ref = reference.run(probe_gan_step, seed, z_dim, x_dim, "adam", 0.01, batches)
        for key in ("d_loss", "g_loss", "D_end", "G_end"):
            expect_close(out[key], ref[key], f"{what}: {key} (reference)", rtol=1e-4, atol=1e-5)
