"""Plausible wrong solutions for Chapter 6; the grader must take points off each."""

MISTAKES = [
    ("ch06_reparameterize", "uses the variance instead of the standard deviation", '''
def reparameterize(mu, logvar, eps=None):
    if eps is None:
        eps = torch.randn_like(mu)
    return mu + torch.exp(logvar) * eps
'''),
    ("ch06_reparameterize", "ignores the given noise and always draws its own", '''
def reparameterize(mu, logvar, eps=None):
    eps = torch.randn_like(mu)
    return mu + torch.exp(0.5 * logvar) * eps
'''),
    ("ch06_reparameterize", "samples with torch.normal, so no gradient reaches mu and logvar", '''
def reparameterize(mu, logvar, eps=None):
    std = torch.exp(0.5 * logvar)
    if eps is None:
        return torch.normal(mu, std)
    return (mu + std * eps).detach()
'''),
    ("ch06_reparameterize", "draws noise with torch.rand (uniform) when none is given", '''
def reparameterize(mu, logvar, eps=None):
    if eps is None:
        eps = torch.rand_like(mu)
    return mu + torch.exp(0.5 * logvar) * eps
'''),
    ("ch06_gaussian_kl", "forgets the factor 1/2", '''
def gaussian_kl(mu, logvar):
    return (mu ** 2 + logvar.exp() - 1 - logvar).sum(dim=-1)
'''),
    ("ch06_gaussian_kl", "wrong sign of the log-variance term", '''
def gaussian_kl(mu, logvar):
    return 0.5 * (mu ** 2 + logvar.exp() - 1 + logvar).sum(dim=-1)
'''),
    ("ch06_gaussian_kl", "averages over the latent dimensions instead of summing", '''
def gaussian_kl(mu, logvar):
    return 0.5 * (mu ** 2 + logvar.exp() - 1 - logvar).mean(dim=-1)
'''),
    ("ch06_gaussian_kl", "sums over the batch axis", '''
def gaussian_kl(mu, logvar):
    return 0.5 * (mu ** 2 + logvar.exp() - 1 - logvar).sum(dim=0)
'''),
    ("ch06_vae_loss", "averages the cross-entropy over pixels (the default reduction)", '''
def vae_loss(x_logits, x, mu, logvar, beta=1.0):
    rec = F.binary_cross_entropy_with_logits(x_logits, x)
    return rec + beta * 0.5 * (mu ** 2 + logvar.exp() - 1 - logvar).sum() / x.shape[0]
'''),
    ("ch06_vae_loss", "sums over the batch instead of averaging", '''
def vae_loss(x_logits, x, mu, logvar, beta=1.0):
    rec = F.binary_cross_entropy_with_logits(x_logits, x, reduction="sum")
    return rec + beta * 0.5 * (mu ** 2 + logvar.exp() - 1 - logvar).sum()
'''),
    ("ch06_vae_loss", "forgets beta", '''
def vae_loss(x_logits, x, mu, logvar, beta=1.0):
    n = x.shape[0]
    rec = F.binary_cross_entropy_with_logits(x_logits, x, reduction="sum") / n
    return rec + 0.5 * (mu ** 2 + logvar.exp() - 1 - logvar).sum() / n
'''),
    ("ch06_vae_loss", "applies sigmoid, then the unstable BCE on probabilities", '''
def vae_loss(x_logits, x, mu, logvar, beta=1.0):
    n = x.shape[0]
    rec = F.binary_cross_entropy(torch.sigmoid(x_logits), x, reduction="sum") / n
    return rec + beta * 0.5 * (mu ** 2 + logvar.exp() - 1 - logvar).sum() / n
'''),
    ("ch06_gan_losses", "swaps the labels of real and generated data", '''
def discriminator_loss(real_logits, fake_logits):
    bce = F.binary_cross_entropy_with_logits
    return bce(real_logits, torch.zeros_like(real_logits)) + bce(fake_logits, torch.ones_like(fake_logits))


def generator_loss(fake_logits):
    return F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits))
'''),
    ("ch06_gan_losses", "uses the saturating minimax generator loss log(1 - D(G(z)))", '''
def discriminator_loss(real_logits, fake_logits):
    bce = F.binary_cross_entropy_with_logits
    return bce(real_logits, torch.ones_like(real_logits)) + bce(fake_logits, torch.zeros_like(fake_logits))


def generator_loss(fake_logits):
    return -F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))
'''),
    ("ch06_gan_losses", "one mean over the concatenated batch (halves the loss, wrong for unequal batches)", '''
def discriminator_loss(real_logits, fake_logits):
    logits = torch.cat([real_logits, fake_logits])
    labels = torch.cat([torch.ones_like(real_logits), torch.zeros_like(fake_logits)])
    return F.binary_cross_entropy_with_logits(logits, labels)


def generator_loss(fake_logits):
    return F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits))
'''),
    ("ch06_gan_losses", "takes log of sigmoid directly (infinite for saturated logits)", '''
def discriminator_loss(real_logits, fake_logits):
    d_real, d_fake = torch.sigmoid(real_logits), torch.sigmoid(fake_logits)
    return -torch.log(d_real).mean() - torch.log(1 - d_fake).mean()


def generator_loss(fake_logits):
    return -torch.log(torch.sigmoid(fake_logits)).mean()
'''),
    ("ch06_gan_step", "does not detach and steps both optimizers after the generator loss", '''
def gan_step(G, D, opt_G, opt_D, x_real, z):
    bce = F.binary_cross_entropy_with_logits
    discriminator_loss = lambda r, f: bce(r, torch.ones_like(r)) + bce(f, torch.zeros_like(f))
    generator_loss = lambda f: bce(f, torch.ones_like(f))
    fake = G(z)
    d_loss = discriminator_loss(D(x_real), D(fake.detach()))
    opt_D.zero_grad()
    d_loss.backward()
    opt_D.step()
    g_loss = generator_loss(D(fake))
    opt_G.zero_grad()
    opt_D.zero_grad()
    g_loss.backward()
    opt_G.step()
    opt_D.step()
    return d_loss.item(), g_loss.item()
'''),
    ("ch06_gan_step", "forgets opt_D.zero_grad(): gradients from the generator phase pile up", '''
def gan_step(G, D, opt_G, opt_D, x_real, z):
    bce = F.binary_cross_entropy_with_logits
    discriminator_loss = lambda r, f: bce(r, torch.ones_like(r)) + bce(f, torch.zeros_like(f))
    generator_loss = lambda f: bce(f, torch.ones_like(f))
    d_loss = discriminator_loss(D(x_real), D(G(z).detach()))
    d_loss.backward()
    opt_D.step()
    g_loss = generator_loss(D(G(z)))
    opt_G.zero_grad()
    g_loss.backward()
    opt_G.step()
    return d_loss.item(), g_loss.item()
'''),
    ("ch06_gan_step", "scores the generator with the discriminator before its update", '''
def gan_step(G, D, opt_G, opt_D, x_real, z):
    bce = F.binary_cross_entropy_with_logits
    discriminator_loss = lambda r, f: bce(r, torch.ones_like(r)) + bce(f, torch.zeros_like(f))
    generator_loss = lambda f: bce(f, torch.ones_like(f))
    fake = G(z)
    d_loss = discriminator_loss(D(x_real), D(fake.detach()))
    g_loss = generator_loss(D(fake))
    opt_G.zero_grad()
    g_loss.backward()
    opt_D.zero_grad()
    d_loss.backward()
    opt_D.step()
    opt_G.step()
    return d_loss.item(), g_loss.item()
'''),
    ("ch06_gan_step", "updates the generator first, then the discriminator", '''
def gan_step(G, D, opt_G, opt_D, x_real, z):
    bce = F.binary_cross_entropy_with_logits
    discriminator_loss = lambda r, f: bce(r, torch.ones_like(r)) + bce(f, torch.zeros_like(f))
    generator_loss = lambda f: bce(f, torch.ones_like(f))
    g_loss = generator_loss(D(G(z)))
    opt_G.zero_grad()
    g_loss.backward()
    opt_G.step()
    d_loss = discriminator_loss(D(x_real), D(G(z).detach()))
    opt_D.zero_grad()
    d_loss.backward()
    opt_D.step()
    return d_loss.item(), g_loss.item()
'''),
    ("ch06_gan_step", "forgets detach in the discriminator phase and never clears G's gradients", '''
def gan_step(G, D, opt_G, opt_D, x_real, z):
    bce = F.binary_cross_entropy_with_logits
    discriminator_loss = lambda r, f: bce(r, torch.ones_like(r)) + bce(f, torch.zeros_like(f))
    generator_loss = lambda f: bce(f, torch.ones_like(f))
    d_loss = discriminator_loss(D(x_real), D(G(z)))
    opt_D.zero_grad()
    d_loss.backward()
    opt_D.step()
    g_loss = generator_loss(D(G(z)))
    g_loss.backward()
    opt_G.step()
    return d_loss.item(), g_loss.item()
'''),
]
