"""Smoke test of examples/vanishing_gradients.py, and the effect it exists to show."""

import numpy as np

import minigrad as mg


def test_writes_the_plot_and_prints_the_table(load_example, tmp_path, backend, capsys,
                                              check_png):
    script = load_example("vanishing_gradients")
    argv = ["--steps", "12", "--hidden", "8", "--input", "4", "--batch", "2",
            "--out", str(tmp_path), "--backend", backend]
    assert script.main(argv) == 0
    table = capsys.readouterr().out
    assert "rnn" in table and "gru" in table and "lstm" in table and "\n    12 " in table
    check_png(tmp_path / "gradient_norms.png")
    assert "tanh RNN, W_hh x 3, clipped" in table
    check_png(tmp_path / "gradient_flow.png")


def test_open_memory_gates_carry_the_gradient_back_and_the_rnn_loses_it(load_example):
    script = load_example("vanishing_gradients")
    args = script.build_parser().parse_args(["--steps", "40", "--hidden", "16", "--input", "4"])
    default, gates_open = ({kind: norms for kind, (_, norms) in by_cell.items()}
                           for by_cell in script.measure(args).values())
    for norms in default.values():  # at initialisation every cell forgets geometrically
        assert norms[0] < 1e-3 * norms[-1]
    # With the forget gate open the LSTM keeps the gradient within a factor 100 over 40
    # steps; the RNN, which has no gate, is unaffected by the bias and loses it all the same.
    assert gates_open["lstm"][0] > 1e-2 * gates_open["lstm"][-1]
    assert gates_open["lstm"][0] > 1e6 * gates_open["rnn"][0]
    assert (gates_open["rnn"] == default["rnn"]).all()


def test_checkpointed_segments_give_the_norms_of_every_nth_step(load_example):
    script = load_example("vanishing_gradients")
    options = ["--steps", "14", "--hidden", "6", "--input", "3", "--batch", "2"]
    runs = []
    for extra in ([], ["--checkpoint", "4"]):
        mg.manual_seed(0)  # the same inputs for both
        runs.append(script.measure(script.build_parser().parse_args(options + extra)))
    plain, segmented = runs
    for setting, by_cell in segmented.items():
        for kind, (times, norms) in by_cell.items():
            assert list(times) == [4, 8, 12, 14]
            np.testing.assert_allclose(norms, plain[setting][kind][1][times - 1], rtol=1e-10)


def test_three_models_vanish_explode_and_keep_and_clipping_scales_every_share(load_example):
    script = load_example("vanishing_gradients")
    args = script.build_parser().parse_args(["--steps", "30", "--hidden", "16", "--input", "4"])
    rnn, exploding, clipped, lstm = script.three_models(args).values()
    assert rnn.states[0] < 1e-4 * rnn.states[-1]             # vanishes
    assert exploding.states[0] > 2 * exploding.states[-1]   # explodes
    assert lstm.states[0] > 1e-2 * lstm.states[-1]          # keeps its gradient
    assert clipped.states is None
    ratio = clipped.weight[1:] / exploding.weight[1:]  # step 1's share is 0: h[0] = 0
    np.testing.assert_allclose(ratio, ratio[0], rtol=1e-12)
    assert ratio[0] < 1e-2
