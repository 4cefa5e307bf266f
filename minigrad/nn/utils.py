"""Gradient clipping, as ``torch.nn.utils``: call it after ``backward()`` and before the optimizer step."""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from minigrad.tensor import Tensor

__all__ = ["clip_grad_norm_", "clip_grad_value_"]


def _grads(parameters: Tensor | Iterable[Tensor]) -> list:
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    return [p.grad for p in params if p.grad is not None]


def _vector_norm(x: np.ndarray, norm_type: float) -> np.ndarray:
    """‖x‖_p of all elements: (Σ |x|^p)^(1/p), or max |x| for p = inf."""
    return np.asarray(np.linalg.norm(x.ravel(), ord=norm_type), dtype=x.dtype)  # (numel,) -> scalar


def clip_grad_norm_(
    parameters: Tensor | Iterable[Tensor],
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
) -> Tensor:
    """Scale all gradients together, in place, so that their joint norm is at most ``max_norm``.

    The total norm is the ``norm_type``-norm of the per-parameter norms (the norm of all gradients as one
    vector); with ``norm_type=inf`` it is the largest |g|. Every gradient is multiplied by
    min(1, max_norm / (total + 1e-6)), as PyTorch's (so a norm just under max_norm is scaled by a factor a
    hair below 1).

    Args:
        parameters: a tensor or an iterable of tensors (parameters without ``.grad`` are skipped).
        max_norm: the largest allowed norm.
        norm_type: p of the p-norm (``float('inf')`` for the max norm).
        error_if_nonfinite: raise if the total norm is NaN or infinite (otherwise the gradients become NaN).

    Returns:
        The total norm of the gradients before clipping, a 0-d tensor.
    """
    grads = _grads(parameters)
    max_norm, norm_type = float(max_norm), float(norm_type)
    if not grads:
        return Tensor(np.asarray(0.0, dtype=np.float32))
    norms = np.stack([_vector_norm(g, norm_type) for g in grads])  # (n_params,)
    total = _vector_norm(norms, norm_type)
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, so it "
            "cannot be clipped. To disable this error and scale the gradients by the non-finite norm "
            "anyway, set `error_if_nonfinite=False`"
        )
    coef = np.minimum(max_norm / (total + 1e-6), 1.0).astype(total.dtype)
    with np.errstate(invalid="ignore"):  # an infinite norm makes coef 0 and inf * 0 NaN, as PyTorch's
        for g in grads:
            g *= coef.astype(g.dtype)
    return Tensor(total)


def clip_grad_value_(parameters: Tensor | Iterable[Tensor], clip_value: float) -> None:
    """Clamp every gradient element into [-clip_value, clip_value], in place."""
    clip_value = float(clip_value)
    if math.isnan(clip_value):
        raise ValueError("clip_value must not be NaN")
    for g in _grads(parameters):
        np.clip(g, -clip_value, clip_value, out=g)
