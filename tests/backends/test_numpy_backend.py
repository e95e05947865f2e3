"""The NumPy backend's own code paths."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from minigrad import backends
from minigrad.backends import numpy_backend


@given(data=st.data(), rows=st.integers(1, 5), trailing=hnp.array_shapes(min_dims=0, max_dims=2),
       index_shape=hnp.array_shapes(min_dims=1, max_dims=2, min_side=0, max_side=6))
def test_scatter_add_of_rows_matches_add_at(data, rows, trailing, index_shape):
    """Sorting and ``reduceat`` give what ``add.at`` gives, repeats and negative indices too."""
    index = data.draw(hnp.arrays(np.int64, index_shape, elements=st.integers(-rows, rows - 1)))
    values = data.draw(hnp.arrays(np.float64, index_shape + trailing,
                                  elements=st.floats(-10, 10, allow_subnormal=False)))
    expected = np.ones((rows,) + trailing)
    got = expected.copy()
    np.add.at(expected, index, values)
    backends.get("numpy").scatter_add(got, index, values)
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("index", [[2, -1, 0], [3, -1], [1]], ids=["distinct", "aliased", "one"])
def test_scatter_add_of_distinct_rows_and_of_a_row_named_twice(index):
    """Distinct rows take a plain indexed add; -1 and n - 1 are one row, added twice."""
    values = np.arange(len(index) * 2.0).reshape(len(index), 2) + 1
    expected = np.zeros((4, 2))
    np.add.at(expected, np.array(index), values)
    got = np.zeros((4, 2))
    backends.get("numpy").scatter_add(got, np.array(index), values)
    np.testing.assert_array_equal(got, expected)


def test_scatter_add_refuses_rows_out_of_bounds():
    with pytest.raises(IndexError, match="out of bounds for 3 rows"):
        backends.get("numpy").scatter_add(np.zeros((3, 2)), np.array([0, 3]), np.ones((2, 2)))


@pytest.mark.parametrize("rows, out, features", [(32, 1024, 256), (2, 128, 64), (1, 1024, 256),
                                                  (33, 1024, 256), (16, 8, 8)],
                         ids=["swapped", "smallest-swapped", "one-row", "many-rows", "small-weight"])
def test_matmul_transposed_is_rows_times_the_transposed_weight(rows, out, features):
    """Swapped for a few rows against a large weight or not, ``a @ b.T`` in C order."""
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((rows, features)), rng.standard_normal((out, features))
    got = backends.get("numpy").matmul_transposed(a, b)
    assert got.flags.c_contiguous and got.shape == (rows, out)
    np.testing.assert_allclose(got, a @ b.T, rtol=1e-12, atol=1e-12)


def test_numbers_become_shared_read_only_arrays_in_a_bounded_cache():
    backend = backends.get("numpy")
    like = np.ones(2, np.float32)
    array = backend.number_as_array(1.5, like)
    assert array.shape == () and array.dtype == np.float32 and not array.flags.writeable
    assert backend.number_as_array(1.5, like) is array
    for k in range(3 * numpy_backend._MAX_NUMBER_ARRAYS):
        backend.number_as_array(k + 0.5, like)
    assert len(backend._number_arrays) <= numpy_backend._MAX_NUMBER_ARRAYS


def test_integer_arrays_keep_numpys_promotion_rules():
    assert backends.get("numpy").number_as_array(2.5, np.ones(2, np.int64)) == 2.5


@pytest.mark.skipif(not numpy_backend._NEP_50, reason="NumPy 1 needs them as arrays")
@pytest.mark.parametrize("number", [0.0, -0.0, float("nan")])
def test_numbers_the_cache_could_confuse_stay_numbers(number):
    """0.0 == -0.0 and NaN != NaN make unsound keys; under NEP 50 the number does as well."""
    assert backends.get("numpy").number_as_array(number, np.ones(2)) is number


@pytest.mark.parametrize("at", [0, 1])
def test_the_number_among_two_operands_becomes_the_cached_array(at):
    """Either operand may be the number; the array beside it gives the dtype, both times."""
    backend = backends.get("numpy")
    like = np.ones(3, np.float32)
    operands = [like, like]
    operands[at] = 0.25
    backend.numbers_as_arrays(operands)
    assert operands[1 - at] is like
    assert operands[at] is backend.number_as_array(0.25, like)
    twice = [np.ones(3), 0.25]  # the same number beside float64 next: float64, not the float32 one
    backend.numbers_as_arrays(twice)
    assert twice[1].dtype == np.float64 and twice[1] == 0.25


def test_two_arrays_are_left_as_they_are():
    backend = backends.get("numpy")
    a, b = np.ones(2), np.zeros(2)
    operands = [a, b]
    backend.numbers_as_arrays(operands)
    assert operands[0] is a and operands[1] is b


def test_the_base_hands_the_number_to_number_as_array():
    """A backend that only defines ``number_as_array`` gets arithmetic's constants through it."""

    class Tagging(numpy_backend.NumPyBackend):
        numbers_as_arrays = backends.Backend.numbers_as_arrays

        def number_as_array(self, number, like):
            return ("converted", number, like.dtype)

    operands = [3, np.ones(2, np.float32)]
    Tagging().numbers_as_arrays(operands)
    assert operands[0] == ("converted", 3, np.float32)
