"""mg.lstm_cell, a whole LSTM step as one node: against the equations composed from primitives."""

import numpy as np
import pytest
from _helpers import as_tensor, assert_close, check_op
from _strategies import MAX_SIDE, arrays
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg
from minigrad import nn


def sigmoid(a):
    return 1 / (1 + np.exp(-a))


def lstm_numpy(x, h, c, w_ih, w_hh, b_ih=0.0, b_hh=0.0):
    i, f, g, o = np.split(x @ w_ih.T + b_ih + h @ w_hh.T + b_hh, 4, axis=-1)
    c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
    return sigmoid(o) * np.tanh(c), c


@st.composite
def step_inputs(draw, bias):
    """x (B, I), h and c (B, H), w_ih (4H, I), w_hh (4H, H) and, with ``bias``, two (4H,)."""
    batch, features, hidden = (draw(st.integers(1, MAX_SIDE)) for _ in range(3))
    shapes = [(batch, features), (batch, hidden), (batch, hidden), (4 * hidden, features),
              (4 * hidden, hidden)] + [(4 * hidden,)] * (2 if bias else 0)
    return [draw(arrays(shape)) for shape in shapes]


def lstm_cell(x, h, c, *weights):
    return mg.lstm_cell(x, (h, c), *weights)


def lstm_composed(x, h, c, w_ih, w_hh, b_ih, b_hh):
    """The same step composed from primitives, each differentiated by the engine."""
    i, f, g, o = mg.chunk(mg.linear(x, w_ih, b_ih + b_hh) + mg.linear(h, w_hh), 4, -1)
    c = f.sigmoid() * c + i.sigmoid() * g.tanh()
    return o.sigmoid() * c.tanh(), c


@given(inputs=step_inputs(bias=True) | step_inputs(bias=False))
def test_values_and_gradients(backend, inputs):
    check_op(lstm_cell, *inputs, ref=lstm_numpy)


@pytest.mark.parametrize("leaf_weights", [True, False])
@given(inputs=step_inputs(bias=True), used=st.sampled_from(["both", "h", "c"]))
def test_fast_backward_matches_the_reference(backend, inputs, used, leaf_weights):
    """The raw-array backward (weights deferred when they are leaves) equals reverse mode
    through the composition, also when only one output reaches the loss."""
    leaves = [as_tensor(a, requires_grad=True) for a in inputs]
    grads = []
    for function in (lstm_cell, lstm_composed):
        # Non-leaf weights take the product path instead of the deferred factors.
        args = leaves if leaf_weights else leaves[:3] + [w * 1.0 for w in leaves[3:]]
        ys = function(*args)
        ys = {"both": ys, "h": ys[:1], "c": ys[1:]}[used]
        grads.append(mg.grad(sum((y * y.tanh()).sum() for y in ys), leaves))
    for got, want in zip(*grads):
        assert_close(got, want)


@given(inputs=step_inputs(bias=True))
def test_second_derivatives_come_from_the_reference(backend, inputs):
    leaves = [as_tensor(a, requires_grad=True) for a in inputs]
    hessian_vector = []
    for function in (lstm_cell, lstm_composed):
        loss = sum((y * y).sum() for y in function(*leaves))
        first = mg.grad(loss, leaves, create_graph=True)
        hessian_vector.append(mg.grad(sum((g * g).sum() for g in first), leaves))
    for got, want in zip(*hessian_vector):
        assert_close(got, want)


def test_a_hand_unrolled_cell_equals_the_layer(backend):
    mg.manual_seed(0)
    layer = nn.LSTM(3, 4, dtype=mg.float64)
    cell = nn.LSTMCell(3, 4, dtype=mg.float64)
    cell.load_state_dict({k[:-3]: v for k, v in layer.state_dict().items()})
    x = mg.randn(6, 2, 3, dtype=mg.float64)
    output, _ = layer(x)
    state = None
    hs = []
    for x_t in x:
        state = cell(x_t, state)
        hs.append(state[0])
    (output ** 2).sum().backward()
    (mg.stack(hs) ** 2).sum().backward()
    assert_close(mg.stack(hs), output, rtol=1e-12)
    for name, p in cell.named_parameters():
        assert_close(p.grad, getattr(layer, f"{name}_l0").grad, rtol=1e-10)


def test_bad_shapes_and_dtypes_are_refused():
    x, h, c = mg.zeros(2, 3), mg.zeros(2, 4), mg.zeros(2, 4)
    w_ih, w_hh = mg.zeros(16, 3), mg.zeros(16, 4)
    with pytest.raises(ValueError,
                       match=r"lstm_cell: expected input \(B, I\).*got w_hh \(12, 4\)"):
        mg.lstm_cell(x, (h, c), w_ih, mg.zeros(12, 4))
    with pytest.raises(ValueError, match=r"both or neither of b_ih, b_hh.*got b_hh \(\)"):
        mg.lstm_cell(x, (h, c), w_ih, w_hh, mg.zeros(16), mg.zeros(()))
    with pytest.raises(TypeError, match="expected one floating-point dtype.*h float64"):
        mg.lstm_cell(x, (mg.zeros(2, 4, dtype=mg.float64), c), w_ih, w_hh)
    with pytest.raises(TypeError, match=r"expected hx as a pair \(h, c\), got Tensor"):
        mg.lstm_cell(x, h, w_ih, w_hh)
