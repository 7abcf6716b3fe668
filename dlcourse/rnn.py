"""Recurrent networks (Chapter 5): data, models and training loops for the demos.

Everything here uses PyTorch's built-in recurrent layers (``nn.RNN``, ``nn.LSTM``,
``nn.GRU`` and their cells); the chapter's exercises rebuild those pieces by hand.

- the adding problem (Hochreiter & Schmidhuber, 1997): a regression task whose answer
  depends on two inputs far apart in time, solved or not by RNN, LSTM and GRU;
- a GRU classifier for MNIST-1D read as a sequence of 40 scalars;
- a small encoder-decoder that learns to reverse strings of digits.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

RECURRENT = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}
CELLS = {"rnn": nn.RNNCell, "lstm": nn.LSTMCell, "gru": nn.GRUCell}
PUBLISHED_GRU_MNIST1D = 0.91  # test accuracy of a GRU in Greydanus (2020), table 1


# ----------------------------------------------------------------------------- the adding problem

def make_adding_problem(n: int, length: int, generator: torch.Generator):
    """``n`` sequences of the adding problem, each ``length`` steps long.

    Each step carries two numbers: a value drawn uniformly from [0, 1] and a marker
    (0 or 1). Exactly two steps are marked: one among the first tenth of the sequence,
    one in its second half. The target is the sum of the two marked values, so the
    network must remember the early value over at least half the sequence.

    Returns ``X`` of shape (n, length, 2) and ``y`` of shape (n,).
    """
    values = torch.rand(n, length, generator=generator)
    rows = torch.arange(n)
    first = torch.randint(0, max(1, length // 10), (n,), generator=generator)
    second = torch.randint(length // 2, length, (n,), generator=generator)
    markers = torch.zeros(n, length)
    markers[rows, first] = 1.0
    markers[rows, second] = 1.0
    return torch.stack([values, markers], dim=-1), values[rows, first] + values[rows, second]


class SequenceRegressor(nn.Module):
    """A one-layer recurrent network (``kind`` in rnn/lstm/gru) read out by a linear layer
    at the last step: (B, T, input_size) -> (B,)."""

    def __init__(self, kind: str, input_size: int = 2, hidden_size: int = 32):
        super().__init__()
        self.recurrent = RECURRENT[kind](input_size, hidden_size, batch_first=True)
        if kind == "lstm":  # start with the forget gate mostly open (bias 1), a common choice
            with torch.no_grad():
                self.recurrent.bias_ih_l0[hidden_size:2 * hidden_size].fill_(1.0)
                self.recurrent.bias_hh_l0[hidden_size:2 * hidden_size].zero_()
        self.readout = nn.Linear(hidden_size, 1)

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        states = self.recurrent(X)[0]
        return self.readout(states[:, -1]).squeeze(-1)


# Vanilla RNNs diverge at the rate that suits the gated networks, so they get a smaller one.
ADDING_LR = {"rnn": 0.01, "lstm": 0.05, "gru": 0.05}


def train_adding(kind: str, length: int, steps: int = 300, batch_size: int = 64,
                 hidden_size: int = 32, lr: float | None = None, max_norm: float = 1.0,
                 seed: int = 0, device=None, n_test: int = 1000) -> float:
    """Train a :class:`SequenceRegressor` on fresh batches of the adding problem (Adam,
    gradient clipping at ``max_norm``) and return its mean squared error on ``n_test``
    held-out sequences. Predicting the mean alone scores 1/6, about 0.167."""
    device = device or torch.device("cpu")
    torch.manual_seed(seed)
    net = SequenceRegressor(kind, hidden_size=hidden_size).to(device)
    opt = torch.optim.Adam(net.parameters(), lr=lr or ADDING_LR[kind])
    gen = torch.Generator().manual_seed(seed + 1)
    for _ in range(steps):
        X, y = make_adding_problem(batch_size, length, gen)
        loss = F.mse_loss(net(X.to(device)), y.to(device))
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(net.parameters(), max_norm)
        opt.step()
    X, y = make_adding_problem(n_test, length, torch.Generator().manual_seed(10_000 + length))
    with torch.no_grad():
        return F.mse_loss(net(X.to(device)), y.to(device)).item()


def adding_sweep(lengths=(10, 25, 50), kinds=("rnn", "lstm", "gru"), progress: bool = True,
                 **kwargs) -> dict[str, list[float]]:
    """Test MSE of each kind of network at each sequence length: ``{kind: [mse, ...]}``."""
    runs = [(k, n) for k in kinds for n in lengths]
    results: dict[str, list[float]] = {k: [] for k in kinds}
    for kind, length in tqdm(runs, desc="adding problem", disable=not progress, leave=False):
        results[kind].append(train_adding(kind, length, **kwargs))
    return results


# ----------------------------------------------------------------------------- gradients in time

def state_gradient_norms(kind: str, length: int = 60, hidden_size: int = 32, seed: int = 0,
                         weight_gain: float = 1.0) -> torch.Tensor:
    """How strongly the last hidden state depends on earlier ones, at initialisation.

    Runs PyTorch's cell of ``kind`` over ``length`` random inputs (batch of 16) and returns
    ``g`` of shape (length,), where ``g[k]`` is the norm of the gradient of a fixed random
    projection of the last hidden state with respect to the hidden state ``k`` steps
    earlier (``g[0]`` is the last state itself). ``weight_gain`` multiplies the
    hidden-to-hidden weights.
    """
    torch.manual_seed(seed)
    cell = CELLS[kind](4, hidden_size)
    with torch.no_grad():
        cell.weight_hh.mul_(weight_gain)
    inputs = torch.randn(16, length, 4)
    state = None
    kept = []
    for x_t in inputs.unbind(dim=1):
        state = cell(x_t, state)
        hidden = state[0] if isinstance(state, tuple) else state
        hidden.retain_grad()
        kept.append(hidden)
    direction = torch.randn(hidden_size)
    (kept[-1] @ direction).sum().backward()
    norms = torch.stack([h.grad.norm() for h in kept])
    return norms.flip(0)


# ----------------------------------------------------------------------------- MNIST-1D

class GRUClassifier(nn.Module):
    """Reads a 1-D signal (B, T) one scalar per step with a GRU and classifies it from
    the last hidden state: (B, T) -> (B, num_classes) logits."""

    def __init__(self, hidden_size: int = 64, num_classes: int = 10):
        super().__init__()
        self.gru = nn.GRU(1, hidden_size, batch_first=True)
        self.head = nn.Linear(hidden_size, num_classes)

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        _, last = self.gru(X.unsqueeze(-1))
        return self.head(last[-1])


def train_gru_mnist1d(epochs: int = 15, hidden_size: int = 64, batch_size: int = 128,
                      lr: float = 0.02, seed: int = 0, device=None, progress: bool = True):
    """Train a :class:`GRUClassifier` on MNIST-1D (Adam with a one-cycle learning-rate
    schedule, clipping at norm 1) and return ``(net, history)``; ``history`` holds the
    per-epoch ``train_loss`` and ``test_acc``."""
    from dlcourse.data import load_mnist1d_split

    device = device or torch.device("cpu")
    split = load_mnist1d_split()
    torch.manual_seed(seed)
    net = GRUClassifier(hidden_size).to(device)
    train_loader, _, _ = split.loaders(batch_size=batch_size, seed=seed)
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr,
                                                total_steps=epochs * len(train_loader))
    X_test, y_test = split.X_test.to(device), split.y_test.to(device)
    history = {"train_loss": [], "test_acc": []}
    bar = tqdm(range(epochs), desc="GRU on MNIST-1D", disable=not progress, leave=False)
    for _ in bar:
        net.train()
        total, count = 0.0, 0
        for X, y in train_loader:
            X, y = X.to(device), y.to(device)
            loss = F.cross_entropy(net(X), y)
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(net.parameters(), 1.0)
            opt.step()
            sched.step()
            total, count = total + loss.item() * len(y), count + len(y)
        net.eval()
        with torch.no_grad():
            acc = (net(X_test).argmax(dim=1) == y_test).float().mean().item()
        history["train_loss"].append(total / count)
        history["test_acc"].append(acc)
        bar.set_postfix(test_acc=f"{acc:.3f}")
    return net, history


# ----------------------------------------------------------------------------- sequence to sequence

class Seq2Seq(nn.Module):
    """An encoder-decoder pair of GRUs for token sequences.

    Attributes: ``src_embed`` (``nn.Embedding(src_vocab, embed_size)``), ``encoder``
    (``nn.GRU(embed_size, hidden_size, batch_first=True)``), ``tgt_embed``
    (``nn.Embedding(tgt_vocab + 1, embed_size)``; the extra token, number ``tgt_vocab``,
    is the begin-of-sequence token ``bos``), ``decoder`` (``nn.GRU(embed_size,
    hidden_size, batch_first=True)``) and ``head`` (``nn.Linear(hidden_size, tgt_vocab)``).
    """

    def __init__(self, src_vocab: int = 10, tgt_vocab: int = 10, embed_size: int = 32,
                 hidden_size: int = 128):
        super().__init__()
        self.bos = tgt_vocab
        self.src_embed = nn.Embedding(src_vocab, embed_size)
        self.encoder = nn.GRU(embed_size, hidden_size, batch_first=True)
        self.tgt_embed = nn.Embedding(tgt_vocab + 1, embed_size)
        self.decoder = nn.GRU(embed_size, hidden_size, batch_first=True)
        self.head = nn.Linear(hidden_size, tgt_vocab)

    def encode(self, src: torch.Tensor) -> torch.Tensor:
        """Context vector: the encoder's final hidden state, shape (1, B, hidden_size)."""
        return self.encoder(self.src_embed(src))[1]

    def decode_step(self, token: torch.Tensor, state: torch.Tensor):
        """One decoder step from tokens (B,) and state (1, B, H): logits (B, V) and new state."""
        output, state = self.decoder(self.tgt_embed(token).unsqueeze(1), state)
        return self.head(output.squeeze(1)), state


def teacher_forced_logits(model: Seq2Seq, src: torch.Tensor, tgt: torch.Tensor) -> torch.Tensor:
    """Decoder logits (B, T, V) when step t is fed the true token t-1 (the ``bos`` token at
    t = 0), computed one step at a time; src (B, S), tgt (B, T) are integer tokens."""
    state = model.encode(src)
    fed = torch.full_like(tgt[:, 0], model.bos)
    per_step = []
    for true_token in tgt.unbind(dim=1):
        logits, state = model.decode_step(fed, state)
        per_step.append(logits)
        fed = true_token
    return torch.stack(per_step, dim=1)


def teacher_forced_loss(model: Seq2Seq, src: torch.Tensor, tgt: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy over all B * T target tokens of the decoder's predictions under
    teacher forcing; the same numbers as :func:`teacher_forced_logits`, with the whole
    target sequence run through the decoder in one call (faster for training)."""
    shifted = F.pad(tgt, (1, 0), value=model.bos).narrow(1, 0, tgt.shape[1])
    states = model.decoder(model.tgt_embed(shifted), model.encode(src))[0]
    scores = model.head(states)
    return F.cross_entropy(scores.transpose(1, 2), tgt)


@torch.no_grad()
def greedy_decode(model: Seq2Seq, src: torch.Tensor, length: int) -> torch.Tensor:
    """Generate ``length`` tokens per sequence, each step fed its own previous guess: (B, length)."""
    state = model.encode(src)
    token = torch.full((len(src),), model.bos, dtype=torch.long, device=src.device)
    out = []
    for _ in range(length):
        logits, state = model.decode_step(token, state)
        token = logits.argmax(dim=-1)
        out.append(token)
    return torch.stack(out, dim=1)


def make_reversal_data(n_train: int = 20_000, n_test: int = 1_000, length: int = 6,
                       seed: int = 0):
    """Random digit strings and their reversals, with no test string among the training ones.

    Returns ``(src_train, tgt_train, src_test, tgt_test)``, integer tensors of shape
    (n, length) with tokens 0-9.
    """
    gen = torch.Generator().manual_seed(seed)
    pool = torch.randint(0, 10, (2 * (n_train + n_test), length), generator=gen)
    pool = torch.unique(pool, dim=0)  # distinct strings (sorted)
    pool = pool[torch.randperm(len(pool), generator=gen)]
    if len(pool) < n_train + n_test:
        raise ValueError("not enough distinct strings; use a longer length")
    test, train = pool[:n_test], pool[n_test:n_test + n_train]
    return train, train.flip(1), test, test.flip(1)


def exact_match(pred: torch.Tensor, target: torch.Tensor) -> float:
    """Share of sequences whose every token is right."""
    return (pred == target).all(dim=1).float().mean().item()


def train_reverser(steps: int = 400, batch_size: int = 128, lr: float = 0.01, length: int = 6,
                   seed: int = 0, device=None, progress: bool = True):
    """Train a :class:`Seq2Seq` with teacher forcing to reverse digit strings.

    Adam with a one-cycle schedule and clipping at norm 1; batches are drawn from a fixed
    training set of 20,000 strings. Returns ``(model, history, test_accuracy)`` where
    ``history["loss"]`` is the training loss per step and ``test_accuracy`` the exact-sequence
    accuracy of greedy decoding on 1,000 held-out strings.
    """
    device = device or torch.device("cpu")
    src_tr, tgt_tr, src_te, tgt_te = make_reversal_data(length=length, seed=seed)
    torch.manual_seed(seed)
    model = Seq2Seq().to(device)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps)
    gen = torch.Generator().manual_seed(seed + 1)
    history = {"loss": []}
    bar = tqdm(range(steps), desc="seq2seq", disable=not progress, leave=False)
    for _ in bar:
        idx = torch.randint(0, len(src_tr), (batch_size,), generator=gen)
        loss = teacher_forced_loss(model, src_tr[idx].to(device), tgt_tr[idx].to(device))
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        history["loss"].append(loss.item())
    model.eval()
    pred = greedy_decode(model, src_te.to(device), length)
    return model, history, exact_match(pred.cpu(), tgt_te)
