"""Factories: the data mg.tensor refuses, whatever form it comes in (objects, ints that do not
fit, dtypes minigrad lacks), the values and sizes the other factories refuse, arange's dtypes."""

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn


@pytest.mark.parametrize("data", [
    np.array([None, 1]), np.array(["a"]), np.array([b"a"]), np.array([1j]),
    [None, 1], ["a"],
], ids=["object-array", "str-array", "bytes-array", "complex-array", "object-list", "str-list"])
def test_tensor_refuses_data_that_is_not_real_numbers_or_booleans(data):
    with pytest.raises(TypeError) as info:
        mg.tensor(data)
    assert str(info.value) == ("tensor: expected real numbers or booleans, got data of dtype "
                               f"{np.asarray(data).dtype}")


class ArrayLike:
    """Another library's array (a PyTorch tensor, say): NumPy reads it through __array__."""

    def __init__(self, array):
        self.array = array

    def __array__(self, dtype=None, copy=None):
        return self.array


def test_tensor_copies_an_array_like_rather_than_sharing_its_memory():
    source = np.zeros(3, dtype=np.float32)
    t = mg.tensor(ArrayLike(source))
    source[0] = 5.0
    assert t.numpy()[0] == 0.0


def test_a_state_dict_of_objects_is_refused_naming_the_key():
    # NumPy casts None to NaN: before mg.tensor refused object arrays, this loaded silently.
    layer = nn.Linear(2, 2)
    before = layer.weight.numpy().copy()
    with pytest.raises(ValueError, match=r"unconvertible keys: weight \(tensor: expected real "
                                         r"numbers or booleans, got data of dtype object\)"):
        layer.load_state_dict({"weight": np.array([[None, 1], [2, 3]]), "bias": np.zeros(2)})
    np.testing.assert_array_equal(layer.weight.numpy(), before)


def test_arange_of_numpy_integers_is_int64():
    assert mg.arange(np.int64(5)).dtype == mg.int64
    assert mg.arange(np.int32(1), 4).dtype == mg.int64
    assert mg.arange(np.float32(1), 4).dtype == mg.float32


# ---- ints that do not fit, dtypes minigrad does not have -------------------------------------

INT64_RANGE = r"int64's range \[-9223372036854775808, 9223372036854775807\]"


@pytest.mark.parametrize("data", [[2**63], [-1, 2**63], [[1], [10**30]], 2**63],
                         ids=["uint64", "float64", "object", "scalar"])
def test_tensor_refuses_ints_beyond_int64_however_numpy_reads_them(backend, data):
    # NumPy read them as uint64 (wrapped to -2**63 by the cast), as float64 (silently a float32
    # tensor) or as objects (refused as non-numbers): PyTorch raises an overflow error.
    with pytest.raises(OverflowError, match=f"^tensor: expected values within {INT64_RANGE}, "
                                            r"got (9223372036854775808|10{30})$"):
        mg.tensor(data)


@pytest.mark.parametrize("data, dtype, got", [
    ([3_000_000_000], mg.int32, "3000000000"),
    ([1.0, float("nan")], mg.int64, "nan"),
    (np.array([-3e9]), mg.int32, "-3000000000.0"),
    (np.array([2**63], dtype=np.uint64), mg.int64, "9223372036854775808"),
])
def test_tensor_refuses_values_that_the_int_dtype_asked_for_cannot_hold(backend, data, dtype,
                                                                        got):
    with pytest.raises(OverflowError, match=f"^tensor: expected values within {dtype}'s range "
                                            rf".*, got {got}$"):
        mg.tensor(data, dtype=dtype)


@pytest.mark.parametrize("data, dtype", [
    ([], mg.float32), ([[]], mg.float32), ([1, 2], mg.int64), ([1, 2.5], mg.float32),
    ([True, False], mg.bool_), (3, mg.int64), (1e19, mg.float32),
])
def test_tensor_of_python_data_takes_pytorchs_dtypes(backend, data, dtype):
    assert mg.tensor(data).dtype == dtype


def test_tensor_reads_ints_beyond_int64_as_floats_where_floats_are_wanted(backend):
    assert mg.tensor([2**63], dtype=mg.float64).item() == 2.0**63
    beside_a_float = mg.tensor([1.5, 2**70])  # a float among the values: float32, as PyTorch
    assert beside_a_float.dtype == mg.float32 and beside_a_float.numpy()[1] == np.float32(2**70)
    assert mg.tensor([-2**63, 2**63 - 1]).numpy().tolist() == [-2**63, 2**63 - 1]


@pytest.mark.parametrize("data", [
    np.array([0], dtype=np.uint8), np.zeros(2, dtype=np.float16),
    np.array([0], dtype=np.uint64), np.float16(0.0),
], ids=["uint8", "float16", "uint64", "float16-scalar"])
def test_tensor_refuses_numpy_dtypes_that_minigrad_lacks_unless_told_to_convert(backend, data):
    with pytest.raises(TypeError, match=r"^tensor: expected data of one of minigrad's dtypes "
                                        r"\['bool', 'float32', 'float64', 'int32', 'int64'\], "
                                        rf"got {np.asarray(data).dtype}; pass dtype= to convert"):
        mg.tensor(data)
    converted = mg.tensor(data, dtype=mg.int64) - 1  # -1, where uint8 0 - 1 was 255
    assert converted.dtype == mg.int64 and (converted.numpy() == -1).all()


def test_tensor_refuses_ragged_lists_naming_itself(backend):
    with pytest.raises(ValueError, match=r"^tensor: expected nested sequences of equal lengths "
                                         r"\(a regular shape\)"):
        mg.tensor([[1, 2], [3]])


# ---- full, arange, eye, the *_like factories, manual_seed ----------------------------------


@pytest.mark.parametrize("value", [None, [1.0, 2.0], "a", 1j, np.array([True])])
def test_full_refuses_a_value_that_is_not_one_real_number(backend, value):
    with pytest.raises(TypeError, match="^full: expected a real number or a bool as the value, "
                                        "got "):
        mg.full(2, value)


@pytest.mark.parametrize("value, dtype", [
    (True, mg.bool_), (np.bool_(True), mg.bool_), (np.float32(1.5), mg.float32),
    (np.int64(-2), mg.int64), (2.0, mg.int32),
])
def test_full_takes_python_and_numpy_numbers_and_bools(backend, value, dtype):
    np.testing.assert_array_equal(mg.full((2, 2), value, dtype=dtype).numpy(),
                                  np.full((2, 2), value, dtype=dtype))


@pytest.mark.parametrize("value", [2**63, float("nan"), -1e19])
def test_full_refuses_a_value_that_its_int_dtype_cannot_hold(backend, value):
    with pytest.raises(OverflowError, match=f"^full: expected values within {INT64_RANGE}"):
        mg.full(2, value, dtype=mg.int64)


@pytest.mark.parametrize("args, error", [
    ((0, 1, 0), ValueError), ((0, 1, 0.0), ValueError), ((float("inf"),), ValueError),
    ((0, float("nan")), ValueError), (("a",), TypeError), ((0, 1, None), TypeError),
])
def test_arange_refuses_a_zero_step_and_bounds_that_are_not_finite_numbers(backend, args, error):
    with pytest.raises(error, match="^arange: expected "):
        mg.arange(*args)


@pytest.mark.parametrize("n, m", [(-1, None), (2.0, None), (2, -3), ("2", None)])
def test_eye_refuses_sizes_that_are_not_non_negative_ints(backend, n, m):
    with pytest.raises(TypeError, match="^eye: expected sizes that are non-negative ints"):
        mg.eye(n, m)


def test_eye_takes_numpy_ints(backend):
    np.testing.assert_array_equal(mg.eye(np.int64(2), np.int32(3)).numpy(), np.eye(2, 3))


@pytest.mark.parametrize("name", ["zeros_like", "ones_like"])
@pytest.mark.parametrize("t", [np.ones(2), [1, 2]], ids=["ndarray", "list"])
def test_like_factories_refuse_what_is_not_a_tensor(backend, name, t):
    with pytest.raises(TypeError, match=f"^{name}: expected a Tensor, got {type(t).__name__}$"):
        getattr(mg, name)(t)


def test_manual_seed_takes_numpy_ints():
    mg.manual_seed(np.int64(3))
    drawn = mg.randn(3).numpy()
    mg.manual_seed(3)
    np.testing.assert_array_equal(mg.randn(3).numpy(), drawn)


@pytest.mark.parametrize("seed", [-1, 1.5, True, "3"])
def test_manual_seed_refuses_what_is_not_a_non_negative_int(seed):
    with pytest.raises(ValueError, match="^manual_seed: expected a non-negative int"):
        mg.manual_seed(seed)
