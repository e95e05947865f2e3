"""Loss modules: PyTorch's ``nn.MSELoss`` and friends, each calling its function in ``F``.

A loss module holds its options (``reduction``, class ``weight``...) so that a training
loop written as ``criterion = nn.CrossEntropyLoss(); loss = criterion(output, target)``
runs unchanged.

>>> criterion = nn.CrossEntropyLoss(label_smoothing=0.1)
>>> criterion
CrossEntropyLoss(reduction='mean', label_smoothing=0.1)
>>> round(criterion(mg.zeros(2, 4), mg.tensor([1, 3])).item(), 4)    # log 4: all classes alike
1.3863
"""

import inspect

from . import functional as F
from .module import Module

__all__ = ["BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss", "L1Loss", "MSELoss", "NLLLoss"]


class _Loss(Module):
    """A loss with a ``reduction``; subclasses name their function and extra options."""

    _function = None
    _options = ()

    def __init__(self, reduction="mean", **options):
        super().__init__()
        F._reduction(type(self).__name__, reduction)
        self.reduction = reduction
        for name, value in options.items():
            if name == "weight":
                # A buffer, as in PyTorch: to() moves the class weights with the model, and
                # state_dict() holds them.
                self.register_buffer(name, value)
            else:
                setattr(self, name, value)

    def forward(self, input, target):
        options = {name: getattr(self, name) for name in self._options}
        return type(self)._function(input, target, reduction=self.reduction, **options)

    def extra_repr(self):
        # Settings left at their defaults are not shown; buffers (the class weights) show in
        # state_dict(), as in PyTorch.
        defaults = inspect.signature(type(self).__init__).parameters
        shown = [f"reduction={self.reduction!r}"] + [
            f"{name}={getattr(self, name)!r}" for name in self._options
            if name not in self._buffers and getattr(self, name) != defaults[name].default]
        return ", ".join(shown)


class _PlainLoss(_Loss):
    """A loss whose only setting is ``reduction``."""

    def __init__(self, reduction="mean"):
        super().__init__(reduction)


class MSELoss(_PlainLoss):
    """:func:`~minigrad.nn.functional.mse_loss` as a module."""

    _function = F.mse_loss


class L1Loss(_PlainLoss):
    """:func:`~minigrad.nn.functional.l1_loss` as a module."""

    _function = F.l1_loss


class BCELoss(_Loss):
    """:func:`~minigrad.nn.functional.binary_cross_entropy` as a module: input probabilities."""

    _function = F.binary_cross_entropy
    _options = ("weight",)

    def __init__(self, weight=None, reduction="mean"):
        super().__init__(reduction, weight=weight)


class BCEWithLogitsLoss(_PlainLoss):
    """:func:`~minigrad.nn.functional.binary_cross_entropy_with_logits` as a module."""

    _function = F.binary_cross_entropy_with_logits


class NLLLoss(_Loss):
    """:func:`~minigrad.nn.functional.nll_loss` as a module: input log-probabilities."""

    _function = F.nll_loss
    _options = ("weight", "ignore_index")

    def __init__(self, weight=None, ignore_index=-100, reduction="mean"):
        super().__init__(reduction, weight=weight, ignore_index=ignore_index)


class CrossEntropyLoss(_Loss):
    """:func:`~minigrad.nn.functional.cross_entropy` as a module: input unnormalised scores."""

    _function = F.cross_entropy
    _options = ("weight", "ignore_index", "label_smoothing")

    def __init__(self, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
        super().__init__(reduction, weight=weight, ignore_index=ignore_index,
                         label_smoothing=label_smoothing)
