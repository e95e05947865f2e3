"""Grad mode: whether operations are recorded on the tape.

A single switch, read by :meth:`~minigrad.function.Function.apply` on every op;
``no_grad`` turns it off for inference and for the first-order backward pass itself.
"""


class _GradMode:
    __slots__ = ("enabled",)

    def __init__(self):
        self.enabled = True


mode = _GradMode()


def is_grad_enabled():
    """Return whether new operations are currently recorded for backward.

    Returns
    -------
    bool
        ``False`` inside :class:`no_grad` (and during a first-order backward pass).
    """
    return mode.enabled


class set_grad_enabled:
    """Context manager that turns recording on (``True``) or off (``False``) inside its block.

    It also works as a decorator, like its subclasses :class:`no_grad` and
    :class:`enable_grad`.

    Parameters
    ----------
    enabled : bool
        Whether to record operations inside the block.

    Examples
    --------
    >>> x = mg.tensor([1.0], requires_grad=True)
    >>> with mg.set_grad_enabled(False):
    ...     (x * 2).requires_grad
    False
    """

    def __init__(self, enabled):
        self.enabled = bool(enabled)
        self._previous = []

    def __enter__(self):
        self._previous.append(mode.enabled)
        mode.enabled = self.enabled

    def __exit__(self, *exc_info):
        mode.enabled = self._previous.pop()

    def __call__(self, function):
        def wrapper(*args, **kwargs):
            with set_grad_enabled(self.enabled):
                return function(*args, **kwargs)

        wrapper.__name__ = function.__name__
        wrapper.__doc__ = function.__doc__
        wrapper.__wrapped__ = function
        return wrapper


class no_grad(set_grad_enabled):
    """Record nothing inside the block: results have ``requires_grad=False``.

    Examples
    --------
    >>> x = mg.tensor([1.0, 2.0], requires_grad=True)
    >>> with mg.no_grad():
    ...     y = x * 2
    >>> y.requires_grad
    False
    """

    def __init__(self):
        super().__init__(False)


class enable_grad(set_grad_enabled):
    """Record operations inside the block, even within an enclosing :class:`no_grad`."""

    def __init__(self):
        super().__init__(True)
