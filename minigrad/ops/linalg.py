r"""Matrix multiplication."""

from minigrad.function import Function
from minigrad.grad_mode import recording


def _swap_last(t):
    axes = list(range(t.ndim))
    axes[-2], axes[-1] = axes[-1], axes[-2]
    return t.transpose(*axes)


class MatMul(Function):
    r"""``y = a @ b`` for operands of at least two dimensions (leading axes broadcast).

    :math:`\bar a = \bar y\, b^\top`, :math:`\bar b = a^\top \bar y`; the engine sums any
    broadcast batch axes back.
    """

    __slots__ = ()

    def forward(self, xp, a, b):
        return xp.matmul(a, b)

    def backward(self, gy):
        a, b = self.operands()
        need_a, need_b = self.needs_input_grad
        return (gy @ _swap_last(b) if need_a else None), (_swap_last(a) @ gy if need_b else None)


class Linear(Function):
    r"""``y = x @ w.T + b`` for a 2-D ``x`` as one node: an affine layer, or a recurrent step.

    ``b`` is a bias ``(out,)``, added to every row, or an addend ``(N, out)`` of the
    result's shape: a recurrent step adds its precomputed input projection this way.
    :math:`\bar x = \bar y\, w`, :math:`\bar w = \bar y^\top x`, :math:`\bar b = \bar y`,
    summed over the rows for a bias. Three nodes (transpose, matmul, add) would do; one
    keeps a recurrent step short, and :math:`\bar y^\top x` comes out already in the
    weight's ``(out, in)`` layout. In a first-order backward pass, a leaf weight and
    bias get :class:`~minigrad.autograd.Deferred` factors rather than products.
    """

    __slots__ = ()

    def forward(self, xp, x, w, b=None):
        y = xp.matmul(x, w.T)
        if b is not None:
            y += b  # into the product's own fresh array: no extra temporary
        return y

    def backward(self, gy):
        x, w = self.operands()[:2]
        need = self.needs_input_grad
        gx = gy @ w if need[0] else None
        gw = weight_gradient(self, 1, gy, x) if need[1] else None
        if len(need) == 2:  # no bias
            return gx, gw
        return gx, gw, (bias_gradient(self, 2, gy) if need[2] else None)


def weight_gradient(node, index, gy, x):
    r""":math:`\bar y^\top x`, the gradient of input ``index`` of ``node``, a weight.

    A leaf's is left as factors in a first-order pass, so that the walk sums the
    contributions of many time steps with few large products (see
    :class:`~minigrad.autograd.DeferredSums`). A recorded pass needs the product.
    """
    if not recording() and node.inputs[index]._node is None:
        return autograd.Deferred(gy, x)
    return gy.T @ x


def bias_gradient(node, index, gy):
    r""":math:`\bar y`, the gradient of input ``index`` of ``node``, a bias or an addend.

    The walk sums it over the rows for a bias (it undoes broadcasting); a leaf bias's
    is left as a factor in a first-order pass, as :func:`weight_gradient` does.
    """
    b = node.inputs[index]
    if not recording() and b._node is None and b.ndim == 1:
        return autograd.Deferred(gy)
    return gy


from minigrad import autograd  # noqa: E402  (circular: autograd imports the ops)
