r"""Truncated backpropagation through time over a long stream: TBPTT(k1, k2)."""

import numbers
import typing

import minigrad as mg

from .. import _checks as check

__all__ = ["TBPTTUpdate", "truncated_bptt"]


class TBPTTUpdate(typing.NamedTuple):
    """What :func:`truncated_bptt` yields after each update.

    Attributes
    ----------
    loss : Tensor
        The loss of the update's ``k1`` steps, detached.
    end : int
        How many steps of the stream have been read: the update trained on the losses
        of steps ``end - k1`` to ``end - 1`` (fewer at the stream's end).
    state : Tensor or tuple of Tensor
        The state after step ``end - 1``, detached: where the stream stands.
    resume_state : Tensor or tuple of Tensor
        The state the next update starts its recomputation from, before step
        ``max(0, end - (k2 - k1))``, detached; ``state`` itself when ``k2 == k1``.
        Resume with ``truncated_bptt(..., state=resume_state, start=end)``.

    Examples
    --------
    >>> from minigrad import nn
    >>> rnn = nn.RNN(2, 3)
    >>> updates = nn.utils.truncated_bptt(rnn, mg.randn(6, 1, 2), mg.zeros(6, 1, 3),
    ...                                   nn.F.mse_loss, mg.optim.SGD(rnn.parameters(), lr=0.1),
    ...                                   k1=2, k2=3)
    >>> first = next(updates)
    >>> first.end, first.state.shape, first.loss.requires_grad
    (2, (1, 1, 3), False)
    >>> np.array_equal(first.resume_state.numpy(), first.state.numpy())  # one step before
    False
    >>> [update.end for update in updates]                 # the rest of the stream
    [4, 6]
    """

    loss: mg.Tensor
    end: int
    state: typing.Any
    resume_state: typing.Any


def truncated_bptt(model, inputs, targets, loss_fn, optimizer, k1, k2=None, state=None, *,
                   start=0, before_step=None):
    r"""Train ``model`` over a long stream by TBPTT(k1, k2) (Williams and Peng 1990).

    Every ``k1`` steps, one update from the gradient of those ``k1`` steps' loss,
    back-propagated through the last ``k2 >= k1`` steps: the loss of the update's last
    step reaches ``k2`` steps back, its first step ``k2 - k1 + 1``. The state is carried
    from update to update, so the forward pass never forgets, but no gradient crosses
    the start of an update's window. ``k2 = k1`` is the usual detach loop (below);
    ``k1 = k2 = T`` is full backpropagation through time; ``k2 > k1`` lets each update
    learn from ``k2 - k1`` more steps of context than it trains on, for a window
    ``k2 / k1`` times as long.

    The arguments are checked at once; the training then runs as the returned
    iterator is iterated, which yields a :class:`TBPTTUpdate` after each update: between
    updates, where a training loop logs, evaluates, adjusts the learning rate, saves or
    stops.

    Parameters
    ----------
    model : callable
        ``model(x, state) -> (output, state)`` on a time-major chunk ``x`` of
        ``inputs``, its ``output`` time-major too: a sequence layer such as
        :class:`~minigrad.nn.LSTM` (not ``batch_first``), or a module built around one.
    inputs : Tensor
        The stream, time-major: ``(T, B, ...)``.
    targets : Tensor
        What ``loss_fn`` compares the outputs with, time-major: ``(T, ...)``.
    loss_fn : callable
        ``loss_fn(output, target) -> Tensor``, a scalar loss of a chunk's outputs and
        targets (e.g. a mean of :func:`~minigrad.nn.functional.mse_loss`).
    optimizer : minigrad.optim.Optimizer
        Each update runs ``optimizer.zero_grad()``, ``loss.backward()``, ``before_step()``
        and ``optimizer.step()``.
    k1 : int
        The steps between updates, each trained on by exactly one update.
    k2 : int, optional
        The steps each update's gradient goes back through, ``k2 >= k1``; ``k1`` when
        omitted.
    state : optional
        The state before the first step (what ``model`` takes; ``None`` lets a layer
        start from zeros). When resuming, the state before step
        ``max(0, start - (k2 - k1))``: a :class:`TBPTTUpdate`'s ``resume_state``.
    start : int
        The first step trained on: resume after the update whose ``end`` it is.
    before_step : callable, optional
        Called with no arguments between backward and the optimiser's step: clip the
        gradients there (:func:`~minigrad.nn.utils.clip_grad_norm_`).

    Returns
    -------
    collections.abc.Iterator of TBPTTUpdate
        One after each update: its loss, the steps read, the state reached and the
        state to resume from.

    Raises
    ------
    ValueError
        If ``k1`` or ``k2`` is not a positive int, ``k2 < k1``, ``start`` is not in
        ``[0, T)``, or ``targets`` has not ``T`` steps.

    Notes
    -----
    The update ending at step :math:`b` needs the graph of steps :math:`b - k_2` to
    :math:`b - 1`, but only the last :math:`k_1` of them are new. Rather than keep each
    step's graph alive across updates (they would be recorded with weights that the
    updates since have changed, and no tape can be walked twice after it is freed), each
    update *recomputes* its window: it runs ``model`` from the state kept at the
    window's start, with the current weights, over the ``k2 - k1`` steps already
    trained on (their outputs unused) and then over its ``k1`` new ones, and takes the
    gradient of the new steps' loss through all of it. On the way it keeps, detached,
    the state where the next window starts, ``k2 - k1`` steps before its own end: that
    is the only state carried. The price of ``k2 > k1`` is therefore time, a forward
    and backward over ``k2`` steps per ``k1`` steps trained, never memory beyond one
    window. With ``k2 = k1`` nothing is recomputed, and the iterator runs exactly the
    loop it replaces:

    .. code-block:: python

        for a in range(0, T, k1):
            output, state = model(inputs[a:a + k1], state)
            loss = loss_fn(output, targets[a:a + k1])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            state = tuple(s.detach() for s in state)  # the state goes on, its graph not

    Examples
    --------
    An LSTM learns to echo its input two steps late, over a stream of 60 steps, with an
    update every 10 steps whose gradient reaches back 20:

    >>> from minigrad import nn
    >>> mg.manual_seed(0)
    >>> lstm, head = nn.LSTM(1, 16), nn.Linear(16, 1)
    >>> def model(x, state):
    ...     output, state = lstm(x, state)
    ...     return head(output), state
    >>> stream = mg.randn(62, 4, 1)                        # (T, B, I)
    >>> inputs, targets = stream[2:], stream[:-2]           # target: the input 2 steps back
    >>> optimizer = mg.optim.Adam([*lstm.parameters(), *head.parameters()], lr=0.02)
    >>> for epoch in range(30):
    ...     updates = list(nn.utils.truncated_bptt(model, inputs, targets, nn.F.mse_loss,
    ...                                           optimizer, k1=10, k2=20))
    >>> [update.end for update in updates]
    [10, 20, 30, 40, 50, 60]
    >>> bool(updates[-1].loss.item() < 0.1)
    True

    To resume after the second update (weights and optimiser restored), start at its
    ``end`` from its ``resume_state`` (the state 10 steps before, where the third
    update's window starts):

    >>> second = updates[1]
    >>> resumed = nn.utils.truncated_bptt(model, inputs, targets, nn.F.mse_loss, optimizer,
    ...                                   k1=10, k2=20, state=second.resume_state,
    ...                                   start=second.end)
    >>> [update.end for update in resumed]
    [30, 40, 50, 60]
    """
    k2 = k1 if k2 is None else k2
    steps = _checked(inputs, targets, k1, k2, start)
    return _updates(model, inputs, targets, loss_fn, optimizer, k1, k2 - k1, state,
                    range(start, steps, k1), before_step)


def _updates(model, inputs, targets, loss_fn, optimizer, k1, history, state, begins,
             before_step):
    """The loop of :func:`truncated_bptt`, an update per step of ``begins``; ``history``
    is ``k2 - k1``, the steps before an update's own that its gradient goes back through."""
    steps = len(inputs)
    for begin in begins:
        end = min(begin + k1, steps)
        window, next_window = max(0, begin - history), max(0, end - history)
        # Cut the window where the next one starts and where this update's steps start,
        # and run the model over the pieces in order, carrying the state (and its graph).
        cuts = sorted({window, next_window, begin, end})
        outputs, carried, resume_state = [], state, state
        for first, stop in zip(cuts, cuts[1:]):
            output, carried = model(inputs[first:stop], carried)
            if first >= begin:
                outputs.append(output)
            if stop == next_window:
                resume_state = _detached(carried)
        output = outputs[0] if len(outputs) == 1 else mg.concat(outputs, axis=0)
        loss = loss_fn(output, targets[begin:end])
        optimizer.zero_grad()
        loss.backward()
        if before_step is not None:
            before_step()
        optimizer.step()
        state = resume_state
        reached = resume_state if next_window == end else _detached(carried)
        yield TBPTTUpdate(loss.detach(), end, reached, resume_state)


def _detached(state):
    """``state`` (a Tensor, or a tuple or list of them) with no history."""
    if isinstance(state, (tuple, list)):
        return type(state)(_detached(part) for part in state)
    return state.detach()


def _checked(inputs, targets, k1, k2, start):
    """Check the arguments of :func:`truncated_bptt` and return the stream's length ``T``."""
    owner = "truncated_bptt"
    for name, value in (("k1", k1), ("k2", k2)):
        if not check.is_number(numbers.Integral, value) or value < 1:
            raise ValueError(f"{owner}: expected {name} to be a positive int (a number of "
                             f"time steps), got {name}={value!r}")
    if k2 < k1:
        raise ValueError(f"{owner}: expected k2 >= k1 (each update goes back through at "
                         f"least its own k1 steps), got k1={k1!r} and k2={k2!r}; pass k2=k1 "
                         "or larger, or omit k2")
    check.tensor(owner, "inputs", inputs)
    check.tensor(owner, "targets", targets)
    if inputs.ndim == 0 or targets.ndim == 0 or len(inputs) != len(targets):
        raise ValueError(f"{owner}: expected time-major inputs and targets of the same "
                         f"number of steps T, got shapes {inputs.shape} and {targets.shape}")
    if not check.is_number(numbers.Integral, start) or not 0 <= start < len(inputs):
        raise ValueError(f"{owner}: expected start to be an int in [0, T) = [0, "
                         f"{len(inputs)}), got start={start!r}")
    return len(inputs)
