r"""Shape primitives, which move elements around and never change their values, and
their functions: ``reshape``, ``transpose``, ``permute``, ``expand``, ``broadcast_to``,
``narrow``, ``flatten``, ``squeeze``, ``unsqueeze``, ``clone``, ``getitem`` and ``where``.

The primitives' backward rules move the gradient back the same way: reshape undoes
reshape, a permutation's gradient takes the inverse permutation, an index's gradient is a
scatter. The functions take their arguments as PyTorch does, check them in the user's
terms and apply the primitives. Joining and splitting live in :mod:`minigrad.ops.join`.
"""

import math
import operator

from minigrad import backends, from_data
from minigrad.function import Function
from minigrad.tensor import Tensor, _operand

from ._checks import _check_axis, _tensor


class Reshape(Function):
    r"""``y = x.reshape(shape)``;   the gradient is reshaped back."""

    __slots__ = ("in_shape",)

    def forward(self, xp, x, shape=None):
        self.in_shape = x.shape
        return x.reshape(shape)

    def backward(self, gy):
        return gy.reshape(self.in_shape)


class Transpose(Function):
    r"""``y = x.permute(axes)``;   the gradient takes the inverse permutation."""

    __slots__ = ("axes",)

    def forward(self, xp, x, axes=None):
        self.axes = axes
        return xp.transpose(x, axes)

    def backward(self, gy):
        inverse = [0] * len(self.axes)
        for position, axis in enumerate(self.axes):
            inverse[axis] = position
        return self.call(Transpose, gy, axes=tuple(inverse))


class Clone(Function):
    r"""``y = copy(x)``;   the gradient passes through unchanged."""

    __slots__ = ()

    def forward(self, xp, x):
        return x.copy()

    def backward(self, gy):
        return gy


class BroadcastTo(Function):
    r"""``y = broadcast_to(x, shape)``;   the gradient is summed back to ``x``'s shape.

    That sum is the engine's ``unbroadcast``, which runs on every gradient whose
    shape differs from its input's, so the rule itself passes ``gy`` through.
    """

    __slots__ = ()

    def forward(self, xp, x, shape=None):
        return xp.broadcast_to(x, shape)

    def backward(self, gy):
        return gy


def is_advanced(index):
    """Whether ``index`` holds an integer or boolean array (NumPy's advanced indexing)."""
    parts = index if isinstance(index, tuple) else (index,)
    return any(hasattr(part, "shape") for part in parts)


class GetItem(Function):
    r"""``y = x[index]``;   the gradient is scattered back into zeros of ``x``'s shape."""

    __slots__ = ("index", "in_shape")

    def forward(self, xp, x, index=None):
        self.index, self.in_shape = index, x.shape
        return x[index]

    def backward(self, gy):
        return self.call(IndexAdd, gy, index=self.index, shape=self.in_shape)


class IndexAdd(Function):
    r"""``y = zeros(shape); y[index] += x`` (repeats add up);   :math:`\bar x = \bar y[index]`.

    The backward of :class:`GetItem`, and a primitive itself so that second
    derivatives flow through it.
    """

    __slots__ = ("index",)

    def forward(self, xp, x, index=None, shape=None):
        self.index = index
        y = xp.zeros(shape, dtype=x.dtype)
        if is_advanced(index):
            self.backend.scatter_add(y, index, x)
        else:
            y[index] = x  # basic indexing selects each element at most once
        return y

    def backward(self, gy):
        return self.call(GetItem, gy, index=self.index)


class Where(Function):
    r"""``y = where(cond, a, b)``;   ``gy`` goes to ``a`` where ``cond`` holds, else to ``b``."""

    __slots__ = ()

    def forward(self, xp, cond, a, b):
        values = [a, b]
        if hasattr(a, "dtype") or hasattr(b, "dtype"):  # a number value beside an array
            self.backend.numbers_as_arrays(values)  # takes its dtype, as in arithmetic
        return xp.where(cond, *values)

    def backward(self, gy):
        cond = self.operands()[0]
        _, need_a, need_b = self.needs_input_grad
        return (None, self.call(Where, cond, gy, 0.0) if need_a else None,
                self.call(Where, cond, 0.0, gy) if need_b else None)


# ---- the functions ---------------------------------------------------------------------


def _shape_args(shape):
    """Accept a shape as varargs or as one tuple/list."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return tuple(shape)


def reshape(x, *shape):
    """``x`` with a new shape, given as varargs or one tuple; one size may be -1 (inferred).

    Raises
    ------
    ValueError
        If the new shape holds a different number of elements, or a size is negative
        other than -1.
    """
    shape = _shape_args(shape)
    y = Reshape.apply(x, shape=shape)
    # NumPy infers a size from any negative one, PyTorch only from -1. Checked once NumPy has
    # taken the sizes, and only where it inferred one (the result differs from the request):
    # the reshapes of a time loop pay a tuple comparison.
    if y.shape != shape and any(n < -1 for n in shape):
        raise ValueError(f"reshape: expected sizes that are non-negative ints or -1, got {shape}")
    return y


def transpose(x, dim0, dim1):
    """``x`` with dims ``dim0`` and ``dim1`` swapped (PyTorch's meaning); see :func:`permute`.

    Raises
    ------
    TypeError
        If a dim is not an int.
    ValueError
        If a dim is out of range.
    """
    ndim = _tensor(x, "transpose").ndim
    order = list(range(ndim))
    d0, d1 = (_check_axis("transpose", d, ndim, x.shape) for d in (dim0, dim1))
    order[d0], order[d1] = order[d1], order[d0]
    return Transpose.apply(x, axes=tuple(order))


def permute(x, *dims):
    """``x`` with its dims reordered: ``y.shape[i] == x.shape[dims[i]]``.

    ``dims`` as varargs or one tuple; the gradient takes the inverse permutation.

    Raises
    ------
    ValueError
        If ``dims`` is not an ordering of all of ``x``'s dims.
    """
    dims = _shape_args(dims)
    ndim = _tensor(x, "permute").ndim
    order = tuple(_check_axis("permute", d, ndim, x.shape) % ndim for d in dims)
    if sorted(order) != list(range(ndim)):
        raise ValueError(f"permute: expected an ordering of all {ndim} dims of shape "
                         f"{x.shape}, got {dims}")
    return Transpose.apply(x, axes=order)


def expand(x, *sizes):
    """``x`` repeated along its dims of length 1 to ``sizes``, as PyTorch's ``expand``.

    ``-1`` keeps a dim's length, and new dims may be added in front. The gradient is
    summed back.

    Raises
    ------
    ValueError
        If a dim of length other than 1 would change, or ``sizes`` has fewer dims than ``x``.
    """
    sizes = _shape_args(sizes)
    lead = len(sizes) - _tensor(x, "expand").ndim
    shape = sizes[:lead] + tuple(n if s == -1 else s for s, n in zip(sizes[lead:], x.shape))
    if lead < 0 or any(s < 0 for s in shape) or any(
            n not in (1, s) for s, n in zip(shape[lead:], x.shape)):
        raise ValueError(f"expand: cannot expand shape {x.shape} to {sizes}: only dims of "
                         f"length 1 grow, -1 keeps a length, new dims go in front")
    return BroadcastTo.apply(x, shape=shape)


def narrow(x, dim, start, length):
    """``x[..., start:start + length, ...]`` along ``dim`` (``start`` may be negative).

    Raises
    ------
    ValueError
        If the range does not fit in the dim.
    """
    dim = _check_axis("narrow", dim, _tensor(x, "narrow").ndim, x.shape) % x.ndim
    n = x.shape[dim]
    start = operator.index(start) + (n if start < 0 else 0)
    length = operator.index(length)
    if not (0 <= start <= n and 0 <= length <= n - start):
        raise ValueError(f"narrow: start {start} and length {length} do not fit in dim {dim} "
                         f"of length {n} (shape {x.shape})")
    return GetItem.apply(x, index=(slice(None),) * dim + (slice(start, start + length),))


def flatten(x, start_dim=0, end_dim=-1):
    """``x`` with dims ``start_dim`` to ``end_dim`` (both included) merged into one."""
    ndim = max(_tensor(x, "flatten").ndim, 1)  # a 0-d tensor flattens to (1,)
    start, end = (_check_axis("flatten", d, ndim, x.shape) % ndim for d in (start_dim, end_dim))
    if start > end:
        raise ValueError(f"flatten: expected start_dim before end_dim, got {start_dim} and "
                         f"{end_dim} for shape {x.shape}")
    shape = x.shape or (1,)
    return reshape(x, shape[:start] + (math.prod(shape[start:end + 1]),) + shape[end + 1:])


def unsqueeze(x, dim):
    """``x`` with a new dim of length 1 at ``dim``, from ``-x.ndim - 1`` to ``x.ndim``."""
    ndim = _tensor(x, "unsqueeze").ndim + 1
    dim = _check_axis("unsqueeze", dim, ndim, x.shape) % ndim
    return reshape(x, x.shape[:dim] + (1,) + x.shape[dim:])


def squeeze(x, dim=None):
    """``x`` without its dims of length 1: all, or those of ``dim`` (an int or a tuple).

    A named dim whose length is not 1 stays, as in PyTorch.
    """
    _tensor(x, "squeeze")
    if dim is None:
        dims = range(x.ndim)
    else:
        dims = [_check_axis("squeeze", d, max(x.ndim, 1), x.shape) % max(x.ndim, 1)
                for d in (dim if isinstance(dim, (tuple, list)) else (dim,))]
    return reshape(x, tuple(n for i, n in enumerate(x.shape) if not (i in dims and n == 1)))


def clone(x):
    """A copy of ``x`` with its own array; the gradient passes through (one node)."""
    return Clone.apply(_tensor(x, "clone"))


def broadcast_to(x, shape):
    """``x`` broadcast to ``shape`` (NumPy rules); the gradient is summed back."""
    return BroadcastTo.apply(x, shape=tuple(shape))


def getitem(x, index):
    """``x[index]``: slices, ints, ``None``, ``Ellipsis``, integer or boolean arrays."""
    return GetItem.apply(x, index=_native_index(index, x._backend))


def _native_index(index, backend):
    """Turn Tensors and lists inside an index into arrays of ``backend``.

    The node keeps index arrays for its backward, so it gets copies: a caller who
    refills an index buffer after the forward pass must not move the gradients.
    """
    if isinstance(index, tuple):
        return tuple(_native_index(part, backend) for part in index)
    if isinstance(index, Tensor):
        if index._backend is not backend:
            raise ValueError(
                f"getitem: the index lives on {index.backend!r} but the tensor on "
                f"{backend.name!r}; move it with .to({backend.name!r})"
            )
        return index.data.copy()
    if backend.is_native(index):
        return index.copy()
    if isinstance(index, list):
        return backend.xp.asarray(index)
    if hasattr(index, "shape"):  # another backend's array, or a NumPy scalar
        owner = backends.of(index)
        return backend.from_host(owner.to_host(index) if owner else index)
    return index


def where(cond, a, b):
    """Choose elementwise from ``a`` where ``cond`` is true, else from ``b`` (broadcasting).

    Parameters
    ----------
    cond : Tensor
        Booleans, e.g. from a comparison ``x > 0``.
    a, b : Tensor or float
        The values; the gradient flows to ``a`` where ``cond`` holds, else to ``b``.

    Returns
    -------
    Tensor
        Of the broadcast shape of the three operands.

    Raises
    ------
    TypeError
        If ``cond`` is not a boolean tensor.
    """
    _tensor(cond, "where")
    if cond.dtype.kind != "b":
        raise TypeError(f"where: expected a boolean condition, got dtype {cond.dtype}")
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        # Two numbers take the dtype mg.tensor gives them together (float32 for floats), not
        # NumPy's float64.
        a, b = from_data.tensor([_operand(a, "where"), _operand(b, "where")], backend=cond.backend)
    return Where.apply(cond, a, b)
