r"""Elementwise layers: the nonlinearities, softmaxes, dropout and reshapes, as modules."""

import numbers

import minigrad as mg

from . import _checks as check
from . import functional as F
from .module import Module


class Tanh(Module):
    r""":math:`y = \tanh(x)`, elementwise."""

    def forward(self, x):
        check.tensor("Tanh", "input", x)
        return x.tanh()


class Sigmoid(Module):
    r""":math:`y = \sigma(x) = 1 / (1 + e^{-x})`, elementwise."""

    def forward(self, x):
        check.tensor("Sigmoid", "input", x)
        return x.sigmoid()


class ReLU(Module):
    r""":math:`y = \max(x, 0)`, elementwise."""

    def forward(self, x):
        check.tensor("ReLU", "input", x)
        return x.relu()


class LeakyReLU(Module):
    r""":math:`y = x` where :math:`x > 0`, else :math:`a x` (``negative_slope`` :math:`a`)."""

    def __init__(self, negative_slope=0.01):
        super().__init__()
        self.negative_slope = check.real("LeakyReLU", "negative_slope", negative_slope)

    def forward(self, x):
        check.tensor("LeakyReLU", "input", x)
        return mg.where(x > 0, x, x * self.negative_slope)

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}"


class Dropout(Module):
    r"""Inverted dropout in training mode, the identity in evaluation mode.

    In training each element is zeroed with probability ``p`` and the survivors are
    scaled by :math:`1/(1-p)`, so no rescaling is needed at evaluation time.

    Parameters
    ----------
    p : float
        The probability of zeroing an element, in ``[0, 1]``.

    Examples
    --------
    >>> from minigrad import nn
    >>> drop = nn.Dropout(0.5)
    >>> x = mg.ones(1000)
    >>> float(drop(x).mean()) == 1.0, float(drop.eval()(x).mean()) == 1.0
    (False, True)
    """

    def __init__(self, p=0.5):
        super().__init__()
        self.p = check.probability("Dropout", "p", p)

    def forward(self, x):
        return F.dropout(x, self.p, self.training)

    def extra_repr(self):
        return f"p={self.p}"


class Identity(Module):
    r""":math:`y = x`, as PyTorch's: a layer that leaves its input as it is, to stand where a
    model's structure wants one (its arguments are ignored)."""

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, x):
        return x


class _OverDim(Module):
    """A module applying its tensor method over one dim, given by keyword as in PyTorch."""

    _method = None

    def __init__(self, dim=None):
        super().__init__()
        if not check.is_number(numbers.Integral, dim):
            raise TypeError(
                f"{type(self).__name__}: expected dim to be an int, got {dim!r}; write "
                f"{type(self).__name__}(dim=1) for (N, C) scores (PyTorch's guess without a "
                "dim is deprecated)")
        self.dim = int(dim)

    def forward(self, x):
        check.tensor(type(self).__name__, "input", x)
        return getattr(x, self._method)(dim=self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class Softmax(_OverDim):
    r""":math:`y_i = e^{x_i} / \sum_j e^{x_j}` over ``dim`` (see :func:`minigrad.softmax`)."""

    _method = "softmax"


class LogSoftmax(_OverDim):
    r""":math:`y_i = x_i - \log \sum_j e^{x_j}` over ``dim``: the input of :class:`NLLLoss`.

    Examples
    --------
    >>> from minigrad import nn
    >>> model = nn.Sequential(nn.Linear(3, 4), nn.LogSoftmax(dim=1))
    >>> loss = nn.NLLLoss()(model(mg.randn(2, 3)), mg.tensor([0, 3]))
    >>> model
    Sequential(
      (0): Linear(3, 4, bias=True)
      (1): LogSoftmax(dim=1)
    )
    """

    _method = "log_softmax"


class Flatten(Module):
    r"""Merge dims ``start_dim`` to ``end_dim`` into one; by default all but the batch dim."""

    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x):
        check.tensor("Flatten", "input", x)
        return x.flatten(self.start_dim, self.end_dim)

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"
