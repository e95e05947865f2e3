"""nn.LSTM(proj_size=): PyTorch's projected LSTM (LSTMP), names, shapes, values, gradients.

Each minigrad layer is loaded with a PyTorch layer's state dict and both run in float64
from the same inputs and states: outputs, final states and the gradients of the inputs,
both initial states and every parameter must agree, whichever way the time loop runs
(fused or composed step, full length, lengths=, a PackedSequence, checkpointed segments).
"""

import numpy as np
import pytest
from _module_check import gradcheck_module

import minigrad as mg
from minigrad import nn
from minigrad.nn.utils.rnn import pack_sequence

T, B, I, H, P = 5, 3, 4, 6, 3
LOOPS = [{"fused": True}, {"fused": False}, {"checkpoint": 2}, {"checkpoint": 2, "fused": False}]


def _pair(torch, layers, bidirectional, batch_first=False, **options):
    theirs = torch.nn.LSTM(I, H, num_layers=layers, bidirectional=bidirectional,
                           batch_first=batch_first, proj_size=P).double()
    ours = nn.LSTM(I, H, num_layers=layers, bidirectional=bidirectional,
                   batch_first=batch_first, proj_size=P, dtype=mg.float64, **options)
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    return theirs, ours


def _run_both(torch, theirs, ours, x, h0, c0, lengths=None):
    """Run both layers on the same data and a weighted loss; return their (ours, theirs)
    outputs, final states, input and state gradients, and parameter gradients by name."""
    results = []
    for lib, layer in ((mg, ours), (torch, theirs)):
        weights = np.random.default_rng(1).standard_normal  # the same loss for both
        tensors = [lib.tensor(a, requires_grad=True) for a in (x, h0, c0)]
        if lib is torch and lengths is not None:
            packed = torch.nn.utils.rnn.pack_padded_sequence(
                tensors[0], lengths, batch_first=layer.batch_first, enforce_sorted=False)
            out, (h, c) = layer(packed, tuple(tensors[1:]))
            out = torch.nn.utils.rnn.pad_packed_sequence(
                out, batch_first=layer.batch_first, total_length=x.shape[1 if layer.batch_first
                                                                         else 0])[0]
        elif lengths is not None:
            out, (h, c) = layer(tensors[0], tuple(tensors[1:]), lengths=lengths)
        else:
            out, (h, c) = layer(tensors[0], tuple(tensors[1:]))
        w = [lib.tensor(weights(shape)) for shape in (out.shape, h.shape, c.shape)]
        loss = (out * w[0]).sum() + (h * h * w[1]).sum() + (c * w[2]).sum()
        loss.backward()
        results.append(([out, h, c], [t.grad for t in tensors],
                        {n: p.grad for n, p in layer.named_parameters()}))
    return results


def _assert_same(mine, theirs):
    (m_values, m_grads, m_params), (t_values, t_grads, t_params) = mine, theirs
    for name, m, t in zip(["output", "h_n", "c_n", "x.grad", "h0.grad", "c0.grad"],
                          m_values + m_grads, t_values + t_grads):
        np.testing.assert_allclose(m.numpy(), t.detach().numpy(), atol=1e-12, err_msg=name)
    assert list(m_params) == list(t_params)
    for name, grad in m_params.items():
        np.testing.assert_allclose(grad.numpy(), t_params[name].numpy(), atol=1e-12,
                                   err_msg=name)


def _data(layers, bidirectional, batch_first=False):
    rng = np.random.default_rng(0)
    states = layers * (2 if bidirectional else 1)
    x = rng.standard_normal((B, T, I) if batch_first else (T, B, I))
    return x, rng.standard_normal((states, B, P)), rng.standard_normal((states, B, H))


@pytest.mark.parametrize("options", LOOPS, ids=["fused", "composed", "ckpt", "ckpt-composed"])
@pytest.mark.parametrize("layers, bidirectional, batch_first",
                         [(1, False, False), (2, True, True), (3, False, False)])
def test_projected_lstm_equals_pytorch(options, layers, bidirectional, batch_first):
    torch = pytest.importorskip("torch")
    theirs, ours = _pair(torch, layers, bidirectional, batch_first, **options)
    results = _run_both(torch, theirs, ours, *_data(layers, bidirectional, batch_first))
    _assert_same(*results)


@pytest.mark.parametrize("fused", [True, False], ids=["fused", "composed"])
@pytest.mark.parametrize("batch_first", [False, True])
def test_projected_lstm_with_lengths_equals_pytorch_packed(fused, batch_first):
    torch = pytest.importorskip("torch")
    theirs, ours = _pair(torch, 2, True, batch_first, fused=fused)
    results = _run_both(torch, theirs, ours, *_data(2, True, batch_first), lengths=[3, 5, 1])
    _assert_same(*results)


def test_projected_lstm_takes_and_returns_a_packed_sequence():
    torch = pytest.importorskip("torch")
    theirs, ours = _pair(torch, 2, True)
    rng = np.random.default_rng(2)
    sequences = [rng.standard_normal((n, I)) for n in (2, 5, 3)]
    t_out, (t_h, t_c) = theirs(torch.nn.utils.rnn.pack_sequence(
        [torch.tensor(s) for s in sequences], enforce_sorted=False))
    m_out, (m_h, m_c) = ours(pack_sequence([mg.tensor(s) for s in sequences],
                                           enforce_sorted=False))
    assert m_out.data.shape == (10, 2 * P) and m_h.shape == (4, 3, P) and m_c.shape == (4, 3, H)
    for mine, their in [(m_out.data, t_out.data), (m_h, t_h), (m_c, t_c)]:
        np.testing.assert_allclose(mine.numpy(), their.detach().numpy(), atol=1e-12)


def test_names_and_shapes_are_pytorchs():
    torch = pytest.importorskip("torch")
    theirs = torch.nn.LSTM(I, H, num_layers=2, bidirectional=True, proj_size=P)
    ours = nn.LSTM(I, H, num_layers=2, bidirectional=True, proj_size=P)
    assert [(n, p.shape) for n, p in ours.named_parameters()] == [
        (n, tuple(p.shape)) for n, p in theirs.named_parameters()]
    assert ours.proj_size == P == theirs.proj_size and f"proj_size={P}" in repr(ours)
    assert nn.LSTM(I, H).proj_size == 0 and "proj_size" not in repr(nn.LSTM(I, H))


def test_unbatched_projected_lstm_equals_pytorch():
    torch = pytest.importorskip("torch")
    theirs, ours = _pair(torch, 2, False)
    x = np.random.default_rng(3).standard_normal((T, I))
    t_out, (t_h, t_c) = theirs(torch.tensor(x))
    m_out, (m_h, m_c) = ours(mg.tensor(x))
    assert (m_out.shape, m_h.shape, m_c.shape) == ((T, P), (2, P), (2, H))
    np.testing.assert_allclose(m_out.numpy(), t_out.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(m_h.numpy(), t_h.detach().numpy(), atol=1e-12)


@pytest.mark.parametrize("fused", [True, False], ids=["fused", "composed"])
def test_projected_lstm_passes_gradcheck(fused):
    """Inputs, both states and every parameter, W_hr of both directions included."""
    lstm = nn.LSTM(2, 3, num_layers=2, bidirectional=True, proj_size=1, fused=fused,
                   dtype=mg.float64)
    x = mg.randn(3, 2, 2, dtype=mg.float64, requires_grad=True)
    h0 = mg.randn(4, 2, 1, dtype=mg.float64, requires_grad=True)
    c0 = mg.randn(4, 2, 3, dtype=mg.float64, requires_grad=True)
    assert gradcheck_module(lstm, lambda x, h0, c0: lstm(x, (h0, c0)), [x, h0, c0])


@pytest.mark.parametrize("fused", [True, False], ids=["fused", "composed"])
def test_projected_cell_step_is_the_layer_step(fused):
    """A projected LSTMCell called step by step computes what the layer computes."""
    lstm = nn.LSTM(I, H, proj_size=P, dtype=mg.float64)
    cell = nn.LSTMCell(I, H, proj_size=P, fused=fused, dtype=mg.float64)
    cell.load_state_dict({name[:-3]: p for name, p in lstm.state_dict().items()})
    x = mg.randn(T, B, I, dtype=mg.float64)
    out, (h_n, c_n) = lstm(x)
    state = None
    for t in range(T):
        state = cell(x[t], state)
        np.testing.assert_allclose(state[0].numpy(), out[t].numpy(), atol=1e-13)
    np.testing.assert_allclose(state[1].numpy(), c_n[0].numpy(), atol=1e-13)
    assert repr(cell) == f"LSTMCell({I}, {H}" + ("" if fused else ", fused=False") + (
        f", proj_size={P})")


@pytest.mark.parametrize("cls", [nn.LSTM, nn.LSTMCell])
@pytest.mark.parametrize("proj_size", [H, H + 1])
def test_a_projection_not_smaller_than_the_state_is_a_value_error(cls, proj_size):
    with pytest.raises(ValueError, match=rf"{cls.__name__}: expected proj_size smaller than "
                       rf"hidden_size \({H}\), got {proj_size}"):
        cls(I, H, proj_size=proj_size)


@pytest.mark.parametrize("cls", [nn.LSTM, nn.LSTMCell])
@pytest.mark.parametrize("proj_size", [-1, 1.5, "2", True, None])
def test_a_proj_size_not_a_non_negative_int_is_a_value_error(cls, proj_size):
    with pytest.raises(ValueError, match=rf"{cls.__name__}: expected proj_size to be an int "
                       rf">= 0, got {proj_size!r}"):
        cls(I, H, proj_size=proj_size)


@pytest.mark.parametrize("cls", [nn.RNN, nn.GRU])
def test_only_the_lstm_takes_a_projection(cls):
    with pytest.raises(TypeError, match="proj_size"):
        cls(I, H, proj_size=2)


def test_a_state_of_the_unprojected_width_is_refused():
    lstm = nn.LSTM(I, H, proj_size=P)
    with pytest.raises(ValueError, match=rf"expected h of shape \(1, {B}, {P}\)"):
        lstm(mg.randn(T, B, I), (mg.zeros(1, B, H), mg.zeros(1, B, H)))
