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


def _either(op, value, alias, default, names):
    """The one of NumPy's and PyTorch's spellings (``axis``/``dim``, ``keepdims``/``keepdim``)
    that the caller gave; ``alias`` is PyTorch's, ``None`` when not given.

    Raises
    ------
    TypeError
        If both were given (``value`` is not the ``default`` object).
    """
    if alias is None:
        return value
    if value is not default:
        raise TypeError(f"{op}: got both {names[0]}= and {names[1]}=, which mean the same; "
                        f"pass one of them")
    return alias


def _dims(op, axis, keepdims, dim, keepdim, axis_default=None):
    """``axis`` and ``keepdims`` resolved from either spelling (see :func:`_either`)."""
    return (_either(op, axis, dim, axis_default, ("axis", "dim")),
            _either(op, keepdims, keepdim, False, ("keepdims", "keepdim")))
