r"""The recurrent cells: one time step of the Elman RNN, the GRU and the LSTM.

Each cell's :meth:`~RNNCellBase.step` is the reference equations written with minigrad
primitives, one line per equation, the equation beside it: its backward is the
engine's reverse mode over those lines, and nothing in it is derived by hand. The
gate blocks of a cell are stacked, PyTorch's way: one ``weight_ih`` of
``num_chunks * hidden_size`` rows holds every gate's input weights, so one matrix
product computes all gates, and :func:`minigrad.split` (one node; its backward is
one concat) hands out the blocks.

The LSTM and the GRU with ``reset_after=True`` also have a fused form of the same
step (:mod:`minigrad.nn.fused`): one node in place of the gates' dozen, with a
hand-derived backward, tested equal to ``step`` up to second derivatives. With
``fused=True`` (the default) calls and layers run it; ``fused=False`` runs ``step``,
so the tape shows every gate.

Every cell splits its work in two. The input projection :math:`W_{ih} x + b_{ih}`
depends on the input only; :meth:`RNNCellBase.step` does the rest from that
projection and the previous state. A sequence layer can therefore compute the
projections of all time steps in one product and then call the same ``step``, so the
cell equations live in one place.

A step can also be given the recurrence that dropout leaves (its ``dropped``
argument): the weight :math:`W_{hh}` to use and a mask on the state it multiplies.
Only the product :math:`W_{hh} h` sees them; the state carried forward (the GRU's
:math:`(1 - z) \odot h`, the LSTM's :math:`c`) is never dropped.
"""

import abc
import math

import minigrad as mg

from . import _checks as check
from . import functional as F
from . import fused as fast
from . import init
from .module import Module, Parameter


def _parameter(shape, dtype, backend):
    return Parameter(mg.zeros(shape, dtype=dtype, backend=backend))


def _nonlinearity(owner, name, value):
    """Return ``value`` if it names one of :class:`RNNCell`'s nonlinearities."""
    if not (isinstance(value, str) and value in ("tanh", "relu")):
        raise ValueError(f"{owner}: expected {name} 'tanh' or 'relu', got {value!r}")
    return value


class RNNCellBase(Module, metaclass=abc.ABCMeta):
    r"""What the three cells share: fused gate blocks, PyTorch's parameters, input checks.

    A subclass sets ``num_chunks`` (its number of gate blocks), ``state_names`` (the
    parts of its state), ``option_checks`` (pairs of its own constructor options and the
    function ``check(owner, name, value)`` that returns each checked, so that a sequence
    layer can check them in its own name) and writes its equations in :meth:`step`; a
    cell with a fused form of the step overrides :meth:`fused_step` too.

    Every cell takes ``recurrent_dropout=p``, variational dropout of the state fed back
    (Gal and Ghahramani 2016): in training, the state entering the product
    :math:`W_{hh} h` is multiplied by a mask of zeros and :math:`1/(1-p)` drawn once per
    sequence, the *same* at every step, one row per sequence of the batch. Stepped by
    hand, a cell draws that mask at the first step of a sequence and keeps it until the
    next sequence starts, which it recognises by ``hx=None`` (the state starts at zeros)
    or by a batch of another size; a loop that passes its own initial state calls
    :meth:`reset_dropout_mask` before each new sequence instead (as Keras' cells ask). In
    :meth:`~minigrad.nn.Module.eval` mode, or with ``p = 0``, nothing is dropped.

    Attributes
    ----------
    weight_ih : Parameter
        ``(num_chunks * hidden_size, input_size)``, the gate blocks stacked in order.
    weight_hh : Parameter
        ``(num_chunks * hidden_size, hidden_size)``.
    bias_ih, bias_hh : Parameter or None
        ``(num_chunks * hidden_size,)`` each; ``None`` when ``bias=False``.
    fused : bool
        Whether a call runs :meth:`fused_step` (``True``) or :meth:`step` (``False``).
    recurrent_dropout : float
        The probability of dropping each unit of the state fed back, in ``[0, 1)``.

    Examples
    --------
    A cell with recurrent dropout stepped over two sequences: each starts from
    ``hx=None``, so each gets its own mask, kept for all its steps.

    >>> from minigrad import nn
    >>> cell = nn.GRUCell(3, 4, recurrent_dropout=0.25)
    >>> for sequence in mg.randn(2, 6, 5, 3):   # 2 sequences of T=6 steps, batch of 5
    ...     h = None
    ...     for x in sequence:
    ...         h = cell(x, h)
    >>> h.shape
    (5, 4)
    """

    num_chunks = 1
    state_names = ("h",)
    option_checks = ()

    def __init__(self, input_size, hidden_size, bias=True, *, recurrent_dropout=0.0,
                 fused=True, dtype=mg.float32, backend=None, device=None):
        super().__init__()
        name = type(self).__name__
        backend = mg.backends.backend_or_device(name, backend, device)
        self.input_size = check.positive_int(name, "input_size", input_size)
        self.hidden_size = check.positive_int(name, "hidden_size", hidden_size)
        self.bias = check.boolean(name, "bias", bias)
        self.fused = check.boolean(name, "fused", fused)
        self.recurrent_dropout = check.dropout_probability(name, "recurrent_dropout",
                                                           recurrent_dropout)
        self._recurrent_mask = None  # the mask of the sequence being stepped by hand
        check.floating_dtype(name, dtype)
        rows = self.num_chunks * hidden_size
        self.weight_ih = _parameter((rows, input_size), dtype, backend)
        # W_hh reads the state fed back, h: hidden_size features, or proj_size in an LSTM
        # with a projection.
        self.weight_hh = _parameter((rows, self.state_sizes[0]), dtype, backend)
        self.bias_ih = _parameter((rows,), dtype, backend) if self.bias else None
        self.bias_hh = _parameter((rows,), dtype, backend) if self.bias else None
        self.reset_parameters()

    def reset_parameters(self):
        r"""Draw every parameter from :math:`\mathcal{U}(-k, k)`, :math:`k = 1/\sqrt{H}`."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        for parameter in self.parameters():
            init.uniform_(parameter, -bound, bound)

    def forward(self, x, hx=None):
        """One time step: the new state from input ``x`` and the previous state ``hx``.

        ``x`` is ``(B, input_size)`` or, unbatched, ``(input_size,)``; the state's tensors
        are then ``(B, hidden_size)`` or ``(hidden_size,)``, and zeros when omitted.
        """
        owner = type(self).__name__
        check.tensor(owner, "input", x)
        check.dims(owner, x, (1, 2))
        check.features(owner, x, self.input_size, "input_size")
        check.dtype(owner, "input", x, self.weight_ih.dtype)
        batched = x.ndim == 2
        if not batched:  # one sequence: computed as a batch of one, squeezed at the end
            x = x.reshape(1, -1)
        state = self._batched_state(hx, x.shape[0], batched)
        new_state = self.step_from_input(x, state, self._dropped(state, hx is None))
        if batched:
            return new_state
        return self.pack([part.reshape(-1) for part in self.unpack(new_state)])

    def reset_dropout_mask(self):
        """Forget the recurrent dropout mask: the next step starts a new sequence and draws one.

        Needed only between sequences that start from a given state; a call with
        ``hx=None``, or with another batch size, draws a new mask by itself.
        """
        self._recurrent_mask = None

    def _dropped(self, state, new_sequence):
        """What recurrent dropout leaves of this step's recurrence, ``None`` when off:
        :math:`W_{hh}` and the sequence's mask, drawn at its first step."""
        if not (self.training and self.recurrent_dropout):
            return None
        h = self.unpack(state)[0]
        mask = self._recurrent_mask
        if new_sequence or mask is None or (mask.shape, mask.dtype, mask.backend) != (
                h.shape, h.dtype, h.backend):
            mask = self._recurrent_mask = F.dropout_mask(h.shape, self.recurrent_dropout, h)
        return self.weight_hh, mask

    def _batched_state(self, state, batch_size, batched):
        if state is None:
            return self.zero_state(batch_size)
        shapes = [(batch_size, size) if batched else (size,) for size in self.state_sizes]
        parts = check.state(type(self).__name__, self.state_names, state, shapes,
                            self.weight_hh.dtype)
        return self.pack(parts if batched else [part.reshape(1, -1) for part in parts])

    def input_projection(self, x):
        r"""What :meth:`step` takes of the input: :math:`W_{ih} x + b_{ih} + b_{hh}`, for any rows.

        It does not depend on the state, so a sequence layer computes it for all time
        steps at once, as one matrix product. The cell equations use the two biases
        only as their sum, the single bias of the reference text, so it is added here
        once, and a step's product :math:`W_{hh} h` needs no bias. (The GRU overrides
        this: its reset gate scales part of :math:`b_{hh}`.)

        Parameters
        ----------
        x : Tensor
            ``(N, input_size)``.

        Returns
        -------
        Tensor
            ``(N, num_chunks * hidden_size)``.
        """
        if not self.bias:
            return F.linear(x, self.weight_ih)
        return F.linear(x, self.weight_ih, self.bias_ih + self.bias_hh)

    def step_from_input(self, x, state, dropped=None):
        """One step from the input itself: the chosen step of the input's projection.

        What a call of the cell runs (:meth:`fused_step` or :meth:`step`, as ``fused``
        says); a sequence layer projects all its steps at once instead, with
        :meth:`~minigrad.nn.RNNCellBase.input_projection`.
        """
        return self.chosen_step(self.fused)(self.input_projection(x), state, dropped)

    def recurrent_inputs(self, h, dropped):
        r"""The two factors of the product :math:`W_{hh} h` a step computes.

        Parameters
        ----------
        h : Tensor
            The state fed back, ``(B, H)``.
        dropped : tuple or None
            ``None``: the cell's own :math:`W_{hh}` and ``h``. Otherwise ``(weight_hh,
            mask)`` from recurrent dropout: that weight (DropConnect's, in a layer with
            ``weight_dropout``) and :math:`m \odot h` (``h`` itself when ``mask`` is
            ``None``), the mask the same at every step of the sequence.

        Returns
        -------
        tuple of Tensor
            :math:`W_{hh}` and the state it multiplies.
        """
        if dropped is None:
            return self.weight_hh, h
        weight_hh, mask = dropped
        return weight_hh, h if mask is None else h * mask

    def chosen_step(self, fused):
        """:meth:`fused_step` if ``fused``, else :meth:`step`: the bound method to run."""
        return self.fused_step if fused else self.step

    def fused_step(self, x_proj, state, dropped=None):
        """The same function as :meth:`step`, as few nodes as :mod:`minigrad.nn.fused` makes it.

        :meth:`step` itself here: a cell with nothing to fuse.
        """
        return self.step(x_proj, state, dropped)

    @abc.abstractmethod
    def step(self, x_proj, state, dropped=None):
        r"""The cell equations, given the input's projection ``x_proj``.

        Parameters
        ----------
        x_proj : Tensor
            ``(B, num_chunks * hidden_size)``, what
            :meth:`~minigrad.nn.RNNCellBase.input_projection` made of the input.
        state
            The previous state, batched.
        dropped : tuple or None
            The recurrence as dropout leaves it (see :meth:`recurrent_inputs`).

        Returns
        -------
        Tensor or tuple of Tensor
            The new state, batched.
        """

    @property
    def state_sizes(self):
        """The features of each part of the state, in the order of ``state_names``."""
        return (self.hidden_size,) * len(self.state_names)

    def zero_state(self, batch_size):
        """The all-zeros state for ``batch_size`` sequences: where every sequence starts."""
        like = self.weight_hh
        # One zeros tensor per width, shared by the parts of that width (h and c, unless h
        # is projected): one leaf on the tape, not two.
        zeros = {size: mg.zeros(batch_size, size, dtype=like.dtype, backend=like.backend)
                 for size in set(self.state_sizes)}
        return self.pack([zeros[size] for size in self.state_sizes])

    def pack(self, parts):
        """The state from its parts: ``h`` itself for one part, the tuple ``(h, c)`` for two."""
        return parts[0] if len(self.state_names) == 1 else tuple(parts)

    def unpack(self, state):
        """The parts of ``state`` as a tuple (the inverse of :meth:`pack`)."""
        return (state,) if len(self.state_names) == 1 else tuple(state)

    def extra_repr(self):
        return (f"{self.input_size}, {self.hidden_size}" + ("" if self.bias else ", bias=False")
                + ("" if self.fused else ", fused=False")
                + (f", recurrent_dropout={self.recurrent_dropout}"
                   if self.recurrent_dropout else ""))


class RNNCell(RNNCellBase):
    r"""The Elman RNN cell.

    .. math::
        h' = f(W_{ih} x + b_{ih} + W_{hh} h + b_{hh}), \qquad f \in \{\tanh, \operatorname{relu}\}

    This is the reference recurrence :math:`h[t] = f(W_x x[t] + W_h h[t-1] + b_h)` with
    the bias split in two, PyTorch's way (:math:`b_h = b_{ih} + b_{hh}`).

    Parameters
    ----------
    input_size : int
        The number of features :math:`I` of the input :math:`x`.
    hidden_size : int
        The number of features :math:`H` of the state :math:`h`.
    bias : bool
        Whether to learn :math:`b_{ih}` and :math:`b_{hh}`.
    nonlinearity : {"tanh", "relu"}
        :math:`f`.
    fused : bool
        Accepted for symmetry with the gated cells: this step is already two nodes,
        so both settings run :meth:`step`.
    recurrent_dropout : float
        Variational dropout of :math:`h` in :math:`W_{hh} h`, in training (see
        :class:`RNNCellBase`).
    dtype, backend
        Of the parameters.

    Inputs
    ------
    x : Tensor
        ``(B, I)`` or ``(I,)``.
    h : Tensor, optional
        ``(B, H)`` or ``(H,)``; zeros when omitted.

    Outputs
    -------
    h' : Tensor
        ``(B, H)`` or ``(H,)``.

    Attributes
    ----------
    weight_ih : Parameter
        :math:`W_{ih}`, ``(H, I)``.
    weight_hh : Parameter
        :math:`W_{hh}`, ``(H, H)``.
    bias_ih, bias_hh : Parameter or None
        ``(H,)`` each.

    Notes
    -----
    Every parameter starts from :math:`\mathcal{U}(-k, k)`, :math:`k = 1/\sqrt{H}`.

    Examples
    --------
    >>> from minigrad import nn
    >>> cell = nn.RNNCell(3, 5)
    >>> x = mg.randn(6, 2, 3)                  # (T, B, I)
    >>> h = mg.zeros(2, 5)
    >>> states = []
    >>> for t in range(6):
    ...     h = cell(x[t], h)
    ...     states.append(h)
    >>> mg.stack(states).shape
    (6, 2, 5)
    """

    num_chunks = 1
    option_checks = (("nonlinearity", _nonlinearity),)

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", *,
                 recurrent_dropout=0.0, fused=True, dtype=mg.float32, backend=None,
                 device=None):
        nonlinearity = _nonlinearity("RNNCell", "nonlinearity", nonlinearity)
        super().__init__(input_size, hidden_size, bias, recurrent_dropout=recurrent_dropout,
                         fused=fused, dtype=dtype, backend=backend, device=device)
        self.nonlinearity = nonlinearity

    def step(self, x_proj, h, dropped=None):
        """The recurrence, from ``x_proj`` :math:`= W_{ih} x + b_{ih} + b_{hh}` and ``h``."""
        w_hh, h = self.recurrent_inputs(h, dropped)  # W_hh and h, or what dropout leaves
        a = F.linear(h, w_hh, x_proj)  # a = W_ih x + b_ih + W_hh h + b_hh
        return a.tanh() if self.nonlinearity == "tanh" else a.relu()  # h' = f(a)

    def extra_repr(self):
        return super().extra_repr() + f", nonlinearity={self.nonlinearity!r}"


class GRUCell(RNNCellBase):
    r"""The gated recurrent unit, gate blocks :math:`(r, z, n)`.

    .. math::
        \begin{array}{ll}
        r = \sigma(W_{ir} x + b_{ir} + W_{hr} h + b_{hr}) \\
        z = \sigma(W_{iz} x + b_{iz} + W_{hz} h + b_{hz}) \\
        n = \tanh(W_{in} x + b_{in} + W_{hn} (r \odot h) + b_{hn})
            & \text{default, } \texttt{reset_after=False} \\
        n = \tanh(W_{in} x + b_{in} + r \odot (W_{hn} h + b_{hn}))
            & \texttt{reset_after=True} \\
        h' = (1 - z) \odot h + z \odot n
        \end{array}

    The default is the reference text's GRU: the reset gate scales the state before
    it meets :math:`W_{hn}`. With ``reset_after=True`` it scales the product instead,
    the cuDNN form, which lets one product :math:`W_{hh} h` serve all three blocks.
    :math:`z` is the weight of the *new* candidate, as in the reference text; PyTorch's
    GRU weights the *old* state by it instead, so that a PyTorch GRU is this cell with
    ``reset_after=True`` and :math:`z` replaced by :math:`1 - z`.
    :func:`minigrad.nn.utils.torch_gru_to_minigrad` converts its state dicts.

    Parameters
    ----------
    input_size, hidden_size : int
        :math:`I` and :math:`H`.
    bias : bool
        Whether to learn the biases; without them the equations are exactly the
        reference text's.
    reset_after : bool
        Where the reset gate applies (see above).
    fused : bool
        With ``reset_after=True``, whether a call runs the step as one fused node
        (:func:`minigrad.nn.fused.gru_step`) or as :meth:`step`'s gates; the default
        form has nothing to fuse and always runs :meth:`step`.
    recurrent_dropout : float
        Variational dropout of :math:`h` where it meets :math:`W_{hh}` (also inside
        :math:`r \odot h`), in training; the update :math:`(1 - z) \odot h` keeps the
        whole state (see :class:`RNNCellBase`).
    dtype, backend
        Of the parameters.

    Inputs
    ------
    x : Tensor
        ``(B, I)`` or ``(I,)``.
    h : Tensor, optional
        ``(B, H)`` or ``(H,)``; zeros when omitted.

    Outputs
    -------
    h' : Tensor
        ``(B, H)`` or ``(H,)``.

    Attributes
    ----------
    weight_ih : Parameter
        :math:`(W_{ir} | W_{iz} | W_{in})` stacked, ``(3H, I)``.
    weight_hh : Parameter
        :math:`(W_{hr} | W_{hz} | W_{hn})` stacked, ``(3H, H)``.
    bias_ih, bias_hh : Parameter or None
        ``(3H,)`` each, in the same block order.

    Notes
    -----
    Every parameter starts from :math:`\mathcal{U}(-k, k)`, :math:`k = 1/\sqrt{H}`.

    Examples
    --------
    >>> from minigrad import nn
    >>> cell = nn.GRUCell(3, 5)
    >>> x = mg.randn(6, 2, 3)                  # (T, B, I)
    >>> h = mg.zeros(2, 5)
    >>> for t in range(6):
    ...     h = cell(x[t], h)
    >>> h.shape
    (2, 5)
    """

    # PyTorch's GRU weights compute another cell here: load_state_dict refuses them, saying this.
    torch_conversion = (
        "Build it with reset_after=True and load "
        "nn.utils.torch_gru_to_minigrad(state_dict), which negates the update gate")

    num_chunks = 3
    option_checks = (("reset_after", check.boolean),)

    def __init__(self, input_size, hidden_size, bias=True, reset_after=False, *,
                 recurrent_dropout=0.0, fused=True, dtype=mg.float32, backend=None,
                 device=None):
        reset_after = check.boolean("GRUCell", "reset_after", reset_after)
        super().__init__(input_size, hidden_size, bias, recurrent_dropout=recurrent_dropout,
                         fused=fused, dtype=dtype, backend=backend, device=device)
        self.reset_after = reset_after

    def input_projection(self, x):
        r""":math:`W_{ih} x + b_{ih}` only: :meth:`step` adds :math:`b_{hh}` itself, because
        with ``reset_after=True`` its n block sits inside the term the reset gate scales."""
        return F.linear(x, self.weight_ih, self.bias_ih)

    def step(self, x_proj, h, dropped=None):
        """The GRU equations, from ``x_proj`` :math:`= W_{ih} x + b_{ih}` and ``h``."""
        # The products read h_in, the update reads h: dropout never touches the state kept.
        w_hh, h_in = self.recurrent_inputs(h, dropped)
        if self.reset_after:
            return self._step_reset_after(x_proj, h, w_hh, h_in)
        blocks = [2 * self.hidden_size, self.hidden_size]  # the (r, z) rows, then n's
        x_rz, x_n = mg.split(x_proj, blocks, dim=-1)
        # W_hn must wait for r, so the recurrent weights split into their (r, z) and n rows.
        w_rz, w_n = mg.split(w_hh, blocks)
        b_rz, b_n = [None, None] if self.bias_hh is None else mg.split(self.bias_hh, blocks)
        # r = σ(W_ir x + b_ir + W_hr h + b_hr), z = σ(W_iz x + b_iz + W_hz h + b_hz): one product
        r, z = mg.chunk((x_rz + F.linear(h_in, w_rz, b_rz)).sigmoid(), 2, dim=-1)
        n = (x_n + F.linear(r * h_in, w_n, b_n)).tanh()  # n = tanh(W_in x+b_in + W_hn(r⊙h)+b_hn)
        return h + z * (n - h)                           # h' = (1 - z) ⊙ h + z ⊙ n

    def _step_reset_after(self, x_proj, h, w_hh, h_in):
        x_r, x_z, x_n = mg.chunk(x_proj, 3, dim=-1)
        # One product W_hh h + b_hh for all three blocks; r then scales the n block of it.
        h_r, h_z, h_n = mg.chunk(F.linear(h_in, w_hh, self.bias_hh), 3, dim=-1)
        r = (x_r + h_r).sigmoid()     # r = σ(W_ir x + b_ir + W_hr h + b_hr)
        z = (x_z + h_z).sigmoid()     # z = σ(W_iz x + b_iz + W_hz h + b_hz)
        n = (x_n + r * h_n).tanh()    # n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))
        return h + z * (n - h)        # h' = (1 - z) ⊙ h + z ⊙ n

    def fused_step(self, x_proj, h, dropped=None):
        """:meth:`step`; with ``reset_after=True`` one node, :func:`minigrad.nn.fused.gru_step`."""
        if self.reset_after:
            return fast.gru_step(self, x_proj, h, dropped)
        return self.step(x_proj, h, dropped)

    def extra_repr(self):
        return super().extra_repr() + (", reset_after=True" if self.reset_after else "")


class LSTMCell(RNNCellBase):
    r"""The long short-term memory cell, gate blocks :math:`(i, f, g, o)`.

    .. math::
        \begin{array}{ll}
        i = \sigma(W_{ii} x + b_{ii} + W_{hi} h + b_{hi}) & \text{input gate} \\
        f = \sigma(W_{if} x + b_{if} + W_{hf} h + b_{hf}) & \text{forget gate} \\
        g = \tanh(W_{ig} x + b_{ig} + W_{hg} h + b_{hg}) & \text{candidate cell content} \\
        o = \sigma(W_{io} x + b_{io} + W_{ho} h + b_{ho}) & \text{output gate} \\
        c' = f \odot c + i \odot g \\
        h' = o \odot \tanh(c') & \text{or, with } \texttt{proj_size} > 0 \text{: }
            h' = W_{hr} (o \odot \tanh(c'))
        \end{array}

    The cell state :math:`c` is updated additively: while :math:`f \approx 1` a gradient
    passes from :math:`c'` to :math:`c` almost unchanged, which is why LSTM gradients
    survive over many more steps than an Elman RNN's. The reference text writes
    :math:`\tilde c` for :math:`g`.

    With ``proj_size`` :math:`P > 0` the hidden state is projected down to :math:`P`
    features (Sak et al. 2014, the LSTMP of speech recognition; PyTorch's
    ``nn.LSTM(proj_size=)``): :math:`h` then has :math:`P` features and :math:`c` keeps
    :math:`H`, and every gate reads the smaller :math:`h`, so :math:`W_{hh}` shrinks from
    :math:`4H \times H` to :math:`4H \times P`. PyTorch's ``LSTMCell`` has no
    projection; this one takes it so that :class:`~minigrad.nn.LSTM` can pass it on.

    Parameters
    ----------
    input_size, hidden_size : int
        :math:`I` and :math:`H`.
    bias : bool
        Whether to learn the biases; without them the equations are exactly the
        reference text's.
    proj_size : int
        :math:`P`, the features of the projected hidden state, ``0 <= P < H``; ``0``
        (the default) projects nothing.
    fused : bool
        Whether a call runs the step as one fused node (:mod:`minigrad.nn.fused`, the
        default) or as :meth:`step`'s gates, each a node on the tape.
    recurrent_dropout : float
        Variational dropout of :math:`h` in :math:`W_{hh} h`, in training; :math:`c` is
        never dropped (see :class:`RNNCellBase`).
    dtype, backend
        Of the parameters.

    Inputs
    ------
    x : Tensor
        ``(B, I)`` or ``(I,)``.
    (h, c) : tuple of Tensor, optional
        ``(B, H)`` or ``(H,)`` each (``h`` has :math:`P` features with a projection);
        zeros when omitted.

    Outputs
    -------
    (h', c') : tuple of Tensor
        ``(B, H)`` or ``(H,)`` each (``h'``: :math:`P` with a projection).

    Attributes
    ----------
    weight_ih : Parameter
        :math:`(W_{ii} | W_{if} | W_{ig} | W_{io})` stacked, ``(4H, I)``.
    weight_hh : Parameter
        :math:`(W_{hi} | W_{hf} | W_{hg} | W_{ho})` stacked, ``(4H, H)`` (``(4H, P)``
        with a projection).
    bias_ih, bias_hh : Parameter or None
        ``(4H,)`` each, in the same block order.
    weight_hr : Parameter
        :math:`W_{hr}`, ``(P, H)``; only with ``proj_size > 0``.

    Notes
    -----
    Every parameter starts from :math:`\mathcal{U}(-k, k)`, :math:`k = 1/\sqrt{H}`, as in
    PyTorch. Adding 1 to the forget block of a bias (rows ``H:2H``) is a common
    refinement: the cell then starts out remembering.

    Examples
    --------
    >>> from minigrad import nn
    >>> cell = nn.LSTMCell(3, 5)
    >>> x = mg.randn(6, 2, 3)                  # (T, B, I)
    >>> h, c = mg.zeros(2, 5), mg.zeros(2, 5)
    >>> outputs = []
    >>> for t in range(6):
    ...     h, c = cell(x[t], (h, c))
    ...     outputs.append(h)
    >>> mg.stack(outputs).shape
    (6, 2, 5)
    """

    num_chunks = 4
    state_names = ("h", "c")
    option_checks = (("proj_size", check.non_negative_int),)

    def __init__(self, input_size, hidden_size, bias=True, *, proj_size=0,
                 recurrent_dropout=0.0, fused=True, dtype=mg.float32, backend=None,
                 device=None):
        # Known before the base makes W_hh, whose columns are h's features.
        self.proj_size = projection_size("LSTMCell", proj_size, hidden_size)
        super().__init__(input_size, hidden_size, bias, recurrent_dropout=recurrent_dropout,
                         fused=fused, dtype=dtype, backend=backend, device=device)
        if self.proj_size:
            self.weight_hr = _parameter((self.proj_size, hidden_size), dtype,
                                        self.weight_hh.backend)
            self.reset_parameters()  # again, to draw W_hr as well

    @property
    def state_sizes(self):
        """``(P, H)`` with a projection (``h`` is projected, ``c`` is not), else ``(H, H)``.

        >>> from minigrad import nn
        >>> nn.LSTMCell(3, 5).state_sizes, nn.LSTMCell(3, 5, proj_size=2).state_sizes
        ((5, 5), (2, 5))
        """
        return (self.proj_size or self.hidden_size, self.hidden_size)

    def step(self, x_proj, state, dropped=None):
        """The LSTM equations, from ``x_proj`` :math:`= W_{ih} x + b_{ih} + b_{hh}` and (h, c)."""
        h, c = state
        w_hh, h = self.recurrent_inputs(h, dropped)  # W_hh and h, or what dropout leaves
        a = F.linear(h, w_hh, x_proj)  # a = W_ih x + b_ih + W_hh h + b_hh
        a_i, a_f, a_g, a_o = mg.chunk(a, 4, dim=-1)  # its gate blocks
        i = a_i.sigmoid()             # i = σ(W_ii x + b_ii + W_hi h + b_hi)
        f = a_f.sigmoid()             # f = σ(W_if x + b_if + W_hf h + b_hf)
        g = a_g.tanh()                # g = tanh(W_ig x + b_ig + W_hg h + b_hg)
        o = a_o.sigmoid()             # o = σ(W_io x + b_io + W_ho h + b_ho)
        c = f * c + i * g             # c' = f ⊙ c + i ⊙ g
        h = o * c.tanh()              # h' = o ⊙ tanh(c')
        if self.proj_size:
            h = F.linear(h, self.weight_hr)  # h' = W_hr (o ⊙ tanh(c'))
        return h, c

    def fused_step(self, x_proj, state, dropped=None):
        """:meth:`step` as one node after the product (:func:`minigrad.nn.fused.lstm_step`)."""
        return fast.lstm_step(self, x_proj, state, dropped)

    def step_from_input(self, x, state, dropped=None):
        # The whole-step node takes an h as wide as c: a projected h goes by fused_step.
        if not self.fused or self.proj_size:
            return super().step_from_input(x, state, dropped)
        return fast.lstm_step_from_input(self, x, state, dropped)

    def extra_repr(self):
        return super().extra_repr() + (f", proj_size={self.proj_size}" if self.proj_size else "")


def projection_size(owner, value, hidden_size):
    """``proj_size`` checked against ``hidden_size``, as PyTorch's ``nn.LSTM`` checks it."""
    value = check.non_negative_int(owner, "proj_size", value)
    if value >= check.positive_int(owner, "hidden_size", hidden_size):
        raise ValueError(
            f"{owner}: expected proj_size smaller than hidden_size ({hidden_size}), got "
            f"{value}; the projection makes h narrower than c (proj_size=0: no projection)"
        )
    return value
