"""W4: the fixed cost of one op, forward and backward, on a tensor too small to matter.

On an (8, 8) tensor the arithmetic is negligible, so the time per op is the
framework's own overhead: creating the result, recording the node, and walking
it back. An RNN cell unrolled over time is hundreds of such small ops per step.
"""

import numpy

import minigrad as mg

from . import peer_models
from .frameworks import CPU
from .harness import Contender, Workload

SHAPE = (8, 8)


def chain(x, n_ops, tanh=None):
    """Apply ``n_ops`` elementwise ops to ``x``, cycling ``* 1.001``, ``+ 0.01``, ``tanh``.

    The same code runs on a minigrad and a torch tensor: both spell these ops alike.
    The peers' tensors have no ``tanh`` method, so they pass their function (a call
    that minigrad and torch do not pay).
    """
    for k in range(n_ops):
        if k % 3 == 0:
            x = x * 1.001
        elif k % 3 == 1:
            x = x + 0.01
        else:
            x = x.tanh() if tanh is None else tanh(x)
    return x


def chain_step(x, n_ops):
    """One step: the chain, its sum, and the backward pass to ``x``."""
    x.grad = None
    loss = chain(x, n_ops).sum()
    loss.backward()
    return loss


def workload(quick=False, device=CPU, seed=0):
    """The W4 workload on ``device`` (fewer ops with ``quick``).

    On a GPU the time per op is the framework's overhead plus a kernel launch.
    """
    n_ops = 30 if quick else 200

    def setup():
        data = numpy.random.default_rng(seed).standard_normal(SHAPE, dtype=numpy.float32)
        x = mg.tensor(data, requires_grad=True, backend=device.backend)
        contenders = [Contender("minigrad", device.minigrad_step(lambda: chain_step(x, n_ops)))]
        torch = device.load_torch()
        if torch is not None:
            xt = torch.tensor(data, requires_grad=True, device=device.torch_device)
            contenders.append(Contender("torch eager",
                                        device.torch_step(lambda: chain_step(xt, n_ops))))
        if device.is_gpu:  # the peers compute with NumPy, on the CPU
            return contenders
        peers = peer_models.peer_contenders(lambda ops, v: ops.sum(chain(v, n_ops, ops.tanh)),
                                            [data])
        return contenders + [Contender(name, step) for name, step in peers]

    return Workload(
        key="W4",
        title=f"per-op overhead: {n_ops} elementwise ops (*1.001, +0.01, tanh) on "
              f"{SHAPE}, sum, backward",
        setup=setup,
        unit="us/op",
        per_step=n_ops,
        targets=device.cpu_goals({"torch eager": 0.6, **peer_models.TARGETS}),
    )
