"""Run by test_distributed.py under mpiexec -n 2: each rank checks the collectives itself.

A failed assertion ends the job with a non-zero exit code (init's abort on an
uncaught exception), which is what the test looks at.
"""

import numpy as np

import minigrad as mg
from minigrad import distributed as dist

assert dist.is_mpi_launched() and not dist.is_initialized()
dist.init()
dist.init()  # a second call does nothing
rank, size = dist.get_rank(), dist.get_world_size()
assert dist.is_initialized() and size == 2 and rank in (0, 1)

x = mg.tensor([1.0, 2.0]) * (rank + 1)
assert dist.all_reduce(x) is x and x.numpy().tolist() == [3.0, 6.0]
x = mg.tensor([1.0, 2.0]) * (rank + 1)
assert dist.all_reduce(x, op="mean").numpy().tolist() == [1.5, 3.0]
assert dist.all_reduce(mg.tensor([rank, -rank]), op="max").numpy().tolist() == [1, 0]
assert dist.all_reduce(mg.tensor([float(rank)]), op="min").numpy().tolist() == [0.0]

# A non-contiguous tensor is reduced through a copy and written back in place.
base = mg.tensor(np.arange(6.0).reshape(2, 3) + 10 * rank)
column = mg.Tensor(base.data[:, 1], base._backend)
dist.all_reduce(column)
assert base.data[:, 1].tolist() == [1 + 11, 4 + 14] and base.data[0, 0] == 10 * rank

y = mg.full((3,), float(rank))
assert dist.broadcast(y, src=1) is y and y.numpy().tolist() == [1.0, 1.0, 1.0]
dist.barrier()

for call, message in [(lambda: dist.all_reduce(x, op="avg"), "expected op to be one of"),
                      (lambda: dist.broadcast(x, src=2), "expected src to be a rank in [0, 2)"),
                      (lambda: dist.all_reduce(x.data), "expected a Tensor, got ndarray"),
                      (lambda: dist.all_reduce(mg.tensor([1]), op="mean"), "needs a floating")]:
    try:
        call()
    except (ValueError, TypeError) as err:
        assert message in str(err), err
    else:
        raise AssertionError(f"no error for {message}")
print(f"rank {rank} ok")
