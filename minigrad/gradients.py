r"""The forms a gradient takes between a backward rule and the walk.

:func:`unbroadcast` is the one place where a gradient is summed back to its input's
shape; :class:`Deferred` is a weight's gradient left as two factors for the walk to
multiply, which a backward rule asks for through :func:`weight_gradient` and
:func:`bias_gradient` (they decide when the walk can take factors). The ops and the
walk both import them from here, a module that imports neither.
"""

from minigrad.grad_mode import recording


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


class Deferred:
    r"""A leaf's gradient contribution :math:`a^\top b` kept as its two factors.

    (With ``b`` None it stands for :math:`a^\top \mathbf{1}`, the column sums of ``a``:
    a bias.) A weight used at every time step receives one contribution per step.
    :class:`~minigrad.accumulate.DeferredSums` adds them up a block of steps at a time
    with one product of the stacked factors, :math:`\sum_t a_t^\top b_t = [a_1; \dots;
    a_k]^\top [b_1; \dots; b_k]`: one large matrix product, instead of :math:`k` small
    ones each followed by an addition into the gradient. Only
    :class:`~minigrad.ops.linalg.Linear` makes them, in a first-order walk, and only for
    leaves.
    """

    __slots__ = ("a", "b")

    def __init__(self, a, b=None):
        self.a, self.b = a, b


def weight_gradient(node, index, gy, x):
    r""":math:`\bar y^\top x`, the gradient of input ``index`` of ``node``, a weight.

    A leaf's is left as factors in a first-order pass, so that the walk sums the
    contributions of many time steps with few large products (see
    :class:`~minigrad.accumulate.DeferredSums`). A recorded pass needs the product.
    """
    if not recording() and node.inputs[index]._node is None:
        return Deferred(gy, x)
    return gy.T @ x


def bias_gradient(node, index, gy):
    r""":math:`\bar y`, the gradient of input ``index`` of ``node``, a bias or an addend.

    The walk sums it over the rows for a bias (it undoes broadcasting); a leaf bias's
    is left as a factor in a first-order pass, as :func:`weight_gradient` does.
    """
    b = node.inputs[index]
    if not recording() and b._node is None and b.ndim == 1:
        return Deferred(gy)
    return gy
