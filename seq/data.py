"""Batching for sequence models.

For a long stream (a text as one sequence of token ids), the stateful language-model loop of
truncated BPTT: ``batchify`` cuts the stream into B parallel streams, ``bptt_windows`` walks them in
windows of ``bptt`` steps; the hidden state is carried from one window to the next and detached
between them (``seq.detach_state``), so gradients flow back at most ``bptt`` steps.

For many short sequences (names, sentences, reviews), ``pad_sequences`` stacks a batch of them with
their lengths, and ``BatchIterator`` walks a data set in shuffled, length-bucketed, padded batches.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, NamedTuple

import numpy as np


def batchify(ids: Any, batch_size: int) -> np.ndarray:
    """Cut a 1-D stream into ``batch_size`` contiguous streams: an array (T, batch_size), time-major.

    Stream b is ``ids[b * T : (b + 1) * T]`` with T = len(ids) // batch_size (the remainder is dropped).
    """
    ids = np.asarray(ids)
    if ids.ndim != 1:
        raise ValueError(f"batchify expects a 1-D stream of ids, got shape {ids.shape}")
    if batch_size <= 0:
        raise ValueError(f"batch_size must be positive, got {batch_size}")
    T = len(ids) // batch_size
    if T == 0:
        raise ValueError(f"a stream of {len(ids)} ids is too short for {batch_size} streams")
    return ids[: T * batch_size].reshape(batch_size, T).T.copy()  # (B, T) -> (T, B)


def bptt_windows(batched: np.ndarray, bptt: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Windows ``(inputs, targets)`` of up to ``bptt`` steps over a (T, B) array from ``batchify``.

    ``targets`` are the inputs shifted by one step (the next token at every position); the last window
    may be shorter. Consecutive windows continue each stream where the previous one stopped.
    """
    if bptt <= 0:
        raise ValueError(f"bptt must be positive, got {bptt}")
    T = batched.shape[0]
    for start in range(0, T - 1, bptt):
        length = min(bptt, T - 1 - start)
        yield batched[start : start + length], batched[start + 1 : start + 1 + length]


# ---------------------------------------------------------------------------------------------------------------
# Many short sequences (names, sentences, reviews): pad them into batches.
# ---------------------------------------------------------------------------------------------------------------


def pad_sequences(
    seqs: Sequence[Any],
    pad_id: int | float = 0,
    batch_first: bool = False,
    max_len: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Stack sequences of different lengths into one array, filling the end of the short ones with ``pad_id``.

    Args:
        seqs: B sequences; each a list or array of ids (or of feature vectors, shape (L, *F)).
        pad_id: the value written past the end of each sequence (``vocab.pad_id``).
        batch_first: return (B, T) rather than the time-major (T, B) that ``seq.RNN`` reads by default.
        max_len: T, the number of steps; longer sequences are cut to their first ``max_len`` items.
            By default T is the longest length.

    Returns:
        ``(padded, lengths)``: an array (T, B, *F) or (B, T, *F) — int64 for ids, float for features —
        and the length of each sequence after cutting, int64 (B,). ``lengths`` is what ``seq.LSTM(...,
        lengths=)`` and ``seq.pack_padded_sequence`` take.
    """
    if len(seqs) == 0:
        raise ValueError("pad_sequences needs at least one sequence, got none")
    if max_len is not None and max_len < 0:
        raise ValueError(f"max_len must be non-negative, got {max_len}")
    arrays = [np.asarray(s) for s in seqs]
    for i, a in enumerate(arrays):
        if a.ndim == 0:
            raise ValueError(f"sequence {i} is a scalar ({a!r}), expected a list or array of items")
    feature_shape = arrays[0].shape[1:]
    for i, a in enumerate(arrays):
        if a.shape[1:] != feature_shape and a.shape[0] > 0:
            raise ValueError(f"sequence {i} has items of shape {a.shape[1:]}, sequence 0 has {feature_shape}")
    dtype = np.result_type(*[a.dtype for a in arrays if a.size > 0] or [np.int64])
    dtype = np.int64 if dtype.kind in "iub" else np.float64
    lengths = np.array([len(a) for a in arrays], dtype=np.int64)
    if max_len is not None:
        lengths = np.minimum(lengths, max_len)
    T = int(lengths.max()) if max_len is None else max_len
    padded = np.full((len(arrays), T, *feature_shape), pad_id, dtype=dtype)  # (B, T, *F)
    for b, (a, length) in enumerate(zip(arrays, lengths)):
        padded[b, :length] = a[:length]
    if not batch_first:
        padded = np.ascontiguousarray(np.swapaxes(padded, 0, 1))  # (B, T, *F) -> (T, B, *F)
    return padded, lengths


class Batch(NamedTuple):
    """One batch from ``BatchIterator``.

    Attributes:
        inputs: the padded input ids, (T, B) or (B, T) with ``batch_first``.
        lengths: the length of each input sequence, int64 (B,).
        targets: the padded target sequences (laid out as ``inputs``) when targets are sequences, an array (B,)
            when they are scalars (labels, values), None when the examples have no targets.
        indices: the position of each example of the batch in the ``examples`` list, int64 (B,).
    """

    inputs: np.ndarray
    lengths: np.ndarray
    targets: np.ndarray | None
    indices: np.ndarray


def _is_pair(example: Any) -> bool:
    """A (sequence, target) pair is a tuple of two whose first item is itself a sequence."""
    return isinstance(example, tuple) and len(example) == 2 and np.ndim(example[0]) >= 1


class BatchIterator:
    """Padded batches over a list of examples, reshuffled every epoch, grouped by length to waste little padding.

    Each example is a sequence of ids, or a pair ``(sequence, target)`` where the target is a sequence
    (tagging, language modelling) or a scalar (classification, regression). Iterating once is one epoch
    and visits every example exactly once (the last batch is smaller unless ``drop_last``).

    Shuffling: epoch k uses the permutation of ``np.random.default_rng((seed, k))``, so the epochs differ
    from each other and the whole run is repeated exactly by the same ``seed``.

    Bucketing: the shuffled examples are taken in chunks of ``bucket_batches`` batches; each chunk is sorted
    by length and cut into batches, so a batch holds sequences of similar length and padding is small; then
    the order of the batches is shuffled, so lengths do not rise steadily through an epoch.

    Example::

        for batch in BatchIterator(list(zip(sentences, labels)), batch_size=32, pad_id=vocab.pad_id):
            output, h_n = rnn(embed(batch.inputs), lengths=batch.lengths)

    Args:
        examples: sequences, or ``(sequence, target)`` tuples (all examples of one kind).
        batch_size: examples per batch.
        shuffle: a new order every epoch (else the order of ``examples``).
        seed: the seed of the shuffling.
        bucket: sort by length within chunks of ``bucket_batches`` batches.
        pad_id: the padding of the inputs.
        batch_first: batches (B, T) rather than (T, B).
        drop_last: leave out the last batch when it is smaller than ``batch_size``.
        bucket_batches: the chunk size of bucketing, in batches.
        target_pad_id: the padding of sequence targets (e.g. a loss's ``ignore_index``); by default ``pad_id``.
    """

    def __init__(
        self,
        examples: Sequence[Any],
        batch_size: int,
        shuffle: bool = True,
        seed: int = 0,
        bucket: bool = True,
        pad_id: int | float = 0,
        batch_first: bool = False,
        drop_last: bool = False,
        bucket_batches: int = 50,
        target_pad_id: int | float | None = None,
    ) -> None:
        if batch_size <= 0:
            raise ValueError(f"batch_size must be positive, got {batch_size}")
        if bucket_batches <= 0:
            raise ValueError(f"bucket_batches must be positive, got {bucket_batches}")
        if len(examples) == 0:
            raise ValueError("BatchIterator needs at least one example, got none")
        self.has_targets = _is_pair(examples[0])
        for i, ex in enumerate(examples):
            if _is_pair(ex) != self.has_targets:
                kinds = ("(sequence, target) pairs", "plain sequences")
                raise ValueError(
                    f"example {i} is not like example 0: expected all {kinds[not self.has_targets]}; "
                    f"write pairs as tuples (sequence, target)"
                )
        self.examples = examples
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.seed = seed
        self.bucket = bucket
        self.pad_id = pad_id
        self.batch_first = batch_first
        self.drop_last = drop_last
        self.bucket_batches = bucket_batches
        self.target_pad_id = pad_id if target_pad_id is None else target_pad_id
        self.epoch = 0  # the number of epochs started; the next one uses default_rng((seed, epoch))
        inputs = [ex[0] for ex in examples] if self.has_targets else list(examples)
        self._lengths = np.array([len(x) for x in inputs], dtype=np.int64)

    def __len__(self) -> int:
        """The number of batches in one epoch."""
        n = len(self.examples)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def batch_order(self, epoch: int) -> list[np.ndarray]:
        """The example indices of each batch of an epoch, in the order they are yielded."""
        n, bs = len(self.examples), self.batch_size
        rng = np.random.default_rng((self.seed, epoch))
        order = rng.permutation(n) if self.shuffle else np.arange(n)
        batches: list[np.ndarray] = []
        chunk = bs * self.bucket_batches if self.bucket else n
        for start in range(0, n, chunk):
            part = order[start : start + chunk]
            if self.bucket:
                part = part[np.argsort(self._lengths[part], kind="stable")]
            batches.extend(part[i : i + bs] for i in range(0, len(part), bs))
        if self.drop_last and len(batches[-1]) < bs:
            batches.pop()  # chunks hold whole batches, so only the very last batch can be short
        if self.shuffle and self.bucket:
            batches = [batches[i] for i in rng.permutation(len(batches))]
        return batches

    def __iter__(self) -> Iterator[Batch]:
        """One epoch of batches."""
        epoch, self.epoch = self.epoch, self.epoch + 1
        for idx in self.batch_order(epoch):
            yield self._collate(idx)

    def _collate(self, idx: np.ndarray) -> Batch:
        chosen = [self.examples[i] for i in idx]
        if not self.has_targets:
            inputs, lengths = pad_sequences(chosen, self.pad_id, self.batch_first)
            return Batch(inputs, lengths, None, idx)
        inputs, lengths = pad_sequences([ex[0] for ex in chosen], self.pad_id, self.batch_first)
        targets = [ex[1] for ex in chosen]
        if np.ndim(targets[0]) >= 1:
            padded_targets, _ = pad_sequences(targets, self.target_pad_id, self.batch_first)
        else:
            padded_targets = np.asarray(targets)  # (B,)
        return Batch(inputs, lengths, padded_targets, idx)
