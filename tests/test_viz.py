"""minigrad.viz: the DOT text is well formed, matches the graph node for node, and groups time steps."""

from __future__ import annotations

import re
import sys
import types

import numpy as np
import pytest

import minigrad
import seq
from minigrad.viz import draw_dot, graph_nodes, render, to_dot

NODE = re.compile(r"^\s*(\w+) \[(.*)\];$")
EDGE = re.compile(r"^\s*(\w+) -> (\w+)( \[.*\])?;$")


def parse(dot: str) -> dict:
    """A structure check without graphviz: returns nodes (id -> attrs), edges, clusters (label -> ids)."""
    assert dot.startswith("digraph minigrad {")
    assert dot.rstrip().endswith("}")
    depth = 0
    for ch in re.sub(r'"(\\.|[^"\\])*"', '""', dot):  # braces inside labels do not count
        depth += ch == "{"
        depth -= ch == "}"
        assert depth >= 0
    assert depth == 0, "unbalanced braces"
    nodes: dict = {}
    edges: list = []
    clusters: dict = {}
    current = None
    for line in dot.splitlines()[1:-1]:
        if line.strip().startswith("subgraph cluster_"):
            current = []
            continue
        if current is not None and line.strip().startswith("label="):
            clusters[re.search(r'label="([^"]*)"', line).group(1)] = current
            continue
        if line.strip() == "}":
            current = None
            continue
        if m := EDGE.match(line):
            edges.append((m.group(1), m.group(2)))
        elif (m := NODE.match(line)) and m.group(1) not in ("node", "edge"):
            assert m.group(1) not in nodes, f"node {m.group(1)} declared twice"
            nodes[m.group(1)] = m.group(2)
            if current is not None:
                current.append(m.group(1))
    for a, b in edges:
        assert a in nodes and b in nodes, f"edge {a} -> {b} between undeclared nodes"
    return {"nodes": nodes, "edges": edges, "clusters": clusters}


def walk(root):
    """Count tensors, ops and edges by walking grad_fn (recursively: these graphs are small)."""
    tensors, ops = {}, {}

    def visit(t):
        if id(t) in tensors:
            return
        tensors[id(t)] = t
        ctx = t.grad_fn
        if ctx is None or id(ctx) in ops:
            return
        ops[id(ctx)] = ctx
        for p in ctx.parents:
            if isinstance(p, minigrad.Tensor):
                visit(p)

    visit(root)
    inputs = sum(sum(isinstance(p, minigrad.Tensor) for p in ctx.parents) for ctx in ops.values())
    outputs = sum(1 for t in tensors.values() if t.grad_fn is not None)
    return len(tensors), len(ops), inputs + outputs


def rnn_loop(steps=4, shared_loss=True):
    minigrad.manual_seed(0)
    cell = seq.RNNCell(3, 5, dtype=np.float64)
    x = minigrad.randn(steps, 2, 3, dtype=np.float64, requires_grad=True)
    a, states = None, []
    for t in range(steps):
        a = cell(x[t], a)
        states.append(a)
    loss = (a * a).sum()
    return cell, x, states, loss


def test_dot_matches_the_graph_node_for_node():
    _, _, _, loss = rnn_loop()
    graph = parse(to_dot(loss))
    n_tensors, n_ops, n_edges = walk(loss)
    assert sum(k.startswith("t") for k in graph["nodes"]) == n_tensors
    assert sum(k.startswith("op") for k in graph["nodes"]) == n_ops
    assert len(graph["edges"]) == n_edges
    assert graph_nodes(loss)[2] is False


def test_op_nodes_carry_the_function_name_and_tensor_nodes_their_shape():
    x = minigrad.tensor(np.ones((2, 3)), requires_grad=True)
    y = x.tanh().sum()
    graph = parse(to_dot(y, names={"x": x}))
    labels = list(graph["nodes"].values())
    assert any('label="TanhBackward"' in lab for lab in labels)
    assert any('label="SumBackward"' in lab for lab in labels)
    assert any("x\\n(2, 3) float64\\nrequires_grad=True" in lab for lab in labels)
    assert len(graph["edges"]) == 4  # x -> tanh -> h -> sum -> y


def test_edges_run_forward_from_inputs_to_outputs():
    x = minigrad.tensor([1.0, 2.0], requires_grad=True)
    y = x.exp()
    graph = parse(to_dot(y))
    ids = {
        ("x" if "(2,)" in a and "palegreen" not in a else "y" if "palegreen" in a else "op"): k
        for k, a in graph["nodes"].items()
    }
    assert set(graph["edges"]) == {(ids["x"], ids["op"]), (ids["op"], ids["y"])}


def test_an_op_with_several_outputs_is_one_node_with_an_edge_to_each_used_output():
    x = minigrad.tensor(np.arange(6.0), requires_grad=True)
    a, b, c = x.split(2)
    y = (a * b + c).sum()
    graph = parse(to_dot(y))
    split_ops = [k for k, attrs in graph["nodes"].items() if "SplitBackward" in attrs]
    assert len(split_ops) == 1
    assert sum(1 for src, _ in graph["edges"] if src == split_ops[0]) == 3
    assert sum("output 2" in attrs for attrs in graph["nodes"].values()) == 1
    n_tensors, n_ops, n_edges = walk(y)
    assert len(graph["nodes"]) == n_tensors + n_ops and len(graph["edges"]) == n_edges


def test_gradient_norms_appear_after_backward_only():
    cell, _, _, loss = rnn_loop(steps=2)
    assert "|grad|" not in to_dot(loss)
    loss.backward()
    dot = to_dot(loss, names=cell)
    norm = np.linalg.norm(cell.weight_hh.grad)
    assert f"weight_hh\\n(5, 5) float64\\nrequires_grad=True\\n|grad| = {norm:.4g}" in dot
    assert "|grad|" not in to_dot(loss, show_grad=False)


def test_constants_are_left_out_unless_asked_for():
    x = minigrad.tensor(np.ones((2, 3)), requires_grad=True)
    y = (1 - x).sum(axis=1)
    plain, with_constants = parse(to_dot(y)), parse(to_dot(y, show_constants=True))
    extra = set(with_constants["nodes"]) - set(plain["nodes"])
    assert extra and all("plaintext" in with_constants["nodes"][k] for k in extra)
    assert len(plain["nodes"]) == sum(walk(y)[:2])


def test_grouping_covers_every_node_exactly_once_when_every_node_belongs_to_a_step():
    a = minigrad.tensor(np.ones(3), requires_grad=True)
    steps = []
    for _ in range(4):
        w = minigrad.tensor(np.full(3, 0.5), requires_grad=True)  # a weight of this step only
        a = (a * w).tanh()
        steps.append(a)
    graph = parse(to_dot(steps[-1], group=steps))
    assert list(graph["clusters"]) == ["t=1", "t=2", "t=3", "t=4"]
    members = [n for ids in graph["clusters"].values() for n in ids]
    assert sorted(members) == sorted(graph["nodes"])  # every node, once
    # w, mul, a*w, tanh, a<t>; and the first step also holds the leaf a<0>
    assert [len(ids) for ids in graph["clusters"].values()] == [6, 5, 5, 5]


def test_grouping_an_rnn_keeps_shared_weights_outside_the_steps():
    cell, x, states, loss = rnn_loop(steps=4)
    graph = parse(to_dot(loss, group=states, names={**dict(cell.named_parameters()), "x": x}))
    assert list(graph["clusters"]) == ["t=1", "t=2", "t=3", "t=4"]
    sizes = [len(ids) for ids in graph["clusters"].values()]
    assert sizes[1:] == [sizes[1]] * 3  # every step draws the same picture...
    assert sizes[0] == sizes[1] + 1  # ... and the first one also holds the zero initial state a<0>
    inside = {n for ids in graph["clusters"].values() for n in ids}
    assert len(inside) == sum(len(ids) for ids in graph["clusters"].values())  # no node in two steps
    outside = [graph["nodes"][n] for n in graph["nodes"] if n not in inside]
    for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "x\\n"):
        assert any(attrs.split('label="')[1].startswith(name) for attrs in outside), name
    assert len(graph["nodes"]) == sum(walk(loss)[:2])


def test_group_as_a_dict_sets_the_labels_and_accepts_lstm_pairs():
    minigrad.manual_seed(0)
    cell = seq.LSTMCell(2, 3, dtype=np.float64)
    x = minigrad.randn(3, 1, 2, dtype=np.float64)
    state, group, pairs = None, {}, []
    for t in range(3):
        state = cell(x[t], state)
        group[state[0]] = group[state[1]] = f"a<{t + 1}>"
        pairs.append(state)
    y = state[0].sum()
    by_dict, by_pairs = parse(to_dot(y, group=group)), parse(to_dot(y, group=pairs))
    assert list(by_dict["clusters"]) == ["a<1>", "a<2>", "a<3>"]
    assert [len(v) for v in by_dict["clusters"].values()] == [len(v) for v in by_pairs["clusters"].values()]
    with pytest.raises(TypeError, match="group"):
        to_dot(y, group=42)


def test_max_nodes_cuts_a_long_graph_and_says_so():
    _, _, _, loss = rnn_loop(steps=30)
    graph = parse(to_dot(loss, max_nodes=40))
    assert len([n for n in graph["nodes"] if n != "more"]) <= 40
    assert "more" in graph["nodes"] and any(src == "more" for src, _ in graph["edges"])
    assert graph_nodes(loss, max_nodes=40)[2] is True


def test_a_deep_graph_is_walked_without_recursion():
    x = minigrad.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(3000):
        y = y * 1.0001
    tensors, ops, _ = graph_nodes(y)
    assert len(ops) == 3000 and len(tensors) == 3001


def test_render_falls_back_to_a_dot_file_when_graphviz_is_missing(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "graphviz", None)  # import graphviz now raises ImportError
    x = minigrad.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    written = render(y, tmp_path / "graph.png")
    assert written == tmp_path / "graph.dot"
    assert written.read_text() == to_dot(y)
    assert not (tmp_path / "graph.png").exists()
    assert f"dot -Tpng {written} -o {tmp_path / 'graph.png'}" in capsys.readouterr().out


def test_render_uses_graphviz_when_it_works(tmp_path, monkeypatch):
    calls = []

    class Source:
        def __init__(self, text):
            calls.append(text)

        def pipe(self, format):
            return f"<{format}>".encode()

    monkeypatch.setitem(sys.modules, "graphviz", types.SimpleNamespace(Source=Source))
    y = minigrad.tensor([1.0], requires_grad=True).exp()
    assert render(y, tmp_path / "g.svg") == tmp_path / "g.svg"
    assert (tmp_path / "g.svg").read_bytes() == b"<svg>"
    assert calls == [to_dot(y)]


def test_render_falls_back_when_the_dot_program_fails(tmp_path, monkeypatch, capsys):
    class Source:
        def __init__(self, text):
            pass

        def pipe(self, format):
            raise RuntimeError("failed to execute PosixPath('dot')")

    monkeypatch.setitem(sys.modules, "graphviz", types.SimpleNamespace(Source=Source))
    y = minigrad.tensor([1.0], requires_grad=True).exp()
    assert render(y, tmp_path / "g.svg") == tmp_path / "g.dot"
    assert "dot program did not run" in capsys.readouterr().out


def test_render_writes_dot_directly_and_refuses_unknown_suffixes(tmp_path):
    y = minigrad.tensor([1.0], requires_grad=True).exp()
    assert render(y, tmp_path / "g.dot").read_text() == to_dot(y)
    with pytest.raises(ValueError, match="suffix"):
        render(y, tmp_path / "g.jpeg")
    with pytest.raises(TypeError, match="Tensor"):
        to_dot(np.ones(2))


def test_a_cells_layer_is_grouped_by_the_states_its_output_stacks():
    minigrad.manual_seed(0)
    rnn = seq.GRU(3, 4, impl="cells", dtype=np.float64)
    output, _ = rnn(minigrad.randn(5, 2, 3, dtype=np.float64))
    graph = parse(to_dot(output.sum(), group=list(output.grad_fn.parents), names=rnn))
    assert list(graph["clusters"]) == [f"t={t}" for t in range(1, 6)]
    sizes = [len(ids) for ids in graph["clusters"].values()]
    assert sizes[1:] == [sizes[1]] * 4 and sizes[0] == sizes[1] + 1  # step 1 also holds the zero a<0>


# ------------------------------------------------------------------------------------------------
# In a notebook: draw_dot displays inline
# ------------------------------------------------------------------------------------------------


def test_draw_dot_displays_svg_when_graphviz_works(monkeypatch):
    class Source:
        def __init__(self, text):
            self.text = text

        def pipe(self, format):
            return f"<svg>{format}:{len(self.text)}</svg>".encode()

    monkeypatch.setitem(sys.modules, "graphviz", types.SimpleNamespace(Source=Source))
    y = (minigrad.tensor([1.0, 2.0], requires_grad=True).tanh() * 3).sum()
    graph = draw_dot(y, names={})
    assert graph.source == to_dot(y, names={}) == str(graph)
    bundle = graph._repr_mimebundle_()
    assert bundle["image/svg+xml"] == f"<svg>svg:{len(graph.source)}</svg>"
    assert bundle["text/plain"] == graph.source


def test_draw_dot_displays_the_dot_text_without_graphviz(monkeypatch):
    monkeypatch.setitem(sys.modules, "graphviz", None)
    y = minigrad.tensor([1.0], requires_grad=True).exp()
    bundle = draw_dot(y)._repr_mimebundle_()
    assert set(bundle) == {"text/plain"}
    assert bundle["text/plain"].startswith(to_dot(y))
    assert "graphviz package is not installed" in bundle["text/plain"]
    assert "3 edges" not in repr(draw_dot(y)) and "edges" in repr(draw_dot(y))


def test_draw_dot_in_an_ipython_display_formatter(monkeypatch):
    """The object IPython's display machinery would call: without IPython, the protocol method itself."""
    monkeypatch.setitem(sys.modules, "graphviz", None)
    y = minigrad.tensor([1.0], requires_grad=True).exp()
    graph = draw_dot(y)
    assert callable(getattr(graph, "_repr_mimebundle_", None))
    formatter = pytest.importorskip("IPython.core.formatters", reason="IPython is optional")
    data, _ = formatter.DisplayFormatter().format(graph)
    assert data["text/plain"].startswith("digraph minigrad")
