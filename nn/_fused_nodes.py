r"""The fused nodes: an LSTM or GRU step after its matrix products, as one node.

Composed from primitives (a cell's :meth:`~minigrad.nn.RNNCellBase.step`) the gates
and the state update of a step are a dozen nodes, each with its own Python calls
forward and backward and its own temporary arrays. These nodes compute the same
function as one, the way PyTorch's ``_thnn_fused_lstm_cell`` and Chainer's ``lstm``
do: the forward in a few passes over the gate array, the backward, derived by hand,
from the saved gate activations in a few more. On a backend that compiles kernels
(CuPy) each direction is one CUDA kernel (the CuPy backend's ``cupy_kernels`` holds
them): on a GPU a step's cost is counted in kernel launches.

They are primitives written as a user would write one (:doc:`/guide/writing-a-primitive`):
a :class:`~minigrad.function.Function` with a forward on arrays and a backward. Their
first-order backward writes into arrays in place (``out=``, slices of one gate
array), which no Tensor operation can record. When the backward pass is itself
recorded (``create_graph=True``) each node recomputes its outputs with its cell's own
:meth:`~minigrad.nn.RNNCellBase.step` and differentiates that
(:func:`~minigrad.autograd.local_vjp`), so higher derivatives come from the same
equations a learner reads; the tests check that both paths agree.

:mod:`minigrad.nn.fused` applies them for the cells; :func:`minigrad.fused_lstm_cell`,
:func:`minigrad.lstm_cell` and :func:`minigrad.fused_gru_cell` apply them to any tensors.
"""

import minigrad as mg
from minigrad.autograd import local_vjp
from minigrad.backends.cupy_kernels import GRU_BACKWARD, GRU_FORWARD, LSTM_BACKWARD, LSTM_FORWARD
from minigrad.function import Function
from minigrad.grad_mode import recording
from minigrad.gradients import bias_gradient, weight_gradient


def _cell_holding(cell_type, **attributes):
    """A ``cell_type`` holding ``attributes``: a node's input tensors as its parameters, and
    the options its step reads, so that the cell's own step runs on the node's inputs.

    Made without ``__init__``, so that nothing is allocated and no random number drawn.
    """
    cell = object.__new__(cell_type)
    vars(cell).update(attributes)
    return cell


def _sigmoid_(backend, a):
    """Overwrite ``a`` with its sigmoid: :class:`~minigrad.ops.elementwise.Sigmoid`'s
    overflow-free tanh form, computed in place in an array the fused op owns."""
    half = backend.number_as_array(0.5, a)  # taken once, used three times
    a *= half
    backend.xp.tanh(a, out=a)
    a *= half
    a += half


def _lstm_blocks(a, hidden):
    """The views of the gate blocks ``(i, f, g, o)`` of ``a``, each ``hidden`` wide.

    Written out: a generator over the four would cost as much as one small pass of NumPy.
    """
    return (a[..., :hidden], a[..., hidden:2 * hidden], a[..., 2 * hidden:3 * hidden],
            a[..., 3 * hidden:])


class FusedLSTMCell(Function):
    r"""The LSTM's gates and state update as one node: ``h', c'`` from the gate projections.

    Computes :meth:`LSTMCell.step <minigrad.nn.LSTMCell.step>` after its product, with
    :math:`a = W_{ih} x + b_{ih} + b_{hh} + W_{hh} h` given as two terms (the input and
    the hidden gate projections); ``cell_type``, the cell class whose step it computes,
    recomputes it for a recorded backward.

    Saves the four gate activations and :math:`\tanh(c')` (a backend that compiles
    kernels saves nothing and recomputes them in its backward kernel). With
    :math:`\bar c_{\text{tot}} = \bar c' + \bar h' \odot o \odot (1 - \tanh^2 c')`, the
    gradient of the pre-activations is, block by block,
    :math:`\bar a_i = \bar c_{\text{tot}} \odot g \odot i(1-i)`,
    :math:`\bar a_f = \bar c_{\text{tot}} \odot c \odot f(1-f)`,
    :math:`\bar a_g = \bar c_{\text{tot}} \odot i \odot (1-g^2)`,
    :math:`\bar a_o = \bar h' \odot \tanh c' \odot o(1-o)`, shared by both gate inputs,
    and :math:`\bar c = \bar c_{\text{tot}} \odot f`.
    """

    __slots__ = ("cell_type",)

    def forward(self, xp, input_gates, hidden_gates, c, *, cell_type):
        self.cell_type = cell_type
        if self.backend.compiles_kernels:  # nothing saved: the backward kernel recomputes
            return self.backend.kernel(LSTM_FORWARD)(input_gates, hidden_gates, c, c.shape[-1])
        return self.update(xp, input_gates + hidden_gates, c)

    def update(self, xp, act, c):
        """``h', c'`` from the pre-activations ``act`` (overwritten by the activations)."""
        i, f, g, o = _lstm_blocks(act, c.shape[-1])
        # One sigmoid over the whole contiguous array is cheaper than three over strided
        # gate views; g's block then gets its tanh from the pre-activation kept aside.
        tanh_g = xp.tanh(g)
        _sigmoid_(self.backend, act)
        g[...] = tanh_g
        c_new = f * c
        tanh_g *= i  # no longer needed as such: i * g in its place, not in a new array
        c_new += tanh_g
        tanh_c = xp.tanh(c_new)
        self.saved = act, tanh_c
        return o * tanh_c, c_new

    def backward(self, gh, gc):
        if recording():  # create_graph: a differentiable backward, through the cell's step
            return local_vjp(self.recompute, self, (gh, gc))
        input_gates, hidden_gates, c = self.arrays
        grad, gc_prev = self.gate_gradients(gh, gc, c, (input_gates, hidden_gates))
        return grad, grad, gc_prev

    def recompute(self, input_gates, hidden_gates, c):
        r"""The node's outputs by the cell's step, on the node's inputs (Tensors).

        The step computes its product :math:`W_{hh} h` itself, and here it is given: so
        the step runs with zero recurrent weights and both projections as the input's,
        :math:`a = 0 \cdot h + (W_{ih} x + b_{ih} + b_{hh}) + W_{hh} h`. The batch axes
        fold into one, as a step takes ``(B, 4H)``.
        """
        hidden = c.shape[-1]
        rows = c.reshape(-1, hidden)
        cell = _cell_holding(self.cell_type, proj_size=0, weight_hh=mg.zeros(
            4 * hidden, hidden, dtype=c.dtype, backend=c.backend))
        x_proj = (input_gates + hidden_gates).reshape(-1, 4 * hidden)
        h_new, c_new = cell.step(x_proj, (mg.zeros_like(rows), rows))
        return h_new.reshape(c.shape), c_new.reshape(c.shape)

    def gate_gradients(self, gh, gc, c, gates):
        """The pre-activations' gradient and, if needed, the previous cell state's.

        ``gates``, the input and hidden gate projections, are read only by a backend
        that compiles kernels: its backward kernel recomputes the activations from them.
        """
        xp = self.backend.xp
        if self.backend.compiles_kernels:
            return self._kernel_backward(xp, gh, gc, c, *gates)
        act, tanh_c = self.saved
        hidden = tanh_c.shape[-1]
        i, f, g, o = _lstm_blocks(act, hidden)
        one = self.backend.number_as_array(1, act)
        # The local slope of every pre-activation: a(1 - a) for the sigmoid gates, over the
        # whole contiguous array at once, then 1 - g^2 written over g's block.
        slope = act * act
        xp.subtract(act, slope, out=slope)
        slope_g = slope[..., 2 * hidden:3 * hidden]
        xp.multiply(g, g, out=slope_g)
        xp.subtract(one, slope_g, out=slope_g)
        grad = xp.empty_like(act)
        g_i, g_f, g_g, g_o = _lstm_blocks(grad, hidden)
        if gh is None:
            g_o[...] = 0
            gc_total = gc
        else:
            xp.multiply(gh, tanh_c, out=g_o)
            gc_total = tanh_c * tanh_c
            xp.subtract(one, gc_total, out=gc_total)
            gc_total *= o
            gc_total *= gh
            if gc is not None:
                gc_total += gc
        xp.multiply(gc_total, g, out=g_i)
        xp.multiply(gc_total, c, out=g_f)
        xp.multiply(gc_total, i, out=g_g)
        grad *= slope
        return grad, (gc_total * f if self.needs_input_grad[2] else None)

    def _kernel_backward(self, xp, gh, gc, c, input_gates, hidden_gates):
        """The backward above as one kernel, LSTM_BACKWARD."""
        # A missing gradient (an output the loss does not use) counts as zero.
        zero = None if gh is not None and gc is not None else xp.zeros(c.shape, c.dtype)
        # A kernel takes all its outputs or none, and `grad` is too wide to be allocated
        # for it: both are allocated here.
        grad, gc_prev = self.backend.kernel(LSTM_BACKWARD)(
            input_gates, hidden_gates, c, zero if gh is None else gh, zero if gc is None else gc,
            c.shape[-1], xp.empty(input_gates.shape, c.dtype), xp.empty(c.shape, c.dtype))
        return grad, (gc_prev if self.needs_input_grad[2] else None)


class LSTMStep(FusedLSTMCell):
    r"""A whole LSTM step as one node: ``h', c'`` from ``x, h, c`` and the four parameters.

    Computes :meth:`LSTMCell.step <minigrad.nn.LSTMCell.step>` of the cell's
    :meth:`~minigrad.nn.RNNCellBase.input_projection`: :class:`FusedLSTMCell` with the
    two gate projections inside the node. A cell stepped by hand (a Python loop over
    ``LSTMCell``) then keeps, per step, only what the backward needs, the activations
    and :math:`\tanh(c')`: the projections, four times the state's width each, are
    temporaries of the forward, not tape entries. With
    :math:`\bar a` the pre-activations' gradient: :math:`\bar x = \bar a W_{ih}`,
    :math:`\bar h = \bar a W_{hh}`, :math:`\bar W_{ih} = \bar a^\top x`,
    :math:`\bar W_{hh} = \bar a^\top h`, and :math:`\bar b_{ih} = \bar b_{hh}` the
    column sums of :math:`\bar a`.
    """

    __slots__ = ()

    def forward(self, xp, x, h, c, weight_ih, weight_hh, bias_ih=None, bias_hh=None, *,
                cell_type):
        self.cell_type = cell_type
        input_gates = self.backend.matmul_transposed(x, weight_ih)
        if bias_ih is not None:
            input_gates += bias_ih
            input_gates += bias_hh
        hidden_gates = self.backend.matmul_transposed(h, weight_hh)
        if self.backend.compiles_kernels:  # its backward kernel recomputes from both
            self.saved = input_gates, hidden_gates
            return self.backend.kernel(LSTM_FORWARD)(input_gates, hidden_gates, c, c.shape[-1])
        input_gates += hidden_gates
        return self.update(xp, input_gates, c)

    def backward(self, gh, gc):
        if recording():  # create_graph: a differentiable backward, through the cell's step
            return local_vjp(self.recompute, self, (gh, gc))
        x, h, c, weight_ih, weight_hh = self.arrays[:5]
        grad, gc_prev = self.gate_gradients(gh, gc, c, self.saved)
        need = self.needs_input_grad
        grads = [grad @ weight_ih if need[0] else None, grad @ weight_hh if need[1] else None,
                 gc_prev, weight_gradient(self, 3, grad, x), weight_gradient(self, 4, grad, h)]
        grads += [bias_gradient(self, k, grad) for k in range(5, len(need))]
        return tuple(grads)

    def recompute(self, x, h, c, weight_ih, weight_hh, bias_ih=None, bias_hh=None):
        """The node's outputs by the cell's own input projection and step, on its inputs."""
        cell = _cell_holding(self.cell_type, bias=bias_ih is not None, proj_size=0,
                             weight_ih=weight_ih, weight_hh=weight_hh, bias_ih=bias_ih,
                             bias_hh=bias_hh)
        return cell.step(cell.input_projection(x), (h, c))


class FusedGRUCell(Function):
    r"""The GRU's gates and state update (``reset_after`` form) as one node: ``h'``.

    Computes :meth:`GRUCell.step <minigrad.nn.GRUCell.step>` with ``reset_after=True``
    after its products, given :math:`W_{ih} x + b_{ih}` and :math:`W_{hh} h + b_{hh}`
    (the input and hidden gate projections); ``cell_type``, the cell class whose step
    it computes, recomputes it for a recorded backward.

    Saves :math:`r, z, n` (recomputed instead where the backend compiles kernels).
    With :math:`\bar n_a = \bar h' \odot z \odot (1 - n^2)`:
    :math:`\bar a = (\bar r_a, \bar z_a, \bar n_a)` for the input gates and
    :math:`(\bar r_a, \bar z_a, r \odot \bar n_a)` for the hidden ones, where
    :math:`\bar r_a = \bar n_a \odot b_n \odot r(1-r)` and
    :math:`\bar z_a = \bar h' \odot (n - h) \odot z(1-z)`; and
    :math:`\bar h = \bar h' \odot (1 - z)`.
    """

    __slots__ = ("cell_type",)

    def forward(self, xp, input_gates, hidden_gates, h, *, cell_type):
        self.cell_type = cell_type
        hidden = h.shape[-1]
        if self.backend.compiles_kernels:  # nothing saved: the backward kernel recomputes
            return self.backend.kernel(GRU_FORWARD)(input_gates, hidden_gates, h, hidden)
        act = input_gates + hidden_gates
        _sigmoid_(self.backend, act)  # over all three blocks: contiguous; n's is redone below
        r, z, n = act[..., :hidden], act[..., hidden:2 * hidden], act[..., 2 * hidden:]
        xp.multiply(r, hidden_gates[..., 2 * hidden:], out=n)
        n += input_gates[..., 2 * hidden:]
        xp.tanh(n, out=n)
        self.saved = act
        h_new = n - h
        h_new *= z
        h_new += h
        return h_new

    def backward(self, gh):
        if recording():  # create_graph: a differentiable backward, through the cell's step
            return local_vjp(self.recompute, self, (gh,))
        xp = self.backend.xp
        input_gates, hidden_gates, h = self.operands()
        hidden = h.shape[-1]
        need = self.needs_input_grad
        if self.backend.compiles_kernels:  # one kernel, GRU_BACKWARD; it takes every output
            g_input, g_hidden, g_h = self.backend.kernel(GRU_BACKWARD)(
                input_gates, hidden_gates, h, gh, hidden, xp.empty(input_gates.shape, h.dtype),
                xp.empty(input_gates.shape, h.dtype), xp.empty(h.shape, h.dtype))
            return (g_input if need[0] else None), (g_hidden if need[1] else None), (
                g_h if need[2] else None)
        act = self.saved
        r, z, n = act[..., :hidden], act[..., hidden:2 * hidden], act[..., 2 * hidden:]
        g_input = xp.empty_like(act)
        g_r, g_z, g_n = (g_input[..., :hidden], g_input[..., hidden:2 * hidden],
                         g_input[..., 2 * hidden:])
        xp.multiply(gh, z, out=g_n)
        slope_n = n * n
        xp.subtract(self.backend.number_as_array(1, act), slope_n, out=slope_n)
        g_n *= slope_n
        xp.multiply(g_n, hidden_gates[..., 2 * hidden:], out=g_r)  # times h_n
        xp.subtract(n, h, out=g_z)
        g_z *= gh
        rz = act[..., :2 * hidden]
        g_input[..., :2 * hidden] *= rz - rz * rz  # the sigmoid slopes of r and z at once
        g_hidden = None
        if need[1]:
            g_hidden = g_input.copy()
            g_hidden[..., 2 * hidden:] *= r
        return (g_input if need[0] else None), g_hidden, (gh - gh * z if need[2] else None)

    def recompute(self, input_gates, hidden_gates, h):
        """The node's output by the cell's step, on the node's inputs (Tensors).

        The step computes its product :math:`W_{hh} h + b_{hh}` itself, and here it is
        given: so the step runs with zero recurrent weights and the given product as
        their bias, one row per row of ``h``. The batch axes fold into one, as a step
        takes ``(B, 3H)``.
        """
        hidden = h.shape[-1]
        cell = _cell_holding(
            self.cell_type, reset_after=True, bias_hh=hidden_gates.reshape(-1, 3 * hidden),
            weight_hh=mg.zeros(3 * hidden, hidden, dtype=h.dtype, backend=h.backend))
        h_new = cell.step(input_gates.reshape(-1, 3 * hidden), h.reshape(-1, hidden))
        return h_new.reshape(h.shape)
