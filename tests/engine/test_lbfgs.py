"""LBFGS with a closure, step for step as torch.optim.LBFGS (no line search)."""

import numpy as np
import pytest

import minigrad as mg

torch = pytest.importorskip("torch")


def rosenbrock(x, y):
    """A curved valley in x[0], y[0] and a coupled quadratic in the rest: any framework."""
    return ((1 - x[0]) ** 2 + 100 * (y[0] - x[0] ** 2) ** 2 + (x[1:] ** 2).sum()
            + (y[1:] * x[1:]).sum() + (y[1:] ** 2).sum())


@pytest.mark.parametrize("options", [{}, {"lr": 0.5, "max_iter": 7, "history_size": 3},
                                     {"max_iter": 4, "max_eval": 3, "tolerance_change": 1e-4}])
def test_lbfgs_matches_pytorch_call_for_call(options):
    initial = [np.array([-1.2, 0.5, 0.3]), np.array([1.0, -0.4, 0.2])]
    ours = [mg.tensor(a, requires_grad=True) for a in initial]
    theirs = [torch.tensor(a, requires_grad=True) for a in initial]
    opt, torch_opt = mg.optim.LBFGS(ours, **options), torch.optim.LBFGS(theirs, **options)
    calls = {"ours": 0, "theirs": 0}

    def closure_for(optimizer, params, name):
        def closure():
            calls[name] += 1
            optimizer.zero_grad()
            loss = rosenbrock(*params)
            loss.backward()
            return loss
        return closure

    for _ in range(4):
        loss = opt.step(closure_for(opt, ours, "ours"))
        expected = torch_opt.step(closure_for(torch_opt, theirs, "theirs"))
        assert loss.item() == pytest.approx(expected.item(), rel=1e-8, abs=1e-12)
        assert calls["ours"] == calls["theirs"]
        for p, t in zip(ours, theirs, strict=True):
            # Rounding differences grow through the curvature history.
            np.testing.assert_allclose(p.numpy(), t.detach().numpy(), rtol=1e-7, atol=1e-10)


def test_lbfgs_refuses_what_it_does_not_provide():
    w = mg.ones(2, requires_grad=True)
    with pytest.raises(ValueError, match="strong-Wolfe search is not provided"):
        mg.optim.LBFGS([w], line_search_fn="strong_wolfe")
    opt = mg.optim.LBFGS([w])
    with pytest.raises(TypeError, match=r"write optimizer.step\(closure\)"):
        opt.step()
    with pytest.raises(NotImplementedError, match="history is not saved"):
        opt.state_dict()
    with pytest.raises(ValueError, match="one parameter group"):
        mg.optim.LBFGS([{"params": [w]}, {"params": [mg.ones(1, requires_grad=True)]}])
