"""minigrad.distributed and DistributedDataParallel: ranks under mpiexec, and one process.

The multi-process tests run ``mpi_*.py`` on two ranks (the ``run_mpi`` fixture of
tests/conftest.py); the rest need no MPI at all.
"""

import sys
from pathlib import Path

import numpy as np
import pytest

import _lstm_run as run
import minigrad as mg
from minigrad import distributed as dist
from minigrad import nn

SCRIPTS = Path(__file__).resolve().parent  # mpi_*.py, which pytest does not collect


def test_collectives_on_two_ranks(run_mpi):
    job = run_mpi(SCRIPTS / "mpi_collectives.py")
    assert job.returncode == 0, job.stderr
    assert "rank 0 ok" in job.stdout and "rank 1 ok" in job.stdout


def test_a_rank_that_raises_ends_the_job_instead_of_hanging(run_mpi):
    job = run_mpi(SCRIPTS / "mpi_failing_rank.py", timeout=30)
    assert job.returncode != 0
    assert "RuntimeError: rank 1 breaks before the barrier" in job.stderr


def test_two_ranks_train_an_lstm_as_one_process_on_the_whole_batch(run_mpi, tmp_path):
    job = run_mpi(SCRIPTS / "mpi_lstm_training.py", tmp_path / "ranks.npz")
    assert job.returncode == 0, job.stderr
    ranks = np.load(tmp_path / "ranks.npz")
    mg.manual_seed(1)  # rank 0's seed: its weights are the ones broadcast
    net = run.Net()
    losses, norms = run.train(net, net.parameters(), np.arange(run.BATCH))
    np.testing.assert_allclose(ranks["losses"], [loss.item() for loss in losses], rtol=1e-5)
    np.testing.assert_allclose(ranks["norms"], norms, rtol=1e-5)
    for name, value in net.state_dict().items():
        np.testing.assert_allclose(ranks[f"weight/{name}"], value, rtol=1e-4, atol=1e-6,
                                   err_msg=name)
    # Bucketed: one Allreduce for all the gradients of a step, not one per parameter.
    assert int(ranks["n_buckets"]) == 1 < int(ranks["n_params"])
    assert len(ranks["calls"]) == run.STEPS * int(ranks["n_buckets"])


# ---- without MPI ----------------------------------------------------------------------------


def test_a_process_on_its_own_is_a_world_of_one():
    assert not dist.is_initialized()
    assert (dist.get_rank(), dist.get_world_size()) == (0, 1)
    np.testing.assert_array_equal(dist.shard_indices(3), [0, 1, 2])
    with pytest.raises(RuntimeError, match=r"init\(\) has not been called"):
        dist.all_reduce(mg.ones(2))
    with pytest.raises(RuntimeError, match=r"call minigrad.distributed.init\(\) first"):
        nn.parallel.DistributedDataParallel(nn.Linear(2, 1))


def test_init_without_mpi4py_names_the_install_command(monkeypatch):
    monkeypatch.setitem(sys.modules, "mpi4py", None)  # makes `from mpi4py import MPI` fail
    with pytest.raises(ImportError, match=r'pip install mpi4py mpich .*pip install -e "\.\[d'):
        dist.init()
    assert not dist.is_initialized()


@pytest.mark.parametrize("variable", ["PMI_SIZE", "OMPI_COMM_WORLD_SIZE"])
def test_is_mpi_launched_reads_the_launchers_variables(monkeypatch, variable):
    for name in dist._LAUNCHER_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    assert not dist.is_mpi_launched()
    monkeypatch.setenv(variable, "2")
    assert dist.is_mpi_launched()


def test_shards_are_equal_contiguous_blocks_that_cover_the_indices():
    shards = [dist.shard_indices(12, rank=r, world_size=4) for r in range(4)]
    np.testing.assert_array_equal(np.concatenate(shards), np.arange(12))
    assert {len(s) for s in shards} == {3}
    assert dist.shard_indices(13, rank=3, world_size=4, drop_last=True).tolist() == [9, 10, 11]


@pytest.mark.parametrize("kwargs, message", [
    ({"n": 5, "rank": 0, "world_size": 2}, "5 samples do not split equally over 2 ranks"),
    ({"n": 4, "rank": 2, "world_size": 2}, r"expected rank < world_size \(2\), got 2"),
    ({"n": -1, "rank": 0, "world_size": 1}, "expected n to be an int >= 0, got -1"),
    ({"n": 4.0, "rank": 0, "world_size": 1}, "expected n to be an int >= 0, got 4.0"),
])
def test_shard_indices_refuses_what_cannot_be_shared(kwargs, message):
    with pytest.raises(ValueError, match=message):
        dist.shard_indices(**kwargs)


class FakeBackend:
    def __init__(self, name):
        self.name = name


def test_cupy_arrays_go_through_nccl_only_where_cupy_has_it(monkeypatch):
    monkeypatch.setattr(dist, "_nccl_module", lambda: object())
    assert dist._transport(FakeBackend("cupy")) == "nccl"
    assert dist._transport(FakeBackend("numpy")) == "mpi"
    monkeypatch.setattr(dist, "_nccl_module", lambda: None)
    assert dist._transport(FakeBackend("cupy")) == "mpi"  # staged through host memory


def test_buckets_group_parameters_by_size_backend_and_dtype():
    params = [nn.Parameter(mg.zeros(n)) for n in (100, 100, 300, 50)]
    params.insert(2, nn.Parameter(mg.zeros(10, dtype=mg.float64)))
    sizes = [[p.numel() for p in b] for b in nn.parallel._buckets(params, cap_bytes=1000)]
    assert sizes == [[100, 100], [10], [300], [50]]


def test_the_after_backward_callback_runs_once_after_the_gradients_are_written():
    w = mg.tensor([2.0], requires_grad=True)
    seen = []

    def callback():
        seen.append(w.grad.item())

    mg.autograd.run_after_next_backward(callback)
    mg.autograd.run_after_next_backward(callback)  # queued once
    (w * 3).sum().backward()
    (w * 3).sum().backward()
    assert seen == [3.0]
