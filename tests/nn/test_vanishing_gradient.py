"""The vanishing-gradient fact, measured with retain_grad() on every hidden state.

A loss at the last step only; the gradient reaching the first hidden state is what
BPTT can use to learn a dependency 50 steps long. Through a tanh RNN with small
recurrent weights it is multiplied by a Jacobian of norm < 1 at every step and dies
out; through an LSTM whose forget gate is biased open it travels along the additive
cell-state path, scaled only by f ≈ σ(3) ≈ 0.95 per step.
"""

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn

T, B, I, H = 50, 4, 3, 8


def gradient_norms(cell, backend):
    """‖∂L/∂h[t]‖ for every step t, with L = sum(h[T-1])."""
    xs = mg.randn(T, B, I, dtype=mg.float64, backend=backend)
    state, hs = None, []
    for t in range(T):
        state = cell(xs[t], state)
        h = cell.unpack(state)[0].retain_grad()
        hs.append(h)
    hs[-1].sum().backward()
    return np.array([np.linalg.norm(h.grad.numpy()) for h in hs])


def small_recurrent_weights(cell):
    nn.init.uniform_(cell.weight_hh, -0.1, 0.1)
    return cell


def lstm_with_forget_bias(value):
    cell = small_recurrent_weights(nn.LSTMCell(I, H, dtype=mg.float64))
    bias = cell.bias_ih.numpy().copy()
    bias[H:2 * H] = value  # the f block of the (i, f, g, o) gates
    cell.load_state_dict({**cell.state_dict(), "bias_ih": bias})
    return cell


def test_tanh_rnn_gradient_vanishes_over_50_steps(backend):
    norms = gradient_norms(small_recurrent_weights(nn.RNNCell(I, H, dtype=mg.float64)), backend)
    assert norms[0] / norms[-1] < 1e-20
    assert np.all(np.diff(norms) > 0)  # it shrinks at every step back in time


def test_lstm_with_open_forget_gate_keeps_the_gradient(backend):
    rnn = gradient_norms(small_recurrent_weights(nn.RNNCell(I, H, dtype=mg.float64)), backend)
    lstm = gradient_norms(lstm_with_forget_bias(3.0), backend)
    assert lstm[0] / lstm[-1] > 1e-4
    assert lstm[0] / lstm[-1] > 1e15 * (rnn[0] / rnn[-1])


@pytest.mark.parametrize("forget_bias, survives", [(3.0, True), (-3.0, False)])
def test_it_is_the_forget_gate_that_carries_the_gradient(backend, forget_bias, survives):
    norms = gradient_norms(lstm_with_forget_bias(forget_bias), backend)
    assert (norms[0] / norms[-1] > 1e-4) == survives
