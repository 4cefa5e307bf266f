"""The backward engine: graph shapes, accumulation, errors that teach, hooks, in-place safety, memory."""

from __future__ import annotations

import gc
import subprocess
import sys
import tracemalloc
import weakref

import numpy as np
import pytest

import minigrad
from minigrad import Tensor


def leaf(values, dtype=np.float64):
    return Tensor(np.array(values, dtype=dtype), requires_grad=True)


# ------------------------------------------------------------------------------------------------
# Graph shapes
# ------------------------------------------------------------------------------------------------


def test_fan_out_sums_contributions():
    x = leaf([1.0, -2.0, 3.0])
    (x * x + x).sum().backward()  # d(x² + x)/dx = 2x + 1
    np.testing.assert_array_equal(x.grad, 2 * x.data + 1)


def test_diamond_graph():
    x = leaf([0.5, -1.5])
    a = x.tanh()
    b = a * 3.0
    c = a.exp()
    (b * c).sum().backward()
    ta = np.tanh(x.data)
    expected = (3 * np.exp(ta) + 3 * ta * np.exp(ta)) * (1 - ta**2)  # d(3a e^a)/da · da/dx
    np.testing.assert_allclose(x.grad, expected, rtol=1e-12)


def test_same_tensor_twice_in_one_op():
    x = leaf([2.0, 3.0])
    minigrad.maximum(x, x).sum().backward()  # a tie everywhere: half to each argument, 1 in total
    np.testing.assert_array_equal(x.grad, [1.0, 1.0])


def test_broadcast_gradient_is_summed_to_input_shape():
    w = leaf(np.ones((1, 3)))
    x = Tensor(np.arange(12.0).reshape(4, 3))
    (x * w).sum().backward()
    assert w.grad.shape == (1, 3)
    np.testing.assert_array_equal(w.grad, x.data.sum(axis=0, keepdims=True))


@pytest.mark.slow
def test_long_chain_with_default_recursion_limit():
    limit = sys.getrecursionlimit()
    x = leaf([1.0])
    y = x
    for _ in range(100_000):
        y = y * 1.0 + 0.0
    y.sum().backward()
    assert sys.getrecursionlimit() == limit
    np.testing.assert_array_equal(x.grad, [1.0])


@pytest.mark.slow
def test_deleting_a_million_node_graph_does_not_crash():
    code = (
        "import numpy as np, minigrad\n"
        "x = minigrad.Tensor(np.zeros(1), requires_grad=True)\n"
        "y = x\n"
        "for _ in range(1_000_000):\n"
        "    y = y + 1.0\n"
        "del y\n"
        "print('ok')\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "ok"


def test_slicing_every_step_allocates_one_gradient_buffer(monkeypatch):
    """X[t] for each of T steps: backward adds slices into one buffer, not T full-size arrays."""
    T, B = 200, 4
    X = leaf(np.random.default_rng(0).standard_normal((T, B)))
    total = sum((X[t] * float(t)).sum() for t in range(T))
    calls = []
    real_zeros = np.zeros

    def counting_zeros(shape, *args, **kwargs):
        if tuple(np.atleast_1d(shape)) == X.shape:
            calls.append(shape)
        return real_zeros(shape, *args, **kwargs)

    monkeypatch.setattr(np, "zeros", counting_zeros)
    total.backward()
    assert len(calls) == 1
    np.testing.assert_array_equal(X.grad, np.repeat(np.arange(T, dtype=float)[:, None], B, axis=1))


def test_several_outputs_one_backward_and_zeros_for_unused_outputs():
    x = leaf(np.arange(6.0))
    a, _unused, c = x.split(2)
    (a * 2 + c * 3).sum().backward()  # b is unused: its gradient is zero
    np.testing.assert_array_equal(x.grad, [2, 2, 0, 0, 3, 3])


# ------------------------------------------------------------------------------------------------
# Accumulation and misuse
# ------------------------------------------------------------------------------------------------


def test_leaf_gradients_accumulate_across_backward_calls():
    x = leaf([1.0, 2.0])
    (x * 3).sum().backward()
    (x * 3).sum().backward()
    np.testing.assert_array_equal(x.grad, [6.0, 6.0])
    x.grad = None
    (x * 3).sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0, 3.0])


def test_grad_is_none_until_backward_and_for_non_leaves():
    x = leaf([1.0])
    y = x * 2
    assert x.grad is None
    y.sum().backward()
    assert y.grad is None and x.grad is not None


def test_backward_twice_through_freed_graph_says_retain_graph():
    x = leaf([1.0, 2.0])
    y = (x.tanh() * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        y.backward()


def test_retain_graph_allows_a_second_backward():
    x = leaf([1.0, 2.0])
    y = (x.tanh() * x).sum()
    y.backward(retain_graph=True)
    first = x.grad.copy()
    y.backward()
    np.testing.assert_allclose(x.grad, 2 * first)


def test_non_scalar_backward_needs_a_gradient():
    x = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar outputs"):
        (x * 2).backward()
    (x * 2).backward(gradient=np.array([1.0, 10.0]))
    np.testing.assert_array_equal(x.grad, [2.0, 20.0])


def test_gradient_of_wrong_shape_is_refused():
    x = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match=r"shape \(3,\).*\(2,\)"):
        (x * 2).backward(gradient=np.ones(3))


def test_backward_on_tensor_without_graph_is_refused():
    with pytest.raises(RuntimeError, match="does not require grad"):
        Tensor([1.0]).sum().backward()


def test_integer_tensor_cannot_require_grad():
    with pytest.raises(RuntimeError, match="floating point"):
        Tensor([1, 2, 3], requires_grad=True)
    with pytest.raises(RuntimeError, match="floating point"):
        Tensor([1, 2]).requires_grad_()


def test_wrong_number_of_gradients_from_a_custom_function():
    class Bad(minigrad.Function):
        @staticmethod
        def forward(ctx, a, b):
            return a + b

        @staticmethod
        def backward(ctx, g):
            return g  # forgot the second input

    x, y = leaf([1.0]), leaf([2.0])
    with pytest.raises(RuntimeError, match=r"incorrect number of gradients \(expected 2, got 1\)"):
        Bad.apply(x, y).sum().backward()


# ------------------------------------------------------------------------------------------------
# Grad mode
# ------------------------------------------------------------------------------------------------


def test_no_grad_builds_no_graph():
    x = leaf([1.0])
    with minigrad.no_grad():
        y = x * 2
        assert not minigrad.is_grad_enabled()
    assert minigrad.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None


def test_no_grad_as_decorator_and_enable_grad_inside():
    x = leaf([1.0])

    @minigrad.no_grad()
    def f():
        a = x * 2
        with minigrad.enable_grad():
            b = x * 2
        return a, b

    a, b = f()
    assert a.grad_fn is None and b.grad_fn is not None


def test_set_grad_enabled():
    x = leaf([1.0])
    with minigrad.set_grad_enabled(False):
        assert (x * 2).grad_fn is None
    with minigrad.set_grad_enabled(True):
        assert (x * 2).grad_fn is not None


def test_detach_shares_data_and_leaves_the_graph():
    x = leaf([1.0, 2.0])
    y = (x * 2).detach()
    assert not y.requires_grad and y.grad_fn is None
    z = x * 2
    assert np.shares_memory(z.detach().data, z.data)


# ------------------------------------------------------------------------------------------------
# Hooks and retain_grad
# ------------------------------------------------------------------------------------------------


def test_hook_sees_the_total_gradient_of_a_tensor_used_twice():
    x = leaf([1.0, 2.0])
    h = x * 3
    seen = []
    h.register_hook(lambda g: seen.append(g.copy()))
    (h * h).sum().backward()
    assert len(seen) == 1
    np.testing.assert_array_equal(seen[0], 2 * h.data)


def test_hook_can_replace_the_gradient_and_be_removed():
    x = leaf([1.0, 2.0])
    h = x * 1.0
    handle = h.register_hook(lambda g: g * 0)
    h.sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.0])
    handle.remove()
    x.grad = None
    h2 = x * 1.0
    h2.sum().backward()
    np.testing.assert_array_equal(x.grad, [1.0, 1.0])


def test_hook_on_a_leaf_runs_before_accumulation():
    x = leaf([1.0])
    x.register_hook(lambda g: g * 10)
    (x * 2).sum().backward()
    np.testing.assert_array_equal(x.grad, [20.0])


def test_hook_returning_a_wrong_shape_is_refused():
    x = leaf([1.0, 2.0])
    h = x * 1.0
    h.register_hook(lambda g: np.ones(3))
    with pytest.raises(RuntimeError, match="hook returned a gradient of shape"):
        h.sum().backward()


def test_retain_grad_keeps_a_non_leaf_gradient():
    x = leaf([1.0, 2.0])
    h = x.tanh()
    h.retain_grad()
    assert h.retains_grad
    (h * 5).sum().backward()
    np.testing.assert_array_equal(h.grad, [5.0, 5.0])


def test_per_step_gradients_through_a_recurrence_match_finite_differences():
    """retain_grad on each a<t> of a loop gives the total dL/da<t>, through the recurrence."""
    rng = np.random.default_rng(3)
    W = rng.standard_normal((3, 3)) * 0.5
    xs = rng.standard_normal((4, 3))

    def run(perturb_step=None, eps=0.0, direction=None):
        a = Tensor(np.zeros(3), requires_grad=True)
        states = []
        for t in range(4):
            a = (Tensor(W) @ a + Tensor(xs[t])).tanh()
            if t == perturb_step:
                a = a + Tensor(eps * direction)
            a.retain_grad()
            states.append(a)
        return states, (states[-1] * states[-1]).sum()

    states, loss = run()
    loss.backward()
    for t in range(4):
        for i in range(3):
            e = np.eye(3)[i]
            plus = run(t, 1e-6, e)[1].item()
            minus = run(t, -1e-6, e)[1].item()
            np.testing.assert_allclose(states[t].grad[i], (plus - minus) / 2e-6, rtol=1e-6, atol=1e-9)


# ------------------------------------------------------------------------------------------------
# In-place safety
# ------------------------------------------------------------------------------------------------


def test_modifying_a_saved_tensor_in_place_is_caught_with_both_versions():
    w = leaf([1.0, 2.0])
    x = Tensor(np.array([3.0, 4.0]))
    y = (w * x).sum()
    x.mul_(2)
    with pytest.raises(RuntimeError, match=r"saved tensor 1 of MulBackward.*version 1; expected version 0"):
        y.backward()


def test_modifying_an_output_through_detach_is_caught():
    x = leaf([0.5, 1.0])
    y = x.tanh()
    y.detach().add_(1.0)
    with pytest.raises(RuntimeError, match="TanhBackward"):
        y.sum().backward()


def test_modifying_a_view_bumps_its_base():
    w = leaf([1.0, 2.0])
    x = Tensor(np.array([[3.0, 4.0]]))
    y = (w * x).sum()
    x[0].zero_()  # the view shares x's memory and its version counter
    assert x._version == 1
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        y.backward()


def test_unrelated_in_place_changes_do_not_raise():
    w = leaf([1.0, 2.0])
    x = Tensor(np.array([3.0, 4.0]))
    other = Tensor(np.zeros(2))
    y = (w * x).sum()
    other.add_(1.0)
    y.backward()
    np.testing.assert_array_equal(w.grad, x.data)


def test_in_place_on_a_leaf_that_requires_grad():
    w = leaf([1.0])
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        w.add_(1.0)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        w += 1.0
    with minigrad.no_grad():
        w.sub_(0.5)  # what an optimizer does
    np.testing.assert_array_equal(w.data, [0.5])
    assert w._version == 1


def test_in_place_on_a_tensor_in_the_graph_is_refused_with_advice():
    w = leaf([1.0])
    h = w * 2
    with pytest.raises(RuntimeError, match="stack"):
        h[0] = 3.0


def test_augmented_assignment_builds_the_graph_out_of_place():
    w = leaf([1.0, 2.0])
    loss = 0
    for k in range(3):
        loss += (w * (k + 1)).sum()  # the usual way to add up per-step losses
    loss.backward()
    np.testing.assert_array_equal(w.grad, [6.0, 6.0])


# ------------------------------------------------------------------------------------------------
# Anomaly detection
# ------------------------------------------------------------------------------------------------


def test_anomaly_mode_names_the_op_and_where_it_was_created():
    x = leaf([0.0, 1.0])
    with minigrad.detect_anomaly(), np.errstate(divide="ignore"):
        y = x.sqrt()  # d sqrt/dx at 0 is inf
        with pytest.raises(minigrad.AnomalyError) as info:
            y.sum().backward()
    message = str(info.value)
    assert "SqrtBackward" in message
    assert "y = x.sqrt()" in message


def test_without_anomaly_mode_the_nan_passes_silently():
    x = leaf([0.0, 1.0])
    with np.errstate(divide="ignore"):
        x.sqrt().sum().backward()
    assert np.isinf(x.grad[0])


# ------------------------------------------------------------------------------------------------
# Memory
# ------------------------------------------------------------------------------------------------


def test_saved_arrays_are_released_by_backward():
    x = leaf(np.arange(4.0))
    y = x.var()  # saves x - mean(x), an array nothing else holds
    saved = weakref.ref(y.grad_fn.saved_tensors[0])
    y.backward()
    gc.collect()
    assert saved() is None  # the graph (x, y) is still alive, but what backward needed is gone


@pytest.mark.slow
def test_memory_does_not_grow_over_training_steps():
    rng = np.random.default_rng(0)
    w = Tensor(rng.standard_normal((8, 8)) * 0.1, requires_grad=True)
    x = Tensor(rng.standard_normal((16, 8)))

    def step():
        loss = ((x @ w).tanh() ** 2).mean()
        loss.backward()
        with minigrad.no_grad():
            w.sub_(0.1 * w.grad)
        w.grad = None
        return weakref.ref(loss)

    for _ in range(50):
        step()
    refs = []
    tracemalloc.start()
    gc.collect()
    before = tracemalloc.get_traced_memory()[0]
    for k in range(1000):
        ref = step()
        if k % 100 == 0:
            refs.append(ref)
    gc.collect()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    assert all(r() is None for r in refs)  # each sampled step's graph was freed
    assert after - before < 64 * 1024, f"memory grew by {after - before} bytes over 1000 steps"


# ------------------------------------------------------------------------------------------------
# minigrad.grad (the functional form)
# ------------------------------------------------------------------------------------------------


def test_grad_returns_gradients_without_touching_dot_grad():
    x, y = leaf([1.0, 2.0]), leaf([3.0])
    out = (x * y).sum()
    gx, gy = minigrad.grad(out, [x, y])
    np.testing.assert_array_equal(gx, [3.0, 3.0])
    np.testing.assert_array_equal(gy, [3.0])
    assert x.grad is None and y.grad is None


def test_grad_of_an_unused_input():
    x, y = leaf([1.0]), leaf([2.0])
    out = (x * 2).sum()
    with pytest.raises(RuntimeError, match="allow_unused=True"):
        minigrad.grad(out, [x, y], retain_graph=True)
    gx, gy = minigrad.grad(out, [x, y], allow_unused=True)
    assert gy is None and gx[0] == 2.0


def test_grad_with_respect_to_an_intermediate():
    x = leaf([1.0, 2.0])
    h = x * 3
    (gh,) = minigrad.grad((h * h).sum(), [h])
    np.testing.assert_array_equal(gh, 2 * h.data)


@pytest.mark.parametrize("shape", [(), (1,), (2, 3)])
def test_a_tensor_used_three_times_gets_all_three_contributions(shape):
    """NumPy gives 0-d results as immutable scalars: the sum of a 0-d tensor's contributions must still keep
    each one (x + x·x + 0.5·x has derivative 1 + 2x + 0.5 = 2.5 at x = 0.5, also for a 0-d x)."""
    x = minigrad.Tensor(np.full(shape, 0.5), requires_grad=True)
    (x + x * x + x * 0.5).sum().backward()
    np.testing.assert_allclose(x.grad, np.full(shape, 2.5))
    c = minigrad.Tensor(np.array([0.0, 0.0, 2.0]), requires_grad=True).unbind(0)[2]  # a 0-d piece used 3 times
    assert minigrad.grad(c * 0.5 + (c * c) * 0.3, [c])[0] == pytest.approx(0.5 + 0.6 * 2.0)
