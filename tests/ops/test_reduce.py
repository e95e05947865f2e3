"""Reductions (sum mean max min argmax argmin) and the stable composites built on them."""

import numpy as np
import pytest
from _helpers import as_tensor, assert_close, check_op, host
from _strategies import arrays, distinct_arrays, shape_and_axis
from hypothesis import example, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minigrad as mg


def cases(array_strategy=arrays):
    """Pairs ``(x, axis)``: an array and an axis argument for it (None, int, negative, tuple)."""
    return shape_and_axis().flatmap(lambda sa: st.tuples(array_strategy(sa[0]), st.just(sa[1])))


def tied_arrays(shape):
    """Arrays of 0s, 1s and 2s: ties everywhere."""
    return hnp.arrays(np.float64, shape, elements=st.integers(0, 2).map(float))


def upstream(shape):
    """A random upstream gradient of ``shape`` (never all ones)."""
    return np.asarray(np.random.default_rng(0).uniform(-1, 1, size=shape))


def _logsumexp(x, axis=None, keepdims=False):
    m = np.max(x, axis=axis, keepdims=True)
    total = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
    return total if keepdims else np.squeeze(total, axis=axis)


def _softmax(x, axis=-1):
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def reduction_test(name, array_strategy=arrays):
    """A test of ``x.<name>(axis, keepdims)`` against ``numpy.<name>``."""

    @given(case=cases(array_strategy), keepdims=st.booleans())
    @example(case=(np.array(1.5), None), keepdims=False)  # a 0-d tensor reduces to itself
    @example(case=(np.ones((1, 3)) * np.arange(3), (0, -1)), keepdims=True)
    def test(backend, case, keepdims):
        x, axis = case
        check_op(lambda t: getattr(t, name)(axis=axis, keepdims=keepdims), x,
                 ref=lambda a: getattr(np, name)(a, axis=axis, keepdims=keepdims))

    return test


test_sum = reduction_test("sum")
test_mean = reduction_test("mean")
test_max = reduction_test("max", distinct_arrays)
test_min = reduction_test("min", distinct_arrays)


@pytest.mark.parametrize("name", ["max", "min"])
@given(case=cases(tied_arrays))
@example(case=(np.array([2.0, 2.0, 1.0]), None))
def test_ties_split_the_gradient_and_it_sums_to_the_upstream_one(backend, name, case):
    x, axis = case
    t = as_tensor(x, requires_grad=True)
    y = getattr(t, name)(axis=axis)
    g = upstream(y.shape)
    y.backward(as_tensor(g))
    gx, best = host(t.grad), getattr(np, name)(x, axis=axis, keepdims=True)
    assert (gx[x != best] == 0).all()  # only the winners receive a gradient
    assert_close(gx.sum(axis=axis), g)


@pytest.mark.parametrize("name", ["argmax", "argmin"])
@given(case=cases(distinct_arrays))
def test_arg_reductions_match_numpy_and_stay_off_the_graph(backend, name, case):
    x, axis = case
    if isinstance(axis, tuple):  # NumPy takes a single axis here
        axis = axis[0]
    t = as_tensor(x, requires_grad=True)
    got = getattr(t, name)(axis=axis)
    assert got.dtype == mg.int64 and not got.requires_grad
    assert_close(got, getattr(np, name)(x, axis=axis))


# ---- the stable composites -------------------------------------------------------------------


@given(case=cases(), keepdims=st.booleans())
def test_logsumexp(backend, case, keepdims):
    x, axis = case
    check_op(lambda t: t.logsumexp(axis=axis, keepdims=keepdims), x,
             ref=lambda a: _logsumexp(a, axis, keepdims))


@pytest.mark.parametrize("name, ref", [
    ("softmax", _softmax),
    ("log_softmax", lambda a, axis: np.log(_softmax(a, axis))),
])
@given(case=cases())
def test_softmax_family(backend, name, ref, case):
    x, axis = case
    check_op(lambda t: getattr(mg, name)(t, axis=axis), x, ref=lambda a: ref(a, axis))
    check_op(lambda t: getattr(t, name)(axis), x)  # the method form


@pytest.mark.parametrize("name, ref", [
    ("softmax", _softmax),
    ("log_softmax", lambda a, axis: a - _logsumexp(a, axis, keepdims=True)),
    ("logsumexp", _logsumexp),
])
@pytest.mark.parametrize("dtype", [mg.float32, mg.float64])
def test_huge_inputs_stay_finite(backend, name, ref, dtype):
    """exp(1000) overflows; the shifted forms must not, nor must their gradients."""
    x = np.array([[1000.0, 0.0, -1000.0], [1000.0, 1000.0, 999.0]])
    t = as_tensor(x, dtype=dtype, requires_grad=True)
    y = getattr(mg, name)(t, axis=-1)
    y.backward(as_tensor(upstream(y.shape), dtype=dtype))
    assert np.isfinite(host(y)).all() and np.isfinite(host(t.grad)).all()
    assert_close(y, ref(x, -1).astype(dtype), rtol=1e-6, atol=1e-6)


def test_softmax_rows_sum_to_one_and_its_gradient_to_zero(backend):
    x = as_tensor(np.random.default_rng(1).normal(size=(3, 4)), requires_grad=True)
    s = x.softmax(axis=1)
    assert_close(s.sum(axis=1), np.ones(3))
    (s * as_tensor(upstream((3, 4)))).sum().backward()
    assert_close(x.grad.sum(axis=1), np.zeros(3), atol=1e-12)


@pytest.mark.parametrize("name", ["sum", "mean", "max", "min", "logsumexp"])
def test_reductions_keep_float32(backend, name):
    assert getattr(as_tensor([[1.0, 2.0]], dtype=mg.float32), name)(axis=1).dtype == mg.float32


def test_max_sends_the_gradient_to_the_nan_that_it_returns(backend):
    x = as_tensor([1.0, np.nan, 3.0], requires_grad=True)
    x.max().backward()
    assert_close(x.grad, [0.0, 1.0, 0.0])


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # NumPy's warning for log(0)
def test_logsumexp_of_infinite_slices(backend):
    x = as_tensor([[-np.inf, -np.inf], [np.inf, 1.0], [1.0, 2.0]])
    assert_close(x.logsumexp(axis=1), [-np.inf, np.inf, np.log(np.e + np.e**2)])


@pytest.mark.filterwarnings("error::RuntimeWarning")  # log 0 must not reach NumPy's warning
@pytest.mark.parametrize("shape, axis", [((0,), None), ((0,), 0), ((2, 0), 1),
                                         ((2, 0, 3), (1, 2))])
@pytest.mark.parametrize("keepdims", [False, True])
def test_logsumexp_over_no_elements_is_minus_infinity(backend, shape, axis, keepdims):
    # As in PyTorch, torch.logsumexp(torch.empty(0), 0) is -inf; the gradient is as empty as x.
    x = as_tensor(np.empty(shape), requires_grad=True)
    y = x.logsumexp(axis=axis, keepdims=keepdims)
    assert_close(y, np.full(np.sum(np.empty(shape), axis=axis, keepdims=keepdims).shape, -np.inf))
    y.sum().backward()
    assert_close(x.grad, np.empty(shape))


@pytest.mark.parametrize("name", ["sum", "max", "min", "mean", "logsumexp", "softmax",
                                  "log_softmax"])
def test_a_bad_axis_is_refused_by_the_function_that_was_called(backend, name):
    # The composites (mean, logsumexp...) check it themselves: the primitive that meets it
    # first (sum, max) is not what the user called.
    x = as_tensor([[1.0, 2.0]])
    with pytest.raises(ValueError, match=f"^{name}: .*axis 5 is out of range for a tensor of 2 "
                                         "dimensions"):
        getattr(mg.ops, name)(x, axis=5)
    with pytest.raises(TypeError, match=f"^{name}: expected axis to be None, an int or a tuple "
                                        r"of ints, got \(0, 'a'\)$"):
        getattr(mg.ops, name)(x, axis=(0, "a"))


@pytest.mark.parametrize("name", ["argmax", "argmin"])
@pytest.mark.parametrize("shape, axis, error, message", [
    ((2, 3), 3, ValueError, "axis 3 is out of range for 2 dimensions, shape (2, 3)"),
    ((2, 3), 1.0, TypeError, "expected axis to be an int, got 1.0"),
    ((0,), None, ValueError, "expected a tensor with elements to search, got shape (0,)"),
    ((2, 0), 1, ValueError, "expected axis 1 with elements to search, got shape (2, 0)"),
])
def test_arg_reductions_refuse_a_bad_axis_and_nothing_to_search(backend, name, shape, axis,
                                                                 error, message):
    with pytest.raises(error) as info:
        getattr(mg.zeros(shape), name)(axis=axis)
    assert str(info.value) == f"{name}: {message}"


def test_arg_reductions_along_an_axis_of_an_empty_tensor_find_no_indices(backend):
    assert mg.zeros(0, 3).argmax(axis=1).shape == (0,)


@pytest.mark.parametrize("name", ["logsumexp", "softmax", "log_softmax"])
@pytest.mark.parametrize("dtype", [mg.int64, mg.int32, mg.bool_])
def test_composites_refuse_tensors_that_are_not_floating(backend, name, dtype):
    # NumPy would promote them to a float64 result; PyTorch refuses (softmax) them.
    with pytest.raises(TypeError, match=f"^{name}: expected a floating-point tensor, got "
                                        f"dtype {dtype}; convert it with "):
        getattr(mg.ones(2, 3, dtype=dtype), name)()
