"""Shared test machinery: the per-backend fixture and hypothesis profiles.

There is deliberately no ``tests/__init__.py``: pytest puts ``tests/`` on
``sys.path``, so helper modules import as ``from _helpers import ...`` while
``minigrad`` itself comes from the installed package.
"""

import os

import pytest
from hypothesis import HealthCheck, settings

import minigrad as mg

# The `backend` fixture only selects the default backend, so reusing it across the
# examples of one @given test is safe: function_scoped_fixture is not a concern here.
_SUPPRESSED = [
    HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture,
]
settings.register_profile(
    "ci", max_examples=25, deadline=None, derandomize=True, suppress_health_check=_SUPPRESSED,
)
settings.register_profile("dev", max_examples=60, deadline=None, suppress_health_check=_SUPPRESSED)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# MINIGRAD_TEST_BACKENDS=cupy runs the suite on one backend only (e.g. on a GPU machine).
BACKENDS = os.environ.get("MINIGRAD_TEST_BACKENDS", ",".join(mg.backends.available())).split(",")


@pytest.fixture(params=BACKENDS)
def backend(request):
    """The name of each available backend in turn; tensors made inside default to it."""
    with mg.default_backend(request.param):
        yield request.param


@pytest.fixture(autouse=True)
def _seeded():
    """Every test starts from the same random state."""
    mg.manual_seed(0)


@pytest.fixture
def isolated_registry(monkeypatch):
    """The backend registry, restored after the test: register or break backends freely."""
    registry = mg.backends
    for name in ("_builders", "_instances", "_errors"):
        monkeypatch.setattr(registry, name, dict(getattr(registry, name)))
    monkeypatch.setattr(registry, "_state", dict(registry._state))
    return registry


@pytest.fixture
def fake_backend(isolated_registry):
    """A third backend, "fakenp" (NumPy under another name), registered for one test.

    It makes mixing backends testable on a CPU-only machine.
    """
    from minigrad.backends.numpy_backend import NumPyBackend

    class FakeNumPy(NumPyBackend):
        name = "fakenp"

    return isolated_registry.register(FakeNumPy())
