"""Tensors changed after the tape used them: backward is harmless or refuses, never wrong."""

import numpy as np
import pytest
from _helpers import assert_close

import minigrad as mg
from minigrad import nn


@pytest.mark.parametrize("make", [lambda w: mg.optim.SGD([w], lr=0.5, momentum=0.9),
                                  lambda w: mg.optim.Adam([w], lr=0.5)], ids=["sgd", "adam"])
def test_a_step_between_two_backward_passes_leaves_the_second_one_right(make):
    # The second backward used to read the array the step had rewritten: w.grad [0, 0].
    w = mg.tensor([1.0, 2.0], requires_grad=True)
    loss = (w * w).sum()
    loss.backward(retain_graph=True)
    make(w).step()
    w.grad = None
    loss.backward()
    assert_close(w.grad, [2.0, 4.0])   # d/dw of what the forward pass computed


def test_a_step_between_forward_and_backward_differentiates_the_forward(backend):
    mg.manual_seed(0)
    model = nn.LSTM(3, 4)
    optimizer = mg.optim.SGD(model.parameters(), lr=1.0)
    x = mg.randn(5, 2, 3)
    before = {name: p.numpy().copy() for name, p in model.named_parameters()}
    output, _ = model(x)
    loss = (output ** 2).sum()
    for p in model.parameters():
        p.grad = mg.ones_like(p)
    optimizer.step()                     # the weights move before backward runs
    optimizer.zero_grad()
    loss.backward()
    fresh = nn.LSTM(3, 4)
    fresh.load_state_dict(before)
    (fresh(x)[0] ** 2).sum().backward()
    for (name, p), q in zip(model.named_parameters(), fresh.parameters()):
        assert_close(p.grad, q.grad, rtol=1e-5, atol=1e-6)


def test_an_in_place_update_of_a_leaf_after_forward_is_harmless():
    w = mg.tensor([1.0, 2.0], requires_grad=True)
    loss = (w * w.exp()).sum()
    with mg.no_grad():
        w += 10.0
    loss.backward()
    x = np.array([1.0, 2.0])
    assert_close(w.grad, np.exp(x) * (1 + x), rtol=1e-6)


def test_a_recorded_backward_after_a_step_refuses_naming_the_op():
    w = mg.tensor([1.0, 2.0], requires_grad=True)
    loss = (w * w).sum()
    w.grad = mg.ones(2)
    mg.optim.SGD([w], lr=0.1).step()
    with pytest.raises(RuntimeError, match=r"backward of Mul: its input 0, a tensor of shape "
                                           r"\(2,\), was given new values after the forward"):
        mg.grad(loss, [w], create_graph=True)


def test_a_checkpoint_recomputed_after_a_step_refuses():
    w = mg.tensor([1.0, 2.0], requires_grad=True)
    out = mg.checkpoint(lambda v: (v * w).tanh(), mg.ones(2))
    w.grad = mg.ones(2)
    mg.optim.SGD([w], lr=0.1).step()
    with pytest.raises(RuntimeError, match="backward of Checkpoint: its input 1"):
        out.sum().backward()
