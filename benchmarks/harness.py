"""Timing machinery: warm-up, interleaved rounds, medians and per-round ratios.

Two frameworks timed one after the other drift apart with the machine: CPU
frequency, other processes, the allocator's state. Interleaving them, one step
of A, one of B, one of A again (``A B A B ...``), exposes both to the same drift,
and the ratio of A to B *within* each round cancels most of it. The figure to
trust is therefore the median of the per-round ratios, not a ratio of medians.
"""

import contextlib
import gc
import math
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field

# The contender every ratio is relative to: the reported ratio is minigrad / other.
BASELINE = "minigrad"


@dataclass
class Contender:
    """One way of running a workload's training step.

    Attributes
    ----------
    name : str
        How the table names it: ``"minigrad"``, ``"torch fused"``, ``"torch loop"``...
    step : callable
        Runs one step; returns the loss (a one-element tensor) or ``None``.
    """

    name: str
    step: Callable[[], object]


@dataclass
class Workload:
    """A benchmark: what it runs, how its time is reported, and its targets.

    Attributes
    ----------
    key : str
        The short name used by ``--only`` (``"W1"``).
    title : str
        One line saying what one step computes.
    setup : callable
        Builds models and data (not timed) and returns the list of contenders,
        minigrad first.
    unit : str
        ``"ms/step"``, ``"us/op"`` or ``"us/t"``: how one reported time reads.
    per_step : int
        How many units one step holds (200 ops in W4, T time steps in W6); a
        step's time is divided by it.
    targets : dict
        Contender name -> the largest acceptable ratio minigrad / contender.
    memory : callable, optional
        Measures peak memory separately (W6); returns a list of :class:`Memory`.
    """

    key: str
    title: str
    setup: Callable[[], list]
    unit: str = "ms/step"
    per_step: int = 1
    targets: dict = field(default_factory=dict)
    memory: Callable[[], list] | None = None

    @property
    def scale(self):
        """Multiplier from seconds to ``unit``."""
        return 1e3 if self.unit.startswith("ms") else 1e6


@dataclass
class Spread:
    """The median of a list of numbers and its range."""

    median: float
    low: float
    high: float

    @classmethod
    def of(cls, values):
        return cls(statistics.median(values), min(values), max(values))


@dataclass
class Memory:
    """Peak resident memory of one contender's step, in a process of its own (MiB)."""

    name: str
    baseline_mib: float
    above_baseline_mib: float


@dataclass
class Result:
    """Everything measured for one workload.

    Attributes
    ----------
    seconds : dict
        Contender name -> seconds per unit (step, op or time step), one per round.
    losses : dict
        Contender name -> the loss its first step returned, so that a table can
        show that all contenders computed the same thing.
    calls_per_round : dict
        Contender name -> how many steps one timed sample ran (short steps repeat).
    memory : list of Memory
        Filled by workloads that measure memory.
    """

    workload: Workload
    seconds: dict
    losses: dict
    calls_per_round: dict
    memory: list = field(default_factory=list)

    def spread(self, name):
        """Median and range of a contender's time, in the workload's unit."""
        return Spread.of([s * self.workload.scale for s in self.seconds[name]])

    def ratios(self, name):
        """minigrad / ``name`` in each round (``None`` if minigrad did not run)."""
        if BASELINE not in self.seconds or name == BASELINE:
            return None
        return [a / b for a, b in zip(self.seconds[BASELINE], self.seconds[name], strict=True)]

    def loss_mismatch(self, rtol=1e-3):
        """Return the contenders whose loss differs from minigrad's beyond ``rtol``."""
        reference = self.losses.get(BASELINE)
        if reference is None:
            return []
        return [
            name for name, loss in self.losses.items()
            if not math.isclose(loss, reference, rel_tol=rtol, abs_tol=1e-6)
        ]


def _time(step, calls):
    start = time.perf_counter()
    for _ in range(calls):
        step()
    return time.perf_counter() - start


@contextlib.contextmanager
def _frozen_heap():
    """Keep the garbage collector off every object alive on entry.

    Those objects (modules, models, data) outlive the measurement. Without this,
    the collector would scan them again and again: with torch imported, a full
    collection costs a fifth of a second, charged to whichever contender happens
    to trigger it.
    """
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _warm_up(contenders, warmup, min_sample_s):
    """Run the untimed steps; return each contender's loss and its calls per sample.

    The fastest warm-up step sets the number of calls, so a single step slowed
    down by a stray process does not.
    """
    losses, calls = {}, {}
    for c in contenders:
        loss = c.step()
        if loss is not None:
            losses[c.name] = loss.item()
        fastest = min(_time(c.step, 1) for _ in range(warmup))
        calls[c.name] = max(1, math.ceil(min_sample_s / fastest))
    return losses, calls


def measure(workload, rounds, warmup=3, min_sample_s=0.02, cooldown_s=0.2):
    """Run ``workload``'s contenders in interleaved rounds and collect their times.

    Parameters
    ----------
    workload : Workload
        What to run; its ``setup`` is called here, outside every timing.
    rounds : int
        Timed rounds; each round runs every contender once, in order.
    warmup : int
        Untimed steps per contender, after a first one whose loss is kept: they pay
        for lazy initialisation, caches and the allocator's first growth, and
        measure how long a step takes.
    min_sample_s : float
        A step shorter than this repeats within its sample, so that the timer's
        resolution and per-call noise stay small (sub-millisecond steps, as in W4).
    cooldown_s : float
        A pause before every sample, followed by one untimed step. Thread pools
        spin for a while after their work is done (OpenBLAS's for about a tenth
        of a second); on a machine with few cores, the previous contender's
        spinning threads would steal the cores from the next one, a cost that
        neither would pay on its own.

    Returns
    -------
    Result
    """
    contenders = workload.setup()
    with _frozen_heap():
        losses, calls = _warm_up(contenders, warmup, min_sample_s)
        seconds = {c.name: [] for c in contenders}
        for _ in range(rounds):
            for c in contenders:
                if cooldown_s:
                    time.sleep(cooldown_s)
                    # The pause leaves caches cold: one untimed step warms them again.
                    c.step()
                # Garbage left by one contender must not be collected on the next one's clock.
                gc.collect()
                per_call = _time(c.step, calls[c.name]) / calls[c.name]
                seconds[c.name].append(per_call / workload.per_step)
    result = Result(workload, seconds, losses, calls)
    if workload.memory is not None:
        result.memory = workload.memory()
    return result
