"""The adding problem: can a recurrent network carry two numbers across a long sequence?

Each example is a sequence of T pairs (value, marker). The values are uniform in
[0, 1]; the markers are 0 except at two positions, one in each half of the
sequence. The target is the sum of the two marked values, read from the last hidden
state through a linear layer. The first marked value has to be kept for T/2 steps
or more, while everything else is noise: the classic test of long-range memory
(Hochreiter & Schmidhuber, 1997). A network that ignores the markers can do no
better than predicting the mean, 1, whose mean squared error is the variance of a
sum of two uniform numbers, 1/6.

This script trains a tanh RNN, a GRU and an LSTM, one after the other, on the same
stream of fresh random batches (Adam, clipped gradients), and plots their learning
curves against that baseline. With the defaults the gated cells break through the
1/6 line and the RNN stays on it.

Run from the repository root (about a minute on two CPU cores):

    python examples/adding_problem.py
    python examples/adding_problem.py --length 100 --steps 4000
    python examples/adding_problem.py --cells lstm gru --backend cupy

It writes learning_curves.png under --out (default runs/adding_problem).
"""

import sys

import _common as common  # before NumPy: it caps BLAS threads, which must come first
import numpy as np
from tqdm import tqdm

import minigrad as mg
from minigrad import nn

BASELINE = 1 / 6  # the error of always predicting 1: Var(U1 + U2) = 2/12


def adding_batch(length, batch, rng):
    """Inputs ``(length, batch, 2)`` of (value, marker) pairs and targets ``(batch, 1)``."""
    values = rng.random((length, batch))
    markers = np.zeros((length, batch))
    columns = np.arange(batch)
    markers[rng.integers(0, length // 2, batch), columns] = 1.0
    markers[rng.integers(length // 2, length, batch), columns] = 1.0
    x = np.stack([values, markers], axis=-1)
    y = (values * markers).sum(axis=0)[:, None]
    return x.astype(np.float32), y.astype(np.float32)


class Adder(nn.Module):
    """A recurrent layer read out by a linear layer at the last step."""

    def __init__(self, kind, hidden):
        super().__init__()
        self.rnn = common.LAYERS[kind](2, hidden)
        self.head = nn.Linear(hidden, 1)

    def forward(self, x):
        y, _ = self.rnn(x)
        return self.head(y[-1])


def learning_curve(kind, args):
    """Train one cell; return the steps and the mean loss over each ``--log-every`` steps."""
    mg.manual_seed(args.seed)
    model = Adder(kind, args.hidden)
    optimizer = mg.optim.Adam(model.parameters(), lr=args.lr)
    steps, losses, total = [], [], None
    for step in tqdm(range(1, args.steps + 1), desc=kind.upper(), unit="step",
                     dynamic_ncols=True):
        # Every cell sees the same batches: they depend on the seed and the step only.
        rng = np.random.default_rng([args.seed, step])
        x, y = adding_batch(args.length, args.batch, rng)
        prediction = model(mg.tensor(x, backend=args.backend))
        loss = nn.F.mse_loss(prediction, mg.tensor(y, backend=args.backend))
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        total = loss.detach() if total is None else total + loss.detach()  # stays on device
        if step % args.log_every == 0:
            steps.append(step)
            losses.append(total.item() / args.log_every)
            total = None
    return np.array(steps), np.array(losses)


def build_parser():
    """The command line: the options every example takes, then this script's own."""
    parser = common.make_parser(__doc__, "adding_problem")
    parser.add_argument("--cells", nargs="+", choices=sorted(common.LAYERS),
                        default=list(common.LAYERS),
                        help="which cells to train (default: rnn gru lstm)")
    parser.add_argument("--length", type=common.positive_int, metavar="N", default=50,
                        help="sequence length T, at least 2 (default: 50)")
    parser.add_argument("--steps", type=common.positive_int, metavar="N", default=2000,
                        help="updates per cell (default: 2000)")
    parser.add_argument("--hidden", type=common.positive_int, metavar="N", default=32,
                        help="hidden size (default: 32)")
    parser.add_argument("--batch", type=common.positive_int, metavar="N", default=32,
                        help="sequences per update (default: 32)")
    parser.add_argument("--lr", type=common.positive_float, default=3e-3,
                        help="Adam's learning rate (default: 0.003)")
    parser.add_argument("--log-every", type=common.positive_int, metavar="N", default=50,
                        help="steps averaged into each point of the curves (default: 50)")
    return parser


def main(argv=None):
    """Run the script with the arguments ``argv`` (default: the command line); return 0."""
    parser = build_parser()
    args = common.parse(parser, argv)
    if args.length < 2:
        parser.error("--length must be at least 2: one marker goes in each half")
    if args.log_every > args.steps:
        parser.error(f"--log-every ({args.log_every}) must not exceed --steps ({args.steps})")
    with mg.default_backend(args.backend):
        curves = {kind.upper(): learning_curve(kind, args) for kind in args.cells}
    for label, (_, losses) in curves.items():
        print(f"{label:>5}: mean squared error {losses[-1]:.4f} over the last "
              f"{args.log_every} steps (predicting the mean: {BASELINE:.4f})")
    title = f"adding problem, T = {args.length}"
    path = common.plot_curves(args.out / "learning_curves.png", {title: curves},
                              xlabel="step", ylabel="mean squared error", log_y=True,
                              baseline=(BASELINE, "predict the mean (1/6)"))
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
