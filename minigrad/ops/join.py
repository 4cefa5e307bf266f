"""Ops that join tensors or cut one into pieces: cat, stack, split, chunk, unbind, pad.

The cutting ops have several outputs and one backward that puts all the pieces' gradients back
together in one allocation (an output that got no gradient counts as zeros), so cutting a long
sequence into its time steps stays linear in its length.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from minigrad.autograd import Function
from minigrad.ops.reduce import normalize_axis

__all__ = [
    "Cat",
    "Pad",
    "Split",
    "Stack",
    "Unbind",
    "cat",
    "chunk",
    "concatenate",
    "pad",
    "split",
    "stack",
    "unbind",
]


class Cat(Function):
    """the inputs joined along an existing axis"""

    @staticmethod
    def forward(ctx, *xs, axis):
        ctx.axis = axis
        ctx.bounds = np.cumsum([x.shape[axis] for x in xs])[:-1]
        return np.concatenate(xs, axis=axis)

    @staticmethod
    def backward(ctx, g):
        return tuple(np.split(g, ctx.bounds, axis=ctx.axis))  # each input gets its own slice back


class Stack(Function):
    """the inputs (all of one shape) joined along a new axis"""

    @staticmethod
    def forward(ctx, *xs, axis):
        ctx.axis = axis
        return np.stack(xs, axis=axis)

    @staticmethod
    def backward(ctx, g):
        return tuple(np.moveaxis(g, ctx.axis, 0))  # input i gets slice i along the new axis (a view)


class Split(Function):
    """x cut along an axis into consecutive pieces of the given sizes (several outputs)"""

    view_of_input = 0

    @staticmethod
    def forward(ctx, x, sizes, axis):
        ctx.axis = axis
        return tuple(np.split(x, np.cumsum(sizes)[:-1], axis=axis))

    @staticmethod
    def backward(ctx, *grads):
        return np.concatenate(grads, axis=ctx.axis), None, None  # the pieces' gradients joined again


class Unbind(Function):
    """x cut into its slices along an axis, the axis removed (several outputs)"""

    view_of_input = 0

    @staticmethod
    def forward(ctx, x, axis):
        ctx.axis = axis
        index = (slice(None),) * axis
        return tuple(x[(*index, i)] for i in range(x.shape[axis]))

    @staticmethod
    def backward(ctx, *grads):
        return np.stack(grads, axis=ctx.axis), None  # the slices' gradients stacked again


class Pad(Function):
    """x surrounded by a constant: ``pad_width[i] = (before, after)`` for axis i (NumPy's layout)"""

    @staticmethod
    def forward(ctx, x, pad_width, value):
        ctx.inner = tuple(slice(b, b + n) for (b, _), n in zip(pad_width, x.shape))
        return np.pad(x, pad_width, mode="constant", constant_values=value)

    @staticmethod
    def backward(ctx, g):
        return g[ctx.inner], None, None  # the padding is constant: only the inner part has a gradient


# ------------------------------------------------------------------------------------------------
# The functions users call
# ------------------------------------------------------------------------------------------------


def _check_same_ndim(xs: Sequence, what: str) -> None:
    if len(xs) == 0:
        raise ValueError(f"{what} expects a non-empty sequence of tensors")
    shapes = [np.shape(getattr(x, "data", x)) for x in xs]
    if len({len(s) for s in shapes}) != 1:
        raise ValueError(f"{what}: all tensors need the same number of dimensions, got shapes {shapes}")


def cat(tensors: Sequence, axis: int = 0, *, dim: int | None = None) -> Any:
    """Join tensors along an existing axis (``concatenate`` is the same function)."""
    tensors = list(tensors)
    _check_same_ndim(tensors, "cat")
    ndim = np.ndim(getattr(tensors[0], "data", tensors[0]))
    (axis,) = normalize_axis(axis if dim is None else dim, ndim)
    shapes = [np.shape(getattr(x, "data", x)) for x in tensors]
    for s in shapes:
        if s[:axis] + s[axis + 1 :] != shapes[0][:axis] + shapes[0][axis + 1 :]:
            raise ValueError(f"cat: shapes {shapes} differ outside the joining axis {axis}")
    return Cat.apply(*tensors, axis=axis)


concatenate = cat


def stack(tensors: Sequence, axis: int = 0, *, dim: int | None = None) -> Any:
    """Join tensors of one shape along a new axis."""
    tensors = list(tensors)
    _check_same_ndim(tensors, "stack")
    shapes = [np.shape(getattr(x, "data", x)) for x in tensors]
    if len(set(shapes)) != 1:
        raise ValueError(f"stack expects each tensor to be equal size, but got shapes {shapes}")
    (axis,) = normalize_axis(axis if dim is None else dim, len(shapes[0]) + 1)
    return Stack.apply(*tensors, axis=axis)


def split(x: Any, split_size_or_sections: int | Sequence[int], dim: int = 0) -> tuple:
    """Cut into pieces of ``split_size`` along ``dim`` (the last may be smaller), or of the listed sizes.

    PyTorch's meaning: an int is the size of each piece (NumPy's ``np.split`` takes the number of
    pieces; that is ``chunk`` here).
    """
    (axis,) = normalize_axis(dim, x.ndim)
    n = x.shape[axis]
    if isinstance(split_size_or_sections, int | np.integer):
        size = int(split_size_or_sections)
        if size <= 0:
            raise ValueError(f"split size must be positive, got {size}")
        sizes = [size] * (n // size) + ([n % size] if n % size else [])
    else:
        sizes = [int(s) for s in split_size_or_sections]
        if sum(sizes) != n:
            raise ValueError(f"split sizes {sizes} add up to {sum(sizes)}, but axis {axis} has length {n}")
    return Split.apply(x, tuple(sizes), axis)


def chunk(x: Any, chunks: int, dim: int = 0) -> tuple:
    """Cut into ``chunks`` pieces of (nearly) equal size along ``dim`` (PyTorch's rule: size ⌈n/chunks⌉)."""
    (axis,) = normalize_axis(dim, x.ndim)
    size = -(-x.shape[axis] // chunks)
    return split(x, max(size, 1), dim=axis)


def unbind(x: Any, dim: int = 0) -> tuple:
    """The slices along ``dim``, each without that axis: ``h_1, h_2, ... = unbind(h, 0)``."""
    (axis,) = normalize_axis(dim, x.ndim)
    return Unbind.apply(x, axis)


def pad(x: Any, pad_width: Any, value: float = 0.0) -> Any:
    """Pad with a constant. ``pad_width`` as NumPy's: an int, one ``(before, after)`` pair, or one per axis."""
    widths = np.broadcast_to(np.asarray(pad_width, dtype=int), (x.ndim, 2))
    if (widths < 0).any():
        raise ValueError(f"pad widths must be non-negative, got {pad_width}")
    return Pad.apply(x, tuple(map(tuple, widths.tolist())), value)
