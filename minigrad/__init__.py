"""minigrad: a small, readable reverse-mode autodiff engine over NumPy and CuPy.

>>> import minigrad as mg
>>> x = mg.tensor([1.0, 2.0, 3.0], requires_grad=True)
>>> (x * x).sum().backward()
>>> x.grad
tensor([2. 4. 6.], dtype=float32)
"""

from minigrad import backends, distributed, optim, viz
from minigrad.autograd import grad
from minigrad.backends import default_backend, set_default_backend
from minigrad.checkpoint import checkpoint
from minigrad.dtypes import bool_, float32, float64, int32, int64
from minigrad.errors import (
    BackendUnavailableError, GradcheckError, GraphFreedError, SerializationError,
)
from minigrad.factories import (
    arange, eye, full, manual_seed, ones, ones_like, rand, randn, tensor, zeros, zeros_like,
)
from minigrad.grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from minigrad.gradcheck import gradcheck
from minigrad.ops import (
    abs, clip, concat, exp, fused_gru_cell, fused_lstm_cell, linear, log, log_softmax,
    logsumexp, lstm_cell, matmul, relu, sigmoid, softmax, split, sqrt, stack, tanh, where,
)
from minigrad.serialization import load, save
from minigrad.tensor import Tensor

__version__ = "0.1.0"

__all__ = [
    "BackendUnavailableError", "GradcheckError", "GraphFreedError", "SerializationError",
    "Tensor", "abs", "arange", "backends", "bool_", "checkpoint", "clip", "concat",
    "default_backend", "distributed", "enable_grad", "exp", "eye", "float32", "float64", "full",
    "fused_gru_cell", "fused_lstm_cell", "grad", "gradcheck", "int32", "int64",
    "is_grad_enabled", "linear", "load", "log", "log_softmax", "logsumexp", "lstm_cell",
    "manual_seed", "matmul", "no_grad", "ones", "ones_like", "optim", "rand", "randn", "relu",
    "save", "set_default_backend", "set_grad_enabled", "sigmoid", "softmax", "split", "sqrt",
    "stack", "tanh", "tensor", "viz", "where", "zeros", "zeros_like",
]
