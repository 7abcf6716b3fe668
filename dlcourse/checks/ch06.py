"""Public checks of Chapter 6 (generative models: VAEs and GANs).

Every check compares with PyTorch's own functions (``torch.distributions``,
``F.binary_cross_entropy_with_logits``, ``torch.autograd.grad``) on generated
inputs, never with a stored answer.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch.distributions import Normal, kl_divergence

from dlcourse.checks import call, exercise
from dlcourse.compare import CheckFailure, expect_close, expect_equal


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def gaussian_params(seed: int, shape, scale: float = 1.0, dtype=torch.float32):
    """A mean and a log-variance of the given shape, with negative, zero and positive entries."""
    g = _gen(seed)
    mu = (scale * torch.randn(shape, generator=g)).to(dtype)
    logvar = (scale * torch.randn(shape, generator=g)).to(dtype)
    mu.view(-1)[0] = 0.0
    logvar.view(-1)[-1] = 0.0
    return mu, logvar


# --------------------------------------------------------------------------- reparameterize

def probe_reparam_grad(fn, mu, logvar, eps, weight):
    """z = fn(mu, logvar, eps); backpropagate sum(weight * z); return z and both gradients."""
    mu = mu.clone().requires_grad_(True)
    logvar = logvar.clone().requires_grad_(True)
    z = fn(mu, logvar, eps)
    if not isinstance(z, torch.Tensor):
        return {"z": z}
    if not z.requires_grad:
        return {"z": z.detach(), "no_grad": True}
    (weight * z).sum().backward()
    zero = torch.zeros_like(mu)
    return {"z": z.detach(),
            "mu_grad": zero if mu.grad is None else mu.grad,
            "logvar_grad": zero if logvar.grad is None else logvar.grad}


def probe_reparam_stats(fn, mean: float, logvar: float, n: int, dim: int, seed: int):
    """Draw n samples with eps left to the function (eps=None); return their mean and variance."""
    torch.manual_seed(seed)
    mu = torch.full((n, dim), mean)
    lv = torch.full((n, dim), logvar)
    z = fn(mu, lv)
    if not isinstance(z, torch.Tensor) or z.shape != mu.shape:
        return {"z_shape": torch.tensor(list(getattr(z, "shape", ())))}
    z = z.detach()
    return {"mean": z.mean(0), "var": z.var(0), "z_shape": torch.tensor(list(z.shape))}


def check_reparam_given_eps(run, seed: int, shape, scale: float = 1.0) -> None:
    mu, logvar = gaussian_params(seed, shape, scale)
    g = _gen(seed + 100)
    eps = torch.randn(shape, generator=g)
    weight = torch.randn(shape, generator=g)
    out = run(probe_reparam_grad, mu, logvar, eps, weight)
    what = f"reparameterize(mu, logvar, eps) for shape {tuple(shape)}"
    dist = Normal(mu, torch.exp(logvar / 2))  # z = loc + scale * eps, as in dist.rsample()
    expect_close(out["z"], dist.loc + dist.scale * eps, what, rtol=1e-5, atol=1e-6)
    if out.get("no_grad"):
        raise CheckFailure(f"{what}: the result does not require grad, so no gradient can reach "
                           "mu and logvar (did you detach, or use torch.no_grad / torch.normal?)")
    # d z / d mu = 1 and d z / d logvar = eps * sigma / 2, checked with autograd on PyTorch's rsample
    mu_r, lv_r = mu.clone().requires_grad_(True), logvar.clone().requires_grad_(True)
    dist = Normal(mu_r, torch.exp(lv_r / 2))
    z_ref = dist.loc + dist.scale * eps
    g_mu, g_lv = torch.autograd.grad((weight * z_ref).sum(), (mu_r, lv_r))
    expect_close(out["mu_grad"], g_mu, f"gradient reaching mu through {what}")
    expect_close(out["logvar_grad"], g_lv, f"gradient reaching logvar through {what}",
                 rtol=1e-5, atol=1e-6)


@exercise("ch06_reparameterize", target="reparameterize",
          title="The reparameterization trick")
def check_reparameterize(run):
    for seed, shape in [(0, (1, 2)), (1, (5, 3)), (2, (4, 16)), (3, (2, 3, 4))]:
        check_reparam_given_eps(run, seed, shape)
    # without eps: the samples must have mean mu and variance exp(logvar)
    for seed, (m, lv) in [(7, (3.0, 1.3862944)), (8, (-1.0, -2.0))]:
        n, dim = 20000, 3
        out = run(probe_reparam_stats, m, lv, n, dim, seed)
        expect_close(out["z_shape"], torch.tensor([n, dim]), "shape of reparameterize(mu, logvar) "
                     "without eps (it must draw eps shaped like mu)")
        var = torch.tensor(lv).exp().item()
        # 5 standard errors of the sample mean and of the sample variance of a normal
        tol_mean = 5 * (var / n) ** 0.5
        tol_var = 5 * var * (2 / (n - 1)) ** 0.5
        expect_close(out["mean"], torch.full((dim,), m), f"mean of {n} samples drawn with mu={m}, "
                     f"logvar={lv:.3g} (eps left to the function)", rtol=0, atol=tol_mean)
        expect_close(out["var"], torch.full((dim,), var), f"variance of {n} samples drawn with "
                     f"mu={m}, logvar={lv:.3g}: it must be exp(logvar)", rtol=0, atol=tol_var)


# --------------------------------------------------------------------------- Gaussian KL

def kl_reference(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(mu, exp(logvar)) || N(0, 1)) summed over the last axis, by torch.distributions."""
    q = Normal(mu, torch.exp(0.5 * logvar))
    p = Normal(torch.zeros_like(mu), torch.ones_like(mu))
    return kl_divergence(q, p).sum(-1)


def probe_kl_grad(fn, mu, logvar):
    """Return the KL and the gradients of its sum with respect to mu and logvar."""
    mu = mu.clone().requires_grad_(True)
    logvar = logvar.clone().requires_grad_(True)
    kl = fn(mu, logvar)
    if not (isinstance(kl, torch.Tensor) and kl.requires_grad):
        return {"kl": kl}
    kl.sum().backward()
    return {"kl": kl.detach(), "mu_grad": mu.grad, "logvar_grad": logvar.grad}


@exercise("ch06_gaussian_kl", target="gaussian_kl",
          title="KL divergence to a standard normal")
def check_gaussian_kl(run):
    zero = torch.zeros(3, 4)
    expect_close(run(call, zero, zero), torch.zeros(3), "gaussian_kl(0, 0): q is N(0, I), the KL is 0")
    for seed, shape in [(0, (1, 1)), (1, (1, 5)), (2, (6, 2)), (3, (4, 10)), (4, (2, 3, 7))]:
        mu, logvar = gaussian_params(seed, shape, scale=2.0)
        expect_close(run(call, mu, logvar), kl_reference(mu, logvar),
                     f"gaussian_kl for shape {shape} (compared with torch.distributions.kl_divergence "
                     "summed over the last axis)", rtol=1e-5, atol=1e-5)
    mu, logvar = gaussian_params(5, (3, 4), dtype=torch.float64)
    expect_close(run(call, mu, logvar), kl_reference(mu, logvar), "gaussian_kl in float64")
    out = run(probe_kl_grad, *gaussian_params(6, (5, 3)))
    mu, logvar = gaussian_params(6, (5, 3))
    mu.requires_grad_(True)
    logvar.requires_grad_(True)
    g_mu, g_lv = torch.autograd.grad(kl_reference(mu, logvar).sum(), (mu, logvar))
    if "mu_grad" not in out:
        raise CheckFailure("gaussian_kl: the result must be a tensor that gradients can flow through")
    expect_close(out["mu_grad"], g_mu, "gradient of sum(gaussian_kl) with respect to mu", atol=1e-5)
    expect_close(out["logvar_grad"], g_lv, "gradient of sum(gaussian_kl) with respect to logvar",
                 atol=1e-5)


# --------------------------------------------------------------------------- VAE loss

def vae_loss_reference(x_logits, x, mu, logvar, beta=1.0) -> torch.Tensor:
    """Batch mean of (pixel-summed BCE + beta * latent-summed KL), by PyTorch's functions."""
    n = x.shape[0]
    rec = F.binary_cross_entropy_with_logits(x_logits.reshape(n, -1), x.reshape(n, -1),
                                             reduction="none").sum(1)
    return (rec + beta * kl_reference(mu, logvar)).mean()


def vae_inputs(seed: int, n: int, pixels, latent: int, scale: float = 3.0):
    g = _gen(seed)
    x_logits = scale * torch.randn((n, *pixels), generator=g)
    x = torch.rand((n, *pixels), generator=g)
    x.view(-1)[0] = 0.0
    x.view(-1)[-1] = 1.0
    mu, logvar = gaussian_params(seed + 50, (n, latent))
    return x_logits, x, mu, logvar


@exercise("ch06_vae_loss", target="vae_loss", title="The VAE loss")
def check_vae_loss(run):
    for seed, n, pixels, latent in [(0, 1, (64,), 2), (1, 8, (64,), 2), (2, 5, (10,), 7),
                                    (3, 3, (1, 8, 8), 4)]:
        inputs = vae_inputs(seed, n, pixels, latent)
        got = run(call, *inputs)
        what = f"vae_loss for a batch of {n}, images of shape {pixels}, {latent} latent dims"
        expect_close(got, vae_loss_reference(*inputs), what, rtol=1e-5, atol=1e-4)
    inputs = vae_inputs(4, 6, (64,), 3)
    for beta in (0.0, 0.5, 4.0):
        expect_close(run(call, *inputs, beta), vae_loss_reference(*inputs, beta),
                     f"vae_loss with beta={beta}", rtol=1e-5, atol=1e-4)
    # large logits: a stable implementation stays finite and exact
    x_logits, x, mu, logvar = vae_inputs(5, 4, (64,), 2, scale=200.0)
    expect_close(run(call, x_logits, x, mu, logvar), vae_loss_reference(x_logits, x, mu, logvar),
                 "vae_loss with pixel logits of size about 200 (use a numerically stable BCE)",
                 rtol=1e-5, atol=1e-3)


# --------------------------------------------------------------------------- GAN losses

def probe_d_loss(ns, real_logits, fake_logits):
    """The student's discriminator loss and its gradients with respect to both logit batches."""
    real_logits = real_logits.clone().requires_grad_(True)
    fake_logits = fake_logits.clone().requires_grad_(True)
    loss = ns.discriminator_loss(real_logits, fake_logits)
    if not (isinstance(loss, torch.Tensor) and loss.requires_grad):
        return {"loss": loss}
    loss.backward()
    zero = torch.zeros_like(real_logits)
    return {"loss": loss.detach(),
            "real_grad": zero if real_logits.grad is None else real_logits.grad,
            "fake_grad": torch.zeros_like(fake_logits) if fake_logits.grad is None
            else fake_logits.grad}


def probe_g_loss(ns, fake_logits):
    """The student's generator loss and its gradient with respect to the logits."""
    fake_logits = fake_logits.clone().requires_grad_(True)
    loss = ns.generator_loss(fake_logits)
    if not (isinstance(loss, torch.Tensor) and loss.requires_grad):
        return {"loss": loss}
    loss.backward()
    return {"loss": loss.detach(), "fake_grad": fake_logits.grad}


def d_loss_reference(real_logits, fake_logits):
    """-log D(x) - log(1 - D(G(z))), batch means, written with log-sigmoids (1 - sigmoid(s) = sigmoid(-s))."""
    return -(F.logsigmoid(real_logits).mean() + F.logsigmoid(-fake_logits).mean())


def g_loss_reference(fake_logits):
    """The non-saturating loss -log D(G(z)), batch mean, written with a log-sigmoid."""
    return -F.logsigmoid(fake_logits).mean()


def check_gan_losses_on(run, real, fake, label: str) -> None:
    r_ = real.clone().requires_grad_(True)
    f_ = fake.clone().requires_grad_(True)
    ref_d = d_loss_reference(r_, f_)
    ref_rg, ref_fg = torch.autograd.grad(ref_d, (r_, f_))
    out = run(probe_d_loss, real, fake)
    what = f"discriminator_loss {label}"
    if "real_grad" not in out:
        raise CheckFailure(f"{what}: expected a tensor that gradients can flow through, "
                           f"got {type(out['loss']).__qualname__}")
    expect_close(out["loss"], ref_d.detach(), what, rtol=1e-5, atol=1e-5)
    expect_close(out["real_grad"], ref_rg, f"gradient of {what} with respect to the real logits",
                 atol=1e-6)
    expect_close(out["fake_grad"], ref_fg, f"gradient of {what} with respect to the fake logits",
                 atol=1e-6)
    f_ = fake.clone().requires_grad_(True)
    ref_g = g_loss_reference(f_)
    (ref_gg,) = torch.autograd.grad(ref_g, (f_,))
    out = run(probe_g_loss, fake)
    what = f"generator_loss {label}"
    if "fake_grad" not in out:
        raise CheckFailure(f"{what}: expected a tensor that gradients can flow through, "
                           f"got {type(out['loss']).__qualname__}")
    expect_close(out["loss"], ref_g.detach(), what, rtol=1e-5, atol=1e-5)
    expect_close(out["fake_grad"], ref_gg, f"gradient of {what} with respect to the fake logits",
                 atol=1e-6)


@exercise("ch06_gan_losses", target=("discriminator_loss", "generator_loss"),
          title="Discriminator and generator losses")
def check_gan_losses(run):
    zeros = torch.zeros(4, 1)
    check_gan_losses_on(run, zeros, zeros, "with all logits 0 (D(x) = 1/2 everywhere)")
    for seed, n_real, n_fake, tail in [(0, 1, 1, (1,)), (1, 8, 8, (1,)), (2, 5, 3, ()),
                                       (3, 2, 7, (1,))]:
        g = _gen(seed)
        real = 3 * torch.randn((n_real, *tail), generator=g)
        fake = 3 * torch.randn((n_fake, *tail), generator=g)
        check_gan_losses_on(run, real, fake, f"for {n_real} real and {n_fake} fake logits "
                            f"of shape {(n_real, *tail)} / {(n_fake, *tail)}")
    # saturated discriminator: huge logits must not give inf or NaN
    real = torch.tensor([[150.0], [-150.0], [40.0]])
    fake = torch.tensor([[-150.0], [150.0]])
    check_gan_losses_on(run, real, fake, "with logits of +-150 (use a numerically stable form)")


# --------------------------------------------------------------------------- GAN step

def _flat(net: nn.Module) -> torch.Tensor:
    return torch.cat([p.detach().reshape(-1) for p in net.parameters()]).clone()


def tiny_gan(seed: int, z_dim: int, x_dim: int, hidden: int = 6):
    """A seeded tiny generator and discriminator (two-layer MLPs)."""
    torch.manual_seed(seed)
    G = nn.Sequential(nn.Linear(z_dim, hidden), nn.Tanh(), nn.Linear(hidden, x_dim))
    D = nn.Sequential(nn.Linear(x_dim, hidden), nn.Tanh(), nn.Linear(hidden, 1))
    return G, D


def make_optimizer(kind: str, params, lr: float):
    if kind == "sgd":
        return torch.optim.SGD(params, lr=lr)
    if kind == "adam":
        return torch.optim.Adam(params, lr=lr, betas=(0.5, 0.999))
    raise ValueError(kind)


def probe_gan_step(gan_step, seed, z_dim, x_dim, opt_kind, lr, batches):
    """Build tiny seeded G and D and their optimizers, run gan_step on each (x_real, z) batch.

    Records, at every optimizer step, which optimizer stepped and both networks'
    parameters just before and after it. Returns a dict of plain tensors and strings.
    """
    G, D = tiny_gan(seed, z_dim, x_dim)
    opt_G = make_optimizer(opt_kind, G.parameters(), lr)
    opt_D = make_optimizer(opt_kind, D.parameters(), lr)
    log = {"order": "", "G_before": [], "D_before": [], "G_after": [], "D_after": []}

    def hooks(name):
        def pre(opt, args, kwargs):
            log["order"] += name
            log["G_before"].append(_flat(G))
            log["D_before"].append(_flat(D))

        def post(opt, args, kwargs):
            log["G_after"].append(_flat(G))
            log["D_after"].append(_flat(D))
        return pre, post

    for opt, name in ((opt_G, "G"), (opt_D, "D")):
        pre, post = hooks(name)
        opt.register_step_pre_hook(pre)
        opt.register_step_post_hook(post)
    d_losses, g_losses, G_end, D_end = [], [], [], []
    for x_real, z in batches:
        result = gan_step(G, D, opt_G, opt_D, x_real, z)
        if not (isinstance(result, tuple) and len(result) == 2):
            return {"bad_return": type(result).__qualname__}
        d_losses.append(float(result[0]))
        g_losses.append(float(result[1]))
        G_end.append(_flat(G))
        D_end.append(_flat(D))
    out = {"order": log["order"], "d_loss": torch.tensor(d_losses), "g_loss": torch.tensor(g_losses),
           "G_end": torch.stack(G_end), "D_end": torch.stack(D_end)}
    for key in ("G_before", "D_before", "G_after", "D_after"):
        if log[key]:
            out[key] = torch.stack(log[key])
    return out


def gan_step_reference(seed, z_dim, x_dim, lr, batches):
    """Plain gradient descent on the two losses, one network at a time, with autograd.grad.

    Returns the losses and both networks' flat parameters after each batch.
    """
    G, D = tiny_gan(seed, z_dim, x_dim)
    d_losses, g_losses, G_end, D_end, D_mid = [], [], [], [], []
    for x_real, z in batches:
        with torch.no_grad():
            samples = G(z)
        d_loss = d_loss_reference(D(x_real), D(samples))
        grads = torch.autograd.grad(d_loss, list(D.parameters()))
        with torch.no_grad():
            for p, gr in zip(D.parameters(), grads):
                p -= lr * gr
        D_mid.append(_flat(D))
        g_loss = g_loss_reference(D(G(z)))
        grads = torch.autograd.grad(g_loss, list(G.parameters()))
        with torch.no_grad():
            for p, gr in zip(G.parameters(), grads):
                p -= lr * gr
        d_losses.append(d_loss.item())
        g_losses.append(g_loss.item())
        G_end.append(_flat(G))
        D_end.append(_flat(D))
    return {"d_loss": torch.tensor(d_losses), "g_loss": torch.tensor(g_losses),
            "G_end": torch.stack(G_end), "D_end": torch.stack(D_end), "D_mid": torch.stack(D_mid)}


def gan_batches(seed: int, n_steps: int, batch: int, z_dim: int, x_dim: int):
    g = _gen(seed)
    return [(torch.randn(batch, x_dim, generator=g) + 2.0, torch.randn(batch, z_dim, generator=g))
            for _ in range(n_steps)]


def check_gan_step_structure(out, n_steps: int, G0: torch.Tensor, D0: torch.Tensor,
                             what: str) -> None:
    """Each call steps opt_D once, then opt_G once; each phase changes only its own network."""
    if "bad_return" in out:
        raise CheckFailure(f"{what}: gan_step must return a tuple (d_loss, g_loss), "
                           f"got {out['bad_return']}")
    expect_equal(out["order"], "DG" * n_steps,
                 f"{what}: order of optimizer steps over {n_steps} calls ('D' = opt_D.step(), "
                 "'G' = opt_G.step(); each call must step the discriminator once, then the "
                 "generator once)")
    G_prev, D_prev = G0, D0
    for i in range(n_steps):
        d, g = 2 * i, 2 * i + 1  # indices of the D step and the G step of call i
        expect_close(out["G_before"][d], G_prev, f"{what}, call {i + 1}: the generator's parameters "
                     "must not change before or during the discriminator phase")
        expect_close(out["G_after"][d], G_prev, f"{what}, call {i + 1}: opt_D.step() changed the "
                     "generator's parameters")
        expect_close(out["D_before"][d], D_prev, f"{what}, call {i + 1}: the discriminator changed "
                     "before its own step")
        expect_close(out["D_before"][g], out["D_after"][d], f"{what}, call {i + 1}: the "
                     "discriminator's parameters must not change in the generator phase")
        expect_close(out["D_after"][g], out["D_after"][d], f"{what}, call {i + 1}: opt_G.step() "
                     "changed the discriminator's parameters")
        expect_close(out["D_end"][i], out["D_after"][d], f"{what}, call {i + 1}: the discriminator "
                     "changed after its step")
        expect_close(out["G_end"][i], out["G_after"][g], f"{what}, call {i + 1}: the generator "
                     "changed after its step")
        G_prev, D_prev = out["G_end"][i], out["D_end"][i]


@exercise("ch06_gan_step", target="gan_step", title="One GAN training step")
def check_gan_step(run):
    for seed, z_dim, x_dim, batch, n_steps in [(0, 2, 2, 4, 2), (1, 3, 5, 1, 2), (2, 4, 1, 6, 3)]:
        lr = 0.1
        batches = gan_batches(seed + 10, n_steps, batch, z_dim, x_dim)
        what = f"gan_step (z_dim={z_dim}, x_dim={x_dim}, batch {batch}, SGD, {n_steps} calls)"
        out = run(probe_gan_step, seed, z_dim, x_dim, "sgd", lr, batches)
        G0, D0 = (_flat(net) for net in tiny_gan(seed, z_dim, x_dim))
        check_gan_step_structure(out, n_steps, G0, D0, what)
        ref = gan_step_reference(seed, z_dim, x_dim, lr, batches)
        expect_close(out["d_loss"], ref["d_loss"], f"{what}: returned discriminator losses "
                     "(computed before the discriminator's update)", rtol=1e-5, atol=1e-5)
        expect_close(out["D_end"], ref["D_end"], f"{what}: discriminator parameters after each call",
                     rtol=1e-4, atol=1e-5)
        expect_close(out["g_loss"], ref["g_loss"], f"{what}: returned generator losses (computed "
                     "with the already updated discriminator)", rtol=1e-5, atol=1e-5)
        expect_close(out["G_end"], ref["G_end"], f"{what}: generator parameters after each call",
                     rtol=1e-4, atol=1e-5)


# The catalogue of known mistakes: exercise -> mistake id -> what the misconception is.
MISTAKES = {
    "ch06_reparameterize": {
        "uses_the_variance_instead_of_the": 'uses the variance instead of the standard deviation',
        "ignores_the_given_noise_and_always_draws": 'ignores the given noise and always draws its own',
        "samples_with_torch_normal_so_no_gradient": 'samples with torch.normal, so no gradient reaches mu and logvar',
        "draws_noise_with_torch_rand_uniform_when": 'draws noise with torch.rand (uniform) when none is given',
    },
    "ch06_gaussian_kl": {
        "forgets_the_factor_1_2": 'forgets the factor 1/2',
        "wrong_sign_of_the_log_variance_term": 'wrong sign of the log-variance term',
        "averages_over_the_latent_dimensions": 'averages over the latent dimensions instead of summing',
        "sums_over_the_batch_axis": 'sums over the batch axis',
    },
    "ch06_vae_loss": {
        "averages_the_cross_entropy_over_pixels": 'averages the cross-entropy over pixels (the default reduction)',
        "sums_over_the_batch_instead_of_averaging": 'sums over the batch instead of averaging',
        "forgets_beta": 'forgets beta',
        "applies_sigmoid_then_the_unstable_bce_on": 'applies sigmoid, then the unstable BCE on probabilities',
    },
    "ch06_gan_losses": {
        "swaps_the_labels_of_real_and_generated": 'swaps the labels of real and generated data',
        "uses_the_saturating_minimax_generator": 'uses the saturating minimax generator loss log(1 - D(G(z)))',
        "one_mean_over_the_concatenated_batch": 'one mean over the concatenated batch (halves the loss, wrong for unequal batches)',
        "takes_log_of_sigmoid_directly_infinite": 'takes log of sigmoid directly (infinite for saturated logits)',
    },
    "ch06_gan_step": {
        "does_not_detach_and_steps_both": 'does not detach and steps both optimizers after the generator loss',
        "forgets_opt_d_zero_grad_gradients_from": "does not clear the discriminator's gradients before its update: gradients from the generator phase pile up",
        "scores_the_generator_with_the": 'scores the generator with the discriminator before its update',
        "updates_the_generator_first_then_the": 'updates the generator first, then the discriminator',
        "forgets_detach_in_the_discriminator": "forgets detach in the discriminator phase and never clears G's gradients",
    },
}
