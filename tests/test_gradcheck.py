"""gradcheck passes correct gradients and, just as important, catches wrong ones."""

from __future__ import annotations

from collections.abc import Callable

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


# ------------------------------------------------------------------------------------------------
# Outputs that do not require grad: detached (a failure) or legitimately constant (fine)
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fast_mode", [False, True])
def test_a_detached_output_that_depends_on_the_input_fails(fast_mode):
    x = leaf((2, 3))
    with pytest.raises(GradcheckError, match="output 1 does not require grad but depends on input 0: was it detached?"):
        gradcheck(lambda x: (x * 2, (x * 3).detach()), (x,), fast_mode=fast_mode)


@pytest.mark.parametrize("fast_mode", [False, True])
def test_a_detached_path_names_the_input_it_depends_on(fast_mode):
    a, b = leaf((3,)), leaf((3,), 1)

    def fn(a, b):
        with minigrad.no_grad():
            context = (b * 2).tanh()  # an attention-like path computed without a graph
        return a.sum(), context

    with pytest.raises(GradcheckError, match="output 1 does not require grad but depends on input 1"):
        gradcheck(fn, (a, b), fast_mode=fast_mode)


@pytest.mark.parametrize("fast_mode", [False, True])
def test_when_every_output_is_detached_the_message_says_so(fast_mode):
    with pytest.raises(GradcheckError, match="output 0 does not require grad but depends on input 0"):
        gradcheck(lambda x: Tensor(x.data * 2), (leaf((2,)),), fast_mode=fast_mode)


@pytest.mark.parametrize("fast_mode", [False, True])
def test_constant_integer_and_bool_outputs_pass(fast_mode):
    x = leaf((2, 3))

    def fn(x):
        constant = minigrad.ones(4, dtype=np.float64)  # a float output that does not depend on x
        return x.tanh(), constant, x.argmax(axis=1), x > 0  # argmax and masks change with x: not checked

    assert gradcheck(fn, (x,), fast_mode=fast_mode)


def test_no_output_requiring_grad_and_none_depending_on_the_input():
    with pytest.raises(GradcheckError, match="no output of fn requires grad"):
        gradcheck(lambda x: minigrad.zeros(2, dtype=np.float64), (leaf((2,)),))


def test_non_contiguous_inputs_are_checked_in_place_and_restored():
    x = Tensor(np.random.default_rng(0).standard_normal((4, 3)).T, requires_grad=True)  # (3, 4), transposed
    before = x.data.copy()
    assert gradcheck(lambda x: (x * x).sum(axis=0), (x,))
    assert gradcheck(lambda x: (x * x).sum(axis=0), (x,), fast_mode=True)
    np.testing.assert_array_equal(x.data, before)


# ------------------------------------------------------------------------------------------------
# A 1% gradient error fails, in full and in fast mode
# ------------------------------------------------------------------------------------------------


def scaled_by_1_percent(grad: np.ndarray) -> np.ndarray:
    """Every entry off by 1%: the error of a wrong coefficient."""
    return grad * 1.01


def off_by_1_percent_of_its_norm(grad: np.ndarray) -> np.ndarray:
    """An error of 1% of the gradient's norm, in a fixed direction unrelated to the gradient."""
    direction = np.random.default_rng(grad.size).standard_normal(grad.shape)
    return grad + 0.01 * np.linalg.norm(grad) * direction / np.linalg.norm(direction)


def _softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


# op: (forward on arrays, backward (g, *inputs) -> gradients, input shapes)
OPS_WITH_PLANTED_ERRORS = {
    "tanh": (np.tanh, lambda g, x: (g * (1 - np.tanh(x) ** 2),), [(3, 4)]),
    "mul": (np.multiply, lambda g, a, b: (g * b, g * a), [(3, 4), (3, 4)]),
    "matmul": (np.matmul, lambda g, a, b: (g @ b.T, a.T @ g), [(3, 4), (4, 2)]),
    "softmax": (_softmax, lambda g, x: (_softmax(x) * (g - (g * _softmax(x)).sum(-1, keepdims=True)),), [(2, 5)]),
}


def planted(name: str, wrong_input: int, error) -> Callable:
    """The op ``name`` as a Function whose backward applies ``error`` to input ``wrong_input``'s gradient."""
    forward, backward, _ = OPS_WITH_PLANTED_ERRORS[name]

    class Planted(Function):
        @staticmethod
        def forward(ctx, *arrays):
            ctx.save_for_backward(*arrays)
            return forward(*arrays)

        @staticmethod
        def backward(ctx, g):
            grads = backward(g, *ctx.saved_tensors)
            return tuple(error(gi) if i == wrong_input else gi for i, gi in enumerate(grads))

    return Planted.apply


@pytest.mark.parametrize("name", list(OPS_WITH_PLANTED_ERRORS))
@pytest.mark.parametrize(
    "error, fast_mode, projections",
    [
        (scaled_by_1_percent, False, 1),
        (off_by_1_percent_of_its_norm, False, 1),
        (scaled_by_1_percent, True, 1),
        (off_by_1_percent_of_its_norm, True, 3),
    ],
    ids=["scaled-full", "any-direction-full", "scaled-fast", "any-direction-fast-3-projections"],
)
def test_a_1_percent_gradient_error_fails(name, error, fast_mode, projections):
    shapes = OPS_WITH_PLANTED_ERRORS[name][2]
    for seed in range(5):
        inputs = [leaf(shape, seed * 10 + k) for k, shape in enumerate(shapes)]
        options = {"fast_mode": fast_mode, "seed": seed, "projections": projections}
        assert gradcheck(planted(name, 0, lambda g: g), inputs, **options)  # the true gradient passes
        for wrong in range(len(shapes)):
            with pytest.raises(GradcheckError, match=f"output 0 with respect to input {wrong}"):
                gradcheck(planted(name, wrong, error), inputs, **options)


def test_one_projection_catches_most_errors_in_any_direction():
    """As documented: one projection misses a 1%-of-norm error in an arbitrary direction about 6% of the time."""
    caught = total = 0
    for name, (_, _, shapes) in OPS_WITH_PLANTED_ERRORS.items():
        for seed in range(25):
            inputs = [leaf(shape, seed * 10 + k) for k, shape in enumerate(shapes)]
            for wrong in range(len(shapes)):
                total += 1
                caught += not gradcheck(
                    planted(name, wrong, off_by_1_percent_of_its_norm),
                    inputs,
                    fast_mode=True,
                    seed=seed,
                    raise_exception=False,
                )
    assert caught / total >= 0.85, f"caught {caught} of {total}"


def test_projections_must_be_positive():
    with pytest.raises(ValueError, match="projections must be at least 1, got 0"):
        gradcheck(lambda x: x * 2, (leaf((2,)),), fast_mode=True, projections=0)


def test_fast_mode_catches_an_error_in_a_small_input_beside_a_large_one():
    """One projection over all inputs at once would see a 1% error in b's gradient as 0.0001%."""
    a = Tensor(100 * np.random.default_rng(0).standard_normal((3, 4)), requires_grad=True)  # b's gradient: ~100
    b = Tensor(0.01 * np.random.default_rng(1).standard_normal((3, 4)), requires_grad=True)  # a's gradient: ~0.01
    assert gradcheck(planted("mul", 0, lambda g: g), (a, b), fast_mode=True)
    with pytest.raises(GradcheckError, match="with respect to input 0"):
        gradcheck(planted("mul", 0, scaled_by_1_percent), (a, b), fast_mode=True)
