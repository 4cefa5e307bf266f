"""Variable-length batches: ``pack_padded_sequence`` / ``pad_packed_sequence`` with PyTorch's call shape.

A ``PackedSequence`` here keeps the padded, time-major batch and the lengths (PyTorch stores the steps
of all sequences flattened; what the layers compute is the same). Passing one to ``seq.LSTM`` (or
passing ``lengths=`` directly) means: each sequence stops at its own length, the outputs past it are
zero, ``h_n`` is taken at its last valid step, and the padding gets no gradient.
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
        """How many sequences are still running at each step (PyTorch's ``batch_sizes``)."""
        T = self.data.shape[0]
        return (self.lengths[None, :] > np.arange(T)[:, None]).sum(axis=1)


def check_lengths(lengths: Any, T: int, B: int, batch_first: bool = False) -> np.ndarray:
    """Lengths as an int64 array (B,) with 1 <= length <= T, or a clear error (with a hint on the layout)."""
    lengths = np.asarray(getattr(lengths, "data", lengths))
    if lengths.dtype.kind not in "iu" or lengths.ndim != 1:
        raise ValueError(f"lengths must be a 1-D array of integers, got shape {lengths.shape} dtype {lengths.dtype}")
    if lengths.shape[0] != B:
        hint = ""
        if lengths.shape[0] == T:
            hint = f" (the input has {T} steps: is batch_first={not batch_first} what you meant?)"
        raise ValueError(f"lengths has {lengths.shape[0]} entries but the batch has {B} sequences{hint}")
    if lengths.size and (lengths.min() < 1 or lengths.max() > T):
        raise ValueError(
            f"every length must be between 1 and T={T}, got lengths from {lengths.min()} to {lengths.max()}"
        )
    return lengths.astype(np.int64)


def pack_padded_sequence(
    input: Tensor, lengths: Any, batch_first: bool = False, enforce_sorted: bool = True
) -> PackedSequence:
    """Mark a padded batch with its lengths for ``seq.RNN/GRU/LSTM`` (as ``torch.nn.utils.rnn``'s).

    Args:
        input: (T, B, *) or (B, T, *) with ``batch_first``.
        lengths: (B,) ints, 1 <= length <= T.
        enforce_sorted: as PyTorch, require decreasing lengths (pass False for any order; seq's
            layers handle any order without sorting).
    """
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

    Entries past each length are ``padding_value``; ``total_length`` pads (or checks) the time axis.
    Returns ``(padded, lengths)`` with lengths an int64 tensor.
    """
    data, lengths = sequence.data, sequence.lengths
    T = data.shape[0]
    valid = (np.arange(T)[:, None] < lengths[None, :]).reshape(T, len(lengths), *([1] * (data.ndim - 2)))
    out = minigrad.where(valid, data, padding_value)  # (T, B, *)
    if total_length is not None:
        if total_length < T:
            raise ValueError(f"total_length={total_length} is shorter than the longest sequence ({T} steps)")
        if total_length > T:
            out = minigrad.pad(out, [(0, total_length - T)] + [(0, 0)] * (data.ndim - 1), value=padding_value)
    if batch_first:
        out = out.transpose(0, 1)  # (T, B, *) -> (B, T, *)
    return out, Tensor(lengths.copy())
