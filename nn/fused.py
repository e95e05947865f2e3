r"""The cells' fast paths: the same step as a cell's ``step``, in fewer nodes.

A cell's :meth:`~minigrad.nn.RNNCellBase.step` is the reference equations, one
primitive per line: a dozen nodes per LSTM step, each with its own Python calls
forward and backward and its own temporary arrays. The functions here compute the
same step through the fused nodes of ``nn/_fused_nodes.py``
(:class:`~minigrad.nn._fused_nodes.FusedLSTMCell`,
:class:`~minigrad.nn._fused_nodes.LSTMStep`,
:class:`~minigrad.nn._fused_nodes.FusedGRUCell`): after the matrix products, the
gates and the state update are one node with a hand-derived backward, in a few
passes over the gate array (one CUDA kernel each way where the backend compiles
kernels). A cell or layer with ``fused=True`` (the default) runs these;
``fused=False`` runs ``step``. A recorded backward (``create_graph=True``)
differentiates the cell's ``step`` itself. The tests check both agree in values,
gradients and second derivatives.
"""

from . import functional as F
from ._fused_nodes import FusedGRUCell, FusedLSTMCell, LSTMStep


def lstm_step(cell, x_proj, state, dropped=None):
    """:meth:`LSTMCell.step <minigrad.nn.LSTMCell.step>` with the gates as one node.

    Parameters
    ----------
    cell : minigrad.nn.LSTMCell
        Whose ``weight_hh`` is used.
    x_proj : Tensor
        ``(B, 4H)``, the cell's input projection.
    state : tuple of Tensor
        ``(h, c)``, ``(B, H)`` each (``h``: ``(B, P)`` with a projection).
    dropped : tuple or None
        The recurrence as dropout leaves it
        (:meth:`~minigrad.nn.RNNCellBase.recurrent_inputs`): the node takes the product
        of the dropped weight and state.

    Returns
    -------
    tuple of Tensor
        ``(h', c')``; a cell with ``proj_size`` then projects ``h'`` by its ``weight_hr``.

    Examples
    --------
    >>> import numpy as np
    >>> from minigrad import nn
    >>> cell = nn.LSTMCell(3, 2, dtype=mg.float64)
    >>> x_proj = cell.input_projection(mg.randn(4, 3, dtype=mg.float64))
    >>> state = (mg.randn(4, 2, dtype=mg.float64), mg.randn(4, 2, dtype=mg.float64))
    >>> fused, composed = nn.fused.lstm_step(cell, x_proj, state), cell.step(x_proj, state)
    >>> all(np.allclose(a.numpy(), b.numpy()) for a, b in zip(fused, composed))
    True
    """
    h, c = state
    w_hh, h = cell.recurrent_inputs(h, dropped)
    h, c = FusedLSTMCell.apply(x_proj, F.linear(h, w_hh), c, cell_type=type(cell))
    return (F.linear(h, cell.weight_hr) if cell.proj_size else h), c


def lstm_step_from_input(cell, x, state, dropped=None):
    """A whole LSTM step from the input, the gate projections inside the node.

    What a fused :class:`~minigrad.nn.LSTMCell` call runs: stepped by hand, the tape
    then keeps only the activations of each step (see :func:`minigrad.lstm_cell`).
    ``h`` enters the node through :math:`W_{hh} h` only, so recurrent dropout
    (``dropped``, see :func:`lstm_step`) hands it the dropped ``h`` and weight.

    Examples
    --------
    >>> from minigrad import nn
    >>> cell = nn.LSTMCell(3, 2)
    >>> h, c = nn.fused.lstm_step_from_input(cell, mg.randn(4, 3), cell.zero_state(4))
    >>> print(mg.viz.tape(h, module=cell).splitlines()[-1])
    %6.0, %6.1 = lstmstep(%0, %1, %1, weight_ih, weight_hh, bias_ih, bias_hh)  (4, 2), (4, 2)
    """
    h, c = state
    w_hh, h = cell.recurrent_inputs(h, dropped)
    biases = (cell.bias_ih, cell.bias_hh) if cell.bias else ()
    return LSTMStep.apply(x, h, c, cell.weight_ih, w_hh, *biases, cell_type=type(cell))


def gru_step(cell, x_proj, h, dropped=None):
    """:meth:`GRUCell.step <minigrad.nn.GRUCell.step>` (``reset_after=True``) as one node.

    One product :math:`W_{hh} h + b_{hh}` serves all three gate blocks; the gates
    and the update are then one node, as :func:`minigrad.fused_gru_cell` computes them.
    Recurrent dropout (``dropped``, see :func:`lstm_step`) drops the product's factors
    only: the update takes the whole ``h``.

    Examples
    --------
    >>> import numpy as np
    >>> from minigrad import nn
    >>> cell = nn.GRUCell(3, 2, reset_after=True, dtype=mg.float64)
    >>> x_proj = cell.input_projection(mg.randn(4, 3, dtype=mg.float64))
    >>> h = mg.randn(4, 2, dtype=mg.float64)
    >>> fused, composed = nn.fused.gru_step(cell, x_proj, h), cell.step(x_proj, h)
    >>> np.allclose(fused.numpy(), composed.numpy())
    True
    """
    w_hh, h_in = cell.recurrent_inputs(h, dropped)
    hidden_gates = F.linear(h_in, w_hh, cell.bias_hh)
    return FusedGRUCell.apply(x_proj, hidden_gates, h, cell_type=type(cell))
