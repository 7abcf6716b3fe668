"""Implementations of Chapter 5's catalogued mistakes (the grader's own; never shipped).

Each entry replaces the master's solution cell: the grader must take that exercise's points
and name the mistake. The messages are in ``dlcourse/checks/ch05.py`` (``MISTAKES``).
"""
from autograder.mistakes import Mistake

_RNN_INIT = '''
class RNNCell(nn.Module):
    def __init__(self, input_size, hidden_size):
        super().__init__()
        k = hidden_size ** -0.5
        self.weight_ih = nn.Parameter(torch.empty(hidden_size, input_size).uniform_(-k, k))
        self.weight_hh = nn.Parameter(torch.empty(hidden_size, hidden_size).uniform_(-k, k))
        self.bias_ih = nn.Parameter(torch.empty(hidden_size).uniform_(-k, k))
        self.bias_hh = nn.Parameter(torch.empty(hidden_size).uniform_(-k, k))
'''

_GATED_INIT = '''
class {name}(nn.Module):
    def __init__(self, input_size, hidden_size):
        super().__init__()
        k = hidden_size ** -0.5
        self.weight_ih = nn.Parameter(torch.empty({n} * hidden_size, input_size).uniform_(-k, k))
        self.weight_hh = nn.Parameter(torch.empty({n} * hidden_size, hidden_size).uniform_(-k, k))
        self.bias_ih = nn.Parameter(torch.empty({n} * hidden_size).uniform_(-k, k))
        self.bias_hh = nn.Parameter(torch.empty({n} * hidden_size).uniform_(-k, k))
'''
_LSTM_INIT = _GATED_INIT.format(name="LSTMCell", n=4)
_GRU_INIT = _GATED_INIT.format(name="GRUCell", n=3)

_MASK = '''
def masked_cross_entropy(logits, targets, lengths):
    real = torch.arange(targets.shape[1]) {compare} lengths.unsqueeze(1)
    per_token = F.cross_entropy(logits.transpose(1, 2), targets, reduction="none")
    return {result}
'''

_SEQ2SEQ = '''
def seq2seq_step(model, src, tgt):
    context = model.encoder(model.src_embed(src))[1]
    bos = torch.full_like(tgt[:, :1], model.bos)
    dec_in = {dec_in}
    outputs, _ = model.decoder(model.tgt_embed(dec_in){start})
    logits = model.head(outputs)
    loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), tgt.reshape(-1){reduction})
    return loss, logits
'''


def _seq2seq(dec_in="torch.cat([bos, tgt[:, :-1]], dim=1)", start=", context", reduction=""):
    return _SEQ2SEQ.format(dec_in=dec_in, start=start, reduction=reduction)


MISTAKES = [
    # ---------------------------------------------------------------- RNN cell
    Mistake("ch05_rnn_cell", "hidden_bias_missing", _RNN_INIT + '''
    def forward(self, x, h):
        return torch.tanh(x @ self.weight_ih.T + self.bias_ih + h @ self.weight_hh.T)
'''),
    Mistake("ch05_rnn_cell", "recurrent_weight_not_transposed", _RNN_INIT + '''
    def forward(self, x, h):
        return torch.tanh(x @ self.weight_ih.T + self.bias_ih + h @ self.weight_hh + self.bias_hh)
'''),
    Mistake("ch05_rnn_cell", "tanh_missing", _RNN_INIT + '''
    def forward(self, x, h):
        return x @ self.weight_ih.T + self.bias_ih + h @ self.weight_hh.T + self.bias_hh
'''),
    # ---------------------------------------------------------------- unroll
    Mistake("ch05_unroll", "returns_h0_not_h_T", '''
def unroll(cell, xs, h0):
    h = h0
    hs = []
    for t in range(xs.shape[1]):
        hs.append(h)
        h = cell(xs[:, t], h)
    return torch.stack(hs, dim=1), h
'''),
    Mistake("ch05_unroll", "h0_fed_every_step", '''
def unroll(cell, xs, h0):
    hs = [cell(xs[:, t], h0) for t in range(xs.shape[1])]
    return torch.stack(hs, dim=1), hs[-1]
'''),
    Mistake("ch05_unroll", "time_axis_first", '''
def unroll(cell, xs, h0):
    h = h0
    hs = []
    for t in range(xs.shape[1]):
        h = cell(xs[:, t], h)
        hs.append(h)
    return torch.stack(hs, dim=0), h
'''),
    # ---------------------------------------------------------------- clipping
    Mistake("ch05_clip_grad_norm", "per_parameter_clipping", '''
def clip_grad_norm(parameters, max_norm):
    grads = [p.grad for p in parameters if p.grad is not None]
    total_norm = torch.sqrt(sum((g ** 2).sum() for g in grads))
    for g in grads:
        n = g.norm()
        if n > max_norm:
            g.mul_(max_norm / (n + 1e-6))
    return total_norm
'''),
    Mistake("ch05_clip_grad_norm", "rescales_small_gradients", '''
def clip_grad_norm(parameters, max_norm):
    grads = [p.grad for p in parameters if p.grad is not None]
    total_norm = torch.sqrt(sum((g ** 2).sum() for g in grads))
    for g in grads:
        g.mul_(max_norm / (total_norm + 1e-6))
    return total_norm
'''),
    Mistake("ch05_clip_grad_norm", "norm_after_clipping", '''
def clip_grad_norm(parameters, max_norm):
    grads = [p.grad for p in parameters if p.grad is not None]
    total_norm = torch.sqrt(sum((g ** 2).sum() for g in grads))
    scale = max_norm / (total_norm + 1e-6)
    if scale < 1:
        for g in grads:
            g.mul_(scale)
    return torch.sqrt(sum((g ** 2).sum() for g in grads))
'''),
    Mistake("ch05_clip_grad_norm", "parameters_iterated_twice", '''
def clip_grad_norm(parameters, max_norm):
    total_norm = torch.sqrt(sum((p.grad ** 2).sum() for p in parameters if p.grad is not None))
    scale = max_norm / (total_norm + 1e-6)
    if scale < 1:
        for p in parameters:
            if p.grad is not None:
                p.grad.mul_(scale)
    return total_norm
'''),
    Mistake("ch05_clip_grad_norm", "sum_of_norms", '''
def clip_grad_norm(parameters, max_norm):
    grads = [p.grad for p in parameters if p.grad is not None]
    total_norm = sum(g.norm() for g in grads)
    scale = max_norm / (total_norm + 1e-6)
    if scale < 1:
        for g in grads:
            g.mul_(scale)
    return total_norm
'''),
    # ---------------------------------------------------------------- LSTM cell
    Mistake("ch05_lstm_cell", "gate_order_of_the_notes", _LSTM_INIT + '''
    def forward(self, x, state):
        h, c = state
        gates = x @ self.weight_ih.T + self.bias_ih + h @ self.weight_hh.T + self.bias_hh
        i, f, o, g = gates.chunk(4, dim=1)
        c_new = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        return torch.sigmoid(o) * torch.tanh(c_new), c_new
'''),
    Mistake("ch05_lstm_cell", "input_and_forget_gate_swapped", _LSTM_INIT + '''
    def forward(self, x, state):
        h, c = state
        gates = x @ self.weight_ih.T + self.bias_ih + h @ self.weight_hh.T + self.bias_hh
        i, f, g, o = gates.chunk(4, dim=1)
        c_new = torch.sigmoid(i) * c + torch.sigmoid(f) * torch.tanh(g)
        return torch.sigmoid(o) * torch.tanh(c_new), c_new
'''),
    Mistake("ch05_lstm_cell", "no_tanh_on_the_cell_state", _LSTM_INIT + '''
    def forward(self, x, state):
        h, c = state
        gates = x @ self.weight_ih.T + self.bias_ih + h @ self.weight_hh.T + self.bias_hh
        i, f, g, o = gates.chunk(4, dim=1)
        c_new = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        return torch.sigmoid(o) * c_new, c_new
'''),
    Mistake("ch05_lstm_cell", "output_from_the_old_cell_state", _LSTM_INIT + '''
    def forward(self, x, state):
        h, c = state
        gates = x @ self.weight_ih.T + self.bias_ih + h @ self.weight_hh.T + self.bias_hh
        i, f, g, o = gates.chunk(4, dim=1)
        c_new = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        return torch.sigmoid(o) * torch.tanh(c), c_new
'''),
    # ---------------------------------------------------------------- GRU cell
    Mistake("ch05_gru_cell", "reset_before_the_product", _GRU_INIT + '''
    def forward(self, x, h):
        x_r, x_z, x_n = (x @ self.weight_ih.T + self.bias_ih).chunk(3, dim=1)
        W_hr, W_hz, W_hn = self.weight_hh.chunk(3, dim=0)
        b_hr, b_hz, b_hn = self.bias_hh.chunk(3)
        r = torch.sigmoid(x_r + h @ W_hr.T + b_hr)
        z = torch.sigmoid(x_z + h @ W_hz.T + b_hz)
        n = torch.tanh(x_n + (r * h) @ W_hn.T + b_hn)
        return (1 - z) * n + z * h
'''),
    Mistake("ch05_gru_cell", "reset_leaves_out_b_hn", _GRU_INIT + '''
    def forward(self, x, h):
        x_r, x_z, x_n = (x @ self.weight_ih.T + self.bias_ih).chunk(3, dim=1)
        W_hr, W_hz, W_hn = self.weight_hh.chunk(3, dim=0)
        b_hr, b_hz, b_hn = self.bias_hh.chunk(3)
        r = torch.sigmoid(x_r + h @ W_hr.T + b_hr)
        z = torch.sigmoid(x_z + h @ W_hz.T + b_hz)
        n = torch.tanh(x_n + r * (h @ W_hn.T) + b_hn)
        return (1 - z) * n + z * h
'''),
    Mistake("ch05_gru_cell", "update_gate_convention_swapped", _GRU_INIT + '''
    def forward(self, x, h):
        x_r, x_z, x_n = (x @ self.weight_ih.T + self.bias_ih).chunk(3, dim=1)
        h_r, h_z, h_n = (h @ self.weight_hh.T + self.bias_hh).chunk(3, dim=1)
        r = torch.sigmoid(x_r + h_r)
        z = torch.sigmoid(x_z + h_z)
        n = torch.tanh(x_n + r * h_n)
        return z * n + (1 - z) * h
'''),
    Mistake("ch05_gru_cell", "gate_order_z_r", _GRU_INIT + '''
    def forward(self, x, h):
        x_z, x_r, x_n = (x @ self.weight_ih.T + self.bias_ih).chunk(3, dim=1)
        h_z, h_r, h_n = (h @ self.weight_hh.T + self.bias_hh).chunk(3, dim=1)
        r = torch.sigmoid(x_r + h_r)
        z = torch.sigmoid(x_z + h_z)
        n = torch.tanh(x_n + r * h_n)
        return (1 - z) * n + z * h
'''),
    # ---------------------------------------------------------------- masked loss
    Mistake("ch05_masked_loss", "padding_not_masked", '''
def masked_cross_entropy(logits, targets, lengths):
    return F.cross_entropy(logits.transpose(1, 2), targets)
'''),
    Mistake("ch05_masked_loss", "padding_in_the_denominator",
            _MASK.format(compare="<", result="(per_token * real).sum() / targets.numel()")),
    Mistake("ch05_masked_loss", "mean_of_sequence_means",
            _MASK.format(compare="<", result="((per_token * real).sum(1) / lengths).mean()")),
    Mistake("ch05_masked_loss", "mask_one_too_long",
            _MASK.format(compare="<=", result="(per_token * real).sum() / real.sum()")),
    Mistake("ch05_masked_loss", "sum_instead_of_mean",
            _MASK.format(compare="<", result="(per_token * real).sum()")),
    # ---------------------------------------------------------------- seq2seq
    Mistake("ch05_seq2seq_step", "decoder_sees_the_answer", _seq2seq(dec_in="tgt")),
    Mistake("ch05_seq2seq_step", "decoder_starts_from_zeros", _seq2seq(start="")),
    Mistake("ch05_seq2seq_step", "tokens_summed", _seq2seq(reduction=', reduction="sum"')),
]
