r"""Joining and splitting: the primitives ``Concat`` and ``Split``, each the other's
backward, and the functions ``concat`` (``cat``), ``stack``, ``split`` and ``chunk``.

``split`` and ``chunk`` mean what PyTorch's mean: ``split(x, 2)`` gives pieces of length 2,
``split(x, [3, 1])`` pieces of lengths 3 and 1. ``stack`` is a composite (a reshape of each
tensor, then one concat).
"""

import itertools
import operator

from minigrad.function import Function
from minigrad.tensor import Tensor

from ._checks import _check_axis, _either, _tensor


class Concat(Function):
    r"""``y = concatenate(xs, axis)``;   the gradient is split back into the pieces."""

    __slots__ = ("axis", "bounds")

    def forward(self, xp, *xs, axis=0):
        axis %= xs[0].ndim  # Split slices along a non-negative axis
        self.axis = axis
        bounds, end = [], 0
        for x in xs[:-1]:
            end += x.shape[axis]
            bounds.append(end)
        self.bounds = bounds
        return xp.concatenate(xs, axis=axis)

    def backward(self, gy):
        return self.call(Split, gy, cuts=self.bounds, axis=self.axis)


class Split(Function):
    r"""``ys = x[.., :c1], x[.., c1:c2], ..., x[.., ck:]`` along ``axis`` at the ``cuts``
    (one node, many outputs).

    The gradient is the concatenation of the pieces' gradients, zeros for unused pieces.
    """

    __slots__ = ("axis", "shapes")

    def forward(self, xp, x, cuts=None, axis=0):
        # Plain slices: NumPy's split is Python code that swaps the axes of every piece
        # twice, six times the cost for the hundred time steps of a sequence.
        lead = (slice(None),) * axis
        bounds = [0, *cuts, x.shape[axis]]
        ys = tuple([x[lead + (slice(start, stop),)] for start, stop in zip(bounds, bounds[1:])])
        self.axis, self.shapes = axis, [y.shape for y in ys]
        return ys

    def backward(self, *gys):
        xp = self.backend.xp
        dtype = self.arrays[0].dtype
        pieces = [g if g is not None else self.constant(xp.zeros(shape, dtype=dtype))
                  for g, shape in zip(gys, self.shapes)]
        return self.call(Concat, *pieces, axis=self.axis)



# ---- the functions ---------------------------------------------------------------------


def _tensor_list(tensors, op):
    if isinstance(tensors, Tensor) or not tensors:
        raise TypeError(f"{op}: expected a non-empty sequence of Tensors, got {tensors!r}")
    return [_tensor(t, op) for t in tensors]


def concat(tensors, axis=0, *, dim=None):
    """Join a sequence of tensors along an existing ``axis``; one node, its backward a split.

    Parameters
    ----------
    tensors : sequence of Tensor
        Equal shapes except along ``axis``, on one backend.
    axis : int
        ``dim=`` is PyTorch's name for it; ``cat`` is the same function.

    Returns
    -------
    Tensor
        The tensors' shape, with the lengths along ``axis`` added up.

    Raises
    ------
    TypeError
        If ``tensors`` is empty or not a sequence of Tensors, ``axis`` not an int, or both
        ``axis`` and ``dim`` are given.
    ValueError
        If ``axis`` is out of range or the shapes do not fit.
    """
    axis = _either("concat", axis, dim, 0, ("axis", "dim"))
    tensors = _tensor_list(tensors, "concat")
    axis = _check_axis("concat", axis, tensors[0].ndim, tensors[0].shape)
    return Concat.apply(*tensors, axis=axis)


def stack(tensors, axis=0, *, dim=None):
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
    axis = _either("stack", axis, dim, 0, ("axis", "dim"))
    tensors = _tensor_list(tensors, "stack")
    shape = tensors[0].shape
    for t in tensors:
        if t.shape != shape:
            raise ValueError(f"stack: expected tensors of one shape, got {shape} and {t.shape}")
    axis = _check_axis("stack", axis, len(shape) + 1, shape)  # the modulo would wrap silently
    position = axis % (len(shape) + 1)
    expanded = shape[:position] + (1,) + shape[position:]
    return concat([t.reshape(expanded) for t in tensors], axis=position)


def split(x, split_size_or_sections, dim=0):
    """Split ``x`` into a tuple of tensors along ``dim``, as PyTorch does.

    One node with several outputs; its backward is one concat (zeros for unused pieces).

    Parameters
    ----------
    x : Tensor
    split_size_or_sections : int or sequence of int
        The length of each piece (the last one may be shorter), or the list of the
        pieces' lengths, which must add up to the length of ``dim``.
    dim : int

    Returns
    -------
    tuple of Tensor

    Raises
    ------
    TypeError
        If ``dim`` or ``split_size_or_sections`` is not made of ints.
    ValueError
        If a size is not positive (a listed length may be 0), the listed lengths do
        not add up to the dim's length (the message names both), or ``dim`` is out of range.
    """
    dim = _check_axis("split", dim, _tensor(x, "split").ndim, x.shape) % x.ndim
    n = x.shape[dim]
    if hasattr(split_size_or_sections, "__index__"):  # an int, a NumPy int, an int 0-d tensor
        size = operator.index(split_size_or_sections)
        if size <= 0:
            raise ValueError(f"split: expected a positive piece length, got {size}")
        sizes = [size] * (n // size) + ([n % size] if n % size or not n else [])
    else:
        try:
            sizes = [operator.index(i) for i in split_size_or_sections]
        except TypeError:
            raise TypeError(f"split: expected split_size_or_sections to be an int or a sequence "
                            f"of ints, got {split_size_or_sections!r}") from None
        if sum(sizes) != n or any(s < 0 for s in sizes):
            raise ValueError(
                f"split: expected piece lengths that add up to the {n} elements of dim {dim} "
                f"(shape {x.shape}), got {sizes} adding up to {sum(sizes)}")
    return Split.apply(x, cuts=list(itertools.accumulate(sizes[:-1])), axis=dim)


def chunk(x, chunks, dim=0):
    """Split ``x`` into ``chunks`` pieces of equal length along ``dim`` (the last may be
    shorter, and there may be fewer when the dim is short), as PyTorch does.

    Raises
    ------
    ValueError
        If ``chunks`` is not positive.
    """
    chunks = operator.index(chunks)
    if chunks <= 0:
        raise ValueError(f"chunk: expected a positive number of chunks, got {chunks}")
    dim = _check_axis("chunk", dim, _tensor(x, "chunk").ndim, x.shape)
    return split(x, max(-(-x.shape[dim] // chunks), 1), dim)

cat = concat  # PyTorch's name
