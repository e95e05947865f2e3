"""W5's training step on N processes: throughput, and the time that averaging costs.

Run it under MPI, once per world size, with one BLAS thread per rank::

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 mpiexec -n 2 python -m benchmarks.bench_distributed

Every rank trains W5's model (Embedding(65, 64) -> LSTM(64, 128) -> Linear(128, 65),
T=100) on its ``B/N`` of a batch of ``B`` streams, wrapped in
:class:`~minigrad.nn.parallel.DistributedDataParallel`, with Adam: a step is the
forward, backward (ending with the gradients' average) and the update. Rank 0
prints one JSON line: the median step time over the rounds (wall clock, and the
busiest rank's CPU time, which a shared machine disturbs less), the throughput in
characters per second, and two costs of the averaging: its time inside the step
(which includes waiting for the slower rank), and the time of the bare
``Allreduce`` of the same buffer with the ranks lined up by a barrier first.
"""

import argparse
import json
import statistics
import time

import numpy

import minigrad as mg
from minigrad import distributed as dist
from minigrad import nn

from .bench_rnn import char_lstm

VOCAB, EMBED, HIDDEN, SEQ_LEN = 65, 64, 128, 100


def timed(fn, spent):
    """``fn`` that also appends its wall time to ``spent``."""
    def wrapper(*args):
        tic = time.perf_counter()
        fn(*args)
        spent.append(time.perf_counter() - tic)
    return wrapper


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=16, help="global batch B (default: W5's 16)")
    parser.add_argument("--rounds", type=int, default=30, help="timed steps (default: 30)")
    args = parser.parse_args(argv)
    dist.init()
    mg.manual_seed(0)
    model = char_lstm(nn, VOCAB, EMBED, HIDDEN)
    net = nn.parallel.DistributedDataParallel(model)
    reduce_times = []
    net.average_gradients = timed(net.average_gradients, reduce_times)
    optimizer = mg.optim.Adam(model.parameters(), lr=1e-3)
    rng = numpy.random.default_rng(0)
    ids = rng.integers(0, VOCAB, size=(SEQ_LEN + 1, args.batch))[:, dist.shard_indices(args.batch)]
    x, y = mg.tensor(ids[:-1]), mg.tensor(ids[1:]).reshape(-1)
    steps, cpu = [], []
    for round_ in range(args.rounds + 3):  # three to warm up
        dist.barrier()
        tic, cpu_tic = time.perf_counter(), time.process_time()
        loss = nn.F.cross_entropy(net(x).reshape(-1, VOCAB), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        steps.append(time.perf_counter() - tic)
        cpu.append(time.process_time() - cpu_tic)
    bare = []
    buffer = mg.zeros(sum(p.numel() for p in model.parameters()))
    for _ in range(args.rounds):
        dist.barrier()
        timed(dist.all_reduce, bare)(buffer)
    step = statistics.median(steps[3:])
    # The busiest rank's CPU time per step: what the step would take on cores of its own
    # (MPICH polls while it waits, so a rank's wait for the other counts here too).
    cpu_step = dist.all_reduce(mg.tensor([statistics.median(cpu[3:])], dtype=mg.float64),
                               op="max").item()
    if dist.get_rank() == 0:
        print(json.dumps({
            "ranks": dist.get_world_size(), "batch": args.batch,
            "step_ms": round(step * 1e3, 2), "cpu_step_ms": round(cpu_step * 1e3, 2),
            "chars_per_s": round(SEQ_LEN * args.batch / step),
            "average_in_step_ms": round(statistics.median(reduce_times[3:]) * 1e3, 3),
            "bare_allreduce_ms": round(statistics.median(bare) * 1e3, 3),
            "message_bytes": buffer.data.nbytes, "buckets": len(net.buckets),
        }))


if __name__ == "__main__":
    main()
