"""See the graph that backpropagation through time walks: an RNN unrolled over 3 steps.

The reference text unrolls the recurrence h[t] = tanh(W_x x[t] + W_h h[t-1] + b)
into a chain h[1] -> h[2] -> h[3]. This script builds exactly that with minigrad's
own nn.RNNCell (or GRUCell, LSTMCell: --cell), applied to x[1], x[2], x[3], and
prints the tape recorded behind h[3]: one primitive per line, after the inputs it
used, with the shape it produced. The parameters, inputs and hidden states are called
by name, so the chain is easy to follow; it is the graph that backward() walks in
reverse. Every step repeats the same few lines with the same weights: that is
what "unrolled" means.

It also writes the graph as Graphviz DOT and, when Graphviz's dot program is
installed, draws it as SVG (named hidden states filled yellow, parameters blue), each
time step in a box of its own.

Run from the repository root:

    python examples/unrolled_graph.py
    python examples/unrolled_graph.py --cell lstm --steps 2

It writes <cell>_<steps>_steps.dot (and .svg) under --out (default runs/unrolled_graph).
"""

import sys

import _common as common  # before NumPy: it caps BLAS threads, which must come first

import minigrad as mg
from minigrad import nn, viz


def unroll(cell, steps, input_size):
    """Run ``cell`` over ``steps`` random inputs.

    Returns h[T], a name for every input and state (the parameters are named by the cell,
    ``module=``), and the state after each step, which groups the picture by time step.
    """
    names, states = {}, []
    parts = ("h", "c") if isinstance(cell, nn.LSTMCell) else ("h",)
    state = tuple(mg.zeros(1, cell.hidden_size) for _ in parts)
    names.update({s: f"{part}[0]" for part, s in zip(parts, state)})
    for t in range(1, steps + 1):
        x = mg.randn(1, input_size)
        names[x] = f"x[{t}]"
        state = cell(x, state if len(state) == 2 else state[0])
        state = state if isinstance(state, tuple) else (state,)
        names.update({s: f"{part}[{t}]" for part, s in zip(parts, state)})
        states.append(state)
    return state[0], names, states


def build_parser():
    """The command line: the options every example takes, then this script's own."""
    parser = common.make_parser(__doc__, "unrolled_graph")
    parser.add_argument("--cell", choices=sorted(common.CELLS), default="rnn",
                        help="the recurrent cell (default: rnn)")
    parser.add_argument("--steps", type=common.positive_int, metavar="N", default=3,
                        help="time steps to unroll (default: 3)")
    parser.add_argument("--hidden", type=common.positive_int, metavar="N", default=4,
                        help="hidden size (default: 4)")
    parser.add_argument("--input", type=common.positive_int, metavar="N", default=2,
                        help="input size (default: 2)")
    return parser


def main(argv=None):
    """Run the script with the arguments ``argv`` (default: the command line); return 0."""
    parser = build_parser()
    args = common.parse(parser, argv)
    mg.manual_seed(args.seed)
    with mg.default_backend(args.backend):
        cell = common.CELLS[args.cell](args.input, args.hidden)
        h, names, states = unroll(cell, args.steps, args.input)
        print(f"The tape behind h[{args.steps}], {type(cell).__name__} unrolled over "
              f"{args.steps} steps:\n")
        print(viz.tape(h, names, module=cell))
        dot = args.out / f"{args.cell}_{args.steps}_steps.dot"
        picture = viz.render(viz.to_dot(h, names, module=cell, steps=states), dot)
    print(f"\nwrote {dot}" + (f" and {picture}" if picture else
                              " (install Graphviz's dot program to draw it as SVG)"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
