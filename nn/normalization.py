r"""Layer normalisation: each sample's features rescaled to mean 0 and variance 1, then learned.

.. math::
    y = \frac{x - \operatorname{E}[x]}{\sqrt{\operatorname{Var}[x] + \epsilon}}
        \odot \gamma + \beta

where the mean and the (biased) variance run over the last ``len(normalized_shape)`` axes
of each sample, as in PyTorch's ``LayerNorm``. Unlike batch normalisation it holds no
running statistics, so training and evaluation compute the same thing, and each time
step of a recurrent layer can be normalised on its own.
"""

import numbers

import minigrad as mg

from . import _checks as check
from . import init
from .module import Module, Parameter

__all__ = ["LayerNorm", "layer_norm"]


def _normalized_shape(owner, normalized_shape):
    """``normalized_shape`` as a tuple of ints: one int, or a non-empty sequence of them."""
    shape = (normalized_shape,) if check.is_number(numbers.Integral, normalized_shape) \
        else normalized_shape
    if (not isinstance(shape, (tuple, list)) or not shape
            or not all(check.is_number(numbers.Integral, n) and n >= 0 for n in shape)):
        raise TypeError(
            f"{owner}: expected normalized_shape to be an int or a non-empty tuple of ints "
            f"(the trailing axes to normalise, e.g. hidden_size), got {normalized_shape!r}"
        )
    return tuple(int(n) for n in shape)


def _check_affine(name, value, shape, dtype):
    if value is None:
        return
    check.tensor("layer_norm", name, value)
    if value.shape != shape:
        raise ValueError(f"layer_norm: expected {name} of shape {shape} (normalized_shape), "
                         f"got {value.shape}")
    check.dtype("layer_norm", name, value, dtype)


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    r"""Normalise ``input`` over its last ``len(normalized_shape)`` axes, as PyTorch's.

    .. math::
        y = \frac{x - \mu}{\sqrt{\sigma^2 + \epsilon}} \odot w + b, \qquad
        \mu = \frac{1}{n}\sum_k x_k, \quad \sigma^2 = \frac{1}{n}\sum_k (x_k - \mu)^2

    over the :math:`n` elements of each sample's trailing block. Composite: its backward
    comes from its parts (a mean, a square, a square root and a division).

    Parameters
    ----------
    input : Tensor
        Floating, of shape ``(*, *normalized_shape)``.
    normalized_shape : int or tuple of int
        The trailing shape to normalise over.
    weight, bias : Tensor, optional
        :math:`w` and :math:`b`, of shape ``normalized_shape`` (1 and 0 when omitted).
    eps : float
        Added to the variance before its square root, so a constant sample gives 0.

    Returns
    -------
    Tensor
        Of ``input``'s shape.

    Raises
    ------
    TypeError
        If ``input``, ``weight`` or ``bias`` is not a Tensor of the input's floating
        dtype, or ``normalized_shape`` not an int or a tuple of ints.
    ValueError
        If the trailing shape of ``input``, or the shape of ``weight`` or ``bias``, is not
        ``normalized_shape``, or ``eps`` is negative.

    Examples
    --------
    >>> from minigrad import nn
    >>> y = nn.F.layer_norm(mg.tensor([[1.0, 2.0, 3.0], [2.0, 2.0, 2.0]]), 3)
    >>> y.numpy().round(4)
    array([[-1.2247,  0.    ,  1.2247],
           [ 0.    ,  0.    ,  0.    ]], dtype=float32)
    """
    shape = _normalized_shape("layer_norm", normalized_shape)
    check.floating("layer_norm", "input", input)
    eps = check.non_negative("layer_norm", "eps", eps)
    if input.ndim < len(shape) or input.shape[input.ndim - len(shape):] != shape:
        raise ValueError(
            f"layer_norm: expected input of shape (*, {', '.join(map(str, shape))}) "
            f"(normalized_shape={shape} last), got {input.shape}"
        )
    _check_affine("weight", weight, shape, input.dtype)
    _check_affine("bias", bias, shape, input.dtype)
    axes = tuple(range(-len(shape), 0))
    centred = input - input.mean(axis=axes, keepdims=True)
    # The biased variance (divided by n, not n - 1), as PyTorch normalises with.
    variance = (centred * centred).mean(axis=axes, keepdims=True)
    y = centred / (variance + eps).sqrt()
    if weight is not None:
        y = y * weight
    return y if bias is None else y + bias


class LayerNorm(Module):
    r"""Layer normalisation over the trailing ``normalized_shape``, with a learned scale and shift.

    .. math::
        y = \frac{x - \operatorname{E}[x]}{\sqrt{\operatorname{Var}[x] + \epsilon}}
            \odot \gamma + \beta

    See :func:`~minigrad.nn.functional.layer_norm`.

    Parameters
    ----------
    normalized_shape : int or tuple of int
        The trailing shape of the inputs to normalise over (e.g. ``hidden_size``).
    eps : float
        Added to the variance for stability.
    elementwise_affine : bool
        Learn :math:`\gamma` and :math:`\beta` (``weight`` and ``bias``); without them
        both are ``None``.
    bias : bool
        Learn :math:`\beta` (with ``elementwise_affine``).
    dtype, backend
        Of the parameters.

    Attributes
    ----------
    weight : Parameter or None
        :math:`\gamma`, of shape ``normalized_shape``, initialised to ones.
    bias : Parameter or None
        :math:`\beta`, of shape ``normalized_shape``, initialised to zeros.

    Examples
    --------
    >>> from minigrad import nn
    >>> norm = nn.LayerNorm(8)
    >>> h = norm(mg.randn(5, 2, 8) * 10 + 3)             # each h[t, b] normalised alone
    >>> bool(abs(h.mean(axis=-1)).max() < 1e-5), norm
    (True, LayerNorm((8,), eps=1e-05, elementwise_affine=True, bias=True))
    """

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True, *,
                 dtype=mg.float32, backend=None, device=None):
        super().__init__()
        backend = mg.backends.backend_or_device("LayerNorm", backend, device)
        self.normalized_shape = _normalized_shape("LayerNorm", normalized_shape)
        self.eps = check.non_negative("LayerNorm", "eps", eps)
        self.elementwise_affine = check.boolean("LayerNorm", "elementwise_affine",
                                                elementwise_affine)
        bias = check.boolean("LayerNorm", "bias", bias)
        check.floating_dtype("LayerNorm", dtype)
        def affine(wanted):
            return (Parameter(mg.zeros(self.normalized_shape, dtype=dtype, backend=backend))
                    if self.elementwise_affine and wanted else None)

        self.weight, self.bias = affine(True), affine(bias)
        self.reset_parameters()

    def reset_parameters(self):
        r"""Set :math:`\gamma` to ones and :math:`\beta` to zeros."""
        if self.weight is not None:
            init.constant_(self.weight, 1.0)
        if self.bias is not None:
            init.zeros_(self.bias)

    def forward(self, input):
        if self.weight is not None:
            check.floating("LayerNorm", "input", input)
            check.dtype("LayerNorm", "input", input, self.weight.dtype)
        return layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}")
