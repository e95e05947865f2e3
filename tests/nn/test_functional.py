"""nn.functional losses and dropout, nn.init, and nn.utils."""

import math
import re

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn

F = nn.functional

REDUCTIONS = ["mean", "sum", "none"]


def log_softmax(a):
    shifted = a - a.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def test_nn_F_is_nn_functional():
    assert nn.F is nn.functional


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("ignore_index", [None, 2, -100])
def test_cross_entropy_matches_the_formula(backend, reduction, ignore_index):
    logits = mg.randn(6, 4, dtype=mg.float64, requires_grad=True)
    targets = np.array([0, 2, 3, 2, 1, 0])
    if ignore_index == -100:
        targets[[1, 4]] = -100
    losses = -log_softmax(logits.numpy())[np.arange(6), np.where(targets < 0, 0, targets)]
    kept = targets != ignore_index
    losses = np.where(kept, losses, 0.0)
    expected = {"none": losses, "sum": losses.sum(), "mean": losses.sum() / kept.sum()}
    got = F.cross_entropy(logits, mg.tensor(targets), ignore_index=ignore_index,
                          reduction=reduction)
    np.testing.assert_allclose(got.numpy(), expected[reduction], rtol=1e-12)
    assert mg.gradcheck(lambda z: F.cross_entropy(z, mg.tensor(targets),
                                                  ignore_index=ignore_index,
                                                  reduction=reduction), [logits])


def test_cross_entropy_is_stable_for_huge_logits():
    logits = mg.tensor([[1000.0, 0.0], [-1000.0, 0.0]], requires_grad=True)
    loss = F.cross_entropy(logits, mg.tensor([0, 0]), reduction="none")
    np.testing.assert_allclose(loss.numpy(), [0.0, 1000.0])
    loss.sum().backward()
    assert np.isfinite(logits.grad.numpy()).all()


def test_ignored_targets_get_no_gradient():
    logits = mg.randn(3, 4, dtype=mg.float64, requires_grad=True)
    F.cross_entropy(logits, mg.tensor([1, 7, 2]), ignore_index=7).backward()
    np.testing.assert_array_equal(logits.grad.numpy()[1], np.zeros(4))


def test_cross_entropy_errors():
    logits = mg.randn(3, 4)
    with pytest.raises(IndexError, match=r"expected target classes in \[0, 4\), got .* to 4"):
        F.cross_entropy(logits, mg.tensor([0, 1, 4]))
    with pytest.raises(IndexError, match=r"got values from -1"):
        F.cross_entropy(logits, mg.tensor([0, 1, -1]))
    with pytest.raises(ValueError, match=r"expected targets of shape \(3,\) .* got \(2,\)"):
        F.cross_entropy(logits, mg.tensor([0, 1]))
    with pytest.raises(TypeError, match="expected integer target classes, got dtype float32"):
        F.cross_entropy(logits, mg.tensor([0.0, 1.0, 2.0]))
    with pytest.raises(ValueError,
                       match=r"expected logits of shape \(N, C\) or \(N, C, d1, \.\.\.\), got \(4,\)"):
        F.cross_entropy(mg.randn(4), mg.tensor([0]))
    with pytest.raises(ValueError, match="expected reduction in .* got 'avg'"):
        F.cross_entropy(logits, mg.tensor([0, 1, 2]), reduction="avg")


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_ignored_rows_give_zero_loss_and_gradient_even_with_minus_inf_logits(reduction):
    # An ignored target is looked up as class 0, whose logit is -inf here: its loss is inf,
    # and masking it by a multiplication with 0 gave nan.
    values = np.random.default_rng(0).standard_normal((4, 5)).astype(np.float32)
    values[:, 0] = -np.inf
    logits = mg.tensor(values, requires_grad=True)
    loss = F.cross_entropy(logits, mg.tensor([2, 0, 3, 0]), ignore_index=0, reduction=reduction)
    kept = -log_softmax(values.astype(np.float64))[[0, 2], [2, 3]]
    expected = {"none": [kept[0], 0.0, kept[1], 0.0], "sum": kept.sum(), "mean": kept.mean()}
    assert loss.dtype == mg.float32
    np.testing.assert_allclose(loss.numpy(), expected[reduction], rtol=1e-6)
    loss.sum().backward()
    np.testing.assert_array_equal(logits.grad.numpy()[[1, 3]], 0.0)
    assert np.isfinite(logits.grad.numpy()).all()


def test_cross_entropy_refuses_integer_logits_and_a_non_integer_ignore_index():
    targets = mg.tensor([0, 1])
    with pytest.raises(TypeError, match="^cross_entropy: expected floating-point logits, got "
                                        "dtype int64$"):
        F.cross_entropy(mg.tensor([[1, 2], [3, 4]]), targets)
    for bad in (1.5, True, "1"):
        with pytest.raises(TypeError, match=r"cross_entropy: expected ignore_index to be an int "
                                            rf"or None, got {bad!r} \({type(bad).__name__}\)"):
            F.cross_entropy(mg.randn(2, 2), targets, ignore_index=bad)
    logits = mg.randn(2, 2)
    assert F.cross_entropy(logits, targets, ignore_index=np.int64(1)).item() == pytest.approx(
        F.cross_entropy(logits[:1], targets[:1]).item())


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_mse_loss(backend, reduction):
    a = mg.randn(3, 2, dtype=mg.float64, requires_grad=True)
    b = mg.randn(3, 2, dtype=mg.float64, requires_grad=True)
    squares = (a.numpy() - b.numpy()) ** 2
    expected = {"none": squares, "sum": squares.sum(), "mean": squares.mean()}[reduction]
    np.testing.assert_allclose(F.mse_loss(a, b, reduction).numpy(), expected, rtol=1e-12)
    assert mg.gradcheck(lambda a, b: F.mse_loss(a, b, reduction), [a, b])
    with pytest.raises(ValueError, match=r"mse_loss: expected input and target of one shape"):
        F.mse_loss(a, b.reshape(6))


def test_mse_loss_casts_an_integer_operand_to_the_floating_dtype_as_pytorch_does():
    # NumPy would promote float32 with int64 to float64; PyTorch keeps float32.
    prediction = mg.tensor([0.5, 2.0], requires_grad=True)
    loss = F.mse_loss(prediction, mg.tensor([1, 2]))
    assert loss.dtype == mg.float32 and loss.item() == pytest.approx(0.125)
    loss.backward()
    assert prediction.grad.dtype == mg.float32
    assert F.mse_loss(mg.tensor([1, 2]), prediction).dtype == mg.float32
    assert F.mse_loss(prediction, mg.tensor([True, False])).dtype == mg.float32
    with pytest.raises(TypeError, match="^mse_loss: expected a floating-point input or target, "
                                        "got dtypes int64 and int64$"):
        F.mse_loss(mg.tensor([1, 2]), mg.tensor([1, 2]))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_cross_entropy_with_logits(backend, reduction):
    logits = mg.tensor([-3.0, -0.5, 0.0, 0.5, 3.0], dtype=mg.float64, requires_grad=True)
    targets = mg.tensor([0.0, 1.0, 0.3, 1.0, 0.0], dtype=mg.float64, requires_grad=True)
    p = 1 / (1 + np.exp(-logits.numpy()))
    y = targets.numpy()
    losses = -(y * np.log(p) + (1 - y) * np.log(1 - p))
    expected = {"none": losses, "sum": losses.sum(), "mean": losses.mean()}[reduction]
    got = F.binary_cross_entropy_with_logits(logits, targets, reduction)
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-12)
    assert mg.gradcheck(lambda x, y: F.binary_cross_entropy_with_logits(x, y, reduction),
                        [logits, targets])


def test_binary_cross_entropy_with_logits_is_stable_and_exact_at_zero():
    logits = mg.tensor([-200.0, 0.0, 200.0], requires_grad=True)
    loss = F.binary_cross_entropy_with_logits(logits, mg.tensor([1.0, 1.0, 0.0]), "none")
    np.testing.assert_allclose(loss.numpy(), [200.0, math.log(2), 200.0], rtol=1e-6)
    loss.sum().backward()
    np.testing.assert_allclose(logits.grad.numpy(), [-1.0, -0.5, 1.0])  # sigma(x) - y


def test_binary_cross_entropy_with_logits_refuses_integer_operands():
    # NumPy would promote float32 logits with int64 targets to a float64 loss; PyTorch raises.
    with pytest.raises(TypeError, match="^binary_cross_entropy_with_logits: expected "
                                        "floating-point targets, got dtype int64$"):
        F.binary_cross_entropy_with_logits(mg.zeros(3), mg.tensor([0, 1, 1]))
    with pytest.raises(TypeError, match="expected floating-point logits, got dtype int64$"):
        F.binary_cross_entropy_with_logits(mg.tensor([0, 1, 1]), mg.zeros(3))


def test_softplus_gradient_at_zero_is_one_half():
    x = mg.tensor([0.0], dtype=mg.float64, requires_grad=True)
    F.softplus(x).sum().backward()
    assert x.grad.numpy()[0] == 0.5


def test_dropout_function():
    x = mg.ones(4, 5)
    assert F.dropout(x, 0.5, training=False) is x
    assert F.dropout(x, 0.0) is x
    np.testing.assert_array_equal(F.dropout(x, 1.0).numpy(), np.zeros((4, 5)))
    with pytest.raises(ValueError, match=r"dropout: expected p to be a probability in \[0, 1\]"):
        F.dropout(x, -0.1)


def test_dropout_checks_its_input_and_flag():
    for bad, words in [([1.0], "x to be a Tensor, got list"),
                       (mg.arange(3), "floating-point x, got dtype int64")]:
        with pytest.raises(TypeError, match=f"^dropout: expected {words}$"):
            F.dropout(bad)
    with pytest.raises(TypeError, match="^dropout: expected training to be a bool, got 'no'"):
        F.dropout(mg.ones(2), 0.5, "no")
    assert F.dropout(mg.ones(2), 0.5, np.bool_(False)).numpy().tolist() == [1.0, 1.0]


def test_linear_function_folds_leading_axes():
    x, w, b = mg.randn(2, 3, 4), mg.randn(5, 4), mg.randn(5)
    np.testing.assert_allclose(F.linear(x, w, b).numpy(),
                               x.numpy() @ w.numpy().T + b.numpy(), rtol=1e-5)
    assert F.linear(mg.randn(4), w).shape == (5,)


def test_linear_function_checks_its_operands():
    w = mg.randn(5, 4)
    with pytest.raises(TypeError, match="^linear: expected x to be a Tensor, got list$"):
        F.linear([[1.0] * 4], w)
    with pytest.raises(ValueError, match=r"^linear: expected x of shape \(\.\.\., in_features\), "
                                         r"got a scalar$"):
        F.linear(mg.tensor(1.0), w)
    # One addend row per row of x is for a 2-D x only: after folding, a (2 * 3, 5) bias
    # would otherwise be taken for the rows of a (2, 3, 4) input.
    for x, bias in [(mg.randn(2, 3, 4), mg.randn(6, 5)), (mg.randn(4), mg.randn(1, 5))]:
        with pytest.raises(ValueError, match=rf"^linear: expected a bias of shape "
                                             rf"\(out_features,\) for x of shape "
                                             rf"{re.escape(str(x.shape))} .*, got "
                                             rf"{re.escape(str(bias.shape))}$"):
            F.linear(x, w, bias)
    with pytest.raises(TypeError, match="^linear: expected bias to be a Tensor, got list$"):
        F.linear(mg.randn(2, 3, 4), w, [0.0] * 5)
    assert F.linear(mg.randn(3, 4), w, mg.randn(3, 5)).shape == (3, 5)


# ---- nn.init ----------------------------------------------------------------------------------


def test_uniform_and_normal_fill_in_place_keeping_identity(backend):
    p = nn.Parameter(mg.zeros(200, 100, dtype=mg.float64))
    assert nn.init.uniform_(p, -2.0, 3.0) is p
    values = p.numpy()
    assert values.min() >= -2.0 and values.max() < 3.0 and abs(values.mean() - 0.5) < 0.05
    nn.init.normal_(p, mean=1.0, std=0.5)
    assert abs(p.numpy().mean() - 1.0) < 0.01 and abs(p.numpy().std() - 0.5) < 0.01
    nn.init.constant_(p, 0.25)
    assert (p.numpy() == 0.25).all() and p.dtype == mg.float64 and p.requires_grad


def test_init_is_reproducible_under_manual_seed():
    mg.manual_seed(3)
    first = nn.LSTM(3, 4).state_dict()
    mg.manual_seed(3)
    second = nn.LSTM(3, 4).state_dict()
    for name in first:
        np.testing.assert_array_equal(first[name], second[name])


def test_xavier_uniform_bound():
    w = nn.init.xavier_uniform_(mg.zeros(300, 200), gain=2.0)
    bound = 2.0 * math.sqrt(6 / 500)
    assert bound * 0.95 < np.abs(w.numpy()).max() <= bound
    with pytest.raises(ValueError, match="xavier_uniform_: expected a tensor of at least 2"):
        nn.init.xavier_uniform_(mg.zeros(3))


@pytest.mark.parametrize("shape", [(4, 4), (3, 6), (6, 3), (2, 3, 2)])
def test_orthogonal_rows_or_columns_are_orthonormal(backend, shape):
    w = nn.init.orthogonal_(mg.zeros(*shape, dtype=mg.float64), gain=1.5).numpy()
    matrix = w.reshape(shape[0], -1)
    small = min(matrix.shape)
    gram = matrix @ matrix.T if matrix.shape[0] == small else matrix.T @ matrix
    np.testing.assert_allclose(gram, 1.5 ** 2 * np.eye(small), atol=1e-12)


def test_init_rejects_integer_tensors():
    with pytest.raises(TypeError, match="uniform_: expected floating-point tensor, got dtype"):
        nn.init.uniform_(mg.arange(3))


@pytest.mark.parametrize("fill, words", [
    (lambda p: nn.init.constant_(p, None),
     "constant_: expected value to be a real number, got None (NoneType)"),
    (lambda p: nn.init.normal_(p, "0", 1), "normal_: expected mean to be a real number, got '0'"),
    (lambda p: nn.init.normal_(p, 0, [1]), "normal_: expected std to be a real number"),
    (lambda p: nn.init.uniform_(p, "a", 1), "uniform_: expected a to be a real number"),
    (lambda p: nn.init.uniform_(p, 0, True), "uniform_: expected b to be a real number"),
    (lambda p: nn.init.xavier_uniform_(p, None), "xavier_uniform_: expected gain to be a real"),
    (lambda p: nn.init.orthogonal_(p, "1"), "orthogonal_: expected gain to be a real number"),
], ids=["constant", "normal-mean", "normal-std", "uniform-a", "uniform-b", "xavier", "orthogonal"])
def test_init_refuses_values_that_are_not_real_numbers(fill, words):
    p = nn.Parameter(mg.zeros(2, 3))
    with pytest.raises(TypeError, match=f"^{re.escape(words)}"):
        fill(p)
    assert (p.numpy() == 0).all()


def test_init_takes_numpy_numbers_without_changing_the_dtype():
    p = nn.Parameter(mg.zeros(2, 3))
    nn.init.uniform_(p, np.float64(-1), np.float64(1))
    assert p.dtype == mg.float32
    nn.init.normal_(p, np.float64(0), np.int64(1))
    assert p.dtype == mg.float32
    nn.init.constant_(p, np.float32(0.5))
    assert (p.numpy() == 0.5).all()
    with pytest.raises(ValueError, match="^normal_: expected std >= 0, got nan$"):
        nn.init.normal_(p, 0.0, float("nan"))


@pytest.mark.parametrize("shape", [(0, 3), (3, 0), (0, 2, 2)])
def test_orthogonal_leaves_an_empty_tensor_unchanged(shape):
    empty = mg.zeros(*shape)
    assert nn.init.orthogonal_(empty) is empty and empty.shape == shape


# ---- nn.utils ----------------------------------------------------------------------------------


def test_clip_grad_norm_scales_to_max_norm_and_returns_the_norm_before(backend):
    a = mg.tensor([3.0, 0.0], dtype=mg.float64, requires_grad=True)
    b = mg.tensor([[4.0]], dtype=mg.float64, requires_grad=True)
    (a * a / 2).sum().backward()
    (b * b / 2).sum().backward()
    total = nn.utils.clip_grad_norm_([a, b], 1.0)
    assert float(total) == pytest.approx(5.0)
    np.testing.assert_allclose(a.grad.numpy(), [0.6, 0.0], rtol=1e-6)
    np.testing.assert_allclose(b.grad.numpy(), [[0.8]], rtol=1e-6)
    assert float(nn.utils.clip_grad_norm_([a, b], 10.0)) == pytest.approx(1.0, rel=1e-5)
    np.testing.assert_allclose(a.grad.numpy(), [0.6, 0.0], rtol=1e-5)  # below max: unchanged


def test_clip_grad_norm_rebinds_gradients_that_share_an_array():
    a = mg.tensor([3.0, 4.0], requires_grad=True)
    b = mg.tensor([3.0, 4.0], requires_grad=True)
    (a + b).backward(mg.tensor([3.0, 4.0]))  # both leaves receive the same gradient
    nn.utils.clip_grad_norm_([a, b], 1.0)
    expected = np.array([3.0, 4.0]) / math.sqrt(50)
    np.testing.assert_allclose(a.grad.numpy(), expected, rtol=1e-5)
    np.testing.assert_allclose(b.grad.numpy(), expected, rtol=1e-5)


def test_clip_grad_norm_accepts_any_real_max_norm_but_a_bool():
    w = mg.tensor([3.0, 4.0], requires_grad=True)
    w.grad = mg.tensor([3.0, 4.0])
    assert float(nn.utils.clip_grad_norm_([w], np.float32(1.0))) == pytest.approx(5.0)
    np.testing.assert_allclose(w.grad.numpy(), [0.6, 0.8], rtol=1e-5)
    assert float(nn.utils.clip_grad_norm_([w], np.int64(2))) == pytest.approx(1.0)
    for bad in (True, "1.0", float("nan")):
        with pytest.raises(ValueError, match=f"expected max_norm >= 0, got {bad!r}$"):
            nn.utils.clip_grad_norm_([w], bad)


def test_clip_grad_norm_keeps_each_gradient_dtype(backend):
    a = mg.tensor([3.0], requires_grad=True)
    b = mg.tensor([4.0], dtype=mg.float64, requires_grad=True)
    a.grad, b.grad = mg.tensor([3.0]), mg.tensor([4.0], dtype=mg.float64)
    assert float(nn.utils.clip_grad_norm_([a, b], 1.0)) == pytest.approx(5.0)
    assert (a.grad.dtype, b.grad.dtype) == (mg.float32, mg.float64)
    np.testing.assert_allclose(a.grad.numpy(), [0.6], rtol=1e-5)
    np.testing.assert_allclose(b.grad.numpy(), [0.8], rtol=1e-5)


def test_clip_grad_norm_refuses_what_is_not_a_tensor():
    with pytest.raises(TypeError, match="^clip_grad_norm_: expected each parameter to be a "
                                        "Tensor, got float$"):
        nn.utils.clip_grad_norm_([1.0], 1)


def test_clip_grad_norm_skips_parameters_without_gradients():
    p = nn.Parameter(mg.ones(2))
    assert float(nn.utils.clip_grad_norm_(p, 1.0)) == 0.0
    with pytest.raises(ValueError, match="clip_grad_norm_: expected max_norm >= 0"):
        nn.utils.clip_grad_norm_([p], -1.0)


def test_gru_conversion_negates_the_update_block_and_is_its_own_inverse():
    hidden = 2
    state = {
        "gru.weight_ih_l0": np.arange(12.0).reshape(6, 2),
        "gru.bias_hh_l0_reverse": np.arange(6.0),
        "head.weight": np.ones((1, 2)),
    }
    converted = nn.utils.torch_gru_to_minigrad(state)
    np.testing.assert_array_equal(converted["gru.bias_hh_l0_reverse"], [0, 1, -2, -3, 4, 5])
    np.testing.assert_array_equal(converted["gru.weight_ih_l0"][hidden:2 * hidden],
                                  -state["gru.weight_ih_l0"][hidden:2 * hidden])
    assert converted["head.weight"] is state["head.weight"]
    assert state["gru.bias_hh_l0_reverse"][2] == 2.0  # the input is left alone
    back = nn.utils.minigrad_gru_to_torch(converted)
    for name, value in state.items():
        np.testing.assert_array_equal(back[name], value)
    with pytest.raises(ValueError, match="weight_hh has 4 rows; a GRU parameter has 3"):
        nn.utils.torch_gru_to_minigrad({"weight_hh": np.zeros((4, 2))})


def test_gru_conversion_takes_any_array_like_and_returns_numpy_arrays(backend):
    values = {"bias_hh": mg.tensor([1.0, 2.0, 3.0], dtype=mg.float64).data,  # on ``backend``
              "bias_ih": [1.0, 2.0, 3.0]}
    for name, value in nn.utils.torch_gru_to_minigrad(values).items():
        assert type(value) is np.ndarray, name
        np.testing.assert_array_equal(value, [1.0, -2.0, 3.0], err_msg=name)
