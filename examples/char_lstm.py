"""Train a character-level language model, then write text with it: minigrad's main job.

The model reads text one character at a time, Embedding -> LSTM (or GRU, or a plain
tanh RNN: --cell) -> Linear, and learns to predict the next character. Training is
truncated backpropagation through time, run by nn.utils.truncated_bptt: the text is
cut into --batch parallel streams; each step trains on the next --seq-len
characters of every stream, and backward runs through those steps only. The hidden
state carries over to the next step, detached from the graph, so the model keeps
its context while the graph, and the memory it takes, stays --seq-len steps long.
With --bptt N > --seq-len, each step's gradient reaches N characters back instead
(Williams and Peng's TBPTT(seq_len, N)): the last N - seq_len characters of the
previous steps are run again, from the state kept where they start, for the
context they give the gradient. Adam updates the weights after clip_grad_norm_
caps the gradient's norm.

By default it trains on the docstrings of part of Python's standard library, read
from the source files of the Python that runs it: English prose that ships with
every install, so nothing is downloaded. --text FILE trains on any UTF-8 text.

Run from the repository root (the default takes about two minutes on two CPU cores):

    python examples/char_lstm.py
    python examples/char_lstm.py --cell gru --hidden 256 --steps 5000
    python examples/char_lstm.py --seq-len 32 --bptt 96
    python examples/char_lstm.py --text my_book.txt --prime "Once upon a time"
    python examples/char_lstm.py --resume runs/char_lstm/checkpoint.npz --steps 3000
    python examples/char_lstm.py --backend cupy
    mpiexec -n 2 python examples/char_lstm.py      # data-parallel, on two processes

Under mpiexec each rank trains on its block of --batch/N streams and the ranks average
their gradients (nn.parallel.DistributedDataParallel): the same run as one process, in
less time where there are cores to spare. Only rank 0 prints and writes files; a
checkpoint holds the whole batch's state, so it resumes on any number of ranks that
divides --batch.

Everything goes under --out (default runs/char_lstm):

    checkpoint.npz  model, optimiser, step and vocabulary (mg.save), written at each
                    evaluation, at the end and on Ctrl-C; --resume continues from it
                    exactly as if the run had never stopped
    loss.png        training and validation loss, with the unigram baseline
    samples.txt     the text sampled at each evaluation
"""

import ast
import contextlib
import math
import os
import signal
import sys
import sysconfig
import time
import zlib
from pathlib import Path

import _common as common  # before NumPy: it caps BLAS threads, which must come first
import numpy as np
from tqdm import tqdm

import minigrad as mg
from minigrad import distributed as dist
from minigrad import nn

# Modules whose docstrings make the default corpus: a fixed, sorted list, so the text is
# the same on every run. Modules that a Python version lacks are skipped.
STDLIB_MODULES = (
    "argparse", "ast", "bdb", "calendar", "cmd", "codecs", "collections", "configparser",
    "contextlib", "copy", "csv", "dataclasses", "datetime", "difflib", "doctest",
    "email.message", "enum", "fileinput", "fractions", "ftplib", "functools", "gettext",
    "heapq", "http.client", "http.server", "imaplib", "inspect", "ipaddress", "json",
    "logging", "mailbox", "optparse", "os", "pathlib", "pdb", "pickle", "pydoc", "queue",
    "random", "shutil", "smtplib", "socket", "socketserver", "ssl", "statistics", "string",
    "subprocess", "tarfile", "tempfile", "textwrap", "threading", "timeit", "traceback",
    "typing", "unittest.case", "urllib.parse", "urllib.request", "uuid", "warnings", "zipfile",
)
MAX_CORPUS_CHARS = 1_000_000
MAX_VALIDATION_CHARS = 50_000
# Settings that shape the model or the sequence of updates: a resumed run takes them
# from the checkpoint, which is what makes it continue exactly where it stopped.
RUN_SETTINGS = ("cell", "embed", "hidden", "layers", "batch", "seq_len", "bptt", "lr", "clip",
                "seed")


# ---- the text ---------------------------------------------------------------------------


def stdlib_docstrings():
    """The docstrings of :data:`STDLIB_MODULES`, read from source with :mod:`ast`.

    Parsing instead of importing runs none of the modules' code, and it works under
    ``python -OO``, which strips docstrings from imported modules.
    """
    root = Path(sysconfig.get_paths()["stdlib"])
    parts = []
    for name in STDLIB_MODULES:
        module = Path(*name.split("."))
        for path in (root / module.with_suffix(".py"), root / module / "__init__.py"):
            if path.is_file():
                parts.extend(_docstrings(ast.parse(path.read_bytes())))
                break
    return "\n\n".join(parts)[:MAX_CORPUS_CHARS]


def _docstrings(tree):
    """The docstrings of a module, its classes and functions, in source order."""
    kinds = (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)
    nodes = sorted((n for n in ast.walk(tree) if isinstance(n, kinds)),
                   key=lambda n: getattr(n, "lineno", 0))
    return [doc for n in nodes if (doc := ast.get_docstring(n))]


def read_text(path):
    """The contents of the UTF-8 text file ``path``; a ``ValueError`` says what is wrong."""
    try:
        data = Path(path).read_bytes()
    except OSError as err:
        raise ValueError(f"cannot read {path}: {err.strerror}") from None
    if not data.strip():
        raise ValueError(f"{path} is empty; expected UTF-8 text")
    if b"\0" in data:
        raise ValueError(f"{path} looks like a binary file (it holds NUL bytes); "
                         "expected UTF-8 text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise ValueError(f"{path} is not UTF-8 text (byte {data[err.start]:#04x} at offset "
                         f"{err.start}); convert it to UTF-8 first") from None


def encode(text, vocab=None):
    """Map ``text`` to integer ids; the vocabulary is the sorted array of its code points."""
    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    if vocab is None:
        vocab = np.unique(codes)
    return np.searchsorted(vocab, codes), vocab


def decode(ids, vocab):
    """The text whose ids are ``ids``."""
    return "".join(map(chr, vocab[np.asarray(ids)]))


def min_length(batch, seq_len):
    """The shortest text that gives every stream one chunk to train on and a few
    characters to validate on, once 5% are held out."""
    return max(40 * batch, 2 * batch * (seq_len + 1))


def split_streams(ids, batch):
    """Hold out the tail for validation and cut both parts into ``batch`` streams.

    Returns two time-major arrays, ``(length, batch)``: column ``b`` is stream ``b``.
    """
    n_val = min(len(ids) // 20, MAX_VALIDATION_CHARS)
    train, val = ids[:-n_val], ids[-n_val:]
    return _streams(train, batch), _streams(val, batch)


def _streams(ids, batch):
    length = len(ids) // batch
    return ids[:length * batch].reshape(batch, length).T


def unigram_loss(train, val, vocab_size):
    """Cross-entropy on ``val`` (nats per character) of the model that ignores context.

    It predicts every character with its frequency in ``train`` (add-one smoothed):
    the loss to beat, since anything lower must come from reading the context.
    """
    counts = np.bincount(train.ravel(), minlength=vocab_size) + 1.0
    return float(-np.log(counts / counts.sum())[val.ravel()].mean())


# ---- the model --------------------------------------------------------------------------


class CharModel(nn.Module):
    """Embedding -> recurrent layer -> Linear: next-character logits for every position.

    The recurrent state is always a tuple, ``(h,)`` for RNN and GRU and ``(h, c)``
    for LSTM, so that the training loop treats the three cells alike.
    """

    def __init__(self, vocab_size, cell="lstm", embed=32, hidden=128, layers=1, checkpoint=None):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, embed)
        self.rnn = common.LAYERS[cell](embed, hidden, num_layers=layers, checkpoint=checkpoint)
        self.head = nn.Linear(hidden, vocab_size)
        self.state_shape = (2 if cell == "lstm" else 1, layers, hidden)

    def forward(self, x, state):
        """Logits ``(T, B, vocab)`` for ids ``x`` of shape ``(T, B)``, and the new state."""
        y, state = self.rnn(self.embed(x), state if len(state) == 2 else state[0])
        return self.head(y), (state if isinstance(state, tuple) else (state,))

    def initial_state(self, batch):
        """The all-zero state for ``batch`` streams."""
        parts, layers, hidden = self.state_shape
        return tuple(mg.zeros(layers, batch, hidden) for _ in range(parts))


# ---- training -----------------------------------------------------------------------------


class Trainer:
    """One training run: the data, the model and optimiser, the step and the carried state.

    Parameters
    ----------
    args : argparse.Namespace
        The run's settings (see ``--help``).
    text : str
        The whole corpus; its last 5% (at most 50,000 characters) are held out.
    source : str
        What the text is, for messages.
    vocab : numpy.ndarray, optional
        The vocabulary of a checkpoint being resumed.
    """

    def __init__(self, args, text, source, vocab=None):
        ids, self.vocab = encode(text, vocab)
        train, val = split_streams(ids, args.batch)
        self.baseline = unigram_loss(train, val, len(self.vocab))
        self.val_chars = val.size
        # Data parallelism: this rank's block of the streams (all of them in one process).
        self.streams = dist.shard_indices(args.batch)
        self.train = mg.tensor(train[:, self.streams], backend=args.backend)
        self.val = mg.tensor(val[:, self.streams], backend=args.backend)
        mg.manual_seed(args.seed)
        self.model = CharModel(len(self.vocab), args.cell, args.embed, args.hidden, args.layers,
                               args.checkpoint)
        # The model as trained: wrapped under mpiexec, so that backward averages the gradients.
        self.net = (nn.parallel.DistributedDataParallel(self.model)
                    if dist.get_world_size() > 1 else self.model)
        self.optimizer = mg.optim.Adam(self.model.parameters(), lr=args.lr)
        self.args, self.text_crc, self.source = args, zlib.crc32(text.encode()), source
        # The state where the next step's backward will start (nn.utils.TBPTTUpdate's
        # resume_state): what a checkpoint saves. The steps of the pass under way come
        # from `updates`, made when a pass starts or a run resumes.
        self.step, self.state = 0, self.model.initial_state(len(self.streams))
        self.updates = None
        self.chunks = (len(self.train) - 1) // args.seq_len  # the steps of one pass
        self.history = {"step": [], "train": [], "val_step": [], "val": []}
        # How many steps the last training loss of the history averages (None: not this run's).
        self.logged_steps = None

    def train_step(self):
        """One update on the next chunk of every stream; returns the loss, still on the device."""
        if self.updates is None:
            self.updates = self.pass_updates()
        update = next(self.updates)
        # The truncation of truncated BPTT: the next step's backward stops at this state,
        # so every graph is --bptt steps long.
        self.state = update.resume_state
        self.step += 1
        if self.step % self.chunks == 0:  # the pass is over: the next starts from zeros
            self.updates = None
        return update.loss

    def pass_updates(self):
        """The steps left of the current pass over the streams, as nn.utils.truncated_bptt
        runs them: TBPTT(--seq-len, --bptt) from the start of each stream, from zeros, up
        to its last whole chunk; a resumed run joins its pass at its step, from the saved
        state."""
        n, chunk = self.args.seq_len, self.step % self.chunks
        length = self.chunks * n
        state = self.state if chunk else self.model.initial_state(len(self.streams))
        return nn.utils.truncated_bptt(
            self.net, self.train[:length], self.train[1:length + 1], next_character_loss,
            self.optimizer, k1=n, k2=self.args.bptt, state=state, start=chunk * n,
            before_step=lambda: nn.utils.clip_grad_norm_(self.model.parameters(),
                                                         self.args.clip))

    def evaluate(self):
        """Mean cross-entropy (nats per character) on the held-out streams, from a zero state."""
        with mg.no_grad():
            logits, _ = self.model(self.val[:-1], self.model.initial_state(len(self.streams)))
            loss = next_character_loss(logits, self.val[1:])
        return mean_over_ranks(loss).item()

    def sample(self, prime, length, temperature):
        """``prime`` followed by ``length`` characters drawn from the model.

        Each character is drawn from ``softmax(logits / temperature)``: below 1 the
        model plays safe, above 1 it takes risks. The draws depend only on the seed
        and the step, so sampling never disturbs the training run.
        """
        rng = np.random.default_rng([self.args.seed, self.step])
        ids = [int(i) for i in encode(prime, self.vocab)[0]]
        with mg.no_grad():
            logits, state = self.model(self._ids([ids]).T, self.model.initial_state(1))
            for _ in range(length):
                z = logits.numpy()[-1, 0].astype(np.float64) / temperature
                p = np.exp(z - z.max())
                ids.append(int(rng.choice(len(p), p=p / p.sum())))
                logits, state = self.model(self._ids([[ids[-1]]]), state)
        return decode(ids, self.vocab)

    def _ids(self, ids):
        return mg.tensor(np.asarray(ids, dtype=np.int64), backend=self.args.backend)

    def save(self, path):
        """Write everything a resumed run needs to ``path`` with ``mg.save`` (atomically).

        Under mpiexec every rank calls it, to gather the state of its streams; rank 0 writes.
        """
        state = [whole_batch(s, self.streams, self.args.batch) for s in self.state]
        if dist.get_rank() != 0:
            return path
        mg.save({
            "model": self.model.state_dict(), "optimizer": self.optimizer.state_dict(),
            "step": self.step, "vocab": self.vocab, "text_crc": self.text_crc,
            "settings": {key: getattr(self.args, key) for key in RUN_SETTINGS},
            "hidden_state": {str(i): s for i, s in enumerate(state)},
            "history": {key: np.asarray(value) for key, value in self.history.items()},
        }, path)
        return path

    def restore(self, checkpoint):
        """Continue from a checkpoint written by :meth:`save`."""
        self.model.load_state_dict(checkpoint["model"])
        self.optimizer.load_state_dict(checkpoint["optimizer"])
        self.step = int(checkpoint["step"])
        saved = checkpoint["hidden_state"]
        self.state = tuple(mg.tensor(saved[str(i)][:, self.streams], backend=self.args.backend)
                           for i in range(len(saved)))
        self.history = {key: list(value) for key, value in checkpoint["history"].items()}


def next_character_loss(logits, targets):
    """Cross-entropy of logits ``(T, B, vocab)`` for the ids ``targets`` ``(T, B)``."""
    return nn.F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))


def mean_over_ranks(value):
    """``value`` (a Tensor) averaged over the ranks under mpiexec; itself in one process.

    A rank's loss is the mean over its own streams; with equal blocks of streams, the
    ranks' average is the mean over the whole batch, as one process would log it.
    """
    return dist.all_reduce(value, op="mean") if dist.is_initialized() else value


def whole_batch(state, streams, batch):
    """The array ``(layers, batch, hidden)`` of every stream's state, from each rank's block.

    Each rank fills its own streams into zeros and the ranks sum: a gather made of the
    one collective that minigrad.distributed has for it, exact since x + 0 = x.
    """
    if not dist.is_initialized():
        return state.data
    whole = mg.zeros(state.shape[0], batch, state.shape[2], dtype=state.dtype)
    whole.data[:, streams] = state.data
    return dist.all_reduce(whole).data


def agreed(flag):
    """Whether ``flag`` holds on any rank: every rank must stop at the same step."""
    if not dist.is_initialized():
        return flag
    return bool(dist.all_reduce(mg.tensor([int(flag)]), op="max").item())


@contextlib.contextmanager
def deferred_interrupt():
    """Turn the first Ctrl-C into a flag that the training loop checks between steps.

    The checkpoint written on the way out then never holds a half-applied update. A
    second Ctrl-C stops at once. Yields a function that says whether Ctrl-C came.
    """
    caught = []

    def handler(signum, frame):
        caught.append(signum)
        signal.signal(signal.SIGINT, previous)

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield lambda: bool(caught)
    finally:
        signal.signal(signal.SIGINT, previous)


def train(trainer, args, files):
    """Run steps until ``--steps`` or Ctrl-C, logging, evaluating and sampling on the way.

    Returns whether Ctrl-C stopped the run.
    """
    bar = tqdm(total=args.steps, initial=trainer.step, unit="step", dynamic_ncols=True,
               disable=dist.get_rank() != 0)
    total, count, tic = None, 0, time.perf_counter()
    with deferred_interrupt() as interrupted:
        while trainer.step < args.steps and not agreed(interrupted()):
            # The loss stays on the device, summed, and is read back only at log points:
            # on a GPU every read waits for the queued work to finish.
            loss = trainer.train_step()
            total, count = (loss if total is None else total + loss), count + 1
            bar.update()
            if trainer.step % args.log_every == 0 or trainer.step == args.steps:
                mean = mean_over_ranks(total).item() / count
                speed = count * args.batch * args.seq_len / (time.perf_counter() - tic)
                trainer.history["step"].append(trainer.step)
                trainer.history["train"].append(mean)
                trainer.logged_steps = count
                bar.set_postfix(loss=f"{mean:.3f}", bpc=f"{mean / math.log(2):.3f}",
                                chars_per_s=f"{speed:,.0f}")
                total, count, tic = None, 0, time.perf_counter()
            if trainer.step % args.eval_every == 0 and trainer.step < args.steps:
                paused = time.perf_counter()
                evaluate(trainer, args, files["samples"], bar.write)
                trainer.save(files["checkpoint"])
                tic += time.perf_counter() - paused  # the speed counts training time only
    bar.close()
    return agreed(interrupted())


def evaluate(trainer, args, samples, write=print):
    """Record the validation loss, and print a sample and append it to the file ``samples``."""
    val = trainer.evaluate()
    trainer.history["val_step"].append(trainer.step)
    trainer.history["val"].append(val)
    if dist.get_rank() != 0:  # the other ranks' models are rank 0's: one sample is enough
        return val
    text = trainer.sample(args.prime, args.sample_len, args.temperature)
    write(f"step {trainer.step}: validation loss {val:.3f} nats/char "
          f"({val / math.log(2):.2f} bits/char), unigram baseline {trainer.baseline:.3f}")
    write(f"  sample: {text!r}")
    with open(samples, "a", encoding="utf-8") as f:
        f.write(f"--- step {trainer.step}, validation loss {val:.3f}\n{text}\n\n")
    return val


# ---- the command line ---------------------------------------------------------------------


def build_parser():
    """The command line: the options every example takes, then this script's own."""
    parser = common.make_parser(__doc__, "char_lstm")
    data = parser.add_argument_group("data and model")
    data.add_argument("--text", type=Path, metavar="FILE",
                      help="train on this UTF-8 text file instead of the standard library's "
                      "docstrings")
    data.add_argument("--cell", choices=sorted(common.LAYERS), default="lstm",
                      help="the recurrent layer (default: lstm)")
    data.add_argument("--embed", type=common.positive_int, metavar="N", default=32,
                      help="embedding size (default: 32)")
    data.add_argument("--hidden", type=common.positive_int, metavar="N", default=128,
                      help="hidden size (default: 128)")
    data.add_argument("--layers", type=common.positive_int, metavar="N", default=1,
                      help="stacked recurrent layers (default: 1)")
    run = parser.add_argument_group("training")
    run.add_argument("--steps", type=common.positive_int, metavar="N", default=2000,
                     help="total updates, counting those of a resumed run (default: 2000)")
    run.add_argument("--batch", type=common.positive_int, metavar="N", default=32,
                     help="parallel streams per update (default: 32)")
    run.add_argument("--seq-len", type=common.positive_int, metavar="N", default=64,
                     help="characters per stream per update: TBPTT's k1 (default: 64)")
    run.add_argument("--bptt", type=common.positive_int, metavar="N",
                     help="characters each update's gradient goes back through, at least "
                     "--seq-len: TBPTT's k2; the N - seq_len before the update's own are run "
                     "again for it (default: --seq-len)")
    run.add_argument("--checkpoint", type=common.segments, metavar="sqrt|N",
                     help="recompute the recurrent layer in segments of N steps (sqrt: the "
                     "square root of --seq-len) in backward, keeping only their boundaries: "
                     "memory grows like the square root of --seq-len, for about a third more "
                     "time; the numbers stay those of a run without it, to rounding")
    run.add_argument("--lr", type=common.positive_float, default=5e-3,
                     help="Adam's learning rate (default: 0.005)")
    run.add_argument("--clip", type=common.positive_float, metavar="NORM", default=1.0,
                     help="clip the gradient's global norm to this (default: 1.0)")
    run.add_argument("--log-every", type=common.positive_int, metavar="N", default=10,
                     help="steps between progress-bar updates of the loss (default: 10)")
    run.add_argument("--eval-every", type=common.positive_int, metavar="N", default=500,
                     help="steps between validation, sample and checkpoint (default: 500)")
    run.add_argument("--resume", type=Path, metavar="CHECKPOINT",
                     help="continue the run that wrote this checkpoint, with its model and "
                     "training settings (pass the same --text)")
    gen = parser.add_argument_group("sampling")
    gen.add_argument("--prime", metavar="TEXT",
                     help="text the samples start from (default: 'The ', or the first "
                     "character of the text when it lacks those characters)")
    gen.add_argument("--temperature", type=common.positive_float, metavar="T", default=0.8,
                     help="sampling temperature (default: 0.8)")
    gen.add_argument("--sample-len", type=common.positive_int, metavar="N", default=300,
                     help="characters per sample (default: 300)")
    return parser


def load_checkpoint(parser, args):
    """Read ``--resume``'s checkpoint and take the run's settings from it."""
    try:
        checkpoint = mg.load(args.resume)
        settings = checkpoint["settings"]
        # A run saved before --bptt existed went back --seq-len characters.
        settings.setdefault("bptt", settings["seq_len"])
        saved = {key: settings[key] for key in RUN_SETTINGS}
        step = int(checkpoint["step"])
    except (OSError, ValueError) as err:
        common.fail(parser, f"--resume {args.resume}: {err}")
    except KeyError as err:
        common.fail(parser, f"--resume {args.resume}: not a checkpoint of this script "
                            f"(it has no {err})")
    ignored = [f"--{key.replace('_', '-')} {getattr(args, key)}" for key, value in saved.items()
               if getattr(args, key) not in (value, parser.get_default(key))]
    vars(args).update(saved)
    print(f"resuming from step {step} of {args.resume}" + (
        f", ignoring {' '.join(ignored)}: a run keeps its settings" if ignored else ""))
    if args.steps <= step:
        print(f"nothing to train: --steps {args.steps} counts the checkpoint's steps too; "
              "pass a larger --steps to continue")
    return checkpoint


def load_text(parser, args):
    """The training text and a description of it; a text unfit to train on ends the program."""
    if args.text is None:
        text, source = stdlib_docstrings(), "the standard library's docstrings"
    else:
        try:
            text, source = read_text(args.text), str(args.text)
        except ValueError as err:
            common.fail(parser, str(err))
    need = min_length(args.batch, args.seq_len)
    if len(text) < need:
        common.fail(parser, f"{source} is too short: {len(text)} characters, but --batch "
                            f"{args.batch} and --seq-len {args.seq_len} need at least {need} "
                            "(5% are held out for validation); use a longer text or a smaller "
                            "--batch or --seq-len")
    if args.prime is None:
        args.prime = "The " if set("The ") <= set(text) else text[0]
    missing = sorted(set(args.prime) - set(text))
    if not args.prime or missing:
        never = f", whose {''.join(missing)!r} never occur" if missing else ""
        common.fail(parser, "--prime must be non-empty text made of characters of "
                            f"{source}; got {args.prime!r}{never}")
    return text, source


def plot_losses(trainer, path):
    """Draw the training and validation losses against the unigram baseline."""
    h = trainer.history
    title = f"{trainer.args.cell.upper()} character model, {trainer.source}"
    curves = {"training": (h["step"], h["train"]), "validation": (h["val_step"], h["val"])}
    return common.plot_curves(path, {title: curves}, xlabel="step",
                              ylabel="cross-entropy (nats per character)",
                              baseline=(trainer.baseline, "unigram baseline"))


def report(trainer, files, seconds):
    """Print the final losses against the baseline."""
    h = trainer.history
    n = trainer.logged_steps
    averaged = (f"mean of the last {n} step{'s' * (n != 1)}" if n
                else f"as logged at step {h['step'][-1]}")
    rows = [("training loss", h["train"][-1], averaged),
            ("validation loss", h["val"][-1], f"on {trainer.val_chars:,} held-out characters"),
            ("unigram baseline", trainer.baseline, "predicting by frequency alone")]
    print(f"step {trainer.step} after {seconds:.0f} s:")
    for name, loss, note in rows:
        print(f"  {name:<17}{loss:6.3f} nats/char ({loss / math.log(2):.2f} bits/char), {note}")
    print(f"wrote {', '.join(str(path) for path in files.values())}")


def main(argv=None):
    """Run the script with the arguments ``argv`` (default: the command line).

    Under mpiexec the ranks join one data-parallel run first. Returns the exit code:
    0, or 130 after Ctrl-C (the checkpoint is saved first).
    """
    if dist.is_mpi_launched():
        dist.init()
    with only_rank_zero_prints():
        return run(argv)


@contextlib.contextmanager
def only_rank_zero_prints():
    """Send the standard output of ranks other than 0 nowhere: it would repeat rank 0's."""
    if dist.get_rank() == 0:
        yield
        return
    with open(os.devnull, "w") as devnull, contextlib.redirect_stdout(devnull):
        yield


def run(argv):
    """The whole run: see :func:`main`."""
    started = time.perf_counter()
    parser = build_parser()
    args = common.parse(parser, argv)
    checkpoint = load_checkpoint(parser, args) if args.resume else None
    args.bptt = args.seq_len if args.bptt is None else args.bptt
    if args.bptt < args.seq_len:
        common.fail(parser, f"--bptt {args.bptt} is shorter than --seq-len {args.seq_len}: "
                            "each update goes back through at least its own characters; "
                            f"pass --bptt {args.seq_len} or more, or leave it out")
    ranks = dist.get_world_size()
    if args.batch % ranks:
        common.fail(parser, f"--batch {args.batch} streams do not split over {ranks} ranks; "
                            f"pass a multiple of {ranks}")
    text, source = load_text(parser, args)
    vocab = None if checkpoint is None else checkpoint["vocab"]
    with mg.default_backend(args.backend):
        trainer = Trainer(args, text, source, vocab)
        if checkpoint is not None:
            if int(checkpoint["text_crc"]) != trainer.text_crc:
                common.fail(parser, f"--resume {args.resume}: the checkpoint was trained on "
                                    "another text; pass the --text of the run that wrote it")
            trainer.restore(checkpoint)
        files = {"checkpoint": args.out / "checkpoint.npz", "plot": args.out / "loss.png",
                 "samples": args.out / "samples.txt"}
        print(f"{args.cell.upper()} with {sum(p.numel() for p in trainer.model.parameters()):,} "
              f"parameters, on {source}: {len(text):,} characters, {len(trainer.vocab)} distinct")
        interrupted = train(trainer, args, files)
        if not interrupted and trainer.history["val_step"][-1:] != [trainer.step]:
            evaluate(trainer, args, files["samples"])
        trainer.save(files["checkpoint"])
        if dist.get_rank() == 0:
            plot_losses(trainer, files["plot"])
        if interrupted:
            print(f"interrupted at step {trainer.step}: saved {files['checkpoint']}; "
                  f"continue with --resume {files['checkpoint']}")
            return 130
        report(trainer, files, time.perf_counter() - started)
    return 0


if __name__ == "__main__":
    sys.exit(main())
