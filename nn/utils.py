r"""Helpers around training: gradient clipping, and converting PyTorch GRU weights."""

import math

import minigrad as mg

from . import _checks as check

__all__ = ["clip_grad_norm_", "minigrad_gru_to_torch", "torch_gru_to_minigrad"]


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


_GRU_PARAMETERS = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")


def torch_gru_to_minigrad(state_dict):
    r"""Convert the state dict of a PyTorch ``nn.GRU`` or ``nn.GRUCell`` for ``reset_after=True``.

    PyTorch's GRU computes :math:`h' = (1 - z_T) \odot n + z_T \odot h` with
    :math:`z_T = \sigma(a)`, where ours computes :math:`h' = (1 - z) \odot h + z \odot n`.
    Both agree when :math:`z = 1 - z_T = \sigma(-a)`: negating the :math:`z` block (rows
    ``H:2H``) of every weight and bias turns one into the other. Everything else,
    including the reset gate's place, is already the same as ``reset_after=True``.

    Parameters
    ----------
    state_dict : dict
        Names to array-likes: ``torch_gru.state_dict()`` as it is (PyTorch tensors are
        read through NumPy, so this module never imports PyTorch), NumPy or CuPy arrays.
        Keys whose last dotted part starts with ``weight_ih``, ``weight_hh``, ``bias_ih``
        or ``bias_hh`` are converted; other entries are passed through unchanged.

    Returns
    -------
    dict
        A new dict; each converted entry is a new NumPy array of the value's dtype, which
        :meth:`~minigrad.nn.Module.load_state_dict` and ``torch.from_numpy`` both take.
        The input is not modified.

    Raises
    ------
    ValueError
        If an entry to convert has a number of rows that is not a multiple of 3.
    TypeError
        If an entry to convert has a dtype that minigrad does not hold (``float16``,
        ``bfloat16``): convert the state dict first, e.g.
        ``{k: v.float() for k, v in state_dict.items()}``.

    Warnings
    --------
    Every ``weight_ih*``, ``weight_hh*``, ``bias_ih*`` and ``bias_hh*`` entry is converted,
    whatever layer it belongs to. Give it a GRU's state dict, or only the GRU's entries of
    a larger model's: the weights of an LSTM or an RNN in the same dict would be corrupted
    (and refused only when their number of rows is not a multiple of 3).

    Examples
    --------
    >>> import numpy as np
    >>> from minigrad import nn
    >>> torch_like = {"bias_hh": np.array([1.0, 2.0, 3.0])}    # H = 1: blocks r, z, n
    >>> nn.utils.torch_gru_to_minigrad(torch_like)["bias_hh"]
    array([ 1., -2.,  3.])
    """
    return {name: _negate_update_gate(name, value) if _is_gru_parameter(name) else value
            for name, value in state_dict.items()}


def minigrad_gru_to_torch(state_dict):
    r"""Convert a ``reset_after=True`` GRU's state dict for PyTorch: the inverse of
    :func:`torch_gru_to_minigrad`.

    Negating the :math:`z` block twice restores it, so this is the same conversion;
    it also maps gradients, which change sign with their parameters.
    """
    return torch_gru_to_minigrad(state_dict)


def _is_gru_parameter(name):
    return name.rsplit(".", 1)[-1].startswith(_GRU_PARAMETERS)


def _negate_update_gate(name, value):
    try:
        converted = mg.tensor(value, backend="numpy").numpy()   # a copy, whatever the array type
    except TypeError:  # mg.tensor's advice, to pass dtype=, is not for this function's callers
        if not hasattr(value, "dtype"):  # not an array: mg.tensor's own message says what came
            raise
        raise TypeError(
            f"torch_gru_to_minigrad: {name} has dtype {value.dtype}, which minigrad does not "
            "hold; convert the state dict first, e.g. "
            "{k: v.float() for k, v in state_dict.items()}"
        ) from None
    rows = converted.shape[0]
    if rows % 3:
        raise ValueError(
            f"torch_gru_to_minigrad: {name} has {rows} rows; a GRU parameter has "
            "3 * hidden_size rows (gate blocks r, z, n)"
        )
    hidden = rows // 3
    converted[hidden:2 * hidden] = -converted[hidden:2 * hidden]
    return converted
