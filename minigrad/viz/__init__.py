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
some of them by name instead, leaves or intermediate results alike, and
``module=model`` to call its parameters by their names in it (``weight_hh_l0``).
An op that returns several tensors (``split``) gets one label per output,
``%5.0, %5.1, ...``, each with its shape. ``to_dot(..., steps=...)`` draws each
time step of a recurrence in a box of its own.

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

from minigrad.errors import GraphFreedError
from minigrad.tensor import Tensor
from minigrad.viz.flow import GradientFlow, gradient_flow, plot_gradient_flow

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
    shapes: list  # one per output
    requires_grad: bool  # a leaf that gradients flow to
    named: bool  # some output was named by the caller
    ident: int  # id() of the leaf or node


def _names(names, module, op):
    """``names`` over the parameter names of ``module`` (``weight_hh_l0``...), checked."""
    if module is None:
        return names
    if not hasattr(module, "named_parameters"):
        raise TypeError(f"{op}: expected module to be an nn.Module, whose parameters name the "
                        f"leaves, got {type(module).__name__}")
    if names is not None and not isinstance(names, dict):
        return names  # _check_arguments says what is wrong with it
    return {p: n for n, p in module.named_parameters()} | (names or {})


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


def _lines(root, names, module, op):
    """One :class:`_Line` per leaf or node behind ``root``, in :func:`_topological` order.

    ``op``, the function called (``tape``, ``to_dot``), starts the message of any error.
    """
    names = _names(names, module, op)
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
            if item.n_outputs > 1:  # an output nothing used is known by its node alone
                shapes.update(zip(keys, item.output_shapes))
        suffixes = [""] if len(keys) == 1 else [f".{i}" for i in range(len(keys))]
        for i, (key, suffix) in enumerate(zip(keys, suffixes)):
            label[key] = wanted.get(key, f"%{number}{suffix}")
            where[key] = (number, i if suffix else None)
        args = [label[_key(x)] if isinstance(x, Tensor) else _constant(x) for x in inputs]
        sources = [where[_key(x)] for x in inputs if isinstance(x, Tensor)]
        lines.append(_Line(
            [label[k] for k in keys], op, args, sources, [shapes[k] for k in keys],
            op is None and item.requires_grad, any(k in wanted for k in keys), id(item),
        ))
    return lines


def _constant(x):
    """A constant operand as text: a number as itself, anything else by its type."""
    return repr(x) if isinstance(x, (int, float, complex)) else f"<{type(x).__name__}>"


def tape(tensor, names=None, module=None):
    """The tape behind ``tensor`` as text: one line per leaf or primitive, inputs first.

    Parameters
    ----------
    tensor : Tensor
        The result whose graph to print (often a loss).
    names : dict of Tensor to str, optional
        Labels for some tensors; the others are numbered ``%0, %1, ...``.
    module : Module, optional
        Label its parameters by their names in it (``weight_hh_l0``); ``names`` wins
        where both name a tensor.

    Returns
    -------
    str
        Lines such as ``%3 = tanh(%2)  (2, 3)``; leaves read ``%0 = leaf  (2, 3)``,
        with ``requires_grad`` appended when gradients flow to them. Every output's
        shape is shown, a multi-output node's unused ones included.

    Raises
    ------
    TypeError
        If ``tensor`` is not a Tensor, ``names`` does not map Tensors to strings, or
        ``module`` is not a Module.
    GraphFreedError
        If backward has freed the graph.
    """
    text = []
    for line in _lines(tensor, names, module, "tape"):
        rhs = "leaf" if line.op is None else f"{line.op}({', '.join(line.args)})"
        text.append(f"{', '.join(line.labels)} = {rhs}  {_shapes(line)}"
                    + ("  requires_grad" if line.requires_grad else ""))
    return "\n".join(text)


def to_dot(tensor, names=None, module=None, steps=None):
    """The graph behind ``tensor`` as Graphviz DOT source.

    Leaves are ellipses (filled blue when they require grad), ops are boxes labelled
    like the lines of :func:`tape` (filled yellow when named in ``names``), and
    ``tensor`` itself has a double border. Edges run from inputs to the ops that
    use them, labelled with the output's index for multi-output ops. Constant
    operands are left out.

    Parameters
    ----------
    tensor, names, module
        As for :func:`tape`.
    steps : list or Tensor, optional
        The state after each time step of a recurrence, ``h[1], ..., h[T]`` (pairs
        ``(h[t], c[t])`` for an LSTM), or the output of a one-direction sequence
        layer, whose steps are then its time-concatenated hidden states. The ops
        that step ``t`` alone runs (those between the previous states and its own)
        are drawn in one box, ``step t``; the edges from one box to the next are
        the state carried through time. Ops that several steps share (a layer's
        input projection for all steps at once) and leaves (parameters, inputs)
        stay outside.

    Raises
    ------
    TypeError
        If ``tensor`` is not a Tensor, ``names`` does not map Tensors to strings,
        ``module`` is not a Module, or ``steps`` holds anything but Tensors.
    GraphFreedError
        If backward has freed the graph.
    """
    lines = _lines(tensor, names, module, "to_dot")
    step_of = {} if steps is None else _step_of(_step_states(steps))
    out = ["digraph tape {", "  rankdir=LR;", '  node [fontname="Helvetica", fontsize=10];']
    if step_of:  # the older ranking lets a cluster's box miss nodes edges pull across it
        out.insert(2, "  newrank=true;")
    clusters, edges = {}, []  # the nodes of each step, and the edges into them
    for n, line in enumerate(lines):
        labels = ", ".join(line.labels)
        step = step_of.get(line.ident)
        if line.op is None:
            style = ', style=filled, fillcolor="#cfe2f3"' if line.requires_grad else ""
            node = [f'n{n} [label="{_escape(labels)}\\n{_shapes(line)}", shape=ellipse{style}];']
        else:
            style = ', style=filled, fillcolor="#fff2cc"' if line.named else ""
            style += ", peripheries=2" if n == len(lines) - 1 else ""
            node = [f'n{n} [label="{_escape(labels)} = {line.op}\\n{_shapes(line)}", '
                    f"shape=box{style}];"]
            for source, output in line.sources:
                tail = "" if output is None else f' [taillabel="{output}"]'
                node.append(f"n{source} -> n{n}{tail};")
        if step is None:
            out += [f"  {part}" for part in node]
        else:  # a cluster holds the node; the edges may come after every cluster
            clusters.setdefault(step, []).append(node[0])
            edges += [f"  {edge}" for edge in node[1:]]
    for t in sorted(clusters):
        out.append(f'  subgraph cluster_step{t} {{ label="step {t + 1}"; style=rounded; '
                   'color="#999999";')
        out += [f"    {node}" for node in clusters[t]]
        out.append("  }")
    out += edges
    out.append("}")
    return "\n".join(out) + "\n"


def _step_states(steps):
    """``to_dot``'s ``steps`` as a list of tuples of Tensors, one per step."""
    if isinstance(steps, Tensor):  # a layer's output: its steps' hidden states concatenated
        node = steps._node
        while node is not None and type(node).__name__ == "Reshape":  # (T * B, H) to (T, B, H)
            node = node.inputs[0]._node
        if node is None or type(node).__name__ not in ("Concat", "Stack"):
            raise TypeError("to_dot: expected steps to be a sequence layer's output (a concat "
                            "of its steps' states) or a list of each step's state, got a "
                            "Tensor that is not a concat")
        steps = [x for x in node.inputs if isinstance(x, Tensor)]
    if not isinstance(steps, (list, tuple)):
        raise TypeError("to_dot: expected steps to be a list of each step's state (h[t], or "
                        f"(h[t], c[t])), got {type(steps).__name__}")
    states = [s if isinstance(s, tuple) else (s,) for s in steps]
    if not all(isinstance(t, Tensor) for step in states for t in step):
        raise TypeError("to_dot: expected steps to hold Tensors (or tuples of Tensors)")
    return states


def _step_of(states):
    """``{id(node): t}`` for the nodes that step ``t`` alone runs.

    Step t's nodes are those met walking back from its states, stopping at the nodes
    that make other steps' states; a node met from several steps belongs to none.
    """
    made_by = {id(t._node): t._node for step in states for t in step if t._node is not None}
    owners = {}
    for t, step in enumerate(states):
        stack, seen = [x._node for x in step if x._node is not None], set()
        while stack:
            node = stack.pop()
            if id(node) in seen:
                continue
            seen.add(id(node))
            owners.setdefault(id(node), set()).add(t)
            for x in node.inputs or ():
                parent = getattr(x, "_node", None)
                if parent is not None and id(parent) not in made_by:
                    stack.append(parent)
    return {node: ts.pop() for node, ts in owners.items() if len(ts) == 1}


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
