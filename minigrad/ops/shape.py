r"""Shape primitives, which move elements around and never change their values, and
their functions: ``reshape``, ``transpose``, ``broadcast_to``, ``getitem``, ``concat``,
``stack``, ``split`` and ``where``.

The primitives' backward rules move the gradient back the same way: reshape undoes
reshape, a split's gradient is a concat, an index's gradient is a scatter. The
functions take their arguments as NumPy does, check them in the user's terms and apply
the primitives; ``stack`` is a composite (a reshape of each tensor, then one concat).
"""

import operator

from minigrad import backends, from_data
from minigrad.function import Function, _numbers_as_arrays
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
    r"""``y = x.transpose(axes)``;   the gradient takes the inverse permutation."""

    __slots__ = ("axes",)

    def forward(self, xp, x, axes=None):
        self.axes = axes
        return xp.transpose(x, axes)

    def backward(self, gy):
        inverse = [0] * len(self.axes)
        for position, axis in enumerate(self.axes):
            inverse[axis] = position
        return gy.transpose(*inverse)


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


class Concat(Function):
    r"""``y = concatenate(xs, axis)``;   the gradient is split back into the pieces."""

    __slots__ = ("axis", "bounds")

    def forward(self, xp, *xs, axis=0):
        self.axis = axis
        bounds, end = [], 0
        for x in xs[:-1]:
            end += x.shape[axis]
            bounds.append(end)
        self.bounds = bounds
        return xp.concatenate(xs, axis=axis)

    def backward(self, gy):
        return self.call(Split, gy, indices_or_sections=self.bounds, axis=self.axis)


class Split(Function):
    r"""``ys = split(x, indices_or_sections, axis)`` (NumPy semantics; one node, many outputs).

    The gradient is the concatenation of the pieces' gradients, zeros for unused pieces.
    """

    __slots__ = ("axis", "shapes")

    def forward(self, xp, x, indices_or_sections=None, axis=0):
        axis %= x.ndim
        length = x.shape[axis]
        cuts = indices_or_sections
        if type(cuts) is int:  # a number of sections, which split() checked divides length
            step = length // cuts
            cuts = [step * k for k in range(1, cuts)]
        # Plain slices: NumPy's split is Python code that swaps the axes of every piece
        # twice, six times the cost for the hundred time steps of a sequence.
        lead = (slice(None),) * axis
        bounds = [0, *cuts, length]
        ys = tuple([x[lead + (slice(start, stop),)] for start, stop in zip(bounds, bounds[1:])])
        self.axis, self.shapes = axis, [y.shape for y in ys]
        return ys

    def backward(self, *gys):
        xp = self.backend.xp
        dtype = self.arrays[0].dtype
        pieces = [g if g is not None else self.constant(xp.zeros(shape, dtype=dtype))
                  for g, shape in zip(gys, self.shapes)]
        return self.call(Concat, *pieces, axis=self.axis)


class Where(Function):
    r"""``y = where(cond, a, b)``;   ``gy`` goes to ``a`` where ``cond`` holds, else to ``b``."""

    __slots__ = ()

    def forward(self, xp, cond, a, b):
        values = [a, b]
        if hasattr(a, "dtype") or hasattr(b, "dtype"):  # a number value beside an array
            _numbers_as_arrays(self.backend, values)  # takes its dtype, as in arithmetic
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


def transpose(x, *axes):
    """Permute the axes of ``x``; reverse them when none are given."""
    axes = _shape_args(axes) or tuple(reversed(range(x.ndim)))
    return Transpose.apply(x, axes=axes)


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


def _tensor_list(tensors, op):
    if isinstance(tensors, Tensor) or not tensors:
        raise TypeError(f"{op}: expected a non-empty sequence of Tensors, got {tensors!r}")
    return [_tensor(t, op) for t in tensors]


def concat(tensors, axis=0):
    """Join a sequence of tensors along an existing ``axis``; one node, its backward a split.

    Parameters
    ----------
    tensors : sequence of Tensor
        Equal shapes except along ``axis``, on one backend.
    axis : int

    Returns
    -------
    Tensor

    Raises
    ------
    TypeError
        If ``tensors`` is empty or not a sequence of Tensors, or ``axis`` not an int.
    ValueError
        If ``axis`` is out of range or the shapes do not fit.
    """
    tensors = _tensor_list(tensors, "concat")
    axis = _check_axis("concat", axis, tensors[0].ndim, tensors[0].shape)
    return Concat.apply(*tensors, axis=axis)


def stack(tensors, axis=0):
    """Join a sequence of equally shaped tensors along a new ``axis``.

    Composite: each tensor gets a new axis of length 1 (a reshape), then one concat.

    Parameters
    ----------
    tensors : sequence of Tensor
        All of one shape ``S``.
    axis : int
        Where the new axis goes, in ``0 .. len(S)`` (negatives count from the end).

    Returns
    -------
    Tensor
        ``S`` with ``len(tensors)`` inserted at ``axis``.

    Raises
    ------
    TypeError
        If ``tensors`` is empty or not a sequence of Tensors, or ``axis`` not an int.
    ValueError
        If the shapes differ or ``axis`` is out of range.
    """
    tensors = _tensor_list(tensors, "stack")
    shape = tensors[0].shape
    for t in tensors:
        if t.shape != shape:
            raise ValueError(f"stack: expected tensors of one shape, got {shape} and {t.shape}")
    axis = _check_axis("stack", axis, len(shape) + 1, shape)  # the modulo would wrap silently
    position = axis % (len(shape) + 1)
    expanded = shape[:position] + (1,) + shape[position:]
    return concat([t.reshape(expanded) for t in tensors], axis=position)


def split(x, indices_or_sections, axis=0):
    """Split ``x`` into a tuple of tensors, NumPy style: a number of equal sections,
    or the indices where each piece ends.

    One node with several outputs; its backward is one concat (zeros for unused pieces).

    Parameters
    ----------
    x : Tensor
    indices_or_sections : int or sequence of int
        ``n`` equal sections (``x.shape[axis]`` must divide by ``n``), or the
        positions where cuts go: ``[2, 5]`` gives ``x[:2]``, ``x[2:5]``, ``x[5:]``.
    axis : int

    Returns
    -------
    tuple of Tensor

    Raises
    ------
    TypeError
        If ``axis`` or ``indices_or_sections`` is not made of ints.
    ValueError
        If equal sections are impossible, the cut positions decrease (the pieces
        would overlap), or ``axis`` is out of range.
    """
    axis = _check_axis("split", axis, _tensor(x, "split").ndim, x.shape)
    n = x.shape[axis]
    if hasattr(indices_or_sections, "__index__"):  # an int, a NumPy int, an int 0-d tensor
        indices_or_sections = operator.index(indices_or_sections)
        if indices_or_sections <= 0:
            raise ValueError(
                f"split: expected a positive number of sections, got {indices_or_sections}"
            )
        if n % indices_or_sections:
            raise ValueError(
                f"split: expected a number of sections that divides the {n} "
                f"elements along axis {axis} of shape {x.shape}, got {indices_or_sections}"
            )
    else:
        try:
            indices = [operator.index(i) for i in indices_or_sections]
        except TypeError:
            raise TypeError(f"split: expected indices_or_sections to be an int or a sequence "
                            f"of ints, got {indices_or_sections!r}") from None
        # The cuts as slicing reads them (negatives from the end, clipped to the axis). The
        # pieces must tile the axis, for the gradient is their gradients' concatenation.
        indices_or_sections = [min(max(i + n if i < 0 else i, 0), n) for i in indices]
        if any(a > b for a, b in zip(indices_or_sections, indices_or_sections[1:])):
            raise ValueError(f"split: expected cut positions in increasing order (negative "
                             f"ones counting from the end), got {indices}")
    return Split.apply(x, indices_or_sections=indices_or_sections, axis=axis)


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
