r"""Recomputation: trade time for memory by forgetting a call's inside and redoing it later.

Backpropagation keeps every intermediate result until the walk comes back for it, so
the memory of a forward pass grows with its length. :func:`checkpoint` records a call
``fn(*args)`` on the tape as *one* node that keeps only the call's inputs. When the
backward walk reaches that node, the node runs ``fn`` again with recording on and
differentiates the fresh, short-lived graph of that one call. A sequence split into
:math:`k` such segments keeps :math:`k` segment boundaries plus one segment's
intermediates at a time, instead of all :math:`T` steps' (Chen et al. 2016).
"""

from minigrad.autograd import local_vjp
from minigrad.backends import instantiated
from minigrad.function import Function
from minigrad.grad_mode import is_grad_enabled, no_grad
from minigrad.tensor import Tensor


class Checkpoint(Function):
    r"""A call recorded as one node; its backward recomputes the call and differentiates it.

    The node's inputs are the call's Tensor arguments followed by the leaves (parameters)
    that ``fn`` reached without receiving them as arguments, so their gradients arrive
    through this node like any other input's.
    """

    def forward(self, xp, *arrays, call, outputs):
        self.saved = call  # what backward replays: the function, its arguments, the draws
        return outputs if len(outputs) > 1 else outputs[0]

    def backward(self, *gys):
        call = self.saved
        return local_vjp(call.rerun, self, gys)


class _Call:
    """``fn(*args)`` as the checkpoint node replays it: the same arguments, the same draws.

    The Tensors among ``args``, also inside tuples and lists (a state ``(h, c)``), are
    the node's first inputs; ``args`` is rebuilt around the node's inputs to rerun.
    """

    __slots__ = ("fn", "tensors", "arguments", "structure", "rng_states")

    def __init__(self, fn, args, rng_states):
        self.fn, self.rng_states = fn, rng_states
        self.tensors, self.arguments = _flatten(args)
        self.structure = None

    def run(self):
        outputs = self.fn(*_unflatten(self.tensors, self.arguments))
        tensors, self.structure = _flatten(outputs)
        if not tensors:
            raise TypeError(
                f"checkpoint: expected fn to return a Tensor or a tuple or list of Tensors, "
                f"got {type(outputs).__name__}; a function without a Tensor result has "
                "nothing to recompute"
            )
        return tensors

    def rerun(self, *inputs):
        """``fn`` on the node's inputs again, with the random draws of the first run."""
        args = _unflatten(list(inputs[:len(self.tensors)]), self.arguments)
        now = _rng_states()
        _set_rng_states(self.rng_states)
        try:
            outputs = self.fn(*args)
        finally:
            _set_rng_states(now)
        return tuple(_flatten(outputs)[0])


def checkpoint(fn, *args):
    r"""Call ``fn(*args)`` without keeping its intermediate results; recompute them in backward.

    Values and gradients are those of the plain call ``fn(*args)``, second derivatives
    (``create_graph=True``) included. Random draws inside ``fn`` (dropout) are replayed
    exactly: the recomputation restores the generators' state of the first call.

    Parameters
    ----------
    fn : callable
        Returns a Tensor, or a (possibly nested) tuple or list of Tensors. It may use
        parameters and other leaf tensors freely; a tensor computed *outside* ``fn``
        that needs a gradient must be passed as one of ``args``, so that the walk
        meets it at this node.
    *args
        Tensors (also inside tuples and lists) and any other values ``fn`` takes.

    Returns
    -------
    Tensor or tuple
        What ``fn`` returns, with the same structure.

    Raises
    ------
    TypeError
        If ``fn`` is not callable or returns no Tensor.

    Notes
    -----
    The memory of the call's inside lives only while its forward runs and, once more,
    while the walk is inside the node's backward. The price is one more forward pass.

    Examples
    --------
    >>> import minigrad as mg
    >>> w = mg.randn(4, 4, requires_grad=True)
    >>> def block(h):
    ...     return (h @ w).tanh()
    >>> h = mg.randn(2, 4)
    >>> for _ in range(10):
    ...     h = mg.checkpoint(block, h)
    >>> h.sum().backward()
    >>> w.grad.shape
    (4, 4)
    """
    if not callable(fn):
        raise TypeError(f"checkpoint: expected a callable fn, got {type(fn).__name__}")
    call = _Call(fn, args, _rng_states())
    if not is_grad_enabled():
        with no_grad():
            return _unflatten(call.run(), call.structure)
    tensors = call.run()
    inputs = call.tensors + _leaves_reached(tensors, call.tensors)
    if not any(t.requires_grad for t in inputs):
        return _unflatten(tensors, call.structure)
    # Only the output arrays survive: the graph of the first run is dropped with ``tensors``.
    arrays = tuple(t.data for t in tensors)
    del tensors
    outputs = Checkpoint.apply(*inputs, call=call, outputs=arrays)
    if isinstance(outputs, Tensor):
        outputs = (outputs,)
    return _unflatten(list(outputs), call.structure)


def _leaves_reached(outputs, args):
    """The leaves needing a gradient that ``outputs`` depend on, not through ``args``."""
    stop = {id(t) for t in args}
    seen, leaves = set(), []
    todo = [t for t in outputs if t.requires_grad]
    while todo:
        t = todo.pop()
        if id(t) in stop or id(t) in seen:
            continue
        seen.add(id(t))
        if t._node is None:
            leaves.append(t)
            continue
        if id(t._node) not in seen:
            seen.add(id(t._node))
            todo.extend(x for x in t._node.inputs if isinstance(x, Tensor) and x.requires_grad)
    return leaves


def _flatten(value):
    """The Tensors in ``value`` (a Tensor or nested tuples/lists) and how to rebuild it."""
    if isinstance(value, Tensor):
        return [value], None
    if isinstance(value, (tuple, list)):
        tensors, parts = [], []
        for item in value:
            inner, structure = _flatten(item)
            tensors += inner
            parts.append((len(inner), structure, item if not inner else None))
        return tensors, (type(value), parts)
    return [], ("value", value)


def _unflatten(tensors, structure):
    if structure is None:
        return tensors[0]
    kind, parts = structure
    if kind == "value":
        return parts
    items, start = [], 0
    for count, inner, value in parts:
        items.append(_unflatten(tensors[start:start + count], inner) if count else value)
        start += count
    return kind(items)


def _rng_states():
    return {backend: backend.rng_state() for backend in instantiated()}


def _set_rng_states(states):
    for backend, state in states.items():
        backend.set_rng_state(state)


__all__ = ["checkpoint"]
