"""nn.LayerNorm and F.layer_norm: the formula, gradients by finite differences, PyTorch parity."""

import numpy as np
import pytest
from _helpers import assert_close, check_op
from _strategies import distinct_arrays, shapes
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg
from minigrad import nn

F = nn.functional


def layer_norm_reference(x, k, weight, bias, eps=1e-5):
    """The formula in NumPy, over the last ``k`` axes."""
    axes = tuple(range(-k, 0))
    centred = x - x.mean(axis=axes, keepdims=True)
    return centred / np.sqrt((centred ** 2).mean(axis=axes, keepdims=True) + eps) * weight + bias


@st.composite
def normalised_inputs(draw):
    """An input (no ties, so no sample is constant), how many trailing axes, weight, bias."""
    shape = draw(shapes(min_dims=1, max_dims=3))
    k = draw(st.integers(1, len(shape)))
    x = draw(distinct_arrays(shape))
    weight, bias = draw(distinct_arrays(shape[-k:])), draw(distinct_arrays(shape[-k:]))
    return x, k, weight, bias


@given(normalised_inputs())
def test_layer_norm_gradients_by_finite_differences(backend, drawn):
    x, k, weight, bias = drawn
    check_op(lambda x, w, b: F.layer_norm(x, x.shape[-k:], w, b), x, weight, bias,
             ref=lambda x, w, b: layer_norm_reference(x, k, w, b))


def test_layer_norm_module_normalises_each_sample_and_learns_its_scale_and_shift(backend):
    norm = nn.LayerNorm((2, 3), dtype=mg.float64)
    assert [name for name, _ in norm.named_parameters()] == ["weight", "bias"]
    assert_close(norm.weight, np.ones((2, 3)))
    assert_close(norm.bias, np.zeros((2, 3)))
    x = mg.randn(4, 2, 3, dtype=mg.float64) * 5 + 2
    y = norm(x).numpy()
    np.testing.assert_allclose(y.mean(axis=(1, 2)), 0, atol=1e-12)
    np.testing.assert_allclose(y.var(axis=(1, 2)), 1, rtol=1e-4)   # eps keeps it just under 1
    (norm(x) * x).sum().backward()
    assert norm.weight.grad.shape == (2, 3) and norm.bias.grad.shape == (2, 3)
    bare = nn.LayerNorm(3, elementwise_affine=False, dtype=mg.float64)
    assert bare.weight is None and bare.bias is None and not list(bare.parameters())
    assert nn.LayerNorm(3, bias=False).bias is None
    assert_close(bare(x[:, 0]), layer_norm_reference(x[:, 0].numpy(), 1, 1.0, 0.0))


def test_layer_norm_refusals_name_what_was_expected():
    x = mg.randn(2, 3)
    with pytest.raises(ValueError, match=r"layer_norm: expected input of shape \(\*, 4\) "
                                         r"\(normalized_shape=\(4,\) last\), got \(2, 3\)"):
        F.layer_norm(x, 4)
    with pytest.raises(ValueError, match=r"expected input of shape \(\*, 1, 2, 3\)"):
        nn.LayerNorm((1, 2, 3))(x)
    for bad in ((), 1.5, "3", [2, -1]):
        with pytest.raises(TypeError, match=rf"^LayerNorm: expected normalized_shape to be an "
                                            rf"int or a non-empty tuple of ints .*{bad!r}"):
            nn.LayerNorm(bad)
    with pytest.raises(ValueError, match=r"layer_norm: expected weight of shape \(3,\) "
                                         r"\(normalized_shape\), got \(2,\)"):
        F.layer_norm(x, 3, mg.ones(2))
    with pytest.raises(TypeError, match="LayerNorm: expected input of dtype float64"):
        nn.LayerNorm(3, dtype=mg.float64)(x)
    with pytest.raises(TypeError, match="layer_norm: expected floating-point input"):
        F.layer_norm(mg.tensor([[1, 2, 3]]), 3)
    with pytest.raises(ValueError, match="LayerNorm: expected eps >= 0, got -1"):
        nn.LayerNorm(3, eps=-1)


torch = pytest.importorskip("torch")


@pytest.mark.parametrize("normalized_shape", [4, (3, 4), [2, 3, 4]])
@pytest.mark.parametrize("affine", [(True, True), (True, False), (False, False)])
def test_layer_norm_as_pytorch_in_float64(normalized_shape, affine):
    elementwise_affine, bias = affine
    theirs = torch.nn.LayerNorm(normalized_shape, eps=1e-3, elementwise_affine=elementwise_affine,
                                bias=bias, dtype=torch.float64)
    ours = nn.LayerNorm(normalized_shape, eps=1e-3, elementwise_affine=elementwise_affine,
                        bias=bias, dtype=mg.float64)
    assert repr(ours) == repr(theirs)
    with torch.no_grad():   # a learned scale and shift, not the initial ones and zeros
        for parameter in theirs.parameters():
            parameter.normal_()
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    rng = np.random.default_rng(0)
    array = rng.standard_normal((2, 3, 4))
    upstream = rng.standard_normal((2, 3, 4))
    x, tx = mg.tensor(array, requires_grad=True), torch.tensor(array, requires_grad=True)
    y, ty = ours(x), theirs(tx)
    np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), rtol=1e-12, atol=1e-13)
    (y * mg.tensor(upstream)).sum().backward()
    (ty * torch.tensor(upstream)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-10, atol=1e-12)
    for name, parameter in theirs.named_parameters():
        np.testing.assert_allclose(getattr(ours, name).grad.numpy(), parameter.grad.numpy(),
                                   rtol=1e-10, atol=1e-12, err_msg=name)
