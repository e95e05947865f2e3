"""End to end: a small LSTM learns the adding problem (Hochreiter & Schmidhuber, 1997).

Each sequence has T = 20 steps of two features: a random value in [0, 1) and a
marker that is 1 at exactly two steps. The target is the sum of the two marked
values. Always answering the mean (1.0) leaves a squared error of about 1/6; to do
better the network must carry the first marked value across up to 19 steps.
"""

import numpy as np

import minigrad as mg
from minigrad import nn

T, B, H = 20, 32, 16


def adding_batch(rng, batch_size, backend):
    values = rng.random((T, batch_size))
    markers = np.zeros((T, batch_size))
    for b in range(batch_size):
        markers[rng.choice(T, size=2, replace=False), b] = 1.0
    x = np.stack([values, markers], axis=-1)
    y = (values * markers).sum(axis=0)[:, None]
    return (mg.tensor(x, dtype=mg.float32, backend=backend),
            mg.tensor(y, dtype=mg.float32, backend=backend))


class AddingModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(2, H)
        self.head = nn.Linear(H, 1)

    def forward(self, x):
        output, _ = self.lstm(x)
        return self.head(output[-1])  # the answer is read after the last step


def test_lstm_learns_the_adding_problem(backend):
    rng = np.random.default_rng(0)
    model = AddingModel().to(backend)
    optimizer = mg.optim.Adam(model.parameters(), lr=2e-2)
    recent = []
    for _ in range(600):
        x, y = adding_batch(rng, B, backend)
        loss = nn.F.mse_loss(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        recent = (recent + [float(loss)])[-20:]
        if len(recent) == 20 and np.mean(recent) < 0.01:
            break
    assert np.mean(recent) < 0.01, f"training stalled at {np.mean(recent):.4f}"
    x, y = adding_batch(rng, 256, backend)
    with mg.no_grad():
        assert float(nn.F.mse_loss(model.eval()(x), y)) < 0.02  # and it generalises
