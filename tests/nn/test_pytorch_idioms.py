"""nn idioms a PyTorch user writes, checked against PyTorch where it is installed."""

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn


@pytest.mark.parametrize("layer", [nn.RNN(3, 2), nn.GRU(3, 2), nn.LSTM(3, 2)])
def test_sequence_layers_take_their_state_as_hx(layer):
    x = mg.randn(4, 1, 3)
    state = layer(x)[1]
    assert layer.flatten_parameters() is None
    np.testing.assert_array_equal(layer(x, hx=state)[0].numpy(), layer(x, state)[0].numpy())


@pytest.mark.parametrize("cell", [nn.RNNCell(3, 2), nn.GRUCell(3, 2), nn.LSTMCell(3, 2)])
def test_cells_take_their_state_as_hx(cell):
    x = mg.randn(1, 3)
    state = cell(x)
    np.testing.assert_array_equal(hidden(cell(x, hx=state)).numpy(),
                                  hidden(cell(x, state)).numpy())


def hidden(state):
    """h of a cell's state: the state itself, or the first of an LSTM's (h, c)."""
    return state[0] if isinstance(state, tuple) else state


def test_apply_visits_children_before_their_parent_and_casts_move_every_parameter():
    model = nn.Sequential(nn.Linear(2, 3), nn.Sequential(nn.Tanh(), nn.Linear(3, 1)))
    visited = []
    assert model.apply(lambda module: visited.append(type(module).__name__)) is model
    assert visited == ["Linear", "Tanh", "Linear", "Sequential", "Sequential"]
    assert {p.dtype for p in model.double().parameters()} == {np.dtype("float64")}
    assert {p.dtype for p in model.float().cpu().parameters()} == {np.dtype("float32")}


def test_zero_grad_set_to_none_false_keeps_zeros_and_requires_grad_freezes():
    model = nn.Sequential(nn.Linear(2, 3), nn.Linear(3, 1))
    optimizer = mg.optim.SGD(model.parameters(), lr=0.1)
    model(mg.randn(4, 2)).sum().backward()
    model.zero_grad(set_to_none=False)
    assert all(not p.grad.numpy().any() and p.grad.shape == p.shape
               for p in model.parameters())
    model(mg.randn(4, 2)).sum().backward()
    optimizer.zero_grad(set_to_none=False)
    assert all(not p.grad.numpy().any() for p in model.parameters())
    optimizer.zero_grad()
    assert all(p.grad is None for p in model.parameters())
    frozen = model[0].weight.numpy().copy()
    assert model[0].requires_grad_(False) is model[0]
    model(mg.randn(4, 2)).sum().backward()
    optimizer.step()
    np.testing.assert_array_equal(model[0].weight.numpy(), frozen)
    assert model[0].weight.grad is None and model[1].weight.grad is not None
    with pytest.raises(TypeError, match="zero_grad: expected set_to_none to be a bool"):
        optimizer.zero_grad(set_to_none=None)


def test_register_parameter_refuses_what_is_not_a_parameter():
    layer = nn.Linear(2, 2)
    layer.register_parameter("scale", nn.Parameter(mg.ones(1)))
    layer.register_parameter("scale", None)   # a parameter may be replaced, as in PyTorch
    layer.register_parameter("shift", nn.Parameter(mg.zeros(1)))
    assert [name for name, _ in layer.named_parameters()] == ["weight", "bias", "shift"]
    with pytest.raises(TypeError, match=r"Linear.register_parameter: expected a Parameter or "
                                        r"None for 'gain', got Tensor; wrap it in nn.Parameter"):
        layer.register_parameter("gain", mg.ones(1))
    with pytest.raises(KeyError, match="attribute 'in_features' already exists"):
        layer.register_parameter("in_features", nn.Parameter(mg.ones(1)))


@pytest.mark.parametrize("build", [
    lambda **place: nn.Linear(3, 2, **place), lambda **place: nn.Embedding(5, 2, **place),
    lambda **place: nn.LayerNorm(3, **place), lambda **place: nn.LSTMCell(3, 2, **place),
    lambda **place: nn.GRU(3, 2, 2, **place), lambda **place: nn.LSTM(3, 2, proj_size=1, **place),
], ids=["Linear", "Embedding", "LayerNorm", "LSTMCell", "GRU", "LSTM"])
def test_modules_take_a_device_as_pytorch_modules_do(build):
    device = mg.device("cuda" if mg.cuda.is_available() else "cpu")
    model = build(device=device)
    assert {p.device for p in model.parameters()} == {device}
    assert model.to(device=device) is model and model.to(device, mg.float64) is model
    assert {p.dtype for p in model.parameters()} == {np.dtype("float64")}
    with pytest.raises(TypeError, match="got both backend= and device=, which mean the same"):
        build(device="cpu", backend="numpy")
    with pytest.raises(TypeError, match=r"^Module\.to: got both backend= and device="):
        model.to(device="cpu", backend="numpy")


torch = pytest.importorskip("torch")
F = nn.functional


def test_module_listings_take_pytorchs_prefix_and_recurse():
    def build(framework):
        class Net(framework.nn.Module):
            def __init__(self):
                super().__init__()
                self.register_parameter("scale", framework.nn.Parameter(framework.ones(1)))
                self.register_buffer("steps", framework.zeros(3))
                self.body = framework.nn.Sequential(framework.nn.Linear(2, 3),
                                                    framework.nn.LayerNorm(3))
                self.body[1].register_buffer("count", framework.zeros(1))
        return Net()

    ours, theirs = build(mg), build(torch)
    for method, arguments in [("named_parameters", {}), ("named_parameters", {"prefix": "m"}),
                              ("named_parameters", {"recurse": False}),
                              ("named_buffers", {"prefix": "m"}),
                              ("named_buffers", {"recurse": False}), ("named_modules", {})]:
        assert ([name for name, _ in getattr(ours, method)(**arguments)]
                == [name for name, _ in getattr(theirs, method)(**arguments)]), (method, arguments)
    assert len(list(ours.parameters(recurse=False))) == 1
    assert len(list(ours.buffers(recurse=False))) == 1
    assert list(ours.state_dict()) == list(theirs.state_dict())


def ours_and_theirs(array, requires_grad=True):
    return (mg.tensor(array, requires_grad=requires_grad),
            torch.tensor(array, requires_grad=requires_grad))


def check_loss(ours_fn, theirs_fn, logits, targets, weight=None):
    """Same loss value and input gradient from both frameworks, float64."""
    ours, theirs = ours_and_theirs(logits)
    args = (mg.tensor(targets), torch.tensor(targets))
    weights = (None, None) if weight is None else ours_and_theirs(weight, requires_grad=False)
    loss, expected = ours_fn(ours, args[0], weights[0]), theirs_fn(theirs, args[1], weights[1])
    np.testing.assert_allclose(loss.numpy(), expected.detach().numpy(), rtol=1e-12, atol=1e-14)
    loss.sum().backward()
    expected.sum().backward()
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("shape", [(5, 4), (3, 4, 2, 3)])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("ignore_index", [None, 1])
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
def test_cross_entropy_and_nll_loss_as_pytorch(reduction, shape, weighted, ignore_index,
                                               smoothing):
    rng = np.random.default_rng(0)
    logits = rng.normal(size=shape)
    targets = rng.integers(0, shape[1], size=shape[:1] + shape[2:])
    weight = rng.uniform(0.5, 2.0, size=shape[1]) if weighted else None
    torch_ignore = -100 if ignore_index is None else ignore_index
    check_loss(
        lambda x, y, w: nn.CrossEntropyLoss(w, ignore_index, reduction, smoothing)(x, y),
        lambda x, y, w: torch.nn.CrossEntropyLoss(w, ignore_index=torch_ignore,
                                                  reduction=reduction,
                                                  label_smoothing=smoothing)(x, y),
        logits, targets, weight)
    if smoothing == 0:
        check_loss(
            lambda x, y, w: nn.NLLLoss(w, ignore_index, reduction)(F.log_softmax(x, axis=1), y),
            lambda x, y, w: torch.nn.NLLLoss(w, ignore_index=torch_ignore, reduction=reduction)(
                torch.log_softmax(x, 1), y),
            logits, targets, weight)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_mse_and_bce_with_logits_modules_as_pytorch(reduction):
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(4, 3)), rng.uniform(size=(4, 3))
    for ours, theirs in [(nn.MSELoss, torch.nn.MSELoss),
                         (nn.BCEWithLogitsLoss, torch.nn.BCEWithLogitsLoss)]:
        a, b = ours_and_theirs(x)
        loss, expected = ours(reduction)(a, mg.tensor(y)), theirs(reduction=reduction)(
            b, torch.tensor(y))
        np.testing.assert_allclose(loss.numpy(), expected.detach().numpy(), rtol=1e-12)
        loss.sum().backward()
        expected.sum().backward()
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-12)


def test_loss_options_are_checked():
    with pytest.raises(ValueError, match="reduction"):
        nn.MSELoss("average")
    with pytest.raises(ValueError, match="weight of shape"):
        F.cross_entropy(mg.zeros(2, 3), mg.tensor([0, 1]), weight=mg.ones(4))
    with pytest.raises(ValueError, match="label_smoothing"):
        F.cross_entropy(mg.zeros(2, 3), mg.tensor([0, 1]), label_smoothing=1.5)
    with pytest.raises(ValueError, match=r"targets of shape \(2, 5\)"):
        F.nll_loss(mg.zeros(2, 3, 5), mg.tensor([0, 1]))


@pytest.mark.parametrize("reset_after", [False, True])
def test_a_pytorch_gru_state_dict_is_refused_with_the_fix(reset_after):
    model = nn.Sequential(nn.GRU(3, 2, reset_after=reset_after))
    state = {f"0.{name}": value for name, value in torch.nn.GRU(3, 2).state_dict().items()}
    with pytest.raises(ValueError, match=r"0\.weight_ih_l0, .* are PyTorch tensors for a GRU.*"
                                         r"reset_after=True.*torch_gru_to_minigrad"):
        model.load_state_dict(state)
    cell = nn.GRUCell(3, 2)
    with pytest.raises(ValueError, match="for a GRUCell"):
        cell.load_state_dict(torch.nn.GRUCell(3, 2).state_dict())
    # PyTorch LSTMs compute the same cell: their tensors load as they are.
    nn.LSTM(3, 2).load_state_dict(torch.nn.LSTM(3, 2).state_dict())


@pytest.mark.parametrize("name, arguments", [
    ("Softmax", {"dim": 1}), ("LogSoftmax", {"dim": -1}), ("LogSoftmax", {"dim": 0}),
    ("Flatten", {}), ("Flatten", {"start_dim": 0, "end_dim": 1}), ("Identity", {"unused": 3}),
])
def test_softmax_flatten_and_identity_modules_as_pytorch(name, arguments):
    ours, theirs = getattr(nn, name)(**arguments), getattr(torch.nn, name)(**arguments)
    assert repr(ours) == repr(theirs)
    x, tx = ours_and_theirs(np.random.default_rng(0).standard_normal((2, 3, 4)))
    y, ty = ours(x), theirs(tx)
    np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), rtol=1e-12)
    upstream = np.random.default_rng(1).standard_normal(ty.shape)
    (y * mg.tensor(upstream)).sum().backward()
    (ty * torch.tensor(upstream)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-12, atol=1e-14)


def test_softmax_modules_need_a_dim():
    with pytest.raises(TypeError, match=r"LogSoftmax: expected dim to be an int, got None; "
                                        r"write LogSoftmax\(dim=1\)"):
        nn.LogSoftmax()


@pytest.mark.parametrize("freeze", [True, False])
def test_embedding_from_pretrained_as_pytorch(freeze):
    table = np.random.default_rng(0).standard_normal((5, 3))
    ours = nn.Embedding.from_pretrained(mg.tensor(table), freeze=freeze, padding_idx=1)
    theirs = torch.nn.Embedding.from_pretrained(torch.tensor(table), freeze=freeze,
                                                padding_idx=1)
    assert repr(ours) == repr(theirs)
    assert ours.weight.requires_grad == theirs.weight.requires_grad == (not freeze)
    np.testing.assert_array_equal(ours.weight.numpy(), theirs.weight.detach().numpy())
    indices = np.array([1, 4, 1])
    np.testing.assert_array_equal(ours(mg.tensor(indices)).numpy(),
                                  theirs(torch.tensor(indices)).detach().numpy())
    with pytest.raises(ValueError, match=r"expected embeddings of shape \(num_embeddings, "
                                         r"embedding_dim\), got \(5,\)"):
        nn.Embedding.from_pretrained(mg.zeros(5))


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.5, float("inf")])
def test_clip_grad_norm_and_value_as_pytorch(norm_type):
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal((3, 2)), rng.standard_normal(4)]
    ours = [mg.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    for params, module in ((ours, mg), (theirs, torch)):
        sum(((p * p * p).sum() for p in params), module.tensor(0.0, dtype=module.float64)
            ).backward()
    total = nn.utils.clip_grad_norm_(ours, 1.0, norm_type)
    expected = torch.nn.utils.clip_grad_norm_(theirs, 1.0, norm_type)
    np.testing.assert_allclose(total.numpy(), expected.numpy(), rtol=1e-12)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-6)
    nn.utils.clip_grad_value_(ours, 0.1)
    torch.nn.utils.clip_grad_value_(theirs, 0.1)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-6)
    with pytest.raises(ValueError, match="clip_grad_norm_: expected norm_type > 0"):
        nn.utils.clip_grad_norm_(ours, 1.0, 0)
    with pytest.raises(ValueError, match="clip_grad_value_: expected clip_value >= 0"):
        nn.utils.clip_grad_value_(ours, -1.0)


def test_init_gains_and_bounds_as_pytorch():
    for nonlinearity, param in [("linear", None), ("sigmoid", None), ("tanh", None),
                                ("relu", None), ("leaky_relu", None), ("leaky_relu", 0.2)]:
        assert nn.init.calculate_gain(nonlinearity, param) == pytest.approx(
            torch.nn.init.calculate_gain(nonlinearity, param), rel=1e-15)
    with pytest.raises(ValueError, match="calculate_gain: expected a nonlinearity in"):
        nn.init.calculate_gain("gelu")
    # Same shape and settings: the largest |value| sits just under the bound in both.
    for mode in ("fan_in", "fan_out"):
        ours = nn.init.kaiming_uniform_(mg.zeros(300, 200), a=0.1, mode=mode).numpy()
        theirs = torch.nn.init.kaiming_uniform_(torch.zeros(300, 200), a=0.1, mode=mode)
        assert abs(ours).max() == pytest.approx(float(theirs.abs().max()), rel=1e-3)
        ours = nn.init.kaiming_normal_(mg.zeros(300, 200), mode=mode).numpy()
        theirs = torch.nn.init.kaiming_normal_(torch.zeros(300, 200), mode=mode)
        assert ours.std() == pytest.approx(float(theirs.std()), rel=0.02)
    ours = nn.init.xavier_normal_(mg.zeros(300, 200), gain=2.0).numpy()
    theirs = torch.nn.init.xavier_normal_(torch.zeros(300, 200), gain=2.0)
    assert ours.std() == pytest.approx(float(theirs.std()), rel=0.02)
    with pytest.raises(ValueError, match="kaiming_uniform_: expected mode 'fan_in' or 'fan_out'"):
        nn.init.kaiming_uniform_(mg.zeros(2, 2), mode="in")


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weighted", [False, True])
def test_binary_cross_entropy_as_pytorch(reduction, weighted):
    rng = np.random.default_rng(0)
    probabilities = np.concatenate([rng.uniform(0.05, 0.95, 6), [0.0, 1.0]]).reshape(2, 4)
    targets = np.array([[0.0, 1.0, 0.3, 1.0], [1.0, 0.0, 1.0, 0.0]])
    weight = rng.uniform(0.5, 2.0, (1, 4)) if weighted else None
    ours, theirs = ours_and_theirs(probabilities)
    w_ours, w_theirs = (None, None) if weight is None else (mg.tensor(weight),
                                                            torch.tensor(weight))
    loss = nn.BCELoss(w_ours, reduction)(ours, mg.tensor(targets))
    expected = torch.nn.BCELoss(w_theirs, reduction=reduction)(theirs, torch.tensor(targets))
    np.testing.assert_allclose(loss.numpy(), expected.detach().numpy(), rtol=1e-12)
    # Away from the clamped 0 and 1, the gradients agree too.
    loss.sum().backward()
    expected.sum().backward()
    np.testing.assert_allclose(ours.grad.numpy().ravel()[:6], theirs.grad.numpy().ravel()[:6],
                               rtol=1e-10)
    assert np.isfinite(ours.grad.numpy()).all()
    with pytest.raises(ValueError, match=r"binary_cross_entropy: expected input probabilities "
                                         r"in \[0, 1\], got values from -1.0 to 0.5; pass "
                                         r"logits to binary_cross_entropy_with_logits"):
        F.binary_cross_entropy(mg.tensor([-1.0, 0.5]), mg.tensor([0.0, 1.0]))


def test_module_dict_as_pytorch():
    def build(framework):
        heads = framework.nn.ModuleDict({"tags": framework.nn.Linear(4, 5)})
        heads.update([("next", framework.nn.Linear(4, 3))])
        heads["tags"] = framework.nn.Linear(4, 2)   # replaced in place, keeping its position
        return heads

    ours, theirs = build(mg), build(torch)
    assert list(ours) == list(theirs) == ours.keys() == ["tags", "next"]
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert "next" in ours and "weight" not in ours and len(ours) == 2
    assert ours.pop("tags") is not None and ours.keys() == ["next"]
    assert [name for name, _ in ours.items()] == ["next"] and len(ours.values()) == 1
    with pytest.raises(KeyError, match=r"ModuleDict: no module 'tags'; the keys are \['next'\]"):
        ours["tags"]  # noqa: B018
    with pytest.raises(KeyError, match="ModuleDict.__setitem__: attribute 'keys' already exists"):
        ours["keys"] = nn.Linear(1, 1)
    with pytest.raises(TypeError, match="ModuleDict: expected a Module for 'x', got int"):
        ours["x"] = 3


def test_get_submodule_and_get_parameter_as_pytorch():
    ours = nn.Sequential(nn.Linear(2, 3), nn.Sequential(nn.Tanh(), nn.LSTM(3, 4)))
    theirs = torch.nn.Sequential(torch.nn.Linear(2, 3),
                                 torch.nn.Sequential(torch.nn.Tanh(), torch.nn.LSTM(3, 4)))
    assert ours.get_submodule("") is ours
    assert type(ours.get_submodule("1.1")).__name__ == type(theirs.get_submodule("1.1")).__name__
    assert ours.get_parameter("1.1.weight_hh_l0") is ours[1][1].weight_hh_l0
    assert ours.get_parameter("0.bias").shape == tuple(theirs.get_parameter("0.bias").shape)
    with pytest.raises(AttributeError, match=r"get_submodule: Sequential has no submodule '2' "
                                             r"\(path '1.2'\)"):
        ours.get_parameter("1.2.x")
    with pytest.raises(AttributeError, match="get_parameter: no parameter '0.in_features'"):
        ours.get_parameter("0.in_features")


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_l1_loss_and_leaky_relu_as_pytorch(reduction):
    rng = np.random.default_rng(0)
    x, tx = ours_and_theirs(rng.standard_normal((3, 4)))
    target = rng.standard_normal((3, 4))
    loss = nn.L1Loss(reduction)(nn.LeakyReLU(0.2)(x), mg.tensor(target))
    expected = torch.nn.L1Loss(reduction=reduction)(torch.nn.LeakyReLU(0.2)(tx),
                                                    torch.tensor(target))
    np.testing.assert_allclose(loss.numpy(), expected.detach().numpy(), rtol=1e-12)
    loss.sum().backward()
    expected.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-12)
    assert repr(nn.LeakyReLU(0.2)) == repr(torch.nn.LeakyReLU(0.2))
