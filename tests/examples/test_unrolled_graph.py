"""Smoke test of examples/unrolled_graph.py: the tape and the DOT of a 3-step RNN."""

import shutil

import pytest


@pytest.mark.parametrize("cell, states, consumer", [
    ("rnn", ["h"], "linear(h[{t}], "),
    # A hand-stepped LSTMCell is one node a step, its gate projections inside.
    ("lstm", ["h", "c"], "lstmstep(x[{next}], h[{t}], c[{t}], "),
])
def test_prints_the_tape_and_writes_the_graph(load_example, tmp_path, capsys, cell, states,
                                              consumer):
    script = load_example("unrolled_graph")
    assert script.main(["--cell", cell, "--out", str(tmp_path)]) == 0
    tape = capsys.readouterr().out
    # The chain h[1] -> h[2] -> h[3], in order, each computed from the one before
    # (the LSTM's fused node computes "h[t], c[t] = ...").
    chain = [tape.index(f"\nh[{t}]") for t in (1, 2, 3)]
    assert chain == sorted(chain)
    for t in (1, 2):
        assert consumer.format(t=t, next=t + 1) in tape
    for name in ["weight_ih", "weight_hh", "x[1]", "x[3]"] + [f"{s}[0]" for s in states]:
        assert f"\n{name} = leaf" in tape
    dot = (tmp_path / f"{cell}_3_steps.dot").read_text()
    assert dot.startswith("digraph tape {") and 'label="h[3]' in dot
    if shutil.which("dot"):
        assert "<svg" in (tmp_path / f"{cell}_3_steps.svg").read_text()
