r"""Learning-rate schedules: PyTorch's ``torch.optim.lr_scheduler``, update rule for rule.

A scheduler changes ``group["lr"]`` of its optimiser's parameter groups each time its
:meth:`~LRScheduler.step` is called, once per epoch after the optimiser's steps::

    scheduler = mg.optim.lr_scheduler.StepLR(optimizer, step_size=30, gamma=0.1)
    for epoch in range(epochs):
        train(...)                  # optimizer.step() for each batch
        scheduler.step()

Building a scheduler records each group's starting rate as ``group["initial_lr"]``
(as PyTorch does) and takes the first step, to epoch 0. Its ``state_dict()`` holds
numbers only, so :func:`minigrad.save` writes it.

>>> w = mg.zeros(1, requires_grad=True)
>>> optimizer = mg.optim.SGD([w], lr=1.0)
>>> scheduler = mg.optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)
>>> rates = []
>>> for epoch in range(5):
...     rates.append(optimizer.param_groups[0]["lr"])
...     scheduler.step()
>>> rates
[1.0, 1.0, 0.5, 0.5, 0.25]
"""

import abc
import math
import numbers

__all__ = ["CosineAnnealingLR", "ExponentialLR", "LRScheduler", "LambdaLR", "MultiStepLR",
           "ReduceLROnPlateau", "StepLR"]


class LRScheduler(abc.ABC):
    """Base class: keeps ``last_epoch`` and sets every group's ``lr`` to ``get_lr()``'s.

    Subclasses compute the new rates in ``get_lr()`` from ``self.last_epoch``, each
    group's current ``lr`` and ``self.base_lrs`` (the groups' ``initial_lr``).
    """

    state_names = ("last_epoch", "base_lrs", "last_lr")

    def __init__(self, optimizer):
        if not hasattr(optimizer, "param_groups"):
            raise TypeError(f"{type(self).__name__}: expected an optimiser, got "
                            f"{type(optimizer).__name__}")
        self.optimizer = optimizer
        for group in optimizer.param_groups:
            group.setdefault("initial_lr", group["lr"])
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = -1
        self.step()

    @abc.abstractmethod
    def get_lr(self):
        """The groups' rates for epoch ``self.last_epoch``."""

    def step(self):
        """Move to the next epoch and set each group's ``lr``."""
        self.last_epoch += 1
        for group, lr in zip(self.optimizer.param_groups, self.get_lr(), strict=True):
            group["lr"] = lr
        self.last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def get_last_lr(self):
        """The rates the last :meth:`step` set, one per group."""
        return list(self.last_lr)

    def state_dict(self):
        """The schedule's position and settings as plain numbers (never the optimiser)."""
        return {name: getattr(self, name) for name in self.state_names}

    def load_state_dict(self, state_dict):
        """Restore what :meth:`state_dict` returned.

        Raises
        ------
        ValueError
            If keys are missing or unexpected (they are listed).
        """
        if not isinstance(state_dict, dict) or set(state_dict) != set(self.state_names):
            got = list(state_dict) if isinstance(state_dict, dict) else type(state_dict).__name__
            raise ValueError(f"{type(self).__name__}.load_state_dict: expected the keys "
                             f"{list(self.state_names)}, got {got}")
        for name in self.state_names:
            value = state_dict[name]
            setattr(self, name, list(value) if isinstance(value, (list, tuple)) else value)

    def _current(self):
        return [group["lr"] for group in self.optimizer.param_groups]


def _positive(owner, name, value, kind=numbers.Real):
    if isinstance(value, bool) or not isinstance(value, kind) or not value > 0:
        raise ValueError(f"{owner}: expected {name} > 0, got {value!r}")
    return value


class StepLR(LRScheduler):
    r"""Multiply each rate by ``gamma`` every ``step_size`` epochs:
    :math:`\eta_t = \eta_0 \gamma^{\lfloor t / s \rfloor}`."""

    state_names = LRScheduler.state_names + ("step_size", "gamma")

    def __init__(self, optimizer, step_size, gamma=0.1):
        self.step_size = _positive("StepLR", "step_size", step_size, numbers.Integral)
        self.gamma = _positive("StepLR", "gamma", gamma)
        super().__init__(optimizer)

    def get_lr(self):
        if self.last_epoch == 0 or self.last_epoch % self.step_size:
            return self._current()
        return [lr * self.gamma for lr in self._current()]


class MultiStepLR(LRScheduler):
    r"""Multiply each rate by ``gamma`` at each epoch in ``milestones``:
    :math:`\eta_t = \eta_0 \gamma^{|\{m \in \text{milestones} : m \le t\}|}`.

    A milestone listed twice multiplies by :math:`\gamma^2` there, as in PyTorch.
    """

    state_names = LRScheduler.state_names + ("milestones", "gamma")

    def __init__(self, optimizer, milestones, gamma=0.1):
        milestones = list(milestones) if isinstance(milestones, (list, tuple, range)) else None
        if milestones is None or not all(
                isinstance(m, numbers.Integral) and not isinstance(m, bool) and m >= 0
                for m in milestones):
            raise ValueError(f"MultiStepLR: expected milestones to be a list of epochs "
                             f"(ints >= 0), got {milestones!r}")
        self.milestones = sorted(int(m) for m in milestones)
        self.gamma = _positive("MultiStepLR", "gamma", gamma)
        super().__init__(optimizer)

    def get_lr(self):
        hits = sum(1 for milestone in self.milestones if milestone == self.last_epoch)
        return [lr * self.gamma ** hits for lr in self._current()]


class ExponentialLR(LRScheduler):
    r"""Multiply each rate by ``gamma`` every epoch: :math:`\eta_t = \eta_0 \gamma^t`."""

    state_names = LRScheduler.state_names + ("gamma",)

    def __init__(self, optimizer, gamma):
        self.gamma = _positive("ExponentialLR", "gamma", gamma)
        super().__init__(optimizer)

    def get_lr(self):
        if self.last_epoch == 0:
            return self._current()
        return [lr * self.gamma for lr in self._current()]


class CosineAnnealingLR(LRScheduler):
    r"""Anneal each rate along a cosine from :math:`\eta_0` to ``eta_min`` over ``T_max`` epochs.

    .. math::
        \eta_t = \eta_{\min} + \tfrac12 (\eta_0 - \eta_{\min})
                 \left(1 + \cos\frac{\pi t}{T_{\max}}\right)

    computed recursively from the current rate, as PyTorch does (so a rate changed by
    hand carries on along the curve), and rising again after :math:`T_{\max}`.
    """

    state_names = LRScheduler.state_names + ("T_max", "eta_min")

    def __init__(self, optimizer, T_max, eta_min=0.0):  # noqa: N803 (PyTorch's name)
        self.T_max = _positive("CosineAnnealingLR", "T_max", T_max, numbers.Integral)
        self.eta_min = float(eta_min)
        super().__init__(optimizer)

    def get_lr(self):
        epoch, period, low = self.last_epoch, self.T_max, self.eta_min
        if epoch == 0:
            return self._current()
        if (epoch - 1 - period) % (2 * period) == 0:
            return [lr + (base - low) * (1 - math.cos(math.pi / period)) / 2
                    for lr, base in zip(self._current(), self.base_lrs, strict=True)]
        ratio = (1 + math.cos(math.pi * epoch / period)) / (
            1 + math.cos(math.pi * (epoch - 1) / period))
        return [ratio * (lr - low) + low for lr in self._current()]


class LambdaLR(LRScheduler):
    r"""Set each rate to :math:`\eta_0 \cdot f(t)` for a function ``lr_lambda`` of the epoch.

    ``lr_lambda`` is one function, or a list with one per parameter group. Functions
    are not part of the state dict (PyTorch leaves them out too).
    """

    def __init__(self, optimizer, lr_lambda):
        groups = len(optimizer.param_groups)
        functions = list(lr_lambda) if isinstance(lr_lambda, (list, tuple)) else [
            lr_lambda] * groups
        if len(functions) != groups or not all(callable(f) for f in functions):
            raise ValueError(f"LambdaLR: expected lr_lambda to be a function or a list of "
                             f"{groups} functions (one per parameter group), got {lr_lambda!r}")
        self.lr_lambdas = functions
        super().__init__(optimizer)

    def get_lr(self):
        return [base * f(self.last_epoch)
                for base, f in zip(self.base_lrs, self.lr_lambdas, strict=True)]


class ReduceLROnPlateau(LRScheduler):
    """Divide the rates by ``1 / factor`` when a metric has not improved for ``patience`` epochs.

    ``step(metric)`` takes the epoch's metric (a validation loss with ``mode="min"``).
    An improvement is ``metric < best * (1 - threshold)`` (``threshold_mode="rel"``) or
    ``metric < best - threshold`` (``"abs"``), mirrored for ``mode="max"``. After a
    reduction, ``cooldown`` epochs pass before bad epochs count again. No rate goes below
    ``min_lr`` (a number, or one per group), and a change smaller than ``eps`` is skipped:
    ``torch.optim.lr_scheduler.ReduceLROnPlateau``.
    """

    state_names = ("last_epoch", "last_lr", "best", "num_bad_epochs", "cooldown_counter",
                   "mode", "factor", "patience", "threshold", "threshold_mode", "cooldown",
                   "min_lrs", "eps")

    def __init__(self, optimizer, mode="min", factor=0.1, patience=10, threshold=1e-4,
                 threshold_mode="rel", cooldown=0, min_lr=0.0, eps=1e-8):
        owner = "ReduceLROnPlateau"
        if mode not in ("min", "max") or threshold_mode not in ("rel", "abs"):
            raise ValueError(f"{owner}: expected mode 'min' or 'max' and threshold_mode 'rel' "
                             f"or 'abs', got {mode!r} and {threshold_mode!r}")
        if not 0 <= factor < 1:
            raise ValueError(f"{owner}: expected factor in [0, 1), got {factor!r}")
        groups = len(optimizer.param_groups)
        self.min_lrs = list(min_lr) if isinstance(min_lr, (list, tuple)) else [min_lr] * groups
        if len(self.min_lrs) != groups:
            raise ValueError(f"{owner}: expected one min_lr per parameter group ({groups}), "
                             f"got {len(self.min_lrs)}")
        self.optimizer, self.mode, self.factor, self.patience = optimizer, mode, factor, patience
        self.threshold, self.threshold_mode, self.cooldown, self.eps = (
            threshold, threshold_mode, cooldown, eps)
        self.best = math.inf if mode == "min" else -math.inf
        self.num_bad_epochs = self.cooldown_counter = self.last_epoch = 0
        self.last_lr = self._current()

    def step(self, metrics):
        """Record the epoch's metric and reduce the rates after ``patience`` bad epochs."""
        current = float(metrics)
        self.last_epoch += 1
        if self._is_better(current):
            self.best, self.num_bad_epochs = current, 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            for group, min_lr in zip(self.optimizer.param_groups, self.min_lrs, strict=True):
                new_lr = max(group["lr"] * self.factor, min_lr)
                if group["lr"] - new_lr > self.eps:
                    group["lr"] = new_lr
            self.cooldown_counter, self.num_bad_epochs = self.cooldown, 0
        self.last_lr = self._current()

    def get_lr(self):
        """The groups' current rates: this schedule changes them only in :meth:`step`."""
        return self._current()

    def _is_better(self, current):
        sign = 1.0 if self.mode == "min" else -1.0
        if self.threshold_mode == "rel":
            return sign * current < sign * self.best * (1.0 - sign * self.threshold)
        return sign * current < sign * self.best - self.threshold
