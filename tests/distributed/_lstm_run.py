"""A small LSTM language-model run, shared by one process and by mpiexec's ranks.

The single process trains on all ``BATCH`` streams of each batch; each of ``N`` ranks
trains on its ``BATCH / N`` streams (``shard_indices``) under DistributedDataParallel.
"""

import numpy as np

import minigrad as mg
from minigrad import nn

VOCAB, SEQ_LEN, BATCH, STEPS = 12, 7, 8, 6


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(VOCAB, 5)
        self.lstm = nn.LSTM(5, 16)
        self.head = nn.Linear(16, VOCAB)

    def forward(self, x):
        y, _ = self.lstm(self.embed(x))
        return self.head(y)


def data():
    """Every step's ids, ``(STEPS, SEQ_LEN + 1, BATCH)``: inputs and the targets shifted by one."""
    return np.random.default_rng(7).integers(0, VOCAB, size=(STEPS, SEQ_LEN + 1, BATCH))


def train(model, parameters, streams):
    """Train ``model`` (maybe wrapped) with Adam and clipping on ``streams``.

    Returns each step's loss and gradient norm (Adam's update hardly changes when
    every gradient doubles; the norm does).
    """
    parameters = list(parameters)
    optimizer = mg.optim.Adam(parameters, lr=0.02)
    losses, norms = [], []
    for ids in data()[:, :, streams]:
        logits = model(mg.tensor(ids[:-1]))
        loss = nn.F.cross_entropy(logits.reshape(-1, VOCAB), mg.tensor(ids[1:]).reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        norms.append(nn.utils.clip_grad_norm_(parameters, 1.0).item())
        optimizer.step()
        losses.append(loss.detach())
    return losses, norms
