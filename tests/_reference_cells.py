"""The recurrent cells in plain NumPy, written straight from the reference text.

Each gate has its own matrices, as in the reference equations (``W_zx x + W_zh h``);
they are cut out of a module's fused parameters by block order only. A missing bias
is zero, so with ``bias=False`` these are the reference equations word for word.
``params`` maps PyTorch's names (``weight_ih``, ``weight_hh``, ``bias_ih``,
``bias_hh``) to NumPy arrays.

``mask`` is recurrent dropout's (Gal and Ghahramani): every product with a ``W_h``
reads ``mask * h``, while the state carried on (the GRU's blend, the LSTM's c)
stays whole. 1 (the default) drops nothing.
"""

import numpy as np


def sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


def gate_blocks(params, letters):
    """Per gate letter: (W_x, W_h, b_x, b_h) from the fused parameters."""
    count = len(letters)
    w_x = np.split(params["weight_ih"], count)
    w_h = np.split(params["weight_hh"], count)
    rows = w_h[0].shape[0]
    zeros = np.zeros(count * rows)
    b_x = np.split(params.get("bias_ih", zeros), count)
    b_h = np.split(params.get("bias_hh", zeros), count)
    return {letter: blocks for letter, blocks in zip(letters, zip(w_x, w_h, b_x, b_h))}


def rnn_cell(x, h, params, nonlinearity="tanh", mask=1.0):
    """h[t] = f(W_x x[t] + W_h h[t-1] + b_h), with b_h split into b_ih + b_hh."""
    (w_x, w_h, b_x, b_h), = gate_blocks(params, "h").values()
    pre = x @ w_x.T + (mask * h) @ w_h.T + b_x + b_h
    return np.tanh(pre) if nonlinearity == "tanh" else np.maximum(pre, 0.0)


def gru_cell(x, h, params, reset_after=False, mask=1.0):
    """z, r, candidate h~ and the blend, in the reference text's order."""
    gates = gate_blocks(params, "rzn")
    h_in = mask * h
    w_zx, w_zh, b_zx, b_zh = gates["z"]
    w_rx, w_rh, b_rx, b_rh = gates["r"]
    w_hx, w_hh, b_hx, b_hh = gates["n"]
    z = sigmoid(x @ w_zx.T + b_zx + h_in @ w_zh.T + b_zh)
    r = sigmoid(x @ w_rx.T + b_rx + h_in @ w_rh.T + b_rh)
    if reset_after:
        candidate = np.tanh(x @ w_hx.T + b_hx + r * (h_in @ w_hh.T + b_hh))
    else:
        candidate = np.tanh(x @ w_hx.T + b_hx + (r * h_in) @ w_hh.T + b_hh)
    return (1 - z) * h + z * candidate


def lstm_cell(x, h, c, params, mask=1.0):
    """Forget, input, candidate, cell update, output, hidden state."""
    gates = gate_blocks(params, "ifgo")

    def pre(letter):
        w_x, w_h, b_x, b_h = gates[letter]
        return x @ w_x.T + b_x + (mask * h) @ w_h.T + b_h

    f = sigmoid(pre("f"))
    i = sigmoid(pre("i"))
    candidate = np.tanh(pre("g"))
    c = f * c + i * candidate
    o = sigmoid(pre("o"))
    return o * np.tanh(c), c


def cell_step(kind, x, state, params, **options):
    """One step of cell ``kind`` on a state given as a tuple ((h,) or (h, c))."""
    if kind == "LSTM":
        return lstm_cell(x, *state, params, **options)
    step = rnn_cell if kind == "RNN" else gru_cell
    return (step(x, state[0], params, **options),)


def sequence(kind, x, initial, params, num_layers, num_directions, masks=None, **options):
    """A stacked, possibly bidirectional recurrent layer, one step at a time.

    ``x`` is (T, B, I); ``initial`` is a list of state tuples, one per layer and
    direction; ``params`` holds the layer's names (``weight_ih_l0_reverse``...);
    ``masks``, if given, one recurrent dropout mask (B, H) per layer and direction, used
    at every step. Returns the outputs (T, B, num_directions * H) and the list of final
    states.
    """
    steps = x.shape[0]
    layer_input, finals = x, []
    for layer in range(num_layers):
        outputs = []
        for direction in range(num_directions):
            suffix = f"_l{layer}" + ("_reverse" if direction else "")
            own = {name[:-len(suffix)]: value for name, value in params.items()
                   if name.endswith(suffix)}
            state = initial[layer * num_directions + direction]
            if masks is not None:
                options["mask"] = masks[layer * num_directions + direction]
            hs = [None] * steps
            for t in (reversed(range(steps)) if direction else range(steps)):
                state = cell_step(kind, layer_input[t], state, own, **options)
                hs[t] = state[0]
            outputs.append(np.stack(hs))
            finals.append(state)
        layer_input = np.concatenate(outputs, axis=-1)
    return layer_input, finals
