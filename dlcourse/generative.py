"""Generative models for Chapter 6: a small VAE, a small GAN, toy data and sample judges.

Everything here is deliberately small (multilayer perceptrons on 8x8 digits and
on 2-D points) so that the chapter trains its models in seconds on a CPU. The
demos use PyTorch's own distributions and losses, never the chapter's exercises.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn
from torch.distributions import Normal, kl_divergence
from tqdm.auto import tqdm

from dlcourse.train import fit


def mlp(sizes: list[int], act: type[nn.Module] = nn.ReLU) -> nn.Sequential:
    """A multilayer perceptron: Linear layers of the given widths, ``act`` between them.

    ``mlp([64, 128, 2])`` is Linear(64, 128) -> act -> Linear(128, 2); no activation
    follows the last layer.
    """
    layers: list[nn.Module] = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        if i:
            layers.append(act())
        layers.append(nn.Linear(n_in, n_out))
    return nn.Sequential(*layers)


# --------------------------------------------------------------------------- VAE

class VAE(nn.Module):
    """A multilayer-perceptron variational autoencoder for flat images in [0, 1].

    The encoder maps x (N, in_dim) to the mean and log-variance (N, latent_dim) of
    q(z | x); the decoder maps z (N, latent_dim) to one logit per pixel (N, in_dim),
    the parameters of independent Bernoulli-style pixel likelihoods.
    """

    def __init__(self, in_dim: int = 64, hidden: int = 256, latent_dim: int = 2):
        super().__init__()
        self.latent_dim = latent_dim
        self.encoder = mlp([in_dim, hidden, hidden, 2 * latent_dim])
        self.decoder = mlp([latent_dim, hidden, hidden, in_dim])

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(N, in_dim) -> mean and log-variance, each (N, latent_dim)."""
        return self.encoder(x).chunk(2, dim=-1)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """(N, latent_dim) -> pixel logits (N, in_dim); ``torch.sigmoid`` gives the image."""
        return self.decoder(z)

    def forward(self, x: torch.Tensor):
        """Encode, draw z with a reparameterized sample (``rsample``), decode.

        Returns the pixel logits (N, in_dim), the mean and the log-variance (N, latent_dim).
        """
        mu, logvar = self.encode(x)
        z = Normal(mu, torch.exp(logvar / 2)).rsample()
        return self.decode(z), mu, logvar


def vae_terms(logits: torch.Tensor, x: torch.Tensor, mu: torch.Tensor,
              logvar: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-sample reconstruction loss and KL term, each of shape (N,).

    Reconstruction: binary cross-entropy of the pixel logits against x, summed over
    pixels. KL: ``torch.distributions.kl_divergence`` of q(z|x) from N(0, I), summed
    over latent dimensions.
    """
    rec = F.binary_cross_entropy_with_logits(logits, x, reduction="none").flatten(1).sum(1)
    prior = Normal(torch.zeros_like(mu), torch.ones_like(mu))
    kl = kl_divergence(Normal(mu, torch.exp(logvar / 2)), prior).sum(1)
    return rec, kl


def train_vae(model: VAE, X: torch.Tensor, epochs: int, device, batch_size: int = 128,
              lr: float = 2e-3, beta: float = 1.0, seed: int = 0, progress: bool = True) -> dict:
    """Train ``model`` on the rows of X (N, in_dim) with Adam; return per-epoch means.

    The history holds ``loss`` (reconstruction + beta * KL), ``recon`` and ``kl``,
    each averaged over the samples of the epoch.
    """
    model.to(device)
    X = X.to(device)
    gen = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    history = {"loss": [], "recon": [], "kl": []}
    bar = tqdm(range(epochs), desc="training the VAE", disable=not progress, leave=False)
    for _ in bar:
        model.train()
        sums = torch.zeros(2)
        for idx in torch.randperm(len(X), generator=gen).split(batch_size):
            xb = X[idx.to(device)]
            logits, mu, logvar = model(xb)
            rec, kl = vae_terms(logits, xb, mu, logvar)
            loss = (rec + beta * kl).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            sums += torch.stack([rec.sum(), kl.sum()]).detach().cpu()
        rec_m, kl_m = (sums / len(X)).tolist()
        history["recon"].append(rec_m)
        history["kl"].append(kl_m)
        history["loss"].append(rec_m + beta * kl_m)
        bar.set_postfix(recon=f"{rec_m:.1f}", kl=f"{kl_m:.2f}")
    model.eval()
    return history


@torch.no_grad()
def vae_samples(model: VAE, n: int, device, seed: int = 0) -> torch.Tensor:
    """Decode n draws from the prior N(0, I); returns images (n, in_dim) in [0, 1]."""
    z = torch.randn(n, model.latent_dim, generator=torch.Generator().manual_seed(seed))
    return torch.sigmoid(model.decode(z.to(device))).cpu()


@torch.no_grad()
def vae_reconstruct(model: VAE, x: torch.Tensor, device) -> torch.Tensor:
    """Decode the posterior means of x (N, in_dim); returns images (N, in_dim) in [0, 1]."""
    mu, _ = model.encode(x.to(device))
    return torch.sigmoid(model.decode(mu)).cpu()


@torch.no_grad()
def vae_interpolate(model: VAE, x_a: torch.Tensor, x_b: torch.Tensor, steps: int,
                    device) -> torch.Tensor:
    """Images decoded along the straight line between the posterior means of two inputs.

    x_a, x_b: (in_dim,). Returns (steps, in_dim) in [0, 1], from x_a's code to x_b's.
    """
    mu, _ = model.encode(torch.stack([x_a, x_b]).to(device))
    t = torch.linspace(0, 1, steps, device=device)[:, None]
    return torch.sigmoid(model.decode((1 - t) * mu[0] + t * mu[1])).cpu()


# --------------------------------------------------------------------------- GAN

def make_ring_mixture(n: int, n_modes: int = 8, radius: float = 2.0, std: float = 0.05,
                      seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """n points from an equal mixture of Gaussians centred on a circle.

    Returns the points (n, 2) and the mode centres (n_modes, 2).
    """
    gen = torch.Generator().manual_seed(seed)
    angles = 2 * math.pi * torch.arange(n_modes) / n_modes
    centres = radius * torch.stack([angles.cos(), angles.sin()], dim=1)
    which = torch.randint(0, n_modes, (n,), generator=gen)
    return centres[which] + std * torch.randn(n, 2, generator=gen), centres


def mode_coverage(samples: torch.Tensor, centres: torch.Tensor, std: float,
                  n_std: float = 3.0, min_share: float = 0.02) -> dict:
    """How well 2-D samples cover the modes of a mixture.

    A sample is *near* a mode when it lies within ``n_std`` standard deviations of its
    centre. A mode counts as covered when at least ``min_share`` of the samples are
    near it (a fair share is 1 / n_modes). Returns ``covered`` (int), ``counts`` (a
    list with the number of samples near each mode) and ``near_share`` (the share of
    samples near some mode: the rest are off the data).
    """
    samples = samples.detach().cpu()
    dist = torch.cdist(samples, centres.cpu())
    nearest = dist.argmin(1)
    near = dist.min(1).values <= n_std * std
    counts = torch.bincount(nearest[near], minlength=len(centres))
    covered = int((counts >= min_share * len(samples)).sum())
    return {"covered": covered, "counts": counts.tolist(),
            "near_share": float(near.float().mean())}


def train_gan(G: nn.Module, D: nn.Module, real: torch.Tensor, z_dim: int, steps: int, device,
              batch_size: int = 128, lr: float = 1e-3, betas=(0.5, 0.999), seed: int = 0,
              snapshot_every: int = 0, n_snapshot: int = 512, progress: bool = True,
              desc: str = "training the GAN") -> dict:
    """Alternating GAN training with the non-saturating generator loss (Adam for both nets).

    real: the training data (N, dim); each step draws a minibatch of it. Returns a
    dict with per-step ``d_loss`` and ``g_loss`` lists and, when ``snapshot_every`` is
    positive, ``snapshots``: {step: G's output on a fixed batch of n_snapshot codes}.
    """
    G.to(device)
    D.to(device)
    real = real.to(device)
    gen = torch.Generator().manual_seed(seed)
    fixed_z = torch.randn(n_snapshot, z_dim, generator=gen).to(device)
    opt_g = torch.optim.Adam(G.parameters(), lr=lr, betas=betas)
    opt_d = torch.optim.Adam(D.parameters(), lr=lr, betas=betas)
    out = {"d_loss": [], "g_loss": [], "snapshots": {}}
    bar = tqdm(range(1, steps + 1), desc=desc, disable=not progress, leave=False)
    for step in bar:
        xb = real[torch.randint(0, len(real), (batch_size,), generator=gen).to(device)]
        z = torch.randn(batch_size, z_dim, generator=gen).to(device)
        # discriminator: real -> label 1, generated -> label 0, one BCE over both halves
        logits = D(torch.cat([xb, G(z).detach()])).squeeze(-1)
        labels = torch.cat([torch.ones(batch_size), torch.zeros(batch_size)]).to(device)
        loss_d = 2 * F.binary_cross_entropy_with_logits(logits, labels)
        opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        opt_d.step()
        # generator: make the updated discriminator call its samples real
        loss_g = F.softplus(-D(G(z)).squeeze(-1)).mean()
        opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        opt_g.step()
        out["d_loss"].append(loss_d.item())
        out["g_loss"].append(loss_g.item())
        if snapshot_every and (step % snapshot_every == 0 or step == 1):
            with torch.no_grad():
                out["snapshots"][step] = G(fixed_z).cpu()
    for net in (G, D):
        net.eval()
    return out


# --------------------------------------------------------------------------- judging samples

def non_digits(X: torch.Tensor, seed: int = 0) -> torch.Tensor:
    """Images that are not digits, as many as rows of X (N, 64): half uniform noise,
    half real digits with their pixels shuffled (same ink, no shape)."""
    gen = torch.Generator().manual_seed(seed)
    n = len(X)
    noise = torch.rand(n // 2, X.shape[1], generator=gen)
    rows = X[: n - n // 2]
    perm = torch.rand(rows.shape, generator=gen).argsort(dim=1)
    return torch.cat([noise, rows.gather(1, perm)])


def train_digit_classifier(split, device, epochs: int = 20, seed: int = 0,
                           progress: bool = True) -> nn.Module:
    """An MLP judge of flat 8x8 digits in [0, 1], trained with ``dlcourse.train.fit``.

    Besides the real training digits (one-hot targets) it sees as many non-digits
    (:func:`non_digits`) with the uniform distribution over the 10 classes as target
    ("outlier exposure"), so that it is unsure, not confidently wrong, on noise.
    """
    torch.manual_seed(seed)
    X, y = split.X_train, split.y_train
    junk = non_digits(X, seed)
    inputs = torch.cat([X, junk])
    targets = torch.cat([F.one_hot(y, 10).float(), torch.full((len(junk), 10), 0.1)])
    loader = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(inputs, targets), batch_size=128, shuffle=True,
        generator=torch.Generator().manual_seed(seed))
    _, val_loader, _ = split.loaders(seed=seed)
    net = mlp([64, 128, 10]).to(device)
    fit(net, loader, F.cross_entropy, torch.optim.Adam(net.parameters(), lr=3e-3),
        epochs, device, val_loader=val_loader, progress=progress, desc="training the judge")
    net.eval()
    return net


@torch.no_grad()
def judge_samples(classifier: nn.Module, images: torch.Tensor, threshold: float = 0.9,
                  min_share: float = 0.02) -> dict:
    """Score generated digits with a classifier trained on real ones.

    images: (N, 64) in [0, 1]. A sample is *confident* when the classifier's top
    softmax probability is at least ``threshold``; a class is *covered* when at least
    ``min_share`` of all samples are confident predictions of it. Returns
    ``confident_share`` (float), ``classes_covered`` (int) and ``counts`` (confident
    predictions per class, a list of 10 ints).
    """
    device = next(classifier.parameters()).device
    probs = torch.softmax(classifier(images.flatten(1).to(device)), dim=1).cpu()
    top, label = probs.max(1)
    confident = top >= threshold
    counts = torch.bincount(label[confident], minlength=probs.shape[1])
    return {"confident_share": float(confident.float().mean()),
            "classes_covered": int((counts >= min_share * len(images)).sum()),
            "counts": counts.tolist()}


# --------------------------------------------------------------------------- the chapter's demos
# One function per demo, so that the notebook and tests/test_lib_generative.py train exactly
# the same models with the same settings.

RING_STD = 0.05        # standard deviation of each mode of the ring mixture
DIGIT_Z_DIM = 16       # latent size of the digits GAN


def run_vae_demo(split, device, progress: bool = True, seed: int = 0):
    """The chapter's VAE: 64-128-128-(2+2) encoder, 2-D latent space, 200 epochs of Adam.

    Returns the trained model (in eval mode) and its history (see :func:`train_vae`).
    """
    torch.manual_seed(seed)
    model = VAE(in_dim=64, hidden=128, latent_dim=2)
    history = train_vae(model, split.X_train, epochs=200, device=device, batch_size=128,
                        lr=2e-3, seed=seed, progress=progress)
    return model, history


def ring_gan_nets(hidden: int = 64, z_dim: int = 2):
    """Generator 2 -> 64 -> 64 -> 2 (ReLU) and discriminator 2 -> 64 -> 64 -> 1 (LeakyReLU)."""
    G = mlp([z_dim, hidden, hidden, 2])
    D = mlp([2, hidden, hidden, 1], act=lambda: nn.LeakyReLU(0.2))
    return G, D


def run_ring_gan_demo(device, progress: bool = True, seed: int = 0, steps: int = 2000):
    """The chapter's 2-D GAN: 4,000 points from 8 modes, 2,000 steps with batches of 256.

    Returns G, D, the output of :func:`train_gan` (snapshots every 500 steps), the data
    and the mode centres.
    """
    torch.manual_seed(seed)
    X, centres = make_ring_mixture(4000, n_modes=8, radius=2.0, std=RING_STD, seed=seed)
    G, D = ring_gan_nets()
    out = train_gan(G, D, X, 2, steps, device, batch_size=256, lr=1e-3, seed=seed,
                    snapshot_every=500, n_snapshot=512, progress=progress,
                    desc="training the 2-D GAN")
    return G, D, out, X, centres


def digit_gan_nets(z_dim: int = DIGIT_Z_DIM, hidden: int = 128):
    """Generator z -> 128 -> 128 -> 64 pixels in (0, 1); discriminator 64 -> 128 -> 128 -> 1."""
    G = nn.Sequential(mlp([z_dim, hidden, hidden, 64]), nn.Sigmoid())
    D = mlp([64, hidden, hidden, 1], act=lambda: nn.LeakyReLU(0.2))
    return G, D


def run_digits_gan_demo(split, device, progress: bool = True, seed: int = 0):
    """The chapter's digits GAN: 2,000 steps, batches of 128, Adam(2e-3, betas=(0.5, 0.999)).

    Returns G, D and the output of :func:`train_gan`, with 1,000 samples from a fixed
    set of codes every 500 steps.
    """
    torch.manual_seed(seed)
    G, D = digit_gan_nets()
    out = train_gan(G, D, split.X_train, DIGIT_Z_DIM, 2000, device, batch_size=128, lr=2e-3,
                    seed=seed, snapshot_every=500, n_snapshot=1000, progress=progress,
                    desc="training the digits GAN")
    return G, D, out
