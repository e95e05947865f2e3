r"""Matrix products: the primitives ``MatMul`` and ``Linear``, and the functions
``matmul`` and ``linear``."""

from minigrad.function import Function
from minigrad.gradients import bias_gradient, weight_gradient

from ._checks import _tensor
from .shape import Transpose


def _swap_last(node, t):
    """``t`` (an array, or a Tensor in a recorded pass) with its last two axes swapped."""
    axes = list(range(t.ndim))
    axes[-2], axes[-1] = axes[-1], axes[-2]
    return node.call(Transpose, t, axes=tuple(axes))


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
        return ((gy @ _swap_last(self, b) if need_a else None),
                (_swap_last(self, a) @ gy if need_b else None))


class Linear(Function):
    r"""``y = x @ w.T + b`` for a 2-D ``x`` as one node: an affine layer, or a recurrent step.

    ``b`` is a bias ``(out,)``, added to every row, or an addend ``(N, out)`` of the
    result's shape: a recurrent step adds its precomputed input projection this way.
    :math:`\bar x = \bar y\, w`, :math:`\bar w = \bar y^\top x`, :math:`\bar b = \bar y`,
    summed over the rows for a bias. Three nodes (transpose, matmul, add) would do; one
    keeps a recurrent step short, and :math:`\bar y^\top x` comes out already in the
    weight's ``(out, in)`` layout. The weight's and bias's gradients come from
    :func:`~minigrad.gradients.weight_gradient` and
    :func:`~minigrad.gradients.bias_gradient`, which leave them as factors where the walk
    can sum many steps' at once.
    """

    __slots__ = ()

    def forward(self, xp, x, w, b=None):
        y = self.backend.matmul_transposed(x, w)
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


# ---- the functions ---------------------------------------------------------------------


def matmul(a, b):
    r"""Matrix product with NumPy's rules; 1-D operands are promoted, then the axis dropped.

    Composite for 1-D operands (a reshape around the primitive). The backward
    rules are :math:`\bar a = \bar y\, b^\top` and :math:`\bar b = a^\top \bar y`.

    Parameters
    ----------
    a : Tensor
        ``(..., n, k)``, or ``(k,)``.
    b : Tensor
        ``(..., k, m)``, or ``(k,)``; leading axes broadcast against ``a``'s.

    Returns
    -------
    Tensor
        ``(..., n, m)``, without ``n`` or ``m`` for a 1-D operand.

    Raises
    ------
    ValueError
        If the inner sizes differ or an operand is 0-d (the message names both shapes).
    """
    _tensor(a, "matmul")
    _tensor(b, "matmul")
    # Checked here, before 1-D operands are reshaped, so the message names the user's shapes.
    if a.ndim == 0 or b.ndim == 0 or a.shape[-1] != b.shape[0 if b.ndim == 1 else -2]:
        raise ValueError(
            f"matmul: expected the last axis of a to match the "
            f"{'only' if b.ndim == 1 else 'second-to-last'} axis of b, "
            f"got shapes {a.shape} and {b.shape}"
        )
    if a.ndim == 1 and b.ndim == 1:
        return MatMul.apply(a.reshape(1, -1), b.reshape(-1, 1)).reshape(())
    if a.ndim == 1:
        y = MatMul.apply(a.reshape(1, -1), b)
        return y.reshape(y.shape[:-2] + y.shape[-1:])
    if b.ndim == 1:
        return MatMul.apply(a, b.reshape(-1, 1)).reshape(a.shape[:-1])
    return MatMul.apply(a, b)


def linear(x, weight, bias=None):
    r"""The affine map :math:`y = x W^\top + b` of a layer, as one primitive node.

    Parameters
    ----------
    x : Tensor
        ``(N, in_features)``.
    weight : Tensor
        ``(out_features, in_features)``, PyTorch's layout.
    bias : Tensor, optional
        ``(out_features,)``, added to every row; or ``(N, out_features)``, one row per
        row of ``x`` (a recurrent step adds its input projection so, in the same node).

    Returns
    -------
    Tensor
        ``(N, out_features)``.

    Raises
    ------
    ValueError
        If ``x`` or ``weight`` is not 2-D, the feature sizes differ (naming both shapes),
        or ``bias`` is neither ``(out_features,)`` nor ``(N, out_features)``.
    """
    _tensor(x, "linear")
    _tensor(weight, "linear")
    if x.ndim != 2 or weight.ndim != 2 or x.shape[1] != weight.shape[1]:
        raise ValueError(
            f"linear: expected x (N, in) and weight (out, in) with the same in, "
            f"got x {x.shape} and weight {weight.shape}"
        )
    if bias is None:
        return Linear.apply(x, weight)
    out_features = weight.shape[0]
    if _tensor(bias, "linear").shape not in ((out_features,), (x.shape[0], out_features)):
        raise ValueError(
            f"linear: expected a bias of shape {(out_features,)} (out,) or "
            f"{(x.shape[0], out_features)} (N, out), got {bias.shape}"
        )
    return Linear.apply(x, weight, bias)
