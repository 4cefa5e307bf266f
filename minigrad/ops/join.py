"""Ops that join tensors or cut one into pieces: cat, stack, split, chunk, unbind, pad.

The cutting ops have several outputs and one backward that puts all the pieces' gradients back
together in one allocation (an output that got no gradient counts as zeros), so cutting a long
sequence into its time steps stays linear in its length.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

import minigrad  # minigrad.Tensor, read when a function runs (tensor.py imports this module)
from minigrad.autograd import Function
from minigrad.ops.arithmetic import _RANK
from minigrad.ops.dims import as_int, normalize_dim, normalize_shape, number_arg, tensor_arg

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
        before = (slice(None),) * axis  # the axes before ``axis``, whole
        pieces, start = [], 0
        for size in sizes:  # (slices: views, as np.split makes, without its cost per call)
            pieces.append(x[(*before, slice(start, start + size))])
            start += size
        return tuple(pieces)

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


def _arrays(tensors: Any, what: str) -> list:
    """The arrays of a non-empty sequence of tensors (or arrays) to join."""
    if isinstance(tensors, minigrad.Tensor | np.ndarray) or not isinstance(tensors, Sequence):
        raise TypeError(
            f"{what}(): argument 'tensors' must be a list or tuple of tensors, not {type(tensors).__name__}"
        )
    if len(tensors) == 0:
        if what == "cat":  # (PyTorch's types: ValueError here, RuntimeError for stack)
            raise ValueError("cat(): expected a non-empty list of Tensors")
        raise RuntimeError(f"{what} expects a non-empty TensorList")
    return [t.data if isinstance(t, minigrad.Tensor) else np.asarray(t) for t in tensors]


def _common_dtype(tensors: list, arrays: list) -> list:
    """The tensors, converted to PyTorch's common dtype where they differ (float32 with int64 is float32)."""
    dtypes = {a.dtype for a in arrays}
    if len(dtypes) == 1:
        return tensors
    rank = max(_RANK[d.kind] for d in dtypes)
    dtype = np.result_type(*[d for d in dtypes if _RANK[d.kind] == rank])  # the highest kind decides
    return [t.to(dtype) if isinstance(t, minigrad.Tensor) else np.asarray(t, dtype=dtype) for t in tensors]


def cat(tensors: Sequence, axis: int = 0, *, dim: int | None = None) -> Any:
    """Join tensors along an existing axis (``concatenate`` is the same function)."""
    arrays = _arrays(tensors, "cat")
    ndims = [a.ndim for a in arrays]
    if len(set(ndims)) != 1 or ndims[0] == 0:
        other = next((n for n in ndims if n != ndims[0]), ndims[0])
        raise RuntimeError(
            f"Tensors must have same number of dimensions: got {ndims[0]} and {other} "
            f"(shapes {[a.shape for a in arrays]}); zero-dimensional tensors cannot be concatenated"
        )
    axis = normalize_dim(axis if dim is None else dim, ndims[0], "cat(): argument 'dim'")
    first = arrays[0].shape
    for k, a in enumerate(arrays):
        for d, (n, m) in enumerate(zip(first, a.shape)):
            if d != axis and n != m:
                raise RuntimeError(
                    f"Sizes of tensors must match except in dimension {axis}. Expected size {n} but got size {m} "
                    f"for tensor number {k} in the list (shapes {[a.shape for a in arrays]})."
                )
    return Cat.apply(*_common_dtype(list(tensors), arrays), axis=axis)


concatenate = cat


def stack(tensors: Sequence, axis: int = 0, *, dim: int | None = None) -> Any:
    """Join tensors of one shape along a new axis."""
    arrays = _arrays(tensors, "stack")
    for k, a in enumerate(arrays):
        if a.shape != arrays[0].shape:
            raise RuntimeError(
                f"stack expects each tensor to be equal size, but got {list(arrays[0].shape)} at entry 0 and "
                f"{list(a.shape)} at entry {k}"
            )
    axis = normalize_dim(axis if dim is None else dim, arrays[0].ndim + 1, "stack(): argument 'dim'")
    return Stack.apply(*_common_dtype(list(tensors), arrays), axis=axis)


def split(x: Any, split_size_or_sections: int | Sequence[int], dim: int = 0) -> tuple:
    """Cut into pieces of ``split_size`` along ``dim`` (the last may be smaller), or of the listed sizes.

    PyTorch's meaning: an int is the size of each piece (NumPy's ``np.split`` takes the number of
    pieces; that is ``chunk`` here).
    """
    x = tensor_arg(x, "split")
    if x.ndim == 0:
        raise RuntimeError("split expects at least a 1-dimensional tensor")
    axis = normalize_dim(dim, x.ndim, "split(): argument 'dim'")
    n = x.shape[axis] if x.ndim else 1
    if isinstance(split_size_or_sections, tuple | list):
        sizes = list(normalize_shape((split_size_or_sections,), "split_with_sizes"))
        if sum(sizes) != n:
            raise RuntimeError(
                f"split_with_sizes expects split_sizes to sum exactly to {n} (input tensor's size at dimension "
                f"{axis}), but got split_sizes={sizes}"
            )
    else:
        size = as_int(split_size_or_sections, "split(): argument 'split_size'")
        if size < 0:
            raise RuntimeError(f"split expects split_size be non-negative, but got split_size={size}")
        if size == 0 and n != 0:
            raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got dimension size of {n}")
        sizes = [size] * (n // size) + ([n % size] if n % size else []) if size else [0]
    return Split.apply(x, tuple(sizes), axis)


def chunk(x: Any, chunks: int, dim: int = 0) -> tuple:
    """Cut into ``chunks`` pieces of (nearly) equal size along ``dim`` (PyTorch's rule: size ⌈n/chunks⌉)."""
    x = tensor_arg(x, "chunk")
    if x.ndim == 0:
        raise RuntimeError("chunk expects at least a 1-dimensional tensor")
    count = as_int(chunks, "chunk(): argument 'chunks'")
    if count <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {count}")
    axis = normalize_dim(dim, x.ndim, "chunk(): argument 'dim'")
    size = -(-x.shape[axis] // count)
    return split(x, max(size, 1), dim=axis)


def unbind(x: Any, dim: int = 0) -> tuple:
    """The slices along ``dim``, each without that axis: ``h_1, h_2, ... = unbind(h, 0)``."""
    x = tensor_arg(x, "unbind")
    if x.ndim == 0:
        raise IndexError("Dimension specified as 0 but tensor has no dimensions: unbind needs a tensor with dims")
    axis = normalize_dim(dim, x.ndim, "unbind(): argument 'dim'")
    return Unbind.apply(x, axis)


def pad(x: Any, pad_width: Any, value: float = 0.0) -> Any:
    """Pad with a constant. ``pad_width`` as NumPy's: an int, one ``(before, after)`` pair, or one per axis."""
    x = tensor_arg(x, "pad")
    value = number_arg(value, "pad", "value")
    given = np.asarray(pad_width)
    if given.dtype.kind not in "iu":
        raise TypeError(
            f"pad(): pad_width must be ints (NumPy's layout: an int, (before, after), or one pair per axis), "
            f"got {pad_width!r}"
        )
    try:
        widths = np.broadcast_to(given, (x.ndim, 2))
    except ValueError:
        raise RuntimeError(
            f"pad(): pad_width {pad_width!r} does not fit a tensor of {x.ndim} dims: give an int, one (before, after) "
            f"pair, or {x.ndim} pairs"
        ) from None
    if (widths < 0).any():
        raise ValueError(f"pad widths must be non-negative, got {pad_width}")
    return Pad.apply(x, tuple(map(tuple, widths.tolist())), value)
