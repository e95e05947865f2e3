"""The benchmarks' NumPy-by-hand step computes what minigrad computes.

``numpy by hand`` is the reference point for the engine's cost in W1-W3, so it must
be the same training step: the same loss and the same gradients, in float64.
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
