"""Module.register_buffer: state that is saved and moved with the parameters but not learned."""

import io
import re

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn


class Counter(nn.Module):
    """A layer with a float buffer, an integer one and one that is not saved."""

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(2, 2)
        self.register_buffer("running_mean", mg.zeros(2))
        self.register_buffer("seen", mg.tensor([0]))
        self.register_buffer("scratch", mg.ones(2), persistent=False)


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(mg.ones(1))
        self.register_buffer("mask", mg.tensor([True, False]))
        self.counter = Counter()


def test_buffers_are_attributes_listed_apart_from_parameters():
    model = Model()
    assert model.counter.seen.numpy().tolist() == [0]
    assert [name for name, _ in model.named_buffers()] == [
        "mask", "counter.running_mean", "counter.seen", "counter.scratch"]
    assert [b is model.mask for b in model.buffers()] == [True, False, False, False]
    assert [name for name, _ in model.named_parameters()] == [
        "scale", "counter.linear.weight", "counter.linear.bias"]
    assert not any(b.requires_grad for b in model.buffers())
    # Each module's parameters, then its persistent buffers, then its children's (PyTorch's order).
    assert list(model.state_dict()) == [
        "scale", "mask", "counter.running_mean", "counter.seen", "counter.linear.weight",
        "counter.linear.bias"]
    assert model.state_dict()["counter.seen"] is model.counter.seen.data


def test_assigning_a_buffer_keeps_it_a_buffer_and_none_leaves_it_out():
    counter = Counter()
    counter.running_mean = mg.full((2,), 3.0)
    assert counter.state_dict()["running_mean"].tolist() == [3.0, 3.0]
    counter.running_mean = None
    assert "running_mean" not in counter.state_dict()
    assert [name for name, _ in counter.named_buffers()] == ["seen", "scratch"]
    counter.running_mean = mg.zeros(2)
    assert "running_mean" in counter.state_dict()
    counter.running_mean = nn.Parameter(mg.zeros(2))   # a parameter takes its place, as in PyTorch
    assert "running_mean" in dict(counter.named_parameters())
    assert "running_mean" not in dict(counter.named_buffers())
    del counter.seen
    assert [name for name, _ in counter.named_buffers()] == ["scratch"]
    counter.seen = [1]   # no longer a buffer: any attribute
    assert "seen" not in counter.state_dict()


def test_load_state_dict_fills_buffers_in_place_casting_to_their_dtype(backend):
    source, target = Counter(), Counter()
    source.running_mean = mg.tensor([1.5, -2.0])
    source.seen = mg.tensor([7])
    running_mean = target.running_mean
    state = {name: np.array(value) for name, value in source.state_dict().items()}
    state["seen"] = state["seen"].astype(np.float64)   # cast back to the buffer's int64
    assert target.load_state_dict(state) == ([], [])
    assert target.running_mean is running_mean
    assert target.running_mean.numpy().tolist() == [1.5, -2.0]
    assert target.seen.dtype == mg.int64 and target.seen.numpy().tolist() == [7]
    assert target.scratch.numpy().tolist() == [1.0, 1.0]   # not persistent: untouched
    del state["seen"]
    with pytest.raises(ValueError, match="load_state_dict: cannot load into Counter; "
                                         "missing keys: seen$"):
        target.load_state_dict(state)
    with pytest.raises(ValueError, match=r"mis-shaped keys: running_mean \(expected \(2,\), "
                                         r"got \(3,\)\)"):
        target.load_state_dict({**state, "seen": [1], "running_mean": np.zeros(3)})


def test_to_moves_buffers_and_casts_only_the_floating_ones(backend):
    model = Model()
    mask, running_mean = model.mask, model.counter.running_mean
    assert model.double() is model and model.counter.running_mean is running_mean
    dtypes = {name: b.dtype for name, b in model.named_buffers()}
    assert dtypes == {"mask": mg.bool_, "counter.running_mean": mg.float64,
                      "counter.seen": mg.int64, "counter.scratch": mg.float64}
    assert model.float().counter.scratch.dtype == mg.float32 and model.mask is mask
    model.to("float64")
    assert model.counter.running_mean.dtype == mg.float64 and model.counter.seen.dtype == mg.int64
    model.to(backend)
    assert {b.backend for b in model.buffers()} == {backend}
    assert model.cpu().mask.backend == "numpy"


def test_bad_buffers_are_refused_as_in_pytorch():
    counter = Counter()

    class Early(nn.Module):
        def __init__(self):
            self.register_buffer("x", mg.zeros(1))

    cases = [
        (AttributeError, lambda: Early(), "Early.register_buffer: cannot register before "
                                          "Module.__init__() is called"),
        (TypeError, lambda: counter.register_buffer(1, mg.zeros(1)),
         "Counter.register_buffer: expected the name to be a str, got int"),
        (KeyError, lambda: counter.register_buffer("a.b", mg.zeros(1)),
         "Counter.register_buffer: expected a name without dots, got 'a.b'"),
        (KeyError, lambda: counter.register_buffer("", mg.zeros(1)), "got ''"),
        (KeyError, lambda: counter.register_buffer("linear", mg.zeros(1)),
         "attribute 'linear' already exists"),
        (KeyError, lambda: counter.register_buffer("forward", mg.zeros(1)),
         "attribute 'forward' already exists"),
        (TypeError, lambda: counter.register_buffer("x", np.zeros(1)),
         "Counter: cannot register a ndarray as the buffer 'x': expected a Tensor or None"),
        (TypeError, lambda: counter.register_buffer("x", nn.Parameter(mg.zeros(1))),
         "cannot register a Parameter as the buffer 'x'"),
        (ValueError, lambda: counter.register_buffer("x", mg.zeros(1, requires_grad=True)),
         "Counter: cannot register a tensor that requires grad as the buffer 'x': a buffer is "
         "not learned; pass tensor.detach(), or make it an nn.Parameter"),
        (TypeError, lambda: counter.register_buffer("x", mg.zeros(1), persistent=1),
         "expected persistent to be a bool"),
        (TypeError, lambda: setattr(counter, "seen", [1]),
         "Counter: cannot assign a list as the buffer 'seen'"),
        (ValueError, lambda: setattr(counter, "seen", mg.zeros(1, requires_grad=True)),
         "cannot assign a tensor that requires grad as the buffer 'seen'"),
    ]
    for error, make, words in cases:
        with pytest.raises(error, match=re.escape(words)):
            make()
    assert "x" not in vars(counter) and counter.seen.numpy().tolist() == [0]


@pytest.mark.parametrize("to_file", [False, True])
def test_state_dicts_with_buffers_round_trip_through_save_and_load(tmp_path, to_file):
    source, target = Model(), Model()
    source.counter.running_mean = mg.tensor([0.25, 4.0])
    source.counter.seen = mg.tensor([123456789012])
    source.mask = mg.tensor([False, True])
    where = io.BytesIO() if to_file else tmp_path / "model.npz"
    mg.save(source.state_dict(), where)
    if to_file:
        where.seek(0)
    loaded = mg.load(where)
    assert list(loaded) == list(source.state_dict())
    target.load_state_dict(loaded)
    for (name, ours), (_, theirs) in zip(target.state_dict().items(), source.state_dict().items()):
        assert ours.dtype == theirs.dtype, name
        np.testing.assert_array_equal(ours, theirs, err_msg=name)


def test_loss_class_weights_are_a_buffer():
    criterion = nn.CrossEntropyLoss(weight=mg.tensor([1.0, 2.0]), ignore_index=1)
    assert repr(criterion) == "CrossEntropyLoss(reduction='mean', ignore_index=1)"
    assert list(criterion.state_dict()) == ["weight"] and not list(criterion.parameters())
    assert criterion.double().weight.dtype == mg.float64
    logits = mg.zeros(3, 2, dtype=mg.float64)
    assert criterion(logits, mg.tensor([0, 1, 0])).item() == pytest.approx(np.log(2))
    with pytest.raises(TypeError, match="NLLLoss: cannot register a list as the buffer 'weight'"):
        nn.NLLLoss(weight=[1.0, 2.0])


torch = pytest.importorskip("torch")


def test_buffers_as_pytorch_names_order_and_loading_its_state_dict():
    class TorchCounter(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.linear = torch.nn.Linear(2, 2)
            self.register_buffer("running_mean", torch.zeros(2))
            self.register_buffer("seen", torch.tensor([0]))
            self.register_buffer("scratch", torch.ones(2), persistent=False)

    class TorchModel(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.scale = torch.nn.Parameter(torch.ones(1))
            self.register_buffer("mask", torch.tensor([True, False]))
            self.counter = TorchCounter()

    theirs, ours = TorchModel(), Model()
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [n for n, _ in ours.named_buffers()] == [n for n, _ in theirs.named_buffers()]
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    theirs.counter.running_mean.add_(0.5)
    theirs.counter.seen.add_(3)
    ours.load_state_dict({name: value.numpy() for name, value in theirs.state_dict().items()})
    for name, value in theirs.state_dict().items():
        np.testing.assert_array_equal(ours.state_dict()[name], value.numpy(), err_msg=name)
    theirs.double()
    ours.double()
    assert ([str(b.dtype).replace("torch.", "") for b in theirs.buffers()]
            == [str(b.dtype) for b in ours.buffers()])
    weighted = torch.nn.CrossEntropyLoss(weight=torch.tensor([1.0, 2.0]))
    assert list(weighted.state_dict()) == list(nn.CrossEntropyLoss(
        weight=mg.tensor([1.0, 2.0])).state_dict())
