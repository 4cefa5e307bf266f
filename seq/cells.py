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
import numbers
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
    gates = gi + _project(a, w_hh_t, bias_hh)  # (B, 2H)
    u, c = gates.chunk(2, dim=-1)  # 2 x (B, H): the order u, c̃
    gamma_u, c_tilde = u.sigmoid(), c.tanh()  # Γu, c̃<t>
    return gamma_u * c_tilde + (1 - gamma_u) * a  # a<t> = Γu c̃<t> + (1 - Γu) a<t-1>


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
        input_size, hidden_size = check_size("input_size", input_size), check_size("hidden_size", hidden_size)
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, check_flag("bias", bias)
        dtype = check_dtype(dtype)
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
        """Accept (B, D) or unbatched (D,) input; check the states; make zero states where none are given."""
        name = type(self).__name__
        if not isinstance(x, Tensor):
            raise TypeError(f"{name}: input must be a minigrad Tensor, got {type(x).__name__} (use minigrad.tensor(x))")
        if x.ndim not in (1, 2):
            raise ValueError(
                f"{name}: Expected input to be 1D or 2D, got {x.ndim}D instead (shape {tuple(x.shape)}): pass "
                "one step, (B, D) or unbatched (D,); for a whole sequence use the layer (seq.RNN, GRU, LSTM, ...)"
            )
        if x.shape[-1] != self.input_size:
            raise ValueError(
                f"input.size(-1) must be equal to input_size. Expected {self.input_size}, got {x.shape[-1]} "
                f"(input of shape {tuple(x.shape)})"
            )
        if x.dtype != self.weight_ih.dtype:
            raise TypeError(dtype_message(name, "input", x.dtype, self.weight_ih.dtype))
        batched = x.ndim == 2
        B = x.shape[0] if batched else 1
        expected = (B, self.hidden_size) if batched else (self.hidden_size,)
        kinds = ("hidden", "cell")[: len(states)] if len(states) > 1 else ("hidden",)
        out = []
        for kind, s in zip(kinds, states):
            if s is None:
                out.append(minigrad.zeros(B, self.hidden_size, dtype=x.dtype))
                continue
            if not isinstance(s, Tensor):
                raise TypeError(f"{name}: the {kind} state must be a minigrad Tensor, got {type(s).__name__}")
            if tuple(s.shape) != expected:
                layout = "a batched (B, D) input needs (B, H)" if batched else "an unbatched (D,) input needs (H,)"
                raise ValueError(f"{name}: Expected {kind} size {expected}, got {tuple(s.shape)} ({layout})")
            if s.dtype != x.dtype:
                raise TypeError(dtype_message(name, f"{kind} state", s.dtype, x.dtype))
            out.append(s if batched else s.unsqueeze(0))  # (H,) -> (1, H)
        return (x if batched else x.unsqueeze(0)), tuple(out), batched

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
        self.reset_after = check_flag("reset_after", reset_after)
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
    the full GRU and the LSTM build on. ``weight_ih`` (2H, D) and ``weight_hh`` (2H, H) stack the two
    gates in the order (u, c̃): rows 0..H-1 are W_iu / W_hu (Γu), rows H..2H-1 W_ic / W_hc (c̃<t>); the
    biases ``bias_ih``, ``bias_hh`` (2H,) likewise. ``seq.MinimalGRU`` is the layer over a sequence.
    Not a PyTorch module: there is no torch equivalent. Equivalent to::

        u, c = (x W_ihᵀ + b_ih + a W_hhᵀ + b_hh).chunk(2, dim=-1)
        gamma_u, c_tilde = u.sigmoid(), c.tanh()
        a = gamma_u * c_tilde + (1 - gamma_u) * a

    Call: ``cell(x, a=None)``; returns a<t>.
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
        self.forget_bias = check_forget_bias(forget_bias, bias)
        super().__init__(input_size, hidden_size, bias, dtype)

    def reset_parameters(self) -> None:
        super().reset_parameters()
        if self.forget_bias is not None:
            set_forget_bias(self.bias_ih, self.bias_hh, self.forget_bias)

    def extra_repr(self) -> str:
        s = super().extra_repr()
        return s if self.forget_bias is None else s + f", forget_bias={self.forget_bias}"

    def forward(self, x: Tensor, state: tuple[Tensor, Tensor] | None = None) -> tuple[Tensor, Tensor]:
        a, c = unpack_lstm_state("LSTMCell", state, "(a, c)")
        x, (a, c), batched = self._check(x, (a, c))
        a, c = lstm_step(self._input_projection(x), a, c, self.weight_hh.T, self.bias_hh)
        return (a, c) if batched else (a.squeeze(0), c.squeeze(0))


def set_forget_bias(bias_ih: Tensor, bias_hh: Tensor, value: float) -> None:
    """Set the LSTM forget-gate biases so that b_if + b_hf = ``value`` (the second quarter of each)."""
    if bias_ih.shape != bias_hh.shape or bias_ih.ndim != 1 or bias_ih.shape[0] % 4:
        raise ValueError(
            f"set_forget_bias expects an LSTM's bias_ih and bias_hh, two (4H,) vectors; got shapes "
            f"{tuple(bias_ih.shape)} and {tuple(bias_hh.shape)}"
        )
    H = bias_ih.shape[0] // 4
    with minigrad.no_grad():
        bias_ih[H : 2 * H] = value
        bias_hh[H : 2 * H] = 0.0


# ------------------------------------------------------------------------------------------------
# Argument checks, shared with seq.layers (PyTorch's words where torch.nn has the check)
# ------------------------------------------------------------------------------------------------


def check_size(name: str, value: Any) -> int:
    """``value`` as a positive int. A bool is refused (``True`` is not a size), a float too, even 4.0."""
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} should be of type int, got: {type(value).__name__}")
    if value <= 0:
        raise ValueError(f"{name} must be greater than zero, got {value}")
    return int(value)


def check_flag(name: str, value: Any) -> bool:
    """``value`` as a bool; anything else (a string such as "no" is truthy) is refused."""
    if not isinstance(value, bool | np.bool_):
        raise TypeError(f"{name} should be of type bool, got: {type(value).__name__}")
    return bool(value)


def check_dtype(dtype: Any) -> np.dtype:
    """The parameters' dtype: minigrad's default when None, else a floating-point dtype."""
    dtype = minigrad.get_default_dtype() if dtype is None else np.dtype(dtype)
    if dtype.kind != "f":
        raise TypeError(f"dtype must be a floating-point dtype (np.float32, np.float64 or np.float16), got {dtype}")
    return dtype


def check_forget_bias(forget_bias: Any, bias: Any) -> float | None:
    """``forget_bias`` as a float (None stays None); it needs the biases it sets."""
    if forget_bias is None:
        return None
    if isinstance(forget_bias, bool | np.bool_) or not isinstance(forget_bias, numbers.Real):
        raise TypeError(f"forget_bias should be a number (or None), got: {type(forget_bias).__name__}")
    if not math.isfinite(forget_bias):
        raise ValueError(f"forget_bias must be finite, got {forget_bias}")
    if not bias:
        raise ValueError(
            f"forget_bias={forget_bias} sets the forget gate's biases, but bias=False leaves the LSTM without "
            "biases: pass bias=True, or leave forget_bias=None"
        )
    return float(forget_bias)


def dtype_message(name: str, what: str, got: np.dtype, expected: np.dtype) -> str:
    """What to say when an input's dtype is not the weights'."""
    if np.dtype(got).kind != "f":
        return (
            f"{name}: {what} must be floating point like the weights ({expected}), got {got}: x.astype(np.{expected})"
        )
    return (
        f"{name}: {what} dtype {got} does not match weight dtype {expected}. Convert the {what}: "
        f"x.astype(np.{expected}), or build the module with dtype=np.{got} (or convert it: module.to(np.{got}))"
    )


def unpack_lstm_state(name: str, state: Any, names: str) -> tuple:
    """An LSTM's state, ``None`` or a pair ``(h, c)``; anything else is refused with what to pass."""
    if state is None:
        return None, None
    if isinstance(state, Tensor):
        raise TypeError(
            f"{name}: the state of an LSTM is a tuple {names} of two tensors, the hidden state and the memory "
            f"cell; got a single Tensor of shape {tuple(state.shape)}. Pass {names} (None for zeros), as returned "
            "by the previous call"
        )
    if not isinstance(state, tuple | list):
        raise TypeError(f"{name}: the state must be a tuple {names} of two tensors, got {type(state).__name__}")
    if len(state) != 2:
        raise ValueError(f"{name}: expects two hidden states {names}, got {len(state)}")
    return tuple(state)
