r"""A third minigrad backend: NumPy arrays that count the kernels run on them.

Each elementwise operation, reduction or matrix product that NumPy runs is one
*ufunc* call, and on a GPU each would be one kernel launch. This backend keeps
the data on the CPU in a subclass of :class:`numpy.ndarray` that tallies those
calls, so you can see what one step of a model costs in launches.

Importing this module registers the backend under the name ``"counting"``; it is
also a pytest plugin that runs minigrad's test suite on it::

    PYTHONPATH=docs/guide MINIGRAD_TEST_BACKENDS=counting \
        python -m pytest -p counting_backend tests
"""

import collections
import functools
from typing import ClassVar

import numpy as np

import minigrad as mg


class CountedArray(np.ndarray):
    """A NumPy array whose ufunc calls are tallied in ``CountedArray.counts``."""

    counts: ClassVar[collections.Counter] = collections.Counter()

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        # "add" for a + b, "add.reduce" for a sum, "add.at" for a scatter.
        kernel = ufunc.__name__ if method == "__call__" else f"{ufunc.__name__}.{method}"
        CountedArray.counts[kernel] += 1
        # Run the real ufunc on plain ndarray views (no copies), then re-wrap the result.
        inputs = [np.asarray(x) if isinstance(x, CountedArray) else x for x in inputs]
        if "out" in kwargs:
            kwargs["out"] = tuple(np.asarray(x) if isinstance(x, CountedArray) else x
                                  for x in kwargs["out"])
        return _counted(getattr(ufunc, method)(*inputs, **kwargs))


def _counted(result):
    """View plain ndarrays (alone or in a list or tuple) as CountedArrays."""
    if type(result) is np.ndarray:
        return result.view(CountedArray)
    if isinstance(result, (list, tuple)):
        return type(result)(_counted(r) for r in result)
    return result  # NumPy scalars, dtypes, None


class CountingNumPy:
    """NumPy's namespace, except that the arrays its functions create are CountedArrays.

    Ufuncs are handed out as they are: called on CountedArrays, they already go
    through ``__array_ufunc__``. Other functions (``zeros``, ``concatenate``...)
    are wrapped so that their results are CountedArrays too.
    """

    def __getattr__(self, name):
        attr = getattr(np, name)
        if isinstance(attr, (np.ufunc, type)) or not callable(attr):
            return attr
        return functools.wraps(attr)(lambda *args, **kwargs: _counted(attr(*args, **kwargs)))


class CountingBackend(mg.backends.Backend):
    """The ``"counting"`` backend: CPU arrays that count their kernels."""

    name = "counting"
    xp = CountingNumPy()

    def __init__(self, seed=None):
        self._rng = np.random.default_rng(seed)

    def is_native(self, obj):
        return isinstance(obj, CountedArray)

    def to_host(self, array):
        return np.asarray(array)  # a plain ndarray view of the same memory

    def from_host(self, array):
        return np.asarray(array).view(CountedArray)

    def seed(self, seed):
        self._rng = np.random.default_rng(seed)

    def rng_state(self):
        return self._rng.bit_generator.state

    def set_rng_state(self, state):
        self._rng.bit_generator.state = state

    def randn(self, shape, dtype):
        return self.from_host(self._rng.standard_normal(shape, dtype=dtype))

    def rand(self, shape, dtype):
        return self.from_host(self._rng.random(shape, dtype=dtype))

    def scatter_add(self, target, index, values):
        np.add.at(target, index, values)


mg.backends.register(CountingBackend())
