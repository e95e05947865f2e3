r"""Reverse mode: walking the tape backwards.

The walk is iterative. Every node carries a ``rank``, one more than the deepest
node among its inputs, so a node's consumers always have a higher rank. Popping
nodes from a heap, highest rank first, therefore reaches a node only after every
consumer has sent it its gradient contribution. A dictionary holds the gradient
each pending node has received so far; it is popped as the node is processed,
so memory falls as BPTT walks back in time. (The next link of a chain, which runs
at once, gets its gradient handed over directly, without the dictionary.)

A first-order walk (the usual ``backward()``) passes raw arrays from rule to rule,
so each node costs its NumPy arithmetic and little more; gradients become Tensors
only where they are handed to the user, in ``.grad`` or from :func:`minigrad.grad`. A
recorded walk (``create_graph=True``) passes Tensors, so that every step of it
lands on the tape.
"""

import heapq
import itertools

from minigrad.anomaly import detect_anomaly  # noqa: F401  (mg.autograd's, as in PyTorch)
from minigrad.errors import GraphFreedError
from minigrad.grad_mode import recording, set_grad_enabled
from minigrad.gradients import Deferred, unbroadcast
from minigrad.tensor import Tensor


class _Root:
    """A stand-in node above the outputs: its backward hands out the seed gradients.

    Starting the walk from it lets one loop treat every edge alike.
    """

    __slots__ = ("inputs", "arrays", "needs_input_grad", "seeds", "saved", "hooks")
    rank = float("inf")
    n_outputs = 0

    def __init__(self, seeds):
        self.inputs = [t for t, _ in seeds]
        self.needs_input_grad = [True] * len(seeds)
        self.seeds = tuple(g for _, g in seeds)
        self.hooks = None

    def backward(self):
        return self.seeds


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


def _walk(seeds, retain_graph, create_graph, targets=None, stop_at_targets=False):
    """Propagate ``seeds`` (pairs of a tensor and its gradient) back to the leaves.

    Without ``targets``, gradients accumulate into the leaves' ``.grad``. With
    ``targets`` (a dict from :func:`_target_key` to a position) nothing is written
    to ``.grad``: the gradients reaching those tensors are returned in a list, as
    raw arrays unless ``create_graph``.
    ``stop_at_targets`` ends the walk at them, so the gradients are partial
    derivatives with respect to the targets, not through one target into another.
    """
    found = None if targets is None else [None] * len(targets)
    if not create_graph:  # the rules run on raw arrays: nothing is recorded
        seeds = [(t, g._data) for t, g in seeds]
    root = _Root(seeds)
    # node -> the gradient received so far: the array itself for a node of one output (most
    # of them, and a list around it would cost every op), a list of one per output otherwise
    pending = {}
    heap, tiebreak = [], itertools.count()
    push, pop = heapq.heappush, heapq.heappop
    # Slots whose gradient array this walk created itself, so it may add into them in
    # place. Recording a graph (create_graph) needs every sum as an op, so none then.
    owned = None if create_graph else set()
    deferred = DeferredSums()
    node, gys = root, []
    with set_grad_enabled(create_graph):
        while node is not None:
            # Read once: a node's attributes are slow to read here, where every op class
            # passes (the performance page, "One gradient, not a list of one").
            inputs = node.inputs
            if inputs is None:
                raise GraphFreedError(
                    "backward: this part of the graph was freed by an earlier backward; "
                    "pass retain_graph=True to the first backward() to run backward twice"
                )
            one_output = node.n_outputs == 1
            if targets is not None or node.hooks is not None:
                _report(node, [gys] if one_output else gys, targets, found)
            try:
                gxs = node.backward(gys) if one_output else node.backward(*gys)
            except TypeError as err:
                raise _rule_error(node, err, create_graph) from err
            if type(gxs) is not tuple:
                gxs = (gxs,)
            if len(gxs) != len(inputs):  # zip would silently drop or ignore some
                raise _count_error(node, gxs)
            # The first parent this node schedules. It usually runs next (a chain's next link),
            # so while it has one output its gradient stays in hand rather than in pending.
            after = after_grad = None
            for t, gx, need in zip(inputs, gxs, node.needs_input_grad):
                if not need or gx is None:
                    continue
                parent = t._node
                if parent is None:  # a leaf: the gradient ends here
                    if type(gx) is not Deferred and gx.shape != t._data.shape:
                        gx = _fitted(gx, t, node)
                    _to_leaf(t, gx, targets, found, owned, deferred)
                    continue
                if gx.shape != t._data.shape:
                    gx = _fitted(gx, t, node)
                if stop_at_targets and _target_key(t) in targets:
                    _add_at(found, targets[_target_key(t)], gx)
                    continue
                if parent is after and after_grad is not None:  # another share for it
                    after_grad = _sum_into(after_grad, gx, parent, owned)
                    continue
                grads = pending.get(parent)
                if grads is None:  # first contribution: schedule the parent
                    if after is None:
                        after = parent
                        if parent.n_outputs == 1:
                            after_grad = gx
                            continue
                    else:
                        push(heap, (-parent.rank, next(tiebreak), parent))
                if parent.n_outputs == 1:
                    pending[parent] = gx if grads is None else _sum_into(grads, gx, parent, owned)
                    continue
                if grads is None:
                    grads = pending[parent] = [None] * parent.n_outputs
                i = t._index
                grads[i] = gx if grads[i] is None else _sum_into(grads[i], gx, (parent, i), owned)
            if not retain_graph:  # its inputs and saved arrays can go now
                node.inputs = node.arrays = node.saved = None
            # Highest rank next: every consumer of that node has then sent its share. A
            # parent that outranks all waiting nodes (a chain's next link, mostly) runs at
            # once, without a trip through the heap.
            if after is not None and (not heap or after.rank >= -heap[0][0]):
                node = after
                gys = pending.pop(after) if after_grad is None else after_grad
                continue
            if after_grad is not None:  # it waits in the heap: others may add to it there
                pending[after] = after_grad
            if after is not None:
                push(heap, (-after.rank, next(tiebreak), after))
            node = pop(heap)[2] if heap else None
            gys = pending.pop(node, None)
    for t, total in deferred.drain():
        _to_leaf(t, total, targets, found, owned, None, fresh=True)
    return found


def local_vjp(reference, node, output_grads):
    """The gradients of ``node``'s inputs, taken through ``reference``, its composition.

    ``reference`` re-runs the computation from primitives on the node's own inputs,
    and a walk that stops at those inputs differentiates it. A fused primitive calls
    this from its ``backward`` when the backward pass is recorded
    (``create_graph=True``): the walk then records every step, so higher derivatives
    follow. :func:`~minigrad.checkpoint` calls it in every pass, to recompute the call
    it forgot; in a first-order pass the walk runs on raw arrays.

    Parameters
    ----------
    reference : callable
        Computes the node's outputs from its inputs with Tensor operations.
    node : Function
        The fused node; its ``inputs`` and ``needs_input_grad`` are used.
    output_grads : tuple
        The gradient of each output of the node, ``None`` where none arrived.

    Returns
    -------
    tuple
        One gradient per input, ``None`` for inputs that need none.
    """
    # A recorded pass (grad mode is then on) differentiates the recomputation too; a
    # first-order one walks it on raw arrays, as the outer walk does.
    create_graph = recording()
    node.check_inputs_unchanged()   # the recomputation reads the inputs' current values
    # An input passed twice must get two partial derivatives, so repeats are aliased.
    seen = set()
    inputs = []
    with set_grad_enabled(True):
        for t in node.inputs:
            inputs.append(t.reshape(t.shape) if id(t) in seen else t)
            seen.add(id(t))
        outputs = reference(*inputs)
    if isinstance(outputs, Tensor):
        outputs = (outputs,)
    seeds = [(y, g if isinstance(g, Tensor) else Tensor(g, y._backend))
             for y, g in zip(outputs, output_grads) if g is not None]
    targets = {}
    for t, need in zip(inputs, node.needs_input_grad):
        if need:
            targets[_target_key(t)] = len(targets)
    found = _walk(seeds, True, create_graph, targets, stop_at_targets=True)
    return tuple(found[targets[_target_key(t)]] if need else None
                 for t, need in zip(inputs, node.needs_input_grad))


def _rule_error(node, err, create_graph):
    """A backward rule failed on its operands' types: say what a rule is given."""
    given = ("Tensors (create_graph=True)" if create_graph
             else "raw arrays (a first-order pass)")
    return TypeError(
        f"backward of {type(node).__name__}: {err}. The rule was given {given}: "
        "take the inputs from self.operands() (not self.inputs), the saved output from "
        "self.output(), and run other primitives with self.call(...)"
    )


def _fitted(g, t, node):
    """``g`` summed to the shape of ``t``, the input of ``node`` whose gradient it is."""
    try:
        return unbroadcast(g, t._data.shape)
    except ValueError as err:
        raise ValueError(f"backward of {type(node).__name__}: {err}") from None


def _count_error(node, gxs):
    return TypeError(
        f"backward of {type(node).__name__}: expected one gradient per input "
        f"({len(node.inputs)}, None for an input that needs none), got {len(gxs)}"
    )


def _sum_into(total, g, slot, owned):
    """``total + g``, computed in place when this walk made ``total`` for this slot.

    Raw arrays in a first-order walk; Tensors in a recorded one, which owns nothing.

    A gradient handed over by a backward rule may be shared (``Add`` passes one array
    to both inputs), so the first sum is a new array; the slot owns that one, and the
    sums after it reuse it. BPTT adds a weight's gradient once per step, so this saves
    an allocation of the weight's size at every step.
    """
    if owned is None:
        return total + g
    if slot in owned:
        total += g
        return total
    owned.add(slot)
    return total + g


def _to_leaf(t, g, targets, found, owned, deferred, fresh=False):
    """Accumulate into a leaf's ``.grad``, or into ``found`` when collecting for grad().

    ``g`` has the leaf's shape, or is a :class:`~minigrad.gradients.Deferred`
    contribution, which is filed in ``deferred`` until its block is summed. ``fresh``
    says that nothing else holds ``g``: the walk has just computed it.
    """
    if type(g) is Deferred:
        g = deferred.add(t, g)
        if g is None:
            return
        fresh = True
    if g.dtype != t._data.dtype:  # an op mixed dtypes: a leaf's gradient keeps the leaf's dtype
        g = g.to(dtype=t.dtype) if owned is None else g.astype(t.dtype)
    if targets is not None:
        if id(t) in targets:
            _add_at(found, targets[id(t)], g)
    elif owned is None:  # a recorded walk: Tensors already
        t.grad = g if t.grad is None else t.grad + g
    elif t.grad is None:
        # A rule's gradient may be shared (Add hands one array to both inputs, a sum's is a
        # read-only broadcast view, a seed is the caller's): a leaf gets an array of its own,
        # writable as in PyTorch, which the rest of this walk may then add into in place.
        t.grad = _as_tensor(g if fresh else g.copy(), t._backend)
        owned.add(id(t))
    else:
        total = _sum_into(t.grad._data, g, id(t), owned)
        if total is not t.grad._data:
            t.grad = _as_tensor(total, t._backend)


def _report(node, gys, targets, found):
    """Hand a node's full output gradients to the tensors that asked for them."""
    if targets is not None:
        for i, g in enumerate(gys):
            if (id(node), i) in targets:
                _add_at(found, targets[id(node), i], g)
        return
    for i, ref in node.hooks:  # tensors that called retain_grad()
        t = ref()
        if t is not None and gys[i] is not None:
            g = _as_tensor(gys[i], t._backend)
            if g.dtype != t.dtype:  # an op mixed dtypes: the gradient keeps the tensor's dtype
                g = g.to(dtype=t.dtype)
            t.grad = g if t.grad is None else t.grad + g


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


def _seed(output, grad, op):
    """Check ``output`` and return the gradient that starts the walk from it."""
    if not isinstance(output, Tensor):
        raise TypeError(f"{op}: expected a Tensor output, got {type(output).__name__}")
    if not output.requires_grad:
        raise RuntimeError(
            f"{op}: the output does not require grad: no tensor with requires_grad=True "
            "was used to compute it, or it was computed under no_grad()"
        )
    if grad is None:
        if output.numel() != 1:
            raise RuntimeError(
                f"{op}: grad can be omitted only for a scalar output, but the output has "
                f"shape {output.shape}; pass a gradient of that shape"
            )
        return Tensor(output._backend.xp.ones(output.shape, dtype=output.dtype), output._backend)
    if not isinstance(grad, Tensor):
        try:
            grad = Tensor(output._backend.xp.asarray(grad, dtype=output.dtype), output._backend)
        except (TypeError, ValueError) as err:
            raise TypeError(f"{op}: expected the gradient as a Tensor or numbers of the output's "
                            f"shape {output.shape}, got {type(grad).__name__}: {err}") from None
    if grad.shape != output.shape:
        raise ValueError(
            f"{op}: expected a gradient of the output's shape {output.shape}, got {grad.shape}"
        )
    if grad._backend is not output._backend:
        raise ValueError(
            f"{op}: the gradient lives on {grad.backend!r} but the output on {output.backend!r}"
        )
    return grad


def _tensor_list(value, what):
    """``grad``'s ``outputs``, ``inputs`` or ``grad_outputs`` as a list: one Tensor, or an
    iterable.

    A list, not the caller's iterable, which is read more than once: ``model.parameters()``
    is a generator.
    """
    if isinstance(value, Tensor):
        return [value]
    try:
        return list(value)
    except TypeError:
        raise TypeError(
            f"grad: expected a Tensor or a sequence of Tensors as {what}, "
            f"got {type(value).__name__}"
        ) from None


def backward(output, grad=None, retain_graph=False, create_graph=False):
    r"""Add :math:`\partial\,\text{output} / \partial\,\text{leaf}` to each leaf's ``.grad``.

    See :meth:`minigrad.Tensor.backward`.
    """
    seed = _seed(output, grad, "backward")
    callbacks = _after_backward[:]
    _after_backward.clear()
    _walk([(output, seed)], retain_graph or create_graph, create_graph)
    for callback in callbacks:
        callback()


# Callbacks for the end of the next backward(), when every leaf's .grad is final.
_after_backward = []


def run_after_next_backward(callback):
    """Call ``callback()`` once, when the next ``backward()`` has written every leaf's ``.grad``.

    :class:`~minigrad.nn.parallel.DistributedDataParallel` averages the gradients
    across processes this way, from its forward. A callback queued twice runs once;
    :func:`~minigrad.grad`, which writes no ``.grad``, runs none.
    """
    if callback not in _after_backward:
        _after_backward.append(callback)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         allow_unused=False):
    """Return the gradients of ``outputs`` with respect to ``inputs``, without touching ``.grad``.

    Parameters
    ----------
    outputs : Tensor or sequence of Tensor
        What to differentiate (summed when several).
    inputs : sequence of Tensor
        The tensors to differentiate with respect to; leaves or intermediate results.
    grad_outputs : Tensor or sequence, optional
        The gradient of each output; may be omitted for scalar outputs.
    retain_graph : bool, optional
        Keep the graph for another backward; defaults to ``create_graph``.
    create_graph : bool
        Record the computation of the gradients, so that they can be differentiated
        again (second derivatives, Hessian-vector products).
    allow_unused : bool
        Return ``None`` for an input that the outputs do not depend on, instead of raising.

    Returns
    -------
    tuple of Tensor
        One gradient per input, of the input's shape.
    """
    outputs = _tensor_list(outputs, "outputs")
    inputs = _tensor_list(inputs, "inputs")
    if not inputs:
        raise ValueError("grad: expected at least one input to differentiate with respect to")
    if grad_outputs is None:
        grad_outputs = [None] * len(outputs)
    else:  # one Tensor is the gradient of one output, as in PyTorch: never reused for several
        grad_outputs = _tensor_list(grad_outputs, "grad_outputs")
    if len(grad_outputs) != len(outputs):
        raise ValueError(
            f"grad: expected one grad_output per output ({len(outputs)}), got {len(grad_outputs)}"
        )
    for t in inputs:
        if not isinstance(t, Tensor) or not t.requires_grad:
            raise ValueError("grad: expected inputs that are Tensors with requires_grad=True")
    seeds = [(out, _seed(out, g, "grad")) for out, g in zip(outputs, grad_outputs)]
    targets = {}
    for t in inputs:
        targets.setdefault(_target_key(t), len(targets))
    if retain_graph is None:
        retain_graph = create_graph
    found = _walk(seeds, retain_graph, create_graph, targets)
    result = tuple(_as_tensor(found[targets[_target_key(t)]], t._backend) for t in inputs)
    if not allow_unused and any(g is None for g in result):
        raise RuntimeError(
            "grad: one of the inputs was not used to compute the outputs; "
            "pass allow_unused=True to get None for it"
        )
    return result
