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
the last hidden state only, L = sum(v * h[T]), measures the gradient reaching every
h[t] with mg.viz.gradient_flow, and plots its norm against t on a log scale. It
does so twice:

  * with PyTorch's initialisation, where every gate starts half open, so all three
    cells forget geometrically (the gated ones more slowly);
  * with the gates biased towards remembering (--gate-bias b: +b on the LSTM's
    forget gate, -b on the GRU's update gate, a common initialisation), where the
    gated cells carry the gradient across every step and the RNN, which has no
    gate to open, cannot.

Then it puts three models side by side with mg.viz.plot_gradient_flow, showing also
each step's share of dL/dW_hh, the gradient the recurrent weight learns from:

  * a tanh RNN as initialised, whose gradient vanishes;
  * the same RNN with its recurrent weights scaled by --explode, whose gradient
    explodes; clip_grad_norm_ then scales every step's share down by one factor,
    so the update stays bounded (it does not change which steps dominate);
  * an LSTM with its forget gate biased open (--gate-bias), which keeps it.

Run from the repository root (a few seconds):

    python examples/vanishing_gradients.py
    python examples/vanishing_gradients.py --steps 300 --gate-bias 5
    python examples/vanishing_gradients.py --steps 20000 --checkpoint 150 --batch 4

The last one keeps 20,000 steps in little memory: each segment of 150 steps is
recomputed when the backward walk reaches it (mg.checkpoint), and the table shows
every 150th step.

It prints the tables and writes gradient_norms.png and gradient_flow.png under
--out (default runs/vanishing_gradients). Computed in float64, so tiny norms do not underflow.
"""

import sys

import _common as common  # before NumPy: it caps BLAS threads, which must come first
import numpy as np

import minigrad as mg
from minigrad import nn


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
        hs.append(state[0] if isinstance(state, tuple) else state)  # an LSTM's is (h, c)
    times = np.minimum(np.arange(segment, steps + segment, segment), steps)
    return times, mg.viz.gradient_flow((hs[-1] * v).sum(), hs).states


def three_models(args):
    """The gradient flow of a tanh RNN, the RNN with large recurrent weights, and an LSTM.

    Returns ``{model: GradientFlow}``, each with every step's share of ``weight_hh``'s
    gradient, and a fourth entry: the exploding RNN's shares after ``clip_grad_norm_``
    (max norm 1), as measured on ``weight_hh.grad`` before and after clipping.
    """
    x = mg.randn(args.steps, args.batch, args.input, dtype=mg.float64)
    v = mg.randn(args.hidden, dtype=mg.float64)
    flows = {}
    for model, kind, bias, scale in (("tanh RNN", "rnn", 0.0, 1.0),
                                     (f"tanh RNN, W_hh x {args.explode:g}", "rnn", 0.0,
                                      args.explode),
                                     (f"LSTM, forget bias {args.gate_bias:g}", "lstm",
                                      args.gate_bias, 1.0)):
        mg.manual_seed(args.seed)  # the two RNNs differ only by the scale
        cell = build_cell(kind, args, bias)
        cell.weight_hh.data *= scale
        states, state = [], None
        for x_t in x:
            state = cell(x_t, state)
            states.append(state)
        loss = ((state[0] if kind == "lstm" else state) * v).sum()
        flows[model] = mg.viz.gradient_flow(loss, states, weight=cell.weight_hh)
        if scale != 1.0:  # the exploding one: clip, and see each step's share shrink
            loss.backward()
            before = np.linalg.norm(cell.weight_hh.grad.numpy())
            nn.utils.clip_grad_norm_(cell.parameters(), max_norm=1.0)
            shrink = np.linalg.norm(cell.weight_hh.grad.numpy()) / before
            flows[f"{model}, clipped"] = mg.viz.GradientFlow(None, flows[model].weight * shrink)
    return flows


def print_flows(flows):
    """Print each model's ||dL/dh[t]|| and step share of dL/dW_hh at a few steps."""
    steps = len(next(iter(flows.values())).weight)
    rows = sorted({*range(0, steps, max(1, steps // 5)), steps - 1})
    print("\nper step t: ||dL/dh[t]||  |  ||step t's share of dL/dW_hh||")
    for model, flow in flows.items():
        print(f"  {model}")
        for field, norms in (("dL/dh", flow.states), ("W_hh", flow.weight)):
            if norms is not None:
                print(f"{field:>10}" + "".join(f"  t={r + 1}: {norms[r]:.2e}" for r in rows))


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
                        "then those of every N-th step, and the three models' comparison, "
                        "which keeps every step, is left out (default: 1, every step kept)")
    parser.add_argument("--explode", type=float, metavar="S", default=3.0,
                        help="scale of the exploding RNN's recurrent weights (default: 3)")
    return parser


def main(argv=None):
    """Run the script with the arguments ``argv`` (default: the command line); return 0."""
    parser = build_parser()
    args = common.parse(parser, argv)
    mg.manual_seed(args.seed)
    with mg.default_backend(args.backend):
        results = measure(args)
        flows = three_models(args) if args.checkpoint == 1 else None
    print_table(results, args.steps)
    panels = {setting: {kind.upper(): curve for kind, curve in by_cell.items()}
              for setting, by_cell in results.items()}
    path = common.plot_curves(args.out / "gradient_norms.png", panels, xlabel="time step t",
                              ylabel=f"||dL/dh[t]||  (loss at t = {args.steps})", log_y=True)
    print(f"wrote {path}")
    if flows is not None:
        print_flows(flows)
        path = args.out / "gradient_flow.png"
        mg.viz.plot_gradient_flow(flows, path, title=f"loss at t = {args.steps}")
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
