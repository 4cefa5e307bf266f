"""Reductions along axes, and the normalisations built on them (logsumexp, softmax, log_softmax).

``axis`` is None (all axes), an int or a tuple of ints, negative counting from the end; ``keepdims``
keeps the reduced axes with length 1 (PyTorch's ``dim``/``keepdim`` are accepted too; ``dims.py`` checks
them). The backward of a reduction first puts the reduced axes back (``_keep``) so the gradient
broadcasts against the input.

``max`` and ``min`` take PyTorch's three calls: ``max(x)`` is the largest value, ``max(x, dim)`` the
named tuple ``(values, indices)`` along ``dim`` (the values are ``x`` gathered at the indices, so the
gradient goes to the index returned: the first of tied maxima), ``max(x, other)`` the elementwise
maximum. NumPy's spelling ``max(x, axis=...)`` (and ``amax``) gives only the values, with ties sharing the
gradient equally, as ``torch.amax``. NaN is larger than every number and smaller than none (it wins
both), as in PyTorch.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import minigrad  # minigrad.Tensor, read when a function runs (tensor.py imports this module)
from minigrad.autograd import Function
from minigrad.ops import return_types
from minigrad.ops.dims import normalize_dim, normalize_dims, tensor_arg
from minigrad.ops.elementwise import Maximum, Minimum, floating
from minigrad.ops.index import Gather
from minigrad.ops.shape import Reshape

__all__ = [
    "LogSoftmax",
    "LogSumExp",
    "Max",
    "Mean",
    "Min",
    "Softmax",
    "Sum",
    "Var",
    "amax",
    "amin",
    "argmax",
    "argmin",
    "log_softmax",
    "logsumexp",
    "max",
    "mean",
    "min",
    "softmax",
    "std",
    "sum",
    "var",
]


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
    if x.dtype.kind == "f" and np.isnan(out).any():  # NaN won: the NaNs share the gradient
        winners |= np.isnan(x) & np.isnan(out)
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
        x = floating(x)
        m = x.max(axis=axes, keepdims=True, initial=-np.inf)  # (-inf for an empty axis: the sum of nothing is 0)
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
    e = np.exp(x - x.max(axis=axis, keepdims=True, initial=-np.inf))  # (initial: an empty axis has no max)
    return e / e.sum(axis=axis, keepdims=True)


def log_softmax_array(x: np.ndarray, axis: int) -> np.ndarray:
    """log softmax(x)_i = (x_i - m) - log Σ_j e^(x_j - m)."""
    shifted = x - x.max(axis=axis, keepdims=True, initial=-np.inf)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


class Softmax(Function):
    """softmax along one axis"""

    @staticmethod
    def forward(ctx, x, axis):
        out = softmax_array(floating(x), axis)
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
        out = log_softmax_array(floating(x), axis)
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


def _axis_args(x: Any, axis: Any, keepdims: bool, dim: Any, keepdim: Any, what: str = "dim") -> tuple:
    if dim is not None:
        if axis is not None:
            raise TypeError("pass either axis or dim (its PyTorch alias), not both")
        axis = None if isinstance(dim, tuple | list) and len(dim) == 0 else dim  # PyTorch: dim=() is every dim
    if keepdim is not None:
        keepdims = keepdim
    return normalize_dims(axis, x.ndim, f"{what}(): argument 'dim'"), bool(keepdims)


def _one_axis(x: Any, axis: Any, dim: Any, what: str) -> int:
    if dim is not None:
        axis = dim
    if axis is None:
        raise TypeError(f"{what}() needs a dim (dim=...): there is no default, as in PyTorch")
    return normalize_dim(axis, x.ndim, f"{what}(): argument 'dim'")


def _floating_only(x: Any, what: str) -> None:
    if x.dtype.kind != "f":
        raise RuntimeError(
            f"{what}(): could not infer output dtype. Input dtype must be a floating point dtype, got {x.dtype}: "
            f"convert first, e.g. x.float().{what}()"
        )


def sum(
    x: Any, axis: Any = None, keepdims: bool = False, *, dim: Any = None, keepdim: Any = None, dtype: Any = None
) -> Any:
    """Σ over ``axis`` (all axes by default); ``dtype`` converts first (``sum(dtype=minigrad.float32)``)."""
    x = tensor_arg(x, "sum")
    axes, keep = _axis_args(x, axis, keepdims, dim, keepdim, "sum")
    if dtype is not None:
        x = x.to(dtype)
    return Sum.apply(x, axes, keep)


def mean(
    x: Any, axis: Any = None, keepdims: bool = False, *, dim: Any = None, keepdim: Any = None, dtype: Any = None
) -> Any:
    """The mean over ``axis``: of a floating tensor, as in PyTorch (``dtype`` converts first)."""
    x = tensor_arg(x, "mean")
    axes, keep = _axis_args(x, axis, keepdims, dim, keepdim, "mean")
    if dtype is not None:
        x = x.to(dtype)
    _floating_only(x, "mean")
    return Mean.apply(x, axes, keep)


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
    x = tensor_arg(x, "var")
    if unbiased is not None:
        correction = 1 if unbiased else 0
    axes, keep = _axis_args(x, axis, keepdims, dim, keepdim, "var")
    if x.dtype.kind != "f":
        raise RuntimeError(f"std and var only support floating point dtypes, got {x.dtype}: convert with .float()")
    return Var.apply(x, axes, keep, correction)


def std(x: Any, axis: Any = None, keepdims: bool = False, correction: int = 1, **kwargs: Any) -> Any:
    """Standard deviation: the square root of ``var`` (same arguments)."""
    return var(x, axis, keepdims, correction, **kwargs).sqrt()


def logsumexp(x: Any, axis: Any = None, keepdims: bool = False, *, dim: Any = None, keepdim: Any = None) -> Any:
    x = tensor_arg(x, "logsumexp")
    axes, keep = _axis_args(x, axis, keepdims, dim, keepdim, "logsumexp")
    return LogSumExp.apply(x, axes, keep)


def softmax(x: Any, axis: Any = None, *, dim: Any = None) -> Any:
    x = tensor_arg(x, "softmax")
    return Softmax.apply(x, _one_axis(x, axis, dim, "softmax"))


def log_softmax(x: Any, axis: Any = None, *, dim: Any = None) -> Any:
    x = tensor_arg(x, "log_softmax")
    return LogSoftmax.apply(x, _one_axis(x, axis, dim, "log_softmax"))


# ------------------------------------------------------------------------------------------------
# max and min: PyTorch's three calls
# ------------------------------------------------------------------------------------------------


def amax(x: Any, axis: Any = None, keepdims: bool = False, *, dim: Any = None, keepdim: Any = None) -> Any:
    """The largest values over ``axis``/``dim`` (an int, a tuple, or None for all): values only, tied
    maxima share the gradient (``torch.amax``)."""
    x = tensor_arg(x, "amax")
    return _extreme(x, axis, keepdims, dim, keepdim, Max, "amax")


def amin(x: Any, axis: Any = None, keepdims: bool = False, *, dim: Any = None, keepdim: Any = None) -> Any:
    """The smallest values over ``axis``/``dim``: values only, tied minima share the gradient (``torch.amin``)."""
    x = tensor_arg(x, "amin")
    return _extreme(x, axis, keepdims, dim, keepdim, Min, "amin")


def max(x: Any, dim: Any = None, keepdim: bool = False, *, axis: Any = None, keepdims: Any = None) -> Any:
    """PyTorch's ``torch.max``, by what the second argument is:

    - ``max(x)``: the largest value, a 0-d tensor (tied maxima share the gradient);
    - ``max(x, dim)``, ``max(x, dim=1, keepdim=True)``: the named tuple ``(values, indices)`` along
      ``dim`` (``values, indices = x.max(dim=1)``); the gradient goes to the index, the first maximum;
    - ``max(x, other)`` with a tensor ``other``: the elementwise maximum (``maximum``).

    NumPy's spelling ``max(x, axis=1, keepdims=True)`` returns only the values, as ``amax``.
    """
    x = tensor_arg(x, "max")
    return _dispatch(x, dim, keepdim, axis, keepdims, "max")


def min(x: Any, dim: Any = None, keepdim: bool = False, *, axis: Any = None, keepdims: Any = None) -> Any:
    """PyTorch's ``torch.min``: ``min(x)`` the smallest value, ``min(x, dim)`` the named tuple
    ``(values, indices)``, ``min(x, other)`` the elementwise minimum; ``min(x, axis=...)`` values only."""
    x = tensor_arg(x, "min")
    return _dispatch(x, dim, keepdim, axis, keepdims, "min")


def argmax(x: Any, dim: Any = None, keepdim: bool = False, *, axis: Any = None, keepdims: Any = None) -> Any:
    """Indices of the largest values along ``dim`` (of the flattened tensor without one); the first of ties,
    NaN counting as the largest; int64, no gradient."""
    x = tensor_arg(x, "argmax")
    return _arg(x, dim, keepdim, axis, keepdims, np.argmax, "argmax")


def argmin(x: Any, dim: Any = None, keepdim: bool = False, *, axis: Any = None, keepdims: Any = None) -> Any:
    """Indices of the smallest values along ``dim`` (the first of ties; NaN counts as the smallest)."""
    x = tensor_arg(x, "argmin")
    return _arg(x, dim, keepdim, axis, keepdims, np.argmin, "argmin")


def _extreme(x: Any, axis: Any, keepdims: Any, dim: Any, keepdim: Any, op: type, what: str) -> Any:
    axes, keep = _axis_args(x, axis, keepdims, dim, keepdim, what)
    if x.data.size == 0:
        if x.ndim == 0 or (axis is None and dim is None):
            raise RuntimeError(
                f"{what}(): Expected reduction dim to be specified for input.numel() == 0. Specify the reduction "
                "dim with the 'dim' argument."
            )
        empty = [a for a in axes if x.shape[a] == 0]
        if empty:
            raise IndexError(f"{what}(): Expected reduction dim {empty[0]} to have non-zero size.")
    return op.apply(x, axes, keep)


def _dispatch(x: Any, dim: Any, keepdim: Any, axis: Any, keepdims: Any, what: str) -> Any:
    largest = what == "max"
    if isinstance(dim, minigrad.Tensor | np.ndarray):  # max(x, other): elementwise
        return (Maximum if largest else Minimum).apply(x, dim)
    if dim is None:  # max(x), or NumPy's max(x, axis=..., keepdims=...): values only
        if keepdim and axis is None:
            raise TypeError(f"{what}(): keepdim=True needs a dim: {what}(dim=..., keepdim=True)")
        return _extreme(x, axis, bool(keepdims), None, None, Max if largest else Min, what)
    if axis is not None:
        raise TypeError("pass either axis or dim (its PyTorch alias), not both")
    if isinstance(dim, tuple | list):
        raise TypeError(
            f"{what}(): dim must be one int when it returns (values, indices), got {dim!r}: for the values over "
            f"several dims use a{what}(dim={tuple(dim)}) or {what}(axis={tuple(dim)})"
        )
    return _values_indices(x, dim, keepdim, np.argmax if largest else np.argmin, what)


def _values_indices(x: Any, dim: Any, keepdim: bool, pick: Any, what: str) -> tuple:
    """``(values, indices)`` of the max or min along ``dim``: the values are ``x`` gathered at the indices."""
    d = normalize_dim(dim, x.ndim, f"{what}(): argument 'dim'")
    if x.ndim == 0:
        return getattr(return_types, what)(Reshape.apply(x, ()), minigrad.Tensor(np.array(0)))
    if x.shape[d] == 0:
        raise IndexError(f"{what}(): Expected reduction dim {d} to have non-zero size.")
    index = pick(x.data, axis=d, keepdims=True)  # the first extreme; NaN counts as the extreme
    values = Gather.apply(x, d, index)  # (..., 1, ...): x at the index along d
    if not keepdim:
        values = Reshape.apply(values, values.shape[:d] + values.shape[d + 1 :])  # drop the axis d
        index = np.squeeze(index, d)
    return getattr(return_types, what)(values, minigrad.Tensor(index))


def _arg(x: Any, dim: Any, keepdim: Any, axis: Any, keepdims: Any, pick: Any, what: str) -> Any:
    if axis is not None:
        if dim is not None:
            raise TypeError("pass either axis or dim (its PyTorch alias), not both")
        dim = axis
    keep = bool(keepdim if keepdims is None else keepdims)
    data = x.data
    if dim is None:
        if data.size == 0:  # (an IndexError, as PyTorch's; max() of nothing is a RuntimeError)
            raise IndexError(f"{what}(): Expected reduction dim to be specified for input.numel() == 0.")
        index = pick(data)
        return minigrad.Tensor(np.asarray(index).reshape((1,) * data.ndim if keep else ()))
    d = normalize_dim(dim, data.ndim, f"{what}(): argument 'dim'")
    if data.ndim == 0:
        return minigrad.Tensor(np.array(0))
    if data.shape[d] == 0:
        raise IndexError(f"{what}(): Expected reduction dim {d} to have non-zero size.")
    return minigrad.Tensor(pick(data, axis=d, keepdims=keep))
