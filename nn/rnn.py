r"""Sequence layers: a recurrent cell unrolled over time, stacked in layers and directions.

The unrolling is a plain Python loop over the time steps, calling the cell's
:meth:`~minigrad.nn.RNNCellBase.step`. Every step adds its operations to the tape,
so backpropagation through time is nothing but reverse mode over the unrolled graph.

Inside a layer, sequences are kept *time-major and flat*: ``(T * B, features)``,
the rows of step ``t`` being ``t * B`` to ``(t + 1) * B - 1``. That is the shape one
matrix product wants for the input projection of all steps, and the shape the next
layer wants for its own.
"""

import math
import numbers

import minigrad as mg

from . import _checks as check
from . import functional as F
from .module import Module
from .rnn_cell import GRUCell, LSTMCell, RNNCell, projection_size
from .utils.rnn import (PackedSequence, host_lengths, pack_padded_sequence,
                        pad_packed_sequence)


def unroll(cell, x, steps, state, reverse=False, segment=None, fused=True, dropped=None):
    r"""Run ``cell`` over a sequence: BPTT's forward pass.

    Parameters
    ----------
    cell : RNNCellBase
        The cell whose :meth:`~minigrad.nn.RNNCellBase.step` is applied at each time step.
    x : Tensor
        The inputs of all steps, time-major and flat: ``(steps * B, I)``.
    steps : int
        :math:`T`.
    state
        The state before the first step processed (batched).
    reverse : bool
        Run from the last step to the first (the backward direction of a bidirectional layer).
    segment : int, optional
        Recompute the steps in backward, this many at a time (:func:`minigrad.checkpoint`):
        only the state between segments is kept.
    fused : bool
        Run the cell's :meth:`~minigrad.nn.RNNCellBase.fused_step` (``True``) or its
        :meth:`~minigrad.nn.RNNCellBase.step`, every gate a node on the tape (``False``).
    dropped : tuple or None
        The recurrence as dropout leaves it, the same at every step: ``(weight_hh,
        mask)`` (see :meth:`~minigrad.nn.RNNCellBase.recurrent_inputs`), ``mask`` of
        ``B`` rows; ``None`` for none.

    Returns
    -------
    hs : Tensor
        The hidden state after each step, in time order, ``(steps * B, H)``.
    state : Tensor or tuple of Tensor
        The state after the last step processed.
    """
    if segment is None or segment >= steps:
        return _steps(cell, x, steps, state, reverse, fused, dropped)
    # Each segment projects its own inputs: a product of `segment` steps is still large,
    # and the projection of all steps, four times the state's width, is then never kept.
    # What is kept is the segments' inputs, outputs and final states. Dropout's masks and
    # weight are drawn once, outside: each segment takes them as arguments, so the
    # recomputation uses them again and the dropped weight's gradient leaves the segment.
    lengths = [min(segment, steps - start) for start in range(0, steps, segment)]
    batch = x.shape[0] // steps
    pieces = mg.split(x, [n * batch for n in lengths])
    hs = [None] * len(lengths)
    for k in reversed(range(len(lengths))) if reverse else range(len(lengths)):
        hs[k], *parts = mg.checkpoint(_segment, cell, pieces[k], lengths[k], reverse, fused,
                                      dropped, *cell.unpack(state))
        state = cell.pack(parts)
    return mg.concat(hs, axis=0), state


def _steps(cell, x, steps, state, reverse, fused, dropped):
    """The time loop over ``x``'s steps: the hidden states in time order, the last state."""
    # The input projection does not depend on the state, so it leaves the sequential loop:
    # one large matrix product for all steps, instead of T small ones inside it. One split
    # node then hands each step its B rows (and its backward is a single concat); sizes,
    # not a chunk count, so that an empty batch still gets its T pieces.
    x_proj = mg.split(cell.input_projection(x), [x.shape[0] // steps] * steps)
    step = _dropping(cell.chosen_step(fused), dropped)
    hs = [None] * steps
    for t in reversed(range(steps)) if reverse else range(steps):
        state = step(x_proj[t], state)
        hs[t] = cell.unpack(state)[0]
    return mg.concat(hs, axis=0), state


def packed_steps(cell, x, batch_sizes, state, reverse=False, fused=True, dropped=None):
    r"""The time loop over a packed batch: step :math:`t` runs the cell on its
    :math:`b_t` live sequences only.

    Parameters
    ----------
    cell : RNNCellBase
    x : Tensor
        A :class:`~minigrad.nn.utils.rnn.PackedSequence`'s data, ``(sum(batch_sizes), I)``.
    batch_sizes : list of int
        :math:`b_0 \ge b_1 \ge \dots`: the sequences still running at each step.
    state
        The state before the first step, ``b_0`` rows (longest sequence first).
    reverse : bool
        Run each sequence from its own last step to its first.
    fused : bool
        Run the cell's fused step or its composed :meth:`~minigrad.nn.RNNCellBase.step`,
        as in :func:`unroll`.
    dropped : tuple or None
        Dropout's recurrence, as in :func:`unroll`: ``mask`` has ``b_0`` rows, and each
        step takes those of its live sequences.

    Returns
    -------
    hs : Tensor
        The hidden states, packed as ``x``.
    state
        Each sequence's state after its own last step processed, ``b_0`` rows.
    """
    # The live sequences are always the first rows: going forward, the batch sheds its
    # last rows as sequences end (their state is then final); going back, sequences join
    # at their own last step with their initial state.
    x_proj = _pieces(cell.input_projection(x), batch_sizes)
    step = _dropping(cell.chosen_step(fused), dropped)
    if reverse:
        return _steps_back(cell, step, x_proj, batch_sizes, state)
    ended = []  # the states of the sequences that ended, first ended first
    for t, rows in enumerate(batch_sizes):
        live = cell.unpack(state)
        if live[0].shape[0] > rows:
            pieces = [_pieces(part, [rows, part.shape[0] - rows]) for part in live]
            ended.append([ending for _, ending in pieces])
            state = cell.pack([kept for kept, _ in pieces])
        state = step(x_proj[t], state)
        x_proj[t] = cell.unpack(state)[0]
    if ended:
        state = cell.pack([mg.concat([part, *pieces]) for part, *pieces
                           in zip(cell.unpack(state), *ended[::-1])])
    return mg.concat(x_proj, axis=0), state


def _steps_back(cell, step, x_proj, batch_sizes, state):
    """:func:`packed_steps` in reverse: the sequences join the batch at their last step."""
    following = [*batch_sizes[1:], 0]
    joins = [rows - after for rows, after in zip(batch_sizes, following) if rows > after]
    waiting = [_pieces(part, joins[::-1]) for part in cell.unpack(state)]
    state = None
    for t in reversed(range(len(batch_sizes))):
        if batch_sizes[t] > following[t]:
            joining = [pieces.pop(0) for pieces in waiting]
            state = cell.pack(joining if state is None else
                              [mg.concat(pair) for pair in zip(cell.unpack(state), joining)])
        state = step(x_proj[t], state)
        x_proj[t] = cell.unpack(state)[0]
    return mg.concat(x_proj, axis=0), state


def _dropping(step, dropped):
    """``step`` given the recurrence ``dropped`` at every step; ``step`` itself without one.

    The mask's first rows go to a step of fewer rows: those of the sequences still live.
    """
    if dropped is None:
        return step
    weight_hh, mask = dropped
    by_rows = {}  # one slice of the mask per batch size met, not one per step

    def dropped_step(x_proj, state):
        rows = x_proj.shape[0]
        if rows not in by_rows:
            by_rows[rows] = (weight_hh, None if mask is None else mask[:rows])
        return step(x_proj, state, by_rows[rows])
    return dropped_step


def _pieces(x, sizes):
    """``x`` split along its first axis into a list of pieces of ``sizes`` rows."""
    return list(mg.split(x, list(sizes)))


def _segment(cell, x, steps, reverse, fused, dropped, *state):
    """One checkpointed segment of the time loop, its state flat for :func:`mg.checkpoint`."""
    hs, state = _steps(cell, x, steps, cell.pack(state), reverse, fused, dropped)
    return (hs, *cell.unpack(state))


class RNNBase(Module):
    r"""What the three sequence layers share: layers, directions, shapes, parameter names.

    A layer of direction ``d`` at depth ``k`` is one cell of the class ``cell_class``.
    The layer exposes the parameters of its cells under PyTorch's flat names,
    ``weight_ih_l{k}``, ``weight_hh_l{k}``, ``bias_ih_l{k}``, ``bias_hh_l{k}``, with a
    ``_reverse`` suffix for the backward direction; layer and cell hold the very same
    :class:`~minigrad.nn.Parameter` objects. Assigning a new Parameter to one of these
    names hands it to its cell as well, so the layer computes with it, as in PyTorch;
    assigning anything else (``None`` included: build the layer with ``bias=False`` to
    go without biases) raises ``TypeError``.

    Parameters
    ----------
    input_size : int
        The number of features :math:`I` of each input step.
    hidden_size : int
        The number of features :math:`H` of the state.
    num_layers : int
        How many layers are stacked; layer :math:`k > 0` reads the outputs of layer
        :math:`k - 1`.
    bias : bool
        Whether the cells learn biases.
    batch_first : bool
        Inputs and outputs are ``(B, T, features)`` instead of ``(T, B, features)``
        (the states keep their shape).
    dropout : float
        In training mode, dropout with this probability on the outputs of every layer
        but the last.
    bidirectional : bool
        Run a second cell per layer from the last step to the first, and concatenate
        both directions' outputs: :math:`2H` features.
    recurrent_dropout : float
        In training, variational dropout of the state fed back (Gal and Ghahramani
        2016), with this probability in ``[0, 1)``: each layer and direction draws one
        mask per call, a row per sequence, and multiplies the state entering
        :math:`W_{hh} h` by it at *every* step, kept units scaled by :math:`1/(1-p)`.
        The state carried forward is never dropped (see
        :meth:`~minigrad.nn.RNNCellBase.recurrent_inputs`).
    weight_dropout : float
        In training, DropConnect of every ``weight_hh_l{k}`` (the AWD-LSTM's weight drop,
        Merity et al. 2017), with this probability in ``[0, 1)``: one mask on the
        matrix's entries per call, shared by all steps and sequences, kept entries
        scaled by :math:`1/(1-p)`; the gradient reaches the parameter through the mask.
    checkpoint : None, "sqrt" or int
        Trade time for memory: the time loop runs in segments of this many steps, and
        only the state between segments is kept for backward; each segment is
        recomputed when the walk reaches it (:func:`minigrad.checkpoint`). ``"sqrt"``
        takes :math:`\lceil\sqrt{T}\rceil` steps, so the memory of the steps grows like
        :math:`\sqrt{T}` instead of :math:`T`, for about one more forward pass of time.
        ``None`` (the default) keeps every step.
    fused : bool
        Run each step through the cells' fused nodes (the default; see
        :mod:`minigrad.nn.fused`), or, with ``False``, through their
        :meth:`~minigrad.nn.RNNCellBase.step`, so that the tape shows every gate. Both
        compute the same function. The layer's attribute of that name decides.
    dtype, backend
        Of the parameters.
    **cell_options
        Passed to each cell: ``nonlinearity`` for :class:`RNN`, ``reset_after`` for
        :class:`GRU`, ``proj_size`` for :class:`LSTM` (those in
        ``cell_class.option_checks``; any other is a ``TypeError``).

    Inputs
    ------
    input : Tensor or PackedSequence
        ``(T, B, I)`` (``(B, T, I)`` when ``batch_first``), or unbatched ``(T, I)``; or a
        :class:`~minigrad.nn.utils.rnn.PackedSequence` of sequences of unequal lengths.
    hx : optional
        The initial state (named as in PyTorch): each state tensor is
        ``(num_layers * num_directions, B, H)`` (unbatched: without ``B``), indexed by
        ``k * num_directions + d``; zeros when omitted. (An LSTM's ``h`` has ``P``
        features instead of ``H`` with ``proj_size=P``.) With unequal lengths, in the
        batch's own order (not sorted).
    lengths : list of int or Tensor, optional
        The short form of packing: one integer length per sequence of a padded batched
        ``input``, in any order, each in :math:`1 \dots T`. Each step then runs the cells
        on the sequences still running only, as on a PackedSequence.

    Outputs
    -------
    output : Tensor or PackedSequence
        The last layer's hidden state at every step, ``(T, B, num_directions * H)``
        (``(B, T, ...)`` when ``batch_first``; ``P`` for ``H`` with an LSTM's
        ``proj_size=P``); zero past each sequence's length. A
        PackedSequence for a PackedSequence input.
    state
        The final states of every layer and direction, shaped as the input state. With
        unequal lengths each sequence's state after its own last step; the reverse
        direction's after its first step, having started at the sequence's own end, as
        PyTorch's packed sequences.
    """

    cell_class = None

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, *, recurrent_dropout=0.0,
                 weight_dropout=0.0, checkpoint=None, fused=True, dtype=mg.float32,
                 backend=None, device=None, **cell_options):
        super().__init__()
        owner = type(self).__name__
        backend = mg.backends.backend_or_device(owner, backend, device)
        # Every argument is checked here, before the cells see it: their errors would name
        # the cell class, not this layer.
        option_checks = dict(self.cell_class.option_checks)
        unexpected = [name for name in cell_options if name not in option_checks]
        if unexpected:
            own = ", ".join(option_checks)
            raise TypeError(f"{owner}: got unexpected keyword arguments {unexpected}; {owner} "
                            f"takes the arguments that RNN, GRU and LSTM share (see nn.RNNBase) "
                            + (f"plus {own}" if own else "and no others"))
        cell_options = {name: option_checks[name](owner, name, value)
                        for name, value in cell_options.items()}
        self.input_size = check.positive_int(owner, "input_size", input_size)
        self.hidden_size = check.positive_int(owner, "hidden_size", hidden_size)
        self.num_layers = check.positive_int(owner, "num_layers", num_layers)
        self.bias = check.boolean(owner, "bias", bias)
        self.batch_first = check.boolean(owner, "batch_first", batch_first)
        self.dropout = check.probability(owner, "dropout", dropout)
        self.bidirectional = check.boolean(owner, "bidirectional", bidirectional)
        self.num_directions = 2 if self.bidirectional else 1
        self.recurrent_dropout = check.dropout_probability(owner, "recurrent_dropout",
                                                           recurrent_dropout)
        self.weight_dropout = check.dropout_probability(owner, "weight_dropout", weight_dropout)
        self.checkpoint = _checkpoint_option(owner, checkpoint)
        self.fused = check.boolean(owner, "fused", fused)
        check.floating_dtype(owner, dtype)
        # Flat name -> (cell, the cell's own name for that parameter): see __setattr__.
        self._cell_parameters = {}
        # A plain list, so the cells are not registered as submodules: their parameters
        # are registered once, under the flat names below. Layer k + 1 reads layer k's
        # hidden states, both directions side by side.
        self._cells, size = [], self.input_size
        for layer in range(self.num_layers):
            self._cells.append(self._make_layer(layer, size, dtype, backend, cell_options))
            size = self.num_directions * self._cells[-1][0].state_sizes[0]
        self._cell_options = cell_options
        for option, value in cell_options.items():
            setattr(self, option, value)

    def _make_layer(self, layer, size, dtype, backend, cell_options):
        cells = []
        for suffix in ("", "_reverse")[:self.num_directions]:
            cell = self.cell_class(size, self.hidden_size, self.bias, dtype=dtype,
                                   backend=backend, **cell_options)
            for name, parameter in cell.named_parameters():
                flat_name = f"{name}_l{layer}{suffix}"
                setattr(self, flat_name, parameter)
                self._cell_parameters[flat_name] = (cell, name)
            cells.append(cell)
        return cells

    def __setattr__(self, name, value):
        # The cells compute with their own attributes, so a parameter rebound under its
        # flat name must reach its cell too, or forward would go on using the old one.
        # Only construction sets attributes here; forward and the time loop never do.
        target = self.__dict__.get("_cell_parameters", {}).get(name)
        if target is not None and value is None:
            raise TypeError(
                f"{type(self).__name__}: expected a Parameter for {name}, got None (every "
                "parameter takes part in the equations; build the layer with bias=False to "
                "go without biases)"
            )
        super().__setattr__(name, value)
        if target is not None:
            cell, cell_name = target
            setattr(cell, cell_name, value)

    def forward(self, x, hx=None, lengths=None):
        if isinstance(x, PackedSequence) or lengths is not None:
            return self._forward_packed(x, hx, lengths)
        x, batched = self._time_major(x)
        steps, batch = x.shape[0], x.shape[1]
        states = self._initial_states(hx, batch, batched)
        layer_output = x.reshape(steps * batch, self.input_size)
        finals = []
        for layer, cells in enumerate(self._cells):
            layer_output = self._between_layers(layer, layer_output)
            outputs = []
            for cell, reverse in zip(cells, (False, True)):
                hs, final = unroll(cell, layer_output, steps, states[len(finals)], reverse,
                                   self._segment_length(steps), self.fused,
                                   self._dropped(cell, batch))
                outputs.append(hs)
                finals.append(final)
            layer_output = outputs[0] if len(outputs) == 1 else mg.concat(outputs, axis=1)
        output = layer_output.reshape(steps, batch, layer_output.shape[-1])
        if not batched:
            output = output.reshape(steps, -1)
        elif self.batch_first:
            output = output.transpose(0, 1)
        return output, self._final_state(finals, batched)

    def flatten_parameters(self):
        """Do nothing: accepted so that PyTorch code calling it runs unchanged.

        PyTorch copies the weights into one contiguous block for cuDNN; minigrad's
        layers run from their parameters as they are.
        """

    def _between_layers(self, layer, layer_output):
        """Dropout on a layer's input, in training, for every layer but the first."""
        if layer > 0 and self.training and self.dropout > 0:
            return F.dropout(layer_output, self.dropout)
        return layer_output

    def _dropped(self, cell, batch):
        """``cell``'s recurrence under dropout for this call, drawn once for all its steps
        (``(weight_hh, mask)``, see :func:`unroll`); ``None`` when nothing is dropped."""
        if not (self.training and (self.recurrent_dropout or self.weight_dropout)):
            return None
        weight_hh = cell.weight_hh
        if self.weight_dropout:  # DropConnect: one mask on W_hh's entries
            weight_hh = F.dropout(weight_hh, self.weight_dropout)
        mask = None
        if self.recurrent_dropout:  # a row per sequence, the same at every step
            mask = F.dropout_mask((batch, weight_hh.shape[1]), self.recurrent_dropout,
                                  weight_hh)
        return weight_hh, mask

    def _forward_packed(self, x, state, lengths):
        """The layer over a packed batch, or a padded one with ``lengths`` (the short form):
        each step runs the cells on the sequences still running only."""
        owner = type(self).__name__
        if isinstance(x, PackedSequence):
            if lengths is not None:
                raise ValueError(f"{owner}: got a PackedSequence and lengths={lengths!r}; a "
                                 "packed batch carries its lengths, pass lengths=None")
            packed, steps = x, None
        else:
            x, batched = self._time_major(x)
            if not batched:
                raise ValueError(f"{owner}: expected a batched input (T, B, I) with lengths, "
                                 f"got shape {x.shape}; an unbatched sequence needs none")
            steps = x.shape[0]
            packed = pack_padded_sequence(x, host_lengths(owner, lengths, x.shape[1], steps),
                                          enforce_sorted=False)
        if self.checkpoint is not None:
            raise ValueError(f"{owner}: checkpoint={self.checkpoint!r} runs full-length "
                             "sequences only; build the layer with checkpoint=None for "
                             "lengths or a PackedSequence")
        check.features(owner, packed.data, self.input_size, "input_size")
        batch_sizes = packed.batch_sizes.numpy().tolist()
        states = self._initial_states(state, batch_sizes[0], True)
        if state is not None and packed.sorted_indices is not None:  # zeros need no order
            states = [self._reorder(s, packed.sorted_indices) for s in states]
        layer_output, finals = packed.data, []
        for layer, cells in enumerate(self._cells):
            layer_output = self._between_layers(layer, layer_output)
            outputs = []
            for cell, reverse in zip(cells, (False, True)):
                hs, final = packed_steps(cell, layer_output, batch_sizes,
                                         states[len(finals)], reverse, self.fused,
                                         self._dropped(cell, batch_sizes[0]))
                outputs.append(hs)
                finals.append(final)
            layer_output = outputs[0] if len(outputs) == 1 else mg.concat(outputs, axis=1)
        if packed.unsorted_indices is not None:
            finals = [self._reorder(s, packed.unsorted_indices) for s in finals]
        output = packed._replace(data=layer_output)
        if steps is not None:
            output = pad_packed_sequence(output, self.batch_first, total_length=steps)[0]
        return output, self._final_state(finals, True)

    def _reorder(self, state, order):
        """``state``'s rows in ``order``."""
        first = self._cells[0][0]
        return first.pack([part[order.numpy()] for part in first.unpack(state)])

    def _segment_length(self, steps):
        """How many steps each checkpointed segment has for a sequence of ``steps``."""
        if self.checkpoint == "sqrt":
            return math.isqrt(steps - 1) + 1  # the ceiling of the square root
        return self.checkpoint

    def _time_major(self, x):
        """Check the input and return it as ``(T, B, I)``, with whether it was batched."""
        owner = type(self).__name__
        check.tensor(owner, "input", x)
        check.dims(owner, x, (2, 3))
        check.features(owner, x, self.input_size, "input_size")
        check.dtype(owner, "input", x, self._cells[0][0].weight_ih.dtype)
        batched = x.ndim == 3
        if not batched:
            x = x.reshape(x.shape[0], 1, self.input_size)
        elif self.batch_first:
            x = x.transpose(0, 1)
        if x.shape[0] == 0:  # a batch of no sequences is fine, as in PyTorch
            raise ValueError(
                f"{owner}: expected at least one time step, got input shape {x.shape} "
                "as (T, B, I)"
            )
        return x, batched

    def _initial_states(self, state, batch, batched):
        """One batched state per cell, in the order layer 0, layer 0 reverse, layer 1, ..."""
        first = self._cells[0][0]
        count = self.num_layers * self.num_directions
        if state is None:
            return [first.zero_state(batch)] * count
        shapes = [(count, batch, size) if batched else (count, size)
                  for size in first.state_sizes]
        parts = check.state(type(self).__name__, first.state_names, state, shapes,
                            first.weight_hh.dtype)
        # One split per state tensor (its backward is one concat), not an index per cell.
        per_cell = [mg.split(part.reshape(count * batch, -1), [batch] * count) for part in parts]
        return [first.pack(pieces) for pieces in zip(*per_cell)]

    def _final_state(self, finals, batched):
        first = self._cells[0][0]
        parts = zip(*(first.unpack(state) for state in finals))
        stacked = [mg.stack(part) for part in parts]
        if not batched:
            stacked = [part.reshape(len(finals), -1) for part in stacked]
        return first.pack(stacked)

    def extra_repr(self):
        text = f"{self.input_size}, {self.hidden_size}"
        defaults = {"num_layers": 1, "bias": True, "batch_first": False, "dropout": 0.0,
                    "bidirectional": False, "recurrent_dropout": 0.0, "weight_dropout": 0.0,
                    "checkpoint": None, "fused": True}
        for name, default in defaults.items():
            if getattr(self, name) != default:
                text += f", {name}={getattr(self, name)!r}"
        return text + "".join(f", {name}={value!r}" for name, value in self._cell_options.items())


class RNN(RNNBase):
    r"""A multi-layer Elman RNN: :class:`RNNCell` unrolled over a sequence.

    .. math::
        h_t = f(W_{ih} x_t + b_{ih} + W_{hh} h_{t-1} + b_{hh})

    Takes :class:`RNNBase`'s arguments plus ``nonlinearity`` (``"tanh"`` or ``"relu"``);
    returns ``(output, h_n)``.

    Examples
    --------
    >>> from minigrad import nn
    >>> rnn = nn.RNN(3, 5, num_layers=2, nonlinearity="relu")
    >>> output, h_n = rnn(mg.randn(7, 2, 3))
    >>> output.shape, h_n.shape
    ((7, 2, 5), (2, 2, 5))
    """

    cell_class = RNNCell


class GRU(RNNBase):
    r"""A multi-layer GRU: :class:`GRUCell` unrolled over a sequence.

    Takes :class:`RNNBase`'s arguments plus ``reset_after`` (see :class:`GRUCell`; a
    PyTorch ``nn.GRU`` corresponds to ``reset_after=True`` after
    :func:`~minigrad.nn.utils.torch_gru_to_minigrad`); returns ``(output, h_n)``.

    Examples
    --------
    >>> from minigrad import nn
    >>> gru = nn.GRU(3, 5, bidirectional=True)
    >>> output, h_n = gru(mg.randn(7, 2, 3))
    >>> output.shape, h_n.shape
    ((7, 2, 10), (2, 2, 5))
    """

    # PyTorch's GRU weights compute another cell here: load_state_dict refuses them, saying this.
    torch_conversion = GRUCell.torch_conversion

    cell_class = GRUCell


class LSTM(RNNBase):
    r"""A multi-layer LSTM: :class:`LSTMCell` unrolled over a sequence.

    Takes :class:`RNNBase`'s arguments plus ``proj_size``; the state is a pair
    ``(h, c)``, and the result is ``(output, (h_n, c_n))``.

    ``proj_size=P`` (``0 <= P < hidden_size``; 0, the default, for none) projects each
    cell's hidden state to :math:`P` features, :math:`h_t = W_{hr}(o_t \odot \tanh c_t)`,
    as PyTorch's ``nn.LSTM(proj_size=)`` does (see :class:`LSTMCell`). Each layer and
    direction then has one more parameter, ``weight_hr_l{k}`` (``_reverse``) of shape
    ``(P, H)``; ``weight_hh_l{k}`` is ``(4H, P)``, the next layer reads
    :math:`P` features per direction, and ``output`` and ``h_n`` have :math:`P` where
    they had :math:`H`, while ``c_n`` keeps :math:`H`.

    Examples
    --------
    >>> from minigrad import nn
    >>> lstm = nn.LSTM(3, 5, num_layers=2, batch_first=True)
    >>> output, (h_n, c_n) = lstm(mg.randn(2, 7, 3))
    >>> output.shape, h_n.shape, c_n.shape
    ((2, 7, 5), (2, 2, 5), (2, 2, 5))

    With a projection of the 5 features to 2, in both directions:

    >>> lstmp = nn.LSTM(3, 5, num_layers=2, bidirectional=True, proj_size=2)
    >>> output, (h_n, c_n) = lstmp(mg.randn(7, 4, 3))
    >>> output.shape, h_n.shape, c_n.shape
    ((7, 4, 4), (4, 4, 2), (4, 4, 5))
    >>> lstmp.weight_hr_l1_reverse.shape, lstmp.weight_hh_l1.shape, lstmp.weight_ih_l1.shape
    ((2, 5), (20, 2), (20, 4))

    The AWD-LSTM's regularisers: a mask per sequence on the state fed back, one per call
    on ``weight_hh``; in ``eval()`` mode neither drops anything.

    >>> import numpy as np
    >>> awd = nn.LSTM(3, 5, recurrent_dropout=0.25, weight_dropout=0.5)
    >>> x = mg.randn(7, 2, 3)
    >>> np.array_equal(awd(x)[0].numpy(), awd(x)[0].numpy())   # two calls, two draws
    False
    >>> _ = awd.eval()
    >>> np.array_equal(awd(x)[0].numpy(), awd(x)[0].numpy())
    True

    Truncated BPTT carries the state across chunks of a long sequence but cuts the
    graph between them with ``detach()`` (:func:`~minigrad.nn.utils.truncated_bptt`
    runs this loop, and its TBPTT(k1, k2) generalisation):

    >>> state = None
    >>> for chunk in mg.randn(4, 2, 5, 3):      # 4 chunks of (B=2, T=5, I=3)
    ...     output, state = lstm(chunk, state)
    ...     output.sum().backward()
    ...     state = tuple(s.detach() for s in state)
    """

    cell_class = LSTMCell
    proj_size = 0  # no projection, unless the layer is built with one

    def __init__(self, input_size, hidden_size, *args, proj_size=0, **kwargs):
        # Checked here against hidden_size, so that an error names the layer, not its cells.
        proj_size = projection_size("LSTM", proj_size, hidden_size)
        super().__init__(input_size, hidden_size, *args, **kwargs,
                         **({"proj_size": proj_size} if proj_size else {}))


def _checkpoint_option(owner, value):
    """``checkpoint=`` checked: ``None``, ``"sqrt"`` or a segment length of at least 1."""
    if value is None or value == "sqrt":
        return value
    if not check.is_number(numbers.Integral, value) or value < 1:
        raise ValueError(
            f"{owner}: expected checkpoint to be None, 'sqrt' or a segment length (an int "
            f">= 1), got {value!r}"
        )
    return int(value)
