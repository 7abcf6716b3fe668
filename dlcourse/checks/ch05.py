"""Public checks of Chapter 5 (recurrent networks).

The cells are compared with ``nn.RNNCell``, ``nn.LSTMCell`` and ``nn.GRUCell`` carrying the
same weights (outputs and all gradients, in float64); ``unroll`` with ``nn.RNN`` and ``nn.GRU``;
``clip_grad_norm`` with ``torch.nn.utils.clip_grad_norm_``; ``masked_cross_entropy`` with
``F.cross_entropy`` told to ignore the padding; ``seq2seq_step`` with a decoder run one step at
a time.

Known mistakes are recognised from PyTorch's own modules, never from a hand-written cell: a
cell loaded with reordered or altered weights, or one whose gates are forced open or shut through
their biases (in float64 a sigmoid of +-1000 is exactly 1 or 0 and tanh(1000) exactly 1), which
reads off the value of a gate.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from dlcourse.checks import exercise
from dlcourse.compare import CheckFailure, expect_close, expect_scalar, expect_type

TORCH_CELLS = {"rnn": nn.RNNCell, "lstm": nn.LSTMCell, "gru": nn.GRUCell}
TORCH_LAYERS = {"rnn": nn.RNN, "gru": nn.GRU}
GATES = {"rnn": 1, "lstm": 4, "gru": 3}
BIG = 1000.0

# The catalogue of known mistakes: exercise -> mistake id -> the misconception and the idea to
# revisit (never code).
MISTAKES = {
    "ch05_rnn_cell": {
        "hidden_bias_missing": "the hidden-to-hidden bias b_hh is missing: PyTorch's cell adds two "
                               "biases, b_ih and b_hh (together they are the notes' single b), "
                               "and both are parameters that need gradients",
        "recurrent_weight_not_transposed": "W_hh is used untransposed: like nn.Linear's weight it "
                                           "is stored as (out, in), so a batch of states in rows "
                                           "is multiplied by its transpose; a square matrix hides "
                                           "the mistake from the shapes, not from the values",
        "tanh_missing": "the tanh is missing: the new state is the tanh of the affine map, which "
                        "keeps every entry of the state between -1 and 1",
    },
    "ch05_unroll": {
        "returns_h0_not_h_T": "hs runs from h_0 to h_(T-1): it must hold the state after each "
                              "input, h_1 to h_T, one per input, the last one equal to h_last",
        "h0_fed_every_step": "every step starts again from h0: each step must receive the state "
                             "the previous step produced; that is what carries the memory along",
        "time_axis_first": "the states are stacked along the first axis: in the batch-first "
                           "layout hs has shape (B, T, hidden), time on axis 1 like xs",
    },
    "ch05_clip_grad_norm": {
        "per_parameter_clipping": "each parameter was clipped by its own norm: clipping by the "
                                  "global norm measures all gradients together and scales them "
                                  "all by one common factor, which keeps the update's direction",
        "rescales_small_gradients": "gradients already below max_norm were rescaled too: the "
                                    "factor is min(1, max_norm / (norm + 1e-6)), so clipping "
                                    "only ever shrinks",
        "norm_after_clipping": "the returned norm was measured after clipping: return the total "
                               "norm before clipping, as clip_grad_norm_ does (it is the number "
                               "you monitor to spot explosions)",
        "parameters_iterated_twice": "nothing was clipped when the parameters came as a "
                                     "generator: model.parameters() can be walked through only "
                                     "once, so keep the gradients in a list on the first pass",
        "sum_of_norms": "the per-parameter norms were added up: the global norm is the square "
                        "root of the sum of all squared entries, as if every gradient were part "
                        "of one long vector",
    },
    "ch05_lstm_cell": {
        "gate_order_of_the_notes": "the blocks were read in the lecture notes' order i, f, o, g: "
                                   "PyTorch stacks them as i, f, g, o (input gate, forget gate, "
                                   "candidate, output gate), and the cell must read PyTorch's "
                                   "weights",
        "input_and_forget_gate_swapped": "the input and forget gates play each other's part: "
                                         "the forget gate (second block) scales the old cell "
                                         "state, the input gate (first block) the candidate",
        "no_tanh_on_the_cell_state": "the output gate multiplies the cell state itself: the "
                                     "cell state is squashed by tanh first",
        "output_from_the_old_cell_state": "the output reads the previous cell state: h_new is "
                                          "computed from the cell state just updated, c_new",
    },
    "ch05_gru_cell": {
        "reset_before_the_product": "the reset gate multiplies h before the product with W_hn, "
                                    "the form of the lecture notes and of Cho et al. (2014), "
                                    "also common in public code; this exercise grades "
                                    "PyTorch's form, where r scales the finished product plus "
                                    "its bias, so that the cell can be compared with nn.GRUCell",
        "reset_leaves_out_b_hn": "the reset gate scales the product W_hn h but not its bias "
                                 "b_hn: in PyTorch's form r multiplies the whole hidden part of "
                                 "the candidate, product and bias",
        "update_gate_convention_swapped": "z and 1 - z are swapped (the lecture notes' "
                                          "convention): in PyTorch's cell z is the share of the "
                                          "old state that is kept and 1 - z the candidate's share",
        "gate_order_z_r": "the first two blocks were read as z, r: PyTorch stacks the GRU's "
                          "blocks as r, z, n (reset gate, update gate, candidate)",
    },
    "ch05_masked_loss": {
        "padding_not_masked": "the padded positions were counted as tokens: their targets are "
                              "filler, so their cross-entropy must be left out of the average",
        "padding_in_the_denominator": "the padding is left out of the sum but still counted in "
                                      "the denominator: divide by the number of real tokens, "
                                      "the sum of the lengths",
        "mean_of_sequence_means": "each sequence was averaged first, then the batch: that gives "
                                  "the tokens of short sequences more weight; average over all "
                                  "real tokens at once",
        "mask_one_too_long": "the mask keeps one position past each sequence's end: a sequence "
                             "of length L has its real tokens at positions 0 to L - 1",
        "sum_instead_of_mean": "the loss is the sum over the real tokens: the contract asks for "
                               "their mean",
    },
    "ch05_seq2seq_step": {
        "decoder_sees_the_answer": "the decoder reads the targets themselves, not the targets "
                                   "shifted right: at step t it may only see bos and the tokens "
                                   "before t; fed the token it must predict, it learns to copy",
        "decoder_starts_from_zeros": "the decoder starts from zeros: its initial state is the "
                                     "context vector, the encoder's last hidden state, the only "
                                     "path from the source to the output",
        "tokens_summed": "the token losses were summed: the contract asks for the mean over all "
                         "B * T tokens",
    },
}


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def compare_dicts(got, expected, what, variants=None):
    """Compare a probe's dict with the expected one, key by key in the expected order.

    ``variants`` maps a catalogued mistake to what that mistake gives for some of the keys;
    a failure on such a key that matches the variant names the mistake.
    """
    if not isinstance(got, dict):
        raise CheckFailure(f"{what}: the probe returned {type(got).__qualname__}, not a dict")
    for key, value in expected.items():
        if key.startswith("grad_") and got.get(key) is None:
            raise CheckFailure(f"{what}: no gradient reached {key[5:]} (is it used, and "
                               "without .detach() or torch.no_grad()?)")
        if key not in got:
            raise CheckFailure(f"{what}: missing {key}")
        mistakes = {m: v[key] for m, v in (variants or {}).items() if key in v}
        expect_close(got[key], value, f"{what}, {key}", mistakes=mistakes)


# ----------------------------------------------------------------------------- cells

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
    cell = cls(input_size, hidden_size).double()
    cell.load_state_dict(sd)  # after .double(): the float64 weights are kept exactly
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


@torch.no_grad()
def _torch_step(kind, sd, x, state, **options):
    """One step of PyTorch's cell of ``kind`` with the weights ``sd`` (float64)."""
    cell = TORCH_CELLS[kind](sd["weight_ih"].shape[1], sd["weight_hh"].shape[1], **options)
    cell = cell.double()
    cell.load_state_dict(sd)
    return cell(x, state)


def _reordered(sd, order):
    """``sd`` with its stacked gate blocks in a new order (``order`` lists old block indices)."""
    return {name: torch.cat([p.chunk(len(order))[i] for i in order]) for name, p in sd.items()}


def _with_block(sd, blocks, block, **values):
    """``sd`` with one gate block's parameters replaced: ``values`` maps a parameter name to a
    number or a tensor the block is filled with."""
    out = {name: p.clone() for name, p in sd.items()}
    for name, value in values.items():
        out[name].chunk(blocks)[block][...] = value
    return out


def _switched(sd, blocks, block, bias):
    """The gate ``block`` no longer reads its inputs: weights zero, bias ``bias`` (so with
    +-BIG a sigmoid gate is exactly open or shut)."""
    return _with_block(sd, blocks, block, weight_ih=0.0, weight_hh=0.0, bias_ih=bias, bias_hh=0.0)


def rnn_cell_variants(sd, x, h):
    """What each catalogued RNN-cell mistake computes, from PyTorch's nn.RNNCell."""
    shifted = {**sd, "bias_ih": sd["bias_ih"] + BIG}  # a ReLU far from its kink is the identity
    return {
        "hidden_bias_missing": {"h_new": _torch_step(
            "rnn", {**sd, "bias_hh": torch.zeros_like(sd["bias_hh"])}, x, h)},
        "recurrent_weight_not_transposed": {"h_new": _torch_step(
            "rnn", {**sd, "weight_hh": sd["weight_hh"].T.contiguous()}, x, h)},
        "tanh_missing": {"h_new": _torch_step("rnn", shifted, x, h, nonlinearity="relu") - BIG},
    }


def lstm_cell_variants(sd, x, state):
    """What each catalogued LSTM-cell mistake computes, from PyTorch's nn.LSTMCell."""
    c = state[1]
    c_new = _torch_step("lstm", sd, x, state)[1]
    # forget gate shut, input gate open, candidate tanh(BIG) = 1: c_new = 1 and h = o tanh(1)
    forced = _switched(_switched(_switched(sd, 4, 0, BIG), 4, 1, -BIG), 4, 2, BIG)
    o = _torch_step("lstm", forced, x, state)[0] / math.tanh(1.0)

    def reordered(order):
        return dict(zip(("h_new", "c_new"), _torch_step("lstm", _reordered(sd, order), x, state)))

    return {"gate_order_of_the_notes": reordered([0, 1, 3, 2]),
            "input_and_forget_gate_swapped": reordered([1, 0, 2, 3]),
            "no_tanh_on_the_cell_state": {"h_new": o * c_new, "c_new": c_new},
            "output_from_the_old_cell_state": {"h_new": o * torch.tanh(c), "c_new": c_new}}


def gru_parts(sd, x, h):
    """The reset gate r, update gate z and candidate n of PyTorch's GRU cell, read off cells
    with a gate forced: with z shut the cell outputs n; with z shut and a candidate that only
    sees b_hn = 1 it outputs tanh(r); with a constant candidate +-1/2 the two outputs differ
    by 1 - z."""
    z_shut = _switched(sd, 3, 1, -BIG)
    n = _torch_step("gru", z_shut, x, h)
    reads_r = _with_block(z_shut, 3, 2, weight_ih=0.0, weight_hh=0.0, bias_ih=0.0, bias_hh=1.0)
    r = torch.atanh(_torch_step("gru", reads_r, x, h))
    half = math.atanh(0.5)
    plus, minus = (_with_block(sd, 3, 2, weight_ih=0.0, weight_hh=0.0, bias_ih=s * half,
                               bias_hh=0.0) for s in (1, -1))
    z = 1 - (_torch_step("gru", plus, x, h) - _torch_step("gru", minus, x, h))
    return r, z, n, z_shut


def gru_cell_variants(sd, x, h):
    """What each catalogued GRU-cell mistake computes, from PyTorch's nn.GRUCell."""
    r, z, n, z_shut = gru_parts(sd, x, h)
    # reset gate open and update gate shut: fed r * h, the cell returns tanh(W_in x + b_in +
    # W_hn (r * h) + b_hn), the candidate with the reset applied before the product
    n_before = _torch_step("gru", _switched(z_shut, 3, 0, BIG), x, r * h)
    b_in, b_hn = sd["bias_ih"].chunk(3)[2], sd["bias_hh"].chunk(3)[2]
    bias_outside = _with_block(sd, 3, 2, bias_ih=b_in + b_hn, bias_hh=0.0)
    return {"reset_before_the_product": {"h_new": (1 - z) * n_before + z * h},
            "reset_leaves_out_b_hn": {"h_new": _torch_step("gru", bias_outside, x, h)},
            "update_gate_convention_swapped": {"h_new": z * n + (1 - z) * h},
            "gate_order_z_r": {"h_new": _torch_step("gru", _reordered(sd, [1, 0, 2]), x, h)}}


CELL_VARIANTS = {"rnn": rnn_cell_variants, "lstm": lstm_cell_variants, "gru": gru_cell_variants}


def check_cell(run, kind, cases):
    for seed, batch, input_size, hidden_size, scale in cases:
        sd, x, state, w = cell_case(kind, seed, batch, input_size, hidden_size, scale)
        expected = probe_cell(TORCH_CELLS[kind], sd, x, state, w)
        got = run(probe_cell, sd, x, state, w)
        compare_dicts(got, expected, f"{kind.upper()} cell with batch {batch}, input size "
                      f"{input_size}, hidden size {hidden_size}",
                      CELL_VARIANTS[kind](sd, x, state))


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
    """Run ``unroll`` with PyTorch's cell of ``kind`` and backpropagate a weighted sum (when
    the shapes allow it)."""
    cell = TORCH_CELLS[kind](xs.shape[2], h0.shape[1]).double()
    cell.load_state_dict(sd)
    xs, h0 = xs.clone().requires_grad_(True), h0.clone().requires_grad_(True)
    out = unroll(cell, xs, h0)
    if not isinstance(out, tuple) or len(out) != 2:
        raise CheckFailure("unroll must return a tuple (hs, h_last)")
    hs, h_last = out
    expect_type(hs, torch.Tensor, "hs")
    expect_type(h_last, torch.Tensor, "h_last")
    result = {"hs": hs.detach(), "h_last": h_last.detach()}
    if hs.shape == w_all.shape and h_last.shape == w_last.shape:
        ((hs * w_all).sum() + (h_last * w_last).sum()).backward()
        result.update(grad_xs=xs.grad, grad_h0=h0.grad, grad_weight_hh=cell.weight_hh.grad)
    return result


def _layer(kind, sd, input_size, hidden_size):
    layer = TORCH_LAYERS[kind](input_size, hidden_size, batch_first=True).double()
    layer.load_state_dict({f"{k}_l0": v for k, v in sd.items()})
    return layer


def reference_unroll(kind, sd, xs, h0, w_all, w_last):
    """The same quantities from PyTorch's multi-step layer (nn.RNN or nn.GRU)."""
    layer = _layer(kind, sd, xs.shape[2], h0.shape[1])
    xs, h0 = xs.clone().requires_grad_(True), h0.clone().requires_grad_(True)
    hs, h_last = layer(xs, h0.unsqueeze(0))
    ((hs * w_all).sum() + (h_last[0] * w_last).sum()).backward()
    return {"hs": hs.detach(), "h_last": h_last[0].detach(), "grad_xs": xs.grad,
            "grad_h0": h0.grad, "grad_weight_hh": layer.weight_hh_l0.grad}


@torch.no_grad()
def unroll_variants(kind, sd, xs, h0, hs):
    """What each catalogued unroll mistake returns, from PyTorch's layer."""
    batch, steps, inputs = xs.shape
    layer = _layer(kind, sd, inputs, h0.shape[1])
    # every step from h0: B * T sequences of one step each
    restarted = layer(xs.reshape(batch * steps, 1, inputs),
                      h0.repeat_interleave(steps, dim=0).unsqueeze(0))[0].reshape(hs.shape)
    return {"returns_h0_not_h_T": {"hs": torch.cat([h0.unsqueeze(1), hs[:, :-1]], dim=1)},
            "h0_fed_every_step": {"hs": restarted, "h_last": restarted[:, -1]},
            "time_axis_first": {"hs": hs.transpose(0, 1)}}


def check_unroll_cases(run, cases):
    for kind, seed, batch, steps, input_size, hidden_size in cases:
        args = unroll_case(kind, seed, batch, steps, input_size, hidden_size)
        expected = reference_unroll(kind, *args)
        got = run(probe_unroll, kind, *args)
        compare_dicts(got, expected,
                      f"unroll with nn.{kind.upper()}Cell over {steps} steps, batch {batch}",
                      unroll_variants(kind, *args[:3], expected["hs"]))


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


def clip_variants(grads, missing, max_norm, as_generator, expected):
    """What each catalogued clipping mistake returns: total norm and gradients."""
    present = [g for i, g in enumerate(grads) if i not in missing]
    total = expected["total_norm"].item()
    each = [reference_clip([g], [], max_norm)["grads"][0] for g in present]
    sum_of_norms = sum(g.norm().item() for g in present)
    factor = min(1.0, max_norm / (sum_of_norms + 1e-6))
    variants = {
        "per_parameter_clipping": {"grads": each},
        "rescales_small_gradients": {"grads": [g * (max_norm / (total + 1e-6)) for g in present]},
        "norm_after_clipping": {"total_norm": reference_clip(expected["grads"], [], max_norm)[
            "total_norm"].item()},
        "sum_of_norms": {"total_norm": sum_of_norms, "grads": [g * factor for g in present]},
    }
    if as_generator:
        variants["parameters_iterated_twice"] = {"grads": present}
    return variants


def check_clip_cases(run, cases):
    for seed, shapes, scale, missing, max_norm, as_gen in cases:
        grads, missing = clip_case(seed, shapes, scale, missing)
        got = run(probe_clip, grads, missing, max_norm, as_gen)
        expected = reference_clip(grads, missing, max_norm)
        variants = clip_variants(grads, missing, max_norm, as_gen, expected)
        what = f"clip_grad_norm with gradients of shapes {shapes} and max_norm={max_norm}"
        if not isinstance(got, dict) or "total_norm" not in got:
            raise CheckFailure(f"{what}: unexpected result")
        norm_variants = {m: v["total_norm"] for m, v in variants.items() if "total_norm" in v}
        expect_scalar(got["total_norm"], expected["total_norm"].item(),
                      f"{what}: the returned total norm", rtol=1e-5, atol=1e-7,
                      mistakes=norm_variants)
        if len(got["grads"]) != len(expected["grads"]):
            raise CheckFailure(f"{what}: gradients were added or removed")
        for i, (a, b) in enumerate(zip(got["grads"], expected["grads"])):
            expect_close(a, b, f"{what}: gradient {i} after clipping", rtol=1e-5, atol=1e-7,
                         mistakes={m: v["grads"][i] for m, v in variants.items() if "grads" in v})


@exercise("ch05_clip_grad_norm", target="clip_grad_norm",
          title="Clipping by global norm")
def check_clip_grad_norm(run):
    check_clip_cases(run, [
        (0, [(3, 4), (4,)], 5.0, (), 1.0, False),          # clipped
        (1, [(2, 2), (5,), (1,)], 0.01, (), 1.0, False),   # already small: unchanged
        (2, [(6,), (2, 3)], 3.0, (1,), 0.5, True),         # a parameter without gradient
        (3, [(1,)], -4.0, (), 2.0, False),                 # one negative number
        (4, [(3,), (3,)], 0.0, (), 1.0, False),            # all zero
        (5, [(2, 3), (3,)], 2.0, (), 1.0, True),           # model.parameters() is a generator
    ])


# ----------------------------------------------------------------------------- LSTM and GRU

@exercise("ch05_lstm_cell", target="LSTMCell", title="LSTM cell")
def check_lstm_cell(run):
    check_cell(run, "lstm", CELL_CASES)


@exercise("ch05_gru_cell", target="GRUCell", title="GRU cell")
def check_gru_cell(run):
    check_cell(run, "gru", CELL_CASES)


# ----------------------------------------------------------------------------- masked loss

def masked_case(seed, lengths, steps, vocab):
    """float64 logits (B, T, V), targets (B, T) with filler after each end, lengths (B,)."""
    g = _gen(seed)
    lengths = torch.tensor(lengths)
    logits = 2 * torch.randn(len(lengths), steps, vocab, generator=g, dtype=torch.float64)
    targets = torch.randint(0, vocab, (len(lengths), steps), generator=g)
    return logits, targets, lengths


def probe_masked_loss(masked_cross_entropy, logits, targets, lengths):
    """The loss and its gradient with respect to the logits."""
    logits = logits.clone().requires_grad_(True)
    loss = masked_cross_entropy(logits, targets, lengths)
    expect_type(loss, torch.Tensor, "the loss")
    loss.sum().backward()
    return {"loss": loss.detach(), "grad_logits": logits.grad}


def _ignoring(targets, lengths, extra=0):
    """Targets with every position at or after length + extra set to ignore_index."""
    from dlcourse.seq2seq import IGNORE, positions_within

    return targets.masked_fill(~positions_within(lengths + extra, targets.shape[1]), IGNORE)


def reference_masked_loss(logits, targets, lengths):
    return probe_masked_loss(lambda z, t, n: F.cross_entropy(z.transpose(1, 2), _ignoring(t, n)),
                             logits, targets, lengths)


@torch.no_grad()
def masked_loss_variants(logits, targets, lengths, expected):
    """What each catalogued masked-loss mistake returns, from F.cross_entropy."""
    scores = logits.transpose(1, 2)
    loss = expected["loss"]
    per_sequence = [F.cross_entropy(z[:n], t[:n]) for z, t, n in zip(logits, targets, lengths)]
    return {
        "padding_not_masked": {"loss": F.cross_entropy(scores, targets)},
        "padding_in_the_denominator": {"loss": loss * lengths.sum() / targets.numel()},
        "mean_of_sequence_means": {"loss": torch.stack(per_sequence).mean()},
        "mask_one_too_long": {"loss": F.cross_entropy(scores, _ignoring(targets, lengths, 1))},
        "sum_instead_of_mean": {"loss": loss * lengths.sum()},
    }


def check_masked_loss_cases(run, cases):
    for seed, lengths, steps, vocab in cases:
        args = masked_case(seed, lengths, steps, vocab)
        expected = reference_masked_loss(*args)
        got = run(probe_masked_loss, *args)
        compare_dicts(got, expected, f"masked_cross_entropy with lengths {lengths}, "
                      f"{steps} steps, {vocab} classes",
                      masked_loss_variants(*args, expected))


@exercise("ch05_masked_loss", target="masked_cross_entropy", title="A loss that ignores padding")
def check_masked_loss(run):
    check_masked_loss_cases(run, [(0, [3, 1, 4], 4, 5), (1, [2], 5, 3), (2, [1, 6, 2, 6], 6, 7),
                                  (3, [2, 2], 2, 4)])


# ----------------------------------------------------------------------------- seq2seq

def seq2seq_case(seed, batch, src_len, tgt_len, src_vocab=7, tgt_vocab=5, embed=3, hidden=4):
    from dlcourse.seq2seq import Seq2Seq

    g = _gen(seed)
    shapes = Seq2Seq(src_vocab, tgt_vocab, embed, hidden).state_dict()
    sd = {k: torch.randn(v.shape, generator=g, dtype=torch.float64) for k, v in shapes.items()}
    config = [src_vocab, tgt_vocab, embed, hidden]
    src = torch.randint(0, src_vocab, (batch, src_len), generator=g)
    tgt = torch.randint(0, tgt_vocab, (batch, tgt_len), generator=g)
    return config, sd, src, tgt


def _model(config, sd):
    from dlcourse.seq2seq import Seq2Seq

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
    expect_type(logits, torch.Tensor, "logits")
    loss.sum().backward()
    result = {"loss": loss.detach(), "logits": logits.detach()}
    for name, p in model.named_parameters():
        result[f"grad_{name}"] = p.grad
    return result


def _token_loss(logits, tgt):
    return F.cross_entropy(logits.transpose(1, 2), tgt)  # classes on axis 1


def reference_seq2seq(config, sd, src, tgt):
    """Teacher forcing one decoder step at a time (dlcourse.seq2seq.teacher_forced_logits)."""
    from dlcourse.seq2seq import teacher_forced_logits

    model = _model(config, sd)
    logits = teacher_forced_logits(model, src, tgt)
    loss = _token_loss(logits, tgt)
    loss.backward()
    result = {"loss": loss.detach(), "logits": logits.detach()}
    for name, p in model.named_parameters():
        result[f"grad_{name}"] = p.grad
    return result


@torch.no_grad()
def seq2seq_variants(config, sd, src, tgt, expected):
    """What each catalogued seq2seq mistake returns, from step-by-step decoding."""
    from dlcourse.seq2seq import stepwise_logits, teacher_forced_logits

    model = _model(config, sd)
    sees = stepwise_logits(model, src, tgt)
    zeros = teacher_forced_logits(model, src, tgt, from_context=False)
    return {"decoder_sees_the_answer": {"loss": _token_loss(sees, tgt), "logits": sees},
            "decoder_starts_from_zeros": {"loss": _token_loss(zeros, tgt), "logits": zeros},
            "tokens_summed": {"loss": expected["loss"] * tgt.numel()}}


def check_seq2seq_cases(run, cases, **sizes):
    for seed, batch, src_len, tgt_len in cases:
        args = seq2seq_case(seed, batch, src_len, tgt_len, **sizes)
        expected = reference_seq2seq(*args)
        got = run(probe_seq2seq, *args)
        compare_dicts(got, expected, f"seq2seq_step with batch {batch}, source length "
                      f"{src_len}, target length {tgt_len}", seq2seq_variants(*args, expected))


@exercise("ch05_seq2seq_step", target="seq2seq_step",
          title="One encoder-decoder step with teacher forcing")
def check_seq2seq_step(run):
    check_seq2seq_cases(run, [(0, 3, 5, 4), (1, 1, 2, 6), (2, 4, 1, 1), (3, 2, 7, 3)])
