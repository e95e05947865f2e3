"""Shape ops: reshape, transpose, indexing, concat/stack/split, where, broadcast_to.

They move values without changing them, so their gradients move the upstream
gradient back; indexing with repeated integers must accumulate.
"""

import numpy as np
import pytest
from _helpers import as_tensor, assert_close, check_op
from _strategies import arrays, broadcastable, shapes
from hypothesis import example, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minigrad as mg


@st.composite
def reshapes(draw):
    """An array and a new shape of the same size, maybe with a -1."""
    x = draw(arrays(shapes()))
    size = x.size
    d = draw(st.sampled_from([d for d in range(1, size + 1) if size % d == 0]))
    new = draw(st.sampled_from([(size,), (d, size // d), (d, -1), (-1, 1, d), (1,) * 2 + (size,)]))
    return x, new


@given(case=reshapes(), varargs=st.booleans())
@example(case=(np.array(2.0), ()), varargs=False)  # to and from 0-d
@example(case=(np.ones(1), ()), varargs=False)
def test_reshape(backend, case, varargs):
    x, new = case
    check_op(lambda t: t.reshape(*new) if varargs else t.reshape(new), x,
             ref=lambda a: a.reshape(new))


@st.composite
def permuted(draw):
    x = draw(arrays(shapes()))
    return x, tuple(draw(st.permutations(range(x.ndim))))


@given(case=permuted())
def test_permute(backend, case):
    x, axes = case
    check_op(lambda t: t.permute(*axes), x, ref=lambda a: a.transpose(axes))
    check_op(lambda t: t.permute(axes), x, ref=lambda a: a.transpose(axes))  # one tuple


@given(x=arrays(shapes(min_dims=1)), data=st.data())
def test_transpose_swaps_two_dims(backend, x, data):
    d0, d1 = (data.draw(st.integers(-x.ndim, x.ndim - 1)) for _ in range(2))
    check_op(lambda t: t.transpose(d0, d1), x, ref=lambda a: np.swapaxes(a, d0, d1))


@given(x=arrays(shapes()))
def test_T_reverses_the_axes(backend, x):
    check_op(lambda t: t.T, x, ref=lambda a: a.T)


@given(x=arrays(shapes()), data=st.data())
def test_expand_repeats_dims_of_length_one(backend, x, data):
    lead = data.draw(st.lists(st.integers(1, 3), max_size=2))
    sizes = [*lead, *(data.draw(st.sampled_from([-1, n] if n != 1 else [-1, 1, 3]))
                      for n in x.shape)]
    target = tuple(lead) + tuple(n if s == -1 else s for s, n in zip(sizes[len(lead):], x.shape))
    check_op(lambda t: t.expand(*sizes), x, ref=lambda a: np.broadcast_to(a, target))


@given(x=arrays(shapes(min_dims=1)), data=st.data())
def test_narrow(backend, x, data):
    dim = data.draw(st.integers(-x.ndim, x.ndim - 1))
    n = x.shape[dim]
    start = data.draw(st.integers(-n, n))  # a negative start counts from the end
    begin = start + n if start < 0 else start
    length = data.draw(st.integers(0, n - begin))
    index = (slice(None),) * (dim % x.ndim) + (slice(begin, begin + length),)
    check_op(lambda t: t.narrow(dim, start, length), x, ref=lambda a: a[index])


@given(x=arrays(shapes()), data=st.data())
def test_flatten_merges_a_range_of_dims(backend, x, data):
    ndim = max(x.ndim, 1)
    start = data.draw(st.integers(0, ndim - 1))
    end = data.draw(st.integers(start, ndim - 1))
    shape = x.shape or (1,)
    merged = shape[:start] + (int(np.prod(shape[start:end + 1])),) + shape[end + 1:]
    check_op(lambda t: t.flatten(start, end), x, ref=lambda a: a.reshape(merged))


@given(x=arrays(shapes(min_side=1, max_side=2)), data=st.data())
def test_squeeze_and_unsqueeze_undo_each_other(backend, x, data):
    dim = data.draw(st.integers(-x.ndim - 1, x.ndim))
    check_op(lambda t: t.unsqueeze(dim), x, ref=lambda a: np.expand_dims(a, dim))
    check_op(lambda t: t.unsqueeze(dim).squeeze(dim), x, ref=lambda a: a)
    check_op(lambda t: t.squeeze(), x, ref=np.squeeze)


@given(x=arrays(shapes(min_dims=1)), data=st.data())
def test_chunk_gives_equal_pieces_but_the_last(backend, x, data):
    dim = data.draw(st.integers(-x.ndim, x.ndim - 1))
    chunks = data.draw(st.integers(1, 5))
    size = -(-x.shape[dim] // chunks)
    check_op(lambda t: t.chunk(chunks, dim), x, ref=lambda a: numpy_split(a, size, dim))


@given(x=arrays(shapes()))
def test_clone_is_a_copy_with_its_own_array(backend, x):
    t = check_op(lambda t: t.clone() * 2.0, x, ref=lambda a: a * 2.0)[0]
    copy = t.clone()
    copy.data[...] = 7.0
    assert_close(t, x)


# ---- indexing ------------------------------------------------------------------------------


@st.composite
def basic_indexed(draw):
    """An array and a basic index: ints (negative too), slices (negative steps), None, ..."""
    x = draw(arrays(shapes(min_dims=1)))
    index = draw(hnp.basic_indices(x.shape, min_dims=0, allow_newaxis=True, allow_ellipsis=True))
    return x, index


@given(case=basic_indexed())
@example(case=(np.arange(5.0), slice(None, None, -2)))
@example(case=(np.arange(6.0).reshape(2, 3), (Ellipsis, None, -1)))
def test_getitem_basic(backend, case):
    x, index = case
    check_op(lambda t: t[index], x, ref=lambda a: a[index])


@st.composite
def integer_indexed(draw):
    """An array and a tuple of integer arrays into it (repeats likely, negatives allowed)."""
    x = draw(arrays(shapes(min_dims=1)))
    index = draw(hnp.integer_array_indices(x.shape, result_shape=shapes(max_dims=2)))
    return x, index


@given(case=integer_indexed(), as_tensors=st.booleans())
@example(case=(np.arange(3.0), (np.array([0, 0, 2, 0]),)), as_tensors=False)
def test_getitem_integer_arrays_accumulate_repeats(backend, case, as_tensors):
    x, index = case
    native = tuple(as_tensor(i, dtype=mg.int64) for i in index) if as_tensors else index
    check_op(lambda t: t[native], x, ref=lambda a: a[index])


def test_repeated_index_counts_each_use(backend):
    x = as_tensor([1.0, 2.0, 3.0], requires_grad=True)
    x[[0, 0, 2, 0]].sum().backward()
    assert_close(x.grad, np.array([3.0, 0.0, 1.0]))


@given(x=arrays(shapes(min_dims=1)), data=st.data())
def test_getitem_boolean_mask(backend, x, data):
    mask = data.draw(hnp.arrays(np.bool_, x.shape))
    check_op(lambda t: t[mask], x, ref=lambda a: a[mask])
    tensor_mask = as_tensor(mask, dtype=mg.bool_)
    check_op(lambda t: t[tensor_mask], x, ref=lambda a: a[mask])


def test_getitem_mixes_a_slice_and_a_list(backend):
    x = np.arange(12.0).reshape(3, 4)
    check_op(lambda t: t[1:, [3, 0, 3]], x, ref=lambda a: a[1:, [3, 0, 3]])


# ---- joining and splitting -----------------------------------------------------------------


@st.composite
def joinable(draw, same_shape=False):
    """Arrays that agree on every axis but ``axis`` (and there too when ``same_shape``)."""
    shape = draw(shapes(min_dims=1))
    ndim = len(shape)
    axis = draw(st.integers(-ndim, ndim - 1))
    xs = []
    for _ in range(draw(st.integers(1, 3))):
        own = list(shape)
        if not same_shape:
            own[axis] = draw(st.integers(1, 3))
        xs.append(draw(arrays(tuple(own))))
    return xs, axis


@given(case=joinable())
def test_concat(backend, case):
    xs, axis = case
    check_op(lambda *ts: mg.concat(ts, axis=axis), *xs,
             ref=lambda *a: np.concatenate(a, axis=axis))


@given(case=joinable(same_shape=True), data=st.data())
def test_stack(backend, case, data):
    xs, _ = case
    axis = data.draw(st.integers(-xs[0].ndim - 1, xs[0].ndim))  # a new axis: one more place
    check_op(lambda *ts: mg.stack(list(ts), axis=axis), *xs, ref=lambda *a: np.stack(a, axis))


@st.composite
def splittable(draw):
    """An array, a dim and either a piece length or the list of the pieces' lengths."""
    x = draw(arrays(shapes(min_dims=1)))
    dim = draw(st.integers(-x.ndim, x.ndim - 1))
    n = x.shape[dim]
    size = draw(st.integers(1, n + 1))
    cuts = sorted(draw(st.lists(st.integers(0, n), max_size=3)))  # empty pieces too
    lengths = [b - a for a, b in zip([0, *cuts], [*cuts, n])]
    return x, draw(st.sampled_from([size, lengths])), dim


def numpy_split(a, how, dim):
    """PyTorch's split written with NumPy's cut positions."""
    lengths = how if isinstance(how, list) else [how] * (a.shape[dim] // how) + (
        [a.shape[dim] % how] if a.shape[dim] % how or not a.shape[dim] else [])
    return tuple(np.split(a, np.cumsum(lengths[:-1]).astype(int), axis=dim))


@given(case=splittable(), use=st.sampled_from(["all", "first", "last"]))
@example(case=(np.arange(6.0), [2, 0, 4], 0), use="all")
@example(case=(np.arange(5.0), 2, 0), use="all")  # the last piece is shorter
def test_split(backend, case, use):
    """Pieces a loss leaves unused get zero gradient."""
    x, how, dim = case
    pick = {"all": slice(None), "first": slice(0, 1), "last": slice(-1, None)}[use]
    check_op(lambda t: mg.split(t, how, dim=dim)[pick], x,
             ref=lambda a: numpy_split(a, how, dim)[pick])


@given(xs=broadcastable(num_shapes=3), data=st.data())
def test_where_broadcasts_all_three(backend, xs, data):
    cond = as_tensor(data.draw(hnp.arrays(np.bool_, xs[0])), dtype=mg.bool_)
    a, b = data.draw(arrays(xs[1])), data.draw(arrays(xs[2]))
    check_op(lambda s, t: mg.where(cond, s, t), a, b,
             ref=lambda s, t: np.where(cond.numpy(), s, t))


@pytest.mark.parametrize("side", ["a", "b"])
@given(x=arrays(shapes()), data=st.data())
def test_where_with_a_scalar_branch(backend, side, x, data):
    mask = data.draw(hnp.arrays(np.bool_, x.shape))
    cond = as_tensor(mask, dtype=mg.bool_)
    if side == "a":
        check_op(lambda t: mg.where(cond, 1.5, t), x, ref=lambda a: np.where(mask, 1.5, a))
    else:
        check_op(lambda t: mg.where(cond, t, 0.0), x, ref=lambda a: np.where(mask, a, 0.0))


@st.composite
def broadcast_targets(draw):
    """An array and a shape it broadcasts to (new leading axes, stretched 1s)."""
    target = draw(shapes())
    keep = draw(st.integers(0, len(target)))
    own = tuple(1 if draw(st.booleans()) else n for n in target[len(target) - keep:])
    return draw(arrays(own)), target


@given(case=broadcast_targets())
def test_broadcast_to(backend, case):
    x, target = case
    check_op(lambda t: t.broadcast_to(target), x, ref=lambda a: np.broadcast_to(a, target))


def test_shape_ops_keep_float32(backend):
    x = as_tensor(np.ones((2, 3)), dtype=mg.float32)
    for y in (x.reshape(3, 2), x.T, x[0], mg.concat([x, x]), mg.stack([x, x]),
              mg.split(x, 1, 1)[0], x.broadcast_to((4, 2, 3)), mg.where(x > 0, x, 0.0)):
        assert y.dtype == mg.float32, y


def test_integer_arguments_of_any_integer_type(backend):
    x = as_tensor(np.arange(6.0))
    assert [p.shape for p in mg.split(x, np.int64(3))] == [(3,), (3,)]
    assert [p.shape for p in mg.split(x, mg.tensor(2))] == [(2,), (2,), (2,)]
    assert_close(x.reshape(2, 3).sum(axis=np.int64(1)), [3.0, 12.0])
    with pytest.raises(ValueError, match="positive piece length, got 0"):
        mg.split(x, 0)


def test_split_refuses_lengths_that_do_not_add_up_to_the_dim(backend):
    # NumPy's cut positions [2, 5] read as PyTorch's lengths: 7 of 6 elements, said loudly.
    x = as_tensor(np.arange(6.0))
    with pytest.raises(ValueError, match=r"^split: expected piece lengths that add up to the 6 "
                                         r"elements of dim 0 \(shape \(6,\)\), got \[2, 5\] "
                                         r"adding up to 7$"):
        mg.split(x, [2, 5])
    with pytest.raises(ValueError, match=r"got \[4, -1, 3\]"):
        mg.split(x, [4, -1, 3])
    # NumPy's "number of sections" meets a wrong piece count at the unpacking.
    with pytest.raises(ValueError, match="too many values to unpack"):
        a, b = mg.split(x, 2)
    with pytest.raises(TypeError, match="axis"):  # NumPy's keyword is gone with its meaning
        mg.split(x, 2, axis=0)


def test_an_index_array_refilled_after_the_forward_does_not_move_the_gradient(backend):
    x = as_tensor(np.arange(3.0), requires_grad=True)
    index = np.array([0, 0])
    y = x[index]
    index[:] = 2
    y.sum().backward()
    assert_close(x.grad, [2.0, 0.0, 0.0])


def test_where_between_two_numbers_takes_the_default_dtypes(backend):
    cond = mg.tensor([True, False])
    assert mg.where(cond, 1.0, 0.0).dtype == mg.float32
    assert mg.where(cond, 1, 0.5).dtype == mg.float32
    assert mg.where(cond, 1, 0).dtype == mg.int64


@pytest.mark.parametrize("shape", [(-2, 3), (3, -2), (-6,)])
def test_reshape_infers_a_size_from_minus_one_only(backend, shape):
    # NumPy reads any negative size as "infer"; PyTorch refuses all but -1.
    with pytest.raises(ValueError, match=r"^reshape: expected sizes that are non-negative ints "
                                         r"or -1, got \("):
        mg.ones(6).reshape(shape)
    assert mg.ones(6).reshape(-1, 3).shape == (2, 3)


@pytest.mark.parametrize("join", [
    lambda x, axis: mg.stack([x, x], axis=axis),
    lambda x, axis: mg.concat([x, x], axis=axis),
    lambda x, axis: mg.split(x, 2, dim=axis),
], ids=["stack", "concat", "split"])
def test_joins_and_splits_refuse_an_axis_that_is_not_an_int(backend, join):
    with pytest.raises(TypeError, match=r"^(stack|concat|split): expected axis to be an int, "
                                        r"got 1\.0$"):
        join(mg.ones(2, 2), 1.0)


@pytest.mark.parametrize("how", [2.0, "ab", [1.5]])
def test_split_refuses_sections_that_are_not_ints(backend, how):
    with pytest.raises(TypeError, match="^split: expected split_size_or_sections to be an int or a "
                                        "sequence of ints, got "):
        mg.split(mg.ones(4), how)
