"""Run by test_distributed.py under mpiexec: data-parallel training of _lstm_run's model.

Each rank starts from its own seed, so only DistributedDataParallel's broadcast makes
them alike. Rank 0 writes the averaged step losses, the gradient norms, the final weights and how many
all_reduce calls a step made to the .npz file named on the command line.
"""

import sys

import numpy as np

import _lstm_run as run
import minigrad as mg
from minigrad import distributed as dist
from minigrad import nn

dist.init()
rank, size = dist.get_rank(), dist.get_world_size()
mg.manual_seed(1 + rank)
net = run.Net()
net.register_buffer("seen", mg.tensor([rank]))   # buffers start as rank 0's too
net.register_buffer("scale", mg.full((2,), 1.0 + rank))
model = nn.parallel.DistributedDataParallel(net)
assert net.seen.numpy().tolist() == [0] and net.scale.numpy().tolist() == [1.0, 1.0]

calls = []
all_reduce = dist.all_reduce
dist.all_reduce = lambda tensor, op="sum": calls.append(tensor.numel()) or all_reduce(tensor, op)
losses, norms = run.train(model, net.parameters(), dist.shard_indices(run.BATCH))
dist.all_reduce = all_reduce
losses = [dist.all_reduce(loss, op="mean").item() for loss in losses]

weights = net.state_dict()
for name, value in weights.items():  # every rank ends with rank 0's weights, to the bit
    ours = mg.tensor(value)
    assert np.array_equal(dist.broadcast(mg.tensor(value), src=0).numpy(), ours.numpy()), name
if rank == 0:
    np.savez(sys.argv[1], losses=np.array(losses), norms=np.array(norms), calls=np.array(calls),
             n_buckets=len(model.buckets), n_params=len(list(net.parameters())),
             **{f"weight/{k}": v for k, v in weights.items()})
