"""The exceptions minigrad raises beyond Python's own."""

from minigrad.backends import BackendUnavailableError


class GradcheckError(AssertionError):
    """Analytic and finite-difference gradients disagree (raised by :func:`minigrad.gradcheck`)."""


class GraphFreedError(RuntimeError):
    """A backward pass reached a part of the graph that an earlier backward already freed."""


class SerializationError(ValueError):
    """A file is not one that :func:`minigrad.load` can read: truncated, foreign or unsafe."""


__all__ = ["BackendUnavailableError", "GradcheckError", "GraphFreedError", "SerializationError"]
