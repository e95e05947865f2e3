r"""The fused nodes as functions of any tensors: :func:`minigrad.fused_lstm_cell`,
:func:`minigrad.lstm_cell` and :func:`minigrad.fused_gru_cell`.

Each checks its arguments in the user's terms, then applies one node of
``nn/_fused_nodes.py``, naming the cell whose step the node computes. The engine's
namespace hands these out (``mg.lstm_cell``) without importing :mod:`minigrad.nn`
itself, which is built on the engine.
"""

import minigrad as mg

from ._fused_nodes import FusedGRUCell, FusedLSTMCell, LSTMStep
from .rnn_cell import GRUCell, LSTMCell


def fused_lstm_cell(input_gates, hidden_gates, c):
    r"""One LSTM cell update as one node: ``h', c'`` from the two gate projections and ``c``.

    Computes exactly :meth:`LSTMCell.step <minigrad.nn.LSTMCell.step>` after its
    product (the cell's equations composed from primitives), with a hand-written
    backward; see :class:`~minigrad.nn._fused_nodes.FusedLSTMCell`.

    Parameters
    ----------
    input_gates : Tensor
        The input's share of the gate pre-activations, ``(B, 4H)``, gate blocks
        :math:`(i, f, g, o)`: :math:`W_{ih} x` plus the biases, in
        :class:`~minigrad.nn.LSTMCell`.
    hidden_gates : Tensor
        The state's share, :math:`W_{hh} h`, of the same shape. Only the sum of the
        two enters the cell.
    c : Tensor
        The previous cell state, ``(B, H)``.

    Returns
    -------
    h, c : Tensor
        The new hidden and cell states, ``(B, H)``.
    """
    _check_cell("fused_lstm_cell", (input_gates, hidden_gates, c), 4)
    return FusedLSTMCell.apply(input_gates, hidden_gates, c, cell_type=LSTMCell)


def lstm_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):  # noqa: A002 (PyTorch's name)
    r"""One whole LSTM step as one node, as PyTorch's ``torch.lstm_cell``: ``(h', c')``.

    Computes exactly what :class:`~minigrad.nn.LSTMCell` with these parameters computes
    with ``fused=False``: the gate projections
    :math:`W_{ih} x + b_{ih} + W_{hh} h + b_{hh}`, then the cell update of
    :func:`fused_lstm_cell`. The projections stay inside the node, so a cell stepped by
    hand keeps only what its backward needs (see
    :class:`~minigrad.nn._fused_nodes.LSTMStep`, which a fused cell's call applies too).

    Parameters
    ----------
    input : Tensor
        ``(B, I)``.
    hx : tuple of Tensor
        ``(h, c)``, each ``(B, H)``.
    w_ih, w_hh : Tensor
        ``(4H, I)`` and ``(4H, H)``, gate blocks :math:`(i, f, g, o)`.
    b_ih, b_hh : Tensor, optional
        ``(4H,)`` each; both or neither.

    Returns
    -------
    h, c : Tensor
        The new hidden and cell states, ``(B, H)``.
    """
    if not isinstance(hx, (tuple, list)) or len(hx) != 2:
        raise TypeError(f"lstm_cell: expected hx as a pair (h, c), got {type(hx).__name__}")
    h, c = hx
    named = {"input": input, "h": h, "c": c, "w_ih": w_ih, "w_hh": w_hh}
    if b_ih is not None or b_hh is not None:
        named.update(b_ih=b_ih, b_hh=b_hh)
    tensors = [_tensor(t, "lstm_cell") for t in named.values()]
    batch, hidden = c.shape if c.ndim == 2 else (None, None)
    features = input.shape[-1] if input.ndim else None
    gates = 4 * hidden if hidden else None
    expected = {"input": (batch, features), "h": (batch, hidden), "c": (batch, hidden),
                "w_ih": (gates, features), "w_hh": (gates, hidden),
                "b_ih": (gates,), "b_hh": (gates,)}
    wrong = [f"{name} {t.shape}" for name, t in zip(named, tensors) if t.shape != expected[name]]
    if wrong:
        raise ValueError(
            "lstm_cell: expected input (B, I), h and c (B, H), w_ih (4H, I), w_hh (4H, H) and "
            f"both or neither of b_ih, b_hh (4H,); got {', '.join(wrong)} with c {c.shape}"
        )
    dtypes = {t.dtype for t in tensors}
    if len(dtypes) != 1 or c.dtype.kind != "f":
        raise TypeError(f"lstm_cell: expected one floating-point dtype for every tensor, got "
                        f"{', '.join(f'{name} {t.dtype}' for name, t in zip(named, tensors))}")
    return LSTMStep.apply(*tensors, cell_type=LSTMCell)


def fused_gru_cell(input_gates, hidden_gates, h):
    r"""One GRU update (the ``reset_after`` form) as one node: ``h'``.

    Computes exactly :meth:`GRUCell.step <minigrad.nn.GRUCell.step>` with
    ``reset_after=True`` after its product, with a hand-written backward; see
    :class:`~minigrad.nn._fused_nodes.FusedGRUCell`.

    Parameters
    ----------
    input_gates : Tensor
        :math:`W_{ih} x + b_{ih}`, ``(B, 3H)``, gate blocks :math:`(r, z, n)`.
    hidden_gates : Tensor
        :math:`W_{hh} h + b_{hh}`, of the same shape.
    h : Tensor
        The previous state, ``(B, H)``.

    Returns
    -------
    Tensor
        The new state, ``(B, H)``.
    """
    _check_cell("fused_gru_cell", (input_gates, hidden_gates, h), 3)
    return FusedGRUCell.apply(input_gates, hidden_gates, h, cell_type=GRUCell)


def _check_cell(op, tensors, blocks):
    """Raise unless the gates are ``(..., blocks * H)`` and the state ``(..., H)``, one dtype."""
    input_gates, hidden_gates, state = (_tensor(t, op) for t in tensors)
    if state.ndim == 0:
        raise ValueError(f"{op}: expected a state of shape (..., H), got a 0-d tensor")
    expected = state.shape[:-1] + (blocks * state.shape[-1],)
    if input_gates.shape != expected or hidden_gates.shape != expected:
        raise ValueError(
            f"{op}: expected both gate tensors of shape {expected} ({blocks} blocks of the "
            f"state's {state.shape[-1]} features), given the state's shape {state.shape}; "
            f"got {input_gates.shape} and {hidden_gates.shape}"
        )
    if state.dtype.kind != "f":
        raise TypeError(f"{op}: expected floating-point gates and state, got {state.dtype}")
    if not input_gates.dtype == hidden_gates.dtype == state.dtype:
        raise TypeError(
            f"{op}: expected one dtype for the gates and the state, got "
            f"{input_gates.dtype}, {hidden_gates.dtype} and {state.dtype}"
        )


def _tensor(x, op):
    if not isinstance(x, mg.Tensor):
        raise TypeError(f"{op}: expected a Tensor, got {type(x).__name__}")
    return x
