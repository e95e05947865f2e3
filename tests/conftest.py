"""Shared test machinery: the per-backend fixture, hypothesis profiles, and an mpiexec runner.

There is deliberately no ``tests/__init__.py``: pytest puts ``tests/`` on
``sys.path``, so helper modules import as ``from _helpers import ...`` while
``minigrad`` itself comes from the installed package.
"""

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

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


def find_mpiexec():
    """The ``mpiexec`` beside this Python (the mpich wheel puts it there), else on PATH."""
    beside = Path(sys.executable).parent / "mpiexec"
    return str(beside) if beside.exists() else shutil.which("mpiexec")


@pytest.fixture(scope="session")
def run_mpi():
    """A function that runs a Python script on ``n`` ranks and returns the finished process.

    Each run has a timeout, after which its whole process group is killed: a job that
    hangs fails its test instead of the suite. Without mpi4py or an ``mpiexec`` the
    tests that use it skip.
    """
    pytest.importorskip("mpi4py")
    mpiexec = find_mpiexec()
    if mpiexec is None:
        pytest.skip("no mpiexec: pip install mpich (or a system MPI)")
    # One BLAS thread per rank: two ranks share the cores, as in any data-parallel run.
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")

    def run(script, *args, n=2, timeout=60):
        command = [mpiexec, "-n", str(n), sys.executable, str(script), *map(str, args)]
        job = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, env=env, start_new_session=True)
        try:
            out, err = job.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(job.pid, signal.SIGKILL)  # mpiexec and every rank it started
            job.communicate()
            pytest.fail(f"mpiexec -n {n} {script} did not finish in {timeout} s")
        return subprocess.CompletedProcess(command, job.returncode, out, err)

    return run
