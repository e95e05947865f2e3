"""Machinery for the multi-process tests: start a script under ``mpiexec -n 2``, bounded.

The scripts live beside the tests (``mpi_*.py``, which pytest does not collect). Each
run has a timeout, after which its whole process group is killed: a job that hangs
fails the test instead of the suite. Without mpi4py or an ``mpiexec`` the tests skip.
"""

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


def find_mpiexec():
    """The ``mpiexec`` beside this Python (the mpich wheel puts it there), else on PATH."""
    beside = Path(sys.executable).parent / "mpiexec"
    return str(beside) if beside.exists() else shutil.which("mpiexec")


@pytest.fixture(scope="session")
def run_mpi():
    """A function that runs ``mpi_<name>.py`` on ``n`` ranks and returns the finished process."""
    pytest.importorskip("mpi4py")
    mpiexec = find_mpiexec()
    if mpiexec is None:
        pytest.skip("no mpiexec: pip install mpich (or a system MPI)")
    # One BLAS thread per rank: two ranks share the cores, as in any data-parallel run.
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")

    def run(name, *args, n=2, timeout=60):
        command = [mpiexec, "-n", str(n), sys.executable, str(HERE / f"mpi_{name}.py"),
                   *map(str, args)]
        job = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, env=env, start_new_session=True)
        try:
            out, err = job.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(job.pid, signal.SIGKILL)  # mpiexec and every rank it started
            job.communicate()
            pytest.fail(f"mpiexec -n {n} {name} did not finish in {timeout} s")
        return subprocess.CompletedProcess(command, job.returncode, out, err)

    return run
