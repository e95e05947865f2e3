"""Two checks and one role that keep minigrad's docs true as the code changes.

``:source:`minigrad.autograd._walk```
    A link to the highlighted source of an object (the page ``sphinx.ext.viewcode``
    writes), for the tutorials that walk through the engine. The object must be
    documented somewhere (that is what gives viewcode an anchor for it); a link to
    a name that is not becomes a build warning, so ``-W`` fails.

API coverage
    Every name in the ``__all__`` of the public modules (``PUBLIC_MODULES``) must be
    documented by some ``.. auto*::`` directive, under that name or another one
    bound to the same object (``minigrad.BackendUnavailableError`` is
    ``minigrad.backends.BackendUnavailableError``). A missing one is a warning.

Empty docstrings
    A public object that autodoc renders without a docstring is a warning.

Pictures
    The vanishing-gradient plot is drawn at every build by
    ``examples/vanishing_gradients.py`` into ``_build/figures/`` (with the table the
    script prints). The unrolled graphs need Graphviz, so their SVGs are committed
    in ``_static/figures/``; the build recomputes their DOT source (pure Python) and
    warns when it no longer matches the committed ``.dot``, i.e. when the SVG is stale.
"""

import contextlib
import importlib
import inspect
import io
import posixpath
import re
import sys
from pathlib import Path

from docutils import nodes
from sphinx.util import logging

logger = logging.getLogger(__name__)

PUBLIC_MODULES = [
    "minigrad", "minigrad.backends", "minigrad.distributed", "minigrad.nn",
    "minigrad.nn.functional", "minigrad.nn.init", "minigrad.nn.parallel", "minigrad.nn.utils",
    "minigrad.optim", "minigrad.viz",
]


def _locate(dotted):
    """Return (module name, qualified name, object) for ``dotted``.

    Attributes win over submodules of the same name (``minigrad.tensor`` is the
    factory, not the module ``minigrad/tensor.py``); a submodule is imported only
    when no attribute of that name exists.
    """
    parts = dotted.split(".")
    obj = importlib.import_module(parts[0])
    modname, qual = parts[0], []
    for i, attr in enumerate(parts[1:], start=1):
        try:
            obj = getattr(obj, attr)
        except AttributeError:
            if qual:
                raise
            obj = importlib.import_module(".".join(parts[: i + 1]))
        if inspect.ismodule(obj) and not qual:
            modname = obj.__name__
        else:
            qual.append(attr)
    return modname, ".".join(qual), obj


def _locate_source(dotted):
    """Return (module name, qualified name, object), preferring the longest module prefix."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            module = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        obj = module
        for attr in parts[cut:]:
            obj = getattr(obj, attr)
        return ".".join(parts[:cut]), ".".join(parts[cut:]), obj
    raise ImportError(dotted)


def source_role(name, rawtext, text, lineno, inliner, options=None, content=None):
    """``:source:`dotted.name``` or ``:source:`title <dotted.name>```: a link to the code."""
    env = inliner.document.settings.env
    title, _, target = text.partition(" <")
    target = target.rstrip(">") if target else title
    try:
        modname, qualname, _obj = _locate_source(target)
    except (ImportError, AttributeError):
        msg = inliner.reporter.error(f":source: cannot import {target!r}", line=lineno)
        return [inliner.problematic(rawtext, rawtext, msg)], [msg]
    page = posixpath.join("_modules", *modname.split(".")) + ".html"
    here = posixpath.dirname(env.docname)
    uri = posixpath.relpath(page, here or ".") + ("#" + qualname if qualname else "")
    env.minigrad_source_links = getattr(env, "minigrad_source_links", [])
    env.minigrad_source_links.append((env.docname, lineno, modname, qualname))
    node = nodes.reference(rawtext, "", internal=True, refuri=uri, classes=["source-link"])
    node += nodes.literal(title, title)
    return [node], []


def _check_source_links(app, env):
    """Each ``:source:`` target must have an anchor on a viewcode page."""
    modules = getattr(env, "_viewcode_modules", {})
    for docname, lineno, modname, qualname in getattr(env, "minigrad_source_links", []):
        entry = modules.get(modname)
        if not entry:
            logger.warning(f":source: no highlighted source for module {modname}",
                           location=(docname, lineno))
        elif qualname and qualname not in entry[2]:
            logger.warning(
                f":source: {modname}.{qualname} is not documented by any autodoc directive, "
                "so its source has no anchor; document it (e.g. in reference/internals.rst)",
                location=(docname, lineno),
            )


def _check_coverage(app, env):
    """Every public name must be documented under some name bound to the same object."""
    documented = set()
    py = env.domains["py"]
    for name in list(py.objects) + list(py.modules):
        try:
            documented.add(id(_locate(name)[2]))
        except (ImportError, AttributeError):  # e.g. an instance attribute: nothing to match
            continue
    for modname in PUBLIC_MODULES:
        try:
            module = importlib.import_module(modname)
        except ImportError:
            logger.warning(f"API coverage: public module {modname} cannot be imported")
            continue
        names = getattr(module, "__all__", None)
        if names is None:
            names = [n for n in vars(module) if not n.startswith("_")]
        for name in names:
            obj = getattr(module, name)
            if id(obj) not in documented:
                logger.warning(f"API coverage: {modname}.{name} has no page in the reference")


def _check_docstring(app, what, name, obj, options, lines):
    if what in ("module", "class", "function", "method", "exception") and not any(
        line.strip() for line in lines
    ):
        short = name.rsplit(".", 1)[-1]
        if not (short.startswith("__") and short.endswith("__")):
            logger.warning(f"{name} has no docstring")


_SHARED_ENTRY = re.compile(r"^(\s*)(\w+(?:, \w+)+) : (.*)$")


def _split_shared_attributes(app, what, name, obj, options, lines):
    """Give ``a, b : T`` entries of an Attributes section one entry per name.

    Napoleon renders attributes as ``:ivar:`` fields (so they do not clash with
    documented properties), and a field holds one name only.
    """
    out, in_attributes, i = [], False, 0
    while i < len(lines):
        line = lines[i]
        if i + 1 < len(lines) and set(lines[i + 1].strip()) == {"-"} and line.strip():
            in_attributes = line.strip() == "Attributes"
        match = _SHARED_ENTRY.match(line) if in_attributes else None
        if not match:
            out.append(line)
            i += 1
            continue
        indent, names, kind = match.groups()
        body, i = [], i + 1
        while i < len(lines) and (not lines[i].strip() or lines[i].startswith(indent + " ")):
            if not lines[i].strip() and (i + 1 >= len(lines)
                                         or not lines[i + 1].startswith(indent + " ")):
                break
            body.append(lines[i])
            i += 1
        for each in names.split(", "):
            out.extend([f"{indent}{each} : {kind}", *body])
    lines[:] = out


def _purge(app, env, docname):
    links = getattr(env, "minigrad_source_links", [])
    env.minigrad_source_links = [link for link in links if link[0] != docname]


def _merge(app, env, docnames, other):
    env.minigrad_source_links = getattr(env, "minigrad_source_links", []) + [
        link for link in getattr(other, "minigrad_source_links", []) if link[0] in docnames
    ]


def _examples(app):
    """Import the example scripts' folder (they import their ``_common`` helper)."""
    folder = Path(app.srcdir).parent / "examples"
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))


def _draw_figures(app):
    """Run the examples that draw the pictures, and check the committed ones."""
    _examples(app)
    try:
        vanishing = importlib.import_module("vanishing_gradients")
        unrolled = importlib.import_module("unrolled_graph")
    except ImportError as err:
        logger.warning(f"figures: cannot import the examples ({err}); "
                       'install the docs extra: pip install -e ".[docs]"')
        return
    out = Path(app.srcdir) / "_build" / "figures"
    table = io.StringIO()
    try:
        with contextlib.redirect_stdout(table):
            vanishing.main(["--out", str(out)])
    except Exception as err:  # noqa: BLE001  (any failure of the example is the message)
        logger.warning(f"figures: examples/vanishing_gradients.py failed: {err!r}")
        return
    (out / "gradient_norms.txt").write_text(table.getvalue().split("wrote ")[0].rstrip() + "\n")
    for dot in sorted((Path(app.srcdir) / "_static" / "figures").glob("*_steps.dot")):
        cell, steps, _ = dot.stem.split("_")
        try:
            source = _unrolled_dot(unrolled, cell, int(steps), out)
        except Exception as err:  # noqa: BLE001
            logger.warning(f"figures: examples/unrolled_graph.py failed: {err!r}")
            continue
        if source != dot.read_text():
            logger.warning(
                f"figures: {dot.name} no longer matches what examples/unrolled_graph.py draws, "
                "so its SVG is stale; run: bash docs/_scripts/make_figures.sh"
            )


def _unrolled_dot(unrolled, cell, steps, out):
    """The DOT source that ``examples/unrolled_graph.py --cell CELL --steps STEPS`` writes."""
    with contextlib.redirect_stdout(io.StringIO()):
        unrolled.main(["--cell", cell, "--steps", str(steps), "--out", str(out)])
    return (out / f"{cell}_{steps}_steps.dot").read_text()


def _public_bases(app, name, obj, options, bases):
    """Name a class's nearest public ancestors as its bases: a private one has no page.

    (``no_grad`` derives from the private ``_FixedGradMode``, which the nitpicky build
    would report as a reference that leads nowhere.)
    """
    bases[:] = [ancestor for base in bases for ancestor in _nearest_public(base)]


def _nearest_public(cls):
    if not cls.__name__.startswith("_"):
        return [cls]
    return [ancestor for base in cls.__bases__ for ancestor in _nearest_public(base)]


def setup(app):
    app.connect("builder-inited", _draw_figures)
    app.connect("autodoc-process-bases", _public_bases)
    app.add_role("source", source_role)
    app.connect("env-check-consistency", _check_source_links)
    app.connect("env-check-consistency", _check_coverage)
    # Runs before napoleon (priority 500), so napoleon formats the sections it adds.
    app.connect("autodoc-process-docstring", _split_shared_attributes, priority=400)
    app.connect("autodoc-process-docstring", _check_docstring)
    app.connect("env-purge-doc", _purge)
    app.connect("env-merge-info", _merge)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True,
            "env_version": 1}
