"""Variable-length batches: ``pack_padded_sequence`` / ``pad_packed_sequence`` with PyTorch's call shape.

A ``PackedSequence`` here keeps the padded, time-major batch and the lengths (PyTorch stores the steps
of all sequences flattened; what the layers compute is the same). Passing one to ``seq.LSTM`` (or
passing ``lengths=`` directly) means: each sequence stops at its own length, the outputs past it are
zero, ``h_n`` is taken at its last valid step, and the padding gets no gradient. Whatever the padding
holds (NaN and inf included) never reaches an output, a state or a gradient.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

import minigrad
from minigrad import Tensor


class PackedSequence(NamedTuple):
    """A padded batch (T, B, *) with the length of each sequence (B,), time-major."""

    data: Tensor
    lengths: np.ndarray

    @property
    def batch_sizes(self) -> np.ndarray:
        """How many sequences are still running at each step up to the longest (PyTorch's ``batch_sizes``)."""
        steps = int(self.lengths.max()) if len(self.lengths) else 0
        return (self.lengths[None, :] > np.arange(steps)[:, None]).sum(axis=1)


def check_lengths(lengths: Any, T: int, B: int, batch_first: bool = False) -> np.ndarray:
    """Lengths as an int64 array (B,) with 1 <= length <= T, or a clear error (with a hint on the layout).

    Whole floats (3.0) are taken as PyTorch takes them; a fraction (2.5), NaN, booleans (a mask passed by mistake)
    or strings are refused.
    """
    given = lengths
    lengths = np.asarray(getattr(lengths, "data", lengths))
    if lengths.ndim != 1:
        raise ValueError(
            f"lengths must be a 1-D array with one length per sequence, got shape {lengths.shape}: pass (B,) integers"
        )
    if lengths.dtype.kind == "b":
        raise TypeError(
            "lengths must be integers, got booleans: is it a padding mask? Its lengths are mask.sum(axis=0) "
            "for a (T, B) mask"
        )
    if lengths.size and lengths.dtype.kind == "f":
        if not np.all(np.isfinite(lengths)) or np.any(lengths != np.round(lengths)):
            raise ValueError(f"lengths must be whole numbers of steps, got {given!r}")
    elif lengths.size and lengths.dtype.kind not in "iu":
        raise TypeError(f"lengths must be integers, got dtype {lengths.dtype} ({given!r})")
    if lengths.shape[0] != B:
        hint = ""
        if lengths.shape[0] == T:
            hint = f" (the input has {T} steps: is batch_first={not batch_first} what you meant?)"
        raise ValueError(
            f"Expected `len(lengths)` to be equal to batch_size, but got {lengths.shape[0]} (batch_size={B}){hint}"
        )
    if lengths.size and lengths.min() < 1:
        raise ValueError(
            "Length of all samples has to be greater than 0, but found an element in 'lengths' that is <= 0 "
            f"({lengths.min()})"
        )
    if lengths.size and lengths.max() > T:
        raise ValueError(f"every length must be between 1 and T={T}, got a length of {lengths.max()}")
    return lengths.astype(np.int64)


def pack_padded_sequence(
    input: Tensor, lengths: Any, batch_first: bool = False, enforce_sorted: bool = True
) -> PackedSequence:
    """Mark a padded batch with its lengths for ``seq.RNN/GRU/LSTM`` (as ``torch.nn.utils.rnn``'s).

    Args:
        input: (T, B, *) or (B, T, *) with ``batch_first``, a minigrad Tensor.
        lengths: (B,) ints, 1 <= length <= T.
        enforce_sorted: as PyTorch, require decreasing lengths (pass False for any order; seq's
            layers handle any order without sorting).
    """
    if not isinstance(input, Tensor):
        raise TypeError(f"pack_padded_sequence: input must be a minigrad Tensor, got {type(input).__name__}")
    if input.ndim < 2:
        layout = "(B, T, *)" if batch_first else "(T, B, *)"
        raise ValueError(f"pack_padded_sequence: input must be {layout}, got shape {tuple(input.shape)}")
    if 0 in input.shape[:2]:
        raise ValueError(f"Cannot pack empty tensors. (input of shape {tuple(input.shape)})")
    x = input.transpose(0, 1) if batch_first else input  # (B, T, *) -> (T, B, *)
    lengths = check_lengths(lengths, x.shape[0], x.shape[1], batch_first)
    if enforce_sorted and np.any(np.diff(lengths) > 0):
        raise RuntimeError(
            "`lengths` array must be sorted in decreasing order when `enforce_sorted` is True. You can pass "
            "`enforce_sorted=False` to pack_padded_sequence and/or pack_sequence to sidestep this requirement "
            "if you do not need ONNX exportability."
        )
    return PackedSequence(x, lengths)


def pad_packed_sequence(
    sequence: PackedSequence, batch_first: bool = False, padding_value: float = 0.0, total_length: int | None = None
) -> tuple[Tensor, Tensor]:
    """The padded batch and its lengths back from a ``PackedSequence`` (as ``torch.nn.utils.rnn``'s).

    The time axis runs to the longest sequence (as PyTorch: steps that were padding for every sequence are
    dropped), or to ``total_length``. Entries past each length are ``padding_value``.
    Returns ``(padded, lengths)`` with lengths an int64 tensor.
    """
    if not isinstance(sequence, PackedSequence):
        raise TypeError(
            f"pad_packed_sequence expects a PackedSequence (from seq.pack_padded_sequence or a layer's output), "
            f"got {type(sequence).__name__}"
        )
    if total_length is not None and (isinstance(total_length, bool) or not isinstance(total_length, int | np.integer)):
        raise TypeError(f"total_length must be an int, got {type(total_length).__name__}")
    data = sequence.data
    lengths = check_lengths(sequence.lengths, data.shape[0], data.shape[1])
    if len(lengths) == 0:
        raise ValueError("Cannot pad an empty batch: the PackedSequence holds no sequences")
    T = int(lengths.max())  # the longest sequence
    if data.shape[0] > T:
        data = data[:T]  # (T, B, *): the steps after the longest sequence hold only padding
    valid = (np.arange(T)[:, None] < lengths[None, :]).reshape(T, len(lengths), *([1] * (data.ndim - 2)))
    out = minigrad.where(valid, data, padding_value)  # (T, B, *)
    if total_length is not None:
        if total_length < T:
            raise ValueError(
                "Expected total_length to be at least the length of the longest sequence in input, but got "
                f"total_length={total_length} and max sequence length being {T}"
            )
        if total_length > T:
            out = minigrad.pad(out, [(0, total_length - T)] + [(0, 0)] * (data.ndim - 1), value=padding_value)
    if batch_first:
        out = out.transpose(0, 1)  # (T, B, *) -> (B, T, *)
    return out, Tensor(lengths.copy())
