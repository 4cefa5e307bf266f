"""demos/unrolled.py: the unrolled graph is a well-formed DOT file with one box per step, and dL/da<t> agrees."""

from __future__ import annotations

import importlib.util
import json
import re
import shutil

import numpy as np
import pytest

from demos import unrolled

EPS = float(np.finfo(np.float64).eps)
QUOTED = re.compile(r'"(?:[^"\\]|\\.)*"')


def structure(dot: str) -> dict:
    """Parse the DOT text enough to check it: braces, clusters and the nodes in each, nodes, edges."""
    text = QUOTED.sub('""', dot)  # labels may hold anything: blank them before counting braces
    depth, clusters, current = 0, {}, None
    declared, edges, outside = set(), [], set()
    labels = {m.group(1): m.group(2) for m in re.finditer(r'^\s*(\w+) \[.*?label="((?:[^"\\]|\\.)*)"', dot, re.M)}
    for line in text.splitlines():
        cluster = re.match(r"\s*subgraph (cluster_\w+) \{", line)
        if cluster:
            current = cluster.group(1)
            clusters[current] = set()
        node = re.match(r"\s*(\w+) \[", line)
        if node and node.group(1) not in ("node", "edge"):
            declared.add(node.group(1))
            (clusters[current] if depth == 2 and current else outside).add(node.group(1))
        edge = re.match(r"\s*(\w+) -> (\w+)", line)
        if edge:
            edges.append(edge.groups())
        depth += line.count("{") - line.count("}")
        assert depth >= 0, f"a '}}' closes nothing: {line!r}"
        if depth == 1:
            current = None
    return {
        "depth": depth,
        "clusters": clusters,
        "declared": declared,
        "edges": edges,
        "outside": outside,
        "labels": labels,
    }


def test_the_demo_writes_a_well_formed_unrolled_graph(tmp_path, capsys):
    metrics = unrolled.main(["--quick", "--seed", "0", "--out", str(tmp_path)])
    saved = json.loads((tmp_path / "metrics.json").read_text())
    assert set(saved) == set(metrics)

    dot = (tmp_path / "unrolled.dot").read_text()
    assert dot.startswith("digraph minigrad {")
    s = structure(dot)
    assert s["depth"] == 0  # balanced braces
    assert sorted(s["clusters"]) == ["cluster_0", "cluster_1", "cluster_2"]  # one box per time step
    assert metrics["clusters"] == 3
    for k, (name, nodes) in enumerate(sorted(s["clusters"].items())):
        assert f'label="t={k + 1}"' in dot.split(f"subgraph {name} {{")[1].split("\n")[1]
        in_box = {s["labels"][n].split("\\n")[0] for n in nodes}
        assert f"a<{k + 1}>" in in_box and f"L<{k + 1}>" in in_box and f"x<{k + 1}>" in in_box
    # the weights every step shares are drawn once, outside the boxes
    shared = {s["labels"][n].split("\\n")[0] for n in s["outside"]}
    assert {"Wax = weight_ih", "Waa = weight_hh", "Wya = head.weight", "L"} <= shared
    # every edge joins two declared nodes
    assert s["edges"] and all(a in s["declared"] and b in s["declared"] for a, b in s["edges"])

    out = capsys.readouterr().out
    assert "t=1" in out and "t=3" in out
    if shutil.which("dot") is None or importlib.util.find_spec("graphviz") is None:
        # without Graphviz's program or its Python package (the viz extra): the .dot, and how to draw it
        assert metrics["pictures"] == ["unrolled.dot"]
        assert "dot -Tsvg" in out or "graphviz" in out.lower()
    else:
        assert (tmp_path / "unrolled.svg").stat().st_size > 1000


def test_the_demo_gradients_agree(tmp_path):
    metrics = unrolled.main(["--seed", "1", "--out", str(tmp_path)])
    assert len(metrics["da_max_difference_per_step_in_eps"]) == 3
    assert metrics["da_max_difference_in_eps"] * EPS < 1e-12
    assert metrics["loss_difference_in_eps"] * EPS < 1e-12
    assert all(v * EPS < 1e-12 for v in metrics["weight_gradient_max_difference_in_eps"].values())


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_total_gradient_per_step_by_hand_equals_retain_grad(seed):
    parameters, x, a0, labels = unrolled.course_problem(seed)
    loss_hand, da_total, gradients = unrolled.by_hand(parameters, x, a0, labels)
    loss, steps, cell, head, _ = unrolled.by_autograd(parameters, x, a0, labels)
    assert abs(loss_hand - loss.item()) < 1e-12
    for t, (a, _) in enumerate(steps):
        assert np.max(np.abs(da_total[:, :, t] - a.grad.T)) < 1e-12
    # at the last step the total is only the direct part, Wyaᵀ (ŷ<T> - y<T>); earlier steps add more
    _, y_pred, _ = unrolled.reference.rnn_forward(x, a0, parameters)
    dz = y_pred.copy()  # ŷ<t> - y<t>, (n_y, m, T_x)
    for t in range(x.shape[2]):
        dz[labels[:, t], np.arange(x.shape[1]), t] -= 1.0
    np.testing.assert_allclose(da_total[:, :, -1], parameters["Wya"].T @ dz[:, :, -1], rtol=0, atol=1e-15)
    assert np.max(np.abs(da_total[:, :, 0] - parameters["Wya"].T @ dz[:, :, 0])) > 1e-3  # + through a<2>
    assert np.max(np.abs(gradients["dWaa"] - cell.weight_hh.grad)) < 1e-12
    assert np.max(np.abs(gradients["dWya"] - head.weight.grad)) < 1e-12
