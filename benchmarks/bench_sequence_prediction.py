"""W7: PyTorch's time-sequence-prediction example: two LSTMCells stepped by hand.

The model of PyTorch's ``examples/time_sequence_prediction``: sine waves, two
``LSTMCell``\\ s unrolled in a Python loop over 1,000 steps, a linear head, the
mean squared error of the next value. It is written once, below, and runs on
either framework's ``nn``. Where the sequence layers hoist the input projection,
a cell stepped by hand is the pattern of most user code, so this workload also
measures what the tape keeps per step: the step's peak memory, in a fresh process
per contender, as W6 does.

Run as ``python -m benchmarks.bench_sequence_prediction NAME T B H`` to measure one
contender's memory.
"""

import json
import sys
from dataclasses import dataclass
from functools import partial

import numpy

import minigrad as mg
from minigrad import nn

from .bench_long_unroll import measure_in_subprocesses, peak_rss_mib
from .bench_rnn import training_step
from .frameworks import CPUS, load_torch, set_torch_threads
from .harness import Contender, Memory, Workload


@dataclass(frozen=True)
class Sizes:
    """``T`` values of ``B`` sine waves, ``H`` hidden features in each cell."""

    T: int
    B: int
    H: int


def sequence_model(lib, nn, hidden):
    """Two LSTMCells and a linear head, built from ``lib`` and its ``nn``: minigrad's or torch's.

    Both frameworks take the same code: the two APIs agree on everything it uses.
    """

    class Sequence(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm1 = nn.LSTMCell(1, hidden)
            self.lstm2 = nn.LSTMCell(hidden, hidden)
            self.linear = nn.Linear(hidden, 1)

        def forward(self, waves):
            batch = waves.shape[0]
            h1, c1, h2, c2 = (lib.zeros(batch, hidden) for _ in range(4))
            outputs = []
            for t in range(waves.shape[1]):
                h1, c1 = self.lstm1(waves[:, t:t + 1], (h1, c1))
                h2, c2 = self.lstm2(h1, (h2, c2))
                outputs.append(self.linear(h2))
            return lib.stack(outputs, 1).reshape(batch, -1)

    return Sequence()


def sine_waves(sizes, seed=0):
    """``B`` sine waves of ``T + 1`` values, randomly shifted: inputs and next values."""
    shifts = numpy.random.default_rng(seed).integers(-80, 80, size=(sizes.B, 1))
    waves = numpy.sin((numpy.arange(sizes.T + 1) + shifts) / 20.0).astype(numpy.float32)
    return waves[:, :-1], waves[:, 1:]


def contenders(sizes, seed=0, with_torch=True):
    """minigrad and, where installed, PyTorch running the same script from the same weights."""
    inputs, targets = sine_waves(sizes, seed)
    mg.manual_seed(seed)
    model = sequence_model(mg, nn, sizes.H)
    state = model.state_dict()  # LSTMCell and Linear share PyTorch's parameter names
    target = mg.tensor(targets)
    rows = [Contender("minigrad", partial(training_step, model, mg.tensor(inputs),
                                          lambda y: ((y - target) ** 2).mean()))]
    torch = load_torch() if with_torch else None
    if torch is not None:
        twin = sequence_model(torch, torch.nn, sizes.H)
        twin.load_state_dict({name: torch.from_numpy(array) for name, array in state.items()})
        torch_target = torch.from_numpy(targets)
        rows.append(Contender("torch loop", partial(
            training_step, twin, torch.from_numpy(inputs),
            lambda y: ((y - torch_target) ** 2).mean())))
    return rows


def measure_here(name, sizes):
    """Run ``name``'s step once after a three-step warm-up; return its peak memory."""
    short, full = (next(c.step for c in contenders(s, with_torch=name != "minigrad")
                        if c.name == name)
                   for s in (Sizes(3, sizes.B, sizes.H), sizes))
    short()
    baseline = peak_rss_mib()
    full()
    return Memory(name, baseline, peak_rss_mib() - baseline)


def peak_memory(sizes):
    """The peak memory of minigrad's step and, when torch is installed, of PyTorch's."""
    names = ["minigrad"] + (["torch loop"] if load_torch() else [])
    return measure_in_subprocesses("benchmarks.bench_sequence_prediction", names,
                                   (sizes.T, sizes.B, sizes.H))


def workload(quick=False):
    """The W7 workload (a shorter, smaller model with ``quick``)."""
    sizes = Sizes(20, 8, 6) if quick else Sizes(1000, 97, 51)
    return Workload(
        key="W7",
        title=f"2 x LSTMCell stepped by hand (time sequence prediction), T={sizes.T} "
              f"B={sizes.B} H={sizes.H}, mean squared error",
        setup=lambda: contenders(sizes),
        targets={"torch loop": 1.2},
        memory=partial(peak_memory, sizes),
    )


if __name__ == "__main__":
    contender, *numbers = sys.argv[1:]
    if contender != "minigrad":  # minigrad's process must not even import torch
        set_torch_threads(CPUS)
    print(json.dumps(vars(measure_here(contender, Sizes(*map(int, numbers))))))
