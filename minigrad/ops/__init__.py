r"""Every operation of minigrad, as a lowercase function: this module re-exports them.

Each module holds one family's primitives (the classes, one node on the tape each) and
the functions that apply them: ``elementwise``, ``reduce``, ``linalg``, ``shape``,
``join`` and ``convert``.
Composites (``mean``, ``logsumexp``, ``softmax``, ``log_softmax``, ``stack``, ``clip``
with tensor bounds and 1-D ``matmul``) are written with primitives, so their backward
comes from their parts.
"""

from .convert import cast, to_backend
from .elementwise import (
    abs, add, clamp, clip, compare, div, exp, log, mul, neg, pow, relu, sigmoid, sigmoid_cross_entropy,
    sqrt, sub, tanh,
)
from .linalg import linear, matmul
from .join import cat, chunk, concat, split, stack
from .reduce import argmax, argmin, log_softmax, logsumexp, max, mean, min, softmax, sum
from .shape import (
    broadcast_to, clone, expand, flatten, getitem, narrow, permute, reshape, squeeze, transpose,
    unsqueeze, where,
)

__all__ = [
    "abs", "add", "argmax", "argmin", "broadcast_to", "cast", "cat", "chunk", "clamp", "clip", "clone",
    "compare", "concat", "div", "exp", "expand", "flatten", "getitem", "linear", "log",
    "log_softmax", "logsumexp", "matmul", "max", "mean", "min", "mul", "narrow", "neg",
    "permute", "pow", "relu", "reshape", "sigmoid",
    "sigmoid_cross_entropy", "softmax", "split", "sqrt", "squeeze", "stack", "sub", "sum", "tanh",
    "to_backend", "transpose", "unsqueeze", "where",
]
