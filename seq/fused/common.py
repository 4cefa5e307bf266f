"""What the fused kernels share: shape checks, the length masks, the state buffers, the input projection, the gate
activations, and backward's walk over the steps in blocks with the weight gradients of each chunk of steps.

Speed notes (each trick is measured by ``benchmarks/rnn_bptt.py``; figures from a 2-core x86 machine, one BLAS
thread, at the benchmark's sizes) sit in comments beside the code that uses the trick.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import numpy as np

# --------------------------------------------------------------------------------------------------
# Checks and masks
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

    def end_step(self, t: int, out: np.ndarray, prev: np.ndarray, new: np.ndarray) -> None:
        """After step t computed its result in ``out`` (B, H): the new state ``new`` is that result where the
        sequence runs and the old state ``prev`` where it has ended, and the output is zero where it has ended."""
        new[...] = out
        if self.partial[t]:
            np.copyto(new, prev, where=self.inactive[t])  # finished sequences keep their state
            np.copyto(out, 0, where=self.inactive[t])  # ... and output zeros


def _masks(lengths: Any, T: int) -> _Masks | None:
    """The masks of ``lengths``, or None when every sequence runs all T steps (nothing to mask)."""
    if lengths is None:
        return None
    masks = _Masks(lengths, T)
    return masks if any(masks.partial) else None


def _per_argument(ctx: Any, grads: tuple) -> tuple:
    """The gradients backward returns, one per argument forward was given (the options after the biases,
    ``lengths``, ``reverse``, ..., may be left to their defaults, and get no gradient)."""
    return grads[: len(ctx.needs_input_grad)]


# --------------------------------------------------------------------------------------------------
# Forward: steps, state buffers, weights, the input projection, activations
# --------------------------------------------------------------------------------------------------


def _steps(T: int, reverse: bool) -> range:
    """The time steps in the order forward runs them."""
    return range(T - 1, -1, -1) if reverse else range(T)


def _step_product(B: int) -> Any:
    """The function for the per-step products (``h @ W_hhᵀ`` forward, ``dgates @ W_hh`` backward).

    Speed note: the method ``ndarray.dot`` costs less per call for one row (B = 1, where the call's cost is what
    counts: it skips the dispatch of ``np.dot`` and the broadcasting set-up of ``np.matmul``); ``np.matmul`` is
    faster on larger operands.
    """
    return np.ndarray.dot if B == 1 else np.matmul


def _state_buffer(s0: Any, T: int, B: int, H: int, dtype: np.dtype, reverse: bool) -> tuple:
    """Every state of a layer in one (T+1, B, H) buffer: ``(states, new, prev)``.

    Step t reads the state before it, ``prev[t]`` (h<t-1>), and writes its own, ``new[t]`` (h<t>): two (T, B, H)
    views of the buffer, one row apart, so a state is written once and never copied to another array (with
    padding, a step's result is copied into its row: see ``_Masks.end_step``). ``s0`` (zeros if None) is the row
    before the first step: row 0, or row T with ``reverse`` (the steps run T-1..0).
    """
    states = np.empty((T + 1, B, H), dtype)  # (T+1, B, H)
    new, prev, first = (states[:T], states[1:], T) if reverse else (states[1:], states[:T], 0)  # (T, B, H) each
    states[first] = 0 if s0 is None else s0
    return states, new, prev


def _final_state(states: np.ndarray, reverse: bool) -> np.ndarray:
    """The state after the last step (row T, or row 0 with ``reverse``), as an array of its own (B, H)."""
    return states[0 if reverse else -1].copy()


def _transposed(w: np.ndarray, scale: Any = None) -> np.ndarray:
    """``Wᵀ`` (in, out) as a C-contiguous copy, each column multiplied by ``scale`` if given.

    Speed note: BLAS computes ``h @ Wᵀ`` 10-35% faster from a contiguous copy of Wᵀ than from the transposed view
    ``W.T`` at the benchmark's sizes (per step, the largest cost of forward); the copy is made once per call, 64 rows
    of W at a time: NumPy copies a whole transposed matrix reading it a row apart per element, 9x slower at 2048 x 512.
    """
    out = np.empty(w.shape[::-1], w.dtype)  # (in, out)
    for start in range(0, w.shape[0], 64):
        out[:, start : start + 64] = w[start : start + 64].T  # (in, 64): a block that fits in the L1 cache
    if scale is not None:
        out *= scale  # column k times scale[k]
    return out


def _with_ones(x: np.ndarray, masks: _Masks | None) -> np.ndarray:
    """``[x<t>, 1]`` for every step: a (T, B, D+1) copy of x with a column of ones (zeros in the padding).

    With it one GEMM gives ``W_ih x<t> + b`` (the bias rides along as a column of the weights) and, in backward, one
    GEMM gives ``dW_ih`` and ``db`` together. Speed note: the copy of x costs less than a pass over the (T, B, G*H)
    gates to add the bias, and another to sum ``db``.
    """
    T, B, D = x.shape
    x1 = np.empty((T, B, D + 1), x.dtype)  # (T, B, D+1)
    x1[..., D] = 1
    if masks is None:
        x1[..., :D] = x
    else:
        np.copyto(x1[..., :D], np.where(masks.active, x, np.zeros((), x.dtype)))  # the padding never enters
    return x1


def _input_projection(x1: np.ndarray, w_ih: np.ndarray, bias: Any, scale: Any = None) -> np.ndarray:
    """``scale ⊙ (W_ih x<t> + bias)`` for every step at once, as ONE GEMM ``[x<t>, 1] @ [W_ih, bias]ᵀ``: (T, B, G*H).

    ``bias`` may be None (no bias: its column is zero). ``scale`` (G*H,) multiplies each gate's row: the σ gates are
    computed as σ(z) = (1 + tanh(z/2)) / 2 and their halving is done here, once, on the weights (see ``_gate_affine``).
    """
    T, B, D1 = x1.shape
    w = np.empty((w_ih.shape[0], D1), w_ih.dtype)  # (G*H, D+1): [W_ih, bias]
    w[:, : D1 - 1] = w_ih
    w[:, D1 - 1] = 0 if bias is None else bias
    gates = x1.reshape(T * B, D1) @ _transposed(w, scale)  # (T*B, D+1) @ (D+1, G*H)
    return gates.reshape(T, B, w_ih.shape[0])  # (T, B, G*H)


def _gate_affine(kinds: str, H: int, B: int, dtype: np.dtype) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The scale of each gate row, (G*H,), and the (scale, shift) that activate the gates, (B, G*H) each.

    ``kinds`` names each block of H columns: ``s`` for a σ block (scale 1/2, shift 1/2), ``t`` for a tanh block
    (1, 0). σ(z) = (1 + tanh(z/2)) / 2: with the pre-activation already multiplied by ``scale`` (folded into the
    weights), ``tanh(·) * scale + shift`` is σ(z) on a σ block and tanh(z) on a tanh block. So every gate of a step,
    σ and tanh alike, is activated in three in-place passes over the row with no temporary: tanh, multiply, add.

    Speed note: the (B, G*H) copies are there because NumPy multiplies by a row broadcast over B rows at 2.5x the
    cost of an elementwise product with a full array (measured at B=32, G*H=2048).
    """
    scale, shift = np.ones(len(kinds) * H, dtype), np.zeros(len(kinds) * H, dtype)  # (G*H,) each
    for k, kind in enumerate(kinds):
        if kind == "s":
            scale[k * H : (k + 1) * H] = shift[k * H : (k + 1) * H] = 0.5
    rows = (B, len(kinds) * H)
    return scale, np.broadcast_to(scale, rows).copy(), np.broadcast_to(shift, rows).copy()  # (B, G*H) copies


# --------------------------------------------------------------------------------------------------
# Backward: blocks and chunks of steps, activation derivatives, weight gradients
# --------------------------------------------------------------------------------------------------

# Backward computes what does not depend on the incoming gradient (the activations' derivatives times the factors
# that multiply them) for a *block* of steps at once, then walks the block's steps. A block's rows, about
# BLOCK_BYTES, stay in the L2 cache from one to the other. Speed note: done for all steps at once the same passes
# read the whole (T, B, G*H) array from memory twice (18% of an LSTM's time at T=50, B=32, H=128); done step by step
# they cost a ufunc call each per step (what counts when a step is small, B=1).
BLOCK_BYTES = 1 << 19

# The weight gradients are GEMMs over the rows (step, sequence) of a *chunk* of steps: ``dW += Σ_rows dgates ⊗ input``.
# Only a chunk's dgates are kept, not all T steps': about CHUNK_BYTES, and at least CHUNK_ROWS rows so that the GEMMs
# run at full speed and adding a chunk's share into dW costs a few % of them. Speed note: a smaller buffer is
# reused from cache and memory the allocator already holds; a (T, B, G*H) array is fresh memory every call (page
# faults: 1.4 µs per 4 KiB page here), and a 100,000-step sequence needs none.
CHUNK_BYTES = 1 << 20
CHUNK_ROWS = 512


def _chunks(T: int, B: int, row_bytes: int, reverse: bool) -> list[tuple[int, int]]:
    """The steps in chunks (``row_bytes`` of dgates per step), in the order backward walks them:
    ``[(start, stop), ...]``, last chunk first (first chunk first with ``reverse``)."""
    size = max(1, min(T, max(math.ceil(CHUNK_ROWS / max(B, 1)), CHUNK_BYTES // max(row_bytes, 1))))
    chunks = [(start, min(T, start + size)) for start in range(0, T, size)]
    return chunks if reverse else chunks[::-1]


def _block_steps(T: int, row_bytes: int) -> int:
    """How many steps a block holds: about BLOCK_BYTES of gate rows, ``row_bytes`` per step; at least 1, at most T."""
    return max(1, min(T, BLOCK_BYTES // max(row_bytes, 1)))


def _blocks(start: int, stop: int, row_bytes: int, reverse: bool) -> Iterator[tuple[int, int, range]]:
    """The blocks of the steps start..stop-1 (``_block_steps`` steps each), in the order backward walks them:
    ``(block_start, block_stop, steps)``, ``steps`` the block's t in backward's order."""
    size = _block_steps(stop - start, row_bytes)
    if reverse:  # forward ran t = T-1..0, so backward walks t = 0..T-1
        for lo in range(start, stop, size):
            hi = min(stop, lo + size)
            yield lo, hi, range(lo, hi)
    else:
        for hi in range(stop, start, -size):
            lo = max(start, hi - size)
            yield lo, hi, range(hi - 1, lo - 1, -1)


def _sigma_derivatives(acts: np.ndarray, out: np.ndarray, tanh_block: slice) -> None:
    """d act / d pre into ``out``, from the activations ``acts`` of a block of steps (T', B, G*H).

    σ' = σ (1 - σ) on every column, then tanh' = 1 - tanh² on the tanh block (n of the GRU, g of the LSTM, c̃ of the
    minimal GRU). In place: no temporary.
    """
    np.subtract(1, acts, out=out)
    out *= acts  # σ (1 - σ)
    tanh_part = out[..., tanh_block]
    np.multiply(acts[..., tanh_block], acts[..., tanh_block], out=tanh_part)
    np.subtract(1, tanh_part, out=tanh_part)  # 1 - tanh²


def _add_product(total: Any, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``total + aᵀ b``, a new array when ``total`` is None: one chunk's share of a sum over steps, ``Σ a<t> b<t>ᵀ``."""
    if total is None:
        return a.T @ b
    total += a.T @ b
    return total


def _column_sums(total: Any, d: np.ndarray) -> np.ndarray:
    """``total + Σ_rows d`` (a new array when ``total`` is None): one chunk's share of a bias gradient.

    Speed note: a product with a vector of ones (BLAS's gemv) takes half the time of NumPy's sum over axis 0.
    """
    sums = np.ones(d.shape[0], d.dtype) @ d  # (rows,) @ (rows, G*H)
    return sums if total is None else total + sums


class _WeightGrads:
    """The gradients that are sums over all steps, built chunk by chunk: dx, dW_ih, db, dW_hh.

    For the dgates (rows (t, b)) of a chunk of steps, with ``inputs`` the rows of x<t> (or [x<t>, 1], whose last
    column then gives db) and ``states`` the rows of h<t-1>::

        dx<t> = W_ihᵀ dgates<t>;   [dW_ih, db] += Σ dgates<t> [x<t>, 1]ᵀ;   dW_hh += Σ dgates<t> h<t-1>ᵀ

    Only what ``needs`` (dx, dW_ih, db, dW_hh) asks for is computed. ``bias_column``: ``inputs`` end with the ones
    column (else db is the column sums of dgates). ``one_gemm``: the chunk's inputs and states are copied side by side,
    ``[x<t>, 1, h<t-1>]``, so that dW_ih, db and dW_hh come out of one GEMM. Speed note: BLAS runs one GEMM with
    D+1+H columns faster than two with D+1 and H (by 15% at D=64, H=128), more than the copy costs, when there are
    several gates; with one gate (the RNN) the two come out even.
    """

    def __init__(self, dx_shape: tuple, w_ih: np.ndarray, needs: tuple, bias_column: bool, one_gemm: bool) -> None:
        self.need_x, self.need_w_ih, self.need_b, self.need_w_hh = needs
        self.need_in = self.need_w_ih or (self.need_b and bias_column)  # the GEMM with the inputs
        self.bias_column = bias_column
        self.one_gemm = one_gemm and self.need_in and self.need_w_hh
        self.w_ih = w_ih
        self.dx = np.empty(dx_shape, w_ih.dtype) if self.need_x else None  # (T, B, D)
        self.dw = None  # (G*H, D[+1] + H): [dW_ih, db, dW_hh] summed over the chunks so far (those needed)
        self.db = None  # (G*H,): without the ones column
        self.side_by_side = None  # (rows, D[+1] + H): a chunk's [x<t>, 1, h<t-1>] rows, with one_gemm

    def add_chunk(self, start: int, stop: int, dgates: np.ndarray, inputs: np.ndarray, states: Any = None) -> None:
        """Add the share of steps start..stop-1: their dgates (stop-start, B, G*H), inputs and states."""
        n, B, G_H = dgates.shape
        d = dgates.reshape(n * B, G_H)  # (rows, G*H)
        if self.need_x:
            dx = self.dx[start:stop].reshape(n * B, self.w_ih.shape[1])  # (rows, D): a view
            np.matmul(d, self.w_ih, out=dx)  # (rows, G*H) @ (G*H, D)
        if self.need_b and not self.bias_column:
            self.db = _column_sums(self.db, d)
        sides = []  # the right-hand sides of the weight GEMM: (rows, D[+1]) and/or (rows, H)
        if self.need_in:
            sides.append(inputs.reshape(n * B, inputs.shape[2]))
        if self.need_w_hh:
            sides.append(states.reshape(n * B, states.shape[2]))
        if self.one_gemm:
            if self.side_by_side is None or len(self.side_by_side) < n * B:  # (chunks differ in size)
                self.side_by_side = np.empty((n * B, sides[0].shape[1] + sides[1].shape[1]), d.dtype)
            rows = self.side_by_side[: n * B]  # (rows, D[+1] + H): [x<t>, 1, h<t-1>]
            rows[:, : sides[0].shape[1]] = sides[0]
            rows[:, sides[0].shape[1] :] = sides[1]
            sides = [rows]
        if len(sides) == 1:
            self.dw = _add_product(self.dw, d, sides[0])  # (G*H, rows) @ (rows, columns)
        elif sides:
            self._add_columns(d, sides)

    def _add_columns(self, d: np.ndarray, sides: list) -> None:
        """Two GEMMs, written side by side in ``dw``."""
        width = sides[0].shape[1]
        if self.dw is None:
            self.dw = np.empty((d.shape[1], width + sides[1].shape[1]), d.dtype)  # (G*H, D[+1] + H)
            np.matmul(d.T, sides[0], out=self.dw[:, :width])
            np.matmul(d.T, sides[1], out=self.dw[:, width:])
        else:
            self.dw[:, :width] += d.T @ sides[0]
            self.dw[:, width:] += d.T @ sides[1]

    def result(self) -> tuple:
        """(dx, dW_ih, db, dW_hh), None for what was not asked for."""
        dw, db = self.dw, self.db
        columns = (self.w_ih.shape[1] + (1 if self.bias_column else 0)) if self.need_in else 0  # D[+1] or 0
        dw_ih = dw[:, : self.w_ih.shape[1]] if self.need_w_ih else None
        if self.need_b and self.bias_column:
            db = dw[:, self.w_ih.shape[1]]
        dw_hh = dw[:, columns:] if self.need_w_hh else None
        return self.dx, dw_ih, db if self.need_b else None, dw_hh
