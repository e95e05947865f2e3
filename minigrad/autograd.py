r"""Reverse mode: walking the tape backwards.

The walk is iterative. Every node carries a ``rank``, one more than the deepest
node among its inputs, so a node's consumers always have a higher rank. Popping
nodes from a heap, highest rank first, therefore reaches a node only after every
consumer has sent it its gradient contribution. An :class:`~minigrad.accumulate.Accumulator`
holds the gradient each waiting node has received so far and hands it over when
the node runs, so memory falls as BPTT walks back in time.

A first-order walk (the usual ``backward()``) passes raw arrays from rule to rule,
so each node costs its NumPy arithmetic and little more; gradients become Tensors
only where they are handed to the user, in ``.grad`` or from :func:`minigrad.grad`. A
recorded walk (``create_graph=True``) passes Tensors, so that every step of it
lands on the tape.
"""

import heapq
import itertools

from minigrad.accumulate import Accumulator, _as_tensor, _target_key
from minigrad.anomaly import detect_anomaly  # noqa: F401  (mg.autograd's, as in PyTorch)
from minigrad.errors import GraphFreedError
from minigrad.grad_mode import recording, set_grad_enabled
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


def _walk(seeds, retain_graph, create_graph, targets=None, stop_at_targets=False):
    """Propagate ``seeds`` (pairs of a tensor and its gradient) back to the leaves.

    Without ``targets``, gradients accumulate into the leaves' ``.grad``. With
    ``targets``, a dict from :func:`~minigrad.accumulate._target_key` to a position,
    nothing is written to ``.grad``: the gradients reaching those tensors are returned
    in a list, as raw arrays unless ``create_graph``. ``stop_at_targets`` ends the walk
    at them, so the gradients are partial derivatives with respect to the targets, not
    through one target into another.
    """
    if not create_graph:  # the rules run on raw arrays: nothing is recorded
        seeds = [(t, g._data) for t, g in seeds]
    grads = Accumulator(create_graph, targets, stop_at_targets)
    heap, tiebreak = [], itertools.count()
    # Bound once, outside the loop: the walk calls them for every node.
    push, pop, take = heapq.heappush, heapq.heappop, grads.take
    node, gys = _Root(seeds), []
    with set_grad_enabled(create_graph):
        while node is not None:
            inputs = node.inputs
            if inputs is None:
                raise _freed_error()
            one_output = node.n_outputs == 1  # most nodes: the rule takes one gradient
            if targets is not None or node.hooks is not None:
                grads.report(node, [gys] if one_output else gys)
            try:
                gxs = node.backward(gys) if one_output else node.backward(*gys)
            except TypeError as err:
                raise _rule_error(node, err, create_graph) from err
            if type(gxs) is not tuple:
                gxs = (gxs,)
            if len(gxs) != len(inputs):  # zip would silently drop or ignore some
                raise _count_error(node, gxs)
            # Hand each input its gradient on. A node receiving its first is scheduled: the
            # first such node in up_next, as it often runs next, any others in the heap.
            up_next = None
            for t, gx, need in zip(inputs, gxs, node.needs_input_grad):
                if need and gx is not None:
                    parent = grads.add(t, gx, node)
                    if parent is not None and up_next is None:
                        up_next = parent
                    elif parent is not None:
                        push(heap, (-parent.rank, next(tiebreak), parent))
            if not retain_graph:  # its inputs and saved arrays can go now
                node.inputs = node.arrays = node.saved = None
            # Highest rank next: every consumer of that node has then sent its share. Along
            # a chain nothing waiting outranks up_next, and it skips the heap.
            if up_next is not None and heap and up_next.rank < -heap[0][0]:
                up_next = heapq.heappushpop(heap, (-up_next.rank, next(tiebreak), up_next))[2]
            elif up_next is None and heap:
                up_next = pop(heap)[2]
            node, gys = up_next, take(up_next, None)
    return grads.finish()


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


def _freed_error():
    return GraphFreedError(
        "backward: this part of the graph was freed by an earlier backward; "
        "pass retain_graph=True to the first backward() to run backward twice"
    )


def _count_error(node, gxs):
    return TypeError(
        f"backward of {type(node).__name__}: expected one gradient per input "
        f"({len(node.inputs)}, None for an input that needs none), got {len(gxs)}"
    )


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
