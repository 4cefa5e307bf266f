"""What the engine's speed rests on, held by tests: each trick of ``engine.py``'s docstring keeps every result.

- ``Function.apply`` builds an op's output with ``Tensor._init``, the one place that lists the slots.
- A recorded op leaves two objects for Python's cyclic GC (its output and its ``ctx``): what keeps a long
  user loop from slowing down per step.
- Backward takes tensors in recording order from a heap, with no counting pass: uses of a tensor outside
  the loss's graph, several roots (one an ancestor of another), a second backward through a kept graph.
- A weight used at every step gets its products ``aᵀ g`` summed as one stacked product (``ProductGrad``):
  the same gradient as the sum of the products, across the memory bound and beside other contributions.
- ``x * x`` computes g·x once for both arguments; ``x * x.detach()`` and two tensors sharing one array get
  their own gradients.
- The sigmoid computed in one buffer is PyTorch's formula 1 / (1 + e^-x): accurate to the last bits over
  the whole range in float64 and float32, exact and quiet at ±1000.
- The cells path unbinds the input projection once (no op per step for it).
"""

from __future__ import annotations

import gc
import math

import numpy as np
import pytest
from conftest import torch_or_skip

import minigrad
from minigrad import Tensor
from minigrad.autograd import engine, readable
from minigrad.autograd.function import ProductGrad

RNG = np.random.default_rng(0)


def leaf(values, dtype=np.float64):
    return Tensor(np.asarray(values, dtype=dtype), requires_grad=True)


def _readable_slots(t: Tensor) -> set:
    """The slots of ``t`` that hold a value."""
    names = [n for n in Tensor.__slots__ if n != "__weakref__"]
    return {n for n in names if hasattr(t, n)}


# ------------------------------------------------------------------------------------------------
# The output tensor built by Tensor._init
# ------------------------------------------------------------------------------------------------


def test_an_ops_output_starts_with_the_slots_tensor_init_sets():
    started = object.__new__(Tensor)
    started._init(np.zeros(2), False, None)
    expected = _readable_slots(started)
    assert expected == _readable_slots(Tensor(np.zeros(2)))
    x, y = leaf([1.0, 2.0]), Tensor(np.array([3.0, 4.0]))
    outputs = {
        "one argument": x.tanh(),
        "two arguments": x * y,
        "three arguments": x.sum(0, keepdims=True),
        "a view": x[1:],
        "not recorded": y.exp(),
    }
    with minigrad.no_grad():
        outputs["under no_grad"] = x * 2
    for what, out in outputs.items():
        assert _readable_slots(out) == expected, what
    for piece in x.split(1):  # several outputs: also which output each one is
        assert _readable_slots(piece) == expected | {"_output_nr"}
    with minigrad.no_grad():
        for piece in x.split(1):
            assert _readable_slots(piece) == expected


def test_a_recorded_op_leaves_two_objects_for_the_garbage_collector():
    """Each object an op leaves is rescanned by every later full collection while a user's loop grows a graph:
    its output tensor and its ctx are all (no tuple of inputs, no dict; the saved arrays' tuple holds no object
    the collector tracks, so the first collection stops tracking it)."""
    x, a, m = leaf(RNG.standard_normal(4)), Tensor(RNG.standard_normal(4)), Tensor(RNG.standard_normal(4))
    n = 600
    gc.collect()
    before = len(gc.get_objects())
    y = x
    for k in range(n):
        y = y + a if k % 3 == 0 else (y * m if k % 3 == 1 else y.tanh())
    gc.collect()
    assert len(gc.get_objects()) - before <= 2 * n + 2  # (+2: the loop's own leftovers)
    y.sum().backward()
    np.testing.assert_allclose(x.grad, readable_grad(lambda x: _chain(x, a, m, n), x.data))


def _chain(x, a, m, n):
    y = x
    for k in range(n):
        y = y + a if k % 3 == 0 else (y * m if k % 3 == 1 else y.tanh())
    return y.sum()


def readable_grad(build, x0):
    """The gradient by the readable twin (``readable.backward``), on a fresh leaf."""
    x = leaf(x0)
    readable.backward(build(x))
    return x.grad


# ------------------------------------------------------------------------------------------------
# The schedule: recording order, no counting pass
# ------------------------------------------------------------------------------------------------


def test_uses_outside_the_loss_do_not_hold_backward_up():
    """A tensor also used by ops the loss does not depend on (a side branch, an op recorded later, a dropped
    result) gets the gradient of the loss alone."""
    x = leaf([0.5, -1.0])
    y = x * 2
    side = (y.exp() * 3).sum()  # never backpropagated
    loss = (y * y).sum()  # 4x², d/dx = 8x
    _after = y.tanh()  # recorded after the loss, unused
    loss.backward(retain_graph=True)  # (y's op is shared with the side branch, backpropagated next)
    np.testing.assert_allclose(x.grad, 8 * x.data, rtol=1e-15)
    x.grad = None
    side.backward()  # then the side branch alone: d(3 Σ e^{2x})/dx = 6 e^{2x}
    np.testing.assert_allclose(x.grad, 6 * np.exp(2 * x.data), rtol=1e-15)


def test_several_roots_one_an_ancestor_of_another():
    x = leaf([0.3, -0.7, 1.1])
    y = x.tanh()
    z = (y * 3).sum()
    minigrad.autograd.backward([y.sum(), z])  # d(Σ tanh x + 3 Σ tanh x)/dx = 4 (1 - tanh² x)
    np.testing.assert_allclose(x.grad, 4 * (1 - np.tanh(x.data) ** 2), rtol=1e-14)


def test_part_of_a_kept_graph_then_all_of_it():
    x = leaf([0.2, 0.4])
    h = x.sin()
    loss = (h * h).sum()
    (gh,) = minigrad.grad(loss, [h], retain_graph=True)  # stops nowhere: only returns h's gradient
    np.testing.assert_allclose(gh, 2 * np.sin(x.data), rtol=1e-15)
    assert x.grad is None
    loss.backward()
    np.testing.assert_allclose(x.grad, 2 * np.sin(x.data) * np.cos(x.data), rtol=1e-15)


def test_outputs_of_a_several_output_op_reached_at_different_depths():
    """The outputs of one op have consecutive places in recording order: backward finds them together, whatever
    lies between their uses and the loss."""
    x = leaf(np.arange(1.0, 7.0))
    a, b, c = x.split(2)
    deep = a
    for _ in range(20):
        deep = deep.sin() + 1.0
    loss = deep.sum() + (c * c).sum()  # b unused: zero gradient
    loss.backward()
    expected = readable_grad(lambda t: _split_loss(t), x.data)
    np.testing.assert_allclose(x.grad, expected, rtol=1e-13)
    np.testing.assert_array_equal(x.grad[2:4], 0.0)


def _split_loss(x):
    a, _, c = x.split(2)
    deep = a
    for _ in range(20):
        deep = deep.sin() + 1.0
    return deep.sum() + (c * c).sum()


# ------------------------------------------------------------------------------------------------
# A weight's products summed as one
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("bound", [1 << 20, 3 * 8 * 5 * 8], ids=["one product", "summed every three steps"])
def test_a_weight_used_at_every_step_gets_the_sum_of_its_products(monkeypatch, bound):
    monkeypatch.setattr(engine, "_STACKED_BYTES", bound)
    T, B, H, N = 13, 3, 4, 5
    hs = [RNG.standard_normal((B, H)) for _ in range(T)]
    cs = [RNG.standard_normal((B, N)) for _ in range(T)]
    w = leaf(RNG.standard_normal((H, N)))
    loss = sum(((Tensor(h) @ w) * Tensor(c)).sum() for h, c in zip(hs, cs))
    loss.backward()
    expected = sum(h.T @ c for h, c in zip(hs, cs))  # Σ_t h_tᵀ c_t
    np.testing.assert_allclose(w.grad, expected, rtol=1e-13, atol=1e-13)


def test_products_beside_other_contributions_to_one_tensor(monkeypatch):
    """Products, a plain array, an index's gradient and a broadcast one, in every order, to one weight."""
    monkeypatch.setattr(engine, "_STACKED_BYTES", 64)  # sum the products after every other one
    H, N = 3, 4
    w0 = RNG.standard_normal((H, N))
    hs = [RNG.standard_normal((2, H)) for _ in range(5)]

    def build(w):
        terms = [(Tensor(hs[0]) @ w).sum(), (w * 2.0).sum(), (Tensor(hs[1]) @ w).sum()]
        terms += [(w[1] * 5.0).sum(), (Tensor(hs[2]) @ w).sum(), (w.sum(0) * 0.5).sum()]
        terms += [(Tensor(hs[3]) @ w).sum(), (Tensor(hs[4]) @ w).sum()]
        total = terms[0]
        for term in terms[1:]:
            total = total + term
        return total

    w = leaf(w0)
    build(w).backward()
    expected = sum(h.T @ np.ones((2, N)) for h in hs) + 2.0 + 0.5
    expected[1] += 5.0
    np.testing.assert_allclose(w.grad, expected, rtol=1e-13)
    np.testing.assert_allclose(w.grad, readable_grad(build, w0), rtol=1e-13)


def test_a_hook_on_a_weight_sees_its_whole_gradient_once():
    w = leaf(RNG.standard_normal((3, 2)))
    wt = w.T  # a non-leaf that receives the products, as the cells path's W_hhᵀ
    seen = []
    wt.register_hook(lambda g: seen.append(np.array(g)))
    hs = [RNG.standard_normal((4, 2)) for _ in range(6)]
    sum((Tensor(h) @ wt).sum() for h in hs).backward()
    assert len(seen) == 1 and isinstance(seen[0], np.ndarray)
    np.testing.assert_allclose(seen[0], sum(h.T @ np.ones((4, 3)) for h in hs), rtol=1e-13)


def test_matmul_returns_a_product_only_for_two_matrices():
    a, b = leaf(RNG.standard_normal((2, 3))), leaf(RNG.standard_normal((3, 4)))
    ctx = (a @ b).grad_fn
    _, db = ctx.backward(ctx, np.ones((2, 4)))
    assert type(db) is ProductGrad
    np.testing.assert_allclose(db.to_dense(b.shape, b.dtype), a.data.T @ np.ones((2, 4)))
    batched = (leaf(RNG.standard_normal((5, 2, 3))) @ b).grad_fn
    assert type(batched.backward(batched, np.ones((5, 2, 4)))[1]) is np.ndarray  # already one product


def test_anomaly_mode_checks_a_product():
    a, b = leaf([[np.nan, 1.0]]), leaf([[1.0], [2.0]])
    with minigrad.detect_anomaly(), pytest.raises(minigrad.AnomalyError, match="MatMulBackward"):
        (a.detach() @ b).sum().backward()


# ------------------------------------------------------------------------------------------------
# x * x
# ------------------------------------------------------------------------------------------------


def test_x_times_x_computes_g_times_x_once_for_both_arguments():
    """The two contributions of ``x * x`` are one array (the same values), summed by the engine as any two."""
    x = leaf(RNG.standard_normal(5))
    y = x * x
    g = RNG.standard_normal(5)
    da, db = y.grad_fn.backward(y.grad_fn, g)
    assert da is db
    np.testing.assert_array_equal(da, g * x.data)
    y.backward(g)
    np.testing.assert_array_equal(x.grad, g * x.data + g * x.data)


def test_the_same_array_in_two_roles():
    data = RNG.standard_normal(4)
    x = leaf(data)
    (x * x.detach()).sum().backward()  # one of the two factors is a constant
    np.testing.assert_array_equal(x.grad, data)
    p, q = Tensor(data, requires_grad=True), Tensor(data, requires_grad=True)  # two tensors, one array
    (p * q).sum().backward()
    np.testing.assert_array_equal(p.grad, data)
    np.testing.assert_array_equal(q.grad, data)


# ------------------------------------------------------------------------------------------------
# Sigmoid
# ------------------------------------------------------------------------------------------------


def test_sigmoid_is_accurate_over_the_whole_range():
    x64 = np.linspace(-708.0, 740.0, 4001)  # where σ is a normal float64 (below, PyTorch's formula gives 0 too)
    exact = np.array([1.0 / (1.0 + math.exp(-v)) if v > -700 else math.exp(v) for v in x64])
    np.testing.assert_allclose(minigrad.sigmoid(Tensor(x64)).data, exact, rtol=4e-16, atol=0)
    x32 = np.linspace(-87.0, 87.0, 4001).astype(np.float32)  # where σ is a normal float32
    got = minigrad.sigmoid(Tensor(x32)).data
    assert got.dtype == np.float32
    exact32 = 1.0 / (1.0 + np.exp(-x32.astype(np.float64)))
    np.testing.assert_allclose(got, exact32, rtol=3e-7, atol=0)  # relative: also the tiny values of the left tail


def test_sigmoid_of_float32_is_exact_and_quiet_at_extremes():
    x = Tensor(np.array([-1000.0, -100.0, 0.0, 100.0, 1000.0], dtype=np.float32), requires_grad=True)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        y = x.sigmoid()
        y.sum().backward()
    np.testing.assert_array_equal(y.data, [0.0, 0.0, 0.5, 1.0, 1.0])
    np.testing.assert_array_equal(x.grad, [0.0, 0.0, 0.25, 0.0, 0.0])


def test_sigmoid_agrees_with_pytorch_in_float32():
    torch = torch_or_skip()
    x = np.linspace(-30.0, 30.0, 1201).astype(np.float32)
    ours = minigrad.sigmoid(Tensor(x)).data
    theirs = torch.sigmoid(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(ours, theirs, rtol=3e-7, atol=0)  # (the last bit may differ: two libms)


# ------------------------------------------------------------------------------------------------
# Split by slicing, unbroadcast by reshaping
# ------------------------------------------------------------------------------------------------


def test_split_pieces_are_views_including_empty_ones():
    x = leaf(np.arange(12.0).reshape(2, 6))
    pieces = x.split([2, 0, 4], dim=1)
    assert [p.shape for p in pieces] == [(2, 2), (2, 0), (2, 4)]
    assert all(np.shares_memory(p.data, x.data) for p in pieces if p.numel())
    (pieces[0].sum() * 2 + (pieces[2] * pieces[2]).sum()).backward()
    np.testing.assert_array_equal(x.grad[:, :2], 2.0)
    np.testing.assert_array_equal(x.grad[:, 2:], 2 * x.data[:, 2:])


@pytest.mark.parametrize(
    ("b_shape", "x_shape"), [((3,), (1, 3)), ((1, 3), (1, 1, 3)), ((1, 0), (3, 0)), ((0,), (1, 0))]
)
def test_a_gradient_broadcast_over_axes_of_length_one(b_shape, x_shape):
    b = leaf(RNG.standard_normal(b_shape))
    x = Tensor(RNG.standard_normal(x_shape))
    ((x + b) * 3.0).sum().backward()
    assert b.grad.shape == b_shape
    np.testing.assert_array_equal(b.grad, np.full(b_shape, 3.0 * np.prod(x_shape) / max(np.prod(b_shape), 1)))


# ------------------------------------------------------------------------------------------------
# The cells path
# ------------------------------------------------------------------------------------------------


def test_the_cells_path_takes_each_step_of_the_input_projection_from_one_unbind():
    import seq

    layer = seq.LSTM(3, 4, impl="cells", dtype=np.float64)
    out, _ = layer(Tensor(RNG.standard_normal((7, 2, 3)), requires_grad=True))
    kinds: dict = {}
    seen, stack = set(), [out]
    while stack:
        ctx = stack.pop().grad_fn
        if ctx is None or id(ctx) in seen:
            continue
        seen.add(id(ctx))
        kinds[type(ctx).__name__] = kinds.get(type(ctx).__name__, 0) + 1
        stack.extend(p for p in ctx.parents if isinstance(p, Tensor))
    assert kinds.get("Unbind") == 1 and "Index" not in kinds
    assert kinds["MatMul"] == 1 + 7  # the projection of all steps, then one product per step
