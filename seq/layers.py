"""The recurrent layers users train with: ``seq.RNN``, ``seq.GRU``, ``seq.LSTM``, with PyTorch's API, and
``seq.MinimalGRU``, the course's simplified GRU, with the same API (it has no torch twin).

Constructor ``(input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
bidirectional=False)``, call ``layer(input, hx=None, lengths=None)``, return ``output, h_n``
(``output, (h_n, c_n)`` for the LSTM), parameter names ``weight_ih_l{k}``, ``weight_hh_l{k}``,
``bias_ih_l{k}``, ``bias_hh_l{k}`` and ``..._reverse`` — all as ``torch.nn``, so a state dict moves
between the two.

Two paths compute the same function (a test holds them equal to 1e-12 in values and gradients):

- ``impl="fused"`` (the default): each layer and direction is one autograd ``Function`` over the
  whole sequence (``seq/fused/``), as PyTorch's native kernels are — the input projection of all
  steps as one matrix product, one product per step for all gates, a hand-derived backward loop,
  the weight gradients as one product over all steps. It is what you train with.
- ``impl="cells"``: the readable cells of ``seq/cells.py`` applied step by step through the autograd
  engine. This is automatic BPTT in its pure form: nothing about time is written by hand, autograd
  unrolls the loop. It is what you step through to learn, and the fused path's proof.

Padding (past ``lengths``, or in a ``PackedSequence``) never reaches an output, a state or a gradient, whatever it
holds (NaN and inf included): both paths replace it by zeros before the input projection and *select* with the mask
(``where``), never multiply by it. Outputs past a length are exactly zero and get no gradient.
"""

from __future__ import annotations

import math
import numbers
import warnings
from typing import Any

import numpy as np

import minigrad
from minigrad import Tensor
from minigrad.autograd import cyclic_gc_paused
from minigrad.nn import Module, Parameter, functional, init
from seq import cells
from seq.packing import PackedSequence, check_lengths


class _RNNBase(Module):
    """What RNN, GRU and LSTM share: parameters, input checks, the loop over layers and directions."""

    mode = "RNN"
    gates = 1

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        impl: str = "fused",
        dtype: Any = None,
    ) -> None:
        super().__init__()
        if isinstance(dropout, bool | np.bool_) or not isinstance(dropout, numbers.Real) or not 0 <= dropout <= 1:
            raise ValueError(
                f"dropout should be a number in range [0, 1] representing the probability of an "
                f"element being zeroed, got {dropout!r}"
            )
        self.bias, self.batch_first = cells.check_flag("bias", bias), cells.check_flag("batch_first", batch_first)
        self.bidirectional = cells.check_flag("bidirectional", bidirectional)
        self.input_size = cells.check_size("input_size", input_size)
        self.hidden_size = cells.check_size("hidden_size", hidden_size)
        self.num_layers = cells.check_size("num_layers", num_layers)
        if dropout > 0 and num_layers == 1:  # PyTorch's warning, word for word
            warnings.warn(
                "dropout option adds dropout after all but last recurrent layer, so non-zero dropout expects "
                f"num_layers greater than 1, but got dropout={dropout} and num_layers={num_layers}",
                stacklevel=2 if type(self).__init__ is _RNNBase.__init__ else 3,  # the caller's line
            )
        if impl not in ("fused", "cells"):
            raise ValueError(f"impl must be 'fused' or 'cells', got {impl!r}")
        self.dropout, self.impl = float(dropout), impl
        self.num_directions = 2 if self.bidirectional else 1
        dtype = cells.check_dtype(dtype)
        G, H = self.gates, self.hidden_size
        for layer in range(self.num_layers):
            layer_input = self.input_size if layer == 0 else H * self.num_directions
            for suffix in self._suffixes():
                setattr(self, f"weight_ih_l{layer}{suffix}", Parameter(np.empty((G * H, layer_input), dtype=dtype)))
                setattr(self, f"weight_hh_l{layer}{suffix}", Parameter(np.empty((G * H, H), dtype=dtype)))
                if bias:
                    setattr(self, f"bias_ih_l{layer}{suffix}", Parameter(np.empty(G * H, dtype=dtype)))
                    setattr(self, f"bias_hh_l{layer}{suffix}", Parameter(np.empty(G * H, dtype=dtype)))
        self.reset_parameters()

    def _suffixes(self) -> tuple:
        return ("", "_reverse") if self.bidirectional else ("",)

    def reset_parameters(self) -> None:
        """Every weight and bias from U(-1/√H, 1/√H), as PyTorch."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            init.uniform_(p, -bound, bound)

    def weights(self, layer: int, reverse: bool = False) -> tuple:
        """``(weight_ih, weight_hh, bias_ih, bias_hh)`` of one layer and direction (biases None without bias)."""
        if isinstance(layer, bool) or not isinstance(layer, numbers.Integral) or not 0 <= layer < self.num_layers:
            raise IndexError(f"layer must be an int in [0, {self.num_layers}) for this {self.mode}, got {layer!r}")
        if reverse and not self.bidirectional:
            raise ValueError(f"this {self.mode} has no reverse direction (bidirectional=False)")
        suffix = "_reverse" if reverse else ""
        names = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
        return tuple(getattr(self, f"{n}_l{layer}{suffix}", None) for n in names)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        for name, default in (("bias", True), ("batch_first", False), ("dropout", 0.0), ("bidirectional", False)):
            if getattr(self, name) != default:
                s += f", {name}={getattr(self, name)}"
        return s + self._extra_options()

    def _extra_options(self) -> str:
        return ""

    # --------------------------------------------------------------------------------------------
    # The call
    # --------------------------------------------------------------------------------------------

    def forward(self, input: Any, hx: Any = None, lengths: Any = None) -> tuple:
        """Run the layer; see the class docstring for shapes."""
        with cyclic_gc_paused():  # the step-by-step path records thousands of nodes: keep it linear in T
            return self._forward(input, hx, lengths)

    def _forward(self, input: Any, hx: Any, lengths: Any) -> tuple:
        x, lengths, layout = self._prepare_input(input, lengths)
        T, B = x.shape[0], x.shape[1]
        states = self._prepare_states(hx, B, x.dtype, layout["unbatched"], T)
        if lengths is not None and np.all(lengths == T):
            lengths = None  # every sequence is full: the plain loop is the same function
        finals: list = [[] for _ in states]  # per state kind: (L * dirs) tensors of (B, H)
        for layer in range(self.num_layers):
            if layer > 0 and self.dropout > 0 and self.training:
                x = functional.dropout(x, self.dropout, training=True)  # between layers, as PyTorch
            outputs = []
            for direction in range(self.num_directions):
                index = layer * self.num_directions + direction
                initial = tuple(s[index] for s in states)
                out, final = self._run_direction(x, initial, layer, direction == 1, lengths)
                outputs.append(out)
                for kind, s in enumerate(final):
                    finals[kind].append(s)
            x = outputs[0] if len(outputs) == 1 else minigrad.cat(outputs, axis=-1)  # (T, B, dirs * H)
        h_n = tuple(minigrad.stack(f, axis=0) for f in finals)  # each (L * dirs, B, H)
        return self._format_output(x, h_n, lengths, layout)

    def _run_direction(self, x: Tensor, initial: tuple, layer: int, reverse: bool, lengths: Any) -> tuple:
        w_ih, w_hh, b_ih, b_hh = self.weights(layer, reverse)
        if self.impl == "fused":
            return self._run_fused(x, initial, (w_ih, w_hh, b_ih, b_hh), lengths, reverse)
        return self._run_cells(x, initial, (w_ih, w_hh, b_ih, b_hh), lengths, reverse)

    def _run_cells(self, x: Tensor, initial: tuple, weights: tuple, lengths: Any, reverse: bool) -> tuple:
        """The step-by-step path: the readable cell, applied at every step; autograd does BPTT."""
        w_ih, w_hh, b_ih, b_hh = weights
        T = x.shape[0]
        valid = None if lengths is None else (np.arange(T)[:, None] < lengths[None, :])[..., None]  # (T, B, 1)
        if valid is not None:
            x = minigrad.where(valid, x, 0.0)  # the padding never enters: a NaN there would reach every gradient
        bias = b_ih
        if b_hh is not None and self.fold_hh_bias:
            bias = b_ih + b_hh  # b_hh is added where b_ih is: add the two (G*H,) vectors, then them once for all steps
            b_hh = None
        gi = x @ w_ih.T  # the input projection of all steps at once: (T, B, D) @ (D, G*H) -> (T, B, G*H)
        if bias is not None:
            gi = gi + bias
        w_hh_t = w_hh.T  # (H, G*H), transposed once for all steps
        gi_steps = gi.unbind(0)  # (T, B, G*H) -> T x (B, G*H): one op for all steps, not one per step
        state = initial
        outputs: list = [None] * T
        for t in range(T - 1, -1, -1) if reverse else range(T):
            new = self._step(gi_steps[t], state, w_hh_t, b_hh)
            if valid is None:
                state = new
                outputs[t] = new[0]
            else:  # a sequence past its length keeps its state and outputs zero (selected: no gradient flows back)
                state = tuple(minigrad.where(valid[t], n, s) for n, s in zip(new, state))
                outputs[t] = minigrad.where(valid[t], new[0], 0.0)
        return minigrad.stack(outputs, axis=0), state  # (T, B, H)

    # RNN and LSTM add b_hh right next to b_ih; the GRU's n gate needs it inside (r ⊙ (W_hn h + b_hn)).
    fold_hh_bias = True

    def _step(self, gi: Tensor, state: tuple, w_hh_t: Tensor, b_hh: Tensor | None) -> tuple:
        raise NotImplementedError

    def _run_fused(self, x: Tensor, initial: tuple, weights: tuple, lengths: Any, reverse: bool) -> tuple:
        raise NotImplementedError

    # --------------------------------------------------------------------------------------------
    # Checking and shaping inputs and outputs
    # --------------------------------------------------------------------------------------------

    def _prepare_input(self, input: Any, lengths: Any) -> tuple:
        """The input as a time-major (T, B, D) tensor, the checked lengths (or None), and how to shape the output."""
        layout = {"packed": False, "unbatched": False}
        if isinstance(input, PackedSequence):
            if lengths is not None:
                raise ValueError("pass lengths either in the PackedSequence or as lengths=, not both")
            x, lengths = input.data, input.lengths
            if not isinstance(x, Tensor) or x.ndim != 3:
                raise ValueError(
                    f"{self.mode}: a PackedSequence must hold a (T, B, D) minigrad Tensor; make it with "
                    "seq.pack_padded_sequence"
                )
            layout["packed"] = True
        else:
            if not isinstance(input, Tensor):
                raise TypeError(
                    f"{self.mode}: input must be a minigrad Tensor or a PackedSequence, got {type(input).__name__} "
                    "(use minigrad.tensor(x))"
                )
            x = input
            if x.ndim not in (2, 3):
                raise ValueError(
                    f"{self.mode}: Expected input to be 2D or 3D, got {x.ndim}D instead (shape {tuple(x.shape)}): "
                    f"pass {'(B, T, D)' if self.batch_first else '(T, B, D)'}, or unbatched (T, D)"
                )
            if x.ndim == 2:
                layout["unbatched"] = True
                x = x.unsqueeze(1)  # (T, D) -> (T, 1, D)
            elif self.batch_first:
                x = x.transpose(0, 1)  # (B, T, D) -> (T, B, D)
        shape = tuple(input.data.shape) if layout["packed"] else tuple(input.shape)
        if x.shape[-1] != self.input_size:
            raise ValueError(
                f"input.size(-1) must be equal to input_size. Expected {self.input_size}, got {x.shape[-1]} "
                f"(input of shape {shape})"
            )
        if x.shape[0] == 0:
            on_axis_1 = self.batch_first and not layout["packed"]
            raise ValueError(
                f"Expected sequence length to be larger than 0 in RNN: {self.mode} got an input of shape {shape} "
                f"with no time steps{' (batch_first=True: the time axis is axis 1)' if on_axis_1 else ''}"
            )
        params_dtype = self.weight_ih_l0.dtype
        if x.dtype != params_dtype:
            raise TypeError(cells.dtype_message(self.mode, "input", x.dtype, params_dtype))
        if lengths is not None:
            if layout["unbatched"]:
                raise ValueError("lengths= needs a batch: an unbatched (T, D) input has one sequence of length T")
            batch_first = self.batch_first and not layout["packed"]  # a PackedSequence is time-major
            lengths = check_lengths(lengths, x.shape[0], x.shape[1], batch_first)
            layout["lengths"] = lengths
        return x, lengths, layout

    def _state_names(self) -> tuple:
        return ("hidden",)

    def _unpack_states(self, hx: Any) -> tuple:
        """The initial state(s) as a tuple, one per state kind; RNN and GRU take one tensor."""
        if isinstance(hx, Tensor):
            return (hx,)
        if isinstance(hx, tuple | list) and len(hx) == 1:
            return tuple(hx)
        raise TypeError(
            f"{self.mode}: hx must be a minigrad Tensor (h_0, of shape (num_layers * num_directions, B, H)), got "
            f"{type(hx).__name__}"
        )

    def _prepare_states(self, hx: Any, B: int, dtype: Any, unbatched: bool, T: int) -> tuple:
        n = self.num_layers * self.num_directions
        kinds = self._state_names()
        if hx is None:
            return tuple(minigrad.zeros(n, B, self.hidden_size, dtype=dtype) for _ in kinds)
        given = self._unpack_states(hx)
        states = []
        for kind, s in zip(kinds, given):
            if not isinstance(s, Tensor):
                raise TypeError(
                    f"{self.mode}: the initial {kind} state must be a minigrad Tensor, got {type(s).__name__}"
                )
            dims = 2 if unbatched else 3
            if s.ndim != dims:
                raise ValueError(
                    f"For {'unbatched' if unbatched else 'batched'} {dims}-D input, hx should also be {dims}-D but got "
                    f"{s.ndim}-D tensor (the initial {kind} state has shape {tuple(s.shape)})"
                )
            expected = (n, self.hidden_size) if unbatched else (n, B, self.hidden_size)
            if tuple(s.shape) != expected:
                hint = ""
                if not unbatched and s.ndim == 3 and s.shape[1] == T and T != B:
                    hint = f" (the input's first axis has {T}: is batch_first={not self.batch_first} what you meant?)"
                raise ValueError(f"Expected {kind} size {expected}, got {tuple(s.shape)}{hint}")
            if s.dtype != dtype:
                raise TypeError(cells.dtype_message(self.mode, f"initial {kind} state", s.dtype, dtype))
            states.append(s.unsqueeze(1) if unbatched else s)  # (n, H) -> (n, 1, H)
        return tuple(states)

    def _format_output(self, output: Tensor, h_n: tuple, lengths: Any, layout: dict) -> tuple:
        if layout["packed"]:
            output = PackedSequence(output, layout["lengths"])
        elif layout["unbatched"]:
            output = output.squeeze(1)  # (T, 1, dirs * H) -> (T, dirs * H)
            h_n = tuple(h.squeeze(1) for h in h_n)  # (n, 1, H) -> (n, H)
        elif self.batch_first:
            output = output.transpose(0, 1)  # (T, B, dirs * H) -> (B, T, dirs * H)
        return output, (h_n[0] if len(h_n) == 1 else h_n)


class RNN(_RNNBase):
    """A multi-layer Elman RNN: ``a<t> = tanh(W_ih x<t> + b_ih + W_hh a<t-1> + b_hh)`` (or relu).

    Args:
        input_size: D; hidden_size: H; num_layers: stacked layers (layer k>0 reads layer k-1's output).
        nonlinearity: "tanh" or "relu".
        bias, batch_first, dropout, bidirectional: as ``torch.nn.RNN``.
        impl: "fused" (one Function per layer and direction) or "cells" (the readable cell, step by step).
        dtype: of the parameters (default: minigrad's default dtype).

    Call ``rnn(input, hx=None, lengths=None)``: input (T, B, D), (B, T, D) with ``batch_first``, (T, D)
    unbatched, or a ``PackedSequence``; hx (num_layers * dirs, B, H). Returns ``output`` (T, B, dirs * H)
    (the last layer's a<t> for every t; zero past each length) and ``h_n`` (num_layers * dirs, B, H),
    ordered layer 0 forward, layer 0 reverse, layer 1 forward, ...

    The gradient that reaches ``output`` after ``backward`` holds only the *direct* part of dL/da<t>;
    the total gradient of a<t>, through the recurrence, is what a cell loop with ``retain_grad`` shows.
    """

    mode = "RNN"
    gates = 1

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        nonlinearity: str = "tanh",
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        impl: str = "fused",
        dtype: Any = None,
    ) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'.")
        self.nonlinearity = nonlinearity
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, impl, dtype)

    def _extra_options(self) -> str:
        return "" if self.nonlinearity == "tanh" else f", nonlinearity={self.nonlinearity}"

    def _step(self, gi: Tensor, state: tuple, w_hh_t: Tensor, b_hh: Tensor | None) -> tuple:
        return (cells.rnn_step(gi, state[0], w_hh_t, b_hh, self.nonlinearity),)

    def _run_fused(self, x: Tensor, initial: tuple, weights: tuple, lengths: Any, reverse: bool) -> tuple:
        from seq.fused import FusedRNN

        output, h_n = FusedRNN.apply(x, initial[0], *weights, lengths, reverse, self.nonlinearity)
        return output, (h_n,)


class GRU(_RNNBase):
    """A multi-layer GRU with PyTorch's gate order r, z, n; see ``seq.GRUCell`` for the equations.

    ``reset_after=True`` (default) is PyTorch's formulation; ``reset_after=False`` applies the reset gate
    before the recurrent product, as the course and the original paper write it (no torch equivalent).
    Other arguments, the call and the outputs as ``seq.RNN``.
    """

    mode = "GRU"
    gates = 3

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        reset_after: bool = True,
        impl: str = "fused",
        dtype: Any = None,
    ) -> None:
        self.reset_after = cells.check_flag("reset_after", reset_after)
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, impl, dtype)

    def _extra_options(self) -> str:
        return "" if self.reset_after else ", reset_after=False"

    fold_hh_bias = False

    def _step(self, gi: Tensor, state: tuple, w_hh_t: Tensor, b_hh: Tensor | None) -> tuple:
        return (cells.gru_step(gi, state[0], w_hh_t, b_hh, self.reset_after),)

    def _run_fused(self, x: Tensor, initial: tuple, weights: tuple, lengths: Any, reverse: bool) -> tuple:
        from seq.fused import FusedGRU

        output, h_n = FusedGRU.apply(x, initial[0], *weights, lengths, reverse, self.reset_after)
        return output, (h_n,)


class LSTM(_RNNBase):
    """A multi-layer LSTM with PyTorch's gate order i, f, g, o; see ``seq.LSTMCell`` for the equations.

    Call ``lstm(input, (h_0, c_0)=None, lengths=None)``; returns ``output, (h_n, c_n)``, each state
    (num_layers * dirs, B, H). ``forget_bias``: start every forget gate open (b_if + b_hf = forget_bias),
    Keras' ``unit_forget_bias``. Other arguments as ``seq.RNN``.
    """

    mode = "LSTM"
    gates = 4

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        forget_bias: float | None = None,
        impl: str = "fused",
        dtype: Any = None,
    ) -> None:
        self.forget_bias = cells.check_forget_bias(forget_bias, bias)
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, impl, dtype)

    def reset_parameters(self) -> None:
        super().reset_parameters()
        if self.forget_bias is not None:
            for layer in range(self.num_layers):
                for reverse in (False, True)[: self.num_directions]:
                    _, _, b_ih, b_hh = self.weights(layer, reverse)
                    cells.set_forget_bias(b_ih, b_hh, self.forget_bias)

    def _extra_options(self) -> str:
        return "" if self.forget_bias is None else f", forget_bias={self.forget_bias}"

    def _state_names(self) -> tuple:
        return ("hidden", "cell")

    def _unpack_states(self, hx: Any) -> tuple:
        return cells.unpack_lstm_state(self.mode, hx, "(h_0, c_0)")

    def _step(self, gi: Tensor, state: tuple, w_hh_t: Tensor, b_hh: Tensor | None) -> tuple:
        return cells.lstm_step(gi, state[0], state[1], w_hh_t, b_hh)

    def _run_fused(self, x: Tensor, initial: tuple, weights: tuple, lengths: Any, reverse: bool) -> tuple:
        from seq.fused import FusedLSTM

        output, h_n, c_n = FusedLSTM.apply(x, initial[0], initial[1], *weights, lengths, reverse)
        return output, (h_n, c_n)


class MinimalGRU(_RNNBase):
    """A multi-layer minimal GRU, the course's simplified GRU (an update gate Γu, no reset gate); see
    ``seq.MinimalGRUCell`` for the cell. For t = 0..T-1, with a<t> = c<t> the state::

        Γu   = σ(W_iu x<t> + b_iu + W_hu a<t-1> + b_hu)
        c̃<t> = tanh(W_ic x<t> + b_ic + W_hc a<t-1> + b_hc)
        a<t> = Γu ⊙ c̃<t> + (1 - Γu) ⊙ a<t-1>

    Constructor, call, inputs (padded, ``lengths=``, ``PackedSequence``, ``batch_first``, unbatched), initial
    state and outputs as ``seq.GRU`` (``output, h_n``). Parameters in PyTorch's style with two gates stacked in
    the order (u, c̃), as ``MinimalGRUCell``: ``weight_ih_l{k}`` (2H, D) for layer 0, (2H, dirs * H) above it,
    rows 0..H-1 W_iu (Γu) and rows H..2H-1 W_ic (c̃<t>); ``weight_hh_l{k}`` (2H, H) likewise; ``bias_ih_l{k}``,
    ``bias_hh_l{k}`` (2H,); ``..._reverse`` for the backward direction. Both paths exist (``impl="fused"``, the
    default, with its hand-derived BPTT in ``seq.fused.FusedMinimalGRU``, and ``impl="cells"``), held equal to
    1e-12 like the other layers'.

    There is no torch equivalent: ``seq.export.to_torch`` refuses it. Equivalent to this loop per layer and
    direction (``cell`` a ``MinimalGRUCell`` holding that layer's weights)::

        a = h_0[layer]
        for t in range(T):
            a = output[t] = cell(x[t], a)
    """

    mode = "MinimalGRU"
    gates = 2

    def _step(self, gi: Tensor, state: tuple, w_hh_t: Tensor, b_hh: Tensor | None) -> tuple:
        return (cells.minimal_gru_step(gi, state[0], w_hh_t, b_hh),)

    def _run_fused(self, x: Tensor, initial: tuple, weights: tuple, lengths: Any, reverse: bool) -> tuple:
        from seq.fused import FusedMinimalGRU

        output, h_n = FusedMinimalGRU.apply(x, initial[0], *weights, lengths, reverse)
        return output, (h_n,)
