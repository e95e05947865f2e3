"""The optimiser base class: parameter groups, steps with closures, and checked state dicts."""


import abc
import math
import numbers

from minigrad import backends
from minigrad.factories import zeros_like
from minigrad.grad_mode import enable_grad
from minigrad.tensor import Tensor

__all__ = ["Optimizer"]

_STATE_DICT_KEYS = ("optimizer", "num_params", "param_groups", "state")


class Optimizer(abc.ABC):
    """Base class of optimisers: parameter groups, ``step``, ``zero_grad`` and state dicts.

    A subclass names its hyperparameters and its per-parameter state in the class
    attributes below, validates hyperparameters in ``_check_hyperparameters(**settings)``
    (returning them as a dict of checked values) and updates one parameter in
    ``_update(param, grad, state, group)``, reading its settings from ``group``.

    Parameters
    ----------
    params : iterable of Tensor, or iterable of dict
        The tensors to optimise, e.g. ``model.parameters()`` (a generator is fine), or
        parameter groups as in PyTorch: dicts holding ``"params"`` and any settings
        that differ from ``defaults`` for those parameters.
    defaults : dict
        The subclass's hyperparameters by name, for groups that do not set them.

    Attributes
    ----------
    param_groups : list of dict
        Each group's ``"params"`` (a list) and every hyperparameter by name. Change a
        setting between steps by assigning into it, ``group["lr"] = 0.01``, as in PyTorch.
    defaults : dict
        The hyperparameters given to the constructor.
    state : list of dict
        Each parameter's state, in the order of :attr:`params`, empty until its first
        update.
    """

    hyperparameter_names = ()
    state_arrays = ()     # per-parameter state entries that are arrays shaped like the parameter
    state_counters = ()   # per-parameter state entries that are non-negative ints
    non_negative_state = ()   # state arrays that no step can make negative (second moments)

    def __init__(self, params, defaults):
        owner = type(self).__name__
        self.defaults = self._check_hyperparameters(**defaults)
        self.param_groups = []
        self.state = []
        groups = _collect_groups(params, owner)
        for group in groups:
            self.add_param_group(group)

    @property
    def params(self):
        """Every parameter, group after group (a new list)."""
        return [param for group in self.param_groups for param in group["params"]]

    def __getattr__(self, name):
        # opt.lr reads the one group's setting; with several groups it is ambiguous.
        if name in type(self).hyperparameter_names and "param_groups" in vars(self):
            groups = vars(self)["param_groups"]
            if len(groups) == 1:
                return groups[0][name]
            raise AttributeError(f"{type(self).__name__} has {len(groups)} parameter groups; "
                                 f"read optimizer.param_groups[i][{name!r}] instead of "
                                 f"optimizer.{name}")
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def add_param_group(self, param_group):
        """Add a group of parameters with its own settings (the others from ``defaults``).

        Parameters
        ----------
        param_group : dict
            ``"params"`` (a Tensor or an iterable of them) and any hyperparameters.

        Raises
        ------
        TypeError, ValueError
            If it is not such a dict, names an unknown setting, holds a parameter
            already optimised, or a setting is out of range.
        """
        owner = f"{type(self).__name__}.add_param_group"
        _expect_dict(owner, "param_group", param_group)
        if "params" not in param_group:
            raise ValueError(f"{owner}: expected a dict holding 'params', got the keys "
                             f"{list(param_group)}")
        unknown = [key for key in param_group
                   if key != "params" and key not in self.hyperparameter_names]
        if unknown:
            raise ValueError(f"{owner}: unknown settings {unknown}; expected 'params' and any "
                             f"of {list(self.hyperparameter_names)}")
        params = param_group["params"]
        params = _collect_params([params] if isinstance(params, Tensor) else params, owner)
        present = {id(param) for param in self.params}
        if any(id(param) in present for param in params):
            raise ValueError(f"{owner}: a parameter is already in another group; expected "
                             "each parameter in one group only")
        settings = {name: param_group.get(name, self.defaults[name])
                    for name in self.hyperparameter_names}
        self.param_groups.append({"params": params, **self._check_hyperparameters(**settings)})
        self.state.extend({} for _ in params)

    def step(self, closure=None):
        """Update every parameter whose ``.grad`` is set; those with ``grad=None`` are skipped.

        Parameters
        ----------
        closure : callable, optional
            Recomputes the loss and its gradients (zero_grad, forward, backward) and
            returns the loss; it is called first, with gradients recorded.

        Returns
        -------
        Tensor or None
            The closure's loss, or ``None`` without a closure.
        """
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        states = iter(self.state)
        for group in self.param_groups:
            for param in group["params"]:
                state = next(states)
                if param.grad is not None:
                    self._update(param, param.grad.data, state, group)
        return loss

    def zero_grad(self, set_to_none=True):
        """Forget every parameter's gradient (``.grad`` becomes ``None``).

        Parameters
        ----------
        set_to_none : bool
            As in PyTorch: with ``False`` each existing gradient becomes zeros instead.
        """
        if not isinstance(set_to_none, bool):
            raise TypeError(f"zero_grad: expected set_to_none to be a bool, got "
                            f"{set_to_none!r} ({type(set_to_none).__name__})")
        for param in self.params:
            param.grad = None if set_to_none or param.grad is None else zeros_like(param.grad)

    def state_dict(self):
        """Return the parameter groups' settings and per-parameter state as plain data.

        The layout is in the :mod:`minigrad.optim` module docstring; arrays are
        copies, so later steps do not change a state dict already taken.
        """
        groups, start = {}, 0
        for index, group in enumerate(self.param_groups):
            count = len(group["params"])
            groups[str(index)] = {**{name: group[name] for name in self.hyperparameter_names},
                                  "params": list(range(start, start + count))}
            start += count
        return {
            "optimizer": type(self).__name__,
            "num_params": len(self.state),
            "param_groups": groups,
            "state": {
                str(index): {key: value.copy() if key in self.state_arrays else value
                             for key, value in state.items()}
                for index, state in enumerate(self.state) if state
            },
        }

    def load_state_dict(self, state_dict):
        """Restore settings and state from :meth:`state_dict` (or a loaded file).

        Everything is validated before anything changes. Arrays are copied onto
        each parameter's backend and cast to its dtype.

        Raises
        ------
        ValueError
            If the state dict belongs to another optimiser class, number of parameters
            or grouping, has missing or unexpected keys (they are listed), or an array
            whose shape differs from its parameter's.
        TypeError
            If an entry has the wrong type.
        """
        owner = f"{type(self).__name__}.load_state_dict"
        _expect_keys(owner, "the state dict", state_dict, _STATE_DICT_KEYS)
        if state_dict["optimizer"] != type(self).__name__:
            raise ValueError(f"{owner}: expected the state dict of a {type(self).__name__}, "
                             f"got one of a {state_dict['optimizer']!r}")
        if state_dict["num_params"] != len(self.state):
            raise ValueError(f"{owner}: expected a state dict for {len(self.state)} parameters, "
                             f"got one for {state_dict['num_params']!r}")
        settings = self._loaded_settings(owner, state_dict["param_groups"])
        state = self._loaded_state(owner, state_dict["state"], settings)
        for group, checked in zip(self.param_groups, settings, strict=True):
            group.update(checked)
        self.state = state

    def _loaded_settings(self, owner, saved_groups):
        """Return each group's checked settings from a state dict's ``param_groups``."""
        expected = self.state_dict()["param_groups"]
        _expect_keys(owner, "'param_groups'", saved_groups, list(expected))
        settings = []
        for key, mine in expected.items():
            saved = saved_groups[key]
            where = f"param_groups[{key!r}]"
            _expect_keys(owner, where, saved, ("params",) + self.hyperparameter_names)
            if list(saved["params"]) != mine["params"]:
                raise ValueError(f"{owner}: expected {where} to hold the parameters "
                                 f"{mine['params']}, got {saved['params']!r}")
            settings.append(self._check_hyperparameters(
                **{name: saved[name] for name in self.hyperparameter_names}))
        return settings

    def _loaded_state(self, owner, saved_state, settings):
        """Return ``saved_state`` checked and converted into a list with one dict per parameter.

        ``settings`` are the loaded groups' settings, which decide the state's arrays.
        """
        _expect_dict(owner, "'state'", saved_state)
        positions = [str(index) for index in range(len(self.state))]
        unexpected = sorted(set(saved_state) - set(positions), key=str)
        if unexpected:
            raise ValueError(f"{owner}: 'state' has unexpected keys {unexpected}; expected "
                             f"parameter positions '0' to '{len(positions) - 1}'")
        state, positions = [], iter(positions)
        for group, group_settings in zip(self.param_groups, settings, strict=True):
            arrays = self._state_arrays(group_settings)
            for param in group["params"]:
                position, entry = next(positions), {}
                state.append(entry)
                saved = saved_state.get(position)
                if saved is None:
                    continue
                where = f"state[{position!r}]"
                _expect_keys(owner, where, saved, self.state_counters + arrays)
                for key in self.state_counters:
                    entry[key] = _counter(owner, f"{where}[{key!r}]", saved[key])
                for key in arrays:
                    entry[key] = _array_for(owner, f"{where}[{key!r}]", saved[key], param,
                                            non_negative=key in self.non_negative_state)
        return state

    def _state_arrays(self, settings):
        """The state arrays a parameter has under a group's ``settings`` (all by default)."""
        return self.state_arrays

    @abc.abstractmethod
    def _check_hyperparameters(self, **hyperparameters):
        """Return the hyperparameters validated and normalised (floats, tuples)."""

    @abc.abstractmethod
    def _update(self, param, grad, state, group):
        """Give ``param`` its updated array, computed from the gradient array ``grad``."""

    def __repr__(self):
        groups = "; ".join(
            ", ".join([f"{len(group['params'])} params"] +
                      [f"{name}={group[name]!r}" for name in self.hyperparameter_names])
            for group in self.param_groups)
        return f"{type(self).__name__}({groups})"


def _collect_groups(params, owner):
    """Return ``params`` as a list of group dicts: one group, or the dicts it holds."""
    params = _as_list(params, owner)
    if params and all(isinstance(group, dict) for group in params):
        return params
    return [{"params": params}]


def _as_list(params, owner):
    """Return the iterable ``params`` as a list; a lone Tensor or dict is refused."""
    if isinstance(params, (Tensor, dict)):
        raise TypeError(f"{owner}: expected an iterable of tensors such as model.parameters(), "
                        f"or of parameter-group dicts, got a {type(params).__name__}")
    try:
        return list(params)
    except TypeError:
        raise TypeError(f"{owner}: expected an iterable of tensors such as model.parameters(), "
                        f"got {type(params).__name__}") from None


def _collect_params(params, owner):
    """Return ``params`` as a list after checking that each is a distinct, trainable leaf."""
    params = _as_list(params, owner)
    if not params:
        raise ValueError(f"{owner}: expected at least one parameter, got an empty iterable")
    seen = set()
    for index, param in enumerate(params):
        if not isinstance(param, Tensor):
            raise TypeError(f"{owner}: expected parameter {index} to be a Tensor, "
                            f"got {type(param).__name__}")
        # A frozen parameter (requires_grad=False) is kept, as in PyTorch: it never has a
        # gradient, so step() skips it until it is unfrozen.
        if not param.is_leaf:
            raise ValueError(f"{owner}: expected parameter {index} to be a leaf tensor (a "
                             "model's parameter), got one computed by a recorded op; pass "
                             "the leaf it came from, or t.detach().requires_grad_()")
        if id(param) in seen:
            raise ValueError(f"{owner}: parameter {index} appears more than once; "
                             "expected each parameter once")
        seen.add(id(param))
    return params


def _real(owner, name, value, high=math.inf):
    """Return ``value`` as a Python float after checking ``0 <= value < high``.

    A one-element Tensor is taken for its value, as PyTorch takes a tensor ``lr``.
    """
    if isinstance(value, Tensor) and value.data.size == 1:
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{owner}: expected {name} to be a real number, "
                        f"got {type(value).__name__}")
    value = float(value)
    if not 0.0 <= value < high:
        expected = "a finite number >= 0" if high == math.inf else f"in [0, {high})"
        raise ValueError(f"{owner}: expected {name} {expected}, got {value!r}")
    return value


def _flag(owner, name, value):
    """Return ``value`` if it is a bool (NumPy's included) as a Python bool."""
    if not isinstance(value, bool) and type(value).__name__ != "bool_":
        raise TypeError(f"{owner}: expected {name} to be True or False, got {value!r}")
    return bool(value)


def _counter(owner, where, value):
    """Return ``value`` as a Python int after checking it is a non-negative integer."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{owner}: expected {where} to be an int, got {type(value).__name__}")
    if value < 0:
        raise ValueError(f"{owner}: expected {where} to be >= 0, got {value!r}")
    return int(value)


def _array_for(owner, where, array, param, non_negative=False):
    """Return a copy of ``array`` on ``param``'s backend and dtype, after checking it.

    Its shape must be the parameter's, and its values finite (and ``>= 0`` where a step
    could never make them negative): a damaged state would otherwise turn every later
    update into NaN.
    """
    source = backends.of(array)
    if source is None:
        raise TypeError(f"{owner}: expected {where} to be an array, got {type(array).__name__}")
    if array.shape != param.shape:
        raise ValueError(f"{owner}: expected {where} to have its parameter's shape "
                         f"{param.shape}, got {array.shape}")
    host = source.to_host(array)
    # abs(x) < inf is False for NaN and the infinities alike.
    if host.dtype.kind not in "iuf" or not (abs(host) < math.inf).all() or (
            non_negative and (host < 0).any()):
        expected = "finite numbers >= 0" if non_negative else "finite numbers"
        raise ValueError(f"{owner}: expected {where} to hold {expected}, got dtype {host.dtype} "
                         f"with values from {host.min(initial=0)} to {host.max(initial=0)}")
    target = backends.get(param.backend)
    if source is not target:
        array = target.from_host(source.to_host(array))
    return array.astype(param.dtype)   # astype copies: the optimiser updates state in place


def _expect_dict(owner, what, value):
    if not isinstance(value, dict):
        raise TypeError(f"{owner}: expected {what} to be a dict, got {type(value).__name__}")


def _expect_keys(owner, what, mapping, expected):
    """Check that ``mapping`` is a dict with exactly the keys ``expected``; list any others."""
    _expect_dict(owner, what, mapping)
    missing = [key for key in expected if key not in mapping]
    unexpected = [key for key in mapping if key not in expected]
    if missing or unexpected:
        raise ValueError(f"{owner}: {what} has missing keys {missing} and unexpected keys "
                         f"{unexpected}; expected the keys {list(expected)}")


def _assign(param, array):
    """Give ``param`` the new array ``array``, never writing into its old one.

    The tape may hold the old array for a backward rule. (NumPy hands back a 0-d result
    as a scalar, which ``asarray`` turns into the array it was.)
    """
    param.data = backends.get(param.backend).xp.asarray(array)
