"""The NumPy backend: minigrad on the CPU."""

import numpy

from .base import Backend


class NumPyBackend(Backend):
    """Arrays are :class:`numpy.ndarray`; random numbers come from a PCG64 generator."""

    name = "numpy"
    xp = numpy

    def __init__(self, seed=None):
        self._rng = numpy.random.default_rng(seed)

    def is_native(self, obj):
        return isinstance(obj, numpy.ndarray)

    def to_host(self, array):
        return array

    def from_host(self, array):
        return numpy.asarray(array)

    def seed(self, seed):
        self._rng = numpy.random.default_rng(seed)

    def randn(self, shape, dtype):
        return self._rng.standard_normal(shape, dtype=dtype)

    def rand(self, shape, dtype):
        return self._rng.random(shape, dtype=dtype)

    def scatter_add(self, target, index, values):
        numpy.add.at(target, index, values)
