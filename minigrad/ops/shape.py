"""Ops that move values without computing: reshape, permute, expand, flip.

Their outputs are NumPy views of their inputs (``view_of_input = 0``), so they cost no copy; the
output shares the input's version counter so an in-place change through either one is detected.
``squeeze``, ``unsqueeze``, ``flatten`` and ``view`` are reshapes; ``transpose``, ``swapaxes`` and
``.T`` are permutations.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from minigrad.autograd import Function
from minigrad.ops.reduce import normalize_axis

__all__ = [
    "Expand",
    "Flip",
    "Permute",
    "Reshape",
    "broadcast_to",
    "expand",
    "flatten",
    "flip",
    "permute",
    "reshape",
    "squeeze",
    "swapaxes",
    "transpose",
    "unsqueeze",
    "view",
]


class Reshape(Function):
    """x with a new shape (same elements in the same order)"""

    view_of_input = 0

    @staticmethod
    def forward(ctx, x, shape):
        ctx.shape = x.shape
        try:
            return x.reshape(shape)
        except ValueError:
            raise ValueError(
                f"cannot reshape a tensor of shape {x.shape} ({x.size} elements) into shape {tuple(shape)}"
            ) from None

    @staticmethod
    def backward(ctx, g):
        return g.reshape(ctx.shape), None  # values only move: the gradient moves back


class Permute(Function):
    """x with its axes reordered: out.shape[i] = x.shape[axes[i]]"""

    view_of_input = 0

    @staticmethod
    def forward(ctx, x, axes):
        ctx.axes = axes
        return np.transpose(x, axes)

    @staticmethod
    def backward(ctx, g):
        return np.transpose(g, np.argsort(ctx.axes)), None  # the inverse permutation


class Expand(Function):
    """x broadcast to a larger shape (a read-only view: no copy)"""

    view_of_input = 0

    @staticmethod
    def forward(ctx, x, shape):
        return np.broadcast_to(x, shape)

    @staticmethod
    def backward(ctx, g):
        return g, None  # the engine sums the copies back to x's shape, as for any broadcast


class Flip(Function):
    """x with the order of elements reversed along axes"""

    @staticmethod
    def forward(ctx, x, axes):
        ctx.axes = axes
        return np.flip(x, axes)

    @staticmethod
    def backward(ctx, g):
        return np.flip(g, ctx.axes), None


# ------------------------------------------------------------------------------------------------
# The functions users call
# ------------------------------------------------------------------------------------------------


def _shape_arg(shape: tuple) -> tuple:
    """Accept ``f(x, 2, 3)`` and ``f(x, (2, 3))`` as PyTorch does."""
    if len(shape) == 1 and isinstance(shape[0], tuple | list):
        shape = tuple(shape[0])
    return tuple(int(s) for s in shape)


def reshape(x: Any, *shape: Any) -> Any:
    """``x`` with shape ``shape`` (one entry may be -1: inferred)."""
    return Reshape.apply(x, _shape_arg(shape))


view = reshape


def flatten(x: Any, start_dim: int = 0, end_dim: int = -1) -> Any:
    """Merge axes ``start_dim``..``end_dim`` into one (PyTorch's flatten)."""
    if x.ndim == 0:
        return reshape(x, 1)
    start, end = normalize_axis((start_dim,), x.ndim)[0], normalize_axis((end_dim,), x.ndim)[0]
    shape = x.shape[:start] + (-1,) + x.shape[end + 1 :]  # (..., prod(merged), ...)
    return reshape(x, shape)


def squeeze(x: Any, dim: Any = None) -> Any:
    """Drop axes of length 1 (all of them, or the ones in ``dim`` that have length 1, as PyTorch)."""
    axes = normalize_axis(dim, x.ndim)
    shape = tuple(n for i, n in enumerate(x.shape) if not (i in axes and n == 1))
    return reshape(x, shape)


def unsqueeze(x: Any, dim: int) -> Any:
    """Insert an axis of length 1 at position ``dim`` (negative counts from the end of the result)."""
    (axis,) = normalize_axis(dim, x.ndim + 1)
    shape = x.shape[:axis] + (1,) + x.shape[axis:]
    return reshape(x, shape)


def permute(x: Any, *axes: Any) -> Any:
    """Reorder the axes: ``permute(x, 1, 0, 2)``."""
    axes = _shape_arg(axes)
    if sorted(a % max(x.ndim, 1) for a in axes) != list(range(x.ndim)):
        raise ValueError(f"permute: {axes} is not a permutation of the {x.ndim} axes of shape {x.shape}")
    return Permute.apply(x, tuple(a % x.ndim for a in axes))


def transpose(x: Any, dim0: int = -2, dim1: int = -1) -> Any:
    """Swap two axes (PyTorch's ``transpose(dim0, dim1)``; the default swaps the last two)."""
    if x.ndim < 2:
        return x
    axes = list(range(x.ndim))
    a, b = dim0 % x.ndim, dim1 % x.ndim
    axes[a], axes[b] = axes[b], axes[a]
    return Permute.apply(x, tuple(axes))


swapaxes = transpose


def expand(x: Any, *shape: Any) -> Any:
    """Broadcast to ``shape``; -1 keeps an axis's length (PyTorch's ``expand``)."""
    shape = _shape_arg(shape)
    lead = len(shape) - x.ndim
    if lead < 0:
        raise ValueError(f"expand: the target shape {shape} has fewer axes than the tensor's shape {x.shape}")
    shape = tuple(x.shape[i - lead] if n == -1 else n for i, n in enumerate(shape))
    try:
        np.broadcast_shapes(x.shape, shape)
    except ValueError:
        raise ValueError(f"cannot expand a tensor of shape {x.shape} to shape {shape}") from None
    return Expand.apply(x, shape)


def broadcast_to(x: Any, shape: Any) -> Any:
    return expand(x, tuple(shape))


def flip(x: Any, dims: Any) -> Any:
    """Reverse the order of elements along ``dims``."""
    return Flip.apply(x, normalize_axis(dims, x.ndim))
