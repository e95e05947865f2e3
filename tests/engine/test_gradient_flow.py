"""viz.gradient_flow: ||dL/dh[t]|| and each step's share of a weight's gradient."""

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn, viz


def unroll(cell, steps, retain=True):
    """``cell`` over ``steps`` random float64 inputs; the state after each step."""
    state, states = None, []
    for x in mg.randn(steps, 2, 3, dtype=mg.float64):
        state = cell(x, state)
        states.append(state)
        for t in state if isinstance(state, tuple) else (state,):
            if retain:
                t.retain_grad()
    return states


def loss_of(states):
    """A loss that reads the last state and an earlier one, so some steps get two shares."""
    last, middle = (s[0] if isinstance(s, tuple) else s for s in (states[-1], states[2]))
    return (last * last).sum() + middle.sum()


def as_norm(*tensors):
    """The norm of the retained gradients together (an unused c[T] has none)."""
    return np.sqrt(sum(np.sum(t.grad.numpy() ** 2) for t in tensors if t.grad is not None))


@pytest.mark.parametrize("kind", ["rnn", "gru", "lstm"])
def test_state_norms_equal_retained_gradients(backend, kind):
    cell = {"rnn": nn.RNNCell, "gru": nn.GRUCell, "lstm": nn.LSTMCell}[kind](
        3, 4, dtype=mg.float64)
    states = unroll(cell, 5)
    loss = loss_of(states)
    flow = viz.gradient_flow(loss, states)
    assert flow.weight is None
    assert cell.weight_hh.grad is None  # nothing written to .grad
    loss.backward()  # the graph was kept for it
    expected = [as_norm(*(s if isinstance(s, tuple) else (s,))) for s in states]
    np.testing.assert_allclose(flow.states, expected, rtol=1e-12)


def test_weight_shares_of_an_elman_rnn_are_its_outer_products(backend):
    """Step t sends (dL/dh[t] * (1 - h[t]^2))^T h[t-1] to W_hh; the shares sum to its grad."""
    cell = nn.RNNCell(3, 4, dtype=mg.float64)
    states = unroll(cell, 5)
    loss = loss_of(states)
    flow = viz.gradient_flow(loss, states, weight=cell.weight_hh)
    loss.backward()
    before = [np.zeros((2, 4))] + [h.numpy() for h in states[:-1]]
    shares = [(h.grad.numpy() * (1 - h.numpy() ** 2)).T @ p for h, p in zip(states, before)]
    np.testing.assert_allclose(flow.weight, [np.linalg.norm(s) for s in shares], rtol=1e-10)
    np.testing.assert_allclose(sum(shares), cell.weight_hh.grad.numpy(), rtol=1e-10)


def test_lstm_shares_add_up_to_the_weight_gradient(backend, monkeypatch):
    """With (h, c) as the state the shares cover the whole gradient: each step's walk stops
    at both of the previous step's outputs."""
    cell = nn.LSTMCell(3, 4, dtype=mg.float64)
    states = unroll(cell, 4, retain=False)
    loss = loss_of(states)
    shares = []
    monkeypatch.setattr(viz.flow, "_norm", lambda grads: shares.append(grads[0]) or 0.0)
    viz.gradient_flow(loss, states, weight=cell.weight_hh)
    loss.backward()
    shares = shares[len(states):]  # after the states' norms
    total = sum(s.numpy() for s in shares if s is not None)
    np.testing.assert_allclose(total, cell.weight_hh.grad.numpy(), rtol=1e-10)


def test_bad_arguments_are_named():
    cell = nn.RNNCell(3, 4, dtype=mg.float64)
    states = unroll(cell, 2, retain=False)
    with pytest.raises(ValueError, match="scalar"):
        viz.gradient_flow(states[-1], states)
    with pytest.raises(TypeError, match="non-empty list"):
        viz.gradient_flow(states[-1].sum(), [])
    with pytest.raises(ValueError, match="requires grad"):
        viz.gradient_flow(states[-1].sum(), [mg.zeros(2, 4)])
    with pytest.raises(ValueError, match="weight_hh"):
        viz.gradient_flow(states[-1].sum(), states, weight=mg.zeros(4, 4))


def test_plot_draws_one_line_per_model_and_a_weight_panel(tmp_path):
    pytest.importorskip("matplotlib")
    cell = nn.RNNCell(3, 4, dtype=mg.float64)
    states = unroll(cell, 3, retain=False)
    flow = viz.gradient_flow(states[-1].sum(), states, weight=cell.weight_hh)
    figure = viz.plot_gradient_flow({"a": flow, "b": flow}, path=tmp_path / "flow.png")
    assert [len(ax.lines) for ax in figure.axes] == [2, 2]
    assert (tmp_path / "flow.png").stat().st_size > 0
    with pytest.raises(TypeError, match="GradientFlow"):
        viz.plot_gradient_flow([flow])


def test_plot_without_matplotlib_says_how_to_install_it(monkeypatch):
    import builtins
    real_import = builtins.__import__

    def no_matplotlib(name, *args, **kwargs):
        if name.startswith("matplotlib"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_matplotlib)
    with pytest.raises(ImportError, match="pip install matplotlib"):
        viz.plot_gradient_flow(viz.GradientFlow(np.ones(2), None))
