"""PackedSequence's tensor-like methods and pad_sequence's options, without PyTorch."""

import numpy as np
import pytest

import minigrad as mg
from minigrad.nn.utils.rnn import pack_padded_sequence, pack_sequence, pad_sequence


def test_to_moves_or_casts_the_data_and_keeps_the_bookkeeping():
    packed = pack_sequence([mg.randn(3, 2), mg.randn(1, 2)])
    assert packed.to("cpu") is packed and packed.cpu() is packed and packed.float() is packed
    double = packed.double()
    assert double.data.dtype == np.float64 and not double.is_cuda
    np.testing.assert_array_equal(double.data.numpy(), packed.data.numpy().astype(np.float64))
    assert double.batch_sizes is packed.batch_sizes
    assert packed.to(mg.float64).data.dtype == np.float64


def test_left_padding_puts_the_filler_first_and_gradients_reach_every_step():
    short, long = mg.tensor([1.0], requires_grad=True), mg.tensor([2.0, 3.0], requires_grad=True)
    padded = pad_sequence([short, long], batch_first=True, padding_value=-1.0,
                          padding_side="left")
    np.testing.assert_array_equal(padded.numpy(), [[-1.0, 1.0], [2.0, 3.0]])
    (padded * mg.tensor([[5.0, 7.0], [11.0, 13.0]])).sum().backward()
    np.testing.assert_array_equal(short.grad.numpy(), [7.0])
    np.testing.assert_array_equal(long.grad.numpy(), [11.0, 13.0])


def test_a_bad_padding_side_and_unsorted_lengths_say_what_came():
    with pytest.raises(ValueError, match="padding_side 'right' or 'left', got 'top'"):
        pad_sequence([mg.randn(2)], padding_side="top")
    with pytest.raises(ValueError, match=r"got lengths=\[1, 3\]; pass enforce_sorted=False"):
        pack_padded_sequence(mg.randn(3, 2, 4), [1, 3])
