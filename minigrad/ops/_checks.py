"""Argument checks shared by the op functions of several modules of :mod:`minigrad.ops`.

``_tensor`` serves every function (and the ``*_like`` factories), ``_check_axis`` the
arg-reductions and the shape functions. They live here, below all of those modules,
so that each imports them from one place without an import cycle.
"""

import operator

from minigrad.tensor import Tensor


def _tensor(x, op):
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: expected a Tensor, got {type(x).__name__}")
    return x


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
