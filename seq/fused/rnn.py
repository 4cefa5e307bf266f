"""The fused tanh/relu RNN: one ``Function`` per layer and direction (see ``seq.fused`` for the conventions)."""

from __future__ import annotations

import numpy as np

from minigrad.autograd import Function
from seq.fused.common import (
    _blocks,
    _check_shapes,
    _chunks,
    _final_state,
    _masks,
    _per_argument,
    _state_buffer,
    _step_product,
    _steps,
    _transposed,
    _WeightGrads,
)

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

    Every state a<-1>..a<T-1> lives in one (T+1, B, H) buffer; without padding the output is a view of it (the
    states *are* the outputs), so forward keeps one array of T·B·H, and each step is a product, an add and a tanh
    written in place.
    """

    @staticmethod
    def forward(ctx, x, h0, w_ih, w_hh, b_ih, b_hh, lengths=None, reverse=False, nonlinearity="tanh"):
        T, B, D, H = _check_shapes("FusedRNN", 1, x, h0, w_ih, w_hh, b_ih, b_hh, lengths)
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"FusedRNN: nonlinearity must be 'tanh' or 'relu'; got {nonlinearity!r}")
        dtype = x.dtype
        masks = _masks(lengths, T)
        if masks is not None:
            x = masks.zero_padding(x)  # (T, B, D): the padding never enters (NaN or inf would reach the gradients)
        states, new, prev = _state_buffer(h0, T, B, H, dtype, reverse)  # a<t> is new[t], a<t-1> is prev[t]
        # With padding a finished sequence keeps its state but outputs zeros: the output is then an array of its own.
        out = new if masks is None else np.empty((T, B, H), dtype)  # (T, B, H)
        np.matmul(x.reshape(T * B, D), _transposed(w_ih), out=out.reshape(T * B, H))  # W_ih x<t>, all steps: one GEMM
        if b_ih is not None:
            out += b_ih + b_hh
        w_hh_t = _transposed(w_hh)  # (H, H)
        use_tanh = nonlinearity == "tanh"
        product, tanh, maximum = _step_product(B), np.tanh, np.maximum  # local names: the loop calls them T times
        rec = np.empty((B, H), dtype)
        for t in _steps(T, reverse):
            z = out[t]  # (B, H): W_ih x<t> + b so far
            product(prev[t], w_hh_t, rec)
            z += rec  # z<t> = W_ih x<t> + b + W_hh a<t-1>
            if use_tanh:
                tanh(z, out=z)  # a<t> = tanh(z<t>)
            else:
                maximum(z, 0, out=z)  # a<t> = relu(z<t>)
            if masks is not None:
                masks.end_step(t, z, prev[t], new[t])
        ctx.save_for_backward(x, w_ih, w_hh, states, out)
        ctx.masks, ctx.reverse, ctx.tanh = masks, reverse, use_tanh
        return out, _final_state(states, reverse)

    @staticmethod
    def backward(ctx, g_out, g_hn):
        x, w_ih, w_hh, states, out = ctx.saved_tensors
        needs, masks, reverse = ctx.needs_input_grad, ctx.masks, ctx.reverse
        T, B, H = out.shape
        prev = states[1:] if reverse else states[:T]  # (T, B, H): a<t-1> in row t
        product, add = _step_product(B), np.add  # local names: the loop calls them T times
        grads = _WeightGrads(
            x.shape, w_ih, (needs[0], needs[2], needs[4] or needs[5], needs[3]), bias_column=False, one_gemm=False
        )
        chunks = _chunks(T, B, B * H * out.itemsize, reverse)
        dz_buffer = np.empty((max(b - a for a, b in chunks), B, H), out.dtype)  # dz<t> of one chunk of steps
        da = np.empty((B, H), out.dtype)
        da_next = np.array(g_hn, out.dtype)  # ∂L/∂a<t> from the step after: ∂L/∂h_n at the last step
        da_spare = np.empty((B, H), out.dtype)
        for start, stop in chunks:
            dz = dz_buffer[: stop - start]  # row t - start holds dz<t>
            for lo, hi, steps in _blocks(start, stop, B * H * out.itemsize, reverse):
                k = dz[lo - start : hi - start]  # act'(z<t>) for the steps of the block at once
                if ctx.tanh:
                    np.multiply(out[lo:hi], out[lo:hi], out=k)
                    np.subtract(1, k, out=k)  # d tanh(z)/dz = 1 - a²
                else:
                    np.greater(out[lo:hi], 0, out=k)  # d relu(z)/dz = [a > 0]
                for t in steps:
                    partial = masks is not None and masks.partial[t]
                    add(g_out[t], da_next, out=da)  # da<t>: from output<t> and from the step after
                    if partial:
                        np.copyto(da, 0, where=masks.inactive[t])  # padding steps get nothing
                    dz_t = dz[t - start]
                    dz_t *= da  # dz<t> = da<t> ⊙ act'(z<t>)
                    product(dz_t, w_hh, out=da_spare)  # da<t-1> = W_hhᵀ dz<t>  (B, H) @ (H, H)
                    if partial:
                        np.copyto(da_spare, da_next, where=masks.inactive[t])  # a finished sequence passes it on
                    da_next, da_spare = da_spare, da_next
            grads.add_chunk(start, stop, dz, x[start:stop], prev[start:stop])
        dx, dw_ih, db, dw_hh = grads.result()
        db_ih = db if needs[4] else None
        db_hh = (db.copy() if needs[4] else db) if needs[5] else None
        dh0 = da_next if needs[1] else None
        return _per_argument(ctx, (dx, dh0, dw_ih, dw_hh, db_ih, db_hh, None, None, None))
