"""Indexing: ``x[key]``, ``gather`` and ``take`` (what an embedding lookup is).

Their backward returns an ``IndexGrad``: "zeros, except these values at this index". The engine adds
it into one gradient buffer per tensor, so taking ``X[t]`` at every step of a sequence of length T
costs O(size of X) in backward, not T full-size zero arrays.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from minigrad.autograd import Function, IndexGrad
from minigrad.ops.reduce import normalize_axis

__all__ = [
    "Gather",
    "Index",
    "Take",
    "gather",
    "take",
]


def is_basic_index(key: Any) -> bool:
    """True for keys made only of ints, slices, None and Ellipsis: NumPy returns a view, no repeats."""
    parts = key if type(key) is tuple else (key,)
    for k in parts:
        if not (k is None or k is Ellipsis or isinstance(k, int | np.integer | slice)) or isinstance(k, bool):
            return False
    return True


class Index(Function):
    """x[key] for any NumPy key: ints, slices, None, Ellipsis, boolean masks, integer arrays"""

    view_of_input = 0

    @staticmethod
    def forward(ctx, x, key):
        ctx.key = key
        ctx.repeats = not is_basic_index(key)  # integer arrays may pick one element twice
        return x[key]

    @staticmethod
    def backward(ctx, g):
        # d x[key]/dx: 1 at the picked positions; a position picked twice gets both gradients
        return IndexGrad(ctx.key, g, accumulate=ctx.repeats), None


class Take(Function):
    """the slices of x at ``indices`` along ``axis`` (out.shape = x.shape[:axis] + indices.shape + x.shape[axis+1:])"""

    @staticmethod
    def forward(ctx, x, indices, axis):
        ctx.key = (slice(None),) * axis + (indices,)
        return np.take(x, indices, axis=axis)

    @staticmethod
    def backward(ctx, g):
        return IndexGrad(ctx.key, g, accumulate=True), None, None  # repeated indices add up


class Gather(Function):
    """out[i][j] = x[i][index[i][j]] for axis 1 (PyTorch's gather; NumPy's take_along_axis)"""

    @staticmethod
    def forward(ctx, x, axis, index):
        # the full index of every output element: open grids on all axes but ``axis``
        grid = list(np.ix_(*[np.arange(n) for n in index.shape]))
        grid[axis] = index
        ctx.key = tuple(grid)
        return np.take_along_axis(x, index, axis=axis)

    @staticmethod
    def backward(ctx, g):
        return IndexGrad(ctx.key, g, accumulate=True), None, None  # repeated positions add up


def _index_array(indices: Any, what: str) -> np.ndarray:
    indices = np.asarray(getattr(indices, "data", indices))
    if indices.dtype.kind not in "iu":
        raise TypeError(f"{what} expects integer indices, got dtype {indices.dtype}")
    return indices


def take(x: Any, indices: Any, axis: int = 0) -> Any:
    """Pick the slices at ``indices`` along ``axis`` (an embedding lookup: ``take(weight, ids, 0)``)."""
    (axis,) = normalize_axis(axis, x.ndim)
    indices = _index_array(indices, "take")
    n = x.shape[axis]
    if indices.size and (indices.max() >= n or indices.min() < -n):
        raise IndexError(
            f"take: index {int(indices.max() if indices.max() >= n else indices.min())} is out of range "
            f"for axis {axis} of length {n}"
        )
    return Take.apply(x, indices, axis)


def gather(x: Any, dim: int, index: Any) -> Any:
    """PyTorch's ``gather(input, dim, index)``: pick along ``dim`` at ``index`` (same number of axes)."""
    (axis,) = normalize_axis(dim, x.ndim)
    index = _index_array(index, "gather")
    if index.ndim != x.ndim:
        raise ValueError(
            f"gather: index has {index.ndim} dimensions (shape {index.shape}) but the input has {x.ndim} "
            f"(shape {x.shape}); they must have the same number"
        )
    return Gather.apply(x, axis, index)
