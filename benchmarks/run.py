"""Run the benchmark suite: ``python -m benchmarks`` or ``python benchmarks/run.py``.

Examples
--------
``python -m benchmarks``                      every workload at full size
``python -m benchmarks --quick``              tiny sizes, two rounds: a smoke test in seconds
``python -m benchmarks --only W1,W4 --rounds 20 --json bench.json``
``python -m benchmarks --backend cupy``       on an NVIDIA GPU: minigrad on CuPy, torch on CUDA
"""

import argparse
import json
import sys
from pathlib import Path

import minigrad as mg

if __package__ in (None, ""):
    # Run as a file, ``python benchmarks/run.py``: make the package importable.
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import (bench_lengths, bench_long_unroll, bench_overhead, bench_rnn,
                        bench_sequence_prediction)
from benchmarks.frameworks import CPU, CPUS, DEVICES, device_for, environment, set_torch_threads
from benchmarks.harness import measure
from benchmarks.report import format_table, to_json

ROUNDS, QUICK_ROUNDS = 20, 2


def all_workloads(quick, device=CPU):
    """The workloads that run on ``device``, in order; nothing is built until a setup runs.

    The CPU runs W1 to W8. A GPU runs W1 to W5 and the GPU-sized G1 to G5; not W6 and
    W7, whose figures include the peak memory of the host process, nor W8, whose target is
    a CPU goal.
    """
    workloads = bench_rnn.workloads(quick, device) + [bench_overhead.workload(quick, device)]
    if device.is_gpu:
        workloads += bench_rnn.gpu_workloads(quick, device)
    else:
        workloads += [bench_long_unroll.workload(quick), bench_sequence_prediction.workload(quick),
                      bench_lengths.workload(quick)]
    return sorted(workloads, key=lambda w: (w.key[0] != "W", w.key))


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Time minigrad against PyTorch, interleaved in one process, "
                    "on the CPU or an NVIDIA GPU.",
    )
    parser.add_argument("--backend", choices=sorted(DEVICES), default="numpy",
                        help="minigrad's backend: numpy (CPU, torch on cpu; the default) or "
                             "cupy (NVIDIA GPU, torch on cuda; adds G1-G5, drops W6)")
    parser.add_argument("--quick", action="store_true",
                        help="tiny sizes and two rounds: a smoke test that takes seconds")
    parser.add_argument("--only", metavar="W1,W4",
                        help="comma-separated workloads to run (default: all)")
    parser.add_argument("--rounds", type=int, metavar="N",
                        help=f"timed rounds per workload (default {ROUNDS}, "
                             f"{QUICK_ROUNDS} with --quick)")
    parser.add_argument("--json", metavar="PATH", type=Path,
                        help="also write every figure, per round, to this JSON file")
    args = parser.parse_args(argv)
    if args.rounds is not None and args.rounds < 1:
        parser.error(f"--rounds: expected a positive number, got {args.rounds}")
    return args


def select(workloads, only, backend="numpy"):
    """Keep the workloads named in ``only`` ("W1,W4"); all when it is ``None``."""
    if only is None:
        return workloads
    wanted = [key.strip().upper() for key in only.split(",") if key.strip()]
    known = [w.key for w in workloads]
    if not wanted:
        raise SystemExit(f"--only: expected workloads such as W1,W4, got {only!r}")
    unknown = [key for key in wanted if key not in known]
    if unknown:
        raise SystemExit(f"--only: unknown workloads {unknown} with --backend {backend}; "
                         f"expected some of {known}")
    return [w for w in workloads if w.key in wanted]


def device_or_exit(backend):
    """The device for ``--backend``; exit with one line and status 2 if it cannot run here."""
    try:
        return device_for(backend)
    except mg.BackendUnavailableError as err:
        # The message already says what is missing and how to fix it; a traceback adds nothing.
        print(f"--backend {backend}: {' '.join(str(err).split())}",
              file=sys.stderr)
        raise SystemExit(2) from None


def main(argv=None):
    """Run the suite, print the table, write the JSON file if asked; return the JSON dict."""
    args = parse_args(argv)
    device = device_or_exit(args.backend)  # first: a GPU run without a GPU stops at once
    rounds = args.rounds or (QUICK_ROUNDS if args.quick else ROUNDS)
    set_torch_threads(1 if args.quick else CPUS)
    quick = args.quick
    settings = {
        "rounds": rounds, "quick": quick, "warmup": 1 if quick else 3,
        # A quick run times every step once, without pauses: its figures mean nothing.
        "min_sample_s": 0.0 if quick else 0.02, "cooldown_s": 0.0 if quick else 0.2,
    }
    # Before the workloads run, so that the load average is other processes' load.
    env = environment(device)
    results = []
    for workload in select(all_workloads(args.quick, device), args.only, args.backend):
        print(f"running {workload.key} ...", file=sys.stderr, flush=True)
        results.append(measure(workload, rounds, settings["warmup"], settings["min_sample_s"],
                               settings["cooldown_s"]))
    print(format_table(results, env, settings))
    report = to_json(results, env, settings)
    if args.json is not None:
        args.json.write_text(json.dumps(report, indent=1) + "\n")
    return report


if __name__ == "__main__":
    main()
