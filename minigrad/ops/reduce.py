r"""Reductions: sum, max and min over axes, as primitives.

``mean``, ``logsumexp``, ``softmax`` and ``log_softmax`` are composites of these
(see :mod:`minigrad.ops`).
"""

from minigrad.function import Function
from minigrad.ops.shape import BroadcastTo


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
