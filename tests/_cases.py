"""One representative call of every differentiable op, for checks against other implementations.

``CASES`` maps a name to ``(fn, torch_fn, inputs)``: ``fn`` runs on minigrad
tensors, ``torch_fn`` on torch tensors (``None`` when the same code runs on both),
and ``inputs`` lists ``(shape, low, high)`` for each argument's random values.
``tests/backends/test_cross_backend.py`` runs ``fn`` on every backend against
NumPy; ``tests/ops/test_torch_parity.py`` runs both functions against each other.
"""

import numpy as np

import minigrad as mg

REAL, POSITIVE, AWAY = (-2.0, 2.0), (0.2, 2.0), (0.3, 2.0)


def _torch():
    import torch  # only the parity test gets here, after importorskip

    return torch


CASES = {
    "add": (lambda a, b: a + b, None, [((2, 3), *REAL), ((3,), *REAL)]),
    "sub": (lambda a, b: a - b, None, [((2, 1), *REAL), ((2, 3), *REAL)]),
    "mul": (lambda a, b: a * b, None, [((4, 1, 3), *REAL), ((2, 1), *REAL)]),
    "div": (lambda a, b: a / b, None, [((2, 3), *REAL), ((3,), *AWAY)]),
    "pow": (lambda a, b: a**b, None, [((2, 3), *POSITIVE), ((2, 3), *REAL)]),
    "scalars": (lambda x: (2 - x) * 3 + 1 / x + 2**x + x**2 - x / 4, None, [((5,), *AWAY)]),
    "neg": (lambda x: -x, None, [((2, 3), *REAL)]),
    "exp": (lambda x: x.exp(), None, [((2, 3), *REAL)]),
    "log": (lambda x: x.log(), None, [((2, 3), *POSITIVE)]),
    "tanh": (lambda x: x.tanh(), None, [((2, 3), *REAL)]),
    "sigmoid": (lambda x: x.sigmoid(), None, [((2, 3), *REAL)]),
    "relu": (lambda x: x.relu(), None, [((2, 3), *AWAY)]),
    "abs": (lambda x: x.abs(), None, [((2, 3), *AWAY)]),
    "sqrt": (lambda x: x.sqrt(), None, [((2, 3), *POSITIVE)]),
    "clip": (lambda x: x.clip(-0.5, 0.5), None, [((3, 4), *REAL)]),
    "sum": (lambda x: x.sum(axis=1), None, [((2, 3, 4), *REAL)]),
    "sum all": (lambda x: x.sum(), None, [((2, 3), *REAL)]),
    "mean": (lambda x: x.mean(axis=(0, 2), keepdims=True), None, [((2, 3, 4), *REAL)]),
    "max": (lambda x: x.max(axis=1), lambda x: x.amax(dim=1), [((3, 4), *REAL)]),
    "min": (lambda x: x.min(), lambda x: x.amin(), [((3, 4), *REAL)]),
    "logsumexp": (lambda x: x.logsumexp(axis=1), lambda x: x.logsumexp(dim=1),
                  [((3, 4), *REAL)]),
    "softmax": (lambda x: x.softmax(-1), None, [((3, 4), *REAL)]),
    "log_softmax": (lambda x: x.log_softmax(0), None, [((3, 4), *REAL)]),
    "matmul": (lambda a, b: a @ b, None, [((2, 3), *REAL), ((3, 4), *REAL)]),
    "matmul batched": (lambda a, b: a @ b, None, [((2, 1, 2, 3), *REAL), ((3, 3, 2), *REAL)]),
    "linear": (mg.linear, lambda x, w, b: x @ w.T + b,
               [((4, 3), *REAL), ((2, 3), *REAL), ((2,), *REAL)]),
    "matmul 1-D": (lambda a, b, c: a @ b @ c, None,
                   [((3,), *REAL), ((2, 3, 4), *REAL), ((4,), *REAL)]),
    "reshape": (lambda x: x.reshape(3, -1), None, [((2, 3, 2), *REAL)]),
    "transpose": (lambda x: x.transpose(0, 2), None, [((2, 3, 4), *REAL)]),
    "permute": (lambda x: x.permute(2, 0, 1), None, [((2, 3, 4), *REAL)]),
    "T": (lambda x: x.T, None, [((2, 3), *REAL)]),
    "getitem": (lambda x: x[1:, None, 0], None, [((3, 4, 2), *REAL)]),
    "getitem repeated": (lambda x: x[[0, 2, 0, 0]], None, [((3, 4), *REAL)]),
    "getitem mask": (lambda x: x[x > 0], None, [((3, 4), *REAL)]),
    "concat": (lambda a, b: mg.concat([a, b], axis=1), lambda a, b: _torch().cat([a, b], dim=1),
               [((2, 3), *REAL), ((2, 1), *REAL)]),
    "stack": (lambda a, b: mg.stack([a, b], axis=-1), lambda a, b: _torch().stack([a, b], dim=-1),
              [((2, 3), *REAL), ((2, 3), *REAL)]),
    "split": (lambda x: mg.split(x, [1, 2, 2], dim=1)[1] * mg.split(x, 3)[1].sum(),
              lambda x: _torch().split(x, [1, 2, 2], dim=1)[1] * _torch().split(x, 3)[1].sum(),
              [((4, 5), *REAL)]),
    "where": (lambda a, b: mg.where(a > b, a, b), lambda a, b: _torch().where(a > b, a, b),
              [((2, 3), *REAL), ((3,), *REAL)]),
    "broadcast_to": (lambda x: x.broadcast_to((4, 2, 3)), None, [((2, 1), *REAL)]),
    # PyTorch's spellings, one code for both frameworks.
    "view": (lambda x: x.view(-1, 2) * x.view(6, 2), None, [((2, 3, 2), *REAL)]),
    "t": (lambda x: x.t(), None, [((2, 3), *REAL)]),
    "expand": (lambda x: x.expand(3, -1, 4), None, [((2, 1), *REAL)]),
    "narrow": (lambda x: x.narrow(1, 1, 2) * x.narrow(0, -2, 1)[:, :2], None, [((3, 4), *REAL)]),
    "flatten": (lambda x: x.flatten(1) * x.flatten().sum(), None, [((2, 3, 4), *REAL)]),
    "squeeze": (lambda x: x.squeeze(1) * x.squeeze().sum(), None, [((2, 1, 3, 1), *REAL)]),
    "unsqueeze": (lambda x: x.unsqueeze(-1) * x.unsqueeze(1), None, [((2, 3), *REAL)]),
    "clone": (lambda x: x.clone() * x, None, [((2, 3), *REAL)]),
    "contiguous": (lambda x: x.transpose(0, 1).contiguous(), None, [((2, 3), *REAL)]),
    "chunk": (lambda x: x.chunk(3, dim=1)[2] * x.chunk(2)[0].sum(), None, [((4, 5), *REAL)]),
    "split method": (lambda x: x.split(2, dim=1)[-1] * x.split([3, 1])[1], None,
                     [((4, 5), *REAL)]),
    "sum dim": (lambda x: x.sum(dim=1, keepdim=True), None, [((2, 3, 4), *REAL)]),
    "mean dim": (lambda x: x.mean(dim=(0, 2)), None, [((2, 3, 4), *REAL)]),
    "max dim": (lambda x: x.max(dim=1).values * x.max(dim=0, keepdim=True)[0].sum(), None,
                [((3, 4), *REAL)]),
    "min dim": (lambda x: x.min(dim=-1)[0], None, [((3, 4), *REAL)]),
    "logsumexp dim": (lambda x: x.logsumexp(dim=1, keepdim=True), None, [((3, 4), *REAL)]),
    "softmax dim": (lambda x: x.softmax(dim=0), None, [((3, 4), *REAL)]),
    "log_softmax dim": (lambda x: x.log_softmax(dim=1), None, [((3, 4), *REAL)]),
    "cat dim": (lambda a, b: mg.cat([a, b], dim=0), lambda a, b: _torch().cat([a, b], dim=0),
                [((2, 3), *REAL), ((1, 3), *REAL)]),
    "stack dim": (lambda a, b: mg.stack([a, b], dim=1), lambda a, b: _torch().stack([a, b], dim=1),
                  [((2, 3), *REAL), ((2, 3), *REAL)]),
}


def draw_inputs(name, seed=0):
    """The case's input arrays, float64, drawn reproducibly."""
    rng = np.random.default_rng(seed)
    return [rng.uniform(low, high, size=shape) for shape, low, high in CASES[name][2]]


def value_and_grads(fn, arrays, dtype, backend):
    """Run ``fn`` on tensors of ``arrays`` and backpropagate a fixed random upstream gradient.

    Returns the output and the input gradients, as NumPy arrays.
    """
    xs = [mg.tensor(a, dtype=dtype, backend=backend, requires_grad=True) for a in arrays]
    y = fn(*xs)
    g = np.random.default_rng(1).uniform(-1, 1, size=y.shape)
    y.backward(mg.tensor(g, dtype=dtype, backend=backend))
    return [y.numpy()] + [x.grad.numpy() for x in xs]
