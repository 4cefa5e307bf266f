"""Fused recurrent kernels: one ``Function`` per layer and direction, with backpropagation through time by hand.

seq computes a recurrent layer in two ways that give the same numbers:

- **the readable path**: a cell (``h' = tanh(W_ih x + b_ih + W_hh h + b_hh)``...) written with minigrad ops and
  called once per time step. Autograd records every op of every step and derives backpropagation through time
  (BPTT) by itself. It is the path to read and to step through, and it is slow: a few dozen graph nodes per step.
- **the fused path** (this package): the whole sequence of one layer in one direction is ONE ``Function``, as
  PyTorch's native kernels (``_VF.lstm``, cuDNN) do. ``forward`` runs the time loop on NumPy arrays and keeps the
  activations it needs in preallocated ``(T, B, ...)`` arrays; ``backward`` is BPTT derived by hand, written in
  the course's notation. Per layer and direction it costs:

  * one GEMM for the input projection of all steps, the bias riding along as a column of ones:
    ``[x<t>, 1] @ [W_ih, b]ᵀ``  # (T*B, D+1) @ (D+1, G*H)
  * one GEMM per step for all gates of the recurrent part: ``h<t-1> @ W_hhᵀ``  # (B, H) @ (H, G*H)
  * a few in-place ufunc passes per step for the activations and the state update: no array is allocated in a
    step loop, forward or backward;
  * in backward, one GEMM per step (``dgates<t> @ W_hh``) and, for each chunk of steps, one GEMM for ``dx`` and one
    for ``[dW_ih, db, dW_hh]`` (the chunk's rows ``[x<t>, 1, h<t-1>]`` side by side).

  Memory: every state h<-1>..h<T-1> (and c<-1>..c<T-1>) lives in one (T+1, B, H) buffer, each step reading one row
  and writing the next; without padding the output *is* that buffer's last T rows (a view), so forward keeps no
  copy of the outputs. Forward also keeps what backward needs (the gates' activations; tanh(c) of the LSTM; hn or
  r ⊙ h of the GRU). Backward keeps the gradients of one chunk of steps at a time (about 1 MiB: see
  ``common.CHUNK_BYTES``), not of all T: a sequence of 100,000 steps needs no more than one of a thousand, and the
  graph has a single node.

  Speed notes (what each trick saves is measured by ``benchmarks/rnn_bptt.py`` and written beside it in
  ``common.py``): σ's halving is folded into the weights; ``h @ W_hhᵀ`` multiplies by a contiguous copy of W_hhᵀ;
  backward computes what does not depend on the incoming gradient for an L2-sized block of steps at once; one-row
  products (B = 1) go through ``ndarray.dot``; the step loops call ufuncs by local names.

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
gates of a step, σ and tanh alike, are activated in three in-place passes with no temporary: the halving x / 2 is
done once on the weights (W_ih, W_hh and the biases of the σ gates multiplied by 1/2: exact in floating point), then
tanh of the whole row, then a multiply and an add.
"""

from seq.fused.gru import FusedGRU, FusedMinimalGRU
from seq.fused.lstm import FusedLSTM
from seq.fused.rnn import FusedRNN

__all__ = ["FusedGRU", "FusedLSTM", "FusedMinimalGRU", "FusedRNN"]
