"""Engine settings are per thread: grad mode and the default backend, as in PyTorch."""

import threading

import numpy as np

import minigrad as mg
from minigrad import nn
from minigrad.function import Function


def in_thread(body):
    """Run ``body(inside, release)`` in a thread; return once it has signalled ``inside``."""
    inside, release = threading.Event(), threading.Event()
    errors = []

    def run():
        try:
            body(inside, release)
        except BaseException as err:  # noqa: BLE001  (reported by the test thread)
            errors.append(err)
            inside.set()

    thread = threading.Thread(target=run)
    thread.start()
    assert inside.wait(timeout=60)

    def finish():
        release.set()
        thread.join(timeout=60)
        assert not thread.is_alive() and not errors, errors

    return finish


def test_no_grad_in_one_thread_leaves_recording_on_in_the_others():
    def body(inside, release):
        with mg.no_grad():
            inside.set()
            release.wait(timeout=60)
            assert not mg.is_grad_enabled()

    finish = in_thread(body)
    x = mg.ones(2, requires_grad=True)
    assert mg.is_grad_enabled() and (x * 2).requires_grad
    finish()


class WaitInBackward(Function):
    """The identity, whose backward holds the walk until the test releases it."""

    inside = release = None

    def forward(self, xp, x):
        return x.copy()

    def backward(self, gy):
        WaitInBackward.inside.set()
        WaitInBackward.release.wait(timeout=60)
        return gy


def test_a_backward_pass_in_one_thread_leaves_recording_on_in_the_others():
    def body(inside, release):
        WaitInBackward.inside, WaitInBackward.release = inside, release
        x = mg.ones(2, requires_grad=True)
        WaitInBackward.apply(x).sum().backward()
        assert x.grad is not None

    finish = in_thread(body)
    y = mg.ones(2, requires_grad=True) * 3
    assert y.requires_grad and y._node is not None
    finish()


def test_the_default_backend_is_per_thread(fake_backend):
    def body(inside, release):
        with mg.default_backend("fakenp"):
            inside.set()
            release.wait(timeout=60)
            assert mg.zeros(2).backend == "fakenp"

    finish = in_thread(body)
    assert mg.zeros(2).backend == "numpy"
    finish()
    seen = []
    worker = threading.Thread(target=lambda: seen.append(mg.backends.get_default().name))
    with mg.default_backend("fakenp"):
        worker.start()
        worker.join(timeout=60)
    assert seen == ["numpy"]  # a new thread starts from NumPy, whatever its parent chose


def train(model, data, steps, barrier=None):
    """``steps`` of SGD on ``data`` (inputs, targets); returns the losses."""
    optimizer = mg.optim.SGD(model.parameters(), lr=0.1)
    inputs, targets = (mg.tensor(a) for a in data)
    losses = []
    for _ in range(steps):
        if barrier is not None:
            barrier.wait(timeout=60)  # both threads step together, their ops interleaved
        output, _ = model(inputs)
        loss = ((output[-1] - targets) ** 2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


def test_two_threads_train_two_models_as_one_after_the_other_would():
    rng = np.random.default_rng(0)
    data = [(rng.standard_normal((12, 4, 3), dtype=np.float32),
             rng.standard_normal((4, 5), dtype=np.float32)) for _ in range(2)]
    states = []
    for _ in range(2):
        states.append(nn.LSTM(3, 5).state_dict())

    def models():
        built = [nn.LSTM(3, 5) for _ in range(2)]
        for model, state in zip(built, states):
            model.load_state_dict(state)
        return built

    alone = [train(model, pair, 15) for model, pair in zip(models(), data)]
    together, barrier, errors = [None, None], threading.Barrier(2), []

    def run(index, model):
        try:
            together[index] = train(model, data[index], 15, barrier)
        except BaseException as err:  # noqa: BLE001  (reported below)
            errors.append(err)
            barrier.abort()

    threads = [threading.Thread(target=run, args=(i, m)) for i, m in enumerate(models())]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert together == alone
