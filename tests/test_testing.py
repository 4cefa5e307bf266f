"""The hypothesis strategies of minigrad.testing produce what they promise."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from minigrad import Tensor
from minigrad.testing import (
    arrays,
    broadcastable_shapes,
    floats,
    index_arrays,
    probability_vectors,
    sequence_batches,
    shapes,
    tensors,
)


@given(tensors(shape=(2, 3), min_value=-1.0, max_value=1.0))
def test_tensors_are_float64_leaves_in_range(x):
    assert isinstance(x, Tensor) and x.requires_grad
    assert x.dtype == np.float64 and x.shape == (2, 3)
    assert np.all(np.abs(x.data) <= 1.0) and np.all(np.isfinite(x.data))


@given(tensors(shape=shapes(min_dims=1, max_dims=2, max_side=3)))
def test_drawn_shapes_stay_in_bounds(x):
    assert 1 <= x.ndim <= 2 and max(x.shape) <= 3


@given(arrays((4, 4), away_from=(0.0, 1.0), margin=0.2))
def test_away_from_keeps_a_margin(a):
    assert np.all(np.abs(a) >= 0.2) and np.all(np.abs(a - 1.0) >= 0.2)


@given(floats(-1, 1, away_from=(0.5,), margin=0.1))
def test_floats_away_from(v):
    assert -1 <= v <= 1 and abs(v - 0.5) >= 0.1


@given(broadcastable_shapes(3))
def test_broadcastable_shapes_broadcast(shape_triple):
    np.broadcast_shapes(*shape_triple)  # raises if they do not


@given(probability_vectors(st.integers(2, 6), batch=(3,)))
def test_probability_vectors_sum_to_one(p):
    assert p.shape[0] == 3
    np.testing.assert_allclose(p.sum(axis=-1), 1.0)
    assert np.all(p > 0)


@given(index_arrays(5, shape=(10,)))
def test_index_arrays_in_range(idx):
    assert idx.dtype == np.int64 and np.all((0 <= idx) & (idx < 5))


@given(sequence_batches(max_T=6, max_B=3, max_D=4))
def test_sequence_batches(batch):
    x, lengths = batch
    T, B, D = x.shape
    assert x.requires_grad and x.dtype == np.float64
    assert lengths.shape == (B,) and lengths.max() == T and lengths.min() >= 1
    assert 1 <= T <= 6 and 1 <= B <= 3 and 1 <= D <= 4


@given(sequence_batches(batch_first=True, D=2, with_lengths=False))
def test_sequence_batches_batch_first_without_lengths(batch):
    x, lengths = batch
    _, T, D = x.shape
    assert D == 2 and np.all(lengths == T)
