"""The frameworks under test: loading the optional PyTorch, threads, versions.

PyTorch is an optional dependency of the benchmarks only. Without it the
minigrad and NumPy columns still run, and the table says that torch is missing.
"""

import os
import platform

import numpy

import minigrad

from . import peer_models

# The cores this process may run on (fewer than the machine's under taskset or a CPU quota).
CPUS = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
INSTALL_TORCH = (
    "pip install torch --index-url https://download.pytorch.org/whl/cpu  "
    "(a plain `pip install torch` on Linux pulls the CUDA build)"
)


def load_torch():
    """Return the ``torch`` module, or ``None`` if it is not installed."""
    try:
        import torch
    except ImportError:
        return None
    return torch


def set_torch_threads(threads):
    """Give PyTorch ``threads`` intra-op threads (if it is installed).

    A full run gives it every core, as NumPy's BLAS takes by default, so that the
    comparison is about the frameworks, not their thread pools. A quick run gives
    it one: on a busy machine (CI), threads that wait for one another at every op
    make tiny steps a hundred times slower, and quick timings mean nothing anyway.
    """
    torch = load_torch()
    if torch is not None:
        torch.set_num_threads(threads)


def _blas():
    """Name the BLAS NumPy was built with and how many threads it may use."""
    try:
        name = numpy.show_config(mode="dicts")["Build Dependencies"]["blas"]["name"]
    except (KeyError, TypeError):
        name = "BLAS"
    # Without threadpoolctl the only knobs are the environment variables BLAS reads.
    for variable in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OMP_NUM_THREADS"):
        if variable in os.environ:
            return name, f"{os.environ[variable]} from {variable}"
    return name, f"{CPUS} by default"


def environment():
    """Versions, threads and machine, for the table's header and the JSON file."""
    blas, blas_threads = _blas()
    torch = load_torch()
    return {
        "minigrad": minigrad.__version__,
        "numpy": numpy.__version__,
        "blas": blas,
        "blas_threads": blas_threads,
        "torch": torch.__version__ if torch else None,
        "torch_threads": torch.get_num_threads() if torch else None,
        "peers": peer_models.versions(),
        "python": platform.python_version(),
        "machine": f"{platform.machine()}, {CPUS} CPUs, {platform.system()}",
        # Other processes competing for the cores make every figure noisier; say so.
        "load_average": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
    }
