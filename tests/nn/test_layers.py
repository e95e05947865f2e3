"""Sequence layers: against the NumPy reference unrolled step by step, gradients, shapes, BPTT."""

import copy
import re

import numpy as np
import pytest
from _module_check import gradcheck_module
from _reference_cells import sequence

import minigrad as mg
from minigrad import nn

T, B, I, H = 3, 2, 3, 2

LAYERS = {
    "rnn-tanh": ("RNN", nn.RNN, {"nonlinearity": "tanh"}),
    "rnn-relu": ("RNN", nn.RNN, {"nonlinearity": "relu"}),
    "gru": ("GRU", nn.GRU, {"reset_after": False}),
    "gru-reset-after": ("GRU", nn.GRU, {"reset_after": True}),
    "lstm": ("LSTM", nn.LSTM, {}),
}

CONFIGS = {
    "one-layer": {},
    "two-layers": {"num_layers": 2},
    "bidirectional": {"bidirectional": True},
    "two-layers-bidirectional-batch-first": {
        "num_layers": 2, "bidirectional": True, "batch_first": True},
    "no-bias": {"bias": False},
}


@pytest.fixture(params=list(LAYERS))
def spec(request):
    return LAYERS[request.param]


def make_layer(spec, dtype=mg.float64, **config):
    _, cls, options = spec
    return cls(I, H, **config, **options, dtype=dtype)


def state_names(layer):
    return ("h", "c") if isinstance(layer, nn.LSTM) else ("h",)


def random_state(layer, *batch):
    count = layer.num_layers * layer.num_directions
    parts = [mg.randn(count, *batch, H, dtype=mg.float64) for _ in state_names(layer)]
    return tuple(parts) if len(parts) == 2 else parts[0]


def as_parts(state):
    return state if isinstance(state, tuple) else (state,)


def numpy_params(module):
    return {name: p.numpy() for name, p in module.named_parameters()}


@pytest.mark.parametrize("config", list(CONFIGS))
def test_layer_matches_the_reference_unrolled_step_by_step(backend, spec, config):
    kind, _, options = spec
    layer = make_layer(spec, **CONFIGS[config])
    x, state = mg.randn(T, B, I, dtype=mg.float64), random_state(layer, B)
    given = x.transpose(0, 1) if layer.batch_first else x
    output, final = layer(given, state)
    if layer.batch_first:
        output = output.transpose(0, 1)
    parts = [p.numpy() for p in as_parts(state)]
    initial = list(zip(*parts))  # one state tuple per layer and direction
    want_output, want_finals = sequence(kind, x.numpy(), initial, numpy_params(layer),
                                        layer.num_layers, layer.num_directions, **options)
    np.testing.assert_allclose(output.numpy(), want_output, rtol=1e-12, atol=1e-12)
    for got, want in zip(as_parts(final), zip(*want_finals)):
        np.testing.assert_allclose(got.numpy(), np.stack(want), rtol=1e-12, atol=1e-12)


def test_layer_gradients_wrt_input_state_and_every_parameter(backend, spec):
    layer = make_layer(spec, num_layers=2, bidirectional=True)
    x = mg.randn(T, B, I, dtype=mg.float64, requires_grad=True)
    parts = [p.requires_grad_() for p in as_parts(random_state(layer, B))]

    def run(x, *parts):
        return layer(x, tuple(parts) if len(parts) == 2 else parts[0])

    assert gradcheck_module(layer, run, [x, *parts])


def test_batch_first_layer_gradients(backend):
    layer = nn.GRU(I, H, batch_first=True, dtype=mg.float64)
    x = mg.randn(B, T, I, dtype=mg.float64, requires_grad=True)
    assert gradcheck_module(layer, layer, [x])


def test_parameter_names_follow_pytorch():
    lstm = nn.LSTM(I, H, num_layers=2, bidirectional=True)
    names = [name for name, _ in lstm.named_parameters()]
    expected = [f"{kind}_l{k}{suffix}"
                for k in range(2) for suffix in ("", "_reverse")
                for kind in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
    assert names == expected
    shapes = {name: p.shape for name, p in lstm.named_parameters()}
    assert shapes["weight_ih_l0"] == (4 * H, I)
    assert shapes["weight_ih_l1_reverse"] == (4 * H, 2 * H)  # reads both directions below
    assert shapes["weight_hh_l1"] == (4 * H, H)
    no_bias = nn.GRU(I, H, bias=False)
    assert [name for name, _ in no_bias.named_parameters()] == ["weight_ih_l0", "weight_hh_l0"]


@pytest.mark.parametrize("batch_first", [False, True])
def test_output_and_state_shapes(spec, batch_first):
    layer = make_layer(spec, num_layers=3, bidirectional=True, batch_first=batch_first)
    x = mg.randn(*((B, T) if batch_first else (T, B)), I, dtype=mg.float64)
    output, state = layer(x)
    assert output.shape == ((B, T) if batch_first else (T, B)) + (2 * H,)
    for part in as_parts(state):
        assert part.shape == (6, B, H)


def test_unbatched_sequence_is_a_batch_of_one(spec):
    layer = make_layer(spec, num_layers=2)
    x, state = mg.randn(T, I, dtype=mg.float64), random_state(layer)
    batched_state = tuple(p.reshape(2, 1, H) for p in as_parts(state))
    output, final = layer(x, state)
    want_output, want_final = layer(x.reshape(T, 1, I), batched_state if len(batched_state) == 2
                                    else batched_state[0])
    assert output.shape == (T, H)
    np.testing.assert_allclose(output.numpy(), want_output.numpy()[:, 0], rtol=1e-14)
    for got, want in zip(as_parts(final), as_parts(want_final)):
        assert got.shape == (2, H)
        np.testing.assert_allclose(got.numpy(), want.numpy()[:, 0], rtol=1e-14)


def test_layer_runs_the_cell_equations(backend):
    # One layer, one direction: the same numbers as looping over an LSTMCell by hand.
    layer = nn.LSTM(I, H, dtype=mg.float64)
    cell = nn.LSTMCell(I, H, dtype=mg.float64)
    cell.load_state_dict({name.removesuffix("_l0"): value
                          for name, value in layer.state_dict().items()})
    x = mg.randn(T, B, I, dtype=mg.float64)
    output, (_, c_n) = layer(x)
    h, c = cell(x[0])
    for t in range(1, T):
        h, c = cell(x[t], (h, c))
    np.testing.assert_allclose(output.numpy()[-1], h.numpy(), rtol=1e-14)
    np.testing.assert_allclose(c_n.numpy()[0], c.numpy(), rtol=1e-14)


def test_layer_and_cells_share_parameters():
    layer = nn.LSTM(I, H)
    x = mg.randn(T, B, I)
    before = layer(x)[0].numpy()
    layer.load_state_dict({name: np.zeros(p.shape) for name, p in layer.named_parameters()})
    np.testing.assert_array_equal(layer(x)[0].numpy(), np.zeros_like(before))
    layer.to(mg.float64)
    assert layer(x.to(mg.float64))[0].dtype == mg.float64


def test_a_parameter_assigned_to_the_layer_is_the_one_it_computes_with(backend, spec):
    kind, _, options = spec
    layer = make_layer(spec, num_layers=2, bidirectional=True)
    new = {}
    for name, p in list(layer.named_parameters()):
        new[name] = nn.Parameter(mg.randn(*p.shape, dtype=mg.float64))
        setattr(layer, name, new[name])
    assert dict(layer.named_parameters()) == new
    x = mg.randn(T, B, I, dtype=mg.float64)
    output, _ = layer(x)
    initial = [(np.zeros((B, H)),) * len(state_names(layer))] * 4
    want_output, _ = sequence(kind, x.numpy(), initial, numpy_params(layer), 2, 2, **options)
    np.testing.assert_allclose(output.numpy(), want_output, rtol=1e-12, atol=1e-12)
    output.sum().backward()
    assert all(p.grad is not None for p in new.values())


def test_a_layer_parameter_takes_only_a_parameter():
    layer = nn.LSTM(I, H)
    before = layer(mg.ones(T, B, I))[0].numpy()
    with pytest.raises(TypeError, match="^LSTM: expected a Parameter or None for the parameter "
                                        "'weight_hh_l0', got Tensor"):
        layer.weight_hh_l0 = mg.zeros(4 * H, H)
    with pytest.raises(TypeError, match="^LSTM: expected a Parameter for bias_ih_l0, got None"):
        layer.bias_ih_l0 = None
    assert len(layer.state_dict()) == 4
    np.testing.assert_array_equal(layer(mg.ones(T, B, I))[0].numpy(), before)


def test_a_parameter_assigned_to_a_deep_copy_leaves_the_original_alone():
    layer = nn.RNN(I, H)
    twin = copy.deepcopy(layer)
    twin.weight_ih_l0 = nn.Parameter(mg.zeros(H, I))  # the copy no longer reads its input
    x, zeros = mg.randn(T, B, I), mg.zeros(T, B, I)
    np.testing.assert_array_equal(twin(x)[0].numpy(), twin(zeros)[0].numpy())
    assert not np.array_equal(layer(x)[0].numpy(), layer(zeros)[0].numpy())


def test_dropout_between_layers_only_in_training():
    layer = nn.LSTM(I, H, num_layers=2, dropout=0.5, dtype=mg.float64)
    x = mg.randn(T, B, I, dtype=mg.float64)
    first, second = layer(x)[0].numpy(), layer(x)[0].numpy()
    assert not np.allclose(first, second)  # a fresh mask on each call
    layer.eval()
    evaluated = layer(x)[0].numpy()
    np.testing.assert_array_equal(evaluated, layer(x)[0].numpy())
    without = nn.LSTM(I, H, num_layers=2, dtype=mg.float64)
    without.load_state_dict(layer.state_dict())
    np.testing.assert_array_equal(evaluated, without(x)[0].numpy())


def test_truncated_bptt_cuts_the_graph_at_the_detached_state(backend):
    layer = nn.LSTM(I, H, dtype=mg.float64)
    first = mg.randn(T, B, I, dtype=mg.float64, requires_grad=True)
    second = mg.randn(T, B, I, dtype=mg.float64)
    _, state = layer(first)
    state = tuple(s.detach() for s in state)
    output, _ = layer(second, state)
    output.sum().backward()
    assert first.grad is None  # nothing flowed back past the cut
    truncated = {name: p.grad.numpy() for name, p in layer.named_parameters()}
    # The same gradients as a fresh run of the second chunk from a constant initial state.
    layer.zero_grad()
    layer(second, tuple(mg.tensor(s) for s in state))[0].sum().backward()
    for name, p in layer.named_parameters():
        np.testing.assert_allclose(truncated[name], p.grad.numpy(), rtol=1e-14)


def test_input_errors_name_the_layer_and_the_sizes():
    lstm = nn.LSTM(I, H, num_layers=2)
    with pytest.raises(ValueError, match="^LSTM: expected input of 2 or 3 dimensions, got 4$"):
        lstm(mg.randn(1, T, B, I))
    with pytest.raises(ValueError, match="LSTM: expected input with 3 features .* got 5"):
        lstm(mg.randn(T, B, 5))
    with pytest.raises(TypeError, match="LSTM: expected input of dtype float32 .* got float64"):
        lstm(mg.randn(T, B, I, dtype=mg.float64))
    with pytest.raises(ValueError, match=r"LSTM: expected h of shape \(2, 2, 2\), got \(1, 2"):
        lstm(mg.randn(T, B, I), (mg.zeros(1, B, H), mg.zeros(2, B, H)))
    with pytest.raises(TypeError, match=r"LSTM: expected the state as a tuple \(h, c\)"):
        lstm(mg.randn(T, B, I), mg.zeros(2, B, H))
    with pytest.raises(ValueError, match="LSTM: expected at least one time step"):
        lstm(mg.randn(0, B, I))


def test_constructor_errors():
    with pytest.raises(ValueError, match="GRU: expected num_layers to be a positive int, got 0"):
        nn.GRU(I, H, num_layers=0)
    with pytest.raises(ValueError, match=r"RNN: expected dropout to be a probability in \[0, 1\]"):
        nn.RNN(I, H, dropout=1.5)
    # The layer's name, not its cell's: the user built an RNN.
    with pytest.raises(ValueError, match="^RNN: expected nonlinearity 'tanh' or 'relu', got 'gel"):
        nn.RNN(I, H, nonlinearity="gelu")
    with pytest.raises(TypeError, match="^LSTM: expected a floating-point dtype .*, got int64$"):
        nn.LSTM(I, H, dtype=mg.int64)


@pytest.mark.parametrize("make, words", [
    (lambda: nn.RNN(I, H, 2, "relu"), "RNN: expected bias to be a bool, got 'relu' (str)"),
    (lambda: nn.LSTM(I, H, batch_first=1), "LSTM: expected batch_first to be a bool, got 1 (int)"),
    (lambda: nn.GRU(I, H, bidirectional="yes"), "GRU: expected bidirectional to be a bool"),
    (lambda: nn.GRU(I, H, reset_after=None), "GRU: expected reset_after to be a bool, got None"),
], ids=["bias", "batch_first", "bidirectional", "reset_after"])
def test_flags_must_be_bools(make, words):
    with pytest.raises(TypeError, match=f"^{re.escape(words)}"):
        make()


def test_flags_take_numpy_bools():
    gru = nn.GRU(I, H, bias=np.bool_(False), bidirectional=np.bool_(True),
                 reset_after=np.bool_(True))
    assert (gru.bias, gru.bidirectional, gru.reset_after) == (False, True, True)
    assert type(gru.reset_after) is bool
    assert repr(gru) == "GRU(3, 2, bias=False, bidirectional=True, reset_after=True)"


def test_constructors_take_numpy_numbers():
    lstm = nn.LSTM(np.int64(I), np.int64(H), num_layers=np.int64(2), dropout=np.float32(0.25))
    assert (lstm.input_size, lstm.num_layers, lstm.dropout) == (I, 2, 0.25)
    assert type(lstm.hidden_size) is int


@pytest.mark.parametrize("make, words", [
    (lambda: nn.LSTM(I, H, nonlinearity="relu"),
     r"^LSTM: got unexpected keyword arguments \['nonlinearity'\]; LSTM takes .* plus proj_size$"),
    (lambda: nn.GRU(I, H, nonlinearity="relu"),
     r"^GRU: got unexpected keyword arguments \['nonlinearity'\]; .* plus reset_after$"),
    (lambda: nn.RNN(I, H, reset_after=True), r"^RNN: .*\['reset_after'\]; .* plus nonlinearity$"),
    (lambda: nn.LSTMCell(I, H, nonlinearity="relu"), r"^LSTMCell\.__init__\(\) got an unexp"),
], ids=["LSTM", "GRU", "RNN", "LSTMCell"])
def test_an_option_that_a_layer_does_not_take_is_refused_naming_the_layer(make, words):
    with pytest.raises(TypeError, match=words):
        make()


def test_repr_shows_the_non_default_arguments():
    assert repr(nn.GRU(3, 4, num_layers=2, bidirectional=True, reset_after=True)) == (
        "GRU(3, 4, num_layers=2, bidirectional=True, reset_after=True)")
    assert repr(nn.LSTM(3, 4)) == "LSTM(3, 4)"


def test_a_deep_copy_is_independent_and_still_shares_within_itself():
    layer = nn.GRU(I, H, num_layers=2)
    twin = copy.deepcopy(layer)
    x = mg.randn(T, B, I)
    np.testing.assert_array_equal(twin(x)[0].numpy(), layer(x)[0].numpy())
    twin.load_state_dict({name: np.zeros(p.shape) for name, p in twin.named_parameters()})
    np.testing.assert_array_equal(twin(x)[0].numpy(), np.zeros((T, B, H)))
    assert np.abs(layer(x)[0].numpy()).sum() > 0  # the original is untouched
