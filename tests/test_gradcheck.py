"""gradcheck passes correct gradients and, just as important, catches wrong ones."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given

import minigrad
from minigrad import Function, GradcheckError, Tensor, gradcheck
from minigrad.testing import assert_gradients_match, tensors


def leaf(shape, seed=0):
    return Tensor(np.random.default_rng(seed).standard_normal(shape), requires_grad=True)


def test_passes_on_a_correct_composite():
    a, b = leaf((3, 4)), leaf((4,), 1)
    assert gradcheck(lambda a, b: (a @ b).tanh() * a.sum(), (a, b))


def test_several_outputs_and_non_tensor_arguments():
    x = leaf((2, 3))
    assert gradcheck(lambda x, k: (x * k, x.exp().sum(axis=1)), (x, 3.0))


def test_fast_mode_passes_and_does_fewer_passes():
    x = leaf((20, 30))
    calls = []

    def f(x):
        calls.append(1)
        return (x.softmax(axis=1) * x).sum(axis=0)

    assert gradcheck(f, (x,), fast_mode=True)
    assert len(calls) < 10


def test_refuses_float32_inputs():
    x = Tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    with pytest.raises(TypeError, match="float64"):
        gradcheck(lambda x: x * 2, (x,))


def test_refuses_when_no_input_requires_grad():
    with pytest.raises(ValueError, match="requires_grad"):
        gradcheck(lambda x: x * 2, (Tensor(np.ones(2)),))


def test_inputs_are_restored():
    x = leaf((2, 2))
    before = x.data.copy()
    gradcheck(lambda x: x.exp(), (x,))
    gradcheck(lambda x: x.exp(), (x,), fast_mode=True)
    np.testing.assert_array_equal(x.data, before)
    assert x.grad is None


# ------------------------------------------------------------------------------------------------
# Deliberately wrong backwards: the checker must fail
# ------------------------------------------------------------------------------------------------


class OffByAFactor(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x**3

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * 2 * x**2  # wrong: should be 3 x²


class WrongTranspose(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a @ b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        return g @ b, a.T @ g  # wrong: dA = G Bᵀ, not G B (the shapes only agree for square B)


class MissingReduction(Function):
    """Tiles a row vector over 3 rows; its gradient must sum over the copies."""

    @staticmethod
    def forward(ctx, b):
        return np.tile(b, (3, 1))  # (1, n) -> (3, n)

    @staticmethod
    def backward(ctx, g):
        return g[:1]  # wrong: should be g.sum(axis=0, keepdims=True)


class NonZeroForZero(Function):
    @staticmethod
    def forward(ctx, x):
        return 2 * x

    @staticmethod
    def backward(ctx, g):
        return 2 * g + (np.abs(g).sum() == 0) * 1e-3  # wrong only when the output gradient is zero


class ChangesEachTime(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.calls = 0
        return 2 * x

    @staticmethod
    def backward(ctx, g):
        ctx.calls += 1
        return 2 * g * (1 + 1e-9 * ctx.calls)  # wrong: not a function of its inputs


def test_catches_an_off_by_a_factor_derivative():
    with pytest.raises(GradcheckError) as info:
        gradcheck(OffByAFactor.apply, (leaf((2, 2)),))
    message = str(info.value)
    for part in ("input 0", "analytical", "numerical", "difference", "d output[", "d input["):
        assert part in message


def test_catches_a_wrong_transpose():
    with pytest.raises(GradcheckError, match="input 0"):
        gradcheck(WrongTranspose.apply, (leaf((2, 3)), leaf((3, 3), 1)))


def test_catches_a_missing_broadcast_reduction():
    with pytest.raises(GradcheckError):
        gradcheck(MissingReduction.apply, (leaf((1, 4)),))


def test_catches_a_nonzero_gradient_for_a_zero_output_gradient():
    with pytest.raises(GradcheckError, match="zero output gradient"):
        gradcheck(NonZeroForZero.apply, (leaf((3,)),))


def test_catches_a_backward_that_changes_between_calls():
    with pytest.raises(GradcheckError, match="two backward passes"):
        gradcheck(ChangesEachTime.apply, (leaf((3,)),))


def test_fast_mode_catches_a_wrong_derivative_too():
    with pytest.raises(GradcheckError, match="fast mode"):
        gradcheck(OffByAFactor.apply, (leaf((5, 5)),), fast_mode=True)


def test_raise_exception_false_returns_false():
    assert gradcheck(OffByAFactor.apply, (leaf((2,)),), raise_exception=False) is False


@given(tensors(shape=(2, 3)))
def test_assert_gradients_match_on_drawn_inputs(x):
    assert_gradients_match(lambda x: (x * x.sigmoid()).sum(axis=1), x)


def test_assert_gradients_match_failure_is_readable():
    with pytest.raises(AssertionError) as info:
        assert_gradients_match(OffByAFactor.apply, leaf((2,)))
    message = str(info.value)
    assert "do not match finite differences" in message and "input 0: (2,) float64" in message


def test_users_own_function_in_ten_lines():
    """The README's example: a custom Function proven with hypothesis."""

    class Softplus(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return np.logaddexp(0, x)

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * minigrad.ops.elementwise.stable_sigmoid(x)  # d softplus/dx = σ(x)

    @given(tensors(shape=(3, 2)))
    def check(x):
        assert_gradients_match(Softplus.apply, x)

    check()
