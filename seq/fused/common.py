"""What the fused kernels share: shape checks, the length masks, the input projection, the gate activations
and the weight gradients over all steps."""

from __future__ import annotations

from typing import Any

import numpy as np

# --------------------------------------------------------------------------------------------------
# Shared helpers: checks, masks, the input projection, gate activations
# --------------------------------------------------------------------------------------------------


def _check_shapes(
    name: str,
    G: int,
    x: np.ndarray,
    h0: Any,
    w_ih: np.ndarray,
    w_hh: np.ndarray,
    b_ih: Any,
    b_hh: Any,
    lengths: Any,
    c0: Any = None,
) -> tuple[int, int, int, int]:
    """Cheap shape checks of one fused call; return (T, B, D, H). Raise ValueError naming what is wrong."""
    if x.ndim != 3:
        raise ValueError(f"{name}: x must be time-major (T, B, D); got shape {x.shape}")
    T, B, D = x.shape
    if T == 0:
        raise ValueError(f"{name}: Expected sequence length to be larger than 0 in RNN; got x of shape {x.shape}")
    if w_ih.ndim != 2 or w_ih.shape[1] != D or w_ih.shape[0] % G != 0 or w_ih.shape[0] == 0:
        raise ValueError(f"{name}: w_ih must have shape ({G}*H, D={D}) ({G} gates stacked); got {w_ih.shape}")
    H = w_ih.shape[0] // G
    if w_hh.shape != (G * H, H):
        raise ValueError(f"{name}: w_hh must have shape ({G * H}, {H}) to match w_ih {w_ih.shape}; got {w_hh.shape}")
    for label, state in (("h0", h0), ("c0", c0)):
        if state is not None and state.shape != (B, H):
            raise ValueError(f"{name}: {label} must have shape (B, H) = ({B}, {H}); got {state.shape}")
    if (b_ih is None) != (b_hh is None):
        raise ValueError(f"{name}: pass both biases b_ih and b_hh, or neither (bias=False)")
    for label, b in (("b_ih", b_ih), ("b_hh", b_hh)):
        if b is not None and b.shape != (G * H,):
            raise ValueError(f"{name}: {label} must have shape ({G * H},); got {b.shape}")
    for label, a in (("w_ih", w_ih), ("w_hh", w_hh), ("h0", h0), ("c0", c0), ("b_ih", b_ih), ("b_hh", b_hh)):
        if a is not None and a.dtype != x.dtype:
            raise ValueError(f"{name}: {label} has dtype {a.dtype} but x has {x.dtype}; convert them to one dtype")
    if lengths is not None and np.shape(lengths) != (B,):
        raise ValueError(f"{name}: lengths must have shape (B,) = ({B},); got {np.shape(lengths)}")
    return T, B, D, H


class _Masks:
    """The step masks of a padded batch: which sequences are still running at each step.

    ``active[t]`` (B, 1) bool is m<t> = (t < L_b); ``inactive[t]`` is its negation; ``partial[t]`` says whether
    step t has any padding (steps without padding skip the masking). The masks are only ever used to *select*
    (never multiplied in: 0 * inf is NaN).
    """

    def __init__(self, lengths: np.ndarray, T: int) -> None:
        self.active = np.arange(T)[:, None, None] < np.asarray(lengths)[None, :, None]  # (T, B, 1)
        self.inactive = ~self.active  # (T, B, 1)
        self.partial = self.inactive.any(axis=(1, 2)).tolist()  # (T,) Python bools

    def zero_padding(self, x: np.ndarray) -> np.ndarray:
        """A copy of x (T, B, D) with zeros past each length: what the padding held never enters the loop."""
        return np.where(self.active, x, np.zeros((), x.dtype))  # (T, B, D)


def _masks(lengths: Any, T: int) -> _Masks | None:
    """The masks of ``lengths``, or None when every sequence runs all T steps (nothing to mask)."""
    if lengths is None:
        return None
    masks = _Masks(lengths, T)
    return masks if any(masks.partial) else None


def _steps(T: int, reverse: bool) -> range:
    """The time steps in the order forward runs them."""
    return range(T - 1, -1, -1) if reverse else range(T)


def _input_projection(x: np.ndarray, w_ih: np.ndarray, bias: Any) -> np.ndarray:
    """W_ih x<t> + bias for every step at once, as one GEMM: a new (T, B, G*H) array, written in place later."""
    T, B, D = x.shape
    gates = x.reshape(T * B, D) @ w_ih.T  # (T*B, G*H)
    if bias is not None:
        gates += bias
    return gates.reshape(T, B, w_ih.shape[0])  # (T, B, G*H)


def _gate_affine(kinds: str, H: int, dtype: np.dtype) -> tuple[np.ndarray, np.ndarray]:
    """Per-column (scale, shift) so that ``tanh(x * scale) * scale + shift`` is σ or tanh on each gate block.

    ``kinds`` names each block of H columns: ``s`` for σ (scale 1/2, shift 1/2: σ(x) = (1 + tanh(x/2)) / 2),
    ``t`` for tanh (scale 1, shift 0).
    """
    scale = np.repeat([0.5 if k == "s" else 1.0 for k in kinds], H).astype(dtype)  # (len(kinds)*H,)
    shift = np.repeat([0.5 if k == "s" else 0.0 for k in kinds], H).astype(dtype)  # (len(kinds)*H,)
    return scale, shift


def _activate(pre: np.ndarray, scale: Any, shift: Any) -> None:
    """In place: σ or tanh on each column of ``pre`` (see ``_gate_affine``), in four passes."""
    np.multiply(pre, scale, out=pre)
    np.tanh(pre, out=pre)
    np.multiply(pre, scale, out=pre)
    np.add(pre, shift, out=pre)


def _activation_derivatives(acts: np.ndarray, tanh_block: slice) -> np.ndarray:
    """d act / d pre from the activations of all steps at once: a new array, the start of ``dgates``.

    σ' = σ (1 - σ) on every column, then tanh' = 1 - tanh² on the tanh block (n of the GRU, g of the LSTM).
    Computed in place: no temporary of the full size.
    """
    derivative = np.subtract(1, acts)  # (T, B, G*H)
    derivative *= acts  # σ (1 - σ)
    tanh_part = derivative[..., tanh_block]
    np.multiply(acts[..., tanh_block], acts[..., tanh_block], out=tanh_part)
    np.subtract(1, tanh_part, out=tanh_part)  # 1 - tanh²
    return derivative


def _per_argument(ctx: Any, grads: tuple) -> tuple:
    """The gradients backward returns, one per argument forward was given (the options after the biases,
    ``lengths``, ``reverse``, ..., may be left to their defaults, and get no gradient)."""
    return grads[: len(ctx.needs_input_grad)]


def _weight_and_input_grads(needs: tuple, dgates: np.ndarray, x: np.ndarray, w_ih: np.ndarray) -> tuple:
    """dx, dW_ih and db_ih (arguments 0, 2, 4) of the RNN, GRU and minimal GRU from the dgates of all steps."""
    T, B, D = x.shape
    dG = dgates.reshape(T * B, w_ih.shape[0])  # (T*B, G*H)
    dx = (dG @ w_ih).reshape(T, B, D) if needs[0] else None  # dx<t> = W_ihᵀ dgates<t>
    dw_ih = dG.T @ x.reshape(T * B, D) if needs[2] else None  # dW_ih = Σ_t dgates<t> x<t>ᵀ
    db_ih = dG.sum(axis=0) if needs[4] else None  # db_ih = Σ_t dgates<t>
    return dx, dw_ih, db_ih
