"""The fused GRU (PyTorch's and Cho et al.'s) and the course's minimal GRU (see ``seq.fused`` for the conventions)."""

from __future__ import annotations

import numpy as np

from minigrad.autograd import Function
from seq.fused.common import (
    _activate,
    _activation_derivatives,
    _check_shapes,
    _gate_affine,
    _input_projection,
    _masks,
    _per_argument,
    _steps,
    _weight_and_input_grads,
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
