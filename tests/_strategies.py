"""Hypothesis strategies for the op tests: shapes, broadcastable shapes, float64 values in domains.

A *domain* says where an argument's values may fall so that central finite
differences are meaningful: inside the function's domain (``log`` wants
positives) and away from the points where it has a kink (``abs`` at 0, ``clip``
at its bounds) by far more than the step ``eps = 1e-6``.
"""

import operator
from dataclasses import dataclass

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

MAX_SIDE = 4  # small sides keep gradcheck (two forwards per element) fast


@dataclass(frozen=True)
class Domain:
    """Floats in ``[low, high]``, at least ``margin`` away from each of ``avoid``."""

    low: float = -3.0
    high: float = 3.0
    avoid: tuple = ()
    margin: float = 0.05

    def elements(self):
        floats = st.floats(self.low, self.high, allow_nan=False, allow_subnormal=False)
        return floats.filter(lambda v: all(abs(v - k) > self.margin for k in self.avoid))


REAL = Domain()
POSITIVE = Domain(0.1, 3.0)  # log, sqrt
NONZERO = Domain(avoid=(0.0,), margin=0.3)  # divisors; abs and relu away from their kink
BASE = Domain(0.5, 2.0)  # pow with a tensor exponent needs a positive base
EXPONENT = Domain(-2.0, 2.0)
CLIP_BOUNDS = (-1.0, 1.0)
CLIPPABLE = Domain(avoid=CLIP_BOUNDS)

# The binary operators with the domain of each operand: (operator, domain of a, domain of b).
BINARY = {
    "add": (operator.add, REAL, REAL),
    "sub": (operator.sub, REAL, REAL),
    "mul": (operator.mul, REAL, REAL),
    "div": (operator.truediv, REAL, NONZERO),
    "pow": (operator.pow, BASE, EXPONENT),  # a tensor exponent needs a positive base
}


def shapes(min_dims=0, max_dims=3, min_side=1, max_side=MAX_SIDE):
    """Array shapes, scalars (``()``) and size-1 axes included, never empty."""
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side,
                            max_side=max_side)


def broadcastable(num_shapes=2, min_dims=0, max_dims=3):
    """Tuples of ``num_shapes`` mutually broadcastable shapes (size-1 and missing axes)."""
    return hnp.mutually_broadcastable_shapes(
        num_shapes=num_shapes, min_dims=min_dims, max_dims=max_dims, min_side=1,
        max_side=MAX_SIDE,
    ).map(lambda drawn: drawn.input_shapes)


def arrays(shape, domain=REAL):
    """float64 arrays of ``shape`` (a shape or a strategy of shapes) with values in ``domain``."""
    return hnp.arrays(np.float64, shape, elements=domain.elements())


def distinct_arrays(shape):
    """float64 arrays without ties (values at least 0.01 apart), for max and min."""
    elements = st.integers(-300, 300).map(lambda k: k / 100)
    return hnp.arrays(np.float64, shape, elements=elements, unique=True)


def scalars(domain=REAL):
    """A Python float in ``domain``, for the scalar side of an operator."""
    return domain.elements()


@st.composite
def shape_and_axis(draw, min_dims=1, max_dims=3):
    """A shape and an ``axis`` argument for it: None, an int (maybe negative) or a tuple."""
    shape = draw(shapes(min_dims=min_dims, max_dims=max_dims))
    ndim = len(shape)
    axis = draw(st.one_of(
        st.none(),
        st.integers(-ndim, ndim - 1),
        st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True).flatmap(
            lambda axes: st.tuples(*[st.sampled_from([a, a - ndim]) for a in axes])
        ),
    ))
    return shape, axis


def same_shape_arrays(*domains, shape=None):
    """A tuple of arrays of one drawn shape, the i-th with values in ``domains[i]``."""
    shape = shapes() if shape is None else shape
    return shape.flatmap(lambda s: st.tuples(*[arrays(s, d) for d in domains]))


def broadcast_arrays(*domains, min_dims=0, max_dims=3):
    """A tuple of arrays of mutually broadcastable shapes, one per domain."""
    return broadcastable(len(domains), min_dims, max_dims).flatmap(
        lambda ss: st.tuples(*[arrays(s, d) for s, d in zip(ss, domains)])
    )
