r"""Converting GRU weights between PyTorch's update-gate convention and ours."""

import minigrad as mg

__all__ = ["minigrad_gru_to_torch", "torch_gru_to_minigrad"]


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
