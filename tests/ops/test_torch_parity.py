"""Every op's value and gradient against PyTorch (skipped where torch is not installed)."""

import numpy as np
import pytest
from _cases import CASES, draw_inputs, value_and_grads

import minigrad as mg

torch = pytest.importorskip("torch")


def torch_value_and_grads(fn, arrays):
    xs = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in arrays]
    y = fn(*xs)
    g = np.random.default_rng(1).uniform(-1, 1, size=tuple(y.shape))
    y.backward(torch.tensor(g, dtype=torch.float64))
    return [y.detach().numpy()] + [x.grad.numpy() for x in xs]


@pytest.mark.parametrize("name", sorted(CASES))
def test_value_and_gradient_match_pytorch(backend, name):
    fn, torch_fn, _ = CASES[name]
    arrays = draw_inputs(name)
    ours = value_and_grads(fn, arrays, mg.float64, backend)
    theirs = torch_value_and_grads(torch_fn or fn, arrays)
    for what, a, b in zip(["value"] + [f"grad {i}" for i in range(len(arrays))], ours, theirs):
        assert a.shape == b.shape, (what, a.shape, b.shape)
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12, err_msg=what)
