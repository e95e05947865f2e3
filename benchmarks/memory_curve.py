"""The peak memory of BPTT against the sequence length, with and without recomputation.

W6's long, thin LSTM (``B=1``, ``I=H=32``, loss ``mean(out**2)``) trained for one step
at lengths from 1,000 to 50,000, each point in a fresh process (as W6 measures), for:

- ``minigrad``: ``nn.LSTM``, every step kept for backward;
- ``minigrad sqrt``: ``nn.LSTM(..., checkpoint="sqrt")``, segments of
  :math:`\\lceil\\sqrt T\\rceil` steps recomputed in backward;
- ``torch fused`` and ``torch loop``: PyTorch's ``nn.LSTM`` and the same cell in a
  Python loop (``torch_models.py``).

``python -m benchmarks.memory_curve`` prints the table (MiB above the baseline, and
the time per time step) and, with ``--plot PATH``, draws it (matplotlib).
"""

import argparse
import json
import subprocess
import sys
import time

import numpy

from .bench_long_unroll import ROOT, peak_rss_mib

CONTENDERS = ["minigrad", "minigrad sqrt", "torch fused", "torch loop"]
LENGTHS = [1000, 2000, 5000, 10000, 20000, 50000]
B, I, H = 1, 32, 32


def training_step(name, steps):
    """``name``'s training step over ``steps`` time steps, built in this process."""
    x = numpy.random.default_rng(0).standard_normal((steps, B, I), dtype=numpy.float32)
    if name.startswith("minigrad"):
        import minigrad as mg
        from minigrad import nn

        mg.manual_seed(0)
        model = nn.LSTM(I, H, checkpoint="sqrt" if name.endswith("sqrt") else None)
        inputs = mg.tensor(x)
    else:
        import torch

        from . import torch_models

        torch.set_num_threads(1)
        model = torch_models.fused_layer("lstm", I, H)
        if name == "torch loop":
            model = torch_models.ComposedRNN("lstm", model)
        inputs = torch.from_numpy(x)

    def step():
        output, _ = model(inputs)
        (output ** 2).mean().backward()

    return step


def measure_here(name, steps):
    """One step of ``name`` after a two-step warm-up: peak MiB above it, and µs per step."""
    training_step(name, 2)()
    step = training_step(name, steps)
    baseline = peak_rss_mib()
    start = time.perf_counter()
    step()
    seconds = time.perf_counter() - start
    return {"mib": peak_rss_mib() - baseline, "us_per_step": seconds * 1e6 / steps}


def curve(names=CONTENDERS, lengths=LENGTHS):
    """``{name: {T: figures}}``, each point measured in a process of its own, one at a time."""
    table = {}
    for name in names:
        for steps in lengths:
            done = subprocess.run([sys.executable, "-m", "benchmarks.memory_curve", "--one",
                                   name, str(steps)], cwd=ROOT, capture_output=True, text=True,
                                  timeout=1800, check=True)
            table.setdefault(name, {})[steps] = json.loads(done.stdout)
            print(f"{name:14s} T={steps:6d} {table[name][steps]}", file=sys.stderr, flush=True)
    return table


def format_table(table):
    lengths = sorted({steps for points in table.values() for steps in points})
    lines = [f"LSTM B={B} I={I} H={H}: peak memory of one training step above the baseline "
             "[MiB] (time per time step [us])",
             "    " + f"{'T':14s}" + "".join(f"{steps:>16d}" for steps in lengths)]
    for name, points in table.items():
        cells = "".join(f"{points[s]['mib']:>9.1f} ({points[s]['us_per_step']:>4.0f})"
                        for s in lengths)
        lines.append(f"    {name:14s}{cells}")
    return "\n".join(lines)


def plot(table, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    for name, points in table.items():
        lengths = sorted(points)
        ax.plot(lengths, [points[s]["mib"] for s in lengths], marker="o", label=name)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("sequence length T")
    ax.set_ylabel("peak memory of a training step [MiB]")
    ax.set_title(f"BPTT memory against T (LSTM, B={B}, I=H={H})")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.memory_curve",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--one", nargs=2, metavar=("NAME", "T"),
                        help="measure one point in this process and print it as JSON")
    parser.add_argument("--lengths", metavar="1000,2000",
                        help=f"sequence lengths (default {','.join(map(str, LENGTHS))})")
    parser.add_argument("--plot", metavar="PATH", help="also draw the curve to this file")
    args = parser.parse_args(argv)
    if args.one:
        name, steps = args.one
        print(json.dumps(measure_here(name, int(steps))))
        return
    lengths = [int(n) for n in args.lengths.split(",")] if args.lengths else LENGTHS
    table = curve(lengths=lengths)
    print(format_table(table))
    if args.plot:
        plot(table, args.plot)


if __name__ == "__main__":
    main()
