"""Values and gradients exactly at kinks, ties and infinities, pinned to PyTorch.

The generic op tests draw inputs away from these points, where a derivative is a convention rather than a
limit. Here each convention is compared with PyTorch's on the same float64 inputs: values, gradients
(under a non-uniform upstream gradient, so a split of it shows), nan and ±inf included. Every test skips
cleanly without PyTorch.

The last section gives ``Cast`` (``double``, ``float``, ``astype``) the finite-difference check that the
registry of ops leaves out.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import torch_or_skip
from hypothesis import given

import minigrad
from minigrad import Function, GradcheckError, gradcheck
from minigrad.testing import arrays, shapes

INF, NAN = np.inf, np.nan


def both(mg_fn, torch_fn, *values):
    """Run ``mg_fn`` on minigrad tensors and ``torch_fn`` on torch tensors of the same float64 values.

    The loss is sum(y * w) with w = 1, 2, 3, ... over y's elements, so the gradient of each input
    element says which outputs it reached and how much of each. An output (values, indices), as
    ``max(x, dim)`` returns, is differentiated through its values. Returns, for minigrad then torch,
    (value, indices or None, gradients) as NumPy arrays.
    """
    torch = torch_or_skip()
    results = []
    for lib in ("minigrad", "torch"):
        make = minigrad.tensor if lib == "minigrad" else torch.tensor
        xs = [make(np.asarray(v, dtype=np.float64), requires_grad=True) for v in values]
        out = mg_fn(*xs) if lib == "minigrad" else torch_fn(*xs)
        y, indices = (
            (out[0], np.asarray(out[1].numpy() if lib == "torch" else out[1].data))
            if isinstance(out, tuple)
            else (out, None)
        )
        w = np.arange(1, np.prod(y.shape, dtype=int) + 1, dtype=np.float64).reshape(tuple(y.shape))
        (y * make(w)).sum().backward()
        value = y.detach().numpy() if lib == "torch" else np.asarray(y.data)
        results.append((value, indices, [np.asarray(x.grad.numpy() if lib == "torch" else x.grad) for x in xs]))
    return results


def assert_same_as_torch(mg_fn, torch_fn, *values):
    """Values and gradients equal to PyTorch's (to 1e-12 relative), with nan and ±inf in the same places."""
    (value, indices, grads), (expected_value, expected_indices, expected_grads) = both(mg_fn, torch_fn, *values)
    assert value.shape == expected_value.shape
    np.testing.assert_allclose(value, expected_value, rtol=1e-12, atol=0, err_msg="values differ from torch's")
    if expected_indices is not None:
        assert indices is not None, "torch returns (values, indices) here"
        np.testing.assert_array_equal(indices, expected_indices, err_msg="indices differ from torch's")
    for i, (g, e) in enumerate(zip(grads, expected_grads, strict=True)):
        np.testing.assert_allclose(g, e, rtol=1e-12, atol=0, err_msg=f"gradient of input {i} differs from torch's")


# ------------------------------------------------------------------------------------------------
# Ties: max, min, amax, amin (tied extremes share the gradient equally), maximum, minimum
# ------------------------------------------------------------------------------------------------

TIED = [[1.0, 3.0, 3.0, -2.0], [2.0, 2.0, 2.0, 0.0], [-1.0, 5.0, -1.0, -1.0]]  # ties at the max and the min


@pytest.mark.parametrize("name", ["max", "min", "amax", "amin"])
def test_full_reductions_split_the_gradient_among_ties(name):
    assert_same_as_torch(lambda x: getattr(x, name)(), lambda x: getattr(x, name)(), TIED)
    assert_same_as_torch(lambda x: getattr(x, name)(), lambda x: getattr(x, name)(), [7.0, 7.0, 7.0])


@pytest.mark.parametrize("name", ["amax", "amin"])
@pytest.mark.parametrize("dim", [0, 1, -1, (0, 1)])
@pytest.mark.parametrize("keepdim", [False, True])
def test_reductions_along_dims_split_the_gradient_among_ties(name, dim, keepdim):
    assert_same_as_torch(
        lambda x: getattr(x, name)(dim=dim, keepdim=keepdim),
        lambda x: getattr(x, name)(dim=dim, keepdim=keepdim),
        TIED,
    )


@pytest.mark.parametrize("name", ["max", "min"])
@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("keepdim", [False, True])
def test_max_and_min_along_a_dim_give_the_gradient_to_the_index_they_return(name, dim, keepdim):
    """PyTorch's max(x, dim) is (values, indices): the first of tied extremes, which gets the whole gradient."""
    torch = torch_or_skip()
    assert_same_as_torch(
        lambda x: getattr(minigrad, name)(x, dim, keepdim=keepdim),
        lambda x: getattr(torch, name)(x, dim, keepdim=keepdim),
        TIED,
    )
    assert_same_as_torch(
        lambda x: getattr(x, name)(dim=dim, keepdim=keepdim), lambda x: getattr(x, name)(dim=dim, keepdim=keepdim), TIED
    )


@pytest.mark.parametrize("name, torch_name", [("max", "amax"), ("min", "amin")])
@pytest.mark.parametrize("axis", [0, 1, (0, 1)])
@pytest.mark.parametrize("keepdims", [False, True])
def test_max_and_min_with_numpy_axis_are_amax_and_amin(name, torch_name, axis, keepdims):
    """NumPy's spelling x.max(axis=...) gives the values only, ties sharing the gradient, as torch.amax."""
    assert_same_as_torch(
        lambda x: getattr(x, name)(axis=axis, keepdims=keepdims),
        lambda x: getattr(x, torch_name)(dim=axis, keepdim=keepdims),
        TIED,
    )


@pytest.mark.parametrize("name", ["maximum", "minimum"])
def test_maximum_and_minimum_split_a_tie_in_half(name):
    torch = torch_or_skip()
    a, b = [1.0, 2.0, 3.0, -0.5, 0.0], [1.0, 0.0, 3.0, -0.5, 4.0]
    assert_same_as_torch(getattr(minigrad, name), getattr(torch, name), a, b)
    assert_same_as_torch(getattr(minigrad, name), getattr(torch, name), [[2.0], [1.0]], [1.0, 2.0, 2.0])  # broadcast
    assert_same_as_torch(lambda x: getattr(minigrad, name)(x, x), lambda x: getattr(torch, name)(x, x), a)  # x with x


# ------------------------------------------------------------------------------------------------
# Kinks: clamp at its bounds (and min > max), abs, relu and sqrt at 0
# ------------------------------------------------------------------------------------------------

AT_BOUNDS = [-1.0, -0.5, -0.25, 0.0, 0.5, 0.75, 1.0]


@pytest.mark.parametrize(
    "low, high", [(-0.5, 0.5), (-0.5, None), (None, 0.5), (0.0, 0.0), (0.5, -0.5), (1.0, 0.0)], ids=str
)
def test_clamp_at_and_between_its_bounds(low, high):
    """The gradient is 1 at a bound (inclusive); with min > max every value is max and no gradient flows."""
    assert_same_as_torch(lambda x: x.clamp(low, high), lambda x: x.clamp(low, high), AT_BOUNDS)
    assert_same_as_torch(lambda x: minigrad.clip(x, low, high), lambda x: x.clamp(low, high), AT_BOUNDS)


@pytest.mark.parametrize("name", ["abs", "relu", "sqrt"])
def test_unary_kinks_at_zero(name):
    """abs and relu have gradient 0 at 0 (and -0.0); sqrt's is +inf at 0 and nan below."""
    assert_same_as_torch(lambda x: getattr(x, name)(), lambda x: getattr(x, name)(), [0.0, -0.0, 1.0, -1.0, 0.0])


def test_log_at_zero_and_below():
    assert_same_as_torch(lambda x: x.log(), lambda x: x.log(), [0.0, -0.0, 1.0, -1.0, INF])


# ------------------------------------------------------------------------------------------------
# where with equal branches; softmax, log_softmax and logsumexp with infinite entries
# ------------------------------------------------------------------------------------------------


def test_where_with_equal_branches_routes_the_gradient_by_the_condition():
    torch = torch_or_skip()
    condition = np.array([True, False, True, False])
    values = [1.0, 2.0, 2.0, 1.0]
    assert_same_as_torch(
        lambda a, b: minigrad.where(condition, a, b),
        lambda a, b: torch.where(torch.tensor(condition), a, b),
        values,
        values,
    )
    assert_same_as_torch(
        lambda a: minigrad.where(condition, a, a), lambda a: torch.where(torch.tensor(condition), a, a), values
    )


WITH_INFINITIES = [[0.0, -INF, 1.0], [-INF, -INF, -INF], [-INF, 2.0, -INF], [INF, 0.0, 1.0]]


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@pytest.mark.parametrize("rows", [slice(0, 1), slice(0, 3)], ids=["one -inf", "all -inf rows too"])
def test_softmax_with_infinite_entries(name, rows):
    assert_same_as_torch(lambda x: getattr(x, name)(dim=-1), lambda x: getattr(x, name)(dim=-1), WITH_INFINITIES[rows])


@pytest.mark.parametrize("keepdim", [False, True])
def test_logsumexp_with_infinite_entries(keepdim):
    assert_same_as_torch(
        lambda x: x.logsumexp(dim=-1, keepdim=keepdim), lambda x: x.logsumexp(dim=-1, keepdim=keepdim), WITH_INFINITIES
    )
    assert_same_as_torch(lambda x: x.logsumexp(), lambda x: x.logsumexp(dim=(0, 1)), [[-INF, 0.0], [-INF, 1.0]])


# ------------------------------------------------------------------------------------------------
# pow at 0 (and at negative bases), with the exponent a number or a tensor
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("exponent", [0, 0.5, 1, 2, 3, 2.5, -1, -0.5, -2])
def test_pow_with_a_number_exponent_at_zero_and_negative_bases(exponent):
    assert_same_as_torch(lambda x: x**exponent, lambda x: x**exponent, [0.0, 2.0, -2.0, 0.5])


def test_pow_with_a_tensor_exponent_at_zero_base():
    """At base 0 PyTorch's gradients are 0 wherever they would be 0 * inf: d/dx at exponent 0, d/dy at y >= 0."""
    torch = torch_or_skip()
    base = [0.0, 0.0, 0.0, 0.0, 0.0, -2.0, 2.0]
    exponent = [0.0, 1.0, 2.0, 2.5, -1.0, 2.0, 0.0]
    assert_same_as_torch(minigrad.ops.pow, torch.pow, base, exponent)


def test_a_number_to_a_tensor_power_with_base_zero():
    assert_same_as_torch(lambda x: 0.0**x, lambda x: 0.0**x, [0.0, 1.0, 2.5, -1.0])
    assert_same_as_torch(lambda x: 2.0**x, lambda x: 2.0**x, [0.0, 1.0, -3.0])


# ------------------------------------------------------------------------------------------------
# Cast: double, float, astype, checked against finite differences
# ------------------------------------------------------------------------------------------------


def test_a_cast_to_the_same_dtype_is_the_tensor_itself_as_in_torch():
    torch = torch_or_skip()
    x = minigrad.tensor([1.0, 2.0], dtype=np.float64, requires_grad=True)
    t = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
    assert (t.double() is t) and (x.double() is x) and (x.astype(np.float64) is x)
    x = minigrad.tensor([1.0], dtype=np.float32, requires_grad=True)
    t = torch.tensor([1.0], dtype=torch.float32, requires_grad=True)
    assert (t.float() is t) and (x.float() is x)


@given(arrays(shapes(min_dims=1)))
def test_cast_float64_to_float64_gradients(a):
    """Trivial (the cast is the tensor itself), and checked all the same: the path must stay differentiable."""
    x = minigrad.tensor(a, requires_grad=True)
    weights = np.linspace(-1.0, 2.0, a.size).reshape(a.shape)
    assert gradcheck(lambda x: x.astype(np.float64) * weights, (x,))
    assert gradcheck(lambda x: x.double().to(np.float64) * weights, (x,))


# float32 rounds to within 2^-24 relative: at |x| <= 2 a central difference with step 1e-3 is off by at
# most 2 * 2^-23 / 2e-3 ≈ 1.2e-4 relative (the function is linear, so there is no other error), well
# inside rtol 1e-3, while a 1% error in the gradient is ten times outside it.
FLOAT32_ROUND_TRIP = {"eps": 1e-3, "atol": 1e-5, "rtol": 1e-3}


@given(arrays(shapes(min_dims=1)))
def test_cast_gradient_matches_finite_differences(a):
    """float64 -> float32 -> float64 (Cast both ways), with a step the float32 rounding cannot swamp."""
    x = minigrad.tensor(a, requires_grad=True)
    weights = np.linspace(-1.0, 2.0, a.size).reshape(a.shape)
    assert gradcheck(lambda x: x.float().double() * weights, (x,), **FLOAT32_ROUND_TRIP)
    assert gradcheck(lambda x: x.astype(np.float32).astype(np.float64) * weights, (x,), **FLOAT32_ROUND_TRIP)
    assert gradcheck(lambda x: (x.float() * 3).double(), (x,), **FLOAT32_ROUND_TRIP)


def test_the_float32_round_trip_check_fails_on_a_1_percent_error():
    class CastWithAnError(Function):
        @staticmethod
        def forward(ctx, x):
            return x.astype(np.float32).astype(np.float64)

        @staticmethod
        def backward(ctx, g):
            return g * 1.01  # wrong: a cast passes its gradient through unchanged

    x = minigrad.tensor(np.linspace(-2.0, 2.0, 7), requires_grad=True)
    with pytest.raises(GradcheckError, match="Jacobian mismatch"):
        gradcheck(CastWithAnError.apply, (x,), **FLOAT32_ROUND_TRIP)


def test_cast_gradients_come_back_in_the_input_dtype():
    x64 = minigrad.tensor([1.0, -2.0], dtype=np.float64, requires_grad=True)
    (x64.float() * 2).sum().backward()
    assert x64.grad.dtype == np.float64 and np.array_equal(x64.grad, [2.0, 2.0])
    x32 = minigrad.tensor([1.0, -2.0], dtype=np.float32, requires_grad=True)
    (x32.double() * 2).sum().backward()
    assert x32.grad.dtype == np.float32 and np.array_equal(x32.grad, [2.0, 2.0])


def test_casts_to_integers_and_bools_carry_no_gradient_as_in_torch():
    torch = torch_or_skip()
    x = minigrad.tensor([1.5, -2.5], requires_grad=True)
    t = torch.tensor([1.5, -2.5], requires_grad=True)
    for mg, th in [(x.long(), t.long()), (x.int(), t.int()), (x.bool(), t.bool())]:
        assert mg.requires_grad is th.requires_grad is False
        np.testing.assert_array_equal(mg.data, th.numpy())
