r"""Initialisation: functions that overwrite a tensor's values in place and return it.

They replace the tensor's array (``t.data = ...``) rather than writing into it, so
the object an optimiser holds stays the same, and nothing is recorded on the tape.
Random draws come from the tensor's own backend, seeded by :func:`minigrad.manual_seed`.
"""

import math

import minigrad as mg

from . import _checks as check

__all__ = ["constant_", "normal_", "orthogonal_", "uniform_", "xavier_uniform_", "zeros_"]


def _draw(kind, tensor, shape=None):
    """An array of ``shape`` (the tensor's own by default) of uniform or normal samples."""
    draw = mg.rand if kind == "uniform" else mg.randn
    return draw(shape or tensor.shape, dtype=tensor.dtype, backend=tensor.backend).data


def uniform_(tensor, a=0.0, b=1.0):
    r"""Fill ``tensor`` with samples of :math:`\mathcal{U}(a, b)`.

    Parameters
    ----------
    tensor : Tensor
        A floating tensor, usually a :class:`~minigrad.nn.Parameter`; its data is
        replaced, outside the graph.
    a, b : float
        The bounds.

    Returns
    -------
    Tensor
        ``tensor`` itself.

    Raises
    ------
    TypeError
        If ``tensor`` is not floating point, or a bound not a real number.
    ValueError
        If ``a > b``.
    """
    check.floating("uniform_", "tensor", tensor)
    a, b = check.real("uniform_", "a", a), check.real("uniform_", "b", b)
    if not a <= b:
        raise ValueError(f"uniform_: expected a <= b, got a={a}, b={b}")
    tensor.data = _draw("uniform", tensor) * (b - a) + a
    return tensor


def normal_(tensor, mean=0.0, std=1.0):
    r"""Fill ``tensor`` with samples of :math:`\mathcal{N}(\text{mean}, \text{std}^2)`.

    Parameters
    ----------
    tensor : Tensor
        A floating tensor, usually a :class:`~minigrad.nn.Parameter`; its data is
        replaced, outside the graph.
    mean, std : float

    Returns
    -------
    Tensor
        ``tensor`` itself.

    Raises
    ------
    TypeError
        If ``tensor`` is not floating point, or ``mean`` or ``std`` not a real number.
    ValueError
        If ``std < 0``.
    """
    check.floating("normal_", "tensor", tensor)
    mean, std = check.real("normal_", "mean", mean), check.real("normal_", "std", std)
    if not std >= 0:
        raise ValueError(f"normal_: expected std >= 0, got {std}")
    tensor.data = _draw("normal", tensor) * std + mean
    return tensor


def constant_(tensor, value):
    """Fill ``tensor`` with ``value``.

    Parameters
    ----------
    tensor : Tensor
        A floating tensor, usually a :class:`~minigrad.nn.Parameter`; its data is
        replaced, outside the graph.
    value : float

    Returns
    -------
    Tensor
        ``tensor`` itself.

    Raises
    ------
    TypeError
        If ``tensor`` is not floating point, or ``value`` not a real number.
    """
    check.floating("constant_", "tensor", tensor)
    value = check.real("constant_", "value", value)
    tensor.data = mg.full(tensor.shape, value, dtype=tensor.dtype, backend=tensor.backend).data
    return tensor


def zeros_(tensor):
    """Fill ``tensor`` with zeros.

    Parameters
    ----------
    tensor : Tensor
        A floating tensor, usually a :class:`~minigrad.nn.Parameter`; its data is
        replaced, outside the graph.

    Returns
    -------
    Tensor
        ``tensor`` itself.

    Raises
    ------
    TypeError
        If ``tensor`` is not floating point.
    """
    return constant_(tensor, 0.0)


def _fans(tensor, op):
    """Fan-in and fan-out of a weight ``(out, in, *receptive field)``."""
    if tensor.ndim < 2:
        raise ValueError(
            f"{op}: expected a tensor of at least 2 dimensions (out, in, ...), got shape "
            f"{tensor.shape}"
        )
    receptive = math.prod(tensor.shape[2:])
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive


def xavier_uniform_(tensor, gain=1.0):
    r"""Fill ``tensor`` with :math:`\mathcal{U}(-a, a)`, Glorot and Bengio's bound.

    .. math::
        a = \text{gain} \sqrt{\frac{6}{\text{fan\_in} + \text{fan\_out}}}

    Glorot and Bengio's choice: it keeps the variance of activations and of gradients
    roughly equal from layer to layer.

    Parameters
    ----------
    tensor : Tensor
        A floating tensor, usually a :class:`~minigrad.nn.Parameter`; its data is
        replaced, outside the graph.
    gain : float

    Returns
    -------
    Tensor
        ``tensor`` itself.

    Raises
    ------
    TypeError
        If ``tensor`` is not floating point, or ``gain`` not a real number.
    """
    check.floating("xavier_uniform_", "tensor", tensor)
    gain = check.real("xavier_uniform_", "gain", gain)
    fan_in, fan_out = _fans(tensor, "xavier_uniform_")
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -bound, bound)


def orthogonal_(tensor, gain=1.0):
    r"""Fill ``tensor`` with a (semi-)orthogonal matrix times ``gain``.

    The tensor is seen as a matrix ``(shape[0], rest)``; its rows (or columns, whichever
    are fewer) come out orthonormal. A recurrent weight initialised this way has all
    singular values equal to ``gain``, so it neither shrinks nor amplifies the state at
    the start of training.

    Parameters
    ----------
    tensor : Tensor
        A floating tensor, usually a :class:`~minigrad.nn.Parameter`; its data is
        replaced, outside the graph.
        At least 2-D; one without elements is returned unchanged.
    gain : float

    Returns
    -------
    Tensor
        ``tensor`` itself.

    Raises
    ------
    TypeError
        If ``tensor`` is not floating point, or ``gain`` not a real number.
    ValueError
        If ``tensor`` has fewer than 2 dimensions.
    """
    check.floating("orthogonal_", "tensor", tensor)
    gain = check.real("orthogonal_", "gain", gain)
    if tensor.ndim < 2:
        raise ValueError(f"orthogonal_: expected at least 2 dimensions, got shape {tensor.shape}")
    if tensor.numel() == 0:
        return tensor   # nothing to fill, as in PyTorch (and no rows to divide by below)
    rows = tensor.shape[0]
    cols = tensor.numel() // rows
    xp = mg.backends.get(tensor.backend).xp
    sample = _draw("normal", tensor, (max(rows, cols), min(rows, cols)))
    q, r = xp.linalg.qr(sample)
    # Fixing the signs of R's diagonal makes the factorisation unique, so that Q is
    # uniformly distributed over orthogonal matrices.
    q = q * xp.sign(xp.diagonal(r))
    if rows < cols:
        q = q.T
    tensor.data = (q * gain).reshape(tensor.shape).astype(tensor.dtype)
    return tensor
