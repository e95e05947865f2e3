"""nn.utils.truncated_bptt: TBPTT(k1, k2) against full BPTT, the detach loop and a hand
computation with explicit detaches, plus resuming and its refusals."""

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn
from minigrad.nn.utils import truncated_bptt

B, I, H = 2, 3, 4


def lstm_model(seed=0):
    """A float64 LSTM with a linear head: ``model(x, state) -> (output, state)``."""
    mg.manual_seed(seed)
    lstm, head = nn.LSTM(I, H, dtype=mg.float64), nn.Linear(H, 1, dtype=mg.float64)

    def model(x, state):
        output, state = lstm(x, state)
        return head(output), state

    return model, [*lstm.parameters(), *head.parameters()]


def stream(steps, seed=1):
    rng = np.random.default_rng(seed)
    return mg.tensor(rng.standard_normal((steps, B, I))), mg.tensor(
        rng.standard_normal((steps, B, 1)))


def arrays(tensors):
    return [t.numpy().copy() for t in tensors]


def test_one_window_of_the_whole_stream_is_full_bptt():
    inputs, targets = stream(9)
    model, params = lstm_model()
    optimizer = mg.optim.SGD(params, lr=0.1)
    (update,) = truncated_bptt(model, inputs, targets, nn.F.mse_loss, optimizer, k1=9, k2=9)
    grads, weights = arrays(p.grad for p in params), arrays(params)

    model, params = lstm_model()
    output, (h, c) = model(inputs, None)
    loss = nn.F.mse_loss(output, targets)
    loss.backward()
    for mine, full in zip(grads, arrays(p.grad for p in params)):
        np.testing.assert_array_equal(mine, full)
    mg.optim.SGD(params, lr=0.1).step()
    for mine, full in zip(weights, arrays(params)):
        np.testing.assert_array_equal(mine, full)
    assert update.end == 9 and update.loss.item() == loss.item()
    np.testing.assert_array_equal(update.state[1].numpy(), c.numpy())


@pytest.mark.parametrize("k", [1, 3, 4])
def test_k2_equal_to_k1_is_the_detach_loop(k):
    """Bit for bit, with the last chunk shorter (11 steps), Adam and clipping."""
    inputs, targets = stream(11)
    model, params = lstm_model()
    optimizer = mg.optim.Adam(params, lr=0.01)
    updates = list(truncated_bptt(model, inputs, targets, nn.F.mse_loss, optimizer, k1=k,
                                  before_step=lambda: nn.utils.clip_grad_norm_(params, 0.5)))
    mine = arrays(params)

    model, params = lstm_model()
    optimizer, state, losses = mg.optim.Adam(params, lr=0.01), None, []
    for start in range(0, 11, k):
        output, state = model(inputs[start:start + k], state)
        loss = nn.F.mse_loss(output, targets[start:start + k])
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(params, 0.5)
        optimizer.step()
        state = tuple(s.detach() for s in state)
        losses.append(loss.item())
    assert [u.loss.item() for u in updates] == losses
    assert [u.end for u in updates] == [min(s + k, 11) for s in range(0, 11, k)]
    for got, want in zip(mine, arrays(params)):
        np.testing.assert_array_equal(got, want)
    for got, want in zip(updates[-1].state, state):
        np.testing.assert_array_equal(got.numpy(), want.numpy())
    assert all(u.state is u.resume_state for u in updates)


def hand_tbptt(weights, inputs, targets, k1, k2, lr):
    """TBPTT(k1, k2) of an Elman RNN written step by step, by the definition.

    The update for steps a .. b-1 runs the cell from the state at the window's start
    w = a - (k2 - k1), detached (no gradient flows past it), as last computed, with the
    current weights; its loss is the mean squared error of steps a .. b-1; then SGD.
    """
    w_ih, w_hh, b_ih, b_hh = (mg.tensor(w) for w in weights)
    steps, states, losses = len(inputs), {0: mg.zeros(B, H, dtype=mg.float64)}, []
    for a in range(0, steps, k1):
        b = min(a + k1, steps)
        params = [p.detach().requires_grad_() for p in (w_ih, w_hh, b_ih, b_hh)]
        w_ih, w_hh, b_ih, b_hh = params
        start = max(0, a - (k2 - k1))
        h = states[start].detach()
        errors = []
        for t in range(start, b):
            h = (inputs[t] @ w_ih.T + b_ih + h @ w_hh.T + b_hh).tanh()
            states[t + 1] = h.detach()
            if t >= a:
                errors.append(((h - targets[t]) ** 2).sum())
        loss = sum(errors) / ((b - a) * B * H)
        grads = mg.grad(loss, params)
        w_ih, w_hh, b_ih, b_hh = (p.detach() - lr * g for p, g in zip(params, grads))
        losses.append(loss.item())
    return [w.numpy() for w in (w_ih, w_hh, b_ih, b_hh)], losses


@pytest.mark.parametrize("k1, k2, steps", [(2, 3, 7), (2, 5, 7), (3, 4, 9), (1, 4, 6),
                                           (2, 2, 5)])
def test_k2_beyond_k1_equals_a_hand_computation(k1, k2, steps):
    rng = np.random.default_rng(2)
    inputs = mg.tensor(rng.standard_normal((steps, B, I)))
    targets = mg.tensor(rng.standard_normal((steps, B, H)))
    rnn = nn.RNN(I, H, dtype=mg.float64)
    weights = arrays(rnn.parameters())
    updates = list(truncated_bptt(rnn, inputs, targets, nn.F.mse_loss,
                                  mg.optim.SGD(rnn.parameters(), lr=0.5), k1, k2))
    want, losses = hand_tbptt(weights, inputs, targets, k1, k2, lr=0.5)
    np.testing.assert_allclose([u.loss.item() for u in updates], losses, rtol=1e-12)
    for got, expected in zip(arrays(rnn.parameters()), want):
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("k1, k2", [(2, 5), (3, 3), (2, 3)])
def test_the_carried_states_are_the_forward_pass_when_nothing_is_learnt(k1, k2):
    """With a learning rate of 0 recomputing changes nothing: ``state`` and
    ``resume_state`` are the states of one pass over the stream at their steps."""
    inputs, targets = stream(8)
    model, params = lstm_model()
    updates = list(truncated_bptt(model, inputs, targets, nn.F.mse_loss,
                                  mg.optim.SGD(params, lr=0.0), k1, k2))
    for update in updates:
        for step, state in [(update.end, update.state),
                            (max(0, update.end - (k2 - k1)), update.resume_state)]:
            if step == 0:
                assert state is None  # the layer's own zeros, never made outside it
                continue
            _, (h, c) = model(inputs[:step], None)
            np.testing.assert_allclose(state[0].numpy(), h.numpy(), rtol=1e-12, atol=1e-15)
            np.testing.assert_allclose(state[1].numpy(), c.numpy(), rtol=1e-12, atol=1e-15)


def test_resuming_from_an_update_continues_bit_for_bit():
    inputs, targets = stream(13)

    def run(stop=None):
        model, params = lstm_model()
        optimizer = mg.optim.Adam(params, lr=0.01)
        updates = truncated_bptt(model, inputs, targets, nn.F.mse_loss, optimizer, 3, 7)
        for update in updates:
            if update.end == stop:
                break
        return params, optimizer, update

    whole = arrays(run()[0])
    params, optimizer, update = run(stop=6)
    saved = (arrays(params), optimizer.state_dict())
    model, params = lstm_model(seed=5)  # other weights, then the saved ones loaded
    for p, value in zip(params, saved[0]):
        p.data[...] = value
    optimizer = mg.optim.Adam(params, lr=0.01)
    optimizer.load_state_dict(saved[1])
    resumed = list(truncated_bptt(model, inputs, targets, nn.F.mse_loss, optimizer, 3, 7,
                                  state=update.resume_state, start=update.end))
    assert [u.end for u in resumed] == [9, 12, 13]
    for got, want in zip(arrays(params), whole):
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("arguments, words", [
    ({"k1": 0}, "expected k1 to be a positive int (a number of time steps), got k1=0"),
    ({"k1": -2}, "got k1=-2"),
    ({"k1": 2.0}, "got k1=2.0"),
    ({"k1": "3"}, "got k1='3'"),
    ({"k1": True}, "got k1=True"),
    ({"k1": 3, "k2": 2}, "expected k2 >= k1 (each update goes back through at least its own "
                         "k1 steps), got k1=3 and k2=2; pass k2=k1 or larger"),
    ({"k1": 3, "k2": 1.5}, "expected k2 to be a positive int (a number of time steps), got "
                           "k2=1.5"),
    ({"k1": 3, "start": 5}, "expected start to be an int in [0, T) = [0, 5), got start=5"),
    ({"k1": 3, "start": -1}, "got start=-1"),
])
def test_bad_arguments_are_value_errors_naming_them(arguments, words):
    inputs, targets = stream(5)
    model, params = lstm_model()
    with pytest.raises(ValueError) as error:
        truncated_bptt(model, inputs, targets, nn.F.mse_loss, mg.optim.SGD(params, lr=0.1),
                       **arguments)
    assert str(error.value).startswith("truncated_bptt: ") and words in str(error.value)


def test_targets_of_another_length_are_refused():
    inputs, targets = stream(5)
    model, params = lstm_model()
    with pytest.raises(ValueError, match=r"same number of steps T, got shapes \(5, 2, 3\) "
                                         r"and \(4, 2, 1\)"):
        truncated_bptt(model, inputs, targets[:4], nn.F.mse_loss,
                       mg.optim.SGD(params, lr=0.1), 2)
