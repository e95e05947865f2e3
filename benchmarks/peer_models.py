r"""The Python-loop peers: MyGrad, HIPS autograd and Chainer on W1, W3, W4 and W6.

All three are NumPy-based reverse-mode engines driven from Python, like minigrad,
so they show what the same design costs elsewhere. Each runs the same maths as
minigrad's contender, from the same weights and data: the W4 chain of small ops
(:func:`benchmarks.bench_overhead.chain`), and the LSTM or tanh RNN composed in
a Python time loop with the input projection hoisted out of it (as
:mod:`benchmarks.torch_models` does for PyTorch). MyGrad and Chainer record a
tape on their variables, as minigrad does; autograd traces a function and
differentiates it with ``value_and_grad``.

All are optional: :func:`peer_contenders` returns only those installed
(``pip install mygrad autograd scipy``; autograd's sigmoid, ``expit``, lives in
``autograd.scipy``). Chainer 7.8, the last release, needs NumPy 1 (it uses
``numpy.sctypes``), so it only runs in an environment of its own
(``benchmarks/README.md``).
"""

import contextlib
import importlib
from importlib import metadata

import numpy


def _load(name):
    """The module ``name``, or None if it (or, for autograd, SciPy) is not installed."""
    try:
        module = importlib.import_module(name)
        if name == "autograd":
            importlib.import_module("scipy")
    except (ImportError, AttributeError):  # Chainer 7.8 under NumPy 2: numpy.sctypes is gone
        return None
    return module


class _Ops:
    """What the peers' code needs from a framework: ``tanh``, ``sigmoid``, ``stack``, ``sum``.

    (Chainer's variables have no ``sum`` method, so the sum is a function for all.)
    """

    def __init__(self, tanh, sigmoid, stack, sum):
        self.tanh, self.sigmoid, self.stack, self.sum = tanh, sigmoid, stack, sum


def _mygrad_ops(mygrad):
    from mygrad.nnet.activations import sigmoid

    return _Ops(mygrad.tanh, sigmoid, mygrad.stack, mygrad.sum)


def _autograd_ops(autograd):
    import autograd.numpy as anp
    from autograd.scipy.special import expit

    return _Ops(anp.tanh, expit, anp.stack, anp.sum)


def _chainer_ops(chainer):
    import chainer.functions as F

    return _Ops(F.tanh, F.sigmoid, F.stack, F.sum)


def recurrent_loss(ops, kind, x, w_ih, w_hh, b_ih, b_hh):
    """``mean(out**2)`` of a one-layer LSTM (gates ``i, f, g, o``) or tanh RNN over ``x``."""
    steps, batch, _ = x.shape
    hidden = w_hh.shape[1]
    # Both biases once, with the input projection of every step, as minigrad adds them.
    x_proj = (x.reshape(steps * batch, -1) @ w_ih.T + (b_ih + b_hh)).reshape(steps, batch, -1)
    h = c = numpy.zeros((batch, hidden), dtype=x.dtype)
    outputs = []
    for t in range(steps):
        a = x_proj[t] + h @ w_hh.T
        if kind == "rnn":
            h = ops.tanh(a)
        else:
            i, f, g, o = (a[:, k * hidden:(k + 1) * hidden] for k in range(4))
            c = ops.sigmoid(f) * c + ops.sigmoid(i) * ops.tanh(g)
            h = ops.sigmoid(o) * ops.tanh(c)
        outputs.append(h)
    return (ops.stack(outputs) ** 2).mean()


def _tape_step(leaves, clear_grad, loss_fn, settings=contextlib.nullcontext):
    """A step of an engine that records a tape on its variables, as minigrad does.

    Inside ``settings()``: each leaf's gradient cleared, the loss, ``backward``.
    """

    def step():
        with settings():
            for leaf in leaves:
                clear_grad(leaf)
            loss = loss_fn(*leaves)
            loss.backward()
        return loss

    return step


def _mygrad_step(mygrad, loss_fn, arrays):
    """A MyGrad step on leaf tensors holding ``arrays``."""
    return _tape_step([mygrad.tensor(a) for a in arrays], mygrad.Tensor.null_grad, loss_fn)


def _chainer_step(chainer, loss_fn, arrays):
    """A Chainer step on leaf variables holding ``arrays``.

    Chainer checks the types of every function's inputs unless told not to; its
    performance advice is to switch that off once a model works, so it is off here.
    """
    return _tape_step([chainer.Variable(a) for a in arrays], chainer.Variable.cleargrad,
                      loss_fn, lambda: chainer.using_config("type_check", False))


def _autograd_step(autograd, loss_fn, arrays):
    """An autograd step: ``value_and_grad`` of the loss with respect to every array."""
    value_and_grad = autograd.value_and_grad(lambda args: loss_fn(*args))

    def step():
        loss, _ = value_and_grad(list(arrays))
        return numpy.float64(loss)

    return step


PEERS = {"mygrad": (_mygrad_ops, _mygrad_step), "autograd": (_autograd_ops, _autograd_step),
         "chainer": (_chainer_ops, _chainer_step)}
# The headline: minigrad beats every Python-loop peer, a ratio below 1.
TARGETS = {name: 1.0 for name in PEERS}


def peer_contenders(loss_of, params):
    """``(name, step)`` for each installed peer: the gradient of ``loss_of(ops, *params)``.

    ``params`` are NumPy arrays, the leaves to differentiate; ``loss_of`` holds the data.
    """
    contenders = []
    for name, (make_ops, make_step) in PEERS.items():
        module = _load(name)
        if module is not None:
            ops = make_ops(module)
            step = make_step(module, lambda *leaves, ops=ops: loss_of(ops, *leaves), params)
            contenders.append((name, step))
    return contenders


def versions():
    """``{"mygrad": "2.5.0", "autograd": None, ...}``: each usable peer's version, or None."""
    return {name: metadata.version(name) if _load(name) is not None else None
            for name in PEERS}
