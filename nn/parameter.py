r"""Parameters: the tensors a module learns."""

import minigrad as mg

from . import _checks as check


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
