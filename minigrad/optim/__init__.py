r"""Optimisers: turn the gradients in ``.grad`` into parameter updates.

An optimiser holds parameter groups, as PyTorch's does (``param_groups``: each a dict
of ``"params"``, a list of leaf tensors, and every hyper-parameter by name, changeable
between steps) and, per parameter, a small *state* (momentum buffers, moment estimates). Each
:meth:`~Optimizer.step` reads ``p.grad`` and gives ``p`` a new array: a parameter
stays the same object that the model and the tape know, and an array that the tape
saved for a backward rule keeps its values, so a backward pass run after a step
still differentiates what the forward pass computed. The update
rules are PyTorch's, step for step, so training runs agree with
``torch.optim`` to rounding.

Updates work on raw arrays with the parameter's backend namespace ``xp``; they
record nothing on the tape. Gradient arrays are only ever read: one array may
be the ``.grad`` of several leaves, or a read-only broadcast view.

The state dict
--------------
:meth:`Optimizer.state_dict` returns plain data that :func:`minigrad.save`
writes as it is::

    {
        "optimizer": "Adam",                 # the class name, checked on load
        "num_params": 3,                     # how many parameters, all groups together
        "param_groups": {                    # keyed by group position, as a str
            "0": {"lr": 0.001, "betas": (0.9, 0.999), "eps": 1e-08, "weight_decay": 0.0,
                  "amsgrad": False, "params": [0, 1, 2]},     # parameter positions
        },
        "state": {                           # keyed by parameter position, as a str;
            "0": {"step": 3,                 # parameters never stepped have no entry
                  "exp_avg": array, "exp_avg_sq": array},
        },
    }

SGD's per-parameter state is ``{"momentum_buffer": array}`` (only when
``momentum > 0``); Adam's holds ``max_exp_avg_sq`` too with ``amsgrad``. Arrays are
copies on the parameters' backend;
:meth:`Optimizer.load_state_dict` accepts arrays of any backend (e.g. the NumPy
arrays :func:`minigrad.load` returns) and moves them to each parameter's
backend and dtype.

Every :meth:`~Optimizer.step` takes an optional *closure*, a function that recomputes
the loss and its gradients and returns the loss, and returns that loss, as in PyTorch::

    def closure():
        optimizer.zero_grad()
        loss = criterion(model(x), y)
        loss.backward()
        return loss

    loss = optimizer.step(closure)
"""

from . import lr_scheduler
from .algorithms import SGD, Adagrad, Adam, AdamW, RMSprop
from .lbfgs import LBFGS
from .optimizer import Optimizer

__all__ = ["LBFGS", "SGD", "Adagrad", "Adam", "AdamW", "Optimizer", "RMSprop", "lr_scheduler"]

