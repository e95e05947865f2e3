"""The CuPy backend: a clear error where it cannot run, and real GPU checks where it can.

The GPU API checks (tensors and modules moved to the device and back, the default backend,
seeding, saving and loading) run on "cupy" where a GPU is available, and always on
"fakenp", NumPy registered under another name, so that their logic is exercised on a
CPU-only machine too.
"""

import sys
import types

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn


@pytest.fixture
def without_cupy(isolated_registry, monkeypatch):
    """Pretend CuPy is not installed: `import cupy` fails, and nothing is cached."""
    monkeypatch.setitem(sys.modules, "cupy", None)
    isolated_registry._instances.pop("cupy", None)
    isolated_registry._errors.pop("cupy", None)
    return isolated_registry


def fake_cupy(device_count):
    """A stand-in `cupy` module whose CUDA runtime reports ``device_count`` (or raises it)."""
    def get_device_count():
        if isinstance(device_count, Exception):
            raise device_count
        return device_count

    runtime = types.SimpleNamespace(getDeviceCount=get_device_count)
    return types.SimpleNamespace(cuda=types.SimpleNamespace(runtime=runtime))


@pytest.mark.parametrize("ask", [
    lambda: mg.randn(2, backend="cupy"),
    lambda: mg.zeros(2, backend="cupy"),
    lambda: mg.tensor([1.0]).to("cupy"),
    lambda: mg.set_default_backend("cupy"),
    lambda: mg.backends.get("cupy"),
])
def test_missing_cupy_names_the_library_and_the_fix(without_cupy, ask):
    with pytest.raises(mg.BackendUnavailableError) as info:
        ask()
    message = str(info.value)
    assert "CuPy" in message and "pip install cupy-cuda12x" in message, message
    assert 'pip install "minigrad' not in message  # the package index's minigrad is another
    assert "cupy" not in mg.backends.available()


def test_the_error_is_remembered_not_retried(without_cupy):
    with pytest.raises(mg.BackendUnavailableError) as first:
        mg.backends.get("cupy")
    with pytest.raises(mg.BackendUnavailableError) as second:
        mg.backends.get("cupy")
    assert first.value is second.value


@pytest.mark.parametrize("count, words", [
    (0, "no GPU is visible"),
    (RuntimeError("cudaErrorNoDevice"), "no usable GPU"),
])
def test_cupy_without_a_gpu_says_so(without_cupy, monkeypatch, count, words):
    monkeypatch.setitem(sys.modules, "cupy", fake_cupy(count))
    with pytest.raises(mg.BackendUnavailableError, match=words) as info:
        mg.randn(2, backend="cupy")
    assert "backend='numpy'" in str(info.value)


# ---- on a real GPU -----------------------------------------------------------------------------

gpu = pytest.mark.skipif("cupy" not in mg.backends.available(),
                         reason="needs CuPy and a CUDA GPU")


@pytest.fixture(params=[pytest.param("cupy", marks=gpu), "fakenp"])
def device(request):
    """"cupy" on a GPU machine, and "fakenp" everywhere (registered for the test)."""
    if request.param == "fakenp":
        request.getfixturevalue("fake_backend")
    return request.param


def native(device):
    """The array type of ``device``: cupy.ndarray, or numpy.ndarray for "fakenp"."""
    return mg.backends.get(device).xp.ndarray


@gpu
def test_cupy_tensors_live_on_the_device():
    import cupy

    x = mg.randn(2, 3, backend="cupy", requires_grad=True)
    assert isinstance(x.data, cupy.ndarray) and isinstance(x.numpy(), np.ndarray)
    assert x.backend == "cupy" and mg.tensor(cupy.ones(2)).backend == "cupy"
    (x.tanh() * 2).sum().backward()
    assert isinstance(x.grad.data, cupy.ndarray)


@gpu
def test_cupy_round_trip_is_differentiable():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    y = x.to("cupy")
    (y * y).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 4.0])


@gpu
def test_cupy_gradcheck_and_repeated_index_scatter():
    x = mg.tensor([0.5, -1.0, 2.0], dtype=mg.float64, backend="cupy", requires_grad=True)
    assert mg.gradcheck(lambda t: t[[0, 0, 2]].tanh() * t.sum(), [x])
    x[[0, 0, 2]].sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 0.0, 1.0])


@gpu
def test_cupy_seeding_is_reproducible():
    mg.manual_seed(3)
    first = mg.randn(4, backend="cupy").numpy()
    mg.manual_seed(3)
    np.testing.assert_array_equal(mg.randn(4, backend="cupy").numpy(), first)


# ---- the GPU API, on "cupy" and on "fakenp" ----------------------------------------------------


def test_tensor_moves_to_the_device_and_back(device):
    host = np.arange(6, dtype=np.float32).reshape(2, 3)
    x = mg.tensor(host, backend=device)
    assert x.backend == device and isinstance(x.data, native(device))
    assert type(x.numpy()) is np.ndarray and x.numpy() is not host   # a copy, on the host
    back = x.to("numpy")
    assert back.backend == "numpy" and back.to(device).backend == device
    np.testing.assert_array_equal(back.to(device).numpy(), host)
    total = x.sum().item()
    assert type(total) is float and total == 15.0
    assert type(mg.arange(3, backend=device).sum().item()) is int


def lstm_with_gradients(**options):
    lstm = nn.LSTM(3, 4, num_layers=2, **options)
    output, (h, c) = lstm(mg.randn(5, 2, 3, backend=lstm.weight_ih_l0.backend))
    ((output * output).sum() + h.sum() + c.sum()).backward()
    return lstm


def test_module_to_device_keeps_each_parameter_and_moves_its_gradient(device):
    lstm = lstm_with_gradients()
    params = list(lstm.parameters())
    values = [p.numpy().copy() for p in params]
    grads = [p.grad.numpy().copy() for p in params]
    optimizer = mg.optim.SGD(lstm.parameters(), lr=0.1)
    assert lstm.to(device) is lstm
    for p, same, value, grad in zip(lstm.parameters(), params, values, grads, strict=True):
        assert p is same   # the same objects, so the optimiser still holds them
        assert p.backend == p.grad.backend == device and isinstance(p.data, native(device))
        np.testing.assert_array_equal(p.numpy(), value)
        np.testing.assert_array_equal(p.grad.numpy(), grad)
    optimizer.step()   # updates on the device, through the parameters it already held
    first = next(lstm.parameters())
    assert first.backend == device
    np.testing.assert_allclose(first.numpy(), values[0] - 0.1 * grads[0], rtol=1e-6)
    output, _ = lstm(mg.randn(5, 2, 3, backend=device))
    assert output.backend == device
    lstm.to("numpy")
    assert all(p.backend == p.grad.backend == "numpy" for p in lstm.parameters())


def test_default_backend_puts_new_tensors_and_modules_on_the_device(device):
    before = mg.backends.get_default().name
    mg.set_default_backend(device)
    try:
        assert mg.zeros(2).backend == mg.randn(2).backend == mg.tensor([1.0]).backend == device
        assert all(p.backend == device for p in nn.GRU(2, 3).parameters())
    finally:
        mg.set_default_backend(before)
    assert mg.zeros(2).backend == before
    with mg.default_backend(device):
        assert all(p.backend == device for p in nn.Linear(2, 3).parameters())
    assert mg.backends.get_default().name == before


def seeded_draws(seed, device):
    """Everything random on ``device``: draws, LSTM init, Dropout masks and the dropout
    between stacked layers; as host arrays."""
    mg.manual_seed(seed)
    draws = [mg.randn(8, backend=device), mg.rand(8, backend=device)]
    lstm = nn.LSTM(3, 4, num_layers=2, dropout=0.5, backend=device)
    draws += list(lstm.parameters())
    draws.append(nn.Dropout(0.5)(mg.ones(32, backend=device)))
    draws.append(lstm(mg.ones(5, 2, 3, backend=device))[0])
    return [t.numpy() for t in draws]


def test_manual_seed_makes_device_runs_reproducible(device):
    first, again, other = (seeded_draws(s, device) for s in (7, 7, 8))
    for i, (a, b, c) in enumerate(zip(first, again, other, strict=True)):
        np.testing.assert_array_equal(a, b, err_msg=f"draw {i}")
        assert not np.array_equal(a, c), f"draw {i} ignores the seed"


def test_save_writes_host_arrays_and_load_state_dict_returns_them_to_the_device(
        device, tmp_path):
    mg.manual_seed(0)
    lstm = lstm_with_gradients(backend=device)
    optimizer = mg.optim.Adam(lstm.parameters(), lr=0.01)
    optimizer.step()
    path = tmp_path / "checkpoint.npz"
    mg.save({"model": lstm.state_dict(), "optim": optimizer.state_dict()}, path)

    with np.load(path, allow_pickle=False) as archive:   # NumPy alone can read it
        for name, p in lstm.named_parameters():
            saved = archive[f"model/{name}"]
            assert type(saved) is np.ndarray and saved.dtype == np.float32
            np.testing.assert_array_equal(saved, p.numpy())

    checkpoint = mg.load(path)
    mg.manual_seed(1)
    fresh = lstm_with_gradients(backend=device)
    params = list(fresh.parameters())
    fresh.load_state_dict(checkpoint["model"])
    fresh_optimizer = mg.optim.Adam(fresh.parameters(), lr=0.01)
    fresh_optimizer.load_state_dict(checkpoint["optim"])
    for (name, p), q, mine in zip(lstm.named_parameters(), fresh.parameters(), params,
                                  strict=True):
        assert q is mine and q.backend == device and isinstance(q.data, native(device)), name
        np.testing.assert_array_equal(q.numpy(), p.numpy(), err_msg=name)
    assert all(isinstance(state["exp_avg"], native(device)) for state in fresh_optimizer.state)
    # One more identical step on both: only equal moments give equal parameters.
    for model, opt in ((lstm, optimizer), (fresh, fresh_optimizer)):
        model.zero_grad()
        (model(mg.ones(5, 2, 3, backend=device))[0] ** 2).sum().backward()
        opt.step()
    for p, q in zip(lstm.parameters(), fresh.parameters(), strict=True):
        np.testing.assert_array_equal(q.numpy(), p.numpy())


# ---- no host-device synchronisation in a training step -----------------------------------------

# CuPy deprecated allow_synchronize (it cannot see synchronisations outside CuPy) and warns on
# each use; it still catches every one that CuPy itself makes, which is what matters here.
quiet_guard = pytest.mark.filterwarnings("ignore:cupyx.allow_synchronize:UserWarning")


@pytest.fixture
def no_sync():
    """``cupyx.allow_synchronize(False)``: inside it, CuPy raises ``cupyx.DeviceSynchronized``
    at any synchronisation it performs (``.item()``, ``cupy.asnumpy``, ``bool()``...)."""
    cupyx = pytest.importorskip("cupyx")
    if not hasattr(cupyx, "allow_synchronize"):
        pytest.skip("this CuPy has no cupyx.allow_synchronize")
    # The guard must catch a synchronisation, or the tests below could not fail.
    with pytest.raises(cupyx.DeviceSynchronized), cupyx.allow_synchronize(False):
        mg.ones(2, backend="cupy").sum().item()
    return lambda: cupyx.allow_synchronize(False)


RECURRENT = {
    "rnn": lambda: nn.RNN(4, 8, backend="cupy"),
    "gru": lambda: nn.GRU(4, 8, backend="cupy"),
    "gru-reset-after": lambda: nn.GRU(4, 8, reset_after=True, backend="cupy"),
    "lstm": lambda: nn.LSTM(4, 8, num_layers=2, backend="cupy"),
}
OPTIMIZERS = {
    "adam": lambda params: mg.optim.Adam(params, lr=1e-3),
    "sgd-momentum": lambda params: mg.optim.SGD(params, lr=0.1, momentum=0.9, weight_decay=1e-4),
}


def train(model, optimizer, loss_fn, steps=2):
    """Forward, loss, backward, clipping and update, ``steps`` times; the losses stay on
    the device, as a training loop should keep them between log points."""
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = loss_fn(model)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        losses.append(loss.detach())
    return losses


@gpu
@quiet_guard
@pytest.mark.parametrize("optim", list(OPTIMIZERS))
@pytest.mark.parametrize("kind", list(RECURRENT))
def test_a_training_step_never_waits_for_the_gpu(no_sync, kind, optim):
    rnn = RECURRENT[kind]()
    optimizer = OPTIMIZERS[optim](rnn.parameters())
    x = mg.randn(6, 3, 4, backend="cupy")

    def squares(model):
        output, state = model(x)
        state = state if isinstance(state, tuple) else (state,)
        return (output ** 2).mean() + sum((s ** 2).mean() for s in state)

    with no_sync():
        losses = train(rnn, optimizer, squares)
    assert all(loss.backend == "cupy" for loss in losses)
    assert losses[1].item() < losses[0].item()   # it did train (read back after the guard)


@pytest.fixture
def unchecked_indices(monkeypatch):
    """Skip the range check of integer indices, recording each call instead.

    ``Embedding`` and ``cross_entropy`` check that their indices are in range, since
    CuPy would wrap a bad one around silently; reading the two bounds is one deliberate
    synchronisation per call, outside the time loop. The tests below show that it is
    the only one: everything else in the step stays on the device.
    """
    from minigrad.nn import _checks

    checked = []
    monkeypatch.setattr(_checks, "index_range", lambda owner, *args: checked.append(owner))
    return checked


@gpu
@quiet_guard
@pytest.mark.parametrize("kind", list(RECURRENT))
def test_a_cross_entropy_step_waits_only_for_its_index_check(no_sync, unchecked_indices, kind):
    model = nn.Sequential(RECURRENT[kind](), nn.Linear(8, 10, backend="cupy"))
    optimizer = mg.optim.Adam(model.parameters(), lr=1e-2)
    x = mg.randn(6, 3, 4, backend="cupy")
    targets = mg.tensor(np.arange(18) % 10, backend="cupy")   # integer classes, on the GPU

    def cross_entropy(model):
        output, _ = model[0](x)
        return nn.functional.cross_entropy(model[1](output.reshape(18, 8)), targets)

    with no_sync():
        losses = train(model, optimizer, cross_entropy)
    assert unchecked_indices == ["cross_entropy"] * 2
    assert losses[1].item() < losses[0].item()


@gpu
@quiet_guard
def test_an_embedding_step_waits_only_for_its_index_check(no_sync, unchecked_indices):
    embed = nn.Embedding(10, 4, backend="cupy")
    ids = mg.tensor(np.arange(18).reshape(6, 3) % 10, backend="cupy")   # as in char_lstm
    with no_sync():
        (embed(ids) ** 2).sum().backward()
    assert unchecked_indices == ["Embedding"]
    assert embed.weight.grad.backend == "cupy"


@gpu
@pytest.mark.parametrize("bad", [-1, 10])
def test_out_of_range_indices_on_the_gpu_are_refused_not_wrapped(bad):
    ids = mg.tensor([[1, bad]], backend="cupy")
    with pytest.raises(IndexError, match=r"Embedding: expected indices in \[0, 10\)"):
        nn.Embedding(10, 4, backend="cupy")(ids)
    logits = mg.zeros(2, 10, backend="cupy")
    with pytest.raises(IndexError, match=r"cross_entropy: expected target classes in \[0, 10\)"):
        nn.functional.cross_entropy(logits, ids.reshape(2))
