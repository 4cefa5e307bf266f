"""Matrix products."""

from __future__ import annotations

from typing import Any

import numpy as np

from minigrad.autograd import Function
from minigrad.autograd.function import ProductGrad

__all__ = [
    "MatMul",
    "matmul",
]


class MatMul(Function):
    """a @ b with NumPy's rules: 1-D operands are promoted to a row (a) or a column (b), leading
    (batch) axes broadcast. The engine sums the gradients over broadcast batch axes."""

    @staticmethod
    def forward(ctx, a, b):
        if type(a) is not np.ndarray or type(b) is not np.ndarray or a.dtype is not b.dtype:
            a, b = _check_operands(a, b)
        ctx.save_for_backward(a, b)
        if a.ndim > 2 and b.ndim == 2 and a.shape[-1] == b.shape[0]:
            # a stack of rows times one matrix (x<t> for every t times W): one product, not one per row block
            return (a.reshape(-1, a.shape[-1]) @ b).reshape(*a.shape[:-1], b.shape[1])  # (..., k) -> (..., n)
        try:
            return a @ b
        except ValueError:
            raise RuntimeError(_mismatch(np.shape(a), np.shape(b))) from None

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        if a.ndim > 2 and b.ndim == 2:  # the weight's gradient summed over all rows in one product
            g2 = g.reshape(-1, g.shape[-1])  # (..., n) -> (N, n)
            da = (g2 @ b.T).reshape(a.shape) if ctx.needs_input_grad[0] else None
            db = a.reshape(-1, a.shape[-1]).T @ g2 if ctx.needs_input_grad[1] else None  # (k, N) @ (N, n)
            return da, db
        # Work with the 2-D-or-more forms: a (..., m, k), b (..., k, n), g (..., m, n).
        a2 = a[None, :] if a.ndim == 1 else a  # (k,) -> (1, k)
        b2 = b[:, None] if b.ndim == 1 else b  # (k,) -> (k, 1)
        if b.ndim == 1:
            g = np.expand_dims(g, -1)  # (..., m) -> (..., m, 1)
        if a.ndim == 1:
            g = np.expand_dims(g, -2)  # (..., n) -> (..., 1, n)
        da = db = None
        if ctx.needs_input_grad[0]:
            da = g @ np.swapaxes(b2, -1, -2)  # d(AB)/dA: G Bᵀ, (..., m, k)
            if a.ndim == 1:
                da = da[..., 0, :]  # (..., 1, k) -> (..., k)
        if ctx.needs_input_grad[1] and a.ndim == 2 and b.ndim == 2:
            # d(AB)/dB: Aᵀ G, computed by the engine: a weight used at every step gets all its
            # products summed as one (see ProductGrad)
            db = ProductGrad(a, g)
        elif ctx.needs_input_grad[1]:
            db = np.swapaxes(a2, -1, -2) @ g  # d(AB)/dB: Aᵀ G, (..., k, n)
            if b.ndim == 1:
                db = db[..., 0]  # (..., k, 1) -> (..., k)
        return da, db


def _mismatch(sa: tuple, sb: tuple) -> str:
    """PyTorch's words for operands that cannot be multiplied, with both shapes."""
    if len(sa) == 0 or len(sb) == 0:
        return f"both arguments to matmul need to be at least 1D, but they are {len(sa)}D and {len(sb)}D"
    rows = sa[:-1] or (1,)  # a vector on the left is a row
    cols = sb[-1:] if len(sb) > 1 else (1,)  # a vector on the right is a column
    ka, kb = sa[-1], sb[0] if len(sb) == 1 else sb[-2]
    if ka != kb:
        left = "x".join(map(str, (*rows[-1:], ka)))
        right = "x".join(map(str, (kb, *cols)))
        return (
            f"mat1 and mat2 shapes cannot be multiplied ({left} and {right}): matmul of shapes {sa} and {sb} needs "
            f"the last dim of the first ({ka}) to equal the {'only' if len(sb) == 1 else 'second-to-last'} dim of "
            f"the second ({kb})"
        )
    return f"matmul: the batch dimensions of shapes {sa} and {sb} do not broadcast"


def _check_operands(a: Any, b: Any) -> tuple:
    """Both operands arrays (of tensors) of one dtype, as PyTorch's matmul requires.

    Unlike the elementwise ops, matmul does not promote: a float64 input to float32 weights is almost
    always a mistake (data that was never converted), and PyTorch refuses it too.
    """
    for position, v in ((1, a), (2, b)):
        if not isinstance(v, np.ndarray):
            raise TypeError(
                f"matmul(): argument '{('input', 'other')[position - 1]}' (position {position}) must be "
                f"Tensor, not {type(v).__name__}"
            )
    if a.dtype != b.dtype:
        raise RuntimeError(
            f"expected both operands of matmul to have the same dtype, but got {a.dtype} and {b.dtype} "
            f"(shapes {a.shape} and {b.shape}): convert one, e.g. x.to(weight.dtype)"
        )
    return a, b


def matmul(a: Any, b: Any) -> Any:
    """``a @ b`` (1-D, 2-D and batched, broadcasting as NumPy and PyTorch)."""
    return MatMul.apply(a, b)
