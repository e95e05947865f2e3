"""Second derivatives: with create_graph=True the backward rules run on Tensors, recorded.

Each case gradient-checks the function ``x -> mg.grad(f(x), x, create_graph=True)``:
finite differences of the first derivative against backward through it.
"""

import numpy as np
import pytest
from _cases import CASES, draw_inputs
from _helpers import as_tensor, assert_close, check_op
from _strategies import (
    BINARY,
    CLIPPABLE,
    NONZERO,
    POSITIVE,
    REAL,
    arrays,
    broadcast_arrays,
    distinct_arrays,
    shapes,
)
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg


def derivative(f):
    """``xs -> d<w, f(xs)>/dxs`` as differentiable tensors, for a fixed random ``w``."""

    def df(*xs):
        y = f(*xs)
        w = as_tensor(np.random.default_rng(7).uniform(-1, 1, size=y.shape))
        return mg.grad(y, xs, grad_outputs=w, create_graph=True, allow_unused=True)

    return df


def second_order_test(f, *strategies):
    """A test that gradient-checks ``derivative(f)`` at arrays drawn from ``strategies``."""

    @given(xs=st.tuples(*strategies))
    def test(backend, xs):
        check_op(derivative(f), *xs)

    return test


def any_array(domain=REAL, min_dims=0):
    return arrays(shapes(min_dims=min_dims, max_dims=2), domain)


test_tanh = second_order_test(mg.tanh, any_array())
test_sigmoid = second_order_test(mg.sigmoid, any_array())
test_exp = second_order_test(mg.exp, any_array())
test_log = second_order_test(mg.log, any_array(POSITIVE))
test_sqrt = second_order_test(mg.sqrt, any_array(POSITIVE))
test_relu = second_order_test(lambda x: mg.relu(x) * x, any_array(NONZERO))
test_abs = second_order_test(lambda x: mg.abs(x) * x, any_array(NONZERO))
test_clip = second_order_test(lambda x: x.clip(-1.0, 1.0) * x, any_array(CLIPPABLE))
test_cube = second_order_test(lambda x: x**3, any_array())
test_softmax = second_order_test(lambda x: x.softmax(axis=-1), any_array(min_dims=1))
test_log_softmax = second_order_test(lambda x: x.log_softmax(axis=0), any_array(min_dims=1))
test_logsumexp = second_order_test(lambda x: x.logsumexp(), any_array())
test_mean = second_order_test(lambda x: x.mean(axis=0) ** 2, any_array(min_dims=1))
test_max = second_order_test(lambda x: x.max(axis=-1) ** 2, distinct_arrays(shapes(1, 2)))
test_min = second_order_test(lambda x: x.min() * x, distinct_arrays(shapes(1, 2)))
test_getitem = second_order_test(lambda x: x[[0, 0, -1]] ** 2, arrays(shapes(1, 2)))
test_reshape_transpose = second_order_test(lambda x: (x.T.reshape(-1) ** 2), any_array())


def concat_split(a, b):
    first, rest = mg.split(mg.concat([a, b]), [1, len(a) + len(b) - 1])
    return (first * rest).tanh()


def where(a, b):
    cond = as_tensor(np.array([True, False]), dtype=mg.bool_)
    return mg.where(cond, a * b, b * b)


test_concat_split = second_order_test(concat_split, arrays((2, 3)), arrays((1, 3)))
test_where = second_order_test(where, arrays((3, 2)), arrays((2,)))
test_matmul = second_order_test(lambda a, b: (a @ b).tanh(), arrays((2, 3)), arrays((3, 2)))
test_linear = second_order_test(lambda x, w, b: mg.linear(x, w, b).tanh(), arrays((2, 3)),
                                 arrays((4, 3)), arrays((4,)))
test_linear_twice = second_order_test(lambda x, w: mg.linear(mg.linear(x, w).tanh(), w.T),
                                      arrays((2, 3)), arrays((3, 3)))
test_matmul_batched = second_order_test(lambda a, b: (a @ b) ** 2, arrays((2, 2, 3)),
                                        arrays((3,)))


@pytest.mark.parametrize("name", sorted(BINARY))
@given(data=st.data())
def test_binary_ops_over_broadcast_pairs(backend, name, data):
    op, a_domain, b_domain = BINARY[name]
    check_op(derivative(op), *data.draw(broadcast_arrays(a_domain, b_domain, max_dims=2)))


def test_third_derivative_of_tanh(backend):
    """Twice nested: finite differences of the second derivative."""
    def second(x):
        (g,) = derivative(mg.tanh)(x)
        return mg.grad(g.sum(), [x], create_graph=True)

    x = np.array([-1.0, 0.2, 0.7])
    check_op(second, x)
    t = as_tensor(x, requires_grad=True)
    (g,) = mg.grad(t.tanh().sum(), [t], create_graph=True)
    (gg,) = mg.grad(g.sum(), [t], create_graph=True)
    (ggg,) = mg.grad(gg.sum(), [t])
    y = np.tanh(x)
    assert_close(gg, -2 * y * (1 - y**2))
    assert_close(ggg, (1 - y**2) * (6 * y**2 - 2))


# ---- Hessian-vector products ------------------------------------------------------------------

A = np.array([[1.0, 2.0, 0.0], [0.5, -1.0, 3.0], [0.0, 1.0, 2.0]])


def f(x, a):
    r"""f(x) = \sum_i e^{x_i} x_{n-1-i} + x^T A x."""
    return (x.exp() * x[::-1]).sum() + x @ (a @ x)


def hessian(x):
    n, h = len(x), A + A.T
    for i in range(n):
        j = n - 1 - i
        h[i, i] += np.exp(x[i]) * x[j]
        h[i, j] += np.exp(x[i])
        h[j, i] += np.exp(x[i])
    return h


def test_hessian_vector_product_matches_the_analytic_hessian(backend):
    x0, v0 = np.array([0.3, -0.2, 0.8]), np.array([1.0, 2.0, -0.5])
    x, v = as_tensor(x0, requires_grad=True), as_tensor(v0)
    (g,) = mg.grad(f(x, as_tensor(A)), [x], create_graph=True)
    (hv,) = mg.grad((g * v).sum(), [x])
    assert_close(hv, hessian(x0) @ v0)


def test_backward_with_create_graph_makes_grad_differentiable(backend):
    x0 = np.array([0.3, -0.2, 0.8])
    x = as_tensor(x0, requires_grad=True)
    f(x, as_tensor(A)).backward(create_graph=True)
    assert x.grad.requires_grad
    columns = [mg.grad(x.grad[i], [x], retain_graph=True)[0] for i in range(3)]
    assert_close(mg.stack(columns), hessian(x0))


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_recorded_walk_gives_the_gradients_of_a_first_order_one(backend, name):
    """One rule, two kinds of values: arrays in backward(), Tensors with create_graph=True."""
    fn = CASES[name][0]
    xs = [as_tensor(a, requires_grad=True) for a in draw_inputs(name)]
    y = fn(*xs)
    g = as_tensor(np.random.default_rng(1).uniform(-1, 1, size=y.shape))
    on_arrays = mg.grad(y, xs, g, retain_graph=True)
    on_tensors = mg.grad(y, xs, g, create_graph=True)
    for a, t in zip(on_arrays, on_tensors):
        assert not a.requires_grad  # t has a graph only where it depends on the inputs
        np.testing.assert_allclose(a.numpy(), t.numpy(), rtol=1e-12, atol=1e-14)
