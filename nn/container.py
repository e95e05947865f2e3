r"""Containers: modules that hold a list or a dict of modules, or run them in a row."""

import collections.abc

from .module import Module


class ModuleList(Module):
    r"""A list of modules, registered under the names ``"0"``, ``"1"``, ...

    Parameters
    ----------
    modules : iterable of Module, optional
        The initial items.

    Examples
    --------
    >>> from minigrad import nn
    >>> layers = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    >>> len(layers), [name for name, _ in layers.named_parameters()][:2]
    (3, ['0.weight', '0.bias'])
    """

    def __init__(self, modules=()):
        super().__init__()
        self.extend(modules)

    def append(self, module):
        """Add ``module`` at the end; return this list."""
        if not isinstance(module, Module):
            raise TypeError(
                f"{type(self).__name__}: expected a Module, got {type(module).__name__}"
            )
        setattr(self, str(len(self)), module)
        return self

    def extend(self, modules):
        """Add each of ``modules`` at the end; return this list."""
        for module in modules:
            self.append(module)
        return self

    def __len__(self):
        return sum(1 for _ in self.named_children())

    def __iter__(self):
        return self.children()

    def __getitem__(self, index):
        if isinstance(index, slice):
            return ModuleList(list(self)[index])
        try:
            position = range(len(self))[index]
        except IndexError:
            raise IndexError(
                f"{type(self).__name__}: index {index} is out of range for {len(self)} modules"
            ) from None
        return getattr(self, str(position))

    def extra_repr(self):
        return "" if len(self) else "[]"


class Sequential(ModuleList):
    r"""Modules applied one after another: :math:`y = f_n(\dots f_2(f_1(x)))`.

    A :class:`ModuleList` that is also callable.

    Examples
    --------
    >>> from minigrad import nn
    >>> model = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 1))
    >>> model(mg.randn(5, 3)).shape
    (5, 1)
    """

    def __init__(self, *modules):
        super().__init__(modules)

    def __getitem__(self, index):
        item = super().__getitem__(index)
        return Sequential(*item) if isinstance(index, slice) else item

    def forward(self, x):
        for module in self:
            x = module(x)
        return x


class ModuleDict(Module):
    r"""A dict of modules, each registered under its key, as PyTorch's.

    Parameters
    ----------
    modules : dict, optional
        The initial items, in order: a mapping of keys to modules, or an iterable of
        ``(key, module)`` pairs.

    Examples
    --------
    >>> from minigrad import nn
    >>> heads = nn.ModuleDict({"tags": nn.Linear(4, 5), "next": nn.Linear(4, 10)})
    >>> list(heads), heads["tags"](mg.randn(2, 4)).shape
    (['tags', 'next'], (2, 5))
    >>> list(heads.state_dict())
    ['tags.weight', 'tags.bias', 'next.weight', 'next.bias']
    """

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __setitem__(self, key, module):
        if not isinstance(module, Module):
            raise TypeError(f"ModuleDict: expected a Module for {key!r}, got "
                            f"{type(module).__name__}")
        self._check_new_name("__setitem__", key,
                             lambda dictionary, name: isinstance(getattr(dictionary, name),
                                                                 Module))
        setattr(self, key, module)

    def __getitem__(self, key):
        return getattr(self, self._present(key))

    def __delitem__(self, key):
        delattr(self, self._present(key))

    def _present(self, key):
        if key not in self:
            raise KeyError(f"ModuleDict: no module {key!r}; the keys are {list(self)}")
        return key

    def __contains__(self, key):
        return isinstance(key, str) and isinstance(vars(self).get(key), Module)

    def __len__(self):
        return sum(1 for _ in self.named_children())

    def __iter__(self):
        return (name for name, _ in self.named_children())

    def keys(self):
        """The keys, in insertion order."""
        return list(self)

    def values(self):
        """The modules, in insertion order."""
        return list(self.children())

    def items(self):
        """The ``(key, module)`` pairs, in insertion order."""
        return list(self.named_children())

    def update(self, modules):
        """Add (or replace) each ``(key, module)`` of a mapping or of an iterable of pairs."""
        pairs = modules.items() if isinstance(modules, collections.abc.Mapping) else modules
        for key, module in pairs:
            self[key] = module

    def pop(self, key):
        """Remove the module ``key`` and return it."""
        module = self[key]
        del self[key]
        return module
