r"""Gradient clipping."""

import math

import minigrad as mg

from .. import _checks as check

__all__ = ["clip_grad_norm_"]


def clip_grad_norm_(parameters, max_norm, error_if_nonfinite=False):
    r"""Scale the gradients so that their joint L2 norm is at most ``max_norm``.

    With :math:`\|g\| = \sqrt{\sum_p \sum_j g_{p,j}^2}` over every parameter's gradient,
    each gradient is multiplied by :math:`\min(1, \text{max\_norm} / (\|g\| + 10^{-6}))`.
    The gradients are rebound (``p.grad = p.grad * scale``), never scaled in place: a
    gradient tensor that is also held elsewhere (one assigned to ``.grad`` by hand, say)
    keeps its values. Each keeps its dtype too, whatever the others' are.

    Parameters
    ----------
    parameters : iterable of Tensor or Tensor
        Those without a gradient are skipped.
    max_norm : float
        The largest norm allowed.
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
        If ``max_norm`` is not a real number ``>= 0``.
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
    parameters = [parameters] if isinstance(parameters, mg.Tensor) else list(parameters)
    for p in parameters:
        check.tensor("clip_grad_norm_", "each parameter", p)
    max_norm = check.non_negative("clip_grad_norm_", "max_norm", max_norm)
    with_grad = [p for p in parameters if p.grad is not None]
    if not with_grad:
        return mg.tensor(0.0)
    error_if_nonfinite = check.boolean("clip_grad_norm_", "error_if_nonfinite",
                                       error_if_nonfinite)
    with mg.no_grad():
        total = sum((p.grad * p.grad).sum() for p in with_grad).sqrt()
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
