"""Fused recurrent kernels: one ``Function`` per layer and direction, with backpropagation through time by hand.

seq computes a recurrent layer in two ways that give the same numbers:

- **the readable path**: a cell (``h' = tanh(W_ih x + b_ih + W_hh h + b_hh)``...) written with minigrad ops and
  called once per time step. Autograd records every op of every step and derives backpropagation through time
  (BPTT) by itself. It is the path to read and to step through, and it is slow: a few dozen graph nodes per step.
- **the fused path** (this file): the whole sequence of one layer in one direction is ONE ``Function``, as
  PyTorch's native kernels (``_VF.lstm``, cuDNN) do. ``forward`` runs the time loop on NumPy arrays and keeps the
  activations it needs in preallocated ``(T, B, ...)`` arrays; ``backward`` is BPTT derived by hand, written in
  the course's notation. Per layer and direction it costs:

  * one GEMM for the input projection of all steps: ``x.reshape(T*B, D) @ W_ih.T``  # (T*B, G*H)
  * one GEMM per step for all gates of the recurrent part: ``h @ W_hh.T``  # (B, G*H)
  * in backward, one GEMM per step (``dgates @ W_hh``), then one GEMM each for ``dW_ih``, ``dW_hh`` and ``dx``
    over all steps at once, and a sum for each bias.

  Memory is linear in T and the graph has a single node, so a sequence of 100,000 steps is no harder than one of
  ten.

Shapes (PyTorch's layout, time-major): ``x`` (T, B, D) with T >= 1 and B >= 0; ``h0``, ``c0`` (B, H) or None
(zeros); ``w_ih`` (G*H, D); ``w_hh`` (G*H, H); ``b_ih``, ``b_hh`` (G*H,) or None; G = 1 (RNN), 2 (minimal GRU,
gates u, c̃), 3 (GRU, gates r, z, n), 4 (LSTM, gates i, f, g, o).

The equations, in PyTorch's names (the course's names in brackets; each class docstring has its backward)::

    RNN   h' = act(W_ih x + b_ih + W_hh h + b_hh)                        act = tanh or relu      [a<t> = h']
    GRU   r  = σ(W_ir x + b_ir + W_hr h + b_hr)                                                  [Γr]
          z  = σ(W_iz x + b_iz + W_hz h + b_hz)                                                  [1 - Γu]
          n  = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))       reset_after=True  (PyTorch, cuDNN) [c̃<t>]
          n  = tanh(W_in x + b_in + W_hn (r ⊙ h) + b_hn)       reset_after=False (Cho et al. 2014, the course)
          h' = (1 - z) ⊙ n + z ⊙ h
    LSTM  i, f, g, o = σ, σ, tanh, σ of (W_ih x + b_ih + W_hh h + b_hh) split in 4     [Γu, Γf, c̃<t>, Γo]
          c' = f ⊙ c + i ⊙ g                                                          [c<t>]
          h' = o ⊙ tanh(c')                                                           [a<t>]
    minimal GRU (the course's simplified GRU; no torch equivalent)
          u, c̃ = σ, tanh of (W_ih x + b_ih + W_hh h + b_hh) split in 2                 [Γu, c̃<t>]
          h' = u ⊙ c̃ + (1 - u) ⊙ h                                                    [a<t> = c<t>]

Variable lengths (``lengths``, an int64 array (B,), 1 <= L_b <= T) follow PyTorch's packed sequences. With the
step mask m<t> = (t < L_b) every step is ``h<t> = h' where m<t> else h<t-1>`` (same for c) and its output is
``h' where m<t> else 0``: a sequence runs its first L_b steps, its output is zero past them, and its final state is
the state after its last real step. With ``reverse=True`` the steps run from T-1 down to 0, so a sequence starts
from h0 at its own end L_b-1 and ends at step 0.

The padding never reaches a value or a gradient, whatever it holds (NaN and inf included): forward replaces it by
zeros before the input projection, and every masked step *selects* (``np.where``, ``np.copyto(..., where=)``)
rather than multiplies by the mask (0 * inf is NaN). Backward selects the same way, so a gradient that arrives at
a padded output (even a NaN one) is dropped, as PyTorch's ``pad_packed_sequence`` drops it, and the padding's own
gradient is exactly zero. All of it happens only when some sequence is shorter than T: without ``lengths``, or with
every length equal to T, the loop has no mask at all.

The sigmoid is computed with the identity σ(x) = (1 + tanh(x / 2)) / 2 rather than minigrad's ``stable_sigmoid``:
it is as stable (tanh never overflows, unlike e^-x; for very negative x the result is accurate to ~1e-16 in
absolute terms, the tiny σ losing its relative precision, which no gradient notices) and, in this form, all the
gates of a step, σ and tanh alike, are activated in four in-place passes with no temporary.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from minigrad.autograd import Function

__all__ = ["FusedGRU", "FusedLSTM", "FusedMinimalGRU", "FusedRNN"]


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


# --------------------------------------------------------------------------------------------------
# RNN
# --------------------------------------------------------------------------------------------------


class FusedRNN(Function):
    """A whole Elman RNN layer in one direction: ``FusedRNN.apply(x, h0, w_ih, w_hh, b_ih, b_hh, lengths, reverse,
    nonlinearity) -> (output, h_n)``.

    Forward, for t = 0..T-1 (T-1..0 with ``reverse``), with a<t> = h<t> (PyTorch's ``h``, the course's a<t>)::

        z<t> = W_ih x<t> + b_ih + W_hh a<t-1> + b_hh
        a<t> = act(z<t>)                            act = tanh or relu (``nonlinearity``)
        output<t> = a<t>;  h_n = a of the last step (a<T-1>; a<0> with reverse; masked by lengths: see the module)

    Backward, with da<t> = ∂L/∂a<t> = ∂L/∂output<t> + W_hhᵀ dz<t+1> (and da<T-1> += ∂L/∂h_n)::

        dz<t> = da<t> ⊙ act'(z<t>)                  tanh' = 1 - a<t>²; relu' = [a<t> > 0]
        da<t-1> = W_hhᵀ dz<t>;  dh0 = da<-1>
        dW_ih = Σ_t dz<t> x<t>ᵀ;  dW_hh = Σ_t dz<t> a<t-1>ᵀ;  db_ih = db_hh = Σ_t dz<t>;  dx<t> = W_ihᵀ dz<t>

    ``h0`` may be None (zeros); ``b_ih``, ``b_hh`` None for a layer without bias.
    """

    @staticmethod
    def forward(ctx, x, h0, w_ih, w_hh, b_ih, b_hh, lengths=None, reverse=False, nonlinearity="tanh"):
        T, B, _, H = _check_shapes("FusedRNN", 1, x, h0, w_ih, w_hh, b_ih, b_hh, lengths)
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"FusedRNN: nonlinearity must be 'tanh' or 'relu'; got {nonlinearity!r}")
        dtype = x.dtype
        masks = _masks(lengths, T)
        if masks is not None:
            x = masks.zero_padding(x)  # (T, B, D): the padding never enters (NaN or inf would reach the gradients)
        bias = None if b_ih is None else b_ih + b_hh
        out = _input_projection(x, w_ih, bias)  # (T, B, H): z<t> without W_hh a<t-1>, then a<t> in place
        w_hh_t = w_hh.T  # (H, H)
        h_prev = np.empty((T, B, H), dtype)  # a<t-1> of every step, for dW_hh
        rec = np.empty((B, H), dtype)
        h = np.zeros((B, H), dtype) if h0 is None else h0
        tanh = nonlinearity == "tanh"
        for t in _steps(T, reverse):
            h_prev[t] = h
            a = out[t]  # (B, H)
            np.matmul(h, w_hh_t, out=rec)
            a += rec  # z<t> = W_ih x<t> + b + W_hh a<t-1>
            if tanh:
                np.tanh(a, out=a)  # a<t> = tanh(z<t>)
            else:
                np.maximum(a, 0, out=a)  # a<t> = relu(z<t>)
            if masks is not None and masks.partial[t]:
                h = np.where(masks.active[t], a, h)  # finished sequences keep their state
                np.copyto(a, 0, where=masks.inactive[t])  # ... and output zeros
            else:
                h = a
        ctx.save_for_backward(x, w_ih, w_hh, h_prev, out)
        ctx.masks, ctx.reverse, ctx.tanh = masks, reverse, tanh
        return out, h.copy()

    @staticmethod
    def backward(ctx, g_out, g_hn):
        x, w_ih, w_hh, h_prev, out = ctx.saved_tensors
        needs, masks = ctx.needs_input_grad, ctx.masks
        T = x.shape[0]
        if ctx.tanh:
            dgates = np.multiply(out, out)  # (T, B, H)
            np.subtract(1, dgates, out=dgates)  # d tanh(z)/dz = 1 - tanh(z)²
        else:
            dgates = (out > 0).astype(out.dtype)  # (T, B, H): d relu(z)/dz = [z > 0]
        da_next = g_hn  # ∂L/∂a<T-1> from h_n
        for t in reversed(_steps(T, ctx.reverse)):
            da = da_next + g_out[t]  # da<t>: from the step after (through W_hh) and from output<t>
            if masks is not None and masks.partial[t]:
                np.copyto(da, 0, where=masks.inactive[t])  # padding steps get nothing
            dz = dgates[t]
            dz *= da  # dz<t> = da<t> ⊙ act'(z<t>)
            da_prev = dz @ w_hh  # da<t-1> = W_hhᵀ dz<t>  (B, H)
            if masks is not None and masks.partial[t]:
                np.copyto(da_prev, da_next, where=masks.inactive[t])  # a finished sequence passes its gradient on
            da_next = da_prev
        dx, dw_ih, db_ih = _weight_and_input_grads(needs, dgates, x, w_ih)
        dh0 = da_next if needs[1] else None
        T, B, H = h_prev.shape
        dz_flat = dgates.reshape(T * B, H)  # (T*B, H)
        dw_hh = dz_flat.T @ h_prev.reshape(T * B, H) if needs[3] else None  # dW_hh = Σ_t dz<t> a<t-1>ᵀ
        db_hh = dz_flat.sum(axis=0) if needs[5] else None  # db_hh = Σ_t dz<t>
        return _per_argument(ctx, (dx, dh0, dw_ih, dw_hh, db_ih, db_hh, None, None, None))


# --------------------------------------------------------------------------------------------------
# GRU
# --------------------------------------------------------------------------------------------------


class FusedGRU(Function):
    """A whole GRU layer in one direction: ``FusedGRU.apply(x, h0, w_ih, w_hh, b_ih, b_hh, lengths, reverse,
    reset_after) -> (output, h_n)``.

    Gates stacked r, z, n as in PyTorch. In the course's notation r = Γr, n = c̃<t>, h = a<t> = c<t>, and PyTorch's
    z is the weight of the *old* state: z = 1 - Γu (the course writes c<t> = Γu ⊙ c̃<t> + (1 - Γu) ⊙ c<t-1>).

    Forward, for t = 0..T-1 (T-1..0 with ``reverse``)::

        r = σ(W_ir x<t> + b_ir + W_hr a<t-1> + b_hr)                             Γr
        z = σ(W_iz x<t> + b_iz + W_hz a<t-1> + b_hz)                             1 - Γu
        n = tanh(W_in x<t> + b_in + r ⊙ (W_hn a<t-1> + b_hn))    reset_after=True: PyTorch's (cuDNN's) variant
        n = tanh(W_in x<t> + b_in + W_hn (r ⊙ a<t-1>) + b_hn)    reset_after=False: Cho et al. 2014, the course
        a<t> = (1 - z) ⊙ n + z ⊙ a<t-1>

    Backward, with da<t> = ∂L/∂output<t> + (the gradient from step t+1), dn, dz, dr the gradients of the
    pre-activations (inputs of tanh and σ)::

        dn = da<t> ⊙ (1 - z) ⊙ (1 - n²)                          dc̃<t>
        dz = da<t> ⊙ (a<t-1> - n) ⊙ z (1 - z)                     -dΓu
        reset_after=True:   hn = W_hn a<t-1> + b_hn
            dr = dn ⊙ hn ⊙ r (1 - r)                             dΓr
            da<t-1> = da<t> ⊙ z + W_hrᵀ dr + W_hzᵀ dz + W_hnᵀ (dn ⊙ r)
            dW_hh = Σ_t [dr, dz, dn ⊙ r] a<t-1>ᵀ;  db_hh = Σ_t [dr, dz, dn ⊙ r]
        reset_after=False:  d(r ⊙ a<t-1>) = W_hnᵀ dn
            dr = d(r ⊙ a<t-1>) ⊙ a<t-1> ⊙ r (1 - r)              dΓr
            da<t-1> = da<t> ⊙ z + d(r ⊙ a<t-1>) ⊙ r + W_hrᵀ dr + W_hzᵀ dz
            dW_hh = Σ_t [dr a<t-1>ᵀ, dz a<t-1>ᵀ, dn (r ⊙ a<t-1>)ᵀ];  db_hh = Σ_t [dr, dz, dn]
        dW_ih = Σ_t [dr, dz, dn] x<t>ᵀ;  db_ih = Σ_t [dr, dz, dn];  dx<t> = W_ihᵀ [dr, dz, dn]
    """

    @staticmethod
    def forward(ctx, x, h0, w_ih, w_hh, b_ih, b_hh, lengths=None, reverse=False, reset_after=True):
        T, B, _, H = _check_shapes("FusedGRU", 3, x, h0, w_ih, w_hh, b_ih, b_hh, lengths)
        dtype = x.dtype
        masks = _masks(lengths, T)
        if masks is not None:
            x = masks.zero_padding(x)  # (T, B, D): the padding never enters (NaN or inf would reach the gradients)
        if b_ih is None:
            bias = b_hn = None
        elif reset_after:  # b_hr, b_hz add to the input projection; b_hn stays inside r ⊙ (W_hn a + b_hn)
            bias = b_ih.copy()
            bias[: 2 * H] += b_hh[: 2 * H]
            b_hn = b_hh[2 * H :]
        else:  # every b_hh adds outside the gates' products
            bias, b_hn = b_ih + b_hh, None
        gates = _input_projection(x, w_ih, bias)  # (T, B, 3H): pre-activations, then r, z, n in place
        h_prev = np.empty((T, B, H), dtype)  # a<t-1> of every step
        saved_n = np.empty((T, B, H), dtype)  # reset_after: W_hn a<t-1> + b_hn; else r ⊙ a<t-1>
        out = np.empty((T, B, H), dtype)
        h = np.zeros((B, H), dtype) if h0 is None else h0
        rz_scale = np.asarray(0.5, dtype)  # σ(x) = (1 + tanh(x/2)) / 2 on both r and z
        tmp = np.empty((B, H), dtype)
        if reset_after:
            w_hh_t = w_hh.T  # (H, 3H)
            rec = np.empty((B, 3 * H), dtype)
        else:
            w_hrz_t = w_hh[: 2 * H].T  # (H, 2H)
            w_hn_t = w_hh[2 * H :].T  # (H, H)
            rec = np.empty((B, 2 * H), dtype)
        for t in _steps(T, reverse):
            h_prev[t] = h
            a = gates[t]  # (B, 3H)
            rz, r, z, n = a[:, : 2 * H], a[:, :H], a[:, H : 2 * H], a[:, 2 * H :]
            np.matmul(h, w_hh_t if reset_after else w_hrz_t, out=rec)
            rz += rec[:, : 2 * H]
            _activate(rz, rz_scale, rz_scale)  # r = σ(...), z = σ(...)
            if reset_after:
                hn = saved_n[t]
                if b_hn is None:
                    hn[...] = rec[:, 2 * H :]
                else:
                    np.add(rec[:, 2 * H :], b_hn, out=hn)  # hn = W_hn a<t-1> + b_hn
                np.multiply(r, hn, out=tmp)
            else:
                rh = saved_n[t]
                np.multiply(r, h, out=rh)  # r ⊙ a<t-1>
                np.matmul(rh, w_hn_t, out=tmp)  # W_hn (r ⊙ a<t-1>)
            n += tmp
            np.tanh(n, out=n)  # n = tanh(...)
            h_new = out[t]
            np.subtract(h, n, out=h_new)
            h_new *= z
            h_new += n  # a<t> = n + z ⊙ (a<t-1> - n) = (1 - z) ⊙ n + z ⊙ a<t-1>
            if masks is not None and masks.partial[t]:
                h = np.where(masks.active[t], h_new, h)  # finished sequences keep their state
                np.copyto(h_new, 0, where=masks.inactive[t])  # ... and output zeros
            else:
                h = h_new
        ctx.save_for_backward(x, w_ih, w_hh, h_prev, gates, saved_n)
        ctx.masks, ctx.reverse, ctx.reset_after = masks, reverse, reset_after
        return out, h.copy()

    @staticmethod
    def backward(ctx, g_out, g_hn):
        x, w_ih, w_hh, h_prev, gates, saved_n = ctx.saved_tensors
        needs, masks, reset_after = ctx.needs_input_grad, ctx.masks, ctx.reset_after
        T, B, H = h_prev.shape
        r_all, z_all, n_all = (gates[..., k * H : (k + 1) * H] for k in range(3))  # (T, B, H) each
        # What does not depend on the incoming gradient is computed for all steps at once, before the loop:
        # dgates starts as each gate's activation derivative times the factor that multiplies it ...
        dgates = _activation_derivatives(gates, slice(2 * H, 3 * H))  # (T, B, 3H): σ', σ', tanh'
        if reset_after:
            dgates[..., :H] *= saved_n  # ∂pre_n/∂r = W_hn a<t-1> + b_hn
        else:
            dgates[..., :H] *= h_prev  # ∂(r ⊙ a<t-1>)/∂r = a<t-1>
        dgates[..., H : 2 * H] *= h_prev - n_all  # ∂a<t>/∂z = a<t-1> - n
        dgates[..., 2 * H :] *= 1 - z_all  # ∂a<t>/∂n = 1 - z
        # ... and the loop multiplies in da<t>, carried from step to step.
        dgates_by_gate = dgates.reshape(T, B, 3, H)  # (T, B, 3, H): a view, one row per gate
        if reset_after:
            # the gradient of W_hh a<t-1> + b_hh: [dr, dz, dn ⊙ r]; it starts as [1, 1, r] (T, B, 3H)
            dgates_hh = np.ones_like(dgates)
            dgates_hh[..., 2 * H :] = r_all
        else:
            w_hrz, w_hn = w_hh[: 2 * H], w_hh[2 * H :]  # (2H, H), (H, H)
        da_next = g_hn
        for t in reversed(_steps(T, ctx.reverse)):
            partial = masks is not None and masks.partial[t]
            da = da_next + g_out[t]  # da<t>
            if partial:
                np.copyto(da, 0, where=masks.inactive[t])  # padding steps get nothing
            d = dgates_by_gate[t]  # (B, 3, H): rows dr, dz, dn
            d[:, 1:] *= da[:, None, :]  # dz = da<t> ⊙ (a<t-1> - n) ⊙ σ' (-dΓu);  dn = da<t> ⊙ (1 - z) ⊙ tanh' (dc̃<t>)
            dn = d[:, 2]
            if reset_after:
                d[:, 0] *= dn  # dr = dn ⊙ (W_hn a<t-1> + b_hn) ⊙ σ'  (dΓr)
                dhh = dgates_hh[t]
                dhh *= dgates[t]  # [dr, dz, dn ⊙ r]
                da_prev = dhh @ w_hh  # W_hhᵀ [dr, dz, dn ⊙ r]  (B, H)
            else:
                drh = dn @ w_hn  # d(r ⊙ a<t-1>) = W_hnᵀ dn  (B, H)
                d[:, 0] *= drh  # dr = d(r ⊙ a<t-1>) ⊙ a<t-1> ⊙ σ'  (dΓr)
                da_prev = dgates[t, :, : 2 * H] @ w_hrz  # W_hrᵀ dr + W_hzᵀ dz  (B, H)
                da_prev += drh * r_all[t]  # ... + d(r ⊙ a<t-1>) ⊙ r
            da_prev += da * z_all[t]  # ... + da<t> ⊙ z: the direct path a<t-1> -> a<t>
            if partial:
                np.copyto(da_prev, da_next, where=masks.inactive[t])
            da_next = da_prev
        dx, dw_ih, db_ih = _weight_and_input_grads(needs, dgates, x, w_ih)
        dh0 = da_next if needs[1] else None
        dw_hh = db_hh = None
        hp_flat = h_prev.reshape(T * B, H)  # (T*B, H)
        if reset_after:
            dhh_flat = dgates_hh.reshape(T * B, 3 * H)  # (T*B, 3H)
            if needs[3]:
                dw_hh = dhh_flat.T @ hp_flat  # dW_hh = Σ_t [dr, dz, dn ⊙ r] a<t-1>ᵀ
            if needs[5]:
                db_hh = dhh_flat.sum(axis=0)
        else:
            d_flat = dgates.reshape(T * B, 3 * H)  # (T*B, 3H)
            if needs[3]:
                dw_hh = np.empty(w_hh.shape, w_hh.dtype)  # (3H, H)
                np.matmul(d_flat[:, : 2 * H].T, hp_flat, out=dw_hh[: 2 * H])  # [dr, dz] a<t-1>ᵀ
                np.matmul(d_flat[:, 2 * H :].T, saved_n.reshape(T * B, H), out=dw_hh[2 * H :])  # dn (r ⊙ a<t-1>)ᵀ
            if needs[5]:
                db_hh = d_flat.sum(axis=0)
        return _per_argument(ctx, (dx, dh0, dw_ih, dw_hh, db_ih, db_hh, None, None, None))


# --------------------------------------------------------------------------------------------------
# Minimal GRU
# --------------------------------------------------------------------------------------------------


class FusedMinimalGRU(Function):
    """A whole minimal-GRU layer in one direction (the course's simplified GRU: an update gate, no reset gate):
    ``FusedMinimalGRU.apply(x, h0, w_ih, w_hh, b_ih, b_hh, lengths, reverse) -> (output, h_n)``.

    Gates stacked u, c̃ (rows 0..H-1 the update gate Γu, rows H..2H-1 the candidate c̃<t>), h = a<t> = c<t>.

    Forward, for t = 0..T-1 (T-1..0 with ``reverse``)::

        [u, c̃] = W_ih x<t> + b_ih + W_hh a<t-1> + b_hh, split in 2, through σ, tanh      (Γu, c̃<t>)
        a<t> = Γu ⊙ c̃<t> + (1 - Γu) ⊙ a<t-1>            computed as a<t-1> + Γu ⊙ (c̃<t> - a<t-1>)

    Backward, with da<t> = ∂L/∂output<t> + (the gradient from step t+1), each gate's gradient times its
    activation's derivative giving ``dgates<t>``::

        dΓu  = da<t> ⊙ (c̃<t> - a<t-1>)                   then ⊙ σ' = Γu (1 - Γu)
        dc̃<t> = da<t> ⊙ Γu                               then ⊙ tanh' = 1 - c̃<t>²
        da<t-1> = da<t> ⊙ (1 - Γu) + W_hhᵀ dgates<t>;  dh0 = da<-1>
        dW_ih = Σ_t dgates<t> x<t>ᵀ;  dW_hh = Σ_t dgates<t> a<t-1>ᵀ;  db_ih = db_hh = Σ_t dgates<t>
        dx<t> = W_ihᵀ dgates<t>
    """

    @staticmethod
    def forward(ctx, x, h0, w_ih, w_hh, b_ih, b_hh, lengths=None, reverse=False):
        T, B, _, H = _check_shapes("FusedMinimalGRU", 2, x, h0, w_ih, w_hh, b_ih, b_hh, lengths)
        dtype = x.dtype
        masks = _masks(lengths, T)
        if masks is not None:
            x = masks.zero_padding(x)  # (T, B, D): the padding never enters (NaN or inf would reach the gradients)
        gates = _input_projection(x, w_ih, None if b_ih is None else b_ih + b_hh)  # (T, B, 2H)
        w_hh_t = w_hh.T  # (H, 2H)
        scale, shift = _gate_affine("st", H, dtype)  # σ, tanh
        h_prev = np.empty((T, B, H), dtype)  # a<t-1> of every step
        out = np.empty((T, B, H), dtype)
        rec = np.empty((B, 2 * H), dtype)
        h = np.zeros((B, H), dtype) if h0 is None else h0
        for t in _steps(T, reverse):
            h_prev[t] = h
            a = gates[t]  # (B, 2H)
            np.matmul(h, w_hh_t, out=rec)
            a += rec  # W_ih x<t> + b + W_hh a<t-1>
            _activate(a, scale, shift)  # Γu, c̃<t>
            u, c = a[:, :H], a[:, H:]
            h_new = out[t]
            np.subtract(c, h, out=h_new)
            h_new *= u
            h_new += h  # a<t> = a<t-1> + Γu ⊙ (c̃<t> - a<t-1>)
            if masks is not None and masks.partial[t]:
                h = np.where(masks.active[t], h_new, h)  # finished sequences keep their state
                np.copyto(h_new, 0, where=masks.inactive[t])  # ... and output zeros
            else:
                h = h_new
        ctx.save_for_backward(x, w_ih, w_hh, h_prev, gates)
        ctx.masks, ctx.reverse = masks, reverse
        return out, h.copy()

    @staticmethod
    def backward(ctx, g_out, g_hn):
        x, w_ih, w_hh, h_prev, gates = ctx.saved_tensors
        needs, masks = ctx.needs_input_grad, ctx.masks
        T, B, H = h_prev.shape
        u_all, c_all = gates[..., :H], gates[..., H:]  # (T, B, H) each
        # What does not depend on the incoming gradient is computed for all steps at once, before the loop:
        # dgates starts as each gate's activation derivative times the factor that multiplies it ...
        dgates = _activation_derivatives(gates, slice(H, 2 * H))  # (T, B, 2H): σ', tanh'
        dgates[..., :H] *= c_all - h_prev  # ∂a<t>/∂Γu = c̃<t> - a<t-1>
        dgates[..., H:] *= u_all  # ∂a<t>/∂c̃<t> = Γu
        keep = np.subtract(1, u_all)  # (T, B, H): ∂a<t>/∂a<t-1> on the direct path = 1 - Γu
        # ... and the loop multiplies in da<t>, carried from step to step.
        dgates_by_gate = dgates.reshape(T, B, 2, H)  # (T, B, 2, H): a view, one row per gate
        da_next = g_hn
        for t in reversed(_steps(T, ctx.reverse)):
            partial = masks is not None and masks.partial[t]
            da = da_next + g_out[t]  # da<t>: from the step after and from output<t>
            if partial:
                np.copyto(da, 0, where=masks.inactive[t])  # padding steps get nothing
            dgates_by_gate[t] *= da[:, None, :]  # dΓu, dc̃<t>
            da_prev = dgates[t] @ w_hh  # W_hhᵀ dgates<t>  (B, H)
            da_prev += da * keep[t]  # ... + da<t> ⊙ (1 - Γu): the direct path a<t-1> -> a<t>
            if partial:  # a finished sequence passes its gradient on unchanged
                np.copyto(da_prev, da_next, where=masks.inactive[t])
            da_next = da_prev
        dx, dw_ih, db_ih = _weight_and_input_grads(needs, dgates, x, w_ih)
        dh0 = da_next if needs[1] else None
        dG = dgates.reshape(T * B, 2 * H)  # (T*B, 2H)
        dw_hh = dG.T @ h_prev.reshape(T * B, H) if needs[3] else None  # dW_hh = Σ_t dgates<t> a<t-1>ᵀ
        db_hh = dG.sum(axis=0) if needs[5] else None  # db_hh = Σ_t dgates<t>
        return _per_argument(ctx, (dx, dh0, dw_ih, dw_hh, db_ih, db_hh, None, None))


# --------------------------------------------------------------------------------------------------
# LSTM
# --------------------------------------------------------------------------------------------------


class FusedLSTM(Function):
    """A whole LSTM layer in one direction: ``FusedLSTM.apply(x, h0, c0, w_ih, w_hh, b_ih, b_hh, lengths, reverse)
    -> (output, h_n, c_n)``.

    Gates stacked i, f, g, o as in PyTorch; in the course's notation i = Γu, f = Γf, g = c̃<t>, o = Γo, h = a<t>.

    Forward, for t = 0..T-1 (T-1..0 with ``reverse``)::

        [i, f, g, o] = W_ih x<t> + b_ih + W_hh a<t-1> + b_hh, split in 4, through σ, σ, tanh, σ
        c<t> = Γf ⊙ c<t-1> + Γu ⊙ c̃<t>                 (f ⊙ c + i ⊙ g)
        a<t> = Γo ⊙ tanh(c<t>)                          (o ⊙ tanh(c'))

    Backward, with da<t> = ∂L/∂output<t> + W_hhᵀ dgates<t+1> and dc<t+1> from the step after (∂L/∂h_n, ∂L/∂c_n
    at the last step); each gate's gradient below is then multiplied by its activation's derivative (σ' = σ(1-σ),
    tanh' = 1 - tanh²) to give the gradient of its pre-activation, ``dgates<t>``::

        dΓo  = da<t> ⊙ tanh(c<t>)
        dc<t> = dc<t+1> ⊙ Γf<t+1> + da<t> ⊙ Γo ⊙ (1 - tanh²(c<t>))
        dc̃<t> = dc<t> ⊙ Γu                               (dg)
        dΓu  = dc<t> ⊙ c̃<t>                               (di)
        dΓf  = dc<t> ⊙ c<t-1>                             (df)
        da<t-1> = W_hhᵀ dgates<t>;  dc<t-1> flows through Γf;  dh0 = da<-1>, dc0 = dc<-1>
        dW_ih = Σ_t dgates<t> x<t>ᵀ;  dW_hh = Σ_t dgates<t> a<t-1>ᵀ;  db_ih = db_hh = Σ_t dgates<t>
    """

    @staticmethod
    def forward(ctx, x, h0, c0, w_ih, w_hh, b_ih, b_hh, lengths=None, reverse=False):
        T, B, _, H = _check_shapes("FusedLSTM", 4, x, h0, w_ih, w_hh, b_ih, b_hh, lengths, c0)
        dtype = x.dtype
        masks = _masks(lengths, T)
        if masks is not None:
            x = masks.zero_padding(x)  # (T, B, D): the padding never enters (NaN or inf would reach the gradients)
        gates = _input_projection(x, w_ih, None if b_ih is None else b_ih + b_hh)  # (T, B, 4H)
        w_hh_t = w_hh.T  # (H, 4H)
        scale, shift = _gate_affine("ssts", H, dtype)  # σ, σ, tanh, σ
        h_prev = np.empty((T, B, H), dtype)  # a<t-1> of every step
        c_prev = np.empty((T, B, H), dtype)  # c<t-1> of every step
        tanh_c = np.empty((T, B, H), dtype)  # tanh(c<t>)
        out = np.empty((T, B, H), dtype)
        rec = np.empty((B, 4 * H), dtype)
        ig = np.empty((B, H), dtype)
        c_new = np.empty((B, H), dtype)
        h = np.zeros((B, H), dtype) if h0 is None else h0
        c = np.zeros((B, H), dtype) if c0 is None else c0.copy()  # owned: its buffer is reused below
        for t in _steps(T, reverse):
            h_prev[t] = h
            c_prev[t] = c
            a = gates[t]  # (B, 4H)
            np.matmul(h, w_hh_t, out=rec)
            a += rec  # W_ih x<t> + b + W_hh a<t-1>
            _activate(a, scale, shift)  # Γu, Γf, c̃<t>, Γo
            i, f, g, o = a[:, :H], a[:, H : 2 * H], a[:, 2 * H : 3 * H], a[:, 3 * H :]
            np.multiply(f, c, out=c_new)
            np.multiply(i, g, out=ig)
            c_new += ig  # c<t> = Γf ⊙ c<t-1> + Γu ⊙ c̃<t>
            tc = tanh_c[t]
            np.tanh(c_new, out=tc)
            h_new = out[t]
            np.multiply(o, tc, out=h_new)  # a<t> = Γo ⊙ tanh(c<t>)
            if masks is not None and masks.partial[t]:
                h = np.where(masks.active[t], h_new, h)  # finished sequences keep their state
                c = np.where(masks.active[t], c_new, c)
                np.copyto(h_new, 0, where=masks.inactive[t])  # ... and output zeros
            else:
                h = h_new
                c, c_new = c_new, c  # c<t> becomes the state; the old buffer is reused (c_prev[t] holds a copy)
        ctx.save_for_backward(x, w_ih, w_hh, h_prev, c_prev, tanh_c, gates)
        ctx.masks, ctx.reverse = masks, reverse
        return out, h.copy(), c

    @staticmethod
    def backward(ctx, g_out, g_hn, g_cn):
        x, w_ih, w_hh, h_prev, c_prev, tanh_c, gates = ctx.saved_tensors
        needs, masks = ctx.needs_input_grad, ctx.masks
        T, B, H = h_prev.shape
        i_all, f_all, g_all, o_all = (gates[..., k * H : (k + 1) * H] for k in range(4))  # (T, B, H) each
        # What does not depend on the incoming gradient is computed for all steps at once, before the loop:
        # dgates starts as each gate's activation derivative times the factor that multiplies it ...
        dgates = _activation_derivatives(gates, slice(2 * H, 3 * H))  # (T, B, 4H): σ', σ', tanh', σ'
        dgates[..., :H] *= g_all  # ∂c<t>/∂Γu = c̃<t>
        dgates[..., H : 2 * H] *= c_prev  # ∂c<t>/∂Γf = c<t-1>
        dgates[..., 2 * H : 3 * H] *= i_all  # ∂c<t>/∂c̃<t> = Γu
        dgates[..., 3 * H :] *= tanh_c  # ∂a<t>/∂Γo = tanh(c<t>)
        a_to_c = np.multiply(tanh_c, tanh_c)  # (T, B, H)
        np.subtract(1, a_to_c, out=a_to_c)
        a_to_c *= o_all  # ∂a<t>/∂c<t> = Γo ⊙ (1 - tanh²(c<t>))
        # ... and the loop multiplies in da<t> and dc<t>, carried from step to step.
        dgates_by_gate = dgates.reshape(T, B, 4, H)  # (T, B, 4, H): a view, one row per gate
        da_next, dc_next = g_hn, g_cn  # ∂L/∂h_n, ∂L/∂c_n
        for t in reversed(_steps(T, ctx.reverse)):
            partial = masks is not None and masks.partial[t]
            da = da_next + g_out[t]  # da<t>: from the step after and from output<t>
            dc = da * a_to_c[t]  # dc<t> = da<t> ⊙ Γo ⊙ (1 - tanh²(c<t>)) + dc<t+1> ⊙ Γf<t+1>
            dc += dc_next
            if partial:  # padding steps get nothing
                np.copyto(da, 0, where=masks.inactive[t])
                np.copyto(dc, 0, where=masks.inactive[t])
            d = dgates_by_gate[t]  # (B, 4, H)
            d[:, 3] *= da  # do:  dΓo = da<t> ⊙ tanh(c<t>), times σ'(Γo)
            d[:, :3] *= dc[:, None, :]  # di, df, dg:  dΓu = dc<t> ⊙ c̃<t>, dΓf = dc<t> ⊙ c<t-1>, dc̃<t> = dc<t> ⊙ Γu
            dc_prev = dc * f_all[t]  # dc<t-1> = dc<t> ⊙ Γf  (B, H)
            da_prev = dgates[t] @ w_hh  # da<t-1> = W_hhᵀ dgates<t>  (B, H)
            if partial:  # a finished sequence passes its gradients on unchanged
                np.copyto(da_prev, da_next, where=masks.inactive[t])
                np.copyto(dc_prev, dc_next, where=masks.inactive[t])
            da_next, dc_next = da_prev, dc_prev
        return _per_argument(ctx, _lstm_grads(needs, dgates, x, w_ih, h_prev, da_next, dc_next))


def _lstm_grads(
    needs: tuple,
    dgates: np.ndarray,
    x: np.ndarray,
    w_ih: np.ndarray,
    h_prev: np.ndarray,
    dh0: np.ndarray,
    dc0: np.ndarray,
) -> tuple:
    """The gradients FusedLSTM.backward returns, one per argument of forward (c0 shifts the weights by one)."""
    T, B, D = x.shape
    H = h_prev.shape[2]
    dG = dgates.reshape(T * B, 4 * H)  # (T*B, 4H)
    dx = (dG @ w_ih).reshape(T, B, D) if needs[0] else None  # dx<t> = W_ihᵀ dgates<t>
    dw_ih = dG.T @ x.reshape(T * B, D) if needs[3] else None  # dW_ih = Σ_t dgates<t> x<t>ᵀ
    dw_hh = dG.T @ h_prev.reshape(T * B, H) if needs[4] else None  # dW_hh = Σ_t dgates<t> a<t-1>ᵀ
    db = dG.sum(axis=0) if needs[5] or needs[6] else None  # db_ih = db_hh = Σ_t dgates<t>
    db_ih = db if needs[5] else None
    db_hh = (db.copy() if needs[5] else db) if needs[6] else None
    return dx, dh0 if needs[1] else None, dc0 if needs[2] else None, dw_ih, dw_hh, db_ih, db_hh, None, None
