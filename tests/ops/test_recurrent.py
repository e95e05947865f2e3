"""The fused cells: values against the equations in NumPy, gradients against finite
differences, and both backward paths (raw arrays, and the cell's step under
create_graph) against the equations composed from primitives."""

import numpy as np
import pytest
from _helpers import as_tensor, assert_close, check_op
from _strategies import MAX_SIDE, arrays
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg


def sigmoid(a):
    return 1 / (1 + np.exp(-a))


def lstm_numpy(input_gates, hidden_gates, c):
    i, f, g, o = np.split(input_gates + hidden_gates, 4, axis=-1)
    c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
    return sigmoid(o) * np.tanh(c), c


def gru_numpy(input_gates, hidden_gates, h):
    (x_r, x_z, x_n), (h_r, h_z, h_n) = (np.split(a, 3, axis=-1)
                                        for a in (input_gates, hidden_gates))
    r, z = sigmoid(x_r + h_r), sigmoid(x_z + h_z)
    return (1 - z) * h + z * np.tanh(x_n + r * h_n)


def lstm_composed(input_gates, hidden_gates, c):
    """The same update composed from primitives, each differentiated by the engine."""
    i, f, g, o = mg.chunk(input_gates + hidden_gates, 4, -1)
    c = f.sigmoid() * c + i.sigmoid() * g.tanh()
    return o.sigmoid() * c.tanh(), c


def gru_composed(input_gates, hidden_gates, h):
    (x_r, x_z, x_n), (h_r, h_z, h_n) = (mg.chunk(a, 3, -1) for a in (input_gates, hidden_gates))
    r, z = (x_r + h_r).sigmoid(), (x_z + h_z).sigmoid()
    return h + z * ((x_n + r * h_n).tanh() - h)


CELLS = {
    "lstm": (mg.fused_lstm_cell, lstm_composed, lstm_numpy, 4),
    "gru": (mg.fused_gru_cell, gru_composed, gru_numpy, 3),
}


@st.composite
def cell_inputs(draw, blocks):
    """Gates ``(*batch, blocks * H)`` twice and a state ``(*batch, H)``; batch may be empty."""
    batch = draw(st.lists(st.integers(1, MAX_SIDE), max_size=2).map(tuple))
    hidden = draw(st.integers(1, MAX_SIDE))
    gates = batch + (blocks * hidden,)
    return draw(arrays(gates)), draw(arrays(gates)), draw(arrays(batch + (hidden,)))


def as_leaves(arrays_):
    return [as_tensor(a, requires_grad=True) for a in arrays_]


def outputs(result):
    return result if isinstance(result, tuple) else (result,)


@pytest.mark.parametrize("name", sorted(CELLS))
@given(data=st.data())
def test_fused_cell_values_and_gradients(backend, name, data):
    fused, _, numpy_form, blocks = CELLS[name]
    check_op(fused, *data.draw(cell_inputs(blocks)), ref=numpy_form)


@pytest.mark.parametrize("name", sorted(CELLS))
@given(data=st.data(), used=st.sampled_from(["all", "first", "last"]))
def test_fast_backward_matches_the_reference(backend, name, data, used):
    """The raw-array backward equals reverse mode through the composition, including when
    only one of the LSTM's outputs reaches the loss (the other output gets no gradient)."""
    fused, reference, _, blocks = CELLS[name]
    inputs = as_leaves(data.draw(cell_inputs(blocks)))
    grads = []
    for function in (fused, reference):
        ys = outputs(function(*inputs))
        ys = {"all": ys, "first": ys[:1], "last": ys[-1:]}[used]
        loss = sum((y * y.tanh()).sum() for y in ys)  # a nonlinear loss: no ones upstream
        grads.append(mg.grad(loss, inputs))
    for got, want in zip(*grads):
        assert_close(got, want)


@pytest.mark.parametrize("name", sorted(CELLS))
@given(data=st.data())
def test_second_derivatives_come_from_the_reference(backend, name, data):
    """Under create_graph the fused backward (the cell's step, recomputed) is itself
    differentiable, and it agrees with differentiating the composition twice."""
    fused, reference, _, blocks = CELLS[name]
    inputs = as_leaves(data.draw(cell_inputs(blocks)))
    hessian_vector = []
    for function in (fused, reference):
        loss = sum((y * y).sum() for y in outputs(function(*inputs)))
        first = mg.grad(loss, inputs, create_graph=True)
        hessian_vector.append(mg.grad(sum((g * g).sum() for g in first), inputs))
    for got, want in zip(*hessian_vector):
        assert_close(got, want)


@pytest.mark.parametrize("name", sorted(CELLS))
@given(data=st.data())
def test_first_derivative_gradchecks(backend, name, data):
    """Finite differences of the create_graph backward: second order, checked directly."""
    fused, _, _, blocks = CELLS[name]

    def derivative(*xs):
        loss = sum((y * y).sum() for y in outputs(fused(*xs)))
        return mg.concat([g.reshape(-1) for g in mg.grad(loss, xs, create_graph=True)])

    check_op(derivative, *data.draw(cell_inputs(blocks)))


def test_an_input_passed_twice_gets_both_partial_derivatives(backend):
    rng = np.random.default_rng(0)
    gates, h = as_leaves([rng.standard_normal((2, 6)), rng.standard_normal((2, 2))])
    results = []
    for function in (mg.fused_gru_cell, gru_composed):
        first = mg.grad((function(gates, gates, h) ** 2).sum(), [gates, h], create_graph=True)
        results.append(mg.grad(sum((g ** 2).sum() for g in first), [gates, h]))
    for got, want in zip(*results):
        assert_close(got, want)


@pytest.mark.parametrize("name", sorted(CELLS))
def test_strided_views_give_the_same_values_and_gradients(backend, name):
    # Gates that are views with gaps and transposes: what a user's own slicing hands over.
    # A GPU kernel reads them by flat index, which must follow the strides.
    fused, reference, _, blocks = CELLS[name]
    rng = np.random.default_rng(1)
    wide, tall, state = as_leaves([rng.standard_normal((3, 2 * blocks * 2)),
                                   rng.standard_normal((blocks * 2, 3)),
                                   rng.standard_normal((2, 3)).T])
    results = []
    for function in (fused, reference):
        loss = sum((o * o).sum() for o in outputs(function(wide[:, ::2], tall.T, state)))
        results.append([loss, *mg.grad(loss, [wide, tall, state])])
    for got, want in zip(*results):
        assert_close(got, want)


def test_integer_gates_are_refused():
    with pytest.raises(TypeError, match="fused_lstm_cell: expected floating-point"):
        mg.fused_lstm_cell(mg.zeros(1, 4, dtype=mg.int64), mg.zeros(1, 4, dtype=mg.int64),
                           mg.zeros(1, 1, dtype=mg.int64))


def test_float32_stays_float32(backend):
    gates, state = mg.zeros(2, 8, requires_grad=True), mg.zeros(2, 2, requires_grad=True)
    h, c = mg.fused_lstm_cell(gates, gates, state)
    assert h.dtype == c.dtype == mg.float32
    (h.sum() + c.sum()).backward()
    assert gates.grad.dtype == state.grad.dtype == mg.float32


@pytest.mark.parametrize("name", sorted(CELLS))
def test_gates_of_the_wrong_width_are_refused(name):
    fused, _, _, blocks = CELLS[name]
    with pytest.raises(ValueError, match=rf"{name}.*expected both gate tensors of shape \(2, "
                                         rf"{blocks * 3}\).*got \(2, 7\)"):
        fused(mg.zeros(2, 7), mg.zeros(2, 7), mg.zeros(2, 3))


def test_mixed_dtypes_are_refused():
    with pytest.raises(TypeError, match="one dtype.*float32, float32 and float64"):
        mg.fused_lstm_cell(mg.zeros(1, 4), mg.zeros(1, 4), mg.zeros(1, 1, dtype=mg.float64))


def test_a_raw_array_is_refused():
    with pytest.raises(TypeError, match="fused_gru_cell: expected a Tensor, got ndarray"):
        mg.fused_gru_cell(np.zeros((1, 3)), mg.zeros(1, 3), mg.zeros(1, 1))


def test_a_0d_state_is_refused():
    with pytest.raises(ValueError, match="fused_lstm_cell: expected a state of shape"):
        mg.fused_lstm_cell(mg.zeros(4), mg.zeros(4), mg.zeros(()))
