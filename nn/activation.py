r"""Elementwise layers: the nonlinearities and dropout, as modules for :class:`Sequential`."""

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
