"""The references the benchmarks time minigrad against: recurrent layers and an op chain, by hand in NumPy.

Each function computes a forward pass, a loss and the backward pass to every input, written the way a
performance-minded engineer writes it by hand. They are the floor that an engine built on NumPy can
hope to reach, so every trick that keeps the arithmetic the same is used:

- the input projection of all T steps is one GEMM, ``[x<t>, 1] @ [W_ih, b]ᵀ`` (the bias rides along as a
  column of ones, so the projection needs no separate pass to add it);
- one GEMM per step for all the gates' recurrent part, added into a preallocated ``(T, B, G*H)`` buffer,
  and the activations computed in place on that buffer;
- σ(z) = (1 + tanh(z/2)) / 2, with the /2 folded into a scaled copy of the σ gates' weights: one tanh over
  the whole gate row, then one multiply and one add;
- in backward, the factors that do not depend on the incoming gradient are computed for all steps at once
  before the loop, and the loop does one ``dgates @ W_hh`` GEMM per step and a few in-place multiplies;
- ``dW_ih``, ``db`` and ``dW_hh`` come out of one GEMM over all steps, ``dgatesᵀ @ [x<t>, 1, h<t-1>]``
  (``h<t-1>`` is kept beside ``x<t>`` in one buffer for exactly this), and ``dx`` out of one more;
- no allocation inside the time loops: every per-step result goes to a slice of a buffer (``out=``).

The workload of the recurrent references is the one ``rnn_bptt.py`` times: one layer, one direction,
``loss = 0.5 Σ_t |h<t>|²`` over every step's output, gradients of ``x`` (unless ``input_grad=False``) and of
the four weights, with ``h0`` (and ``c0``) given as constants. Shapes and names as ``torch.nn``: x (T, B, D),
h0 and c0 (B, H), weight_ih (G*H, D), weight_hh (G*H, H), bias_ih and bias_hh (G*H,). Each returns
``(loss, grads)`` with ``grads`` a dict keyed ``"x"``, ``"weight_ih_l0"``, ``"weight_hh_l0"``, ``"bias_ih_l0"``,
``"bias_hh_l0"``.

Every reference is checked against minigrad's fused path on the same data before it is timed (and by
``test_references.py``).
"""

from __future__ import annotations

import numpy as np

# The ufuncs, looked up once: the time loops call them with positional ``out`` arguments.
add, subtract, multiply, tanh, matmul = np.add, np.subtract, np.multiply, np.tanh, np.matmul


def _step_product(B: int):
    """The function for the per-step products: the method ``ndarray.dot`` for one row (B = 1: it costs less per call,
    which is what counts then; the method skips the dispatch of ``np.dot``), else ``np.matmul`` (measured faster on
    larger operands, and it hands a strided slice to BLAS as it is where ``dot`` would copy it first)."""
    return np.ndarray.dot if B == 1 else np.matmul


def _transposed(w: np.ndarray, scale: np.ndarray | None = None) -> np.ndarray:
    """``Wᵀ`` as a C-contiguous copy, its columns multiplied by ``scale`` if given: the right operand of the per-step
    products ``h @ Wᵀ``. BLAS multiplies by a contiguous copy faster than by the transposed view ``W.T`` (by 10-35%
    at the benchmark's sizes, measured), and the copy is made once per call, 64 rows of W at a time (NumPy copies a
    whole transposed matrix 9x slower at 2048 x 512)."""
    out = np.empty(w.shape[::-1], w.dtype)  # (in, out)
    for start in range(0, w.shape[0], 64):
        out[:, start : start + 64] = w[start : start + 64].T  # (in, 64)
    if scale is not None:
        multiply(out, scale, out)
    return out


def _with_ones_column(x: np.ndarray, H: int) -> np.ndarray:
    """A (T+1, B, D+1+H) buffer whose row t is ``[x<t>, 1, h<t-1>]``: the h part is filled by the forward loop.

    Row T holds only the last state h<T-1> (its x part is zero). ``buffer[:T]`` is then the right-hand
    side of one GEMM that gives dW_ih, db and dW_hh together.
    """
    T, B, D = x.shape
    xh = np.empty((T + 1, B, D + 1 + H), x.dtype)  # (T+1, B, D+1+H)
    xh[:T, :, :D] = x
    xh[T, :, :D] = 0
    xh[:, :, D] = 1
    return xh


def _gate_scale(kinds: str, H: int, dtype: np.dtype) -> tuple[np.ndarray, np.ndarray]:
    """Per-column (scale, shift): σ gates ("s") get (1/2, 1/2), tanh gates ("t") get (1, 0).

    With the pre-activation z scaled by ``scale`` (folded into the weights), ``tanh(scale z) * scale + shift``
    is σ(z) = (1 + tanh(z/2)) / 2 on a σ gate and tanh(z) on a tanh gate.
    """
    scale = np.repeat([0.5 if k == "s" else 1.0 for k in kinds], H).astype(dtype)  # (G*H,)
    shift = np.repeat([0.5 if k == "s" else 0.0 for k in kinds], H).astype(dtype)  # (G*H,)
    return scale, shift


def _projection(xh: np.ndarray, w_ih: np.ndarray, bias: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """``scale ⊙ (W_ih x<t> + bias)`` for every step as ONE GEMM with the bias as a column: (T, B, G*H)."""
    T, B = xh.shape[0] - 1, xh.shape[1]
    D = w_ih.shape[1]
    w = np.empty((w_ih.shape[0], D + 1), xh.dtype)  # [W_ih, bias], each row scaled
    multiply(w_ih, scale[:, None], w[:, :D])
    multiply(bias, scale, w[:, D])
    return matmul(xh[:T, :, : D + 1].reshape(T * B, D + 1), w.T).reshape(T, B, -1)  # (T*B, D+1) @ (D+1, G*H)


def _half_sum_of_squares(hs: np.ndarray, scratch: np.ndarray) -> float:
    """0.5 Σ hs², with hs² written to a contiguous scratch buffer (a strided view would be copied by np.vdot)."""
    multiply(hs, hs, scratch)
    return 0.5 * float(scratch.sum())


def _blocks(T: int, step_bytes: int, budget: int = 1 << 19) -> list[tuple[int, int]]:
    """The steps in blocks of about ``budget`` bytes of gate rows, last block first: ``[(start, stop), ...]``.

    Backward computes the factors that do not depend on the incoming gradient for a whole block at once (one
    ufunc call per factor instead of one per step, which is what counts when a step is small), while the
    block's rows stay in the CPU's cache for the step loop that follows (which counts when a step is large).
    """
    steps = max(1, min(T, budget // step_bytes))
    return [(max(0, stop - steps), stop) for stop in range(T, 0, -steps)]


def _split_weight_grads(dw: np.ndarray, D: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(dW_ih, db, dW_hh) from the (G*H, D+1+H) gradient of ``[W_ih, b, W_hh]``."""
    return dw[:, :D], dw[:, D], dw[:, D + 1 :]


# --------------------------------------------------------------------------------------------------
# LSTM (gates i, f, g, o)
# --------------------------------------------------------------------------------------------------


def lstm(x, h0, c0, w_ih, w_hh, b_ih, b_hh, input_grad: bool = True) -> tuple[float, dict]:
    """LSTM: ``c<t> = f ⊙ c<t-1> + i ⊙ g``, ``h<t> = o ⊙ tanh(c<t>)``; loss 0.5 Σ|h<t>|²; backward by hand.

    Backward, with dh<t> = h<t> (from the loss) + W_hhᵀ dgates<t+1> and dc<t> carried through f::

        dc<t> = dc<t+1> ⊙ f<t+1> + dh<t> ⊙ o ⊙ (1 - tanh²(c<t>))
        d[i, f, g, o] = [dc ⊙ g, dc ⊙ c<t-1>, dc ⊙ i, dh ⊙ tanh(c<t>)] ⊙ [σ', σ', tanh', σ']
    """
    T, B, D = x.shape
    H = w_hh.shape[1]
    dtype = x.dtype
    product = _step_product(B)
    # ---- forward
    scale, shift = _gate_scale("ssts", H, dtype)
    scale_rows, shift_rows = np.tile(scale, (B, 1)), np.tile(shift, (B, 1))  # (B, 4H): see below
    xh = _with_ones_column(x, H)  # row t: [x<t>, 1, h<t-1>]
    xh[0, :, D + 1 :] = h0
    acts = _projection(xh, w_ih, b_ih + b_hh, scale)  # (T, B, 4H): pre-activations (σ gates halved), then i, f, g, o
    w_hh_t = _transposed(w_hh, scale)  # (H, 4H), the σ gates' columns halved
    cs = np.empty((T + 1, B, H), dtype)  # c<t-1> in row t
    cs[0] = c0
    tanh_c = np.empty((T, B, H), dtype)
    rec = np.empty((B, 4 * H), dtype)
    ig = np.empty((B, H), dtype)
    for t in range(T):
        a = acts[t]  # (B, 4H)
        product(xh[t, :, D + 1 :], w_hh_t, rec)
        a += rec
        tanh(a, a)
        a *= scale_rows  # (a full (B, 4H) operand: NumPy broadcasts a (4H,) row over B rows at 2.5x the cost)
        a += shift_rows  # i, f, g, o
        c = cs[t + 1]
        multiply(a[:, H : 2 * H], cs[t], c)
        multiply(a[:, :H], a[:, 2 * H : 3 * H], ig)
        c += ig  # c<t> = f ⊙ c<t-1> + i ⊙ g
        tanh(c, tanh_c[t])
        multiply(a[:, 3 * H :], tanh_c[t], xh[t + 1, :, D + 1 :])  # h<t> = o ⊙ tanh(c<t>)
    hs = xh[1:, :, D + 1 :]  # (T, B, H): h<0..T-1>
    dgates = np.empty((T, B, 4 * H), dtype)
    loss = _half_sum_of_squares(hs, dgates[..., :H])
    # ---- backward
    by_gate = dgates.reshape(T, B, 4, H)  # (T, B, 4, H): a view
    dh = np.empty((B, H), dtype)
    dh_next = np.zeros((B, H), dtype)
    dc = np.zeros((B, H), dtype)
    tmp = np.empty((B, H), dtype)
    blocks = _blocks(T, B * 4 * H * dtype.itemsize)
    h_to_c_block = np.empty((blocks[0][1] - blocks[0][0], B, H), dtype)
    for start, stop in blocks:
        # the factors that do not depend on dh, dc, for the steps of the block at once
        a, d_all = acts[start:stop], dgates[start:stop]  # (steps, B, 4H)
        i_all, _, g_all, o_all = (a[..., k * H : (k + 1) * H] for k in range(4))  # (steps, B, H) each (f: below)
        tc = tanh_c[start:stop]
        subtract(1, a, d_all)
        d_all *= a  # σ' = σ (1 - σ), on the g block replaced next
        dg = d_all[..., 2 * H : 3 * H]
        multiply(g_all, g_all, dg)
        subtract(1, dg, dg)  # tanh' = 1 - g²
        d_all[..., :H] *= g_all  # ∂c/∂i = g
        d_all[..., H : 2 * H] *= cs[start:stop]  # ∂c/∂f = c<t-1>
        dg *= i_all  # ∂c/∂g = i
        d_all[..., 3 * H :] *= tc  # ∂h/∂o = tanh(c<t>)
        h_to_c = h_to_c_block[: stop - start]
        multiply(tc, tc, h_to_c)
        subtract(1, h_to_c, h_to_c)
        h_to_c *= o_all  # ∂h<t>/∂c<t> = o ⊙ (1 - tanh²(c<t>))
        # the steps of the block, carrying dh and dc
        for t in range(stop - 1, start - 1, -1):
            add(hs[t], dh_next, dh)  # dh<t> = h<t> + W_hhᵀ dgates<t+1>
            multiply(dh, h_to_c[t - start], tmp)
            dc += tmp  # dc<t>
            d = by_gate[t]  # (B, 4, H)
            d[:, 3] *= dh  # do
            d[:, :3] *= dc[:, None, :]  # di, df, dg
            dc *= acts[t, :, H : 2 * H]  # dc<t-1> = dc<t> ⊙ f
            product(dgates[t], w_hh, dh_next)  # W_hhᵀ dgates<t>: (B, 4H) @ (4H, H)
    flat = dgates.reshape(T * B, 4 * H)  # (T*B, 4H)
    dw = matmul(flat.T, xh[:T].reshape(T * B, D + 1 + H))  # (4H, D+1+H): [dW_ih, db, dW_hh] in one GEMM
    dw_ih, db, dw_hh = _split_weight_grads(dw, D)
    grads = {"weight_ih_l0": dw_ih, "weight_hh_l0": dw_hh, "bias_ih_l0": db, "bias_hh_l0": db.copy()}
    if input_grad:
        grads["x"] = matmul(flat, w_ih).reshape(T, B, D)  # dx<t> = W_ihᵀ dgates<t>
    return loss, grads


# --------------------------------------------------------------------------------------------------
# GRU (gates r, z, n; PyTorch's formulation: the reset gate multiplies W_hn h + b_hn)
# --------------------------------------------------------------------------------------------------


def gru(x, h0, w_ih, w_hh, b_ih, b_hh, input_grad: bool = True) -> tuple[float, dict]:
    """GRU as ``torch.nn.GRU``; loss 0.5 Σ|h<t>|²; backward by hand.

    Forward::

        r = σ(W_ir x + b_ir + W_hr h + b_hr),  z = σ(W_iz x + b_iz + W_hz h + b_hz)
        n = tanh(W_in x + b_in + r ⊙ hn),      hn = W_hn h + b_hn
        h<t> = (1 - z) ⊙ n + z ⊙ h<t-1> = n + z ⊙ (h<t-1> - n)

    Backward, with dh<t> = h<t> + (the gradient from step t+1)::

        dn = dh ⊙ (1 - z) ⊙ (1 - n²);  dz = dh ⊙ (h<t-1> - n) ⊙ z (1 - z);  dr = dn ⊙ hn ⊙ r (1 - r)
        dh<t-1> = dh ⊙ z + W_hhᵀ [dr, dz, dn ⊙ r]

    The gradients live in one (T, B, 4H) buffer ordered [dn, dz, dr, dn ⊙ r]: its first three blocks are the
    input side's [dn, dz, dr] and its last three the recurrent side's [dz, dr, dn ⊙ r], each contiguous, so
    every GEMM of backward reads one slice (with the weights' rows permuted to match: n, z, r and z, r, n).
    """
    T, B, D = x.shape
    H = w_hh.shape[1]
    dtype = x.dtype
    product = _step_product(B)
    # ---- forward
    scale, _ = _gate_scale("sst", H, dtype)
    bias = b_ih.copy()
    bias[: 2 * H] += b_hh[: 2 * H]  # b_hr, b_hz add outside the gates; b_hn stays inside r ⊙ (W_hn h + b_hn)
    xh = _with_ones_column(x, H)  # row t: [x<t>, 1, h<t-1>]; the 1 also gives db_hh below
    xh[0, :, D + 1 :] = h0
    acts = _projection(xh, w_ih, bias, scale)  # (T, B, 3H): pre-activations (r, z halved), then r, z, n
    w_hh_t = _transposed(w_hh, scale)  # (H, 3H), the r and z columns halved
    b_hn = b_hh[2 * H :]
    hn = np.empty((T, B, H), dtype)  # W_hn h<t-1> + b_hn
    rec = np.empty((B, 3 * H), dtype)
    tmp = np.empty((B, H), dtype)
    for t in range(T):
        a = acts[t]  # (B, 3H)
        rz, r, z, n = a[:, : 2 * H], a[:, :H], a[:, H : 2 * H], a[:, 2 * H :]
        h_prev = xh[t, :, D + 1 :]
        product(h_prev, w_hh_t, rec)
        rz += rec[:, : 2 * H]
        tanh(rz, rz)
        rz *= 0.5
        rz += 0.5  # r, z = σ(...) = (1 + tanh(.../2)) / 2
        add(rec[:, 2 * H :], b_hn, hn[t])
        multiply(r, hn[t], tmp)
        n += tmp
        tanh(n, n)  # n = tanh(W_in x + b_in + r ⊙ hn)
        h_new = xh[t + 1, :, D + 1 :]
        subtract(h_prev, n, h_new)
        h_new *= z
        h_new += n  # h<t> = n + z ⊙ (h<t-1> - n)
    hs = xh[1:, :, D + 1 :]  # (T, B, H)
    grad = np.empty((T, B, 4 * H), dtype)
    loss = _half_sum_of_squares(hs, grad[..., :H])
    # ---- backward
    by_gate = grad.reshape(T, B, 4, H)  # (T, B, 4, H): a view
    w_hh_zrn = np.concatenate([w_hh[H : 2 * H], w_hh[:H], w_hh[2 * H :]])  # (3H, H): rows z, r, n
    dh = np.empty((B, H), dtype)
    dh_next = np.zeros((B, H), dtype)
    for start, stop in _blocks(T, B * 4 * H * dtype.itemsize):
        # the factors that do not depend on dh, for the steps of the block at once, in [dn, dz, dr, r] order
        r_all, z_all, n_all = (acts[start:stop, :, k * H : (k + 1) * H] for k in range(3))  # (steps, B, H) each
        k_n, k_z, k_r, k_hn = (grad[start:stop, :, k * H : (k + 1) * H] for k in range(4))  # (steps, B, H) each
        multiply(n_all, n_all, k_n)
        subtract(1, k_n, k_n)  # 1 - n²
        subtract(1, z_all, k_z)  # 1 - z
        k_n *= k_z  # ∂h/∂(n's pre-activation) = (1 - z)(1 - n²)
        k_z *= z_all
        k_z *= subtract(xh[start:stop, :, D + 1 :], n_all, k_r)  # ... z's: (h<t-1> - n) z (1 - z); k_r as scratch
        subtract(1, r_all, k_r)
        k_r *= r_all
        k_r *= hn[start:stop]  # ∂(n's pre-activation)/∂(r's pre-activation) = hn r (1 - r)
        k_hn[...] = r_all  # ∂(n's pre-activation)/∂hn = r
        # the steps of the block, carrying dh
        for t in range(stop - 1, start - 1, -1):
            add(hs[t], dh_next, dh)  # dh<t>
            d = by_gate[t]  # (B, 4, H): [dn, dz, dr, dn ⊙ r] once scaled
            d[:, :2] *= dh[:, None, :]  # dn, dz
            d[:, 2:] *= d[:, :1]  # dr = dn ⊙ hn ⊙ r (1 - r);  dn ⊙ r
            product(grad[t, :, H:], w_hh_zrn, dh_next)  # W_hhᵀ [dr, dz, dn ⊙ r]: (B, 3H) @ (3H, H)
            multiply(dh, acts[t, :, H : 2 * H], tmp)
            dh_next += tmp  # + dh ⊙ z
    flat = grad.reshape(T * B, 4 * H)  # (T*B, 4H)
    rows = xh[:T].reshape(T * B, D + 1 + H)  # (T*B, D+1+H)
    dw_in = matmul(flat[:, : 3 * H].T, rows[:, : D + 1])  # (3H, D+1): [dW_ih, db_ih] in rows n, z, r
    dw_rec = matmul(flat[:, H:].T, rows[:, D:])  # (3H, 1+H): [db_hh, dW_hh] in rows z, r, n
    dw_in = np.concatenate([dw_in[2 * H :], dw_in[H : 2 * H], dw_in[:H]])  # rows r, z, n
    dw_rec = np.concatenate([dw_rec[H : 2 * H], dw_rec[:H], dw_rec[2 * H :]])  # rows r, z, n
    grads = {"weight_ih_l0": dw_in[:, :D], "weight_hh_l0": dw_rec[:, 1:], "bias_ih_l0": dw_in[:, D]}
    grads["bias_hh_l0"] = dw_rec[:, 0]
    if input_grad:
        w_ih_nzr = np.concatenate([w_ih[2 * H :], w_ih[H : 2 * H], w_ih[:H]])  # (3H, D): rows n, z, r
        grads["x"] = matmul(flat[:, : 3 * H], w_ih_nzr).reshape(T, B, D)  # dx<t> = W_ihᵀ [dr, dz, dn]
    return loss, grads


# --------------------------------------------------------------------------------------------------
# Elman RNN (tanh)
# --------------------------------------------------------------------------------------------------


def rnn(x, h0, w_ih, w_hh, b_ih, b_hh, input_grad: bool = True) -> tuple[float, dict]:
    """tanh RNN: ``h<t> = tanh(W_ih x<t> + b_ih + W_hh h<t-1> + b_hh)``; loss 0.5 Σ|h<t>|²; backward by hand.

    Backward: ``dz<t> = (h<t> + W_hhᵀ dz<t+1>) ⊙ (1 - h<t>²)``. With a single gate the ones column does not
    pay for the copy of x it needs (measured), so the bias is added and summed in a pass of its own here.
    """
    T, B, D = x.shape
    H = w_hh.shape[1]
    dtype = x.dtype
    product = _step_product(B)
    # ---- forward
    x_flat = x.reshape(T * B, D)  # (T*B, D)
    pre = matmul(x_flat, w_ih.T).reshape(T, B, H)  # (T, B, H): W_ih x<t> + b for every step, one GEMM
    pre += b_ih + b_hh
    hs = np.empty((T + 1, B, H), dtype)  # h<t-1> in row t
    hs[0] = h0
    w_hh_t = _transposed(w_hh)  # (H, H)
    rec = np.empty((B, H), dtype)
    for t in range(T):
        h_new = hs[t + 1]
        product(hs[t], w_hh_t, rec)
        add(pre[t], rec, h_new)
        tanh(h_new, h_new)  # h<t>
    out = hs[1:]  # (T, B, H)
    loss = 0.5 * float(np.vdot(out, out))
    # ---- backward, in the buffer of the pre-activations
    dz = pre
    dh = np.empty((B, H), dtype)
    dh_next = np.zeros((B, H), dtype)
    for start, stop in _blocks(T, B * H * dtype.itemsize):
        block = dz[start:stop]
        multiply(out[start:stop], out[start:stop], block)
        subtract(1, block, block)  # tanh' = 1 - h², for the steps of the block at once
        for t in range(stop - 1, start - 1, -1):
            add(out[t], dh_next, dh)  # dh<t> = h<t> + W_hhᵀ dz<t+1>
            dz[t] *= dh  # dz<t>
            product(dz[t], w_hh, dh_next)
    flat = dz.reshape(T * B, H)  # (T*B, H)
    db = flat.sum(axis=0)
    grads = {"weight_ih_l0": matmul(flat.T, x_flat), "weight_hh_l0": matmul(flat.T, hs[:T].reshape(T * B, H))}
    grads["bias_ih_l0"], grads["bias_hh_l0"] = db, db.copy()
    if input_grad:
        grads["x"] = matmul(flat, w_ih).reshape(T, B, D)  # dx<t> = W_ihᵀ dz<t>
    return loss, grads


# --------------------------------------------------------------------------------------------------
# The op chain: y + a, y * m, tanh(y), ... then sum(y)
# --------------------------------------------------------------------------------------------------


def op_chain(x: np.ndarray, add_c: np.ndarray, mul_c: np.ndarray, n_ops: int) -> tuple[float, np.ndarray]:
    """``y = x``; op k is ``y + add_c``, ``y * mul_c``, ``tanh(y)`` for k % 3 = 0, 1, 2; loss ``sum(y)``.

    Returns (loss, dloss/dx). A plain loop of ufuncs, one call per op: the forward keeps, in a list, what
    each op's derivative needs (the output of tanh; nothing for + and *), the backward walks the list once
    in reverse. Every result goes to a preallocated buffer (``out=``).
    """
    add, multiply, subtract, tanh = np.add, np.multiply, np.subtract, np.tanh  # local names: faster lookups
    n_tanh = n_ops // 3
    saved = np.empty((n_tanh + 1, x.size), x.dtype)  # one row per tanh output
    work = np.empty_like(x)
    y = x
    outputs = []  # what each op's backward needs
    j = 0
    for k in range(n_ops):
        op = k % 3
        if op == 0:
            y = add(y, add_c, work)
            outputs.append(None)
        elif op == 1:
            y = multiply(y, mul_c, work)
            outputs.append(None)
        else:
            y = tanh(y, saved[j])
            outputs.append(y)
            j += 1
    loss = float(y.sum())
    g = np.ones_like(x)  # dloss/dy
    tmp = np.empty_like(x)
    one = np.ones_like(x)
    for k in range(n_ops - 1, -1, -1):
        op = k % 3
        if op == 1:
            multiply(g, mul_c, g)  # d(y m)/dy = m
        elif op == 2:
            s = outputs[k]
            multiply(s, s, tmp)
            subtract(one, tmp, tmp)
            multiply(g, tmp, g)  # d tanh(y)/dy = 1 - tanh(y)²
    return loss, g
