"""Ops that move values without computing: reshape, permute, expand, flip, repeat.

Reshape, permute and expand return NumPy views of their inputs (``view_of_input = 0``), so they cost no
copy; the output shares the input's version counter so an in-place change through either one is
detected. ``squeeze``, ``unsqueeze``, ``flatten`` and ``view`` are reshapes; ``transpose``, ``swapaxes``,
``t`` and ``.T`` are permutations. ``repeat`` tiles the tensor (a copy); ``repeat_interleave`` repeats each
element (a ``take`` along the axis). Dims and shapes are checked by ``dims.py``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import minigrad  # minigrad.Tensor, read when a function runs (tensor.py imports this module)
from minigrad.autograd import Function
from minigrad.ops.dims import normalize_dim, normalize_dims, normalize_shape, tensor_arg
from minigrad.ops.index import Take

__all__ = [
    "Expand",
    "Flip",
    "Permute",
    "Repeat",
    "Reshape",
    "broadcast_to",
    "expand",
    "flatten",
    "flip",
    "permute",
    "repeat",
    "repeat_interleave",
    "reshape",
    "squeeze",
    "swapaxes",
    "t",
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
            raise RuntimeError(
                f"shape '{list(shape)}' is invalid for input of size {x.size}: cannot reshape a tensor of shape "
                f"{x.shape} ({x.size} elements) into shape {tuple(shape)}"
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


class Repeat(Function):
    """x tiled ``repeats[i]`` times along axis i (PyTorch's ``repeat``, NumPy's ``tile``)"""

    @staticmethod
    def forward(ctx, x, repeats):
        x = x.reshape((1,) * (len(repeats) - x.ndim) + x.shape)  # leading axes of length 1 for the extra repeats
        ctx.shape = x.shape
        return np.tile(x, repeats)

    @staticmethod
    def backward(ctx, g):
        # each input element appears once in every tile: its gradient is the sum over the tiles
        split = [n for pair in zip(g.shape[: len(ctx.shape)], ctx.shape) for n in (pair[0] // pair[1], pair[1])]
        tiles = g.reshape(split)  # (r0, n0, r1, n1, ...): tile index and position within the tile per axis
        return tiles.sum(axis=tuple(range(0, len(split), 2))), None  # d out/dx = 1 in every tile


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


def reshape(x: Any, *shape: Any) -> Any:
    """``x`` with shape ``shape`` (one entry may be -1: inferred). ``reshape(x, 2, 3)`` or ``reshape(x, (2, 3))``."""
    x = tensor_arg(x, "reshape")
    return Reshape.apply(x, normalize_shape(shape, "reshape", minus_one="infer"))


def view(x: Any, *shape: Any) -> Any:
    """``reshape``, PyTorch's name for a reshape that never copies (NumPy copies only when it must)."""
    x = tensor_arg(x, "view")
    return Reshape.apply(x, normalize_shape(shape, "view", minus_one="infer"))


def flatten(x: Any, start_dim: int = 0, end_dim: int = -1) -> Any:
    """Merge axes ``start_dim``..``end_dim`` into one (PyTorch's flatten)."""
    x = tensor_arg(x, "flatten")
    start = normalize_dim(start_dim, x.ndim, "flatten(): argument 'start_dim'")
    end = normalize_dim(end_dim, x.ndim, "flatten(): argument 'end_dim'")
    if x.ndim == 0:
        return Reshape.apply(x, (1,))
    if start > end:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    shape = x.shape[:start] + (math.prod(x.shape[start : end + 1]),) + x.shape[end + 1 :]  # (..., prod(merged), ...)
    return Reshape.apply(x, shape)


def squeeze(x: Any, dim: Any = None) -> Any:
    """Drop axes of length 1 (all of them, or the ones in ``dim`` that have length 1, as PyTorch)."""
    x = tensor_arg(x, "squeeze")
    axes = normalize_dims(dim, x.ndim, "squeeze(): argument 'dim'")
    shape = tuple(n for i, n in enumerate(x.shape) if not (i in axes and n == 1))
    return Reshape.apply(x, shape)


def unsqueeze(x: Any, dim: int) -> Any:
    """Insert an axis of length 1 at position ``dim`` (negative counts from the end of the result)."""
    x = tensor_arg(x, "unsqueeze")
    axis = normalize_dim(dim, x.ndim + 1, "unsqueeze(): argument 'dim'")
    shape = x.shape[:axis] + (1,) + x.shape[axis:]
    return Reshape.apply(x, shape)


def permute(x: Any, *dims: Any) -> Any:
    """Reorder the axes: ``permute(x, 1, 0, 2)``: axis i of the result is axis ``dims[i]`` of ``x``."""
    x = tensor_arg(x, "permute")
    if len(dims) == 1 and isinstance(dims[0], tuple | list):
        dims = tuple(dims[0])
    if len(dims) != x.ndim:
        raise RuntimeError(
            f"permute(): number of dims don't match: the tensor has {x.ndim} dimensions (shape {x.shape}) "
            f"but {len(dims)} were given ({tuple(dims)})"
        )
    axes = tuple(normalize_dim(d, x.ndim, "permute(): argument 'dims'") for d in dims)
    if len(set(axes)) != len(axes):
        raise RuntimeError(f"permute(): duplicate dims are not allowed, got {tuple(dims)}")
    return Permute.apply(x, axes)


def transpose(x: Any, dim0: int | None = None, dim1: int | None = None) -> Any:
    """Swap two axes (PyTorch's ``transpose(dim0, dim1)``; without dims, the last two, if there are two)."""
    x = tensor_arg(x, "transpose")
    if dim0 is None and dim1 is None:
        if x.ndim < 2:
            return Reshape.apply(x, x.shape)
        dim0, dim1 = -2, -1
    a = normalize_dim(dim0, x.ndim, "transpose(): argument 'dim0'")
    b = normalize_dim(dim1, x.ndim, "transpose(): argument 'dim1'")
    if x.ndim < 2 or a == b:
        return Reshape.apply(x, x.shape)  # nothing moves (a view, as PyTorch's)
    axes = list(range(x.ndim))
    axes[a], axes[b] = axes[b], axes[a]
    return Permute.apply(x, tuple(axes))


swapaxes = transpose


def t(x: Any) -> Any:
    """The transpose of a matrix (a tensor of at most 2 dims is returned transposed; more is an error)."""
    x = tensor_arg(x, "t")
    if x.ndim > 2:
        raise RuntimeError(
            f"t() expects a tensor with <= 2 dimensions, but self is {x.ndim}D: use transpose(dim0, dim1) "
            "or .mT for the last two"
        )
    return transpose(x, 0, -1)


def expand(x: Any, *shape: Any) -> Any:
    """Broadcast to ``shape``; -1 keeps an axis's length (PyTorch's ``expand``; a new leading axis needs a size)."""
    x = tensor_arg(x, "expand")
    shape = normalize_shape(shape, "expand", minus_one="keep")
    lead = len(shape) - x.ndim
    if lead < 0:
        raise RuntimeError(
            f"expand: the number of sizes provided ({len(shape)}) must be greater or equal to the number of "
            f"dimensions in the tensor ({x.ndim}): target {shape}, tensor shape {x.shape}"
        )
    if -1 in shape[:lead]:
        i = shape.index(-1)
        raise RuntimeError(
            f"expand: the expanded size of the tensor (-1) isn't allowed in a leading, non-existing dimension {i}"
        )
    shape = tuple(x.shape[i - lead] if n == -1 else n for i, n in enumerate(shape))
    for i, n in enumerate(x.shape):
        if n != 1 and n != shape[i + lead]:
            raise RuntimeError(
                f"The expanded size of the tensor ({shape[i + lead]}) must match the existing size ({n}) at "
                f"non-singleton dimension {i + lead}.  Target sizes: {list(shape)}.  Tensor sizes: {list(x.shape)}"
            )
    return Expand.apply(x, shape)


def broadcast_to(x: Any, shape: Any) -> Any:
    return expand(x, tuple(shape))


def flip(x: Any, dims: Any) -> Any:
    """Reverse the order of elements along ``dims`` (an int or a tuple of ints)."""
    x = tensor_arg(x, "flip")
    return Flip.apply(x, normalize_dims(dims, x.ndim, "flip(): argument 'dims'"))


def repeat(x: Any, *repeats: Any) -> Any:
    """``x`` tiled: ``repeat(x, 2, 3)`` repeats it twice along axis 0 and 3 times along axis 1 (PyTorch's
    ``repeat``; more repeats than axes add leading axes)."""
    x = tensor_arg(x, "repeat")
    repeats = normalize_shape(repeats, "repeat")
    if len(repeats) < x.ndim:
        raise RuntimeError(
            f"Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor: "
            f"got {len(repeats)} repeats for a tensor of shape {x.shape}"
        )
    return Repeat.apply(x, repeats)


def repeat_interleave(x: Any, repeats: Any, dim: int | None = None) -> Any:
    """Repeat each element ``repeats`` times along ``dim`` (of the flattened tensor if None):
    ``[1, 2] -> [1, 1, 2, 2]``. ``repeats`` is an int or one count per element along ``dim``."""
    x = tensor_arg(x, "repeat_interleave")
    if dim is None:
        x, axis = reshape(x, -1), 0
    else:
        axis = normalize_dim(dim, x.ndim, "repeat_interleave(): argument 'dim'")
    n = x.shape[axis] if x.ndim else 1
    counts = repeats.data if isinstance(repeats, minigrad.Tensor) else repeats
    if isinstance(counts, bool) or not isinstance(counts, int | np.integer):
        counts = np.asarray(counts)
        if counts.dtype.kind not in "iu" or counts.ndim > 1 or counts.size not in (1, n):
            raise RuntimeError(
                f"repeat_interleave: repeats must be an int or one int per element along dim ({n}), got {repeats!r}"
            )
    if np.any(np.asarray(counts) < 0):
        raise RuntimeError("repeat_interleave: Repeats must be non-negative")
    index = np.repeat(np.arange(n), counts)  # [0, 0, 1, 1, ...]: which input slice each output slice is
    return Take.apply(x if x.ndim else reshape(x, 1), index, axis)
