r"""Batches of sequences of unequal lengths: padding and packing, as ``torch.nn.utils.rnn``.

A *padded* batch is ``(T, B, *)`` with each sequence's steps first and filler after
them. A *packed* batch keeps only the real steps, time-major: the rows of step
:math:`t` are the sequences still running at :math:`t`, longest first, so the
``batch_sizes`` :math:`b_0 \ge b_1 \ge \dots \ge b_{T-1}` say how many there are. A
sequence layer given a packed batch steps only those rows: the batch shrinks as
sequences end, and no work is spent on padding.

The index bookkeeping is done on the host once per batch (lengths are host values in
PyTorch too); moving the data between layouts is one node each way: packing gathers
the real steps' rows, unpacking scatters them back into padding, each the other's
backward.
"""

import numbers
from typing import NamedTuple

import numpy

import minigrad as mg

from minigrad.function import Function
from minigrad.ops.shape import GetItem

from .. import _checks as check

__all__ = ["PackedSequence", "pack_padded_sequence", "pack_sequence", "pad_packed_sequence",
           "pad_sequence"]


class PackedSequence(NamedTuple):
    r"""A batch of sequences of unequal lengths, only their real steps, time-major.

    Made by :func:`pack_padded_sequence` or :func:`pack_sequence`; sequence layers take
    one and return one. Fields as PyTorch's:

    Attributes
    ----------
    data : Tensor
        ``(sum(batch_sizes), *)``: step 0 of every sequence (longest first), then step 1
        of those that have one, and so on.
    batch_sizes : Tensor
        int64 on the host backend, :math:`b_t` for each step :math:`t`.
    sorted_indices : Tensor or None
        int64: the ``j``-th longest sequence is ``sorted_indices[j]`` of the original
        batch; ``None`` when the batch came sorted.
    unsorted_indices : Tensor or None
        int64: the inverse permutation, where original sequence ``i`` sits in ``data``'s
        rows; ``None`` when the batch came sorted.

    Examples
    --------
    >>> from minigrad.nn.utils.rnn import pack_sequence
    >>> packed = pack_sequence([mg.tensor([1.0, 2.0]), mg.tensor([3.0, 4.0, 5.0])],
    ...                        enforce_sorted=False)
    >>> packed.data.numpy(), packed.batch_sizes.numpy()
    (array([3., 1., 4., 2., 5.], dtype=float32), array([2, 2, 1]))
    >>> packed.sorted_indices.numpy()
    array([1, 0])
    """

    data: mg.Tensor
    batch_sizes: mg.Tensor
    sorted_indices: mg.Tensor = None
    unsorted_indices: mg.Tensor = None

    def to(self, *args, **kwargs):
        """The same batch with ``data`` moved or cast as :meth:`Tensor.to
        <minigrad.Tensor.to>` takes it (``"cuda"``, ``mg.float64``...).

        The bookkeeping (``batch_sizes`` and the indices) stays on the host, where the
        layers read it.
        """
        data = self.data.to(*args, **kwargs)
        return self if data is self.data else self._replace(data=data)

    def cpu(self):
        """The batch with its ``data`` on the CPU (the NumPy backend)."""
        return self.to("cpu")

    def cuda(self):
        """The batch with its ``data`` on the GPU (the CuPy backend)."""
        return self.to("cuda")

    def float(self):
        """The batch with its ``data`` as float32."""
        return self.to(mg.float32)

    def double(self):
        """The batch with its ``data`` as float64."""
        return self.to(mg.float64)

    @property
    def is_cuda(self):
        """Whether ``data`` is on the GPU."""
        return self.data.is_cuda


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    r"""Stack sequences of unequal lengths into one padded batch.

    Parameters
    ----------
    sequences : sequence of Tensor
        Each ``(L_i, *)``, the same ``*`` for all.
    batch_first : bool
        Return ``(B, T, *)`` instead of ``(T, B, *)``, where :math:`T = \max_i L_i`.
    padding_value : float
        What fills the steps past each sequence's length.
    padding_side : {"right", "left"}
        Where the filler goes: after each sequence's steps, or before them.

    Returns
    -------
    Tensor
        The padded batch; gradients flow back to each sequence.

    Examples
    --------
    >>> from minigrad.nn.utils.rnn import pad_sequence
    >>> pad_sequence([mg.tensor([1.0]), mg.tensor([2.0, 3.0])]).numpy()
    array([[1., 2.],
           [0., 3.]], dtype=float32)
    """
    if isinstance(sequences, mg.Tensor) or not sequences:
        raise TypeError(f"pad_sequence: expected a non-empty list of Tensors, got {sequences!r}")
    for s in sequences:
        check.tensor("pad_sequence", "each sequence", s)
    batch_first = check.boolean("pad_sequence", "batch_first", batch_first)
    padding_value = check.real("pad_sequence", "padding_value", padding_value)
    if padding_side not in ("right", "left"):
        raise ValueError(f"pad_sequence: expected padding_side 'right' or 'left', "
                         f"got {padding_side!r}")
    longest = max(s.shape[0] for s in sequences)
    padded = []
    for s in sequences:
        if s.shape[0] < longest:
            filler = mg.full((longest - s.shape[0], *s.shape[1:]), padding_value,
                             dtype=s.dtype, backend=s.backend)
            s = mg.concat([s, filler] if padding_side == "right" else [filler, s])
        padded.append(s)
    return mg.stack(padded, dim=0 if batch_first else 1)


def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):
    r"""Pack a padded batch: keep each sequence's first ``lengths[i]`` steps.

    Parameters
    ----------
    input : Tensor
        ``(T, B, *)``, or ``(B, T, *)`` when ``batch_first``.
    lengths : list of int or Tensor
        One length per sequence (integers), each in :math:`1 \dots T`.
    batch_first : bool
    enforce_sorted : bool
        With ``True`` the lengths must not increase (the batch is already longest
        first); with ``False`` any order, and the permutation is kept in the result.

    Returns
    -------
    PackedSequence

    Raises
    ------
    ValueError
        If a length is not an integer, is 0 or beyond ``T``, the count of lengths is not
        the batch size, or (``enforce_sorted``) the lengths increase somewhere.

    Examples
    --------
    >>> from minigrad.nn.utils.rnn import pack_padded_sequence
    >>> padded = mg.tensor([[1.0, 2.0], [3.0, 0.0]])      # (T=2, B=2): lengths 2 and 1
    >>> pack_padded_sequence(padded, [2, 1]).data.numpy()
    array([1., 2., 3.], dtype=float32)
    """
    check.tensor("pack_padded_sequence", "input", input)
    batch_first = check.boolean("pack_padded_sequence", "batch_first", batch_first)
    enforce_sorted = check.boolean("pack_padded_sequence", "enforce_sorted", enforce_sorted)
    if input.ndim < 2:
        raise ValueError(f"pack_padded_sequence: expected input of at least 2 dimensions "
                         f"(T, B, *), got shape {input.shape}")
    if batch_first:
        input = input.transpose(0, 1)
    steps, batch = input.shape[:2]
    lengths = host_lengths("pack_padded_sequence", lengths, batch, steps)
    if enforce_sorted:
        if any(a < b for a, b in zip(lengths, lengths[1:])):
            raise ValueError(
                f"pack_padded_sequence: expected lengths sorted longest first with "
                f"enforce_sorted=True, got lengths={lengths.tolist()}; pass enforce_sorted=False"
            )
        order = numpy.arange(batch)
    else:
        order = numpy.argsort(-lengths, kind="stable")
    batch_sizes = _batch_sizes(lengths[order], int(lengths.max()))
    data = input.reshape(steps * batch, *input.shape[2:])[_places(batch_sizes, order)]
    return _packed(data, batch_sizes, None if enforce_sorted else order)


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    r"""Unpack a :class:`PackedSequence` into a padded batch: the inverse of packing.

    Parameters
    ----------
    sequence : PackedSequence
    batch_first : bool
        Return ``(B, T, *)`` instead of ``(T, B, *)``.
    padding_value : float
        What fills the steps past each sequence's length.
    total_length : int, optional
        Pad to this many steps instead of the longest length (at least that).

    Returns
    -------
    padded : Tensor
        The sequences in their original order.
    lengths : Tensor
        int64 on the host backend, each sequence's length.

    Examples
    --------
    >>> from minigrad.nn.utils.rnn import pack_sequence, pad_packed_sequence
    >>> packed = pack_sequence([mg.tensor([1.0, 2.0]), mg.tensor([3.0])])
    >>> padded, lengths = pad_packed_sequence(packed, batch_first=True)
    >>> padded.numpy(), lengths.numpy()
    (array([[1., 2.],
           [3., 0.]], dtype=float32), array([2, 1]))
    """
    if not isinstance(sequence, PackedSequence):
        raise TypeError(f"pad_packed_sequence: expected a PackedSequence, got "
                        f"{type(sequence).__name__}")
    batch_first = check.boolean("pad_packed_sequence", "batch_first", batch_first)
    padding_value = check.real("pad_packed_sequence", "padding_value", padding_value)
    batch_sizes = sequence.batch_sizes.numpy()
    steps, batch = len(batch_sizes), int(batch_sizes[0])
    if total_length is not None:
        if not check.is_number(numbers.Integral, total_length) or total_length < steps:
            raise ValueError(f"pad_packed_sequence: expected total_length to be an int of at "
                             f"least the longest length {steps}, got {total_length!r}")
        steps = int(total_length)
    order = (numpy.arange(batch) if sequence.sorted_indices is None
             else sequence.sorted_indices.numpy())
    data = sequence.data
    places = _places(batch_sizes, order)
    shape = (steps, batch)
    if batch_first:  # step t of sequence i: from place t * B + i to i * T + t
        places, shape = places % batch * steps + places // batch, (batch, steps)
    padded = Unpack.apply(data, places=places, rows=steps * batch, padding_value=padding_value)
    lengths = numpy.empty(batch, dtype=numpy.int64)
    lengths[order] = (batch_sizes[None, :] > numpy.arange(batch)[:, None]).sum(axis=1)
    return padded.reshape(*shape, *data.shape[1:]), mg.tensor(lengths, backend="numpy")


class Unpack(Function):
    r"""``y = full(rows, padding_value); y[places] = data``: the packed rows written to their
    places in the flattened padded batch;   :math:`\bar{data} = \bar y[places]`.

    Each row has a place of its own, so this is written, not added as
    :class:`~minigrad.ops.shape.IndexAdd` adds repeated places, and the gradient is the
    gather that packing does (:class:`~minigrad.ops.shape.GetItem`).
    """

    __slots__ = ("places",)

    def forward(self, xp, data, *, places, rows, padding_value):
        self.places = places
        padded = xp.full((rows, *data.shape[1:]), padding_value, dtype=data.dtype)
        padded[places] = data
        return padded

    def backward(self, gy):
        return self.call(GetItem, gy, index=self.places)


def pack_sequence(sequences, enforce_sorted=True):
    r"""Pack a list of sequences of unequal lengths: :func:`pad_sequence`, then
    :func:`pack_padded_sequence`.

    Parameters
    ----------
    sequences : sequence of Tensor
        Each ``(L_i, *)``; longest first unless ``enforce_sorted=False``.
    enforce_sorted : bool

    Returns
    -------
    PackedSequence

    Examples
    --------
    >>> from minigrad.nn.utils.rnn import pack_sequence
    >>> pack_sequence([mg.tensor([1.0, 2.0]), mg.tensor([3.0])]).batch_sizes.numpy()
    array([2, 1])
    """
    padded = pad_sequence(sequences)
    return pack_padded_sequence(padded, [s.shape[0] for s in sequences],
                                enforce_sorted=enforce_sorted)


def host_lengths(owner, lengths, batch, steps):
    """``lengths`` checked (integers in ``1..steps``, one per sequence) as a NumPy int array."""
    if isinstance(lengths, mg.Tensor):
        values = lengths.numpy()
        if values.dtype.kind not in "iu":
            raise ValueError(f"{owner}: expected lengths to be integers, got a tensor of "
                             f"dtype {values.dtype}: {values.tolist()}")
        values = values.tolist()
    else:
        values = list(lengths) if hasattr(lengths, "__iter__") else lengths
        if not isinstance(values, list) or not all(
                check.is_number(numbers.Integral, n) for n in values):
            raise ValueError(f"{owner}: expected lengths to be a list of ints or an integer "
                             f"tensor, got {lengths!r}")
    if numpy.ndim(values) != 1 or len(values) != batch:
        raise ValueError(f"{owner}: expected lengths to hold one length per sequence "
                         f"({batch}), got {len(values) if numpy.ndim(values) else 0}: {values}")
    for i, n in enumerate(values):
        if not 1 <= n <= steps:
            raise ValueError(f"{owner}: expected every length in 1..{steps} (the padded "
                             f"length T), got lengths[{i}] = {n}")
    return numpy.asarray(values, dtype=numpy.int64)


def _places(batch_sizes, order):
    """Where each packed row sits in the padded batch flattened time-major: ``t * B + i``
    for step ``t`` of sequence ``i``. Packing gathers these places, unpacking scatters
    the rows back to them."""
    batch = len(order)
    grid = numpy.arange(len(batch_sizes))[:, None] * batch + order  # step t of the j-th longest
    return grid[numpy.arange(batch) < numpy.asarray(batch_sizes)[:, None]]  # j < b_t, in order


def _batch_sizes(sorted_lengths, steps):
    """How many of the sequences (longest first) are still running at each step."""
    return (sorted_lengths[None, :] > numpy.arange(steps)[:, None]).sum(axis=1)


def _packed(data, batch_sizes, order):
    """The PackedSequence of ``data``; ``order`` is the sorting permutation or None."""
    host = "numpy"
    sizes = mg.tensor(numpy.asarray(batch_sizes, dtype=numpy.int64), backend=host)
    if order is None:
        return PackedSequence(data, sizes)
    inverse = numpy.empty_like(order)
    inverse[order] = numpy.arange(len(order))
    return PackedSequence(data, sizes, mg.tensor(order, backend=host),
                          mg.tensor(inverse, backend=host))
