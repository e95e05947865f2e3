r"""Modules: objects that own parameters and compose into models.

A :class:`Module`'s attributes are its registry. Assigning a :class:`Parameter` or
another :class:`Module` to an attribute is all it takes to register it; every
method below (``parameters``, ``state_dict``, ``to`` ...) simply walks the
attributes, own parameters first, then each submodule under its attribute name.
"""

import collections
import collections.abc

import minigrad as mg

from . import _checks as check

IncompatibleKeys = collections.namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])
IncompatibleKeys.__doc__ = "The keys that :meth:`Module.load_state_dict` did not match."


class Parameter(mg.Tensor):
    r"""A tensor that a :class:`Module` owns and learns: a leaf with ``requires_grad=True``.

    Parameters
    ----------
    data : Tensor or array_like
        The initial value. A Tensor's array is shared, not copied (as ``torch.nn.Parameter``
        does); anything else goes through :func:`minigrad.tensor`.
    requires_grad : bool
        Whether optimisers should update it.

    Examples
    --------
    >>> from minigrad import nn
    >>> w = nn.Parameter(mg.zeros(2, 3))
    >>> w.requires_grad, w.is_leaf
    (True, True)
    """

    __slots__ = ()

    def __init__(self, data, requires_grad=True):
        if not isinstance(data, mg.Tensor):
            data = mg.tensor(data)
        super().__init__(data.data, mg.backends.get(data.backend))
        if check.boolean("Parameter", "requires_grad", requires_grad):
            self.requires_grad_()

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()


class Module:
    r"""Base class of layers and models.

    Subclasses call ``super().__init__()``, assign their parameters and submodules as
    attributes, and define :meth:`forward`; calling the module calls ``forward``.
    An attribute that holds a parameter takes only another :class:`Parameter` or
    ``None``: anything else raises ``TypeError`` (to change the values, assign the
    parameter's ``.data`` or use :meth:`load_state_dict`).

    Attributes
    ----------
    training : bool
        ``True`` in training mode (the default), ``False`` after :meth:`eval`;
        layers such as :class:`~minigrad.nn.Dropout` behave differently in each.

    Examples
    --------
    >>> from minigrad import nn
    >>> class TwoLayer(nn.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.hidden = nn.Linear(3, 4)
    ...         self.out = nn.Linear(4, 1)
    ...     def forward(self, x):
    ...         return self.out(self.hidden(x).tanh())
    >>> [name for name, _ in TwoLayer().named_parameters()]
    ['hidden.weight', 'hidden.bias', 'out.weight', 'out.bias']
    """

    def __init__(self):
        self.training = True

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    def __setattr__(self, name, value):
        # A plain Tensor bound over a parameter would silently drop it from parameters()
        # and state_dict(), and the optimiser would go on updating the old one.
        if isinstance(self.__dict__.get(name), Parameter) and not (
                value is None or isinstance(value, Parameter)):
            raise TypeError(
                f"{type(self).__name__}: expected a Parameter or None for the parameter "
                f"{name!r}, got {type(value).__name__}; wrap it in nn.Parameter(...), or "
                f"assign {name}.data to change the values"
            )
        super().__setattr__(name, value)

    def forward(self, *args, **kwargs):
        """The computation of this module; subclasses define it."""
        raise NotImplementedError(f"{type(self).__name__}: subclasses of Module define forward()")

    # ---- the registry: attributes that hold Parameters and Modules ---------------------

    def named_children(self):
        """Yield ``(attribute name, module)`` for each direct submodule.

        Yields
        ------
        tuple of str and Module
        """
        for name, value in vars(self).items():
            if isinstance(value, Module):
                yield name, value

    def children(self):
        """Yield each direct submodule.

        Yields
        ------
        Module
        """
        for _, child in self.named_children():
            yield child

    def named_modules(self, prefix=""):
        """Yield ``(dotted name, module)`` for this module (name ``prefix``) and every descendant.

        A module reachable along several paths is yielded once.

        Parameters
        ----------
        prefix : str
            The name given to this module; descendants' names start with it.

        Yields
        ------
        tuple of str and Module
        """
        seen = set()
        pending = [(prefix, self)]
        while pending:
            name, module = pending.pop()
            if id(module) in seen:
                continue
            seen.add(id(module))
            yield name, module
            children = [(f"{name}.{child_name}" if name else child_name, child)
                        for child_name, child in module.named_children()]
            pending.extend(reversed(children))

    def modules(self):
        """Yield this module and every descendant, once each.

        Yields
        ------
        Module
        """
        for _, module in self.named_modules():
            yield module

    def _all_named_parameters(self, prefix=""):
        # Own parameters first, then each child's, as PyTorch orders them; a parameter shared
        # between two places appears under both names (state dicts keep both keys).
        members = vars(self).items()
        for name, value in members:
            if isinstance(value, Parameter):
                yield prefix + name, value
        for name, value in members:
            if isinstance(value, Module):
                yield from value._all_named_parameters(f"{prefix}{name}.")

    def named_parameters(self):
        """Yield ``(dotted name, parameter)`` for every parameter, each object once.

        Own parameters come first, then each submodule's, in the order they were
        assigned (PyTorch's order), e.g. ``"lstm.weight_ih_l0"``.

        Yields
        ------
        tuple of str and Parameter
        """
        seen = set()
        for name, parameter in self._all_named_parameters():
            if id(parameter) not in seen:
                seen.add(id(parameter))
                yield name, parameter

    def parameters(self):
        """Yield every parameter once: what an optimiser takes.

        Yields
        ------
        Parameter
        """
        for _, parameter in self.named_parameters():
            yield parameter

    # ---- modes and gradients ------------------------------------------------------------

    def train(self, mode=True):
        """Put this module and its descendants in training mode (or evaluation mode); return it.

        Only :class:`Dropout` (and the dropout between stacked recurrent layers)
        behaves differently in the two modes.

        Parameters
        ----------
        mode : bool
            ``True`` for training, ``False`` for evaluation.

        Returns
        -------
        Module
            ``self``.

        Raises
        ------
        TypeError
            If ``mode`` is not a bool.
        """
        mode = check.boolean("Module.train", "mode", mode)
        for module in self.modules():
            module.training = mode
        return self

    def eval(self):
        """Put this module and its descendants in evaluation mode; return it."""
        return self.train(False)

    def zero_grad(self):
        """Forget every parameter's accumulated gradient (``.grad`` becomes ``None``)."""
        for parameter in self.parameters():
            parameter.grad = None

    def to(self, target=None, *, backend=None, dtype=None):
        """Move every parameter to another backend and/or floating dtype, in place; return self.

        ``m.to("cupy")``, ``m.to(mg.float64)`` and ``m.to(backend=..., dtype=...)`` all work.
        Each parameter keeps its identity (only its array is replaced), so optimisers that
        already hold the parameters stay valid. Gradients move along.

        Parameters
        ----------
        target : str or dtype, optional
            A backend's name or a floating dtype, as in :meth:`minigrad.Tensor.to`.
        backend : str, optional
        dtype : dtype, optional

        Returns
        -------
        Module
            ``self``.

        Raises
        ------
        TypeError
            If the dtype is not floating point.
        ValueError, BackendUnavailableError
            If the backend is unknown or cannot run here.
        """
        moved = [(p, p.detach().to(target, backend=backend, dtype=dtype))
                 for p in self.parameters()]
        for _, new in moved:
            if new.dtype.kind != "f":
                raise TypeError(f"Module.to: parameters must stay floating point, got {new.dtype}")
        for parameter, new in moved:
            parameter.data = new   # a Tensor, so that its backend comes along with its array
            if parameter.grad is not None:
                parameter.grad = parameter.grad.detach().to(backend=new.backend, dtype=new.dtype)
        return self

    def float(self):
        """Cast every parameter to ``float32``; return ``self`` (``m.to(mg.float32)``)."""
        return self.to(dtype=mg.float32)

    def double(self):
        """Cast every parameter to ``float64``; return ``self`` (``m.to(mg.float64)``)."""
        return self.to(dtype=mg.float64)

    def cpu(self):
        """Move every parameter to the NumPy backend; return ``self``."""
        return self.to(backend="numpy")

    def cuda(self):
        """Move every parameter to the CuPy backend (a GPU); return ``self``.

        Raises
        ------
        BackendUnavailableError
            If CuPy or a GPU is missing; the message says what to install.
        """
        return self.to(backend="cupy")

    def apply(self, fn):
        """Call ``fn(module)`` on every descendant, children first, then on ``self``.

        As PyTorch's, e.g. ``model.apply(init_weights)`` to initialise every layer.

        Returns
        -------
        Module
            ``self``.
        """
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    # ---- state dicts ----------------------------------------------------------------------

    def state_dict(self):
        """Return a dict from each dotted parameter name to its raw array (shared, not copied).

        Save it with :func:`minigrad.save`. Names and shapes are PyTorch's (a PyTorch
        GRU needs :func:`~minigrad.nn.utils.torch_gru_to_minigrad`).

        Returns
        -------
        dict of str to array
        """
        return {name: parameter.data for name, parameter in self._all_named_parameters()}

    def load_state_dict(self, state_dict, strict=True):
        """Copy each array of ``state_dict`` into the parameter of that name.

        Each value is converted to its parameter's dtype and backend, as PyTorch does;
        parameters keep their identity. Nothing is changed unless every key can be loaded.

        Parameters
        ----------
        state_dict : dict
            Dotted names to arrays (NumPy, CuPy), Tensors or nested lists of numbers.
        strict : bool
            Require exactly this module's keys. Shapes must match either way.

        Returns
        -------
        IncompatibleKeys
            ``(missing_keys, unexpected_keys)``, both empty when ``strict``.

        Raises
        ------
        TypeError
            If ``state_dict`` is not a mapping (a dict), or ``strict`` not a bool.
        ValueError
            Listing every missing, unexpected, mis-shaped and unconvertible key at once
            (a value is unconvertible when :func:`minigrad.tensor` refuses it, e.g. an
            array of objects).
        """
        strict = check.boolean("load_state_dict", "strict", strict)
        if not isinstance(state_dict, collections.abc.Mapping):
            raise TypeError(f"load_state_dict: expected a dict (a mapping of parameter names "
                            f"to arrays), got {type(state_dict).__name__}")
        own = dict(self._all_named_parameters())
        self._refuse_unconverted_torch_weights(state_dict)
        missing = [name for name in own if name not in state_dict]
        unexpected = [name for name in state_dict if name not in own]
        values, mis_shaped, unconvertible = {}, [], []
        for name, parameter in own.items():
            if name not in state_dict:
                continue
            try:
                value = mg.tensor(state_dict[name], dtype=parameter.dtype,
                                  backend=parameter.backend)
            except (TypeError, ValueError) as err:   # objects, strings, ragged lists
                unconvertible.append(f"{name} ({err})")
                continue
            if value.shape != parameter.shape:
                mis_shaped.append(f"{name} (expected {parameter.shape}, got {value.shape})")
            values[name] = value
        problems = [f"{what}: {', '.join(names)}" for what, names in (
            ("missing keys", missing if strict else []),
            ("unexpected keys", unexpected if strict else []),
            ("mis-shaped keys", mis_shaped),
            ("unconvertible keys", unconvertible),
        ) if names]
        if problems:
            raise ValueError(
                f"load_state_dict: cannot load into {type(self).__name__}; " + "; ".join(problems)
            )
        for name, value in values.items():
            own[name].data = value   # a Tensor, so that the parameter's backend is kept
        return IncompatibleKeys(missing, unexpected)

    def _refuse_unconverted_torch_weights(self, state_dict):
        """Raise if PyTorch tensors are loaded into a module whose PyTorch form differs.

        A module with ``torch_conversion`` set (the GRUs) computes another function from
        PyTorch's weights as they are; loading them silently would be wrong.
        """
        for prefix, module in self.named_modules():
            conversion = getattr(module, "torch_conversion", None)
            if conversion is None:
                continue
            names = [f"{prefix}.{name}" if prefix else name
                     for name, _ in module._all_named_parameters()]
            torch_values = [name for name in names if name in state_dict and
                            type(state_dict[name]).__module__.partition(".")[0] == "torch"]
            if torch_values:
                raise ValueError(
                    f"load_state_dict: {', '.join(torch_values)} are PyTorch tensors for a "
                    f"{type(module).__name__}, whose form differs from PyTorch's: loaded as "
                    f"they are they would compute another cell. {conversion} (or, to load "
                    "the numbers as they are, pass NumPy arrays: v.numpy())")

    # ---- printing -----------------------------------------------------------------------------

    def extra_repr(self):
        """The constructor arguments shown by ``repr``; subclasses override it."""
        return ""

    def __repr__(self):
        head = f"{type(self).__name__}({self.extra_repr()}"
        lines = [f"({name}): " + repr(child).replace("\n", "\n  ")
                 for name, child in self.named_children()]
        if not lines:
            return head + ")"
        return head + "\n  " + "\n  ".join(lines) + "\n)"


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
