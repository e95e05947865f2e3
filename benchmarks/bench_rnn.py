"""W1-W3 and W5: one training step of a recurrent network, minigrad against PyTorch.

Every workload builds the minigrad model from a seed, copies its state dict into
the PyTorch models, and feeds both the same NumPy data, so that all contenders
compute the same loss (the table warns if they do not). A training step is what
a user writes: zero the gradients, forward, loss, backward; no optimiser update,
so the weights and the loss stay the same from step to step.

Contenders: ``minigrad``; ``torch fused``, PyTorch's ``nn.LSTM``/``GRU``/``RNN``;
``torch loop``, the same cell from torch primitives in a Python time loop
(:mod:`benchmarks.torch_models`); ``matmul floor``, NumPy's matrix products alone.
"""

from dataclasses import dataclass
from functools import partial

import numpy

import minigrad as mg
from minigrad import nn

from . import peer_models
from .frameworks import load_torch
from .harness import Contender, Workload
from .matmul_floor import linear_products, matmul_floor, recurrent_products

GATES = {"lstm": 4, "gru": 3, "rnn": 1}
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


def _torch_contenders(build, with_torch):
    """``torch fused`` and ``torch loop`` steps, or none without torch.

    ``build(torch)`` returns the fused model, its composed twin (both holding the
    minigrad model's weights), the input and the loss function.
    """
    torch = load_torch() if with_torch else None
    if torch is None:
        return []
    fused, loop, x, loss_fn = build(torch)
    return [Contender("torch fused", partial(training_step, fused, x, loss_fn)),
            Contender("torch loop", partial(training_step, loop, x, loss_fn))]


def recurrent_contenders(kind, sizes, seed=0, with_torch=True, with_peers=True):
    """The contenders of a one-layer recurrent network trained on ``mean(out**2)``."""
    mg.manual_seed(seed)
    model = minigrad_layer(kind, sizes)
    shape = (sizes.T, sizes.B, sizes.I)
    x = numpy.random.default_rng(seed).standard_normal(shape, dtype=numpy.float32)

    def torch_side(torch):
        from . import torch_models as tm

        fused = tm.fused_layer(kind, sizes.I, sizes.H)
        tm.load_from(fused, torch_state(kind, model))
        return fused, tm.ComposedRNN(kind, fused), torch.from_numpy(x), mean_square

    products = recurrent_products(GATES[kind], sizes.T, sizes.B, sizes.I, sizes.H)
    return [
        Contender("minigrad", partial(training_step, model, mg.tensor(x), mean_square)),
        *_torch_contenders(torch_side, with_torch),
        *(_peer_contenders(kind, model, x) if with_peers else []),
        Contender("matmul floor", matmul_floor(products, seed)),
    ]


def _peer_contenders(kind, model, x):
    """MyGrad and autograd running the LSTM or RNN cell in a Python loop (if installed)."""
    if kind == "gru":  # the peers' loop covers the LSTM and the tanh RNN
        return []
    state = model.state_dict()
    weights = [state[f"{name}_l0"] for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
    peers = peer_models.peer_contenders(
        lambda ops, *w: peer_models.recurrent_loss(ops, kind, x, *w), weights)
    return [Contender(name, step) for name, step in peers]


def recurrent_workload(key, kind, sizes, targets, **options):
    """A workload timing :func:`recurrent_contenders`; ``options`` go to :class:`Workload`."""
    return Workload(
        key=key,
        title=f"{TITLES[kind]}, {sizes}, loss mean(out**2)",
        setup=lambda: recurrent_contenders(kind, sizes),
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


def char_contenders(sizes, vocab, seed=0, with_torch=True):
    """W5's contenders: a character-level LSTM, cross-entropy over every step."""
    mg.manual_seed(seed)
    model = char_lstm(nn, vocab, sizes.I, sizes.H)
    rng = numpy.random.default_rng(seed)
    tokens, targets = rng.integers(0, vocab, size=(2, sizes.T, sizes.B))

    def cross_entropy(functional, flat_targets):
        return lambda logits: functional.cross_entropy(logits.reshape(-1, vocab), flat_targets)

    def torch_side(torch):
        from . import torch_models as tm

        fused, loop = (char_lstm(torch.nn, vocab, sizes.I, sizes.H) for _ in range(2))
        loop.lstm = tm.ComposedRNN("lstm", loop.lstm)
        for twin in (fused, loop):
            tm.load_from(twin, model.state_dict())
        loss_fn = cross_entropy(torch.nn.functional, torch.from_numpy(targets.reshape(-1)))
        return fused, loop, torch.from_numpy(tokens), loss_fn

    products = (recurrent_products(GATES["lstm"], sizes.T, sizes.B, sizes.I, sizes.H,
                                   input_grad=True)
                + linear_products(sizes.T * sizes.B, sizes.H, vocab))
    loss_fn = cross_entropy(nn.functional, mg.tensor(targets.reshape(-1)))
    return [
        Contender("minigrad", partial(training_step, model, mg.tensor(tokens), loss_fn)),
        *_torch_contenders(torch_side, with_torch),
        Contender("matmul floor", matmul_floor(products, seed)),
    ]


def workloads(quick=False):
    """W1, W2, W3 and W5 (tiny sizes with ``quick``)."""
    sizes = Sizes(8, 4, 16, 32) if quick else Sizes(64, 32, 128, 256)
    char_sizes, vocab = (Sizes(10, 4, 16, 32), 65) if quick else (Sizes(100, 16, 64, 128), 65)
    return [
        recurrent_workload("W1", "lstm", sizes,
                           {"torch fused": 1.3, "torch loop": 0.65, **peer_models.TARGETS}),
        recurrent_workload("W2", "gru", sizes, {"torch fused": 1.0}),
        recurrent_workload("W3", "rnn", sizes, {"torch fused": 0.8, **peer_models.TARGETS}),
        Workload(
            key="W5",
            title=f"Embedding({vocab}, {char_sizes.I}) -> LSTM({char_sizes.I}, "
                  f"{char_sizes.H}) -> Linear({char_sizes.H}, {vocab}), T={char_sizes.T} "
                  f"B={char_sizes.B}, cross-entropy over all steps",
            setup=lambda: char_contenders(char_sizes, vocab),
            targets={"torch loop": 0.5, "torch fused": 2.0},
        ),
    ]
