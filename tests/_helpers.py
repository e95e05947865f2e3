"""Shared test machinery: the gradcheck factory ``check_op`` and small conversions.

``check_op`` is MyGrad's ``backprop_test_factory`` cut down: the strategies of
``_strategies`` draw the arrays, and this turns them into float64 tensors on the
current default backend (the ``backend`` fixture sets it), checks the forward value
against a NumPy reference when one is given, and the backward against central
finite differences with :func:`minigrad.gradcheck` (which contracts the outputs with
a random upstream gradient, so no rule is only tested against ones).
"""

import numpy as np

import minigrad as mg


def as_tensor(value, dtype=mg.float64, requires_grad=False):
    """A copy of ``value`` as a tensor on the current default backend."""
    backend = mg.backends.get_default().name
    return mg.tensor(value, dtype=dtype, backend=backend, requires_grad=requires_grad)


def host(value):
    """``value`` as a NumPy array: Tensors are copied off their backend, the rest passed on."""
    return value.numpy() if isinstance(value, mg.Tensor) else np.asarray(value)


def assert_close(actual, expected, rtol=1e-7, atol=1e-10):
    """Compare two values (Tensors, arrays or numbers) elementwise, shapes included."""
    actual, expected = host(actual), host(expected)
    assert actual.shape == expected.shape, f"shape {actual.shape} != {expected.shape}"
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol)


def check_op(fn, *args, ref=None, atol=1e-5, rtol=1e-3):
    """Check ``fn``'s gradients (and, with ``ref``, its values) at ``args``.

    Parameters
    ----------
    fn : callable
        Takes the tensors (and any other ``args``) and returns a Tensor or a tuple.
    *args
        NumPy arrays become float64 tensors that require grad, on the current
        backend; anything else (Python scalars, ready-made Tensors) passes through.
    ref : callable, optional
        The same function on NumPy arrays: ``fn``'s value must match it.

    Returns
    -------
    list
        The inputs ``fn`` was called with.
    """
    inputs = [as_tensor(a, requires_grad=True) if isinstance(a, np.ndarray) else a
              for a in args]
    if ref is not None:
        got, want = fn(*inputs), ref(*[host(a) if isinstance(a, mg.Tensor) else a for a in args])
        if isinstance(got, tuple):  # several outputs (split): compare them pairwise
            assert len(got) == len(want)
        else:
            got, want = (got,), (want,)
        for g, w in zip(got, want):
            assert_close(g, w)
    assert mg.gradcheck(fn, inputs, atol=atol, rtol=rtol)
    return inputs


def check_direction(fn, *arrays, eps=1e-6, rtol=1e-6):
    r"""Check one directional derivative of ``L = <w, fn(x)>`` instead of every partial.

    Chainer's trick for big inputs: along a random direction ``r``, backward's
    :math:`\sum_i \langle \nabla_i L, r_i \rangle` must equal the central difference
    :math:`(L(x + \epsilon r) - L(x - \epsilon r)) / 2\epsilon`: two forwards, not two
    per element.
    """
    rng = np.random.default_rng(0)
    directions = [rng.standard_normal(a.shape) for a in arrays]
    xs = [as_tensor(a, requires_grad=True) for a in arrays]
    y = fn(*xs)
    w = rng.uniform(-1, 1, size=y.shape)
    grads = mg.grad(y, xs, grad_outputs=as_tensor(w))
    analytic = sum(float((host(g) * r).sum()) for g, r in zip(grads, directions))

    def loss(step):
        moved = [as_tensor(a + step * r) for a, r in zip(arrays, directions)]
        return float((host(fn(*moved)) * w).sum())

    numeric = (loss(eps) - loss(-eps)) / (2 * eps)
    np.testing.assert_allclose(analytic, numeric, rtol=rtol, atol=1e-7)
