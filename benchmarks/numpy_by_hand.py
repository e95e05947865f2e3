"""The recurrent workloads' step (W1-W3, W5, W6) written by hand in NumPy: no engine, no tape.

A person who knows the cell's derivatives writes the forward loop, keeps what the
backward needs in preallocated arrays, and writes BPTT as a second loop. It uses
the tricks minigrad's engine uses (the input projection of all steps as one
product, the weight gradients as one product each after the time loop, one
sigmoid over the gate array) and none of an engine's costs. That makes it the
reference point for an engine built on NumPy: where minigrad stays close to it,
the rest of the distance to PyTorch is NumPy's (its BLAS and its passes over
arrays), not the engine's.

:func:`training_step` (one layer on ``mean(out**2)``) and :func:`char_training_step`
(W5's embedding, LSTM, linear head and cross-entropy) return the loss and the
gradients, so that tests check them against minigrad: a reference that computed
something else would prove nothing. Both run the same forward and BPTT loops,
:func:`_forward_backward`, which takes the loss as a callable.

Each cell class holds the arrays its backward needs, for every step. Like
minigrad's cells, the RNN and the LSTM add both biases once, into the input
projection, and the GRU adds ``b_hh`` at every step (``hidden_bias_per_step``). Its
``forward(t, x_gates, h_gates)`` writes the state after step ``t`` into ``hs[t + 1]``;
its ``backward(t, g_h, g_x_gates, g_h_gates)`` writes the gradients of both gate
projections of step ``t`` (one array for both unless ``splits_gate_grads``) and
returns the part of the previous state's gradient that does not go through
``W_hh``, where there is one.
"""

import numpy

from minigrad import backends

_NUMPY = backends.get("numpy")


def _sigmoid_(a):
    """Overwrite ``a`` with its sigmoid, through ``tanh`` (no overflow, fewer passes)."""
    a *= 0.5
    numpy.tanh(a, out=a)
    a *= 0.5
    a += 0.5


def _blocks(array, count):
    """The ``count`` gate blocks of ``array`` along its last axis, as views.

    Sliced rather than ``numpy.split``, which costs several times more per call: the
    reference is meant to be as fast as NumPy allows.
    """
    width = array.shape[-1] // count
    return [array[..., k * width:(k + 1) * width] for k in range(count)]


class _RNN:
    """``h' = tanh(a)``, with ``a`` the sum of both gate projections."""

    # Both projections are added before anything else, so one gradient serves both.
    splits_gate_grads = False
    hidden_bias_per_step = False

    def __init__(self, hs, h_gates):
        self.hs = hs

    def forward(self, t, x_gates, h_gates):
        h = self.hs[t + 1]
        numpy.add(x_gates, h_gates, out=h)
        numpy.tanh(h, out=h)

    def backward(self, t, g_h, g_x_gates, g_h_gates):
        h = self.hs[t + 1]
        numpy.multiply(h, h, out=g_x_gates)
        numpy.subtract(1, g_x_gates, out=g_x_gates)
        g_x_gates *= g_h  # the same array serves W_ih and W_hh: both add into a


class _LSTM:
    """Gate blocks ``(i, f, g, o)``: ``c' = f c + i g``, ``h' = o tanh(c')``."""

    splits_gate_grads = False
    hidden_bias_per_step = False

    def __init__(self, hs, h_gates):
        self.hs = hs
        self.cs = numpy.zeros_like(hs)  # cs[t]: the cell state before step t
        self.act = numpy.empty_like(h_gates)  # the gate activations of every step
        self.tanh_c = numpy.empty_like(hs[1:])
        self.g_c = numpy.zeros_like(hs[0])  # dL/dc, carried back in time

    def forward(self, t, x_gates, h_gates):
        act = self.act[t]
        numpy.add(x_gates, h_gates, out=act)
        i, f, g, o = _blocks(act, 4)
        tanh_g = numpy.tanh(g)
        _sigmoid_(act)
        g[...] = tanh_g
        c = self.cs[t + 1]
        numpy.multiply(f, self.cs[t], out=c)
        c += i * g
        numpy.tanh(c, out=self.tanh_c[t])
        numpy.multiply(o, self.tanh_c[t], out=self.hs[t + 1])

    def backward(self, t, g_h, g_x_gates, g_h_gates):
        i, f, g, o = _blocks(self.act[t], 4)
        tanh_c = self.tanh_c[t]
        g_c = self.g_c + g_h * o * (1 - tanh_c * tanh_c)
        g_i, g_f, g_g, g_o = _blocks(g_x_gates, 4)
        numpy.multiply(g_h * tanh_c, o * (1 - o), out=g_o)
        numpy.multiply(g_c * g, i * (1 - i), out=g_i)
        numpy.multiply(g_c * self.cs[t], f * (1 - f), out=g_f)
        numpy.multiply(g_c * i, 1 - g * g, out=g_g)
        self.g_c = g_c * f


class _GRU:
    """Gate blocks ``(r, z, n)``, reset after the product (PyTorch's form), minigrad's ``z``.

    ``n = tanh(a_n + r h_n)`` with ``h_n`` the ``n`` block of the hidden projection, and
    ``h' = h + z (n - h)``.
    """

    splits_gate_grads = True  # r scales only the hidden projection's n block
    hidden_bias_per_step = True  # and with it the n block of b_hh

    def __init__(self, hs, h_gates):
        self.hs = hs
        self.h_n = _blocks(h_gates, 3)[2]  # W_hn h + b_hn of every step, which r scales
        self.act = numpy.empty_like(h_gates)

    def forward(self, t, x_gates, h_gates):
        act = self.act[t]
        numpy.add(x_gates, h_gates, out=act)
        _sigmoid_(act)  # r and z; n's block is computed again below
        r, z, n = _blocks(act, 3)
        numpy.multiply(r, self.h_n[t], out=n)
        n += _blocks(x_gates, 3)[2]
        numpy.tanh(n, out=n)
        h = self.hs[t]
        numpy.multiply(z, n - h, out=self.hs[t + 1])
        self.hs[t + 1] += h

    def backward(self, t, g_h, g_x_gates, g_h_gates):
        r, z, n = _blocks(self.act[t], 3)
        g_r, g_z, g_n = _blocks(g_x_gates, 3)
        numpy.multiply(g_h * z, 1 - n * n, out=g_n)
        numpy.multiply(g_n * self.h_n[t], r * (1 - r), out=g_r)
        numpy.multiply(g_h * (n - self.hs[t]), z * (1 - z), out=g_z)
        g_h_gates[...] = g_x_gates
        _blocks(g_h_gates, 3)[2][...] *= r
        return g_h * (1 - z)  # h also enters h' directly, not only through W_hh


CELLS = {"rnn": _RNN, "lstm": _LSTM, "gru": _GRU}


def _forward_backward(kind, x, w_ih, w_hh, b_ih, b_hh, loss_and_grad, input_grad=False):
    """Forward and BPTT of one layer of ``kind`` from zero state, on a loss given as a callable.

    Parameters
    ----------
    kind, x, w_ih, w_hh, b_ih, b_hh
        As in :func:`training_step`.
    loss_and_grad : callable
        Takes the layer's output ``(T, B, H)`` and returns the loss and its gradient
        with respect to that output. It must not write to the output, which the
        backward reads.
    input_grad : bool
        Whether to compute the gradient with respect to ``x`` too (behind an embedding).

    Returns
    -------
    loss
        What ``loss_and_grad`` returned.
    grads : tuple of numpy.ndarray
        The gradients of ``w_ih``, ``w_hh``, ``b_ih`` and ``b_hh``.
    g_x : numpy.ndarray or None
        The gradient with respect to ``x``, ``(T, B, I)``, if ``input_grad``.
    """
    steps, batch, features = x.shape
    width, hidden = w_hh.shape  # width: the gate blocks stacked, 4H for an LSTM
    hs = numpy.zeros((steps + 1, batch, hidden), x.dtype)  # hs[t]: the state before step t
    flat_x = x.reshape(steps * batch, features)
    cell_class = CELLS[kind]
    input_bias = b_ih if cell_class.hidden_bias_per_step else b_ih + b_hh
    x_gates = (flat_x @ w_ih.T + input_bias).reshape(steps, batch, width)
    h_gates = numpy.empty_like(x_gates)
    cell = cell_class(hs, h_gates)
    for t in range(steps):
        numpy.matmul(hs[t], w_hh.T, out=h_gates[t])
        if cell.hidden_bias_per_step:
            h_gates[t] += b_hh
        cell.forward(t, x_gates[t], h_gates[t])

    loss, g_out = loss_and_grad(hs[1:])
    g_x_gates = numpy.empty_like(x_gates)
    g_h_gates = numpy.empty_like(x_gates) if cell.splits_gate_grads else g_x_gates
    g_h = g_out[-1]  # dL/dh after step t, from the loss and from the steps after t
    for t in reversed(range(steps)):
        # Only the GRU's h reaches h' other than through W_hh: its backward returns that part.
        direct = cell.backward(t, g_h, g_x_gates[t], g_h_gates[t])
        if t:
            g_h = g_out[t - 1] + g_h_gates[t] @ w_hh
            if direct is not None:
                g_h += direct
    rows = steps * batch
    g_x_flat, g_h_flat = g_x_gates.reshape(rows, width), g_h_gates.reshape(rows, width)
    g_b_ih = g_x_flat.sum(axis=0)
    # A bias added once with the input projection gets the same gradient as b_ih.
    g_b_hh = g_h_flat.sum(axis=0) if cell.hidden_bias_per_step else g_b_ih
    grads = (g_x_flat.T @ flat_x, g_h_flat.T @ hs[:-1].reshape(rows, hidden), g_b_ih, g_b_hh)
    # Like the weight gradients, one product over all steps rather than one per step.
    g_x = (g_x_flat @ w_ih).reshape(x.shape) if input_grad else None
    return loss, grads, g_x


def _mean_square(out):
    """``mean(out**2)`` and its gradient ``2 out / out.size``."""
    return (out * out).mean(), out * (2 / out.size)


def training_step(kind, x, w_ih, w_hh, b_ih, b_hh):
    """Forward and BPTT of one layer of ``kind`` on ``loss = mean(out**2)``, from zero state.

    Parameters
    ----------
    kind : {"rnn", "lstm", "gru"}
        A tanh RNN, an LSTM, or a GRU with ``reset_after=True``.
    x : numpy.ndarray
        The input sequence, ``(T, B, I)``.
    w_ih, w_hh, b_ih, b_hh : numpy.ndarray
        The layer's parameters in PyTorch's layout (minigrad's ``z`` for the GRU).

    Returns
    -------
    loss : numpy.floating
    grads : tuple of numpy.ndarray
        The gradients of ``w_ih``, ``w_hh``, ``b_ih`` and ``b_hh``.
    """
    loss, grads, _ = _forward_backward(kind, x, w_ih, w_hh, b_ih, b_hh, _mean_square)
    return loss, grads


def _softmax_cross_entropy(logits, targets):
    """Mean cross-entropy of ``logits`` ``(N, V)`` against class indices ``targets`` ``(N,)``.

    Overwrites ``logits``, and returns the loss and its gradient with respect to
    the logits, ``(softmax(logits) - onehot(targets)) / N``.
    """
    rows = numpy.arange(len(targets))
    # Shifting each row by its maximum changes neither result and keeps exp from overflowing.
    logits -= logits.max(axis=1, keepdims=True)
    picked = logits[rows, targets]
    numpy.exp(logits, out=logits)
    sums = logits.sum(axis=1)
    loss = (numpy.log(sums) - picked).mean()  # no float64 scalar: the loss keeps the dtype
    g_logits = logits
    g_logits /= sums[:, None]
    g_logits[rows, targets] -= 1
    g_logits *= 1 / len(targets)  # in place: the Python float cannot widen the array
    return loss, g_logits


def char_training_step(tokens, targets, embedding, w_ih, w_hh, b_ih, b_hh, head_weight,
                       head_bias):
    """W5's step: embedding, one LSTM layer and a linear head on the mean cross-entropy.

    Parameters
    ----------
    tokens, targets : numpy.ndarray
        Integer class indices, ``(T, B)``: the input characters and the ones to predict.
    embedding : numpy.ndarray
        The embedding table, ``(V, E)``.
    w_ih, w_hh, b_ih, b_hh : numpy.ndarray
        The LSTM's parameters in PyTorch's layout.
    head_weight, head_bias : numpy.ndarray
        The linear head, ``(V, H)`` and ``(V,)``: ``logits = out @ head_weight.T + head_bias``.

    Returns
    -------
    loss : numpy.floating
        The cross-entropy, averaged over all ``T * B`` steps.
    grads : tuple of numpy.ndarray
        The gradients of the parameters, in the order of the arguments (the order of
        the model's ``named_parameters()``).
    """
    flat_targets = targets.reshape(-1)
    head_grads = []

    def head_and_loss(out):
        flat_out = out.reshape(-1, out.shape[-1])
        logits = flat_out @ head_weight.T
        logits += head_bias
        loss, g_logits = _softmax_cross_entropy(logits, flat_targets)
        # The head's gradients need g_logits, which only this callable sees.
        head_grads.extend((g_logits.T @ flat_out, g_logits.sum(axis=0)))
        return loss, (g_logits @ head_weight).reshape(out.shape)

    x = embedding[tokens]
    loss, lstm_grads, g_x = _forward_backward("lstm", x, w_ih, w_hh, b_ih, b_hh, head_and_loss,
                                              input_grad=True)
    g_embedding = numpy.zeros_like(embedding)
    # numpy.add.at is several times slower; the NumPy backend's scatter-add (a sort and
    # one add.reduceat) is plain NumPy, borrowed so that both sides pay the same here.
    _NUMPY.scatter_add(g_embedding, tokens.reshape(-1), g_x.reshape(-1, g_x.shape[-1]))
    return loss, (g_embedding, *lstm_grads, *head_grads)
