r"""Data parallelism: one model copy per process, gradients averaged across them."""

import minigrad as mg
from minigrad import autograd
from minigrad import distributed as dist

from .module import Module

__all__ = ["DistributedDataParallel"]


class DistributedDataParallel(Module):
    r"""Wrap ``module`` so that each backward leaves every rank the average of their gradients.

    Each of the :math:`N` ranks runs the forward and backward on its own shard of
    :math:`B/N` samples of a batch of :math:`B`. With the loss a mean over the shard,
    :math:`L_r = \frac{N}{B}\sum_{i \in r} \ell_i`, the average of the ranks' gradients is
    the gradient of the whole batch's mean loss:

    .. math::

        \frac{1}{N}\sum_{r=1}^{N} \nabla L_r
        = \frac{1}{B}\sum_{r=1}^{N}\sum_{i \in r} \nabla \ell_i
        = \nabla \Big(\frac{1}{B}\sum_{i=1}^{B} \ell_i\Big).

    Starting from the same weights, every rank then makes the same update, and the
    ranks together train exactly as one process on the whole batch (up to the order of
    float additions).

    At construction the parameters and buffers are overwritten with rank 0's, so the
    ranks start alike whatever their seeds. A forward with grad mode on arranges for the next
    ``backward()`` to average the gradients when it ends: the parameters' gradients
    are packed into *buckets* of about ``bucket_cap_mb`` megabytes, one
    ``Allreduce`` each, so a step makes a few collective calls, not one per parameter.
    The reduction waits for the end of backward because minigrad's walk finishes a
    weight's gradient only there: a recurrent layer's weights receive a share at
    every time step, summed a block of steps at a time
    (:class:`~minigrad.accumulate.DeferredSums`).

    A parameter that got no gradient on some rank counts as zeros there; after
    backward every parameter that requires grad holds the averaged gradient.

    Parameters
    ----------
    module : Module
        The model; it stays reachable as ``.module``, whose
        :meth:`~minigrad.nn.Module.state_dict` has the model's own keys (the wrapper's
        keys have a ``module.`` prefix, as in PyTorch).
    bucket_cap_mb : float
        The largest bucket, in megabytes (a larger parameter takes a bucket alone).

    Raises
    ------
    RuntimeError
        If :func:`minigrad.distributed.init` has not run.

    Examples
    --------
    Run under ``mpiexec -n 2 python train.py``::

        from minigrad import distributed as dist, nn
        dist.init()
        model = nn.parallel.DistributedDataParallel(nn.Linear(3, 1))
        rows = dist.shard_indices(len(x))         # this rank's samples of the batch
        nn.F.mse_loss(model(x[rows]), y[rows]).backward()  # .grad: the ranks' average
    """

    def __init__(self, module, bucket_cap_mb=25.0):
        super().__init__()
        if not isinstance(module, Module):
            raise TypeError(f"DistributedDataParallel: expected an nn.Module, got "
                            f"{type(module).__name__}")
        if isinstance(bucket_cap_mb, bool) or not isinstance(bucket_cap_mb, (int, float)) \
                or not bucket_cap_mb > 0:
            raise ValueError(f"DistributedDataParallel: expected bucket_cap_mb > 0, got "
                             f"{bucket_cap_mb!r}")
        if not dist.is_initialized():
            raise RuntimeError("DistributedDataParallel: call minigrad.distributed.init() "
                               "first, in a script started with mpiexec -n N python script.py")
        self.module = module
        self.bucket_cap_mb = bucket_cap_mb
        params = [p for p in module.parameters() if p.requires_grad]
        self.buckets = _buckets(params, int(bucket_cap_mb * 2**20))
        with mg.no_grad():
            for tensor in [*module.parameters(), *module.buffers()]:
                dist.broadcast(tensor, src=0)

    def forward(self, *args, **kwargs):
        """The wrapped module's forward; with grad mode on, the next backward averages."""
        if mg.is_grad_enabled():
            autograd.run_after_next_backward(self.average_gradients)
        return self.module(*args, **kwargs)

    def average_gradients(self):
        """Replace every parameter's ``.grad`` with its mean over the ranks, a bucket at a time.

        The forward arranges this call; call it yourself only for gradients that were
        written otherwise.
        """
        world_size = dist.get_world_size()
        for bucket in self.buckets:
            backend = bucket[0]._backend
            flat = backend.xp.concatenate([_flat_gradient(p, backend.xp) for p in bucket])
            dist.all_reduce(mg.Tensor(flat, backend))
            flat /= world_size
            start = 0
            for p in bucket:  # each gradient becomes a view of the reduced buffer
                p.grad = mg.Tensor(flat[start:start + p.numel()].reshape(p.shape), backend)
                start += p.numel()

    def extra_repr(self):
        return f"buckets={len(self.buckets)}, world_size={dist.get_world_size()}"


def _flat_gradient(p, xp):
    if p.grad is None:
        return xp.zeros(p.numel(), dtype=p.data.dtype)
    if p.grad._node is not None:
        raise RuntimeError("DistributedDataParallel averages first-order gradients: "
                           "backward(create_graph=True) is not supported; call backward() "
                           "without it")
    return p.grad.data.ravel()


def _buckets(params, cap_bytes):
    """``params`` grouped in order into lists of one backend and dtype, each of at most
    ``cap_bytes`` bytes of gradient (a larger parameter makes a bucket alone)."""
    groups, sizes = [], []
    for p in params:
        nbytes = p.data.nbytes
        last = groups[-1] if groups else None
        if (last is None or last[0]._backend is not p._backend
                or last[0].data.dtype != p.data.dtype or sizes[-1] + nbytes > cap_bytes):
            groups.append([p])
            sizes.append(nbytes)
        else:
            last.append(p)
            sizes[-1] += nbytes
    return groups
