"""The recurrent cells, written as the course writes them: one time step, built from minigrad ops.

Notation: the course's names next to PyTorch's.

    x<t>   input at step t                  input
    a<t>   hidden state (activation)        h
    c<t>   LSTM memory cell                 c
    c̃<t>   candidate value                  g (LSTM), n (GRU)
    Γu     update gate (LSTM: input gate)   i (LSTM); 1 - z (GRU, see GRUCell)
    Γf     forget gate                      f
    Γo     output gate                      o
    Γr     relevance / reset gate           r

Weights use PyTorch's layout and names: ``weight_ih`` (G*H, D) and ``weight_hh`` (G*H, H) stack the G
gates' matrices in PyTorch's order (LSTM: i, f, g, o; GRU: r, z, n), ``bias_ih`` and ``bias_hh`` (G*H,).
The course's ``W_f [a<t-1>; x<t>] + b_f`` is ``W_if x + b_if + W_hf h + b_hf`` here: its concatenated
matrix split into the part acting on x and the part acting on a, and its one bias split in two.

Each step is a plain function of the *input projection* ``gi = x W_ihᵀ + b_ih`` (B, G*H) and of
``W_hhᵀ`` (H, G*H), so a layer can compute the projection of all time steps in one matrix product, take
``gi[t]`` per step and transpose W_hh once per sequence; a Cell module does both for its one step.
Autograd derives the backward pass (BPTT) from these functions.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import minigrad
from minigrad import Tensor
from minigrad.nn import Module, Parameter, init

# ------------------------------------------------------------------------------------------------
# One step, as functions (used by the Cell modules and by the layers' step-by-step path)
# ------------------------------------------------------------------------------------------------


def _project(h: Tensor, weight_t: Tensor, bias: Tensor | None) -> Tensor:
    """h Wᵀ + b, with the weight given transposed once (not once per step)."""
    out = h @ weight_t  # (B, H) @ (H, G*H) -> (B, G*H)
    return out if bias is None else out + bias


def rnn_step(gi: Tensor, a: Tensor, w_hh_t: Tensor, bias_hh: Tensor | None, nonlinearity: str) -> Tensor:
    """a<t> = tanh(W_ax x<t> + b_ax + W_aa a<t-1> + b_aa)   (or relu)."""
    pre = gi + _project(a, w_hh_t, bias_hh)
    return pre.tanh() if nonlinearity == "tanh" else pre.relu()


def gru_step(gi: Tensor, a: Tensor, w_hh_t: Tensor, bias_hh: Tensor | None, reset_after: bool) -> Tensor:
    """One GRU step; see ``GRUCell`` for the equations of both variants."""
    H = a.shape[-1]
    i_r, i_z, i_n = gi.split(H, dim=-1)  # (B, 3H) -> 3 x (B, H)
    if reset_after:
        gh = _project(a, w_hh_t, bias_hh)  # (B, 3H)
        h_r, h_z, h_n = gh.split(H, dim=-1)
        gamma_r = (i_r + h_r).sigmoid()  # Γr
        gamma_z = (i_z + h_z).sigmoid()  # z = 1 - Γu
        c_tilde = (i_n + gamma_r * h_n).tanh()  # c̃<t> = n
    else:
        b_rz = None if bias_hh is None else bias_hh[: 2 * H]
        gh = _project(a, w_hh_t[:, : 2 * H], b_rz)  # (B, 2H): the r and z parts
        h_r, h_z = gh.split(H, dim=-1)
        gamma_r = (i_r + h_r).sigmoid()
        gamma_z = (i_z + h_z).sigmoid()
        b_n = None if bias_hh is None else bias_hh[2 * H :]
        c_tilde = (i_n + _project(gamma_r * a, w_hh_t[:, 2 * H :], b_n)).tanh()  # reset before the product
    return (1 - gamma_z) * c_tilde + gamma_z * a  # a<t> = Γu c̃<t> + (1 - Γu) a<t-1>


def minimal_gru_step(gi: Tensor, a: Tensor, w_hh_t: Tensor, bias_hh: Tensor | None) -> Tensor:
    """One step of the course's simplified GRU; see ``MinimalGRUCell``."""
    H = a.shape[-1]
    i_u, i_c = gi.split(H, dim=-1)  # (B, 2H) -> 2 x (B, H)
    b_u = None if bias_hh is None else bias_hh[:H]
    b_c = None if bias_hh is None else bias_hh[H:]
    gamma_u = (i_u + _project(a, w_hh_t[:, :H], b_u)).sigmoid()  # Γu
    c_tilde = (i_c + _project(a, w_hh_t[:, H:], b_c)).tanh()  # c̃<t>
    return gamma_u * c_tilde + (1 - gamma_u) * a


def lstm_step(gi: Tensor, a: Tensor, c: Tensor, w_hh_t: Tensor, bias_hh: Tensor | None) -> tuple[Tensor, Tensor]:
    """One LSTM step; see ``LSTMCell`` for the equations."""
    gates = gi + _project(a, w_hh_t, bias_hh)  # (B, 4H)
    i, f, g, o = gates.chunk(4, dim=-1)  # 4 x (B, H), PyTorch's order
    gamma_u, gamma_f, c_tilde, gamma_o = i.sigmoid(), f.sigmoid(), g.tanh(), o.sigmoid()
    c_next = gamma_f * c + gamma_u * c_tilde  # c<t> = Γf c<t-1> + Γu c̃<t>
    a_next = gamma_o * c_next.tanh()  # a<t> = Γo tanh(c<t>)
    return a_next, c_next


# ------------------------------------------------------------------------------------------------
# The Cell modules
# ------------------------------------------------------------------------------------------------


class _CellBase(Module):
    """Parameters, PyTorch's default initialisation U(-1/√H, 1/√H), and input checks shared by the cells."""

    gates = 1

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, dtype: Any = None) -> None:
        super().__init__()
        if input_size <= 0 or hidden_size <= 0:
            raise ValueError(f"input_size and hidden_size must be positive, got {input_size} and {hidden_size}")
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        dtype = minigrad.get_default_dtype() if dtype is None else np.dtype(dtype)
        G, H = self.gates, hidden_size
        self.weight_ih = Parameter(np.empty((G * H, input_size), dtype=dtype))
        self.weight_hh = Parameter(np.empty((G * H, H), dtype=dtype))
        if bias:
            self.bias_ih = Parameter(np.empty(G * H, dtype=dtype))
            self.bias_hh = Parameter(np.empty(G * H, dtype=dtype))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Every weight and bias from U(-1/√H, 1/√H), as PyTorch."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            init.uniform_(p, -bound, bound)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        return s if self.bias else s + ", bias=False"

    def _check(self, x: Tensor, states: tuple) -> tuple[Tensor, tuple, bool]:
        """Accept (B, D) or unbatched (D,) input; make zero states when none are given."""
        if x.ndim not in (1, 2):
            raise ValueError(f"{type(self).__name__}: Expected input to be 1D or 2D, got {x.ndim}D instead")
        if x.shape[-1] != self.input_size:
            raise ValueError(
                f"input.size(-1) must be equal to input_size. Expected {self.input_size}, got {x.shape[-1]}"
            )
        batched = x.ndim == 2
        if not batched:
            x = x.unsqueeze(0)
        B = x.shape[0]
        out = []
        for s in states:
            if s is None:
                s = minigrad.zeros(B, self.hidden_size, dtype=x.dtype)
            elif not batched:
                s = s.unsqueeze(0)
            if s.shape != (B, self.hidden_size):
                raise ValueError(f"Expected hidden size {(B, self.hidden_size)}, got {tuple(s.shape)}")
            out.append(s)
        return x, tuple(out), batched

    def _input_projection(self, x: Tensor) -> Tensor:
        return _project(x, self.weight_ih.T, self.bias_ih)  # (B, D) @ (D, G*H) -> (B, G*H)


class RNNCell(_CellBase):
    """An Elman RNN cell (the course's basic RNN cell).

        a<t> = tanh(W_ax x<t> + b_ax + W_aa a<t-1> + b_aa)

    ``W_ax`` is ``weight_ih`` (H, D), ``W_aa`` is ``weight_hh`` (H, H), the biases ``bias_ih`` and
    ``bias_hh`` (H,). ``nonlinearity="relu"`` replaces tanh by relu (the identity-initialised ReLU RNN
    of Le et al. 2015 uses it with ``seq.init.identity_``). Equivalent to this loop over a sequence::

        a = zeros(B, H)
        for t in range(T):
            a = cell(x[t], a)

    Args:
        input_size: D, features of x<t>.
        hidden_size: H, features of a<t>.
        bias: use ``bias_ih`` and ``bias_hh``.
        nonlinearity: "tanh" or "relu".

    Call: ``cell(x, a=None)`` with x (B, D) or (D,), a (B, H) or (H,) (zeros when None); returns a<t>.
    """

    gates = 1

    def __init__(
        self, input_size: int, hidden_size: int, bias: bool = True, nonlinearity: str = "tanh", dtype: Any = None
    ) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'.")
        self.nonlinearity = nonlinearity
        super().__init__(input_size, hidden_size, bias, dtype)

    def extra_repr(self) -> str:
        s = super().extra_repr()
        return s if self.nonlinearity == "tanh" else s + f", nonlinearity={self.nonlinearity}"

    def forward(self, x: Tensor, a: Tensor | None = None) -> Tensor:
        x, (a,), batched = self._check(x, (a,))
        a = rnn_step(self._input_projection(x), a, self.weight_hh.T, self.bias_hh, self.nonlinearity)
        return a if batched else a.squeeze(0)


class GRUCell(_CellBase):
    """A gated recurrent unit (Cho et al. 2014), PyTorch's gate order r, z, n.

    PyTorch's formulation (``reset_after=True``, the default, as ``torch.nn.GRUCell``):

        Γr     = σ(W_ir x<t> + b_ir + W_hr a<t-1> + b_hr)            r
        z      = σ(W_iz x<t> + b_iz + W_hz a<t-1> + b_hz)            z = 1 - Γu
        c̃<t>   = tanh(W_in x<t> + b_in + Γr ⊙ (W_hn a<t-1> + b_hn))    n
        a<t>   = (1 - z) ⊙ c̃<t> + z ⊙ a<t-1>                          = Γu c̃<t> + (1 - Γu) a<t-1>

    The course (and the original paper, and Keras' ``reset_after=False``) applies the reset gate to
    a<t-1> *before* the matrix product: ``c̃<t> = tanh(W_in x<t> + b_in + W_hn (Γr ⊙ a<t-1>) + b_hn)``;
    pass ``reset_after=False`` for that variant. The two are different functions with the same
    parameters: only ``reset_after=True`` matches torch.

    Note on the update gate: PyTorch's ``z`` keeps the *old* state, the course's Γu lets the *new*
    candidate in; they are complements, Γu = 1 - z.

    ``weight_ih`` (3H, D), ``weight_hh`` (3H, H), ``bias_ih``, ``bias_hh`` (3H,).
    Call: ``cell(x, a=None)``; returns a<t>.
    """

    gates = 3

    def __init__(
        self, input_size: int, hidden_size: int, bias: bool = True, reset_after: bool = True, dtype: Any = None
    ) -> None:
        self.reset_after = reset_after
        super().__init__(input_size, hidden_size, bias, dtype)

    def extra_repr(self) -> str:
        s = super().extra_repr()
        return s if self.reset_after else s + ", reset_after=False"

    def forward(self, x: Tensor, a: Tensor | None = None) -> Tensor:
        x, (a,), batched = self._check(x, (a,))
        a = gru_step(self._input_projection(x), a, self.weight_hh.T, self.bias_hh, self.reset_after)
        return a if batched else a.squeeze(0)


class MinimalGRUCell(_CellBase):
    """The course's simplified GRU: an update gate and a candidate, no reset gate.

        Γu     = σ(W_iu x<t> + b_iu + W_hu a<t-1> + b_hu)
        c̃<t>   = tanh(W_ic x<t> + b_ic + W_hc a<t-1> + b_hc)
        a<t>   = Γu ⊙ c̃<t> + (1 - Γu) ⊙ a<t-1>

    When Γu ≈ 0 the state is carried unchanged, so the gradient can flow across many steps: the idea
    the full GRU and the LSTM build on. ``weight_ih`` (2H, D) and ``weight_hh`` (2H, H) stack (u, c̃).
    Not a PyTorch module: there is no torch equivalent.
    """

    gates = 2

    def forward(self, x: Tensor, a: Tensor | None = None) -> Tensor:
        x, (a,), batched = self._check(x, (a,))
        a = minimal_gru_step(self._input_projection(x), a, self.weight_hh.T, self.bias_hh)
        return a if batched else a.squeeze(0)


class LSTMCell(_CellBase):
    """A long short-term memory cell (Hochreiter & Schmidhuber 1997), PyTorch's gate order i, f, g, o.

        Γu     = σ(W_ii x<t> + b_ii + W_hi a<t-1> + b_hi)        i  (update / input gate)
        Γf     = σ(W_if x<t> + b_if + W_hf a<t-1> + b_hf)        f  (forget gate)
        c̃<t>   = tanh(W_ig x<t> + b_ig + W_hg a<t-1> + b_hg)     g  (candidate)
        Γo     = σ(W_io x<t> + b_io + W_ho a<t-1> + b_ho)        o  (output gate)
        c<t>   = Γf ⊙ c<t-1> + Γu ⊙ c̃<t>
        a<t>   = Γo ⊙ tanh(c<t>)

    ``weight_ih`` (4H, D), ``weight_hh`` (4H, H), ``bias_ih``, ``bias_hh`` (4H,).

    Args:
        forget_bias: if given, start the forget gate open: ``bias_ih``'s forget part is set to this value
            and ``bias_hh``'s to 0 (Keras' ``unit_forget_bias`` uses 1.0; Jozefowicz et al. 2015). With
            Γf ≈ σ(forget_bias) near 1, c<t> is carried across steps from the first update on.

    Call: ``cell(x, (a, c)=None)``; returns ``(a<t>, c<t>)``.
    """

    gates = 4

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        forget_bias: float | None = None,
        dtype: Any = None,
    ) -> None:
        self.forget_bias = forget_bias
        super().__init__(input_size, hidden_size, bias, dtype)

    def reset_parameters(self) -> None:
        super().reset_parameters()
        if self.forget_bias is not None and self.bias:
            set_forget_bias(self.bias_ih, self.bias_hh, self.forget_bias)

    def extra_repr(self) -> str:
        s = super().extra_repr()
        return s if self.forget_bias is None else s + f", forget_bias={self.forget_bias}"

    def forward(self, x: Tensor, state: tuple[Tensor, Tensor] | None = None) -> tuple[Tensor, Tensor]:
        a, c = (None, None) if state is None else state
        x, (a, c), batched = self._check(x, (a, c))
        a, c = lstm_step(self._input_projection(x), a, c, self.weight_hh.T, self.bias_hh)
        return (a, c) if batched else (a.squeeze(0), c.squeeze(0))


def set_forget_bias(bias_ih: Tensor, bias_hh: Tensor, value: float) -> None:
    """Set the LSTM forget-gate biases so that b_if + b_hf = ``value`` (the second quarter of each)."""
    H = bias_ih.shape[0] // 4
    with minigrad.no_grad():
        bias_ih[H : 2 * H] = value
        bias_hh[H : 2 * H] = 0.0
