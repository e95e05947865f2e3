"""The CuPy backend: a clear error where it cannot run, and real GPU checks where it can."""

import sys
import types

import numpy as np
import pytest

import minigrad as mg


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
    assert "CuPy" in message and 'pip install "minigrad[cuda12]"' in message, message
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
