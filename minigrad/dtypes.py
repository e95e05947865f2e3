"""Data types: NumPy's dtype objects, which CuPy shares.

NumPy is imported here for its dtype objects only; no array maths happens here.
"""

import numpy

float32 = numpy.dtype("float32")
float64 = numpy.dtype("float64")
int32 = numpy.dtype("int32")
int64 = numpy.dtype("int64")
bool_ = numpy.dtype("bool")

_ALL = {d.name: d for d in (float32, float64, int32, int64, bool_)}


def as_dtype(dtype):
    """Return the minigrad dtype that ``dtype`` names (a dtype, its name, or a NumPy type).

    ``None`` means the default, ``float32`` (NumPy alone would read it as float64).

    Raises
    ------
    TypeError
        If ``dtype`` is none of ``float32, float64, int32, int64, bool``.
    """
    if dtype is None:
        return float32
    try:
        found = _ALL.get(numpy.dtype(dtype).name)
    except TypeError:
        found = None
    if found is None:
        raise TypeError(f"dtype: expected one of {sorted(_ALL)}, got {dtype!r}")
    return found


def is_floating(dtype):
    """Return whether ``dtype`` is a floating-point type (one that can carry gradients)."""
    return dtype.kind == "f"
