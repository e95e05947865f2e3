"""Undoing broadcasting: the one place where a gradient is summed back to its input's shape."""


def unbroadcast(g, shape):
    """Sum the gradient ``g`` over the axes that broadcasting added or stretched.

    NumPy broadcasting prepends axes and stretches axes of length 1. Each stretched
    copy of an input element contributed to the output, so their gradients add up.

    Parameters
    ----------
    g : array or Tensor
        A gradient of the broadcast result's shape: an array in a first-order walk,
        a Tensor in a recorded one (both have ``sum`` and ``reshape``).
    shape : tuple of int
        The shape of the input that was broadcast.

    Raises
    ------
    ValueError
        If ``shape`` does not broadcast to ``g.shape``: the gradient cannot be the
        input's, and summing it into that shape would hide the mistake.
    """
    if g.shape == shape:
        return g
    lead = g.ndim - len(shape)
    if lead < 0 or any(n != 1 and n != m for n, m in zip(shape, g.shape[lead:])):
        raise ValueError(f"expected a gradient of the input's shape {shape} or of a shape that "
                         f"it broadcasts to, got {g.shape}")
    stretched = tuple(lead + i for i, n in enumerate(shape) if n == 1 and g.shape[lead + i] != 1)
    return g.sum(axis=tuple(range(lead)) + stretched, keepdims=True).reshape(shape)
