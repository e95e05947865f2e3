"""Run minigrad's step of one workload in a loop, for a profiler to watch.

Examples
--------
``python -m benchmarks.profile_step W1 --cprofile``             cProfile's top functions
``py-spy record -o w4.svg -- python -m benchmarks.profile_step W4 --steps 2000``
``python -m benchmarks.profile_step G1 --backend cupy --cprofile``  a GPU workload
"""

import argparse
import cProfile
import pstats

from benchmarks.frameworks import DEVICES
from benchmarks.run import all_workloads, device_or_exit, select


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.profile_step",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("workload", help="W1 ... W6 (G1 ... G5 with --backend cupy), at full size")
    parser.add_argument("--backend", choices=sorted(DEVICES), default="numpy",
                        help="minigrad's backend: numpy (the default) or cupy (NVIDIA GPU)")
    parser.add_argument("--steps", type=int, default=50, help="steps to run (default 50)")
    parser.add_argument("--cprofile", action="store_true",
                        help="profile with cProfile and print the top 25 functions by own time")
    args = parser.parse_args(argv)
    device = device_or_exit(args.backend)
    (workload,) = select(all_workloads(quick=False, device=device), args.workload, args.backend)
    step = {c.name: c.step for c in workload.setup()}["minigrad"]
    step()  # warm-up, outside the profile

    def loop():
        for _ in range(args.steps):
            step()

    if not args.cprofile:
        loop()
        return
    profiler = cProfile.Profile()
    profiler.runcall(loop)
    pstats.Stats(profiler).sort_stats("tottime").print_stats(25)


if __name__ == "__main__":
    main()
