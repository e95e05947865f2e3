"""minigrad.viz: the tape as text (a Wengert list) and as Graphviz DOT."""

import gc
import shutil
import weakref

import pytest

import minigrad as mg
from minigrad import viz


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
    x = mg.ones(4, 3, requires_grad=True)
    a, b, _ = mg.split(x, 3, axis=1)  # the third piece is never used: its shape is unknown
    lines = viz.tape(a * b).splitlines()
    assert lines[1:] == [
        "%1.0, %1.1, %1.2 = split(%0)  (4, 1), (4, 1), ?", "%2 = mul(%1.0, %1.1)  (4, 1)",
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
