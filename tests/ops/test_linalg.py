"""Matrix products: 2-D, batched with broadcast batch axes, and 1-D on either or both sides."""

import operator

import numpy as np
import pytest
from _helpers import check_direction, check_op
from _strategies import MAX_SIDE, arrays
from hypothesis import example, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minigrad as mg

# NumPy's own signature for matmul: the optional axes are the 1-D cases.
MATMUL = "(m?,n),(n,p?)->(m?,p?)"


def operands(signature=MATMUL, max_dims=4):
    """Two arrays whose shapes fit ``signature``, batch axes broadcast against each other."""
    shapes = hnp.mutually_broadcastable_shapes(signature=signature, max_dims=max_dims,
                                               min_side=1, max_side=MAX_SIDE)
    return shapes.flatmap(lambda s: st.tuples(*[arrays(shape) for shape in s.input_shapes]))


@given(ab=operands("(m,n),(n,p)->(m,p)", max_dims=0))
def test_matmul_2d(backend, ab):
    check_op(operator.matmul, *ab, ref=np.matmul)


@given(ab=operands())
@example(ab=(np.ones(3), np.ones(3)))  # vector . vector is a 0-d tensor
@example(ab=(np.ones(3), np.ones((2, 3, 4))))  # 1-D on the left of a batch
@example(ab=(np.ones((2, 1, 2, 3)), np.ones(3)))  # 1-D on the right
@example(ab=(np.ones((1, 2, 3)), np.ones((5, 3, 2))))  # a batch axis of 1 broadcasts
@example(ab=(np.ones((2, 3)), np.ones((4, 3, 1))))  # a matrix against a batch
def test_matmul_batched_and_1d(backend, ab):
    check_op(operator.matmul, *ab, ref=np.matmul)


@given(ab=operands())
def test_function_form_matches_operator(backend, ab):
    check_op(mg.matmul, *ab, ref=np.matmul)


def test_big_matmul_along_a_random_direction(backend):
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((2, 64, 96)), rng.standard_normal((96, 48))
    check_direction(lambda x, y: (x @ y).tanh(), a, b)



@given(n=st.integers(1, MAX_SIDE), i=st.integers(1, MAX_SIDE), o=st.integers(1, MAX_SIDE),
       bias=st.sampled_from([None, "row", "full"]), computed=st.booleans(), data=st.data())
def test_linear(backend, n, i, o, bias, computed, data):
    """With a bias added to every row or a full (N, out) addend, as a leaf or computed.

    A leaf's weight and bias gradients take the deferred path of the walk; a computed
    bias's gradient is summed over the rows by the walk's unbroadcast instead.
    """
    x, w = data.draw(arrays((n, i))), data.draw(arrays((o, i)))
    if bias is None:
        check_op(mg.linear, x, w, ref=lambda x, w: x @ w.T)
        return
    b = data.draw(arrays((o,) if bias == "row" else (n, o)))
    if computed:
        check_op(lambda x, w, b: mg.linear(x, w, b * 2.0), x, w, b,
                 ref=lambda x, w, b: x @ w.T + b * 2.0)
    else:
        check_op(mg.linear, x, w, b, ref=lambda x, w, b: x @ w.T + b)


def test_linear_names_both_shapes_when_the_features_differ():
    with pytest.raises(ValueError, match=r"x \(2, 3\) and weight \(4, 5\)"):
        mg.linear(mg.zeros(2, 3), mg.zeros(4, 5))


def test_linear_refuses_a_bias_that_is_neither_per_output_nor_per_element():
    with pytest.raises(ValueError, match=r"bias of shape \(4,\) \(out,\) or \(2, 4\) "
                                         r"\(N, out\), got \(3, 4\)"):
        mg.linear(mg.zeros(2, 3), mg.zeros(4, 3), mg.zeros(3, 4))
