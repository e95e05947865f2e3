r"""Checking analytic gradients against finite differences."""

import math
import numbers
import random

from minigrad import autograd
from minigrad.dtypes import float64
from minigrad.errors import GradcheckError
from minigrad.tensor import Tensor


def _flatten(out):
    if isinstance(out, Tensor):
        return [out]
    if isinstance(out, (tuple, list)):
        return [t for item in out for t in _flatten(item)]
    raise TypeError(f"gradcheck: fn must return Tensors (or nested tuples of them), got {out!r}")


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3):
    r"""Compare the gradients from backward with central finite differences, in float64.

    The outputs of ``fn`` are contracted with fixed random weights :math:`w`,
    :math:`L = \sum_k \langle w_k, \text{out}_k \rangle`, so one backward gives the
    vector-Jacobian product :math:`w^\top J` for every input, and each entry is
    compared with :math:`(L(x + \epsilon e_i) - L(x - \epsilon e_i)) / 2\epsilon`.

    Parameters
    ----------
    fn : callable
        Called as ``fn(*inputs)``; returns a Tensor of any shape, or a (nested) tuple.
    inputs : Tensor or sequence
        Tensors (those with ``requires_grad=True`` are checked, as float64 copies)
        and any other arguments, passed through unchanged; a single Tensor is the
        one argument, as in PyTorch.
    eps, atol, rtol : float
        Step of the differences (positive); the check passes where
        :math:`|a - n| \le atol + rtol\,|n|` for analytic ``a`` and numeric ``n``
        (tolerances non-negative).

    Returns
    -------
    bool
        ``True`` when every gradient agrees.

    Raises
    ------
    GradcheckError
        Naming the input and its worst element when they disagree.
    ValueError
        If no input requires grad, ``eps`` is not positive, or a tolerance is negative.
    """
    _check_steps(eps, atol, rtol)
    if isinstance(inputs, Tensor):  # iterating it would pass its rows as separate arguments
        inputs = (inputs,)
    # Fresh C-ordered float64 copies: perturbing one element in place must move exactly
    # that element of the input, and never the caller's own array.
    args = [
        Tensor(t._backend.xp.array(t.data, dtype=float64, order="C"), t._backend, True)
        if isinstance(t, Tensor) and t.requires_grad else t for t in inputs
    ]
    checked = [i for i, t in enumerate(args) if isinstance(t, Tensor) and t.requires_grad]
    if not checked:
        raise ValueError("gradcheck: expected at least one input with requires_grad=True")
    try:
        result = fn(*args)
    except TypeError as err:  # most often a float32 module refusing the float64 copies
        raise TypeError(f"{err} (gradcheck calls fn with float64 copies of the inputs that "
                        "require grad: build modules with dtype=mg.float64)") from err
    outputs = _flatten(result)
    rng = random.Random(0)
    weights = [
        Tensor(out._backend.xp.asarray([rng.uniform(-1, 1) for _ in range(out.numel())],
                                       dtype=out.dtype).reshape(out.shape), out._backend)
        for out in outputs
    ]
    differentiable = [(o, w) for o, w in zip(outputs, weights) if o.requires_grad]
    analytic = autograd.grad([o for o, _ in differentiable], [args[i] for i in checked],
                             [w for _, w in differentiable], allow_unused=True)

    def loss():
        # Not under no_grad: fn may itself differentiate (mg.grad(..., create_graph=True)).
        return sum(float((o.data * w.data).sum()) for o, w in zip(_flatten(fn(*args)), weights))

    for position, i in zip(range(len(checked)), checked):
        x = args[i].data.reshape(-1)  # a view: perturbing it perturbs the input
        numeric = []
        for j in range(x.size):
            original = float(x[j])
            x[j] = original + eps
            above = loss()
            x[j] = original - eps
            below = loss()
            x[j] = original
            numeric.append((above - below) / (2 * eps))
        g = analytic[position]
        got = [0.0] * x.size if g is None else [float(v) for v in g.numpy().reshape(-1)]
        _compare(i, args[i].shape, got, numeric, atol, rtol)
    return True


def _check_steps(eps, atol, rtol):
    """Raise unless ``eps`` is positive (a zero step divides by zero) and the tolerances
    non-negative (a negative one fails every check)."""
    if not (isinstance(eps, numbers.Real) and eps > 0):
        raise ValueError(f"gradcheck: expected eps > 0, got {eps!r}")
    for name, tolerance in (("atol", atol), ("rtol", rtol)):
        if not (isinstance(tolerance, numbers.Real) and tolerance >= 0):
            raise ValueError(f"gradcheck: expected {name} >= 0, got {tolerance!r}")


def _compare(i, shape, analytic, numeric, atol, rtol):
    worst, worst_excess = None, 0.0
    for j, (a, n) in enumerate(zip(analytic, numeric)):
        excess = abs(a - n) - (atol + rtol * abs(n))
        if math.isnan(excess):  # a NaN on either side fails too
            excess = math.inf
        if excess > worst_excess:
            worst, worst_excess = j, excess
    if worst is not None:
        index = _unravel(worst, shape)
        raise GradcheckError(
            f"gradcheck: input {i} (shape {shape}) disagrees at element {index}: "
            f"analytic {analytic[worst]:.6g}, numeric {numeric[worst]:.6g} "
            f"(allowed |difference| <= {atol} + {rtol} * |numeric|)"
        )


def _unravel(flat, shape):
    index = []
    for n in reversed(shape):
        index.append(flat % n)
        flat //= n
    return tuple(reversed(index))
