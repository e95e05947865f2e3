"""Grad mode: whether operations are recorded on the tape.

A switch read by :meth:`~minigrad.function.Function.apply` on every op; ``no_grad``
turns it off for inference and for the first-order backward pass itself. Each thread
has its own, as in PyTorch: a thread inside ``no_grad``, or running a backward pass,
changes nothing for the others, and every new thread starts with recording on.
"""

import contextvars
import functools
import inspect

# A context variable: each thread (and each asyncio task) sees its own value, and a new
# thread starts from the default. Reading one costs a few nanoseconds more than reading
# an attribute, where a threading.local costs thirty: it is read on every op.
_recording = contextvars.ContextVar("minigrad_grad_mode", default=True)
recording = _recording.get   # bound once: the engine calls it on every op


def is_grad_enabled():
    """Return whether new operations are currently recorded for backward, in this thread.

    Returns
    -------
    bool
        ``False`` inside :class:`no_grad` (and during a first-order backward pass).
    """
    return recording()


class _GradModeBlock:
    """What the three switches share: a ``with`` block, or a decorator, with a grad mode.

    Entering sets the mode; leaving restores the one found on entry. Each entry saves
    its own previous mode, so one instance may be entered again inside its own block.
    """

    def __init__(self, enabled):
        self.enabled = enabled
        self._previous = []

    def __enter__(self):
        self._previous.append(recording())
        _recording.set(self.enabled)

    def __exit__(self, *exc_info):
        _recording.set(self._previous.pop())

    def __call__(self, function):
        if inspect.isgeneratorfunction(function):
            # The body of a generator runs at each next(), long after the call returned:
            # the mode would not be the one asked for by then.
            raise TypeError(
                f"{type(self).__name__}: expected a function, got the generator function "
                f"{function.__name__!r}; use a with block inside the generator instead"
            )
        enabled = self.enabled

        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            with _GradModeBlock(enabled):
                return function(*args, **kwargs)

        return wrapper


class set_grad_enabled(_GradModeBlock):
    """Turn recording on (``True``) or off (``False``): at once, or inside a ``with`` block.

    As in PyTorch, a plain call ``mg.set_grad_enabled(False)`` switches the mode for
    what follows; used as a context manager the mode returns to the previous one when
    the block ends. It also works as a decorator (the mode is then set only while the
    decorated function runs), like :class:`no_grad` and :class:`enable_grad`.

    Parameters
    ----------
    enabled : bool
        Whether to record operations.

    Raises
    ------
    TypeError
        If ``enabled`` is not a bool.

    Examples
    --------
    >>> x = mg.tensor([1.0], requires_grad=True)
    >>> with mg.set_grad_enabled(False):
    ...     (x * 2).requires_grad
    False
    """

    def __init__(self, enabled):
        if not isinstance(enabled, bool):
            raise TypeError(
                f"set_grad_enabled: expected a bool, got {enabled!r} ({type(enabled).__name__})"
            )
        super().__init__(enabled)
        self._before_call = recording()
        _recording.set(enabled)

    def __enter__(self):
        # The call has switched the mode already: the block ends in the mode from before it.
        self._previous.append(self._before_call)
        _recording.set(self.enabled)

    def __call__(self, function):
        # As a decorator, the call that made this object must not switch the mode of the
        # code around it.
        _recording.set(self._before_call)
        return super().__call__(function)


class _FixedGradMode(_GradModeBlock):
    """A switch to the mode ``fixed_mode``, also usable as a bare decorator (``@mg.no_grad``)."""

    fixed_mode = None

    def __new__(cls, function=None):
        if function is None:
            return super().__new__(cls)
        return cls()(function)

    def __init__(self, function=None):
        super().__init__(self.fixed_mode)


class no_grad(_FixedGradMode):
    """Record nothing inside the block: results have ``requires_grad=False``.

    Use it as ``with mg.no_grad():``, or as a decorator, with or without the
    parentheses.

    Examples
    --------
    >>> x = mg.tensor([1.0, 2.0], requires_grad=True)
    >>> with mg.no_grad():
    ...     y = x * 2
    >>> y.requires_grad
    False
    """

    fixed_mode = False


class enable_grad(_FixedGradMode):
    """Record operations inside the block, even within an enclosing :class:`no_grad`.

    Like :class:`no_grad`, it is also a decorator, with or without the parentheses.
    """

    fixed_mode = True
