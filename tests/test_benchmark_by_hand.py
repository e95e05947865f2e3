"""The benchmarks' NumPy-by-hand step computes what minigrad computes.

``numpy by hand`` is the reference point for the engine's cost in W1-W3, W5 and W6,
so it must be the same training step: the same loss and the same gradients, in
float64 for one layer, and in float32 (the benchmark's dtype) for W5's whole model.
"""

from pathlib import Path

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn

ROOT = Path(__file__).resolve().parent.parent
LAYERS = {
    "rnn": nn.RNN,
    "lstm": nn.LSTM,
    "gru": lambda inputs, hidden, **kw: nn.GRU(inputs, hidden, reset_after=True, **kw),
}


@pytest.mark.parametrize("kind", sorted(LAYERS))
@pytest.mark.parametrize("steps, batch, inputs, hidden", [(1, 1, 2, 3), (6, 3, 5, 7)])
def test_by_hand_step_matches_minigrad(monkeypatch, kind, steps, batch, inputs, hidden):
    monkeypatch.syspath_prepend(str(ROOT))
    from benchmarks.bench_rnn import PARAMETER_NAMES
    from benchmarks.numpy_by_hand import training_step

    mg.manual_seed(3)
    layer = LAYERS[kind](inputs, hidden, dtype=mg.float64)
    x = np.random.default_rng(4).standard_normal((steps, batch, inputs))
    out, _ = layer(mg.tensor(x))
    loss = (out ** 2).mean()
    loss.backward()
    parameters = [getattr(layer, f"{name}_l0") for name in PARAMETER_NAMES]

    by_hand_loss, grads = training_step(kind, x, *(p.data.copy() for p in parameters))

    np.testing.assert_allclose(by_hand_loss, loss.item(), rtol=1e-12)
    for parameter, grad in zip(parameters, grads):
        assert grad.shape == parameter.shape
        np.testing.assert_allclose(grad, parameter.grad.numpy(), rtol=1e-9, atol=1e-12)


def test_char_step_matches_minigrad(monkeypatch):
    """W5's step by hand: embedding, LSTM, head and cross-entropy, all in float32."""
    monkeypatch.syspath_prepend(str(ROOT))
    from benchmarks.bench_rnn import char_lstm
    from benchmarks.numpy_by_hand import char_training_step

    steps, batch, vocab, embed, hidden = 7, 3, 11, 5, 6
    mg.manual_seed(5)
    model = char_lstm(nn, vocab, embed, hidden)
    # 21 tokens from 11 classes: some embedding rows gather several gradients, some none.
    tokens, targets = np.random.default_rng(6).integers(0, vocab, size=(2, steps, batch))
    logits = model(mg.tensor(tokens))
    loss = nn.functional.cross_entropy(logits.reshape(-1, vocab), mg.tensor(targets.reshape(-1)))
    loss.backward()
    names, parameters = zip(*model.named_parameters())

    by_hand_loss, grads = char_training_step(tokens, targets,
                                             *(p.data.copy() for p in parameters))

    assert by_hand_loss.dtype == np.float32
    np.testing.assert_allclose(by_hand_loss, loss.item(), rtol=1e-5)
    for name, parameter, grad in zip(names, parameters, grads, strict=True):
        assert grad.shape == parameter.shape and grad.dtype == np.float32, name
        np.testing.assert_allclose(grad, parameter.grad.numpy(), rtol=1e-4, atol=1e-6,
                                   err_msg=name)
