"""Parameter groups, closures, the new optimisers and lr schedulers, step for step as PyTorch."""

import io

import numpy as np
import pytest

import minigrad as mg

torch = pytest.importorskip("torch")

# Each case: the optimiser, its defaults, and the second group's own settings.
CASES = [
    ("SGD", {"lr": 0.1, "momentum": 0.9, "dampening": 0.3, "weight_decay": 0.01},
     {"lr": 0.05, "dampening": 0.0, "nesterov": True}),
    ("Adam", {"lr": 0.01, "weight_decay": 0.1}, {"betas": (0.8, 0.9), "amsgrad": True}),
    ("AdamW", {"lr": 0.01}, {"weight_decay": 0.5, "amsgrad": True, "eps": 1e-3}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.01, "initial_accumulator_value": 0.1},
     {"weight_decay": 0.1, "eps": 1e-6}),
    ("RMSprop", {"lr": 0.01, "momentum": 0.5, "centered": True},
     {"alpha": 0.9, "momentum": 0.0, "centered": False, "weight_decay": 0.1}),
]


def both(initial):
    return ([mg.tensor(x, requires_grad=True) for x in initial],
            [torch.tensor(x, requires_grad=True) for x in initial])


def grouped(params, second):
    return [{"params": params[:2]}, {"params": params[2:], **second}]


def assert_same(ours, theirs):
    for p, t in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(p.numpy(), t.detach().numpy(), rtol=1e-11, atol=1e-13)


@pytest.mark.parametrize("name, defaults, second", CASES, ids=[c[0] for c in CASES])
def test_optimisers_with_groups_and_a_changed_lr_match_pytorch(name, defaults, second):
    rng = np.random.default_rng(0)
    initial = [rng.standard_normal(3), rng.standard_normal((2, 4)), rng.standard_normal(2)]
    ours, theirs = both(initial)
    opt = getattr(mg.optim, name)(grouped(ours, second), **defaults)
    torch_opt = getattr(torch.optim, name)(grouped(theirs, second), **defaults)
    for step in range(6):
        if step == 3:   # settings change between steps, in both
            opt.param_groups[1]["lr"] = torch_opt.param_groups[1]["lr"] = 0.02
        grads = [rng.standard_normal(x.shape) for x in initial]
        grads[1] = None if step == 2 else grads[1]
        for p, t, g in zip(ours, theirs, grads, strict=True):
            p.grad = None if g is None else mg.tensor(g)
            t.grad = None if g is None else torch.tensor(g)
        opt.step()
        torch_opt.step()
        assert_same(ours, theirs)


@pytest.mark.parametrize("name, defaults, second", CASES, ids=[c[0] for c in CASES])
def test_a_saved_and_loaded_state_resumes_exactly(name, defaults, second):
    rng = np.random.default_rng(1)
    initial = [rng.standard_normal(3), rng.standard_normal(4), rng.standard_normal(2)]
    grads = [[rng.standard_normal(x.shape) for x in initial] for _ in range(4)]

    def run(opt, params, steps):
        for step_grads in steps:
            for p, g in zip(params, step_grads, strict=True):
                p.grad = mg.tensor(g)
            opt.step()

    params = [mg.tensor(x, requires_grad=True) for x in initial]
    opt = getattr(mg.optim, name)(grouped(params, second), **defaults)
    run(opt, params, grads[:2])
    file = io.BytesIO()
    mg.save(opt.state_dict(), file)
    file.seek(0)
    copies = [mg.tensor(p.numpy(), requires_grad=True) for p in params]
    resumed = getattr(mg.optim, name)(grouped(copies, {}), **defaults)
    resumed.load_state_dict(mg.load(file))
    run(opt, params, grads[2:])
    run(resumed, copies, grads[2:])
    for p, q in zip(params, copies, strict=True):
        assert p.numpy().tobytes() == q.numpy().tobytes()


def test_step_calls_the_closure_and_returns_its_loss():
    w = mg.tensor([1.0, -2.0], requires_grad=True)
    opt = mg.optim.SGD([w], lr=0.1)

    def closure():
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss

    with mg.no_grad():   # the closure records anyway, as in PyTorch
        loss = opt.step(closure)
    assert loss.item() == 5.0
    np.testing.assert_allclose(w.numpy(), [0.8, -1.6], rtol=1e-6)
    assert opt.step() is None


def test_group_errors_say_what_was_expected():
    w, v = mg.ones(2, requires_grad=True), mg.ones(1, requires_grad=True)
    opt = mg.optim.SGD([w], lr=0.1)
    with pytest.raises(ValueError, match="already in another group"):
        opt.add_param_group({"params": [w]})
    with pytest.raises(ValueError, match=r"unknown settings \['betas'\]"):
        opt.add_param_group({"params": [v], "betas": (0.9, 0.9)})
    with pytest.raises(ValueError, match="holding 'params'"):
        opt.add_param_group({"lr": 0.1})
    with pytest.raises(ValueError, match="nesterov=True needs momentum > 0"):
        mg.optim.SGD([w], lr=0.1, nesterov=True)
    opt.add_param_group({"params": v, "lr": 0.5})
    assert opt.param_groups[1]["lr"] == 0.5 and opt.param_groups[1]["momentum"] == 0.0
    with pytest.raises(AttributeError, match=r"param_groups\[i\]\['lr'\]"):
        opt.lr  # noqa: B018


SCHEDULERS = [
    ("StepLR", {"step_size": 3, "gamma": 0.5}),
    ("MultiStepLR", {"milestones": [5, 2, 9, 5], "gamma": 0.5}),   # 5 twice: gamma ** 2 there
    ("ExponentialLR", {"gamma": 0.9}),
    ("CosineAnnealingLR", {"T_max": 4, "eta_min": 0.01}),
    ("LambdaLR", {"lr_lambda": lambda epoch: 1.0 / (1 + epoch)}),
]


@pytest.mark.parametrize("name, options", SCHEDULERS, ids=[s[0] for s in SCHEDULERS])
def test_schedulers_match_pytorch_over_two_groups(name, options):
    ours, theirs = both([np.zeros(2), np.zeros(1)])
    opt = mg.optim.SGD([{"params": ours[:1]}, {"params": ours[1:], "lr": 0.3}], lr=1.0)
    torch_opt = torch.optim.SGD([{"params": theirs[:1]}, {"params": theirs[1:], "lr": 0.3}],
                                lr=1.0)
    scheduler = getattr(mg.optim.lr_scheduler, name)(opt, **options)
    torch_scheduler = getattr(torch.optim.lr_scheduler, name)(torch_opt, **options)
    for _ in range(11):
        torch_opt.step()
        scheduler.step()
        torch_scheduler.step()
        np.testing.assert_allclose(scheduler.get_last_lr(), torch_scheduler.get_last_lr(),
                                   rtol=1e-13)
    state = mg.load(save_to_bytes(scheduler.state_dict()))
    again = getattr(mg.optim.lr_scheduler, name)(opt, **options)
    again.load_state_dict(state)
    assert again.last_epoch == scheduler.last_epoch == 11


def save_to_bytes(obj):
    file = io.BytesIO()
    mg.save(obj, file)
    file.seek(0)
    return file


@pytest.mark.parametrize("options", [{"patience": 1}, {"mode": "max", "patience": 0,
                                                       "cooldown": 2, "threshold_mode": "abs",
                                                       "threshold": 0.1, "min_lr": 0.05}])
def test_reduce_lr_on_plateau_matches_pytorch(options):
    ours, theirs = both([np.zeros(1)])
    opt, torch_opt = mg.optim.SGD(ours, lr=1.0), torch.optim.SGD(theirs, lr=1.0)
    scheduler = mg.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.5, **options)
    torch_scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(torch_opt, factor=0.5,
                                                                 **options)
    for metric in [5.0, 4.0, 4.0, 4.0, 3.99, 6.0, 6.0, 6.05, 7.0, 2.0, 2.0, 2.0]:
        scheduler.step(metric)
        torch_scheduler.step(metric)
        assert scheduler.get_last_lr() == pytest.approx(torch_scheduler.get_last_lr())
    state = mg.load(save_to_bytes(scheduler.state_dict()))
    again = mg.optim.lr_scheduler.ReduceLROnPlateau(opt)
    again.load_state_dict(state)
    assert again.num_bad_epochs == scheduler.num_bad_epochs and again.best == scheduler.best
