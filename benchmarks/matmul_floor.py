"""The matmul floor: NumPy alone doing the matrix products of one training step.

Any engine that computes with NumPy must at least run these products, so their
time is a lower bound for minigrad (whatever the engine's overhead). The gap
between minigrad and the floor is what the engine itself costs.

Products are listed as ``(rows, inner, cols, count)``: ``count`` products of a
``(rows, inner)`` by an ``(inner, cols)`` float32 matrix.
"""

import numpy


def recurrent_products(gates, steps, batch, inputs, hidden, input_grad=False):
    """The products of a one-layer recurrent network's forward and backward (BPTT).

    Parameters
    ----------
    gates : int
        Gate blocks stacked in the weights: 4 for an LSTM, 3 for a GRU, 1 for an RNN.
    steps, batch, inputs, hidden : int
        ``T``, ``B``, ``I`` and ``H``.
    input_grad : bool
        Whether the input sequence needs a gradient (it does behind an embedding).
    """
    width = gates * hidden
    rows = steps * batch
    products = [
        (rows, inputs, width, 1),  # forward: the input projection of all steps at once
        (batch, hidden, width, steps),  # forward: h[t-1] @ W_hh.T at every step
        (width, rows, inputs, 1),  # backward: the gradient of W_ih, all steps at once
        # backward: the gradient of W_hh, all steps at once too: it only waits for the
        # gradients of every step, so one product of their stack serves (gradients.Deferred)
        (width, rows, hidden, 1),
        # backward: the gradient of h[t-1]; the initial state needs none
        (batch, width, hidden, steps - 1),
    ]
    if input_grad:
        products.append((rows, width, inputs, 1))
    return products


def linear_products(rows, inputs, outputs):
    """The products of a linear layer's forward and backward, its input needing a gradient."""
    return [(rows, inputs, outputs, 1), (outputs, rows, inputs, 1), (rows, outputs, inputs, 1)]


def matmul_floor(products, seed=0):
    """Return a step that runs ``products`` on random float32 matrices made beforehand."""
    rng = numpy.random.default_rng(seed)
    operands = [
        (rng.standard_normal((rows, inner), dtype=numpy.float32),
         rng.standard_normal((inner, cols), dtype=numpy.float32), count)
        for rows, inner, cols, count in products if count > 0
    ]

    def step():
        for a, b, count in operands:
            for _ in range(count):
                numpy.matmul(a, b)

    return step
