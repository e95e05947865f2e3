r"""L-BFGS: PyTorch's ``torch.optim.LBFGS``, step for step, without a line search."""

from minigrad import backends
from minigrad.grad_mode import enable_grad

from .optimizer import Optimizer, _assign, _counter, _real

__all__ = ["LBFGS"]


class LBFGS(Optimizer):
    r"""Limited-memory BFGS: quasi-Newton steps from the last ``history_size`` curvature pairs.

    Each :meth:`step` calls ``closure`` (which must zero the gradients, compute the loss,
    call ``backward()`` and return the loss) up to ``max_eval`` times and takes up to
    ``max_iter`` steps :math:`p \leftarrow p + t\,d`, where the direction :math:`d = -H g`
    comes from the two-loop recursion over the stored pairs
    :math:`(s_k, y_k) = (t\,d,\; g_{k+1} - g_k)` (pairs with :math:`y^\top s \le 10^{-10}`
    are skipped) and :math:`H_0 = y^\top s / y^\top y`. The first step of all is
    :math:`t = \eta \min(1, 1 / \|g\|_1)`, later ones :math:`t = \eta`. It stops early on
    a gradient below ``tolerance_grad`` (max norm) or a change in step or loss below
    ``tolerance_change``. This is PyTorch's algorithm with ``line_search_fn=None``;
    the strong-Wolfe line search is not provided. As in PyTorch, it takes one parameter
    group, and its history lives across calls of :meth:`step`; :meth:`state_dict` saves it,
    so a resumed run continues exactly.

    Parameters
    ----------
    params : iterable of Tensor
        The tensors to optimise (one group).
    lr : float
        :math:`\eta`, the step length.
    max_iter : int
        Steps per :meth:`step` call.
    max_eval : int, optional
        Closure calls per :meth:`step`; ``max_iter * 5 // 4`` by default.
    tolerance_grad, tolerance_change : float
    history_size : int
    line_search_fn : None
        Only ``None``; ``"strong_wolfe"`` is refused with a ``ValueError``.

    Examples
    --------
    >>> w = mg.tensor([3.0, -1.0], dtype=mg.float64, requires_grad=True)
    >>> opt = mg.optim.LBFGS([w])
    >>> def closure():
    ...     opt.zero_grad()
    ...     loss = ((w - 1.0) ** 2).sum() + (w[0] * w[1]) ** 2
    ...     loss.backward()
    ...     return loss
    >>> for _ in range(3):
    ...     loss = opt.step(closure)      # the loss at the start of this step
    >>> w.numpy().round(4)                # the minimum, where w0 = w1 = 1 - w0 w1^2
    array([0.6823, 0.6823])
    """

    hyperparameter_names = ("lr", "max_iter", "max_eval", "tolerance_grad", "tolerance_change",
                            "history_size", "line_search_fn")

    def __init__(self, params, lr=1.0, max_iter=20, max_eval=None, tolerance_grad=1e-7,
                 tolerance_change=1e-9, history_size=100, line_search_fn=None):
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        super().__init__(params, {
            "lr": lr, "max_iter": max_iter, "max_eval": max_eval, "tolerance_grad": tolerance_grad,
            "tolerance_change": tolerance_change, "history_size": history_size,
            "line_search_fn": line_search_fn})
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS: expected one parameter group (PyTorch's LBFGS takes one), "
                             f"got {len(self.param_groups)}")
        self.history = {"n_iter": 0, "func_evals": 0}

    def _check_hyperparameters(self, lr, max_iter, max_eval, tolerance_grad, tolerance_change,
                               history_size, line_search_fn):
        if line_search_fn is not None:
            raise ValueError(f"LBFGS: expected line_search_fn=None (the strong-Wolfe search is "
                             f"not provided), got {line_search_fn!r}")
        counts = {name: _counter("LBFGS", name, value) for name, value in
                  (("max_iter", max_iter), ("max_eval", max_eval), ("history_size", history_size))}
        return {"lr": _real("LBFGS", "lr", lr), **counts,
                "tolerance_grad": _real("LBFGS", "tolerance_grad", tolerance_grad),
                "tolerance_change": _real("LBFGS", "tolerance_change", tolerance_change),
                "line_search_fn": None}

    _needs_closure = ("LBFGS: step() needs a closure that recomputes the loss; "
                      "write optimizer.step(closure)")

    def _update(self, param, grad, state, group):
        raise TypeError(self._needs_closure)

    def _flat_grad(self, xp):
        return xp.concatenate([
            xp.zeros(param.data.size, dtype=param.dtype) if param.grad is None
            else param.grad.data.reshape(-1) for param in self.params])

    def _move(self, step_length, direction):
        """``p += t d`` for every parameter, each taking its slice of the flat ``d``."""
        offset = 0
        for param in self.params:
            size = param.data.size
            piece = direction[offset:offset + size].reshape(param.shape)
            _assign(param, param.data + step_length * piece.astype(param.dtype))
            offset += size

    def step(self, closure=None):
        """Run up to ``max_iter`` L-BFGS steps; return the closure's first loss.

        Raises
        ------
        TypeError
            Without a closure.
        """
        if closure is None:
            raise TypeError(self._needs_closure)
        group, history = self.param_groups[0], self.history
        xp = backends.get(self.params[0].backend).xp
        first_loss = _evaluate(closure)
        loss, evals = float(first_loss.item()), 1
        history["func_evals"] += 1
        flat_grad = self._flat_grad(xp)
        if abs(flat_grad).max() <= group["tolerance_grad"]:
            return first_loss
        for iteration in range(1, group["max_iter"] + 1):
            history["n_iter"] += 1
            direction = self._direction(xp, flat_grad, group)
            history["prev_flat_grad"], prev_loss = flat_grad.copy(), loss
            if history["n_iter"] == 1:
                step_length = min(1.0, 1.0 / float(abs(flat_grad).sum())) * group["lr"]
            else:
                step_length = group["lr"]
            history["d"], history["t"] = direction, step_length
            if float(flat_grad @ direction) > -group["tolerance_change"]:
                break
            self._move(step_length, direction)
            converged = False
            if iteration != group["max_iter"]:
                loss = float(_evaluate(closure).item())
                flat_grad = self._flat_grad(xp)
                converged = abs(flat_grad).max() <= group["tolerance_grad"]
                evals += 1
                history["func_evals"] += 1
            if (iteration == group["max_iter"] or evals >= group["max_eval"] or converged
                    or abs(direction * step_length).max() <= group["tolerance_change"]
                    or abs(loss - prev_loss) < group["tolerance_change"]):
                break
        return first_loss

    def _direction(self, xp, flat_grad, group):
        """The two-loop recursion: :math:`-H g` from the stored curvature pairs."""
        history = self.history
        if history["n_iter"] == 1:
            history.update(old_dirs=[], old_steps=[], rho=[], h_diag=1.0)
            return -flat_grad
        y = flat_grad - history["prev_flat_grad"]
        s = history["d"] * history["t"]
        ys = float(y @ s)
        if ys > 1e-10:
            if len(history["old_dirs"]) == group["history_size"]:
                for key in ("old_dirs", "old_steps", "rho"):
                    history[key].pop(0)
            history["old_dirs"].append(y)
            history["old_steps"].append(s)
            history["rho"].append(1.0 / ys)
            history["h_diag"] = ys / float(y @ y)
        pairs = list(zip(history["old_dirs"], history["old_steps"], history["rho"]))
        alphas = []
        q = -flat_grad
        for old_dir, old_step, rho in reversed(pairs):
            alphas.append(float(old_step @ q) * rho)
            q = q - alphas[-1] * old_dir
        r = q * history["h_diag"]
        for (old_dir, old_step, rho), alpha in zip(pairs, reversed(alphas), strict=True):
            beta = float(old_dir @ r) * rho
            r = r + (alpha - beta) * old_step
        return r

    def state_dict(self):
        """The settings, as every optimiser's, and the curvature history under ``"history"``.

        The history holds the step counts and, once a step has run, the last direction
        ``d`` and step length ``t``, the last flat gradient, and the stored pairs stacked
        as ``(k, n)`` arrays (``n`` the parameters' total size) with their ``rho``. A
        loaded state continues exactly where the saved optimiser stopped.
        """
        state = super().state_dict()
        history = {key: value for key, value in self.history.items() if key not in _PAIRS}
        for key in ("d", "prev_flat_grad"):
            if key in history:
                history[key] = self._host(history[key])
        if "old_dirs" in self.history:
            n = sum(param.data.size for param in self.params)
            for key in ("old_dirs", "old_steps"):
                rows = [self._host(row) for row in self.history[key]]
                history[key] = (backends.get("numpy").xp.stack(rows) if rows
                                else backends.get("numpy").xp.zeros((0, n)))
            history["rho"] = list(self.history["rho"])
        return {**state, "history": history}

    def load_state_dict(self, state_dict):
        """Restore what :meth:`state_dict` returned (or a loaded file), checked first.

        Raises
        ------
        ValueError
            If the history is missing or its arrays do not fit these parameters.
        TypeError
            If an entry has the wrong type.
        """
        owner = "LBFGS.load_state_dict"
        if not isinstance(state_dict, dict) or "history" not in state_dict:
            raise ValueError(f"{owner}: expected a state dict with a 'history' entry, as "
                             "LBFGS.state_dict() makes")
        history = self._loaded_history(owner, state_dict["history"])
        super().load_state_dict({k: v for k, v in state_dict.items() if k != "history"})
        self.history = history

    def _loaded_history(self, owner, saved):
        """``saved`` checked and turned back into the history :meth:`step` works with."""
        if not isinstance(saved, dict):
            raise TypeError(f"{owner}: expected 'history' to be a dict, got "
                            f"{type(saved).__name__}")
        history = {key: _counter(owner, f"history[{key!r}]", saved.get(key))
                   for key in ("n_iter", "func_evals")}
        if history["n_iter"] == 0:
            return history
        n = sum(param.data.size for param in self.params)
        xp = backends.get(self.params[0].backend).xp
        try:
            rho = [float(value) for value in saved["rho"]]
            history.update(t=float(saved["t"]), h_diag=float(saved["h_diag"]), rho=rho)
            arrays = {key: saved[key] for key in ("d", "prev_flat_grad", "old_dirs",
                                                  "old_steps")}
        except (KeyError, TypeError, ValueError) as err:
            raise ValueError(f"{owner}: expected the history of an LBFGS that has stepped "
                             f"(d, t, prev_flat_grad, old_dirs, old_steps, rho, h_diag), "
                             f"got keys {sorted(saved)} ({err})") from None
        expected = {"d": (n,), "prev_flat_grad": (n,), "old_dirs": (len(rho), n),
                    "old_steps": (len(rho), n)}
        for key, array in arrays.items():
            if getattr(array, "shape", None) != expected[key]:
                raise ValueError(f"{owner}: expected history[{key!r}] of shape "
                                 f"{expected[key]}, got {getattr(array, 'shape', array)!r}")
            array = xp.asarray(array, dtype=self.params[0].dtype)
            history[key] = list(array) if key in _PAIRS else array
        return history

    def _host(self, array):
        return backends.get(self.params[0].backend).to_host(array).copy()


# The stored curvature pairs: lists of flat arrays in the history, stacked in a state dict.
_PAIRS = ("old_dirs", "old_steps", "rho")


def _evaluate(closure):
    """The closure's loss, computed with gradients recorded (inside no_grad too)."""
    with enable_grad():
        return closure()
