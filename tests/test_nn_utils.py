"""minigrad.nn.utils: clip_grad_norm_ and clip_grad_value_ against NumPy and torch.nn.utils."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minigrad
from minigrad import nn
from minigrad.nn.utils import clip_grad_norm_, clip_grad_value_
from minigrad.testing import arrays

NORM_TYPES = st.sampled_from([1.0, 2.0, 3.0, float("inf")])
GRADS = st.lists(arrays(st.sampled_from([(2,), (2, 3), (1, 1, 2)]), min_value=-5, max_value=5), min_size=1, max_size=3)


def params_with(grads):
    params = []
    for g in grads:
        p = nn.Parameter(np.zeros_like(g))
        p.grad = g.copy()
        params.append(p)
    return params


@given(GRADS, st.floats(0.01, 20), NORM_TYPES)
def test_clip_grad_norm_matches_numpy(grads, max_norm, norm_type):
    params = params_with(grads)
    flat = np.concatenate([g.ravel() for g in grads])
    if norm_type == float("inf"):
        expected_total = np.abs(flat).max()
    else:
        expected_total = (np.abs(flat) ** norm_type).sum() ** (1 / norm_type)
    total = clip_grad_norm_(params, max_norm, norm_type)
    np.testing.assert_allclose(total.item(), expected_total, rtol=1e-12)
    scale = min(1.0, max_norm / (expected_total + 1e-6))
    for p, g in zip(params, grads):
        np.testing.assert_allclose(p.grad, g * scale, rtol=1e-12)
    clipped = np.concatenate([p.grad.ravel() for p in params])
    assert np.linalg.norm(clipped, ord=norm_type) <= max_norm * (1 + 1e-9) or scale == 1.0


@given(GRADS, st.floats(0.01, 20), NORM_TYPES)
def test_clip_grad_norm_matches_torch(grads, max_norm, norm_type):
    torch = pytest.importorskip("torch")
    params = params_with(grads)
    tparams = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in grads]
    for t, g in zip(tparams, grads):
        t.grad = torch.tensor(g)
    total = clip_grad_norm_(params, max_norm, norm_type)
    expected = torch.nn.utils.clip_grad_norm_(tparams, max_norm, norm_type)
    np.testing.assert_allclose(total.item(), expected.item(), rtol=1e-10)
    for p, t in zip(params, tparams):
        np.testing.assert_allclose(p.grad, t.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_clip_grad_norm_skips_missing_grads_and_accepts_one_tensor():
    a, b = nn.Parameter(np.zeros(2)), nn.Parameter(np.zeros(2))
    a.grad = np.array([3.0, 4.0])
    assert clip_grad_norm_([a, b], 1.0).item() == pytest.approx(5.0)
    assert b.grad is None
    np.testing.assert_allclose(a.grad, [3 / (5 + 1e-6), 4 / (5 + 1e-6)])
    a.grad = np.array([3.0, 4.0])
    assert clip_grad_norm_(a, 10.0).item() == pytest.approx(5.0)
    np.testing.assert_array_equal(a.grad, [3.0, 4.0])  # under max_norm: unchanged
    assert clip_grad_norm_([b], 1.0).item() == 0.0


def test_clip_grad_norm_keeps_the_gradient_dtype_and_arrays():
    layer = nn.Linear(3, 2)
    layer(minigrad.randn(4, 3)).sum().backward()
    before = [p.grad for p in layer.parameters()]
    clip_grad_norm_(layer.parameters(), 0.1)
    assert all(p.grad is g and g.dtype == np.float32 for p, g in zip(layer.parameters(), before))


def test_clip_grad_norm_nonfinite():
    p = nn.Parameter(np.zeros(2))
    p.grad = np.array([np.inf, 1.0])
    with pytest.raises(RuntimeError, match="non-finite"):
        clip_grad_norm_([p], 1.0, error_if_nonfinite=True)
    assert np.isinf(clip_grad_norm_([p], 1.0).item())


@given(GRADS, st.floats(0.01, 3))
def test_clip_grad_value_(grads, clip_value):
    params = params_with(grads)
    clip_grad_value_(params, clip_value)
    for p, g in zip(params, grads):
        np.testing.assert_array_equal(p.grad, np.clip(g, -clip_value, clip_value))
    torch = pytest.importorskip("torch")
    tparams = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in grads]
    for t, g in zip(tparams, grads):
        t.grad = torch.tensor(g)
    torch.nn.utils.clip_grad_value_(tparams, clip_value)
    for p, t in zip(params, tparams):
        np.testing.assert_array_equal(p.grad, t.grad.numpy())
