r"""Gradient clipping."""

import math

import minigrad as mg

from .. import _checks as check

__all__ = ["clip_grad_norm_", "clip_grad_value_"]


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False):
    r"""Scale the gradients so that their joint norm is at most ``max_norm``.

    With :math:`\|g\| = \sqrt{\sum_p \sum_j g_{p,j}^2}` over every parameter's gradient
    (for ``norm_type`` :math:`q`, :math:`(\sum_p \sum_j |g_{p,j}|^q)^{1/q}`, and the
    largest :math:`|g_{p,j}|` for ``inf``), each gradient is multiplied by
    :math:`\min(1, \text{max\_norm} / (\|g\| + 10^{-6}))`.
    The gradients are rebound (``p.grad = p.grad * scale``), never scaled in place: a
    gradient tensor that is also held elsewhere (one assigned to ``.grad`` by hand, say)
    keeps its values. Each keeps its dtype too, whatever the others' are.

    Parameters
    ----------
    parameters : iterable of Tensor or Tensor
        Those without a gradient are skipped.
    max_norm : float
        The largest norm allowed.
    norm_type : float
        :math:`q > 0`, or ``float("inf")``; 2 by default, as in PyTorch.
    error_if_nonfinite : bool
        Raise instead of scaling when the total norm is NaN or infinite (the gradients
        are then left as they are), as PyTorch's flag of that name does.

    Returns
    -------
    Tensor
        The total norm before clipping, a 0-d tensor.

    Raises
    ------
    TypeError
        If a parameter is not a Tensor.
    ValueError
        If ``max_norm`` is not a real number ``>= 0``, or ``norm_type`` not one ``> 0``.
    RuntimeError
        With ``error_if_nonfinite=True``, if the total norm is NaN or infinite.

    Examples
    --------
    >>> from minigrad import nn
    >>> w = mg.tensor([3.0, 4.0], requires_grad=True)
    >>> (w * w).sum().backward()               # w.grad = (6, 8), norm 10
    >>> float(nn.utils.clip_grad_norm_([w], 1.0))
    10.0
    >>> w.grad.numpy().round(4)
    array([0.6, 0.8], dtype=float32)
    """
    parameters = _tensors("clip_grad_norm_", parameters)
    max_norm = check.non_negative("clip_grad_norm_", "max_norm", max_norm)
    norm_type = check.non_negative("clip_grad_norm_", "norm_type", norm_type)
    if norm_type == 0:
        raise ValueError("clip_grad_norm_: expected norm_type > 0 (2.0, or float('inf')), got 0")
    with_grad = [p for p in parameters if p.grad is not None]
    if not with_grad:
        return mg.tensor(0.0)
    error_if_nonfinite = check.boolean("clip_grad_norm_", "error_if_nonfinite",
                                       error_if_nonfinite)
    with mg.no_grad():
        total = _total_norm([p.grad for p in with_grad], norm_type)
        if error_if_nonfinite and not math.isfinite(total.item()):
            raise RuntimeError(
                f"clip_grad_norm_: the total norm of the gradients is {total.item()}, so they "
                "cannot be scaled to max_norm; pass error_if_nonfinite=False to scale anyway "
                "(they become NaN), or find where they diverge (a smaller learning rate?)"
            )
        # The factor stays a tensor (clipped at 1 rather than compared with max_norm), so
        # no value has to travel from the device to the host.
        scale = (max_norm / (total + 1e-6)).clip(max=1.0)
        for p in with_grad:
            # The total is float64 as soon as one gradient is; a float32 gradient stays float32.
            p.grad = p.grad * scale.to(p.grad.dtype)
    return total


def _tensors(op, parameters):
    """``parameters`` (one Tensor or an iterable of them) as a list, each checked."""
    parameters = [parameters] if isinstance(parameters, mg.Tensor) else list(parameters)
    for p in parameters:
        check.tensor(op, "each parameter", p)
    return parameters


def _total_norm(grads, q):
    """The ``q``-norm of all the gradients together (a 0-d tensor, float64 if one is)."""
    if q == 2:
        return sum((g * g).sum() for g in grads).sqrt()
    if q != math.inf:
        return sum((g.abs() ** q).sum() for g in grads) ** (1.0 / q)
    dtype = mg.float64 if any(g.dtype == mg.float64 for g in grads) else mg.float32
    largest = [g.abs().max().to(dtype) for g in grads if g.numel()]
    return mg.stack(largest).max() if largest else mg.tensor(0.0, dtype=dtype)


def clip_grad_value_(parameters, clip_value):
    r"""Clip every gradient elementwise into :math:`[-c, c]`, as PyTorch's.

    Like :func:`clip_grad_norm_`, each gradient is rebound, never changed in place.

    Parameters
    ----------
    parameters : iterable of Tensor or Tensor
        Those without a gradient are skipped.
    clip_value : float
        :math:`c \ge 0`.

    Raises
    ------
    TypeError
        If a parameter is not a Tensor.
    ValueError
        If ``clip_value`` is not a real number ``>= 0``.

    Examples
    --------
    >>> from minigrad import nn
    >>> w = mg.tensor([3.0, -0.5], requires_grad=True)
    >>> (w * w).sum().backward()               # w.grad = (6, -1)
    >>> nn.utils.clip_grad_value_([w], 2.0)
    >>> w.grad.numpy()
    array([ 2., -1.], dtype=float32)
    """
    parameters = _tensors("clip_grad_value_", parameters)
    clip_value = check.non_negative("clip_grad_value_", "clip_value", clip_value)
    with mg.no_grad():
        for p in parameters:
            if p.grad is not None:
                p.grad = p.grad.clip(-clip_value, clip_value)
