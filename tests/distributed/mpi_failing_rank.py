"""Run by test_distributed.py under mpiexec -n 2: rank 1 raises while rank 0 waits for it."""

from minigrad import distributed as dist

dist.init()
if dist.get_rank() == 1:
    raise RuntimeError("rank 1 breaks before the barrier")
dist.barrier()  # rank 0 would wait here forever if the job did not end
