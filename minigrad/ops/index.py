"""Indexing: ``x[key]``, ``gather`` and ``take`` (what an embedding lookup is).

Their backward returns an ``IndexGrad``: "zeros, except these values at this index". The engine adds
it into one gradient buffer per tensor, so taking ``X[t]`` at every step of a sequence of length T
costs O(size of X) in backward, not T full-size zero arrays.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import minigrad  # minigrad.Tensor, read when a function runs (tensor.py imports this module)
from minigrad.autograd import Function, IndexGrad
from minigrad.ops.dims import normalize_dim, tensor_arg

__all__ = [
    "Gather",
    "Index",
    "Take",
    "gather",
    "index_select",
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
        try:
            return x[key]
        except IndexError as error:
            raise IndexError(_index_error(str(error), key)) from None

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
        return x[ctx.key]  # out has index's shape (np.take_along_axis would broadcast a smaller index)

    @staticmethod
    def backward(ctx, g):
        return IndexGrad(ctx.key, g, accumulate=True), None, None  # repeated positions add up


def _index_error(message: str, key: Any) -> str:
    """NumPy's indexing error in PyTorch's words."""
    if "out of bounds" in message:
        return message.replace("for axis", "for dimension")
    parts = key if type(key) is tuple else (key,)
    for k in parts:
        kind = getattr(k, "dtype", None)
        if isinstance(k, float | np.floating) or (kind is not None and kind.kind not in "iub"):
            got = type(k).__name__ if kind is None else f"an array of dtype {kind}"
            return (
                "only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are valid indices "
                f"(got {got})"
            )
    return message


def _index_array(indices: Any, what: str) -> np.ndarray:
    indices = indices.data if isinstance(indices, minigrad.Tensor) else np.asarray(indices)
    if indices.dtype.kind not in "iu":
        raise RuntimeError(f"{what}(): Expected dtype int64 for index, got {indices.dtype}")
    return indices


def take(x: Any, indices: Any, axis: int | None = None) -> Any:
    """The elements of the flattened ``x`` at ``indices`` (``torch.take``, ``np.take``), or with ``axis`` the
    slices at ``indices`` along it (an embedding lookup: ``take(weight, ids, 0)``); negative indices count
    from the end."""
    x = tensor_arg(x, "take")
    indices = _index_array(indices, "take")
    if axis is None:
        x = x.reshape(-1)
        axis = 0
    else:
        axis = normalize_dim(axis, x.ndim, "take(): argument 'axis'")
    n = x.shape[axis] if x.ndim else 1
    if indices.size and (indices.max() >= n or indices.min() < -n):
        bad = int(indices.max() if indices.max() >= n else indices.min())
        raise IndexError(
            f"take: out of range: tried to access index {bad} on a tensor of {n} elements along dimension {axis}"
        )
    return Take.apply(x if x.ndim else x.reshape(1), indices, axis)


def index_select(x: Any, dim: int, index: Any) -> Any:
    """The slices of ``x`` at the 1-D ``index`` along ``dim`` (PyTorch's ``index_select``)."""
    x = tensor_arg(x, "index_select")
    index = _index_array(index, "index_select")
    if index.ndim > 1:
        raise IndexError(f"index_select(): Index is supposed to be a vector, got shape {index.shape}")
    return take(x, index, normalize_dim(dim, x.ndim, "index_select(): argument 'dim'"))


def gather(x: Any, dim: int, index: Any) -> Any:
    """PyTorch's ``gather(input, dim, index)``: ``out[i][j] = x[i][index[i][j]]`` for dim 1 (same number of
    dims; indices in ``[0, x.shape[dim])``)."""
    x = tensor_arg(x, "gather")
    axis = normalize_dim(dim, x.ndim, "gather(): argument 'dim'")
    index = _index_array(index, "gather")
    if index.ndim != x.ndim:
        raise RuntimeError(
            f"Index tensor must have the same number of dimensions as input tensor: index has {index.ndim} "
            f"(shape {index.shape}), the input {x.ndim} (shape {x.shape})"
        )
    for d, (i, n) in enumerate(zip(index.shape, x.shape)):
        if d != axis and i > n:
            raise RuntimeError(
                f"Size does not match at dimension {d} expected index {list(index.shape)} to be smaller than "
                f"self {list(x.shape)} apart from dimension {axis}"
            )
    n = x.shape[axis] if x.ndim else 1
    if index.size and (index.min() < 0 or index.max() >= n):
        bad = int(index.min() if index.min() < 0 else index.max())
        raise RuntimeError(f"gather(): index {bad} is out of bounds for dimension {axis} with size {n}")
    return Gather.apply(x, axis, index)
