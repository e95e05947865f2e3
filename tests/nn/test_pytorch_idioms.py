"""nn idioms a PyTorch user writes, checked against PyTorch where it is installed."""

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn


@pytest.mark.parametrize("layer", [nn.RNN(3, 2), nn.GRU(3, 2), nn.LSTM(3, 2)])
def test_sequence_layers_take_their_state_as_hx(layer):
    x = mg.randn(4, 1, 3)
    state = layer(x)[1]
    assert layer.flatten_parameters() is None
    np.testing.assert_array_equal(layer(x, hx=state)[0].numpy(), layer(x, state)[0].numpy())


@pytest.mark.parametrize("cell", [nn.RNNCell(3, 2), nn.GRUCell(3, 2), nn.LSTMCell(3, 2)])
def test_cells_take_their_state_as_hx(cell):
    x = mg.randn(1, 3)
    state = cell(x)
    np.testing.assert_array_equal(hidden(cell(x, hx=state)).numpy(), hidden(cell(x, state)).numpy())


def hidden(state):
    """h of a cell's state: the state itself, or the first of an LSTM's (h, c)."""
    return state[0] if isinstance(state, tuple) else state
