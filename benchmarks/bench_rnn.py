"""W1-W3, W5 and G1-G5: one training step of a recurrent network, minigrad against PyTorch.

Every workload builds the minigrad model from a seed on the CPU, copies its state
dict into the PyTorch models, moves every model to the run's device and feeds
them the same data, so that all contenders compute the same loss (the table
warns if they do not). A training step is what a user writes: zero the
gradients, forward, loss, backward; no optimiser update, so the weights and the
loss stay the same from step to step.

Contenders: ``minigrad``; ``torch fused``, PyTorch's ``nn.LSTM``/``GRU``/``RNN``
(cuDNN's kernels on the GPU); ``torch loop``, the same cell from torch primitives
in a Python time loop (:mod:`benchmarks.torch_models`); for the LSTM on the CPU,
``torch no oneDNN``, the fused layer without the oneDNN kernels PyTorch gives it
there; on the CPU only, the NumPy-based peers, ``numpy by hand`` (W1-W3, W5, W6:
the step written in NumPy without an engine, :mod:`benchmarks.numpy_by_hand`) and
``matmul floor``, NumPy's matrix products alone.

G1-G5 run on the GPU only: sizes at which a GPU is worth using, from an LSTM
small enough for kernel launches to dominate (G1) to ones where the products do.
"""

import warnings
from dataclasses import dataclass
from functools import partial

import numpy

import minigrad as mg
from minigrad import nn

from . import peer_models
from .frameworks import CPU
from .harness import Contender, Workload
from .matmul_floor import linear_products, matmul_floor, recurrent_products
from .numpy_by_hand import char_training_step
from .numpy_by_hand import training_step as numpy_training_step

GATES = {"lstm": 4, "gru": 3, "rnn": 1}
PARAMETER_NAMES = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
TITLES = {"lstm": "nn.LSTM", "gru": "nn.GRU (reset_after=True, PyTorch's form)",
          "rnn": "nn.RNN (tanh)"}


@dataclass(frozen=True)
class Sizes:
    """``T`` steps of a ``(B, I)`` input into a hidden state of size ``H``."""

    T: int
    B: int
    I: int
    H: int

    def __str__(self):
        return f"T={self.T} B={self.B} I={self.I} H={self.H}"


def training_step(model, inputs, loss_fn):
    """One step as a user writes it; the same code drives minigrad and torch models."""
    model.zero_grad()
    loss = loss_fn(model(inputs))
    loss.backward()
    return loss


def mean_square(output):
    """``mean(out**2)`` of a recurrent layer's ``(out, state)``."""
    out, _ = output
    return (out ** 2).mean()


def minigrad_layer(kind, sizes):
    """The minigrad layer of ``kind``: ``"lstm"``, ``"gru"`` (reset after) or ``"rnn"``."""
    if kind == "gru":
        return nn.GRU(sizes.I, sizes.H, reset_after=True)
    return {"lstm": nn.LSTM, "rnn": nn.RNN}[kind](sizes.I, sizes.H)


def torch_state(kind, model):
    """``model``'s state dict in PyTorch's convention (minigrad's GRU z is PyTorch's 1 - z)."""
    state = model.state_dict()
    return nn.utils.minigrad_gru_to_torch(state) if kind == "gru" else state


def _minigrad_contender(model, inputs, loss_fn, device):
    """minigrad's step, with ``model`` (built on the CPU) and ``inputs`` moved to ``device``."""
    model.to(device.backend)
    step = partial(training_step, model, mg.tensor(inputs, backend=device.backend), loss_fn)
    return Contender("minigrad", device.minigrad_step(step))


def _torch_contenders(build, device, with_torch, lstm=False):
    """``torch fused`` and ``torch loop`` steps on ``device``, or none without a usable torch.

    ``build(torch)`` returns the fused model, its composed twin (both holding the
    minigrad model's weights), the input and the loss function, all on the device.
    On the CPU an ``lstm`` also gets ``torch no oneDNN``: the fused layer with
    oneDNN switched off. PyTorch hands its CPU LSTM (not its GRU or RNN) to oneDNN's
    RNN primitive; this row shows how much of the distance to ``torch fused`` is
    that library's kernels rather than the fused C++ loop.
    """
    torch = device.load_torch() if with_torch else None
    if torch is None:
        return []
    fused, loop, x, loss_fn = build(torch)
    fused_step, loop_step = (partial(training_step, model, x, loss_fn) for model in (fused, loop))
    contenders = [Contender("torch fused", device.torch_step(fused_step)),
                  Contender("torch loop", device.torch_step(loop_step))]
    if lstm and not device.is_gpu and torch.backends.mkldnn.is_available():
        contenders.append(Contender("torch no oneDNN", _without_onednn(torch, fused_step)))
    return contenders


def _without_onednn(torch, step):
    """``step`` run with PyTorch's oneDNN kernels switched off."""
    def step_without_onednn():
        with warnings.catch_warnings():
            # Switching restores every oneDNN flag, TF32 among them, which warns on a CPU build.
            warnings.simplefilter("ignore", UserWarning)
            with torch.backends.mkldnn.flags(enabled=False):
                return step()

    return step_without_onednn


def recurrent_contenders(kind, sizes, device=CPU, seed=0, with_torch=True, with_peers=True):
    """The contenders of a one-layer recurrent network trained on ``mean(out**2)``.

    The NumPy-only rows (the peers, unless ``with_peers`` is false, the step written
    by hand in NumPy, and the matmul floor) run on the CPU only.
    """
    mg.manual_seed(seed)
    model = minigrad_layer(kind, sizes)
    shape = (sizes.T, sizes.B, sizes.I)
    x = numpy.random.default_rng(seed).standard_normal(shape, dtype=numpy.float32)
    # Taken while the weights are still NumPy arrays, before the model moves to the device.
    arrays = model.state_dict()
    weights = [arrays[f"{name}_l0"] for name in PARAMETER_NAMES]
    state = torch_state(kind, model)

    def torch_side(torch):
        from . import torch_models as tm

        fused = tm.fused_layer(kind, sizes.I, sizes.H)
        tm.load_from(fused, state)
        # Moved before the loop is built on it, so that both share the moved parameters.
        fused.to(device.torch_device)
        loop = tm.ComposedRNN(kind, fused)
        return fused, loop, torch.from_numpy(x).to(device.torch_device), mean_square

    numpy_rows = []
    if not device.is_gpu:
        products = recurrent_products(GATES[kind], sizes.T, sizes.B, sizes.I, sizes.H)
        numpy_rows = [*(_peer_contenders(kind, weights, x) if with_peers else []),
                      Contender("numpy by hand",
                                lambda: numpy_training_step(kind, x, *weights)[0]),
                      Contender("matmul floor", matmul_floor(products, seed))]
    return [
        _minigrad_contender(model, x, mean_square, device),
        *_torch_contenders(torch_side, device, with_torch, lstm=kind == "lstm"),
        *numpy_rows,
    ]


def _peer_contenders(kind, weights, x):
    """MyGrad and autograd running the LSTM or RNN cell in a Python loop (if installed).

    ``weights`` are the layer's four parameters as NumPy arrays.
    """
    if kind == "gru":  # the peers' loop covers the LSTM and the tanh RNN
        return []
    peers = peer_models.peer_contenders(
        lambda ops, *w: peer_models.recurrent_loss(ops, kind, x, *w), weights)
    return [Contender(name, step) for name, step in peers]


def recurrent_workload(key, kind, sizes, targets, device=CPU, **options):
    """A workload timing :func:`recurrent_contenders`; ``options`` go to :class:`Workload`."""
    return Workload(
        key=key,
        title=f"{TITLES[kind]}, {sizes}, loss mean(out**2)",
        setup=lambda: recurrent_contenders(kind, sizes, device),
        targets=targets,
        **options,
    )


def char_lstm(nn, vocab, embed, hidden):
    """Embedding -> LSTM -> Linear, built from ``nn``: ``minigrad.nn`` or ``torch.nn``.

    The two APIs agree on these layers, so one definition serves both frameworks
    and their state dicts carry the same names.
    """

    class CharLSTM(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(vocab, embed)
            self.lstm = nn.LSTM(embed, hidden)
            self.head = nn.Linear(hidden, vocab)

        def forward(self, tokens):
            out, _ = self.lstm(self.embed(tokens))
            return self.head(out)

    return CharLSTM()


def char_contenders(sizes, vocab, device=CPU, seed=0, with_torch=True):
    """W5's contenders: a character-level LSTM, cross-entropy over every step."""
    mg.manual_seed(seed)
    model = char_lstm(nn, vocab, sizes.I, sizes.H)
    rng = numpy.random.default_rng(seed)
    tokens, targets = rng.integers(0, vocab, size=(2, sizes.T, sizes.B))
    state = model.state_dict()  # NumPy arrays, taken before the model moves to the device

    def cross_entropy(functional, flat_targets):
        return lambda logits: functional.cross_entropy(logits.reshape(-1, vocab), flat_targets)

    def torch_side(torch):
        from . import torch_models as tm

        def on_device(array):
            return torch.from_numpy(array).to(device.torch_device)

        fused, loop = (char_lstm(torch.nn, vocab, sizes.I, sizes.H) for _ in range(2))
        loop.lstm = tm.ComposedRNN("lstm", loop.lstm)
        for twin in (fused, loop):
            tm.load_from(twin, state)
            twin.to(device.torch_device)
        loss_fn = cross_entropy(torch.nn.functional, on_device(targets.reshape(-1)))
        return fused, loop, on_device(tokens), loss_fn

    numpy_rows = []
    if not device.is_gpu:
        products = (recurrent_products(GATES["lstm"], sizes.T, sizes.B, sizes.I, sizes.H,
                                       input_grad=True)
                    + linear_products(sizes.T * sizes.B, sizes.H, vocab))
        # char_training_step takes the parameters in the order of named_parameters()
        by_hand_arrays = [state[name] for name, _ in model.named_parameters()]
        numpy_rows = [Contender("numpy by hand",
                                lambda: char_training_step(tokens, targets, *by_hand_arrays)[0]),
                      Contender("matmul floor", matmul_floor(products, seed))]
    loss_fn = cross_entropy(nn.functional,
                            mg.tensor(targets.reshape(-1), backend=device.backend))
    return [
        _minigrad_contender(model, tokens, loss_fn, device),
        *_torch_contenders(torch_side, device, with_torch, lstm=True),
        *numpy_rows,
    ]


def workloads(quick=False, device=CPU):
    """W1, W2, W3 and W5 on ``device`` (tiny sizes with ``quick``).

    Their targets are the CPU goals of issue 6; a GPU run shows the ratios without them.
    """
    sizes = Sizes(8, 4, 16, 32) if quick else Sizes(64, 32, 128, 256)
    char_sizes, vocab = (Sizes(10, 4, 16, 32), 65) if quick else (Sizes(100, 16, 64, 128), 65)

    return [
        recurrent_workload("W1", "lstm", sizes, device.cpu_goals(
            {"torch fused": 1.3, "torch loop": 0.65, **peer_models.TARGETS}), device),
        recurrent_workload("W2", "gru", sizes, device.cpu_goals({"torch fused": 1.0}), device),
        recurrent_workload("W3", "rnn", sizes,
                           device.cpu_goals({"torch fused": 0.8, **peer_models.TARGETS}), device),
        Workload(
            key="W5",
            title=f"Embedding({vocab}, {char_sizes.I}) -> LSTM({char_sizes.I}, "
                  f"{char_sizes.H}) -> Linear({char_sizes.H}, {vocab}), T={char_sizes.T} "
                  f"B={char_sizes.B}, cross-entropy over all steps",
            setup=lambda: char_contenders(char_sizes, vocab, device),
            targets=device.cpu_goals({"torch loop": 0.5, "torch fused": 2.0}),
        ),
    ]


def gpu_workloads(quick=False, device=CPU):
    """G1-G5, for a GPU: ``T=100, B=64, I=H`` (tiny sizes with ``quick``).

    Run on any ``device``; the suite lists them on a GPU only. G1 (``H=128``) is
    small enough for kernel launches to dominate, so it also reports the time per
    time step. On every one minigrad must beat ``torch loop`` (PyTorch running
    the same algorithm), and on the H=1024 LSTM come within 3x of cuDNN.
    """
    def sizes(hidden):
        return Sizes(8, 4, hidden // 16, hidden // 16) if quick else Sizes(100, 64, hidden, hidden)

    loop_goal = {"torch loop": 1.0}
    g1 = sizes(128)
    return [
        recurrent_workload("G1", "lstm", g1, loop_goal, device, unit="us/t", per_step=g1.T),
        recurrent_workload("G2", "lstm", sizes(512), loop_goal, device),
        recurrent_workload("G3", "lstm", sizes(1024), {**loop_goal, "torch fused": 3.0}, device),
        recurrent_workload("G4", "gru", sizes(1024), loop_goal, device),
        recurrent_workload("G5", "rnn", sizes(1024), loop_goal, device),
    ]
