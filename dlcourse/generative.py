"""Generative models (introduced in Chapter 6): autoencoders, VAEs, GANs, toy data, judges.

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

class StackedLinear(nn.Module):
    """``k`` independent ``nn.Linear(n_in, n_out)`` layers applied side by side.

    Input (k, B, n_in), output (k, B, n_out): member i multiplies its own slice of the
    batch by its own weight. For small networks one batched matrix product for k models
    costs much less than k separate ones: the per-operation overhead is paid once.
    Initialised like ``nn.Linear`` (uniform in +-1/sqrt(n_in)).
    """

    def __init__(self, k: int, n_in: int, n_out: int):
        super().__init__()
        bound = 1 / math.sqrt(n_in)
        self.weight = nn.Parameter(torch.empty(k, n_in, n_out).uniform_(-bound, bound))
        self.bias = nn.Parameter(torch.empty(k, 1, n_out).uniform_(-bound, bound))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.baddbmm(self.bias, x, self.weight)

    def member(self, i: int) -> nn.Linear:
        """Member i as an ordinary ``nn.Linear`` (which stores the transposed weight)."""
        n_in, n_out = self.weight.shape[1:]
        layer = nn.Linear(n_in, n_out)
        with torch.no_grad():
            layer.weight.copy_(self.weight[i].T)
            layer.bias.copy_(self.bias[i, 0])
        return layer


def stacked_mlp(k: int, sizes: list[int], act: type[nn.Module] = nn.ReLU) -> nn.Sequential:
    """``k`` multilayer perceptrons like :func:`mlp`, trained side by side (:class:`StackedLinear`)."""
    layers: list[nn.Module] = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        if i:
            layers.append(act())
        layers.append(StackedLinear(k, n_in, n_out))
    return nn.Sequential(*layers)


def unstack(stacked: nn.Sequential, i: int) -> nn.Sequential:
    """Member i of a :func:`stacked_mlp` as the equivalent :func:`mlp` (same layers, plain Linear).

    Activations are rebuilt from their class, so they must take no arguments (as ReLU).
    """
    return nn.Sequential(*[m.member(i) if isinstance(m, StackedLinear) else type(m)()
                           for m in stacked])


class VAE(nn.Module):
    """A multilayer-perceptron variational autoencoder for flat images in [0, 1].

    The encoder maps x (B, in_dim) to the mean and log-variance (B, latent_dim) of
    q(z | x); the decoder maps z (B, latent_dim) to one logit per pixel (B, in_dim),
    scored with the binary cross-entropy. With ``noise=False`` the code is the mean
    itself and the log-variance is unused: a plain (deterministic) autoencoder.
    """

    def __init__(self, in_dim: int = 64, hidden: int = 128, latent_dim: int = 2,
                 noise: bool = True):
        super().__init__()
        self.latent_dim = latent_dim
        self.noise = noise
        self.encoder = mlp([in_dim, hidden, hidden, 2 * latent_dim])
        self.decoder = mlp([latent_dim, hidden, hidden, in_dim])

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(B, in_dim) -> mean and log-variance, each (B, latent_dim)."""
        return self.encoder(x).chunk(2, dim=-1)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """(B, latent_dim) -> pixel logits (B, in_dim); ``torch.sigmoid`` gives the image."""
        return self.decoder(z)

    def forward(self, x: torch.Tensor):
        """Encode, draw z with a reparameterized sample (``rsample``), decode.

        Returns the pixel logits (B, in_dim), the mean and the log-variance (B, latent_dim).
        """
        mu, logvar = self.encode(x)
        z = Normal(mu, torch.exp(logvar / 2)).rsample() if self.noise else mu
        return self.decode(z), mu, logvar


def vae_terms(logits: torch.Tensor, x: torch.Tensor, mu: torch.Tensor,
              logvar: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-sample reconstruction loss and KL term, each of shape (..., B).

    Reconstruction: binary cross-entropy of the pixel logits against x, summed over
    pixels (the last axis). KL: ``torch.distributions.kl_divergence`` of q(z|x) from
    N(0, I), summed over latent dimensions (the last axis).
    """
    rec = F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(-1)
    prior = Normal(torch.zeros_like(mu), torch.ones_like(mu))
    kl = kl_divergence(Normal(mu, torch.exp(logvar / 2)), prior).sum(-1)
    return rec, kl


def train_vaes(X: torch.Tensor, betas: list[float], device, noise: list[bool] | None = None,
               epochs: int = 100, hidden: int = 128, latent_dim: int = 2, batch_size: int = 128,
               lr: float = 2e-3, seed: int = 0, progress: bool = True) -> tuple[list[VAE], dict]:
    """Train one VAE per entry of ``betas`` on the rows of X (N, in_dim), side by side.

    Member i minimises the batch mean of reconstruction + betas[i] * KL; with
    ``noise[i] = False`` (and beta 0) it is a plain autoencoder. The members share
    only the order of the minibatches: each has its own weights, and Adam's update is
    element-wise, so training them together gives what k separate runs would.
    Returns the trained models as :class:`VAE` (eval mode, on ``device``) and the
    history: ``recon`` and ``kl``, each a (epochs, k) tensor of per-epoch training means.
    """
    k = len(betas)
    noise = [True] * k if noise is None else list(noise)
    torch.manual_seed(seed)
    encoder = stacked_mlp(k, [X.shape[1], hidden, hidden, 2 * latent_dim]).to(device)
    decoder = stacked_mlp(k, [latent_dim, hidden, hidden, X.shape[1]]).to(device)
    params = [*encoder.parameters(), *decoder.parameters()]
    opt = torch.optim.Adam(params, lr=lr)
    beta = torch.tensor(betas, dtype=torch.float32, device=device)[:, None]
    noise_on = torch.tensor(noise, device=device)[:, None, None]
    X = X.to(device)
    gen = torch.Generator().manual_seed(seed)
    history = {"recon": torch.zeros(epochs, k), "kl": torch.zeros(epochs, k)}
    bar = tqdm(range(epochs), desc=f"training {k} models", disable=not progress, leave=False)
    for epoch in bar:
        sums = torch.zeros(2, k, device=device)   # summed over the epoch's images, per member
        for idx in torch.randperm(len(X), generator=gen).split(batch_size):
            xb = X[idx.to(device)].expand(k, -1, -1)
            mu, logvar = encoder(xb).chunk(2, dim=-1)
            z = torch.where(noise_on, Normal(mu, torch.exp(logvar / 2)).rsample(), mu)
            rec, kl = vae_terms(decoder(z), xb, mu, logvar)
            # one loss per member, summed: each member's gradient is that of its own loss
            loss = (rec + beta * kl).mean(-1).sum()
            opt.zero_grad()
            loss.backward()
            opt.step()
            sums += torch.stack([rec.detach().sum(-1), kl.detach().sum(-1)])
        history["recon"][epoch], history["kl"][epoch] = (sums / len(X)).cpu()
        bar.set_postfix(recon=f"{history['recon'][epoch].min():.1f}")
    models = []
    for i in range(k):
        model = VAE(X.shape[1], hidden, latent_dim, noise=noise[i])
        model.encoder, model.decoder = unstack(encoder, i), unstack(decoder, i)
        models.append(model.to(device).eval())
    return models, history


@torch.no_grad()
def decode_images(model: VAE, z: torch.Tensor, device) -> torch.Tensor:
    """Decode codes z (n, latent_dim); returns images (n, in_dim) in [0, 1], on the CPU."""
    return torch.sigmoid(model.decode(z.to(device))).cpu()


def prior_draws(n: int, latent_dim: int, seed: int = 0) -> torch.Tensor:
    """n codes drawn from the prior N(0, I), shape (n, latent_dim)."""
    return torch.randn(n, latent_dim, generator=torch.Generator().manual_seed(seed))


def fitted_gaussian_draws(codes: torch.Tensor, n: int, seed: int = 0) -> torch.Tensor:
    """n draws from the Gaussian with the mean and covariance of ``codes`` (N, k).

    What one can do for a plain autoencoder, whose codes follow no distribution fixed in
    advance: fit one to them after training ("ex-post density estimation").
    """
    codes = codes.detach().cpu().double()
    scale = torch.linalg.cholesky(torch.cov(codes.T))
    white = prior_draws(n, codes.shape[1], seed).double()
    return (codes.mean(0) + white @ scale.T).float()


def vae_samples(model: VAE, n: int, device, seed: int = 0) -> torch.Tensor:
    """Decode n draws from the prior N(0, I); returns images (n, in_dim) in [0, 1]."""
    return decode_images(model, prior_draws(n, model.latent_dim, seed), device)


@torch.no_grad()
def latent_means(model: VAE, X: torch.Tensor, device) -> torch.Tensor:
    """The posterior means (the codes, for a plain autoencoder) of the rows of X, on the CPU."""
    return model.encode(X.to(device))[0].cpu()


def vae_reconstruct(model: VAE, x: torch.Tensor, device) -> torch.Tensor:
    """Decode the posterior means of x (N, in_dim); returns images (N, in_dim) in [0, 1]."""
    return decode_images(model, latent_means(model, x, device), device)


@torch.no_grad()
def vae_interpolate(model: VAE, x_a: torch.Tensor, x_b: torch.Tensor, steps: int,
                    device) -> torch.Tensor:
    """Images decoded along the straight line between the posterior means of two inputs.

    x_a, x_b: (in_dim,). Returns (steps, in_dim) in [0, 1], from x_a's code to x_b's.
    """
    mu = latent_means(model, torch.stack([x_a, x_b]), device)
    t = torch.linspace(0, 1, steps)[:, None]
    return decode_images(model, (1 - t) * mu[0] + t * mu[1], device)


@torch.no_grad()
def vae_test_terms(model: VAE, X: torch.Tensor, device) -> tuple[torch.Tensor, torch.Tensor]:
    """Reconstruction term and KL term (nats) of a VAE on each row of X, each of shape (N,).

    The reconstruction decodes the posterior mean, so the figures do not depend on a draw.
    """
    X = X.to(device)
    mu, logvar = model.encode(X)
    rec, kl = vae_terms(model.decode(mu), X, mu, logvar)
    return rec.cpu(), kl.cpu()


def reconstruction_floor(X: torch.Tensor) -> float:
    """The smallest mean value the pixel-summed binary cross-entropy can take on the rows of X.

    BCE(a, x) is smallest when sigmoid(a) = x, where it equals the binary entropy
    H(x) = -x log x - (1 - x) log(1 - x): zero only for black or white pixels.
    """
    x = X.double()
    entropy = -(torch.special.xlogy(x, x) + torch.special.xlogy(1 - x, 1 - x))
    return entropy.sum(1).mean().item()


def mean_image_reconstruction(X_train: torch.Tensor, X: torch.Tensor) -> float:
    """Mean pixel-summed binary cross-entropy of the rows of X against the average training image.

    The best a decoder that ignores its code can do on the training set: it must output
    the same image for every input, and the per-pixel mean minimises the cross-entropy.
    """
    mean = X_train.double().mean(0).clamp(1e-12, 1 - 1e-12).expand(len(X), -1)
    return F.binary_cross_entropy(mean, X.double(), reduction="sum").item() / len(X)


def rms_radius(codes: torch.Tensor) -> float:
    """Root-mean-square distance of the codes (N, k) from the origin."""
    return codes.pow(2).sum(1).mean().sqrt().item()


def plot_codes(ax, codes: torch.Tensor, labels: torch.Tensor, title: str, circles=(1.0, 2.0)):
    """Scatter 2-D codes coloured by class, with circles of the given radii around the origin."""
    import matplotlib.pyplot as plt

    for digit in range(10):
        pts = codes[labels == digit]
        ax.scatter(pts[:, 0], pts[:, 1], s=5, color=plt.cm.tab10(digit), label=str(digit))
    for r in circles:
        ax.add_patch(plt.Circle((0, 0), r, fill=False, ls="--", lw=1, color="k"))
    ax.set(title=title, xlabel="$z_1$", ylabel="$z_2$", aspect="equal")


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
    list with the number of samples near each mode), ``near_share`` (the share of
    samples near some mode: the rest are off the data) and ``spread`` (the root-mean-square
    distance of the samples from their own mean: about the ring's radius for samples spread
    over the ring, near 0 for a collapsed generator).
    """
    samples = samples.detach().cpu()
    dist = torch.cdist(samples, centres.cpu())
    nearest = dist.argmin(1)
    near = dist.min(1).values <= n_std * std
    counts = torch.bincount(nearest[near], minlength=len(centres))
    covered = int((counts >= min_share * len(samples)).sum())
    return {"covered": covered, "counts": counts.tolist(),
            "near_share": float(near.float().mean()),
            "spread": rms_radius(samples - samples.mean(0))}


def train_gan(G: nn.Module, D: nn.Module, real: torch.Tensor, z_dim: int, steps: int, device,
              batch_size: int = 128, lr: float = 1e-3, g_lr: float | None = None,
              betas=(0.5, 0.999), seed: int = 0, snapshot_every: int = 0,
              n_snapshot: int = 512, progress: bool = True,
              desc: str = "training the GAN") -> dict:
    """Alternating GAN training with the non-saturating generator loss (Adam for both nets).

    real: the training data (N, dim); each step draws a minibatch of it. ``lr`` is the
    discriminator's learning rate, ``g_lr`` the generator's (default: ``lr``). D's loss is
    L_D of Exercise 6.4: the mean cross-entropy over the real half plus the mean over the
    generated half. Both halves go through D in one forward pass; a single mean over the
    stacked batch would be half of L_D. Returns a dict with per-step ``d_loss`` and
    ``g_loss`` lists and, when ``snapshot_every`` is positive, ``snapshots``: {step: G's
    output on a fixed batch of n_snapshot codes} at step 1 and every ``snapshot_every`` steps.
    """
    G.to(device)
    D.to(device)
    real = real.to(device)
    gen = torch.Generator().manual_seed(seed)
    fixed_z = torch.randn(n_snapshot, z_dim, generator=gen).to(device)
    # fused: the whole Adam update in one kernel, which matters for small networks
    fused = {"fused": True} if torch.device(device).type in ("cpu", "cuda") else {}
    opt_g = torch.optim.Adam(G.parameters(), lr=lr if g_lr is None else g_lr, betas=betas, **fused)
    opt_d = torch.optim.Adam(D.parameters(), lr=lr, betas=betas, **fused)
    ones = torch.ones(batch_size, device=device)
    zeros = torch.zeros(batch_size, device=device)
    cross_entropy = F.binary_cross_entropy_with_logits
    out = {"d_loss": [], "g_loss": [], "snapshots": {}}
    bar = tqdm(range(1, steps + 1), desc=desc, disable=not progress, leave=False)
    for step in bar:
        xb = real[torch.randint(0, len(real), (batch_size,), generator=gen).to(device)]
        z = torch.randn(batch_size, z_dim, generator=gen).to(device)
        # discriminator: real -> label 1, generated -> label 0; G's output is a constant here
        with torch.no_grad():
            fake = G(z)
        logits = D(torch.cat([xb, fake])).squeeze(-1)
        loss_d = (cross_entropy(logits[:batch_size], ones)
                  + cross_entropy(logits[batch_size:], zeros))
        opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        opt_d.step()
        # generator: make the updated discriminator call its samples real
        loss_g = cross_entropy(D(G(z)).squeeze(-1), ones)
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


def nearest_neighbours(samples: torch.Tensor, reference: torch.Tensor) -> tuple[torch.Tensor,
                                                                                  torch.Tensor]:
    """For each row of ``samples`` (n, d): the Euclidean distance to the nearest row of
    ``reference`` (m, d) and that row's index, each of shape (n,)."""
    dist = torch.cdist(samples.double(), reference.double())
    best = dist.min(1)
    return best.values.float(), best.indices


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

VAE_BETAS = (0.25, 0.5, 1.0, 2.0, 4.0)   # the chapter's sweep of the KL weight
RING_STD = 0.05        # standard deviation of each mode of the ring mixture
RING_LR = 2e-3         # learning rate of both ring GAN players in the balanced run
DIGIT_Z_DIM = 16       # latent size of the digits GAN


def run_vae_demo(split, device, progress: bool = True, seed: int = 0, epochs: int = 120):
    """The chapter's latent-variable models, trained side by side on the training digits.

    A plain autoencoder and one VAE per beta in ``VAE_BETAS``, all with a 64-128-128-(2+2)
    encoder, a 2-D code and the mirror-image decoder, ``epochs`` of Adam (lr 2e-3,
    batches of 128). Returns the autoencoder, a dict {beta: VAE} and the history of
    :func:`train_vaes` (column 0: the autoencoder; then the betas in order).
    """
    models, history = train_vaes(split.X_train, [0.0, *VAE_BETAS], device,
                                 noise=[False] + [True] * len(VAE_BETAS), epochs=epochs,
                                 seed=seed, progress=progress)
    return models[0], dict(zip(VAE_BETAS, models[1:])), history


def ring_gan_nets(hidden: int = 64, z_dim: int = 2):
    """Generator 2 -> 64 -> 64 -> 2 (ReLU) and discriminator 2 -> 64 -> 64 -> 1 (LeakyReLU)."""
    G = mlp([z_dim, hidden, hidden, 2])
    D = mlp([2, hidden, hidden, 1], act=lambda: nn.LeakyReLU(0.2))
    return G, D


def run_ring_gan_demo(device, d_lr: float = RING_LR, progress: bool = True, seed: int = 0,
                      steps: int = 1200):
    """The chapter's 2-D GAN: 4,000 points from 8 modes, ``steps`` steps with batches of 256.

    Both players use Adam with learning rate ``RING_LR``, except that the discriminator's is
    ``d_lr``. Returns the output of :func:`train_gan` (snapshots of 512 points every 50
    steps), the data and the mode centres.
    """
    torch.manual_seed(seed)
    X, centres = make_ring_mixture(4000, n_modes=8, radius=2.0, std=RING_STD, seed=seed)
    G, D = ring_gan_nets()
    out = train_gan(G, D, X, 2, steps, device, batch_size=256, lr=d_lr, g_lr=RING_LR,
                    seed=seed, snapshot_every=50, n_snapshot=512, progress=progress,
                    desc="training a 2-D GAN")
    return out, X, centres


def coverage_curve(out: dict, centres: torch.Tensor) -> dict:
    """:func:`mode_coverage` of every snapshot of a :func:`train_gan` run, as lists over steps."""
    steps = sorted(out["snapshots"])
    covs = [mode_coverage(out["snapshots"][s], centres, RING_STD) for s in steps]
    return {"step": steps, "covered": [c["covered"] for c in covs],
            "spread": [c["spread"] for c in covs]}


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
