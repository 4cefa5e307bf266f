"""The hypothesis strategies of minigrad.testing produce what they promise."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import Phase, find, given, settings
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


# ------------------------------------------------------------------------------------------------
# The shapes exercise ops: measured over 200 draws
# ------------------------------------------------------------------------------------------------


def two_hundred(strategy) -> list:
    """200 draws of ``strategy``: 20 examples of 10 draws each, the same 200 on every run."""
    drawn = []

    # a fixed sample size and derandomized generation: this measures a distribution, it does not hunt bugs
    @settings(max_examples=20, derandomize=True, database=None, phases=[Phase.generate])
    @given(st.lists(strategy, min_size=10, max_size=10))
    def collect(examples):
        drawn.extend(examples)

    collect()
    assert len(drawn) == 200
    return drawn


def test_most_drawn_shapes_have_more_than_one_element_along_every_axis():
    drawn = two_hundred(shapes())
    sizes = [math.prod(shape) for shape in drawn]
    axes = [n for shape in drawn for n in shape]
    assert np.mean([size > 1 for size in sizes]) >= 0.8
    assert np.mean([n >= 2 for n in axes]) >= 0.8  # a reduction along a drawn axis has something to reduce
    assert max(sizes) <= 24 and all(len(shape) <= 3 and max(shape, default=1) <= 4 for shape in drawn)
    assert () in drawn and any(1 in shape for shape in drawn)  # the edge cases still come up


def test_the_size_cap_shortens_the_longest_axes():
    drawn = two_hundred(shapes(min_dims=2, max_dims=4, max_side=6, max_size=30))
    assert all(math.prod(shape) <= 30 and 2 <= len(shape) <= 4 for shape in drawn)
    assert any(math.prod(shape) > 20 for shape in drawn)
    assert two_hundred(shapes(min_dims=3, max_dims=3, min_side=4, max_side=4, max_size=10))[0] == (4, 4, 4)


def test_most_broadcastable_shapes_have_more_than_one_element_and_most_draws_broadcast():
    drawn = two_hundred(broadcastable_shapes(2))
    inputs = [shape for pair in drawn for shape in pair]
    assert np.mean([math.prod(shape) > 1 for shape in inputs]) >= 0.8
    broadcasting = [any(shape != np.broadcast_shapes(*pair) for shape in pair) for pair in drawn]
    assert np.mean(broadcasting) >= 0.3
    assert any(len(pair[0]) != len(pair[1]) for pair in drawn)  # missing leading axes
    assert any(1 in pair[0] and 1 not in pair[1] for pair in drawn)  # length-1 axes against longer ones


def test_array_values_are_drawn_one_by_one_so_ties_are_rare():
    drawn = two_hundred(arrays((3, 4)))
    assert np.mean([len(np.unique(a)) < a.size for a in drawn]) <= 0.25


@given(arrays(shapes(min_dims=1), min_gap=1e-3, min_value=-1.0, max_value=1.0))
def test_min_gap_keeps_every_pair_of_values_apart(a):
    assert np.all((-1.0 <= a) & (a <= 1.0))
    if a.size > 1:
        assert np.min(np.diff(np.sort(a.ravel()))) >= 1e-3 * (1 - 1e-9)


def test_min_gap_refuses_what_cannot_fit_or_be_combined():
    with pytest.raises(ValueError, match="do not fit"):
        find(arrays((30,), min_gap=0.2, min_value=-1.0, max_value=1.0), lambda _: True)
    with pytest.raises(ValueError, match="cannot also keep them away_from"):
        arrays((3,), min_gap=0.1, away_from=(0.0,))
