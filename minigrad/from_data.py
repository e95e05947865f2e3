"""Reading data into a tensor: ``mg.tensor`` and the helpers that read Python data
and other libraries' arrays, choose the dtype and refuse what would wrap around.

Kept apart from the other factories (``minigrad.factories`` re-exports
``tensor``), with the two steps that every factory shares, choosing the backend
(``_backend``) and wrapping the array as a leaf (``_finish``): the factories import
them, and ``_check_fits``, from here.
"""

import numbers

from minigrad import backends
from minigrad.dtypes import _ALL, as_dtype, float32, int64
from minigrad.tensor import Tensor

# Looked up before a dtype's name, which NumPy takes microseconds to build.
_DTYPES = frozenset(_ALL.values())


def _backend(backend, device=None, op="tensor"):
    """Where a factory puts its tensor: ``backend=``, or PyTorch's ``device=`` (one of them).

    Either takes a backend's name or a device string (``"cpu"``, ``"cuda"``); neither
    means the default backend.
    """
    backend = backends.backend_or_device(op, backend, device)
    return backends.get_default() if backend is None else backends.get(backend)


def _size(size, op):
    """Accept sizes as varargs (``2, 3``) or as one tuple or list (``(2, 3)``)."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    for n in size:
        if not isinstance(n, numbers.Integral) or isinstance(n, bool) or n < 0:
            raise TypeError(f"{op}: expected sizes that are non-negative ints, got {size!r}")
    return tuple(int(n) for n in size)  # NumPy integers (from x.shape arithmetic) too


def _finish(array, backend, requires_grad):
    t = Tensor(array, backend)
    if requires_grad:
        t.requires_grad_()
    return t


def tensor(data, dtype=None, backend=None, requires_grad=False, *, device=None):
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
    device : str, optional
        PyTorch's name for ``backend`` (``"cpu"``, ``"cuda"``); pass one of the two.
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
    if backend is None and device is None and on_device:
        backend = owner
    target = _backend(backend, device)
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
