r"""The PyTorch side: the same recurrent cells composed from torch primitives.

``torch.nn.LSTM`` runs the whole sequence in one fused C++ kernel; minigrad
composes each cell from primitive ops in a Python time loop. To tell apart the
cost of that design from the cost of minigrad's engine, the benchmarks also run
PyTorch in minigrad's design: :class:`ComposedRNN` is the same cell written
with torch primitives in a Python loop, with the same hoisted input projection.

Import this module only after :func:`benchmarks.frameworks.load_torch` found torch.
"""

import numpy
import torch


def lstm_cell(gx, state, w_hh):
    r"""One LSTM step, PyTorch's equations, gates ``(i, f, g, o)``.

    ``gx`` is this step's input projection with both biases,
    :math:`W_{ih} x_t + b_{ih} + b_{hh}`.
    """
    h, c = state
    i, f, g, o = (gx + h @ w_hh.T).chunk(4, dim=1)
    c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
    return torch.sigmoid(o) * torch.tanh(c), c


def gru_cell(gx, state, w_hh, b_hh):
    r"""One GRU step, PyTorch's equations (reset after the product), gates ``(r, z, n)``.

    ``gx`` is :math:`W_{ih} x_t + b_{ih}`: ``b_hh`` comes in at every step, because the
    reset gate scales its ``n`` block.
    """
    (h,) = state
    xr, xz, xn = gx.chunk(3, dim=1)
    hr, hz, hn = (h @ w_hh.T + b_hh).chunk(3, dim=1)
    r = torch.sigmoid(xr + hr)
    z = torch.sigmoid(xz + hz)
    n = torch.tanh(xn + r * hn)
    return ((1 - z) * n + z * h,)


def rnn_cell(gx, state, w_hh):
    r"""One Elman RNN step, :math:`h' = \tanh(W_{ih} x + b_{ih} + b_{hh} + W_{hh} h)`."""
    (h,) = state
    return (torch.tanh(gx + h @ w_hh.T),)


CELLS = {"lstm": lstm_cell, "gru": gru_cell, "rnn": rnn_cell}


def fused_layer(kind, input_size, hidden_size):
    """``torch.nn.LSTM``, ``GRU`` or ``RNN`` (tanh) with one layer."""
    return getattr(torch.nn, kind.upper())(input_size, hidden_size)


class ComposedRNN(torch.nn.Module):
    """A one-layer fused torch layer's maths, unrolled in Python from torch primitives.

    It shares the fused layer's parameters under the same names, so a state dict
    loads into either, and returns ``(output, state)`` as the fused layer does.
    """

    def __init__(self, kind, fused):
        super().__init__()
        self.kind = kind
        self.hidden_size = fused.hidden_size
        for name, parameter in fused.named_parameters():
            self.register_parameter(name, parameter)

    def forward(self, x):
        steps, batch, _ = x.shape
        cell = CELLS[self.kind]
        # Hoisted: the input projection of every step is one large matrix product. As in
        # minigrad, the LSTM and the RNN add both biases there, once.
        per_step = self.kind == "gru"
        bias = self.bias_ih_l0 if per_step else self.bias_ih_l0 + self.bias_hh_l0
        gx = x @ self.weight_ih_l0.T + bias
        weights = (self.weight_hh_l0, self.bias_hh_l0) if per_step else (self.weight_hh_l0,)
        h = x.new_zeros(batch, self.hidden_size)
        state = (h, h) if self.kind == "lstm" else (h,)
        outputs = []
        for t in range(steps):
            state = cell(gx[t], state, *weights)
            outputs.append(state[0])
        return torch.stack(outputs), state


def load_from(target, state_dict):
    """Copy a minigrad state dict (name -> NumPy array) into the torch module ``target``."""
    target.load_state_dict({name: torch.from_numpy(numpy.array(array, dtype=numpy.float32))
                            for name, array in state_dict.items()})
