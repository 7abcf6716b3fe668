"""Hidden tests of Chapter 5: the public check, then inputs the student has not seen, compared
with PyTorch (cells, layers, clip_grad_norm_, cross-entropy that ignores padding) and with the
reference solution."""
from autograder.plugin import exercise
from dlcourse.checks.ch05 import (TORCH_CELLS, cell_case, check_clip_cases, check_masked_loss_cases,
                                  check_seq2seq_cases, check_unroll_cases, clip_case, compare_dicts,
                                  masked_case, probe_cell, probe_clip, probe_masked_loss,
                                  probe_seq2seq, probe_unroll, seq2seq_case, unroll_case)

HIDDEN_CELL_CASES = [(30, 1, 1, 1, 1.0), (31, 7, 2, 9, 0.1), (32, 5, 11, 3, 5.0),
                     (33, 2, 8, 16, 1.0)]


def _cells(student, reference, kind):
    for seed, batch, input_size, hidden_size, scale in HIDDEN_CELL_CASES:
        sd, x, state, w = cell_case(kind, seed, batch, input_size, hidden_size, scale)
        what = f"{kind.upper()} cell, batch {batch}, sizes {input_size}->{hidden_size}"
        got = student.run(probe_cell, sd, x, state, w)
        compare_dicts(got, probe_cell(TORCH_CELLS[kind], sd, x, state, w), what)
        compare_dicts(got, reference.run(probe_cell, sd, x, state, w), what + " vs the reference")


@exercise("ch05_rnn_cell")
def test_rnn_cell_public_check(student):
    student.check()


@exercise("ch05_rnn_cell")
def test_rnn_cell_hidden_cases(student, reference):
    _cells(student, reference, "rnn")


@exercise("ch05_lstm_cell")
def test_lstm_cell_public_check(student):
    student.check()


@exercise("ch05_lstm_cell")
def test_lstm_cell_hidden_cases(student, reference):
    _cells(student, reference, "lstm")


@exercise("ch05_gru_cell")
def test_gru_cell_public_check(student):
    student.check()


@exercise("ch05_gru_cell")
def test_gru_cell_hidden_cases(student, reference):
    _cells(student, reference, "gru")


@exercise("ch05_unroll")
def test_unroll_public_check(student):
    student.check()


@exercise("ch05_unroll")
def test_unroll_hidden_cases(student, reference):
    cases = [("rnn", 40, 1, 12, 1, 1), ("gru", 41, 5, 3, 4, 7), ("rnn", 42, 2, 20, 3, 2),
             ("gru", 43, 1, 1, 2, 3)]
    check_unroll_cases(student.run, cases)  # against nn.RNN / nn.GRU
    for kind, seed, batch, steps, input_size, hidden_size in cases:
        args = unroll_case(kind, seed, batch, steps, input_size, hidden_size)
        compare_dicts(student.run(probe_unroll, kind, *args),
                      reference.run(probe_unroll, kind, *args),
                      f"unroll ({kind}, {steps} steps) vs the reference")


@exercise("ch05_clip_grad_norm")
def test_clip_grad_norm_public_check(student):
    student.check()


@exercise("ch05_clip_grad_norm")
def test_clip_grad_norm_hidden_cases(student, reference):
    cases = [(50, [(10, 10), (10,), (1, 3)], 2.0, (), 0.1, True),
             (51, [(4,), (2, 2)], 0.2, (0,), 10.0, False),
             (52, [(1,)], 1.0, (), 1e-3, False),
             (53, [(5, 5), (5,), (3,), (2, 2, 2)], 100.0, (2,), 3.0, True)]
    check_clip_cases(student.run, cases)  # against torch.nn.utils.clip_grad_norm_
    for seed, shapes, scale, missing, max_norm, as_gen in cases:
        grads, missing = clip_case(seed, shapes, scale, missing)
        got = student.run(probe_clip, grads, missing, max_norm, as_gen)
        ref = reference.run(probe_clip, grads, missing, max_norm, as_gen)
        compare_dicts({"grad_all": got["grads"][0]}, {"grad_all": ref["grads"][0]},
                      f"clip_grad_norm on shapes {shapes} vs the reference")


@exercise("ch05_masked_loss")
def test_masked_loss_public_check(student):
    student.check()


@exercise("ch05_masked_loss")
def test_masked_loss_hidden_cases(student, reference):
    cases = [(70, [1], 1, 2), (71, [5, 1, 3, 3, 2], 5, 11), (72, [7, 7, 1], 9, 3),
             (73, [4, 2], 6, 1000)]
    check_masked_loss_cases(student.run, cases)  # against F.cross_entropy with ignore_index
    for seed, lengths, steps, vocab in cases:
        args = masked_case(seed, lengths, steps, vocab)
        compare_dicts(student.run(probe_masked_loss, *args),
                      reference.run(probe_masked_loss, *args),
                      f"masked_cross_entropy (lengths {lengths}) vs the reference")


@exercise("ch05_seq2seq_step")
def test_seq2seq_step_public_check(student):
    student.check()


@exercise("ch05_seq2seq_step")
def test_seq2seq_step_hidden_cases(student, reference):
    cases = [(60, 1, 1, 2), (61, 5, 9, 7), (62, 2, 3, 10)]
    sizes = dict(src_vocab=4, tgt_vocab=9, embed=5, hidden=3)
    check_seq2seq_cases(student.run, cases, **sizes)  # against step-by-step teacher forcing
    for seed, batch, src_len, tgt_len in cases:
        args = seq2seq_case(seed, batch, src_len, tgt_len, **sizes)
        compare_dicts(student.run(probe_seq2seq, *args), reference.run(probe_seq2seq, *args),
                      f"seq2seq_step (batch {batch}, lengths {src_len}->{tgt_len}) "
                      "vs the reference")
