r"""Fused recurrent cells: the elementwise part of an LSTM or GRU step as one node.

After its two matrix products, a cell step is a dozen elementwise operations.
Composed from primitives (:func:`lstm_cell_reference`, :func:`gru_cell_reference`,
the textbook form) each of them is a node, with its own Python calls forward and
backward and its own temporary arrays. The fused primitives compute the same
function as one node, the way PyTorch's ``_thnn_fused_lstm_cell`` and Chainer's
``lstm`` do: the forward in a few passes over the gate array, the backward from the
saved gate activations in a few more.

On a backend that compiles kernels (CuPy), the forward and the backward are one
CUDA kernel each (``LSTM_FORWARD``, ``LSTM_BACKWARD``, ``GRU_FORWARD``,
``GRU_BACKWARD``, which the CuPy backend's ``cupy_kernels`` holds): on a GPU a
step's cost is counted in kernel launches.

Their first-order backward writes into arrays in place (``out=``, slices of one
gate array), which no Tensor operation can record. When the backward pass is
itself recorded (``create_graph=True``) they differentiate their reference
composition instead, so higher derivatives come from the same primitives as
everywhere else; the tests check that both paths agree.
"""

from minigrad import autograd
from minigrad.backends.cupy_kernels import GRU_BACKWARD, GRU_FORWARD, LSTM_BACKWARD, LSTM_FORWARD
from minigrad.function import Function
from minigrad.grad_mode import recording
from minigrad.gradients import bias_gradient, weight_gradient


def lstm_cell_reference(input_gates, hidden_gates, c):
    r"""The LSTM cell update composed from primitives: what :class:`FusedLSTMCell` computes.

    With the gate blocks :math:`(i, f, g, o)` of :math:`a = W_{ih} x + b_{ih} + W_{hh} h + b_{hh}`:
    :math:`c' = \sigma(f) \odot c + \sigma(i) \odot \tanh(g)`,
    :math:`h' = \sigma(o) \odot \tanh(c')`.
    """
    i, f, g, o = ops.chunk(input_gates + hidden_gates, 4, -1)
    c = f.sigmoid() * c + i.sigmoid() * g.tanh()
    h = o.sigmoid() * c.tanh()
    return h, c


def gru_cell_reference(input_gates, hidden_gates, h):
    r"""The GRU update (``reset_after`` form) composed from primitives: what
    :class:`FusedGRUCell` computes.

    With the blocks :math:`(r, z, n)` of :math:`a = W_{ih} x + b_{ih}` and
    :math:`b = W_{hh} h + b_{hh}`: :math:`r = \sigma(a_r + b_r)`,
    :math:`z = \sigma(a_z + b_z)`, :math:`n = \tanh(a_n + r \odot b_n)`,
    :math:`h' = (1 - z) \odot h + z \odot n`.
    """
    x_r, x_z, x_n = ops.chunk(input_gates, 3, -1)
    h_r, h_z, h_n = ops.chunk(hidden_gates, 3, -1)
    r, z = (x_r + h_r).sigmoid(), (x_z + h_z).sigmoid()
    n = (x_n + r * h_n).tanh()
    return h + z * (n - h)


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
    r"""``h', c' = lstm_cell_reference(input_gates, hidden_gates, c)`` as one node.

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

    __slots__ = ()

    def forward(self, xp, input_gates, hidden_gates, c):
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
        if recording():  # create_graph: a differentiable backward, from the reference
            return autograd.local_vjp(lstm_cell_reference, self, (gh, gc))
        input_gates, hidden_gates, c = self.arrays
        grad, gc_prev = self.gate_gradients(gh, gc, c, (input_gates, hidden_gates))
        return grad, grad, gc_prev

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


def lstm_step_reference(x, h, c, weight_ih, weight_hh, bias_ih=None, bias_hh=None):
    r"""One whole LSTM step composed from primitives: what :class:`LSTMStep` computes.

    The gate projections :math:`W_{ih} x + b_{ih} + b_{hh}` and :math:`W_{hh} h`, then
    :func:`lstm_cell_reference`.
    """
    bias = None if bias_ih is None else bias_ih + bias_hh
    return lstm_cell_reference(ops.linear(x, weight_ih, bias), ops.linear(h, weight_hh), c)


class LSTMStep(FusedLSTMCell):
    r"""``h', c' = lstm_step_reference(x, h, c, W_ih, W_hh, b_ih, b_hh)`` as one node.

    :class:`FusedLSTMCell` with the two gate projections inside the node. A cell stepped
    by hand (a Python loop over ``LSTMCell``) then keeps, per step, only what the
    backward needs, the activations and :math:`\tanh(c')`: the projections, four times
    the state's width each, are temporaries of the forward, not tape entries. With
    :math:`\bar a` the pre-activations' gradient: :math:`\bar x = \bar a W_{ih}`,
    :math:`\bar h = \bar a W_{hh}`, :math:`\bar W_{ih} = \bar a^\top x`,
    :math:`\bar W_{hh} = \bar a^\top h`, and :math:`\bar b_{ih} = \bar b_{hh}` the
    column sums of :math:`\bar a`.
    """

    __slots__ = ()

    def forward(self, xp, x, h, c, weight_ih, weight_hh, bias_ih=None, bias_hh=None):
        input_gates = xp.matmul(x, weight_ih.T)
        if bias_ih is not None:
            input_gates += bias_ih
            input_gates += bias_hh
        hidden_gates = xp.matmul(h, weight_hh.T)
        if self.backend.compiles_kernels:  # its backward kernel recomputes from both
            self.saved = input_gates, hidden_gates
            return self.backend.kernel(LSTM_FORWARD)(input_gates, hidden_gates, c, c.shape[-1])
        input_gates += hidden_gates
        return self.update(xp, input_gates, c)

    def backward(self, gh, gc):
        if recording():  # create_graph: a differentiable backward, from the reference
            return autograd.local_vjp(lstm_step_reference, self, (gh, gc))
        x, h, c, weight_ih, weight_hh = self.arrays[:5]
        grad, gc_prev = self.gate_gradients(gh, gc, c, self.saved)
        need = self.needs_input_grad
        grads = [grad @ weight_ih if need[0] else None, grad @ weight_hh if need[1] else None,
                 gc_prev, weight_gradient(self, 3, grad, x), weight_gradient(self, 4, grad, h)]
        grads += [bias_gradient(self, k, grad) for k in range(5, len(need))]
        return tuple(grads)


class FusedGRUCell(Function):
    r"""``h' = gru_cell_reference(input_gates, hidden_gates, h)`` as one node.

    Saves :math:`r, z, n` (recomputed instead where the backend compiles kernels).
    With :math:`\bar n_a = \bar h' \odot z \odot (1 - n^2)`:
    :math:`\bar a = (\bar r_a, \bar z_a, \bar n_a)` for the input gates and
    :math:`(\bar r_a, \bar z_a, r \odot \bar n_a)` for the hidden ones, where
    :math:`\bar r_a = \bar n_a \odot b_n \odot r(1-r)` and
    :math:`\bar z_a = \bar h' \odot (n - h) \odot z(1-z)`; and
    :math:`\bar h = \bar h' \odot (1 - z)`.
    """

    __slots__ = ()

    def forward(self, xp, input_gates, hidden_gates, h):
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
        if recording():  # create_graph: a differentiable backward, from the reference
            return autograd.local_vjp(gru_cell_reference, self, (gh,))
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


from minigrad import ops  # noqa: E402  (circular: the references use the public ops)
