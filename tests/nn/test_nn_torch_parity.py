"""Parity with PyTorch on identical weights, values and gradients, in float64.

PyTorch state dicts load unchanged (as NumPy arrays); a PyTorch GRU loads into
``reset_after=True`` through :func:`nn.utils.torch_gru_to_minigrad`.
"""

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn

F = nn.functional

torch = pytest.importorskip("torch")

T, B, I, H = 4, 3, 3, 2


def as_numpy(state_dict):
    return {name: value.detach().numpy() for name, value in state_dict.items()}


def ours_and_theirs(array):
    """The same values as a minigrad and a torch float64 leaf."""
    return (mg.tensor(array, dtype=mg.float64, requires_grad=True),
            torch.tensor(array, dtype=torch.float64, requires_grad=True))


def close(ours, theirs, rtol=1e-10, atol=1e-12):
    np.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(), rtol=rtol, atol=atol)


def flatten(value):
    return list(value) if isinstance(value, tuple) else [value]


def backward_with_weights(outputs, framework):
    """Contract every output with fixed random weights and backpropagate."""
    rng = np.random.default_rng(1)
    total = 0
    for out in outputs:
        weights = rng.standard_normal(tuple(out.shape))
        total = total + (out * (mg.tensor(weights) if framework == "mg" else
                                torch.tensor(weights))).sum()
    total.backward()


def check_module(ours, theirs, args_ours, args_theirs, gradient_map=lambda grads: grads):
    """Run both modules, compare the outputs and every gradient."""
    out_ours, out_theirs = ours(*args_ours), theirs(*args_theirs)
    flat_ours = [t for item in flatten(out_ours) for t in flatten(item)]
    flat_theirs = [t for item in flatten(out_theirs) for t in flatten(item)]
    for a, b in zip(flat_ours, flat_theirs):
        close(a, b)
    backward_with_weights(flat_ours, "mg")
    backward_with_weights(flat_theirs, "torch")
    leaves = [(a, b) for a, b in zip(_leaves(args_ours), _leaves(args_theirs))]
    for a, b in leaves:
        close(a.grad, b.grad)
    grads = gradient_map({name: p.grad.numpy() for name, p in ours.named_parameters()})
    for name, p in theirs.named_parameters():
        np.testing.assert_allclose(grads[name], p.grad.numpy(), rtol=1e-10, atol=1e-12,
                                   err_msg=name)


def _leaves(args):
    return [t for arg in args for t in flatten(arg)
            if t is not None and getattr(t, "requires_grad", False)]


def random(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


# ---- cells ---------------------------------------------------------------------------------


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
def test_rnn_cell(nonlinearity):
    theirs = torch.nn.RNNCell(I, H, nonlinearity=nonlinearity, dtype=torch.float64)
    ours = nn.RNNCell(I, H, nonlinearity=nonlinearity, dtype=mg.float64)
    ours.load_state_dict(as_numpy(theirs.state_dict()))
    (x, tx), (h, th) = ours_and_theirs(random(B, I)), ours_and_theirs(random(B, H, seed=1))
    check_module(ours, theirs, (x, h), (tx, th))


def test_gru_cell_reset_after_through_the_conversion():
    theirs = torch.nn.GRUCell(I, H, dtype=torch.float64)
    ours = nn.GRUCell(I, H, reset_after=True, dtype=mg.float64)
    ours.load_state_dict(nn.utils.torch_gru_to_minigrad(as_numpy(theirs.state_dict())))
    (x, tx), (h, th) = ours_and_theirs(random(B, I)), ours_and_theirs(random(B, H, seed=1))
    check_module(ours, theirs, (x, h), (tx, th), nn.utils.minigrad_gru_to_torch)


def test_a_torch_gru_state_dict_converts_as_it_is():
    theirs = torch.nn.GRU(I, H, num_layers=2, dtype=torch.float64)
    converted = nn.utils.torch_gru_to_minigrad(theirs.state_dict())   # torch tensors
    expected = nn.utils.torch_gru_to_minigrad(as_numpy(theirs.state_dict()))
    assert list(converted) == list(expected)
    for name, value in expected.items():
        assert type(converted[name]) is np.ndarray and converted[name].dtype == value.dtype
        np.testing.assert_array_equal(converted[name], value, err_msg=name)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_a_half_precision_gru_state_dict_is_refused_with_advice_that_works(dtype):
    # The message once told the user to pass dtype=, which the conversion does not take.
    state = torch.nn.GRU(I, H).to(dtype).state_dict()
    with pytest.raises(TypeError) as info:
        nn.utils.torch_gru_to_minigrad(state)
    assert str(info.value) == (
        f"torch_gru_to_minigrad: weight_ih_l0 has dtype {dtype}, which minigrad does not hold; "
        "convert the state dict first, e.g. {k: v.float() for k, v in state_dict.items()}"
    )
    converted = nn.utils.torch_gru_to_minigrad({k: v.float() for k, v in state.items()})
    ours = nn.GRU(I, H, reset_after=True)
    assert ours.load_state_dict(converted) == ([], [])


def test_gru_cell_default_form_differs_from_pytorch():
    # The reference (reset-before) form is a different function, not a relabelling.
    theirs = torch.nn.GRUCell(I, H, dtype=torch.float64)
    ours = nn.GRUCell(I, H, dtype=mg.float64)
    ours.load_state_dict(nn.utils.torch_gru_to_minigrad(as_numpy(theirs.state_dict())))
    (x, tx), (h, th) = ours_and_theirs(random(B, I)), ours_and_theirs(random(B, H, seed=1))
    assert not np.allclose(ours(x, h).numpy(), theirs(tx, th).detach().numpy())


def test_lstm_cell():
    theirs = torch.nn.LSTMCell(I, H, dtype=torch.float64)
    ours = nn.LSTMCell(I, H, dtype=mg.float64)
    ours.load_state_dict(as_numpy(theirs.state_dict()))
    (x, tx), (h, th), (c, tc) = (ours_and_theirs(random(B, size, seed=seed))
                                 for seed, size in enumerate((I, H, H)))
    check_module(ours, theirs, (x, (h, c)), (tx, (th, tc)))


def test_unbatched_lstm_cell():
    theirs = torch.nn.LSTMCell(I, H, dtype=torch.float64)
    ours = nn.LSTMCell(I, H, dtype=mg.float64)
    ours.load_state_dict(as_numpy(theirs.state_dict()))
    (x, tx) = ours_and_theirs(random(I))
    check_module(ours, theirs, (x,), (tx,))


# ---- layers ---------------------------------------------------------------------------------

CONFIGS = [
    {},
    {"num_layers": 2, "bidirectional": True},
    {"num_layers": 2, "batch_first": True},
    {"bidirectional": True, "batch_first": True, "bias": False},
]
LAYERS = [
    (nn.RNN, torch.nn.RNN, {"nonlinearity": "tanh"}),
    (nn.RNN, torch.nn.RNN, {"nonlinearity": "relu"}),
    (nn.GRU, torch.nn.GRU, {}),
    (nn.LSTM, torch.nn.LSTM, {}),
]


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: "-".join(c) or "default")
@pytest.mark.parametrize("ours_class, their_class, options", LAYERS,
                         ids=["rnn-tanh", "rnn-relu", "gru", "lstm"])
def test_sequence_layer(ours_class, their_class, options, config):
    theirs = their_class(I, H, **config, **options, dtype=torch.float64)
    is_gru = ours_class is nn.GRU
    ours = ours_class(I, H, **config, **options, **({"reset_after": True} if is_gru else {}),
                      dtype=mg.float64)
    convert = nn.utils.torch_gru_to_minigrad if is_gru else (lambda d: d)
    ours.load_state_dict(convert(as_numpy(theirs.state_dict())))
    directions = 2 if config.get("bidirectional") else 1
    count = config.get("num_layers", 1) * directions
    x, tx = ours_and_theirs(random(*((B, T) if config.get("batch_first") else (T, B)), I))
    states = [ours_and_theirs(random(count, B, H, seed=seed)) for seed in (1, 2)]
    if ours_class is nn.LSTM:
        state_ours, state_theirs = tuple(s[0] for s in states), tuple(s[1] for s in states)
    else:
        state_ours, state_theirs = states[0]
    check_module(ours, theirs, (x, state_ours), (tx, state_theirs), convert)


def test_lstm_without_initial_state():
    theirs = torch.nn.LSTM(I, H, num_layers=2, dtype=torch.float64)
    ours = nn.LSTM(I, H, num_layers=2, dtype=mg.float64)
    ours.load_state_dict(as_numpy(theirs.state_dict()))
    x, tx = ours_and_theirs(random(T, B, I))
    check_module(ours, theirs, (x,), (tx,))


def test_unbatched_gru():
    theirs = torch.nn.GRU(I, H, num_layers=2, bidirectional=True, dtype=torch.float64)
    ours = nn.GRU(I, H, num_layers=2, bidirectional=True, reset_after=True, dtype=mg.float64)
    ours.load_state_dict(nn.utils.torch_gru_to_minigrad(as_numpy(theirs.state_dict())))
    x, tx = ours_and_theirs(random(T, I))
    h, th = ours_and_theirs(random(4, H, seed=1))
    check_module(ours, theirs, (x, h), (tx, th), nn.utils.minigrad_gru_to_torch)


# ---- Linear, Embedding, losses, clipping ------------------------------------------------------


def test_linear():
    theirs = torch.nn.Linear(I, H, dtype=torch.float64)
    ours = nn.Linear(I, H, dtype=mg.float64)
    ours.load_state_dict(as_numpy(theirs.state_dict()))
    x, tx = ours_and_theirs(random(2, B, I))
    check_module(ours, theirs, (x,), (tx,))


def test_embedding_with_repeated_indices():
    theirs = torch.nn.Embedding(6, 3, dtype=torch.float64)
    ours = nn.Embedding(6, 3, dtype=mg.float64)
    ours.load_state_dict(as_numpy(theirs.state_dict()))
    indices = np.array([[1, 5, 1], [0, 1, 5]])
    check_module(ours, theirs, (mg.tensor(indices),), (torch.tensor(indices),))


@pytest.mark.parametrize("padding_idx", [0, 4, -1])
def test_embedding_with_padding_idx(padding_idx):
    theirs = torch.nn.Embedding(6, 3, padding_idx=padding_idx, dtype=torch.float64)
    ours = nn.Embedding(6, 3, padding_idx=padding_idx, dtype=mg.float64)
    assert ours.padding_idx == theirs.padding_idx and repr(ours) == repr(theirs)
    np.testing.assert_array_equal(ours.weight.numpy()[padding_idx], np.zeros(3))
    # A padding row that is not zeros (loaded, or set by hand) is still looked up as it is.
    with torch.no_grad():
        theirs.weight.add_(1.0)
    ours.load_state_dict(as_numpy(theirs.state_dict()))
    indices = np.array([[1, 5, 0], [4, 1, 5]])
    check_module(ours, theirs, (mg.tensor(indices),), (torch.tensor(indices),))
    np.testing.assert_array_equal(ours.weight.grad.numpy()[padding_idx], np.zeros(3))
    looked_up = F.embedding(mg.tensor(indices), ours.weight, padding_idx=padding_idx)
    close(looked_up, torch.nn.functional.embedding(torch.tensor(indices), theirs.weight,
                                                   padding_idx=padding_idx))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("ignore_index", [None, 1, -100, "default"])
def test_cross_entropy(reduction, ignore_index):
    logits, tlogits = ours_and_theirs(random(7, 5))
    targets = np.array([0, 1, 4, 1, 3, 2, 1])
    if ignore_index in (-100, "default"):   # PyTorch's default ignores -100, and so do we
        targets[[0, 5]] = -100
    ours_extra = {} if ignore_index == "default" else {"ignore_index": ignore_index}
    extra = {} if ignore_index in (None, "default") else {"ignore_index": ignore_index}
    ours = F.cross_entropy(logits, mg.tensor(targets), reduction=reduction, **ours_extra)
    theirs = torch.nn.functional.cross_entropy(tlogits, torch.tensor(targets),
                                               reduction=reduction, **extra)
    close(ours, theirs)
    backward_with_weights([ours], "mg")
    backward_with_weights([theirs], "torch")
    close(logits.grad, tlogits.grad)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_ignores_targets_whose_class_0_logit_is_minus_inf(reduction):
    values = random(4, 5)
    values[:, 0] = -np.inf   # ignored targets are looked up as class 0
    (logits, tlogits), targets = ours_and_theirs(values), np.array([2, 0, 3, 0])
    ours = F.cross_entropy(logits, mg.tensor(targets), ignore_index=0, reduction=reduction)
    theirs = torch.nn.functional.cross_entropy(tlogits, torch.tensor(targets), ignore_index=0,
                                               reduction=reduction)
    close(ours, theirs)
    backward_with_weights([ours], "mg")
    backward_with_weights([theirs], "torch")
    close(logits.grad, tlogits.grad)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_mse_and_binary_cross_entropy_with_logits(reduction):
    a, ta = ours_and_theirs(np.array([[-60.0, -1.5, 0.0], [0.3, 2.0, 60.0]]))
    b, tb = ours_and_theirs(np.array([[1.0, 0.2, 0.5], [0.0, 1.0, 0.0]]))
    pairs = [
        (F.mse_loss(a, b, reduction), torch.nn.functional.mse_loss(ta, tb, reduction=reduction)),
        (F.binary_cross_entropy_with_logits(a, b, reduction),
         torch.nn.functional.binary_cross_entropy_with_logits(ta, tb, reduction=reduction)),
    ]
    for ours, theirs in pairs:
        close(ours, theirs)
    backward_with_weights([ours for ours, _ in pairs], "mg")
    backward_with_weights([theirs for _, theirs in pairs], "torch")
    close(a.grad, ta.grad)
    close(b.grad, tb.grad)


@pytest.mark.parametrize("max_norm", [0.5, 100.0])
def test_clip_grad_norm(max_norm):
    grads = [random(3, 2), random(4, seed=1)]
    ours = [nn.Parameter(mg.zeros(g.shape, dtype=mg.float64)) for g in grads]
    theirs = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in grads]
    for p, q, g in zip(ours, theirs, grads):
        p.grad, q.grad = mg.tensor(g), torch.tensor(g)
    total = nn.utils.clip_grad_norm_(ours, max_norm)
    their_total = torch.nn.utils.clip_grad_norm_(theirs, max_norm)
    close(total, their_total)
    for p, q in zip(ours, theirs):
        close(p.grad, q.grad)
