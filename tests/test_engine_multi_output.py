"""The engine with several-output ops and loose backward returns: hooks see their own output's gradient."""

from __future__ import annotations

import numpy as np
import pytest

import minigrad
from minigrad import Function


def test_a_hook_on_one_output_of_a_split_sees_that_output_s_gradient():
    x = minigrad.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    first, second = minigrad.split(x, 2)
    seen = {}
    first.register_hook(lambda g: seen.setdefault("first", g.copy()))
    second.register_hook(lambda g: seen.setdefault("second", g.copy()))
    ((first * 3).sum() + (second * 5).sum()).backward()
    np.testing.assert_array_equal(seen["first"], [3.0, 3.0])
    np.testing.assert_array_equal(seen["second"], [5.0, 5.0])
    np.testing.assert_array_equal(x.grad, [3.0, 3.0, 5.0, 5.0])


def test_a_hook_on_one_output_can_replace_only_that_gradient():
    x = minigrad.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    a, b = x.unbind(0)[:2]
    a.register_hook(lambda g: g * 10)
    (a + b).backward()
    np.testing.assert_array_equal(x.grad, [10.0, 1.0, 0.0, 0.0])


def test_retain_grad_on_one_output_of_a_several_output_op():
    x = minigrad.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    rows = x.unbind(0)
    rows[1].retain_grad()
    (rows[0] * 2 + rows[1] * 7).sum().backward()
    np.testing.assert_array_equal(rows[1].grad, [7.0, 7.0])
    assert rows[0].grad is None


def test_grad_of_one_output_of_a_split():
    x = minigrad.tensor([1.0, 2.0, 3.0], requires_grad=True)
    a, b = minigrad.split(x, [1, 2])
    loss = (a * 2).sum() + (b * b).sum()
    (ga, gb) = minigrad.grad(loss, [a, b])
    np.testing.assert_array_equal(ga, [2.0])
    np.testing.assert_array_equal(gb, [4.0, 6.0])


class ScaleWithExtraNones(Function):
    """x * 2, whose backward returns trailing Nones past its one argument (PyTorch accepts that)."""

    @staticmethod
    def forward(ctx, x):
        return x * 2

    @staticmethod
    def backward(ctx, g):
        return g * 2, None, None


class ScaleWithExtraGradient(Function):
    @staticmethod
    def forward(ctx, x):
        return x * 2

    @staticmethod
    def backward(ctx, g):
        return g * 2, g


def test_trailing_none_gradients_are_dropped_but_extra_gradients_are_an_error():
    x = minigrad.tensor([1.0, 2.0], requires_grad=True)
    ScaleWithExtraNones.apply(x).sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0, 2.0])
    with pytest.raises(RuntimeError, match="incorrect number of gradients"):
        ScaleWithExtraGradient.apply(x).sum().backward()
