"""Hostile input to every public entry point of seq's layers, cells, packing, initialisations, state and export.

One table: each case is a call, the exception it must raise and a fragment of its message. Where torch.nn has the
same call, the case also says what PyTorch 2.13 does with it, and a second test checks that: PyTorch refuses it
with the same words (``words`` is also a fragment of PyTorch's message), refuses it in other words (``OTHER``), or
accepts it (``ACCEPTS``: the places where seq is deliberately stricter, because PyTorch's result would be silently
surprising: ``hidden_size=True`` is a layer of size 1, ``bidirectional="no"`` is bidirectional, a length of 4.5
is 4, a boolean mask passed as lengths counts every sequence as 1 step long).

Exception types: seq raises TypeError for a wrong type and ValueError for a wrong value or shape, also where
PyTorch's C++ checks raise RuntimeError (T = 0, input.size(-1)); it keeps PyTorch's RuntimeError where PyTorch raises
it from Python (unsorted lengths with enforce_sorted).
"""

from __future__ import annotations

import dataclasses
import re
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import minigrad
import seq
from minigrad import Tensor
from seq import export
from seq.fused import FusedLSTM

OTHER = "PyTorch refuses it in other words"
ACCEPTS = "PyTorch accepts it"


@dataclasses.dataclass(frozen=True)
class Case:
    """A hostile call: what seq raises (type and message fragment) and what PyTorch does with the same call."""

    id: str
    call: Callable[[], Any]
    error: type[Exception]
    words: str
    torch_call: Callable[[Any], Any] | None = None  # the same call in PyTorch, given the torch module
    torch_does: str | None = None  # "same words" (None), OTHER or ACCEPTS
    needs_torch: bool = False  # the seq call itself needs torch (seq.export)


def z(*shape: int, dtype: Any = np.float32) -> Tensor:
    return minigrad.zeros(*shape, dtype=dtype)


LAYERS = ["RNN", "GRU", "LSTM", "MinimalGRU"]


def constructor_cases() -> list[Case]:
    """The layer constructors: every layer gets every case; PyTorch is asked about its LSTM."""
    table = [
        # (id, args, kwargs, error, words, torch_does)
        ("input_size float", (4.0, 8), {}, TypeError, "input_size should be of type int, got: float", None),
        ("hidden_size float", (4, 6.5), {}, TypeError, "hidden_size should be of type int, got: float", None),
        ("hidden_size True", (4, True), {}, TypeError, "hidden_size should be of type int, got: bool", ACCEPTS),
        ("input_size True", (True, 4), {}, TypeError, "input_size should be of type int, got: bool", ACCEPTS),
        ("hidden_size str", (4, "6"), {}, TypeError, "hidden_size should be of type int, got: str", None),
        ("input_size str", ("4", 6), {}, TypeError, "input_size should be of type int, got: str", None),
        ("input_size 0", (0, 6), {}, ValueError, "input_size must be greater than zero", None),
        ("input_size negative", (-4, 6), {}, ValueError, "input_size must be greater than zero", None),
        ("hidden_size 0", (4, 0), {}, ValueError, "hidden_size must be greater than zero", None),
        ("hidden_size negative", (4, -6), {}, ValueError, "hidden_size must be greater than zero", None),
        ("num_layers 0", (4, 6), {"num_layers": 0}, ValueError, "num_layers must be greater than zero", None),
        ("num_layers negative", (4, 6), {"num_layers": -1}, ValueError, "num_layers must be greater than zero", None),
        ("num_layers float", (4, 6), {"num_layers": 2.0}, TypeError, "num_layers should be of type int", OTHER),
        ("num_layers str", (4, 6), {"num_layers": "2"}, TypeError, "num_layers should be of type int", OTHER),
        ("num_layers True", (4, 6), {"num_layers": True}, TypeError, "num_layers should be of type int", ACCEPTS),
        ("dropout str", (4, 6), {"dropout": "x"}, ValueError, "dropout should be a number in range [0, 1]", OTHER),
        ("dropout > 1", (4, 6), {"dropout": 1.5}, ValueError, "dropout should be a number in range [0, 1]", None),
        ("dropout < 0", (4, 6), {"dropout": -0.1}, ValueError, "dropout should be a number in range [0, 1]", None),
        ("dropout True", (4, 6), {"dropout": True}, ValueError, "dropout should be a number in range [0, 1]", None),
        ("dropout NaN", (4, 6), {"dropout": np.nan}, ValueError, "dropout should be a number in range [0, 1]", None),
        ("bias str", (4, 6), {"bias": "x"}, TypeError, "bias should be of type bool, got: str", None),
        (
            "batch_first str",
            (4, 6),
            {"batch_first": "x"},
            TypeError,
            "batch_first should be of type bool, got: str",
            None,
        ),
        (
            "bidirectional str",
            (4, 6),
            {"bidirectional": "no"},
            TypeError,
            "bidirectional should be of type bool",
            ACCEPTS,
        ),
        ("dtype int", (4, 6), {"dtype": np.int64}, TypeError, "dtype must be a floating-point dtype", OTHER),
    ]
    cases = []
    for mode in LAYERS:
        for id_, args, kwargs, error, words, torch_does in table:
            torch_call = None
            if mode == "LSTM":
                torch_kwargs = {**kwargs, "dtype": "torch.int64"} if "dtype" in kwargs else kwargs

                def torch_call(torch, args=args, kwargs=torch_kwargs):
                    if "dtype" in kwargs:
                        kwargs = {**kwargs, "dtype": torch.int64}
                    return torch.nn.LSTM(*args, **kwargs)

            cases.append(
                Case(
                    f"{mode}: {id_}",
                    lambda mode=mode, args=args, kwargs=kwargs: getattr(seq, mode)(*args, **kwargs),
                    error,
                    words,
                    torch_call,
                    torch_does,
                )
            )
    return cases


def cell_constructor_cases() -> list[Case]:
    """The cells take the layers' checks (PyTorch's cells check nothing: torch.empty fails, or a size 0 passes)."""
    table = [
        ("input_size float", (4.0, 8), {}, TypeError, "input_size should be of type int, got: float", OTHER),
        ("hidden_size float", (4, 6.5), {}, TypeError, "hidden_size should be of type int, got: float", OTHER),
        ("hidden_size True", (4, True), {}, TypeError, "hidden_size should be of type int, got: bool", ACCEPTS),
        ("hidden_size str", (4, "6"), {}, TypeError, "hidden_size should be of type int, got: str", OTHER),
        ("input_size negative", (-4, 6), {}, ValueError, "input_size must be greater than zero", OTHER),
        ("hidden_size 0", (4, 0), {}, ValueError, "hidden_size must be greater than zero", ACCEPTS),
        ("bias str", (4, 6), {"bias": "x"}, TypeError, "bias should be of type bool, got: str", ACCEPTS),
        ("dtype int", (4, 6), {"dtype": np.int64}, TypeError, "dtype must be a floating-point dtype", None),
    ]
    cases = []
    for name in ("RNNCell", "GRUCell", "LSTMCell", "MinimalGRUCell"):
        for id_, args, kwargs, error, words, torch_does in table:
            torch_call = None
            if name != "MinimalGRUCell" and "dtype" not in kwargs:

                def torch_call(torch, name=name, args=args, kwargs=kwargs):
                    return getattr(torch.nn, name)(*args, **kwargs)

            cases.append(
                Case(
                    f"{name}: {id_}",
                    lambda name=name, args=args, kwargs=kwargs: getattr(seq, name)(*args, **kwargs),
                    error,
                    words,
                    torch_call,
                    torch_does,
                )
            )
    return cases


def other_option_cases() -> list[Case]:
    return [
        Case("LSTM: forget_bias without biases", lambda: seq.LSTM(4, 6, bias=False, forget_bias=1.0), ValueError,
             "bias=False leaves the LSTM without biases"),
        Case("LSTM: forget_bias str", lambda: seq.LSTM(4, 6, forget_bias="x"), TypeError,
             "forget_bias should be a number"),
        Case("LSTM: forget_bias NaN", lambda: seq.LSTM(4, 6, forget_bias=np.nan), ValueError,
             "forget_bias must be finite"),
        Case("LSTMCell: forget_bias without biases", lambda: seq.LSTMCell(4, 6, bias=False, forget_bias=1.0),
             ValueError, "bias=False leaves the LSTM without biases"),
        Case("RNN: nonlinearity", lambda: seq.RNN(4, 6, nonlinearity="sigmoid"), ValueError,
             "Unknown nonlinearity 'sigmoid'. Select from 'tanh' or 'relu'.",
             lambda torch: torch.nn.RNN(4, 6, nonlinearity="sigmoid")),
        Case("RNNCell: nonlinearity", lambda: seq.RNNCell(4, 6, nonlinearity="sigmoid"), ValueError,
             "Unknown nonlinearity 'sigmoid'", lambda torch: torch.nn.RNNCell(4, 6, nonlinearity="sigmoid")(
                 torch.zeros(1, 4)), OTHER),
        Case("GRU: reset_after str", lambda: seq.GRU(4, 6, reset_after="x"), TypeError,
             "reset_after should be of type bool"),
        Case("LSTM: impl", lambda: seq.LSTM(4, 6, impl="fast"), ValueError, "impl must be 'fused' or 'cells'"),
    ]  # fmt: skip


def lstm():
    return seq.LSTM(4, 3, num_layers=2, bidirectional=True)


def gru():
    return seq.GRU(4, 3)


def forward_cases() -> list[Case]:
    x = z(5, 2, 4)
    return [
        Case("input: NumPy array", lambda: gru()(np.zeros((5, 2, 4), np.float32)), TypeError,
             "input must be a minigrad Tensor", lambda t: t.nn.GRU(4, 3)(np.zeros((5, 2, 4), np.float32)), OTHER),
        Case("input: 4-D", lambda: lstm()(z(5, 2, 4, 1)), ValueError, "Expected input to be 2D or 3D, got 4D instead",
             lambda t: t.nn.LSTM(4, 3, 2, bidirectional=True)(t.zeros(5, 2, 4, 1))),
        Case("input: 1-D", lambda: lstm()(z(5)), ValueError, "Expected input to be 2D or 3D, got 1D instead",
             lambda t: t.nn.LSTM(4, 3, 2, bidirectional=True)(t.zeros(5))),
        Case("input: wrong features", lambda: lstm()(z(5, 2, 5)), ValueError,
             "input.size(-1) must be equal to input_size. Expected 4, got 5",
             lambda t: t.nn.LSTM(4, 3, 2, bidirectional=True)(t.zeros(5, 2, 5))),
        Case("input: no features", lambda: gru()(z(5, 2, 0)), ValueError,
             "input.size(-1) must be equal to input_size. Expected 4, got 0",
             lambda t: t.nn.GRU(4, 3)(t.zeros(5, 2, 0))),
        Case("input: T = 0", lambda: lstm()(z(0, 2, 4)), ValueError, "Expected sequence length to be larger than 0",
             lambda t: t.nn.LSTM(4, 3, 2, bidirectional=True)(t.zeros(0, 2, 4))),
        Case("input: T = 0, batch_first", lambda: seq.GRU(4, 3, batch_first=True)(z(2, 0, 4)), ValueError,
             "Expected sequence length to be larger than 0",
             lambda t: t.nn.GRU(4, 3, batch_first=True)(t.zeros(2, 0, 4))),
        Case("input: T = 0, unbatched", lambda: gru()(z(0, 4)), ValueError,
             "Expected sequence length to be larger than 0", lambda t: t.nn.GRU(4, 3)(t.zeros(0, 4))),
        Case("input: float64 into float32", lambda: lstm()(z(5, 2, 4, dtype=np.float64)), TypeError,
             "does not match weight dtype",
             lambda t: t.nn.LSTM(4, 3, 2, bidirectional=True)(t.zeros(5, 2, 4, dtype=t.float64))),
        Case("input: integers", lambda: gru()(Tensor(np.zeros((5, 2, 4), np.int64))), TypeError,
             "must be floating point", lambda t: t.nn.GRU(4, 3)(t.zeros(5, 2, 4, dtype=t.int64)), OTHER),
        Case("LSTM hx: a bare tensor", lambda: lstm()(x, z(4, 2, 3)), TypeError,
             "the state of an LSTM is a tuple (h_0, c_0) of two tensors",
             lambda t: t.nn.LSTM(4, 3, 2, bidirectional=True)(t.zeros(5, 2, 4), t.zeros(4, 2, 3)), OTHER),
        Case("LSTM hx: three tensors", lambda: lstm()(x, (z(4, 2, 3),) * 3), ValueError, "expects two hidden states",
             lambda t: t.nn.LSTM(4, 3, 2, bidirectional=True)(t.zeros(5, 2, 4), (t.zeros(4, 2, 3),) * 3)),
        Case("LSTM hx: wrong shape", lambda: lstm()(x, (z(4, 3, 3), z(4, 2, 3))), ValueError,
             "Expected hidden size (4, 2, 3), got (4, 3, 3)",
             lambda t: t.nn.LSTM(4, 3, 2, bidirectional=True)(t.zeros(5, 2, 4), (t.zeros(4, 3, 3), t.zeros(4, 2, 3))),
             OTHER),
        Case("LSTM cx: wrong shape", lambda: lstm()(x, (z(4, 2, 3), z(4, 2, 2))), ValueError,
             "Expected cell size (4, 2, 3), got (4, 2, 2)",
             lambda t: t.nn.LSTM(4, 3, 2, bidirectional=True)(t.zeros(5, 2, 4), (t.zeros(4, 2, 3), t.zeros(4, 2, 2))),
             OTHER),
        Case("hx: 2-D for a batch", lambda: gru()(x, z(1, 3)), ValueError,
             "For batched 3-D input, hx should also be 3-D but got 2-D tensor",
             lambda t: t.nn.GRU(4, 3)(t.zeros(5, 2, 4), t.zeros(1, 3))),
        Case("hx: 3-D for one sequence", lambda: gru()(z(5, 4), z(1, 1, 3)), ValueError,
             "For unbatched 2-D input, hx should also be 2-D but got 3-D tensor",
             lambda t: t.nn.GRU(4, 3)(t.zeros(5, 4), t.zeros(1, 1, 3))),
        Case("hx: float64 into float32", lambda: gru()(x, z(1, 2, 3, dtype=np.float64)), TypeError,
             "does not match weight dtype",
             lambda t: t.nn.GRU(4, 3)(t.zeros(5, 2, 4), t.zeros(1, 2, 3, dtype=t.float64)), OTHER),
        Case("hx: NumPy array", lambda: gru()(x, np.zeros((1, 2, 3), np.float32)), TypeError,
             "hx must be a minigrad Tensor",
             lambda t: t.nn.GRU(4, 3)(t.zeros(5, 2, 4), np.zeros((1, 2, 3), np.float32)), OTHER),
        Case("hx: batch_first mix-up", lambda: seq.GRU(4, 3)(z(6, 2, 4), z(1, 6, 3)), ValueError,
             "is batch_first=True what you meant?",
             lambda t: t.nn.GRU(4, 3)(t.zeros(6, 2, 4), t.zeros(1, 6, 3)), OTHER),
    ]  # fmt: skip


def lengths_cases() -> list[Case]:
    x = z(5, 2, 4)

    def packed_gru(t, lengths, **kwargs):
        return t.nn.GRU(4, 3)(t.nn.utils.rnn.pack_padded_sequence(t.zeros(5, 2, 4), lengths, **kwargs))

    return [
        Case("lengths: longer than T", lambda: gru()(x, lengths=[6, 2]), ValueError,
             "every length must be between 1 and T=5, got a length of 6", lambda t: packed_gru(t, [6, 2]), OTHER),
        Case("lengths: 0", lambda: gru()(x, lengths=[5, 0]), ValueError,
             "Length of all samples has to be greater than 0", lambda t: packed_gru(t, [5, 0])),
        Case("lengths: negative", lambda: gru()(x, lengths=[5, -1]), ValueError,
             "Length of all samples has to be greater than 0", lambda t: packed_gru(t, [5, -1])),
        Case("lengths: a fraction", lambda: gru()(x, lengths=[4.5, 2.0]), ValueError,
             "lengths must be whole numbers of steps", lambda t: packed_gru(t, [4.5, 2.0]), ACCEPTS),
        Case("lengths: NaN", lambda: gru()(x, lengths=[np.nan, 2.0]), ValueError,
             "lengths must be whole numbers of steps", lambda t: packed_gru(t, [float("nan"), 2.0]), OTHER),
        Case("lengths: booleans", lambda: gru()(x, lengths=[True, True]), TypeError,
             "got booleans: is it a padding mask?", lambda t: packed_gru(t, [True, True]), ACCEPTS),
        Case("lengths: strings", lambda: gru()(x, lengths=["5", "2"]), TypeError, "lengths must be integers",
             lambda t: packed_gru(t, ["5", "2"]), OTHER),
        Case("lengths: 2-D", lambda: gru()(x, lengths=[[5, 2]]), ValueError, "lengths must be a 1-D array",
             lambda t: packed_gru(t, [[5, 2]]), OTHER),
        Case("lengths: a scalar", lambda: gru()(x, lengths=5), ValueError, "lengths must be a 1-D array",
             lambda t: packed_gru(t, 5), OTHER),
        Case("lengths: one per step", lambda: gru()(x, lengths=[5, 4, 3, 2, 1]), ValueError,
             "Expected `len(lengths)` to be equal to batch_size, but got 5 (batch_size=2)",
             lambda t: packed_gru(t, [5, 4, 3, 2, 1])),
        Case("lengths: unbatched input", lambda: gru()(z(5, 4), lengths=[5]), ValueError, "lengths= needs a batch"),
        Case("lengths: twice", lambda: gru()(seq.pack_padded_sequence(x, [5, 2]), lengths=[5, 2]), ValueError,
             "not both"),
        Case("pack: unsorted", lambda: seq.pack_padded_sequence(x, [2, 5]), RuntimeError,
             "`lengths` array must be sorted in decreasing order when `enforce_sorted` is True",
             lambda t: t.nn.utils.rnn.pack_padded_sequence(t.zeros(5, 2, 4), [2, 5])),
        Case("pack: B = 0", lambda: seq.pack_padded_sequence(z(5, 0, 4), []), ValueError, "Cannot pack empty tensors.",
             lambda t: t.nn.utils.rnn.pack_padded_sequence(t.zeros(5, 0, 4), [])),
        Case("pack: T = 0", lambda: seq.pack_padded_sequence(z(0, 2, 4), [0, 0]), ValueError,
             "Cannot pack empty tensors.", lambda t: t.nn.utils.rnn.pack_padded_sequence(t.zeros(0, 2, 4), [0, 0])),
        Case("pack: NumPy input", lambda: seq.pack_padded_sequence(np.zeros((5, 2, 4)), [5, 2]), TypeError,
             "input must be a minigrad Tensor",
             lambda t: t.nn.utils.rnn.pack_padded_sequence(np.zeros((5, 2, 4)), [5, 2]), OTHER),
        Case("pack: 1-D input", lambda: seq.pack_padded_sequence(z(5), [5]), ValueError, "input must be (T, B, *)",
             lambda t: t.nn.utils.rnn.pack_padded_sequence(t.zeros(5), [5]), OTHER),
        Case("packed by hand: a length past T", lambda: gru()(seq.PackedSequence(x, np.array([9, 1]))), ValueError,
             "every length must be between 1 and T=5, got a length of 9"),
        Case("pad: packed by hand, a length past T",
             lambda: seq.pad_packed_sequence(seq.PackedSequence(x, np.array([9, 1]))), ValueError,
             "every length must be between 1 and T=5, got a length of 9"),
        Case("pad: not packed", lambda: seq.pad_packed_sequence(x), TypeError, "expects a PackedSequence",
             lambda t: t.nn.utils.rnn.pad_packed_sequence(t.zeros(5, 2, 4)), OTHER),
        Case("pad: total_length too short",
             lambda: seq.pad_packed_sequence(seq.pack_padded_sequence(x, [4, 2]), total_length=3), ValueError,
             "Expected total_length to be at least the length of the longest sequence in input, but got "
             "total_length=3 and max sequence length being 4",
             lambda t: t.nn.utils.rnn.pad_packed_sequence(
                 t.nn.utils.rnn.pack_padded_sequence(t.zeros(5, 2, 4), [4, 2]), total_length=3)),
        Case("pad: total_length float",
             lambda: seq.pad_packed_sequence(seq.pack_padded_sequence(x, [4, 2]), total_length=5.0), TypeError,
             "total_length must be an int",
             lambda t: t.nn.utils.rnn.pad_packed_sequence(
                 t.nn.utils.rnn.pack_padded_sequence(t.zeros(5, 2, 4), [4, 2]), total_length=5.0), OTHER),
    ]  # fmt: skip


def cell_forward_cases() -> list[Case]:
    cases = [
        Case("LSTMCell state: a bare tensor", lambda: seq.LSTMCell(4, 3)(z(2, 4), z(2, 3)), TypeError,
             "the state of an LSTM is a tuple (a, c) of two tensors",
             lambda t: t.nn.LSTMCell(4, 3)(t.zeros(2, 4), t.zeros(2, 3)), OTHER),
        Case("LSTMCell state: three tensors", lambda: seq.LSTMCell(4, 3)(z(2, 4), (z(2, 3),) * 3), ValueError,
             "expects two hidden states", lambda t: t.nn.LSTMCell(4, 3)(t.zeros(2, 4), (t.zeros(2, 3),) * 3)),
        Case("LSTMCell state: one tensor in a tuple", lambda: seq.LSTMCell(4, 3)(z(2, 4), (z(2, 3),)), ValueError,
             "expects two hidden states", lambda t: t.nn.LSTMCell(4, 3)(t.zeros(2, 4), (t.zeros(2, 3),))),
        Case("LSTMCell state: a list of arrays", lambda: seq.LSTMCell(4, 3)(z(2, 4), [np.zeros((2, 3))] * 2),
             TypeError, "must be a minigrad Tensor"),
    ]  # fmt: skip
    for name in ("RNNCell", "GRUCell", "MinimalGRUCell"):
        has_torch = name != "MinimalGRUCell"

        def theirs(call, name=name, has_torch=has_torch):
            return (lambda t: call(getattr(t.nn, name)(4, 3), t)) if has_torch else None

        def ours(call, name=name):
            return lambda: call(getattr(seq, name)(4, 3))

        cases += [
            Case(f"{name}: input 3-D", ours(lambda c: c(z(1, 2, 4))), ValueError,
                 f"{name}: Expected input to be 1D or 2D, got 3D instead", theirs(lambda c, t: c(t.zeros(1, 2, 4)))),
            Case(f"{name}: wrong features", ours(lambda c: c(z(2, 5))), ValueError,
                 "input.size(-1) must be equal to input_size. Expected 4, got 5", theirs(lambda c, t: c(t.zeros(2, 5))),
                 OTHER),
            Case(f"{name}: state of another batch", ours(lambda c: c(z(2, 4), z(3, 3))), ValueError,
                 "Expected hidden size (2, 3), got (3, 3)", theirs(lambda c, t: c(t.zeros(2, 4), t.zeros(3, 3))),
                 OTHER),
            Case(f"{name}: state of another size", ours(lambda c: c(z(2, 4), z(2, 2))), ValueError,
                 "Expected hidden size (2, 3), got (2, 2)", theirs(lambda c, t: c(t.zeros(2, 4), t.zeros(2, 2))),
                 OTHER),
            Case(f"{name}: batched state, one step", ours(lambda c: c(z(4), z(1, 3))), ValueError,
                 "an unbatched (D,) input needs (H,)", theirs(lambda c, t: c(t.zeros(4), t.zeros(1, 3))), OTHER),
            Case(f"{name}: float64 into float32", ours(lambda c: c(z(2, 4, dtype=np.float64))), TypeError,
                 "does not match weight dtype", theirs(lambda c, t: c(t.zeros(2, 4, dtype=t.float64))), OTHER),
            Case(f"{name}: float64 state", ours(lambda c: c(z(2, 4), z(2, 3, dtype=np.float64))), TypeError,
                 "does not match weight dtype", theirs(lambda c, t: c(t.zeros(2, 4), t.zeros(2, 3, dtype=t.float64))),
                 OTHER),
            Case(f"{name}: NumPy input", ours(lambda c: c(np.zeros((2, 4), np.float32))), TypeError,
                 "input must be a minigrad Tensor", theirs(lambda c, t: c(np.zeros((2, 4), np.float32))), OTHER),
            Case(f"{name}: a tuple as the state", ours(lambda c: c(z(2, 4), (z(2, 3),))), TypeError,
                 "the hidden state must be a minigrad Tensor", theirs(lambda c, t: c(t.zeros(2, 4), (t.zeros(2, 3),))),
                 OTHER),
        ]  # fmt: skip
    return cases


def toolkit_cases() -> list[Case]:
    return [
        Case("init.identity_: not a recurrent module", lambda: seq.init.identity_(minigrad.nn.Linear(2, 3)), TypeError,
             "identity_ initialises seq's recurrent cells and layers"),
        Case("init.orthogonal_recurrent_: None", lambda: seq.init.orthogonal_recurrent_(None), TypeError,
             "got NoneType"),
        Case("init.identity_: an LSTM", lambda: seq.init.identity_(seq.LSTM(2, 3)), ValueError, "plain RNNs"),
        Case("init.identity_: negative std", lambda: seq.init.identity_(seq.RNN(2, 3), input_std=-1.0), ValueError,
             "input_std must be finite and at least 0.0"),
        Case("init.forget_bias_: a GRU", lambda: seq.init.forget_bias_(seq.GRU(2, 3)), ValueError, "for LSTMs"),
        Case("init.forget_bias_: no biases", lambda: seq.init.forget_bias_(seq.LSTM(2, 3, bias=False)), ValueError,
             "bias=False"),
        Case("init.forget_bias_: str", lambda: seq.init.forget_bias_(seq.LSTM(2, 3), "x"), TypeError,
             "value should be a number"),
        Case("weights: no such layer", lambda: seq.LSTM(2, 3).weights(1), IndexError, "layer must be an int in [0, 1)"),
        Case("weights: no reverse direction", lambda: seq.LSTM(2, 3).weights(0, reverse=True), ValueError,
             "no reverse direction"),
        Case("set_forget_bias: not an LSTM's", lambda: seq.cells.set_forget_bias(z(6), z(6), 1.0), ValueError,
             "two (4H,) vectors"),
        Case("detach_state: an array", lambda: seq.detach_state(np.zeros(3)), TypeError,
             "detach_state expects a Tensor or a tuple/list of Tensors"),
        Case("FusedLSTM: T = 0", lambda: FusedLSTM.apply(z(0, 2, 3), None, None, z(8, 3), z(8, 2), None, None),
             ValueError, "Expected sequence length to be larger than 0"),
        Case("to_torch: a MinimalGRU", lambda: export.to_torch(seq.MinimalGRU(3, 4)), ValueError,
             "MinimalGRU cannot be exported to PyTorch", needs_torch=True),
        Case("to_torch: not a seq module", lambda: export.to_torch(minigrad.nn.Linear(3, 4)), TypeError,
             "to_torch converts seq.RNN", needs_torch=True),
        Case("from_torch: None", lambda: export.from_torch(None), TypeError, "from_torch converts torch.nn.RNN",
             needs_torch=True),
        Case("from_torch: impl", lambda: export.from_torch(__import__("torch").nn.LSTM(3, 4), impl="x"), ValueError,
             "impl must be 'fused' or 'cells'", needs_torch=True),
        Case("from_torch: bfloat16", lambda: export.from_torch(__import__("torch").nn.LSTM(3, 4).bfloat16()),
             ValueError, "from_torch(module.float())", needs_torch=True),
    ]  # fmt: skip


CASES = (
    constructor_cases()
    + cell_constructor_cases()
    + other_option_cases()
    + forward_cases()
    + lengths_cases()
    + cell_forward_cases()
    + toolkit_cases()
)
IMPLS = ["fused", "cells"]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_seq_refuses_hostile_input_clearly(case):
    if case.needs_torch:
        pytest.importorskip("torch")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (dropout cases warn about one layer before they raise)
        with pytest.raises(case.error, match=re.escape(case.words)):
            case.call()


TORCH_CASES = [c for c in CASES if c.torch_call is not None]


@pytest.mark.torch
@pytest.mark.parametrize("case", TORCH_CASES, ids=[c.id for c in TORCH_CASES])
def test_what_pytorch_does_with_the_same_call(case):
    torch = pytest.importorskip("torch")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if case.torch_does == ACCEPTS:
            case.torch_call(torch)  # seq is stricter here: see the module docstring
            return
        with pytest.raises(Exception) as info:  # PyTorch raises several types; seq's is pinned above
            case.torch_call(torch)
    if case.torch_does is None:  # the same words
        assert case.words in str(info.value), str(info.value)


@pytest.mark.parametrize("mode", LAYERS)
def test_dropout_with_one_layer_warns_as_pytorch(mode):
    with pytest.warns(UserWarning) as ours:
        getattr(seq, mode)(4, 6, dropout=0.5)
    expected = (
        "dropout option adds dropout after all but last recurrent layer, so non-zero dropout expects num_layers "
        "greater than 1, but got dropout=0.5 and num_layers=1"
    )
    assert [str(w.message) for w in ours] == [expected]
    assert ours[0].filename == __file__  # it points at the caller's line
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        getattr(seq, mode)(4, 6, dropout=0.5, num_layers=2)  # no warning with stacked layers
    try:
        import torch
    except ImportError:
        return
    with pytest.warns(UserWarning) as theirs:
        torch.nn.LSTM(4, 6, dropout=0.5)
    assert [str(w.message) for w in theirs] == [expected]


@pytest.mark.parametrize("impl", IMPLS)
def test_whole_float_lengths_are_taken_as_pytorch_takes_them(impl):
    minigrad.manual_seed(0)
    gru = seq.GRU(4, 3, impl=impl)
    x = minigrad.randn(5, 3, 4)
    as_ints = gru(x, lengths=[5, 2, 3])
    for lengths in ([5.0, 2.0, 3.0], np.array([5.0, 2.0, 3.0]), Tensor(np.array([5, 2, 3]))):
        again = gru(x, lengths=lengths)
        np.testing.assert_array_equal(again[0].data, as_ints[0].data)
        np.testing.assert_array_equal(again[1].data, as_ints[1].data)


def test_sizes_may_be_numpy_integers():
    """Stricter than PyTorch where PyTorch is surprising, laxer where it is not: np.int64(4) is an int."""
    layer = seq.LSTM(np.int64(4), np.int64(3), num_layers=np.int32(2))
    assert (layer.input_size, layer.hidden_size, layer.num_layers) == (4, 3, 2)
    assert type(layer.hidden_size) is int
    assert seq.GRUCell(np.int64(4), np.int64(3)).weight_hh.shape == (9, 3)
