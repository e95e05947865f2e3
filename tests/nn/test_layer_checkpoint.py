"""Sequence layers with checkpoint=: the plain layer's values and gradients, in less memory."""

import tracemalloc

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn

LAYERS = {
    "rnn": (nn.RNN, {}),
    "gru": (nn.GRU, {}),
    "gru-reset-after": (nn.GRU, {"reset_after": True}),
    "lstm": (nn.LSTM, {}),
}


def results(cls, options, checkpoint, steps=7, **config):
    """Output, final state and every gradient of a seeded layer on a seeded batch."""
    mg.manual_seed(0)
    layer = cls(3, 4, checkpoint=checkpoint, dtype=mg.float64, **options, **config)
    x = mg.randn(steps, 2, 3, dtype=mg.float64, requires_grad=True)
    output, state = layer(x)
    parts = state if isinstance(state, tuple) else (state,)
    loss = (output ** 2).sum() + sum((p ** 3).sum() for p in parts)
    loss.backward()
    return [output, *parts, x.grad, *(p.grad for p in layer.parameters())]


@pytest.mark.parametrize("name", list(LAYERS))
@pytest.mark.parametrize("checkpoint", [1, 3, "sqrt", 7])
def test_values_and_gradients_equal_the_plain_layer(backend, name, checkpoint):
    cls, options = LAYERS[name]
    config = {"num_layers": 2, "bidirectional": True}
    for plain, checkpointed in zip(results(cls, options, None, **config),
                                   results(cls, options, checkpoint, **config)):
        # Segments sum a weight's gradient in another order: equal to rounding.
        np.testing.assert_allclose(checkpointed.numpy(), plain.numpy(), rtol=1e-12, atol=1e-12)


def test_batch_first_and_a_given_state(backend):
    mg.manual_seed(0)
    plain = nn.LSTM(3, 4, batch_first=True, dtype=mg.float64)
    checkpointed = nn.LSTM(3, 4, batch_first=True, checkpoint=2, dtype=mg.float64)
    checkpointed.load_state_dict(plain.state_dict())
    x = mg.randn(2, 5, 3, dtype=mg.float64)
    h = mg.randn(1, 2, 4, dtype=mg.float64, requires_grad=True)
    c = mg.randn(1, 2, 4, dtype=mg.float64, requires_grad=True)
    grads = []
    for layer in (plain, checkpointed):
        output, (h_n, c_n) = layer(x, (h, c))
        grads.append(mg.grad((output ** 2).sum() + h_n.sum() * c_n.sum(), [h, c]))
    for got, want in zip(*reversed(grads)):
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-12, atol=1e-12)


def traced_peak(checkpoint, steps):
    """The peak of traced memory over a layer's forward and backward, in bytes."""
    mg.manual_seed(0)
    layer = nn.LSTM(4, 8, checkpoint=checkpoint)
    x = mg.randn(steps, 1, 4)
    tracemalloc.start()
    try:
        output, _ = layer(x)
        output.sum().backward()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_square_root_segments_keep_a_fraction_of_the_memory():
    plain, checkpointed = traced_peak(None, 900), traced_peak("sqrt", 900)
    assert checkpointed < plain / 4, (plain, checkpointed)


@pytest.mark.parametrize("value", [0, -2, 2.5, "sqrt(T)", True])
def test_bad_checkpoint_values_are_refused_naming_the_argument(value):
    with pytest.raises(ValueError, match=r"LSTM: expected checkpoint to be None, 'sqrt' or a "
                                         r"segment length \(an int >= 1\), got"):
        nn.LSTM(3, 4, checkpoint=value)


def test_repr_shows_the_checkpoint():
    assert "checkpoint='sqrt'" in repr(nn.GRU(3, 4, checkpoint="sqrt"))
