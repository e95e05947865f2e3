"""Factories: the data mg.tensor refuses, whatever form it comes in, and arange's dtypes."""

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
