"""Generic tests of every op, driven by the registry in ``op_registry.py``.

For each op: the forward equals NumPy's; autograd's gradients match central finite differences in
float64 (hypothesis-drawn shapes, broadcasting included); float32 inputs give float32 outputs and
gradients; every gradient has its input's shape.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import Phase, find, given, settings
from op_registry import OPS

import minigrad
from minigrad.testing import assert_gradients_match

ids = [op.name for op in OPS]
GRAD_OPS = [op for op in OPS if op.grad]  # the ops with a gradient (floor_divide has none, as in PyTorch)
grad_ids = [op.name for op in GRAD_OPS]


def _as_tuple(out):
    return out if isinstance(out, tuple) else (out,)


def _tensors(arrays_, dtype=np.float64, requires_grad=True):
    return [minigrad.Tensor(a.astype(dtype), requires_grad=requires_grad) for a in arrays_]


def _scalar_loss(outs):
    """A scalar that depends on every output element with distinct weights (catches swapped elements)."""
    total = 0
    for k, o in enumerate(outs):
        weights = np.arange(1, o.numel() + 1, dtype=o.dtype).reshape(o.shape) / (o.numel() + k + 1)
        total = total + (o * weights).sum()
    return total


@pytest.mark.parametrize("op", OPS, ids=ids)
def test_forward_matches_numpy(op):
    @given(op.inputs)
    def check(drawn):
        arrays_, kwargs = drawn
        outs = _as_tuple(op.fn(*_tensors(arrays_, requires_grad=False), **kwargs))
        refs = _as_tuple(op.ref(*arrays_, **kwargs))
        assert len(outs) == len(refs)
        for out, ref in zip(outs, refs):
            assert isinstance(out, minigrad.Tensor)
            assert out.shape == np.shape(ref)
            np.testing.assert_allclose(out.data, ref, rtol=1e-12, atol=1e-12)

    check()


@pytest.mark.parametrize("op", GRAD_OPS, ids=grad_ids)
def test_gradients_match_finite_differences(op):
    @given(op.inputs)
    def check(drawn):
        arrays_, kwargs = drawn
        tensors = _tensors(arrays_)
        assert_gradients_match(lambda *xs: op.fn(*xs, **kwargs), *tensors)

    check()


@pytest.mark.parametrize("op", OPS, ids=ids)
def test_float32_in_float32_out(op):
    @given(op.inputs)
    def check(drawn):
        arrays_, kwargs = drawn
        tensors = _tensors(arrays_, dtype=np.float32, requires_grad=op.grad)
        outs = _as_tuple(op.fn(*tensors, **kwargs))
        for out in outs:
            assert out.dtype == np.float32, f"{op.name} returned {out.dtype} for float32 inputs"
        if not op.grad:
            return
        _scalar_loss(outs).backward()
        for t in tensors:
            assert t.grad is not None and t.grad.dtype == np.float32

    check()


@pytest.mark.parametrize("op", GRAD_OPS, ids=grad_ids)
def test_gradient_has_input_shape(op):
    @given(op.inputs)
    def check(drawn):
        arrays_, kwargs = drawn
        tensors = _tensors(arrays_)
        _scalar_loss(_as_tuple(op.fn(*tensors, **kwargs))).backward()
        for t in tensors:
            assert t.grad is not None
            assert t.grad.shape == t.shape
            assert isinstance(t.grad, np.ndarray)

    check()


def _functions_in_graph(outs) -> set:
    seen, stack = set(), [o for o in outs if o.grad_fn is not None]
    while stack:
        ctx = stack.pop().grad_fn
        seen.add(type(ctx).__name__)
        stack.extend(p for p in ctx.parents if isinstance(p, minigrad.Tensor) and p.grad_fn is not None)
    return seen


def test_registry_covers_every_op_class():
    """Every Function class in minigrad.ops is exercised by some registry entry (Cast: test_kinks_and_ties.py)."""
    seen = set()
    for op in OPS:
        one = settings(max_examples=1, phases=[Phase.generate], database=None, derandomize=True)
        arrays_, kwargs = find(op.inputs, lambda _: True, settings=one)  # one drawn example, deterministic
        seen |= _functions_in_graph(_as_tuple(op.fn(*_tensors(arrays_), **kwargs)))
    every = {
        name for name, obj in vars(minigrad.ops).items() if isinstance(obj, type) and issubclass(obj, minigrad.Function)
    }
    assert every - seen == {"Cast"}, f"op classes no registry entry reaches: {sorted(every - seen - {'Cast'})}"
