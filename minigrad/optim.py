r"""Optimisers: turn the gradients in ``.grad`` into parameter updates.

An optimiser holds a list of parameters (leaf tensors that require grad) and,
per parameter, a small *state* (momentum buffers, moment estimates). Each
:meth:`~Optimizer.step` reads ``p.grad`` and gives ``p`` a new array: a parameter
stays the same object that the model and the tape know, and an array that the tape
saved for a backward rule keeps its values, so a backward pass run after a step
still differentiates what the forward pass computed. The update
rules are PyTorch's, step for step, so training runs agree with
``torch.optim`` to rounding.

Updates work on raw arrays with the parameter's backend namespace ``xp``; they
record nothing on the tape. Gradient arrays are only ever read: one array may
be the ``.grad`` of several leaves, or a read-only broadcast view.

The state dict
--------------
:meth:`Optimizer.state_dict` returns plain data that :func:`minigrad.save`
writes as it is::

    {
        "optimizer": "Adam",                 # the class name, checked on load
        "num_params": 3,                     # how many parameters it was built with
        "hyperparameters": {"lr": 0.001, "betas": (0.9, 0.999), "eps": 1e-08,
                            "weight_decay": 0.0},
        "state": {                           # keyed by parameter position, as a str;
            "0": {"step": 3,                 # parameters never stepped have no entry
                  "exp_avg": array, "exp_avg_sq": array},
        },
    }

SGD's per-parameter state is ``{"momentum_buffer": array}`` (only when
``momentum > 0``). Arrays are copies on the parameters' backend;
:meth:`Optimizer.load_state_dict` accepts arrays of any backend (e.g. the NumPy
arrays :func:`minigrad.load` returns) and moves them to each parameter's
backend and dtype.
"""

import abc
import math
import numbers

from minigrad import backends
from minigrad.tensor import Tensor

__all__ = ["SGD", "Adam", "Optimizer"]

_STATE_DICT_KEYS = ("optimizer", "num_params", "hyperparameters", "state")


class Optimizer(abc.ABC):
    """Base class of optimisers: parameter bookkeeping, ``zero_grad`` and state dicts.

    A subclass names its hyperparameters and its per-parameter state in the
    class attributes below, validates hyperparameters in
    ``_check_hyperparameters(**hyperparameters)`` (returning them as a dict of
    checked values) and updates one parameter in ``_update(param, grad, state)``.

    Parameters
    ----------
    params : iterable of Tensor
        The tensors to optimise, e.g. ``model.parameters()`` (a generator is fine).
    hyperparameters : dict
        The subclass's hyperparameters by name, validated before use.

    Attributes
    ----------
    params : list of Tensor
        The parameters, in the order given.
    state : list of dict
        Each parameter's state, empty until its first update.
    """

    hyperparameter_names = ()
    state_arrays = ()     # per-parameter state entries that are arrays shaped like the parameter
    state_counters = ()   # per-parameter state entries that are non-negative ints
    non_negative_state = ()   # state arrays that no step can make negative (second moments)

    def __init__(self, params, hyperparameters):
        self.params = _collect_params(params, type(self).__name__)
        self.state = [{} for _ in self.params]
        for name, value in self._check_hyperparameters(**hyperparameters).items():
            setattr(self, name, value)

    def step(self):
        """Update every parameter whose ``.grad`` is set; those with ``grad=None`` are skipped."""
        for param, state in zip(self.params, self.state, strict=True):
            if param.grad is not None:
                self._update(param, param.grad.data, state)

    def zero_grad(self):
        """Forget every parameter's gradient (``.grad`` becomes ``None``)."""
        for param in self.params:
            param.grad = None

    def state_dict(self):
        """Return the hyperparameters and per-parameter state as plain data.

        The layout is in the :mod:`minigrad.optim` module docstring; arrays are
        copies, so later steps do not change a state dict already taken.
        """
        return {
            "optimizer": type(self).__name__,
            "num_params": len(self.params),
            "hyperparameters": {name: getattr(self, name) for name in self.hyperparameter_names},
            "state": {
                str(index): {key: value.copy() if key in self.state_arrays else value
                             for key, value in state.items()}
                for index, state in enumerate(self.state) if state
            },
        }

    def load_state_dict(self, state_dict):
        """Restore hyperparameters and state from :meth:`state_dict` (or a loaded file).

        Everything is validated before anything changes. Arrays are copied onto
        each parameter's backend and cast to its dtype.

        Raises
        ------
        ValueError
            If the state dict belongs to another optimiser class or number of
            parameters, has missing or unexpected keys (they are listed), or an
            array whose shape differs from its parameter's.
        TypeError
            If an entry has the wrong type.
        """
        owner = f"{type(self).__name__}.load_state_dict"
        _expect_keys(owner, "the state dict", state_dict, _STATE_DICT_KEYS)
        if state_dict["optimizer"] != type(self).__name__:
            raise ValueError(f"{owner}: expected the state dict of a {type(self).__name__}, "
                             f"got one of a {state_dict['optimizer']!r}")
        if state_dict["num_params"] != len(self.params):
            raise ValueError(f"{owner}: expected a state dict for {len(self.params)} parameters, "
                             f"got one for {state_dict['num_params']!r}")
        hyperparameters = state_dict["hyperparameters"]
        _expect_keys(owner, "'hyperparameters'", hyperparameters, self.hyperparameter_names)
        checked = self._check_hyperparameters(**hyperparameters)
        state = self._loaded_state(owner, state_dict["state"])
        for name, value in checked.items():
            setattr(self, name, value)
        self.state = state

    def _loaded_state(self, owner, saved_state):
        """Return ``saved_state`` checked and converted into a list with one dict per parameter."""
        _expect_dict(owner, "'state'", saved_state)
        positions = [str(index) for index in range(len(self.params))]
        unexpected = sorted(set(saved_state) - set(positions), key=str)
        if unexpected:
            raise ValueError(f"{owner}: 'state' has unexpected keys {unexpected}; expected "
                             f"parameter positions '0' to '{len(positions) - 1}'")
        state = [{} for _ in self.params]
        for param, position, entry in zip(self.params, positions, state, strict=True):
            saved = saved_state.get(position)
            if saved is None:
                continue
            _expect_keys(owner, f"state[{position!r}]", saved,
                         self.state_counters + self.state_arrays)
            for key in self.state_counters:
                entry[key] = _counter(owner, f"state[{position!r}][{key!r}]", saved[key])
            for key in self.state_arrays:
                entry[key] = _array_for(owner, f"state[{position!r}][{key!r}]", saved[key], param,
                                        non_negative=key in self.non_negative_state)
        return state

    @abc.abstractmethod
    def _check_hyperparameters(self, **hyperparameters):
        """Return the hyperparameters validated and normalised (floats, tuples)."""

    @abc.abstractmethod
    def _update(self, param, grad, state):
        """Give ``param`` its updated array, computed from the gradient array ``grad``."""

    def __repr__(self):
        names = self.hyperparameter_names
        settings = ", ".join(f"{name}={getattr(self, name)!r}" for name in names)
        return f"{type(self).__name__}({len(self.params)} params, {settings})"


class SGD(Optimizer):
    r"""Stochastic gradient descent with optional momentum and weight decay.

    For each parameter :math:`p` with gradient :math:`g`, at step :math:`t`:

    .. math::

        g_t &\leftarrow g_t + \lambda p_{t-1}, \\
        b_t &= \begin{cases} g_t & t = 1 \\ \mu b_{t-1} + g_t & t > 1 \end{cases}, \\
        p_t &= p_{t-1} - \eta\, b_t

    where :math:`\eta` is ``lr``, :math:`\mu` ``momentum`` and :math:`\lambda`
    ``weight_decay``; with :math:`\mu = 0` there is no buffer and
    :math:`p_t = p_{t-1} - \eta g_t`. This is :class:`torch.optim.SGD` with
    ``dampening=0`` and ``nesterov=False``.

    Parameters
    ----------
    params : iterable of Tensor
        The tensors to optimise, e.g. ``model.parameters()``.
    lr : float
        The learning rate :math:`\eta \ge 0`.
    momentum : float
        The momentum factor :math:`\mu \ge 0`.
    weight_decay : float
        The L2 penalty :math:`\lambda \ge 0`, added to the gradient.

    Examples
    --------
    >>> w = mg.tensor([1.0, -2.0], requires_grad=True)
    >>> opt = mg.optim.SGD([w], lr=0.1)
    >>> (w * w).sum().backward()
    >>> opt.step()
    >>> w
    tensor([ 0.8 -1.6], dtype=float32, requires_grad=True)
    """

    hyperparameter_names = ("lr", "momentum", "weight_decay")
    state_arrays = ("momentum_buffer",)

    def __init__(self, params, lr, momentum=0.0, weight_decay=0.0):
        super().__init__(params, {"lr": lr, "momentum": momentum, "weight_decay": weight_decay})

    def _check_hyperparameters(self, lr, momentum, weight_decay):
        owner = type(self).__name__
        return {"lr": _real(owner, "lr", lr), "momentum": _real(owner, "momentum", momentum),
                "weight_decay": _real(owner, "weight_decay", weight_decay)}

    def _update(self, param, grad, state):
        if self.weight_decay:
            grad = grad + self.weight_decay * param.data
        if self.momentum:
            buffer = state.get("momentum_buffer")
            if buffer is None:
                # A fresh array (never the gradient itself): the buffer is updated in place.
                xp = backends.get(param.backend).xp
                buffer = state["momentum_buffer"] = xp.array(grad, dtype=param.dtype)
            else:
                buffer *= self.momentum
                buffer += grad
            grad = buffer
        _assign(param, param.data - self.lr * grad)


class Adam(Optimizer):
    r"""Adam: steps scaled by running estimates of the gradient's first two moments.

    For each parameter :math:`p` with gradient :math:`g`, at step
    :math:`t = 1, 2, \ldots` (with :math:`m_0 = v_0 = 0`):

    .. math::

        g_t &\leftarrow g_t + \lambda p_{t-1}, \\
        m_t &= \beta_1 m_{t-1} + (1 - \beta_1)\, g_t, \\
        v_t &= \beta_2 v_{t-1} + (1 - \beta_2)\, g_t^2, \\
        p_t &= p_{t-1} - \frac{\eta}{1 - \beta_1^t} \cdot
               \frac{m_t}{\sqrt{v_t} / \sqrt{1 - \beta_2^t} + \epsilon}

    This is :class:`torch.optim.Adam` (``amsgrad=False``): the weight decay
    :math:`\lambda` is an L2 penalty added to the gradient (not AdamW's
    decoupled decay), and :math:`\epsilon` is added after the bias correction.

    Parameters
    ----------
    params : iterable of Tensor
        The tensors to optimise, e.g. ``model.parameters()``.
    lr : float
        The learning rate :math:`\eta \ge 0`.
    betas : tuple of float
        :math:`(\beta_1, \beta_2)`, each in :math:`[0, 1)`.
    eps : float
        :math:`\epsilon \ge 0`, keeps the denominator away from zero.
    weight_decay : float
        The L2 penalty :math:`\lambda \ge 0`.

    Examples
    --------
    >>> w = mg.tensor([1.0, -2.0], requires_grad=True)
    >>> opt = mg.optim.Adam([w], lr=0.1)
    >>> (w * w).sum().backward()
    >>> opt.step()                  # the first step moves each weight by lr, against its gradient
    >>> w.numpy().round(6)
    array([ 0.9, -1.9], dtype=float32)
    """

    hyperparameter_names = ("lr", "betas", "eps", "weight_decay")
    state_counters = ("step",)
    state_arrays = ("exp_avg", "exp_avg_sq")
    non_negative_state = ("exp_avg_sq",)

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        super().__init__(params, {"lr": lr, "betas": betas, "eps": eps,
                                  "weight_decay": weight_decay})

    def _check_hyperparameters(self, lr, betas, eps, weight_decay):
        owner = type(self).__name__
        try:
            beta1, beta2 = betas
        except (TypeError, ValueError):
            raise TypeError(f"{owner}: expected betas to be a pair (beta1, beta2), "
                            f"got {betas!r}") from None
        return {"lr": _real(owner, "lr", lr),
                "betas": (_real(owner, "betas[0]", beta1, high=1.0),
                          _real(owner, "betas[1]", beta2, high=1.0)),
                "eps": _real(owner, "eps", eps),
                "weight_decay": _real(owner, "weight_decay", weight_decay)}

    def _update(self, param, grad, state):
        xp = backends.get(param.backend).xp
        if not state:
            state.update(step=0, exp_avg=xp.zeros_like(param.data),
                         exp_avg_sq=xp.zeros_like(param.data))
        if self.weight_decay:
            grad = grad + self.weight_decay * param.data
        beta1, beta2 = self.betas
        state["step"] += 1
        exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
        exp_avg *= beta1
        exp_avg += (1.0 - beta1) * grad
        exp_avg_sq *= beta2
        exp_avg_sq += (1.0 - beta2) * grad * grad
        # Bias corrections are Python floats, so float32 parameters stay float32.
        step_size = self.lr / (1.0 - beta1 ** state["step"])
        denom = xp.sqrt(exp_avg_sq) / math.sqrt(1.0 - beta2 ** state["step"]) + self.eps
        _assign(param, param.data - step_size * exp_avg / denom)


def _collect_params(params, owner):
    """Return ``params`` as a list after checking that each is a distinct, trainable leaf."""
    if isinstance(params, (Tensor, dict)):
        raise TypeError(f"{owner}: expected an iterable of tensors such as model.parameters(), "
                        f"got a {type(params).__name__}")
    try:
        params = list(params)
    except TypeError:
        raise TypeError(f"{owner}: expected an iterable of tensors such as model.parameters(), "
                        f"got {type(params).__name__}") from None
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
