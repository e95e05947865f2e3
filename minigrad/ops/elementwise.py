r"""Elementwise primitives: arithmetic and the nonlinearities of the recurrent cells.

Each docstring gives the forward rule and its derivative; ``backward`` returns the
gradient of each input as the upstream gradient ``gy`` times that derivative. Any
broadcasting is undone by the engine, not here.
"""

import math

from minigrad.backends.cupy_kernels import SIGMOID, SIGMOID_GRAD, TANH_GRAD
from minigrad.dtypes import float32, float64
from minigrad.function import Function
from minigrad.grad_mode import recording
from minigrad.tensor import Tensor, _operand

from ._checks import _tensor
from .shape import Where, where

class Add(Function):
    r"""``y = a + b``;   :math:`\partial y/\partial a = \partial y/\partial b = 1`."""

    __slots__ = ()
    numbers_as_arrays = True

    def forward(self, xp, a, b):
        return a + b

    def backward(self, gy):
        return gy, gy


class Sub(Function):
    r"""``y = a - b``;   :math:`\partial y/\partial a = 1`, :math:`\partial y/\partial b = -1`."""

    __slots__ = ()
    numbers_as_arrays = True

    def forward(self, xp, a, b):
        return a - b

    def backward(self, gy):
        return gy, (-gy if self.needs_input_grad[1] else None)


class Mul(Function):
    r"""``y = a * b``;   :math:`\partial y/\partial a = b`, :math:`\partial y/\partial b = a`."""

    __slots__ = ()
    numbers_as_arrays = True

    def forward(self, xp, a, b):
        return a * b

    def backward(self, gy):
        a, b = self.operands()
        need_a, need_b = self.needs_input_grad
        return (gy * b if need_a else None), (gy * a if need_b else None)


class Div(Function):
    r"""``y = a / b``;   :math:`\partial y/\partial a = 1/b`,
    :math:`\partial y/\partial b = -a/b^2`."""

    __slots__ = ()
    numbers_as_arrays = True

    def forward(self, xp, a, b):
        y = a / b
        # Integers divide to PyTorch's default dtype, float32, where NumPy gives float64:
        # float64 comes only from a float64 array (a Python number counts as float32).
        if y.dtype == float64 and float64 not in (getattr(a, "dtype", float32),
                                                   getattr(b, "dtype", float32)):
            return y.astype(float32)
        return y

    def backward(self, gy):
        a, b = self.operands()
        ga = gy / b
        return (ga if self.needs_input_grad[0] else None), (
            -ga * a / b if self.needs_input_grad[1] else None
        )


class Pow(Function):
    r"""``y = a ** b``;   :math:`\partial y/\partial a = b a^{b-1}`,
    :math:`\partial y/\partial b = y \ln a`.

    At :math:`a = 0` both are taken as their limits where the formulas would give
    :math:`0 \cdot \infty`: :math:`\partial y/\partial a = 0` for :math:`b = 0`, and
    :math:`\partial y/\partial b = 0` for :math:`b \ge 0`, as in PyTorch.
    """

    __slots__ = ()

    def forward(self, xp, a, b):
        if type(a) is float or type(a) is int:  # 2 ** x: the base takes x's dtype (NEP 50)
            a = self.backend.number_as_array(a, b)
        y = a**b
        self.saved = y
        return y

    def backward(self, gy):
        a, b = self.operands()
        base, exponent = self.arrays  # raw, for the masks
        need_a, need_b = self.needs_input_grad
        ga = gb = None
        if need_a and _is_number(b):
            # The square's 2a as a + a: cheaper than a ** 1, and no number to widen a 0-d
            # float32 under NumPy 1. x ** 0 is the constant 1: its slope is 0, even at 0.
            ga = gy * (a + a) if b == 2 else gy * 0 if b == 0 else gy * b * a ** (b - 1)
        elif need_a:  # at a = b = 0 the slope is 0, where b a^(b-1) would be 0 * inf
            ga = self._zero_where((base == 0) & (exponent == 0), gy * b * a ** (b - 1))
        if need_b:
            gb = gy * self.output()
            # A number base's log goes through Mul, which gives it gb's dtype (NEP 50).
            gb = self.call(Mul, gb, _log(a)) if _is_number(a) else gb * self.call(Log, a)
            # At a = 0, y is 0 (b > 0) or 1 (b = 0) whatever b is: the slope is 0, where
            # y ln a would be 0 * (-inf). PyTorch's rule, too.
            gb = self._zero_where((base == 0) & (exponent >= 0), gb)
        return ga, gb

    def _zero_where(self, mask, value):
        """``value`` with 0 where the boolean array ``mask`` holds."""
        return self.call(Where, self.constant(mask), 0, value)


def _is_number(x):
    return isinstance(x, (int, float))


def _log(number):
    r""":math:`\ln` of a Python number, as the array log has it: -inf at 0, NaN below."""
    return math.log(number) if number > 0 else -math.inf if number == 0 else math.nan


class Neg(Function):
    r"""``y = -x``;   :math:`dy/dx = -1`."""

    __slots__ = ()

    def forward(self, xp, x):
        return -x

    def backward(self, gy):
        return -gy


class Exp(Function):
    r"""``y = exp(x)``;   :math:`dy/dx = y` (the saved output is reused)."""

    __slots__ = ()

    def forward(self, xp, x):
        y = xp.exp(x)
        self.saved = y
        return y

    def backward(self, gy):
        return gy * self.output()


class Log(Function):
    r"""``y = log(x)``;   :math:`dy/dx = 1/x`."""

    __slots__ = ()

    def forward(self, xp, x):
        return xp.log(x)

    def backward(self, gy):
        return gy / self.operands()[0]


class Sqrt(Function):
    r"""``y = sqrt(x)``;   :math:`dy/dx = 1/(2y)`."""

    __slots__ = ()

    def forward(self, xp, x):
        y = xp.sqrt(x)
        self.saved = y
        return y

    def backward(self, gy):
        return gy * 0.5 / self.output()


class Tanh(Function):
    r"""``y = tanh(x)``;   :math:`dy/dx = 1 - y^2` (the saved output is reused, never x)."""

    __slots__ = ()

    def forward(self, xp, x):
        y = xp.tanh(x)
        self.saved = y
        return y

    def backward(self, gy):
        y = self.output()
        if self.backend.compiles_kernels and not recording():  # raw arrays: one kernel
            return self.backend.kernel(TANH_GRAD)(y, gy)
        return gy - gy * y * y  # gy (1 - y^2) without a Python scalar, which NumPy adds slowly


class Sigmoid(Function):
    r"""``y = 1 / (1 + exp(-x))``;   :math:`dy/dx = y (1 - y)`."""

    __slots__ = ()

    def forward(self, xp, x):
        if self.backend.compiles_kernels and x.dtype.kind == "f":
            y = self.backend.kernel(SIGMOID)(x)
        else:  # tanh form: no overflow in exp(-x) for large negative x
            half = self.backend.number_as_array(0.5, x)
            y = xp.tanh(x * half) * half + half
        self.saved = y
        return y

    def backward(self, gy):
        y = self.output()
        if self.backend.compiles_kernels and not recording():
            return self.backend.kernel(SIGMOID_GRAD)(y, gy)
        return gy * (y - y * y)


class SigmoidCrossEntropy(Function):
    r""":math:`\ell = y \log(1 + e^{-x}) + (1 - y) \log(1 + e^{x})`, the cross-entropy of
    :math:`\sigma(x)` against :math:`y`;   :math:`\partial\ell/\partial x = \sigma(x) - y`,
    :math:`\partial\ell/\partial y = -x`.

    One node, as PyTorch's ``binary_cross_entropy_with_logits``: composed from softplus,
    :math:`\operatorname{softplus}(x) - x y` is :math:`\infty - \infty` at an infinite
    logit, and its parts' gradients are NaN there. A term whose weight is 0 is 0 here,
    so a logit infinite on its target's side costs 0, with gradient 0.
    """

    __slots__ = ()

    def forward(self, xp, x, y):
        zero = self.backend.number_as_array(0, x)
        # Each softplus is zeroed where its weight is 0 before the product: 0 * inf is NaN.
        on_one = y * xp.where(y == 0, zero, xp.logaddexp(zero, -x))
        on_zero = (1 - y) * xp.where(y == 1, zero, xp.logaddexp(zero, x))
        return on_one + on_zero

    def backward(self, gy):
        x, y = self.operands()
        need_x, need_y = self.needs_input_grad
        gx = gy * (self.call(Sigmoid, x) - y) if need_x else None
        return gx, (-gy * x if need_y else None)


class Relu(Function):
    r"""``y = max(x, 0)``;   :math:`dy/dx = [x > 0]` (taken as 0 at the kink)."""

    __slots__ = ()

    def forward(self, xp, x):
        return xp.maximum(x, self.backend.number_as_array(0, x))

    def backward(self, gy):
        x = self.arrays[0]
        return gy * self.constant((x > 0).astype(x.dtype))


class Abs(Function):
    r"""``y = |x|``;   :math:`dy/dx = \operatorname{sign}(x)` (0 at 0)."""

    __slots__ = ()

    def forward(self, xp, x):
        return xp.abs(x)

    def backward(self, gy):
        return gy * self.constant(self.backend.xp.sign(self.arrays[0]))


class Clip(Function):
    r"""``y = min(max(x, lo), hi)``;   :math:`dy/dx = [lo \le x \le hi]`."""

    __slots__ = ()

    def forward(self, xp, x, lo=None, hi=None):
        as_array = self.backend.number_as_array  # bounds in x's dtype, as NEP 50 has it
        lo = None if lo is None else as_array(lo, x)
        hi = None if hi is None else as_array(hi, x)
        y = xp.clip(x, lo, hi)
        self.saved = y
        return y

    def backward(self, gy):
        x = self.arrays[0]
        # Where clipping left x unchanged (bounds included, as in PyTorch) the slope is 1.
        return gy * self.constant((self.saved == x).astype(x.dtype))


# ---- the functions ---------------------------------------------------------------------


add, sub, mul, div, pow = Add.apply, Sub.apply, Mul.apply, Div.apply, Pow.apply
neg = Neg.apply
# The elementwise loss of nn.functional.binary_cross_entropy_with_logits, which checks it.
sigmoid_cross_entropy = SigmoidCrossEntropy.apply


def _elementwise(primitive, name, floats=False):
    """The public function ``mg.<name>(x)``: one ``primitive`` node, documented by its maths.

    With ``floats``, integer and boolean input is taken as ``float32`` first (PyTorch's
    default dtype; NumPy would give float64): they carry no gradient, so it needs no node.
    A tensor that requires grad is floating already, and skips the look at its dtype.
    """

    def function(x):
        if floats and type(x) is Tensor and not x._requires_grad and x._data.dtype.kind != "f":
            x = Tensor(x._data.astype(float32), x._backend)
        return primitive.apply(x)

    function.__name__ = function.__qualname__ = name
    function.__doc__ = (
        f"{primitive.__doc__}\n\n"
        f"One node on the tape, :class:`~{primitive.__module__}.{primitive.__name__}`; "
        f"also the method ``x.{name}()``.\n\n"
        "Parameters\n----------\nx : Tensor\n    The input, of any shape.\n\n"
        "Returns\n-------\nTensor\n    The result, elementwise: the shape and dtype of ``x``.\n"
    )
    return function


exp, log, sqrt, abs = (_elementwise(Exp, "exp", True), _elementwise(Log, "log", True),
                       _elementwise(Sqrt, "sqrt", True), _elementwise(Abs, "abs"))
tanh, sigmoid, relu = (_elementwise(Tanh, "tanh", True), _elementwise(Sigmoid, "sigmoid", True),
                       _elementwise(Relu, "relu"))


def clip(x, min=None, max=None):
    r"""Limit ``x`` to ``[min, max]``; :math:`dy/dx = 1` inside, 0 where clipped.

    Parameters
    ----------
    x : Tensor
    min, max : float or Tensor, optional
        The bounds; either may be ``None``, not both. A value equal to a bound
        counts as inside. Tensor bounds broadcast against ``x`` and receive the
        gradient where they are the result (composed from :func:`where`).

    Returns
    -------
    Tensor
        Of ``x``'s shape.

    Raises
    ------
    ValueError
        If both bounds are ``None``.
    """
    if min is None and max is None:
        raise ValueError("clip: expected at least one of min and max, got neither")
    # NumPy scalar bounds become Python numbers, which do not promote float32 to float64.
    lo = None if min is None else _operand(min, "clip")
    hi = None if max is None else _operand(max, "clip")
    if isinstance(lo, Tensor) or isinstance(hi, Tensor):  # operands, not options of Clip
        y = _tensor(x, "clip")
        y = y if lo is None else where(y < lo, lo, y)
        return y if hi is None else where(y > hi, hi, y)
    return Clip.apply(_tensor(x, "clip"), lo=lo, hi=hi)


clamp = clip  # PyTorch's name


def compare(name, a, b):
    """Elementwise comparison ``xp.<name>(a, b)``; a boolean tensor, outside the graph.

    Raises
    ------
    ValueError
        If the operands live on different backends, or their shapes do not broadcast.
    """
    if isinstance(b, Tensor):
        if b._backend is not a._backend:
            raise ValueError(
                f"{name}: operands live on different backends, {a.backend!r} and {b.backend!r}; "
                f"move one with .to({a.backend!r})"
            )
        b = b.data
    try:
        return Tensor(getattr(a._backend.xp, name)(a.data, b), a._backend)
    except ValueError:  # only arrays fail to broadcast: b is one
        raise ValueError(f"{name}: expected shapes that broadcast together, got {a.shape} and "
                         f"{b.shape}") from None
