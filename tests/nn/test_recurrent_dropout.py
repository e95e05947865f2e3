"""Recurrent dropout and DropConnect of W_hh: one mask per sequence, layer and direction,
the same at every step; one mask on W_hh per call; identity in eval(); seeded draws."""

import re

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn

from _module_check import gradcheck_module
from _reference_cells import cell_step, sequence

LAYERS = {
    "rnn": (nn.RNN, "RNN", {}),
    "gru": (nn.GRU, "GRU", {}),
    "gru-reset-after": (nn.GRU, "GRU", {"reset_after": True}),
    "lstm": (nn.LSTM, "LSTM", {}),
}
CELLS = {
    "rnn": (nn.RNNCell, "RNN", {}),
    "gru": (nn.GRUCell, "GRU", {}),
    "gru-reset-after": (nn.GRUCell, "GRU", {"reset_after": True}),
    "lstm": (nn.LSTMCell, "LSTM", {}),
}
T, B, H = 6, 5, 16


@pytest.fixture
def drawn(monkeypatch):
    """Every dropout mask drawn during the test, in order (W_hh's and the states')."""
    masks, draw = [], nn.functional.dropout_mask

    def recording(*args, **kwargs):
        masks.append(draw(*args, **kwargs))
        return masks[-1]
    monkeypatch.setattr(nn.functional, "dropout_mask", recording)
    return masks


def echo(layer):
    """``layer`` with W_hh = I and every other parameter 0: a relu RNN whose step is
    h' = relu(m ⊙ h). From h_0 = 1, a unit its mask keeps (scale 2 at p = 0.5) holds
    2**t after t steps, a dropped one 0, exactly."""
    layer.load_state_dict({name: np.eye(*p.shape) if name.startswith("weight_hh")
                           else np.zeros(p.shape) for name, p in layer.state_dict().items()})
    return layer


def echo_rnn(**options):
    return echo(nn.RNN(3, H, nonlinearity="relu", recurrent_dropout=0.5, dtype=mg.float64,
                       **options))


@pytest.mark.parametrize("batch_first", [False, True])
def test_the_mask_is_the_same_at_every_step(backend, batch_first):
    layer = echo_rnn(num_layers=2, bidirectional=True, batch_first=batch_first)
    x = mg.randn(*((B, T) if batch_first else (T, B)), 3, dtype=mg.float64)
    output, h_n = layer(x, mg.ones(4, B, H, dtype=mg.float64))
    output = output.numpy().transpose(1, 0, 2) if batch_first else output.numpy()
    kept = h_n.numpy() != 0  # (layers * directions, B, H): the units each mask keeps
    np.testing.assert_array_equal(h_n.numpy(), kept * 2.0 ** T)
    powers = 2.0 ** np.arange(1, T + 1)[:, None, None]  # after 1, 2, ..., T steps
    np.testing.assert_array_equal(output[..., :H], kept[2] * powers)
    np.testing.assert_array_equal(output[..., H:], kept[3] * powers[::-1])


def test_masks_differ_between_sequences_layers_and_directions(backend):
    layer = echo_rnn(num_layers=2, bidirectional=True)
    _, h_n = layer(mg.randn(T, B, 3, dtype=mg.float64), mg.ones(4, B, H, dtype=mg.float64))
    rows = (h_n.numpy() != 0).reshape(4 * B, H)
    assert len({row.tobytes() for row in rows}) == 4 * B
    assert 0.3 < rows.mean() < 0.7


@pytest.mark.parametrize("lengths", [[6, 2, 4], [1, 6, 3]])
def test_with_lengths_each_sequence_keeps_its_mask_to_its_own_end(backend, lengths):
    layer = echo_rnn(bidirectional=True)
    output, h_n = layer(mg.randn(T, 3, 3, dtype=mg.float64), mg.ones(2, 3, H,
                                                                     dtype=mg.float64),
                        lengths=lengths)
    output, kept = output.numpy(), h_n.numpy() != 0
    for b, n in enumerate(lengths):
        np.testing.assert_array_equal(h_n.numpy()[:, b], kept[:, b] * 2.0 ** n)
        powers = 2.0 ** np.arange(1, n + 1)[:, None]
        np.testing.assert_array_equal(output[:n, b, :H], kept[0, b] * powers)
        np.testing.assert_array_equal(output[:n, b, H:], kept[1, b] * powers[::-1])
        np.testing.assert_array_equal(output[n:, b], 0.0)


def initial_states(kind, count, batch, size):
    zeros = np.zeros((batch, size))
    return [(zeros, zeros) if kind == "LSTM" else (zeros,)] * count


@pytest.mark.parametrize("fused", [True, False])
@pytest.mark.parametrize("name", list(LAYERS))
def test_layers_compute_the_reference_cells_with_the_drawn_masks(backend, drawn, name, fused):
    cls, kind, options = LAYERS[name]
    layer = cls(3, 4, num_layers=2, bidirectional=True, recurrent_dropout=0.3,
                weight_dropout=0.4, fused=fused, dtype=mg.float64, **options)
    x = mg.randn(5, 2, 3, dtype=mg.float64)
    drawn.clear()
    output, state = layer(x)
    # Each layer and direction in turn draws W_hh's mask, then its state's.
    chunks = {"RNN": 1, "GRU": 3, "LSTM": 4}[kind]
    assert [m.shape for m in drawn] == [(chunks * 4, 4), (2, 4)] * 4
    weight_masks, state_masks = drawn[0::2], drawn[1::2]
    params = {key: p.numpy() for key, p in layer.named_parameters()}
    names = ["weight_hh_l0", "weight_hh_l0_reverse", "weight_hh_l1", "weight_hh_l1_reverse"]
    for weight, mask in zip(names, weight_masks):
        params[weight] = params[weight] * mask.numpy()
    want, finals = sequence(kind, x.numpy(), initial_states(kind, 4, 2, 4), params, 2, 2,
                            masks=[m.numpy() for m in state_masks], **options)
    np.testing.assert_allclose(output.numpy(), want, rtol=1e-12, atol=1e-12)
    h_n = state[0] if kind == "LSTM" else state
    np.testing.assert_allclose(h_n.numpy(), np.stack([f[0] for f in finals]), atol=1e-12)
    # The gradient reaches each raw W_hh through its mask: none where the mask dropped.
    output.sum().backward()
    for weight, mask in zip(names, weight_masks):
        assert np.all(getattr(layer, weight).grad.numpy()[mask.numpy() == 0] == 0)


@pytest.mark.parametrize("fused", [True, False])
@pytest.mark.parametrize("name", list(CELLS))
def test_a_cell_stepped_by_hand_keeps_one_mask_per_sequence(backend, drawn, name, fused):
    cls, kind, options = CELLS[name]
    cell = cls(3, 4, recurrent_dropout=0.5, fused=fused, dtype=mg.float64, **options)
    params = {key: p.numpy() for key, p in cell.named_parameters()}
    x = mg.randn(2, T, B, 3, dtype=mg.float64)
    for sequence_x in x:  # each sequence starts from hx=None: a mask of its own
        state, want = None, initial_states(kind, 1, B, 4)[0]
        for step_x in sequence_x:
            state = cell(step_x, state)
            want = cell_step(kind, step_x.numpy(), want, params, mask=drawn[-1].numpy(),
                             **options)
        for got, expected in zip(cell.unpack(state), want):
            np.testing.assert_allclose(got.numpy(), expected, rtol=1e-12, atol=1e-12)
    assert len(drawn) == 2 and (drawn[0].numpy() != drawn[1].numpy()).any()
    assert {float(v) for m in drawn for v in np.unique(m.numpy())} == {0.0, 2.0}


def test_a_cell_draws_anew_after_a_reset_or_for_another_batch(backend, drawn):
    cell = nn.LSTMCell(3, 4, recurrent_dropout=0.5)
    state = cell(mg.randn(B, 3))
    state = cell(mg.randn(B, 3), state)
    assert len(drawn) == 1  # a given state continues the sequence, and its mask
    cell.reset_dropout_mask()
    state = cell(mg.randn(B, 3), state)
    assert len(drawn) == 2
    cell(mg.randn(B + 1, 3), tuple(mg.zeros(B + 1, 4) for _ in range(2)))
    assert len(drawn) == 3 and drawn[-1].shape == (B + 1, 4)
    cell(mg.randn(3))  # unbatched: a batch of one
    assert drawn[-1].shape == (1, 4)


def plain_twin(module, cls, *args, **options):
    """A module of ``cls`` without dropout, holding ``module``'s parameters' values."""
    twin = cls(*args, dtype=mg.float64, **options)
    twin.load_state_dict(module.state_dict())
    return twin


@pytest.mark.parametrize("name", list(LAYERS))
def test_layers_are_the_identity_in_eval_and_at_p_0(backend, drawn, name):
    cls, _, options = LAYERS[name]
    config = {"num_layers": 2, "bidirectional": True, **options}
    layer = cls(3, 4, recurrent_dropout=0.5, weight_dropout=0.5, dtype=mg.float64, **config)
    plain = plain_twin(layer, cls, 3, 4, **config)
    off = plain_twin(layer, cls, 3, 4, recurrent_dropout=0.0, weight_dropout=0.0, **config)
    layer.eval()
    x = mg.randn(T, 3, 3, dtype=mg.float64)
    for kwargs in ({}, {"lengths": [6, 2, 5]}):
        want = plain(x, **kwargs)[0].numpy()
        np.testing.assert_array_equal(layer(x, **kwargs)[0].numpy(), want)
        np.testing.assert_array_equal(off(x, **kwargs)[0].numpy(), want)
    assert drawn == []


@pytest.mark.parametrize("name", list(CELLS))
def test_cells_are_the_identity_in_eval(backend, drawn, name):
    cls, _, options = CELLS[name]
    cell = cls(3, 4, recurrent_dropout=0.5, dtype=mg.float64, **options).eval()
    plain = plain_twin(cell, cls, 3, 4, **options)
    x = mg.randn(B, 3, dtype=mg.float64)
    for got, want in zip(cell.unpack(cell(x)), cell.unpack(plain(x))):
        np.testing.assert_array_equal(got.numpy(), want.numpy())
    assert drawn == []


def test_the_draws_follow_manual_seed(backend):
    layer = nn.GRU(3, 4, recurrent_dropout=0.3, weight_dropout=0.3)
    x = mg.randn(T, B, 3)
    runs = []
    for seed in (5, 5, 6):
        mg.manual_seed(seed)
        runs.append(layer(x)[0].numpy())
    np.testing.assert_array_equal(runs[0], runs[1])
    assert not np.array_equal(runs[0], runs[2])


def one_step_relu_rnn(**options):
    """A relu RNN whose pre-activations are all positive: its step is linear in the masks,
    so the expectation of the dropped step is the plain step."""
    layer = nn.RNN(2, 8, nonlinearity="relu", dtype=mg.float64, **options)
    rng = np.random.default_rng(0)
    layer.load_state_dict({name: rng.uniform(0.1, 1.0, p.shape)
                           for name, p in layer.state_dict().items()})
    return layer


def test_recurrent_dropout_preserves_the_expectation(backend):
    rows, p = 4000, 0.3
    layer = one_step_relu_rnn(recurrent_dropout=p)
    x, h = mg.ones(1, rows, 2, dtype=mg.float64), mg.ones(1, rows, 8, dtype=mg.float64)
    dropped = layer(x, h)[0].numpy()[0]  # every row the same step, with its own mask
    plain = layer.eval()(x, h)[0].numpy()[0, 0]
    # Each row's W_hh (m ⊙ h) has variance sum_j W_ij² p/(1-p) (h = 1): the mean of the
    # rows is within 6 of its standard errors, for this seed and almost any other.
    spread = np.sqrt((layer.weight_hh_l0.numpy() ** 2).sum(axis=1) * p / (1 - p) / rows)
    assert np.all(np.abs(dropped.mean(axis=0) - plain) < 6 * spread)


def test_weight_dropout_preserves_the_expectation(backend):
    calls, p = 1500, 0.3
    layer = one_step_relu_rnn(weight_dropout=p)
    x, h = mg.ones(1, 1, 2, dtype=mg.float64), mg.ones(1, 1, 8, dtype=mg.float64)
    with mg.no_grad():  # one mask per call: the mean over calls
        mean = sum(layer(x, h)[0].numpy()[0, 0] for _ in range(calls)) / calls
    plain = layer.eval()(x, h)[0].numpy()[0, 0]
    spread = np.sqrt((layer.weight_hh_l0.numpy() ** 2).sum(axis=1) * p / (1 - p) / calls)
    assert np.all(np.abs(mean - plain) < 6 * spread)


def seeded_results(cls, options, checkpoint):
    """Output, final state and every gradient of a seeded layer with every dropout."""
    mg.manual_seed(0)
    layer = cls(3, 4, num_layers=2, bidirectional=True, dropout=0.2, recurrent_dropout=0.3,
                weight_dropout=0.3, checkpoint=checkpoint, dtype=mg.float64, **options)
    x = mg.randn(7, 2, 3, dtype=mg.float64, requires_grad=True)
    output, state = layer(x)
    parts = state if isinstance(state, tuple) else (state,)
    ((output ** 2).sum() + sum((p ** 3).sum() for p in parts)).backward()
    return [output, *parts, x.grad, *(p.grad for p in layer.parameters())]


@pytest.mark.parametrize("name", list(LAYERS))
def test_checkpointed_layers_use_the_same_masks(backend, name):
    cls, _, options = LAYERS[name]
    for plain, checkpointed in zip(seeded_results(cls, options, None),
                                   seeded_results(cls, options, 3)):
        np.testing.assert_allclose(checkpointed.numpy(), plain.numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", list(LAYERS))
def test_gradcheck_through_both_dropouts(backend, name):
    cls, _, options = LAYERS[name]
    layer = cls(2, 3, bidirectional=True, recurrent_dropout=0.3, weight_dropout=0.5,
                dtype=mg.float64, **options)
    x = mg.randn(4, 2, 2, dtype=mg.float64, requires_grad=True)

    def run(x):
        mg.manual_seed(11)  # the same masks at every evaluation
        return layer(x)[0]
    assert gradcheck_module(layer, run, [x])


@pytest.mark.parametrize("value", [1, 1.0, -0.1, 1.5, float("nan"), "0.5", None, True])
@pytest.mark.parametrize("argument", ["recurrent_dropout", "weight_dropout"])
def test_layers_refuse_a_probability_outside_0_1(argument, value):
    message = rf"LSTM: expected {argument} to be a probability in \[0, 1\), got "
    with pytest.raises(ValueError, match=message + re.escape(repr(value))):
        nn.LSTM(3, 4, **{argument: value})


@pytest.mark.parametrize("value", [1, -0.5, "a lot"])
@pytest.mark.parametrize("cls", [nn.RNNCell, nn.GRUCell, nn.LSTMCell])
def test_cells_refuse_a_probability_outside_0_1(cls, value):
    message = (rf"{cls.__name__}: expected recurrent_dropout to be a probability in "
               rf"\[0, 1\), got {re.escape(repr(value))}")
    with pytest.raises(ValueError, match=message):
        cls(3, 4, recurrent_dropout=value)


def test_the_settings_show_in_the_repr():
    assert repr(nn.GRU(3, 4, recurrent_dropout=0.25, weight_dropout=0.5)) == (
        "GRU(3, 4, recurrent_dropout=0.25, weight_dropout=0.5)")
    assert repr(nn.LSTMCell(3, 4, recurrent_dropout=0.25)) == (
        "LSTMCell(3, 4, recurrent_dropout=0.25)")


def test_a_projected_lstm_drops_its_projected_state(backend, drawn):
    results = []
    for fused in (True, False):
        mg.manual_seed(0)
        layer = nn.LSTM(3, 5, proj_size=2, recurrent_dropout=0.5, weight_dropout=0.5,
                        fused=fused, dtype=mg.float64)
        drawn.clear()
        output, _ = layer(mg.randn(T, B, 3, dtype=mg.float64))
        assert [m.shape for m in drawn] == [(20, 2), (B, 2)]  # W_hh is (4H, P), h is (B, P)
        results.append(output.numpy())
    np.testing.assert_allclose(results[0], results[1], rtol=1e-12, atol=1e-12)


def test_a_packed_sequence_gets_the_masks_of_its_lengths_form(backend):
    from minigrad.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence
    layer = nn.GRU(3, 4, bidirectional=True, recurrent_dropout=0.5, weight_dropout=0.5,
                   dtype=mg.float64)
    x, lengths = mg.randn(T, 3, 3, dtype=mg.float64), [4, 6, 2]
    mg.manual_seed(3)
    padded, h_padded = layer(x, lengths=lengths)
    mg.manual_seed(3)
    packed, h_packed = layer(pack_padded_sequence(x, lengths, enforce_sorted=False))
    np.testing.assert_array_equal(pad_packed_sequence(packed, total_length=T)[0].numpy(),
                                  padded.numpy())
    np.testing.assert_array_equal(h_packed.numpy(), h_padded.numpy())
