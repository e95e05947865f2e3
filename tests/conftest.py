"""Shared test machinery: the per-backend fixture and hypothesis profiles.

There is deliberately no ``tests/__init__.py``: pytest puts ``tests/`` on
``sys.path``, so helper modules import as ``from _helpers import ...`` while
``minigrad`` itself comes from the installed package.
"""

import os

import pytest
from hypothesis import HealthCheck, settings

import minigrad as mg

settings.register_profile(
    "ci", max_examples=25, deadline=None, derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "dev", max_examples=60, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
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
