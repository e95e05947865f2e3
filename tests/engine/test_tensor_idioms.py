"""The tensor API a PyTorch user writes: sizes, conversions, devices, factories, NumPy interop.

The differentiable idioms (view, permute, expand, narrow, chunk, dim=...) are in the
parity cases of ``tests/_cases.py``; here are the rest, each written once and run on
minigrad and, where it is installed, on PyTorch.
"""

import numpy as np
import pytest

import minigrad as mg


def test_size_numel_and_dim(backend):
    x = mg.zeros(2, 3, 4)
    assert x.size() == (2, 3, 4) and x.size(1) == 3 and x.size(-1) == 4
    assert x.numel() == 24 and x.dim() == 3 == x.ndim
    with pytest.raises(ValueError, match="size: axis 3 is out of range for 3 dimensions"):
        x.size(3)


def test_dim_and_keepdim_are_aliases_of_axis_and_keepdims(backend):
    x = mg.tensor(np.arange(24.0).reshape(2, 3, 4))
    assert np.array_equal(x.sum(dim=1, keepdim=True).numpy(), x.sum(axis=1, keepdims=True).numpy())
    assert np.array_equal(x.mean(dim=(0, 2)).numpy(), x.mean(axis=(0, 2)).numpy())
    assert np.array_equal(x.argmax(dim=2, keepdim=True).numpy(),
                          x.numpy().argmax(axis=2)[..., None])
    assert mg.cat([x, x], dim=2).shape == (2, 3, 8)
    assert mg.stack([x, x], dim=1).shape == (2, 2, 3, 4)


@pytest.mark.parametrize("call", [
    lambda x: x.sum(axis=0, dim=1),
    lambda x: x.sum(keepdims=True, keepdim=True),
    lambda x: x.mean(axis=0, dim=0),
    lambda x: x.max(axis=0, dim=0),
    lambda x: x.argmax(axis=0, dim=0),
    lambda x: x.softmax(0, dim=1),
    lambda x: mg.cat([x, x], axis=1, dim=1),
], ids=["sum", "sum keepdim", "mean", "max", "argmax", "softmax", "cat"])
def test_both_spellings_at_once_are_a_type_error(backend, call):
    with pytest.raises(TypeError, match=r"got both (axis|keepdims)= and (dim|keepdim)=, which "
                                        r"mean the same; pass one of them"):
        call(mg.ones(2, 3))


def test_max_and_min_over_dim_give_values_and_indices_as_pytorch(backend):
    x = mg.tensor([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]], requires_grad=True)
    values, indices = x.max(dim=1)
    assert values.tolist() == [5.0, 7.0] and indices.tolist() == [1, 0]
    assert x.min(dim=0, keepdim=True).indices.tolist() == [[0, 1, 0]]
    assert x.max(axis=1).tolist() == [5.0, 7.0]  # NumPy's spelling: the values alone
    x.max(dim=1).values.sum().backward()
    assert x.grad.tolist() == [[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]]


def test_integers_become_float32_where_an_op_needs_floats(backend):
    ints = mg.tensor([1, 2, 4])
    for y in (ints.tanh(), ints.exp(), ints.log(), ints.sqrt(), ints.sigmoid(), ints / 2,
              ints / ints, 1 / ints, ints.mean(), mg.tensor([True, False]).mean(),
              mg.ones(3) / ints):
        assert y.dtype == mg.float32, y
    assert (ints.double() / 2).dtype == mg.float64
    np.testing.assert_allclose(ints.sqrt().numpy(), [1.0, 2**0.5, 2.0], rtol=1e-6)


def test_conversions_and_new_tensors_keep_the_backend(backend):
    x = mg.tensor([1.5, -2.5])
    assert x.long().tolist() == [1, -2] and x.long().dtype == mg.long == mg.int64
    assert x.int().dtype == mg.int32 and x.double().dtype == mg.float64
    assert x.bool().tolist() == [True, True] and x.double().float().dtype == mg.float32
    assert x.type(mg.float64).dtype == mg.float64
    assert x.new_zeros(2, 3).shape == (2, 3) and x.new_ones((2,)).tolist() == [1.0, 1.0]
    assert x.new_full((2,), 7.0).tolist() == [7.0, 7.0] and x.new_tensor([3]).tolist() == [3]
    assert all(t.backend == x.backend for t in (x.new_zeros(1), x.long(), x.clone()))
    assert x.contiguous() is x
    assert mg.tensor(2.5).tolist() == 2.5


def test_pytorch_device_strings_name_the_backends():
    x = mg.ones(2, backend="cpu")
    assert x.backend == "numpy" and x.device == "cpu" and not x.is_cuda
    assert x.to("cpu") is x and x.cpu() is x
    assert mg.backends.get("cpu") is mg.backends.get("numpy")
    if "cupy" not in mg.backends.available():
        with pytest.raises(mg.BackendUnavailableError, match="cupy"):
            x.cuda()
        with pytest.raises(mg.BackendUnavailableError):
            x.to("cuda:0")


def test_the_usual_device_line_ports_unchanged():
    device = mg.device("cuda" if mg.cuda.is_available() else "cpu")
    assert mg.cuda.device_count() == int(mg.cuda.is_available())
    x = mg.zeros(2, 3, device=device)
    assert x.device == device and x.to(device) is x and x.to(device=device) is x
    assert mg.randn(2, device=device).device == mg.tensor([1.0], device=device).device == device
    assert mg.zeros_like(x, device="cpu").device == "cpu"
    assert repr(mg.device("cuda")) == "device(type='cuda', index=0)"
    assert mg.device("cuda").type == "cuda" and mg.device("cpu").index is None
    assert mg.device("numpy") == "cpu" and isinstance(mg.device("cpu").type, str)


def test_device_and_backend_at_once_or_a_second_gpu_are_refused():
    with pytest.raises(TypeError, match="zeros: got both backend= and device=, which mean the "
                                        "same; pass one of them"):
        mg.zeros(2, backend="numpy", device="cpu")
    with pytest.raises(TypeError, match="^to: got both backend= and device="):
        mg.ones(1).to(backend="numpy", device="cpu")
    with pytest.raises(ValueError, match=r"^device: minigrad uses one GPU, 'cuda:0'; "
                                         r"got 'cuda:1'$"):
        mg.device("cuda:1")
    with pytest.raises(ValueError, match=r"unknown backend 'tpu': expected one of .* or a "
                                         r"device string \['cpu', 'cuda', 'cuda:0'\]"):
        mg.device("tpu")


def test_to_takes_a_device_and_a_dtype_or_another_tensor():
    x = mg.ones(2)
    assert x.to("cpu", mg.float64).dtype == mg.float64
    assert x.to(device="cpu", dtype=mg.float64, non_blocking=True).dtype == mg.float64
    assert x.to(mg.zeros(1, dtype=mg.float64)).dtype == mg.float64


def test_torch_style_functions_and_clamp():
    x = mg.tensor([[1.0, -2.0], [3.0, 0.5]])
    assert mg.sum(x, dim=1).tolist() == [-1.0, 3.5] and mg.mean(x).item() == 0.625
    assert mg.max(x, dim=0).indices.tolist() == [1, 1] and mg.argmin(x).item() == 1
    assert mg.reshape(x, (4,)).shape == (4,) and mg.min(x).item() == -2.0
    assert x.clamp(min=0.0).tolist() == [[1.0, 0.0], [3.0, 0.5]]
    assert mg.clamp(x, -1.0, 1.0).tolist() == [[1.0, -1.0], [1.0, 0.5]]


def test_in_place_methods_update_a_parameter_under_no_grad():
    p = mg.tensor([1.0, -2.0, 3.0], requires_grad=True)
    saved = p.data
    with mg.no_grad():
        assert p.add_(mg.tensor([1.0, 1.0, 1.0]), alpha=-0.5) is p
        p.mul_(2.0).sub_(1.0).div_(2.0).clamp_(min=-2.0, max=1.5)
    assert p.tolist() == [0.0, -2.0, 1.5] and p.requires_grad and saved.tolist() == [1, -2, 3]
    with mg.no_grad():
        assert p.zero_().tolist() == [0.0, 0.0, 0.0] and p.fill_(2.5).tolist() == [2.5] * 3
        p.copy_(mg.tensor([7.0]))
    assert p.tolist() == [7.0] * 3
    with pytest.raises(RuntimeError, match=r"^add_: expected no tensor that requires grad while "
                                           r"grad mode is on; .* write x = x \+ alpha \* y, or "
                                           r"update parameters inside mg\.no_grad\(\)$"):
        p.add_(mg.ones(3))
    with pytest.raises(TypeError, match="copy_"):
        mg.zeros(2).copy_(1.0)


def test_random_fills_in_place_draw_from_their_distribution():
    x = mg.zeros(20000, dtype=mg.float64)
    assert x.uniform_(-2.0, 1.0).min().item() >= -2.0 and x.max().item() < 1.0
    assert abs(x.mean().item() + 0.5) < 0.03
    x.normal_(3.0, 0.5)
    assert abs(x.mean().item() - 3.0) < 0.02 and abs(x.numpy().std() - 0.5) < 0.02


def test_numpy_reads_a_tensor_that_needs_no_gradient():
    x = mg.tensor([1.0, 2.0])
    assert np.asarray(x).tolist() == [1.0, 2.0]
    assert np.array(x, dtype=np.float64).dtype == np.float64
    # A NumPy scalar on the left is answered by the tensor's reflected operator, and an
    # array is refused by it, as on the right.
    assert (np.float32(2.0) * x).tolist() == [2.0, 4.0]
    with pytest.raises(TypeError, match=r"wrap arrays with mg\.tensor\(\.\.\.\)"):
        np.ones(2, dtype=np.float32) + x


def test_numpy_refuses_a_tensor_that_needs_a_gradient_naming_the_fix():
    w = mg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError, match=r"t\.detach\(\)\.numpy\(\)"):
        np.asarray(w)


@pytest.mark.parametrize("call", [
    lambda t: np.dot(t, t), lambda t: np.zeros_like(t), lambda t: np.exp(t),
    lambda t: np.concatenate([t, t]),
], ids=["dot", "zeros_like", "exp", "concatenate"])
def test_numpy_functions_refuse_tensors_instead_of_making_object_arrays(call):
    with pytest.raises(TypeError, match="Tensor"):
        call(mg.tensor([1.0, 2.0]))


def test_from_numpy_shares_memory_and_keeps_the_dtype():
    array = np.arange(3, dtype=np.int32)
    t = mg.from_numpy(array)
    array[0] = 9
    assert t.tolist() == [9, 1, 2] and t.dtype == mg.int32
    with pytest.raises(TypeError, match="from_numpy: expected a numpy.ndarray, got list"):
        mg.from_numpy([1, 2])


def test_randint_and_multinomial_draw_in_range_and_reproducibly(backend):
    mg.manual_seed(3)
    ints = mg.randint(2, 5, (1000,))
    assert ints.dtype == mg.int64 and set(ints.tolist()) == {2, 3, 4}
    mg.manual_seed(3)
    assert mg.randint(2, 5, (1000,)).tolist() == ints.tolist()
    assert set(mg.randint(3, size=(200,)).tolist()) == {0, 1, 2}
    probs = mg.tensor([[0.0, 1.0, 0.0], [0.5, 0.0, 0.5]])
    draws = mg.multinomial(probs, 200, replacement=True)
    assert draws.shape == (2, 200) and set(draws[0].tolist()) == {1}
    assert set(draws[1].tolist()) == {0, 2}
    picked = mg.multinomial(mg.ones(5), 5)
    assert sorted(picked.tolist()) == [0, 1, 2, 3, 4]  # without replacement: each once


torch = pytest.importorskip("torch")


@pytest.mark.parametrize("idiom", [
    lambda lib, x: x.size(),
    lambda lib, x: x.size(-2),
    lambda lib, x: x.numel(),
    lambda lib, x: x.dim(),
    lambda lib, x: x.long().tolist(),
    lambda lib, x: x.int().tolist(),
    lambda lib, x: x.bool().tolist(),
    lambda lib, x: x.double().tolist(),
    lambda lib, x: x.new_zeros(2, 3).tolist(),
    lambda lib, x: x.new_full((2,), 3.5).tolist(),
    lambda lib, x: x.new_tensor([1, 2]).tolist(),
    lambda lib, x: [p.tolist() for p in x.split(2, dim=1)],
    lambda lib, x: [p.tolist() for p in x.split([1, 2], dim=1)],
    lambda lib, x: [p.tolist() for p in x.chunk(2, dim=1)],
    lambda lib, x: [p.tolist() for p in lib.chunk(x.flatten(), 4)],
    lambda lib, x: x.max(dim=1)[1].tolist(),
    lambda lib, x: x.min(dim=0, keepdim=True).indices.tolist(),
    lambda lib, x: x.argmax(dim=1, keepdim=True).tolist(),
    lambda lib, x: x.long().tanh().dtype == lib.float,
    lambda lib, x: (x.long() / 2).tolist(),
    lambda lib, x: lib.linspace(-1, 2, 7).tolist(),
    lambda lib, x: lib.linspace(0, 10, 4, dtype=lib.long).tolist(),
    lambda lib, x: x.t().size(),
    lambda lib, x: x.unsqueeze(0).expand(4, -1, -1).size(),
    lambda lib, x: x.squeeze().size(),
    lambda lib, x: x.narrow(1, -2, 2).tolist(),
    lambda lib, x: x.flatten().tolist(),
    lambda lib, x: x.clamp(min=0.5, max=2.0).tolist(),
    lambda lib, x: x.clone().add_(x, alpha=-2.0).mul_(3.0).clamp_(max=1.0).tolist(),
    lambda lib, x: x.clone().sub_(1.5).div_(2.0).zero_().fill_(4.0).tolist(),
    lambda lib, x: x.new_zeros(2, 3).copy_(x[0]).tolist(),
    lambda lib, x: lib.sum(x, dim=0).tolist(),
    lambda lib, x: lib.max(x, dim=1).indices.tolist(),
    lambda lib, x: str(lib.zeros(1, device=lib.device("cpu")).device),
    lambda lib, x: (lib.device("cuda").type, lib.device("cuda:0").index, lib.device("cpu").type),
], ids=lambda f: f.__code__.co_firstlineno)
def test_idioms_give_what_pytorch_gives(idiom):
    values = np.array([[1.25, -3.5, 2.0], [0.5, 4.75, -1.0]], dtype=np.float32)
    assert_same(idiom(mg, mg.tensor(values)), idiom(torch, torch.tensor(values)))


def assert_same(ours, theirs):
    """Equal nested lists, tuples (a torch.Size too) and numbers, floats to float32 rounding."""
    if isinstance(theirs, (list, tuple)):
        assert isinstance(ours, (list, tuple)) and len(ours) == len(theirs), (ours, theirs)
        for a, b in zip(ours, theirs):
            assert_same(a, b)
    else:
        assert type(ours) is type(theirs), (ours, theirs)
        assert ours == pytest.approx(theirs, rel=1e-6), (ours, theirs)
