"""Optimisers: steps worked out by hand, parity with torch.optim, state dicts, errors."""

import math

import numpy as np
import pytest

import minigrad as mg

SGD, Adam = mg.optim.SGD, mg.optim.Adam


def param(values, dtype=mg.float32):
    return mg.tensor(values, dtype=dtype, requires_grad=True)


def set_grad(p, values):
    p.grad = mg.tensor(values, dtype=p.dtype, backend=p.backend)


def run_steps(opt, grads_per_step):
    """Set each parameter's gradient (``None`` skips it) and step, once per list of grads."""
    for grads in grads_per_step:
        for p, g in zip(opt.params, grads, strict=True):
            if g is None:
                p.grad = None
            else:
                set_grad(p, g)
        opt.step()


# ---- update rules, worked out by hand ------------------------------------------------------


def test_sgd_without_momentum_steps_against_the_gradient(backend):
    p = param([1.0, -2.0])
    run_steps(SGD([p], lr=0.1), [[[0.5, 1.0]], [[0.5, 1.0]]])
    np.testing.assert_allclose(p.numpy(), [1.0 - 2 * 0.05, -2.0 - 2 * 0.1], rtol=1e-6)


def test_sgd_momentum_buffer_starts_at_the_first_gradient(backend):
    p = param([1.0])
    run_steps(SGD([p], lr=0.1, momentum=0.9, weight_decay=0.1), [[[0.5]], [[0.5]]])
    g1 = 0.5 + 0.1 * 1.0              # weight decay joins the gradient
    p1 = 1.0 - 0.1 * g1               # the first buffer is the gradient itself
    g2 = 0.5 + 0.1 * p1
    p2 = p1 - 0.1 * (0.9 * g1 + g2)
    np.testing.assert_allclose(p.numpy(), [p2], rtol=1e-6)


def test_adam_first_step_moves_each_weight_by_lr(backend):
    # Bias correction makes m̂ = g and v̂ = g² at step 1, so the step is lr * g / |g|.
    p = param([1.0, -2.0])
    run_steps(Adam([p], lr=0.1), [[[0.5, -4.0]]])
    np.testing.assert_allclose(p.numpy(), [0.9, -1.9], rtol=1e-6)


def test_adam_second_step_follows_the_equations(backend):
    p = param([1.0])
    run_steps(Adam([p], lr=0.1, betas=(0.8, 0.9), eps=1e-3, weight_decay=0.5),
              [[[0.5]], [[-1.0]]])
    g1 = 0.5 + 0.5 * 1.0
    p1 = 1.0 - 0.1 * g1 / (abs(g1) + 1e-3)
    g2 = -1.0 + 0.5 * p1
    m2 = 0.8 * 0.2 * g1 + 0.2 * g2
    v2 = 0.9 * 0.1 * g1 ** 2 + 0.1 * g2 ** 2
    p2 = p1 - 0.1 / (1 - 0.8 ** 2) * m2 / (math.sqrt(v2) / math.sqrt(1 - 0.9 ** 2) + 1e-3)
    np.testing.assert_allclose(p.numpy(), [p2], rtol=1e-6)


@pytest.mark.parametrize("make", [
    lambda ps: SGD(ps, lr=0.1, momentum=0.9, weight_decay=0.1),
    lambda ps: Adam(ps, lr=0.1, weight_decay=0.1),
], ids=["sgd", "adam"])
def test_float32_stays_float32_even_for_0d_parameters(backend, make):
    scalar, vector = param(1.0), param([1.0, 2.0])
    opt = make(p for p in [scalar, vector])       # a generator, like model.parameters()
    run_steps(opt, [[0.5, [0.5, -0.5]]] * 3)
    assert [p.shape for p in opt.params] == [(), (2,)]
    assert opt.params[0] is scalar and scalar.is_leaf
    for p, state in zip(opt.params, opt.state, strict=True):
        assert p.dtype == mg.float32
        assert all(a.dtype == mg.float32 and a.shape == p.shape
                   for key, a in state.items() if key != "step")


@pytest.mark.parametrize("make", [
    lambda ps: SGD(ps, lr=0.1, momentum=0.9),
    lambda ps: Adam(ps, lr=0.1),
], ids=["sgd", "adam"])
def test_gradients_are_only_read(backend, make):
    # One read-only broadcast array serves as the gradient of two parameters.
    be = mg.backends.get(backend)
    shared = mg.Tensor(be.xp.broadcast_to(be.xp.asarray(0.5, dtype=mg.float32), (3,)), be)
    a, b = param([1.0, 2.0, 3.0]), param([-1.0, 0.0, 1.0])
    opt = make([a, b])
    for _ in range(3):
        a.grad = b.grad = shared
        opt.step()
    np.testing.assert_array_equal(shared.numpy(), [0.5, 0.5, 0.5])


def test_parameters_without_grad_are_skipped(backend):
    stepped, untouched = param([1.0]), param([2.0])
    opt = Adam([stepped, untouched], lr=0.1)
    run_steps(opt, [[[1.0], None]])
    assert untouched.numpy().tolist() == [2.0] and stepped.numpy().tolist() != [1.0]
    assert list(opt.state_dict()["state"]) == ["0"]


def test_zero_grad_sets_grad_to_none(backend):
    p = param([1.0])
    opt = SGD([p], lr=0.1)
    (p * 2.0).sum().backward()
    opt.zero_grad()
    assert p.grad is None


# ---- parity with PyTorch ---------------------------------------------------------------------

PARITY_CASES = [
    ("SGD", {"lr": 0.1}),
    ("SGD", {"lr": 0.1, "momentum": 0.9}),
    ("SGD", {"lr": 0.05, "momentum": 0.8, "weight_decay": 0.01}),
    ("Adam", {"lr": 0.01}),
    ("Adam", {"lr": 0.01, "betas": (0.8, 0.99), "eps": 1e-6, "weight_decay": 0.1}),
]


@pytest.mark.parametrize("name, hyperparameters", PARITY_CASES)
def test_matches_torch_optim(backend, name, hyperparameters):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    initial = [rng.standard_normal(3), rng.standard_normal((2, 4))]
    ours = [param(x, dtype=mg.float64) for x in initial]
    theirs = [torch.tensor(x, requires_grad=True) for x in initial]
    opt = getattr(mg.optim, name)(ours, **hyperparameters)
    torch_opt = getattr(torch.optim, name)(theirs, **hyperparameters)
    for step in range(5):
        grads = [rng.standard_normal(x.shape) for x in initial]
        grads[1] = None if step == 2 else grads[1]     # both skip a missing gradient
        run_steps(opt, [grads])
        for t, g in zip(theirs, grads, strict=True):
            t.grad = None if g is None else torch.tensor(g)
        torch_opt.step()
        for p, t in zip(ours, theirs, strict=True):
            np.testing.assert_allclose(p.numpy(), t.detach().numpy(), rtol=1e-12, atol=1e-14)


# ---- state dicts -----------------------------------------------------------------------------

OPTIMISERS = {
    "sgd": lambda ps, lr=0.1: SGD(ps, lr=lr, momentum=0.9, weight_decay=0.01),
    "adam": lambda ps, lr=0.1: Adam(ps, lr=lr, betas=(0.8, 0.9), weight_decay=0.01),
}


@pytest.mark.parametrize("kind", OPTIMISERS)
def test_resuming_from_a_saved_state_is_bit_identical(backend, kind, tmp_path):
    rng = np.random.default_rng(1)
    initial = [rng.standard_normal(3), rng.standard_normal((2, 2))]
    grads = [[rng.standard_normal(x.shape) for x in initial] for _ in range(6)]

    uninterrupted = OPTIMISERS[kind]([param(x) for x in initial])
    run_steps(uninterrupted, grads)

    first = OPTIMISERS[kind]([param(x) for x in initial])
    run_steps(first, grads[:3])
    mg.save({"params": {str(i): p.numpy() for i, p in enumerate(first.params)},
             "optim": first.state_dict()}, tmp_path / "checkpoint.npz")

    saved = mg.load(tmp_path / "checkpoint.npz")
    resumed = OPTIMISERS[kind]([param(a) for a in saved["params"].values()], lr=123.0)
    resumed.load_state_dict(saved["optim"])
    assert resumed.lr == 0.1
    run_steps(resumed, grads[3:])
    for p, q in zip(resumed.params, uninterrupted.params, strict=True):
        assert p.numpy().tobytes() == q.numpy().tobytes()


def test_loaded_state_moves_to_the_parameters_backend_and_dtype(backend):
    p = param([1.0, 2.0])
    opt = Adam([p])
    opt.load_state_dict({
        "optimizer": "Adam", "num_params": 1,
        "param_groups": {"0": {"lr": 0.5, "betas": [0.5, 0.5], "eps": 0.0, "weight_decay": 0,
                               "amsgrad": False, "params": [0]}},
        "state": {"0": {"step": 2, "exp_avg": np.ones(2), "exp_avg_sq": np.ones(2)}},
    })
    assert opt.betas == (0.5, 0.5) and opt.state[0]["step"] == 2
    for array in (opt.state[0]["exp_avg"], opt.state[0]["exp_avg_sq"]):
        assert mg.backends.get(backend).is_native(array) and array.dtype == mg.float32


def test_state_dict_is_a_snapshot(backend):
    p = param([1.0])
    opt = SGD([p], lr=0.1, momentum=0.9)
    run_steps(opt, [[[1.0]]])
    snapshot = opt.state_dict()
    run_steps(opt, [[[1.0]]])
    assert snapshot["state"]["0"]["momentum_buffer"].tolist() == [1.0]
    assert snapshot["param_groups"] == {"0": {"lr": 0.1, "momentum": 0.9, "dampening": 0.0,
                                              "weight_decay": 0.0, "nesterov": False,
                                              "params": [0]}}


# ---- errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize("build, error, words", [
    (lambda p: SGD([], lr=0.1), ValueError, "at least one parameter"),
    (lambda p: SGD(p, lr=0.1), TypeError, "got a Tensor"),
    (lambda p: SGD(3, lr=0.1), TypeError, "iterable of tensors"),
    (lambda p: SGD([p, 1.0], lr=0.1), TypeError, "parameter 1 to be a Tensor, got float"),
    (lambda p: SGD([p * 2.0], lr=0.1), ValueError, "parameter 0 to be a leaf tensor"),
    (lambda p: SGD([p, p], lr=0.1), ValueError, "more than once"),
    (lambda p: SGD([p], lr=-0.1), ValueError, "lr a finite number >= 0, got -0.1"),
    (lambda p: SGD([p], lr=float("nan")), ValueError, "got nan"),
    (lambda p: SGD([p], lr="0.1"), TypeError, "lr to be a real number, got str"),
    (lambda p: SGD([p], lr=0.1, momentum=-0.5), ValueError, "momentum"),
    (lambda p: SGD([p], lr=0.1, weight_decay=-1), ValueError, "weight_decay"),
    (lambda p: Adam([p], betas=(1.0, 0.999)), ValueError, "betas[0] in [0, 1.0), got 1.0"),
    (lambda p: Adam([p], betas=(0.9, -0.1)), ValueError, "betas[1]"),
    (lambda p: Adam([p], betas=0.9), TypeError, "pair (beta1, beta2), got 0.9"),
    (lambda p: Adam([p], eps=-1e-8), ValueError, "eps"),
])
def test_constructor_errors_say_what_was_expected(build, error, words):
    with pytest.raises(error) as info:
        build(param([1.0]))
    assert words in str(info.value)


def good_state_dict():
    return SGD([param([1.0, 2.0])], lr=0.1, momentum=0.9).state_dict() | {
        "state": {"0": {"momentum_buffer": np.zeros(2)}}}


@pytest.mark.parametrize("corrupt, error, words", [
    (lambda sd: Adam([param([1.0])]).state_dict(), ValueError, "got one of a 'Adam'"),
    (lambda sd: sd | {"num_params": 2}, ValueError, "for 1 parameters, got one for 2"),
    (lambda sd: {k: v for k, v in sd.items() if k != "state"}, ValueError,
     "missing keys ['state']"),
    (lambda sd: sd | {"param_groups": {"0": {"lr": 0.1, "momentum": 0.9, "dampening": 0.0,
                                             "nesterov": False, "betas": 0, "params": [0]}}},
     ValueError, "missing keys ['weight_decay'] and unexpected keys ['betas']"),
    (lambda sd: sd | {"param_groups": {"0": sd["param_groups"]["0"], "1": {}}},
     ValueError, "'param_groups' has missing keys [] and unexpected keys ['1']"),
    (lambda sd: sd | {"param_groups": {"0": sd["param_groups"]["0"] | {"params": [1]}}},
     ValueError, "to hold the parameters [0], got [1]"),
    (lambda sd: sd | {"state": {"5": {}}}, ValueError, "unexpected keys ['5']"),
    (lambda sd: sd | {"state": {"0": {"momentum_buffer": np.zeros(3)}}}, ValueError,
     "shape (2,), got (3,)"),
    (lambda sd: sd | {"state": {"0": {"momentum_buffer": [0.0, 0.0]}}}, TypeError,
     "to be an array, got list"),
    (lambda sd: sd | {"param_groups": {"0": sd["param_groups"]["0"] | {"lr": -1.0}}},
     ValueError, "lr"),
    (lambda sd: [sd], TypeError, "the state dict to be a dict, got list"),
])
def test_load_state_dict_errors_leave_the_optimiser_unchanged(corrupt, error, words):
    opt = SGD([param([1.0, 2.0])], lr=0.5)
    with pytest.raises(error) as info:
        opt.load_state_dict(corrupt(good_state_dict()))
    assert words in str(info.value)
    assert opt.lr == 0.5 and opt.momentum == 0.0 and opt.state == [{}]


def test_a_frozen_parameter_is_kept_and_skipped_as_in_pytorch():
    frozen, trained = mg.ones(2), mg.ones(2, requires_grad=True)
    optimizer = SGD([frozen, trained], lr=0.5)
    (trained * 3).sum().backward()
    optimizer.step()
    np.testing.assert_array_equal(frozen.numpy(), [1.0, 1.0])
    np.testing.assert_array_equal(trained.numpy(), [-0.5, -0.5])


def test_a_one_element_tensor_lr_is_taken_for_its_value():
    w = mg.ones(2, requires_grad=True)
    assert Adam([w], lr=mg.tensor(0.01)).lr == pytest.approx(0.01)
    with pytest.raises(TypeError, match="expected lr to be a real number, got Tensor"):
        SGD([w], lr=mg.ones(2))


@pytest.mark.parametrize("key, value, words", [
    ("exp_avg_sq", -1.0, "finite numbers >= 0"),
    ("exp_avg_sq", float("nan"), "finite numbers >= 0"),
    ("exp_avg", float("inf"), "finite numbers"),
])
def test_adam_refuses_a_state_that_would_turn_every_update_into_nan(key, value, words):
    w = mg.ones(2, requires_grad=True)
    optimizer = Adam([w], lr=0.1)
    w.grad = mg.ones(2)
    optimizer.step()
    state = optimizer.state_dict()
    state["state"]["0"][key] = np.full(2, value, dtype=np.float32)
    with pytest.raises(ValueError, match=rf"state\['0'\]\['{key}'\] to hold {words}"):
        Adam([mg.ones(2, requires_grad=True)], lr=0.1).load_state_dict(state)
