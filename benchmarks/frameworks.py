"""The frameworks under test and where they run: optional PyTorch, threads, devices, versions.

PyTorch is an optional dependency of the benchmarks only. Without it the
minigrad and NumPy columns still run, and the table says that torch is missing.

A run computes on one :class:`Device`: the CPU (minigrad on NumPy, torch on
``"cpu"``) or an NVIDIA GPU (minigrad on CuPy, torch on ``"cuda"``). The device
is the only thing that tells the two modes apart: the workloads, the harness
and the report run the same code on both.
"""

import os
import platform
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy

import minigrad

from . import peer_models

# The cores this process may run on (fewer than the machine's under taskset or a CPU quota).
CPUS = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
INSTALL_TORCH = (
    "pip install torch --index-url https://download.pytorch.org/whl/cpu  "
    "(a plain `pip install torch` on Linux pulls the CUDA build)"
)
INSTALL_TORCH_CUDA = "pip install torch  (on Linux the default wheel is a CUDA build)"


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


def _nothing_to_wait_for():
    """A CPU op has finished when its call returns: there is no queue to drain."""


def _then_wait(step, wait):
    """Return ``step`` followed by ``wait()``; the step's result is passed through."""
    def synchronised_step():
        result = step()
        wait()
        return result

    return synchronised_step


@dataclass(frozen=True)
class Device:
    """Where one run of the suite computes, and how to wait until it has.

    A GPU call only queues a kernel and returns at once. Timing that call would
    measure the queueing, so every contender's step ends by waiting for its
    framework's device (:meth:`minigrad_step`, :meth:`torch_step`).

    Attributes
    ----------
    backend : str
        minigrad's backend: ``"numpy"`` or ``"cupy"``.
    torch_device : str
        Where the PyTorch contenders run: ``"cpu"`` or ``"cuda"``.
    label : str
        The device as the table's header names it (``"CPU"``, the GPU's model).
    is_gpu : bool
        Whether this is a GPU run: then the CPU-only workloads and contenders (W6's
        host memory, the NumPy matmul floor, the NumPy-based peers) are left out.
    install_torch : str
        How to install a PyTorch that runs on ``torch_device``.
    wait_minigrad, wait_torch : callable
        Block until all the work queued by minigrad, or by torch, is done.
    versions : dict
        Name -> version of the libraries behind ``backend`` on a GPU (CuPy, the CUDA
        runtime), for the header.
    """

    backend: str
    torch_device: str
    label: str
    is_gpu: bool
    install_torch: str
    wait_minigrad: Callable[[], None] = _nothing_to_wait_for
    wait_torch: Callable[[], None] = _nothing_to_wait_for
    versions: dict = field(default_factory=dict)

    def torch_or_why_not(self):
        """Return ``(torch, None)`` if PyTorch can run on this device, else ``(None, why)``.

        ``why`` says what is missing and how to install it. ``torch`` is imported
        here, not before: W6's minigrad process must not even import it.
        """
        torch = load_torch()
        if torch is None:
            return None, ("torch not installed: PyTorch columns skipped; to compare, "
                          + self.install_torch)
        if self.torch_device != "cpu" and not torch.cuda.is_available():
            return None, (f"torch {torch.__version__} cannot use {self.torch_device} (a CPU-only "
                          f"build, or no GPU visible to it): PyTorch columns skipped; "
                          f"to compare, {self.install_torch}")
        return torch, None

    def load_torch(self):
        """Return ``torch`` if it is installed and can run on this device, else ``None``."""
        return self.torch_or_why_not()[0]

    def cpu_goals(self, targets):
        """``targets`` on the CPU; none on a GPU, since issue 6's goals for W1-W6 are CPU goals."""
        return {} if self.is_gpu else targets

    def minigrad_step(self, step):
        """``step`` (a minigrad training step), returning only once the device is done."""
        return _then_wait(step, self.wait_minigrad)

    def torch_step(self, step):
        """``step`` (a PyTorch training step), returning only once the device is done."""
        return _then_wait(step, self.wait_torch)


# minigrad on NumPy and PyTorch on the CPU: the suite's default.
CPU = Device(backend="numpy", torch_device="cpu", label="CPU", is_gpu=False,
             install_torch=INSTALL_TORCH)


def gpu():
    """minigrad on CuPy and PyTorch on ``"cuda"``, both on the current CUDA device.

    Raises
    ------
    minigrad.BackendUnavailableError
        If CuPy is not installed or sees no GPU (the message says how to fix it).
    """
    cupy = minigrad.backends.get("cupy").xp
    current = cupy.cuda.Device()
    name = cupy.cuda.runtime.getDeviceProperties(current.id)["name"]
    cuda = cupy.cuda.runtime.runtimeGetVersion()  # 12040 for CUDA 12.4
    device = Device(
        backend="cupy", torch_device="cuda", is_gpu=True, install_torch=INSTALL_TORCH_CUDA,
        label=name.decode() if isinstance(name, bytes) else str(name),
        wait_minigrad=current.synchronize,
        versions={"CuPy": cupy.__version__, "CUDA runtime": f"{cuda // 1000}.{cuda % 1000 // 10}"},
    )
    torch = device.load_torch()
    if torch is None:
        return device
    # cuDNN's RNN kernels use TF32 tensor cores by default, with a 10-bit mantissa;
    # CuPy computes float32 products in full float32 unless CUPY_TF32=1. Compare like
    # with like: full float32 on both sides.
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    return replace(device, wait_torch=torch.cuda.synchronize)


# ``--backend`` name -> the device it runs on; each builder may raise BackendUnavailableError.
DEVICES = {"numpy": lambda: CPU, "cupy": gpu}


def device_for(backend):
    """Return the :class:`Device` that runs minigrad on ``backend`` (a key of ``DEVICES``).

    Raises
    ------
    ValueError
        If ``backend`` is not one of ``DEVICES``.
    minigrad.BackendUnavailableError
        If the backend cannot run on this machine.
    """
    if backend not in DEVICES:
        raise ValueError(f"unknown backend {backend!r}: expected one of {sorted(DEVICES)}")
    return DEVICES[backend]()


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


def environment(device):
    """Versions, threads, device and machine, for the table's header and the JSON file."""
    blas, blas_threads = _blas()
    torch, torch_missing = device.torch_or_why_not()
    return {
        "minigrad": minigrad.__version__,
        "backend": device.backend,
        "gpu": device.label if device.is_gpu else None,
        "gpu_libraries": device.versions,
        "numpy": numpy.__version__,
        "blas": blas,
        "blas_threads": blas_threads,
        "torch": torch.__version__ if torch else None,
        "torch_device": device.torch_device,
        "torch_cuda": torch.version.cuda if torch else None,
        "torch_threads": torch.get_num_threads() if torch else None,
        "torch_missing": torch_missing,
        # The NumPy-based peers run on the CPU only.
        "peers": {} if device.is_gpu else peer_models.versions(),
        "python": platform.python_version(),
        "machine": f"{platform.machine()}, {CPUS} CPUs, {platform.system()}",
        # Other processes competing for the cores make every figure noisier; say so.
        "load_average": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
    }
