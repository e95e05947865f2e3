"""Reductions: sum, max and min over axes as primitives, and the functions built on them.

``Sum``, ``Max`` and ``Min`` are the primitives; ``sum``, ``max`` and ``min`` apply them,
``argmax`` and ``argmin`` stay off the graph, and ``mean``, ``logsumexp``,
``log_softmax`` and ``softmax`` are composites, whose backward comes from their parts.
The functions share the checks of an ``axis`` argument, which name the function that
was called.
"""

import collections
import math
import operator

from minigrad.dtypes import float32
from minigrad.function import Function
from minigrad.tensor import Tensor

from ._checks import _check_axis, _dims, _either, _tensor
from .shape import BroadcastTo


def normalize_axes(axis, ndim):
    """Return ``axis`` (None, an int or a tuple, negatives allowed) as a sorted tuple."""
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, int):
        axis = (axis,)
    axes = []
    for a in axis:
        if not -ndim <= a < ndim:
            raise ValueError(f"axis {a} is out of range for a tensor of {ndim} dimensions")
        axes.append(a % ndim)
    return tuple(sorted(axes))


def kept_shape(shape, axes):
    """The shape of a reduction over ``axes`` with ``keepdims=True``."""
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


class Sum(Function):
    r"""``y = sum(x, axis)``;   :math:`\partial y/\partial x_i = 1`: ``gy`` is broadcast back."""

    __slots__ = ("in_shape", "kept_shape")

    def forward(self, xp, x, axis=None, keepdims=False):
        self.in_shape = x.shape
        self.kept_shape = kept_shape(x.shape, normalize_axes(axis, x.ndim))
        return xp.sum(x, axis=axis, keepdims=keepdims)

    def backward(self, gy):
        return self.call(BroadcastTo, gy.reshape(self.kept_shape), shape=self.in_shape)


class Max(Function):
    r"""``y = max(x, axis)``;   :math:`\partial y/\partial x_i = [x_i = y] / \#\{j: x_j = y\}`.

    Tied maxima share the gradient equally, so it still sums to the upstream gradient.
    Where the result is NaN, it came from the NaNs of the input, which share the gradient.
    """

    __slots__ = ("axes",)
    reduce = "max"

    def forward(self, xp, x, axis=None, keepdims=False):
        self.axes = normalize_axes(axis, x.ndim)
        y = getattr(xp, self.reduce)(x, axis=self.axes, keepdims=True)
        self.saved = y
        return y if keepdims else xp.squeeze(y, axis=self.axes)

    def backward(self, gy):
        x, y = self.arrays[0], self.saved
        xp = self.backend.xp
        hits = ((x == y) | (xp.isnan(x) & xp.isnan(y))).astype(x.dtype)  # NaN == NaN is False
        share = hits / hits.sum(axis=self.axes, keepdims=True)
        return gy.reshape(y.shape) * self.constant(share)


class Min(Max):
    r"""``y = min(x, axis)``; the gradient goes to the minimal elements, shared among ties."""

    __slots__ = ()
    reduce = "min"


# ---- the functions ---------------------------------------------------------------------


# Each takes PyTorch's dim= and keepdim= beside NumPy's axis= and keepdims= (one of each
# pair); the aliases are resolved here, so the primitives never see them.


def sum(x, axis=None, keepdims=False, *, dim=None, keepdim=None):
    """Sum of ``x`` over ``axis`` (an int, a tuple, or ``None`` for all)."""
    if dim is not None or keepdim is not None:
        axis, keepdims = _dims("sum", axis, keepdims, dim, keepdim)
    return Sum.apply(x, axis=_axis_arg(axis, "sum"), keepdims=keepdims)


# PyTorch's answer to x.max(dim=d): the values and where they are.
ValuesIndices = collections.namedtuple("ValuesIndices", ["values", "indices"])


def max(x, axis=None, keepdims=False, *, dim=None, keepdim=None):
    """Largest values of ``x`` over ``axis``; ties share the gradient.

    With PyTorch's ``dim=``, the answer is PyTorch's too: a pair ``(values, indices)``
    (fields of those names), the indices from :func:`argmax`. With NumPy's ``axis=``,
    or no axis, the values alone.
    """
    return _extreme(Max, argmax, "max", x, axis, keepdims, dim, keepdim)


def min(x, axis=None, keepdims=False, *, dim=None, keepdim=None):
    """Smallest values of ``x`` over ``axis``; ties share the gradient.

    With ``dim=``, a pair ``(values, indices)`` as :func:`max` gives.
    """
    return _extreme(Min, argmin, "min", x, axis, keepdims, dim, keepdim)


def _extreme(primitive, locate, name, x, axis, keepdims, dim, keepdim):
    """``max`` or ``min`` (``name``): the values, and their indices when ``dim`` is given."""
    if dim is None and keepdim is None:
        return primitive.apply(x, axis=_axis_arg(axis, name), keepdims=keepdims)
    axis, keepdims = _dims(name, axis, keepdims, dim, keepdim)
    values = primitive.apply(x, axis=_axis_arg(axis, name), keepdims=keepdims)
    if dim is None:
        return values
    return ValuesIndices(values, locate(x, dim=dim, keepdim=keepdims))


def mean(x, axis=None, keepdims=False, *, dim=None, keepdim=None):
    """Mean of ``x`` over ``axis``. Composite: backward comes from its parts.

    Integer and boolean tensors give ``float32``, as in PyTorch's default dtype.
    """
    axis, keepdims = _dims("mean", axis, keepdims, dim, keepdim)
    x = _floated(x, "mean")
    count = math.prod(x.shape[a] for a in _composite_axes(x, axis, "mean"))
    return sum(x, axis, keepdims) / count


def argmax(x, axis=None, *, dim=None, keepdim=False):
    """Indices of the largest values over ``axis`` (int64, not differentiable).

    Raises
    ------
    TypeError
        If ``axis`` is neither ``None`` nor an int.
    ValueError
        If ``axis`` is out of range, or the values to search are none (an empty tensor,
        or an axis of length 0).
    """
    return _arg_reduction("argmax", x, _either("argmax", axis, dim, None, ("axis", "dim")),
                          keepdim)


def argmin(x, axis=None, *, dim=None, keepdim=False):
    """Indices of the smallest values over ``axis`` (int64, not differentiable).

    Raises
    ------
    TypeError, ValueError
        As :func:`argmax`.
    """
    return _arg_reduction("argmin", x, _either("argmin", axis, dim, None, ("axis", "dim")),
                          keepdim)


def _arg_reduction(name, x, axis, keepdims):
    """``xp.argmax`` or ``xp.argmin`` (``name``) over one axis, or over all when ``None``."""
    _tensor(x, name)
    if axis is not None:
        axis = _check_axis(name, axis, x.ndim, x.shape)
    if (x.data.size if axis is None else x.shape[axis]) == 0:
        searched = "a tensor" if axis is None else f"axis {axis}"
        raise ValueError(f"{name}: expected {searched} with elements to search, got shape "
                         f"{x.shape}")
    found = getattr(x._backend.xp, name)(x.data, axis=axis, keepdims=bool(keepdims))
    return Tensor(found, x._backend)


def logsumexp(x, axis=None, keepdims=False, *, dim=None, keepdim=None):
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
        ``x``'s shape without the reduced axes (or with them at length 1). Over an
        axis of length 0 the sum has no terms: the result is :math:`\log 0 = -\infty`,
        as in PyTorch, and ``x``'s gradient is empty, like ``x``.

    Raises
    ------
    TypeError
        If ``x`` is not a floating-point Tensor.
    """
    axis, keepdims = _dims("logsumexp", axis, keepdims, dim, keepdim)
    _floating(x, "logsumexp")
    axes = _composite_axes(x, axis, "logsumexp")
    if any(x.shape[a] == 0 for a in axes):
        # Nothing to sum, so no maximum to shift by. The empty sum (0) minus inf is log 0
        # without NumPy's divide-by-zero warning, and it keeps the result on the graph.
        return x.sum(axis=axis, keepdims=keepdims) - math.inf
    peak = x.max(axis=axis, keepdims=True).data
    # A slice whose maximum is infinite (all -inf, or holding +inf) is not shifted: x - peak
    # would be inf - inf = NaN there, and the sum is -inf or +inf, as it should be, anyway.
    xp = x._backend.xp
    shift = Tensor(xp.where(xp.isfinite(peak), peak, 0), x._backend)
    total = (x - shift).exp().sum(axis=axis, keepdims=keepdims)
    return total.log() + (shift if keepdims else shift.reshape(total.shape))


def log_softmax(x, axis=-1, *, dim=None):
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
    axis = _either("log_softmax", axis, dim, -1, ("axis", "dim"))
    _floating(x, "log_softmax")
    _composite_axes(x, axis, "log_softmax")
    # (x - m) - log(sum(exp(x - m))): subtracting m first keeps float32 precision for huge x,
    # where x - logsumexp(x) would subtract two nearly equal large numbers.
    shifted = x - x.max(axis=axis, keepdims=True).detach()
    return shifted - shifted.exp().sum(axis=axis, keepdims=True).log()


def softmax(x, axis=-1, *, dim=None):
    r""":math:`e^{x_i} / \sum_j e^{x_j}` over ``axis``, shifted by the maximum for stability.

    Composite: backward comes from its parts. It takes ``x`` and ``axis`` (or PyTorch's
    ``dim``) as :func:`log_softmax` does, and refuses what that refuses.

    Returns
    -------
    Tensor
        Probabilities, of ``x``'s shape.
    """
    axis = _either("softmax", axis, dim, -1, ("axis", "dim"))
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


def _floated(x, name):
    """``x`` itself if floating, else as ``float32`` (PyTorch's default dtype), off the graph.

    Integers and booleans carry no gradient, so their conversion needs no node.
    """
    if _tensor(x, name).dtype.kind == "f":
        return x
    return Tensor(x.data.astype(float32), x._backend)


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
