"""Plausible wrong solutions of Chapter 5; each must lose its exercise's points."""


def _cell(name: str, gates: int, forward: str) -> str:
    """A cell class with the given parameter layout (as in the master) and ``forward`` body."""
    g = f"{gates} * " if gates > 1 else ""
    return f'''
class {name}(nn.Module):
    def __init__(self, input_size, hidden_size):
        super().__init__()
        k = hidden_size ** -0.5
        self.weight_ih = nn.Parameter(torch.empty({g}hidden_size, input_size).uniform_(-k, k))
        self.weight_hh = nn.Parameter(torch.empty({g}hidden_size, hidden_size).uniform_(-k, k))
        self.bias_ih = nn.Parameter(torch.empty({g}hidden_size).uniform_(-k, k))
        self.bias_hh = nn.Parameter(torch.empty({g}hidden_size).uniform_(-k, k))

{forward}'''


MISTAKES = [
    ("ch05_rnn_cell", "forgets the hidden-to-hidden bias", _cell("RNNCell", 1, '''
    def forward(self, x, h):
        return torch.tanh(x @ self.weight_ih.T + self.bias_ih + h @ self.weight_hh.T)
''')),
    ("ch05_rnn_cell", "multiplies by the weights without transposing (square case only works)",
     _cell("RNNCell", 1, '''
    def forward(self, x, h):
        return torch.tanh(x @ self.weight_ih.T + self.bias_ih + h @ self.weight_hh + self.bias_hh)
''')),
    ("ch05_unroll", "returns h0 with the states and drops the last one (off by one)", '''
def unroll(cell, xs, h0):
    h = h0
    hs = []
    for t in range(xs.shape[1]):
        hs.append(h)
        h = cell(xs[:, t], h)
    return torch.stack(hs, dim=1), h
'''),
    ("ch05_unroll", "feeds h0 to every step instead of the previous state", '''
def unroll(cell, xs, h0):
    hs = [cell(xs[:, t], h0) for t in range(xs.shape[1])]
    return torch.stack(hs, dim=1), hs[-1]
'''),
    ("ch05_unroll", "stacks along the wrong axis (time first)", '''
def unroll(cell, xs, h0):
    h = h0
    hs = []
    for t in range(xs.shape[1]):
        h = cell(xs[:, t], h)
        hs.append(h)
    return torch.stack(hs, dim=0), h
'''),
    ("ch05_clip_grad_norm", "clips each parameter by its own norm", '''
def clip_grad_norm(parameters, max_norm):
    grads = [p.grad for p in parameters if p.grad is not None]
    total_norm = torch.sqrt(sum((g ** 2).sum() for g in grads))
    for g in grads:
        n = g.norm()
        if n > max_norm:
            g.mul_(max_norm / (n + 1e-6))
    return total_norm
'''),
    ("ch05_clip_grad_norm", "always rescales to max_norm, also scaling small gradients up", '''
def clip_grad_norm(parameters, max_norm):
    grads = [p.grad for p in parameters if p.grad is not None]
    total_norm = torch.sqrt(sum((g ** 2).sum() for g in grads))
    for g in grads:
        g.mul_(max_norm / (total_norm + 1e-6))
    return total_norm
'''),
    ("ch05_clip_grad_norm", "returns the norm after clipping", '''
def clip_grad_norm(parameters, max_norm):
    grads = [p.grad for p in parameters if p.grad is not None]
    total_norm = torch.sqrt(sum((g ** 2).sum() for g in grads))
    scale = max_norm / (total_norm + 1e-6)
    if scale < 1:
        for g in grads:
            g.mul_(scale)
    return torch.sqrt(sum((g ** 2).sum() for g in grads))
'''),
    ("ch05_lstm_cell", "uses the gate order i, f, o, g instead of PyTorch's i, f, g, o",
     _cell("LSTMCell", 4, '''
    def forward(self, x, state):
        h, c = state
        gates = x @ self.weight_ih.T + self.bias_ih + h @ self.weight_hh.T + self.bias_hh
        i, f, o, g = gates.chunk(4, dim=1)
        c_new = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        return torch.sigmoid(o) * torch.tanh(c_new), c_new
''')),
    ("ch05_lstm_cell", "forgets the tanh on the cell state in the output", _cell("LSTMCell", 4, '''
    def forward(self, x, state):
        h, c = state
        gates = x @ self.weight_ih.T + self.bias_ih + h @ self.weight_hh.T + self.bias_hh
        i, f, g, o = gates.chunk(4, dim=1)
        c_new = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        return torch.sigmoid(o) * c_new, c_new
''')),
    ("ch05_gru_cell", "applies the reset gate after adding the bias b_hn", _cell("GRUCell", 3, '''
    def forward(self, x, h):
        x_r, x_z, x_n = (x @ self.weight_ih.T + self.bias_ih).chunk(3, dim=1)
        W_hr, W_hz, W_hn = self.weight_hh.chunk(3, dim=0)
        b_hr, b_hz, b_hn = self.bias_hh.chunk(3)
        r = torch.sigmoid(x_r + h @ W_hr.T + b_hr)
        z = torch.sigmoid(x_z + h @ W_hz.T + b_hz)
        n = torch.tanh(x_n + r * (h @ W_hn.T) + b_hn)
        return (1 - z) * n + z * h
''')),
    ("ch05_gru_cell", "swaps the roles of z and 1 - z (the other textbook convention)",
     _cell("GRUCell", 3, '''
    def forward(self, x, h):
        x_r, x_z, x_n = (x @ self.weight_ih.T + self.bias_ih).chunk(3, dim=1)
        h_r, h_z, h_n = (h @ self.weight_hh.T + self.bias_hh).chunk(3, dim=1)
        r = torch.sigmoid(x_r + h_r)
        z = torch.sigmoid(x_z + h_z)
        n = torch.tanh(x_n + r * h_n)
        return z * n + (1 - z) * h
''')),
    ("ch05_seq2seq_step", "feeds the target itself to the decoder (no shift: it sees the answer)", '''
def seq2seq_step(model, src, tgt):
    context = model.encoder(model.src_embed(src))[1]
    outputs, _ = model.decoder(model.tgt_embed(tgt), context)
    logits = model.head(outputs)
    loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), tgt.reshape(-1))
    return loss, logits
'''),
    ("ch05_seq2seq_step", "starts the decoder from zeros instead of the context vector", '''
def seq2seq_step(model, src, tgt):
    bos = torch.full_like(tgt[:, :1], model.bos)
    dec_in = torch.cat([bos, tgt[:, :-1]], dim=1)
    outputs, _ = model.decoder(model.tgt_embed(dec_in))
    logits = model.head(outputs)
    loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), tgt.reshape(-1))
    return loss, logits
'''),
    ("ch05_seq2seq_step", "sums the token losses instead of averaging them", '''
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
