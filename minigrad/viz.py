r"""Look at the tape: the recorded graph behind a tensor, as text or as a picture.

:func:`tape` prints the graph as a Wengert list: one line per primitive, each
after the lines it uses, with the shape it produced::

    %0 = leaf  (2, 3)
    %1 = leaf  (2, 3)  requires_grad
    %2 = mul(%0, %1)  (2, 3)
    %3 = tanh(%2)  (2, 3)

:func:`to_dot` writes the same graph as Graphviz DOT source, and :func:`render`
turns that into an SVG or PNG when Graphviz's ``dot`` program is installed.
:func:`gradient_flow` measures how much of a loss's gradient reaches each step of
a recurrence, and :func:`plot_gradient_flow` draws it.

Values are numbered ``%0, %1, ...``; pass ``names={tensor: "name"}`` to call
some of them by name instead, leaves or intermediate results alike (for a module,
``{p: n for n, p in model.named_parameters()}``). An op that returns several
tensors (``split``) gets one label per output, ``%5.0, %5.1, ...``.

Nothing here keeps the graph alive or changes it, and the walk is iterative, so
a graph of any depth can be printed. Call these before ``backward()``, which
frees the graph unless ``retain_graph=True``.
"""

import os
import secrets
import shutil
import subprocess
from pathlib import Path
from typing import NamedTuple

import numpy as np

from minigrad.autograd import _as_tensor, _target_key, _walk, grad
from minigrad.errors import GraphFreedError
from minigrad.tensor import Tensor

__all__ = ["GradientFlow", "gradient_flow", "plot_gradient_flow", "render", "tape", "to_dot"]


def _key(t):
    """What identifies a value: a leaf is its tensor, a result is (its node, which output)."""
    return id(t) if t._node is None else (id(t._node), t._index)


def _topological(root):
    """The leaves and nodes behind ``root``, each after everything it depends on.

    Nodes do not record when they ran, so this is *an* order they can run in: an
    explicit-stack post-order depth-first walk that follows the deepest input first
    (the longest chain of dependencies), then the others from left to right. A loop
    then reads in order, each iteration's ops together, as the program ran them.
    Also returns the shape of every value met on the way (nodes keep no outputs).
    """
    order, seen, shapes = [], set(), {_key(root): root.shape}
    stack = [(root, False)]
    while stack:
        t, inputs_done = stack.pop()
        item = t if t._node is None else t._node
        if inputs_done:
            order.append(item)
            continue
        if id(item) in seen:
            continue
        seen.add(id(item))
        stack.append((t, True))
        if t._node is None:
            continue
        if t._node.inputs is None:
            raise GraphFreedError(
                "viz: the graph behind this tensor was freed by backward(); call viz "
                "before backward(), or pass retain_graph=True to backward()"
            )
        inputs = [x for x in t._node.inputs if isinstance(x, Tensor)]
        # The stack pops the last pushed: push shallow inputs first and, among equally deep
        # ones, the rightmost first, so the deepest is visited first and ties left to right.
        for _, x in sorted(enumerate(inputs), key=lambda pair: (_depth(pair[1]), -pair[0])):
            shapes[_key(x)] = x.shape
            stack.append((x, False))
    return order, shapes


def _depth(t):
    return 0 if t._node is None else t._node.rank


class _Line(NamedTuple):
    """One leaf or node of the tape, ready to print."""

    labels: list  # one per output
    op: str  # None for a leaf
    args: list  # labels of tensor operands, constant ones as text
    sources: list  # (line, output) of each tensor operand, output None for one-output lines
    shapes: list  # one per output, "?" for an output nothing used
    requires_grad: bool  # a leaf that gradients flow to
    named: bool  # some output was named by the caller


def _check_arguments(root, names, op):
    """Raise TypeError, naming the function ``op``, unless ``root`` is a Tensor and
    ``names`` a dict from Tensors to strings (or ``None``)."""
    if not isinstance(root, Tensor):
        raise TypeError(f"{op}: expected a Tensor, got {type(root).__name__}")
    if names is not None and not isinstance(names, dict):
        raise TypeError(f"{op}: expected names to be a dict {{tensor: 'name'}}, got "
                        f"{type(names).__name__}")
    for t, name in (names or {}).items():
        if not isinstance(t, Tensor) or not isinstance(name, str):
            raise TypeError(f"{op}: expected names to map each Tensor to a str "
                            f"({{tensor: 'name'}}), got a {type(t).__name__} key mapped to a "
                            f"{type(name).__name__}")


def _lines(root, names, op):
    """One :class:`_Line` per leaf or node behind ``root``, in :func:`_topological` order.

    ``op``, the function called (``tape``, ``to_dot``), starts the message of any error.
    """
    _check_arguments(root, names, op)
    wanted = {_key(t): name for t, name in (names or {}).items()}
    order, shapes = _topological(root)
    label, where, lines = {}, {}, []
    for number, item in enumerate(order):
        if isinstance(item, Tensor):
            keys, op, inputs = [id(item)], None, []
        else:
            keys = [(id(item), i) for i in range(item.n_outputs)]
            op, inputs = type(item).__name__.lower(), item.inputs
        suffixes = [""] if len(keys) == 1 else [f".{i}" for i in range(len(keys))]
        for i, (key, suffix) in enumerate(zip(keys, suffixes)):
            label[key] = wanted.get(key, f"%{number}{suffix}")
            where[key] = (number, i if suffix else None)
        args = [label[_key(x)] if isinstance(x, Tensor) else _constant(x) for x in inputs]
        sources = [where[_key(x)] for x in inputs if isinstance(x, Tensor)]
        lines.append(_Line(
            [label[k] for k in keys], op, args, sources, [shapes.get(k, "?") for k in keys],
            op is None and item.requires_grad, any(k in wanted for k in keys),
        ))
    return lines


def _constant(x):
    """A constant operand as text: a number as itself, anything else by its type."""
    return repr(x) if isinstance(x, (int, float, complex)) else f"<{type(x).__name__}>"


def tape(tensor, names=None):
    """The tape behind ``tensor`` as text: one line per leaf or primitive, inputs first.

    Parameters
    ----------
    tensor : Tensor
        The result whose graph to print (often a loss).
    names : dict of Tensor to str, optional
        Labels for some tensors; the others are numbered ``%0, %1, ...``.

    Returns
    -------
    str
        Lines such as ``%3 = tanh(%2)  (2, 3)``; leaves read ``%0 = leaf  (2, 3)``,
        with ``requires_grad`` appended when gradients flow to them.

    Raises
    ------
    TypeError
        If ``tensor`` is not a Tensor, or ``names`` does not map Tensors to strings.
    GraphFreedError
        If backward has freed the graph.
    """
    text = []
    for line in _lines(tensor, names, "tape"):
        rhs = "leaf" if line.op is None else f"{line.op}({', '.join(line.args)})"
        text.append(f"{', '.join(line.labels)} = {rhs}  {_shapes(line)}"
                    + ("  requires_grad" if line.requires_grad else ""))
    return "\n".join(text)


def to_dot(tensor, names=None):
    """The graph behind ``tensor`` as Graphviz DOT source.

    Leaves are ellipses (filled blue when they require grad), ops are boxes labelled
    like the lines of :func:`tape` (filled yellow when named in ``names``), and
    ``tensor`` itself has a double border. Edges run from inputs to the ops that
    use them, labelled with the output's index for multi-output ops. Constant
    operands are left out.

    Raises
    ------
    TypeError
        If ``tensor`` is not a Tensor, or ``names`` does not map Tensors to strings.
    GraphFreedError
        If backward has freed the graph.
    """
    lines = _lines(tensor, names, "to_dot")
    out = ["digraph tape {", "  rankdir=LR;", '  node [fontname="Helvetica", fontsize=10];']
    for n, line in enumerate(lines):
        labels = ", ".join(line.labels)
        if line.op is None:
            style = ', style=filled, fillcolor="#cfe2f3"' if line.requires_grad else ""
            out.append(f'  n{n} [label="{_escape(labels)}\\n{_shapes(line)}", '
                       f"shape=ellipse{style}];")
        else:
            style = ', style=filled, fillcolor="#fff2cc"' if line.named else ""
            style += ", peripheries=2" if n == len(lines) - 1 else ""
            out.append(f'  n{n} [label="{_escape(labels)} = {line.op}\\n{_shapes(line)}", '
                       f"shape=box{style}];")
            for source, output in line.sources:
                tail = "" if output is None else f' [taillabel="{output}"]'
                out.append(f"  n{source} -> n{n}{tail};")
    out.append("}")
    return "\n".join(out) + "\n"


def _shapes(line):
    return ", ".join(map(str, line.shapes))


def _escape(text):
    """Make a user's name safe inside a double-quoted DOT string."""
    return text.replace("\\", "\\\\").replace('"', '\\"')


def render(source, path, format="svg"):
    """Write DOT ``source`` (from :func:`to_dot`) to ``path`` and draw it beside it.

    The picture (``graph.dot`` -> ``graph.svg``; ``format`` is any of ``dot -T``'s)
    is drawn by Graphviz's ``dot`` program. Returns its path, or ``None`` when
    ``dot`` is not installed and only the DOT file was written. The DOT file is
    written whole or not at all (a temporary file renamed onto ``path``).

    Raises
    ------
    ValueError
        If ``path`` already ends in ``.{format}``: the picture would overwrite its
        own source.
    RuntimeError
        If ``dot`` fails; the message holds what it printed.
    """
    path = Path(path)
    picture = path.with_suffix(f".{format}")
    if picture == path:
        raise ValueError(f"render: expected a path for the DOT file (graph.dot), got {path}, "
                         f"which the {format} picture drawn from it would overwrite")
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    try:
        temporary.write_text(source, encoding="utf-8")
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    if shutil.which("dot") is None:
        return None
    drawn = subprocess.run(["dot", f"-T{format}", str(path), "-o", str(picture)],
                           capture_output=True, text=True)
    if drawn.returncode:
        raise RuntimeError(f"render: dot could not draw {path}: {drawn.stderr.strip()}")
    return picture


class GradientFlow(NamedTuple):
    """What :func:`gradient_flow` measures, one entry per step ``t`` (NumPy arrays)."""

    states: np.ndarray  # ||dL/dh[t]||
    weight: np.ndarray  # ||step t's share of dL/dW||, None when no weight was given


def gradient_flow(loss, states, weight=None):
    r"""How much of the gradient of ``loss`` reaches each step of a recurrence.

    For every step :math:`t`, the norm of the gradient of the loss with respect to
    the state, :math:`\lVert \partial L / \partial h[t] \rVert` (through every
    later step, as ``h[t].retain_grad()`` would hold it after ``loss.backward()``).
    With ``weight``, also the norm of step :math:`t`'s share of that weight's
    gradient: :math:`\partial L / \partial W = \sum_t G[t]`, where :math:`G[t]`
    is what the operations between ``states[t-1]`` and ``states[t]`` send to
    :math:`W`. A vanishing gradient shows as :math:`G[t]` falling to nothing for
    early steps: the weight learns only from the last few.

    Parameters
    ----------
    loss : Tensor
        A scalar computed from the states.
    states : sequence of Tensor, or of tuples of Tensor
        The state after each step, in order: ``h[1], ..., h[T]`` for an Elman RNN or
        a GRU, pairs ``(h[t], c[t])`` for an LSTM (a tuple's norm is that of all
        its tensors together). The loss must reach the operations of step ``t``
        only through ``states[t]`` and later states.
    weight : Tensor, optional
        A weight that every step uses, such as a cell's ``weight_hh``.

    Returns
    -------
    GradientFlow
        ``(states, weight)``: two float64 arrays of length ``len(states)``; the
        second is ``None`` without ``weight``. The graph is kept (``retain_graph``),
        and no ``.grad`` is changed.

    Raises
    ------
    TypeError
        If ``loss`` or a state is not a Tensor, or ``states`` is empty.
    ValueError
        If ``loss`` is not a scalar, or a state or the weight does not require grad.

    Examples
    --------
    >>> cell = nn.RNNCell(2, 3)
    >>> h, hs = mg.zeros(1, 3), []
    >>> for x in mg.randn(4, 1, 2):
    ...     h = cell(x, h)
    ...     hs.append(h)
    >>> flow = mg.viz.gradient_flow(h.sum(), hs, weight=cell.weight_hh)
    >>> flow.states.shape, flow.weight.shape
    ((4,), (4,))
    """
    steps = [_state_tuple(s) for s in _checked_states(loss, states)]
    flat = [t for step in steps for t in step]
    found = grad(loss, flat, retain_graph=True, allow_unused=True)
    per_state, at = [], 0
    for step in steps:
        per_state.append(_norm(found[at:at + len(step)]))
        at += len(step)
    if weight is None:
        return GradientFlow(np.array(per_state), None)
    if not isinstance(weight, Tensor) or not weight.requires_grad:
        raise ValueError("gradient_flow: expected weight to be a Tensor that requires grad "
                         f"(such as cell.weight_hh), got {type(weight).__name__}")
    received = dict(zip(map(_target_key, flat), found))
    shares = [_step_share(step, received, flat, weight) for step in steps]
    return GradientFlow(np.array(per_state), np.array([_norm([g]) for g in shares]))


def _checked_states(loss, states):
    """``states`` as a list, after the checks :func:`gradient_flow` promises."""
    if not isinstance(loss, Tensor) or loss.size != 1:
        raise ValueError("gradient_flow: expected loss to be a scalar Tensor, got "
                         f"{type(loss).__name__} of shape {getattr(loss, 'shape', None)}")
    states = list(states) if isinstance(states, (list, tuple)) else None
    if not states:
        raise TypeError("gradient_flow: expected states to be a non-empty list of Tensors "
                        "(h[1], ..., h[T]) or of tuples of Tensors ((h[t], c[t]) for an LSTM)")
    return states


def _state_tuple(state):
    """One step's state as a tuple of Tensors that require grad."""
    step = state if isinstance(state, tuple) else (state,)
    for t in step:
        if not isinstance(t, Tensor) or not t.requires_grad:
            raise ValueError("gradient_flow: expected every state to be a Tensor that requires "
                             f"grad (a step's output), got {type(t).__name__}")
    return step


def _step_share(step, received, flat, weight):
    """Step ``step``'s share of the weight's gradient: the walk back from its state, seeded
    with the gradient that state receives, stopped at every other state."""
    seeds = [(t, received[_target_key(t)]) for t in step if received[_target_key(t)] is not None]
    if not seeds:
        return None
    others = [t for t in flat if not any(t is s for s in step)]
    targets = {}
    for t in [weight, *others]:
        targets.setdefault(_target_key(t), len(targets))
    share = _walk(seeds, True, False, targets, stop_at_targets=True)[0]
    return _as_tensor(share, weight._backend)


def _norm(grads):
    """The norm of some gradients taken together, in float64; 0 for none at all."""
    squares = 0.0
    for g in grads:
        if g is not None:
            squares += float(np.sum(np.square(g.numpy(), dtype=np.float64)))
    return np.sqrt(squares)


def plot_gradient_flow(flows, path=None, title=None):
    r"""Draw :func:`gradient_flow`'s norms against the step, on log scales.

    Parameters
    ----------
    flows : GradientFlow or dict of str to GradientFlow
        One model's flow, or several by name (one line each).
    path : str or path-like, optional
        Where to save the picture (any format matplotlib writes: ``.png``, ``.svg``).
    title : str, optional
        Above the picture.

    Returns
    -------
    matplotlib.figure.Figure
        One panel of :math:`\lVert \partial L / \partial h[t] \rVert`, and a second of
        each step's share of the weight's gradient when the flows measured one.

    Raises
    ------
    ImportError
        If matplotlib is not installed (``pip install matplotlib``).
    TypeError
        If ``flows`` is not a GradientFlow or a dict of them.
    """
    try:
        from matplotlib.figure import Figure
    except ImportError as err:
        raise ImportError("plot_gradient_flow: needs matplotlib, which is not installed; "
                          "run pip install matplotlib (or pip install 'minigrad[examples]')"
                          ) from err
    if isinstance(flows, GradientFlow):
        flows = {None: flows}
    if not isinstance(flows, dict) or not all(isinstance(f, GradientFlow) for f in flows.values()):
        raise TypeError("plot_gradient_flow: expected a GradientFlow or a dict "
                        "{name: GradientFlow}, as gradient_flow returns")
    panels = [("states", r"$\Vert\partial L/\partial h[t]\Vert$")]
    if any(f.weight is not None for f in flows.values()):
        panels.append(("weight", r"$\Vert$step $t$'s share of $\partial L/\partial W\Vert$"))
    figure = Figure(figsize=(5.5 * len(panels), 3.8), layout="constrained")
    for ax, (field, ylabel) in zip(figure.subplots(1, len(panels), squeeze=False)[0], panels):
        for name, flow in flows.items():
            norms = getattr(flow, field)
            if norms is not None:
                ax.plot(np.arange(1, len(norms) + 1), norms, label=name)
        ax.set(xlabel="time step t", ylabel=ylabel, yscale="log")
        if None not in flows:
            ax.legend()
    if title:
        figure.suptitle(title)
    if path is not None:
        figure.savefig(path)
    return figure
