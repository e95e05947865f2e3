"""minigrad: a small, readable reverse-mode autodiff engine over NumPy and CuPy.

>>> import minigrad as mg
>>> x = mg.tensor([1.0, 2.0, 3.0], requires_grad=True)
>>> (x * x).sum().backward()
>>> x.grad
tensor([2. 4. 6.], dtype=float32)
"""

from minigrad import backends, cuda, distributed, optim, viz
from minigrad.autograd import grad
from minigrad.backends import default_backend, set_default_backend
from minigrad.checkpoint import checkpoint
from minigrad.devices import device
from minigrad.dtypes import bool_, float32, float64, int32, int64
from minigrad.dtypes import bool_ as bool, float32 as float, float64 as double  # noqa: A001
from minigrad.dtypes import int32 as int, int64 as long  # noqa: A001  (PyTorch's names)
from minigrad.errors import (
    BackendUnavailableError, GradcheckError, GraphFreedError, SerializationError,
)
from minigrad.factories import (
    arange, eye, from_numpy, full, linspace, manual_seed, multinomial, ones, ones_like, rand,
    randint, randn, tensor, zeros, zeros_like,
)
from minigrad.grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from minigrad.gradcheck import gradcheck
from minigrad.ops import (
    abs, argmax, argmin, cat, chunk, clamp, clip, clone, concat, exp, expand, flatten, linear,
    log, log_softmax, logsumexp, matmul, max, mean, min, narrow, permute, relu, reshape, sigmoid,
    softmax, split, sqrt, squeeze, stack, sum, tanh, transpose, unsqueeze, where,
)
from minigrad.serialization import load, save
from minigrad.tensor import Tensor

__version__ = "0.1.0"

__all__ = [
    "BackendUnavailableError", "GradcheckError", "GraphFreedError", "SerializationError",
    "Tensor", "abs", "arange", "argmax", "argmin", "backends", "bool", "bool_", "cat",
    "checkpoint", "chunk", "clamp", "clip", "clone", "concat", "cuda", "default_backend",
    "device", "distributed", "double", "enable_grad", "exp", "expand", "eye", "flatten", "float",
    "float32", "float64", "from_numpy", "full", "fused_gru_cell", "fused_lstm_cell", "grad",
    "gradcheck", "int", "int32", "int64", "is_grad_enabled", "linear", "linspace", "load", "log",
    "log_softmax", "logsumexp", "long", "lstm_cell", "manual_seed", "matmul", "max", "mean",
    "min", "multinomial", "narrow", "no_grad", "ones", "ones_like", "optim", "permute", "rand",
    "randint", "randn", "relu", "reshape", "save", "set_default_backend", "set_grad_enabled",
    "sigmoid", "softmax", "split", "sqrt", "squeeze", "stack", "sum", "tanh", "tensor",
    "transpose", "unsqueeze", "viz", "where", "zeros", "zeros_like",
]

# The fused cells are nn's fast paths, and nn is built on this package: their functions are
# handed out from here on first use, so that importing the engine imports no nn.
_FROM_NN = ("fused_gru_cell", "fused_lstm_cell", "lstm_cell")


def __getattr__(name):
    if name in _FROM_NN:
        from minigrad.nn import _fused_functions

        value = globals()[name] = getattr(_fused_functions, name)
        return value
    raise AttributeError(f"module 'minigrad' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_FROM_NN))
