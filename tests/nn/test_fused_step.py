"""fused=True against fused=False: the fast nodes compute the same step as the equations.

Each cell and layer is built twice with the same weights, once per setting, and the
two must agree in values, gradients and second derivatives (float64, every backend);
both are also checked against finite differences, to first and second order.
"""

import subprocess
import sys

import numpy as np
import pytest
from _helpers import assert_close

import minigrad as mg
from minigrad import nn

B, I, H = 2, 3, 2

CELLS = {
    "rnn": (nn.RNNCell, {}),
    "gru": (nn.GRUCell, {"reset_after": False}),
    "gru-reset-after": (nn.GRUCell, {"reset_after": True}),
    "lstm": (nn.LSTMCell, {}),
}
LAYERS = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}


def twins(cls, *args, **options):
    """The module with fused=True and with fused=False, sharing one set of weights."""
    fused = cls(*args, **options, fused=True, dtype=mg.float64)
    composed = cls(*args, **options, fused=False, dtype=mg.float64)
    composed.load_state_dict(fused.state_dict())
    return fused, composed


def cell_inputs(cell):
    x = mg.randn(B, I, dtype=mg.float64, requires_grad=True)
    state = [mg.randn(B, H, dtype=mg.float64, requires_grad=True) for _ in cell.state_names]
    return x, state


def flat(result):
    return list(result) if isinstance(result, tuple) else [result]


def loss_of(outputs):
    # Nonlinear, so that no upstream gradient is all ones and second derivatives differ.
    return sum((y * y.tanh()).sum() for y in outputs)


def first_and_second(module, run, inputs):
    """The loss, its gradient, and the gradient of the gradient's squared norm."""
    wrt = [*inputs, *module.parameters()]
    loss = loss_of(run(*inputs))
    grads = mg.grad(loss, wrt, create_graph=True)
    seconds = mg.grad(sum((g * g).sum() for g in grads), wrt)
    return [loss, *grads, *seconds]


@pytest.mark.parametrize("name", list(CELLS))
def test_fused_cell_equals_its_step_to_second_order(backend, name):
    cls, options = CELLS[name]
    fused, composed = twins(cls, I, H, **options)
    x, state = cell_inputs(fused)
    results = [first_and_second(cell, lambda x, *s, cell=cell: flat(cell(x, cell.pack(s))),
                                [x, *state]) for cell in (fused, composed)]
    for got, want in zip(*results):
        assert_close(got, want, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", list(CELLS))
def test_fused_step_equals_step_from_a_projection(backend, name):
    """What a layer runs per step: fused_step and step from the same input projection."""
    cls, options = CELLS[name]
    cell = cls(I, H, **options, dtype=mg.float64)
    x, state = cell_inputs(cell)
    x_proj = cell.input_projection(x)
    for got, want in zip(flat(cell.fused_step(x_proj, cell.pack(state))),
                         flat(cell.step(x_proj, cell.pack(state)))):
        assert_close(got, want, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("fused", [True, False], ids=["fused", "composed"])
@pytest.mark.parametrize("name", list(CELLS))
def test_cell_second_derivatives_against_finite_differences(backend, name, fused):
    cls, options = CELLS[name]
    cell = cls(I, H, **options, fused=fused, dtype=mg.float64)
    x, state = cell_inputs(cell)

    def gradient(x, *state):  # d loss / d (x, state), recorded: its gradient is the second
        return mg.grad(loss_of(flat(cell(x, cell.pack(state)))), [x, *state], create_graph=True)

    assert mg.gradcheck(gradient, [x, *state])


def test_composed_lstm_records_every_gate():
    """fused=False puts the equations on the tape: a learner sees each gate's node."""
    fused, composed = twins(nn.LSTMCell, I, H)
    x, state = cell_inputs(fused)
    tapes = {cell.fused: mg.viz.tape(cell(x, tuple(state))[0]) for cell in (fused, composed)}
    assert tapes[False].count("sigmoid(") == 3 and tapes[False].count("tanh(") == 2
    assert "split(" in tapes[False] and "sigmoid(" not in tapes[True]


@pytest.mark.parametrize("name, options", [
    ("rnn", {"num_layers": 2, "bidirectional": True}),
    ("gru", {"num_layers": 2, "bidirectional": True}),
    ("gru", {"num_layers": 2, "bidirectional": True, "reset_after": True}),
    ("lstm", {"num_layers": 2, "bidirectional": True}),
])
def test_fused_layer_equals_composed_layer(backend, name, options):
    fused, composed = twins(LAYERS[name], I, H, **options)
    x = mg.randn(3, B, I, dtype=mg.float64, requires_grad=True)
    results = [first_and_second(layer, lambda x, layer=layer: flat_layer(layer(x)), [x])
               for layer in (fused, composed)]
    for got, want in zip(*results):
        assert_close(got, want, rtol=1e-10, atol=1e-12)


def flat_layer(result):
    output, state = result
    return [output, *flat(state)]


def test_fused_option_is_checked_and_shown():
    with pytest.raises(TypeError, match="fused"):
        nn.LSTMCell(I, H, fused="no")
    with pytest.raises(TypeError, match="fused"):
        nn.GRU(I, H, fused=None)
    assert "fused=False" in repr(nn.LSTM(I, H, fused=False))
    assert "fused" not in repr(nn.LSTM(I, H))
    assert np.all([nn.GRUCell(I, H).fused, not nn.RNNCell(I, H, fused=False).fused])


@pytest.mark.parametrize("name", list(LAYERS))
def test_fused_layer_equals_composed_layer_on_a_packed_batch(backend, name):
    fused, composed = twins(LAYERS[name], I, H, bidirectional=True)
    x = mg.randn(4, 3, I, dtype=mg.float64, requires_grad=True)

    def run(layer):
        def packed(x):
            output, state = layer(nn.utils.rnn.pack_padded_sequence(x, [4, 2, 3],
                                                                    enforce_sorted=False))
            return [output.data, *flat(state)]
        return first_and_second(layer, packed, [x])

    for got, want in zip(run(fused), run(composed)):
        assert_close(got, want, rtol=1e-10, atol=1e-12)


def test_the_engine_hands_out_the_fused_functions_without_importing_nn():
    """mg.lstm_cell and its kin live with nn's fast paths; importing minigrad loads no nn."""
    code = ("import sys, minigrad as mg; assert 'minigrad.nn' not in sys.modules; "
            "assert {'lstm_cell', 'fused_lstm_cell', 'fused_gru_cell'} <= set(dir(mg)); "
            "from minigrad.nn import _fused_functions as nn_side; "
            "assert mg.lstm_cell is nn_side.lstm_cell; "
            "assert mg.fused_gru_cell is nn_side.fused_gru_cell")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
    with pytest.raises(AttributeError, match="has no attribute 'lstm_celll'"):
        mg.lstm_celll  # noqa: B018  (a typo gets Python's own error)
