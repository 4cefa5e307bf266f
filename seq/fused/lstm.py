"""The fused LSTM (see ``seq.fused`` for the conventions)."""

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
