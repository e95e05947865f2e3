"""Elementwise ops: values against NumPy, gradients against finite differences.

One line per op declares its test; the factories below draw shapes (scalars and
size-1 axes included) and values in the op's domain, and call ``check_op``.
"""

import operator
import warnings

import numpy as np
import pytest
from _helpers import as_tensor, assert_close, check_op, host
from _strategies import (
    BINARY,
    CLIP_BOUNDS,
    CLIPPABLE,
    NONZERO,
    POSITIVE,
    REAL,
    arrays,
    same_shape_arrays,
    scalars,
    shapes,
)
from hypothesis import example, given, settings
from hypothesis import strategies as st

import minigrad as mg

NEP_50 = np.result_type(np.float32, 1e300) == np.float32

LO, HI = CLIP_BOUNDS


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def unary_test(fn, ref, domain):
    """A test of ``fn`` on one drawn array, pinned at a 0-d and an all-size-1 input."""

    @given(x=arrays(shapes(), domain))
    @example(x=np.array(domain.high / 2))
    @example(x=np.full((1, 1, 1), domain.high / 2))
    def test(backend, x):
        check_op(fn, x, ref=ref)

    return test


test_neg = unary_test(operator.neg, np.negative, REAL)
test_exp = unary_test(mg.exp, np.exp, REAL)
test_log = unary_test(mg.log, np.log, POSITIVE)
test_tanh = unary_test(mg.tanh, np.tanh, REAL)
test_sigmoid = unary_test(mg.sigmoid, _sigmoid, REAL)
test_relu = unary_test(mg.relu, lambda x: np.maximum(x, 0), NONZERO)
test_abs = unary_test(mg.abs, np.abs, NONZERO)
test_sqrt = unary_test(mg.sqrt, np.sqrt, POSITIVE)
test_clip = unary_test(lambda x: x.clip(LO, HI), lambda x: np.clip(x, LO, HI), CLIPPABLE)
test_clip_min_only = unary_test(lambda x: mg.clip(x, min=LO), lambda x: np.maximum(x, LO),
                                CLIPPABLE)
test_clip_max_only = unary_test(lambda x: x.clip(max=HI), lambda x: np.minimum(x, HI), CLIPPABLE)
test_square = unary_test(lambda x: x**2, np.square, REAL)  # negative bases, integer exponent
test_square_float_exponent = unary_test(lambda x: x**2.0, np.square, REAL)
test_cube = unary_test(lambda x: x**3, lambda x: x**3, REAL)


def binary_tests(op, a_domain, b_domain):
    """Tests of ``a op b`` with two tensors, and with a Python scalar on either side."""

    @given(ab=same_shape_arrays(a_domain, b_domain))
    def tensors(backend, ab):
        check_op(op, *ab, ref=op)

    @given(a=arrays(shapes(), a_domain), c=scalars(b_domain))
    @example(a=np.array(a_domain.high / 2), c=int(b_domain.high))  # an int operand too
    def scalar_right(backend, a, c):
        check_op(lambda x: op(x, c), a, ref=lambda x: op(x, c))

    @given(c=scalars(a_domain), b=arrays(shapes(), b_domain))
    @example(c=int(a_domain.high), b=np.array(b_domain.high / 2))
    def scalar_left(backend, c, b):
        check_op(lambda x: op(c, x), b, ref=lambda x: op(c, x))

    return tensors, scalar_right, scalar_left


test_add, test_add_scalar_right, test_add_scalar_left = binary_tests(*BINARY["add"])
test_sub, test_sub_scalar_right, test_sub_scalar_left = binary_tests(*BINARY["sub"])
test_mul, test_mul_scalar_right, test_mul_scalar_left = binary_tests(*BINARY["mul"])
test_div, test_div_scalar_right, test_div_scalar_left = binary_tests(*BINARY["div"])
test_pow, test_pow_scalar_exponent, test_pow_scalar_base = binary_tests(*BINARY["pow"])


# ---- kinks, stability, dtypes ---------------------------------------------------------------


@pytest.mark.parametrize("fn, expected", [
    (mg.relu, [0.0, 0.0, 1.0]),
    (mg.abs, [-1.0, 0.0, 1.0]),
    (lambda x: x.clip(-1.0, 0.0), [0.0, 1.0, 0.0]),  # the bound itself passes the gradient
])
def test_gradient_at_kinks(backend, fn, expected):
    x = as_tensor([-2.0, 0.0, 2.0], requires_grad=True)
    fn(x).sum().backward()
    assert_close(x.grad, np.array(expected))


@pytest.mark.parametrize("fn", [mg.sigmoid, mg.tanh, mg.exp])
def test_saturating_ops_stay_finite(backend, fn):
    """Huge inputs neither overflow to nan in the value nor in the gradient."""
    x = as_tensor([-1000.0, 0.0, 1000.0] if fn is not mg.exp else [-1000.0, 0.0, 700.0],
                  requires_grad=True)
    y = fn(x)
    y.sum().backward()
    assert np.isfinite(host(y)).all() and np.isfinite(host(x.grad)).all()


def test_sigmoid_saturates_exactly(backend):
    assert_close(mg.sigmoid(as_tensor([-1000.0, 1000.0])), np.array([0.0, 1.0]))


UNARY_NAMES = ["exp", "log", "tanh", "sigmoid", "relu", "abs", "sqrt"]


@pytest.mark.parametrize("name", UNARY_NAMES)
def test_method_matches_function_and_keeps_float32(backend, name):
    x = as_tensor([0.5, 1.5], dtype=mg.float32)
    by_method, by_function = getattr(x, name)(), getattr(mg, name)(x)
    assert by_method.dtype == by_function.dtype == mg.float32
    assert_close(by_method, by_function)


@pytest.mark.parametrize("op", list(BINARY.values()), ids=list(BINARY))
@pytest.mark.parametrize("scalar", [2, 2.0, np.float64(2.0), np.float32(2.0), np.int64(2)])
def test_scalars_keep_float32_on_either_side(backend, op, scalar):
    x = as_tensor([0.5, 1.5], dtype=mg.float32)
    assert op[0](x, scalar).dtype == mg.float32
    assert op[0](scalar, x).dtype == mg.float32


ARITHMETIC = [operator.add, operator.sub, operator.mul, operator.truediv]
NUMBERS = st.one_of(st.floats(width=64), st.integers(-2**62, 2**62),
                    st.sampled_from([0.0, -0.0, 1e300, -1e-300, 2.0**-149]))


@pytest.mark.parametrize("op", ARITHMETIC, ids=lambda op: op.__name__)
@pytest.mark.parametrize("dtype", [mg.float32, mg.float64, mg.int64])
@pytest.mark.parametrize("shape", [(2, 2), ()])
@given(number=NUMBERS)
@example(number=-0.0)
@example(number=float("nan"))
@settings(max_examples=30)
def test_a_number_operand_gives_the_array_librarys_own_bits(backend, op, dtype, shape, number):
    """However a backend hands a constant to its arrays, ``x op number`` is the library's
    own ``array op number`` under NEP 50 (the number takes a float array's dtype), bit for
    bit, dtype included; so is the gradient through it. 0-d tensors (a loss) too. An integer
    quotient is the library's, rounded to float32, PyTorch's default dtype."""
    x = as_tensor(np.full(shape, 1.5), dtype=dtype, requires_grad=dtype != mg.int64)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # float32 overflows to inf, 0 / 0 is nan
        # NumPy 2 applies NEP 50 itself; NumPy 1 gets the number cast as NEP 50 casts it.
        weak = number if NEP_50 or dtype == mg.int64 else np.asarray(number, dtype)
        for got, expected in ((op(x, number), op(x.data, weak)),
                              (op(number, x), op(weak, x.data))):
            if op is operator.truediv and dtype == mg.int64:
                expected = expected.astype(mg.float32)
            assert_same_bits(got, expected)
        if op is operator.mul and x.requires_grad:
            (x * number).sum().backward()
            # A leaf's gradient keeps the leaf's dtype (NumPy 1 promotes float32 * 2**40).
            ones = np.ones_like(host(x.data))
            assert_same_bits(x.grad, (ones * number).astype(ones.dtype))


def assert_same_bits(actual, expected):
    """Equal dtypes and bytes: unlike ``==``, this tells -0.0 from 0.0."""
    actual, expected = host(actual), host(expected)
    assert actual.dtype == expected.dtype
    assert actual.tobytes() == expected.tobytes(), f"{actual} != {expected}"


def test_a_float32_loss_and_its_scaling_stay_float32(backend):
    """A full reduction is 0-d, which NumPy 1 would promote beside a Python number."""
    x = as_tensor(np.ones((3, 4)), dtype=mg.float32, requires_grad=True)
    loss = 0.5 * (x**2).mean() + 1
    loss.backward()
    assert loss.dtype == x.grad.dtype == mg.float32


def test_unary_minus_is_its_own_inverse(backend):
    x = as_tensor([1.0, -2.0], requires_grad=True)
    y = -x
    (-y).sum().backward()
    assert_close(x.grad, np.ones(2))


NUMBER_OPERAND_OPS = {
    "rpow": lambda z: 2.0**z,
    "where": lambda z: mg.where(z > 0, z, 0.0),
    "where, number first": lambda z: mg.where(z > 0, 1.5, z),
    "clip": lambda z: mg.clip(z, 0.1, 0.2),
    "sigmoid": lambda z: z.sigmoid(),
    "relu": lambda z: z.relu(),
    "square": lambda z: z**2,
}


@pytest.mark.parametrize("op", NUMBER_OPERAND_OPS.values(), ids=NUMBER_OPERAND_OPS.keys())
@pytest.mark.parametrize("shape", [(), (3,)])
def test_ops_that_meet_numbers_keep_float32_forward_and_backward(backend, op, shape):
    """NEP 50's rule under NumPy 1 too, which would widen a 0-d float32 beside a number.

    ``z.grad`` is the gradient as the backward rules computed it: a leaf's ``.grad`` is
    cast to the leaf's dtype, so it could not show a widened rule.
    """
    x = as_tensor(np.full(shape, 0.3), dtype=mg.float32, requires_grad=True)
    z = x * 1.0
    z.retain_grad()
    y = op(z)
    y.sum().backward()
    assert y.dtype == z.grad.dtype == mg.float32


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # NumPy's warnings for log(0) and 0 ** -1
def test_pow_slopes_at_zero_follow_the_limits(backend):
    """x ** 0 is constant and 0 ** b (b >= 0) is 0 or 1 whatever b: their slopes are 0 where
    the formulas b x^(b-1) and y ln x would give 0 * inf = NaN (PyTorch's values too)."""
    x = as_tensor([0.0, 0.0, 2.0, -1.0], requires_grad=True)
    e = as_tensor([2.0, 0.0, 3.0, 2.0], requires_grad=True)
    (x**e).sum().backward()
    assert_close(x.grad, [0.0, 0.0, 12.0, -2.0])
    assert_close(e.grad[:3], [0.0, 0.0, 8.0 * np.log(2.0)])
    assert np.isnan(host(e.grad)[3])  # ln of a negative base
    x = as_tensor([0.0, 3.0], requires_grad=True)
    (x**0).sum().backward()
    assert_close(x.grad, [0.0, 0.0])
    (g,) = mg.grad((x**1).sum(), [x], create_graph=True)
    assert_close(mg.grad(g.sum(), [x])[0], [0.0, 0.0])  # the slope of x ** 0, at 0 too
    for base, expected in [(0.0, [0.0, 0.0]), (-2.0, [np.nan, np.nan])]:
        e = as_tensor([2.0, 0.0], requires_grad=True)
        (base**e).sum().backward()  # a number base: math.log would raise at 0 and below
        assert_close(e.grad, expected)


def test_clip_with_tensor_bounds_differentiates_the_bounds_too(backend):
    x = as_tensor([1.0, 2.0, 3.0], requires_grad=True)
    hi = as_tensor([2.5, 0.5, 2.5], requires_grad=True)
    y = x.clip(min=as_tensor(1.5), max=hi)
    y.sum().backward()
    assert_close(y, [1.5, 0.5, 2.5])
    assert_close(x.grad, [0.0, 0.0, 0.0])
    assert_close(hi.grad, [0.0, 1.0, 1.0])
    hi.data[...] = 1.0  # the bound is read anew, not cached from the first call
    assert_close(x.clip(max=hi), [1.0, 1.0, 1.0])
