"""Every op gives the same value and gradient on every backend as on NumPy (float32 tolerance).

Skipped where NumPy is the only backend: there is nothing to compare.
"""

import numpy as np
import pytest
from _cases import CASES, draw_inputs, value_and_grads

import minigrad as mg

OTHERS = [name for name in mg.backends.available() if name != "numpy"]
pytestmark = pytest.mark.skipif(not OTHERS, reason="only the numpy backend is available here")


@pytest.mark.parametrize("other", OTHERS)
@pytest.mark.parametrize("name", sorted(CASES))
def test_op_agrees_with_numpy(other, name):
    fn, _, _ = CASES[name]
    arrays = draw_inputs(name)
    expected = value_and_grads(fn, arrays, mg.float32, "numpy")
    with mg.default_backend(other):  # where the ops create their own constants
        got = value_and_grads(fn, arrays, mg.float32, other)
    for what, a, b in zip(["value"] + [f"grad {i}" for i in range(len(arrays))], got, expected):
        assert a.dtype == b.dtype == np.float32 and a.shape == b.shape, what
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6, err_msg=what)


@pytest.mark.parametrize("other", OTHERS)
def test_moving_between_backends_is_differentiable(other):
    x = mg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x.to(other)
    assert y.backend == other and not y.is_leaf
    (y * y).sum().backward()
    assert x.grad.backend == "numpy"
    np.testing.assert_allclose(x.grad.numpy(), 2 * x.numpy())
