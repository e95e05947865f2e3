"""Checks at the public boundary of the layers: each error says what was expected and what came.

``owner`` is the name that starts every message (``"LSTMCell"``, ``"Linear"``), so the
user sees at once which module refused the value.
"""

import numbers

import numpy

import minigrad as mg


def is_number(kind, value):
    """Whether ``value`` is a number of ``kind`` (a :mod:`numbers` ABC), NumPy's too, not bool."""
    return isinstance(value, kind) and not isinstance(value, bool)


def boolean(owner, name, value):
    """Return ``value`` as a bool if it is one (NumPy's too).

    Truthiness is not enough: a string or a number in a flag's place is almost always an
    argument given in the wrong position (``nn.RNN(3, 4, 2, "relu")`` sets ``bias``).
    """
    if not isinstance(value, (bool, numpy.bool_)):
        raise TypeError(
            f"{owner}: expected {name} to be a bool, got {value!r} ({type(value).__name__})"
        )
    return bool(value)


def real(owner, name, value):
    """Return ``value`` as a float if it is a real number (NumPy's too, not bool).

    A Python float mixes with float32 arrays without promoting them, a NumPy float64 would not.
    """
    if not is_number(numbers.Real, value):
        raise TypeError(
            f"{owner}: expected {name} to be a real number, got {value!r} "
            f"({type(value).__name__})"
        )
    return float(value)


def positive_int(owner, name, value):
    """Return ``value`` as an int if it is a positive integer, else raise naming the argument."""
    if not is_number(numbers.Integral, value) or value < 1:
        raise ValueError(f"{owner}: expected {name} to be a positive int, got {value!r}")
    return int(value)


def non_negative_int(owner, name, value):
    """Return ``value`` as an int if it is an integer ``>= 0``, else raise naming the argument."""
    if not is_number(numbers.Integral, value) or value < 0:
        raise ValueError(f"{owner}: expected {name} to be an int >= 0, got {value!r}")
    return int(value)


def probability(owner, name, value):
    """Return ``value`` as a float if it is a real number in ``[0, 1]``."""
    if not is_number(numbers.Real, value) or not 0 <= value <= 1:
        raise ValueError(f"{owner}: expected {name} to be a probability in [0, 1], got {value!r}")
    return float(value)


def dropout_probability(owner, name, value):
    """Return ``value`` as a float if it is a real number in ``[0, 1)``.

    A dropout whose kept units are scaled by :math:`1/(1-p)` has no scale at ``p = 1``,
    and a recurrence dropped whole carries nothing from one step to the next.
    """
    if not is_number(numbers.Real, value) or not 0 <= value < 1:
        raise ValueError(f"{owner}: expected {name} to be a probability in [0, 1), got "
                         f"{value!r} (0.0 turns it off)")
    return float(value)


def non_negative(owner, name, value):
    """Return ``value`` as a float if it is a real number ``>= 0`` (``inf`` included)."""
    if not is_number(numbers.Real, value) or not value >= 0:
        raise ValueError(f"{owner}: expected {name} >= 0, got {value!r}")
    return float(value)


def padding_index(owner, padding_idx, rows):
    """Return ``padding_idx`` (PyTorch's range, ``[-rows, rows)``) counted from 0, or ``None``.

    A negative index counts from the end, as in PyTorch, so ``-1`` is the last row.
    """
    if padding_idx is None:
        return None
    if not is_number(numbers.Integral, padding_idx) or not -rows <= padding_idx < rows:
        raise ValueError(
            f"{owner}: expected padding_idx to be None or an int in [{-rows}, {rows}) (a row "
            f"of the {rows}; negative counts from the end), got {padding_idx!r}"
        )
    return int(padding_idx) % rows


def tensor(owner, name, value):
    """Raise unless ``value`` is a Tensor."""
    if not isinstance(value, mg.Tensor):
        raise TypeError(f"{owner}: expected {name} to be a Tensor, got {type(value).__name__}")


def floating_dtype(owner, dtype):
    """Raise unless ``dtype`` is floating point, as parameters must be to carry gradients."""
    try:
        kind = numpy.dtype(dtype).kind
    except (TypeError, ValueError):   # not a dtype at all: refused below with the others
        kind = None
    if kind != "f":
        raise TypeError(
            f"{owner}: expected a floating-point dtype for the parameters (mg.float32 or "
            f"mg.float64), got {dtype}"
        )


def floating(owner, name, x):
    """Raise unless the Tensor ``x`` has a floating-point dtype."""
    tensor(owner, name, x)
    if x.dtype.kind != "f":
        raise TypeError(f"{owner}: expected floating-point {name}, got dtype {x.dtype}")


def dims(owner, x, allowed):
    """Raise unless ``x.ndim`` is one of ``allowed`` (a tuple of ints)."""
    if x.ndim not in allowed:
        expected = " or ".join(str(n) for n in allowed)
        raise ValueError(f"{owner}: expected input of {expected} dimensions, got {x.ndim}")


def features(owner, x, size, size_name):
    """Raise unless the last axis of ``x`` has ``size`` elements."""
    if x.ndim == 0 or x.shape[-1] != size:
        got = x.shape[-1] if x.ndim else "a scalar"
        raise ValueError(
            f"{owner}: expected input with {size} features ({size_name}) in its last axis, "
            f"got {got} (input shape {x.shape})"
        )


def dtype(owner, name, x, expected):
    """Raise unless ``x`` has the parameters' dtype (nothing is converted silently)."""
    if x.dtype != expected:
        raise TypeError(
            f"{owner}: expected {name} of dtype {expected} (the parameters' dtype), "
            f"got {x.dtype}; convert it with .to(mg.{expected})"
        )


def state(owner, names, value, shapes, expected_dtype):
    """Check a recurrent state and return it as a tuple of tensors, one per name in ``names``.

    A single-tensor state (``names == ("h",)``) is a Tensor; a state of several parts
    (``("h", "c")``) is a tuple of Tensors, part ``k`` of shape ``shapes[k]`` (an LSTM
    with a projection has an ``h`` narrower than its ``c``).
    """
    if len(names) == 1:
        value = (value,)
    elif not isinstance(value, (tuple, list)) or len(value) != len(names):
        raise TypeError(
            f"{owner}: expected the state as a tuple ({', '.join(names)}), "
            f"got {type(value).__name__}"
        )
    for name, part, shape in zip(names, value, shapes):
        tensor(owner, name, part)
        if part.shape != shape:
            raise ValueError(f"{owner}: expected {name} of shape {shape}, got {part.shape}")
        dtype(owner, name, part, expected_dtype)
    return tuple(value)


def index_range(owner, what, indices, stop):
    """Raise unless every element of the integer tensor ``indices`` lies in ``[0, stop)``.

    Checked here because CuPy wraps out-of-range indices around instead of raising.
    On a GPU the check waits for the indices to be computed: one synchronisation per
    call, before any time loop, in which the two bounds travel to the host together.
    """
    if indices.dtype.kind not in "iu":
        raise TypeError(f"{owner}: expected integer {what}, got dtype {indices.dtype}")
    if indices.size == 0:
        return
    low, high = mg.stack([indices.min(), indices.max()]).numpy().tolist()
    if low < 0 or high >= stop:
        raise IndexError(
            f"{owner}: expected {what} in [0, {stop}), got values from {low} to {high}"
        )
