"""Reductions along axes, and the normalisations built on them (logsumexp, softmax, log_softmax).

``axis`` is None (all axes), an int or a tuple of ints, negative counting from the end; ``keepdims``
keeps the reduced axes with length 1. The backward of a reduction first puts the reduced axes back
(``_keep``) so the gradient broadcasts against the input.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from minigrad.autograd import Function

__all__ = [
    "LogSoftmax",
    "LogSumExp",
    "Max",
    "Mean",
    "Min",
    "Softmax",
    "Sum",
    "Var",
    "log_softmax",
    "logsumexp",
    "max",
    "mean",
    "min",
    "softmax",
    "sum",
    "var",
]


def normalize_axis(axis: Any, ndim: int) -> tuple:
    """``axis`` as a sorted tuple of non-negative ints (all axes for None), with a clear error when out of range."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, int | np.integer) else tuple(axis)
    n = ndim or 1  # a 0-d tensor accepts axis 0 and -1, as in PyTorch
    out = []
    for a in axes:
        if not -n <= a < n:
            raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {a})")
        out.append(int(a) % n)
    if len(set(out)) != len(out):
        raise ValueError(f"axis {axis} repeats an axis")
    return tuple(sorted(out)) if ndim else ()


def _keep(g: np.ndarray, axes: tuple, keepdims: bool) -> np.ndarray:
    """The gradient of a reduction with its reduced axes restored as length 1 (no-op when kept)."""
    return g if keepdims else np.expand_dims(g, axes)


class Sum(Function):
    """Σ x over axes"""

    @staticmethod
    def forward(ctx, x, axes, keepdims):
        ctx.shape, ctx.axes, ctx.keepdims = x.shape, axes, keepdims
        return x.sum(axis=axes, keepdims=keepdims)

    @staticmethod
    def backward(ctx, g):
        return np.broadcast_to(_keep(g, ctx.axes, ctx.keepdims), ctx.shape), None, None  # d Σx/dx_i = 1


class Mean(Function):
    """mean of x over axes"""

    @staticmethod
    def forward(ctx, x, axes, keepdims):
        ctx.shape, ctx.axes, ctx.keepdims = x.shape, axes, keepdims
        ctx.count = int(np.prod([x.shape[a] for a in axes]))
        return x.mean(axis=axes, keepdims=keepdims)

    @staticmethod
    def backward(ctx, g):
        g = _keep(g, ctx.axes, ctx.keepdims) / ctx.count  # d mean(x)/dx_i = 1/N
        return np.broadcast_to(g, ctx.shape), None, None


def _winners_share(ctx: Function, g: np.ndarray) -> np.ndarray:
    """The gradient of a max or min: split equally among the k elements that won (d ext/dx_i = 1/k)."""
    x, out = ctx.saved_tensors
    winners = x == out
    return _keep(g, ctx.axes, ctx.keepdims) * (winners / winners.sum(axis=ctx.axes, keepdims=True))


class Max(Function):
    """max of x over axes; tied maxima share the gradient equally (as torch.amax)"""

    @staticmethod
    def forward(ctx, x, axes, keepdims):
        out = x.max(axis=axes, keepdims=True)
        ctx.save_for_backward(x, out)
        ctx.axes, ctx.keepdims = axes, keepdims
        return out if keepdims else np.squeeze(out, axes)

    @staticmethod
    def backward(ctx, g):
        return _winners_share(ctx, g), None, None  # d max/dx_i = 1/k for each of k maxima, 0 elsewhere


class Min(Function):
    """min of x over axes; tied minima share the gradient equally (as torch.amin)"""

    @staticmethod
    def forward(ctx, x, axes, keepdims):
        out = x.min(axis=axes, keepdims=True)
        ctx.save_for_backward(x, out)
        ctx.axes, ctx.keepdims = axes, keepdims
        return out if keepdims else np.squeeze(out, axes)

    @staticmethod
    def backward(ctx, g):
        return _winners_share(ctx, g), None, None  # d min/dx_i = 1/k for each of k minima, 0 elsewhere


class Var(Function):
    """variance Σ (x - mean)² / (N - correction) over axes (correction=1 is PyTorch's default)"""

    @staticmethod
    def forward(ctx, x, axes, keepdims, correction):
        centered = x - x.mean(axis=axes, keepdims=True)
        n = int(np.prod([x.shape[a] for a in axes]))
        ctx.save_for_backward(centered)
        ctx.axes, ctx.keepdims, ctx.denominator = axes, keepdims, n - correction
        return (centered * centered).sum(axis=axes, keepdims=keepdims) / ctx.denominator

    @staticmethod
    def backward(ctx, g):
        (centered,) = ctx.saved_tensors
        g = _keep(g, ctx.axes, ctx.keepdims)
        return g * 2 * centered / ctx.denominator, None, None, None  # d var/dx_i = 2 (x_i - mean) / (N - c)


class LogSumExp(Function):
    """log Σ e^x over axes, computed as m + log Σ e^(x - m) with m the max (no overflow)"""

    @staticmethod
    def forward(ctx, x, axes, keepdims):
        m = x.max(axis=axes, keepdims=True)
        m = np.where(np.isfinite(m), m, 0)  # all -inf (or inf) along an axis: shift by 0 instead
        out = m + np.log(np.exp(x - m).sum(axis=axes, keepdims=True))
        ctx.save_for_backward(x, out)
        ctx.axes, ctx.keepdims = axes, keepdims
        return out if keepdims else np.squeeze(out, axes)

    @staticmethod
    def backward(ctx, g):
        x, out = ctx.saved_tensors
        return _keep(g, ctx.axes, ctx.keepdims) * np.exp(x - out), None, None  # d lse/dx_i = softmax(x)_i


def softmax_array(x: np.ndarray, axis: int) -> np.ndarray:
    """softmax(x)_i = e^(x_i - m) / Σ_j e^(x_j - m), m = max_j x_j (the shift cancels and prevents overflow)."""
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def log_softmax_array(x: np.ndarray, axis: int) -> np.ndarray:
    """log softmax(x)_i = (x_i - m) - log Σ_j e^(x_j - m)."""
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


class Softmax(Function):
    """softmax along one axis"""

    @staticmethod
    def forward(ctx, x, axis):
        out = softmax_array(x, axis)
        ctx.save_for_backward(out)
        ctx.axis = axis
        return out

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        # d y_i/dx_j = y_i (δ_ij - y_j), so dx = y ⊙ (g - Σ_i g_i y_i)
        return y * (g - (g * y).sum(axis=ctx.axis, keepdims=True)), None


class LogSoftmax(Function):
    """log of softmax along one axis (stable)"""

    @staticmethod
    def forward(ctx, x, axis):
        out = log_softmax_array(x, axis)
        ctx.save_for_backward(out)
        ctx.axis = axis
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        # d out_i/dx_j = δ_ij - softmax(x)_j, so dx = g - softmax(x) Σ_i g_i
        return g - np.exp(out) * g.sum(axis=ctx.axis, keepdims=True), None


# ------------------------------------------------------------------------------------------------
# The functions users call: ``axis``/``keepdims`` (NumPy) or ``dim``/``keepdim`` (PyTorch)
# ------------------------------------------------------------------------------------------------


def _axis_args(x: Any, axis: Any, keepdims: bool, dim: Any, keepdim: Any) -> tuple:
    if dim is not None:
        if axis is not None:
            raise TypeError("pass either axis or dim (its PyTorch alias), not both")
        axis = dim
    if keepdim is not None:
        keepdims = keepdim
    return normalize_axis(axis, x.ndim), bool(keepdims)


def _one_axis(x: Any, axis: Any, dim: Any) -> int:
    if dim is not None:
        axis = dim
    if axis is None:
        raise TypeError("softmax needs an axis (dim=...): there is no default, as in PyTorch")
    (a,) = normalize_axis(int(axis), x.ndim) or (0,)
    return a


def sum(x: Any, axis: Any = None, keepdims: bool = False, *, dim: Any = None, keepdim: Any = None) -> Any:
    axes, keep = _axis_args(x, axis, keepdims, dim, keepdim)
    return Sum.apply(x, axes, keep)


def mean(x: Any, axis: Any = None, keepdims: bool = False, *, dim: Any = None, keepdim: Any = None) -> Any:
    axes, keep = _axis_args(x, axis, keepdims, dim, keepdim)
    return Mean.apply(x, axes, keep)


def max(x: Any, axis: Any = None, keepdims: bool = False, *, dim: Any = None, keepdim: Any = None) -> Any:
    """The largest values along ``axis`` (only the values, as ``torch.amax``; use ``argmax`` for indices)."""
    axes, keep = _axis_args(x, axis, keepdims, dim, keepdim)
    return Max.apply(x, axes, keep)


def min(x: Any, axis: Any = None, keepdims: bool = False, *, dim: Any = None, keepdim: Any = None) -> Any:
    """The smallest values along ``axis`` (only the values, as ``torch.amin``; use ``argmin`` for indices)."""
    axes, keep = _axis_args(x, axis, keepdims, dim, keepdim)
    return Min.apply(x, axes, keep)


def var(
    x: Any,
    axis: Any = None,
    keepdims: bool = False,
    correction: int = 1,
    *,
    dim: Any = None,
    keepdim: Any = None,
    unbiased: bool | None = None,
) -> Any:
    """Variance with PyTorch's default ``correction=1`` (``unbiased=False`` or ``correction=0`` for NumPy's)."""
    if unbiased is not None:
        correction = 1 if unbiased else 0
    axes, keep = _axis_args(x, axis, keepdims, dim, keepdim)
    return Var.apply(x, axes, keep, correction)


def logsumexp(x: Any, axis: Any = None, keepdims: bool = False, *, dim: Any = None, keepdim: Any = None) -> Any:
    axes, keep = _axis_args(x, axis, keepdims, dim, keepdim)
    return LogSumExp.apply(x, axes, keep)


def softmax(x: Any, axis: Any = None, *, dim: Any = None) -> Any:
    return Softmax.apply(x, _one_axis(x, axis, dim))


def log_softmax(x: Any, axis: Any = None, *, dim: Any = None) -> Any:
    return LogSoftmax.apply(x, _one_axis(x, axis, dim))
