"""Edges where minigrad used to differ from PyTorch: empty batches and layers, infinite
logits, non-finite gradient norms, Python ints too large for a tensor's dtype."""

import math

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from _helpers import assert_close, check_op
from _strategies import arrays, shapes
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg
from minigrad import nn


@pytest.mark.parametrize("cls", [nn.RNN, nn.GRU, nn.LSTM])
def test_a_batch_of_no_sequences_gives_empty_outputs(cls, backend):
    layer = cls(3, 4, num_layers=2, bidirectional=True)
    x = mg.zeros(5, 0, 3, requires_grad=True)
    output, state = layer(x)
    assert output.shape == (5, 0, 8)
    for part in state if isinstance(state, tuple) else (state,):
        assert part.shape == (4, 0, 4)
    output.sum().backward()
    assert all(p.grad is not None and not p.grad.numpy().any() for p in layer.parameters())


def test_layers_without_features_or_rows_are_built_as_in_pytorch():
    empty_in = nn.Linear(0, 3)
    assert empty_in.weight.shape == (3, 0)
    assert_close(empty_in(mg.zeros(2, 0)), np.zeros((2, 3)))   # the bias starts at 0
    assert nn.Linear(3, 0)(mg.ones(2, 3)).shape == (2, 0)
    assert nn.Embedding(0, 3).weight.shape == (0, 3)
    with pytest.raises(ValueError, match="Embedding: expected num_embeddings to be an int >= 0"):
        nn.Embedding(-1, 3)


def test_infinite_logits_give_the_gradients_pytorch_gives(backend):
    inf = math.inf
    logits = mg.tensor([inf, -inf, inf, -inf, 0.0, 3.0], requires_grad=True)
    targets = mg.tensor([1.0, 0.0, 0.0, 1.0, 1.0, 0.3])
    loss = nn.functional.binary_cross_entropy_with_logits(logits, targets, reduction="none")
    # A logit infinite on its target's side costs nothing; PyTorch's loss is NaN there.
    assert_close(loss[:4], [0.0, 0.0, inf, inf])
    loss.sum().backward()
    sigmoid = 1 / (1 + math.exp(-3.0))
    assert_close(logits.grad, [0.0, 0.0, 1.0, -1.0, -0.5, sigmoid - 0.3], rtol=1e-6)


def test_binary_cross_entropy_matches_pytorch_where_both_are_finite():
    torch = pytest.importorskip("torch")
    values = np.random.default_rng(0).normal(0, 30, size=(4, 5))
    targets = np.random.default_rng(1).uniform(0, 1, size=(4, 5))
    x = mg.tensor(values, dtype=mg.float64, requires_grad=True)
    nn.functional.binary_cross_entropy_with_logits(x, mg.tensor(targets, dtype=mg.float64)) \
        .backward()
    tx = torch.tensor(values, requires_grad=True)
    torch.nn.functional.binary_cross_entropy_with_logits(tx, torch.tensor(targets)).backward()
    assert_close(x.grad, tx.grad.numpy(), rtol=1e-10)


def test_a_non_finite_gradient_norm_can_be_an_error():
    w = mg.ones(2, requires_grad=True)
    w.grad = mg.tensor([math.nan, 1.0])
    with pytest.raises(RuntimeError, match="clip_grad_norm_: the total norm of the gradients "
                                           "is nan"):
        nn.utils.clip_grad_norm_([w], 1.0, error_if_nonfinite=True)
    assert math.isnan(float(nn.utils.clip_grad_norm_([w], 1.0)))   # the default scales anyway
    with pytest.raises(TypeError, match="expected error_if_nonfinite to be a bool"):
        nn.utils.clip_grad_norm_([w], 1.0, error_if_nonfinite="yes")


def test_a_python_int_too_large_for_the_dtype_names_the_op():
    with pytest.raises(ValueError, match=r"add: cannot apply to operands \(\(2,\) int64, int\)"):
        mg.tensor([1, 2]) + 2 ** 70


@given(data=st.data())
def test_the_sigmoid_cross_entropy_node_gradchecks(backend, data):
    shape = data.draw(shapes(max_dims=2))
    logits = data.draw(arrays(shape))
    targets = data.draw(hnp.arrays(np.float64, shape, elements=st.floats(0, 1)))
    check_op(mg.ops.sigmoid_cross_entropy, logits, targets)
