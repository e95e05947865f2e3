r"""Gradients through time: how much of a loss's gradient reaches each step of a recurrence.

Exported by :mod:`minigrad.viz` as :func:`~minigrad.viz.gradient_flow` and
:func:`~minigrad.viz.plot_gradient_flow`.
"""

from typing import NamedTuple

import numpy as np

from minigrad.autograd import _as_tensor, _target_key, _walk, grad
from minigrad.tensor import Tensor


class GradientFlow(NamedTuple):
    """What :func:`gradient_flow` measures, one entry per step ``t`` (NumPy arrays)."""

    states: np.ndarray  # ||dL/dh[t]||
    weight: np.ndarray  # ||step t's share of dL/dW||, None when no weight was given


def gradient_flow(loss, states, weight=None):
    r"""How much of the gradient of ``loss`` reaches each step of a recurrence.

    For every step :math:`t`, the norm of the gradient of the loss with respect to
    the state, :math:`\lVert \partial L / \partial h[t] \rVert` (through every
    later step, as ``h[t].retain_grad()`` would hold it after ``loss.backward()``).
    With ``weight``, also the norm of step :math:`t`'s share of that weight's
    gradient: :math:`\partial L / \partial W = \sum_t G[t]`, where :math:`G[t]`
    is what the operations between ``states[t-1]`` and ``states[t]`` send to
    :math:`W`. A vanishing gradient shows as :math:`G[t]` falling to nothing for
    early steps: the weight learns only from the last few.

    Parameters
    ----------
    loss : Tensor
        A scalar computed from the states.
    states : list
        The state after each step, in order: ``h[1], ..., h[T]`` for an Elman RNN or
        a GRU, pairs ``(h[t], c[t])`` for an LSTM (a tuple's norm is that of all
        its tensors together). The loss must reach the operations of step ``t``
        only through ``states[t]`` and later states.
    weight : Tensor, optional
        A weight that every step uses, such as a cell's ``weight_hh``.

    Returns
    -------
    GradientFlow
        ``(states, weight)``: two float64 arrays of length ``len(states)``; the
        second is ``None`` without ``weight``. The graph is kept (``retain_graph``),
        and no ``.grad`` is changed.

    Raises
    ------
    TypeError
        If ``loss`` or a state is not a Tensor, or ``states`` is empty.
    ValueError
        If ``loss`` is not a scalar, or a state or the weight does not require grad.

    Examples
    --------
    >>> cell = nn.RNNCell(2, 3)
    >>> h, hs = mg.zeros(1, 3), []
    >>> for x in mg.randn(4, 1, 2):
    ...     h = cell(x, h)
    ...     hs.append(h)
    >>> flow = mg.viz.gradient_flow(h.sum(), hs, weight=cell.weight_hh)
    >>> flow.states.shape, flow.weight.shape
    ((4,), (4,))
    """
    steps = [_state_tuple(s) for s in _checked_states(loss, states)]
    flat = [t for step in steps for t in step]
    found = grad(loss, flat, retain_graph=True, allow_unused=True)
    per_state, at = [], 0
    for step in steps:
        per_state.append(_norm(found[at:at + len(step)]))
        at += len(step)
    if weight is None:
        return GradientFlow(np.array(per_state), None)
    if not isinstance(weight, Tensor) or not weight.requires_grad:
        raise ValueError("gradient_flow: expected weight to be a Tensor that requires grad "
                         f"(such as cell.weight_hh), got {type(weight).__name__}")
    received = dict(zip(map(_target_key, flat), found))
    shares = [_step_share(step, received, flat, weight) for step in steps]
    return GradientFlow(np.array(per_state), np.array([_norm([g]) for g in shares]))


def _checked_states(loss, states):
    """``states`` as a list, after the checks :func:`gradient_flow` promises."""
    if not isinstance(loss, Tensor) or loss.numel() != 1:
        raise ValueError("gradient_flow: expected loss to be a scalar Tensor, got "
                         f"{type(loss).__name__} of shape {getattr(loss, 'shape', None)}")
    states = list(states) if isinstance(states, (list, tuple)) else None
    if not states:
        raise TypeError("gradient_flow: expected states to be a non-empty list of Tensors "
                        "(h[1], ..., h[T]) or of tuples of Tensors ((h[t], c[t]) for an LSTM)")
    return states


def _state_tuple(state):
    """One step's state as a tuple of Tensors that require grad."""
    step = state if isinstance(state, tuple) else (state,)
    for t in step:
        if not isinstance(t, Tensor) or not t.requires_grad:
            raise ValueError("gradient_flow: expected every state to be a Tensor that requires "
                             f"grad (a step's output), got {type(t).__name__}")
    return step


def _step_share(step, received, flat, weight):
    """Step ``step``'s share of the weight's gradient: the walk back from its state, seeded
    with the gradient that state receives, stopped at every other state."""
    seeds = [(t, received[_target_key(t)]) for t in step if received[_target_key(t)] is not None]
    if not seeds:
        return None
    others = [t for t in flat if not any(t is s for s in step)]
    targets = {}
    for t in [weight, *others]:
        targets.setdefault(_target_key(t), len(targets))
    share = _walk(seeds, True, False, targets, stop_at_targets=True)[0]
    return _as_tensor(share, weight._backend)


def _norm(grads):
    """The norm of some gradients taken together, in float64; 0 for none at all."""
    squares = 0.0
    for g in grads:
        if g is not None:
            squares += float(np.sum(np.square(g.numpy(), dtype=np.float64)))
    return np.sqrt(squares)


def plot_gradient_flow(flows, path=None, title=None):
    r"""Draw :func:`gradient_flow`'s norms against the step, on log scales.

    Parameters
    ----------
    flows : GradientFlow or dict of str to GradientFlow
        One model's flow, or several by name (one line each).
    path : str or Path, optional
        Where to save the picture (any format matplotlib writes: ``.png``, ``.svg``).
    title : str, optional
        Above the picture.

    Returns
    -------
    Figure
        A ``matplotlib.figure.Figure``: one panel of :math:`\lVert \partial L / \partial h[t] \rVert`, and a second of
        each step's share of the weight's gradient when the flows measured one.

    Raises
    ------
    ImportError
        If matplotlib is not installed (``pip install matplotlib``).
    TypeError
        If ``flows`` is not a GradientFlow or a dict of them.
    """
    try:
        from matplotlib.figure import Figure
    except ImportError as err:
        raise ImportError("plot_gradient_flow: needs matplotlib, which is not installed; "
                          "run pip install matplotlib (or pip install 'minigrad[examples]')"
                          ) from err
    if isinstance(flows, GradientFlow):
        flows = {None: flows}
    if not isinstance(flows, dict) or not all(isinstance(f, GradientFlow) for f in flows.values()):
        raise TypeError("plot_gradient_flow: expected a GradientFlow or a dict "
                        "{name: GradientFlow}, as gradient_flow returns")
    panels = [("states", r"$\Vert\partial L/\partial h[t]\Vert$")]
    if any(f.weight is not None for f in flows.values()):
        panels.append(("weight", r"$\Vert$step $t$'s share of $\partial L/\partial W\Vert$"))
    figure = Figure(figsize=(5.5 * len(panels), 3.8), layout="constrained")
    for ax, (field, ylabel) in zip(figure.subplots(1, len(panels), squeeze=False)[0], panels):
        for n, (name, flow) in enumerate(flows.items()):
            norms = getattr(flow, field)
            if norms is not None:  # a zero (a share from h[0] = 0) has no place on a log scale
                ax.plot(np.arange(1, len(norms) + 1), np.where(norms > 0, norms, np.nan),
                        label=name, color=f"C{n}")  # one colour per model in both panels
        ax.set(xlabel="time step t", ylabel=ylabel, yscale="log")
        if None not in flows:
            ax.legend()
    if title:
        figure.suptitle(title)
    if path is not None:
        figure.savefig(path)
    return figure
