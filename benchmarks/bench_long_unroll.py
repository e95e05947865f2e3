"""W6: a long, thin unroll: the time per step and the memory that BPTT keeps alive.

With ``B=1`` and ``H=32`` every op is tiny, so the time is the per-step overhead
of the unrolled graph, and the memory is what the tape holds for 2000 steps.

Memory is measured in a fresh process per contender (run as
``python -m benchmarks.bench_long_unroll NAME T B I H``): the peak resident set
size after one training step, minus the peak before it, when the interpreter,
the imports, the model and the data are in place. Both readings are the
high-water mark the kernel keeps (``VmHWM`` on Linux, ``ru_maxrss`` elsewhere),
so no sampling can miss a short peak.
"""

import json
import resource
import subprocess
import sys
from functools import partial
from pathlib import Path

from . import peer_models
from .bench_rnn import Sizes, recurrent_contenders, recurrent_workload
from .frameworks import CPUS, load_torch, set_torch_threads
from .harness import Memory

ROOT = Path(__file__).resolve().parent.parent


def peak_rss_mib():
    """The process's peak resident set size so far, in MiB."""
    try:
        # Linux: the high-water mark of this process's own address space. getrusage's
        # ru_maxrss would not do: it survives exec, so a child started by a large
        # parent reports the parent's peak until it grows beyond it.
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 2**10
    except OSError:  # no /proc (macOS): the fallback below answers
        pass
    # Elsewhere (macOS, where ru_maxrss counts bytes), the child starts from a clean slate.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def measure_here(name, sizes):
    """Build ``name``'s step in this process, run it once, and return its peak memory.

    A step over two time steps runs first: it pays the framework's one-time costs
    (thread pools, lazily loaded kernels) while adding little to the baseline. The
    measured step then runs once only: a second one would find memory that the
    first freed but the allocator kept, and look cheaper than it is.
    """
    def step(size):
        # Only the framework measured is loaded, so that the others add nothing to it.
        contenders = recurrent_contenders("lstm", size, with_torch=name != "minigrad",
                                          with_peers=False)
        return {c.name: c.step for c in contenders}[name]

    short, full = step(Sizes(2, sizes.B, sizes.I, sizes.H)), step(sizes)
    short()
    baseline = peak_rss_mib()
    full()
    return Memory(name, baseline, peak_rss_mib() - baseline)


def measure_in_subprocesses(module, names, numbers):
    """Run ``python -m module NAME *numbers`` for each contender, in a fresh interpreter.

    The module's ``measure_here`` prints the contender's :class:`Memory` as JSON. The
    processes run side by side: each reads only its own peak, so they do not disturb
    one another's figures, and the imports overlap.
    """
    processes = {
        name: subprocess.Popen(
            [sys.executable, "-m", module, name, *(str(n) for n in numbers)],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        for name in names
    }
    memory = []
    for name, process in processes.items():
        out, err = process.communicate()
        if process.returncode != 0:
            raise RuntimeError(f"{module}: measuring the memory of {name!r} failed:\n{err}")
        memory.append(Memory(**json.loads(out)))
    return memory


def peak_memory(sizes):
    """The peak memory of minigrad's step and, when torch is installed, of PyTorch's two."""
    names = ["minigrad"] + (["torch fused", "torch loop"] if load_torch() else [])
    return measure_in_subprocesses("benchmarks.bench_long_unroll", names,
                                   (sizes.T, sizes.B, sizes.I, sizes.H))


def workload(quick=False):
    """The W6 workload (a shorter, smaller unroll with ``quick``)."""
    sizes = Sizes(100, 1, 8, 8) if quick else Sizes(2000, 1, 32, 32)
    targets = {"torch loop": 0.6, **peer_models.TARGETS}
    return recurrent_workload("W6", "lstm", sizes, targets, unit="us/t", per_step=sizes.T,
                              memory=partial(peak_memory, sizes))


if __name__ == "__main__":
    contender, *numbers = sys.argv[1:]
    if contender != "minigrad":  # minigrad's process must not even import torch
        set_torch_threads(CPUS)
    print(json.dumps(vars(measure_here(contender, Sizes(*map(int, numbers))))))
