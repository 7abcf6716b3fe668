"""Correct alternative solutions of Chapter 5 (see tests/alternatives/__init__.py)."""

# the cells' parameters, written as the mistakes write them
from autograder.mistakes.ch05 import _GRU_INIT, _LSTM_INIT, _RNN_INIT

ALTERNATIVES: list[tuple[str, str, str]] = [
    ("ch05_rnn_cell", "F.linear for both products", _RNN_INIT + '''
    def forward(self, x, h):
        return torch.tanh(F.linear(x, self.weight_ih, self.bias_ih)
                          + F.linear(h, self.weight_hh, self.bias_hh))
'''),
    ("ch05_rnn_cell", "the notes' form: one matrix on [h; x] and one bias", _RNN_INIT + '''
    def forward(self, x, h):
        W = torch.cat([self.weight_hh, self.weight_ih], dim=1)
        return torch.tanh(torch.cat([h, x], dim=1) @ W.T + (self.bias_ih + self.bias_hh))
'''),
    ("ch05_unroll", "iterates over unbind, the previous state read from the list", '''
def unroll(cell, xs, h0):
    states = [h0]
    for x_t in xs.unbind(dim=1):
        states.append(cell(x_t, states[-1]))
    return torch.stack(states[1:], dim=1), states[-1]
'''),
    ("ch05_unroll", "stacks time first, then transposes", '''
def unroll(cell, xs, h0):
    h, hs = h0, []
    for t in range(xs.size(1)):
        h = cell(xs[:, t, :], h)
        hs.append(h)
    return torch.stack(hs).transpose(0, 1), hs[-1]
'''),
    ("ch05_clip_grad_norm", "one long vector and a clamped factor applied always", '''
def clip_grad_norm(parameters, max_norm):
    grads = [p.grad for p in parameters if p.grad is not None]
    total = torch.cat([g.flatten() for g in grads]).norm()
    factor = torch.clamp(max_norm / (total + 1e-6), max=1.0)
    for g in grads:
        g.mul_(factor)
    return total
'''),
    ("ch05_clip_grad_norm", "norm of the per-parameter norms", '''
def clip_grad_norm(parameters, max_norm):
    params = [p for p in parameters if p.grad is not None]
    total = torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(p.grad)
                                                  for p in params]))
    if total > max_norm:
        for p in params:
            p.grad.mul_(max_norm / (total + 1e-6))
    return total
'''),
    ("ch05_lstm_cell", "per-gate weight slices and F.linear", _LSTM_INIT + '''
    def forward(self, x, state):
        h, c = state
        H = h.shape[1]

        def pre(k):
            rows = slice(k * H, (k + 1) * H)
            return (F.linear(x, self.weight_ih[rows], self.bias_ih[rows])
                    + F.linear(h, self.weight_hh[rows], self.bias_hh[rows]))

        i, f, o = torch.sigmoid(pre(0)), torch.sigmoid(pre(1)), torch.sigmoid(pre(3))
        g = torch.tanh(pre(2))
        c_new = f * c + i * g
        return o * torch.tanh(c_new), c_new
'''),
    ("ch05_lstm_cell", "torch.split and addmm", _LSTM_INIT + '''
    def forward(self, x, state):
        h, c = state
        gates = torch.addmm(self.bias_ih, x, self.weight_ih.t())
        gates = torch.addmm(gates + self.bias_hh, h, self.weight_hh.t())
        i, f, g, o = torch.split(gates, h.shape[1], dim=1)
        c_new = torch.addcmul(torch.sigmoid(f) * c, torch.sigmoid(i), torch.tanh(g))
        return torch.sigmoid(o) * c_new.tanh(), c_new
'''),
    ("ch05_gru_cell", "gates from the summed pre-activations, candidate from slices",
     _GRU_INIT + '''
    def forward(self, x, h):
        H = h.shape[1]
        gi = F.linear(x, self.weight_ih, self.bias_ih)
        gh = F.linear(h, self.weight_hh, self.bias_hh)
        r, z = torch.sigmoid(gi[:, :2 * H] + gh[:, :2 * H]).split(H, dim=1)
        n = torch.tanh(gi[:, 2 * H:] + r * gh[:, 2 * H:])
        return n + z * (h - n)
'''),
    ("ch05_gru_cell", "lerp between the candidate and the old state", _GRU_INIT + '''
    def forward(self, x, h):
        x_r, x_z, x_n = (x @ self.weight_ih.T + self.bias_ih).chunk(3, 1)
        W_hr, W_hz, W_hn = self.weight_hh.chunk(3)
        b_hr, b_hz, b_hn = self.bias_hh.chunk(3)
        r = torch.sigmoid(x_r + h @ W_hr.T + b_hr)
        z = torch.sigmoid(x_z + h @ W_hz.T + b_hz)
        n = torch.tanh(x_n + r * (h @ W_hn.T + b_hn))
        return torch.lerp(n, h, z)
'''),
    ("ch05_masked_loss", "F.cross_entropy with ignore_index on the padded targets", '''
def masked_cross_entropy(logits, targets, lengths):
    padded = torch.arange(targets.shape[1]).unsqueeze(0) >= lengths.unsqueeze(1)
    return F.cross_entropy(logits.transpose(1, 2), targets.masked_fill(padded, -1),
                           ignore_index=-1)
'''),
    ("ch05_masked_loss", "log-softmax, gather and boolean indexing", '''
def masked_cross_entropy(logits, targets, lengths):
    log_p = logits.log_softmax(dim=-1).gather(-1, targets.unsqueeze(-1)).squeeze(-1)
    keep = torch.stack([torch.arange(targets.shape[1]) < n for n in lengths])
    return -log_p[keep].mean()
'''),
    ("ch05_seq2seq_step", "F.pad to shift, classes on axis 1", '''
def seq2seq_step(model, src, tgt):
    _, context = model.encoder(model.src_embed(src))
    fed = F.pad(tgt, (1, 0), value=model.bos)[:, :-1]
    logits = model.head(model.decoder(model.tgt_embed(fed), context)[0])
    return F.cross_entropy(logits.permute(0, 2, 1), tgt), logits
'''),
    ("ch05_seq2seq_step", "one decoder call per step", '''
def seq2seq_step(model, src, tgt):
    state = model.encoder(model.src_embed(src))[1]
    token = torch.full((tgt.shape[0], 1), model.bos, dtype=tgt.dtype)
    outputs = []
    for t in range(tgt.shape[1]):
        out, state = model.decoder(model.tgt_embed(token), state)
        outputs.append(out)
        token = tgt[:, t:t + 1]
    logits = model.head(torch.cat(outputs, dim=1))
    return F.cross_entropy(logits.flatten(0, 1), tgt.flatten()), logits
'''),
]
