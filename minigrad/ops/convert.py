r"""Conversions that keep values: a change of dtype, a move to another backend."""

from minigrad.dtypes import as_dtype, is_floating
from minigrad.function import Function
from minigrad.grad_mode import recording
from minigrad.tensor import Tensor


class Cast(Function):
    r"""``y = x.astype(dtype)``;   the gradient is cast back to ``x``'s dtype."""

    __slots__ = ("in_dtype",)

    def forward(self, xp, x, dtype=None):
        self.in_dtype = x.dtype
        return x.astype(dtype)

    def backward(self, gy):
        return self.call(Cast, gy, dtype=self.in_dtype)


class ToBackend(Function):
    r"""``y = x`` copied to another backend;   the gradient is copied back."""

    __slots__ = ("target",)

    def forward(self, xp, x, target=None):
        self.target = target
        return target.from_host(self.backend.to_host(x))

    def backward(self, gy):
        if recording():  # recorded: the move back is an op like any other
            return to_backend(gy, self.backend)
        return self.backend.from_host(self.target.to_host(gy))


def to_backend(x, target):
    """Return ``x`` on backend ``target``, recording the move for backward."""
    if x._backend is target:
        return x
    y = ToBackend.apply(x, target=target)
    # apply labels outputs with the inputs' backend; this op's output lives on the target.
    y._backend = target
    return y


def cast(x, dtype):
    """Return ``x`` converted to ``dtype``; differentiable between floating types."""
    dtype = as_dtype(dtype)
    if x.dtype == dtype:
        return x
    if not is_floating(dtype):
        return Tensor(x.data.astype(dtype), x._backend)
    return Cast.apply(x, dtype=dtype)
