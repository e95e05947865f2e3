"""Broadcasting is undone in one place, ``unbroadcast``; every binary op relies on it.

The helper is checked against its definition (each element of the input collects
the gradient of every copy broadcasting made of it), then every binary operator
is gradient-checked over pairs of mutually broadcastable shapes. Comparisons
broadcast too, outside the graph; shapes that do not broadcast are an error naming both.
"""

import itertools

import numpy as np
import pytest
from _helpers import as_tensor, assert_close, check_op
from _strategies import BINARY, arrays, broadcast_arrays, shapes
from hypothesis import example, given
from hypothesis import strategies as st

import minigrad as mg
from minigrad.gradients import unbroadcast


@st.composite
def broadcast_cases(draw):
    """A gradient of a broadcast result's shape, and the shape of the input that was broadcast."""
    target = draw(shapes())
    keep = draw(st.integers(0, len(target)))
    source = tuple(1 if draw(st.booleans()) else n for n in target[len(target) - keep:])
    return draw(arrays(target)), source


def summed_copies(g, shape):
    """The definition, elementwise: add ``g`` at every position into the element it copied."""
    out = np.zeros(shape)
    lead = g.ndim - len(shape)
    for position in itertools.product(*map(range, g.shape)):
        source = tuple(0 if n == 1 else i for i, n in zip(position[lead:], shape))
        out[source] += g[position]
    return out


@given(case=broadcast_cases())
@example(case=(np.ones((2, 3)), ()))  # everything sums into a 0-d gradient
@example(case=(np.ones((4, 1, 3)), (1, 1)))  # a size-1 axis that stays size 1
@example(case=(np.ones((2, 3)), (2, 3)))  # nothing to undo
def test_unbroadcast_sums_every_copy_back(backend, case):
    g, shape = case
    assert_close(unbroadcast(as_tensor(g), shape), summed_copies(g, shape))


@pytest.mark.parametrize("name", sorted(BINARY))
@given(data=st.data())
def test_binary_ops_over_broadcast_pairs(backend, name, data):
    op, a_domain, b_domain = BINARY[name]
    a, b = data.draw(broadcast_arrays(a_domain, b_domain))
    check_op(op, a, b, ref=op)


@pytest.mark.parametrize("compare", [
    lambda a, b: a < b, lambda a, b: a >= b, lambda a, b: a == b,
], ids=["less", "greater_equal", "equal"])
def test_a_comparison_that_cannot_broadcast_names_itself_and_both_shapes(backend, compare):
    with pytest.raises(ValueError, match=r"^(less|greater_equal|equal): expected shapes that "
                                         r"broadcast together, got \(2, 3\) and \(4,\)$"):
        compare(mg.ones(2, 3), mg.zeros(4))
