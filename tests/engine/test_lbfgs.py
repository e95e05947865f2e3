"""LBFGS with a closure, step for step as torch.optim.LBFGS (no line search)."""

import numpy as np
import pytest

import minigrad as mg


def rosenbrock(x, y):
    """A curved valley in x[0], y[0] and a coupled quadratic in the rest: any framework."""
    return ((1 - x[0]) ** 2 + 100 * (y[0] - x[0] ** 2) ** 2 + (x[1:] ** 2).sum()
            + (y[1:] * x[1:]).sum() + (y[1:] ** 2).sum())


@pytest.mark.parametrize("options", [{}, {"lr": 0.5, "max_iter": 7, "history_size": 3},
                                     {"max_iter": 4, "max_eval": 3, "tolerance_change": 1e-4}])
def test_lbfgs_matches_pytorch_call_for_call(options):
    torch = pytest.importorskip("torch")
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
    with pytest.raises(ValueError, match="one parameter group"):
        mg.optim.LBFGS([{"params": [w]}, {"params": [mg.ones(1, requires_grad=True)]}])


def test_lbfgs_resumes_exactly_from_a_saved_state(tmp_path):
    def run(steps, resume_at=None):
        w = mg.tensor([3.0, -1.0, 0.5], dtype=mg.float64, requires_grad=True)
        opt = mg.optim.LBFGS([w], history_size=3, max_iter=4)

        def closure():
            opt.zero_grad()
            loss = ((w - 1.0) ** 2).sum() + (w[0] * w[1] * w[2]) ** 2
            loss.backward()
            return loss

        for step in range(steps):
            if step == resume_at:   # save, then continue in a fresh optimiser and tensor
                mg.save({"opt": opt.state_dict(), "w": w.data}, tmp_path / "lbfgs.npz")
                saved = mg.load(tmp_path / "lbfgs.npz")
                w = mg.tensor(saved["w"], dtype=mg.float64, requires_grad=True)
                opt = mg.optim.LBFGS([w], history_size=3, max_iter=4)
                opt.load_state_dict(saved["opt"])
            opt.step(closure)
        return w.numpy()

    np.testing.assert_array_equal(run(5, resume_at=3), run(5))


def test_lbfgs_refuses_a_history_that_does_not_fit():
    w = mg.ones(2, requires_grad=True)
    opt = mg.optim.LBFGS([w])
    state = opt.state_dict()
    state["history"].update(n_iter=1, d=np.ones(3), t=1.0, prev_flat_grad=np.ones(2),
                            old_dirs=np.ones((0, 2)), old_steps=np.ones((0, 2)), rho=[],
                            h_diag=1.0)
    with pytest.raises(ValueError, match=r"history\['d'\] of shape \(2,\), got \(3,\)"):
        mg.optim.LBFGS([mg.ones(2, requires_grad=True)]).load_state_dict(state)
    del state["history"]
    with pytest.raises(ValueError, match="expected a state dict with a 'history' entry"):
        opt.load_state_dict(state)
