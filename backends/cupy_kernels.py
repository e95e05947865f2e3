"""CUDA C sources of the elementwise ops' one-pass kernels, for the CuPy backend.

On a GPU every NumPy-style pass over an array is a kernel launch, so the ops whose
NumPy forms take several passes (the sigmoid, and the tanh's and the sigmoid's
gradients) carry one kernel each, which :meth:`CuPyBackend.kernel
<minigrad.backends.Backend.kernel>` compiles once per process. The ops run them only
where their backend's ``compiles_kernels`` is true; elsewhere their ``xp`` code runs.
"""

from .base import KernelSource

# exp(-x) only overflows to inf for very negative x, where 1 / (1 + inf) is the right 0.
SIGMOID_DEVICE_FUNCTION = """
template <typename T> __device__ T minigrad_sigmoid(T x) { return T(1) / (T(1) + exp(-x)); }
"""
SIGMOID = KernelSource("minigrad_sigmoid", "T x", "T y", "y = minigrad_sigmoid(x)",
                       preamble=SIGMOID_DEVICE_FUNCTION)
SIGMOID_GRAD = KernelSource("minigrad_sigmoid_grad", "T y, T gy", "T gx",
                            "gx = gy * y * (T(1) - y)")
TANH_GRAD = KernelSource("minigrad_tanh_grad", "T y, T gy", "T gx", "gx = gy * (T(1) - y * y)")
