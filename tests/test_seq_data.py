"""seq.data: pad_sequences and BatchIterator (batchify and bptt_windows are tested with the layers)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from seq.data import Batch, BatchIterator, pad_sequences

id_lists = st.lists(st.lists(st.integers(1, 50), max_size=12), min_size=1, max_size=8)


def test_pad_sequences_time_major_and_batch_first():
    seqs = [[1, 2, 3], [4], [5, 6]]
    padded, lengths = pad_sequences(seqs, pad_id=9)
    assert padded.dtype == np.int64 and lengths.dtype == np.int64
    np.testing.assert_array_equal(padded, [[1, 4, 5], [2, 9, 6], [3, 9, 9]])  # (T, B)
    np.testing.assert_array_equal(lengths, [3, 1, 2])
    padded_bf, lengths_bf = pad_sequences(seqs, pad_id=9, batch_first=True)
    np.testing.assert_array_equal(padded_bf, padded.T)  # (B, T)
    np.testing.assert_array_equal(lengths_bf, lengths)


@given(id_lists, st.booleans())
def test_pad_sequences_keeps_every_item_and_pads_the_rest(seqs, batch_first):
    padded, lengths = pad_sequences(seqs, pad_id=0, batch_first=batch_first)
    rows = padded if batch_first else padded.T  # (B, T)
    assert rows.shape == (len(seqs), max(len(s) for s in seqs))
    for row, seq, length in zip(rows, seqs, lengths):
        assert length == len(seq)
        assert list(row[:length]) == seq
        assert not row[length:].any()


def test_pad_sequences_max_len_cuts_and_pads():
    padded, lengths = pad_sequences([[1, 2, 3, 4], [5]], max_len=3, batch_first=True)
    np.testing.assert_array_equal(padded, [[1, 2, 3], [5, 0, 0]])
    np.testing.assert_array_equal(lengths, [3, 1])
    padded, _ = pad_sequences([[1], [2]], max_len=4)
    assert padded.shape == (4, 2)


def test_pad_sequences_of_feature_vectors():
    seqs = [np.ones((3, 2)), np.full((1, 2), 0.5)]
    padded, lengths = pad_sequences(seqs, pad_id=-1.0)
    assert padded.shape == (3, 2, 2) and padded.dtype == np.float64  # (T, B, F)
    np.testing.assert_array_equal(padded[:, 1, 0], [0.5, -1.0, -1.0])
    np.testing.assert_array_equal(lengths, [3, 1])


def test_pad_sequences_errors():
    with pytest.raises(ValueError, match="at least one"):
        pad_sequences([])
    with pytest.raises(ValueError, match="scalar"):
        pad_sequences([[1], 2])
    with pytest.raises(ValueError, match="shape"):
        pad_sequences([np.ones((2, 3)), np.ones((2, 4))])


def _examples(n, seed=0, max_len=40):
    rng = np.random.default_rng(seed)
    return [list(rng.integers(1, 30, size=rng.integers(1, max_len + 1))) for _ in range(n)]


@pytest.mark.parametrize("bucket", [True, False])
@pytest.mark.parametrize("shuffle", [True, False])
def test_every_example_once_per_epoch(bucket, shuffle):
    examples = _examples(103)
    it = BatchIterator(examples, batch_size=10, shuffle=shuffle, bucket=bucket, bucket_batches=3)
    assert len(it) == 11
    for _ in range(2):
        batches = list(it)
        assert len(batches) == len(it)
        seen = np.concatenate([b.indices for b in batches])
        np.testing.assert_array_equal(np.sort(seen), np.arange(103))
        for b in batches:
            assert isinstance(b, Batch) and b.targets is None
            for j, i in enumerate(b.indices):  # each column is its example, then padding
                assert list(b.inputs[: b.lengths[j], j]) == examples[i]
                assert not b.inputs[b.lengths[j] :, j].any()


def test_unshuffled_unbucketed_keeps_the_order():
    examples = _examples(25)
    it = BatchIterator(examples, batch_size=10, shuffle=False, bucket=False)
    np.testing.assert_array_equal(np.concatenate([b.indices for b in it]), np.arange(25))


def test_drop_last():
    it = BatchIterator(_examples(25), batch_size=10, drop_last=True, bucket_batches=2)
    assert len(it) == 2
    for _ in range(3):
        batches = list(it)
        assert len(batches) == 2 and all(len(b.indices) == 10 for b in batches)


def _order(it):
    return [b.indices.tolist() for b in it]


def test_shuffling_is_deterministic_and_new_each_epoch():
    examples = _examples(200)
    a = BatchIterator(examples, batch_size=16, seed=3)
    b = BatchIterator(examples, batch_size=16, seed=3)
    a1, a2 = _order(a), _order(a)
    assert a1 != a2  # a new permutation each epoch
    assert (_order(b), _order(b)) == (a1, a2)  # and the same run under the same seed
    assert _order(BatchIterator(examples, batch_size=16, seed=4)) != a1


def _padding(it):
    return sum(b.inputs.size - b.lengths.sum() for b in it)


def test_bucketing_reduces_padding():
    examples = _examples(1000, max_len=100)
    bucketed = _padding(BatchIterator(examples, batch_size=16, bucket=True))
    plain = _padding(BatchIterator(examples, batch_size=16, bucket=False))
    assert bucketed < 0.25 * plain


def test_sequence_targets_are_padded_like_inputs():
    examples = [(s, [t + 100 for t in s]) for s in _examples(30)]
    for b in BatchIterator(examples, batch_size=8, batch_first=True, target_pad_id=-100):
        assert b.targets.shape == b.inputs.shape  # (B, T)
        for j, i in enumerate(b.indices):
            assert list(b.targets[j, : b.lengths[j]]) == examples[i][1]
            assert (b.targets[j, b.lengths[j] :] == -100).all()
            assert not b.inputs[j, b.lengths[j] :].any()


def test_scalar_targets_are_an_array_in_batch_order():
    examples = [(s, i % 3) for i, s in enumerate(_examples(30))]
    for b in BatchIterator(examples, batch_size=8):
        assert b.targets.shape == (len(b.indices),)
        np.testing.assert_array_equal(b.targets, b.indices % 3)


def test_batch_iterator_errors():
    with pytest.raises(ValueError, match="batch_size"):
        BatchIterator([[1]], batch_size=0)
    with pytest.raises(ValueError, match="not like example 0"):
        BatchIterator([([1, 2], 0), [1, 2]], batch_size=2)
    with pytest.raises(ValueError, match="at least one"):
        BatchIterator([], batch_size=2)
