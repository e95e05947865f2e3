r"""Matrix multiplication."""

from minigrad.function import Function
from minigrad.grad_mode import mode


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
        # A leaf's gradient is left as factors, so that the walk sums the contributions of
        # all time steps with one product at its end. A recorded pass needs the products.
        defer = not mode.enabled
        gx = gy @ w if need[0] else None
        gw = None
        if need[1]:
            gw = autograd.Deferred(gy, x) if defer and self.inputs[1]._node is None else gy.T @ x
        if len(need) == 2:  # no bias
            return gx, gw
        gb = None
        if need[2]:
            b = self.inputs[2]
            # The walk sums gy over the rows for a bias (it undoes broadcasting).
            gb = autograd.Deferred(gy) if defer and b._node is None and b.ndim == 1 else gy
        return gx, gw, gb


from minigrad import autograd  # noqa: E402  (circular: autograd imports the ops)
