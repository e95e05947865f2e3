"""The backend registry: names, the default backend, and plugging in a third backend."""

import importlib.util
import subprocess
import sys

import numpy as np
import pytest
from _cases import CASES, draw_inputs, value_and_grads

import minigrad as mg

NO_CUPY = importlib.util.find_spec("cupy") is None


@pytest.mark.skipif(not NO_CUPY, reason="CuPy is installed here")
def test_available_is_numpy_alone_without_cupy():
    assert mg.backends.available() == ["numpy"]
    shown = subprocess.run(
        [sys.executable, "-c", "import minigrad as mg; print(mg.backends.available())"],
        capture_output=True, text=True, check=True,
    )
    assert shown.stdout.strip() == "['numpy']"


def test_numpy_comes_first_and_is_the_default():
    assert mg.backends.available()[0] == "numpy"
    assert mg.backends.get_default().name == "numpy" and mg.zeros(1).backend == "numpy"


def test_get_returns_the_backend_with_its_protocol():
    numpy_backend = mg.backends.get("numpy")
    assert numpy_backend.name == "numpy" and numpy_backend.xp is np
    assert mg.backends.get(numpy_backend) is numpy_backend
    assert issubclass(mg.BackendUnavailableError, RuntimeError)
    assert mg.BackendUnavailableError is mg.backends.BackendUnavailableError


def test_set_default_backend(fake_backend):
    mg.set_default_backend("fakenp")
    assert mg.zeros(1).backend == mg.randn(1).backend == "fakenp"
    mg.set_default_backend("numpy")
    assert mg.zeros(1).backend == "numpy"


def test_default_backend_context_restores_even_on_exception(fake_backend):
    with mg.default_backend("fakenp") as chosen:
        assert chosen is fake_backend and mg.ones(1).backend == "fakenp"
    assert mg.ones(1).backend == "numpy"
    with pytest.raises(KeyError), mg.default_backend("fakenp"):
        raise KeyError("inside the block")
    assert mg.ones(1).backend == "numpy"


def test_a_failed_switch_keeps_the_old_default(isolated_registry):
    with pytest.raises(ValueError), mg.default_backend("nope"):
        pass  # entering the block must fail; its body never runs
    assert mg.zeros(1).backend == "numpy"


def test_a_registered_backend_is_available_and_seeded(fake_backend):
    assert "fakenp" in mg.backends.available() and mg.backends.get("fakenp") is fake_backend
    mg.manual_seed(5)
    first = mg.randn(3, backend="fakenp").numpy()
    mg.manual_seed(5)
    np.testing.assert_array_equal(mg.randn(3, backend="fakenp").numpy(), first)


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_third_backend_runs_every_op_and_its_backward(fake_backend, name):
    """Factories, ops and backward work on "fakenp" without a change to the engine."""
    fn = CASES[name][0]
    arrays = draw_inputs(name)
    expected = value_and_grads(fn, arrays, mg.float64, "numpy")
    with mg.default_backend("fakenp"):
        got = value_and_grads(fn, arrays, mg.float64, "fakenp")
    for a, b in zip(got, expected):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_tensors_on_the_third_backend_say_so(fake_backend):
    x = mg.randn(2, backend="fakenp", requires_grad=True)
    (x * x).sum().backward()
    assert x.backend == x.grad.backend == "fakenp"
    assert "fakenp" in repr(x)
    assert x.to("numpy").backend == "numpy" and mg.tensor(x, backend="numpy").backend == "numpy"


def test_a_move_to_another_backend_is_differentiable_once_and_twice(fake_backend):
    """The move's backward copies the gradient back: on arrays, and recorded on Tensors."""
    x = mg.tensor([1.0, 2.0, 3.0], dtype=mg.float64, requires_grad=True)
    (x.to("fakenp") ** 3).sum().backward()
    assert x.grad.backend == "numpy"
    np.testing.assert_allclose(x.grad.numpy(), 3 * x.numpy() ** 2)
    (g,) = mg.grad((x.to("fakenp") ** 3).sum(), [x], create_graph=True)
    assert g.backend == "numpy" and g.requires_grad
    (gg,) = mg.grad(g.sum(), [x])
    np.testing.assert_allclose(gg.numpy(), 6 * x.numpy())


class Incomplete:
    name = "incomplete"
    xp = np

    def to_host(self, array):
        return array


def test_register_rejects_objects_missing_protocol_members(isolated_registry):
    with pytest.raises(TypeError) as info:
        mg.backends.register(Incomplete())
    message = str(info.value)
    assert "Incomplete" in message and "from_host" in message and "seed" in message
    assert "incomplete" not in mg.backends.available()


def test_unknown_names_list_what_is_known():
    with pytest.raises(ValueError, match=r"'tpu'.*numpy"):
        mg.backends.get("tpu")


@pytest.mark.parametrize("name", ["numpy", "fakenp"])
def test_copies_and_pickles_of_a_tensor_share_its_registered_backend(fake_backend, name):
    """A backend is one instance per name: deepcopy and pickle refer to it, never clone it."""
    import copy
    import pickle

    t = mg.tensor([1.0, 2.0], backend=name)
    for twin in (copy.deepcopy(t), pickle.loads(pickle.dumps(t))):
        assert twin._backend is t._backend
        np.testing.assert_array_equal(twin.numpy(), t.numpy())
