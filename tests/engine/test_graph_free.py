"""The graph is freed by reference counting alone.

Nodes hold their inputs, never their outputs, so there is no cycle between
tensors and nodes: with the cyclic garbage collector switched off, every
intermediate tensor and node must die as soon as nothing refers to it.
"""

import gc
import tracemalloc
import weakref

import pytest
from _helpers import as_tensor

import minigrad as mg
from minigrad import nn


@pytest.fixture
def no_gc():
    """Run the test with the cycle collector off, so only reference counting frees memory."""
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def graph_refs(y):
    """Weak references to the non-leaf tensors behind ``y`` and their nodes.

    ``y`` and its own node are left out: ``y`` keeps that one alive, as it should.
    """
    refs, stack, seen = [], [y._node], set()
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        if node is not y._node:
            refs.append(weakref.ref(node))
        for t in node.inputs:
            if isinstance(t, mg.Tensor) and not t.is_leaf:
                refs.append(weakref.ref(t))
                stack.append(t._node)
    return refs


def recurrence(x, w, steps=5):
    """A small unrolled graph with reuse, broadcasting, a split and indexing."""
    h = x
    for _ in range(steps):
        a, b = mg.chunk(h @ w, 2, dim=1)
        h = mg.concat([a.tanh(), b.sigmoid() * a], axis=1) + x[0]
    return (h * h).mean()


def alive(refs):
    return [r() for r in refs if r() is not None]


def leaves():
    return as_tensor(mg.randn(3, 4).numpy(), requires_grad=True), \
        as_tensor(mg.randn(4, 4).numpy(), requires_grad=True)


def test_backward_frees_intermediates_while_the_output_lives(backend, no_gc):
    x, w = leaves()
    y = recurrence(x, w)
    refs = graph_refs(y)
    assert len(refs) > 20 and not [r for r in refs if r() is None]  # all alive before
    y.backward()
    assert alive(refs) == [] and y.requires_grad and x.grad is not None and w.grad is not None


def test_without_backward_del_frees_everything(backend, no_gc):
    x, w = leaves()
    y = recurrence(x, w)
    refs = graph_refs(y) + [weakref.ref(y), weakref.ref(y._node)]
    del y
    assert alive(refs) == []


def test_retained_graph_is_freed_by_del(backend, no_gc):
    x, w = leaves()
    y = recurrence(x, w)
    y.backward(retain_graph=True)
    refs = graph_refs(y) + [weakref.ref(y), weakref.ref(y._node)]
    del y
    assert alive(refs) == []


def test_retain_grad_does_not_keep_tensors_alive(backend, no_gc):
    x, _ = leaves()
    hs, h = [], x
    for _ in range(4):
        h = h.tanh().retain_grad()
        hs.append(weakref.ref(h))
    h.sum().backward()
    del h
    assert alive(hs) == []


def test_create_graph_through_mg_grad_leaves_no_cycle(backend, no_gc):
    x, w = leaves()
    y = recurrence(x, w)
    gx, gw = mg.grad(y, [x, w], create_graph=True)
    refs = [weakref.ref(t) for t in (y, y._node, gx, gx._node, gw, gw._node)]
    refs += graph_refs(y) + graph_refs(gx) + graph_refs(gw)
    (gx.sum() + (gw * gw).sum()).backward()
    del y, gx, gw
    assert alive(refs) == []


def test_leaves_and_their_grads_hold_no_graph(backend, no_gc):
    x, w = leaves()
    y = recurrence(x, w)
    refs = graph_refs(y) + [weakref.ref(y._node)]
    y.backward()
    del y
    assert alive(refs) == [] and x.grad.is_leaf and w.grad.is_leaf


def test_a_10000_step_chain_dies_with_its_last_tensor(backend, no_gc):
    """Deleting the end of a deep graph frees all of it, without a recursion error."""
    x, _ = leaves()
    h = x.tanh()
    first = weakref.ref(h)
    for _ in range(10_000):
        h = (h * 0.5).tanh()
    del h
    assert first() is None


def test_backward_through_a_hand_stepped_cell_adds_little_to_the_forward_memory():
    """A weight's per-step gradient pieces are summed as the walk goes, not kept to its end.

    Kept to the end, they held one gradient of the gates per step: the backward's peak
    was 1.37 times the memory the forward pass left behind, here; now it is 1.06.
    """
    mg.manual_seed(0)
    cell = nn.LSTMCell(4, 32)
    x = mg.randn(400, 16, 4)
    tracemalloc.start()
    try:
        state = None
        for x_t in x:
            state = cell(x_t, state)
        loss = (state[0] * state[1]).sum()
        held = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        loss.backward()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1.15 * held, (held, peak)
