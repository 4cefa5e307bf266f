"""The recurrent layers users train with: ``seq.RNN``, ``seq.GRU``, ``seq.LSTM``, with PyTorch's API.

Constructor ``(input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
bidirectional=False)``, call ``layer(input, hx=None, lengths=None)``, return ``output, h_n``
(``output, (h_n, c_n)`` for the LSTM), parameter names ``weight_ih_l{k}``, ``weight_hh_l{k}``,
``bias_ih_l{k}``, ``bias_hh_l{k}`` and ``..._reverse`` — all as ``torch.nn``, so a state dict moves
between the two.

Two paths compute the same function (a test holds them equal to 1e-12 in values and gradients):

- ``impl="fused"`` (the default): each layer and direction is one autograd ``Function`` over the
  whole sequence (``seq/fused.py``), as PyTorch's native kernels are — the input projection of all
  steps as one matrix product, one product per step for all gates, a hand-derived backward loop,
  the weight gradients as one product over all steps. It is what you train with.
- ``impl="cells"``: the readable cells of ``seq/cells.py`` applied step by step through the autograd
  engine. This is automatic BPTT in its pure form: nothing about time is written by hand, autograd
  unrolls the loop. It is what you step through to learn, and the fused path's proof.
"""

from __future__ import annotations

import math
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
        if input_size <= 0 or hidden_size <= 0 or num_layers <= 0:
            raise ValueError(
                f"input_size, hidden_size and num_layers must be positive, got {input_size}, {hidden_size}, "
                f"{num_layers}"
            )
        if not 0 <= dropout <= 1:
            raise ValueError(
                f"dropout should be a number in range [0, 1] representing the probability of an "
                f"element being zeroed, got {dropout}"
            )
        if impl not in ("fused", "cells"):
            raise ValueError(f"impl must be 'fused' or 'cells', got {impl!r}")
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias, self.batch_first, self.dropout = bias, batch_first, float(dropout)
        self.bidirectional, self.impl = bidirectional, impl
        self.num_directions = 2 if bidirectional else 1
        dtype = minigrad.get_default_dtype() if dtype is None else np.dtype(dtype)
        G, H = self.gates, hidden_size
        for layer in range(num_layers):
            layer_input = input_size if layer == 0 else H * self.num_directions
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
        gi = x @ w_ih.T  # the input projection of all steps at once: (T, B, D) @ (D, G*H) -> (T, B, G*H)
        if b_ih is not None:
            gi = gi + b_ih
        if b_hh is not None and self.fold_hh_bias:
            gi = gi + b_hh  # b_hh is added where b_ih is, so add it once for all steps
            b_hh = None
        w_hh_t = w_hh.T  # (H, G*H), transposed once for all steps
        valid = None if lengths is None else (np.arange(T)[:, None] < lengths[None, :])[..., None]  # (T, B, 1)
        state = initial
        outputs: list = [None] * T
        for t in range(T - 1, -1, -1) if reverse else range(T):
            new = self._step(gi[t], state, w_hh_t, b_hh)
            if valid is None:
                state = new
                outputs[t] = new[0]
            else:  # a sequence past its length keeps its state and outputs zero
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
        layout = {"packed": False, "unbatched": False}
        if isinstance(input, PackedSequence):
            if lengths is not None:
                raise ValueError("pass lengths either in the PackedSequence or as lengths=, not both")
            x, lengths = input.data, input.lengths
            layout["packed"] = True
            layout["lengths"] = input.lengths
        else:
            if not isinstance(input, Tensor):
                raise TypeError(f"{self.mode}: input must be a minigrad Tensor, got {type(input).__name__}")
            x = input
            if x.ndim not in (2, 3):
                raise ValueError(f"{self.mode}: Expected input to be 2D or 3D, got {x.ndim}D instead")
            if x.ndim == 2:
                layout["unbatched"] = True
                x = x.unsqueeze(1)  # (T, D) -> (T, 1, D)
            elif self.batch_first:
                x = x.transpose(0, 1)  # (B, T, D) -> (T, B, D)
        if x.shape[-1] != self.input_size:
            raise ValueError(
                f"input.size(-1) must be equal to input_size. Expected {self.input_size}, got {x.shape[-1]}"
            )
        params_dtype = self.weight_ih_l0.dtype
        if x.dtype != params_dtype:
            raise TypeError(
                f"{self.mode}: input dtype {x.dtype} does not match the parameters' {params_dtype}: convert one "
                f"(e.g. x.astype(np.{params_dtype}) or build the layer with dtype=np.{x.dtype})"
            )
        if lengths is not None and not layout["packed"]:
            if layout["unbatched"]:
                raise ValueError("lengths= needs a batch: an unbatched (T, D) input has one sequence of length T")
            lengths = check_lengths(lengths, x.shape[0], x.shape[1], self.batch_first)
        return x, lengths, layout

    def _state_names(self) -> tuple:
        return ("hidden",)

    def _prepare_states(self, hx: Any, B: int, dtype: Any, unbatched: bool, T: int) -> tuple:
        n = self.num_layers * self.num_directions
        kinds = self._state_names()
        if hx is None:
            return tuple(minigrad.zeros(n, B, self.hidden_size, dtype=dtype) for _ in kinds)
        given = hx if isinstance(hx, tuple | list) else (hx,)
        if len(given) != len(kinds):
            raise ValueError(f"{self.mode}: expected {len(kinds)} initial state tensor(s), got {len(given)}")
        states = []
        for kind, s in zip(kinds, given):
            expected = (n, self.hidden_size) if unbatched else (n, B, self.hidden_size)
            if tuple(s.shape) != expected:
                hint = ""
                if not unbatched and s.ndim == 3 and s.shape[1] == T and T != B:
                    hint = f" (the input's first axis has {T}: is batch_first={not self.batch_first} what you meant?)"
                raise ValueError(f"Expected {kind} size {expected}, got {tuple(s.shape)}{hint}")
            if s.dtype != dtype:
                raise TypeError(f"{self.mode}: initial {kind} state has dtype {s.dtype}, the input {dtype}")
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
        self.reset_after = reset_after
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
        self.forget_bias = forget_bias
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, impl, dtype)

    def reset_parameters(self) -> None:
        super().reset_parameters()
        if self.forget_bias is not None and self.bias:
            for layer in range(self.num_layers):
                for reverse in (False, True)[: self.num_directions]:
                    _, _, b_ih, b_hh = self.weights(layer, reverse)
                    cells.set_forget_bias(b_ih, b_hh, self.forget_bias)

    def _extra_options(self) -> str:
        return "" if self.forget_bias is None else f", forget_bias={self.forget_bias}"

    def _state_names(self) -> tuple:
        return ("hidden", "cell")

    def _step(self, gi: Tensor, state: tuple, w_hh_t: Tensor, b_hh: Tensor | None) -> tuple:
        return cells.lstm_step(gi, state[0], state[1], w_hh_t, b_hh)

    def _run_fused(self, x: Tensor, initial: tuple, weights: tuple, lengths: Any, reverse: bool) -> tuple:
        from seq.fused import FusedLSTM

        output, h_n, c_n = FusedLSTM.apply(x, initial[0], initial[1], *weights, lengths, reverse)
        return output, (h_n, c_n)
