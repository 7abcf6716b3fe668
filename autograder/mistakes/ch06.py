"""Implementations of Chapter 6's catalogued mistakes (the grader's own; never shipped).

Each entry replaces the master's solution cell: the grader must take that exercise's points
and name the mistake. The messages are in ``dlcourse/checks/ch06.py`` (``MISTAKES``).
"""
from autograder.mistakes import Mistake

MISTAKES = [
    Mistake("ch06_reparameterize", "uses_the_variance_instead_of_the", '''
def reparameterize(mu, logvar, eps=None):
    if eps is None:
        eps = torch.randn_like(mu)
    return mu + torch.exp(logvar) * eps
'''),
    Mistake("ch06_reparameterize", "ignores_the_given_noise_and_always_draws", '''
def reparameterize(mu, logvar, eps=None):
    eps = torch.randn_like(mu)
    return mu + torch.exp(0.5 * logvar) * eps
'''),
    Mistake("ch06_reparameterize", "samples_with_torch_normal_so_no_gradient", '''
def reparameterize(mu, logvar, eps=None):
    std = torch.exp(0.5 * logvar)
    if eps is None:
        return torch.normal(mu, std)
    return (mu + std * eps).detach()
'''),
    Mistake("ch06_reparameterize", "draws_noise_with_torch_rand_uniform_when", '''
def reparameterize(mu, logvar, eps=None):
    if eps is None:
        eps = torch.rand_like(mu)
    return mu + torch.exp(0.5 * logvar) * eps
'''),
    Mistake("ch06_gaussian_kl", "forgets_the_factor_1_2", '''
def gaussian_kl(mu, logvar):
    return (mu ** 2 + logvar.exp() - 1 - logvar).sum(dim=-1)
'''),
    Mistake("ch06_gaussian_kl", "wrong_sign_of_the_log_variance_term", '''
def gaussian_kl(mu, logvar):
    return 0.5 * (mu ** 2 + logvar.exp() - 1 + logvar).sum(dim=-1)
'''),
    Mistake("ch06_gaussian_kl", "averages_over_the_latent_dimensions", '''
def gaussian_kl(mu, logvar):
    return 0.5 * (mu ** 2 + logvar.exp() - 1 - logvar).mean(dim=-1)
'''),
    Mistake("ch06_gaussian_kl", "sums_over_the_batch_axis", '''
def gaussian_kl(mu, logvar):
    return 0.5 * (mu ** 2 + logvar.exp() - 1 - logvar).sum(dim=0)
'''),
    Mistake("ch06_vae_loss", "averages_the_cross_entropy_over_pixels", '''
def vae_loss(x_logits, x, mu, logvar, beta=1.0):
    rec = F.binary_cross_entropy_with_logits(x_logits, x)
    return rec + beta * 0.5 * (mu ** 2 + logvar.exp() - 1 - logvar).sum() / x.shape[0]
'''),
    Mistake("ch06_vae_loss", "sums_over_the_batch_instead_of_averaging", '''
def vae_loss(x_logits, x, mu, logvar, beta=1.0):
    rec = F.binary_cross_entropy_with_logits(x_logits, x, reduction="sum")
    return rec + beta * 0.5 * (mu ** 2 + logvar.exp() - 1 - logvar).sum()
'''),
    Mistake("ch06_vae_loss", "forgets_beta", '''
def vae_loss(x_logits, x, mu, logvar, beta=1.0):
    n = x.shape[0]
    rec = F.binary_cross_entropy_with_logits(x_logits, x, reduction="sum") / n
    return rec + 0.5 * (mu ** 2 + logvar.exp() - 1 - logvar).sum() / n
'''),
    Mistake("ch06_vae_loss", "applies_sigmoid_then_the_unstable_bce_on", '''
def vae_loss(x_logits, x, mu, logvar, beta=1.0):
    n = x.shape[0]
    rec = F.binary_cross_entropy(torch.sigmoid(x_logits), x, reduction="sum") / n
    return rec + beta * 0.5 * (mu ** 2 + logvar.exp() - 1 - logvar).sum() / n
'''),
    Mistake("ch06_gan_losses", "swaps_the_labels_of_real_and_generated", '''
def discriminator_loss(real_logits, fake_logits):
    bce = F.binary_cross_entropy_with_logits
    return bce(real_logits, torch.zeros_like(real_logits)) + bce(fake_logits, torch.ones_like(fake_logits))


def generator_loss(fake_logits):
    return F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits))
'''),
    Mistake("ch06_gan_losses", "uses_the_saturating_minimax_generator", '''
def discriminator_loss(real_logits, fake_logits):
    bce = F.binary_cross_entropy_with_logits
    return bce(real_logits, torch.ones_like(real_logits)) + bce(fake_logits, torch.zeros_like(fake_logits))


def generator_loss(fake_logits):
    return -F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))
'''),
    Mistake("ch06_gan_losses", "one_mean_over_the_concatenated_batch", '''
def discriminator_loss(real_logits, fake_logits):
    logits = torch.cat([real_logits, fake_logits])
    labels = torch.cat([torch.ones_like(real_logits), torch.zeros_like(fake_logits)])
    return F.binary_cross_entropy_with_logits(logits, labels)


def generator_loss(fake_logits):
    return F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits))
'''),
    Mistake("ch06_gan_losses", "takes_log_of_sigmoid_directly_infinite", '''
def discriminator_loss(real_logits, fake_logits):
    d_real, d_fake = torch.sigmoid(real_logits), torch.sigmoid(fake_logits)
    return -torch.log(d_real).mean() - torch.log(1 - d_fake).mean()


def generator_loss(fake_logits):
    return -torch.log(torch.sigmoid(fake_logits)).mean()
'''),
    Mistake("ch06_gan_step", "does_not_detach_and_steps_both", '''
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
    Mistake("ch06_gan_step", "forgets_opt_d_zero_grad_gradients_from", '''
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
    Mistake("ch06_gan_step", "scores_the_generator_with_the", '''
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
    Mistake("ch06_gan_step", "updates_the_generator_first_then_the", '''
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
    Mistake("ch06_gan_step", "forgets_detach_in_the_discriminator", '''
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
