r"""Modules: objects that own parameters and compose into models.

A :class:`Module`'s attributes are its registry. Assigning a :class:`Parameter` or
another :class:`Module` to an attribute is all it takes to register it; every
method below (``parameters``, ``state_dict``, ``to`` ...) simply walks the
attributes, own parameters first, then each submodule under its attribute name.
A *buffer* (:meth:`Module.register_buffer`) is a tensor attribute that is state but
not learned, such as a mask or running statistics: the module also remembers its name,
so that it is saved and moved with the parameters.
"""

import collections
import collections.abc

import minigrad as mg

from . import _checks as check
from . import _loading
from .parameter import Parameter

IncompatibleKeys = collections.namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])
IncompatibleKeys.__doc__ = "The keys that :meth:`Module.load_state_dict` did not match."


def _dotted(prefix):
    """``prefix`` as the start of a dotted name: ``"model"`` gives ``"model."``."""
    if not isinstance(prefix, str):
        raise TypeError(f"expected prefix to be a str, got {type(prefix).__name__}")
    return f"{prefix}." if prefix else ""


def _backend_and_dtype(target, backend, dtype):
    """Split :meth:`Module.to`'s positional ``target`` into a backend or a dtype, as Tensor.to."""
    if target is not None:
        try:
            dtype = mg.dtypes.as_dtype(target)
        except TypeError:   # not a dtype, so a backend's name ("cuda", "numpy"...)
            backend = target
    return backend, None if dtype is None else mg.dtypes.as_dtype(dtype)


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
        # The buffers' names, each mapped to whether it is persistent (in state_dict());
        # their tensors are ordinary attributes.
        self._buffers = {}

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
        buffers = self.__dict__.get("_buffers", {})
        if name in buffers:
            if isinstance(value, (Parameter, Module)):
                del buffers[name]   # as in PyTorch, a parameter or a submodule takes its place
            else:
                self._check_buffer(name, value, "assign")
        super().__setattr__(name, value)

    def __delattr__(self, name):
        self.__dict__.get("_buffers", {}).pop(name, None)
        super().__delattr__(name)

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

    def _walk(self, own, prefix="", recurse=True):
        """Yield ``(dotted name, tensor)`` for ``own(module)`` of this module, then each child's.

        This is PyTorch's order (own members first, then each child's, in the order they
        were assigned); a tensor shared between two places appears under both names (state
        dicts keep both keys). Names start with ``prefix`` (``"model."``, or ``""``).
        """
        for name, value in own(self):
            yield prefix + name, value
        for name, child in self.named_children() if recurse else ():
            yield from child._walk(own, f"{prefix}{name}.")

    def _own_parameters(self):
        return [(name, value) for name, value in vars(self).items()
                if isinstance(value, Parameter)]

    def _own_buffers(self, persistent_only=False):
        return [(name, getattr(self, name)) for name, persistent in self._buffers.items()
                if getattr(self, name) is not None and (persistent or not persistent_only)]

    def _own_state(self):
        return self._own_parameters() + self._own_buffers(persistent_only=True)

    def _all_named_parameters(self, prefix=""):
        return self._walk(Module._own_parameters, prefix)

    @staticmethod
    def _once(named):
        """The ``(name, tensor)`` pairs of ``named`` whose tensor was not met before."""
        seen = set()
        for name, value in named:
            if id(value) not in seen:
                seen.add(id(value))
                yield name, value

    def named_parameters(self, prefix="", recurse=True):
        """Yield ``(dotted name, parameter)`` for every parameter, each object once.

        Own parameters come first, then each submodule's, in the order they were
        assigned (PyTorch's order), e.g. ``"lstm.weight_ih_l0"``.

        Parameters
        ----------
        prefix : str
            Put before every name, as in PyTorch (``prefix="model"`` gives
            ``"model.lstm.weight_ih_l0"``).
        recurse : bool
            Include the submodules' parameters; with ``False`` only this module's own.

        Yields
        ------
        tuple of str and Parameter
        """
        yield from self._once(self._walk(Module._own_parameters, _dotted(prefix),
                                         check.boolean("named_parameters", "recurse", recurse)))

    def parameters(self, recurse=True):
        """Yield every parameter once: what an optimiser takes.

        Parameters
        ----------
        recurse : bool
            Include the submodules' parameters; with ``False`` only this module's own.

        Yields
        ------
        Parameter
        """
        for _, parameter in self.named_parameters(recurse=recurse):
            yield parameter

    def register_parameter(self, name, param):
        """Add ``param`` as the parameter ``name``, as PyTorch's; ``setattr(self, name, param)``.

        Parameters
        ----------
        name : str
            The attribute name; no dots, not already used by an attribute that is not a
            parameter.
        param : Parameter or None

        Raises
        ------
        AttributeError, TypeError, KeyError
            As :meth:`register_buffer`, for the name; ``TypeError`` also if ``param`` is
            neither a :class:`Parameter` nor ``None`` (wrap a tensor in ``nn.Parameter``).
        """
        self._check_new_name("register_parameter", name,
                             lambda module, n: isinstance(getattr(module, n), Parameter))
        if not (param is None or isinstance(param, Parameter)):
            raise TypeError(f"{type(self).__name__}.register_parameter: expected a Parameter or "
                            f"None for {name!r}, got {type(param).__name__}; wrap it in "
                            "nn.Parameter(...)")
        setattr(self, name, param)

    def _check_new_name(self, method, name, kind):
        """Raise unless ``name`` can name a new member, or one of ``kind`` being replaced."""
        owner = f"{type(self).__name__}.{method}"
        if "_buffers" not in self.__dict__:
            raise AttributeError(f"{owner}: cannot register before Module.__init__() is "
                                 "called; call super().__init__() first")
        if not isinstance(name, str):
            raise TypeError(f"{owner}: expected the name to be a str, got {type(name).__name__}")
        if not name or "." in name:
            raise KeyError(f"{owner}: expected a name without dots, got {name!r}")
        if hasattr(self, name) and not kind(self, name):
            raise KeyError(f"{owner}: attribute {name!r} already exists; choose another name")

    # ---- buffers: state that is not learned ---------------------------------------------

    def register_buffer(self, name, tensor, persistent=True):
        """Register ``tensor`` as the buffer ``name``: state that is saved and moved, not learned.

        A buffer is an attribute (``self.name``), listed by :meth:`buffers`, never by
        :meth:`parameters`, so no optimiser updates it. :meth:`to` moves it with the
        parameters (a cast to another floating dtype casts floating buffers only, as in
        PyTorch) and, if ``persistent``, :meth:`state_dict` holds it and
        :meth:`load_state_dict` fills it. Assigning ``self.name = t`` later replaces its
        tensor and keeps it a buffer.

        Parameters
        ----------
        name : str
            The attribute name; no dots, not already used by another attribute.
        tensor : Tensor or None
            Its value, which must not require grad. ``None`` leaves it out of
            :meth:`buffers` and :meth:`state_dict` until a tensor is assigned.
        persistent : bool
            Whether it belongs to :meth:`state_dict`.

        Raises
        ------
        AttributeError
            If called before ``Module.__init__``.
        TypeError
            If ``name`` is not a str, or ``tensor`` is neither a Tensor nor ``None``
            (a :class:`Parameter` is learned: assign it instead).
        KeyError
            If ``name`` is empty, holds a dot, or is another attribute's name.
        ValueError
            If ``tensor`` requires grad (register ``tensor.detach()``).

        Examples
        --------
        >>> from minigrad import nn
        >>> class Positions(nn.Module):
        ...     def __init__(self, steps, size):
        ...         super().__init__()
        ...         self.embed = nn.Embedding(steps, size)
        ...         self.register_buffer("steps", mg.arange(steps))
        ...     def forward(self, x):                          # x: (T, B, size)
        ...         return x + self.embed(self.steps[:len(x)]).reshape(len(x), 1, -1)
        >>> model = Positions(10, 3)
        >>> list(model.state_dict()), [name for name, _ in model.named_parameters()]
        (['steps', 'embed.weight'], ['embed.weight'])
        >>> model(mg.zeros(4, 2, 3)).shape, model.double().steps.dtype   # integers stay integers
        ((4, 2, 3), dtype('int64'))
        """
        self._check_new_name("register_buffer", name, lambda module, n: n in module._buffers)
        self._check_buffer(name, tensor, "register")
        self._buffers[name] = check.boolean(f"{type(self).__name__}.register_buffer",
                                            "persistent", persistent)
        super().__setattr__(name, tensor)

    def _check_buffer(self, name, tensor, verb):
        owner = f"{type(self).__name__}"
        if isinstance(tensor, Parameter) or not (tensor is None or isinstance(tensor, mg.Tensor)):
            raise TypeError(
                f"{owner}: cannot {verb} a {type(tensor).__name__} as the buffer {name!r}: "
                "expected a Tensor or None (a Parameter is learned: assign it to an attribute "
                "that is not a buffer)")
        if tensor is not None and tensor.requires_grad:
            raise ValueError(
                f"{owner}: cannot {verb} a tensor that requires grad as the buffer {name!r}: a "
                f"buffer is not learned; pass tensor.detach(), or make it an nn.Parameter")

    def named_buffers(self, prefix="", recurse=True):
        """Yield ``(dotted name, tensor)`` for every buffer that holds a tensor, each once.

        In the order of :meth:`named_parameters`, whose ``prefix`` and ``recurse`` these
        are: own buffers first, then each submodule's.

        Yields
        ------
        tuple of str and Tensor
        """
        yield from self._once(self._walk(Module._own_buffers, _dotted(prefix),
                                         check.boolean("named_buffers", "recurse", recurse)))

    def buffers(self, recurse=True):
        """Yield every buffer that holds a tensor, once each (``recurse`` as in ``parameters``).

        Yields
        ------
        Tensor
        """
        for _, buffer in self.named_buffers(recurse=recurse):
            yield buffer

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

    def zero_grad(self, set_to_none=True):
        """Forget every parameter's accumulated gradient (``.grad`` becomes ``None``).

        Parameters
        ----------
        set_to_none : bool
            As in PyTorch: with ``False`` each existing gradient becomes zeros instead.
        """
        set_to_none = check.boolean("zero_grad", "set_to_none", set_to_none)
        for parameter in self.parameters():
            if set_to_none or parameter.grad is None:
                parameter.grad = None
            else:
                parameter.grad = mg.zeros_like(parameter.grad)

    def requires_grad_(self, requires_grad=True):
        """Set ``requires_grad`` on every parameter (``False`` freezes the module); return it.

        Optimisers skip a parameter that does not require grad, so a frozen layer keeps
        its values while the rest trains, as in PyTorch.
        """
        requires_grad = check.boolean("requires_grad_", "requires_grad", requires_grad)
        for parameter in self.parameters():
            parameter.requires_grad_(requires_grad)
        return self

    def to(self, target=None, dtype=None, *, backend=None, device=None, non_blocking=False):
        """Move every parameter and buffer to another backend and/or floating dtype, in place.

        ``m.to("cupy")``, ``m.to("cuda")``, ``m.to(mg.float64)``, ``m.to(device, dtype)``
        and ``m.to(backend=..., dtype=...)`` all work, as in PyTorch.
        Each parameter keeps its identity (only its array is replaced), so optimisers that
        already hold the parameters stay valid. Gradients move along. Buffers move too, and
        keep their identity; a dtype applies to the floating ones only (an integer buffer
        of indices stays integer), as in PyTorch.

        Parameters
        ----------
        target : str or dtype, optional
            A backend's name or device string, or a floating dtype, as in
            :meth:`minigrad.Tensor.to`.
        dtype : dtype, optional
        backend, device : str, optional
            The backend, by either name (pass one of the two).
        non_blocking : bool
            Accepted for PyTorch's sake; every move completes before it returns.

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
        backend = mg.backends.backend_or_device("Module.to", backend, device)
        backend, dtype = _backend_and_dtype(target, backend, dtype)
        if dtype is not None and not mg.dtypes.is_floating(dtype):
            raise TypeError(f"Module.to: parameters must stay floating point, got {dtype}")
        moves = [(p, p.detach().to(backend=backend, dtype=dtype)) for p in self.parameters()]
        moves += [(b, b.to(backend=backend, dtype=dtype if b.dtype.kind == "f" else None))
                  for b in self.buffers()]
        for tensor, new in moves:
            tensor.data = new   # a Tensor, so that its backend comes along with its array
            if tensor.grad is not None:
                tensor.grad = tensor.grad.detach().to(backend=new.backend, dtype=new.dtype)
        return self

    def float(self):
        """Cast every parameter and floating buffer to ``float32``; return ``self``."""
        return self.to(dtype=mg.float32)

    def double(self):
        """Cast every parameter and floating buffer to ``float64``; return ``self``."""
        return self.to(dtype=mg.float64)

    def cpu(self):
        """Move every parameter and buffer to the NumPy backend; return ``self``."""
        return self.to(backend="numpy")

    def cuda(self):
        """Move every parameter and buffer to the CuPy backend (a GPU); return ``self``.

        Raises
        ------
        BackendUnavailableError
            If CuPy or a GPU is missing; the message says what to install.
        """
        return self.to(backend="cupy")

    def get_submodule(self, target):
        """The descendant at the dotted path ``target`` (``""`` is this module), as PyTorch's.

        Raises
        ------
        AttributeError
            Naming the first part of the path that is not a submodule.
        """
        module = self
        for part in target.split(".") if target else ():
            child = vars(module).get(part)
            if not isinstance(child, Module):
                raise AttributeError(f"get_submodule: {type(module).__name__} has no submodule "
                                     f"{part!r} (path {target!r})")
            module = child
        return module

    def get_parameter(self, target):
        """The parameter at the dotted path ``target`` (``"lstm.weight_ih_l0"``), as PyTorch's.

        Raises
        ------
        AttributeError
            If the path leads to no parameter.
        """
        path, _, name = target.rpartition(".")
        parameter = vars(self.get_submodule(path)).get(name)
        if not isinstance(parameter, Parameter):
            raise AttributeError(f"get_parameter: no parameter {target!r}")
        return parameter

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
        """Return a dict from each dotted parameter and buffer name to its raw array (shared).

        Each module's parameters come first, then its persistent buffers, then its
        submodules', as in PyTorch. Save it with :func:`minigrad.save`. Names and shapes
        are PyTorch's (a PyTorch GRU needs :func:`~minigrad.nn.utils.torch_gru_to_minigrad`).

        Returns
        -------
        dict of str to array
        """
        return {name: tensor.data for name, tensor in self._walk(Module._own_state)}

    def load_state_dict(self, state_dict, strict=True):
        """Copy each array of ``state_dict`` into the parameter or persistent buffer of that name.

        Each value is converted to its parameter's (buffer's) dtype and backend, as PyTorch
        does; parameters and buffers keep their identity. Nothing is changed unless every
        key can be loaded.

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
        own = dict(self._walk(Module._own_state))
        _loading.refuse_unconverted_torch_weights(self, state_dict)
        missing = [name for name in own if name not in state_dict]
        unexpected = [name for name in state_dict if name not in own]
        values, mis_shaped, unconvertible = _loading.converted(own, state_dict)
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
            own[name].data = value   # a Tensor, so that the tensor's backend is kept
        return IncompatibleKeys(missing, unexpected)

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
