"""Ordering: sort, argsort, topk, median.

Each finds indices with NumPy, then takes the values with ``gather`` (``index.py``), so the values are in
the graph and the gradient of each value goes back to the position it came from: d sorted_j/dx_i = 1 if
x_i went to place j. The indices are int64 tensors without gradient. The median of the whole tensor is
one op of its own (``Median``): there, as in PyTorch, elements tied with the median share its gradient.

**Ties and NaN.** The sort is stable: equal values keep their order (PyTorch's ``stable=True``), in both
directions. ``topk`` returns the first k of that order, so among tied values the one met first wins;
``median`` along a dim returns the element at place ⌊(n-1)/2⌋ of that order (the lower median). PyTorch's
default sort on the CPU is not stable, and its ``topk`` may pick any of tied values: the values always
agree, the indices (and where the gradient of a tied value goes) agree when there are no ties. NaN is
larger than every number, as in PyTorch: sorted last (first when descending), picked first by ``topk``,
and the median of a row with a NaN is NaN (at the first NaN).
"""

from __future__ import annotations

from typing import Any

import numpy as np

import minigrad  # minigrad.Tensor, read when a function runs (tensor.py imports this module)
from minigrad.autograd import Function
from minigrad.ops import return_types
from minigrad.ops.dims import as_int, normalize_dim, tensor_arg
from minigrad.ops.index import Gather
from minigrad.ops.reduce import _winners_share
from minigrad.ops.shape import Reshape

__all__ = [
    "Median",
    "argsort",
    "median",
    "sort",
    "topk",
]


def stable_order(data: np.ndarray, axis: int, descending: bool = False) -> np.ndarray:
    """Indices that sort ``data`` along ``axis``, equal values in their original order, NaN last (first if
    descending)."""
    if not descending:
        return np.argsort(data, axis=axis, kind="stable")
    # a stable ascending sort of the reversed data, reversed again: descending, ties still in original order
    order = np.argsort(np.flip(data, axis), axis=axis, kind="stable")
    return data.shape[axis] - 1 - np.flip(order, axis)


class Median(Function):
    """the lower median of all elements (the ⌊(n-1)/2⌋-th smallest; NaN if there is a NaN)"""

    @staticmethod
    def forward(ctx, x):
        flat = x.reshape(-1)  # (n,)
        if flat.size == 0 or (x.dtype.kind == "f" and np.isnan(flat).any()):
            out = np.array(np.nan, dtype=x.dtype if x.dtype.kind == "f" else np.float64)
        else:
            k = (flat.size - 1) // 2
            out = np.partition(flat, k)[k]
        ctx.save_for_backward(x, out.reshape((1,) * x.ndim))
        ctx.axes, ctx.keepdims = tuple(range(x.ndim)), False
        return np.asarray(out)

    @staticmethod
    def backward(ctx, g):
        return _winners_share(ctx, g)  # d median/dx_i = 1/k for each of the k elements equal to it


# ------------------------------------------------------------------------------------------------
# The functions users call
# ------------------------------------------------------------------------------------------------


def _picked(x: Any, index: np.ndarray, axis: int, keepdim: bool = True) -> tuple:
    """``(values, indices)``: x gathered at ``index`` along ``axis`` (index keeps the axis; dropped unless keepdim)."""
    values = Gather.apply(x, axis, index)
    if not keepdim:
        values = Reshape.apply(values, values.shape[:axis] + values.shape[axis + 1 :])  # drop the axis
        index = np.squeeze(index, axis)
    return values, minigrad.Tensor(index)


def _zero_d(x: Any, kind: type) -> Any:
    """What sort/topk/median of a 0-d tensor returns: the value and index 0."""
    return kind(Reshape.apply(x, ()), minigrad.Tensor(np.array(0)))


def sort(x: Any, dim: int = -1, descending: bool = False, *, stable: bool = False) -> Any:
    """``(values, indices)`` sorted along ``dim`` (ascending unless ``descending``). Always stable: equal
    values keep their order (``stable`` is accepted for PyTorch's signature)."""
    x = tensor_arg(x, "sort")
    axis = normalize_dim(dim, x.ndim, "sort(): argument 'dim'")
    if x.ndim == 0:
        return _zero_d(x, return_types.sort)
    return return_types.sort(*_picked(x, stable_order(x.data, axis, bool(descending)), axis))


def argsort(x: Any, dim: int = -1, descending: bool = False, *, stable: bool = False) -> Any:
    """The indices that sort ``x`` along ``dim`` (stable; int64, no gradient)."""
    x = tensor_arg(x, "argsort")
    axis = normalize_dim(dim, x.ndim, "argsort(): argument 'dim'")
    if x.ndim == 0:
        return minigrad.Tensor(np.array(0))
    return minigrad.Tensor(stable_order(x.data, axis, bool(descending)))


def topk(x: Any, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> Any:
    """``(values, indices)`` of the ``k`` largest (or smallest) elements along ``dim``, in order.

    Ties go to the element met first; the result is always sorted (``sorted=False`` allows any order in
    PyTorch, so this is one of its answers).
    """
    x = tensor_arg(x, "topk")
    k = as_int(k, "topk(): argument 'k'")
    axis = normalize_dim(dim, x.ndim, "topk(): argument 'dim'")
    n = x.shape[axis] if x.ndim else 1
    if not 0 <= k <= n:
        raise RuntimeError(f"selected index k out of range: k = {k} but dimension {axis} has size {n}")
    if x.ndim == 0:
        return _zero_d(x, return_types.topk)
    order = stable_order(x.data, axis, descending=bool(largest))
    index = np.take(order, np.arange(k), axis=axis)  # the first k along the axis
    return return_types.topk(*_picked(x, index, axis))


def median(x: Any, dim: Any = None, keepdim: bool = False) -> Any:
    """The lower median: of all elements (``median(x)``, a 0-d tensor; tied elements share the gradient),
    or along ``dim`` the named tuple ``(values, indices)``. A NaN makes the median NaN."""
    x = tensor_arg(x, "median")
    if dim is None:
        if keepdim:
            raise TypeError("median(): keepdim=True needs a dim: median(dim=..., keepdim=True)")
        return Median.apply(x)
    axis = normalize_dim(dim, x.ndim, "median(): argument 'dim'")
    if x.ndim == 0:
        return _zero_d(x, return_types.median)
    n = x.shape[axis]
    if n == 0:
        raise IndexError(f"median(): Expected reduction dim {axis} to have non-zero size.")
    data = x.data
    index = np.take(stable_order(data, axis), [(n - 1) // 2], axis=axis)  # the lower median's place, kept axis
    if data.dtype.kind == "f":
        nan = np.isnan(data)
        has_nan = nan.any(axis=axis, keepdims=True)
        index = np.where(has_nan, np.argmax(nan, axis=axis, keepdims=True), index)  # NaN: at the first NaN
    return return_types.median(*_picked(x, index, axis, bool(keepdim)))
