r"""Look at the tape: the recorded graph behind a tensor, as text or as a picture.

:func:`tape` prints the graph as a Wengert list: one line per primitive, each
after the lines it uses, with the shape it produced::

    %0 = leaf  (2, 3)
    %1 = leaf  (2, 3)  requires_grad
    %2 = mul(%0, %1)  (2, 3)
    %3 = tanh(%2)  (2, 3)

:func:`to_dot` writes the same graph as Graphviz DOT source, and :func:`render`
turns that into an SVG or PNG when Graphviz's ``dot`` program is installed.

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

from minigrad.errors import GraphFreedError
from minigrad.tensor import Tensor

__all__ = ["render", "tape", "to_dot"]


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
