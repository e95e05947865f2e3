"""The backward walk: accumulation, graph reuse and freeing, grad modes, deep graphs, mg.grad."""

import math
import sys

import numpy as np
import pytest
from _helpers import as_tensor, assert_close, check_op, host

import minigrad as mg


def test_gradients_accumulate_across_backward_calls(backend):
    x = as_tensor([1.0, 2.0], requires_grad=True)
    (x * 2).sum().backward()
    (x * 3).sum().backward()
    assert_close(x.grad, np.array([5.0, 5.0]))


def test_only_tensors_that_require_grad_get_one(backend):
    x, c = as_tensor([1.0, 2.0], requires_grad=True), as_tensor([3.0, 4.0])
    (x * c).sum().backward()
    assert_close(x.grad, host(c))
    assert c.grad is None


def test_retain_graph_allows_a_second_backward(backend):
    x = as_tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    assert_close(x.grad, 2 * 2 * host(x))


def test_second_backward_through_a_freed_graph_is_a_clear_error(backend):
    x = as_tensor([1.0, 2.0], requires_grad=True)
    y = x.exp().sum()
    y.backward()
    with pytest.raises(mg.GraphFreedError, match="retain_graph=True"):
        y.backward()


def test_a_new_graph_over_the_same_leaves_is_fine_after_freeing(backend):
    x = as_tensor([1.0, 2.0], requires_grad=True)
    for _ in range(2):
        (x * x).sum().backward()
    assert_close(x.grad, 4 * host(x))


def test_explicit_gradient_for_a_non_scalar(backend):
    x = as_tensor([1.0, 2.0, 3.0], requires_grad=True)
    g = np.array([0.5, -1.0, 2.0])
    (x * x).backward(as_tensor(g))
    assert_close(x.grad, 2 * host(x) * g)


def test_backward_from_a_leaf(backend):
    x = as_tensor([1.0, 2.0], requires_grad=True)
    x.backward(as_tensor([3.0, 4.0]))
    assert_close(x.grad, np.array([3.0, 4.0]))


def test_a_leaf_gradient_keeps_the_leaf_dtype_when_ops_mix_dtypes(backend):
    x = as_tensor([1.0, 2.0], dtype=mg.float32, requires_grad=True)
    w = as_tensor([3.0, 4.0], dtype=mg.float64, requires_grad=True)
    (x * w).sum().backward()
    assert x.grad.dtype == mg.float32 and w.grad.dtype == mg.float64
    assert mg.grad(mg.concat([x, w]).sum(), [x])[0].dtype == mg.float32


# ---- grad mode and detach -------------------------------------------------------------------


def test_no_grad_records_nothing_and_enable_grad_reenables(backend):
    x = as_tensor([1.0], requires_grad=True)
    assert mg.is_grad_enabled()
    with mg.no_grad():
        assert not mg.is_grad_enabled()
        y = x * 2
        with mg.enable_grad():
            assert mg.is_grad_enabled() and (x * 2).requires_grad
        assert not mg.is_grad_enabled()
    assert mg.is_grad_enabled()
    assert not y.requires_grad and y.is_leaf


def test_grad_modes_restore_on_exception_and_work_as_decorators(backend):
    with pytest.raises(KeyError), mg.no_grad():
        raise KeyError
    assert mg.is_grad_enabled()

    @mg.no_grad()
    def double(t):
        return t * 2

    x = as_tensor([1.0], requires_grad=True)
    assert not double(x).requires_grad and mg.is_grad_enabled()
    with mg.set_grad_enabled(False):
        assert not (x * 2).requires_grad


def test_grad_modes_as_pytorch_has_them():
    x = mg.ones(1, requires_grad=True)
    try:
        mg.set_grad_enabled(False)  # a plain call switches at once
        assert not mg.is_grad_enabled() and not (x * 2).requires_grad
    finally:
        mg.set_grad_enabled(True)
    assert mg.is_grad_enabled()

    @mg.set_grad_enabled(False)  # as a decorator, only inside the function
    def doubled_requires_grad(t):
        return (t * 2).requires_grad

    assert mg.is_grad_enabled() and not doubled_requires_grad(x)

    @mg.no_grad  # no parentheses
    def bare(t):
        """Kept by the wrapper."""
        return (t * 2).requires_grad

    assert not bare(x) and bare.__name__ == "bare" and bare.__doc__ == "Kept by the wrapper."
    with mg.no_grad():
        assert mg.enable_grad(lambda t: (t * 2).requires_grad)(x)

    with pytest.raises(TypeError, match="^set_grad_enabled: expected a bool, got 'no' \\(str\\)$"):
        mg.set_grad_enabled("no")
    with pytest.raises(TypeError, match="got the generator function 'steps'; use a with block"):
        @mg.no_grad()
        def steps(t):
            yield t * 2
    assert mg.is_grad_enabled()


def test_detach_stops_the_gradient(backend):
    x = as_tensor([1.0, 2.0], requires_grad=True)
    y = x * x.detach()  # only the first factor is differentiated
    y.sum().backward()
    assert_close(x.grad, host(x))


# ---- graph shapes ---------------------------------------------------------------------------


def test_same_tensor_used_twice(backend):
    check_op(lambda x: x * x, np.array([1.0, -2.0, 3.0]))
    x = as_tensor([1.0, -2.0, 3.0], requires_grad=True)
    (x * x).sum().backward()
    assert_close(x.grad, 2 * host(x))


def test_diamond_graph(backend):
    """x -> a -> (b, c) -> y: both paths meet in a; a's node runs once, after both."""
    def diamond(x):
        a = x * 3
        return a.exp() * a + a.tanh()

    check_op(diamond, np.array([0.2, -0.5]))
    x = as_tensor([0.2, -0.5], requires_grad=True)
    diamond(x).sum().backward()
    a = 3 * host(x)
    assert_close(x.grad, 3 * (np.exp(a) * a + np.exp(a) + 1 - np.tanh(a) ** 2))


def test_paths_of_different_lengths_meet(backend):
    """The short path reaches x's consumer before the long one: rank order must wait."""
    def uneven(x):
        long = x
        for _ in range(5):
            long = (long * 0.5).tanh()
        return long + x * x

    check_op(uneven, np.array([0.3, 0.7]))


def test_a_short_path_listed_first_still_waits_for_the_long_one(backend):
    """The walk runs a node's first parent at once only when nothing waiting outranks it.

    Here ``a``'s first consumer is the short path; run early, ``a`` would be walked before
    the long path's gradient arrived, and again after it, through a freed node.
    """
    def uneven(x):
        a = x * 3
        long = a
        for _ in range(5):
            long = (long * 0.5).tanh()
        return a * a + long

    check_op(uneven, np.array([0.3, 0.7]))
    x = as_tensor([0.3, 0.7], requires_grad=True)
    uneven(x).sum().backward()  # a freed node walked twice would raise GraphFreedError


def test_a_first_parent_that_must_wait_still_collects_the_later_shares(backend):
    """``y = t + exp(2 t)``: the sum's first parent, ``t``'s node, cannot run next, since
    the exponential's branch outranks it; its gradient, carried in hand by the walk until
    then, must wait with it and meet the share coming back through that branch."""
    def held_back(x):
        t = x.tanh()
        return t + (t * 2).exp()

    check_op(held_back, np.array([0.3, -0.8]))
    x = as_tensor([0.3, -0.8], requires_grad=True)
    held_back(x).sum().backward()
    t = np.tanh(host(x))
    assert_close(x.grad, (1 + 2 * np.exp(2 * t)) * (1 - t**2))


class Spy(mg.function.Function):
    """The identity, noting what its backward rule is given."""

    seen = []

    def forward(self, xp, x):
        return x

    def backward(self, gy):
        (x,) = self.operands()
        Spy.seen.append((type(gy), type(x), type(self.constant(x))))
        return gy


def test_rules_get_arrays_in_a_first_order_walk_and_tensors_in_a_recorded_one(backend):
    x = as_tensor([1.0, 2.0], requires_grad=True)
    array = type(x.data)
    Spy.seen.clear()
    (Spy.apply(x) * x).sum().backward()
    assert Spy.seen == [(array, array, array)]
    assert type(x.grad) is mg.Tensor
    Spy.seen.clear()
    (g,) = mg.grad((Spy.apply(x) * x).sum(), [x], create_graph=True)
    assert Spy.seen == [(mg.Tensor, mg.Tensor, mg.Tensor)]
    assert g.requires_grad


def test_a_10000_step_chain_under_the_default_recursion_limit(backend):
    """h <- h + 1e-4 tanh(h), 10,000 times: the walk must be iterative, never recursive."""
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(1000)  # CPython's default
    try:
        x = as_tensor([0.5], requires_grad=True)
        h, value, slope = x, 0.5, 1.0
        for _ in range(10_000):
            h = h + h.tanh() * 1e-4
            slope *= 1 + 1e-4 * (1 - math.tanh(value) ** 2)  # the chain rule, step by step
            value += 1e-4 * math.tanh(value)
        h.sum().backward()
    finally:
        sys.setrecursionlimit(limit)
    assert_close(h, np.array([value]), rtol=1e-9)
    assert_close(x.grad, np.array([slope]), rtol=1e-9)


def test_retain_grad_on_every_step_of_an_unrolled_recurrence(backend):
    """h[t] = tanh(w * h[t-1] + x[t]), loss = sum_t h[t]: BPTT by hand in NumPy."""
    w, xs = 0.8, np.array([0.5, -1.0, 0.3, 0.9])
    h, hs = as_tensor([0.0], requires_grad=True), []
    for x_t in xs:
        h = (h * w + float(x_t)).tanh().retain_grad()
        hs.append(h)
    sum(hs[1:], hs[0]).sum().backward()

    values = [float(t.item()) for t in hs]
    expected, carry = [0.0] * len(hs), 0.0
    for t in reversed(range(len(hs))):
        expected[t] = 1.0 + carry  # its own term in the loss, plus what flows back from t+1
        carry = expected[t] * (1 - values[t] ** 2) * w
    for t, h_t in enumerate(hs):
        assert_close(h_t.grad, np.array([expected[t]]))


# ---- mg.grad --------------------------------------------------------------------------------


def test_grad_returns_gradients_without_touching_dot_grad(backend):
    x = as_tensor([1.0, 2.0], requires_grad=True)
    (gx,) = mg.grad((x * x).sum(), [x])
    assert_close(gx, 2 * host(x))
    assert x.grad is None


def test_grad_with_non_leaf_inputs_and_several_outputs(backend):
    x = as_tensor([1.0, 2.0], requires_grad=True)
    h = x * 3
    y1, y2 = (h * h).sum(), h.exp()
    g2 = as_tensor([1.0, -1.0])
    gh, gx = mg.grad([y1, y2], [h, x], grad_outputs=[None, g2])
    hv = host(h)
    assert_close(gh, 2 * hv + np.exp(hv) * host(g2))
    assert_close(gx, 3 * host(gh))
    assert x.grad is None and h.grad is None


def test_grad_of_the_same_input_twice(backend):
    x = as_tensor([1.0, 2.0], requires_grad=True)
    g1, g2 = mg.grad((x * x).sum(), [x, x])
    assert_close(g1, g2)


def test_grad_allow_unused(backend):
    x, unused = as_tensor([1.0], requires_grad=True), as_tensor([2.0], requires_grad=True)
    y = (x * 2).sum()
    with pytest.raises(RuntimeError, match="allow_unused=True"):
        mg.grad(y, [x, unused], retain_graph=True)
    gx, gu = mg.grad(y, [x, unused], allow_unused=True)
    assert_close(gx, np.array([2.0]))
    assert gu is None


def test_grad_retain_graph(backend):
    x = as_tensor([1.0, 2.0], requires_grad=True)
    y = x.tanh().sum()
    first = mg.grad(y, [x], retain_graph=True)[0]
    assert_close(mg.grad(y, [x])[0], first)
    with pytest.raises(mg.GraphFreedError):
        mg.grad(y, [x])


def test_in_place_accumulation_never_writes_a_gradient_shared_with_another_tensor():
    # Add hands one gradient array to both operands; later sums into x (three in all,
    # the last ones in place) must not reach y's gradient, nor h's shared gradient.
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    y = mg.tensor([3.0, 4.0], requires_grad=True)
    h = x * 1.0
    loss = ((x + y) * 3).sum() + (x * 2).sum() + (x * 5).sum() + (h + y).sum() + (h * 4).sum()
    loss.backward()
    np.testing.assert_array_equal(y.grad.numpy(), [4.0, 4.0])
    np.testing.assert_array_equal(x.grad.numpy(), [15.0, 15.0])


def test_a_weight_used_at_every_step_gets_the_sum_of_its_step_gradients():
    w = mg.tensor([[0.5, -0.25], [0.125, 1.0]], requires_grad=True)
    h = mg.tensor([[1.0, 2.0]])
    hs = []
    for _ in range(6):
        h = (h @ w).tanh()
        hs.append(h)
    mg.stack(hs).sum().backward()
    expected = w.grad.numpy().copy()
    w.grad = None
    total = None
    # The same gradient, summed by hand from one mg.grad call per step's output.
    for k in range(6):
        h = mg.tensor([[1.0, 2.0]])
        for _ in range(k + 1):
            h = (h @ w).tanh()
        (g,) = mg.grad(h.sum(), [w])
        total = g.numpy() if total is None else total + g.numpy()
    np.testing.assert_allclose(expected, total, rtol=1e-6)


@pytest.mark.parametrize("collect", ["backward", "grad"])
def test_a_weight_used_at_every_step_sums_its_deferred_contributions(backend, collect):
    """Linear leaves its leaf weight's and bias's gradients as factors, summed at the end
    of the walk; the result must equal the sum of the per-use products, also when the
    weight is used by other ops too and when it already holds a gradient."""
    rng = np.random.default_rng(3)
    w, b, h0 = (as_tensor(rng.standard_normal(s), requires_grad=True)
                for s in [(3, 3), (3,), (2, 3)])
    w.grad = as_tensor(np.ones((3, 3)))  # an earlier backward's gradient stays in the sum

    def loss(linear):
        h = h0
        for _ in range(4):
            h = linear(h, w, b).tanh()
        return (h * h).sum() + (w * w).sum()  # w also reaches the loss through Mul

    def reference_linear(x, weight, bias):
        return x @ weight.T + bias

    want = mg.grad(loss(reference_linear), [w, b, h0])
    if collect == "grad":
        got = mg.grad(loss(mg.linear), [w, b, h0])
    else:
        loss(mg.linear).backward()
        got = (w.grad - 1, b.grad, h0.grad)
    for g, expected in zip(got, want):
        assert_close(g, expected)


def test_grad_takes_inputs_from_a_generator(backend):
    """model.parameters() is a generator: grad must not use it up before the result."""
    w, b = as_tensor([1.0, 2.0], requires_grad=True), as_tensor(3.0, requires_grad=True)
    loss = (w * w).sum() * b
    gw, gb = mg.grad(loss, (t for t in [w, b]))
    assert_close(gw, [6.0, 12.0])
    assert_close(gb, 5.0)
    with pytest.raises(TypeError, match="expected a Tensor or a sequence of Tensors as outputs"):
        mg.grad(3.0, [w])


def test_retain_grad_twice_keeps_one_gradient(backend):
    x = as_tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    assert y.retain_grad().retain_grad() is y
    y.sum().backward()
    assert_close(y.grad, [1.0, 1.0])


def test_leaf_gradients_are_writable_arrays_of_their_own(backend):
    """A rule may hand one array to several inputs (Add), a sum hands a read-only broadcast
    view, and a seed is the caller's tensor: each leaf's .grad must still be its own."""
    x, w = as_tensor([1.0, 2.0], requires_grad=True), as_tensor([3.0, 4.0], requires_grad=True)
    (x + w).sum().backward()
    x.grad.data *= 2  # a read-only broadcast view would raise here
    assert_close(x.grad, [2.0, 2.0])
    assert_close(w.grad, [1.0, 1.0])  # not the same array as x.grad
    seed = as_tensor([1.0, 1.0])
    x.grad = None
    x.backward(seed)
    seed.data[...] = 7.0
    assert_close(x.grad, [1.0, 1.0])
