"""Tensors: the factories, the attributes and methods of DESIGN.md, and dtype rules."""

import operator

import numpy as np
import pytest
from _helpers import assert_close

import minigrad as mg

# ---- factories ----------------------------------------------------------------------------


@pytest.mark.parametrize("data, dtype", [
    ([[1.0, 2.0], [3.0, 4.0]], mg.float32),
    (2.5, mg.float32),
    ([1, 2, 3], mg.int64),
    (7, mg.int64),
    ([True, False], mg.bool_),
    (True, mg.bool_),
    (np.zeros(2, dtype=np.float64), mg.float64),  # arrays keep their dtype
    (np.zeros(2, dtype=np.int32), mg.int32),
])
def test_tensor_default_dtypes(backend, data, dtype):
    t = mg.tensor(data)
    assert t.dtype == dtype
    assert_close(t, np.asarray(data, dtype=dtype))


def test_tensor_copies_its_data(backend):
    a = np.ones(3)
    t = mg.tensor(a)
    a[0] = 5.0
    u = mg.tensor(t)  # from a Tensor: a copy with the same values, off the graph
    assert t.numpy()[0] == 1.0 and u.dtype == t.dtype and u is not t and u.is_leaf


@pytest.mark.parametrize("factory, args", [
    (mg.zeros, (2, 3)), (mg.ones, (2, 3)), (mg.randn, (2, 3)), (mg.rand, (2, 3)),
])
def test_sizes_as_varargs_or_one_tuple(backend, factory, args):
    assert factory(*args).shape == factory(args).shape == factory(list(args)).shape == args
    assert factory(*args).dtype == mg.float32
    assert factory().shape == ()


FACTORIES = {
    "tensor": lambda **kw: mg.tensor([[1.0, 2.0]], **kw),
    "zeros": lambda **kw: mg.zeros(1, 2, **kw),
    "ones": lambda **kw: mg.ones(1, 2, **kw),
    "full": lambda **kw: mg.full((1, 2), 3.0, **kw),
    "zeros_like": lambda **kw: mg.zeros_like(mg.ones(1, 2), **kw),
    "ones_like": lambda **kw: mg.ones_like(mg.ones(1, 2), **kw),
    "randn": lambda **kw: mg.randn(1, 2, **kw),
    "rand": lambda **kw: mg.rand(1, 2, **kw),
    "arange": lambda **kw: mg.arange(2, **kw),
    "eye": lambda **kw: mg.eye(2, **kw),
}


@pytest.mark.parametrize("name", sorted(FACTORIES))
@pytest.mark.parametrize("dtype", [mg.float32, mg.float64])
def test_every_factory_takes_dtype_backend_and_requires_grad(backend, name, dtype):
    t = FACTORIES[name](dtype=dtype, backend=backend, requires_grad=True)
    assert (t.dtype, t.backend, t.requires_grad, t.is_leaf) == (dtype, backend, True, True)
    t.sum().backward()
    assert_close(t.grad, np.ones(t.shape, dtype=dtype))


@pytest.mark.parametrize("name", sorted(set(FACTORIES) - {"tensor", "zeros_like", "ones_like"}))
def test_dtype_none_means_the_default_float32(backend, name):
    assert FACTORIES[name](dtype=None).dtype == (mg.int64 if name == "arange" else mg.float32)


def test_factory_values(backend):
    assert_close(mg.full((2, 2), 3.0), np.full((2, 2), 3.0, dtype=np.float32))
    assert_close(mg.full(3, 1.0), np.ones(3, dtype=np.float32))
    assert_close(mg.eye(2, 3), np.eye(2, 3, dtype=np.float32))
    assert_close(mg.arange(1, 7, 2), np.arange(1, 7, 2))
    assert mg.arange(3).dtype == mg.int64 and mg.arange(0.0, 1.0, 0.25).dtype == mg.float32
    assert mg.zeros_like(mg.ones(2, dtype=mg.int64)).dtype == mg.int64
    r = mg.rand(1000).numpy()
    assert 0.0 <= r.min() and r.max() < 1.0


def test_factories_follow_the_default_backend(backend):
    assert mg.zeros(2).backend == mg.randn(2).backend == mg.tensor([1.0]).backend == backend


def test_manual_seed_reproduces_random_draws(backend):
    mg.manual_seed(3)
    first = (mg.randn(4).numpy(), mg.rand(4).numpy())
    mg.manual_seed(3)
    again = (mg.randn(4).numpy(), mg.rand(4).numpy())
    np.testing.assert_array_equal(first[0], again[0])
    np.testing.assert_array_equal(first[1], again[1])
    mg.manual_seed(4)
    assert not np.array_equal(mg.randn(4).numpy(), first[0])


# ---- attributes and methods ------------------------------------------------------------------


def test_attributes(backend):
    x = mg.tensor([[1.0, 2.0, 3.0]], requires_grad=True)
    assert (x.shape, x.ndim, x.dtype, x.backend) == ((1, 3), 2, mg.float32, backend)
    assert x.requires_grad and x.is_leaf and x.grad is None
    assert isinstance(x.data, mg.backends.get(backend).xp.ndarray)
    y = x * 2
    assert y.requires_grad and not y.is_leaf


def test_numpy_and_item(backend):
    x = mg.tensor([[1.5]])
    assert isinstance(x.numpy(), np.ndarray)
    assert x.item() == 1.5 and isinstance(x.item(), float)
    assert mg.tensor(3).item() == 3 and isinstance(mg.tensor(3).item(), int)


def test_to_dtype_and_backend(backend):
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    assert x.to(backend) is x and x.to(mg.float32) is x  # nothing changes: no copy
    y = x.to(mg.float64)
    assert y.dtype == mg.float64 and y.requires_grad
    (y * y).sum().backward()  # the cast is differentiable; the gradient comes back as float32
    assert x.grad.dtype == mg.float32
    assert_close(x.grad, np.array([2.0, 4.0], dtype=np.float32))
    assert x.to(dtype=mg.int64).dtype == mg.int64 and x.to("float64").dtype == mg.float64
    assert x.to(backend="numpy").backend == "numpy"


def test_zero_d_results_and_their_gradients_are_arrays(backend):
    """NumPy returns a 0-d result as a scalar (``numpy.float32``); ``.data`` stays an array."""
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    w = mg.tensor(3.0, requires_grad=True)
    element = x[0]  # indexing one element
    loss = (x * w).sum() * 2.0 + element.tanh()  # a full reduction, then arithmetic on 0-d
    element.retain_grad()
    loss.backward()
    array_type = type(mg.zeros(1).data)
    for t in (element, loss, w.grad, element.grad):
        assert type(t.data) is array_type and t.shape == ()
    (g,) = mg.grad(w * w, [w])
    assert type(g.data) is array_type
    loss.data += 1  # in place, as on any array
    assert loss.item() == pytest.approx(2 * 3 * 3 + np.tanh(1.0) + 1, rel=1e-6)


def test_detach_shares_data_but_leaves_the_graph(backend):
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    d = (x * 2).detach()
    assert d.is_leaf and not d.requires_grad
    assert_close(d, np.array([2.0, 4.0], dtype=np.float32))


def test_requires_grad_(backend):
    x = mg.tensor([1.0])
    assert x.requires_grad_() is x and x.requires_grad
    assert not x.requires_grad_(False).requires_grad


def test_retain_grad_and_zero_grad(backend):
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    h = (x * 3).retain_grad()
    (h * h).sum().backward()
    assert_close(h.grad, 2 * h.numpy())
    assert_close(x.grad, 3 * 2 * h.numpy())
    x.zero_grad()
    assert x.grad is None


# ---- dtypes under mixed operands ---------------------------------------------------------------


@pytest.mark.parametrize("scalar", [2, 2.0, np.float64(2.0), np.float32(2.0), np.int64(2)])
def test_float32_survives_python_and_numpy_scalars_on_either_side(backend, scalar):
    x = mg.tensor([1.0, 2.0])
    for y in (x * scalar, scalar * x, x + scalar, scalar - x, x / scalar, scalar / x,
              x**scalar, x.clip(scalar, None)):
        assert y.dtype == mg.float32


def test_float64_stays_float64(backend):
    x = mg.tensor([1.0, 2.0], dtype=mg.float64)
    assert (x * 2).dtype == (2 * x).dtype == x.exp().dtype == mg.float64


@pytest.mark.parametrize("op", [
    operator.lt, operator.le, operator.gt, operator.ge, operator.eq, operator.ne,
])
def test_comparisons_give_bool_tensors_off_the_graph(backend, op):
    x = mg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    other = mg.tensor([2.0, 2.0, 2.0])
    expected = op(x.numpy(), other.numpy())
    for got in (op(x, other), op(x, 2.0)):
        assert got.dtype == mg.bool_ and not got.requires_grad and got.is_leaf
        np.testing.assert_array_equal(got.numpy(), expected)


def test_iteration_runs_along_the_first_axis_and_refuses_0d():
    rows = list(mg.tensor([[1.0, 2.0], [3.0, 4.0]]))
    assert [r.numpy().tolist() for r in rows] == [[1.0, 2.0], [3.0, 4.0]]
    with pytest.raises(TypeError, match="0-d tensor"):
        list(mg.tensor(3.0))
    with pytest.raises(TypeError, match="^len: expected a tensor of at least one dimension"):
        len(mg.tensor(3.0))
    assert abs(mg.tensor([-1.5])).numpy().tolist() == [1.5]


def test_to_names_dtypes_too_when_a_name_is_unknown():
    with pytest.raises(ValueError, match=r"unknown backend 'float16'.*or a dtype, one of"):
        mg.tensor([1.0]).to("float16")


# ---- in-place arithmetic and assigned gradients ----------------------------------------------


def test_in_place_arithmetic_updates_the_parameter_itself(backend):
    w = mg.tensor([1.0, 2.0], requires_grad=True)
    (w * w).sum().backward()
    params = [w]
    with mg.no_grad():
        for p in params:  # a hand-written SGD step: without __isub__ it rebound p only
            p -= 0.5 * p.grad
    assert_close(w, [0.0, 0.0])
    assert w.requires_grad and w.is_leaf and w.dtype == mg.float32
    x = mg.tensor([1.0, 2.0, 4.0])
    x += 1
    x *= 2
    x /= mg.tensor([1.0, 2.0, 5.0], dtype=mg.float64)  # stored back in float32
    assert x.dtype == mg.float32
    assert_close(x, [4.0, 3.0, 2.0])


def test_in_place_arithmetic_leaves_saved_and_shared_arrays_alone(backend):
    w = mg.tensor([3.0], requires_grad=True)
    x = mg.tensor([2.0])
    y = w * x  # the tape keeps x's array for w's gradient
    x += 10.0
    y.backward()
    assert_close(w.grad, [2.0])
    assert_close(x, [12.0])


def test_in_place_arithmetic_refuses_what_the_tape_would_miss(backend):
    w = mg.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="^-=: expected no tensor that requires grad while "
                                           "grad mode is on"):
        w -= 1.0
    x = mg.tensor([1.0])
    with pytest.raises(RuntimeError, match="requires grad while grad mode is on"):
        x += w
    with pytest.raises(RuntimeError, match="^\\+=: expected a leaf tensor, got one computed by "
                                           "a recorded op"):
        y = w * 2
        y += 1
    with pytest.raises(ValueError, match=r"result has shape \(2, 1\); an in-place update keeps "
                                         r"the tensor's shape \(1,\)"):
        x += mg.ones(2, 1)
    i = mg.arange(3)
    with pytest.raises(TypeError, match="dtype float64 cannot be stored in a tensor of dtype "
                                        "int64"):
        i *= 0.5
    assert_close(w, [1.0])
    assert_close(x, [1.0])


def test_an_assigned_gradient_must_fit_the_tensor(backend):
    p = mg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    p.grad = mg.ones(3)
    p.grad = None
    with pytest.raises(ValueError, match=r"^grad: expected a gradient of this tensor's shape "
                                         r"\(3,\), got \(1,\)$"):
        p.grad = mg.ones(1)
    with pytest.raises(TypeError, match="^grad: expected a gradient of this tensor's dtype "
                                        "float32, got float64$"):
        p.grad = mg.ones(3, dtype=mg.float64)
    with pytest.raises(TypeError, match="^grad: expected a Tensor or None, got ndarray$"):
        p.grad = np.ones(3)
    assert p.grad is None


def test_a_retained_gradient_keeps_the_dtype_of_its_tensor(backend):
    # Mul's rule gives x32 a float64 gradient here; .grad takes x32's dtype, as leaves do.
    x32 = mg.tensor([1.0, 2.0], requires_grad=True) * 1.0
    x32.retain_grad()
    (x32 * mg.tensor([3.0, 4.0], dtype=mg.float64)).sum().backward()
    assert x32.grad.dtype == mg.float32
    assert_close(x32.grad, [3.0, 4.0])
