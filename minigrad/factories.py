"""Functions that create tensors: from data, constant-filled, random, ranges."""

import math
import numbers

from minigrad import backends
from minigrad import ops as _ops  # circular: ops import the factories; used at call time
from minigrad.dtypes import _ALL, as_dtype, bool_, float32, int64, is_floating
from minigrad.tensor import Tensor

# Looked up before a dtype's name, which NumPy takes microseconds to build.
_DTYPES = frozenset(_ALL.values())


def _backend(backend):
    return backends.get_default() if backend is None else backends.get(backend)


def _finish(array, backend, requires_grad):
    t = Tensor(array, backend)
    if requires_grad:
        t.requires_grad_()
    return t


def _size(size, op):
    """Accept sizes as varargs (``2, 3``) or as one tuple or list (``(2, 3)``)."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    for n in size:
        if not isinstance(n, numbers.Integral) or isinstance(n, bool) or n < 0:
            raise TypeError(f"{op}: expected sizes that are non-negative ints, got {size!r}")
    return tuple(int(n) for n in size)  # NumPy integers (from x.shape arithmetic) too


def tensor(data, dtype=None, backend=None, requires_grad=False):
    """Create a tensor from data, copying it.

    Parameters
    ----------
    data : array_like
        A nested list, a Python number, a NumPy or CuPy array, or a Tensor.
    dtype : dtype, optional
        Defaults to the array's own dtype for arrays; for Python data, as in PyTorch,
        ``float32`` if any value is a float, else ``int64`` for integers and ``bool``
        for booleans. Given, it converts the data, from any NumPy dtype.
    backend : str, optional
        Where the tensor lives. When omitted, an array of a device backend (a CuPy
        array) stays on its backend; host data (lists, numbers, NumPy arrays) goes to
        the default backend, as ``torch.set_default_device`` does.
    requires_grad : bool
        Record operations on this tensor for backward (floating dtypes only).

    Returns
    -------
    Tensor
        A leaf holding a copy of ``data``.

    Raises
    ------
    TypeError
        If ``data`` holds something other than real numbers or booleans (objects,
        strings, complex numbers), whether a list or an array; if ``dtype`` is not
        one of minigrad's, or is omitted for an array of another dtype (``uint8``,
        ``float16``); or if ``requires_grad`` is asked of a non-floating dtype.
    ValueError
        If nested lists are ragged (of unequal lengths at one depth).
    OverflowError
        If a value does not fit an integer dtype, given or inferred (``2**63`` for
        ``int64``): NumPy would wrap it around.

    Examples
    --------
    >>> mg.tensor([[1.0, 2.0], [3.0, 4.0]]).dtype
    dtype('float32')
    """
    if isinstance(data, Tensor):
        data = data.data
    owner = backends.of(data)
    on_device = owner is not None and owner.name != "numpy"  # NumPy is the host format
    target = _backend(owner if backend is None and on_device else backend)
    if owner is None:  # Python data or another library's array: read on the host, as CuPy does
        owner = backends.get("numpy")
        data, dtype = _read(owner.xp, data, dtype)
    if data.dtype.kind not in "fiub":   # NumPy arrays too can hold objects or strings
        raise TypeError(
            f"tensor: expected real numbers or booleans, got data of dtype {data.dtype}"
        )
    if dtype is None and data.dtype not in _DTYPES and data.dtype.name not in _ALL:
        # NumPy would carry a uint8 or float16 through every op, wrapping or rounding silently.
        raise TypeError(
            f"tensor: expected data of one of minigrad's dtypes {sorted(_ALL)}, got "
            f"{data.dtype}; pass dtype= to convert it"
        )
    array = _cast(owner.xp, data, data.dtype if dtype is None else as_dtype(dtype))
    if owner is not target:
        array = target.from_host(owner.to_host(array))
    return _finish(array, target, requires_grad)


def _read(xp, data, dtype):
    """Read Python data (nested lists, numbers) or another library's array into ``xp``.

    Returns the array and ``dtype``, which for Python data defaults to PyTorch's choice:
    float32 if any value is a float, int64 for ints, the array's own (bool) otherwise.
    NumPy goes by values rather than types, and agrees but for an int beyond int64's
    range, which it reads as uint64, as an object, or beside a negative int as a float
    (all ints, yet no float among them). Then the values are looked at one by one, so
    that such an int is refused (or read as a float where the dtype asks for one)
    rather than wrapped around.
    """
    try:
        array = xp.asarray(data)
    except ValueError as err:  # nested lists of unequal lengths
        raise ValueError(
            "tensor: expected nested sequences of equal lengths (a regular shape), got data "
            f"NumPy cannot read as an array: {err}"
        ) from None
    if hasattr(data, "dtype"):  # a NumPy scalar, another library's array: it has its dtype
        return array, dtype
    kind = array.dtype.kind
    if kind in "uO" or kind == "f" and array.size and not _holds_float(data):
        objects = xp.asarray(data, dtype=object)
        values = list(objects.flat)
        if all(isinstance(v, numbers.Real) for v in values):  # else refused as objects
            floats = not all(isinstance(v, numbers.Integral) for v in values)
            dtype = as_dtype(dtype) if dtype is not None else float32 if floats else int64
            if dtype.kind == "i":
                _check_fits("tensor", xp, dtype, values)
            try:
                return objects.astype(dtype), dtype
            except OverflowError:  # an int beyond even float64's range
                raise OverflowError(f"tensor: expected values within {dtype}'s range, got "
                                    f"{max(values, key=abs)}") from None
    if dtype is None and kind in "fiu":
        dtype = float32 if kind == "f" else int64
    return array, dtype


def _holds_float(data):
    """Whether nested sequences ``data`` hold anything but ints; the first float ends the walk."""
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, (list, tuple)):
            stack.extend(item)
        elif not isinstance(item, numbers.Integral):
            return True
    return False


def _cast(xp, array, dtype):
    """A copy of ``array`` as ``dtype``, refusing values that an int dtype would wrap around.

    Always a copy: the caller's array must not be shared, nor another library's (a
    PyTorch tensor), whose memory ``asarray`` shares.
    """
    if dtype.kind == "i" and array.dtype != dtype and not xp.can_cast(array.dtype, dtype):
        if array.size:  # an empty array has no extremes, and nothing to wrap
            _check_fits("tensor", xp, dtype, (array.min().item(), array.max().item()))
    return array.astype(dtype)


def _check_fits(op, xp, dtype, values):
    """Raise OverflowError unless each of ``values`` fits the integer ``dtype``.

    Floats are truncated towards zero on the way in, so anything strictly between
    ``min - 1`` and ``max + 1`` fits; NaN fits nowhere.
    """
    info = xp.iinfo(dtype)
    for value in values:
        # As a Python number, which compares exactly with ints of any size; NumPy's may not.
        number = int(value) if isinstance(value, numbers.Integral) else float(value)
        if not info.min - 1 < number < info.max + 1:
            raise OverflowError(f"{op}: expected values within {dtype}'s range "
                                f"[{info.min}, {info.max}], got {value}")


def _filled(size, value, dtype, backend, requires_grad, op):
    target = _backend(backend)
    array = target.xp.full(_size(size, op), value, dtype=as_dtype(dtype))
    return _finish(array, target, requires_grad)


def zeros(*size, dtype=float32, backend=None, requires_grad=False):
    """A tensor of zeros of the given size: ``mg.zeros(2, 3)`` or ``mg.zeros((2, 3))``.

    Parameters
    ----------
    *size : int or tuple of int
        The shape, as varargs (``2, 3``) or one tuple (``(2, 3)``).
    dtype : dtype
        Defaults to ``float32``.
    backend : str, optional
        Where the tensor lives; the default backend when omitted.
    requires_grad : bool
        Record operations on the result for backward (floating dtypes only).

    Returns
    -------
    Tensor

    Raises
    ------
    TypeError
        If a size is not a non-negative int, or the dtype is not one of minigrad's.
    """
    return _filled(size, 0, dtype, backend, requires_grad, "zeros")


def ones(*size, dtype=float32, backend=None, requires_grad=False):
    """A tensor of ones of the given size: ``mg.ones(2, 3)`` or ``mg.ones((2, 3))``.

    Parameters
    ----------
    *size : int or tuple of int
        The shape, as varargs (``2, 3``) or one tuple (``(2, 3)``).
    dtype : dtype
        Defaults to ``float32``.
    backend : str, optional
        Where the tensor lives; the default backend when omitted.
    requires_grad : bool
        Record operations on the result for backward (floating dtypes only).

    Returns
    -------
    Tensor

    Raises
    ------
    TypeError
        If a size is not a non-negative int, or the dtype is not one of minigrad's.
    """
    return _filled(size, 1, dtype, backend, requires_grad, "ones")


def full(shape, value, dtype=float32, backend=None, requires_grad=False):
    """A tensor of ``shape`` filled with ``value``.

    Parameters
    ----------
    shape : int or tuple of int
    value : number
        A real number or a bool, Python's or NumPy's.
    dtype : dtype
        Defaults to ``float32``.
    backend : str, optional
        Where the tensor lives; the default backend when omitted.
    requires_grad : bool
        Record operations on the result for backward (floating dtypes only).

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
    if dtype.kind == "i":
        _check_fits("full", _backend(backend).xp, dtype, (value,))
    shape = (shape,) if isinstance(shape, int) else shape
    return _filled((shape,), value, dtype, backend, requires_grad, "full")


def _like(t, value, dtype, backend, requires_grad, op):
    """``t``'s shape filled with ``value``, for ``op`` (``zeros_like``, ``ones_like``)."""
    _ops._tensor(t, op)
    return _filled((t.shape,), value, dtype or t.dtype, backend or t.backend, requires_grad, op)


def zeros_like(t, dtype=None, backend=None, requires_grad=False):
    """Zeros of ``t``'s shape, dtype and backend (unless given).

    Parameters
    ----------
    t : Tensor
        The tensor whose shape (and, by default, dtype and backend) to copy.
    dtype, backend, requires_grad
        As in :func:`zeros`; ``dtype`` and ``backend`` default to ``t``'s.

    Returns
    -------
    Tensor

    Raises
    ------
    TypeError
        If ``t`` is not a Tensor.
    """
    return _like(t, 0, dtype, backend, requires_grad, "zeros_like")


def ones_like(t, dtype=None, backend=None, requires_grad=False):
    """Ones of ``t``'s shape, dtype and backend (unless given).

    Parameters
    ----------
    t : Tensor
        The tensor whose shape (and, by default, dtype and backend) to copy.
    dtype, backend, requires_grad
        As in :func:`ones`; ``dtype`` and ``backend`` default to ``t``'s.

    Returns
    -------
    Tensor

    Raises
    ------
    TypeError
        If ``t`` is not a Tensor.
    """
    return _like(t, 1, dtype, backend, requires_grad, "ones_like")


def _random(draw, size, dtype, backend, requires_grad, op):
    dtype = as_dtype(dtype)
    if not is_floating(dtype):
        raise TypeError(f"{op}: expected a floating dtype, got {dtype}")
    target = _backend(backend)
    return _finish(getattr(target, draw)(_size(size, op), dtype), target, requires_grad)


def randn(*size, dtype=float32, backend=None, requires_grad=False):
    r"""Samples of the standard normal distribution :math:`\mathcal{N}(0, 1)`.

    Drawn by the backend's own generator, on its device; :func:`manual_seed` makes
    them repeatable.

    Parameters
    ----------
    *size : int or tuple of int
        The shape, as varargs (``2, 3``) or one tuple (``(2, 3)``).
    dtype : dtype
        Defaults to ``float32``; must be floating.
    backend : str, optional
        Where the tensor lives; the default backend when omitted.
    requires_grad : bool
        Record operations on the result for backward (floating dtypes only).

    Returns
    -------
    Tensor

    Raises
    ------
    TypeError
        If a size is not a non-negative int, or ``dtype`` is not floating.
    """
    return _random("randn", size, dtype, backend, requires_grad, "randn")


def rand(*size, dtype=float32, backend=None, requires_grad=False):
    """Samples of the uniform distribution on :math:`[0, 1)`.

    Drawn by the backend's own generator, on its device; :func:`manual_seed` makes
    them repeatable.

    Parameters
    ----------
    *size : int or tuple of int
        The shape, as varargs (``2, 3``) or one tuple (``(2, 3)``).
    dtype : dtype
        Defaults to ``float32``; must be floating.
    backend : str, optional
        Where the tensor lives; the default backend when omitted.
    requires_grad : bool
        Record operations on the result for backward (floating dtypes only).

    Returns
    -------
    Tensor

    Raises
    ------
    TypeError
        If a size is not a non-negative int, or ``dtype`` is not floating.
    """
    return _random("rand", size, dtype, backend, requires_grad, "rand")


def arange(start, stop=None, step=1, dtype=None, backend=None, requires_grad=False):
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
    backend : str, optional
        Where the tensor lives; the default backend when omitted.
    requires_grad : bool
        Record operations on the result for backward (floating dtypes only).

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
    target = _backend(backend)
    return _finish(target.xp.arange(start, stop, step, dtype=as_dtype(dtype)), target,
                   requires_grad)


def eye(n, m=None, dtype=float32, backend=None, requires_grad=False):
    """The ``n`` x ``m`` identity matrix (``m`` defaults to ``n``).

    Parameters
    ----------
    n : int
        Rows.
    m : int, optional
        Columns; ``n`` when omitted.
    dtype : dtype
        Defaults to ``float32``.
    backend : str, optional
        Where the tensor lives; the default backend when omitted.
    requires_grad : bool
        Record operations on the result for backward (floating dtypes only).

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
    target = _backend(backend)
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
