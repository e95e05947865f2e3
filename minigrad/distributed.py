r"""Several processes that train one model: collective operations over MPI.

Data parallelism runs one copy of the script per process, a *rank*, started by
``mpiexec -n N python script.py``. Every rank holds the whole model and trains on
its own part of each batch; the ranks stay identical because they average their
gradients before every update (:class:`minigrad.nn.parallel.DistributedDataParallel`
does that). The collectives here are what it is built from, and they serve a
training loop too: averaging a loss for the log, agreeing to stop.

The transport is MPI through ``mpi4py``, imported only by :func:`init`; the
``distributed`` extra installs it with the ``mpich`` wheel, whose ``mpiexec`` then
sits next to Python (``pip install -e ".[distributed]"``); a system MPI works too.
CuPy arrays go through NCCL, CuPy's ``cupy.cuda.nccl``, where CuPy has it, and
through host memory otherwise. *The NCCL path is unverified: no GPU run has
exercised it yet.*

A process that never called :func:`init` is a world of one: :func:`get_rank` is 0,
:func:`get_world_size` 1, so a script reads the same with and without ``mpiexec``.

>>> from minigrad import distributed as dist
>>> dist.is_initialized(), dist.get_rank(), dist.get_world_size()
(False, 0, 1)
>>> dist.shard_indices(8, rank=1, world_size=2)
array([4, 5, 6, 7])
"""

import os
import sys
import time

import numpy

from minigrad.tensor import Tensor

__all__ = [
    "all_reduce", "barrier", "broadcast", "get_rank", "get_world_size", "init", "is_initialized",
    "is_mpi_launched", "shard_indices",
]

INSTALL_HINT = 'pip install mpi4py mpich (or, in a checkout, pip install -e ".[distributed]")'
# Launchers announce the world size to each process: MPICH's Hydra, Open MPI, MVAPICH, PMIx.
_LAUNCHER_VARIABLES = ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "MV2_COMM_WORLD_SIZE", "PMIX_RANK")
_OPS = ("sum", "mean", "max", "min")

_state = {"mpi": None, "comm": None, "nccl": None}


def is_mpi_launched():
    """Whether ``mpiexec`` (MPICH, Open MPI, MVAPICH or a PMIx launcher) started this process.

    A script that should run both alone and under ``mpiexec`` calls :func:`init`
    only when this is true, so running it alone needs no MPI installed.
    """
    return any(name in os.environ for name in _LAUNCHER_VARIABLES)


def init():
    """Join the job that ``mpiexec`` started; call once, before any other collective.

    It also makes an uncaught exception on any rank end the whole job (``MPI_Abort``)
    after printing its traceback: otherwise the other ranks would wait forever in
    their next collective for a rank that is gone. A second call does nothing.

    Raises
    ------
    ImportError
        If ``mpi4py`` or its MPI library is missing; the message gives the install
        command.
    """
    if _state["comm"] is not None:
        return
    try:
        from mpi4py import MPI
    except (ImportError, RuntimeError) as err:  # RuntimeError: mpi4py without an MPI library
        raise ImportError(f"minigrad.distributed needs mpi4py and an MPI library ({err}); "
                          f"install them with: {INSTALL_HINT}") from err
    _state["mpi"], _state["comm"] = MPI, MPI.COMM_WORLD
    sys.excepthook = _aborting_hook(sys.excepthook)


def _aborting_hook(previous):
    def hook(kind, value, traceback):
        previous(kind, value, traceback)
        sys.stderr.flush()
        # The launcher relays each rank's output through a pipe of its own; Abort ends every
        # process at once, often before the traceback has crossed it. A moment's wait lets
        # the user see why the job ended.
        time.sleep(0.5)
        _state["comm"].Abort(1)
    return hook


def is_initialized():
    """Whether :func:`init` has run in this process."""
    return _state["comm"] is not None


def get_rank():
    """This process's number in the job, from 0; 0 before :func:`init`."""
    return 0 if _state["comm"] is None else _state["comm"].Get_rank()


def get_world_size():
    """How many processes the job has; 1 before :func:`init`."""
    return 1 if _state["comm"] is None else _state["comm"].Get_size()


def barrier():
    """Wait until every rank has called ``barrier()``."""
    _communicator("barrier").Barrier()


def all_reduce(tensor, op="sum"):
    """Combine ``tensor`` elementwise across the ranks, in place; every rank gets the result.

    Parameters
    ----------
    tensor : Tensor
        Of the same shape and dtype on every rank; its values are replaced.
    op : {"sum", "mean", "max", "min"}
        How the ranks' values combine. ``"mean"`` is the sum divided by the world size.

    Returns
    -------
    Tensor
        ``tensor`` itself.
    """
    if op not in _OPS:
        raise ValueError(f"all_reduce: expected op to be one of {', '.join(map(repr, _OPS))}, "
                         f"got {op!r}")
    comm = _communicator("all_reduce")
    array = _checked(tensor, "all_reduce")
    if op == "mean" and array.dtype.kind != "f":
        raise TypeError(f"all_reduce: op='mean' needs a floating-point tensor, got "
                        f"{array.dtype.name}; use op='sum' and divide, or convert it first")
    if _transport(tensor._backend) == "nccl":
        _nccl_all_reduce(array, op, comm)
    else:
        _staged(array, tensor._backend, lambda host: comm.Allreduce(
            _state["mpi"].IN_PLACE, host, op=_mpi_op("sum" if op == "mean" else op)))
    if op == "mean":
        array /= comm.Get_size()
    return tensor


def broadcast(tensor, src=0):
    """Overwrite ``tensor`` on every rank with its values on rank ``src``, in place.

    Returns
    -------
    Tensor
        ``tensor`` itself.
    """
    comm = _communicator("broadcast")
    if type(src) is not int or not 0 <= src < comm.Get_size():
        raise ValueError(f"broadcast: expected src to be a rank in [0, {comm.Get_size()}), "
                         f"got {src!r}")
    array = _checked(tensor, "broadcast")
    if _transport(tensor._backend) == "nccl":
        _nccl_broadcast(array, src, comm)
    else:
        _staged(array, tensor._backend, lambda host: comm.Bcast(host, root=src))
    return tensor


def shard_indices(n, rank=None, world_size=None, drop_last=False):
    """The indices of ``range(n)`` that rank ``rank`` of ``world_size`` takes: a contiguous block.

    The blocks are of equal size, so every rank takes the same number of steps and the
    average of the ranks' mean losses is the mean loss over all ``n`` samples.

    Parameters
    ----------
    n : int
        How many samples (or batch rows) there are to share.
    rank, world_size : int, optional
        Default to this process's :func:`get_rank` and :func:`get_world_size`.
    drop_last : bool
        Leave out the last ``n % world_size`` indices instead of refusing an ``n`` that
        the ranks cannot share equally.

    Returns
    -------
    numpy.ndarray
        The indices, in increasing order.

    Examples
    --------
    >>> from minigrad.distributed import shard_indices
    >>> [shard_indices(6, rank=r, world_size=3).tolist() for r in range(3)]
    [[0, 1], [2, 3], [4, 5]]
    >>> shard_indices(7, rank=2, world_size=3, drop_last=True)
    array([4, 5])
    """
    rank = get_rank() if rank is None else rank
    world_size = get_world_size() if world_size is None else world_size
    for name, value in (("n", n), ("rank", rank), ("world_size", world_size)):
        if not isinstance(value, (int, numpy.integer)) or isinstance(value, bool) or value < 0:
            raise ValueError(f"shard_indices: expected {name} to be an int >= 0, got {value!r}")
    if not rank < world_size:
        raise ValueError(f"shard_indices: expected rank < world_size ({world_size}), got {rank}")
    if n % world_size and not drop_last:
        raise ValueError(
            f"shard_indices: {n} samples do not split equally over {world_size} ranks; pass "
            f"a multiple of {world_size}, or drop_last=True to leave out the last "
            f"{n % world_size}")
    size = n // world_size
    return numpy.arange(rank * size, (rank + 1) * size)


# ---- transports ---------------------------------------------------------------------------


def _communicator(op):
    comm = _state["comm"]
    if comm is None:
        raise RuntimeError(f"{op}: minigrad.distributed.init() has not been called; call it "
                           "first, in a script started with mpiexec -n N python script.py")
    return comm


def _checked(tensor, op):
    if not isinstance(tensor, Tensor):
        raise TypeError(f"{op}: expected a Tensor, got {type(tensor).__name__}")
    return tensor._data


def _transport(backend):
    """``"nccl"`` for a CuPy backend whose CuPy has NCCL, else ``"mpi"``."""
    return "nccl" if backend.name == "cupy" and _nccl_module() is not None else "mpi"


def _nccl_module():
    """CuPy's NCCL bindings, or ``None`` where this CuPy was built without them."""
    try:
        from cupy.cuda import nccl
    except ImportError:
        return None
    return nccl if nccl.available else None


def _staged(array, backend, collective):
    """Run the MPI ``collective`` on ``array`` in place, through host memory if it is elsewhere.

    MPI reads and writes NumPy buffers directly; a non-contiguous array is reduced
    through a contiguous copy.
    """
    host = backend.to_host(array)
    if not host.flags.c_contiguous:
        host = numpy.ascontiguousarray(host)
    collective(host)
    if host is not array:
        array[...] = backend.from_host(host)


def _mpi_op(op):
    MPI = _state["mpi"]
    return {"sum": MPI.SUM, "max": MPI.MAX, "min": MPI.MIN}[op]


def _nccl_communicator(comm):
    """The NCCL communicator of this job, made once: rank 0's id travels over MPI.

    Unverified: no GPU session has run it yet.
    """
    if _state["nccl"] is None:
        nccl = _nccl_module()
        uid = comm.bcast(nccl.get_unique_id() if comm.Get_rank() == 0 else None, root=0)
        _state["nccl"] = nccl.NcclCommunicator(comm.Get_size(), uid, comm.Get_rank())
    return _state["nccl"]


def _nccl_args(array):
    """NCCL's element type for ``array``, and the current stream (unverified, no GPU run)."""
    import cupy

    nccl = _nccl_module()
    types = {"float32": nccl.NCCL_FLOAT32, "float64": nccl.NCCL_FLOAT64,
             "int32": nccl.NCCL_INT32, "int64": nccl.NCCL_INT64}
    if array.dtype.name not in types or not array.flags.c_contiguous:
        raise TypeError(f"NCCL collectives take contiguous {', '.join(types)} arrays, got "
                        f"{'a non-contiguous ' if not array.flags.c_contiguous else ''}"
                        f"{array.dtype.name} array; pass a contiguous copy of a supported dtype")
    return types[array.dtype.name], cupy.cuda.get_current_stream().ptr


def _nccl_all_reduce(array, op, comm):
    """Allreduce a CuPy array in place with NCCL (unverified: no GPU run yet)."""
    nccl = _nccl_module()
    dtype, stream = _nccl_args(array)
    ops = {"sum": nccl.NCCL_SUM, "mean": nccl.NCCL_SUM, "max": nccl.NCCL_MAX,
           "min": nccl.NCCL_MIN}
    _nccl_communicator(comm).allReduce(array.data.ptr, array.data.ptr, array.size, dtype,
                                       ops[op], stream)


def _nccl_broadcast(array, src, comm):
    """Broadcast a CuPy array in place with NCCL (unverified: no GPU run yet)."""
    dtype, stream = _nccl_args(array)
    _nccl_communicator(comm).bcast(array.data.ptr, array.size, dtype, src, stream)
