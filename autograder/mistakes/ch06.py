"""Implementations of Chapter 6's catalogued mistakes (the grader's own; never shipped).

Each entry replaces the master's solution cell: the grader must take that exercise's points
and name the mistake. The messages are in ``dlcourse/checks/ch06.py`` (``MISTAKES``).
"""
from autograder.mistakes import Mistake

# Exercise 6.5's mistakes share the loss helpers; each source is a whole solution cell.
_GAN_HELPERS = '''
bce = F.binary_cross_entropy_with_logits


def d_loss_of(real_logits, fake_logits):
    return (bce(real_logits, torch.ones_like(real_logits))
            + bce(fake_logits, torch.zeros_like(fake_logits)))


def g_loss_of(fake_logits):
    return bce(fake_logits, torch.ones_like(fake_logits))
'''

MISTAKES = [
    # --- 6.1 reparameterize
    Mistake("ch06_reparameterize", "scales_by_the_variance", '''
def reparameterize(mu, logvar, noise=None):
    if noise is None:
        noise = torch.randn_like(mu)
    return mu + torch.exp(logvar) * noise
'''),
    Mistake("ch06_reparameterize", "half_the_variance", '''
def reparameterize(mu, logvar, noise=None):
    if noise is None:
        noise = torch.randn_like(mu)
    return mu + 0.5 * torch.exp(logvar) * noise
'''),
    Mistake("ch06_reparameterize", "ignores_the_given_noise", '''
def reparameterize(mu, logvar, noise=None):
    noise = torch.randn_like(mu)
    return mu + torch.exp(0.5 * logvar) * noise
'''),
    Mistake("ch06_reparameterize", "no_gradient_path", '''
def reparameterize(mu, logvar, noise=None):
    std = torch.exp(0.5 * logvar)
    if noise is None:
        return torch.normal(mu, std)
    return (mu + std * noise).detach()
'''),
    Mistake("ch06_reparameterize", "uniform_noise", '''
def reparameterize(mu, logvar, noise=None):
    if noise is None:
        noise = torch.rand_like(mu)
    return mu + torch.exp(0.5 * logvar) * noise
'''),
    Mistake("ch06_reparameterize", "returns_the_mean", '''
def reparameterize(mu, logvar, noise=None):
    return mu.clone()
'''),
    # --- 6.2 gaussian_kl
    Mistake("ch06_gaussian_kl", "missing_one_half", '''
def gaussian_kl(mu, logvar):
    return (mu ** 2 + logvar.exp() - 1 - logvar).sum(dim=-1)
'''),
    Mistake("ch06_gaussian_kl", "plus_log_variance", '''
def gaussian_kl(mu, logvar):
    return 0.5 * (mu ** 2 + logvar.exp() - 1 + logvar).sum(dim=-1)
'''),
    Mistake("ch06_gaussian_kl", "mean_over_latent_dims", '''
def gaussian_kl(mu, logvar):
    return 0.5 * (mu ** 2 + logvar.exp() - 1 - logvar).mean(dim=-1)
'''),
    Mistake("ch06_gaussian_kl", "sums_over_the_batch", '''
def gaussian_kl(mu, logvar):
    return 0.5 * (mu ** 2 + logvar.exp() - 1 - logvar).sum(dim=0)
'''),
    Mistake("ch06_gaussian_kl", "not_summed", '''
def gaussian_kl(mu, logvar):
    return 0.5 * (mu ** 2 + logvar.exp() - 1 - logvar)
'''),
    Mistake("ch06_gaussian_kl", "reversed_kl", '''
def gaussian_kl(mu, logvar):
    # KL(N(0, 1) || N(mu, s2)) = (1/2)(1/s2 + mu^2/s2 - 1 + log s2), per dimension
    inv = torch.exp(-logvar)
    return 0.5 * (inv + mu ** 2 * inv - 1 + logvar).sum(dim=-1)
'''),
    # --- 6.3 vae_loss
    Mistake("ch06_vae_loss", "mean_over_pixels", '''
def vae_loss(x_logits, x, mu, logvar, beta=1.0):
    rec = F.binary_cross_entropy_with_logits(x_logits, x)
    return rec + beta * 0.5 * (mu ** 2 + logvar.exp() - 1 - logvar).sum() / x.shape[0]
'''),
    Mistake("ch06_vae_loss", "sums_over_the_batch", '''
def vae_loss(x_logits, x, mu, logvar, beta=1.0):
    rec = F.binary_cross_entropy_with_logits(x_logits, x, reduction="sum")
    return rec + beta * 0.5 * (mu ** 2 + logvar.exp() - 1 - logvar).sum()
'''),
    Mistake("ch06_vae_loss", "ignores_beta", '''
def vae_loss(x_logits, x, mu, logvar, beta=1.0):
    n = x.shape[0]
    rec = F.binary_cross_entropy_with_logits(x_logits, x, reduction="sum") / n
    return rec + 0.5 * (mu ** 2 + logvar.exp() - 1 - logvar).sum() / n
'''),
    Mistake("ch06_vae_loss", "beta_on_reconstruction", '''
def vae_loss(x_logits, x, mu, logvar, beta=1.0):
    n = x.shape[0]
    rec = F.binary_cross_entropy_with_logits(x_logits, x, reduction="sum") / n
    return beta * rec + 0.5 * (mu ** 2 + logvar.exp() - 1 - logvar).sum() / n
'''),
    Mistake("ch06_vae_loss", "kl_averaged_over_latent_dims", '''
def vae_loss(x_logits, x, mu, logvar, beta=1.0):
    n = x.shape[0]
    rec = F.binary_cross_entropy_with_logits(x_logits, x, reduction="sum") / n
    kl = 0.5 * (mu ** 2 + logvar.exp() - 1 - logvar).mean(dim=1)
    return rec + beta * kl.mean()
'''),
    Mistake("ch06_vae_loss", "subtracts_the_kl", '''
def vae_loss(x_logits, x, mu, logvar, beta=1.0):
    n = x.shape[0]
    rec = F.binary_cross_entropy_with_logits(x_logits, x, reduction="sum") / n
    return rec - beta * 0.5 * (mu ** 2 + logvar.exp() - 1 - logvar).sum() / n
'''),
    Mistake("ch06_vae_loss", "bce_on_probabilities", '''
def vae_loss(x_logits, x, mu, logvar, beta=1.0):
    n = x.shape[0]
    rec = F.binary_cross_entropy(torch.sigmoid(x_logits), x, reduction="sum") / n
    return rec + beta * 0.5 * (mu ** 2 + logvar.exp() - 1 - logvar).sum() / n
'''),
    Mistake("ch06_vae_loss", "swapped_arguments", '''
def vae_loss(x_logits, x, mu, logvar, beta=1.0):
    n = x.shape[0]
    rec = F.binary_cross_entropy_with_logits(x, x_logits, reduction="sum") / n
    return rec + beta * 0.5 * (mu ** 2 + logvar.exp() - 1 - logvar).sum() / n
'''),
    # --- 6.4 GAN losses
    Mistake("ch06_gan_losses", "swapped_labels", '''
def discriminator_loss(real_logits, fake_logits):
    bce = F.binary_cross_entropy_with_logits
    return bce(real_logits, torch.zeros_like(real_logits)) + bce(fake_logits, torch.ones_like(fake_logits))


def generator_loss(fake_logits):
    return F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits))
'''),
    Mistake("ch06_gan_losses", "one_mean_over_both_batches", '''
def discriminator_loss(real_logits, fake_logits):
    logits = torch.cat([real_logits, fake_logits])
    labels = torch.cat([torch.ones_like(real_logits), torch.zeros_like(fake_logits)])
    return F.binary_cross_entropy_with_logits(logits, labels)


def generator_loss(fake_logits):
    return F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits))
'''),
    Mistake("ch06_gan_losses", "sums_over_the_batch", '''
def discriminator_loss(real_logits, fake_logits):
    return F.softplus(-real_logits).sum() + F.softplus(fake_logits).sum()


def generator_loss(fake_logits):
    return F.softplus(-fake_logits).sum()
'''),
    Mistake("ch06_gan_losses", "log_of_sigmoid", '''
def discriminator_loss(real_logits, fake_logits):
    d_real, d_fake = torch.sigmoid(real_logits), torch.sigmoid(fake_logits)
    return -torch.log(d_real).mean() - torch.log(1 - d_fake).mean()


def generator_loss(fake_logits):
    return -torch.log(torch.sigmoid(fake_logits)).mean()
'''),
    Mistake("ch06_gan_losses", "saturating_generator_loss", '''
def discriminator_loss(real_logits, fake_logits):
    bce = F.binary_cross_entropy_with_logits
    return bce(real_logits, torch.ones_like(real_logits)) + bce(fake_logits, torch.zeros_like(fake_logits))


def generator_loss(fake_logits):
    return -F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))
'''),
    Mistake("ch06_gan_losses", "generator_uses_discriminator_labels", '''
def discriminator_loss(real_logits, fake_logits):
    bce = F.binary_cross_entropy_with_logits
    return bce(real_logits, torch.ones_like(real_logits)) + bce(fake_logits, torch.zeros_like(fake_logits))


def generator_loss(fake_logits):
    return F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))
'''),
    # --- 6.5 GAN step
    Mistake("ch06_gan_step", "steps_both_in_generator_phase", _GAN_HELPERS + '''

def gan_step(G, D, opt_G, opt_D, x_real, z):
    fake = G(z)
    d_loss = d_loss_of(D(x_real), D(fake.detach()))
    opt_D.zero_grad()
    d_loss.backward()
    opt_D.step()
    g_loss = g_loss_of(D(fake))
    opt_G.zero_grad()
    opt_D.zero_grad()
    g_loss.backward()
    opt_G.step()
    opt_D.step()
    return d_loss.item(), g_loss.item()
'''),
    Mistake("ch06_gan_step", "stale_discriminator_gradients", _GAN_HELPERS + '''

def gan_step(G, D, opt_G, opt_D, x_real, z):
    d_loss = d_loss_of(D(x_real), D(G(z).detach()))
    d_loss.backward()
    opt_D.step()
    g_loss = g_loss_of(D(G(z)))
    opt_G.zero_grad()
    g_loss.backward()
    opt_G.step()
    return d_loss.item(), g_loss.item()
'''),
    Mistake("ch06_gan_step", "generator_scored_by_old_discriminator", _GAN_HELPERS + '''

def gan_step(G, D, opt_G, opt_D, x_real, z):
    fake = G(z)
    d_loss = d_loss_of(D(x_real), D(fake.detach()))
    g_loss = g_loss_of(D(fake))
    opt_G.zero_grad()
    g_loss.backward()
    opt_D.zero_grad()
    d_loss.backward()
    opt_D.step()
    opt_G.step()
    return d_loss.item(), g_loss.item()
'''),
    Mistake("ch06_gan_step", "generator_first", _GAN_HELPERS + '''

def gan_step(G, D, opt_G, opt_D, x_real, z):
    g_loss = g_loss_of(D(G(z)))
    opt_G.zero_grad()
    g_loss.backward()
    opt_G.step()
    d_loss = d_loss_of(D(x_real), D(G(z).detach()))
    opt_D.zero_grad()
    d_loss.backward()
    opt_D.step()
    return d_loss.item(), g_loss.item()
'''),
    Mistake("ch06_gan_step", "no_detach_in_discriminator_phase", _GAN_HELPERS + '''

def gan_step(G, D, opt_G, opt_D, x_real, z):
    d_loss = d_loss_of(D(x_real), D(G(z)))
    opt_D.zero_grad()
    d_loss.backward()
    opt_D.step()
    g_loss = g_loss_of(D(G(z)))
    g_loss.backward()
    opt_G.step()
    return d_loss.item(), g_loss.item()
'''),
    Mistake("ch06_gan_step", "detached_in_generator_phase", _GAN_HELPERS + '''

def gan_step(G, D, opt_G, opt_D, x_real, z):
    fake = G(z).detach()
    d_loss = d_loss_of(D(x_real), D(fake))
    opt_D.zero_grad()
    d_loss.backward()
    opt_D.step()
    g_loss = g_loss_of(D(fake))
    opt_G.zero_grad()
    g_loss.backward()
    opt_G.step()
    return d_loss.item(), g_loss.item()
'''),
    Mistake("ch06_gan_step", "saturating_generator_loss", _GAN_HELPERS + '''

def gan_step(G, D, opt_G, opt_D, x_real, z):
    d_loss = d_loss_of(D(x_real), D(G(z).detach()))
    opt_D.zero_grad()
    d_loss.backward()
    opt_D.step()
    logits = D(G(z))
    g_loss = -bce(logits, torch.zeros_like(logits))
    opt_G.zero_grad()
    g_loss.backward()
    opt_G.step()
    return d_loss.item(), g_loss.item()
'''),
    Mistake("ch06_gan_step", "one_mean_over_both_batches", _GAN_HELPERS + '''

def gan_step(G, D, opt_G, opt_D, x_real, z):
    fake = G(z).detach()
    logits = D(torch.cat([x_real, fake]))
    labels = torch.cat([torch.ones(len(x_real), 1), torch.zeros(len(fake), 1)])
    d_loss = bce(logits, labels)
    opt_D.zero_grad()
    d_loss.backward()
    opt_D.step()
    g_loss = g_loss_of(D(G(z)))
    opt_G.zero_grad()
    g_loss.backward()
    opt_G.step()
    return d_loss.item(), g_loss.item()
'''),
]
