"""Elementwise ops: arithmetic, the activations of the course, and a few more.

Each op is one ``Function``: ``forward`` computes the value, ``backward`` right below it multiplies the
incoming gradient ``g`` by the local derivative, written once as a comment. Binary ops return gradients
of the broadcast shape; the engine sums them back to each input's shape.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from minigrad.autograd import Function

__all__ = [
    "Abs",
    "Add",
    "Cast",
    "Clip",
    "Clone",
    "Cos",
    "Div",
    "Exp",
    "Log",
    "Maximum",
    "Minimum",
    "Mul",
    "Neg",
    "Pow",
    "Relu",
    "Sigmoid",
    "Sin",
    "Sqrt",
    "Sub",
    "Tanh",
    "Where",
    "abs",
    "add",
    "clamp",
    "clip",
    "clone",
    "cos",
    "div",
    "exp",
    "log",
    "maximum",
    "minimum",
    "mul",
    "neg",
    "pow",
    "relu",
    "sigmoid",
    "sin",
    "sqrt",
    "sub",
    "tanh",
    "where",
]


# ------------------------------------------------------------------------------------------------
# Arithmetic
# ------------------------------------------------------------------------------------------------


class Add(Function):
    """a + b"""

    @staticmethod
    def forward(ctx, a, b):
        return a + b

    @staticmethod
    def backward(ctx, g):
        return g, g  # d(a+b)/da = 1, d(a+b)/db = 1


class Sub(Function):
    """a - b"""

    @staticmethod
    def forward(ctx, a, b):
        return a - b

    @staticmethod
    def backward(ctx, g):
        return g, -g if ctx.needs_input_grad[1] else None  # d(a-b)/da = 1, d(a-b)/db = -1


class Mul(Function):
    """a * b"""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a * b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        da = g * b if ctx.needs_input_grad[0] else None  # d(ab)/da = b
        db = g * a if ctx.needs_input_grad[1] else None  # d(ab)/db = a
        return da, db


class Div(Function):
    """a / b"""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a / b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        da = g / b if ctx.needs_input_grad[0] else None  # d(a/b)/da = 1/b
        db = -g * a / (b * b) if ctx.needs_input_grad[1] else None  # d(a/b)/db = -a/b^2
        return da, db


class Neg(Function):
    """-x"""

    @staticmethod
    def forward(ctx, x):
        return -x

    @staticmethod
    def backward(ctx, g):
        return -g  # d(-x)/dx = -1


class Pow(Function):
    """a ** b, with a tensor or a constant on either side"""

    @staticmethod
    def forward(ctx, a, b):
        out = a**b
        ctx.save_for_backward(a, b, out)
        return out

    @staticmethod
    def backward(ctx, g):
        a, b, out = ctx.saved_tensors
        da = g * b * a ** (b - 1) if ctx.needs_input_grad[0] else None  # d a^b/da = b a^(b-1)
        db = g * out * np.log(a) if ctx.needs_input_grad[1] else None  # d a^b/db = a^b ln a
        return da, db


# ------------------------------------------------------------------------------------------------
# Unary math
# ------------------------------------------------------------------------------------------------


class Exp(Function):
    """e^x"""

    @staticmethod
    def forward(ctx, x):
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
        out = np.tanh(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g * (1 - out * out)  # d tanh(x)/dx = 1 - tanh(x)^2


def stable_sigmoid(x: np.ndarray) -> np.ndarray:
    """σ(x) = 1 / (1 + e^-x) without overflow: with z = e^-|x| ≤ 1, σ(x) = 1/(1+z) for x ≥ 0, z/(1+z) below."""
    z = np.exp(-np.abs(x))
    return np.where(x >= 0, 1, z) / (1 + z)


class Sigmoid(Function):
    """σ(x) = 1 / (1 + e^-x), exact at ±1000 and free of overflow warnings"""

    @staticmethod
    def forward(ctx, x):
        out = stable_sigmoid(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g * out * (1 - out)  # d σ(x)/dx = σ(x) (1 - σ(x))


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
    """min(max(x, low), high); either bound may be None (PyTorch's clamp)"""

    @staticmethod
    def forward(ctx, x, low=None, high=None):
        ctx.save_for_backward(x)
        ctx.low, ctx.high = low, high
        return np.clip(x, low, high)

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
    """elementwise max(a, b); a tie sends half the gradient to each (as PyTorch)"""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.maximum(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        share = (a > b) + 0.5 * (a == b)  # d max(a,b)/da = 1 if a > b, 1/2 if a = b, else 0
        da = g * share if ctx.needs_input_grad[0] else None
        db = g * (1 - share) if ctx.needs_input_grad[1] else None
        return da, db


class Minimum(Function):
    """elementwise min(a, b); a tie sends half the gradient to each (as PyTorch)"""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.minimum(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        share = (a < b) + 0.5 * (a == b)  # d min(a,b)/da = 1 if a < b, 1/2 if a = b, else 0
        da = g * share if ctx.needs_input_grad[0] else None
        db = g * (1 - share) if ctx.needs_input_grad[1] else None
        return da, db


class Where(Function):
    """where(condition, a, b): a where the condition holds, b elsewhere"""

    @staticmethod
    def forward(ctx, condition, a, b):
        condition = np.asarray(condition, dtype=bool)
        ctx.save_for_backward(condition)
        return np.where(condition, a, b)

    @staticmethod
    def backward(ctx, g):
        (condition,) = ctx.saved_tensors
        da = np.where(condition, g, 0) if ctx.needs_input_grad[1] else None  # d/da = 1 where condition
        db = np.where(condition, 0, g) if ctx.needs_input_grad[2] else None  # d/db = 1 elsewhere
        return None, da, db


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


def add(a: Any, b: Any) -> Any:
    return Add.apply(a, b)


def sub(a: Any, b: Any) -> Any:
    return Sub.apply(a, b)


def mul(a: Any, b: Any) -> Any:
    return Mul.apply(a, b)


def div(a: Any, b: Any) -> Any:
    return Div.apply(a, b)


def neg(x: Any) -> Any:
    return Neg.apply(x)


def pow(a: Any, b: Any) -> Any:
    return Pow.apply(a, b)


def exp(x: Any) -> Any:
    return Exp.apply(x)


def log(x: Any) -> Any:
    return Log.apply(x)


def sqrt(x: Any) -> Any:
    return Sqrt.apply(x)


def sin(x: Any) -> Any:
    return Sin.apply(x)


def cos(x: Any) -> Any:
    return Cos.apply(x)


def abs(x: Any) -> Any:
    return Abs.apply(x)


def tanh(x: Any) -> Any:
    return Tanh.apply(x)


def sigmoid(x: Any) -> Any:
    return Sigmoid.apply(x)


def relu(x: Any) -> Any:
    return Relu.apply(x)


def clip(x: Any, min: float | None = None, max: float | None = None) -> Any:
    """Clamp ``x`` into [min, max] (``clamp`` is the same function, PyTorch's name)."""
    if min is None and max is None:
        raise ValueError("clip needs at least one of min and max")
    return Clip.apply(x, min, max)


clamp = clip


def maximum(a: Any, b: Any) -> Any:
    return Maximum.apply(a, b)


def minimum(a: Any, b: Any) -> Any:
    return Minimum.apply(a, b)


def where(condition: Any, a: Any, b: Any) -> Any:
    """``a`` where ``condition`` is true, ``b`` elsewhere (broadcasting all three)."""
    if hasattr(condition, "data") and not isinstance(condition, np.ndarray):
        condition = condition.data
    return Where.apply(condition, a, b)


def clone(x: Any) -> Any:
    return Clone.apply(x)
