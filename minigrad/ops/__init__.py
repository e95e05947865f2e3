r"""Every operation of minigrad, as a lowercase function.

Primitives (one node on the tape each) are the classes of ``elementwise``,
``reduce``, ``linalg``, ``shape`` and ``convert``; the functions here apply them.
Composites (``mean``, ``logsumexp``, ``softmax``, ``log_softmax``, ``stack`` and
1-D ``matmul``) are written with primitives, so their backward comes from their parts.
"""

import math
import operator

from minigrad import backends, factories
from minigrad.dtypes import as_dtype, is_floating
from minigrad.tensor import Tensor, _operand

from .convert import Cast, to_backend
from .elementwise import (
    Abs, Add, Clip, Div, Exp, Log, Mul, Neg, Pow, Relu, Sigmoid, Sqrt, Sub, Tanh,
)
from .linalg import Linear, MatMul
from .recurrent import FusedGRUCell, FusedLSTMCell
from .reduce import Max, Min, Sum, normalize_axes
from .shape import BroadcastTo, Concat, GetItem, Reshape, Split, Transpose, Where

add, sub, mul, div, pow = Add.apply, Sub.apply, Mul.apply, Div.apply, Pow.apply
neg = Neg.apply


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
    "logsumexp", "matmul", "max", "mean",
    "min",
    "mul", "neg", "pow", "relu", "reshape", "sigmoid", "softmax", "split", "sqrt", "stack",
    "sub", "sum", "tanh", "to_backend", "transpose", "where",
]


def _tensor(x, op):
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: expected a Tensor, got {type(x).__name__}")
    return x


def _shape_args(shape):
    """Accept a shape as varargs or as one tuple/list."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return tuple(shape)


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


# ---- reductions -------------------------------------------------------------------------


def sum(x, axis=None, keepdims=False):
    """Sum of ``x`` over ``axis`` (an int, a tuple, or ``None`` for all)."""
    return Sum.apply(x, axis=_axis_arg(axis, "sum"), keepdims=keepdims)


def max(x, axis=None, keepdims=False):
    """Largest values of ``x`` over ``axis``; ties share the gradient."""
    return Max.apply(x, axis=_axis_arg(axis, "max"), keepdims=keepdims)


def min(x, axis=None, keepdims=False):
    """Smallest values of ``x`` over ``axis``; ties share the gradient."""
    return Min.apply(x, axis=_axis_arg(axis, "min"), keepdims=keepdims)


def mean(x, axis=None, keepdims=False):
    """Mean of ``x`` over ``axis``. Composite: backward comes from its parts.

    Raises
    ------
    TypeError
        If ``x`` is not a floating-point Tensor (PyTorch refuses integers too).
    """
    _floating(x, "mean")
    count = math.prod(x.shape[a] for a in _composite_axes(x, axis, "mean"))
    return sum(x, axis, keepdims) / count


def argmax(x, axis=None):
    """Indices of the largest values over ``axis`` (int64, not differentiable).

    Raises
    ------
    TypeError
        If ``axis`` is neither ``None`` nor an int.
    ValueError
        If ``axis`` is out of range, or the values to search are none (an empty tensor,
        or an axis of length 0).
    """
    return _arg_reduction("argmax", x, axis)


def argmin(x, axis=None):
    """Indices of the smallest values over ``axis`` (int64, not differentiable).

    Raises
    ------
    TypeError, ValueError
        As :func:`argmax`.
    """
    return _arg_reduction("argmin", x, axis)


def _arg_reduction(name, x, axis):
    """``xp.argmax`` or ``xp.argmin`` (``name``) over one axis, or over all when ``None``."""
    _tensor(x, name)
    if axis is not None:
        axis = _check_axis(name, axis, x.ndim, x.shape)
    if (x.size if axis is None else x.shape[axis]) == 0:
        searched = "a tensor" if axis is None else f"axis {axis}"
        raise ValueError(f"{name}: expected {searched} with elements to search, got shape "
                         f"{x.shape}")
    return Tensor(getattr(x._backend.xp, name)(x.data, axis=axis), x._backend)


def logsumexp(x, axis=None, keepdims=False):
    r""":math:`\log \sum_i e^{x_i}` over ``axis``, computed without overflow.

    Composite: backward comes from its parts. The maximum ``m`` is subtracted before
    exponentiating, :math:`m + \log\sum_i e^{x_i - m}` (:math:`m = 0` where the
    maximum is infinite); it is detached because the result does not depend on it.

    Parameters
    ----------
    x : Tensor
    axis : int or tuple of int, optional
        The axes to reduce; all when ``None``.
    keepdims : bool
        Keep the reduced axes with length 1.

    Returns
    -------
    Tensor
        ``x``'s shape without the reduced axes (or with them at length 1).

    Raises
    ------
    TypeError
        If ``x`` is not a floating-point Tensor.
    """
    _floating(x, "logsumexp")
    _composite_axes(x, axis, "logsumexp")
    peak = x.max(axis=axis, keepdims=True).data
    # A slice whose maximum is infinite (all -inf, or holding +inf) is not shifted: x - peak
    # would be inf - inf = NaN there, and the sum is -inf or +inf, as it should be, anyway.
    xp = x._backend.xp
    shift = Tensor(xp.where(xp.isfinite(peak), peak, 0), x._backend)
    total = (x - shift).exp().sum(axis=axis, keepdims=keepdims)
    return total.log() + (shift if keepdims else shift.reshape(total.shape))


def log_softmax(x, axis=-1):
    r""":math:`x_i - \log\sum_j e^{x_j}` over ``axis``. Composite: backward comes from its parts.

    Parameters
    ----------
    x : Tensor
    axis : int
        The axis that the probabilities sum over (the classes).

    Returns
    -------
    Tensor
        Log-probabilities, of ``x``'s shape.

    Raises
    ------
    TypeError
        If ``x`` is not a floating-point Tensor (PyTorch refuses integers too).
    """
    _floating(x, "log_softmax")
    _composite_axes(x, axis, "log_softmax")
    # (x - m) - log(sum(exp(x - m))): subtracting m first keeps float32 precision for huge x,
    # where x - logsumexp(x) would subtract two nearly equal large numbers.
    shifted = x - x.max(axis=axis, keepdims=True).detach()
    return shifted - shifted.exp().sum(axis=axis, keepdims=True).log()


def softmax(x, axis=-1):
    r""":math:`e^{x_i} / \sum_j e^{x_j}` over ``axis``, shifted by the maximum for stability.

    Composite: backward comes from its parts.

    Parameters
    ----------
    x : Tensor
    axis : int
        The axis that the probabilities sum over (the classes).

    Returns
    -------
    Tensor
        Probabilities, of ``x``'s shape.

    Raises
    ------
    TypeError
        If ``x`` is not a floating-point Tensor (PyTorch refuses integers too).
    """
    _floating(x, "softmax")
    _composite_axes(x, axis, "softmax")
    e = (x - x.max(axis=axis, keepdims=True).detach()).exp()
    return e / e.sum(axis=axis, keepdims=True)


def _floating(x, name):
    """Raise unless ``x`` is a floating-point Tensor.

    The composites that divide or exponentiate (``mean``, ``logsumexp``, ``softmax``,
    ``log_softmax``) all refuse integers and booleans, as PyTorch's ``mean`` and
    ``softmax`` do, rather than let NumPy promote them to float64 on the way.
    """
    if _tensor(x, name).dtype.kind != "f":
        raise TypeError(f"{name}: expected a floating-point tensor, got dtype {x.dtype}; "
                        "convert it with .to(mg.float32)")


def _composite_axes(x, axis, name):
    """``axis`` checked and normalised (see :func:`normalize_axes`) for the composite ``name``.

    A composite checks its axis itself, so that an error names it rather than the
    primitive (``max``, ``sum``) that would meet the axis first.
    """
    try:
        return normalize_axes(_axis_arg(axis, name), x.ndim)
    except ValueError as err:
        raise ValueError(f"{name}: {err}") from None


def _axis_arg(axis, name):
    """``axis`` as the reductions take it: ``None``, an int or a tuple of ints.

    Integers of other kinds (``numpy.int64``, an integer 0-d tensor) become ints.

    Raises
    ------
    TypeError
        If ``axis`` is none of these; the message names the function ``name``.
    """
    if axis is None or type(axis) is int:
        return axis
    try:
        if isinstance(axis, (list, tuple)):
            return tuple(operator.index(a) for a in axis)
        return operator.index(axis)
    except TypeError:
        raise TypeError(f"{name}: expected axis to be None, an int or a tuple of ints, "
                        f"got {axis!r}") from None


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


# ---- shapes -------------------------------------------------------------------------------


def reshape(x, *shape):
    """``x`` with a new shape, given as varargs or one tuple; one size may be -1 (inferred).

    Raises
    ------
    ValueError
        If the new shape holds a different number of elements, or a size is negative
        other than -1.
    """
    shape = _shape_args(shape)
    y = Reshape.apply(x, shape=shape)
    # NumPy infers a size from any negative one, PyTorch only from -1. Checked once NumPy has
    # taken the sizes, and only where it inferred one (the result differs from the request):
    # the reshapes of a time loop pay a tuple comparison.
    if y.shape != shape and any(n < -1 for n in shape):
        raise ValueError(f"reshape: expected sizes that are non-negative ints or -1, got {shape}")
    return y


def transpose(x, *axes):
    """Permute the axes of ``x``; reverse them when none are given."""
    axes = _shape_args(axes) or tuple(reversed(range(x.ndim)))
    return Transpose.apply(x, axes=axes)


def broadcast_to(x, shape):
    """``x`` broadcast to ``shape`` (NumPy rules); the gradient is summed back."""
    return BroadcastTo.apply(x, shape=tuple(shape))


def getitem(x, index):
    """``x[index]``: slices, ints, ``None``, ``Ellipsis``, integer or boolean arrays."""
    return GetItem.apply(x, index=_native_index(index, x._backend))


def _native_index(index, backend):
    """Turn Tensors and lists inside an index into arrays of ``backend``.

    The node keeps index arrays for its backward, so it gets copies: a caller who
    refills an index buffer after the forward pass must not move the gradients.
    """
    if isinstance(index, tuple):
        return tuple(_native_index(part, backend) for part in index)
    if isinstance(index, Tensor):
        if index._backend is not backend:
            raise ValueError(
                f"getitem: the index lives on {index.backend!r} but the tensor on "
                f"{backend.name!r}; move it with .to({backend.name!r})"
            )
        return index.data.copy()
    if backend.is_native(index):
        return index.copy()
    if isinstance(index, list):
        return backend.xp.asarray(index)
    if hasattr(index, "shape"):  # another backend's array, or a NumPy scalar
        owner = backends.of(index)
        return backend.from_host(owner.to_host(index) if owner else index)
    return index


def _tensor_list(tensors, op):
    if isinstance(tensors, Tensor) or not tensors:
        raise TypeError(f"{op}: expected a non-empty sequence of Tensors, got {tensors!r}")
    return [_tensor(t, op) for t in tensors]


def _check_axis(op, axis, ndim, shape):
    """Return ``axis`` as an int if it is one of ``ndim`` axes (negatives counting back).

    Raises
    ------
    TypeError
        If ``axis`` is not an int (NumPy's and integer 0-d tensors count).
    ValueError
        If it is out of range.
    """
    try:
        axis = operator.index(axis)
    except TypeError:
        raise TypeError(f"{op}: expected axis to be an int, got {axis!r}") from None
    if not -ndim <= axis < ndim:
        raise ValueError(f"{op}: axis {axis} is out of range for {ndim} dimensions, shape {shape}")
    return axis


def concat(tensors, axis=0):
    """Join a sequence of tensors along an existing ``axis``; one node, its backward a split.

    Parameters
    ----------
    tensors : sequence of Tensor
        Equal shapes except along ``axis``, on one backend.
    axis : int

    Returns
    -------
    Tensor

    Raises
    ------
    TypeError
        If ``tensors`` is empty or not a sequence of Tensors, or ``axis`` not an int.
    ValueError
        If ``axis`` is out of range or the shapes do not fit.
    """
    tensors = _tensor_list(tensors, "concat")
    axis = _check_axis("concat", axis, tensors[0].ndim, tensors[0].shape)
    return Concat.apply(*tensors, axis=axis)


def stack(tensors, axis=0):
    """Join a sequence of equally shaped tensors along a new ``axis``.

    Composite: each tensor gets a new axis of length 1 (a reshape), then one concat.

    Parameters
    ----------
    tensors : sequence of Tensor
        All of one shape ``S``.
    axis : int
        Where the new axis goes, in ``0 .. len(S)`` (negatives count from the end).

    Returns
    -------
    Tensor
        ``S`` with ``len(tensors)`` inserted at ``axis``.

    Raises
    ------
    TypeError
        If ``tensors`` is empty or not a sequence of Tensors, or ``axis`` not an int.
    ValueError
        If the shapes differ or ``axis`` is out of range.
    """
    tensors = _tensor_list(tensors, "stack")
    shape = tensors[0].shape
    for t in tensors:
        if t.shape != shape:
            raise ValueError(f"stack: expected tensors of one shape, got {shape} and {t.shape}")
    axis = _check_axis("stack", axis, len(shape) + 1, shape)  # the modulo would wrap silently
    position = axis % (len(shape) + 1)
    expanded = shape[:position] + (1,) + shape[position:]
    return concat([t.reshape(expanded) for t in tensors], axis=position)


def split(x, indices_or_sections, axis=0):
    """Split ``x`` into a tuple of tensors, NumPy style: a number of equal sections,
    or the indices where each piece ends.

    One node with several outputs; its backward is one concat (zeros for unused pieces).

    Parameters
    ----------
    x : Tensor
    indices_or_sections : int or sequence of int
        ``n`` equal sections (``x.shape[axis]`` must divide by ``n``), or the
        positions where cuts go: ``[2, 5]`` gives ``x[:2]``, ``x[2:5]``, ``x[5:]``.
    axis : int

    Returns
    -------
    tuple of Tensor

    Raises
    ------
    TypeError
        If ``axis`` or ``indices_or_sections`` is not made of ints.
    ValueError
        If equal sections are impossible or ``axis`` is out of range.
    """
    axis = _check_axis("split", axis, _tensor(x, "split").ndim, x.shape)
    if hasattr(indices_or_sections, "__index__"):  # an int, a NumPy int, an int 0-d tensor
        indices_or_sections = operator.index(indices_or_sections)
        if indices_or_sections <= 0:
            raise ValueError(
                f"split: expected a positive number of sections, got {indices_or_sections}"
            )
    else:
        try:
            indices_or_sections = [operator.index(i) for i in indices_or_sections]
        except TypeError:
            raise TypeError(f"split: expected indices_or_sections to be an int or a sequence "
                            f"of ints, got {indices_or_sections!r}") from None
    return Split.apply(x, indices_or_sections=indices_or_sections, axis=axis)


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
