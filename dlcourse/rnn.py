"""Recurrent networks (introduced in Chapter 5): measurements, data, models and training loops.

Everything here uses PyTorch's built-in recurrent layers (``nn.RNN``, ``nn.LSTM``, ``nn.GRU``
and their cells); the chapter's exercises rebuild those pieces by hand.

- gradients through time at initialisation: how strongly the last state depends on earlier
  ones, the bound sigma_max(W_hh)^k, and the contribution of every step to dL/dW_hh;
- a variant of the adding problem of Hochreiter & Schmidhuber (1997), solved or not by RNN,
  LSTM and GRU, and the gradient that reaches each step of the trained networks;
- a GRU classifier for MNIST-1D, monitored on the validation split and tested once.

The encoder-decoder models of the chapter's last part live in :mod:`dlcourse.seq2seq`.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

RECURRENT = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}
CELLS = {"rnn": nn.RNNCell, "lstm": nn.LSTMCell, "gru": nn.GRUCell}
PUBLISHED_GRU_MNIST1D = 0.91  # test accuracy of a GRU in Greydanus (2020), table 1


# ----------------------------------------------------------------------------- gradients in time

def cell_at_init(kind: str, hidden_size: int = 32, seed: int = 0, weight_gain: float = 1.0,
                 input_size: int = 4) -> nn.Module:
    """PyTorch's freshly initialised cell of ``kind`` in float64 (gradients that shrink by
    1e-30 stay representable), its ``weight_hh`` multiplied by ``weight_gain``; the same
    ``seed`` gives the same cell."""
    torch.manual_seed(seed)
    cell = CELLS[kind](input_size, hidden_size).double()
    with torch.no_grad():
        cell.weight_hh.mul_(weight_gain)
    return cell


def _run_keeping_states(cell: nn.Module, inputs: torch.Tensor, state=None):
    """Step ``cell`` over ``inputs`` (B, T, I); return the hidden states h_1..h_T and, for an
    LSTM, the cell states c_1..c_T, each a list of tensors that keep their gradients."""
    hidden, cells = [], []
    for x_t in inputs.unbind(dim=1):
        state = cell(x_t, state)
        for kept, tensor in zip((hidden, cells), state if isinstance(state, tuple) else (state,)):
            tensor.retain_grad()
            kept.append(tensor)
    return hidden, cells


def state_gradient_norms(kind: str, length: int = 60, hidden_size: int = 32, seed: int = 0,
                         weight_gain: float = 1.0) -> torch.Tensor:
    """How strongly the last hidden state depends on earlier ones, at initialisation.

    Runs :func:`cell_at_init` over ``length`` random inputs (batch of 16) and returns ``g`` of
    shape (length,): ``g[k]`` is the norm of the gradient of ``u . h_T`` (summed over the batch,
    ``u`` a fixed random direction) with respect to ``h_{T-k}``; ``g[0] = 4 |u|``.
    """
    cell = cell_at_init(kind, hidden_size, seed, weight_gain)
    inputs = torch.randn(16, length, cell.input_size, dtype=torch.float64)
    hidden, _ = _run_keeping_states(cell, inputs)
    direction = torch.randn(hidden_size, dtype=torch.float64)
    (hidden[-1] @ direction).sum().backward()
    return torch.stack([h.grad.norm() for h in hidden]).flip(0)


def largest_singular_value(matrix: torch.Tensor) -> float:
    """sigma_max, the spectral norm: the most a matrix can stretch a vector."""
    return torch.linalg.matrix_norm(matrix.detach(), ord=2).item()


def whh_gradient_by_step(length: int = 60, hidden_size: int = 32, seed: int = 0,
                         weight_gain: float = 1.0):
    """The sum over time in dL/dW_hh, one term per step, for a vanilla RNN at initialisation.

    With ``L = u . h_T`` as in :func:`state_gradient_norms` and ``delta_t = (1 - h_t^2) * dL/dh_t``
    the gradient at the pre-activation of step t, the weight gradient is
    ``sum_t delta_t^T h_{t-1}`` (summed over the batch). Returns ``(terms, total, autograd)``:
    the norm of each step's term (length,), their sum (H, H) and autograd's ``weight_hh.grad``.
    """
    cell = cell_at_init("rnn", hidden_size, seed, weight_gain)
    inputs = torch.randn(16, length, cell.input_size, dtype=torch.float64)
    hidden, _ = _run_keeping_states(cell, inputs)
    (hidden[-1] @ torch.randn(hidden_size, dtype=torch.float64)).sum().backward()
    previous = [torch.zeros_like(hidden[0])] + hidden[:-1]  # h_0 = 0
    terms = [((1 - h.detach() ** 2) * h.grad).T @ h_prev.detach()
             for h, h_prev in zip(hidden, previous)]
    return torch.stack([t.norm() for t in terms]), torch.stack(terms).sum(0), cell.weight_hh.grad


# ----------------------------------------------------------------------------- the adding problem

def make_adding_problem(n: int, length: int, generator: torch.Generator):
    """``n`` sequences of our variant of the adding problem, each ``length`` steps long.

    Each step carries two numbers: a value drawn uniformly from [0, 1] and a marker (0 or 1).
    Exactly two steps are marked: one among the first tenth of the sequence, one in its second
    half. The target is the sum of the two marked values, so the network must remember the
    first one over at least nine tenths of the sequence.

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
        self.kind = kind
        self.recurrent = RECURRENT[kind](input_size, hidden_size, batch_first=True)
        if kind == "lstm":  # start with the forget gate mostly open (bias 1), a common choice
            with torch.no_grad():
                self.recurrent.bias_ih_l0[hidden_size:2 * hidden_size].fill_(1.0)
                self.recurrent.bias_hh_l0[hidden_size:2 * hidden_size].zero_()
        self.readout = nn.Linear(hidden_size, 1)

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        states = self.recurrent(X)[0]
        return self.readout(states[:, -1]).squeeze(-1)


# Vanilla RNNs are unstable at the rate that suits the gated networks, so they get a smaller one.
ADDING_LR = {"rnn": 0.01, "lstm": 0.05, "gru": 0.05}
ADDING_STEPS = 400


def adding_test_set(length: int, n: int = 1000):
    """The held-out sequences every network of a given length is scored on."""
    return make_adding_problem(n, length, torch.Generator().manual_seed(10_000 + length))


def train_adding(kind: str, length: int, steps: int = ADDING_STEPS, batch_size: int = 64,
                 hidden_size: int = 32, lr: float | None = None, max_norm: float = 1.0,
                 seed: int = 0, device=None):
    """Train a :class:`SequenceRegressor` on fresh batches of the adding problem (Adam,
    gradient clipping at ``max_norm``). Returns ``(net, mse)``: the trained network (on the
    CPU) and its mean squared error on :func:`adding_test_set`. Predicting the mean alone
    scores 1/6, about 0.167."""
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
    X, y = adding_test_set(length)
    with torch.no_grad():
        mse = F.mse_loss(net(X.to(device)), y.to(device)).item()
    return net.cpu(), mse


def adding_sweep(lengths=(10, 20, 40), kinds=("rnn", "lstm", "gru"), progress: bool = True,
                 **kwargs):
    """Train each kind of network at each length. Returns ``(mse, nets)``: ``mse[kind]`` lists
    the test errors in the order of ``lengths``; ``nets[kind]`` is the network trained at the
    longest length."""
    runs = [(k, n) for k in kinds for n in lengths]
    mse: dict[str, list[float]] = {k: [] for k in kinds}
    nets = {}
    for kind, length in tqdm(runs, desc="adding problem", disable=not progress, leave=False):
        net, error = train_adding(kind, length, **kwargs)
        mse[kind].append(error)
        if length == max(lengths):
            nets[kind] = net
    return mse, nets


def memory_gradient_norms(net: SequenceRegressor, length: int, n: int = 256,
                          seed: int = 1) -> dict[str, torch.Tensor]:
    """Where the loss's gradient reaches inside a trained :class:`SequenceRegressor`.

    Runs the network's own weights step by step (with PyTorch's cell) over ``n`` test
    sequences of the adding problem and returns, for each memory the cell carries (``"h"``,
    and ``"c"`` for an LSTM), the norms of dL/d(state at step t) for t = 1..T, shape (T,),
    where L is the batch's mean squared error.
    """
    layer = net.recurrent
    cell = CELLS[net.kind](layer.input_size, layer.hidden_size)
    cell.load_state_dict({name[:-3]: p for name, p in layer.state_dict().items()})  # drop "_l0"
    X, y = make_adding_problem(n, length, torch.Generator().manual_seed(seed))
    hidden, cells = _run_keeping_states(cell, X)
    F.mse_loss(net.readout(hidden[-1]).squeeze(-1), y).backward()
    norms = {"h": torch.stack([h.grad.norm() for h in hidden])}
    if cells:
        norms["c"] = torch.stack([c.grad.norm() for c in cells])
    return norms


@torch.no_grad()
def lstm_forget_gates(net: SequenceRegressor, length: int, n: int = 256, seed: int = 1):
    """The forget-gate values f_t (n, T, H) of a trained LSTM :class:`SequenceRegressor` on
    ``n`` test sequences of the adding problem."""
    layer = net.recurrent
    X, _ = make_adding_problem(n, length, torch.Generator().manual_seed(seed))
    states = torch.cat([torch.zeros(n, 1, layer.hidden_size), layer(X)[0][:, :-1]], dim=1)
    rows = slice(layer.hidden_size, 2 * layer.hidden_size)  # the second block: forget gate
    return torch.sigmoid(F.linear(X, layer.weight_ih_l0[rows], layer.bias_ih_l0[rows])
                         + F.linear(states, layer.weight_hh_l0[rows], layer.bias_hh_l0[rows]))


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


@torch.no_grad()
def _accuracy(net: nn.Module, X: torch.Tensor, y: torch.Tensor) -> float:
    net.eval()
    return (net(X).argmax(dim=1) == y).float().mean().item()


def train_gru_mnist1d(epochs: int = 10, hidden_size: int = 64, batch_size: int = 128,
                      lr: float = 0.03, seed: int = 0, device=None, progress: bool = True):
    """Train a :class:`GRUClassifier` on MNIST-1D (Adam with a one-cycle learning-rate
    schedule, clipping at norm 1), watching the validation split after every epoch.

    Returns ``(net, history, test_acc)``: ``history`` holds the per-epoch ``train_loss`` and
    ``val_acc``; ``test_acc`` is measured once, on the final network.
    """
    from dlcourse.data import load_mnist1d_split

    device = device or torch.device("cpu")
    split = load_mnist1d_split()
    torch.manual_seed(seed)
    net = GRUClassifier(hidden_size).to(device)
    train_loader, _, _ = split.loaders(batch_size=batch_size, seed=seed)
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr,
                                                total_steps=epochs * len(train_loader))
    X_val, y_val = split.X_val.to(device), split.y_val.to(device)
    history = {"train_loss": [], "val_acc": []}
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
        history["train_loss"].append(total / count)
        history["val_acc"].append(_accuracy(net, X_val, y_val))
        bar.set_postfix(val_acc=f"{history['val_acc'][-1]:.3f}")
    test_acc = _accuracy(net, split.X_test.to(device), split.y_test.to(device))
    return net, history, test_acc
