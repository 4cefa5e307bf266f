"""The fused GRU (PyTorch's and Cho et al.'s) and the course's minimal GRU (see ``seq.fused`` for the conventions)."""

from __future__ import annotations

import numpy as np

from minigrad.autograd import Function
from seq.fused.common import (
    _add_product,
    _block_steps,
    _blocks,
    _check_shapes,
    _chunks,
    _column_sums,
    _final_state,
    _gate_affine,
    _input_projection,
    _masks,
    _per_argument,
    _sigma_derivatives,
    _state_buffer,
    _step_product,
    _steps,
    _transposed,
    _WeightGrads,
    _with_ones,
)

__all__ = ["FusedGRU", "FusedMinimalGRU"]


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

    What forward keeps: the gates' activations r, z, n (T, B, 3H); a<-1>..a<T-1> in one (T+1, B, H) buffer (without
    padding the output is a view of it); hn (reset_after) or r ⊙ a<t-1> (T, B, H); and ``[x<t>, 1]``.
    """

    @staticmethod
    def forward(ctx, x, h0, w_ih, w_hh, b_ih, b_hh, lengths=None, reverse=False, reset_after=True):
        T, B, _, H = _check_shapes("FusedGRU", 3, x, h0, w_ih, w_hh, b_ih, b_hh, lengths)
        dtype = x.dtype
        masks = _masks(lengths, T)
        x1 = _with_ones(x, masks)  # (T, B, D+1): [x<t>, 1], zeros in the padding
        scale = _gate_affine("sst", H, B, dtype)[0]  # σ, σ, tanh: r and z halved (σ(x) = (1 + tanh(x/2)) / 2)
        if b_ih is None:
            bias = b_hn = None
        elif reset_after:  # b_hr, b_hz add to the input projection; b_hn stays inside r ⊙ (W_hn a + b_hn)
            bias = b_ih.copy()
            bias[: 2 * H] += b_hh[: 2 * H]
            b_hn = b_hh[2 * H :]
        else:  # every b_hh adds outside the gates' products
            bias, b_hn = b_ih + b_hh, None
        gates = _input_projection(x1, w_ih, bias, scale)  # (T, B, 3H): pre-activations, then r, z, n in place
        hs, h_new, h_prev = _state_buffer(h0, T, B, H, dtype, reverse)  # a<t> is h_new[t], a<t-1> is h_prev[t]
        out = h_new if masks is None else np.empty((T, B, H), dtype)  # with padding, outputs differ from states
        saved_n = np.empty((T, B, H), dtype)  # reset_after: hn = W_hn a<t-1> + b_hn; else r ⊙ a<t-1>
        product, add, multiply, subtract, tanh = _step_product(B), np.add, np.multiply, np.subtract, np.tanh  # local
        tmp = np.empty((B, H), dtype)
        if reset_after:
            w_hh_t = _transposed(w_hh, scale)  # (H, 3H), the r and z columns halved
            rec = np.empty((B, 3 * H), dtype)
        else:
            w_hrz_t = _transposed(w_hh[: 2 * H], scale[: 2 * H])  # (H, 2H), halved
            w_hn_t = _transposed(w_hh[2 * H :])  # (H, H)
            rec = np.empty((B, 2 * H), dtype)
        for t in _steps(T, reverse):
            a = gates[t]  # (B, 3H)
            rz, r, z, n = a[:, : 2 * H], a[:, :H], a[:, H : 2 * H], a[:, 2 * H :]
            product(h_prev[t], w_hh_t if reset_after else w_hrz_t, out=rec)
            rz += rec[:, : 2 * H]
            tanh(rz, out=rz)
            multiply(rz, 0.5, out=rz)
            add(rz, 0.5, out=rz)  # r = σ(...), z = σ(...): (1 + tanh(·/2)) / 2, the halving in the weights
            if reset_after:
                hn = saved_n[t]
                if b_hn is None:
                    hn[...] = rec[:, 2 * H :]
                else:
                    add(rec[:, 2 * H :], b_hn, out=hn)  # hn = W_hn a<t-1> + b_hn
                multiply(r, hn, out=tmp)
            else:
                rh = saved_n[t]
                multiply(r, h_prev[t], out=rh)  # r ⊙ a<t-1>
                product(rh, w_hn_t, out=tmp)  # W_hn (r ⊙ a<t-1>)
            n += tmp
            tanh(n, out=n)  # n = tanh(...)
            h = out[t]
            subtract(h_prev[t], n, out=h)
            h *= z
            h += n  # a<t> = n + z ⊙ (a<t-1> - n) = (1 - z) ⊙ n + z ⊙ a<t-1>
            if masks is not None:
                masks.end_step(t, h, h_prev[t], h_new[t])
        ctx.save_for_backward(x1, w_ih, w_hh, hs, gates, saved_n, out)
        ctx.masks, ctx.reverse, ctx.reset_after = masks, reverse, reset_after
        return out, _final_state(hs, reverse)

    @staticmethod
    def backward(ctx, g_out, g_hn):
        if ctx.reset_after:
            return _per_argument(ctx, _gru_backward(ctx, g_out, g_hn))
        return _per_argument(ctx, _cho_gru_backward(ctx, g_out, g_hn))


def _gru_backward(ctx, g_out: np.ndarray, g_hn: np.ndarray) -> tuple:
    """FusedGRU's backward with reset_after=True (PyTorch's GRU).

    The gradients of a step live in one row of 4H, ordered ``[dn ⊙ r, dr, dz, dn]``: its last three blocks are what
    the input side needs, [dr, dz, dn], in W_ih's order, and its first three what the recurrent side needs, the
    gradient of ``W_hh a<t-1> + b_hh``, [dn ⊙ r, dr, dz], in W_hh's rows taken in the order n, r, z. Each GEMM of
    backward then reads one contiguous block of columns.
    """
    x1, w_ih, w_hh, hs, gates, saved_hn, out = ctx.saved_tensors
    needs, masks, reverse = ctx.needs_input_grad, ctx.masks, ctx.reverse
    T, B, H = out.shape
    dtype = out.dtype
    h_prev = hs[1:] if reverse else hs[:T]  # (T, B, H): a<t-1> in row t
    w_hh_nrz = np.concatenate([w_hh[2 * H :], w_hh[: 2 * H]])  # (3H, H): W_hh's rows in the order n, r, z
    product, add, multiply = _step_product(B), np.add, np.multiply  # local names: the loop calls them T times
    z_all = gates[..., H : 2 * H]  # (T, B, H)
    grads = _WeightGrads(
        (T, B, w_ih.shape[1]), w_ih, (needs[0], needs[2], needs[4], False), bias_column=True, one_gemm=False
    )
    dw_hh_nrz = db_hh_nrz = None  # dW_hh and db_hh, rows n, r, z
    row_bytes = B * 4 * H * out.itemsize
    chunks = _chunks(T, B, row_bytes, reverse)
    grad_buffer = np.empty((max(b - a for a, b in chunks), B, 4 * H), dtype)  # one chunk's [dn ⊙ r, dr, dz, dn]
    da, tmp = np.empty((B, H), dtype), np.empty((B, H), dtype)
    da_next = np.array(g_hn, dtype)  # from the step after: ∂L/∂h_n at the last step
    da_spare = np.empty((B, H), dtype)
    for start, stop in chunks:
        grad = grad_buffer[: stop - start]  # row t - start for step t
        for lo, hi, steps in _blocks(start, stop, row_bytes, reverse):
            # For the steps of the block at once, what does not depend on da: each gradient's factor ...
            r, z, n = (gates[lo:hi, :, k * H : (k + 1) * H] for k in range(3))  # (steps, B, H) each
            k_nr, k_r, k_z, k_n = (grad[lo - start : hi - start, :, k * H : (k + 1) * H] for k in range(4))
            np.multiply(n, n, out=k_n)
            np.subtract(1, k_n, out=k_n)  # 1 - n²
            np.subtract(1, z, out=k_z)
            k_n *= k_z  # ∂a<t>/∂(n's pre-activation) = (1 - z)(1 - n²)
            k_z *= z
            k_z *= np.subtract(h_prev[lo:hi], n, out=k_r)  # ∂a<t>/∂(z's) = (a<t-1> - n) z (1 - z); k_r as scratch
            np.subtract(1, r, out=k_r)
            k_r *= r
            k_r *= saved_hn[lo:hi]  # ∂(n's pre-activation)/∂(r's) = hn r (1 - r)
            k_nr[...] = r  # ∂(n's pre-activation)/∂hn = r
            by_gate = grad[lo - start : hi - start].reshape(hi - lo, B, 4, H)  # (steps, B, 4, H): a view
            # ... and the steps multiply in da<t>, carried from step to step.
            for t in steps:
                partial = masks is not None and masks.partial[t]
                add(g_out[t], da_next, out=da)  # da<t>: from output<t> and from the step after
                if partial:
                    np.copyto(da, 0, where=masks.inactive[t])  # padding steps get nothing
                d = by_gate[t - lo]  # (B, 4, H): [dn ⊙ r, dr, dz, dn] once multiplied
                d[:, 2:] *= da[:, None, :]  # dz (-dΓu), dn (dc̃<t>)
                d[:, :2] *= d[:, 3:]  # dn ⊙ r;  dr = dn ⊙ hn ⊙ r (1 - r) (dΓr)
                product(grad[t - start, :, : 3 * H], w_hh_nrz, out=da_spare)  # W_hhᵀ [dr, dz, dn ⊙ r] (B, 3H)@(3H, H)
                multiply(da, z_all[t], out=tmp)
                da_spare += tmp  # ... + da<t> ⊙ z: the direct path a<t-1> -> a<t>
                if partial:  # a finished sequence passes its gradient on unchanged
                    np.copyto(da_spare, da_next, where=masks.inactive[t])
                da_next, da_spare = da_spare, da_next
        grads.add_chunk(start, stop, grad[..., H:], x1[start:stop])  # input side: [dr, dz, dn]
        d_rec = grad[..., : 3 * H].reshape((stop - start) * B, 3 * H)  # (rows, 3H): [dn ⊙ r, dr, dz], a view
        if needs[3]:
            rows = h_prev[start:stop].reshape((stop - start) * B, H)  # (rows, H)
            dw_hh_nrz = _add_product(dw_hh_nrz, d_rec, rows)  # dW_hh = Σ_t [dr, dz, dn ⊙ r] a<t-1>ᵀ
        if needs[5]:
            db_hh_nrz = _column_sums(db_hh_nrz, d_rec)  # db_hh = Σ_t [dr, dz, dn ⊙ r]
    dx, dw_ih, db_ih, _ = grads.result()
    dw_hh = None if dw_hh_nrz is None else np.concatenate([dw_hh_nrz[H:], dw_hh_nrz[:H]])  # rows r, z, n
    db_hh = None if db_hh_nrz is None else np.concatenate([db_hh_nrz[H:], db_hh_nrz[:H]])  # r, z, n
    return dx, da_next if needs[1] else None, dw_ih, dw_hh, db_ih, db_hh, None, None, None


def _cho_gru_backward(ctx, g_out: np.ndarray, g_hn: np.ndarray) -> tuple:
    """FusedGRU's backward with reset_after=False (Cho et al.'s GRU, the course's): a step's gradients [dr, dz, dn]
    in one row of 3H, in the order of W_ih's and W_hh's rows."""
    x1, w_ih, w_hh, hs, gates, saved_rh, out = ctx.saved_tensors
    needs, masks, reverse = ctx.needs_input_grad, ctx.masks, ctx.reverse
    T, B, H = out.shape
    dtype = out.dtype
    h_prev = hs[1:] if reverse else hs[:T]  # (T, B, H): a<t-1> in row t
    w_hrz, w_hn = w_hh[: 2 * H], w_hh[2 * H :]  # (2H, H), (H, H)
    product, add, multiply = _step_product(B), np.add, np.multiply  # local names: the loop calls them T times
    r_all, z_all = gates[..., :H], gates[..., H : 2 * H]  # (T, B, H) each
    needed = (needs[0], needs[2], needs[4] or needs[5], False)  # dx, dW_ih, db (db_ih = db_hh), dW_hh: below
    grads = _WeightGrads((T, B, w_ih.shape[1]), w_ih, needed, bias_column=True, one_gemm=False)
    dw_hrz = dw_hn = None  # rows r, z and rows n of dW_hh
    row_bytes = B * 3 * H * out.itemsize
    chunks = _chunks(T, B, row_bytes, reverse)
    dgates_buffer = np.empty((max(b - a for a, b in chunks), B, 3 * H), dtype)  # one chunk's [dr, dz, dn]
    da, drh, tmp = np.empty((B, H), dtype), np.empty((B, H), dtype), np.empty((B, H), dtype)
    da_next = np.array(g_hn, dtype)  # from the step after: ∂L/∂h_n at the last step
    da_spare = np.empty((B, H), dtype)
    for start, stop in chunks:
        dgates = dgates_buffer[: stop - start]  # row t - start for step t
        for lo, hi, steps in _blocks(start, stop, row_bytes, reverse):
            # For the steps of the block at once, what does not depend on da: each gradient's factor ...
            r, z, n = (gates[lo:hi, :, k * H : (k + 1) * H] for k in range(3))  # (steps, B, H) each
            k_r, k_z, k_n = (dgates[lo - start : hi - start, :, k * H : (k + 1) * H] for k in range(3))
            np.multiply(n, n, out=k_n)
            np.subtract(1, k_n, out=k_n)  # 1 - n²
            np.subtract(1, z, out=k_z)
            k_n *= k_z  # ∂a<t>/∂(n's pre-activation) = (1 - z)(1 - n²)
            k_z *= z
            k_z *= np.subtract(h_prev[lo:hi], n, out=k_r)  # ∂a<t>/∂(z's) = (a<t-1> - n) z (1 - z); k_r as scratch
            np.subtract(1, r, out=k_r)
            k_r *= r
            k_r *= h_prev[lo:hi]  # ∂(r ⊙ a<t-1>)/∂(r's pre-activation) = a<t-1> r (1 - r)
            by_gate = dgates[lo - start : hi - start].reshape(hi - lo, B, 3, H)  # (steps, B, 3, H): a view
            # ... and the steps multiply in da<t>, carried from step to step.
            for t in steps:
                partial = masks is not None and masks.partial[t]
                add(g_out[t], da_next, out=da)  # da<t>: from output<t> and from the step after
                if partial:
                    np.copyto(da, 0, where=masks.inactive[t])  # padding steps get nothing
                d = by_gate[t - lo]  # (B, 3, H): [dr, dz, dn] once multiplied
                d[:, 1:] *= da[:, None, :]  # dz (-dΓu), dn (dc̃<t>)
                product(d[:, 2], w_hn, out=drh)  # d(r ⊙ a<t-1>) = W_hnᵀ dn  (B, H) @ (H, H)
                d[:, 0] *= drh  # dr = d(r ⊙ a<t-1>) ⊙ a<t-1> ⊙ r (1 - r)  (dΓr)
                product(dgates[t - start, :, : 2 * H], w_hrz, out=da_spare)  # W_hrᵀ dr + W_hzᵀ dz: (B, 2H) @ (2H, H)
                multiply(drh, r_all[t], out=tmp)
                da_spare += tmp  # ... + d(r ⊙ a<t-1>) ⊙ r
                multiply(da, z_all[t], out=tmp)
                da_spare += tmp  # ... + da<t> ⊙ z: the direct path a<t-1> -> a<t>
                if partial:  # a finished sequence passes its gradient on unchanged
                    np.copyto(da_spare, da_next, where=masks.inactive[t])
                da_next, da_spare = da_spare, da_next
        grads.add_chunk(start, stop, dgates, x1[start:stop])
        if needs[3]:
            rows = (stop - start) * B
            d = dgates.reshape(rows, 3 * H)  # (rows, 3H)
            dw_hrz = _add_product(dw_hrz, d[:, : 2 * H], h_prev[start:stop].reshape(rows, H))  # [dr, dz] a<t-1>ᵀ
            dw_hn = _add_product(dw_hn, d[:, 2 * H :], saved_rh[start:stop].reshape(rows, H))  # dn (r ⊙ a<t-1>)ᵀ
    dx, dw_ih, db, _ = grads.result()
    dw_hh = np.concatenate([dw_hrz, dw_hn]) if needs[3] else None  # (3H, H)
    db_ih = db if needs[4] else None
    db_hh = (db.copy() if needs[4] else db) if needs[5] else None  # every b_hh adds outside the products
    return dx, da_next if needs[1] else None, dw_ih, dw_hh, db_ih, db_hh, None, None, None


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
        x1 = _with_ones(x, masks)  # (T, B, D+1): [x<t>, 1], zeros in the padding
        scale, scale_rows, shift_rows = _gate_affine("st", H, B, dtype)  # σ, tanh
        gates = _input_projection(x1, w_ih, None if b_ih is None else b_ih + b_hh, scale)  # (T, B, 2H)
        w_hh_t = _transposed(w_hh, scale)  # (H, 2H), the σ gate's columns halved
        hs, h_new, h_prev = _state_buffer(h0, T, B, H, dtype, reverse)  # a<t> is h_new[t], a<t-1> is h_prev[t]
        out = h_new if masks is None else np.empty((T, B, H), dtype)  # with padding, outputs differ from states
        product, add, multiply, subtract, tanh = _step_product(B), np.add, np.multiply, np.subtract, np.tanh  # local
        rec = np.empty((B, 2 * H), dtype)
        for t in _steps(T, reverse):
            a = gates[t]  # (B, 2H)
            product(h_prev[t], w_hh_t, out=rec)
            a += rec  # W_ih x<t> + b + W_hh a<t-1>
            tanh(a, out=a)
            multiply(a, scale_rows, out=a)
            add(a, shift_rows, out=a)  # Γu, c̃<t>: σ and tanh (see _gate_affine)
            u, c = a[:, :H], a[:, H:]
            h = out[t]
            subtract(c, h_prev[t], out=h)
            h *= u
            h += h_prev[t]  # a<t> = a<t-1> + Γu ⊙ (c̃<t> - a<t-1>)
            if masks is not None:
                masks.end_step(t, h, h_prev[t], h_new[t])
        ctx.save_for_backward(x1, w_ih, w_hh, hs, gates, out)
        ctx.masks, ctx.reverse = masks, reverse
        return out, _final_state(hs, reverse)

    @staticmethod
    def backward(ctx, g_out, g_hn):
        x1, w_ih, w_hh, hs, gates, out = ctx.saved_tensors
        needs, masks, reverse = ctx.needs_input_grad, ctx.masks, ctx.reverse
        T, B, H = out.shape
        dtype = out.dtype
        h_prev = hs[1:] if reverse else hs[:T]  # (T, B, H): a<t-1> in row t
        product, add, multiply = _step_product(B), np.add, np.multiply  # local names: the loop calls them T times
        needed = (needs[0], needs[2], needs[4] or needs[5], needs[3])  # dx, dW_ih, db, dW_hh
        grads = _WeightGrads((T, B, w_ih.shape[1]), w_ih, needed, bias_column=True, one_gemm=True)
        row_bytes = B * 2 * H * out.itemsize
        chunks = _chunks(T, B, row_bytes, reverse)
        dgates_buffer = np.empty((max(b - a for a, b in chunks), B, 2 * H), dtype)  # one chunk's dgates
        keep_buffer = np.empty((_block_steps(T, row_bytes), B, H), dtype)  # one block's 1 - Γu
        da, tmp = np.empty((B, H), dtype), np.empty((B, H), dtype)
        da_next = np.array(g_hn, dtype)  # from the step after: ∂L/∂h_n at the last step
        da_spare = np.empty((B, H), dtype)
        for start, stop in chunks:
            dgates = dgates_buffer[: stop - start]  # row t - start holds dgates<t>
            for lo, hi, steps in _blocks(start, stop, row_bytes, reverse):
                # For the steps of the block at once, what does not depend on da: dgates starts as each gate's
                # activation derivative times the factor that multiplies it ...
                acts, d = gates[lo:hi], dgates[lo - start : hi - start]  # (steps, B, 2H)
                u, c = acts[..., :H], acts[..., H:]  # (steps, B, H) each
                _sigma_derivatives(acts, d, slice(H, 2 * H))  # σ', tanh'
                keep = keep_buffer[: hi - lo]  # (steps, B, H)
                d[..., :H] *= np.subtract(c, h_prev[lo:hi], out=keep)  # ∂a<t>/∂Γu = c̃<t> - a<t-1>; keep as scratch
                d[..., H:] *= u  # ∂a<t>/∂c̃<t> = Γu
                np.subtract(1, u, out=keep)  # ∂a<t>/∂a<t-1> on the direct path = 1 - Γu
                by_gate = d.reshape(hi - lo, B, 2, H)  # (steps, B, 2, H): a view, one row per gate
                # ... and the steps multiply in da<t>, carried from step to step.
                for t in steps:
                    partial = masks is not None and masks.partial[t]
                    add(g_out[t], da_next, out=da)  # da<t>: from output<t> and from the step after
                    if partial:
                        np.copyto(da, 0, where=masks.inactive[t])  # padding steps get nothing
                    by_gate[t - lo] *= da[:, None, :]  # dΓu, dc̃<t>
                    product(dgates[t - start], w_hh, out=da_spare)  # W_hhᵀ dgates<t>: (B, 2H) @ (2H, H)
                    multiply(da, keep[t - lo], out=tmp)
                    da_spare += tmp  # ... + da<t> ⊙ (1 - Γu): the direct path a<t-1> -> a<t>
                    if partial:  # a finished sequence passes its gradient on unchanged
                        np.copyto(da_spare, da_next, where=masks.inactive[t])
                    da_next, da_spare = da_spare, da_next
            grads.add_chunk(start, stop, dgates, x1[start:stop], h_prev[start:stop])
        dx, dw_ih, db, dw_hh = grads.result()
        db_ih = db if needs[4] else None
        db_hh = (db.copy() if needs[4] else db) if needs[5] else None
        return _per_argument(ctx, (dx, da_next if needs[1] else None, dw_ih, dw_hh, db_ih, db_hh, None, None))
