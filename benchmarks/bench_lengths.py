"""W8: W1's LSTM step on a batch of unequal lengths, uniform in ``[T/2, T]``.

The layer is given the padded batch and ``lengths=``; its time loop steps only the
sequences still running, so a step should cost the full-length step (``minigrad full
length``, the same model on the same padded batch without lengths) times the fraction
of live (sequence, step) pairs, give or take the bookkeeping: the target is that
fraction times 1.15. ``torch packed`` is PyTorch's ``nn.LSTM`` on the packed batch.
"""

import numpy

import minigrad as mg
from minigrad import nn

from .bench_rnn import PARAMETER_NAMES, Sizes, mean_square, training_step
from .frameworks import CPU
from .harness import Contender, Workload


def _lengths(sizes, seed):
    """Lengths uniform in ``[T/2, T]``, in no particular order."""
    return numpy.random.default_rng(seed).integers(sizes.T // 2, sizes.T + 1, size=sizes.B)


def live_fraction(sizes, seed=0):
    """The fraction of the padded batch's (sequence, step) pairs that are real steps."""
    return _lengths(sizes, seed).sum() / (sizes.T * sizes.B)


def contenders(sizes, device=CPU, seed=0):
    """minigrad with lengths, minigrad on the full padded batch, and PyTorch packed."""
    mg.manual_seed(seed)
    model = nn.LSTM(sizes.I, sizes.H)
    x = numpy.random.default_rng(seed).standard_normal((sizes.T, sizes.B, sizes.I),
                                                       dtype=numpy.float32)
    lengths = _lengths(sizes, seed).tolist()
    state = model.state_dict()
    model.to(device.backend)
    inputs = mg.tensor(x, backend=device.backend)
    def with_lengths():
        model.zero_grad()
        loss = mean_square(model(inputs, lengths=lengths))
        loss.backward()
        return loss

    def full_length():  # a loss of other steps: None keeps it out of the loss comparison
        training_step(model, inputs, mean_square)

    rows = [Contender("minigrad", device.minigrad_step(with_lengths)),
            Contender("minigrad full length", device.minigrad_step(full_length))]
    torch = device.load_torch()
    if torch is not None:
        rows.append(Contender("torch packed", device.torch_step(
            _torch_packed_step(torch, sizes, state, x, lengths, device))))
    return rows


def _torch_packed_step(torch, sizes, state, x, lengths, device):
    """PyTorch's step on the packed batch, padded back for the same loss."""
    layer = torch.nn.LSTM(sizes.I, sizes.H)
    with torch.no_grad():
        for name in PARAMETER_NAMES:
            getattr(layer, f"{name}_l0").copy_(torch.from_numpy(state[f"{name}_l0"]))
    layer.to(device.torch_device)
    padded = torch.from_numpy(x).to(device.torch_device)
    rnn = torch.nn.utils.rnn

    def step():
        layer.zero_grad()
        packed = rnn.pack_padded_sequence(padded, lengths, enforce_sorted=False)
        output, _ = layer(packed)
        output = rnn.pad_packed_sequence(output, total_length=sizes.T)[0]
        loss = (output ** 2).mean()
        loss.backward()
        return loss

    return step


def workload(quick=False, device=CPU):
    """W8 at W1's sizes (tiny with ``quick``)."""
    sizes = Sizes(8, 4, 16, 32) if quick else Sizes(64, 32, 128, 256)
    fraction = live_fraction(sizes)
    return Workload(
        key="W8",
        title=f"nn.LSTM, {sizes}, lengths uniform in [T/2, T] ({fraction:.0%} of the "
              f"padded steps live), loss mean(out**2) over the padded output",
        setup=lambda: contenders(sizes, device),
        targets=device.cpu_goals({"minigrad full length": 1.15 * fraction}),
    )
