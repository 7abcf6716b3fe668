"""Encoder-decoder models for token sequences (introduced in Chapter 5).

- :class:`Seq2Seq`: two GRUs; the encoder's last state is the decoder's first (the context
  vector). The chapter's Exercise on teacher forcing is written against this class.
- :class:`AttentionSeq2Seq`: the same, plus dot-product attention over all encoder states
  (Luong et al., 2015).
- Variable-length batches: padded digit strings, encoders that read them packed
  (``pack_padded_sequence``), a loss that ignores the padding.
- The toy task: reverse a string of digits; exact-match accuracy per string length.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence
from tqdm.auto import tqdm

IGNORE = -100  # F.cross_entropy's default ignore_index


class Seq2Seq(nn.Module):
    """An encoder-decoder pair of GRUs for token sequences.

    Attributes: ``src_embed`` (``nn.Embedding(src_vocab, embed_size)``), ``encoder``
    (``nn.GRU(embed_size, hidden_size, batch_first=True)``), ``tgt_embed``
    (``nn.Embedding(tgt_vocab + 1, embed_size)``; the extra token, number ``tgt_vocab``,
    is the begin-of-sequence token ``bos``), ``decoder`` (``nn.GRU(embed_size,
    hidden_size, batch_first=True)``) and ``head`` (``nn.Linear(hidden_size, tgt_vocab)``).
    """

    def __init__(self, src_vocab: int = 10, tgt_vocab: int = 10, embed_size: int = 16,
                 hidden_size: int = 64):
        super().__init__()
        self.bos = tgt_vocab
        self.src_embed = nn.Embedding(src_vocab, embed_size)
        self.encoder = nn.GRU(embed_size, hidden_size, batch_first=True)
        self.tgt_embed = nn.Embedding(tgt_vocab + 1, embed_size)
        self.decoder = nn.GRU(embed_size, hidden_size, batch_first=True)
        self.head = nn.Linear(hidden_size, tgt_vocab)

    def encode(self, src: torch.Tensor, lengths: torch.Tensor | None = None):
        """Read the source (B, S). Returns ``(memory, context, mask)``: every encoder state
        (B, S, H), the last real one of each sequence (1, B, H) and which positions are real
        (B, S). Without ``lengths`` every position is real; with them the GRU reads the batch
        packed, so padding never enters a state."""
        embedded = self.src_embed(src)
        if lengths is None:
            memory, context = self.encoder(embedded)
            return memory, context, torch.ones(src.shape, dtype=torch.bool, device=src.device)
        packed = pack_padded_sequence(embedded, lengths.cpu(), batch_first=True,
                                      enforce_sorted=False)
        memory, context = self.encoder(packed)
        memory, _ = pad_packed_sequence(memory, batch_first=True, total_length=src.shape[1])
        return memory, context, positions_within(lengths, src.shape[1])

    def readout(self, states: torch.Tensor, memory: torch.Tensor, mask: torch.Tensor):
        """Logits (B, T, V) from decoder states (B, T, H); this model ignores the memory."""
        return self.head(states)

    def decoder_logits(self, encoded, fed: torch.Tensor) -> torch.Tensor:
        """Logits (B, T, V) when the decoder, started from the context of ``encoded``, reads
        the tokens ``fed`` (B, T), all in one call."""
        memory, context, mask = encoded
        states = self.decoder(self.tgt_embed(fed), context)[0]
        return self.readout(states, memory, mask)


class AttentionSeq2Seq(Seq2Seq):
    """:class:`Seq2Seq` with dot-product attention (Luong et al., 2015).

    At each output step the decoder state s scores every encoder state m_j by s . m_j; the
    softmax of the scores over the real source positions weights the average of the m_j, and
    ``head`` reads ``tanh(combine([average; s]))``. ``combine`` is ``nn.Linear(2H, H)``.
    """

    def __init__(self, src_vocab: int = 10, tgt_vocab: int = 10, embed_size: int = 16,
                 hidden_size: int = 64):
        super().__init__(src_vocab, tgt_vocab, embed_size, hidden_size)
        self.combine = nn.Linear(2 * hidden_size, hidden_size)

    def attention(self, states: torch.Tensor, memory: torch.Tensor, mask: torch.Tensor):
        """Attention weights (B, T, S): for each decoder state, a distribution over the real
        source positions."""
        scores = states @ memory.transpose(1, 2)
        return scores.masked_fill(~mask.unsqueeze(1), float("-inf")).softmax(dim=-1)

    def readout(self, states, memory, mask):
        read = self.attention(states, memory, mask) @ memory
        return self.head(torch.tanh(self.combine(torch.cat([read, states], dim=-1))))


def positions_within(lengths: torch.Tensor, total: int) -> torch.Tensor:
    """(B, total) booleans: True where position t is inside a sequence of that length."""
    return lengths.unsqueeze(1) > torch.arange(total, device=lengths.device)


def shifted_right(tgt: torch.Tensor, bos: int) -> torch.Tensor:
    """What a teacher-forced decoder reads: ``bos`` then the targets, dropping the last."""
    return F.pad(tgt, (1, 0), value=bos)[:, :-1]


def teacher_forced_logits(model: Seq2Seq, src: torch.Tensor, tgt: torch.Tensor,
                          from_context: bool = True) -> torch.Tensor:
    """Decoder logits (B, T, V) when step t is fed the true token t-1 (``bos`` at t = 0),
    computed one step at a time; src (B, S), tgt (B, T) are integer tokens. With
    ``from_context=False`` the decoder starts from zeros instead of the encoder's state."""
    return stepwise_logits(model, src, shifted_right(tgt, model.bos), from_context)


def stepwise_logits(model: Seq2Seq, src: torch.Tensor, fed: torch.Tensor,
                    from_context: bool = True) -> torch.Tensor:
    """Decoder logits (B, T, V) for the tokens ``fed`` (B, T), one decoder step per token."""
    memory, state, mask = model.encode(src)
    if not from_context:
        state = torch.zeros_like(state)
    per_step = []
    for token in fed.unbind(dim=1):
        output, state = model.decoder(model.tgt_embed(token).unsqueeze(1), state)
        per_step.append(model.readout(output, memory, mask))
    return torch.cat(per_step, dim=1)


def masked_token_loss(logits: torch.Tensor, tgt: torch.Tensor, lengths: torch.Tensor):
    """Mean cross-entropy over the real tokens of a padded batch: logits (B, T, V), tgt (B, T),
    lengths (B,)."""
    real = positions_within(lengths, tgt.shape[1])
    return F.cross_entropy(logits.transpose(1, 2), tgt.masked_fill(~real, IGNORE))


@torch.no_grad()
def greedy_decode(model: Seq2Seq, src: torch.Tensor, lengths: torch.Tensor, steps: int):
    """Generate ``steps`` tokens per sequence, each step fed the model's own previous guess.

    Returns ``(tokens, weights)``: tokens (B, steps) and, for an :class:`AttentionSeq2Seq`,
    the attention weights (B, steps, S) (None otherwise).
    """
    memory, state, mask = model.encode(src, lengths)
    token = torch.full((len(src),), model.bos, dtype=torch.long, device=src.device)
    tokens, weights = [], []
    for _ in range(steps):
        output, state = model.decoder(model.tgt_embed(token).unsqueeze(1), state)
        token = model.readout(output, memory, mask)[:, 0].argmax(dim=-1)
        tokens.append(token)
        if isinstance(model, AttentionSeq2Seq):
            weights.append(model.attention(output, memory, mask)[:, 0])
    return torch.stack(tokens, dim=1), torch.stack(weights, dim=1) if weights else None


# ----------------------------------------------------------------------------- reversing digits

def reversal_strings(lengths: torch.Tensor, max_len: int, generator: torch.Generator):
    """Random digit strings of the given ``lengths`` (n,) and their reversals.

    Returns ``(src, tgt)``, both (n, max_len), padded after each string's end with zeros
    (packing and the masked loss never read them).
    """
    real = positions_within(lengths, max_len)
    src = torch.randint(0, 10, (len(lengths), max_len), generator=generator) * real
    # target position j holds source position length - 1 - j
    mirrored = (lengths.unsqueeze(1) - 1 - torch.arange(max_len)).clamp(min=0)
    return src, src.gather(1, mirrored) * real


def make_reversal_batch(n: int, max_len: int, generator: torch.Generator):
    """``n`` strings of 1 to ``max_len`` digits (uniform): ``(src, tgt, lengths)``."""
    lengths = torch.randint(1, max_len + 1, (n,), generator=generator)
    return (*reversal_strings(lengths, max_len, generator), lengths)


def train_reverser(attention: bool, steps: int = 250, batch_size: int = 128, lr: float = 0.02,
                   max_len: int = 10, seed: int = 0, device=None, progress: bool = True):
    """Train a :class:`Seq2Seq` (``attention=False``) or :class:`AttentionSeq2Seq` with teacher
    forcing to reverse digit strings of 1 to ``max_len`` digits, a fresh padded batch per step.

    Adam with a one-cycle schedule and clipping at norm 1; the loss is the mean cross-entropy
    over the real target tokens. Returns ``(model, history)``, ``history["loss"]`` per step.
    """
    device = device or torch.device("cpu")
    torch.manual_seed(seed)
    model = (AttentionSeq2Seq() if attention else Seq2Seq()).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps)
    gen = torch.Generator().manual_seed(seed + 1)
    history = {"loss": []}
    name = "with attention" if attention else "without attention"
    for _ in tqdm(range(steps), desc=f"seq2seq {name}", disable=not progress, leave=False):
        src, tgt, lengths = (t.to(device) for t in make_reversal_batch(batch_size, max_len, gen))
        logits = model.decoder_logits(model.encode(src, lengths), shifted_right(tgt, model.bos))
        loss = masked_token_loss(logits, tgt, lengths)
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        history["loss"].append(loss.item())
    return model.eval(), history


def reversal_test_set(max_len: int = 10, per_length: int = 300, seed: int = 12_345):
    """``per_length`` fresh strings of every length 1..max_len: ``(src, tgt, lengths)``."""
    lengths = torch.arange(1, max_len + 1).repeat_interleave(per_length)
    return (*reversal_strings(lengths, max_len, torch.Generator().manual_seed(seed)), lengths)


def exact_match_by_length(model: Seq2Seq, src, tgt, lengths, device=None):
    """Greedy-decode every string; returns ``(per_length, overall, weights)``: the share of
    strings of each length 1..max whose every digit is right (tensor), the share over all
    strings, and the attention weights (or None)."""
    device = device or torch.device("cpu")
    pred, weights = greedy_decode(model, src.to(device), lengths.to(device), src.shape[1])
    pred = pred.cpu()
    real = positions_within(lengths, src.shape[1])
    right = ((pred == tgt) | ~real).all(dim=1).float()
    per_length = torch.stack([right[lengths == n].mean() for n in range(1, src.shape[1] + 1)])
    return per_length, right.mean().item(), None if weights is None else weights.cpu()


def attention_on_mirror(weights: torch.Tensor, lengths: torch.Tensor, within: int = 1) -> float:
    """Share of the real output steps of a reversal whose most-attended source position is
    within ``within`` positions of the digit being written (source position L - 1 - t).
    ``weights`` (B, T, S) from :func:`greedy_decode`, ``lengths`` (B,)."""
    steps = weights.shape[1]
    mirror = lengths.unsqueeze(1) - 1 - torch.arange(steps)
    near = (weights.argmax(dim=-1) - mirror).abs() <= within
    real = positions_within(lengths, steps)
    return (near & real).sum().item() / real.sum().item()
