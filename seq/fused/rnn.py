"""The fused tanh/relu RNN: one ``Function`` per layer and direction (see ``seq.fused`` for the conventions)."""

from __future__ import annotations

import numpy as np

from minigrad.autograd import Function
from seq.fused.common import _check_shapes, _input_projection, _masks, _per_argument, _steps, _weight_and_input_grads

__all__ = ["FusedRNN"]


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
