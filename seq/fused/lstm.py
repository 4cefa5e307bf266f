"""The fused LSTM (see ``seq.fused`` for the conventions)."""

from __future__ import annotations

import numpy as np

from minigrad.autograd import Function
from seq.fused.common import (
    _block_steps,
    _blocks,
    _check_shapes,
    _chunks,
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

__all__ = ["FusedLSTM"]


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

    What forward keeps: the gates' activations (T, B, 4H); a<-1>..a<T-1> and c<-1>..c<T-1> in one (T+1, B, H)
    buffer each (without padding the output is a view of the first); tanh(c<t>) (T, B, H); and ``[x<t>, 1]``.
    """

    @staticmethod
    def forward(ctx, x, h0, c0, w_ih, w_hh, b_ih, b_hh, lengths=None, reverse=False):
        T, B, _, H = _check_shapes("FusedLSTM", 4, x, h0, w_ih, w_hh, b_ih, b_hh, lengths, c0)
        dtype = x.dtype
        masks = _masks(lengths, T)
        x1 = _with_ones(x, masks)  # (T, B, D+1): [x<t>, 1], zeros in the padding
        scale, scale_rows, shift_rows = _gate_affine("ssts", H, B, dtype)  # σ, σ, tanh, σ
        # The pre-activations of every step (the σ gates' halved): W_ih x<t> + b now, then W_hh a<t-1> added and the
        # activations written in place, step by step.
        gates = _input_projection(x1, w_ih, None if b_ih is None else b_ih + b_hh, scale)  # (T, B, 4H)
        w_hh_t = _transposed(w_hh, scale)  # (H, 4H), the σ gates' columns halved
        hs, h_new, h_prev = _state_buffer(h0, T, B, H, dtype, reverse)  # a<t> is h_new[t], a<t-1> is h_prev[t]
        cs, c_new, c_prev = _state_buffer(c0, T, B, H, dtype, reverse)  # c<t> is c_new[t], c<t-1> is c_prev[t]
        out = h_new if masks is None else np.empty((T, B, H), dtype)  # with padding, outputs differ from states
        tanh_c = np.empty((T, B, H), dtype)
        i_all, f_all, g_all, o_all = (gates[..., k * H : (k + 1) * H] for k in range(4))  # (T, B, H) views
        product, add, multiply, tanh = _step_product(B), np.add, np.multiply, np.tanh  # local names: called T times
        rec = np.empty((B, 4 * H), dtype)
        ig = np.empty((B, H), dtype)
        for t in _steps(T, reverse):
            a = gates[t]  # (B, 4H)
            product(h_prev[t], w_hh_t, out=rec)
            a += rec  # W_ih x<t> + b + W_hh a<t-1>
            tanh(a, out=a)
            multiply(a, scale_rows, out=a)
            add(a, shift_rows, out=a)  # Γu, Γf, c̃<t>, Γo: σ or tanh of each gate (see _gate_affine)
            c, tc = c_new[t], tanh_c[t]  # (B, H) each
            multiply(f_all[t], c_prev[t], out=c)
            multiply(i_all[t], g_all[t], out=ig)
            c += ig  # c<t> = Γf ⊙ c<t-1> + Γu ⊙ c̃<t>
            tanh(c, out=tc)
            multiply(o_all[t], tc, out=out[t])  # a<t> = Γo ⊙ tanh(c<t>)
            if masks is not None:
                masks.end_step(t, out[t], h_prev[t], h_new[t])
                if masks.partial[t]:
                    np.copyto(c, c_prev[t], where=masks.inactive[t])  # finished sequences keep their cell too
        ctx.save_for_backward(x1, w_ih, w_hh, hs, cs, tanh_c, gates, out)
        ctx.masks, ctx.reverse = masks, reverse
        return out, _final_state(hs, reverse), _final_state(cs, reverse)

    @staticmethod
    def backward(ctx, g_out, g_hn, g_cn):
        x1, w_ih, w_hh, hs, cs, tanh_c, gates, out = ctx.saved_tensors
        needs, masks, reverse = ctx.needs_input_grad, ctx.masks, ctx.reverse
        T, B, H = out.shape
        dtype = out.dtype
        h_prev = hs[1:] if reverse else hs[:T]  # (T, B, H): a<t-1> in row t
        c_prev = cs[1:] if reverse else cs[:T]  # (T, B, H): c<t-1> in row t
        product, add, multiply = _step_product(B), np.add, np.multiply  # local names: the loop calls them T times
        f_all = gates[..., H : 2 * H]  # (T, B, H): Γf
        needed = (needs[0], needs[3], needs[5] or needs[6], needs[4])  # dx, dW_ih, db, dW_hh
        grads = _WeightGrads((T, B, w_ih.shape[1]), w_ih, needed, bias_column=True, one_gemm=True)
        row_bytes = B * 4 * H * out.itemsize
        chunks = _chunks(T, B, row_bytes, reverse)
        dgates_buffer = np.empty((max(b - a for a, b in chunks), B, 4 * H), dtype)  # one chunk's dgates
        a_to_c_buffer = np.empty((_block_steps(T, row_bytes), B, H), dtype)  # one block's ∂a<t>/∂c<t>
        da, dc = np.empty((B, H), dtype), np.empty((B, H), dtype)  # da<t>, dc<t>
        da_next, dc_next = np.array(g_hn, dtype), np.array(g_cn, dtype)  # from the step after: ∂L/∂h_n, ∂L/∂c_n
        da_spare, dc_spare = np.empty((B, H), dtype), np.empty((B, H), dtype)
        for start, stop in chunks:
            dgates = dgates_buffer[: stop - start]  # row t - start holds dgates<t>
            for lo, hi, steps in _blocks(start, stop, row_bytes, reverse):
                # For the steps of the block at once, what does not depend on da, dc: dgates starts as each gate's
                # activation derivative times the factor that multiplies it ...
                acts, d = gates[lo:hi], dgates[lo - start : hi - start]  # (steps, B, 4H)
                i, g, o = acts[..., :H], acts[..., 2 * H : 3 * H], acts[..., 3 * H :]  # (steps, B, H) each
                _sigma_derivatives(acts, d, slice(2 * H, 3 * H))  # σ', σ', tanh', σ'
                d[..., :H] *= g  # ∂c<t>/∂Γu = c̃<t>
                d[..., H : 2 * H] *= c_prev[lo:hi]  # ∂c<t>/∂Γf = c<t-1>
                d[..., 2 * H : 3 * H] *= i  # ∂c<t>/∂c̃<t> = Γu
                d[..., 3 * H :] *= tanh_c[lo:hi]  # ∂a<t>/∂Γo = tanh(c<t>)
                a_to_c = a_to_c_buffer[: hi - lo]  # (steps, B, H)
                np.multiply(tanh_c[lo:hi], tanh_c[lo:hi], out=a_to_c)
                np.subtract(1, a_to_c, out=a_to_c)
                a_to_c *= o  # ∂a<t>/∂c<t> = Γo ⊙ (1 - tanh²(c<t>))
                by_gate = d.reshape(hi - lo, B, 4, H)  # (steps, B, 4, H): a view, one row per gate
                # ... and the steps multiply in da<t> and dc<t>, carried from step to step.
                for t in steps:
                    partial = masks is not None and masks.partial[t]
                    add(g_out[t], da_next, out=da)  # da<t>: from output<t> and from the step after
                    multiply(da, a_to_c[t - lo], out=dc)
                    dc += dc_next  # dc<t> = da<t> ⊙ Γo ⊙ (1 - tanh²(c<t>)) + dc<t+1> ⊙ Γf<t+1>
                    if partial:  # padding steps get nothing
                        np.copyto(da, 0, where=masks.inactive[t])
                        np.copyto(dc, 0, where=masks.inactive[t])
                    d_t = by_gate[t - lo]  # (B, 4, H)
                    d_t[:, 3] *= da  # dΓo = da<t> ⊙ tanh(c<t>), times σ'
                    d_t[:, :3] *= dc[:, None, :]  # dΓu = dc<t> ⊙ c̃<t>, dΓf = dc<t> ⊙ c<t-1>, dc̃<t> = dc<t> ⊙ Γu
                    multiply(dc, f_all[t], out=dc_spare)  # dc<t-1> = dc<t> ⊙ Γf
                    product(dgates[t - start], w_hh, out=da_spare)  # da<t-1> = W_hhᵀ dgates<t>  (B, 4H) @ (4H, H)
                    if partial:  # a finished sequence passes its gradients on unchanged
                        np.copyto(da_spare, da_next, where=masks.inactive[t])
                        np.copyto(dc_spare, dc_next, where=masks.inactive[t])
                    da_next, da_spare = da_spare, da_next
                    dc_next, dc_spare = dc_spare, dc_next
            grads.add_chunk(start, stop, dgates, x1[start:stop], h_prev[start:stop])
        dx, dw_ih, db, dw_hh = grads.result()
        db_ih = db if needs[5] else None
        db_hh = (db.copy() if needs[5] else db) if needs[6] else None
        dh0, dc0 = (da_next if needs[1] else None), (dc_next if needs[2] else None)
        return _per_argument(ctx, (dx, dh0, dc0, dw_ih, dw_hh, db_ih, db_hh, None, None))
