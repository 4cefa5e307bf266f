"""The readable backward (``minigrad/autograd/readable.py``) computes the engine's gradients.

A learner reads ``readable.backward``; ``Tensor.backward`` runs the engine. These tests hold the two
equal to 1e-12 on every op of the registry and on random composite graphs: fan-out (a tensor used many
times), broadcasting, indexing (the engine's ``IndexGrad`` buffers), several-output ops (split,
unbind, with outputs left unused) and long chains.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from op_registry import OPS

import minigrad
from minigrad.autograd import readable
from minigrad.testing import arrays, broadcastable_shapes


def _as_tuple(out):
    return out if isinstance(out, tuple) else (out,)


def _weighted_sum(outs):
    """A scalar that depends on every element of every output, with distinct weights."""
    total = 0
    for k, o in enumerate(outs):
        if o.dtype.kind != "f":
            continue
        weights = np.linspace(0.5, 1.5, o.numel()).reshape(o.shape) + k
        total = total + (o * weights).sum()
    return total


def _grads_both_ways(build, leaves_data):
    """Gradients of ``build(*leaves)`` by the engine and by the readable backward, on fresh leaves."""
    results = []
    for run in (lambda loss: loss.backward(), readable.backward):
        leaves = [minigrad.tensor(a, requires_grad=True) for a in leaves_data]
        run(build(*leaves))
        results.append([leaf.grad for leaf in leaves])
    return results


def _assert_same(engine, mine):
    for k, (e, r) in enumerate(zip(engine, mine)):
        assert (e is None) == (r is None), f"leaf {k}: engine {e}, readable {r}"
        if e is not None:
            assert r.dtype == e.dtype and r.shape == e.shape
            np.testing.assert_allclose(r, e, rtol=1e-12, atol=1e-12, err_msg=f"leaf {k}")


@pytest.mark.parametrize("op", [op for op in OPS if op.grad], ids=[op.name for op in OPS if op.grad])
def test_every_op_of_the_registry(op):
    @given(op.inputs)
    def check(drawn):
        arrays_, kwargs = drawn
        engine, mine = _grads_both_ways(lambda *xs: _weighted_sum(_as_tuple(op.fn(*xs, **kwargs))), arrays_)
        _assert_same(engine, mine)

    check()


# ------------------------------------------------------------------------------------------------
# Random composite graphs
# ------------------------------------------------------------------------------------------------

# Each step takes values already computed (by position in the list of values) and appends new ones.
UNARY = {
    "tanh": lambda a: a.tanh(),
    "sigmoid": lambda a: a.sigmoid(),
    "exp": lambda a: (a * 0.3).exp(),
    "square": lambda a: a * a,
    "sum_last": lambda a: a.sum(axis=-1, keepdims=True) if a.ndim else a,
    "first_row": lambda a: a[0] if a.ndim else a,
    "rows_0_0_1": lambda a: a[np.array([0, 0, a.shape[0] - 1])] if a.ndim else a,
    "reverse": lambda a: a[::-1] if a.ndim else a,
    "transpose": lambda a: a.T,
}
BINARY = {
    "add": lambda a, b: a + b,
    "mul": lambda a, b: a * b,
    "sub": lambda a, b: a - b,
    "max": lambda a, b: minigrad.maximum(a, b + 0.37),
}


@st.composite
def graphs(draw):
    """Leaves of broadcastable shapes, then 2-12 random steps over everything computed so far."""
    shape_a, shape_b = draw(broadcastable_shapes(2, min_dims=1))
    leaves = [draw(arrays(shape_a)), draw(arrays(shape_b)), draw(arrays(shape_a))]
    steps = []
    for _ in range(draw(st.integers(2, 12))):
        kind = draw(st.sampled_from(["unary", "binary", "split", "unbind"]))
        name = (
            draw(st.sampled_from(sorted(UNARY if kind == "unary" else BINARY))) if kind in ("unary", "binary") else kind
        )
        steps.append((kind, name, draw(st.integers(0, 10**6)), draw(st.integers(0, 10**6))))
    used = draw(st.lists(st.integers(0, 10**6), min_size=1, max_size=4))
    return leaves, steps, used


def _build(steps, used):
    def build(*leaves):
        values = list(leaves)
        for kind, name, i, j in steps:
            a, b = values[i % len(values)], values[j % len(values)]
            if kind == "unary":
                values.append(UNARY[name](a))
            elif kind == "binary":
                try:
                    values.append(BINARY[name](a, b))
                except RuntimeError:  # shapes that do not broadcast: use a with itself (fan-out)
                    values.append(BINARY[name](a, a))
            elif a.ndim and a.shape[0] > 1 and kind == "split":
                values.extend(minigrad.split(a, 1, dim=0)[:-1])  # the last piece is left unused
            elif a.ndim and kind == "unbind":
                values.extend(a.unbind(0)[::2])  # every other piece: the others get zero gradient
        chosen = [values[k % len(values)] for k in used] + [values[-1]]
        return _weighted_sum(chosen)

    return build


@given(graphs())
def test_random_composite_graphs(graph):
    leaves, steps, used = graph
    engine, mine = _grads_both_ways(_build(steps, used), leaves)
    _assert_same(engine, mine)


@pytest.mark.slow
def test_a_long_chain_has_no_recursion_limit():
    def build(x):
        for _ in range(5_000):
            x = (x * 0.999).tanh() + x * 0.001
        return x.sum()

    engine, mine = _grads_both_ways(build, [np.linspace(-1, 1, 4)])
    _assert_same(engine, mine)


def test_unused_leaf_and_backward_of_a_leaf():
    engine, mine = _grads_both_ways(lambda x, y: (x * 2).sum(), [np.ones(3), np.ones(2)])
    assert engine[1] is None and mine[1] is None
    _assert_same(engine, mine)
    x = minigrad.tensor(3.0, requires_grad=True)
    readable.backward(x)
    assert x.grad == 1.0


def test_readable_accumulates_like_the_engine():
    x = minigrad.tensor([1.0, 2.0], requires_grad=True)
    for run in (lambda loss: loss.backward(), readable.backward):
        x.grad = None
        run((x * x).sum())
        run((x * x).sum())
        np.testing.assert_array_equal(x.grad, [4.0, 8.0])


def test_readable_is_short():
    """The whole algorithm in at most 80 lines of code (docstrings and comments aside)."""
    import ast
    import inspect

    source = inspect.getsource(readable)
    tree = ast.parse(source)
    doc_lines = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.FunctionDef) and ast.get_docstring(node):
            first = node.body[0]
            doc_lines.update(range(first.lineno, first.end_lineno + 1))
    code = [
        line
        for number, line in enumerate(source.splitlines(), start=1)
        if line.strip() and not line.strip().startswith("#") and number not in doc_lines
    ]
    assert len(code) <= 80, len(code)
