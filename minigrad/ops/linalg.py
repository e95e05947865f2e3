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
        a, b = self.inputs
        need_a, need_b = self.needs_input_grad
        return (gy @ _swap_last(b) if need_a else None), (_swap_last(a) @ gy if need_b else None)


class Linear(Function):
    r"""``y = x @ w.T + b``, the affine map of a layer, for a 2-D ``x``, as one node.

    :math:`\bar x = \bar y\, w`, :math:`\bar w = \bar y^\top x`,
    :math:`\bar b = \sum_{\text{rows}} \bar y`. Three nodes (transpose, matmul, add)
    would do (:func:`linear_reference`); one keeps a recurrent step short, and
    :math:`\bar y^\top x` comes out already in the weight's ``(out, in)`` layout. Like the
    fused cells, its backward works on raw arrays, and differentiates
    :func:`linear_reference` when the backward pass is recorded. For a leaf weight and
    bias it returns :class:`~minigrad.autograd.Deferred` factors rather than products.
    """

    __slots__ = ()

    def forward(self, xp, x, w, b=None):
        y = xp.matmul(x, w.T)
        if b is not None:
            y += b  # into the product's own fresh array: no extra temporary
        return y

    def backward(self, gy):
        if mode.enabled:  # create_graph: a differentiable backward, from the reference
            return autograd.local_vjp(linear_reference, self, (gy,))
        x, w = self.inputs[0].data, self.inputs[1].data
        gy = gy.data
        need = self.needs_input_grad
        gx = self.constant(gy @ w) if need[0] else None
        gw = gb = None
        # A leaf's gradient is left as factors, so that the walk sums the contributions of
        # all time steps with one product at its end (see autograd.Deferred).
        if need[1]:
            gw = (autograd.Deferred(gy, x) if self.inputs[1]._node is None
                  else self.constant(gy.T @ x))
        if len(need) == 3 and need[2]:  # two inputs when there is no bias
            gb = (autograd.Deferred(gy) if self.inputs[2]._node is None
                  else self.constant(gy.sum(axis=0)))
        return gx, gw, gb


def linear_reference(x, w, b=None):
    """``x @ w.T + b`` composed from primitives: what :class:`Linear` computes."""
    y = x @ w.T
    return y if b is None else y + b


from minigrad import autograd  # noqa: E402  (circular: autograd imports the ops)
