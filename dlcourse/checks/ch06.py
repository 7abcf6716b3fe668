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

def probe_reparam_grad(fn, mu, logvar, noise, weight):
    """z = fn(mu, logvar, noise); backpropagate sum(weight * z); return z and both gradients.

    Also calls fn a second time with the same noise (``z_again``): a function that uses the
    noise it is given returns the same z twice.
    """
    mu = mu.clone().requires_grad_(True)
    logvar = logvar.clone().requires_grad_(True)
    z = fn(mu, logvar, noise)
    if not isinstance(z, torch.Tensor):
        return {"z": z}
    z_again = fn(mu.detach(), logvar.detach(), noise)
    z_again = z_again.detach() if isinstance(z_again, torch.Tensor) else z_again
    if not z.requires_grad:
        return {"z": z.detach(), "z_again": z_again, "no_grad": True}
    (weight * z).sum().backward()
    zero = torch.zeros_like(mu)
    return {"z": z.detach(), "z_again": z_again,
            "mu_grad": zero if mu.grad is None else mu.grad,
            "logvar_grad": zero if logvar.grad is None else logvar.grad}


def probe_reparam_stats(fn, mean: float, logvar: float, n: int, dim: int, seed: int):
    """Draw n samples with the noise left to the function (noise=None); return mean and variance."""
    torch.manual_seed(seed)
    mu = torch.full((n, dim), mean)
    lv = torch.full((n, dim), logvar)
    z = fn(mu, lv)
    if not isinstance(z, torch.Tensor) or z.shape != mu.shape:
        return {"z_shape": torch.tensor(list(getattr(z, "shape", ())))}
    z = z.detach()
    return {"mean": z.mean(0), "var": z.var(0), "z_shape": torch.tensor(list(z.shape))}


def check_reparam_given_noise(run, seed: int, shape, scale: float = 1.0) -> None:
    mu, logvar = gaussian_params(seed, shape, scale)
    g = _gen(seed + 100)
    noise = torch.randn(shape, generator=g)
    weight = torch.randn(shape, generator=g)
    out = run(probe_reparam_grad, mu, logvar, noise, weight)
    what = f"reparameterize(mu, logvar, noise) for shape {tuple(shape)}"
    if isinstance(out.get("z_again"), torch.Tensor) and isinstance(out["z"], torch.Tensor) \
            and out["z"].shape == out["z_again"].shape and not torch.equal(out["z"], out["z_again"]):
        raise CheckFailure(f"{what}: two calls with the same noise returned different z",
                           mistake="ignores_the_given_noise")
    dist = Normal(mu, torch.exp(logvar / 2))  # z = loc + scale * noise, as in dist.rsample()
    variance = dist.scale ** 2
    expect_close(out["z"], dist.loc + dist.scale * noise, what, rtol=1e-5, atol=1e-6,
                 mistakes={"scales_by_the_variance": mu + variance * noise,
                           "half_the_variance": mu + variance / 2 * noise,
                           "returns_the_mean": mu})
    if out.get("no_grad"):
        raise CheckFailure(f"{what}: the result does not require grad, so no gradient can reach "
                           "mu and logvar (did you detach, or use torch.no_grad / torch.normal?)",
                           mistake="no_gradient_path")
    # d z / d mu = 1 and d z / d logvar = noise * sigma / 2, checked with autograd on PyTorch's rsample
    mu_r, lv_r = mu.clone().requires_grad_(True), logvar.clone().requires_grad_(True)
    dist = Normal(mu_r, torch.exp(lv_r / 2))
    z_ref = dist.loc + dist.scale * noise
    g_mu, g_lv = torch.autograd.grad((weight * z_ref).sum(), (mu_r, lv_r))
    expect_close(out["mu_grad"], g_mu, f"gradient reaching mu through {what}")
    expect_close(out["logvar_grad"], g_lv, f"gradient reaching logvar through {what}",
                 rtol=1e-5, atol=1e-6)


def check_reparam_statistics(run, seed: int, m: float, lv: float, n: int, dim: int) -> None:
    """Samples drawn without noise must have mean m and variance exp(lv), to 5 standard errors."""
    out = run(probe_reparam_stats, m, lv, n, dim, seed)
    expect_close(out["z_shape"], torch.tensor([n, dim]), "shape of reparameterize(mu, logvar) "
                 "without noise (it must draw the noise shaped like mu)")
    var = torch.tensor(lv).exp().item()
    tol_mean = 5 * (var / n) ** 0.5           # standard error of a sample mean
    tol_var = 5 * var * (2 / (n - 1)) ** 0.5  # standard error of a normal sample's variance
    # uniform noise on [0, 1) has mean 1/2 and variance 1/12
    expect_close(out["mean"], torch.full((dim,), m), f"mean of {n} samples drawn with mu={m}, "
                 f"logvar={lv:.3g} (noise left to the function)", rtol=0, atol=tol_mean,
                 mistakes={"uniform_noise": torch.full((dim,), m + 0.5 * var ** 0.5)})
    expect_close(out["var"], torch.full((dim,), var), f"variance of {n} samples drawn with "
                 f"mu={m}, logvar={lv:.3g}: it must be exp(logvar)", rtol=0, atol=tol_var)


@exercise("ch06_reparameterize", target="reparameterize",
          title="The reparameterization trick")
def check_reparameterize(run):
    for seed, shape in [(0, (1, 2)), (1, (5, 3)), (2, (4, 16)), (3, (2, 3, 4))]:
        check_reparam_given_noise(run, seed, shape)
    for seed, (m, lv) in [(7, (3.0, 1.3862944)), (8, (-1.0, -2.0))]:
        check_reparam_statistics(run, seed, m, lv, 20000, 3)


# --------------------------------------------------------------------------- Gaussian KL

def kl_per_dimension(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(mu, exp(logvar)) || N(0, 1)) of every entry, by torch.distributions."""
    q = Normal(mu, torch.exp(0.5 * logvar))
    p = Normal(torch.zeros_like(mu), torch.ones_like(mu))
    return kl_divergence(q, p)


def kl_reference(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(mu, exp(logvar)) || N(0, I)) summed over the last axis, by torch.distributions."""
    return kl_per_dimension(mu, logvar).sum(-1)


def kl_mistakes(mu: torch.Tensor, logvar: torch.Tensor) -> dict:
    """What each catalogued mistake of Exercise 6.2 returns, from torch.distributions' KL."""
    per_dim = kl_per_dimension(mu, logvar)
    q = Normal(mu, torch.exp(0.5 * logvar))
    p = Normal(torch.zeros_like(mu), torch.ones_like(mu))
    # the mistaken "+ log sigma^2" differs from the KL by (1/2)(log s2 - (-log s2)) = log s2 per entry
    return {"missing_one_half": 2 * per_dim.sum(-1),
            "plus_log_variance": per_dim.sum(-1) + logvar.sum(-1),
            "mean_over_latent_dims": per_dim.mean(-1),
            "sums_over_the_batch": per_dim.sum(0),
            "not_summed": per_dim,
            "reversed_kl": kl_divergence(p, q).sum(-1)}


def probe_kl_grad(fn, mu, logvar):
    """Return the KL and the gradients of its sum with respect to mu and logvar."""
    mu = mu.clone().requires_grad_(True)
    logvar = logvar.clone().requires_grad_(True)
    kl = fn(mu, logvar)
    if not (isinstance(kl, torch.Tensor) and kl.requires_grad):
        return {"kl": kl}
    kl.sum().backward()
    return {"kl": kl.detach(), "mu_grad": mu.grad, "logvar_grad": logvar.grad}


def check_kl_on(run, mu, logvar, what: str, **tol) -> None:
    expect_close(run(call, mu, logvar), kl_reference(mu, logvar), what,
                 mistakes=kl_mistakes(mu, logvar), **tol)


@exercise("ch06_gaussian_kl", target="gaussian_kl",
          title="KL divergence to a standard normal")
def check_gaussian_kl(run):
    zero = torch.zeros(3, 4)
    check_kl_on(run, zero, zero, "gaussian_kl(0, 0): q is N(0, I), the KL is 0")
    for seed, shape in [(0, (1, 1)), (1, (1, 5)), (2, (6, 2)), (3, (4, 10)), (4, (2, 3, 7))]:
        mu, logvar = gaussian_params(seed, shape, scale=2.0)
        check_kl_on(run, mu, logvar, f"gaussian_kl for shape {shape} (compared with "
                    "torch.distributions.kl_divergence summed over the last axis)",
                    rtol=1e-5, atol=1e-5)
    mu, logvar = gaussian_params(5, (3, 4), dtype=torch.float64)
    check_kl_on(run, mu, logvar, "gaussian_kl in float64")
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

def vae_loss_variants(x_logits, x, mu, logvar, beta=1.0) -> tuple[torch.Tensor, dict]:
    """The VAE loss by PyTorch's functions, and what each catalogued mistake of Exercise 6.3
    returns: (reference, {mistake id: value})."""
    n, latent = x.shape[0], mu.shape[-1]
    logits_flat, x_flat = x_logits.reshape(n, -1), x.reshape(n, -1)
    rec = F.binary_cross_entropy_with_logits(logits_flat, x_flat, reduction="none").sum(1)
    kl = kl_reference(mu, logvar)
    reference = (rec + beta * kl).mean()
    on_probabilities = F.binary_cross_entropy(torch.sigmoid(logits_flat), x_flat,
                                              reduction="none").sum(1)
    swapped = F.binary_cross_entropy_with_logits(x_flat, logits_flat, reduction="none").sum(1)
    return reference, {
        "mean_over_pixels": F.binary_cross_entropy_with_logits(x_logits, x) + beta * kl.mean(),
        "sums_over_the_batch": n * reference,
        "ignores_beta": (rec + kl).mean(),
        "beta_on_reconstruction": (beta * rec + kl).mean(),
        "kl_averaged_over_latent_dims": (rec + beta * kl / latent).mean(),
        "subtracts_the_kl": (rec - beta * kl).mean(),
        "bce_on_probabilities": (on_probabilities + beta * kl).mean(),
        "swapped_arguments": (swapped + beta * kl).mean()}


def vae_loss_reference(x_logits, x, mu, logvar, beta=1.0) -> torch.Tensor:
    """Batch mean of (pixel-summed BCE + beta * latent-summed KL), by PyTorch's functions."""
    return vae_loss_variants(x_logits, x, mu, logvar, beta)[0]


def vae_inputs(seed: int, n: int, pixels, latent: int, scale: float = 3.0):
    g = _gen(seed)
    x_logits = scale * torch.randn((n, *pixels), generator=g)
    x = torch.rand((n, *pixels), generator=g)
    x.view(-1)[0] = 0.0
    x.view(-1)[-1] = 1.0
    mu, logvar = gaussian_params(seed + 50, (n, latent))
    return x_logits, x, mu, logvar


def check_vae_loss_on(run, inputs, beta, what: str, rtol=1e-5, atol=1e-4) -> None:
    reference, mistakes = vae_loss_variants(*inputs, beta)
    expect_close(run(call, *inputs, beta), reference, what, rtol=rtol, atol=atol,
                 mistakes=mistakes)


@exercise("ch06_vae_loss", target="vae_loss", title="The VAE loss")
def check_vae_loss(run):
    for seed, n, pixels, latent in [(0, 1, (64,), 2), (1, 8, (64,), 2), (2, 5, (10,), 7),
                                    (3, 3, (1, 8, 8), 4)]:
        what = f"vae_loss for a batch of {n}, images of shape {pixels}, {latent} latent dims"
        check_vae_loss_on(run, vae_inputs(seed, n, pixels, latent), 1.0, what)
    inputs = vae_inputs(4, 6, (64,), 3)
    for beta in (0.0, 0.5, 4.0):
        check_vae_loss_on(run, inputs, beta, f"vae_loss with beta={beta}")
    # large logits: a stable implementation stays finite and exact
    check_vae_loss_on(run, vae_inputs(5, 4, (64,), 2, scale=200.0), 1.0,
                      "vae_loss with pixel logits of size about 200 (use a numerically stable BCE)",
                      atol=1e-3)


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
    """-log D(x) - log(1 - D(G(z))), batch means, with log-sigmoids (1 - sigmoid(s) = sigmoid(-s))."""
    return -(F.logsigmoid(real_logits).mean() + F.logsigmoid(-fake_logits).mean())


def g_loss_reference(fake_logits):
    """The non-saturating loss -log D(G(z)), batch mean, written with a log-sigmoid."""
    return -F.logsigmoid(fake_logits).mean()


def _d_loss_mistakes() -> dict:
    """Exercise 6.4's catalogued discriminator-loss mistakes, as functions of the two logit batches."""
    def one_mean(r, f):
        return F.binary_cross_entropy_with_logits(
            torch.cat([r, f]), torch.cat([torch.ones_like(r), torch.zeros_like(f)]))
    return {"swapped_labels": lambda r, f: d_loss_reference(-r, -f),
            "one_mean_over_both_batches": one_mean,
            "sums_over_the_batch": lambda r, f: -(F.logsigmoid(r).sum() + F.logsigmoid(-f).sum()),
            "log_of_sigmoid": lambda r, f: -(torch.log(torch.sigmoid(r)).mean()
                                             + torch.log(1 - torch.sigmoid(f)).mean())}


def _g_loss_mistakes() -> dict:
    """Exercise 6.4's catalogued generator-loss mistakes, as functions of the fake logits."""
    return {"saturating_generator_loss": lambda f: F.logsigmoid(-f).mean(),
            "generator_uses_discriminator_labels": lambda f: -F.logsigmoid(-f).mean(),
            "sums_over_the_batch": lambda f: -F.logsigmoid(f).sum(),
            "log_of_sigmoid": lambda f: -torch.log(torch.sigmoid(f)).mean()}


def _value_and_grads(fn, *logits):
    """fn(*logits) and its gradients with respect to each input, by autograd."""
    leaves = [t.clone().requires_grad_(True) for t in logits]
    value = fn(*leaves)
    return (value.detach(), *torch.autograd.grad(value, leaves))


def _expect_finite(out: dict, what: str) -> None:
    """A non-finite loss or gradient: the log of an under- or overflowed sigmoid."""
    for key, value in out.items():
        if isinstance(value, torch.Tensor) and value.is_floating_point() and not value.isfinite().all():
            raise CheckFailure(f"{what}: {key} is not finite ({value.flatten()[:3].tolist()}...)",
                               f"{what}: {key} is not finite", mistake="log_of_sigmoid")


def check_gan_losses_on(run, real, fake, label: str) -> None:
    ref = _value_and_grads(d_loss_reference, real, fake)
    variants = {k: _value_and_grads(fn, real, fake) for k, fn in _d_loss_mistakes().items()}
    out = run(probe_d_loss, real, fake)
    what = f"discriminator_loss {label}"
    if "real_grad" not in out:
        raise CheckFailure(f"{what}: expected a tensor that gradients can flow through, "
                           f"got {type(out['loss']).__qualname__}")
    _expect_finite(out, what)
    for i, key in enumerate(["loss", "real_grad", "fake_grad"]):
        name = what if i == 0 else f"gradient of {what} with respect to the {key[:4]} logits"
        expect_close(out[key], ref[i], name, rtol=1e-5, atol=1e-5 if i == 0 else 1e-6,
                     mistakes={k: v[i] for k, v in variants.items()})
    ref = _value_and_grads(g_loss_reference, fake)
    variants = {k: _value_and_grads(fn, fake) for k, fn in _g_loss_mistakes().items()}
    out = run(probe_g_loss, fake)
    what = f"generator_loss {label}"
    if "fake_grad" not in out:
        raise CheckFailure(f"{what}: expected a tensor that gradients can flow through, "
                           f"got {type(out['loss']).__qualname__}")
    _expect_finite(out, what)
    for i, key in enumerate(["loss", "fake_grad"]):
        name = what if i == 0 else f"gradient of {what} with respect to the fake logits"
        expect_close(out[key], ref[i], name, rtol=1e-5, atol=1e-5 if i == 0 else 1e-6,
                     mistakes={k: v[i] for k, v in variants.items()})


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


# the gradient mistakes of Exercise 6.5 that gan_step_reference can replay
GRADIENT_MISTAKES = ("stale_discriminator_gradients", "no_detach_in_discriminator_phase")


def _descend(net: nn.Module, grads, lr: float) -> None:
    with torch.no_grad():
        for p, gr in zip(net.parameters(), grads):
            p -= lr * gr


def gan_step_reference(seed, z_dim, x_dim, lr, batches, mistake: str | None = None):
    """Plain gradient descent on the two losses, one network at a time, with autograd.grad.

    Returns the losses and both networks' flat parameters after each batch. ``mistake``
    replays one of ``GRADIENT_MISTAKES`` as gradient accumulation:
    "stale_discriminator_gradients" -- D's gradients are never cleared, so each D step uses
    the sum of all D gradients so far, from both phases; "no_detach_in_discriminator_phase"
    -- G's gradients are never cleared and also collect the gradient of D's loss.
    """
    G, D = tiny_gan(seed, z_dim, x_dim)
    d_losses, g_losses, G_end, D_end, D_mid = [], [], [], [], []
    first = {}   # the first call's losses as catalogued mistakes of Exercise 6.5 would report them
    stale_D = [torch.zeros_like(p) for p in D.parameters()]
    stale_G = [torch.zeros_like(p) for p in G.parameters()]
    for x_real, z in batches:
        with torch.no_grad():
            samples = G(z)
        d_loss = d_loss_reference(D(x_real), D(samples))
        if not first:
            with torch.no_grad():
                first["g_loss_old_D"] = g_loss_reference(D(samples)).reshape(1)
        if mistake == "no_detach_in_discriminator_phase":
            leaked = torch.autograd.grad(d_loss_reference(D(x_real), D(G(z))), list(G.parameters()))
            stale_G = [s + g for s, g in zip(stale_G, leaked)]
        grads = torch.autograd.grad(d_loss, list(D.parameters()))
        if mistake == "stale_discriminator_gradients":
            stale_D = [s + g for s, g in zip(stale_D, grads)]
            grads = stale_D
        _descend(D, grads, lr)
        D_mid.append(_flat(D))
        g_loss = g_loss_reference(D(G(z)))
        if "g_loss_saturating" not in first:
            with torch.no_grad():   # log(1 - D(G(z))) = log sigmoid(-a)
                first["g_loss_saturating"] = F.logsigmoid(-D(samples)).mean().reshape(1)
        grads = torch.autograd.grad(g_loss, [*G.parameters(), *D.parameters()])
        grads_G, grads_D = grads[:len(stale_G)], grads[len(stale_G):]
        if mistake == "stale_discriminator_gradients":
            stale_D = [s + g for s, g in zip(stale_D, grads_D)]
        if mistake == "no_detach_in_discriminator_phase":
            stale_G = [s + g for s, g in zip(stale_G, grads_G)]
            grads_G = stale_G
        _descend(G, grads_G, lr)
        d_losses.append(d_loss.item())
        g_losses.append(g_loss.item())
        G_end.append(_flat(G))
        D_end.append(_flat(D))
    return {"d_loss": torch.tensor(d_losses), "g_loss": torch.tensor(g_losses),
            "G_end": torch.stack(G_end), "D_end": torch.stack(D_end), "D_mid": torch.stack(D_mid),
            **first}


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
                 "generator once)",
                 mistakes={"generator_first": "GD" * n_steps,
                           "steps_both_in_generator_phase": "DGD" * n_steps})
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
        if torch.equal(out["G_after"][g], out["G_before"][g]):
            raise CheckFailure(f"{what}, call {i + 1}: opt_G.step() left the generator unchanged: "
                               "no gradient reached it", mistake="detached_in_generator_phase")
        expect_close(out["D_end"][i], out["D_after"][d], f"{what}, call {i + 1}: the discriminator "
                     "changed after its step")
        expect_close(out["G_end"][i], out["G_after"][g], f"{what}, call {i + 1}: the generator "
                     "changed after its step")
        G_prev, D_prev = out["G_end"][i], out["D_end"][i]


def check_first_call_losses(out, ref, what: str) -> None:
    """The losses the first call returns, before any difference in the parameters builds up."""
    expect_close(out["d_loss"][:1], ref["d_loss"][:1], f"{what}: discriminator loss returned by "
                 "the first call", rtol=1e-5, atol=1e-5,
                 mistakes={"one_mean_over_both_batches": ref["d_loss"][:1] / 2})
    expect_close(out["g_loss"][:1], ref["g_loss"][:1], f"{what}: generator loss returned by the "
                 "first call (non-saturating, computed with the updated discriminator)",
                 rtol=1e-5, atol=1e-5,
                 mistakes={"generator_scored_by_old_discriminator": ref["g_loss_old_D"],
                           "saturating_generator_loss": ref["g_loss_saturating"]})


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
        check_first_call_losses(out, ref, what)
        variants = {m: gan_step_reference(seed, z_dim, x_dim, lr, batches, mistake=m)
                    for m in GRADIENT_MISTAKES}
        for key, name, tol in [
                ("d_loss", "returned discriminator losses (computed before the discriminator's "
                           "update)", 1e-5),
                ("D_end", "discriminator parameters after each call", 1e-4),
                ("g_loss", "returned generator losses (computed with the already updated "
                           "discriminator)", 1e-5),
                ("G_end", "generator parameters after each call", 1e-4)]:
            expect_close(out[key], ref[key], f"{what}: {name}", rtol=tol, atol=1e-5,
                         mistakes={m: v[key] for m, v in variants.items()})


# The catalogue of known mistakes: exercise -> mistake id -> the misconception and the idea to
# revisit (never code). autograder/mistakes/ch06.py implements each one.
MISTAKES = {
    "ch06_reparameterize": {
        "scales_by_the_variance": "the noise is scaled by the variance sigma^2 = exp(log sigma^2) "
                                  "instead of the standard deviation sigma = exp(log sigma^2 / 2) "
                                  "(or log sigma^2 was read as log sigma): z = mu + sigma * xi needs "
                                  "the square root of the variance",
        "half_the_variance": "half the variance is not the standard deviation: sigma is the square "
                             "root of sigma^2, which the logarithm turns into half of log sigma^2 "
                             "inside the exponential",
        "ignores_the_given_noise": "fresh noise is drawn even when noise is passed in: the given xi "
                                   "must be used, so that the same noise gives the same z; draw "
                                   "your own only when none is given",
        "no_gradient_path": "the sample is cut off from mu and log sigma^2 (drawn by a sampling "
                            "function, detached, or computed without gradients): the point of "
                            "the trick is that z stays a differentiable function of both",
        "uniform_noise": "the default noise is uniform on [0, 1) instead of standard normal, so z "
                         "has the wrong mean and variance: xi must be drawn from N(0, I)",
        "returns_the_mean": "z is the mean itself, without noise: the posterior mean is what one "
                            "decodes at test time, but the training loss needs a sample "
                            "mu + sigma * xi",
    },
    "ch06_gaussian_kl": {
        "missing_one_half": "twice the KL: each latent dimension contributes "
                            "(1/2)(mu^2 + sigma^2 - 1 - log sigma^2), factor one half included",
        "plus_log_variance": "the log-variance enters with the wrong sign: the term -log sigma^2 "
                             "is what makes a very narrow q expensive",
        "mean_over_latent_dims": "averaged over the latent dimensions: the KL of a diagonal "
                                 "Gaussian is the SUM of one-dimensional KLs, since independent "
                                 "dimensions add",
        "sums_over_the_batch": "reduced over the first (batch) axis instead of the last (latent) "
                               "axis: each example gets its own KL, summed over its latent "
                               "dimensions",
        "not_summed": "one value per latent dimension: the KL of the whole code is their sum over "
                      "the last axis",
        "reversed_kl": "this is KL(N(0, I) || q), not KL(q || N(0, I)): the KL divergence is not "
                       "symmetric, and the ELBO has q first",
    },
    "ch06_vae_loss": {
        "mean_over_pixels": "the cross-entropy is averaged over pixels (the default reduction): "
                            "an image's reconstruction term is the SUM over its pixels, and "
                            "divided by their number it is swamped by the KL term",
        "sums_over_the_batch": "summed over the batch instead of averaged (as some published code "
                               "does): this exercise grades the batch mean, which keeps the "
                               "loss's scale independent of the batch size",
        "ignores_beta": "beta is ignored: the KL term must be multiplied by beta_KL",
        "beta_on_reconstruction": "beta weighs the reconstruction instead of the KL term: "
                                  "beta_KL multiplies the KL",
        "kl_averaged_over_latent_dims": "the KL term is averaged over latent dimensions: it is the "
                                        "sum of the one-dimensional KLs",
        "subtracts_the_kl": "the KL term is subtracted: the loss is the NEGATIVE ELBO, "
                            "-(E[log p(x|z)] - KL) = reconstruction + KL",
        "bce_on_probabilities": "the cross-entropy is computed from sigmoid probabilities: for "
                                "large logits the sigmoid rounds to 0 or 1 and the logarithm "
                                "breaks down; the version that takes logits is exact",
        "swapped_arguments": "prediction and target are swapped in the cross-entropy: the first "
                             "argument is the decoder's logits, the second the images",
    },
    "ch06_gan_losses": {
        "swapped_labels": "the labels are swapped: D(x) is the probability that x is REAL, so real "
                          "samples get label 1 and generated ones label 0",
        "one_mean_over_both_batches": "one mean over the real and generated logits together: L_D "
                                      "is the SUM of two means; a joint mean is half of it for "
                                      "equal batches and weighs the batches unequally otherwise",
        "sums_over_the_batch": "summed over the batch instead of averaged: each term is a mean "
                               "over its batch",
        "log_of_sigmoid": "the logarithm of a sigmoid is taken directly: for large logits the "
                          "sigmoid underflows to 0 or rounds to 1 and the log becomes infinite; "
                          "rewrite log sigma(a) and log(1 - sigma(a)) with softplus",
        "saturating_generator_loss": "the generator minimises the saturating loss "
                                     "log(1 - D(G(z))), which has almost no gradient while D "
                                     "rejects the samples: minimise -log D(G(z)) instead",
        "generator_uses_discriminator_labels": "the generator's samples get label 0, as in the "
                                               "discriminator's loss: the generator wants D to "
                                               "call them real, label 1",
    },
    "ch06_gan_step": {
        "steps_both_in_generator_phase": "the discriminator's optimizer steps again in the "
                                         "generator phase: the generator's loss would train D to "
                                         "be fooled; only G may move there",
        "stale_discriminator_gradients": "D's gradients are not cleared before its update: what "
                                         "the previous generator phase left in D's .grad is added "
                                         "to the new gradients",
        "generator_scored_by_old_discriminator": "the generator's loss uses the discriminator "
                                                 "from before its update: score G(z) after "
                                                 "opt_D.step()",
        "generator_first": "the generator is updated first: this exercise updates the "
                           "discriminator first, then the generator against the updated "
                           "discriminator",
        "no_detach_in_discriminator_phase": "the generated batch is not detached in the "
                                            "discriminator phase: D's loss sends gradients into "
                                            "G, which pile up in G's .grad and move G at its "
                                            "next step",
        "detached_in_generator_phase": "the generator phase scores a detached batch: no gradient "
                                       "reaches G, so its step does nothing; detach only in the "
                                       "discriminator phase",
        "saturating_generator_loss": "the generator minimises the saturating loss "
                                     "log(1 - D(G(z))) (label 0 with a minus sign): use the "
                                     "non-saturating loss, the cross-entropy with label 1",
        "one_mean_over_both_batches": "one mean over the real and generated logits together: "
                                      "L_D is the sum of the two means (a joint mean halves it)",
    },
}
