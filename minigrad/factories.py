"""Functions that create tensors: from data, constant-filled, random, ranges.

``tensor``, which reads data, is defined in ``minigrad.from_data`` and re-exported here.
"""

import math
import numbers

from minigrad import backends
from minigrad.dtypes import as_dtype, bool_, float32, float64, int32, int64, is_floating
from minigrad.from_data import _backend, _check_fits, _finish, _size, tensor
from minigrad.ops._checks import _tensor
from minigrad.sampling import multinomial, randint
from minigrad.tensor import Tensor

__all__ = [
    "arange", "eye", "from_numpy", "full", "linspace", "manual_seed", "multinomial", "ones",
    "ones_like", "rand", "randint", "randn", "tensor", "zeros", "zeros_like",
]


def _filled(size, value, dtype, target, requires_grad, op):
    array = target.xp.full(_size(size, op), value, dtype=as_dtype(dtype))
    return _finish(array, target, requires_grad)


def zeros(*size, dtype=float32, backend=None, requires_grad=False, device=None):
    """A tensor of zeros of the given size: ``mg.zeros(2, 3)`` or ``mg.zeros((2, 3))``.

    Parameters
    ----------
    *size : int or tuple of int
        The shape, as varargs (``2, 3``) or one tuple (``(2, 3)``).
    dtype : dtype
        Defaults to ``float32``.
    backend : str, optional
        Where the tensor lives: a backend's name (``"numpy"``, ``"cupy"``) or a device
        string (``"cpu"``, ``"cuda"``); the default backend when omitted.
    requires_grad : bool
        Record operations on the result for backward (floating dtypes only).
    device : str, optional
        PyTorch's name for ``backend``; pass one of the two.

    Returns
    -------
    Tensor

    Raises
    ------
    TypeError
        If a size is not a non-negative int, or the dtype is not one of minigrad's.
    """
    return _filled(size, 0, dtype, _backend(backend, device, "zeros"), requires_grad, "zeros")


def ones(*size, dtype=float32, backend=None, requires_grad=False, device=None):
    """A tensor of ones of the given size: ``mg.ones(2, 3)`` or ``mg.ones((2, 3))``.

    Parameters
    ----------
    *size : int or tuple of int
        The shape, as varargs (``2, 3``) or one tuple (``(2, 3)``).
    dtype, backend, requires_grad, device
        As for :func:`zeros`.

    Returns
    -------
    Tensor

    Raises
    ------
    TypeError
        If a size is not a non-negative int, or the dtype is not one of minigrad's.
    """
    return _filled(size, 1, dtype, _backend(backend, device, "ones"), requires_grad, "ones")


def full(shape, value, dtype=float32, backend=None, requires_grad=False, *, device=None):
    """A tensor of ``shape`` filled with ``value``.

    Parameters
    ----------
    shape : int or tuple of int
    value : number
        A real number or a bool, Python's or NumPy's.
    dtype, backend, requires_grad, device
        As for :func:`zeros`.

    Returns
    -------
    Tensor

    Raises
    ------
    TypeError
        If a size is not a non-negative int, ``value`` is not a real number or a bool
        (NumPy would read ``None`` as NaN and broadcast a list), or the dtype is not
        one of minigrad's.
    OverflowError
        If ``value`` does not fit an integer ``dtype`` (NaN fits none).
    """
    # NumPy registers its scalar types with the numbers ABCs, all but its bool.
    if not isinstance(value, (numbers.Real, bool_.type)):
        raise TypeError(f"full: expected a real number or a bool as the value, got {value!r}")
    dtype = as_dtype(dtype)
    target = _backend(backend, device, "full")
    if dtype.kind == "i":
        _check_fits("full", target.xp, dtype, (value,))
    shape = (shape,) if isinstance(shape, int) else shape
    return _filled((shape,), value, dtype, target, requires_grad, "full")


def _like(t, value, dtype, backend, device, requires_grad, op):
    """``t``'s shape filled with ``value``, for ``op`` (``zeros_like``, ``ones_like``)."""
    _tensor(t, op)
    target = t._backend if backend is None and device is None else _backend(backend, device, op)
    return _filled((t.shape,), value, t.dtype if dtype is None else dtype, target,
                   requires_grad, op)


def zeros_like(t, dtype=None, backend=None, requires_grad=False, *, device=None):
    """Zeros of ``t``'s shape, dtype and backend (unless given).

    Parameters
    ----------
    t : Tensor
        The tensor whose shape (and, by default, dtype and backend) to copy.
    dtype, backend, requires_grad, device
        As in :func:`zeros`; ``dtype`` and the backend default to ``t``'s.

    Returns
    -------
    Tensor

    Raises
    ------
    TypeError
        If ``t`` is not a Tensor.
    """
    return _like(t, 0, dtype, backend, device, requires_grad, "zeros_like")


def ones_like(t, dtype=None, backend=None, requires_grad=False, *, device=None):
    """Ones of ``t``'s shape, dtype and backend (unless given).

    Parameters
    ----------
    t : Tensor
        The tensor whose shape (and, by default, dtype and backend) to copy.
    dtype, backend, requires_grad, device
        As in :func:`zeros`; ``dtype`` and the backend default to ``t``'s.

    Returns
    -------
    Tensor

    Raises
    ------
    TypeError
        If ``t`` is not a Tensor.
    """
    return _like(t, 1, dtype, backend, device, requires_grad, "ones_like")


def _random(draw, size, dtype, target, requires_grad, op):
    dtype = as_dtype(dtype)
    if not is_floating(dtype):
        raise TypeError(f"{op}: expected a floating dtype, got {dtype}")
    return _finish(getattr(target, draw)(_size(size, op), dtype), target, requires_grad)


def randn(*size, dtype=float32, backend=None, requires_grad=False, device=None):
    r"""Samples of the standard normal distribution :math:`\mathcal{N}(0, 1)`.

    Drawn by the backend's own generator, on its device; :func:`manual_seed` makes
    them repeatable.

    Parameters
    ----------
    *size : int or tuple of int
        The shape, as varargs (``2, 3``) or one tuple (``(2, 3)``).
    dtype : dtype
        Defaults to ``float32``; must be floating.
    backend, requires_grad, device
        As for :func:`zeros`.

    Returns
    -------
    Tensor

    Raises
    ------
    TypeError
        If a size is not a non-negative int, or ``dtype`` is not floating.
    """
    return _random("randn", size, dtype, _backend(backend, device, "randn"), requires_grad,
                   "randn")


def rand(*size, dtype=float32, backend=None, requires_grad=False, device=None):
    """Samples of the uniform distribution on :math:`[0, 1)`.

    Drawn by the backend's own generator, on its device; :func:`manual_seed` makes
    them repeatable.

    Parameters
    ----------
    *size : int or tuple of int
        The shape, as varargs (``2, 3``) or one tuple (``(2, 3)``).
    dtype : dtype
        Defaults to ``float32``; must be floating.
    backend, requires_grad, device
        As for :func:`zeros`.

    Returns
    -------
    Tensor

    Raises
    ------
    TypeError
        If a size is not a non-negative int, or ``dtype`` is not floating.
    """
    return _random("rand", size, dtype, _backend(backend, device, "rand"), requires_grad, "rand")


def arange(start, stop=None, step=1, dtype=None, backend=None, requires_grad=False, *,
           device=None):
    """Evenly spaced values in ``[start, stop)``, NumPy style.

    The dtype defaults to ``int64`` when every argument is an integer (Python or NumPy),
    else ``float32``.

    Parameters
    ----------
    start : number
        The first value; the end when ``stop`` is omitted (``arange(5)`` is 0 to 4).
    stop : number, optional
        The end, excluded.
    step : number
    dtype : dtype
        Defaults to ``int64`` or ``float32`` (see above).
    backend, requires_grad, device
        As for :func:`zeros`.

    Returns
    -------
    Tensor
        1-D.

    Raises
    ------
    TypeError
        If ``start``, ``stop`` or ``step`` is not a real number.
    ValueError
        If one is infinite or NaN, or ``step`` is 0.
    """
    if stop is None:
        start, stop = 0, start
    if not all(isinstance(v, numbers.Real) for v in (start, stop, step)):
        raise TypeError(f"arange: expected real numbers, got start={start!r}, stop={stop!r}, "
                        f"step={step!r}")
    # Ints are finite, and math.isfinite would overflow on a huge one.
    finite = all(isinstance(v, numbers.Integral) or math.isfinite(v) for v in (start, stop, step))
    if step == 0 or not finite:
        raise ValueError(f"arange: expected finite numbers and a non-zero step, got "
                         f"start={start!r}, stop={stop!r}, step={step!r}")
    if dtype is None:
        integers = all(isinstance(v, numbers.Integral) for v in (start, stop, step))
        dtype = int64 if integers else float32
    target = _backend(backend, device, "arange")
    return _finish(target.xp.arange(start, stop, step, dtype=as_dtype(dtype)), target,
                   requires_grad)


def linspace(start, end, steps, dtype=float32, backend=None, requires_grad=False, *,
             device=None):
    """``steps`` evenly spaced values from ``start`` to ``end``, both included (PyTorch's).

    Parameters
    ----------
    start, end : number
    steps : int
        How many values (a non-negative int; PyTorch requires it too).
    dtype, backend, requires_grad, device
        As for :func:`zeros`.

    Returns
    -------
    Tensor
        1-D, of length ``steps``.

    Raises
    ------
    TypeError
        If ``start`` or ``end`` is not a real number, or ``steps`` not a non-negative int.
    """
    if not all(isinstance(v, numbers.Real) for v in (start, end)):
        raise TypeError(f"linspace: expected real numbers, got start={start!r}, end={end!r}")
    (steps,) = _size((steps,), "linspace")
    target = _backend(backend, device, "linspace")
    # Computed in float64 and then converted, as PyTorch does for an integer dtype.
    values = target.xp.linspace(start, end, steps, dtype=float64)
    return _finish(values.astype(as_dtype(dtype)), target, requires_grad)


def from_numpy(array):
    """A tensor of a NumPy array's values, on the NumPy backend, keeping its dtype.

    The array is not copied: the tensor's data is the array itself (as in PyTorch,
    where they share memory).

    Raises
    ------
    TypeError
        If ``array`` is not a :class:`numpy.ndarray` of one of minigrad's dtypes.
    """
    target = backends.get("numpy")
    if not target.is_native(array):
        raise TypeError(f"from_numpy: expected a numpy.ndarray, got {type(array).__name__}; "
                        f"mg.tensor(data) reads other data")
    if array.dtype not in (float32, float64, int32, int64, bool_):
        raise TypeError(f"from_numpy: expected an array of dtype float32, float64, int32, int64 "
                        f"or bool, got {array.dtype}; convert it with array.astype(...)")
    return Tensor(array, target)


def eye(n, m=None, dtype=float32, backend=None, requires_grad=False, *, device=None):
    """The ``n`` x ``m`` identity matrix (``m`` defaults to ``n``).

    Parameters
    ----------
    n : int
        Rows.
    m : int, optional
        Columns; ``n`` when omitted.
    dtype, backend, requires_grad, device
        As for :func:`zeros`.

    Returns
    -------
    Tensor
        ``(n, m)``, ones on the diagonal.

    Raises
    ------
    TypeError
        If ``n`` or ``m`` is not a non-negative int, or the dtype is not one of minigrad's.
    """
    size = _size((n,) if m is None else (n, m), "eye")
    n, m = size[0], size[-1]
    target = _backend(backend, device, "eye")
    return _finish(target.xp.eye(n, m, dtype=as_dtype(dtype)), target, requires_grad)


def manual_seed(seed):
    """Seed the random generators of every backend, for reproducible draws and inits.

    Backends built later (CuPy on first use) are seeded too.

    Parameters
    ----------
    seed : int
        A non-negative integer, Python's or NumPy's.

    Raises
    ------
    ValueError
        If ``seed`` is not a non-negative int (a bool is not taken for one).
    """
    if not isinstance(seed, numbers.Integral) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"manual_seed: expected a non-negative int, got {seed!r}")
    backends.seed_all(int(seed))
