"""Sequences of unequal lengths: packing utilities and the layers' packed path, against PyTorch."""

import re

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn
from minigrad.nn.utils.rnn import (PackedSequence, pack_padded_sequence, pack_sequence,
                                   pad_packed_sequence, pad_sequence)

torch = pytest.importorskip("torch")
trnn = torch.nn.utils.rnn

T, B, I, H = 6, 4, 3, 5


def _pair(kind, layers, bidirectional, batch_first):
    """A PyTorch layer in float64 and a minigrad one with its weights."""
    theirs = getattr(torch.nn, kind)(I, H, num_layers=layers, bidirectional=bidirectional,
                                     batch_first=batch_first).double()
    options = {"reset_after": True} if kind == "GRU" else {}
    ours = getattr(nn, kind)(I, H, num_layers=layers, bidirectional=bidirectional,
                             batch_first=batch_first, dtype=mg.float64, **options)
    ours.load_state_dict(_as_ours(kind, {k: v.detach().numpy()
                                         for k, v in theirs.state_dict().items()}))
    return theirs, ours


def _as_ours(kind, arrays):
    return nn.utils.torch_gru_to_minigrad(arrays) if kind == "GRU" else arrays


def _state(kind, h0, scale):
    return (h0, h0 * scale) if kind == "LSTM" else h0


@pytest.mark.parametrize("kind", ["RNN", "GRU", "LSTM"])
@pytest.mark.parametrize("layers, bidirectional, batch_first",
                         [(1, False, False), (2, True, True), (3, True, False)])
@pytest.mark.parametrize("lengths", [[6, 4, 3, 1], [3, 6, 1, 4]])
def test_lengths_equal_pytorch_packed_values_and_gradients(kind, layers, bidirectional,
                                                           batch_first, lengths):
    rng = np.random.default_rng(0)
    theirs, ours = _pair(kind, layers, bidirectional, batch_first)
    x = rng.standard_normal((B, T, I) if batch_first else (T, B, I))
    h0 = rng.standard_normal((layers * (2 if bidirectional else 1), B, H))
    tx, th = torch.tensor(x, requires_grad=True), torch.tensor(h0, requires_grad=True)
    packed = trnn.pack_padded_sequence(tx, lengths, batch_first=batch_first,
                                       enforce_sorted=False)
    t_out, t_state = theirs(packed, _state(kind, th, 0.5))
    t_out = trnn.pad_packed_sequence(t_out, batch_first=batch_first, total_length=T)[0]
    weights = rng.standard_normal(t_out.shape)
    t_finals = t_state if kind == "LSTM" else (t_state,)
    (sum((s ** 2).sum() for s in t_finals) + (t_out * torch.tensor(weights)).sum()).backward()

    mx, mh = mg.tensor(x, requires_grad=True), mg.tensor(h0, requires_grad=True)
    m_out, m_state = ours(mx, _state(kind, mh, 0.5), lengths=lengths)
    m_finals = m_state if kind == "LSTM" else (m_state,)
    (sum((s ** 2).sum() for s in m_finals) + (m_out * mg.tensor(weights)).sum()).backward()

    np.testing.assert_allclose(m_out.numpy(), t_out.detach().numpy(), atol=1e-12)
    for mine, their in zip(m_finals, t_finals):
        np.testing.assert_allclose(mine.numpy(), their.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(mx.grad.numpy(), tx.grad.numpy(), atol=1e-12)
    np.testing.assert_allclose(mh.grad.numpy(), th.grad.numpy(), atol=1e-12)
    their_grads = _as_ours(kind, {k: p.grad.numpy() for k, p in theirs.named_parameters()})
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), their_grads[name], atol=1e-12, err_msg=name)


def test_packed_sequence_in_packed_sequence_out():
    rng = np.random.default_rng(1)
    theirs, ours = _pair("LSTM", 2, True, False)
    sequences = [rng.standard_normal((n, I)) for n in (2, 5, 3)]
    t_out, (t_h, t_c) = theirs(trnn.pack_sequence([torch.tensor(s) for s in sequences],
                                                  enforce_sorted=False))
    m_out, (m_h, m_c) = ours(pack_sequence([mg.tensor(s) for s in sequences],
                                           enforce_sorted=False))
    assert isinstance(m_out, PackedSequence)
    np.testing.assert_allclose(m_out.data.numpy(), t_out.data.detach().numpy(), atol=1e-12)
    np.testing.assert_array_equal(m_out.batch_sizes.numpy(), t_out.batch_sizes.numpy())
    np.testing.assert_array_equal(m_out.unsorted_indices.numpy(),
                                  t_out.unsorted_indices.numpy())
    np.testing.assert_allclose(m_h.numpy(), t_h.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(m_c.numpy(), t_c.detach().numpy(), atol=1e-12)


def test_outputs_are_zero_past_each_length_and_full_lengths_match_the_plain_path():
    lstm = nn.LSTM(I, H, bidirectional=True, dtype=mg.float64)
    x = mg.randn(T, B, I, dtype=mg.float64)
    out, _ = lstm(x, lengths=[2, 6, 6, 4])
    assert not out.numpy()[2:, 0].any() and not out.numpy()[4:, 3].any()
    full, (h, c) = lstm(x, lengths=mg.tensor([T] * B, dtype=mg.int64))
    plain, (h_plain, c_plain) = lstm(x)
    np.testing.assert_allclose(full.numpy(), plain.numpy(), atol=1e-12)
    np.testing.assert_allclose(h.numpy(), h_plain.numpy(), atol=1e-12)


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("enforce_sorted, lengths", [(True, [5, 3, 3, 1]), (False, [2, 5, 1, 4])])
def test_pack_and_pad_equal_pytorch(batch_first, enforce_sorted, lengths):
    rng = np.random.default_rng(2)
    x = rng.standard_normal((B, 5, 2) if batch_first else (5, B, 2))
    mx, tx = mg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    mine = pack_padded_sequence(mx, lengths, batch_first, enforce_sorted)
    theirs = trnn.pack_padded_sequence(tx, lengths, batch_first, enforce_sorted)
    np.testing.assert_array_equal(mine.data.numpy(), theirs.data.detach().numpy())
    np.testing.assert_array_equal(mine.batch_sizes.numpy(), theirs.batch_sizes.numpy())
    m_pad, m_len = pad_packed_sequence(mine, batch_first, padding_value=-1.0, total_length=7)
    t_pad, t_len = trnn.pad_packed_sequence(theirs, batch_first, padding_value=-1.0,
                                            total_length=7)
    np.testing.assert_array_equal(m_pad.numpy(), t_pad.detach().numpy())
    np.testing.assert_array_equal(m_len.numpy(), t_len.numpy())
    weights = rng.standard_normal(t_pad.shape)
    (m_pad * mg.tensor(weights)).sum().backward()
    (t_pad * torch.tensor(weights)).sum().backward()
    np.testing.assert_array_equal(mx.grad.numpy(), tx.grad.numpy())


@pytest.mark.parametrize("batch_first", [False, True])
def test_unpacking_gradients_by_finite_differences_first_and_second_order(batch_first):
    """The scatter into padding: its gradient, and the gradient of that gradient."""
    rng = np.random.default_rng(3)
    packed = pack_padded_sequence(mg.tensor(rng.standard_normal((5, 3, 2))), [2, 5, 3],
                                  enforce_sorted=False)
    data = mg.tensor(packed.data.numpy(), requires_grad=True)
    weights = mg.tensor(rng.standard_normal((3, 6, 2) if batch_first else (6, 3, 2)))

    def padded(d):
        return pad_packed_sequence(packed._replace(data=d), batch_first, padding_value=-1.0,
                                   total_length=6)[0]

    def gradient(d):  # depends on d through the square, so its own gradient is not zero
        return mg.grad((padded(d) ** 2 * weights).sum(), [d], create_graph=True)[0]

    assert mg.gradcheck(padded, data) and mg.gradcheck(gradient, data)


@pytest.mark.parametrize("padding_side", ["right", "left"])
def test_pad_sequence_equals_pytorch(padding_side):
    sequences = [np.arange(n * 2.0).reshape(n, 2) for n in (2, 4, 1)]
    for batch_first in (False, True):
        mine = pad_sequence([mg.tensor(s) for s in sequences], batch_first, 9.0, padding_side)
        theirs = trnn.pad_sequence([torch.tensor(s) for s in sequences], batch_first, 9.0,
                                   padding_side)
        np.testing.assert_array_equal(mine.numpy(), theirs.numpy())


@pytest.mark.parametrize("lengths, words", [
    ([6, 0, 1, 2], "lengths[1] = 0"),
    ([6, 7, 1, 2], "lengths[1] = 7"),
    ([6, 1, 2], "one length per sequence (4), got 3"),
    ([6, 1.5, 2, 2], "lengths"),
])
def test_bad_lengths_are_value_errors_naming_them(lengths, words):
    lstm = nn.LSTM(I, H)
    with pytest.raises(ValueError, match=re.escape(words)):
        lstm(mg.randn(T, B, I), lengths=lengths)


def test_float_lengths_tensor_and_unsorted_with_enforce_sorted_are_refused():
    with pytest.raises(ValueError, match="dtype float32"):
        nn.GRU(I, H)(mg.randn(T, B, I), lengths=mg.tensor([1.0, 2.0, 3.0, 4.0]))
    with pytest.raises(ValueError, match="enforce_sorted=False"):
        pack_padded_sequence(mg.randn(T, B, I), [1, 2, 3, 4])
    with pytest.raises(ValueError, match="checkpoint=None"):
        nn.LSTM(I, H, checkpoint=2)(mg.randn(T, B, I), lengths=[6, 5, 4, 3])
