r"""Stateless functions of the layers and losses (also importable as ``nn.F``).

Each is a composite of minigrad primitives: its backward comes from its parts.
Losses take a ``reduction`` of ``"mean"``, ``"sum"`` or ``"none"``, as in PyTorch.
"""

import numbers

import minigrad as mg

from . import _checks as check
from .normalization import layer_norm

__all__ = [
    "binary_cross_entropy", "binary_cross_entropy_with_logits", "cross_entropy", "dropout",
    "embedding", "l1_loss", "layer_norm", "linear", "log_softmax", "mse_loss", "nll_loss", "relu",
    "sigmoid", "softmax", "softplus", "tanh",
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


def embedding(input, weight, padding_idx=None):
    r"""Look up the rows of ``weight`` at the integer ``input``: ``weight[input]``.

    Parameters
    ----------
    input : Tensor
        Integer indices in ``[0, num_embeddings)``, any shape.
    weight : Tensor
        The table, ``(num_embeddings, embedding_dim)``.
    padding_idx : int, optional
        A row that receives no gradient (its lookups still return its values), as in
        PyTorch; negative counts from the end.

    Returns
    -------
    Tensor
        Shape ``input.shape + (embedding_dim,)``.

    Raises
    ------
    TypeError, ValueError, IndexError
        If ``input`` is not integer, ``weight`` not 2-D, ``padding_idx`` not a row, or
        an index out of range.
    """
    check.tensor("embedding", "weight", weight)
    check.tensor("embedding", "input", input)
    if weight.ndim != 2:
        raise ValueError(f"embedding: expected a weight of shape (num_embeddings, "
                         f"embedding_dim), got {weight.shape}")
    padding_idx = check.padding_index("embedding", padding_idx, weight.shape[0])
    check.index_range("embedding", "input", input, weight.shape[0])
    return _lookup(input, weight, padding_idx)


def _lookup(indices, weight, padding_idx):
    """``weight[indices]``, the ``padding_idx`` row (already counted from 0) cut from the tape."""
    rows = weight[indices]
    if padding_idx is None:
        return rows
    # The padding positions take the same values from a detached copy, so the gradient
    # they would scatter into the padding row goes nowhere.
    return mg.where((indices == padding_idx).reshape(indices.shape + (1,)), rows.detach(), rows)


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
    return x * dropout_mask(x.shape, p, x)


def dropout_mask(shape, p, like):
    r"""The mask inverted dropout multiplies by: :math:`1/(1-p)` where a unit is kept, else 0.

    Each unit is kept with probability :math:`1 - p`, drawn from the backend's generator,
    so the mask's expectation is 1. :func:`dropout` draws one per call; the recurrent
    layers draw one per sequence and keep it for every step.

    Parameters
    ----------
    shape : tuple of int
    p : float
        The probability of dropping a unit, in ``[0, 1]`` (checked by the caller).
    like : Tensor
        Whose dtype and backend the mask takes.

    Returns
    -------
    Tensor
        Of ``shape``; it needs no gradient.

    Examples
    --------
    >>> from minigrad import nn
    >>> mask = nn.F.dropout_mask((2, 1000), 0.5, mg.zeros(1))
    >>> sorted(set(mask.numpy().ravel().tolist()))
    [0.0, 2.0]
    >>> bool(abs(mask.numpy().mean() - 1) < 0.05)
    True
    """
    keep = mg.rand(shape, dtype=like.dtype, backend=like.backend) >= p
    scale = 0.0 if p == 1 else 1.0 / (1.0 - p)
    return keep.to(like.dtype) * scale


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


def l1_loss(input, target, reduction="mean"):
    r"""Mean absolute error, :math:`\ell_n = |x_n - y_n|`, reduced by ``reduction``.

    Arguments, dtypes and errors as :func:`mse_loss`; the gradient at :math:`x_n = y_n`
    is 0, as in PyTorch.
    """
    _reduction("l1_loss", reduction)
    _same_shape("l1_loss", input, target)
    input, target = _floating_pair("l1_loss", input, target)
    return _reduce((input - target).abs(), reduction)


def binary_cross_entropy(input, target, weight=None, reduction="mean"):
    r"""Binary cross-entropy of probabilities :math:`x \in [0, 1]` against targets, as PyTorch's.

    .. math::
        \ell_n = -w_n \left(y_n \log x_n + (1 - y_n) \log(1 - x_n)\right)

    each log clamped at :math:`-100`, as PyTorch does, so a probability of exactly 0 or
    1 gives a finite loss. Prefer :func:`binary_cross_entropy_with_logits` on the
    logits: it never needs the clamp.

    Parameters
    ----------
    input : Tensor
        Probabilities :math:`x` (e.g. from ``sigmoid``), floating.
    target : Tensor
        :math:`y`, of ``input``'s shape and floating dtype.
    weight : Tensor, optional
        :math:`w`, broadcast against ``input``.
    reduction : {"mean", "sum", "none"}

    Returns
    -------
    Tensor
        A scalar, or ``input``'s shape with ``reduction="none"``.

    Raises
    ------
    TypeError
        If ``input`` or ``target`` is not floating point.
    ValueError
        If their shapes differ, or ``input`` holds a value outside :math:`[0, 1]`.
    """
    _reduction("binary_cross_entropy", reduction)
    check.floating("binary_cross_entropy", "input", input)
    check.floating("binary_cross_entropy", "target", target)
    _same_shape("binary_cross_entropy", input, target)
    low, high = mg.stack([input.min(), input.max()]).tolist() if input.numel() else (0, 0)
    if low < 0 or high > 1:
        raise ValueError(f"binary_cross_entropy: expected input probabilities in [0, 1], got "
                         f"values from {low} to {high}; pass logits to "
                         f"binary_cross_entropy_with_logits instead")
    losses = -(target * _clamped_log(input) + (1 - target) * _clamped_log(1 - input))
    return _reduce(losses if weight is None else losses * weight, reduction)


def _clamped_log(p):
    r""":math:`\max(\log p, -100)`, whose gradient is 0, not NaN, where ``p`` is 0."""
    # log(0) would be -inf, and its backward 0 / 0: the zeros take log(1) and then -100.
    positive = p > 0
    return mg.where(positive, mg.where(positive, p, 1.0).log(), -100.0).clip(min=-100.0)


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


def _class_indices(op, targets, log_probs, ignore_index):
    """Check ``targets`` and return it with ignored entries replaced by class 0."""
    check.tensor(op, "targets", targets)
    if ignore_index is not None and not check.is_number(numbers.Integral, ignore_index):
        raise TypeError(f"{op}: expected ignore_index to be an int or None, got "
                        f"{ignore_index!r} ({type(ignore_index).__name__})")
    expected = log_probs.shape[:1] + log_probs.shape[2:]
    if targets.shape != expected:
        raise ValueError(f"{op}: expected targets of shape {expected} (input's shape without "
                         f"its class axis 1) for input of shape {log_probs.shape}, got "
                         f"{targets.shape}")
    if ignore_index is not None:
        # Any valid class will do at an ignored position: its loss is replaced by 0 afterwards.
        targets = mg.where(targets != ignore_index, targets, 0)
    check.index_range(op, "target classes", targets, log_probs.shape[1])
    return targets


def _class_input(op, name, input, weight):
    """Check the ``(N, C, d1, ...)`` input (called ``name``) and the ``(C,)`` class weights."""
    check.floating(op, name, input)
    if input.ndim < 2:
        raise ValueError(f"{op}: expected {name} of shape (N, C) or (N, C, d1, ...), "
                         f"got {input.shape}")
    if weight is not None:
        check.floating(op, "weight", weight)
        if weight.shape != input.shape[1:2]:
            raise ValueError(f"{op}: expected weight of shape {input.shape[1:2]} (one per "
                             f"class), got {weight.shape}")


def _picked(log_probs, classes):
    """``log_probs[n, classes[n, d...], d...]``: each position's entry of its class."""
    positions = [mg.arange(length, backend=log_probs.backend).reshape(
        [length if axis == index else 1 for axis in range(classes.ndim)])
        for index, length in enumerate(classes.shape)]
    return log_probs[(positions[0], classes, *positions[1:])]


def _class_reduce(losses, kept, class_weights, reduction):
    """Reduce per-position losses as PyTorch's nll_loss: a mean divides by the weights kept."""
    if kept is not None:
        # Selected, not multiplied by a 0/1 mask: an ignored row's loss may be inf (its
        # class-0 logit -inf), and inf * 0 is nan. where sends no gradient to the rows it
        # leaves out.
        losses = mg.where(kept, losses, 0.0)
    if reduction != "mean" or (kept is None and class_weights is None):
        return _reduce(losses, reduction)
    if class_weights is None:
        return losses.sum() / kept.to(losses.dtype).sum()
    if kept is not None:
        class_weights = mg.where(kept, class_weights, 0.0)
    return losses.sum() / class_weights.sum()


def nll_loss(input, target, weight=None, *, ignore_index=-100, reduction="mean"):
    r"""Negative log-likelihood of class indices under log-probabilities, as PyTorch's.

    .. math::
        \ell_n = -w_{y_n}\, x_{n, y_n}, \qquad
        \ell = \sum_n \ell_n \Big/ \sum_n w_{y_n} \quad (\text{"mean"})

    over the positions :math:`n` whose target is not ``ignore_index``.

    Parameters
    ----------
    input : Tensor
        Log-probabilities (e.g. from ``log_softmax(x, axis=1)``), ``(N, C)`` or
        ``(N, C, d1, ...)``: the class axis is axis 1.
    target : Tensor
        Integer classes in ``[0, C)``, ``(N,)`` or ``(N, d1, ...)``.
    weight : Tensor, optional
        ``(C,)``: a weight :math:`w_c` for each class (1 when omitted).
    ignore_index : int or None
        Targets equal to it contribute no loss, no weight and no gradient, whatever
        their input holds (even ``-inf``); a mean over no targets is ``nan``, as in
        PyTorch. ``-100`` by default, as in PyTorch (padding marked ``-100`` is
        skipped); ``None`` ignores nothing.
    reduction : {"mean", "sum", "none"}
        ``"none"`` returns the losses shaped as ``target``, 0 at ignored positions.

    Returns
    -------
    Tensor
        A scalar, or ``target``'s shape with ``reduction="none"``; of ``input``'s dtype.

    Raises
    ------
    TypeError
        If ``input`` or ``weight`` is not floating point, ``target`` not integer, or
        ``ignore_index`` not an int.
    ValueError, IndexError
        If the shapes do not fit, or a target (other than ``ignore_index``) is not a class.
    """
    _class_input("nll_loss", "input", input, weight)
    losses, kept, class_weights = _nll_parts("nll_loss", input, target, weight, ignore_index,
                                             reduction)
    return _class_reduce(losses, kept, class_weights, reduction)


def _nll_parts(op, input, target, weight, ignore_index, reduction):
    """The unreduced weighted losses, the mask of kept targets and each target's weight.

    ``input`` holds log-probabilities, already checked by :func:`_class_input`.
    """
    _reduction(op, reduction)
    classes = _class_indices(op, target, input, ignore_index)
    losses = -_picked(input, classes)
    class_weights = None if weight is None else weight[classes]
    if class_weights is not None:
        losses = losses * class_weights
    kept = None if ignore_index is None else target != ignore_index
    return losses, kept, class_weights


def cross_entropy(logits, targets, weight=None, *, ignore_index=-100, reduction="mean",
                  label_smoothing=0.0):
    r"""Cross-entropy of class scores against class indices, through a stable log-softmax.

    .. math::
        \ell_n = -\log \frac{e^{x_{n, y_n}}}{\sum_c e^{x_{n, c}}}
               = -\operatorname{log\_softmax}(x_n)_{y_n}

    that is, :func:`~minigrad.nn.functional.nll_loss` of ``log_softmax`` over axis 1, with its
    ``weight``,
    ``ignore_index`` and ``reduction``. With ``label_smoothing`` :math:`\varepsilon` the
    target is :math:`1 - \varepsilon` on its class plus :math:`\varepsilon / C` on every
    class; the smoothing term :math:`-\frac{\varepsilon}{C}\sum_c w_c \log p_{n,c}` is
    reduced with the same denominator as the main one, exactly as PyTorch does.

    Parameters
    ----------
    logits : Tensor
        Unnormalised scores, ``(N, C)`` or ``(N, C, d1, ...)``.
    targets : Tensor
        Integer classes in ``[0, C)``, ``(N,)`` or ``(N, d1, ...)``.
    weight, ignore_index, reduction
        As in :func:`~minigrad.nn.functional.nll_loss`.
    label_smoothing : float
        :math:`\varepsilon \in [0, 1]`.

    Returns
    -------
    Tensor
        A scalar, or ``targets``' shape with ``reduction="none"``; of ``logits``' dtype.

    Raises
    ------
    TypeError, ValueError, IndexError
        As :func:`~minigrad.nn.functional.nll_loss`; also a ``label_smoothing`` outside
        :math:`[0, 1]`.
    """
    smoothing = check.probability("cross_entropy", "label_smoothing", label_smoothing)
    _class_input("cross_entropy", "logits", logits, weight)
    log_probs = logits.log_softmax(axis=1)
    losses, kept, class_weights = _nll_parts("cross_entropy", log_probs, targets, weight,
                                             ignore_index, reduction)
    loss = _class_reduce(losses, kept, class_weights, reduction)
    if smoothing == 0:
        return loss
    if weight is not None:
        log_probs = log_probs * weight.reshape([-1] + [1] * (logits.ndim - 2))
    smooth = _class_reduce(-log_probs.sum(axis=1), kept, class_weights, reduction)
    return (1.0 - smoothing) * loss + (smoothing / logits.shape[1]) * smooth
