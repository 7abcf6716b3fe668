"""Tests of dlcourse.rnn: the demos' data and models, and the figures Chapter 5 prints.

The slow tests re-run the notebook's demos with the notebook's settings and assert what the
chapter claims: on the adding problem the vanilla RNN fails from length 25 on while the LSTM
and the GRU succeed at lengths 10, 25 and 50; a GRU reaches the published 91% on MNIST-1D; the
sequence-to-sequence model reverses >= 95% of held-out digit strings exactly.
"""
import pytest
import torch
import torch.nn.functional as F

from dlcourse import rnn

BASELINE = 1 / 6  # MSE of always predicting the mean sum, 1


def test_adding_problem_data():
    X, y = rnn.make_adding_problem(500, 30, torch.Generator().manual_seed(0))
    assert X.shape == (500, 30, 2) and y.shape == (500,)
    markers = X[..., 1]
    assert torch.equal(markers.sum(1), torch.full((500,), 2.0))
    first = markers.argmax(1)
    second = 29 - markers.flip(1).argmax(1)
    assert (first < 3).all() and (second >= 15).all()
    assert torch.allclose((X[..., 0] * markers).sum(1), y)
    # the constant guess 1 scores about 1/6
    assert abs(F.mse_loss(torch.ones(500), y).item() - BASELINE) < 0.03


def test_sequence_regressor_shapes_and_forget_bias():
    for kind in ["rnn", "lstm", "gru"]:
        net = rnn.SequenceRegressor(kind, hidden_size=8)
        assert net(torch.randn(3, 11, 2)).shape == (3,)
    lstm = rnn.SequenceRegressor("lstm", hidden_size=8).recurrent
    assert torch.all(lstm.bias_ih_l0[8:16] == 1) and torch.all(lstm.bias_hh_l0[8:16] == 0)


def test_state_gradient_norms_vanish_and_explode():
    small = rnn.state_gradient_norms("rnn", length=40, weight_gain=0.5)
    large = rnn.state_gradient_norms("rnn", length=40, weight_gain=4.0)
    assert small.shape == (40,)
    assert small[-1] < 1e-6 * small[0]
    assert large[-1] > 10 * large[0]
    for kind in ["lstm", "gru"]:
        assert torch.isfinite(rnn.state_gradient_norms(kind, length=10)).all()


def test_gru_classifier_shape():
    assert rnn.GRUClassifier(16)(torch.randn(5, 40)).shape == (5, 10)


def test_seq2seq_teacher_forcing_two_ways_agree():
    torch.manual_seed(0)
    model = rnn.Seq2Seq(7, 5, 3, 4).double()
    src, tgt = torch.randint(0, 7, (3, 6)), torch.randint(0, 5, (3, 4))
    logits = rnn.teacher_forced_logits(model, src, tgt)
    assert logits.shape == (3, 4, 5)
    by_step = F.cross_entropy(logits.reshape(-1, 5), tgt.reshape(-1))
    assert torch.allclose(rnn.teacher_forced_loss(model, src, tgt), by_step)
    # the first step only sees the context and bos, so it does not depend on the target
    other = tgt.clone()
    other[:, 0] = (other[:, 0] + 1) % 5
    assert torch.allclose(rnn.teacher_forced_logits(model, src, other)[:, 0], logits[:, 0])
    assert rnn.greedy_decode(model, src, 4).shape == (3, 4)


def test_reversal_data_is_held_out():
    src_tr, tgt_tr, src_te, tgt_te = rnn.make_reversal_data(n_train=3000, n_test=300, length=5)
    assert src_tr.shape == (3000, 5) and src_te.shape == (300, 5)
    assert torch.equal(tgt_tr, src_tr.flip(1)) and torch.equal(tgt_te, src_te.flip(1))
    train = {tuple(r) for r in src_tr.tolist()}
    assert not any(tuple(r) in train for r in src_te.tolist())
    assert len(train) == 3000


def test_exact_match():
    a = torch.tensor([[1, 2], [3, 4], [5, 6]])
    b = torch.tensor([[1, 2], [3, 0], [5, 6]])
    assert rnn.exact_match(a, b) == pytest.approx(2 / 3)


@pytest.mark.slow
def test_adding_problem_rnn_fails_gated_succeed():
    """The figure of the notebook: same settings (lengths 10/25/50, 300 steps, seed 0)."""
    results = rnn.adding_sweep((10, 25, 50), progress=False)
    rnn_mse, lstm_mse, gru_mse = results["rnn"], results["lstm"], results["gru"]
    assert rnn_mse[0] < 0.05                       # the RNN learns short sequences
    assert min(rnn_mse[1:]) > 0.6 * BASELINE       # and no better than the constant guess beyond
    assert max(lstm_mse) < 0.02 and max(gru_mse) < 0.02


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2])
def test_adding_problem_effect_is_robust_to_the_seed(seed):
    assert rnn.train_adding("rnn", 50, seed=seed) > 0.6 * BASELINE
    assert rnn.train_adding("lstm", 50, seed=seed) < 0.02
    assert rnn.train_adding("gru", 50, seed=seed) < 0.02


@pytest.mark.slow
def test_gru_mnist1d_reaches_published_accuracy():
    _, history = rnn.train_gru_mnist1d(epochs=15, progress=False)
    assert history["test_acc"][-1] >= rnn.PUBLISHED_GRU_MNIST1D


@pytest.mark.slow
def test_seq2seq_reverses_held_out_strings():
    _, history, acc = rnn.train_reverser(steps=400, progress=False)
    assert acc >= 0.95
    assert history["loss"][-1] < 0.1 * history["loss"][0]
