"""Elementwise ops: the math and activations of the course, clamping, selections, casts.

Each op is one ``Function``: ``forward`` computes the value, ``backward`` right below it multiplies the
incoming gradient ``g`` by the local derivative, written once as a comment. Binary ops return gradients
of the broadcast shape; the engine sums them back to each input's shape. Arithmetic (+ - * / **) is in
``arithmetic.py``, with the type promotion that two-input ops here share (``promote``).

As in PyTorch, the floating-point functions (exp, log, sqrt, sin, cos, tanh, sigmoid) of an integer or
bool tensor give the default floating dtype (``floating``), not NumPy's float64.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import minigrad  # minigrad.Tensor, read when a function runs (tensor.py imports this module)
from minigrad.autograd import Function
from minigrad.dtypes import _Defaults
from minigrad.ops.arithmetic import broadcast_error, operands, promote, result_dtype
from minigrad.ops.dims import tensor_arg

__all__ = [
    "Abs",
    "Cast",
    "Clip",
    "Clone",
    "Cos",
    "Exp",
    "Log",
    "MaskedFill",
    "Maximum",
    "Minimum",
    "Relu",
    "Sigmoid",
    "Sin",
    "Sqrt",
    "Tanh",
    "Where",
    "abs",
    "clamp",
    "clamp_max",
    "clamp_min",
    "clip",
    "clone",
    "cos",
    "exp",
    "log",
    "masked_fill",
    "maximum",
    "minimum",
    "relu",
    "sigmoid",
    "sin",
    "sqrt",
    "tanh",
    "where",
]


def as_array(value: Any) -> np.ndarray:
    """The array behind a tensor, or ``value`` as an array (a mask, a condition, an index)."""
    return value.data if isinstance(value, minigrad.Tensor) else np.asarray(value)


def floating(x: np.ndarray) -> np.ndarray:
    """``x``, converted to the default floating dtype if it holds integers or bools."""
    return x if x.dtype.kind == "f" else x.astype(_Defaults.dtype)


# ------------------------------------------------------------------------------------------------
# Unary math
# ------------------------------------------------------------------------------------------------


class Exp(Function):
    """e^x"""

    @staticmethod
    def forward(ctx, x):
        if x.dtype.kind != "f":
            x = floating(x)  # integers and bools: the default float dtype, as PyTorch
        out = np.exp(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g * out  # d e^x/dx = e^x


class Log(Function):
    """ln x"""

    @staticmethod
    def forward(ctx, x):
        if x.dtype.kind != "f":
            x = floating(x)  # integers and bools: the default float dtype, as PyTorch
        ctx.save_for_backward(x)
        return np.log(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g / x  # d ln x/dx = 1/x


class Sqrt(Function):
    """√x"""

    @staticmethod
    def forward(ctx, x):
        if x.dtype.kind != "f":
            x = floating(x)  # integers and bools: the default float dtype, as PyTorch
        out = np.sqrt(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g / (2 * out)  # d √x/dx = 1 / (2 √x)


class Sin(Function):
    """sin x"""

    @staticmethod
    def forward(ctx, x):
        if x.dtype.kind != "f":
            x = floating(x)  # integers and bools: the default float dtype, as PyTorch
        ctx.save_for_backward(x)
        return np.sin(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * np.cos(x)  # d sin x/dx = cos x


class Cos(Function):
    """cos x"""

    @staticmethod
    def forward(ctx, x):
        if x.dtype.kind != "f":
            x = floating(x)  # integers and bools: the default float dtype, as PyTorch
        ctx.save_for_backward(x)
        return np.cos(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return -g * np.sin(x)  # d cos x/dx = -sin x


class Abs(Function):
    """|x| (the gradient at 0 is 0, as PyTorch's)"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.abs(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * np.sign(x)  # d|x|/dx = sign(x)


# ------------------------------------------------------------------------------------------------
# Activations
# ------------------------------------------------------------------------------------------------


class Tanh(Function):
    """tanh x"""

    @staticmethod
    def forward(ctx, x):
        if x.dtype.kind != "f":
            x = floating(x)  # integers and bools: the default float dtype, as PyTorch
        out = np.tanh(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g - g * out * out  # d tanh(x)/dx = 1 - tanh(x)^2  (g - g·tanh²: no Python scalar, faster)


def stable_sigmoid(x: np.ndarray) -> np.ndarray:
    """σ(x) = 1 / (1 + e^-x), PyTorch's formula: exact at ±1000, without overflow warnings.

    e^-x overflows to inf below x ≈ -709 (float64) or -88 (float32), where 1 / (1 + inf) is exactly 0,
    the right value: the overflow is silenced rather than avoided (avoiding it costs more passes). The
    four steps (negate, exponentiate, add 1, invert) work in place in one new array.
    """
    z = np.negative(x, out=np.empty(x.shape, x.dtype))  # -x (out=: an array even for 0-d x)
    with np.errstate(over="ignore"):
        np.exp(z, out=z)  # e^-x
    z += 1.0
    return np.reciprocal(z, out=z)  # 1 / (1 + e^-x)


class Sigmoid(Function):
    """σ(x) = 1 / (1 + e^-x), exact at ±1000 and free of overflow warnings"""

    @staticmethod
    def forward(ctx, x):
        if x.dtype.kind != "f":
            x = floating(x)  # integers and bools: the default float dtype, as PyTorch
        out = stable_sigmoid(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        g_out = g * out
        return g_out - g_out * out  # d σ(x)/dx = σ(x) (1 - σ(x))  (g σ - g σ²: no Python scalar, faster)


class Relu(Function):
    """max(x, 0) (the gradient at 0 is 0, as PyTorch's)"""

    @staticmethod
    def forward(ctx, x):
        out = np.maximum(x, 0)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g * (out > 0)  # d relu(x)/dx = 1 if x > 0 else 0


class Clip(Function):
    """min(max(x, low), high); either bound may be None (PyTorch's clamp; low > high gives high everywhere)"""

    @staticmethod
    def forward(ctx, x, low=None, high=None):
        for bound in (low, high):
            if bound is not None:
                x, _ = promote(x, bound)  # an integer tensor clamped to 0.5 becomes floating, as in PyTorch
        ctx.save_for_backward(x)
        ctx.low, ctx.high = low, high
        try:
            return np.clip(x, low, high)
        except ValueError:
            raise broadcast_error(x, low if np.ndim(low) else high) from None

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        inside = np.ones(x.shape, dtype=bool)
        if ctx.low is not None:
            inside &= x >= ctx.low
        if ctx.high is not None:
            inside &= x <= ctx.high
        return g * inside, None, None  # d clip(x)/dx = 1 between the bounds (inclusive, as PyTorch), else 0


# ------------------------------------------------------------------------------------------------
# Two-input selections
# ------------------------------------------------------------------------------------------------


class Maximum(Function):
    """elementwise max(a, b); a tie sends half the gradient to each (as PyTorch); NaN wins"""

    @staticmethod
    def forward(ctx, a, b):
        if type(a) is not np.ndarray or type(b) is not np.ndarray or a.dtype is not b.dtype:
            a, b = promote(a, b)
        ctx.save_for_backward(a, b)
        try:
            return np.maximum(a, b)
        except ValueError:
            raise broadcast_error(a, b) from None

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        share = (a > b) + 0.5 * (a == b)  # d max(a,b)/da = 1 if a > b, 1/2 if a = b, else 0
        da = g * share if ctx.needs_input_grad[0] else None
        db = g * (1 - share) if ctx.needs_input_grad[1] else None
        return da, db


class Minimum(Function):
    """elementwise min(a, b); a tie sends half the gradient to each (as PyTorch); NaN wins"""

    @staticmethod
    def forward(ctx, a, b):
        if type(a) is not np.ndarray or type(b) is not np.ndarray or a.dtype is not b.dtype:
            a, b = promote(a, b)
        ctx.save_for_backward(a, b)
        try:
            return np.minimum(a, b)
        except ValueError:
            raise broadcast_error(a, b) from None

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        share = (a < b) + 0.5 * (a == b)  # d min(a,b)/da = 1 if a < b, 1/2 if a = b, else 0
        da = g * share if ctx.needs_input_grad[0] else None
        db = g * (1 - share) if ctx.needs_input_grad[1] else None
        return da, db


class Where(Function):
    """where(condition, a, b): a where the (bool) condition holds, b elsewhere"""

    @staticmethod
    def forward(ctx, condition, a, b):
        ctx.save_for_backward(condition)
        if not isinstance(a, np.ndarray) and not isinstance(b, np.ndarray):  # two numbers: PyTorch's dtype
            return np.where(condition, a, b).astype(result_dtype(a, b))
        a, b = promote(a, b)
        try:
            return np.where(condition, a, b)
        except ValueError:
            try:
                joint = np.broadcast_shapes(np.shape(a), np.shape(b))
            except ValueError:
                raise broadcast_error(a, b) from None
            raise broadcast_error(condition, np.broadcast_to(0, joint)) from None

    @staticmethod
    def backward(ctx, g):
        (condition,) = ctx.saved_tensors
        da = np.where(condition, g, 0) if ctx.needs_input_grad[1] else None  # d/da = 1 where condition
        db = np.where(condition, 0, g) if ctx.needs_input_grad[2] else None  # d/db = 1 elsewhere
        return None, da, db


class MaskedFill(Function):
    """x with ``value`` where ``mask`` is true (x keeps its dtype; the mask broadcasts)"""

    @staticmethod
    def forward(ctx, x, mask, value):
        ctx.save_for_backward(mask)
        try:
            return np.where(mask, np.asarray(value).astype(x.dtype), x)
        except ValueError:
            raise broadcast_error(mask, x) from None

    @staticmethod
    def backward(ctx, g):
        (mask,) = ctx.saved_tensors
        dx = np.where(mask, 0, g) if ctx.needs_input_grad[0] else None  # d out/dx = 1 where not filled
        dvalue = np.where(mask, g, 0) if ctx.needs_input_grad[2] else None  # d out/d value = 1 where filled
        return dx, None, dvalue


class Cast(Function):
    """x converted to another dtype (the gradient is converted back)"""

    @staticmethod
    def forward(ctx, x, dtype):
        ctx.dtype = x.dtype
        return x.astype(dtype)

    @staticmethod
    def backward(ctx, g):
        return g.astype(ctx.dtype), None  # d x/dx = 1, in the input's dtype


class Clone(Function):
    """a copy of x, in new memory (differentiable)"""

    @staticmethod
    def forward(ctx, x):
        return x.copy()

    @staticmethod
    def backward(ctx, g):
        return g  # d x/dx = 1


# ------------------------------------------------------------------------------------------------
# The functions users call
# ------------------------------------------------------------------------------------------------


def exp(x: Any) -> Any:
    x = tensor_arg(x, "exp")
    return Exp.apply(x)


def log(x: Any) -> Any:
    x = tensor_arg(x, "log")
    return Log.apply(x)


def sqrt(x: Any) -> Any:
    x = tensor_arg(x, "sqrt")
    return Sqrt.apply(x)


def sin(x: Any) -> Any:
    x = tensor_arg(x, "sin")
    return Sin.apply(x)


def cos(x: Any) -> Any:
    x = tensor_arg(x, "cos")
    return Cos.apply(x)


def abs(x: Any) -> Any:
    x = tensor_arg(x, "abs")
    return Abs.apply(x)


def tanh(x: Any) -> Any:
    x = tensor_arg(x, "tanh")
    return Tanh.apply(x)


def sigmoid(x: Any) -> Any:
    x = tensor_arg(x, "sigmoid")
    return Sigmoid.apply(x)


def relu(x: Any) -> Any:
    x = tensor_arg(x, "relu")
    return Relu.apply(x)


def clip(x: Any, min: Any = None, max: Any = None) -> Any:
    """Clamp ``x`` into [min, max] (``clamp`` is the same function, PyTorch's name).

    A bound may be a number or a tensor that broadcasts against ``x`` (no gradient flows to a bound).
    With ``min > max`` every element becomes ``max``, as in PyTorch.
    """
    x = tensor_arg(x, "clip")
    if min is None and max is None:
        raise RuntimeError("clamp: At least one of 'min' or 'max' must not be None")
    return Clip.apply(x, _bound(min, "min"), _bound(max, "max"))


clamp = clip


def clamp_min(x: Any, min: Any) -> Any:
    """``max(x, min)`` elementwise (``clamp(x, min=min)``)."""
    x = tensor_arg(x, "clamp_min")
    return clip(x, min, None)


def clamp_max(x: Any, max: Any) -> Any:
    """``min(x, max)`` elementwise (``clamp(x, max=max)``)."""
    x = tensor_arg(x, "clamp_max")
    return clip(x, None, max)


def _bound(value: Any, name: str) -> Any:
    """A clamp bound as a number or an array (a tensor bound carries no gradient here: refuse one that needs it)."""
    if value is None or type(value) in (float, int):
        return value
    if getattr(value, "requires_grad", False):
        raise NotImplementedError(
            f"clamp: a {name} bound that requires grad is not supported (no gradient flows to a bound); "
            f"pass {name}.detach(), or write minigrad.maximum/minimum to differentiate through it"
        )
    if not isinstance(value, minigrad.Tensor | np.ndarray | np.generic | int | float):
        raise TypeError(f"clamp(): argument '{name}' must be Tensor or Number, not {type(value).__name__}")
    value = as_array(value)
    if value.dtype.kind not in "fiub":
        raise TypeError(
            f"clamp: {name} must be a number or a tensor, got {type(value).__name__} of dtype {value.dtype}"
        )
    return value


def maximum(a: Any, b: Any) -> Any:
    """Elementwise max of two tensors (``minigrad.max(a, b)`` with a tensor ``b`` is the same)."""
    operands(a, b, "maximum")
    return Maximum.apply(a, b)


def minimum(a: Any, b: Any) -> Any:
    """Elementwise min of two tensors (``minigrad.min(a, b)`` with a tensor ``b`` is the same)."""
    operands(a, b, "minimum")
    return Minimum.apply(a, b)


def where(condition: Any, a: Any, b: Any) -> Any:
    """``a`` where ``condition`` is true, ``b`` elsewhere (broadcasting all three; the condition is bool)."""
    condition = as_array(condition)
    if condition.dtype != np.bool_:
        raise RuntimeError(
            f"where expected condition to be a boolean tensor, but got a tensor with dtype {condition.dtype}: "
            "compare to make one, e.g. where(x > 0, a, b), or convert it with .bool()"
        )
    return Where.apply(condition, a, b)


def masked_fill(x: Any, mask: Any, value: Any) -> Any:
    """``x`` with ``value`` (a number or a 0-d tensor) where the bool ``mask`` is true, as ``Tensor.masked_fill``.

    The mask broadcasts against ``x``; a tensor ``value`` gets the gradient of the filled positions.
    """
    x = tensor_arg(x, "masked_fill")
    mask = as_array(mask)
    if mask.dtype != np.bool_:
        raise RuntimeError(
            f"masked_fill_ only supports boolean masks, but got mask with dtype {mask.dtype}: "
            "make one with a comparison (x == 0) or .bool()"
        )
    if isinstance(value, minigrad.Tensor):
        if value.ndim != 0:
            raise RuntimeError(
                "masked_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                f"{value.ndim} dimension(s)."
            )
    elif type(value) not in (float, int, bool) and not isinstance(value, np.number | np.bool_):
        raise TypeError(f"masked_fill: value must be a number or a 0-d tensor, got {type(value).__name__}")
    return MaskedFill.apply(x, mask, value)


def clone(x: Any) -> Any:
    x = tensor_arg(x, "clone")
    return Clone.apply(x)
