"""mg.checkpoint: the plain call's values and gradients, with the call's inside forgotten."""

import gc
import weakref

import numpy as np
import pytest
from _helpers import as_tensor, assert_close, check_op
from _strategies import arrays, shapes
from hypothesis import given

import minigrad as mg
from minigrad import nn


def block(h, w, scale):
    """One step of a small recurrence, with a constant among its arguments."""
    return (h @ w).tanh() * scale


def unroll(h, w, steps, checkpointed):
    for _ in range(steps):
        h = mg.checkpoint(block, h, w, 0.9) if checkpointed else block(h, w, 0.9)
    return h


def gradients(checkpointed, create_graph=False):
    """The loss, first derivatives and (with create_graph) second derivatives of a chain."""
    mg.manual_seed(1)
    w = mg.randn(4, 4, dtype=mg.float64, requires_grad=True)
    h0 = mg.randn(3, 4, dtype=mg.float64, requires_grad=True)
    loss = (unroll(h0, w, 5, checkpointed) ** 2).sum()
    gw, gh = mg.grad(loss, [w, h0], create_graph=create_graph)
    if not create_graph:
        return [loss, gw, gh]
    return [loss, gw, gh, *mg.grad((gw * gw).sum() + (gh * gh).sum(), [w, h0])]


def test_values_and_gradients_equal_the_plain_call(backend):
    for plain, checkpointed in zip(gradients(False), gradients(True)):
        assert_close(checkpointed, plain, rtol=0, atol=0)


def test_second_derivatives_equal_the_plain_call(backend):
    for plain, checkpointed in zip(gradients(False, True), gradients(True, True)):
        assert_close(checkpointed, plain, rtol=1e-12, atol=1e-12)


@given(h=arrays(shapes(min_dims=2, max_dims=2, max_side=4)))
def test_gradcheck_through_a_checkpoint(backend, h):
    w = as_tensor(np.random.default_rng(0).uniform(-1, 1, (h.shape[1], 3)), requires_grad=True)
    check_op(lambda h, w: mg.checkpoint(block, h, w, 0.5), h, w)


def test_captured_parameters_get_their_gradient_and_backward_accumulates(backend):
    layer = nn.Linear(3, 3, dtype=mg.float64)
    x = mg.randn(2, 3, dtype=mg.float64, requires_grad=True)
    layer(layer(x)).sum().backward()
    expected = [p.grad.numpy() for p in layer.parameters()] + [x.grad.numpy()]
    layer.zero_grad()
    x.grad = None
    mg.checkpoint(lambda v: layer(layer(v)), x).sum().backward()
    for got, want in zip([p.grad for p in layer.parameters()] + [x.grad], expected):
        assert_close(got, want, rtol=0, atol=0)


def test_nested_outputs_and_values_keep_their_structure(backend):
    x = mg.randn(2, 3, requires_grad=True)

    def cell(v):
        return v * 2, (v.tanh(), "label", [v.exp()])

    doubled, (tanh, label, [exp]) = mg.checkpoint(cell, x)
    assert label == "label"
    (doubled.sum() + tanh.sum() + exp.sum()).backward()
    assert_close(x.grad, 2 + (1 - np.tanh(x.numpy()) ** 2) + np.exp(x.numpy()), rtol=1e-6)


def test_tensors_inside_argument_tuples_are_inputs_too(backend):
    cell = nn.LSTMCell(3, 4, dtype=mg.float64)
    x = mg.randn(2, 3, dtype=mg.float64)
    state = tuple(mg.randn(2, 4, dtype=mg.float64, requires_grad=True) for _ in range(2))
    grads = []
    for run in (cell, lambda x, hx: mg.checkpoint(cell, x, hx)):
        h, c = run(x, tuple(s * 2 for s in state))  # the state is no leaf: its graph goes on
        grads.append(mg.grad((h * c).sum(), [*state, cell.weight_hh]))
    for got, want in zip(*grads):
        assert_close(got, want, rtol=0, atol=0)


def test_random_draws_are_replayed_in_the_recomputation(backend):
    layer = nn.Linear(4, 4)
    x = mg.randn(16, 4, requires_grad=True)

    def noisy(v):
        return nn.functional.dropout(layer(v), 0.5, training=True) * mg.rand(16, 4)

    mg.manual_seed(5)
    plain = noisy(x)
    plain.sum().backward()
    expected = x.grad.numpy().copy()
    x.grad = None
    mg.manual_seed(5)
    checkpointed = mg.checkpoint(noisy, x)
    after = mg.rand(3).numpy()  # the generator moves on as after the plain call
    checkpointed.sum().backward()
    assert_close(checkpointed, plain, rtol=0, atol=0)
    assert_close(x.grad, expected, rtol=0, atol=0)
    mg.manual_seed(5)
    noisy(x)
    assert_close(mg.rand(3), after, rtol=0, atol=0)


def test_the_inside_of_the_call_is_not_kept(backend):
    x = mg.randn(8, 8, requires_grad=True)
    inside = []

    def fn(v):
        y = v.tanh()
        inside.append(weakref.ref(y))
        return y.exp()

    out = mg.checkpoint(fn, x)
    gc.collect()
    assert inside[0]() is None  # the first run's intermediate died with its graph
    out.sum().backward()
    assert x.grad is not None


def test_under_no_grad_it_is_the_plain_call(backend):
    x = mg.randn(2, requires_grad=True)
    with mg.no_grad():
        y = mg.checkpoint(mg.tanh, x)
    assert not y.requires_grad
    assert_close(y, np.tanh(x.numpy()), rtol=1e-6)


def test_bad_functions_are_refused():
    x = mg.randn(2, requires_grad=True)
    with pytest.raises(TypeError, match="expected a callable fn, got int"):
        mg.checkpoint(3, x)
    with pytest.raises(TypeError, match="return a Tensor or a tuple or list of Tensors, got"):
        mg.checkpoint(lambda v: v.numpy(), x)
