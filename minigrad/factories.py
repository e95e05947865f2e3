"""Functions that create tensors: from data, constant-filled, random, ranges."""

import numbers

from minigrad import backends
from minigrad.dtypes import as_dtype, float32, int64, is_floating
from minigrad.tensor import Tensor


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
        Defaults to the array's own dtype for arrays; for Python data, ``float32``
        for floats, ``int64`` for integers and ``bool`` for booleans.
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
        strings, complex numbers), whether a list or an array, if the dtype
        is not one of minigrad's, or if ``requires_grad`` is asked of a
        non-floating dtype.

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
    if owner is target:
        array = data.copy()
    elif owner is not None:
        array = target.from_host(owner.to_host(data)).copy()
    else:
        # Copied: asarray shares the memory of another library's array (a PyTorch tensor), and
        # numpy.array would trust that array's __array__ to honour copy=True.
        array = target.xp.asarray(data).copy()
        if dtype is None and not hasattr(data, "dtype"):
            kind = array.dtype.kind
            dtype = float32 if kind == "f" else int64 if kind in "iu" else None
    if array.dtype.kind not in "fiub":   # NumPy arrays too can hold objects or strings
        raise TypeError(
            f"tensor: expected real numbers or booleans, got data of dtype {array.dtype}"
        )
    if dtype is not None:
        array = array.astype(as_dtype(dtype), copy=False)
    return _finish(array, target, requires_grad)


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
    shape = (shape,) if isinstance(shape, int) else shape
    return _filled((shape,), value, dtype, backend, requires_grad, "full")


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
    """
    return _filled((t.shape,), 0, dtype or t.dtype, backend or t.backend, requires_grad,
                   "zeros_like")


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
    """
    return _filled((t.shape,), 1, dtype or t.dtype, backend or t.backend, requires_grad,
                   "ones_like")


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
    """
    if stop is None:
        start, stop = 0, start
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
    """
    target = _backend(backend)
    return _finish(target.xp.eye(n, m, dtype=as_dtype(dtype)), target, requires_grad)


def manual_seed(seed):
    """Seed the random generators of every backend, for reproducible draws and inits.

    Backends built later (CuPy on first use) are seeded too.

    Parameters
    ----------
    seed : int
        A non-negative integer.

    Raises
    ------
    ValueError
        If ``seed`` is not a non-negative int.
    """
    if not isinstance(seed, int) or seed < 0:
        raise ValueError(f"manual_seed: expected a non-negative int, got {seed!r}")
    backends.seed_all(seed)
