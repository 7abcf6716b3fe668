"""Public checks of Chapter 5 (recurrent networks).

The cells are compared with ``nn.RNNCell``, ``nn.LSTMCell`` and ``nn.GRUCell`` carrying the
same weights (outputs and all gradients, in float64); ``unroll`` with ``nn.RNN`` and
``nn.GRU``; ``clip_grad_norm`` with ``torch.nn.utils.clip_grad_norm_``; ``seq2seq_step`` with
a step-by-step teacher-forced decoder built from the same PyTorch modules.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from dlcourse.checks import exercise
from dlcourse.compare import CheckFailure, expect_close, expect_scalar, expect_type

TORCH_CELLS = {"rnn": nn.RNNCell, "lstm": nn.LSTMCell, "gru": nn.GRUCell}
TORCH_LAYERS = {"rnn": nn.RNN, "gru": nn.GRU}
GATES = {"rnn": 1, "lstm": 4, "gru": 3}


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def cell_case(kind: str, seed: int, batch: int, input_size: int, hidden_size: int,
              scale: float = 1.0):
    """Weights (a state dict), inputs and output weights for one cell test, all float64."""
    g = _gen(seed)
    k = GATES[kind] * hidden_size
    sd = {"weight_ih": scale * torch.randn(k, input_size, generator=g, dtype=torch.float64),
          "weight_hh": scale * torch.randn(k, hidden_size, generator=g, dtype=torch.float64),
          "bias_ih": torch.randn(k, generator=g, dtype=torch.float64),
          "bias_hh": torch.randn(k, generator=g, dtype=torch.float64)}
    x = torch.randn(batch, input_size, generator=g, dtype=torch.float64)
    h = torch.randn(batch, hidden_size, generator=g, dtype=torch.float64)
    state = (h, torch.randn(batch, hidden_size, generator=g, dtype=torch.float64)) \
        if kind == "lstm" else h
    w = torch.randn(2, batch, hidden_size, generator=g, dtype=torch.float64)
    return sd, x, state, w


def probe_cell(cls, sd, x, state, w):
    """Build ``cls(input_size, hidden_size)``, load ``sd``, run one step in float64 and
    backpropagate a weighted sum of the outputs; return outputs and gradients."""
    hidden_size, input_size = sd["weight_hh"].shape[1], sd["weight_ih"].shape[1]
    cell = cls(input_size, hidden_size)
    cell.load_state_dict(sd)
    cell = cell.double()
    x = x.clone().requires_grad_(True)
    lstm = isinstance(state, (tuple, list))
    state = tuple(s.clone().requires_grad_(True) for s in state) if lstm \
        else state.clone().requires_grad_(True)
    out = cell(x, state)
    result = {}
    if lstm:
        if not isinstance(out, tuple) or len(out) != 2:
            raise CheckFailure("an LSTM cell must return a tuple (h_new, c_new)")
        loss = (out[0] * w[0]).sum() + (out[1] * w[1]).sum()
        result.update(h_new=out[0].detach(), c_new=out[1].detach())
    else:
        expect_type(out, torch.Tensor, "the cell's output")
        loss = (out * w[0]).sum()
        result["h_new"] = out.detach()
    loss.backward()
    result["grad_x"] = x.grad
    if lstm:
        result.update(grad_h=state[0].grad, grad_c=state[1].grad)
    else:
        result["grad_h"] = state.grad
    for name, p in cell.named_parameters():
        result[f"grad_{name}"] = p.grad
    return result


def compare_dicts(got, expected, what):
    if not isinstance(got, dict):
        raise CheckFailure(f"{what}: the probe returned {type(got).__qualname__}, not a dict")
    for key, value in expected.items():
        if key.startswith("grad_") and got.get(key) is None:
            raise CheckFailure(f"{what}: no gradient reached {key[5:]} (is it used, and "
                               "without .detach() or torch.no_grad()?)")
        if key not in got:
            raise CheckFailure(f"{what}: missing {key}")
        expect_close(got[key], value, f"{what}, {key}")


def check_cell(run, kind, cases):
    for seed, batch, input_size, hidden_size, scale in cases:
        sd, x, state, w = cell_case(kind, seed, batch, input_size, hidden_size, scale)
        expected = probe_cell(TORCH_CELLS[kind], sd, x, state, w)
        got = run(probe_cell, sd, x, state, w)
        compare_dicts(got, expected, f"{kind.upper()} cell with batch {batch}, input size "
                      f"{input_size}, hidden size {hidden_size}")


CELL_CASES = [(0, 4, 3, 5, 1.0), (1, 1, 6, 2, 1.0), (2, 3, 1, 1, 0.5), (3, 2, 4, 4, 3.0)]


@exercise("ch05_rnn_cell", target="RNNCell", title="RNN cell")
def check_rnn_cell(run):
    check_cell(run, "rnn", CELL_CASES)


# ----------------------------------------------------------------------------- unroll

def unroll_case(kind, seed, batch, steps, input_size, hidden_size):
    g = _gen(seed)
    cell = TORCH_CELLS[kind](input_size, hidden_size)
    sd = {k: torch.randn(v.shape, generator=g, dtype=torch.float64) / hidden_size ** 0.5
          for k, v in cell.state_dict().items()}
    xs = torch.randn(batch, steps, input_size, generator=g, dtype=torch.float64)
    h0 = torch.randn(batch, hidden_size, generator=g, dtype=torch.float64)
    w_all = torch.randn(batch, steps, hidden_size, generator=g, dtype=torch.float64)
    w_last = torch.randn(batch, hidden_size, generator=g, dtype=torch.float64)
    return sd, xs, h0, w_all, w_last


def probe_unroll(unroll, kind, sd, xs, h0, w_all, w_last):
    """Run ``unroll`` with PyTorch's cell of ``kind`` and backpropagate a weighted sum."""
    cell = TORCH_CELLS[kind](xs.shape[2], h0.shape[1]).double()
    cell.load_state_dict(sd)
    xs, h0 = xs.clone().requires_grad_(True), h0.clone().requires_grad_(True)
    out = unroll(cell, xs, h0)
    if not isinstance(out, tuple) or len(out) != 2:
        raise CheckFailure("unroll must return a tuple (hs, h_last)")
    hs, h_last = out
    expect_type(hs, torch.Tensor, "hs")
    expect_type(h_last, torch.Tensor, "h_last")
    if tuple(hs.shape) != tuple(w_all.shape):
        raise CheckFailure(f"hs: expected shape {tuple(w_all.shape)} (batch, steps, hidden), "
                           f"got {tuple(hs.shape)}")
    ((hs * w_all).sum() + (h_last * w_last).sum()).backward()
    return {"hs": hs.detach(), "h_last": h_last.detach(), "grad_xs": xs.grad,
            "grad_h0": h0.grad, "grad_weight_hh": cell.weight_hh.grad}


def reference_unroll(kind, sd, xs, h0, w_all, w_last):
    """The same quantities from PyTorch's multi-step layer (nn.RNN or nn.GRU)."""
    layer = TORCH_LAYERS[kind](xs.shape[2], h0.shape[1], batch_first=True).double()
    layer.load_state_dict({f"{k}_l0": v for k, v in sd.items()})
    xs, h0 = xs.clone().requires_grad_(True), h0.clone().requires_grad_(True)
    hs, h_last = layer(xs, h0.unsqueeze(0))
    ((hs * w_all).sum() + (h_last[0] * w_last).sum()).backward()
    return {"hs": hs.detach(), "h_last": h_last[0].detach(), "grad_xs": xs.grad,
            "grad_h0": h0.grad, "grad_weight_hh": layer.weight_hh_l0.grad}


def check_unroll_cases(run, cases):
    for kind, seed, batch, steps, input_size, hidden_size in cases:
        args = unroll_case(kind, seed, batch, steps, input_size, hidden_size)
        got = run(probe_unroll, kind, *args)
        compare_dicts(got, reference_unroll(kind, *args),
                      f"unroll with nn.{kind.upper()}Cell over {steps} steps, batch {batch}")


@exercise("ch05_unroll", target="unroll", title="Unrolling a cell")
def check_unroll(run):
    check_unroll_cases(run, [("rnn", 0, 3, 5, 2, 4), ("rnn", 1, 1, 1, 3, 3),
                             ("gru", 2, 2, 7, 1, 5), ("gru", 3, 4, 2, 6, 2)])


# ----------------------------------------------------------------------------- clipping

def clip_case(seed, shapes, scale, missing=()):
    g = _gen(seed)
    grads = [scale * torch.randn(s, generator=g) for s in shapes]
    return grads, list(missing)


def probe_clip(clip_grad_norm, grads, missing, max_norm, as_generator=False):
    """Parameters whose ``.grad`` are ``grads`` (none for the indices in ``missing``), clipped
    with ``clip_grad_norm(params, max_norm)``; returns the total norm and the new gradients."""
    params = []
    for i, g in enumerate(grads):
        p = torch.zeros_like(g, requires_grad=True)
        if i not in missing:
            p.grad = g.clone()
        params.append(p)
    total = clip_grad_norm((p for p in params) if as_generator else params, max_norm)
    if isinstance(total, torch.Tensor):
        total = total.detach()
    return {"total_norm": total, "grads": [p.grad for p in params if p.grad is not None]}


def reference_clip(grads, missing, max_norm):
    return probe_clip(torch.nn.utils.clip_grad_norm_, grads, missing, max_norm)


def check_clip_cases(run, cases):
    for seed, shapes, scale, missing, max_norm, as_gen in cases:
        grads, missing = clip_case(seed, shapes, scale, missing)
        got = run(probe_clip, grads, missing, max_norm, as_gen)
        expected = reference_clip(grads, missing, max_norm)
        what = f"clip_grad_norm with gradients of shapes {shapes} and max_norm={max_norm}"
        if not isinstance(got, dict) or "total_norm" not in got:
            raise CheckFailure(f"{what}: unexpected result")
        expect_scalar(got["total_norm"], expected["total_norm"].item(),
                      f"{what}: the returned total norm", rtol=1e-5, atol=1e-7)
        if len(got["grads"]) != len(expected["grads"]):
            raise CheckFailure(f"{what}: gradients were added or removed")
        for i, (a, b) in enumerate(zip(got["grads"], expected["grads"])):
            expect_close(a, b, f"{what}: gradient {i} after clipping", rtol=1e-5, atol=1e-7)


@exercise("ch05_clip_grad_norm", target="clip_grad_norm",
          title="Clipping by global norm")
def check_clip_grad_norm(run):
    check_clip_cases(run, [
        (0, [(3, 4), (4,)], 5.0, (), 1.0, False),          # clipped
        (1, [(2, 2), (5,), (1,)], 0.01, (), 1.0, False),   # already small: unchanged
        (2, [(6,), (2, 3)], 3.0, (1,), 0.5, True),         # a parameter without gradient
        (3, [(1,)], -4.0, (), 2.0, False),                 # one negative number
        (4, [(3,), (3,)], 0.0, (), 1.0, False),            # all zero
    ])


# ----------------------------------------------------------------------------- LSTM and GRU

@exercise("ch05_lstm_cell", target="LSTMCell", title="LSTM cell")
def check_lstm_cell(run):
    check_cell(run, "lstm", CELL_CASES)


@exercise("ch05_gru_cell", target="GRUCell", title="GRU cell")
def check_gru_cell(run):
    check_cell(run, "gru", CELL_CASES)


# ----------------------------------------------------------------------------- seq2seq

def seq2seq_case(seed, batch, src_len, tgt_len, src_vocab=7, tgt_vocab=5, embed=3, hidden=4):
    from dlcourse.rnn import Seq2Seq

    g = _gen(seed)
    shapes = Seq2Seq(src_vocab, tgt_vocab, embed, hidden).state_dict()
    sd = {k: torch.randn(v.shape, generator=g, dtype=torch.float64) for k, v in shapes.items()}
    config = [src_vocab, tgt_vocab, embed, hidden]
    src = torch.randint(0, src_vocab, (batch, src_len), generator=g)
    tgt = torch.randint(0, tgt_vocab, (batch, tgt_len), generator=g)
    return config, sd, src, tgt


def _model(config, sd):
    from dlcourse.rnn import Seq2Seq

    model = Seq2Seq(*config).double()
    model.load_state_dict(sd)
    return model


def probe_seq2seq(seq2seq_step, config, sd, src, tgt):
    """Call ``seq2seq_step(model, src, tgt)`` and backpropagate its loss; the result holds the
    loss, the logits and the gradients of every parameter."""
    model = _model(config, sd)
    out = seq2seq_step(model, src, tgt)
    if not isinstance(out, tuple) or len(out) != 2:
        raise CheckFailure("seq2seq_step must return a tuple (loss, logits)")
    loss, logits = out
    expect_type(loss, torch.Tensor, "loss")
    loss.backward()
    result = {"loss": loss.detach(), "logits": logits.detach()}
    for name, p in model.named_parameters():
        result[f"grad_{name}"] = p.grad
    return result


def reference_seq2seq(config, sd, src, tgt):
    """Teacher forcing one decoder step at a time (dlcourse.rnn.teacher_forced_logits)."""
    from dlcourse.rnn import teacher_forced_logits

    model = _model(config, sd)
    logits = teacher_forced_logits(model, src, tgt)
    loss = F.cross_entropy(logits.transpose(1, 2), tgt)  # classes on axis 1
    loss.backward()
    result = {"loss": loss.detach(), "logits": logits.detach()}
    for name, p in model.named_parameters():
        result[f"grad_{name}"] = p.grad
    return result


def check_seq2seq_cases(run, cases):
    for seed, batch, src_len, tgt_len in cases:
        args = seq2seq_case(seed, batch, src_len, tgt_len)
        got = run(probe_seq2seq, *args)
        compare_dicts(got, reference_seq2seq(*args), f"seq2seq_step with batch {batch}, "
                      f"source length {src_len}, target length {tgt_len}")


@exercise("ch05_seq2seq_step", target="seq2seq_step",
          title="One encoder-decoder step with teacher forcing")
def check_seq2seq_step(run):
    check_seq2seq_cases(run, [(0, 3, 5, 4), (1, 1, 2, 6), (2, 4, 1, 1), (3, 2, 7, 3)])

# The catalogue of known mistakes: exercise -> mistake id -> what the misconception is.
MISTAKES = {
    "ch05_rnn_cell": {
        "forgets_the_hidden_to_hidden_bias": 'forgets the hidden-to-hidden bias',
        "multiplies_by_the_weights_without": 'multiplies by the weights without transposing (square case only works)',
    },
    "ch05_unroll": {
        "returns_h0_with_the_states_and_drops_the": 'returns h0 with the states and drops the last one (off by one)',
        "feeds_h0_to_every_step_instead_of_the": 'feeds h0 to every step instead of the previous state',
        "stacks_along_the_wrong_axis_time_first": 'stacks along the wrong axis (time first)',
    },
    "ch05_clip_grad_norm": {
        "clips_each_parameter_by_its_own_norm": 'clips each parameter by its own norm',
        "always_rescales_to_max_norm_also_scaling": 'always rescales to max_norm, also scaling small gradients up',
        "returns_the_norm_after_clipping": 'returns the norm after clipping',
    },
    "ch05_lstm_cell": {
        "uses_the_gate_order_i_f_o_g_instead_of": "uses the gate order i, f, o, g instead of PyTorch's i, f, g, o",
        "forgets_the_tanh_on_the_cell_state_in": 'forgets the tanh on the cell state in the output',
    },
    "ch05_gru_cell": {
        "applies_the_reset_gate_after_adding_the": 'applies the reset gate after adding the bias b_hn',
        "swaps_the_roles_of_z_and_1_z_the_other": 'swaps the roles of z and 1 - z (the other textbook convention)',
    },
    "ch05_seq2seq_step": {
        "feeds_the_target_itself_to_the_decoder": 'feeds the target itself to the decoder (no shift: it sees the answer)',
        "starts_the_decoder_from_zeros_instead_of": 'starts the decoder from zeros instead of the context vector',
        "sums_the_token_losses_instead_of": 'sums the token losses instead of averaging them',
    },
}
