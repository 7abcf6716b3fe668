"""Correct alternative solutions of Chapter 6 (see tests/alternatives/__init__.py)."""

ALTERNATIVES: list[tuple[str, str, str]] = [
    ("ch06_reparameterize", "standard deviation as the square root of exp(logvar), noise second", '''
def reparameterize(mu, logvar, noise=None):
    noise = torch.randn_like(mu) if noise is None else noise
    return noise * torch.sqrt(torch.exp(logvar)) + mu
'''),
    ("ch06_reparameterize", "PyTorch's Normal.rsample when no noise is given", '''
def reparameterize(mu, logvar, noise=None):
    std = logvar.mul(0.5).exp()
    if noise is None:
        return torch.distributions.Normal(mu, std).rsample()
    return torch.addcmul(mu, std, noise)
'''),
    ("ch06_gaussian_kl", "the form of Kingma and Welling's appendix, -1/2 sum(1 + log s2 - mu^2 - s2)", '''
def gaussian_kl(mu, logvar):
    return -0.5 * torch.sum(1 + logvar - mu ** 2 - torch.exp(logvar), dim=-1)
'''),
    ("ch06_gaussian_kl", "torch.distributions.kl_divergence summed over the last axis", '''
def gaussian_kl(mu, logvar):
    q = torch.distributions.Normal(mu, torch.exp(0.5 * logvar))
    p = torch.distributions.Normal(torch.zeros_like(mu), torch.ones_like(mu))
    return torch.distributions.kl_divergence(q, p).sum(-1)
'''),
    ("ch06_vae_loss", "per-image sums, then means over the batch", '''
def vae_loss(x_logits, x, mu, logvar, beta=1.0):
    per_pixel = F.binary_cross_entropy_with_logits(x_logits, x, reduction="none")
    rec = per_pixel.flatten(1).sum(1)
    kl = -0.5 * (1 + logvar - mu ** 2 - logvar.exp()).sum(1)
    return (rec + beta * kl).mean()
'''),
    ("ch06_vae_loss", "cross-entropy written with softplus: max(a, 0) - a x + log(1 + exp(-|a|))", '''
def vae_loss(x_logits, x, mu, logvar, beta=1.0):
    n = x.shape[0]
    rec = (F.softplus(x_logits) - x_logits * x).sum() / n
    kl = 0.5 * (mu.pow(2) + logvar.exp() - logvar - 1).sum() / n
    return rec + beta * kl
'''),
    ("ch06_gan_losses", "binary cross-entropy with logits and explicit labels", '''
def discriminator_loss(real_logits, fake_logits):
    bce = F.binary_cross_entropy_with_logits
    return (bce(real_logits, torch.ones_like(real_logits))
            + bce(fake_logits, torch.zeros_like(fake_logits)))


def generator_loss(fake_logits):
    return F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits))
'''),
    ("ch06_gan_losses", "log-sigmoids, with 1 - sigmoid(a) = sigmoid(-a)", '''
def discriminator_loss(real_logits, fake_logits):
    return -F.logsigmoid(real_logits).mean() - F.logsigmoid(-fake_logits).mean()


def generator_loss(fake_logits):
    return -torch.mean(F.logsigmoid(fake_logits))
'''),
    ("ch06_gan_step", "fake batch generated under no_grad, gradients set to None, one D pass", '''
def gan_step(G, D, opt_G, opt_D, x_real, z):
    bce = F.binary_cross_entropy_with_logits
    with torch.no_grad():
        fake = G(z)
    logits = D(torch.cat([x_real, fake]))
    n = len(x_real)
    d_loss = (bce(logits[:n], torch.ones_like(logits[:n]))
              + bce(logits[n:], torch.zeros_like(logits[n:])))
    opt_D.zero_grad(set_to_none=True)
    d_loss.backward()
    opt_D.step()
    scores = D(G(z))
    g_loss = bce(scores, torch.ones_like(scores))
    opt_G.zero_grad(set_to_none=True)
    g_loss.backward()
    opt_G.step()
    return float(d_loss.detach()), float(g_loss.detach())
'''),
]
