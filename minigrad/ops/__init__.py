r"""Every operation of minigrad, as a lowercase function.

Primitives (one node on the tape each) are the classes of ``elementwise``,
``reduce``, ``linalg``, ``shape`` and ``convert``; the functions apply them.
Composites (``mean``, ``logsumexp``, ``softmax``, ``log_softmax``, ``stack`` and
1-D ``matmul``) are written with primitives, so their backward comes from their parts.
The elementwise, linear-algebra and recurrent-cell functions are here; the reductions
and their composites are in ``reducing``, the shape functions in ``shaping``; this
module re-exports them all.
"""

from minigrad import factories
from minigrad.dtypes import as_dtype, is_floating
from minigrad.tensor import Tensor, _operand

from ._checks import _tensor
from .convert import Cast, to_backend
from .elementwise import (
    Abs, Add, Clip, Div, Exp, Log, Mul, Neg, Pow, Relu, Sigmoid, SigmoidCrossEntropy, Sqrt, Sub,
    Tanh,
)
from .linalg import Linear, MatMul
from .recurrent import FusedGRUCell, FusedLSTMCell, LSTMStep
from .reducing import argmax, argmin, log_softmax, logsumexp, max, mean, min, softmax, sum
from .shape import Where
from .shaping import broadcast_to, concat, getitem, reshape, split, stack, transpose

add, sub, mul, div, pow = Add.apply, Sub.apply, Mul.apply, Div.apply, Pow.apply
neg = Neg.apply
# The elementwise loss of nn.functional.binary_cross_entropy_with_logits, which checks it.
sigmoid_cross_entropy = SigmoidCrossEntropy.apply


def _elementwise(primitive, name):
    """The public function ``mg.<name>(x)``: one ``primitive`` node, documented by its maths."""

    def function(x):
        return primitive.apply(x)

    function.__name__ = function.__qualname__ = name
    function.__doc__ = (
        f"{primitive.__doc__}\n\n"
        f"One node on the tape, :class:`~{primitive.__module__}.{primitive.__name__}`; "
        f"also the method ``x.{name}()``.\n\n"
        "Parameters\n----------\nx : Tensor\n    The input, of any shape.\n\n"
        "Returns\n-------\nTensor\n    The result, elementwise: the shape and dtype of ``x``.\n"
    )
    return function


exp, log, sqrt, abs = (_elementwise(Exp, "exp"), _elementwise(Log, "log"),
                       _elementwise(Sqrt, "sqrt"), _elementwise(Abs, "abs"))
tanh, sigmoid, relu = (_elementwise(Tanh, "tanh"), _elementwise(Sigmoid, "sigmoid"),
                       _elementwise(Relu, "relu"))

__all__ = [
    "abs", "add", "argmax", "argmin", "broadcast_to", "cast", "clip", "compare", "concat",
    "div", "exp", "fused_gru_cell", "fused_lstm_cell", "getitem", "linear", "log", "log_softmax",
    "lstm_cell",
    "logsumexp", "matmul", "max", "mean",
    "min",
    "mul", "neg", "pow", "relu", "reshape", "sigmoid", "sigmoid_cross_entropy", "softmax",
    "split", "sqrt", "stack",
    "sub", "sum", "tanh", "to_backend", "transpose", "where",
]


# ---- elementwise ----------------------------------------------------------------------


def clip(x, min=None, max=None):
    r"""Limit ``x`` to ``[min, max]``; :math:`dy/dx = 1` inside, 0 where clipped.

    Parameters
    ----------
    x : Tensor
    min, max : float or Tensor, optional
        The bounds; either may be ``None``, not both. A value equal to a bound
        counts as inside. Tensor bounds broadcast against ``x`` and receive the
        gradient where they are the result (composed from :func:`where`).

    Returns
    -------
    Tensor
        Of ``x``'s shape.

    Raises
    ------
    ValueError
        If both bounds are ``None``.
    """
    if min is None and max is None:
        raise ValueError("clip: expected at least one of min and max, got neither")
    # NumPy scalar bounds become Python numbers, which do not promote float32 to float64.
    lo = None if min is None else _operand(min, "clip")
    hi = None if max is None else _operand(max, "clip")
    if isinstance(lo, Tensor) or isinstance(hi, Tensor):  # operands, not options of Clip
        y = _tensor(x, "clip")
        y = y if lo is None else where(y < lo, lo, y)
        return y if hi is None else where(y > hi, hi, y)
    return Clip.apply(_tensor(x, "clip"), lo=lo, hi=hi)


def cast(x, dtype):
    """Return ``x`` converted to ``dtype``; differentiable between floating types."""
    dtype = as_dtype(dtype)
    if x.dtype == dtype:
        return x
    if not is_floating(dtype):
        return Tensor(x.data.astype(dtype), x._backend)
    return Cast.apply(x, dtype=dtype)


def compare(name, a, b):
    """Elementwise comparison ``xp.<name>(a, b)``; a boolean tensor, outside the graph.

    Raises
    ------
    ValueError
        If the operands live on different backends, or their shapes do not broadcast.
    """
    if isinstance(b, Tensor):
        if b._backend is not a._backend:
            raise ValueError(
                f"{name}: operands live on different backends, {a.backend!r} and {b.backend!r}; "
                f"move one with .to({a.backend!r})"
            )
        b = b.data
    try:
        return Tensor(getattr(a._backend.xp, name)(a.data, b), a._backend)
    except ValueError:  # only arrays fail to broadcast: b is one
        raise ValueError(f"{name}: expected shapes that broadcast together, got {a.shape} and "
                         f"{b.shape}") from None


def where(cond, a, b):
    """Choose elementwise from ``a`` where ``cond`` is true, else from ``b`` (broadcasting).

    Parameters
    ----------
    cond : Tensor
        Booleans, e.g. from a comparison ``x > 0``.
    a, b : Tensor or float
        The values; the gradient flows to ``a`` where ``cond`` holds, else to ``b``.

    Returns
    -------
    Tensor
        Of the broadcast shape of the three operands.

    Raises
    ------
    TypeError
        If ``cond`` is not a boolean tensor.
    """
    _tensor(cond, "where")
    if cond.dtype.kind != "b":
        raise TypeError(f"where: expected a boolean condition, got dtype {cond.dtype}")
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        # Two numbers take the dtype mg.tensor gives them together (float32 for floats), not
        # NumPy's float64.
        a, b = factories.tensor([_operand(a, "where"), _operand(b, "where")], backend=cond.backend)
    return Where.apply(cond, a, b)


# ---- linear algebra ----------------------------------------------------------------------


def matmul(a, b):
    r"""Matrix product with NumPy's rules; 1-D operands are promoted, then the axis dropped.

    Composite for 1-D operands (a reshape around the primitive). The backward
    rules are :math:`\bar a = \bar y\, b^\top` and :math:`\bar b = a^\top \bar y`.

    Parameters
    ----------
    a : Tensor
        ``(..., n, k)``, or ``(k,)``.
    b : Tensor
        ``(..., k, m)``, or ``(k,)``; leading axes broadcast against ``a``'s.

    Returns
    -------
    Tensor
        ``(..., n, m)``, without ``n`` or ``m`` for a 1-D operand.

    Raises
    ------
    ValueError
        If the inner sizes differ or an operand is 0-d (the message names both shapes).
    """
    _tensor(a, "matmul")
    _tensor(b, "matmul")
    # Checked here, before 1-D operands are reshaped, so the message names the user's shapes.
    if a.ndim == 0 or b.ndim == 0 or a.shape[-1] != b.shape[0 if b.ndim == 1 else -2]:
        raise ValueError(
            f"matmul: expected the last axis of a to match the "
            f"{'only' if b.ndim == 1 else 'second-to-last'} axis of b, "
            f"got shapes {a.shape} and {b.shape}"
        )
    if a.ndim == 1 and b.ndim == 1:
        return MatMul.apply(a.reshape(1, -1), b.reshape(-1, 1)).reshape(())
    if a.ndim == 1:
        y = MatMul.apply(a.reshape(1, -1), b)
        return y.reshape(y.shape[:-2] + y.shape[-1:])
    if b.ndim == 1:
        return MatMul.apply(a, b.reshape(-1, 1)).reshape(a.shape[:-1])
    return MatMul.apply(a, b)


def linear(x, weight, bias=None):
    r"""The affine map :math:`y = x W^\top + b` of a layer, as one primitive node.

    Parameters
    ----------
    x : Tensor
        ``(N, in_features)``.
    weight : Tensor
        ``(out_features, in_features)``, PyTorch's layout.
    bias : Tensor, optional
        ``(out_features,)``, added to every row; or ``(N, out_features)``, one row per
        row of ``x`` (a recurrent step adds its input projection so, in the same node).

    Returns
    -------
    Tensor
        ``(N, out_features)``.

    Raises
    ------
    ValueError
        If ``x`` or ``weight`` is not 2-D, the feature sizes differ (naming both shapes),
        or ``bias`` is neither ``(out_features,)`` nor ``(N, out_features)``.
    """
    _tensor(x, "linear")
    _tensor(weight, "linear")
    if x.ndim != 2 or weight.ndim != 2 or x.shape[1] != weight.shape[1]:
        raise ValueError(
            f"linear: expected x (N, in) and weight (out, in) with the same in, "
            f"got x {x.shape} and weight {weight.shape}"
        )
    if bias is None:
        return Linear.apply(x, weight)
    out_features = weight.shape[0]
    if _tensor(bias, "linear").shape not in ((out_features,), (x.shape[0], out_features)):
        raise ValueError(
            f"linear: expected a bias of shape {(out_features,)} (out,) or "
            f"{(x.shape[0], out_features)} (N, out), got {bias.shape}"
        )
    return Linear.apply(x, weight, bias)


# ---- fused recurrent cells --------------------------------------------------------------


def fused_lstm_cell(input_gates, hidden_gates, c):
    r"""One LSTM cell update as one node: ``h', c'`` from the two gate projections and ``c``.

    Computes exactly :func:`~minigrad.ops.recurrent.lstm_cell_reference` (the cell's
    equations composed from primitives), with a hand-written backward; see
    :class:`~minigrad.ops.recurrent.FusedLSTMCell`.

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
    return FusedLSTMCell.apply(input_gates, hidden_gates, c)


def lstm_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):  # noqa: A002 (PyTorch's name)
    r"""One whole LSTM step as one node, as PyTorch's ``torch.lstm_cell``: ``(h', c')``.

    Computes exactly :func:`~minigrad.ops.recurrent.lstm_step_reference`: the gate
    projections :math:`W_{ih} x + b_{ih} + W_{hh} h + b_{hh}`, then the cell update of
    :func:`fused_lstm_cell`. The projections stay inside the node, so a cell stepped by
    hand keeps only what its backward needs (see
    :class:`~minigrad.ops.recurrent.LSTMStep`); :class:`~minigrad.nn.LSTMCell` calls it.

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
    return LSTMStep.apply(*tensors)


def fused_gru_cell(input_gates, hidden_gates, h):
    r"""One GRU update (the ``reset_after`` form) as one node: ``h'``.

    Computes exactly :func:`~minigrad.ops.recurrent.gru_cell_reference`, with a
    hand-written backward; see :class:`~minigrad.ops.recurrent.FusedGRUCell`.

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
    return FusedGRUCell.apply(input_gates, hidden_gates, h)


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
