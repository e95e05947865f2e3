r"""Where the backward walk puts each gradient it hands on.

A backward rule returns one gradient per input. The walk gives each to an
:class:`Accumulator`, which adds it to whatever that input has received so far: a
result's share waits for its node to run, a leaf's lands in ``.grad``, and in a
walk for :func:`minigrad.grad` the gradients of the asked-for tensors are
collected instead. The accumulator is also where the walk saves work: it adds
in place into the sums it made itself, and it sums a weight's pieces from many
time steps a block at a time, with one large product (:class:`DeferredSums`).
"""

from minigrad.gradients import Deferred, unbroadcast
from minigrad.tensor import Tensor


class Accumulator:
    """The gradients one backward walk has received so far, and where they end.

    Parameters
    ----------
    create_graph : bool
        Whether the walk records its rules: gradients are then Tensors, and every
        sum is an op, so nothing is added in place.
    targets : dict or None
        For :func:`minigrad.grad`: :func:`_target_key` of each tensor whose gradient
        is wanted, to its position in ``found``. No ``.grad`` is written then.
    stop_at_targets : bool
        Keep the targets' gradients from flowing further back, so that each is a
        partial derivative, not also taken through another target.

    Attributes
    ----------
    take : callable
        ``take(node, None)`` removes and returns the gradient ``node`` has received, as
        the node runs: for a node of one output the gradient itself, otherwise a list
        of one per output (``None`` where none arrived); ``None`` if nothing arrived.
    found : list or None
        With ``targets``, the gradient of each target, in their positions.
    """

    __slots__ = ("pending", "take", "owned", "deferred", "targets", "stop_at", "found")

    def __init__(self, create_graph, targets=None, stop_at_targets=False):
        # node -> the gradient it has received so far. Taken out as the node runs, so
        # memory falls as BPTT walks back in time.
        self.pending = {}
        self.take = self.pending.pop  # the dictionary's own: the walk takes once per node
        # Slots whose gradient array this walk made itself, so it may add into them in
        # place. Recording a graph needs every sum as an op, so none then.
        self.owned = None if create_graph else set()
        self.deferred = DeferredSums()
        self.targets = targets
        self.stop_at = targets if stop_at_targets else None
        self.found = None if targets is None else [None] * len(targets)

    def add(self, t, g, node):
        """File ``g``, the gradient that ``node``'s rule gives its input ``t``.

        Returns the node that made ``t`` when this is the first gradient it receives,
        for the walk to schedule it, and ``None`` otherwise.
        """
        parent = t._node
        if parent is None:  # a leaf: the gradient ends here
            if type(g) is not Deferred and g.shape != t._data.shape:
                g = _fitted(g, t, node)
            self._to_leaf(t, g)
            return None
        if g.shape != t._data.shape:
            g = _fitted(g, t, node)
        if self.stop_at is not None and _target_key(t) in self.stop_at:
            _add_at(self.found, self.stop_at[_target_key(t)], g)
            return None
        grads = self.pending.get(parent)
        if parent.n_outputs == 1:
            if grads is not None:
                self.pending[parent] = self._sum(grads, g, parent)
                return None
            self.pending[parent] = g
            return parent
        first = grads is None
        if first:
            grads = self.pending[parent] = [None] * parent.n_outputs
        i = t._index
        grads[i] = g if grads[i] is None else self._sum(grads[i], g, (parent, i))
        return parent if first else None

    def report(self, node, gys):
        """Hand a node's full output gradients to the tensors that asked for them.

        Those are :func:`minigrad.grad`'s targets, or else the tensors that called
        ``retain_grad()``.
        """
        if self.targets is not None:
            for i, g in enumerate(gys):
                if (id(node), i) in self.targets:
                    _add_at(self.found, self.targets[id(node), i], g)
            return
        for i, ref in node.hooks:
            t = ref()
            if t is not None and gys[i] is not None:
                g = _as_tensor(gys[i], t._backend)
                if g.dtype != t.dtype:  # an op mixed dtypes: the gradient keeps the tensor's
                    g = g.to(dtype=t.dtype)
                t.grad = g if t.grad is None else t.grad + g

    def finish(self):
        """Sum the weights' pieces still pending; return the gradients of the targets
        (``None`` without targets)."""
        for t, total in self.deferred.drain():
            self._to_leaf(t, total, fresh=True)
        return self.found

    def _sum(self, total, g, slot):
        """``total + g``, computed in place when this walk made ``total`` for this slot.

        A gradient handed over by a backward rule may be shared (``Add`` passes one array
        to both inputs), so the first sum is a new array; the slot owns that one, and the
        sums after it reuse it. BPTT adds a weight's gradient once per step, so this saves
        an allocation of the weight's size at every step.
        """
        owned = self.owned
        if owned is None:
            return total + g
        if slot in owned:
            total += g
            return total
        owned.add(slot)
        return total + g

    def _to_leaf(self, t, g, fresh=False):
        """Add ``g`` to a leaf's ``.grad``, or to ``found`` when collecting for grad().

        ``g`` has the leaf's shape, or is a :class:`~minigrad.gradients.Deferred` piece,
        which waits in ``deferred`` until its block is summed. ``fresh`` says that
        nothing else holds ``g``: the walk has just computed it.
        """
        if type(g) is Deferred:
            g = self.deferred.add(t, g)
            if g is None:
                return
            fresh = True
        if g.dtype != t._data.dtype:  # an op mixed dtypes: a leaf's gradient keeps its dtype
            g = g.to(dtype=t.dtype) if self.owned is None else g.astype(t.dtype)
        if self.targets is not None:
            if id(t) in self.targets:
                _add_at(self.found, self.targets[id(t)], g)
        elif self.owned is None:  # a recorded walk: Tensors already
            t.grad = g if t.grad is None else t.grad + g
        elif t.grad is None:
            # A rule's gradient may be shared (Add hands one array to both inputs, a sum's
            # is a read-only broadcast view, a seed is the caller's): a leaf gets an array of
            # its own, writable as in PyTorch, which the rest of this walk may add into.
            t.grad = _as_tensor(g if fresh else g.copy(), t._backend)
            self.owned.add(id(t))
        else:
            total = self._sum(t.grad._data, g, id(t))
            if total is not t.grad._data:
                t.grad = _as_tensor(total, t._backend)


class DeferredSums:
    """A walk's pending :class:`~minigrad.gradients.Deferred` contributions, summed a block
    at a time.

    Summing them only at the end of the walk would keep every step's factors alive
    until then, so memory would not fall as BPTT walks back in time; summing each one
    as it arrives would give up the large product. A block of about ``block_rows``
    stacked rows keeps the product large and the pending factors few.
    """

    block_rows = 1024

    def __init__(self):
        self.pending = {}  # (leaf id, is a bias) -> [leaf, contributions, rows so far]
        # The last factors stacked, kept with their sources: a layer's weight and its bias
        # receive the same gradients ``a`` at the same steps, which are then stacked once.
        self.last_stacked = ((), None)

    def add(self, leaf, part):
        """File ``part``; return the block's sum when the block is full, else ``None``."""
        entry = self.pending.setdefault((id(leaf), part.b is None), [leaf, [], 0])
        entry[1].append(part)
        entry[2] += part.a.shape[0]
        if entry[2] < self.block_rows:
            return None
        total = self.total(entry[1], leaf._backend.xp)
        entry[1], entry[2] = [], 0
        return total

    def drain(self):
        """Each leaf with contributions left, and their sum."""
        for leaf, parts, _ in self.pending.values():
            if parts:
                yield leaf, self.total(parts, leaf._backend.xp)

    def total(self, parts, xp):
        a = self.stack([p.a for p in parts], xp)
        if parts[0].b is None:
            return a.sum(axis=0)
        return a.T @ self.stack([p.b for p in parts], xp)

    def stack(self, arrays, xp):
        """``arrays`` concatenated along their first axis, reusing the last such stack."""
        if len(arrays) == 1:
            return arrays[0]
        sources, stacked = self.last_stacked
        if len(sources) != len(arrays) or any(x is not y for x, y in zip(sources, arrays)):
            stacked = xp.concatenate(arrays)
            self.last_stacked = (arrays, stacked)
        return stacked


def _fitted(g, t, node):
    """``g`` summed to the shape of ``t``, the input of ``node`` whose gradient it is."""
    try:
        return unbroadcast(g, t._data.shape)
    except ValueError as err:
        raise ValueError(f"backward of {type(node).__name__}: {err}") from None


def _add_at(grads, i, g):
    grads[i] = g if grads[i] is None else grads[i] + g


def _as_tensor(g, backend):
    """A gradient handed to the user: a Tensor, whichever kind of walk computed it."""
    if g is None or isinstance(g, Tensor):
        return g
    if type(g) is not backend.array_type:
        g = backend.xp.asarray(g)  # a NumPy scalar, NumPy's form of a 0-d result
    return Tensor(g, backend)


def _target_key(t):
    """How :func:`~minigrad.grad` knows ``t`` in the walk: a leaf by id, a result by its node."""
    return id(t) if t._node is None else (id(t._node), t._index)
