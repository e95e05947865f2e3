r"""Containers: modules that hold a list of modules, and run them one after another."""

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
