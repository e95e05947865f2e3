r"""Initialisation: functions that overwrite a tensor's values in place and return it.

They replace the tensor's array (``t.data = ...``) rather than writing into it, so
the object an optimiser holds stays the same, and nothing is recorded on the tape.
Random draws come from the tensor's own backend, seeded by :func:`minigrad.manual_seed`.
"""

import math

import minigrad as mg

from . import _checks as check

__all__ = ["calculate_gain", "constant_", "kaiming_normal_", "kaiming_uniform_", "normal_",
           "orthogonal_", "uniform_", "xavier_normal_", "xavier_uniform_", "zeros_"]


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


def xavier_normal_(tensor, gain=1.0):
    r"""Fill ``tensor`` with :math:`\mathcal{N}(0, \sigma^2)`, Glorot and Bengio's variance.

    .. math::
        \sigma = \text{gain} \sqrt{\frac{2}{\text{fan\_in} + \text{fan\_out}}}

    The normal twin of :func:`xavier_uniform_` (same variance); arguments and errors
    as there.
    """
    check.floating("xavier_normal_", "tensor", tensor)
    gain = check.real("xavier_normal_", "gain", gain)
    fan_in, fan_out = _fans(tensor, "xavier_normal_")
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)))


_GAINS = {"linear": 1.0, "sigmoid": 1.0, "tanh": 5.0 / 3.0, "relu": math.sqrt(2.0)}


def calculate_gain(nonlinearity, param=None):
    r"""PyTorch's recommended gain for a nonlinearity: the factor that keeps variances steady.

    ``"linear"`` and ``"sigmoid"`` 1, ``"tanh"`` 5/3, ``"relu"`` :math:`\sqrt 2`,
    ``"leaky_relu"`` :math:`\sqrt{2 / (1 + a^2)}` with negative slope ``param``
    (0.01 when omitted).

    Raises
    ------
    ValueError
        If ``nonlinearity`` is none of these.
    """
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else check.real("calculate_gain", "param", param)
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity not in _GAINS:
        raise ValueError(f"calculate_gain: expected a nonlinearity in "
                         f"{sorted([*_GAINS, 'leaky_relu'])}, got {nonlinearity!r}")
    return _GAINS[nonlinearity]


def _kaiming_std(op, tensor, a, mode, nonlinearity):
    r"""He et al.'s :math:`\text{gain} / \sqrt{\text{fan}}`, the fan chosen by ``mode``."""
    check.floating(op, "tensor", tensor)
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"{op}: expected mode 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = _fans(tensor, op)
    fan = fan_in if mode == "fan_in" else fan_out
    return calculate_gain(nonlinearity, a) / math.sqrt(fan) if fan else 0.0


def kaiming_uniform_(tensor, a=0.0, mode="fan_in", nonlinearity="leaky_relu"):
    r"""Fill ``tensor`` with :math:`\mathcal{U}(-b, b)`, He et al.'s bound, as PyTorch's.

    .. math::
        b = \sqrt{3}\, \frac{\text{gain}}{\sqrt{\text{fan}}}

    with ``gain = calculate_gain(nonlinearity, a)`` and ``fan`` the fan-in or fan-out
    (``mode``). It keeps the variance of ReLU layers' activations steady.

    Raises
    ------
    TypeError
        If ``tensor`` is not floating point.
    ValueError
        If ``tensor`` has fewer than 2 dimensions, or ``mode`` or ``nonlinearity`` is
        unknown.
    """
    bound = math.sqrt(3.0) * _kaiming_std("kaiming_uniform_", tensor, a, mode, nonlinearity)
    return uniform_(tensor, -bound, bound)


def kaiming_normal_(tensor, a=0.0, mode="fan_in", nonlinearity="leaky_relu"):
    r"""Fill ``tensor`` with :math:`\mathcal{N}(0, \sigma^2)`, He et al.'s variance.

    .. math::
        \sigma = \frac{\text{gain}}{\sqrt{\text{fan}}}


    The normal twin of :func:`kaiming_uniform_`; arguments and errors as there.
    """
    return normal_(tensor, 0.0, _kaiming_std("kaiming_normal_", tensor, a, mode, nonlinearity))


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
