"""Implementations of Chapter 5's catalogued mistakes (the grader's own; never shipped).

Each entry replaces the master's solution cell: the grader must take that exercise's points
and name the mistake. The messages are in ``dlcourse/checks/ch05.py`` (``MISTAKES``).
"""
from autograder.mistakes import Mistake

MISTAKES = [
    Mistake("ch05_rnn_cell", "forgets_the_hidden_to_hidden_bias", '''
class RNNCell(nn.Module):
    def __init__(self, input_size, hidden_size):
        super().__init__()
        k = hidden_size ** -0.5
        self.weight_ih = nn.Parameter(torch.empty(hidden_size, input_size).uniform_(-k, k))
        self.weight_hh = nn.Parameter(torch.empty(hidden_size, hidden_size).uniform_(-k, k))
        self.bias_ih = nn.Parameter(torch.empty(hidden_size).uniform_(-k, k))
        self.bias_hh = nn.Parameter(torch.empty(hidden_size).uniform_(-k, k))


    def forward(self, x, h):
        return torch.tanh(x @ self.weight_ih.T + self.bias_ih + h @ self.weight_hh.T)
'''),
    Mistake("ch05_rnn_cell", "multiplies_by_the_weights_without", '''
class RNNCell(nn.Module):
    def __init__(self, input_size, hidden_size):
        super().__init__()
        k = hidden_size ** -0.5
        self.weight_ih = nn.Parameter(torch.empty(hidden_size, input_size).uniform_(-k, k))
        self.weight_hh = nn.Parameter(torch.empty(hidden_size, hidden_size).uniform_(-k, k))
        self.bias_ih = nn.Parameter(torch.empty(hidden_size).uniform_(-k, k))
        self.bias_hh = nn.Parameter(torch.empty(hidden_size).uniform_(-k, k))


    def forward(self, x, h):
        return torch.tanh(x @ self.weight_ih.T + self.bias_ih + h @ self.weight_hh + self.bias_hh)
'''),
    Mistake("ch05_unroll", "returns_h0_with_the_states_and_drops_the", '''
def unroll(cell, xs, h0):
    h = h0
    hs = []
    for t in range(xs.shape[1]):
        hs.append(h)
        h = cell(xs[:, t], h)
    return torch.stack(hs, dim=1), h
'''),
    Mistake("ch05_unroll", "feeds_h0_to_every_step_instead_of_the", '''
def unroll(cell, xs, h0):
    hs = [cell(xs[:, t], h0) for t in range(xs.shape[1])]
    return torch.stack(hs, dim=1), hs[-1]
'''),
    Mistake("ch05_unroll", "stacks_along_the_wrong_axis_time_first", '''
def unroll(cell, xs, h0):
    h = h0
    hs = []
    for t in range(xs.shape[1]):
        h = cell(xs[:, t], h)
        hs.append(h)
    return torch.stack(hs, dim=0), h
'''),
    Mistake("ch05_clip_grad_norm", "clips_each_parameter_by_its_own_norm", '''
def clip_grad_norm(parameters, max_norm):
    grads = [p.grad for p in parameters if p.grad is not None]
    total_norm = torch.sqrt(sum((g ** 2).sum() for g in grads))
    for g in grads:
        n = g.norm()
        if n > max_norm:
            g.mul_(max_norm / (n + 1e-6))
    return total_norm
'''),
    Mistake("ch05_clip_grad_norm", "always_rescales_to_max_norm_also_scaling", '''
def clip_grad_norm(parameters, max_norm):
    grads = [p.grad for p in parameters if p.grad is not None]
    total_norm = torch.sqrt(sum((g ** 2).sum() for g in grads))
    for g in grads:
        g.mul_(max_norm / (total_norm + 1e-6))
    return total_norm
'''),
    Mistake("ch05_clip_grad_norm", "returns_the_norm_after_clipping", '''
def clip_grad_norm(parameters, max_norm):
    grads = [p.grad for p in parameters if p.grad is not None]
    total_norm = torch.sqrt(sum((g ** 2).sum() for g in grads))
    scale = max_norm / (total_norm + 1e-6)
    if scale < 1:
        for g in grads:
            g.mul_(scale)
    return torch.sqrt(sum((g ** 2).sum() for g in grads))
'''),
    Mistake("ch05_lstm_cell", "uses_the_gate_order_i_f_o_g_instead_of", '''
class LSTMCell(nn.Module):
    def __init__(self, input_size, hidden_size):
        super().__init__()
        k = hidden_size ** -0.5
        self.weight_ih = nn.Parameter(torch.empty(4 * hidden_size, input_size).uniform_(-k, k))
        self.weight_hh = nn.Parameter(torch.empty(4 * hidden_size, hidden_size).uniform_(-k, k))
        self.bias_ih = nn.Parameter(torch.empty(4 * hidden_size).uniform_(-k, k))
        self.bias_hh = nn.Parameter(torch.empty(4 * hidden_size).uniform_(-k, k))


    def forward(self, x, state):
        h, c = state
        gates = x @ self.weight_ih.T + self.bias_ih + h @ self.weight_hh.T + self.bias_hh
        i, f, o, g = gates.chunk(4, dim=1)
        c_new = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        return torch.sigmoid(o) * torch.tanh(c_new), c_new
'''),
    Mistake("ch05_lstm_cell", "forgets_the_tanh_on_the_cell_state_in", '''
class LSTMCell(nn.Module):
    def __init__(self, input_size, hidden_size):
        super().__init__()
        k = hidden_size ** -0.5
        self.weight_ih = nn.Parameter(torch.empty(4 * hidden_size, input_size).uniform_(-k, k))
        self.weight_hh = nn.Parameter(torch.empty(4 * hidden_size, hidden_size).uniform_(-k, k))
        self.bias_ih = nn.Parameter(torch.empty(4 * hidden_size).uniform_(-k, k))
        self.bias_hh = nn.Parameter(torch.empty(4 * hidden_size).uniform_(-k, k))


    def forward(self, x, state):
        h, c = state
        gates = x @ self.weight_ih.T + self.bias_ih + h @ self.weight_hh.T + self.bias_hh
        i, f, g, o = gates.chunk(4, dim=1)
        c_new = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        return torch.sigmoid(o) * c_new, c_new
'''),
    Mistake("ch05_gru_cell", "applies_the_reset_gate_after_adding_the", '''
class GRUCell(nn.Module):
    def __init__(self, input_size, hidden_size):
        super().__init__()
        k = hidden_size ** -0.5
        self.weight_ih = nn.Parameter(torch.empty(3 * hidden_size, input_size).uniform_(-k, k))
        self.weight_hh = nn.Parameter(torch.empty(3 * hidden_size, hidden_size).uniform_(-k, k))
        self.bias_ih = nn.Parameter(torch.empty(3 * hidden_size).uniform_(-k, k))
        self.bias_hh = nn.Parameter(torch.empty(3 * hidden_size).uniform_(-k, k))


    def forward(self, x, h):
        x_r, x_z, x_n = (x @ self.weight_ih.T + self.bias_ih).chunk(3, dim=1)
        W_hr, W_hz, W_hn = self.weight_hh.chunk(3, dim=0)
        b_hr, b_hz, b_hn = self.bias_hh.chunk(3)
        r = torch.sigmoid(x_r + h @ W_hr.T + b_hr)
        z = torch.sigmoid(x_z + h @ W_hz.T + b_hz)
        n = torch.tanh(x_n + r * (h @ W_hn.T) + b_hn)
        return (1 - z) * n + z * h
'''),
    Mistake("ch05_gru_cell", "swaps_the_roles_of_z_and_1_z_the_other", '''
class GRUCell(nn.Module):
    def __init__(self, input_size, hidden_size):
        super().__init__()
        k = hidden_size ** -0.5
        self.weight_ih = nn.Parameter(torch.empty(3 * hidden_size, input_size).uniform_(-k, k))
        self.weight_hh = nn.Parameter(torch.empty(3 * hidden_size, hidden_size).uniform_(-k, k))
        self.bias_ih = nn.Parameter(torch.empty(3 * hidden_size).uniform_(-k, k))
        self.bias_hh = nn.Parameter(torch.empty(3 * hidden_size).uniform_(-k, k))


    def forward(self, x, h):
        x_r, x_z, x_n = (x @ self.weight_ih.T + self.bias_ih).chunk(3, dim=1)
        h_r, h_z, h_n = (h @ self.weight_hh.T + self.bias_hh).chunk(3, dim=1)
        r = torch.sigmoid(x_r + h_r)
        z = torch.sigmoid(x_z + h_z)
        n = torch.tanh(x_n + r * h_n)
        return z * n + (1 - z) * h
'''),
    Mistake("ch05_seq2seq_step", "feeds_the_target_itself_to_the_decoder", '''
def seq2seq_step(model, src, tgt):
    context = model.encoder(model.src_embed(src))[1]
    outputs, _ = model.decoder(model.tgt_embed(tgt), context)
    logits = model.head(outputs)
    loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), tgt.reshape(-1))
    return loss, logits
'''),
    Mistake("ch05_seq2seq_step", "starts_the_decoder_from_zeros_instead_of", '''
def seq2seq_step(model, src, tgt):
    bos = torch.full_like(tgt[:, :1], model.bos)
    dec_in = torch.cat([bos, tgt[:, :-1]], dim=1)
    outputs, _ = model.decoder(model.tgt_embed(dec_in))
    logits = model.head(outputs)
    loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), tgt.reshape(-1))
    return loss, logits
'''),
    Mistake("ch05_seq2seq_step", "sums_the_token_losses_instead_of", '''
def seq2seq_step(model, src, tgt):
    context = model.encoder(model.src_embed(src))[1]
    bos = torch.full_like(tgt[:, :1], model.bos)
    dec_in = torch.cat([bos, tgt[:, :-1]], dim=1)
    outputs, _ = model.decoder(model.tgt_embed(dec_in), context)
    logits = model.head(outputs)
    loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), tgt.reshape(-1), reduction="sum")
    return loss, logits
'''),
]
