"""What :meth:`Module.load_state_dict` checks before it changes anything.

Every value is converted first and every problem collected, so that a load either
succeeds whole or raises one error listing them all.
"""

import minigrad as mg


def converted(own, state_dict):
    """Convert each value of ``state_dict`` to its tensor's dtype and backend, as PyTorch does.

    Parameters
    ----------
    own : dict of str to Tensor
        The module's parameters and persistent buffers by dotted name.
    state_dict : Mapping

    Returns
    -------
    tuple
        ``(values, mis_shaped, unconvertible)``: the converted Tensors by name, and the
        descriptions of the keys whose shape differs or whose value cannot be a tensor.
    """
    values, mis_shaped, unconvertible = {}, [], []
    for name, tensor in own.items():
        if name not in state_dict:
            continue
        try:
            value = mg.tensor(state_dict[name], dtype=tensor.dtype, backend=tensor.backend)
        except (TypeError, ValueError) as err:   # objects, strings, ragged lists
            unconvertible.append(f"{name} ({err})")
            continue
        if value.shape != tensor.shape:
            mis_shaped.append(f"{name} (expected {tensor.shape}, got {value.shape})")
        values[name] = value
    return values, mis_shaped, unconvertible


def refuse_unconverted_torch_weights(root, state_dict):
    """Raise if PyTorch tensors are loaded into a module whose PyTorch form differs.

    A module with ``torch_conversion`` set (the GRUs) computes another function from
    PyTorch's weights as they are; loading them silently would be wrong.
    """
    for prefix, module in root.named_modules():
        conversion = getattr(module, "torch_conversion", None)
        if conversion is None:
            continue
        names = [f"{prefix}.{name}" if prefix else name
                 for name, _ in module._all_named_parameters()]
        torch_values = [name for name in names if name in state_dict and
                        type(state_dict[name]).__module__.partition(".")[0] == "torch"]
        if torch_values:
            raise ValueError(
                f"load_state_dict: {', '.join(torch_values)} are PyTorch tensors for a "
                f"{type(module).__name__}, whose form differs from PyTorch's: loaded as "
                f"they are they would compute another cell. {conversion} (or, to load "
                "the numbers as they are, pass NumPy arrays: v.numpy())")
