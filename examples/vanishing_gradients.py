r"""Watch gradients vanish: ||dL/dh[t]|| through a tanh RNN, a GRU and an LSTM.

Backpropagation through time multiplies the gradient by one Jacobian per step,

    dL/dh[t] = dL/dh[t+1] . dh[t+1]/dh[t],

so the gradient reaching h[t] from a loss at step T is a product of T - t of them.
For a tanh RNN each factor is diag(1 - h[t+1]^2) W_hh: unless W_hh is large, the
product shrinks geometrically, and the first steps hear nothing from the loss.
The LSTM's cell state c[t] = f[t] * c[t-1] + i[t] * g[t] offers another path, on
which each factor is the forget gate f[t], a number between 0 and 1 that the network
sets; the GRU's h[t] = (1 - z[t]) * h[t-1] + z[t] * n[t] does the same with 1 - z[t].

This script unrolls each cell over --steps steps on random inputs, puts a loss on
the last hidden state only, L = sum(v * h[T]), keeps the gradient of every h[t]
with retain_grad(), and plots its norm against t on a log scale. It does so twice:

  * with PyTorch's initialisation, where every gate starts half open, so all three
    cells forget geometrically (the gated ones more slowly);
  * with the gates biased towards remembering (--gate-bias b: +b on the LSTM's
    forget gate, -b on the GRU's update gate, a common initialisation), where the
    gated cells carry the gradient across every step and the RNN, which has no
    gate to open, cannot.

Run from the repository root (a few seconds):

    python examples/vanishing_gradients.py
    python examples/vanishing_gradients.py --steps 300 --gate-bias 5
    python examples/vanishing_gradients.py --steps 20000 --checkpoint 150 --batch 4

The last one keeps 20,000 steps in little memory: each segment of 150 steps is
recomputed when the backward walk reaches it (mg.checkpoint), and the table shows
every 150th step.

It prints the table and writes gradient_norms.png under --out (default
runs/vanishing_gradients). Computed in float64, so tiny norms do not underflow.
"""

import sys

import _common as common  # before NumPy: it caps BLAS threads, which must come first
import numpy as np

import minigrad as mg


def build_cell(kind, args, gate_bias):
    """A float64 cell of ``kind``; ``gate_bias`` shifts the gate that keeps the old state.

    Both gates are block 1 of the fused biases: the LSTM's blocks are (i, f, g, o) and
    the GRU's (r, z, n). A larger forget gate f keeps more of c[t-1]; a smaller update
    gate z keeps more of h[t-1].
    """
    cell = common.CELLS[kind](args.input, args.hidden, dtype=mg.float64)
    keep = slice(args.hidden, 2 * args.hidden)
    if kind == "lstm":
        cell.bias_ih.data[keep] += gate_bias
    elif kind == "gru":
        cell.bias_ih.data[keep] -= gate_bias
    return cell


def run_steps(cell, x, state):
    """``cell`` over the steps of ``x`` from ``state``: the state after the last one."""
    for x_t in x:
        state = cell(x_t, state)
    return state


def gradient_norms(cell, x, v, segment=1):
    """The steps t and ``||dL/dh[t]||`` at each, with the loss ``L = sum(v * h[T])``.

    ``x`` is ``(T, B, input)``; ``v`` is ``(hidden,)``. With ``segment`` > 1 the steps
    run in segments of that many, each recomputed in backward (``mg.checkpoint``), so
    memory grows like T / segment + segment rather than T; the norms are then those of
    the states between segments.
    """
    steps = x.shape[0]
    state, hs = None, []
    for start in range(0, steps, segment):
        chunk = x[start:start + segment]
        state = (run_steps(cell, chunk, state) if segment == 1
                 else mg.checkpoint(run_steps, cell, chunk, state))
        h = state[0] if isinstance(state, tuple) else state  # the LSTM's state is (h, c)
        hs.append(h.retain_grad())
    (hs[-1] * v).sum().backward()
    times = np.minimum(np.arange(segment, steps + segment, segment), steps)
    return times, np.array([np.linalg.norm(h.grad.numpy()) for h in hs])


def measure(args):
    """The norms for each cell, with and without the gate bias.

    Returns ``{setting: {cell: (steps, norms)}}``, as :func:`gradient_norms` gives them.
    """
    x = mg.randn(args.steps, args.batch, args.input, dtype=mg.float64)
    v = mg.randn(args.hidden, dtype=mg.float64)
    results = {}
    for setting, bias in (("default initialisation", 0.0),
                          (f"memory gates biased open ({args.gate_bias:g})", args.gate_bias)):
        results[setting] = {}
        for kind in common.CELLS:
            mg.manual_seed(args.seed)  # the same weights for a cell in both settings
            results[setting][kind] = gradient_norms(build_cell(kind, args, bias), x, v,
                                                    args.checkpoint)
    return results


def print_table(results, steps):
    """Print about ten rows of norms, one column per setting and cell."""
    settings = list(results)
    times = next(iter(results[settings[0]].values()))[0]
    print("||dL/dh[t]||, loss at the last step t =", steps)
    print(" " * 6 + "".join(f"{s:^33}" for s in settings))
    print(f"{'t':>6}" + "".join(f"{kind:>11}" for s in settings for kind in results[s]))
    for row in sorted({*range(0, len(times), max(1, len(times) // 10)), len(times) - 1}):
        norms = (results[s][kind][1][row] for s in settings for kind in results[s])
        print(f"{times[row]:>6}" + "".join(f"{norm:>11.2e}" for norm in norms))


def build_parser():
    """The command line: the options every example takes, then this script's own."""
    parser = common.make_parser(__doc__, "vanishing_gradients")
    parser.add_argument("--steps", type=common.positive_int, metavar="N", default=100,
                        help="time steps T to unroll (default: 100)")
    parser.add_argument("--hidden", type=common.positive_int, metavar="N", default=64,
                        help="hidden size (default: 64)")
    parser.add_argument("--input", type=common.positive_int, metavar="N", default=32,
                        help="input size (default: 32)")
    parser.add_argument("--batch", type=common.positive_int, metavar="N", default=16,
                        help="sequences per batch (default: 16)")
    parser.add_argument("--gate-bias", type=float, metavar="B", default=3.0,
                        help="how far the second setting opens the memory gates (default: 3)")
    parser.add_argument("--checkpoint", type=common.positive_int, metavar="N", default=1,
                        help="run the steps in segments of N recomputed in backward "
                        "(mg.checkpoint), for long --steps in little memory; the norms are "
                        "then those of every N-th step (default: 1, every step kept)")
    return parser


def main(argv=None):
    """Run the script with the arguments ``argv`` (default: the command line); return 0."""
    parser = build_parser()
    args = common.parse(parser, argv)
    mg.manual_seed(args.seed)
    with mg.default_backend(args.backend):
        results = measure(args)
    print_table(results, args.steps)
    panels = {setting: {kind.upper(): curve for kind, curve in by_cell.items()}
              for setting, by_cell in results.items()}
    path = common.plot_curves(args.out / "gradient_norms.png", panels, xlabel="time step t",
                              ylabel=f"||dL/dh[t]||  (loss at t = {args.steps})", log_y=True)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
