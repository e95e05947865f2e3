r"""Matrix multiplication."""

from minigrad.function import Function


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
