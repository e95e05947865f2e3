"""What the example scripts share: their common options, the output folder, plots.

Every example takes ``--out DIR`` (everything it writes goes there), ``--backend``
(``numpy`` or ``cupy``) and ``--seed``. They need the ``examples`` extra:
``pip install -e ".[examples]"`` (tqdm and matplotlib).
"""

import argparse
import os
from pathlib import Path

# Before NumPy loads, so scripts import this module first. The examples multiply small matrices,
# where BLAS threads gain little, and threads that spin-wait for a busy core can slow a
# run tenfold. Set OPENBLAS_NUM_THREADS (or OMP_/MKL_) yourself to choose otherwise.
for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

import matplotlib  # noqa: E402  (after the thread settings above)

matplotlib.use("Agg")  # draw into files only: the examples run on servers and in tests
import matplotlib.pyplot as plt  # noqa: E402

import minigrad as mg  # noqa: E402
from minigrad import nn  # noqa: E402

# The three recurrent cells and the sequence layers that unroll them, by --cell name.
CELLS = {"rnn": nn.RNNCell, "gru": nn.GRUCell, "lstm": nn.LSTMCell}
LAYERS = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}


def make_parser(doc, name):
    """An argument parser whose help is the script's docstring, with the shared options.

    Parameters
    ----------
    doc : str
        The script's module docstring.
    name : str
        The script's name; its default output folder is ``runs/<name>``.
    """
    parser = argparse.ArgumentParser(
        description=doc, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, metavar="DIR", default=Path("runs") / name,
                        help="folder for everything this script writes (default: %(default)s)")
    parser.add_argument("--backend", metavar="NAME", default="numpy",
                        help="where the arrays live: numpy (CPU) or cupy (GPU) (default: numpy)")
    parser.add_argument("--seed", type=seed, metavar="N", default=0,
                        help="random seed for initialisation and data (default: 0)")
    return parser


def parse(parser, argv):
    """Parse ``argv``, check the backend and create the output folder."""
    args = parser.parse_args(argv)
    try:
        mg.backends.get(args.backend)
    except (mg.BackendUnavailableError, ValueError) as err:
        fail(parser, f"--backend {args.backend}: {err}")
    try:
        args.out.mkdir(parents=True, exist_ok=True)
    except OSError as err:  # a file of that name, a folder we may not write in...
        fail(parser, f"--out {args.out}: cannot create the folder: {err.strerror}")
    return args


def fail(parser, message):
    """Stop with ``message`` on one line and exit code 2, as argparse does for bad options
    but without the usage text: the problem is in a file or a value, not in the syntax."""
    parser.exit(2, f"{parser.prog}: error: {message}\n")


def positive_int(text):
    """An argparse type: an integer of at least 1."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1, got {value}")
    return value


def segments(text):
    """An argparse type for ``--checkpoint``: ``sqrt`` or a segment length of at least 1."""
    if text == "sqrt":
        return text
    if not text.strip().isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected sqrt or an integer >= 1, got {text!r}")
    return int(text)


def seed(text):
    """An argparse type: a seed for mg.manual_seed that a checkpoint can store (in int64)."""
    value = int(text)
    if not 0 <= value < 2**63:
        raise argparse.ArgumentTypeError(f"expected an integer in [0, 2**63), got {value}")
    return value


def positive_float(text):
    """An argparse type: a number greater than 0."""
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a number > 0, got {value}")
    return value


def plot_curves(path, panels, xlabel, ylabel, log_y=False, baseline=None):
    """Draw line plots side by side, sharing the y axis, into the PNG file ``path``.

    Parameters
    ----------
    panels : dict of str to dict of str to (x, y)
        Each panel's title and its curves: the label of each line and its points.
    baseline : (float, str), optional
        A horizontal reference line and its label, drawn dashed in every panel.
    """
    fig, axes = plt.subplots(1, len(panels), figsize=(1 + 6 * len(panels), 4.5), dpi=120,
                             sharey=True, squeeze=False)
    for ax, (title, curves) in zip(axes[0], panels.items()):
        for label, (x, y) in curves.items():
            # Mark the points of short series, such as a handful of validation losses.
            ax.plot(x, y, label=label, linewidth=1.5, marker="o" if len(x) < 30 else None)
        if baseline is not None:
            ax.axhline(baseline[0], color="gray", linestyle="--", linewidth=1, label=baseline[1])
        ax.set(title=title, xlabel=xlabel, yscale="log" if log_y else "linear")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend()
    axes[0, 0].set_ylabel(ylabel)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path
