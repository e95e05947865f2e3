"""Smoke tests of examples/char_lstm.py: tiny runs, their files, resume, bad input, and runs
on two MPI ranks (mpiexec), which must match one process."""

import shutil
import signal
from pathlib import Path

import numpy as np
import pytest

import minigrad as mg

SENTENCE = "The quick brown fox jumps over the lazy dog, then naps in the sun. "
TINY = ["--hidden", "8", "--embed", "4", "--batch", "4", "--seq-len", "8", "--sample-len", "16",
        "--log-every", "2", "--eval-every", "3"]


@pytest.fixture
def char_lstm(load_example):
    return load_example("char_lstm")


def write_text(tmp_path, n_chars):
    path = tmp_path / "text.txt"
    path.write_text((SENTENCE * (n_chars // len(SENTENCE) + 1))[:n_chars], encoding="utf-8")
    return path


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_a_tiny_run_writes_checkpoint_plot_and_samples(char_lstm, tmp_path, backend, capsys,
                                                      check_png, cell):
    text, out = write_text(tmp_path, 2000), tmp_path / "run"
    argv = TINY + ["--text", str(text), "--steps", "7", "--out", str(out), "--backend", backend,
                   "--cell", cell]
    assert char_lstm.main(argv) == 0
    printed, progress = capsys.readouterr()
    assert "validation loss" in printed and "unigram baseline" in printed
    assert "mean of the last 1 step\n" in printed  # step 7 alone: --log-every 2 logged at 6
    assert "chars_per_s" in progress and "bpc" in progress  # the progress bar's fields
    checkpoint = mg.load(out / "checkpoint.npz")
    assert checkpoint["step"] == 7
    assert char_lstm.decode(np.arange(len(checkpoint["vocab"])), checkpoint["vocab"]) == \
        "".join(sorted(set(SENTENCE)))
    history = checkpoint["history"]
    assert list(history["val_step"]) == [3, 6, 7] and np.isfinite(history["val"]).all()
    check_png(out / "loss.png")
    assert (out / "samples.txt").read_text(encoding="utf-8").count("The ") >= 3


def final_checkpoint(char_lstm, argv):
    assert char_lstm.main(argv) == 0
    out = argv[argv.index("--out") + 1]
    return mg.load(f"{out}/checkpoint.npz")


def assert_same_run(a, b):
    """Two checkpoints hold exactly the same weights, optimiser state and carried state."""
    assert a["step"] == b["step"]
    for part in ("model", "hidden_state"):
        for key in a[part]:
            np.testing.assert_array_equal(a[part][key], b[part][key], err_msg=f"{part}/{key}")
    for index, state in a["optimizer"]["state"].items():
        for key, value in state.items():
            np.testing.assert_array_equal(value, b["optimizer"]["state"][index][key])
    assert a["history"]["val"][-1] == b["history"]["val"][-1]


def test_resume_continues_exactly_like_an_uninterrupted_run(char_lstm, tmp_path, capsys):
    # 160 characters make four chunks per pass, so 10 steps also cross two new passes.
    base = TINY + ["--text", str(write_text(tmp_path, 160))]
    whole = final_checkpoint(char_lstm, base + ["--steps", "10", "--out", str(tmp_path / "a")])
    final_checkpoint(char_lstm, base + ["--steps", "5", "--out", str(tmp_path / "b")])
    resumed = final_checkpoint(char_lstm, base + [
        "--steps", "10", "--out", str(tmp_path / "b"),
        "--resume", str(tmp_path / "b" / "checkpoint.npz"), "--hidden", "999",
    ])
    assert "ignoring --hidden 999" in capsys.readouterr().out
    assert_same_run(whole, resumed)


def test_a_longer_bptt_resumes_exactly_and_changes_the_run(char_lstm, tmp_path):
    """--bptt 20 with --seq-len 8: each update reruns the 12 characters before its own,
    from the state kept where they start, which the checkpoint saves."""
    base = TINY + ["--text", str(write_text(tmp_path, 160)), "--bptt", "20"]
    whole = final_checkpoint(char_lstm, base + ["--steps", "10", "--out", str(tmp_path / "a")])
    final_checkpoint(char_lstm, base + ["--steps", "6", "--out", str(tmp_path / "b")])
    resumed = final_checkpoint(char_lstm, base[:-2] + [
        "--steps", "10", "--out", str(tmp_path / "b"),
        "--resume", str(tmp_path / "b" / "checkpoint.npz")])
    assert resumed["settings"]["bptt"] == 20
    assert_same_run(whole, resumed)
    plain = final_checkpoint(char_lstm, base[:-2] + ["--steps", "10", "--out",
                                                     str(tmp_path / "c")])
    assert plain["settings"]["bptt"] == 8
    assert not np.array_equal(plain["model"]["rnn.weight_hh_l0"],
                              whole["model"]["rnn.weight_hh_l0"])


def test_ctrl_c_saves_a_checkpoint_that_resumes_exactly(char_lstm, tmp_path, monkeypatch, capsys):
    base = TINY + ["--text", str(write_text(tmp_path, 160))]
    whole = final_checkpoint(char_lstm, base + ["--steps", "6", "--out", str(tmp_path / "a")])
    train_step = char_lstm.Trainer.train_step

    def pressing_ctrl_c_at_step_4(trainer):
        loss = train_step(trainer)
        if trainer.step == 4:
            signal.raise_signal(signal.SIGINT)
        return loss

    monkeypatch.setattr(char_lstm.Trainer, "train_step", pressing_ctrl_c_at_step_4)
    out = tmp_path / "b"
    assert char_lstm.main(base + ["--steps", "6", "--out", str(out)]) == 130
    assert "interrupted at step 4" in capsys.readouterr().out
    assert mg.load(out / "checkpoint.npz")["step"] == 4
    monkeypatch.undo()
    resumed = final_checkpoint(char_lstm, base + [
        "--steps", "6", "--out", str(out), "--resume", str(out / "checkpoint.npz")])
    assert_same_run(whole, resumed)


def assert_close_run(a, b):
    """Two checkpoints hold the same run up to float32 rounding (sums in another order)."""
    assert a["step"] == b["step"]
    for part in ("model", "hidden_state"):
        for key in a[part]:
            np.testing.assert_allclose(a[part][key], b[part][key], rtol=1e-4, atol=1e-6,
                                       err_msg=f"{part}/{key}")
    for index, state in a["optimizer"]["state"].items():
        for key, value in state.items():
            np.testing.assert_allclose(value, b["optimizer"]["state"][index][key], rtol=1e-4,
                                       atol=1e-7)
    np.testing.assert_allclose(a["history"]["val"][-1], b["history"]["val"][-1], rtol=1e-5)


def test_two_ranks_train_as_one_process_and_resume_on_any_number(char_lstm, tmp_path, run_mpi):
    script = char_lstm.__file__
    base = TINY + ["--text", str(write_text(tmp_path, 160))]  # 2 streams a rank, 4 chunks
    whole = final_checkpoint(char_lstm, base + ["--steps", "10", "--out", str(tmp_path / "a")])
    job = run_mpi(script, *base, "--steps", "10", "--out", tmp_path / "b")
    assert job.returncode == 0, job.stderr
    ranks = mg.load(tmp_path / "b" / "checkpoint.npz")
    assert_close_run(whole, ranks)
    np.testing.assert_allclose(ranks["history"]["train"], whole["history"]["train"], rtol=1e-5)
    # Only rank 0 prints and writes: one line and one sample per evaluation (3, 6, 9, 10).
    assert job.stdout.count("step 3: validation loss") == 1
    assert (tmp_path / "b" / "samples.txt").read_text(encoding="utf-8").count("--- step") == 4

    job = run_mpi(script, *base, "--steps", "5", "--out", tmp_path / "c")
    assert job.returncode == 0, job.stderr
    shutil.copytree(tmp_path / "c", tmp_path / "d")
    job = run_mpi(script, *base, "--steps", "10", "--out", tmp_path / "c",
                  "--resume", tmp_path / "c" / "checkpoint.npz")
    assert job.returncode == 0, job.stderr
    assert_same_run(ranks, mg.load(tmp_path / "c" / "checkpoint.npz"))
    # The checkpoint holds every stream's state, so one process takes over from two ranks.
    assert_close_run(whole, final_checkpoint(char_lstm, base + [
        "--steps", "10", "--out", str(tmp_path / "d"),
        "--resume", str(tmp_path / "d" / "checkpoint.npz")]))


def test_ctrl_c_on_one_rank_stops_every_rank_at_the_same_step(char_lstm, tmp_path, run_mpi):
    base = TINY + ["--text", str(write_text(tmp_path, 160))]
    whole = final_checkpoint(char_lstm, base + ["--steps", "6", "--out", str(tmp_path / "a")])
    script = Path(__file__).with_name("mpi_char_lstm_ctrl_c.py")
    job = run_mpi(script, *base, "--steps", "6", "--out", tmp_path / "b")
    assert job.returncode == 130, job.stderr
    assert job.stdout.count("interrupted at step 4") == 1
    assert mg.load(tmp_path / "b" / "checkpoint.npz")["step"] == 4
    assert_close_run(whole, final_checkpoint(char_lstm, base + [
        "--steps", "6", "--out", str(tmp_path / "b"),
        "--resume", str(tmp_path / "b" / "checkpoint.npz")]))


def test_a_batch_that_the_ranks_cannot_share_is_refused(char_lstm, tmp_path, run_mpi):
    job = run_mpi(char_lstm.__file__, *TINY, "--batch", "3", "--text",
                  write_text(tmp_path, 400), "--out", tmp_path)
    assert job.returncode != 0
    assert "--batch 3 streams do not split over 2 ranks; pass a multiple of 2" in job.stderr


@pytest.mark.parametrize("content, message", [
    (b"", "is empty"),
    (b" \n\t\n", "is empty"),
    (bytes(range(256)) * 4, "binary file"),
    ("caf\u00e9 au lait. ".encode("latin-1") * 100, "is not UTF-8 text (byte 0xe9 at offset 3)"),
    (b"Too short to learn from.", "is too short: 24 characters"),
])
def test_bad_text_files_get_a_one_line_error(char_lstm, tmp_path, capsys, content, message):
    path = tmp_path / "input.txt"
    path.write_bytes(content)
    with pytest.raises(SystemExit) as exit_info:
        char_lstm.main(["--text", str(path), "--out", str(tmp_path)])
    assert exit_info.value.code == 2
    error = capsys.readouterr().err
    assert message in error.splitlines()[-1] and "Traceback" not in error


@pytest.mark.parametrize("extra, message", [
    (["--text", "no/such/file.txt"], "cannot read no/such/file.txt"),
    (["--prime", "\u03a9mega"], "'\u03a9' never occur"),
    (["--resume", "text.txt"], "--resume text.txt:"),
    (["--backend", "abacus"], "unknown backend 'abacus'"),
    (["--seed", "-1"], "--seed: expected an integer in [0, 2**63), got -1"),
    (["--seed", str(2**63)], "expected an integer in [0, 2**63)"),  # a checkpoint stores int64
    (["--out", "text.txt"], "--out text.txt: cannot create the folder"),
    (["--seq-len", "16", "--bptt", "8"], "--bptt 8 is shorter than --seq-len 16"),
])
def test_bad_options_get_a_one_line_error(char_lstm, tmp_path, monkeypatch, capsys, extra,
                                          message):
    monkeypatch.chdir(tmp_path)
    write_text(tmp_path, 5000)  # long enough for the default --batch and --seq-len
    with pytest.raises(SystemExit) as exit_info:
        char_lstm.main(["--text", "text.txt", "--out", "run"] + extra)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err.splitlines()[-1]


def test_resuming_a_finished_run_says_that_there_is_nothing_to_train(char_lstm, tmp_path,
                                                                    capsys):
    args = TINY + ["--text", str(write_text(tmp_path, 400)), "--steps", "2",
                   "--out", str(tmp_path)]
    final_checkpoint(char_lstm, args)
    final_checkpoint(char_lstm, args + ["--resume", str(tmp_path / "checkpoint.npz")])
    printed = capsys.readouterr().out
    assert "nothing to train: --steps 2 counts the checkpoint's steps too" in printed
    assert "as logged at step 2" in printed


def test_resuming_on_another_text_is_refused(char_lstm, tmp_path, capsys):
    out = tmp_path / "run"
    final_checkpoint(char_lstm, TINY + ["--text", str(write_text(tmp_path, 400)), "--steps", "2",
                                        "--out", str(out)])
    other = tmp_path / "other.txt"
    other.write_text(SENTENCE.upper() * 10, encoding="utf-8")
    with pytest.raises(SystemExit):
        char_lstm.main(["--text", str(other), "--resume", str(out / "checkpoint.npz")])
    assert "trained on another text" in capsys.readouterr().err


def test_the_default_corpus_is_docstrings_of_the_standard_library(char_lstm, monkeypatch):
    # Three modules keep the test fast; one that no Python has is skipped quietly.
    monkeypatch.setattr(char_lstm, "STDLIB_MODULES", ("argparse", "no_such_module", "json"))
    text = char_lstm.stdlib_docstrings()
    assert text.startswith("Command-line parsing library")  # argparse's module docstring
    assert "JSON (JavaScript Object Notation)" in text and len(text) > 5_000
    assert text == char_lstm.stdlib_docstrings()


def test_checkpointed_segments_train_as_the_plain_layer(char_lstm, tmp_path):
    """--checkpoint changes memory and time, not the run: the same weights, to rounding."""
    text = write_text(tmp_path, 2000)
    runs = [final_checkpoint(char_lstm, TINY + ["--text", str(text), "--steps", "4", "--out",
                                                str(tmp_path / name), *extra])
            for name, extra in (("plain", []), ("segments", ["--checkpoint", "3"]))]
    for key, value in runs[0]["model"].items():
        np.testing.assert_allclose(runs[1]["model"][key], value, rtol=1e-4, atol=1e-6,
                                   err_msg=key)


@pytest.mark.parametrize("value", ["0", "sqr", "2.5"])
def test_checkpoint_takes_sqrt_or_a_positive_length(char_lstm, capsys, value):
    with pytest.raises(SystemExit):
        char_lstm.main(["--checkpoint", value])
    assert (f"argument --checkpoint: expected sqrt or an integer >= 1, got {value!r}"
            in capsys.readouterr().err)
