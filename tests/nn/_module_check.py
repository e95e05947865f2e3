"""Gradient checks of a module with respect to its inputs *and* every parameter.

``mg.gradcheck`` differentiates ``fn(*inputs)`` with respect to fresh float64 copies
of its tensor inputs. To include parameters, each copy is put in place of the
parameter it came from for the duration of the call, wherever the module graph
holds it (a sequence layer and its cells hold the same Parameter objects).
"""

import contextlib

import minigrad as mg
from minigrad import nn


def _holders(root):
    """Every Module reachable from ``root`` through attributes, lists and tuples."""
    seen, pending = set(), [root]
    while pending:
        item = pending.pop()
        if isinstance(item, (list, tuple)):
            pending.extend(item)
        elif isinstance(item, nn.Module) and id(item) not in seen:
            seen.add(id(item))
            yield item
            pending.extend(vars(item).values())


@contextlib.contextmanager
def substituted(root, replacements):
    """Within the block, attributes holding ``p`` hold ``replacements[id(p)]`` instead.

    The replacements are gradcheck's plain Tensors, which ``Module.__setattr__`` rightly
    refuses in a parameter's place, so they go straight into each holder's ``__dict__``.
    """
    undo = []
    for holder in list(_holders(root)):
        attributes = vars(holder)
        for name, value in list(attributes.items()):
            if id(value) in replacements:
                undo.append((attributes, name, value))
                attributes[name] = replacements[id(value)]
    # A parameter left in place would pass the check vacuously (zero against zero).
    assert {id(value) for _, _, value in undo} == set(replacements), "a parameter was not found"
    try:
        yield
    finally:
        for attributes, name, value in undo:
            attributes[name] = value


def gradcheck_module(module, fn, inputs):
    """``mg.gradcheck`` of ``fn(*inputs)`` w.r.t. inputs that require grad and all parameters."""
    parameters = list(module.parameters())
    count = len(inputs)

    def call(*args):
        replacements = {id(p): arg for p, arg in zip(parameters, args[count:])}
        with substituted(module, replacements):
            return fn(*args[:count])

    return mg.gradcheck(call, list(inputs) + parameters)
