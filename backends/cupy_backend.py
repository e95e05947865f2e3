"""The CuPy backend: minigrad on an NVIDIA GPU.

CuPy is imported only when this backend is built, so ``import minigrad`` works
on machines without it; asking for ``"cupy"`` there raises
:class:`BackendUnavailableError` with the fix.
"""

import copy

from .base import Backend, BackendUnavailableError

# The package index's "minigrad" is another project: the hint names CuPy's own wheels, or
# the extra of a checkout of this one.
INSTALL_HINT = (
    "install CuPy for your CUDA version: pip install cupy-cuda12x (CUDA 12) or "
    'pip install cupy-cuda13x (CUDA 13); from a checkout, pip install -e ".[cuda12]"'
)


def _import_cupy():
    """Import CuPy and check that it sees a GPU; raise BackendUnavailableError if not."""
    try:
        import cupy
    except ImportError as err:
        raise BackendUnavailableError(
            f"backend 'cupy' is unavailable: CuPy is not installed ({err}); {INSTALL_HINT}"
        ) from err
    try:
        devices = cupy.cuda.runtime.getDeviceCount()
    except Exception as err:  # CUDA raises its own error types when no driver is found
        raise BackendUnavailableError(
            f"backend 'cupy' is unavailable: CuPy is installed but CUDA found no usable GPU "
            f"({err}); run on a machine with an NVIDIA GPU and driver, or use backend='numpy'"
        ) from err
    if devices == 0:
        raise BackendUnavailableError(
            "backend 'cupy' is unavailable: CuPy is installed but no GPU is visible "
            "(check CUDA_VISIBLE_DEVICES and the NVIDIA driver), or use backend='numpy'"
        )
    return cupy


class CuPyBackend(Backend):
    """Arrays are :class:`cupy.ndarray` on the current CUDA device."""

    name = "cupy"
    compiles_kernels = True

    def __init__(self, seed=None):
        cupy = _import_cupy()
        self.xp = cupy
        self.array_type = cupy.ndarray
        self._kernels = {}
        self._rng = cupy.random.default_rng(seed)

    def is_native(self, obj):
        return isinstance(obj, self.xp.ndarray)

    def to_host(self, array):
        return self.xp.asnumpy(array)

    def from_host(self, array):
        return self.xp.asarray(array)

    def seed(self, seed):
        self._rng = self.xp.random.default_rng(seed)

    def rng_state(self):
        # CuPy's generators keep their state on the device; a deep copy duplicates it
        # (unverified on a GPU: the CuPy suite has not run since this was added).
        return copy.deepcopy(self._rng)

    def set_rng_state(self, state):
        self._rng = copy.deepcopy(state)

    def randn(self, shape, dtype):
        return self._rng.standard_normal(shape, dtype=dtype)

    def rand(self, shape, dtype):
        return self._rng.random(shape, dtype=dtype)

    def kernel(self, source):
        # One cupy.ElementwiseKernel per source, made on first use; CuPy compiles it for
        # each dtype at its first call and keeps the binary in its on-disk cache.
        compiled = self._kernels.get(source)
        if compiled is None:
            compiled = self._kernels[source] = self.xp.ElementwiseKernel(
                source.inputs, source.outputs, source.body, source.name,
                preamble=source.preamble)
        return compiled

    def scatter_add(self, target, index, values):
        self.xp.add.at(target, index, values)
