"""The three cells: against NumPy written from the reference text, gradients, checks."""

import math

import numpy as np
import pytest
from _module_check import gradcheck_module
from _reference_cells import cell_step

import minigrad as mg
from minigrad import nn

B, I, H = 2, 3, 2

CELLS = {
    "rnn-tanh": ("RNN", nn.RNNCell, {"nonlinearity": "tanh"}),
    "rnn-relu": ("RNN", nn.RNNCell, {"nonlinearity": "relu"}),
    "gru": ("GRU", nn.GRUCell, {"reset_after": False}),
    "gru-reset-after": ("GRU", nn.GRUCell, {"reset_after": True}),
    "lstm": ("LSTM", nn.LSTMCell, {}),
}


@pytest.fixture(params=list(CELLS))
def spec(request):
    return CELLS[request.param]


def make_cell(spec, bias=True, dtype=mg.float64):
    _, cls, options = spec
    return cls(I, H, bias, **options, dtype=dtype)


def random_state(cell, *batch):
    return cell.pack([mg.randn(*batch, H, dtype=cell.weight_hh.dtype) for _ in cell.state_names])


def numpy_params(module):
    return {name: p.numpy() for name, p in module.named_parameters()}


@pytest.mark.parametrize("bias", [True, False], ids=["bias", "no-bias"])
def test_cell_matches_the_reference_equations(backend, spec, bias):
    kind, _, options = spec
    cell = make_cell(spec, bias)
    x, state = mg.randn(B, I, dtype=mg.float64), random_state(cell, B)
    expected = cell_step(kind, x.numpy(), [s.numpy() for s in cell.unpack(state)],
                         numpy_params(cell), **options)
    for got, want in zip(cell.unpack(cell(x, state)), expected):
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-12, atol=1e-12)


def test_omitted_state_is_zeros(backend, spec):
    cell = make_cell(spec)
    x = mg.randn(B, I, dtype=mg.float64)
    zeros = cell.pack([mg.zeros(B, H, dtype=mg.float64)] * len(cell.state_names))
    for got, want in zip(cell.unpack(cell(x)), cell.unpack(cell(x, zeros))):
        np.testing.assert_array_equal(got.numpy(), want.numpy())


def test_unbatched_input_is_a_batch_of_one(backend, spec):
    cell = make_cell(spec)
    x, state = mg.randn(I, dtype=mg.float64), random_state(cell)
    batched_state = cell.pack([s.reshape(1, H) for s in cell.unpack(state)])
    single = cell.unpack(cell(x, state))
    batched = cell.unpack(cell(x.reshape(1, I), batched_state))
    for got, want in zip(single, batched):
        assert got.shape == (H,)
        np.testing.assert_allclose(got.numpy(), want.numpy()[0], rtol=1e-14)


@pytest.mark.parametrize("bias", [True, False], ids=["bias", "no-bias"])
def test_cell_gradients_wrt_input_state_and_every_parameter(backend, spec, bias):
    cell = make_cell(spec, bias)
    x = mg.randn(B, I, dtype=mg.float64, requires_grad=True)
    parts = [s.requires_grad_() for s in cell.unpack(random_state(cell, B))]
    assert gradcheck_module(cell, lambda x, *state: cell(x, cell.pack(state)), [x, *parts])


def test_parameters_have_pytorch_names_shapes_and_gate_blocks(spec):
    cls = spec[1]
    cell = make_cell(spec, dtype=mg.float32)
    rows = cls.num_chunks * H
    assert {name: p.shape for name, p in cell.named_parameters()} == {
        "weight_ih": (rows, I), "weight_hh": (rows, H), "bias_ih": (rows,), "bias_hh": (rows,),
    }
    assert [name for name, _ in make_cell(spec, bias=False).named_parameters()] == [
        "weight_ih", "weight_hh"]
    assert all(p.dtype == mg.float32 for p in cell.parameters())


def test_default_initialisation_is_uniform_within_one_over_sqrt_hidden(spec):
    _, cls, options = spec
    cell = cls(4, 25, **options)
    bound = 1 / math.sqrt(25)
    for p in cell.parameters():
        values = p.numpy()
        assert np.abs(values).max() <= bound
        assert np.abs(values).max() > 0.9 * bound  # spread over the whole interval


def test_cell_equations_are_exactly_the_reference_with_one_bias_free_step():
    # Without biases, a GRU cell's default form must equal the reference text literally:
    # h' = (1 - z) h + z tanh(W_hx x + W_hh (r * h)).
    cell = nn.GRUCell(2, 1, bias=False, dtype=mg.float64)
    nn.init.constant_(cell.weight_ih, 0.5)
    nn.init.constant_(cell.weight_hh, -1.0)
    x, h = np.array([1.0, 2.0]), np.array([0.5])
    z = r = 1 / (1 + np.exp(-(1.5 - 0.5)))
    expected = (1 - z) * h + z * np.tanh(1.5 - r * 0.5)
    got = cell(mg.tensor(x, dtype=mg.float64), mg.tensor(h, dtype=mg.float64))
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-14)


@pytest.mark.parametrize("cls", [nn.RNNCell, nn.GRUCell, nn.LSTMCell])
def test_input_errors_name_the_cell_and_both_sizes(cls):
    cell = cls(I, H)
    name = cls.__name__
    with pytest.raises(ValueError, match=f"^{name}: expected input of 1 or 2 dimensions, got 3$"):
        cell(mg.randn(1, B, I))
    with pytest.raises(ValueError, match=f"{name}: expected input with 3 features .* got 4"):
        cell(mg.randn(B, 4))
    with pytest.raises(TypeError, match=f"{name}: expected input to be a Tensor, got ndarray"):
        cell(np.zeros((B, I), dtype=np.float32))
    with pytest.raises(TypeError, match=f"{name}: expected input of dtype float32 .* got float64"):
        cell(mg.randn(B, I, dtype=mg.float64))


def test_state_errors_say_what_was_expected():
    lstm, gru = nn.LSTMCell(I, H), nn.GRUCell(I, H)
    x = mg.randn(B, I)
    with pytest.raises(TypeError, match=r"LSTMCell: expected the state as a tuple \(h, c\)"):
        lstm(x, mg.zeros(B, H))
    with pytest.raises(ValueError, match=r"LSTMCell: expected c of shape \(2, 2\), got \(2, 3\)"):
        lstm(x, (mg.zeros(B, H), mg.zeros(B, 3)))
    with pytest.raises(ValueError, match=r"GRUCell: expected h of shape \(2,\), got \(1, 2\)"):
        gru(mg.randn(I), mg.zeros(1, H))
    with pytest.raises(TypeError, match="GRUCell: expected h to be a Tensor, got tuple"):
        gru(x, (mg.zeros(B, H),))


def test_constructor_errors():
    with pytest.raises(ValueError, match="RNNCell: expected nonlinearity 'tanh' or 'relu'"):
        nn.RNNCell(I, H, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match="LSTMCell: expected hidden_size to be a positive int"):
        nn.LSTMCell(I, 0)
    with pytest.raises(TypeError, match=r"^LSTMCell: expected bias to be a bool, got 'no' \(str"):
        nn.LSTMCell(I, H, "no")
    with pytest.raises(TypeError, match="^GRUCell: expected reset_after to be a bool, got 1 "):
        nn.GRUCell(I, H, reset_after=1)
    with pytest.raises(TypeError, match="^RNNCell: expected a floating-point dtype .* int64$"):
        nn.RNNCell(I, H, dtype=mg.int64)
    assert nn.GRUCell(I, H, np.bool_(False), np.bool_(True)).bias_ih is None


def test_cell_runs_over_a_sequence_and_backpropagates_through_time(backend):
    cell = nn.LSTMCell(I, H, dtype=mg.float64)
    xs = mg.randn(5, B, I, dtype=mg.float64, requires_grad=True)
    h, c = cell(xs[0])
    for t in range(1, 5):
        h, c = cell(xs[t], (h, c))
    h.sum().backward()
    assert np.all(np.abs(xs.grad.numpy()[0]) > 0)  # the first input reaches the last state
    assert cell.weight_hh.grad.shape == (4 * H, H)


def test_repr_shows_the_arguments():
    assert repr(nn.GRUCell(3, 4, bias=False, reset_after=True)) == (
        "GRUCell(3, 4, bias=False, reset_after=True)")
    assert repr(nn.RNNCell(3, 4)) == "RNNCell(3, 4, nonlinearity='tanh')"
