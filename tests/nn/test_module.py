"""Module machinery (registration, modes, moves, state dicts) and the simple layers."""

import doctest
import re

import numpy as np
import pytest
from _module_check import gradcheck_module

import minigrad as mg
from minigrad import nn


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(mg.ones(2))
        self.inner = nn.Sequential(nn.Linear(3, 2), nn.Tanh())
        self.note = "not a parameter"
        self.plain = mg.zeros(2)  # a Tensor, but not a Parameter: not registered

    def forward(self, x):
        return self.inner(x) * self.scale


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.first = Block()
        self.blocks = nn.ModuleList([Block(), nn.Dropout(0.5)])
        self.head = nn.Linear(2, 1, bias=False)


def test_attribute_assignment_registers_parameters_and_modules():
    names = [name for name, _ in Net().named_parameters()]
    assert names == [
        "first.scale", "first.inner.0.weight", "first.inner.0.bias",
        "blocks.0.scale", "blocks.0.inner.0.weight", "blocks.0.inner.0.bias",
        "head.weight",
    ]
    net = Net()
    assert len(list(net.parameters())) == 7
    assert [name for name, _ in net.named_children()] == ["first", "blocks", "head"]
    assert len(list(net.modules())) == 12
    assert [name for name, _ in net.named_modules()][:4] == ["", "first", "first.inner",
                                                              "first.inner.0"]


def test_shared_parameters_are_listed_once_but_keep_both_state_dict_keys():
    net = Net()
    net.tied = net.first.scale
    assert sum(p is net.first.scale for p in net.parameters()) == 1
    state = net.state_dict()
    assert state["tied"] is state["first.scale"]


def test_a_parameter_can_be_rebound_only_to_a_parameter_or_none():
    layer = nn.Linear(2, 2)
    weight = layer.weight
    for bad in (mg.ones(2, 2), np.ones((2, 2)), nn.Linear(2, 2)):
        with pytest.raises(TypeError, match=rf"^Linear: expected a Parameter or None for the "
                                            rf"parameter 'weight', got {type(bad).__name__};"):
            layer.weight = bad
    assert layer.weight is weight and list(layer.state_dict()) == ["weight", "bias"]
    layer.weight = replacement = nn.Parameter(mg.ones(2, 2))
    assert layer.state_dict()["weight"] is replacement.data
    layer.bias = None
    assert list(layer.state_dict()) == ["weight"]
    layer.bias = mg.zeros(2)  # no longer a parameter's name: a plain attribute, as in PyTorch
    assert list(layer.state_dict()) == ["weight"]


def test_flags_must_be_bools():
    for make, words in [
        (lambda: nn.Linear(2, 2, "no"), "Linear: expected bias to be a bool, got 'no' (str)"),
        (lambda: nn.Parameter(mg.ones(2), requires_grad=1),
         "Parameter: expected requires_grad to be a bool, got 1 (int)"),
        (lambda: Net().train("eval"), "Module.train: expected mode to be a bool, got 'eval'"),
        (lambda: Net().load_state_dict({}, strict=None),
         "load_state_dict: expected strict to be a bool, got None (NoneType)"),
    ]:
        with pytest.raises(TypeError, match=f"^{re.escape(words)}"):
            make()
    assert nn.Linear(2, 2, np.bool_(False)).bias is None
    assert nn.Linear(2, 2).train(np.bool_(False)).training is False


@pytest.mark.parametrize("cls", [nn.Linear, nn.Embedding], ids=lambda cls: cls.__name__)
def test_layers_refuse_a_dtype_that_cannot_carry_gradients_naming_themselves(cls):
    for dtype in (mg.int64, mg.bool_, "nonsense"):
        with pytest.raises(TypeError, match=rf"^{cls.__name__}: expected a floating-point "
                                            rf"dtype for the parameters .*, got {dtype}$"):
            cls(2, 2, dtype=dtype)
    assert cls(2, 2, dtype=mg.float64).weight.dtype == mg.float64


def test_parameter_is_a_leaf_that_requires_grad_and_shares_the_tensor_array():
    data = mg.zeros(2, 3)
    p = nn.Parameter(data)
    assert isinstance(p, mg.Tensor) and p.is_leaf and p.requires_grad
    assert p.data is data.data
    assert not nn.Parameter([1.0, 2.0], requires_grad=False).requires_grad
    assert repr(p).startswith("Parameter containing:\ntensor(")
    with pytest.raises(TypeError, match="only floating-point tensors can require grad"):
        nn.Parameter(mg.arange(3))


def test_train_and_eval_reach_every_descendant():
    net = Net()
    assert net.eval() is net
    assert not any(m.training for m in net.modules())
    net.train()
    assert all(m.training for m in net.modules())


def test_zero_grad_forgets_every_gradient():
    block = Block()
    block(mg.randn(4, 3)).sum().backward()
    assert all(p.grad is not None for p in block.parameters())
    block.zero_grad()
    assert all(p.grad is None for p in block.parameters())


def test_to_dtype_keeps_parameter_identity_and_moves_gradients():
    block = Block()
    block(mg.randn(4, 3)).sum().backward()
    before = list(block.parameters())
    assert block.to(mg.float64) is block
    assert [id(p) for p in block.parameters()] == [id(p) for p in before]
    assert all(p.dtype == mg.float64 and p.grad.dtype == mg.float64 for p in before)
    block.to(dtype="float32")
    assert all(p.dtype == mg.float32 for p in before)
    with pytest.raises(TypeError, match="parameters must stay floating point, got int64"):
        block.to(mg.int64)


def test_to_backend_moves_every_parameter(backend):
    block = Block().to(mg.float64)
    block.to(backend)
    assert all(p.backend == backend for p in block.parameters())
    assert block(mg.randn(4, 3, dtype=mg.float64, backend=backend)).backend == backend
    with pytest.raises(ValueError, match="unknown backend 'tpu'"):
        block.to("tpu")


def test_state_dict_round_trip_through_numpy():
    source, target = Net(), Net()
    state = {name: np.array(value) for name, value in source.state_dict().items()}
    keep = list(target.parameters())
    result = target.load_state_dict(state)
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert [id(p) for p in target.parameters()] == [id(p) for p in keep]
    for (name, p), q in zip(source.named_parameters(), target.parameters()):
        np.testing.assert_array_equal(p.numpy(), q.numpy(), err_msg=name)
    state["head.weight"][0, 0] = 42.0  # the module copied the arrays, it does not alias them
    assert target.head.weight.numpy()[0, 0] != 42.0


def test_load_state_dict_casts_to_the_parameter_dtype():
    layer = nn.Linear(2, 2, dtype=mg.float64)
    layer.load_state_dict({"weight": np.eye(2, dtype=np.float32), "bias": [1, 2]})
    assert layer.weight.dtype == mg.float64 and layer.bias.dtype == mg.float64
    np.testing.assert_array_equal(layer.bias.numpy(), [1.0, 2.0])


def test_strict_load_lists_every_bad_key_in_one_error_and_changes_nothing():
    layer = nn.Linear(3, 2)
    before = layer.weight.numpy().copy()
    bad = {"weight": np.zeros((3, 3)), "bogus": np.zeros(1), "extra.bias": np.zeros(2)}
    with pytest.raises(ValueError) as error:
        layer.load_state_dict(bad)
    message = str(error.value)
    assert "load_state_dict: cannot load into Linear" in message
    assert "missing keys: bias" in message
    assert "unexpected keys: bogus, extra.bias" in message
    assert "mis-shaped keys: weight (expected (2, 3), got (3, 3))" in message
    np.testing.assert_array_equal(layer.weight.numpy(), before)


@pytest.mark.parametrize("state", [[("weight", np.zeros((2, 3)))], None], ids=["pairs", "None"])
def test_load_state_dict_refuses_what_is_not_a_mapping(state):
    with pytest.raises(TypeError) as info:
        nn.Linear(3, 2).load_state_dict(state)
    assert str(info.value) == ("load_state_dict: expected a dict (a mapping of parameter names "
                               f"to arrays), got {type(state).__name__}")


def test_non_strict_load_reports_missing_and_unexpected_keys():
    layer = nn.Linear(3, 2)
    result = layer.load_state_dict({"weight": np.ones((2, 3)), "other": 1.0}, strict=False)
    assert result.missing_keys == ["bias"] and result.unexpected_keys == ["other"]
    np.testing.assert_array_equal(layer.weight.numpy(), np.ones((2, 3)))
    with pytest.raises(ValueError, match="mis-shaped keys: weight"):
        layer.load_state_dict({"weight": np.ones((3, 2))}, strict=False)


def test_module_list_and_sequential_behave_like_lists():
    layers = nn.ModuleList([nn.Linear(2, 2)])
    layers.append(nn.Tanh()).extend([nn.ReLU()])
    assert len(layers) == 3 and isinstance(layers[-1], nn.ReLU)
    assert isinstance(layers[1:], nn.ModuleList) and len(layers[1:]) == 2
    with pytest.raises(IndexError, match="ModuleList: index 3 is out of range for 3 modules"):
        layers[3]
    with pytest.raises(TypeError, match="ModuleList: expected a Module, got builtin"):
        layers.append(print)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1))
    assert isinstance(model[:2], nn.Sequential)
    x = mg.randn(5, 3)
    np.testing.assert_allclose(model(x).numpy(), model[2](model[1](model[0](x))).numpy())


def test_repr_prints_the_tree():
    model = nn.Sequential(nn.Linear(3, 4), nn.Dropout(0.1))
    assert repr(model) == (
        "Sequential(\n  (0): Linear(3, 4, bias=True)\n  (1): Dropout(p=0.1)\n)")


# ---- simple layers -------------------------------------------------------------------------


def test_linear_computes_x_w_transpose_plus_b(backend):
    layer = nn.Linear(3, 2, dtype=mg.float64)
    x = mg.randn(4, 5, 3, dtype=mg.float64)
    expected = x.numpy() @ layer.weight.numpy().T + layer.bias.numpy()
    np.testing.assert_allclose(layer(x).numpy(), expected, rtol=1e-12)
    assert layer.weight.shape == (2, 3) and layer.bias.shape == (2,)
    assert gradcheck_module(layer, layer, [x.requires_grad_()])


def test_linear_default_init_is_uniform_within_one_over_sqrt_in():
    layer = nn.Linear(16, 300)
    for p in layer.parameters():
        assert 0.9 * 0.25 < np.abs(p.numpy()).max() <= 0.25


def test_linear_checks_its_input():
    with pytest.raises(ValueError, match="Linear: expected input with 3 features .* got 4"):
        nn.Linear(3, 2)(mg.randn(2, 4))
    with pytest.raises(ValueError, match="Linear: expected out_features to be an int >= 0, got -1"):
        nn.Linear(3, -1)


def test_embedding_accumulates_the_gradient_of_repeated_indices(backend):
    table = nn.Embedding(5, 3, dtype=mg.float64)
    indices = mg.tensor([[1, 4], [1, 1]])
    out = table(indices)
    np.testing.assert_array_equal(out.numpy(), table.weight.numpy()[indices.numpy()])
    out.sum().backward()
    np.testing.assert_array_equal(table.weight.grad.numpy()[:, 0], [0, 3, 0, 0, 1])
    with pytest.raises(IndexError, match=r"Embedding: expected indices in \[0, 5\), got .* to 5"):
        table(mg.tensor([0, 5]))
    with pytest.raises(TypeError, match="Embedding: expected integer indices, got dtype float32"):
        table(mg.tensor([0.0]))


def test_embedding_padding_row_starts_at_zero_and_learns_nothing(backend):
    table = nn.Embedding(4, 2, padding_idx=-1, dtype=mg.float64)
    assert table.padding_idx == 3 and not table.weight.numpy()[3].any()
    indices = mg.tensor([[3, 1], [0, 3]])
    table.weight.data = table.weight.data + 1   # looked up as it is, even when not zeros
    out = table(indices)
    np.testing.assert_array_equal(out.numpy(), table.weight.numpy()[indices.numpy()])
    (out * out).sum().backward()
    np.testing.assert_array_equal(table.weight.grad.numpy()[3], [0, 0])
    assert table.weight.grad.numpy()[[0, 1]].all()
    for padding_idx in (4, -5, 1.0, "0"):
        with pytest.raises(ValueError, match=rf"^Embedding: expected padding_idx to be None or "
                                             rf"an int in \[-4, 4\) .* got {padding_idx!r}$"):
            nn.Embedding(4, 2, padding_idx=padding_idx)
    with pytest.raises(ValueError, match=r"embedding: expected a weight of shape \(num_emb"):
        nn.F.embedding(indices, mg.zeros(4))
    with pytest.raises(IndexError, match=r"embedding: expected input in \[0, 4\)"):
        nn.F.embedding(mg.tensor([4]), table.weight)


def test_dropout_is_inverted_in_training_and_the_identity_in_eval(backend):
    drop = nn.Dropout(0.25)
    x = mg.ones(20000, dtype=mg.float64, requires_grad=True)
    y = drop(x)
    values = y.numpy()
    assert set(np.unique(values)) == {0.0, 1 / 0.75}
    assert abs((values == 0).mean() - 0.25) < 0.02
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), values)  # the gradient takes the same mask
    assert drop.eval()(x) is x
    with pytest.raises(ValueError, match=r"Dropout: expected p to be a probability in \[0, 1\]"):
        nn.Dropout(1.5)


def test_dropout_takes_any_real_probability_but_a_bool():
    assert nn.Dropout(np.float32(0.5)).p == 0.5 and nn.Dropout(np.int64(1)).p == 1.0
    for bad in (True, "0.5"):
        with pytest.raises(ValueError, match=rf"Dropout: expected p to be a probability in "
                                             rf"\[0, 1\], got {bad!r}"):
            nn.Dropout(bad)


@pytest.mark.parametrize("module, function", [
    (nn.Tanh(), np.tanh), (nn.Sigmoid(), lambda a: 1 / (1 + np.exp(-a))),
    (nn.ReLU(), lambda a: np.maximum(a, 0)),
])
def test_activation_modules(backend, module, function):
    x = mg.randn(3, 4, dtype=mg.float64)
    np.testing.assert_allclose(module(x).numpy(), function(x.numpy()), rtol=1e-12)
    with pytest.raises(TypeError, match=f"^{type(module).__name__}: expected input to be a "
                                        f"Tensor, got list$"):
        module([1.0])


# ---- documentation ---------------------------------------------------------------------------


@pytest.mark.parametrize("module", [
    nn, nn.module, nn.parameter, nn.container, nn.linear, nn.normalization, nn.activation,
    nn.rnn_cell, nn.rnn, nn.functional, nn.init, nn.utils,
], ids=lambda m: m.__name__)
def test_docstring_examples_run(module):
    result = doctest.testmod(module, extraglobs={"mg": mg}, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
