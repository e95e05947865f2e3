r"""Shape primitives: they move elements around and never change their values.

Their backward rules move the gradient back the same way: reshape undoes
reshape, a split's gradient is a concat, an index's gradient is a scatter.
"""

from minigrad.function import Function, _numbers_as_arrays


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
