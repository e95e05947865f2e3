"""minigrad.viz: the tape as text (a Wengert list) and as Graphviz DOT."""

import gc
import shutil
import weakref

import pytest

import minigrad as mg
from minigrad import nn, viz


def two_ops():
    """y = tanh(x * w) with x data and w a parameter: two primitives on the tape."""
    x = mg.ones(2, 3)
    w = mg.ones(2, 3, requires_grad=True)
    return x, w, (x * w).tanh()


def test_tape_of_two_ops():
    _, _, y = two_ops()
    assert viz.tape(y) == (
        "%0 = leaf  (2, 3)\n"
        "%1 = leaf  (2, 3)  requires_grad\n"
        "%2 = mul(%0, %1)  (2, 3)\n"
        "%3 = tanh(%2)  (2, 3)"
    )


def test_dot_of_two_ops():
    x, w, y = two_ops()
    assert viz.to_dot(y, names={x: "x", w: "w"}) == (
        "digraph tape {\n"
        "  rankdir=LR;\n"
        '  node [fontname="Helvetica", fontsize=10];\n'
        '  n0 [label="x\\n(2, 3)", shape=ellipse];\n'
        '  n1 [label="w\\n(2, 3)", shape=ellipse, style=filled, fillcolor="#cfe2f3"];\n'
        '  n2 [label="%2 = mul\\n(2, 3)", shape=box];\n'
        "  n0 -> n2;\n"
        "  n1 -> n2;\n"
        '  n3 [label="%3 = tanh\\n(2, 3)", shape=box, peripheries=2];\n'
        "  n2 -> n3;\n"
        "}\n"
    )


def test_names_label_leaves_and_intermediate_results():
    x, w, y = two_ops()
    h = y * 2.0
    text = viz.tape(h.sum(), names={x: "x", w: "W", y: "h[1]"})
    assert text.splitlines()[2:] == [
        "%2 = mul(x, W)  (2, 3)",
        "h[1] = tanh(%2)  (2, 3)",
        "%4 = mul(h[1], 2.0)  (2, 3)",
        "%5 = sum(%4)  ()",
    ]
    assert 'label="h[1] = tanh\\n(2, 3)", shape=box, style=filled' in viz.to_dot(h, {y: "h[1]"})


def test_multi_output_op_gets_one_label_per_output():
    x = mg.ones(4, 4, requires_grad=True)
    a, b, _ = mg.split(x, [1, 1, 2], dim=1)  # the third piece is never used: its node knows it
    lines = viz.tape(a * b).splitlines()
    assert lines[1:] == [
        "%1.0, %1.1, %1.2 = split(%0)  (4, 1), (4, 1), (4, 2)", "%2 = mul(%1.0, %1.1)  (4, 1)",
    ]
    assert 'n1 -> n2 [taillabel="1"];' in viz.to_dot(a * b)


def test_a_shared_input_is_listed_once():
    x = mg.ones(3, requires_grad=True)
    y = x * x + x
    assert viz.tape(y).splitlines() == [
        "%0 = leaf  (3,)  requires_grad", "%1 = mul(%0, %0)  (3,)", "%2 = add(%1, %0)  (3,)",
    ]


def test_a_leaf_alone():
    assert viz.tape(mg.zeros(5), names=None) == "%0 = leaf  (5,)"


def test_deep_graph_needs_no_recursion():
    h = mg.ones(1, requires_grad=True)
    for _ in range(10_000):
        h = h.tanh()
    text = viz.tape(h)
    assert text.count("\n") == 10_000 and text.endswith("%10000 = tanh(%9999)  (1,)")


def test_viz_neither_keeps_the_graph_alive_nor_changes_it():
    x, w, y = two_ops()
    viz.tape(y)
    viz.to_dot(y)
    loss = y.sum()
    loss.backward()
    assert w.grad is not None and x.grad is None
    node = weakref.ref(y._node)
    del y, loss
    gc.collect()
    assert node() is None


def test_a_freed_graph_is_a_clear_error():
    _, _, y = two_ops()
    y.sum().backward()
    with pytest.raises(mg.GraphFreedError, match="retain_graph=True"):
        viz.tape(y)


def test_render_writes_dot_and_draws_it_when_graphviz_exists(tmp_path, monkeypatch):
    _, _, y = two_ops()
    source = viz.to_dot(y)
    if shutil.which("dot") is not None:
        picture = viz.render(source, tmp_path / "g.dot")
        assert picture == tmp_path / "g.svg" and "<svg" in picture.read_text()
    monkeypatch.setattr(shutil, "which", lambda program: None)
    assert viz.render(source, tmp_path / "h.dot") is None
    assert (tmp_path / "h.dot").read_text() == source


@pytest.mark.parametrize("draw", [viz.tape, viz.to_dot], ids=["tape", "to_dot"])
def test_tape_and_dot_refuse_what_is_not_a_tensor(draw):
    with pytest.raises(TypeError, match=f"^{draw.__name__}: expected a Tensor, got float$"):
        draw(1.0)


@pytest.mark.parametrize("draw", [viz.tape, viz.to_dot], ids=["tape", "to_dot"])
def test_names_given_the_wrong_way_round_are_explained(draw):
    _, _, y = two_ops()
    with pytest.raises(TypeError, match=f"^{draw.__name__}: expected names to map each Tensor "
                                        r"to a str \(\{tensor: 'name'\}\), got a str key mapped "
                                        "to a Tensor$"):
        draw(y, names={"y": y})
    with pytest.raises(TypeError, match=f"^{draw.__name__}: expected names to be a dict "
                                        r"\{tensor: 'name'\}, got list$"):
        draw(y, names=[y])


def test_render_refuses_a_path_that_its_picture_would_overwrite(tmp_path):
    _, _, y = two_ops()
    with pytest.raises(ValueError, match="^render: expected a path for the DOT file .* which the "
                                         "svg picture drawn from it would overwrite$"):
        viz.render(viz.to_dot(y), tmp_path / "g.svg")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(shutil.which("dot") is None, reason="needs Graphviz's dot")
def test_render_says_what_dot_printed_when_it_fails(tmp_path):
    with pytest.raises(RuntimeError, match="^render: dot could not draw .*bad.dot: .*syntax"):
        viz.render("digraph {", tmp_path / "bad.dot")
    assert [p.name for p in tmp_path.iterdir()] == ["bad.dot"]  # no temporary left behind


def test_module_names_its_parameters_and_names_win():
    rnn = nn.RNN(2, 3)
    out, _ = rnn(mg.randn(4, 1, 2))
    text = viz.tape(out.sum(), names={rnn.bias_hh_l0: "b"}, module=rnn)
    assert "weight_hh_l0 = leaf  (3, 3)  requires_grad" in text
    assert "weight_ih_l0 = leaf  (3, 2)  requires_grad" in text
    assert "b = leaf  (3,)  requires_grad" in text and "bias_hh_l0" not in text
    assert "?" not in text
    with pytest.raises(TypeError, match="nn.Module"):
        viz.tape(out, module={"w": rnn.weight_hh_l0})


def test_every_output_of_an_lstm_step_has_its_shape():
    cell = nn.LSTMCell(2, 3)
    h, _ = cell(mg.randn(1, 2))  # c is never used
    assert "?" not in viz.tape(h.sum()) and "?" not in viz.to_dot(h.sum())


def clusters_of(dot):
    """{step label: the op names drawn inside that step's cluster}."""
    found, current = {}, None
    for line in dot.splitlines():
        if "subgraph cluster_" in line:
            current = line.split('label="')[1].split('"')[0]
            found[current] = []
        elif line.strip() == "}":
            current = None
        elif current is not None:
            found[current].append(line.split(" = ")[1].split("\\n")[0])
    return found


def test_dot_draws_one_cluster_per_step_of_hand_stepped_cell():
    cell = nn.RNNCell(2, 3, bias=False)
    h, hs = mg.zeros(1, 3), []
    for x in mg.randn(3, 1, 2):
        h = cell(x, h)
        hs.append(h)
    dot = viz.to_dot(h.sum(), module=cell, steps=hs)
    assert clusters_of(dot) == {f"step {t}": ["linear", "linear", "tanh"] for t in (1, 2, 3)}
    # the state edges: each step's tanh (h[t]) feeds the next step's recurrent linear
    tanhs = [line.split()[0] for line in dot.splitlines() if "= tanh" in line]
    linears = [line.split()[0] for line in dot.splitlines() if "= linear" in line]
    assert [f"  {a} -> {b};" in dot.splitlines() for a, b in zip(tanhs, linears[3::2])] == [
        True, True]


def test_dot_clusters_a_sequence_layer_by_step_and_keeps_shared_ops_outside():
    rnn = nn.RNN(2, 3)
    out, _ = rnn(mg.randn(4, 1, 2))
    dot = viz.to_dot(out.sum(), module=rnn, steps=out)
    clusters = clusters_of(dot)
    assert list(clusters) == [f"step {t}" for t in (1, 2, 3, 4)]
    assert all(ops and "tanh" in ops for ops in clusters.values())
    inside = "".join(line for c in clusters.values() for line in c)
    assert "split" not in inside  # the input projection serves every step
    with pytest.raises(TypeError, match="concat"):
        viz.to_dot(out.sum(), steps=out.sum())
    with pytest.raises(TypeError, match="list of each step"):
        viz.to_dot(out.sum(), steps=3)


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
def test_clustered_dot_is_valid_graphviz(tmp_path):
    cell = nn.LSTMCell(2, 3)
    state, states = None, []
    for x in mg.randn(2, 1, 2):
        state = cell(x, state)
        states.append(state)
    source = viz.to_dot(state[0].sum(), module=cell, steps=states)
    assert viz.render(source, tmp_path / "lstm.dot").stat().st_size > 0
