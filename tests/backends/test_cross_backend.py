"""Every op and every recurrent layer gives the same values and gradients on every backend as
on NumPy (float32 tolerance).

The comparisons run against each non-NumPy backend available here (CuPy on a GPU machine)
and against "fakenp", NumPy registered under another name, so that the moving and
comparing itself is exercised on a CPU-only machine too.
"""

import copy

import numpy as np
import pytest
from _cases import CASES, draw_inputs, value_and_grads

import minigrad as mg
from minigrad import nn

OTHERS = [name for name in mg.backends.available() if name != "numpy"] + ["fakenp"]

# float32 on two libraries: matrix products may sum in another order (cuBLAS), and BPTT
# adds T such products into every weight gradient, so the gradients get a little more room.
VALUE_TOL = {"rtol": 1e-5, "atol": 1e-6}
GRAD_TOL = {"rtol": 1e-4, "atol": 1e-5}


@pytest.fixture(params=OTHERS)
def other(request):
    """The name of a backend to compare with NumPy; "fakenp" is registered for the test."""
    if request.param == "fakenp":
        request.getfixturevalue("fake_backend")
    return request.param


# ---- single ops ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(CASES))
def test_op_agrees_with_numpy(other, name):
    fn, _, _ = CASES[name]
    arrays = draw_inputs(name)
    expected = value_and_grads(fn, arrays, mg.float32, "numpy")
    with mg.default_backend(other):  # where the ops create their own constants
        got = value_and_grads(fn, arrays, mg.float32, other)
    for what, a, b in zip(["value"] + [f"grad {i}" for i in range(len(arrays))], got, expected):
        assert a.dtype == b.dtype == np.float32 and a.shape == b.shape, what
        np.testing.assert_allclose(a, b, **VALUE_TOL, err_msg=what)


def test_moving_between_backends_is_differentiable(other):
    x = mg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x.to(other)
    assert y.backend == other and not y.is_leaf
    (y * y).sum().backward()
    assert x.grad.backend == "numpy"
    np.testing.assert_allclose(x.grad.numpy(), 2 * x.numpy())


# ---- recurrent layers and cells ------------------------------------------------------------

T, B, I, H = 5, 3, 4, 6

LAYERS = {
    "rnn-tanh": lambda: nn.RNN(I, H, nonlinearity="tanh"),
    "rnn-relu": lambda: nn.RNN(I, H, nonlinearity="relu"),
    "gru": lambda: nn.GRU(I, H, reset_after=False),
    "gru-reset-after": lambda: nn.GRU(I, H, reset_after=True),
    "lstm": lambda: nn.LSTM(I, H),
    "rnn-batch-first": lambda: nn.RNN(I, H, batch_first=True),
    "gru-2-layers-bidirectional": lambda: nn.GRU(I, H, num_layers=2, bidirectional=True),
    "lstm-2-layers-bidirectional-batch-first": lambda: nn.LSTM(
        I, H, num_layers=2, bidirectional=True, batch_first=True),
}

CELLS = {
    "rnn-cell": lambda backend: nn.RNNCell(I, H, backend=backend),
    "gru-cell": lambda backend: nn.GRUCell(I, H, backend=backend),
    "gru-cell-reset-after": lambda backend: nn.GRUCell(I, H, reset_after=True, backend=backend),
    "lstm-cell": lambda backend: nn.LSTMCell(I, H, backend=backend),
}


def parts(state):
    return state if isinstance(state, tuple) else (state,)


def leaves(arrays, backend):
    """Fresh float32 leaves on ``backend`` that require grad, from the same host arrays."""
    return [mg.tensor(a, backend=backend, requires_grad=True) for a in arrays]


def weighted_sum(outputs, weights):
    """A scalar loss with a different, random weight on every output element, so that a
    gradient that lands on the wrong element or step changes the result."""
    return sum((y * mg.tensor(w, backend=y.backend)).sum() for y, w in zip(outputs, weights))


def values_and_grads(module, outputs, weights, inputs):
    """Backpropagate the weighted sum; return every output, input gradient and parameter
    gradient as host arrays, by name."""
    weighted_sum(outputs, weights).backward()
    found = {f"output {i}": y.numpy() for i, y in enumerate(outputs)}
    found.update({f"grad of input {i}": x.grad.numpy() for i, x in enumerate(inputs)})
    found.update({f"grad of {name}": p.grad.numpy() for name, p in module.named_parameters()})
    return found


def assert_agree(got, expected, other):
    assert list(got) == list(expected)
    for what in expected:
        tolerance = GRAD_TOL if what.startswith("grad") else VALUE_TOL
        assert got[what].dtype == expected[what].dtype == np.float32, what
        np.testing.assert_allclose(got[what], expected[what], **tolerance,
                                   err_msg=f"{what} on {other}")


def run_layer(layer, x, state, weights, backend):
    inputs = leaves([x, *state], backend)
    given = tuple(inputs[1:]) if len(inputs) > 2 else inputs[1]
    output, final = layer(inputs[0], given)
    assert output.backend == backend and all(s.backend == backend for s in parts(final))
    return values_and_grads(layer, [output, *parts(final)], weights, inputs)


@pytest.mark.parametrize("kind", list(LAYERS))
def test_layer_agrees_with_numpy(other, kind):
    mg.manual_seed(1)
    layer = LAYERS[kind]()
    twin = copy.deepcopy(layer).to(other)
    assert all(p.backend == other for p in twin.parameters())
    assert all(p.backend == "numpy" for p in layer.parameters())  # the original stays put

    rng = np.random.default_rng(0)
    x = rng.standard_normal((B, T, I) if layer.batch_first else (T, B, I), dtype=np.float32)
    count = layer.num_layers * layer.num_directions
    state = [rng.standard_normal((count, B, H), dtype=np.float32)
             for _ in range(2 if kind.startswith("lstm") else 1)]
    output_shape = x.shape[:2] + (layer.num_directions * H,)
    weights = [rng.standard_normal(output_shape, dtype=np.float32)]
    weights += [rng.standard_normal(s.shape, dtype=np.float32) for s in state]

    expected = run_layer(layer, x, state, weights, "numpy")
    assert_agree(run_layer(twin, x, state, weights, other), expected, other)


def run_cell(cell, xs, state, weights, backend):
    """Unroll ``cell`` by hand over the steps of ``xs``; the loss weighs every step's h."""
    inputs = leaves([xs, *state], backend)
    given = tuple(inputs[1:]) if len(inputs) > 2 else inputs[1]
    hs = []
    for t in range(xs.shape[0]):
        given = cell(inputs[0][t], given)
        hs.append(parts(given)[0])
    outputs = [mg.stack(hs), *parts(given)]
    return values_and_grads(cell, outputs, weights, inputs)


@pytest.mark.parametrize("kind", list(CELLS))
def test_cell_agrees_with_numpy(other, kind):
    mg.manual_seed(1)
    cell = CELLS[kind]("numpy")
    # This time the twin is built on the other backend and filled through its state dict.
    twin = CELLS[kind](other)
    twin.load_state_dict(cell.state_dict())
    for (name, p), q in zip(cell.named_parameters(), twin.parameters()):
        assert q.backend == other and q.data is not p.data, name
        np.testing.assert_array_equal(q.numpy(), p.numpy(), err_msg=name)

    rng = np.random.default_rng(0)
    xs = rng.standard_normal((T, B, I), dtype=np.float32)
    state = [rng.standard_normal((B, H), dtype=np.float32)
             for _ in range(2 if kind.startswith("lstm") else 1)]
    weights = [rng.standard_normal((T, B, H), dtype=np.float32)]
    weights += [rng.standard_normal((B, H), dtype=np.float32) for _ in state]

    expected = run_cell(cell, xs, state, weights, "numpy")
    assert_agree(run_cell(twin, xs, state, weights, other), expected, other)
