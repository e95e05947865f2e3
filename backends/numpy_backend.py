"""The NumPy backend: minigrad on the CPU."""

import ctypes
import os
import sys

import numpy

from .base import Backend

# glibc's mallopt parameter numbers (malloc.h).
_M_TOP_PAD, _M_MMAP_THRESHOLD = -2, -3
DEFAULT_TOP_PAD = 64 * 2**20
# glibc's own ceiling for its adaptive threshold, which mallopt switches off.
_MMAP_THRESHOLD = 32 * 2**20
# A bound on the cache of constants as arrays: a loop over many values must not grow it.
_MAX_NUMBER_ARRAYS = 256
# NEP 50 (NumPy 2): a Python number beside an array takes the array's dtype. NumPy 1
# looks at the number's value instead, and beside a 0-d array (a loss, a mean) it
# always promotes float32 to float64: there, only the 0-d array makes float32 stay.
_NEP_50 = numpy.result_type(numpy.float32, 1e300) == numpy.float32
# Where matmul_transposed swaps its operands: 2 to this many rows (one row is a
# matrix-vector product either way), against a weight of at least this many entries
# (below it, measured, the swap and its copy cost more than they save).
_FEW_ROWS, _LARGE_WEIGHT = 32, 128 * 64


def keep_freed_memory(top_pad=None):
    """Ask glibc's allocator to keep ``top_pad`` bytes of freed memory for reuse.

    Every op allocates fresh arrays, and a backward pass frees the whole unrolled
    graph as it goes. By default glibc hands large freed blocks back to the kernel
    at once, so the next step faults the same pages in again: on a 64-step LSTM
    that was a third of the step. Keeping 64 MiB of slack, and serving arrays under
    32 MiB from the heap, removes almost all of it.
    It is a process-wide setting; set ``MINIGRAD_MALLOC_TOP_PAD`` (bytes, ``0`` to
    leave the allocator alone) to change it. Elsewhere than glibc it does nothing.

    Returns
    -------
    bool
        Whether the allocator took the setting.
    """
    if top_pad is None:
        top_pad = int(os.environ.get("MINIGRAD_MALLOC_TOP_PAD", DEFAULT_TOP_PAD))
    if top_pad <= 0 or not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # not glibc (musl, say): nothing to tune
        return False
    # Arrays below the threshold come from the heap, where the pad keeps them reusable.
    return bool(mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD) and mallopt(_M_TOP_PAD, top_pad))


class NumPyBackend(Backend):
    """Arrays are :class:`numpy.ndarray`; random numbers come from a PCG64 generator."""

    name = "numpy"
    xp = numpy
    array_type = numpy.ndarray

    def __init__(self, seed=None):
        self._rng = numpy.random.default_rng(seed)
        self._number_arrays = {}  # number -> its read-only 0-d array, of the dtype last asked
        keep_freed_memory()

    def number_as_array(self, number, like):
        # NumPy 2 spends about 240 ns working out the dtype of a Python number (NEP 50's
        # weak scalars), as long as the product of two (8, 8) arrays takes. NEP 50 casts
        # the number to the array's dtype, so a 0-d array of that dtype gives the same
        # bits in half the time. A model uses a few constants at every step: they are
        # cached, as read-only arrays since every op that meets them shares them. The
        # cache is keyed by the number and checks the dtype by identity (a model's
        # arrays share one dtype object), since hashing a dtype costs as much again.
        array = self._number_arrays.get(number)
        if array is not None and array.dtype is like.dtype:
            return array
        return self._new_number_array(number, like)

    def _new_number_array(self, number, like):
        """``number_as_array`` when the cache has no array of ``like``'s dtype for ``number``."""
        if like.dtype.kind != "f":  # integer arrays keep NumPy's rules: 2.5 promotes them
            return number
        if number == 0 or number != number:  # 0.0 == -0.0 and NaN != NaN: no sound keys
            return number if _NEP_50 else numpy.array(number, like.dtype)
        if len(self._number_arrays) >= _MAX_NUMBER_ARRAYS:
            self._number_arrays.clear()
        array = numpy.array(number, like.dtype)
        array.flags.writeable = False
        self._number_arrays[number] = array
        return array

    def numbers_as_arrays(self, operands):
        # Arithmetic meets a constant at every other op of a small model: the cache's
        # hits are taken here, without a second call.
        a, b = operands
        if type(b) is float or type(b) is int:
            number, like, at = b, a, 1
        elif type(a) is float or type(a) is int:
            number, like, at = a, b, 0
        else:
            return
        array = self._number_arrays.get(number)
        if array is None or array.dtype is not like.dtype:
            array = self._new_number_array(number, like)
        operands[at] = array

    def is_native(self, obj):
        return isinstance(obj, numpy.ndarray)

    def to_host(self, array):
        return array

    def from_host(self, array):
        return numpy.asarray(array)

    def seed(self, seed):
        self._rng = numpy.random.default_rng(seed)

    def rng_state(self):
        return self._rng.bit_generator.state  # a fresh dict each time

    def set_rng_state(self, state):
        self._rng.bit_generator.state = state

    def randn(self, shape, dtype):
        return self._rng.standard_normal(shape, dtype=dtype)

    def rand(self, shape, dtype):
        return self._rng.random(shape, dtype=dtype)

    def matmul_transposed(self, a, b):
        # OpenBLAS multiplies a few rows by a large weight faster as (b a^T)^T than as
        # a b^T, the copy of the result back to rows included: a recurrent step's
        # (32, 256) state by a (1024, 256) W_hh takes 0.21 ms against 0.29 ms on one
        # core, and the gap is a fixed cost of the call, 0.09 ms at 16 rows still, so a
        # time loop whose batch shrinks pays it ever more per row. From about 48 rows
        # on the plain order is the faster: the input projection of all steps keeps it.
        if 1 < a.shape[0] <= _FEW_ROWS and b.size >= _LARGE_WEIGHT:
            return numpy.ascontiguousarray(numpy.matmul(b, a.T).T)
        return numpy.matmul(a, b.T)

    def scatter_add(self, target, index, values):
        if isinstance(index, numpy.ndarray) and index.dtype.kind in "iu" and index.size:
            _add_rows(target, index, values)
        else:
            numpy.add.at(target, index, values)


def _add_rows(target, index, values):
    """``numpy.add.at(target, index, values)`` for an integer array picking whole rows.

    ``add.at`` handles repeats one element at a time, which made an embedding's backward
    cost more than its LSTM step. Sorting the rows groups the repeats, so that one
    ``add.reduceat`` sums each group and every row of ``target`` is written once. Rows
    named once need no grouping: a plain indexed add, after a count that costs
    microseconds, is twenty times faster than the sort; with some rows repeated, only
    those are sorted.
    """
    rows, n = index.reshape(-1), target.shape[0]
    if rows.min() < -n or rows.max() >= n:
        raise IndexError(f"scatter_add: index out of bounds for {n} rows")
    rows = rows % n  # -1 and n - 1 are the same row
    values = values.reshape(rows.shape + values.shape[index.ndim:])
    repeated = numpy.bincount(rows)[rows] > 1
    if not repeated.any():
        target[rows] += values
        return
    if not repeated.all():
        once = ~repeated
        target[rows[once]] += values[once]
        rows, values = rows[repeated], values[repeated]
    order = numpy.argsort(rows, kind="stable")
    rows = rows[order]
    starts = numpy.flatnonzero(numpy.concatenate(([True], rows[1:] != rows[:-1])))
    target[rows[starts]] += numpy.add.reduceat(values[order], starts, axis=0)
