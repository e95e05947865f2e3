r"""Stateless functions of the layers and losses (also importable as ``nn.F``).

Each is a composite of minigrad primitives: its backward comes from its parts.
Losses take a ``reduction`` of ``"mean"``, ``"sum"`` or ``"none"``, as in PyTorch.
"""

import numbers

import minigrad as mg

from . import _checks as check

__all__ = [
    "binary_cross_entropy_with_logits", "cross_entropy", "dropout", "linear", "log_softmax",
    "mse_loss", "relu", "sigmoid", "softmax", "softplus", "tanh",
]

tanh = mg.tanh
sigmoid = mg.sigmoid
relu = mg.relu
softmax = mg.softmax
log_softmax = mg.log_softmax

_REDUCTIONS = ("mean", "sum", "none")


def linear(x, weight, bias=None):
    r""":math:`y = x W^\top + b` over the last axis of ``x``.

    Parameters
    ----------
    x : Tensor
        Shape ``(..., in_features)``.
    weight : Tensor
        Shape ``(out_features, in_features)``.
    bias : Tensor, optional
        Shape ``(out_features,)``; for a 2-D ``x`` also ``(N, out_features)``, one row
        per row of ``x`` (see :func:`minigrad.linear`).

    Returns
    -------
    Tensor
        Shape ``(..., out_features)``.

    Raises
    ------
    TypeError
        If ``x``, ``weight`` or ``bias`` is not a Tensor.
    ValueError
        If ``x`` is a scalar, the feature sizes differ, or ``bias`` has another shape
        (an ``(N, out_features)`` one with an ``x`` that is not 2-D).
    """
    # Every recurrent step comes here with a 2-D x, so that case goes first and adds no
    # check to the time loop: mg.linear checks its operands itself.
    if getattr(x, "ndim", None) == 2:
        return mg.linear(x, weight, bias)
    check.tensor("linear", "x", x)
    if x.ndim == 0:
        raise ValueError("linear: expected x of shape (..., in_features), got a scalar")
    if bias is not None:
        check.tensor("linear", "bias", bias)
        # Checked before the folding below, which would let a bias of the folded rows through.
        if bias.ndim != 1:
            raise ValueError(
                f"linear: expected a bias of shape (out_features,) for x of shape {x.shape} "
                f"(an (N, out_features) one is for a 2-D x only), got {bias.shape}"
            )
    # Leading axes fold into one (a lone vector becomes one row), so a single 2-D
    # product does all the work and its weight gradient is one product too.
    y = mg.linear(x.reshape(-1, x.shape[-1]), weight, bias)
    return y.reshape(x.shape[:-1] + (weight.shape[0],))


def softplus(x):
    r""":math:`\log(1 + e^x)`, computed as :math:`\operatorname{logsumexp}(0, x)`.

    logsumexp never overflows, and unlike the form :math:`\max(x, 0) + \log(1 + e^{-|x|})`
    its composite gradient is right at :math:`x = 0` too, where it is :math:`\sigma(0) = 1/2`.

    Parameters
    ----------
    x : Tensor

    Returns
    -------
    Tensor
        Of ``x``'s shape; its derivative is :math:`\sigma(x)`.
    """
    return mg.stack([mg.zeros_like(x), x], axis=-1).logsumexp(axis=-1)


def dropout(x, p=0.5, training=True):
    r"""Inverted dropout: zero elements with probability ``p``, scale the rest by :math:`1/(1-p)`.

    The scaling keeps the expected value of every element unchanged, so evaluation
    (``training=False``) is the identity and needs no rescaling.

    Parameters
    ----------
    x : Tensor
    p : float
        The probability of zeroing an element, in ``[0, 1)``.
    training : bool
        Apply dropout; when false, return ``x`` unchanged.

    Returns
    -------
    Tensor
        Of ``x``'s shape. The mask is drawn from the backend's generator
        (:func:`minigrad.manual_seed`).

    Raises
    ------
    TypeError
        If ``x`` is not a floating-point Tensor, or ``training`` not a bool.
    ValueError
        If ``p`` is not a probability.
    """
    check.floating("dropout", "x", x)
    p = check.probability("dropout", "p", p)
    training = check.boolean("dropout", "training", training)
    if not training or p == 0:
        return x
    keep = mg.rand(x.shape, dtype=x.dtype, backend=x.backend) >= p
    scale = 0.0 if p == 1 else 1.0 / (1.0 - p)
    return x * (keep.to(x.dtype) * scale)


def _reduce(losses, reduction):
    if reduction == "none":
        return losses
    return losses.sum() if reduction == "sum" else losses.mean()


def _reduction(op, reduction):
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{op}: expected reduction in {_REDUCTIONS}, got {reduction!r}")


def _same_shape(op, prediction, target):
    check.tensor(op, "input", prediction)
    check.tensor(op, "target", target)
    if prediction.shape != target.shape:
        raise ValueError(
            f"{op}: expected input and target of one shape, got {prediction.shape} and "
            f"{target.shape}"
        )


def _floating_pair(op, input, target):
    """Return ``input`` and ``target``, an integer or boolean one cast to the other's dtype.

    This is PyTorch's promotion: float32 with int64 stays float32, where NumPy's rules
    would give float64. Two floating dtypes promote as usual.
    """
    floating = [t.dtype for t in (input, target) if t.dtype.kind == "f"]
    if not floating:
        raise TypeError(f"{op}: expected a floating-point input or target, got dtypes "
                        f"{input.dtype} and {target.dtype}")
    return [t if t.dtype.kind == "f" else t.to(floating[0]) for t in (input, target)]


def mse_loss(input, target, reduction="mean"):
    r"""Mean squared error, :math:`\ell_n = (x_n - y_n)^2`, reduced by ``reduction``.

    Parameters
    ----------
    input : Tensor
        Predictions :math:`x`.
    target : Tensor
        :math:`y`, of ``input``'s shape. If one of the two is integer or boolean, it is
        cast to the other's floating dtype, as in PyTorch.
    reduction : {"mean", "sum", "none"}
        Average the per-element losses, add them, or return them unreduced.

    Returns
    -------
    Tensor
        A scalar, or ``input``'s shape with ``reduction="none"``; of the floating dtype
        of the two (the wider one when both are floating).

    Raises
    ------
    TypeError
        If neither ``input`` nor ``target`` is floating point.
    """
    _reduction("mse_loss", reduction)
    _same_shape("mse_loss", input, target)
    input, target = _floating_pair("mse_loss", input, target)
    difference = input - target
    return _reduce(difference * difference, reduction)


def binary_cross_entropy_with_logits(logits, targets, reduction="mean"):
    r"""Binary cross-entropy of :math:`\sigma(x)` against targets :math:`y \in [0, 1]`.

    .. math::
        \ell_n = -y_n \log\sigma(x_n) - (1 - y_n)\log(1 - \sigma(x_n))
               = y_n \operatorname{softplus}(-x_n) + (1 - y_n) \operatorname{softplus}(x_n)

    The right-hand form never takes the log of a probability that has rounded to 0,
    so it stays finite for finite logits of any size. It is one node
    (:class:`~minigrad.ops.elementwise.SigmoidCrossEntropy`), whose gradient
    :math:`\sigma(x_n) - y_n` is finite for infinite logits too: 0 where the logit is
    infinite on its target's side, as in PyTorch, and the loss there is 0 (PyTorch's is
    NaN).

    Parameters
    ----------
    logits : Tensor
        :math:`x`, any shape.
    targets : Tensor
        :math:`y`, of ``logits``' shape, floating.
    reduction : {"mean", "sum", "none"}
        Average the per-element losses, add them, or return them unreduced.

    Returns
    -------
    Tensor
        A scalar, or ``logits``' shape with ``reduction="none"``.

    Raises
    ------
    TypeError
        If ``logits`` or ``targets`` is not floating point (PyTorch refuses integer
        targets too).
    ValueError
        If their shapes differ.
    """
    _reduction("binary_cross_entropy_with_logits", reduction)
    # Both floating, as in PyTorch: NumPy would promote float32 logits with int64 targets
    # to a float64 loss.
    check.floating("binary_cross_entropy_with_logits", "logits", logits)
    check.floating("binary_cross_entropy_with_logits", "targets", targets)
    _same_shape("binary_cross_entropy_with_logits", logits, targets)
    return _reduce(mg.ops.sigmoid_cross_entropy(logits, targets), reduction)


def _class_indices(targets, logits, ignore_index):
    """Check ``targets`` and return it with ignored entries replaced by class 0."""
    check.tensor("cross_entropy", "targets", targets)
    if ignore_index is not None and not check.is_number(numbers.Integral, ignore_index):
        raise TypeError(f"cross_entropy: expected ignore_index to be an int or None, got "
                        f"{ignore_index!r} ({type(ignore_index).__name__})")
    if targets.shape != logits.shape[:1]:
        raise ValueError(
            f"cross_entropy: expected targets of shape {logits.shape[:1]} for logits of shape "
            f"{logits.shape}, got {targets.shape}"
        )
    if ignore_index is not None:
        # Any valid class will do at an ignored position: its loss is replaced by 0 afterwards.
        targets = mg.where(targets != ignore_index, targets, 0)
    check.index_range("cross_entropy", "target classes", targets, logits.shape[1])
    return targets


def cross_entropy(logits, targets, ignore_index=None, reduction="mean"):
    r"""Cross-entropy of class scores against class indices, through a stable log-softmax.

    .. math::
        \ell_n = -\log \frac{e^{x_{n, y_n}}}{\sum_c e^{x_{n, c}}}
               = -\operatorname{log\_softmax}(x_n)_{y_n}

    Parameters
    ----------
    logits : Tensor
        Unnormalised scores, shape ``(N, C)``.
    targets : Tensor
        Integer classes in ``[0, C)``, shape ``(N,)``.
    ignore_index : int, optional
        Targets equal to it contribute no loss and no gradient, whatever their row of
        logits holds (even ``-inf``); ``"mean"`` then divides by the number of the other
        targets (``nan`` when there are none), as in PyTorch.
    reduction : {"mean", "sum", "none"}
        ``"none"`` returns the ``(N,)`` losses, 0 at ignored positions.

    Returns
    -------
    Tensor
        A scalar, or ``(N,)`` with ``reduction="none"``; of the dtype of ``logits``.

    Raises
    ------
    TypeError
        If ``logits`` is not floating point, ``targets`` not integer, or ``ignore_index``
        not an int.
    ValueError, IndexError
        If the shapes do not fit, or a target (other than ``ignore_index``) is not a class.
    """
    _reduction("cross_entropy", reduction)
    check.floating("cross_entropy", "logits", logits)
    if logits.ndim != 2:
        raise ValueError(f"cross_entropy: expected logits of shape (N, C), got {logits.shape}")
    indices = _class_indices(targets, logits, ignore_index)
    rows = mg.arange(logits.shape[0], backend=logits.backend)
    losses = -logits.log_softmax(axis=1)[rows, indices]
    if ignore_index is None:
        return _reduce(losses, reduction)
    kept = targets != ignore_index
    # Selected, not multiplied by a 0/1 mask: an ignored row's loss may be inf (its class-0
    # logit -inf), and inf * 0 is nan. where sends no gradient to the rows it leaves out.
    losses = mg.where(kept, losses, 0.0)
    if reduction == "mean":
        return losses.sum() / kept.to(logits.dtype).sum()
    return _reduce(losses, reduction)
