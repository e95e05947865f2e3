"""Integer draws: ``randint`` and ``multinomial``, from each backend's uniform generator.

They draw through the backend's ``rand`` (on its device, seeded by
:func:`~minigrad.manual_seed`), so the values differ from PyTorch's for one seed.
"""

import numbers

from minigrad.from_data import _backend, _finish, _size
from minigrad.dtypes import as_dtype, float64, int64
from minigrad.tensor import Tensor

__all__ = ["multinomial", "randint"]


def randint(low, high=None, size=None, dtype=int64, backend=None, *, device=None):
    """Integers drawn uniformly from ``[low, high)``, as PyTorch's ``randint``.

    ``randint(high, size)`` draws from ``[0, high)``.

    Parameters
    ----------
    low, high : int
    size : tuple of int
        The shape.
    dtype : dtype
        Defaults to ``int64``.
    backend, device : str, optional
        As for :func:`~minigrad.zeros`.

    Returns
    -------
    Tensor
        Not differentiable: draws carry no gradient.

    Raises
    ------
    TypeError
        If a bound is not an int or ``size`` is not given as a tuple.
    ValueError
        If ``low >= high``.
    """
    if size is None and isinstance(high, (tuple, list)):  # randint(high, size), PyTorch's
        low, high, size = 0, low, high
    elif high is None:  # randint(high, size=size)
        low, high = 0, low
    if not all(isinstance(v, numbers.Integral) for v in (low, high)):
        raise TypeError(f"randint: expected int bounds, got low={low!r}, high={high!r}")
    if not isinstance(size, (tuple, list)):
        raise TypeError(f"randint: expected size as a tuple, got {size!r}; "
                        f"write mg.randint(low, high, (n,))")
    if low >= high:
        raise ValueError(f"randint: expected low < high, got low={low}, high={high}")
    target = _backend(backend, device, "randint")
    xp = target.xp
    draws = target.rand(_size((size,), "randint"), float64)
    values = xp.floor(draws * (int(high) - int(low))) + int(low)
    return _finish(values.astype(as_dtype(dtype)), target, False)


def multinomial(input, num_samples, replacement=False):  # noqa: A002 (PyTorch's name)
    r"""Indices drawn by the weights in each row of ``input``, as PyTorch's ``multinomial``.

    Each row's weights are non-negative and need not sum to 1. Without replacement
    each index is drawn at most once (Gumbel-top-k: the ``num_samples`` largest of
    :math:`\log w_i - \log(-\log u_i)`); with replacement every draw inverts the row's
    cumulative distribution.

    Parameters
    ----------
    input : Tensor
        ``(C,)`` or ``(N, C)`` weights.
    num_samples : int
    replacement : bool

    Returns
    -------
    Tensor
        ``int64`` indices, ``(num_samples,)`` or ``(N, num_samples)``, on ``input``'s backend.

    Raises
    ------
    ValueError
        If a weight is negative or not finite, a row sums to 0, or more samples than
        categories are asked for without replacement.
    """
    if not isinstance(input, Tensor) or input.ndim not in (1, 2):
        raise TypeError(f"multinomial: expected a 1-D or 2-D Tensor of weights, got {input!r}")
    if not isinstance(num_samples, numbers.Integral) or num_samples <= 0:
        raise ValueError(f"multinomial: expected a positive number of samples, "
                         f"got {num_samples!r}")
    xp, target = input._backend.xp, input._backend
    weights = input.data.reshape(-1, input.shape[-1]).astype(float64)
    if not bool(xp.all(xp.isfinite(weights) & (weights >= 0))) or bool(
            xp.any(weights.sum(axis=1) == 0)):
        raise ValueError("multinomial: expected finite, non-negative weights with a positive "
                         "sum in every row")
    rows, classes = weights.shape
    if replacement:
        cdf = xp.cumsum(weights, axis=1)
        u = target.rand((rows, num_samples), float64) * cdf[:, -1:]
        picks = (u[:, :, None] >= cdf[:, None, :]).sum(axis=2)
        picks = xp.minimum(picks, classes - 1)  # rounding at the top of the last bin
    else:
        if num_samples > classes:
            raise ValueError(f"multinomial: cannot draw {num_samples} samples from {classes} "
                             f"categories without replacement; pass replacement=True")
        gumbel = -xp.log(-xp.log(target.rand((rows, classes), float64)))
        with_noise = xp.where(weights > 0, xp.log(xp.maximum(weights, 1e-300)) + gumbel, -xp.inf)
        picks = xp.argsort(-with_noise, axis=1)[:, :num_samples]
    picks = picks.astype(int64)
    return Tensor(picks if input.ndim == 2 else picks[0], target)
