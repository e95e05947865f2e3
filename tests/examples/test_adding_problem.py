"""Smoke test of examples/adding_problem.py, and of the task's data."""

import numpy as np


def test_trains_each_cell_and_plots_the_learning_curves(load_example, tmp_path, backend, capsys,
                                                        check_png):
    script = load_example("adding_problem")
    argv = ["--steps", "4", "--length", "6", "--hidden", "4", "--batch", "4", "--log-every", "2",
            "--out", str(tmp_path), "--backend", backend]
    assert script.main(argv) == 0
    printed, progress = capsys.readouterr()
    for cell in ("RNN", "GRU", "LSTM"):
        assert f"{cell}: mean squared error" in printed and cell in progress
    check_png(tmp_path / "learning_curves.png")


def test_a_batch_marks_one_value_in_each_half_and_sums_them(load_example):
    script = load_example("adding_problem")
    x, y = script.adding_batch(10, 64, np.random.default_rng(0))
    assert x.shape == (10, 64, 2) and y.shape == (64, 1)
    values, markers = x[..., 0], x[..., 1]
    assert (markers[:5].sum(axis=0) == 1).all() and (markers[5:].sum(axis=0) == 1).all()
    np.testing.assert_allclose(y[:, 0], (values * markers).sum(axis=0), rtol=1e-6)


def test_log_every_beyond_steps_is_refused(load_example, tmp_path, capsys):
    script = load_example("adding_problem")
    try:
        script.main(["--steps", "3", "--log-every", "5", "--out", str(tmp_path)])
    except SystemExit as exit_info:
        assert exit_info.code == 2
    assert "--log-every (5) must not exceed --steps (3)" in capsys.readouterr().err
