r"""The update rules: PyTorch's, step for step, on raw arrays of the parameter's backend."""

import math

from minigrad import backends

from .optimizer import Optimizer, _assign, _flag, _real

__all__ = ["SGD", "Adagrad", "Adam", "AdamW", "RMSprop"]


def _xp(param):
    return backends.get(param.backend).xp


def _decayed(grad, param, weight_decay):
    r"""The gradient with the L2 penalty's :math:`\lambda p` added (a new array)."""
    return grad + weight_decay * param.data if weight_decay else grad


class SGD(Optimizer):
    r"""Stochastic gradient descent with optional momentum, dampening, Nesterov and L2.

    For each parameter :math:`p` with gradient :math:`g`, at step :math:`t`:

    .. math::

        g_t &\leftarrow g_t + \lambda p_{t-1}, \\
        b_t &= \begin{cases} g_t & t = 1 \\ \mu b_{t-1} + (1 - \tau) g_t & t > 1 \end{cases}, \\
        p_t &= p_{t-1} - \eta\, (g_t + \mu b_t \text{ if Nesterov, else } b_t)

    where :math:`\eta` is ``lr``, :math:`\mu` ``momentum``, :math:`\tau` ``dampening``
    and :math:`\lambda` ``weight_decay``; with :math:`\mu = 0` there is no buffer and
    :math:`p_t = p_{t-1} - \eta g_t`. This is ``torch.optim.SGD``.

    Parameters
    ----------
    params : iterable
        The tensors to optimise, e.g. ``model.parameters()``, or parameter-group dicts.
    lr : float
        The learning rate :math:`\eta \ge 0`.
    momentum : float
        The momentum factor :math:`\mu \ge 0`.
    dampening : float
        :math:`\tau \ge 0`, scales down each new gradient in the buffer.
    weight_decay : float
        The L2 penalty :math:`\lambda \ge 0`, added to the gradient.
    nesterov : bool
        Nesterov momentum (needs ``momentum > 0`` and ``dampening == 0``, as in PyTorch).

    Examples
    --------
    >>> w = mg.tensor([1.0, -2.0], requires_grad=True)
    >>> opt = mg.optim.SGD([w], lr=0.1)
    >>> (w * w).sum().backward()
    >>> opt.step()
    >>> w
    tensor([ 0.8 -1.6], dtype=float32, requires_grad=True)
    """

    hyperparameter_names = ("lr", "momentum", "dampening", "weight_decay", "nesterov")
    state_arrays = ("momentum_buffer",)

    def __init__(self, params, lr, momentum=0.0, dampening=0.0, weight_decay=0.0,
                 nesterov=False):
        super().__init__(params, {"lr": lr, "momentum": momentum, "dampening": dampening,
                                  "weight_decay": weight_decay, "nesterov": nesterov})

    def _check_hyperparameters(self, lr, momentum, dampening, weight_decay, nesterov):
        owner = type(self).__name__
        settings = {"lr": _real(owner, "lr", lr), "momentum": _real(owner, "momentum", momentum),
                    "dampening": _real(owner, "dampening", dampening),
                    "weight_decay": _real(owner, "weight_decay", weight_decay),
                    "nesterov": _flag(owner, "nesterov", nesterov)}
        if settings["nesterov"] and (settings["momentum"] == 0 or settings["dampening"] != 0):
            raise ValueError(f"{owner}: nesterov=True needs momentum > 0 and dampening = 0, got "
                             f"momentum={momentum!r}, dampening={dampening!r}")
        return settings

    def _state_arrays(self, settings):
        return self.state_arrays if settings["momentum"] else ()

    def _update(self, param, grad, state, group):
        grad = _decayed(grad, param, group["weight_decay"])
        momentum = group["momentum"]
        if momentum:
            buffer = state.get("momentum_buffer")
            if buffer is None:
                # A fresh array (never the gradient itself): the buffer is updated in place.
                buffer = state["momentum_buffer"] = _xp(param).array(grad, dtype=param.dtype)
            else:
                buffer *= momentum
                buffer += (1.0 - group["dampening"]) * grad
            grad = grad + momentum * buffer if group["nesterov"] else buffer
        _assign(param, param.data - group["lr"] * grad)


class Adam(Optimizer):
    r"""Adam: steps scaled by running estimates of the gradient's first two moments.

    For each parameter :math:`p` with gradient :math:`g`, at step
    :math:`t = 1, 2, \ldots` (with :math:`m_0 = v_0 = 0`):

    .. math::

        g_t &\leftarrow g_t + \lambda p_{t-1}, \\
        m_t &= \beta_1 m_{t-1} + (1 - \beta_1)\, g_t, \\
        v_t &= \beta_2 v_{t-1} + (1 - \beta_2)\, g_t^2, \\
        p_t &= p_{t-1} - \frac{\eta}{1 - \beta_1^t} \cdot
               \frac{m_t}{\sqrt{v_t} / \sqrt{1 - \beta_2^t} + \epsilon}

    This is ``torch.optim.Adam``: the weight decay :math:`\lambda` is an L2
    penalty added to the gradient (:class:`AdamW` decouples it), and :math:`\epsilon` is
    added after the bias correction. With ``amsgrad`` the denominator uses the
    largest :math:`v` seen so far instead of :math:`v_t`.

    Parameters
    ----------
    params : iterable
        As in :class:`SGD`.
    lr : float
        The step's scale :math:`\eta \ge 0`.
    betas : tuple of float
        :math:`(\beta_1, \beta_2)`, each in :math:`[0, 1)`.
    eps : float
        :math:`\epsilon \ge 0`, keeps the denominator away from zero.
    weight_decay : float
        The L2 penalty :math:`\lambda \ge 0`.
    amsgrad : bool
        Keep the running maximum of :math:`v` (Reddi et al., 2018).

    Examples
    --------
    >>> w = mg.tensor([1.0, -2.0], requires_grad=True)
    >>> opt = mg.optim.Adam([w], lr=0.1)
    >>> (w * w).sum().backward()
    >>> opt.step()                  # the first step moves each weight by lr, against its gradient
    >>> w.numpy().round(6)
    array([ 0.9, -1.9], dtype=float32)
    """

    hyperparameter_names = ("lr", "betas", "eps", "weight_decay", "amsgrad")
    state_counters = ("step",)
    state_arrays = ("exp_avg", "exp_avg_sq", "max_exp_avg_sq")
    non_negative_state = ("exp_avg_sq", "max_exp_avg_sq")
    default_weight_decay = 0.0

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=None,
                 amsgrad=False):
        if weight_decay is None:
            weight_decay = self.default_weight_decay
        super().__init__(params, {"lr": lr, "betas": betas, "eps": eps,
                                  "weight_decay": weight_decay, "amsgrad": amsgrad})

    def _check_hyperparameters(self, lr, betas, eps, weight_decay, amsgrad):
        owner = type(self).__name__
        try:
            beta1, beta2 = betas
        except (TypeError, ValueError):
            raise TypeError(f"{owner}: expected betas to be a pair (beta1, beta2), "
                            f"got {betas!r}") from None
        return {"lr": _real(owner, "lr", lr),
                "betas": (_real(owner, "betas[0]", beta1, high=1.0),
                          _real(owner, "betas[1]", beta2, high=1.0)),
                "eps": _real(owner, "eps", eps),
                "weight_decay": _real(owner, "weight_decay", weight_decay),
                "amsgrad": _flag(owner, "amsgrad", amsgrad)}

    def _state_arrays(self, settings):
        return self.state_arrays if settings["amsgrad"] else self.state_arrays[:2]

    def _decay(self, param, grad, group):
        """Adam's weight decay: the L2 penalty joins the gradient."""
        return _decayed(grad, param, group["weight_decay"])

    def _update(self, param, grad, state, group):
        xp = _xp(param)
        if not state:
            state.update({"step": 0, **{name: xp.zeros_like(param.data)
                                        for name in self._state_arrays(group)}})
        grad = self._decay(param, grad, group)
        beta1, beta2 = group["betas"]
        state["step"] += 1
        exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
        exp_avg *= beta1
        exp_avg += (1.0 - beta1) * grad
        exp_avg_sq *= beta2
        exp_avg_sq += (1.0 - beta2) * grad * grad
        if group["amsgrad"]:
            xp.maximum(state["max_exp_avg_sq"], exp_avg_sq, out=state["max_exp_avg_sq"])
            exp_avg_sq = state["max_exp_avg_sq"]
        # Bias corrections are Python floats, so float32 parameters stay float32.
        step_size = group["lr"] / (1.0 - beta1 ** state["step"])
        denom = xp.sqrt(exp_avg_sq) / math.sqrt(1.0 - beta2 ** state["step"]) + group["eps"]
        _assign(param, param.data - step_size * exp_avg / denom)


class AdamW(Adam):
    r"""Adam with decoupled weight decay (Loshchilov and Hutter, 2019): ``torch.optim.AdamW``.

    Each step first shrinks the parameter, :math:`p \leftarrow (1 - \eta\lambda)\, p`,
    then takes :class:`Adam`'s step without any penalty in the gradient. The
    parameters are Adam's; ``weight_decay`` defaults to ``0.01``, as in PyTorch.
    """

    default_weight_decay = 1e-2

    def _decay(self, param, grad, group):
        if group["weight_decay"]:
            _assign(param, param.data * (1.0 - group["lr"] * group["weight_decay"]))
        return grad


class Adagrad(Optimizer):
    r"""Adagrad: each weight's step divided by the root of its summed squared gradients.

    .. math::

        g_t &\leftarrow g_t + \lambda p_{t-1}, \qquad
        s_t = s_{t-1} + g_t^2, \\
        p_t &= p_{t-1} - \frac{\eta}{1 + (t - 1)\,\delta} \cdot \frac{g_t}{\sqrt{s_t} + \epsilon}

    with :math:`s_0` = ``initial_accumulator_value`` and :math:`\delta` = ``lr_decay``:
    ``torch.optim.Adagrad``.

    Parameters
    ----------
    params : iterable
    lr, lr_decay, weight_decay, initial_accumulator_value, eps : float
        :math:`\eta`, :math:`\delta`, :math:`\lambda`, :math:`s_0`, :math:`\epsilon`, each
        :math:`\ge 0`.
    """

    hyperparameter_names = ("lr", "lr_decay", "weight_decay", "initial_accumulator_value",
                            "eps")
    state_counters = ("step",)
    state_arrays = ("sum",)
    non_negative_state = ("sum",)

    def __init__(self, params, lr=1e-2, lr_decay=0.0, weight_decay=0.0,
                 initial_accumulator_value=0.0, eps=1e-10):
        super().__init__(params, {"lr": lr, "lr_decay": lr_decay, "weight_decay": weight_decay,
                                  "initial_accumulator_value": initial_accumulator_value,
                                  "eps": eps})

    def _check_hyperparameters(self, **settings):
        return {name: _real(type(self).__name__, name, value) for name, value in settings.items()}

    def _update(self, param, grad, state, group):
        xp = _xp(param)
        if not state:
            state.update(step=0, sum=xp.full_like(param.data, group["initial_accumulator_value"]))
        grad = _decayed(grad, param, group["weight_decay"])
        state["step"] += 1
        state["sum"] += grad * grad
        step_size = group["lr"] / (1.0 + (state["step"] - 1) * group["lr_decay"])
        _assign(param, param.data - step_size * grad / (xp.sqrt(state["sum"]) + group["eps"]))


class RMSprop(Optimizer):
    r"""RMSprop: steps divided by a running root mean square of the gradient.

    .. math::

        g_t &\leftarrow g_t + \lambda p_{t-1}, \qquad
        v_t = \alpha v_{t-1} + (1 - \alpha)\, g_t^2, \\
        d_t &= \sqrt{v_t - \bar g_t^2} + \epsilon \text{ (centered) or }
               \sqrt{v_t} + \epsilon, \qquad
        \bar g_t = \alpha \bar g_{t-1} + (1 - \alpha)\, g_t, \\
        b_t &= \mu b_{t-1} + g_t / d_t, \qquad p_t = p_{t-1} - \eta\, b_t

    (without momentum, :math:`p_t = p_{t-1} - \eta\, g_t / d_t`): ``torch.optim.RMSprop``.

    Parameters
    ----------
    params : iterable
    lr, alpha, eps, weight_decay, momentum : float
        :math:`\eta`, :math:`\alpha \in [0, 1)`, :math:`\epsilon`, :math:`\lambda`,
        :math:`\mu`, each :math:`\ge 0`.
    centered : bool
        Divide by the estimated standard deviation instead of the root mean square.
    """

    hyperparameter_names = ("lr", "alpha", "eps", "weight_decay", "momentum", "centered")
    state_counters = ("step",)
    state_arrays = ("square_avg", "momentum_buffer", "grad_avg")
    non_negative_state = ("square_avg",)

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0,
                 centered=False):
        super().__init__(params, {"lr": lr, "alpha": alpha, "eps": eps,
                                  "weight_decay": weight_decay, "momentum": momentum,
                                  "centered": centered})

    def _check_hyperparameters(self, lr, alpha, eps, weight_decay, momentum, centered):
        owner = type(self).__name__
        return {"lr": _real(owner, "lr", lr), "alpha": _real(owner, "alpha", alpha, high=1.0),
                "eps": _real(owner, "eps", eps),
                "weight_decay": _real(owner, "weight_decay", weight_decay),
                "momentum": _real(owner, "momentum", momentum),
                "centered": _flag(owner, "centered", centered)}

    def _state_arrays(self, settings):
        return ("square_avg",) + (("momentum_buffer",) if settings["momentum"] else ()) + (
            ("grad_avg",) if settings["centered"] else ())

    def _update(self, param, grad, state, group):
        xp = _xp(param)
        if not state:
            state.update({"step": 0, **{name: xp.zeros_like(param.data)
                                        for name in self._state_arrays(group)}})
        grad = _decayed(grad, param, group["weight_decay"])
        alpha = group["alpha"]
        state["step"] += 1
        square_avg = state["square_avg"]
        square_avg *= alpha
        square_avg += (1.0 - alpha) * grad * grad
        if group["centered"]:
            grad_avg = state["grad_avg"]
            grad_avg *= alpha
            grad_avg += (1.0 - alpha) * grad
            denom = xp.sqrt(square_avg - grad_avg * grad_avg) + group["eps"]
        else:
            denom = xp.sqrt(square_avg) + group["eps"]
        step = grad / denom
        if group["momentum"]:
            buffer = state["momentum_buffer"]
            buffer *= group["momentum"]
            buffer += step
            step = buffer
        _assign(param, param.data - group["lr"] * step)
