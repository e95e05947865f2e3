"""Anomaly mode: the op that first makes a NaN or an infinity, named as it happens.

Inside ``with mg.autograd.detect_anomaly():`` every primitive's forward result, and
every gradient its backward rule returns, is checked. The first op that turns finite
operands into a NaN or an infinity raises a ``RuntimeError`` naming the op and the
line of the caller's code that ran it (for a backward rule, the line that created the
node in the forward pass).

It costs nothing when off. The checks are not a branch in
:meth:`~minigrad.function.Function.apply` or in the backward walk: entering the first
block (in any thread) wraps each op class's ``forward`` and ``backward`` in a checking
version, and leaving the last block puts the plain methods back. The mode itself is
per thread, as grad mode is: while one thread checks, the others run the wrappers with
the check switched off (a context-variable read per call).
"""

import contextvars
import math
import os
import sys
import threading
import weakref

from minigrad.function import Function
from minigrad.tensor import Tensor

_checking = contextvars.ContextVar("minigrad_anomaly_mode", default=False)
_lock = threading.Lock()
_blocks_open = 0            # anomaly blocks open in all threads: > 0 while the wrappers are on
_plain = {}                 # (op class, method name) -> the method the wrapper replaced
_sites = weakref.WeakKeyDictionary()   # node -> where the user's code created it


class detect_anomaly:
    """Raise at the first op that makes a NaN or an infinity, naming it and the line.

    A context manager, as PyTorch's ``torch.autograd.detect_anomaly``. Inside it, a
    primitive whose forward pass returns a NaN or an infinity from finite operands, or
    whose backward rule returns one from finite incoming gradients, raises
    ``RuntimeError`` at once, naming the op and the ``file:line`` of the code outside
    minigrad that created the node. Values that were already NaN (in a leaf, say) are
    not blamed on the ops they pass through.

    It checks every op, so it slows a program down; use it to find a NaN, then leave
    it. Off, it costs nothing: the checks are wrapped around the op classes' methods
    while some thread is inside a block, and taken off after. The mode is per thread.

    Examples
    --------
    >>> x = mg.tensor([1.0, 0.0], requires_grad=True)
    >>> with mg.autograd.detect_anomaly():
    ...     y = x.sqrt().sum()       # the derivative of sqrt at 0 is infinite
    ...     y.backward()
    Traceback (most recent call last):
        ...
    RuntimeError: detect_anomaly: the backward rule of sqrt returned inf ...
    """

    def __init__(self):
        self._tokens = []

    def __enter__(self):
        global _blocks_open
        with _lock:
            if _blocks_open == 0:
                _wrap_ops()
            _blocks_open += 1
        self._tokens.append(_checking.set(True))
        return self

    def __exit__(self, *exc_info):
        global _blocks_open
        _checking.reset(self._tokens.pop())
        with _lock:
            _blocks_open -= 1
            if _blocks_open == 0:
                _unwrap_ops()


def _op_classes(cls=Function):
    """Every subclass of Function defined so far, at any depth."""
    for sub in cls.__subclasses__():
        yield sub
        yield from _op_classes(sub)


def _wrap_ops():
    for cls in _op_classes():
        for name, make in (("forward", _checked_forward), ("backward", _checked_backward)):
            if name in vars(cls):  # inherited ones are wrapped where they are defined
                _plain[cls, name] = vars(cls)[name]
                setattr(cls, name, make(vars(cls)[name]))


def _unwrap_ops():
    for (cls, name), method in _plain.items():
        setattr(cls, name, method)
    _plain.clear()


def _checked_forward(forward):
    def checked(self, xp, *arrays, **params):
        out = forward(self, xp, *arrays, **params)
        if _checking.get():
            _sites[self] = _user_line()
            bad = _first_bad(out if type(out) is tuple else (out,))
            if bad and not _first_bad(arrays):
                raise RuntimeError(
                    f"detect_anomaly: {_op_name(self)} returned {bad} in its forward pass from "
                    f"finite operands, called at {_sites[self]}"
                )
        return out
    return checked


def _checked_backward(backward):
    def checked(self, *gys):
        gxs = backward(self, *gys)
        if _checking.get():
            bad = _first_bad(gxs if type(gxs) is tuple else (gxs,))
            if bad and not _first_bad(gys):
                raise RuntimeError(
                    f"detect_anomaly: the backward rule of {_op_name(self)} returned {bad} from "
                    f"finite incoming gradients; the node was created at "
                    f"{_sites.get(self, 'a line run before detect_anomaly was entered')}"
                )
        return gxs
    return checked


def _op_name(node):
    return type(node).__name__.lower()


def _first_bad(values):
    """``"nan"`` or ``"inf"`` if some value holds one, else ``None``."""
    for value in values:
        for array in _arrays(value):
            if isinstance(array, (int, float)):
                if not math.isfinite(array):
                    return "nan" if math.isnan(array) else "inf"
                continue
            xp = sys.modules[type(array).__module__.split(".")[0]]  # numpy or cupy
            if array.dtype.kind in "fc" and not bool(xp.isfinite(array).all()):
                return "nan" if bool(xp.isnan(array).any()) else "inf"
    return None


def _arrays(value):
    """The arrays inside a gradient or operand: a Tensor's data, a deferred product's
    factors, nothing for ``None``."""
    if value is None:
        return ()
    if isinstance(value, Tensor):
        return (value._data,)
    if hasattr(value, "dtype") or isinstance(value, (int, float)):
        return (value,)
    return tuple(part for part in (getattr(value, "a", None), getattr(value, "b", None))
                 if part is not None)   # autograd.Deferred: a weight gradient's factors


_PACKAGE_DIRS = None


def _user_line():
    """``file:line`` of the innermost frame outside minigrad (its package directories)."""
    global _PACKAGE_DIRS
    if _PACKAGE_DIRS is None:
        import minigrad.backends
        import minigrad.nn
        _PACKAGE_DIRS = tuple(os.path.dirname(m.__file__) + os.sep
                              for m in (sys.modules["minigrad"], minigrad.nn, minigrad.backends))
    frame = sys._getframe(2)
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIRS):
        frame = frame.f_back
    if frame is None:
        return "<inside minigrad>"
    return f"{frame.f_code.co_filename}:{frame.f_lineno}"
