"""minigrad.utils.data: datasets, samplers, collation and the DataLoader, and their parity with torch.utils.data.

Behaviour tests first (orders, sizes, drop_last, collation of every type, random_split, seeding,
errors); then the same loader code run under torch and minigrad, batch by batch (shapes, dtypes and,
where nothing is random, values), and the same bad calls compared error by error; last, a small
regression trained through a shuffled DataLoader.
"""

from __future__ import annotations

import collections
import doctest
import importlib
import math
import types
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minigrad
import minigrad.utils.data as data
from minigrad.utils.data import (
    BatchSampler,
    ChainDataset,
    ConcatDataset,
    DataLoader,
    Dataset,
    IterableDataset,
    RandomSampler,
    Sampler,
    SequentialSampler,
    Subset,
    SubsetRandomSampler,
    TensorDataset,
    WeightedRandomSampler,
    default_collate,
    default_convert,
    get_worker_info,
    random_split,
)
from minigrad.utils.data._utils.collate import collate, default_collate_fn_map
from tests.conftest import torch_or_skip

Point = collections.namedtuple("Point", ["x", "y"])


def flat(loader) -> list[int]:
    """Every index a loader over ``range(n)`` gives in one epoch, in order."""
    return [int(i) for batch in loader for i in batch]


# ------------------------------------------------------------------------------------------------
# Datasets
# ------------------------------------------------------------------------------------------------


def test_tensor_dataset_rows_and_length():
    X = minigrad.tensor(np.arange(12.0).reshape(4, 3))
    y = minigrad.tensor([5, 6, 7, 8])
    dataset = TensorDataset(X, y)
    assert len(dataset) == 4
    x2, y2 = dataset[2]
    np.testing.assert_array_equal(x2.data, [6.0, 7.0, 8.0])
    assert y2.item() == 7
    assert isinstance(dataset[0], tuple) and len(dataset[0]) == 2


def test_tensor_dataset_takes_numpy_arrays():
    dataset = TensorDataset(np.arange(6).reshape(3, 2), np.array([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(dataset[1][0], [2, 3])
    assert len(dataset) == 3


def test_tensor_dataset_errors():
    with pytest.raises(AssertionError, match=r"Size mismatch between tensors.*\[3, 4\]"):
        TensorDataset(minigrad.zeros(3, 2), minigrad.zeros(4))
    with pytest.raises(ValueError, match="at least one tensor"):
        TensorDataset()
    with pytest.raises(TypeError, match="argument 1 is a list.*minigrad.tensor"):
        TensorDataset(minigrad.zeros(3), [1, 2, 3])
    with pytest.raises(ValueError, match="0-d tensor"):
        TensorDataset(minigrad.tensor(1.0))


def test_dataset_base_class_needs_getitem():
    with pytest.raises(NotImplementedError, match="Subclasses of Dataset should implement __getitem__"):
        Dataset()[0]


def test_iterable_dataset_needs_iter():
    class NoIter(IterableDataset):
        pass

    with pytest.raises(TypeError, match="abstract"):
        NoIter()


class Stream(IterableDataset):
    """The items given, as a stream (with a length, as some streams have)."""

    def __init__(self, items):
        self.items = list(items)

    def __iter__(self):
        return iter(self.items)

    def __len__(self):
        return len(self.items)


class StreamWithoutLength(IterableDataset):
    def __iter__(self):
        return iter(range(5))


def test_subset_indexes_through_its_indices():
    subset = Subset([10, 11, 12, 13, 14], [4, 0, 2])
    assert len(subset) == 3
    assert [subset[i] for i in range(3)] == [14, 10, 12]
    rows = Subset(minigrad.arange(10, 20), [9, 1, 5])[[0, 2]]  # a list: one lookup into the dataset
    np.testing.assert_array_equal(rows.data, [19, 15])


def test_concat_dataset_finds_each_part():
    joined = ConcatDataset([[0, 1, 2], [], [3, 4], [5]])
    assert len(joined) == 6
    assert [joined[i] for i in range(6)] == [0, 1, 2, 3, 4, 5]
    assert [joined[-i] for i in range(1, 7)] == [5, 4, 3, 2, 1, 0]
    assert joined.cumulative_sizes == [3, 3, 5, 6]
    with pytest.raises(IndexError, match="index 6 is out of range"):
        joined[6]
    with pytest.raises(ValueError, match="absolute value of index should not exceed dataset length"):
        joined[-7]
    with pytest.raises(AssertionError, match="empty iterable"):
        ConcatDataset([])
    with pytest.raises(AssertionError, match="ChainDataset instead"):
        ConcatDataset([[1], Stream([2])])


def test_adding_datasets_concatenates_or_chains():
    class Letters(Dataset):
        def __len__(self):
            return 2

        def __getitem__(self, i):
            return "ab"[i]

    both = Letters() + Letters()
    assert isinstance(both, ConcatDataset) and [both[i] for i in range(4)] == ["a", "b", "a", "b"]
    chained = Stream([1, 2]) + Stream([3])
    assert isinstance(chained, ChainDataset)
    assert list(chained) == [1, 2, 3] and len(chained) == 3
    with pytest.raises(AssertionError, match="ChainDataset only supports IterableDataset"):
        list(ChainDataset([Stream([1]), [2]]))


# ------------------------------------------------------------------------------------------------
# random_split
# ------------------------------------------------------------------------------------------------


@given(n=st.integers(0, 60), weights=st.lists(st.integers(1, 9), min_size=1, max_size=5), seed=st.integers(0, 99))
def test_random_split_fractions_are_disjoint_and_cover(n, weights, seed):
    fractions = [w / sum(weights) for w in weights]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # empty splits warn; that is tested on its own
        parts = random_split(range(n), fractions, generator=minigrad.Generator(seed))
    sizes = [len(p) for p in parts]
    assert sum(sizes) == n
    floors = [math.floor(n * f) for f in fractions]
    assert all(0 <= s - f <= 1 for s, f in zip(sizes, floors))  # each gets its floor, plus at most one
    everything = [x for p in parts for x in p]
    assert sorted(everything) == list(range(n))  # disjoint, and together the whole


def test_random_split_lengths_and_remainder_rule():
    parts = random_split(range(10), [3, 7], generator=minigrad.Generator(0))
    assert [len(p) for p in parts] == [3, 7]
    # PyTorch's rule: floors 3, 3, 3 and the one left over goes to the first split.
    assert [len(p) for p in random_split(range(10), [0.33, 0.33, 0.34])] == [4, 3, 3]
    assert [len(p) for p in random_split(range(3), [0.1, 0.9])] == [1, 2]
    fractions = [0.1, 0.2, 0.3, 0.3, 0.1]  # their float sum is 1.0000000000000002 (PyTorch refuses them)
    assert [len(p) for p in random_split(range(10), fractions)] == [1, 2, 3, 3, 1]


def test_random_split_is_seeded():
    def split(generator=None):
        return [list(p) for p in random_split(range(30), [0.5, 0.5], generator=generator)]

    assert split(minigrad.Generator(7)) == split(minigrad.Generator(7))
    assert split(minigrad.Generator(7)) != split(minigrad.Generator(8))
    minigrad.manual_seed(3)
    first = split()
    minigrad.manual_seed(3)
    assert split() == first  # the global generator by default
    assert split() != first  # ... which moved on


def test_random_split_errors():
    with pytest.raises(ValueError, match="Sum of input lengths does not equal the length of the input dataset"):
        random_split(range(10), [3, 6])
    with pytest.raises(ValueError, match="Fraction at index 0 is not between 0 and 1"):
        random_split(range(10), [1.5, -0.5])
    with pytest.raises(ValueError, match=r"Sum of input lengths does not equal.*\(length 0 is 2.5\)"):
        random_split(range(10), [2.5, 7.5])
    with pytest.raises(ValueError, match=r"Sum of input lengths does not equal.*add up to 1.1"):
        random_split(range(10), [0.5, 0.6])
    with pytest.raises(ValueError, match="length 0 is -1"):
        random_split(range(10), [-1, 11])
    with pytest.raises(TypeError, match="has no len"):
        random_split(iter(range(3)), [1, 2])
    with pytest.raises(TypeError, match="minigrad.Generator"):
        random_split(range(3), [1, 2], generator=42)
    with pytest.warns(UserWarning) as record:
        sizes = [len(p) for p in random_split(range(2), [0.9, 0.05, 0.05])]
    assert sizes == [2, 0, 0]
    assert [str(w.message) for w in record] == [
        f"Length of split at index {i} is 0. This might result in an empty dataset." for i in (1, 2)
    ]


# ------------------------------------------------------------------------------------------------
# Samplers
# ------------------------------------------------------------------------------------------------


def test_sequential_sampler():
    assert list(SequentialSampler("abcd")) == [0, 1, 2, 3]
    assert len(SequentialSampler("abcd")) == 4


def test_random_sampler_permutes_and_changes_each_pass():
    sampler = RandomSampler(range(20), generator=minigrad.Generator(0))
    passes = [list(sampler) for _ in range(3)]
    for p in passes:
        assert sorted(p) == list(range(20))
    assert passes[0] != passes[1] != passes[2]
    assert len(sampler) == 20


def test_random_sampler_num_samples_without_replacement_repeats_whole_permutations():
    drawn = list(RandomSampler(range(4), num_samples=10, generator=minigrad.Generator(1)))
    assert len(drawn) == 10
    assert sorted(drawn[:4]) == sorted(drawn[4:8]) == [0, 1, 2, 3]
    assert len(set(drawn[8:])) == 2  # a cut permutation: no repeats


def test_random_sampler_with_replacement():
    drawn = list(RandomSampler(range(3), replacement=True, num_samples=300, generator=minigrad.Generator(2)))
    assert len(drawn) == 300 and set(drawn) == {0, 1, 2}
    counts = np.bincount(drawn)
    assert counts.min() > 60  # uniform: each about 100 (a repeat-free sampler could not exceed 3 draws)


def test_random_sampler_errors():
    with pytest.raises(TypeError, match="replacement should be a boolean value, but got replacement=1"):
        RandomSampler(range(3), replacement=1)
    with pytest.raises(ValueError, match="num_samples should be a positive integer value, but got num_samples=0"):
        RandomSampler(range(3), num_samples=0)
    with pytest.raises(ValueError, match="num_samples=2.0"):
        RandomSampler(range(3), num_samples=2.0)
    with pytest.raises(ValueError, match=r"num_samples=0 \(the dataset is empty\)"):
        RandomSampler([])
    with pytest.raises(TypeError, match="generator must be a minigrad.Generator"):
        RandomSampler(range(3), generator=np.random.default_rng(0))


def test_subset_random_sampler():
    sampler = SubsetRandomSampler([10, 20, 30, 40], generator=minigrad.Generator(0))
    first, second = list(sampler), list(sampler)
    assert sorted(first) == sorted(second) == [10, 20, 30, 40]
    assert len(sampler) == 4


def test_weighted_random_sampler():
    sampler = WeightedRandomSampler([0.0, 1.0, 3.0], num_samples=400, generator=minigrad.Generator(0))
    counts = np.bincount(list(sampler), minlength=3)
    assert counts[0] == 0  # weight 0: never
    assert 2.2 < counts[2] / counts[1] < 4.0  # weights 3 : 1
    distinct = list(WeightedRandomSampler([1.0, 1.0, 5.0, 1.0], 4, replacement=False, generator=minigrad.Generator(0)))
    assert sorted(distinct) == [0, 1, 2, 3]
    with pytest.raises(ValueError, match="non-negative"):
        WeightedRandomSampler([1.0, -1.0], 2)
    with pytest.raises(ValueError, match="cannot draw 3 samples without replacement from 2"):
        WeightedRandomSampler([1.0, 0.0, 1.0], 3, replacement=False)
    with pytest.raises(ValueError, match="1d sequence"):
        WeightedRandomSampler([[1.0]], 1)


@given(n=st.integers(0, 40), batch_size=st.integers(1, 12), drop_last=st.booleans())
def test_batch_sampler_batches(n, batch_size, drop_last):
    batches = list(BatchSampler(range(n), batch_size, drop_last))
    assert len(batches) == len(BatchSampler(range(n), batch_size, drop_last))
    assert all(len(b) == batch_size for b in batches[:-1])
    if drop_last:
        assert len(batches) == n // batch_size
        assert [i for b in batches for i in b] == list(range(n // batch_size * batch_size))
    else:
        assert len(batches) == math.ceil(n / batch_size)
        assert [i for b in batches for i in b] == list(range(n))


def test_batch_sampler_errors():
    for bad in (2.5, 0, -1, True):
        with pytest.raises(
            ValueError, match=f"batch_size should be a positive integer value, but got batch_size={bad}"
        ):
            BatchSampler(range(3), bad, False)
    with pytest.raises(ValueError, match="drop_last should be a boolean value, but got drop_last=no"):
        BatchSampler(range(3), 2, "no")
    assert len(BatchSampler(range(7), np.int64(2), False)) == 4  # NumPy integers are integers


def test_custom_sampler_subclass():
    class EvensFirst(Sampler[int]):
        def __init__(self, n):
            self.n = n

        def __iter__(self):
            return iter([*range(0, self.n, 2), *range(1, self.n, 2)])

        def __len__(self):
            return self.n

    assert flat(DataLoader(range(5), batch_size=2, sampler=EvensFirst(5))) == [0, 2, 4, 1, 3]
    with pytest.raises(NotImplementedError):
        iter(Sampler())


# ------------------------------------------------------------------------------------------------
# Collation
# ------------------------------------------------------------------------------------------------


def test_collate_tensors_stacks_them():
    batch = default_collate([minigrad.tensor([1.0, 2.0]), minigrad.tensor([3.0, 4.0]), minigrad.tensor([5.0, 6.0])])
    assert isinstance(batch, minigrad.Tensor)
    assert batch.shape == (3, 2) and batch.dtype == np.float32
    np.testing.assert_array_equal(batch.data, [[1, 2], [3, 4], [5, 6]])
    ints = default_collate([minigrad.tensor(3), minigrad.tensor(4)])
    assert ints.shape == (2,) and ints.dtype == np.int64


def test_collate_tensors_keeps_the_graph():
    a = minigrad.tensor([1.0, 2.0], requires_grad=True)
    b = minigrad.tensor([3.0, 4.0], requires_grad=True)
    batch = default_collate([a, b])
    (batch * minigrad.tensor([[1.0, 2.0], [3.0, 4.0]])).sum().backward()
    np.testing.assert_array_equal(a.grad, [1.0, 2.0])
    np.testing.assert_array_equal(b.grad, [3.0, 4.0])


def test_collate_numpy_arrays_keep_their_dtype():
    for dtype in (np.float32, np.float64, np.int32, np.int64, np.uint8, np.bool_):
        arrays = [np.arange(3).astype(dtype), np.ones(3, dtype=dtype)]
        batch = default_collate(arrays)
        assert isinstance(batch, minigrad.Tensor)
        assert batch.dtype == dtype and batch.shape == (2, 3)
        np.testing.assert_array_equal(batch.data, np.stack(arrays))


def test_collate_python_numbers():
    floats = default_collate([0.5, 1.5, 2.5])
    assert floats.dtype == np.float64  # PyTorch's rule: Python floats make float64 ...
    np.testing.assert_array_equal(floats.data, [0.5, 1.5, 2.5])
    assert minigrad.tensor([0.5]).dtype == np.float32  # ... though the default dtype is float32
    ints = default_collate([1, 2, 3])
    assert ints.dtype == np.int64
    np.testing.assert_array_equal(ints.data, [1, 2, 3])
    bools = default_collate([True, False])
    assert bools.dtype == np.bool_
    np.testing.assert_array_equal(bools.data, [True, False])
    assert default_collate([1, 2.5]).dtype == np.float32  # first an int: torch.tensor's inference
    assert default_collate([2.5, 1]).dtype == np.float64  # first a float: float64


def test_collate_numpy_scalars_keep_their_dtype():
    assert default_collate([np.float32(1.0), np.float32(2.0)]).dtype == np.float32
    assert default_collate([np.float64(1.0)]).dtype == np.float64  # np.float64 is a float, but a NumPy one
    assert default_collate([np.int32(1), np.int32(2)]).dtype == np.int32
    assert default_collate([np.bool_(True)]).dtype == np.bool_


def test_collate_strings_and_bytes_come_back_unchanged():
    assert default_collate(["a", "bc"]) == ["a", "bc"]
    assert default_collate([b"x", b"y"]) == [b"x", b"y"]


def test_collate_containers():
    pairs = default_collate([(1, "a"), (2, "b"), (3, "c")])
    assert isinstance(pairs, list) and len(pairs) == 2  # a tuple sample: a list of batches
    np.testing.assert_array_equal(pairs[0].data, [1, 2, 3])
    assert pairs[1] == ("a", "b", "c")  # strings come back as zip gave them
    lists = default_collate([[1, 2], [3, 4]])
    assert isinstance(lists, list) and [b.tolist() for b in lists] == [[1, 3], [2, 4]]
    dicts = default_collate([{"x": 1.0, "name": "a"}, {"x": 2.0, "name": "b"}])
    assert set(dicts) == {"x", "name"} and dicts["name"] == ["a", "b"]
    assert dicts["x"].dtype == np.float64 and dicts["x"].tolist() == [1.0, 2.0]
    points = default_collate([Point(0, 0.5), Point(1, 1.5)])
    assert isinstance(points, Point)
    assert points.x.tolist() == [0, 1] and points.y.tolist() == [0.5, 1.5]
    ordered = default_collate([collections.OrderedDict(b=1, a=2), collections.OrderedDict(b=3, a=4)])
    assert type(ordered) is collections.OrderedDict and list(ordered) == ["b", "a"]


def test_collate_nested_mixed_sample():
    sample = lambda i: {  # noqa: E731
        "image": np.full((2, 2), i, dtype=np.float32),
        "label": i,
        "meta": (f"id{i}", [float(i), minigrad.tensor([i, i])]),
    }
    batch = default_collate([sample(0), sample(1), sample(2)])
    assert batch["image"].shape == (3, 2, 2) and batch["image"].dtype == np.float32
    assert batch["label"].tolist() == [0, 1, 2]
    names, (weights, pairs) = batch["meta"]
    assert names == ("id0", "id1", "id2")
    assert weights.dtype == np.float64 and weights.tolist() == [0.0, 1.0, 2.0]
    assert pairs.shape == (3, 2) and pairs.tolist() == [[0, 0], [1, 1], [2, 2]]


def test_collate_errors():
    with pytest.raises(TypeError, match="batch must contain tensors, numpy arrays, numbers, dicts or lists; found"):
        default_collate([object()])
    with pytest.raises(TypeError, match="found <U1"):
        default_collate([np.array(["a"]), np.array(["b"])])
    with pytest.raises(RuntimeError, match=r"equal size, but got \[3\] at entry 0 and \[2\] at entry 1"):
        default_collate([minigrad.zeros(3), minigrad.zeros(2)])
    with pytest.raises(RuntimeError, match=r"each element in list of batch should be of equal size.*\[2, 1\]"):
        default_collate([[1, 2], [3]])
    with pytest.raises(IndexError, match="empty"):
        default_collate([])


def test_default_convert():
    converted = default_convert(np.array([1, 2]))
    assert isinstance(converted, minigrad.Tensor) and converted.dtype == np.int64
    assert default_convert(3) == 3 and default_convert("s") == "s"
    pair = default_convert((np.array(1.5), 2))
    assert isinstance(pair, list) and pair[0].dtype == np.float64 and pair[1] == 2
    point = default_convert(Point(np.zeros(2, dtype=np.float32), 1))
    assert isinstance(point, Point) and isinstance(point.x, minigrad.Tensor) and point.y == 1
    assert isinstance(default_convert({"a": np.ones(1)})["a"], minigrad.Tensor)
    strings = np.array(["a", "b"])
    assert default_convert(strings) is strings


def test_collate_fn_map_extends_default_collate(monkeypatch):
    class Token:
        def __init__(self, id):
            self.id = id

    def collate_tokens(batch, *, collate_fn_map):
        return minigrad.tensor([t.id for t in batch])

    def add_up(batch, *, collate_fn_map):
        return sum(batch)

    tokens, weights = collate([(Token(1), 0.5), (Token(2), 1.5)], collate_fn_map={Token: collate_tokens, float: add_up})
    assert tokens.tolist() == [1, 2] and weights == 2.0
    monkeypatch.setitem(default_collate_fn_map, Token, collate_tokens)
    assert default_collate([Token(3), Token(4)]).tolist() == [3, 4]


# ------------------------------------------------------------------------------------------------
# DataLoader
# ------------------------------------------------------------------------------------------------


@given(n=st.integers(0, 40), batch_size=st.integers(1, 12), drop_last=st.booleans())
def test_dataloader_batches_cover_the_dataset_in_order(n, batch_size, drop_last):
    X = minigrad.arange(2 * n).reshape(n, 2)
    loader = DataLoader(TensorDataset(X, minigrad.arange(n)), batch_size=batch_size, drop_last=drop_last)
    batches = list(loader)
    assert len(batches) == len(loader) == (n // batch_size if drop_last else math.ceil(n / batch_size))
    kept = len(batches) * batch_size if drop_last else n
    assert [b[0].shape for b in batches] == [(min(batch_size, kept - i), 2) for i in range(0, kept, batch_size)]
    assert [int(i) for _, y in batches for i in y] == list(range(kept))


def test_dataloader_shuffle_visits_everything_in_a_new_order_each_epoch():
    loader = DataLoader(range(30), batch_size=7, shuffle=True)
    epochs = [flat(loader) for _ in range(3)]
    for order in epochs:
        assert sorted(order) == list(range(30))
    assert epochs[0] != epochs[1] != epochs[2]


def test_dataloader_shuffle_is_reproducible_under_manual_seed():
    def run():
        loaders = [DataLoader(range(20), batch_size=5, shuffle=True), DataLoader(range(20), batch_size=4, shuffle=True)]
        return [flat(loader) for _ in range(2) for loader in loaders]  # two loaders, two epochs each

    minigrad.manual_seed(0)
    first = run()
    minigrad.manual_seed(0)
    assert run() == first
    assert len({tuple(order) for order in first}) == 4  # every epoch of each loader is its own order
    minigrad.manual_seed(1)
    assert run() != first


def test_dataloader_shuffle_with_a_generator_leaves_the_global_one_alone():
    state = minigrad.get_rng_state()
    a = DataLoader(range(20), batch_size=5, shuffle=True, generator=minigrad.Generator(5))
    b = DataLoader(range(20), batch_size=5, shuffle=True, generator=minigrad.Generator(5))
    assert [flat(a), flat(a)] == [flat(b), flat(b)]
    assert minigrad.get_rng_state() == state


def test_a_shuffled_epoch_takes_one_draw_from_the_global_generator_whatever_the_size():
    minigrad.manual_seed(0)
    flat(DataLoader(range(5), batch_size=2, shuffle=True))
    after_small = minigrad.get_rng_state()
    minigrad.manual_seed(0)
    flat(DataLoader(range(500), batch_size=2, shuffle=True))
    assert minigrad.get_rng_state() == after_small
    minigrad.manual_seed(0)
    assert minigrad.get_rng_state() != after_small


def test_dataloader_batch_size_none_gives_samples_one_by_one():
    loader = DataLoader([np.array([1, 2]), np.array([3, 4])], batch_size=None)
    samples = list(loader)
    assert len(loader) == 2 and len(samples) == 2
    assert isinstance(samples[0], minigrad.Tensor) and samples[0].shape == (2,)
    assert list(DataLoader(["a", "b"], batch_size=None)) == ["a", "b"]


def test_dataloader_with_sampler_batch_sampler_and_collate_fn():
    assert flat(DataLoader(range(6), batch_size=4, sampler=[5, 3, 1])) == [5, 3, 1]
    loader = DataLoader(range(10, 20), batch_sampler=[[0, 9], [3], [4, 5, 6]])
    assert [b.tolist() for b in loader] == [[10, 19], [13], [14, 15, 16]]
    assert len(loader) == 3 and loader.batch_size is None
    sizes = DataLoader(range(10), batch_size=4, collate_fn=len)
    assert list(sizes) == [4, 4, 2]


def test_dataloader_custom_dataset_and_getitems_hook():
    class Squares(Dataset):
        def __len__(self):
            return 5

        def __getitem__(self, i):
            return float(i) ** 2

    batches = list(DataLoader(Squares(), batch_size=2))
    assert [b.tolist() for b in batches] == [[0.0, 1.0], [4.0, 9.0], [16.0]]

    class ManyAtOnce(Squares):
        calls = 0

        def __getitems__(self, indices):
            ManyAtOnce.calls += 1
            return [float(i) for i in indices]

    assert [b.tolist() for b in DataLoader(ManyAtOnce(), batch_size=3)] == [[0.0, 1.0, 2.0], [3.0, 4.0]]
    assert ManyAtOnce.calls == 2


def test_dataloader_over_an_iterable_dataset():
    stream = Stream(range(7))
    loader = DataLoader(stream, batch_size=3)
    assert [b.tolist() for b in loader] == [[0, 1, 2], [3, 4, 5], [6]]
    assert len(loader) == 3
    dropped = DataLoader(stream, batch_size=3, drop_last=True)
    assert [b.tolist() for b in dropped] == [[0, 1, 2], [3, 4, 5]] and len(dropped) == 2
    assert list(DataLoader(stream, batch_size=None)) == list(range(7))
    assert [b.tolist() for b in DataLoader(Stream(range(6)), batch_size=3)] == [[0, 1, 2], [3, 4, 5]]
    assert [b.tolist() for b in DataLoader(StreamWithoutLength(), batch_size=2)] == [[0, 1], [2, 3], [4]]
    with pytest.raises(TypeError, match="'StreamWithoutLength' has no len"):
        len(DataLoader(StreamWithoutLength()))
    assert get_worker_info() is None


def test_dataloader_iterator_has_a_length():
    iterator = iter(DataLoader(range(10), batch_size=4))
    assert len(iterator) == 3 and iter(iterator) is iterator
    assert next(iterator).tolist() == [0, 1, 2, 3]


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"batch_size": 2.5}, ValueError, "batch_size should be a positive integer value, but got batch_size=2.5"),
        ({"batch_size": 0}, ValueError, "but got batch_size=0"),
        ({"batch_size": -3}, ValueError, "but got batch_size=-3"),
        ({"batch_size": True}, ValueError, "but got batch_size=True"),
        ({"drop_last": 1}, ValueError, "drop_last should be a boolean value, but got drop_last=1"),
        ({"shuffle": True, "sampler": [0, 1]}, ValueError, "sampler option is mutually exclusive with shuffle"),
        ({"batch_sampler": [[0]], "batch_size": 2}, ValueError, "batch_sampler option is mutually exclusive"),
        ({"batch_sampler": [[0]], "shuffle": True}, ValueError, "batch_sampler option is mutually exclusive"),
        ({"batch_sampler": [[0]], "sampler": [0]}, ValueError, "batch_sampler option is mutually exclusive"),
        ({"batch_sampler": [[0]], "drop_last": True}, ValueError, "batch_sampler option is mutually exclusive"),
        ({"batch_size": None, "drop_last": True}, ValueError, "disables auto-batching and is mutually exclusive"),
        ({"num_workers": 2}, ValueError, "num_workers=2: minigrad loads data in the main process.*num_workers=0"),
        ({"num_workers": -1}, ValueError, "num_workers option should be non-negative"),
        ({"num_workers": 1.0}, TypeError, "num_workers should be an integer"),
        ({"timeout": -1}, ValueError, "timeout option should be non-negative"),
        ({"timeout": 5}, ValueError, "timeout=5: .*leave timeout=0"),
        ({"prefetch_factor": 2}, ValueError, "leave prefetch_factor=None"),
        ({"persistent_workers": True}, ValueError, "persistent_workers option needs num_workers > 0"),
        ({"multiprocessing_context": "spawn"}, ValueError, "multiprocessing_context can only be used"),
        ({"generator": 0}, TypeError, "generator must be a minigrad.Generator, got int"),
        ({"collate_fn": "stack"}, TypeError, "collate_fn must be a function"),
    ],
)
def test_dataloader_argument_errors(kwargs, error, message):
    with pytest.raises(error, match=message):
        DataLoader(range(4), **kwargs)


def test_dataloader_errors_with_an_iterable_dataset():
    with pytest.raises(ValueError, match="expected unspecified shuffle option, but got shuffle=True"):
        DataLoader(Stream([1]), shuffle=True)
    with pytest.raises(ValueError, match=r"expected unspecified sampler option, but got sampler=\[0\]"):
        DataLoader(Stream([1]), sampler=[0])
    with pytest.raises(ValueError, match="expected unspecified batch_sampler option"):
        DataLoader(Stream([1]), batch_sampler=[[0]])
    assert list(DataLoader(Stream([1]), shuffle=False)) == [minigrad.tensor([1])]  # False is "unspecified"


def test_dataloader_dataset_without_length():
    class NoLen(Dataset):
        def __getitem__(self, i):
            return i

    loader = DataLoader(NoLen())  # as PyTorch: an error only when the length is needed
    with pytest.raises(TypeError, match="'NoLen' has no len\\(\\).*define __len__ on your dataset"):
        len(loader)
    with pytest.raises(TypeError, match="'NoLen' has no len\\(\\)"):
        next(iter(loader))
    with pytest.raises(TypeError, match="'NoLen' has no len\\(\\)"):
        DataLoader(NoLen(), shuffle=True)


def test_dataloader_refuses_changes_after_construction():
    loader = DataLoader(range(4), batch_size=2)
    for attr in ("batch_size", "batch_sampler", "sampler", "drop_last", "dataset", "persistent_workers"):
        with pytest.raises(ValueError, match=f"{attr} attribute should not be set after DataLoader is initialized"):
            setattr(loader, attr, None)
    loader.collate_fn = len  # the others may change, as in PyTorch
    assert list(loader) == [2, 2]


def test_dataloader_pin_memory_warns_and_worker_init_fn_is_never_called():
    calls = []
    loader = DataLoader(range(3), batch_size=2, pin_memory=True, worker_init_fn=calls.append)
    with pytest.warns(UserWarning, match="'pin_memory' argument is set as true but no accelerator is found"):
        batches = list(loader)
    assert [b.tolist() for b in batches] == [[0, 1], [2]]
    assert calls == []


def test_docstring_examples_run():
    """Every example in the package's docstrings runs and shows what it says."""
    names = ["dataset", "sampler", "dataloader", "_utils.collate"]
    namespace = {"minigrad": minigrad, "np": np, **{name: getattr(data, name) for name in data.__all__}}
    attempted = 0
    for name in names:
        module = importlib.import_module(f"minigrad.utils.data.{name}")
        result = doctest.testmod(module, extraglobs=namespace, optionflags=doctest.NORMALIZE_WHITESPACE)
        assert result.failed == 0, name
        attempted += result.attempted
    assert attempted >= 40


def test_package_layout():
    import minigrad.utils

    assert minigrad.utils.data is data
    for name in data.__all__:
        assert getattr(data, name).__module__.startswith("minigrad.utils.data")


# ------------------------------------------------------------------------------------------------
# Parity with torch.utils.data: the same code under both, batch by batch
# ------------------------------------------------------------------------------------------------


def library(name: str) -> types.SimpleNamespace:
    """What a loader script imports: ``tensor``, ``arange``, ``Generator`` and ``data``, from torch or minigrad."""
    if name == "torch":
        torch = torch_or_skip()
        import torch.utils.data as torch_data

        return types.SimpleNamespace(
            tensor=torch.tensor, arange=torch.arange, Generator=torch.Generator, data=torch_data
        )
    return types.SimpleNamespace(
        tensor=minigrad.tensor, arange=minigrad.arange, Generator=minigrad.Generator, data=data
    )


def plain(x):
    """A batch as plain Python: a tensor as (dtype, shape, values); containers as (type name, items)."""
    if isinstance(x, minigrad.Tensor):
        return ("tensor", str(x.dtype), tuple(x.shape), x.data.tolist())
    if type(x).__module__ == "torch" and type(x).__name__ == "Tensor":
        return ("tensor", str(x.dtype).removeprefix("torch."), tuple(x.shape), x.tolist())
    if isinstance(x, dict):
        return (type(x).__name__, {k: plain(v) for k, v in x.items()})
    if isinstance(x, list | tuple):
        return (type(x).__name__, [plain(v) for v in x])
    return x


def course_loader(L, **kwargs):
    """The course's character model: int64 windows X and their next characters Y."""
    ids = np.arange(40) % 7
    X = L.tensor(np.stack([ids[i : i + 5] for i in range(11)]))  # (11, 5)
    Y = L.tensor(np.stack([ids[i + 1 : i + 6] for i in range(11)]))  # (11, 5)
    return L.data.DataLoader(L.data.TensorDataset(X, Y), **kwargs)


def records_loader(L, **kwargs):
    """A custom Dataset of dicts holding every kind of sample default_collate knows."""

    class Records(L.data.Dataset):
        def __len__(self):
            return 7

        def __getitem__(self, i):
            return {
                "features": np.linspace(0, i, 3).astype(np.float32),
                "count": i,
                "weight": i / 4,
                "flag": i % 2 == 0,
                "name": f"r{i}",
                "scalars": (np.int32(i), np.float64(i / 2), np.bool_(i > 3)),
                "nested": [Point(i, float(i)), {"k": np.full((2, 1), i, dtype=np.int64)}],
            }

    return L.data.DataLoader(Records(), **kwargs)


def stream_loader(L, **kwargs):
    class Numbers(L.data.IterableDataset):
        def __iter__(self):
            return iter((i, i * 0.5) for i in range(8))

        def __len__(self):
            return 8

    return L.data.DataLoader(Numbers(), **kwargs)


def composed_loader(L, **kwargs):
    """Subset and ConcatDataset of TensorDatasets, a sampler of our own order."""
    first = L.data.TensorDataset(L.arange(6).reshape(3, 2), L.tensor([0.5, 1.5, 2.5]))
    second = L.data.TensorDataset(L.arange(10, 18).reshape(4, 2), L.tensor([3.5, 4.5, 5.5, 6.5]))
    joined = L.data.ConcatDataset([first, L.data.Subset(second, [3, 1, 0])])
    return L.data.DataLoader(joined, sampler=[5, 0, 4, 1, 3, 2], **kwargs)


def plain_list_loader(L, **kwargs):
    return L.data.DataLoader([(i, float(i), str(i)) for i in range(5)], **kwargs)


def tensor_as_dataset_loader(L, **kwargs):
    return L.data.DataLoader(L.arange(7), **kwargs)


PARITY_CASES = [
    (course_loader, {"batch_size": 4}),
    (course_loader, {"batch_size": 4, "drop_last": True}),
    (course_loader, {"batch_size": None}),
    (course_loader, {"batch_sampler": [[0, 10], [5], [1, 2, 3]]}),
    (records_loader, {"batch_size": 3}),
    (records_loader, {"batch_size": None}),
    (stream_loader, {"batch_size": 3}),
    (stream_loader, {"batch_size": 3, "drop_last": True}),
    (stream_loader, {"batch_size": None}),
    (composed_loader, {"batch_size": 4}),
    (plain_list_loader, {"batch_size": 2}),
    (plain_list_loader, {"batch_size": 2, "collate_fn": lambda batch: [len(batch), batch[0][2]]}),
    (tensor_as_dataset_loader, {"batch_size": 3}),
]


@pytest.mark.parametrize(
    "make, kwargs", PARITY_CASES, ids=[f"{make.__name__}-{'-'.join(map(str, kw))}" for make, kw in PARITY_CASES]
)
def test_batches_match_torch(make, kwargs):
    torch_or_skip()
    torch_loader, our_loader = make(library("torch"), **kwargs), make(library("minigrad"), **kwargs)
    assert len(our_loader) == len(torch_loader)
    theirs, ours = [plain(b) for b in torch_loader], [plain(b) for b in our_loader]
    assert len(ours) == len(theirs)
    for i, (mine, expected) in enumerate(zip(ours, theirs)):
        assert mine == expected, f"batch {i}"


@pytest.mark.parametrize("make", [course_loader, records_loader])
def test_shuffled_batches_match_torch_in_shape_and_dtype(make):
    torch = torch_or_skip()

    def skeleton(x):
        """A plain batch with the values left out (shuffled orders differ between the two generators)."""
        if isinstance(x, tuple) and x and x[0] == "tensor":
            return x[:3]
        if isinstance(x, tuple) and len(x) == 2 and isinstance(x[1], dict | list):
            items = x[1].items() if isinstance(x[1], dict) else enumerate(x[1])
            return (x[0], {k: skeleton(v) for k, v in items})
        return type(x).__name__

    theirs = make(library("torch"), batch_size=3, shuffle=True, generator=torch.Generator().manual_seed(0))
    ours = make(library("minigrad"), batch_size=3, shuffle=True, generator=minigrad.Generator(0))
    assert [skeleton(plain(b)) for b in ours] == [skeleton(plain(b)) for b in theirs]


@given(n=st.integers(0, 60), weights=st.lists(st.integers(1, 9), min_size=1, max_size=5))
def test_random_split_sizes_match_torch(n, weights):
    torch = torch_or_skip()
    fractions = [w / sum(weights) for w in weights]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = random_split(range(n), fractions, generator=minigrad.Generator(0))
        if sum(fractions) > 1:  # rounded just above 1: PyTorch refuses these fractions, minigrad takes them
            with pytest.raises(ValueError, match="Sum of input lengths does not equal"):
                torch.utils.data.random_split(range(n), fractions)
            assert sum(len(p) for p in ours) == n
            return
        theirs = torch.utils.data.random_split(range(n), fractions, generator=torch.Generator().manual_seed(0))
    assert [len(p) for p in ours] == [len(p) for p in theirs]


@given(n=st.integers(0, 30), batch_size=st.integers(1, 8), drop_last=st.booleans(), shuffle=st.booleans())
def test_batch_shapes_match_torch(n, batch_size, drop_last, shuffle):
    torch = torch_or_skip()
    if shuffle and n == 0:
        return  # both refuse to shuffle nothing; test_errors_match_torch compares the errors
    kwargs = {"batch_size": batch_size, "drop_last": drop_last, "shuffle": shuffle}
    theirs = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.zeros(n, 3), torch.arange(n)), **kwargs)
    ours = DataLoader(TensorDataset(minigrad.zeros(n, 3), minigrad.arange(n)), **kwargs)
    assert len(ours) == len(theirs)
    assert [tuple(x.shape) + tuple(y.shape) for x, y in ours] == [tuple(x.shape) + tuple(y.shape) for x, y in theirs]


def bad_calls(L):
    """Calls both libraries must refuse with the same kind of error (and message, where PyTorch has one)."""
    d = L.data

    class NoLen(d.Dataset):
        def __getitem__(self, i):
            return i

    class Endless(d.IterableDataset):
        def __iter__(self):
            return iter(range(3))

    class NoIter(d.IterableDataset):
        pass

    ds = d.TensorDataset(L.arange(10))
    return {
        "batch_size float": lambda: d.DataLoader(ds, batch_size=2.5),
        "batch_size 0": lambda: d.DataLoader(ds, batch_size=0),
        "batch_size negative": lambda: d.DataLoader(ds, batch_size=-1),
        "batch_size bool": lambda: d.DataLoader(ds, batch_size=True),
        "drop_last int": lambda: d.DataLoader(ds, drop_last=1),
        "shuffle with sampler": lambda: d.DataLoader(ds, shuffle=True, sampler=[1, 2]),
        "batch_sampler with batch_size": lambda: d.DataLoader(ds, batch_sampler=[[1, 2]], batch_size=2),
        "batch_sampler with shuffle": lambda: d.DataLoader(ds, batch_sampler=[[1, 2]], shuffle=True),
        "batch_sampler with sampler": lambda: d.DataLoader(ds, batch_sampler=[[1, 2]], sampler=[1]),
        "batch_sampler with drop_last": lambda: d.DataLoader(ds, batch_sampler=[[1, 2]], drop_last=True),
        "no batching with drop_last": lambda: d.DataLoader(ds, batch_size=None, drop_last=True),
        "num_workers negative": lambda: d.DataLoader(ds, num_workers=-1),
        "timeout negative": lambda: d.DataLoader(ds, timeout=-1),
        "persistent_workers": lambda: d.DataLoader(ds, persistent_workers=True),
        "multiprocessing_context": lambda: d.DataLoader(ds, multiprocessing_context="spawn"),
        "stream shuffled": lambda: d.DataLoader(Endless(), shuffle=True),
        "stream with sampler": lambda: d.DataLoader(Endless(), sampler=[1]),
        "stream with batch_sampler": lambda: d.DataLoader(Endless(), batch_sampler=[[1]]),
        "stream without len": lambda: len(d.DataLoader(Endless())),
        "stream without __iter__": lambda: NoIter(),
        "dataset without len": lambda: len(d.DataLoader(NoLen())),
        "dataset without len shuffled": lambda: d.DataLoader(NoLen(), shuffle=True),
        "empty dataset shuffled": lambda: d.DataLoader([], shuffle=True),
        "dataset without getitem": lambda: d.Dataset()[0],
        "tensor sizes differ": lambda: d.TensorDataset(L.arange(3), L.arange(4)),
        "replacement not bool": lambda: d.RandomSampler(range(3), replacement=1),
        "num_samples 0": lambda: d.RandomSampler(range(3), num_samples=0),
        "num_samples float": lambda: d.RandomSampler(range(3), num_samples=2.0),
        "batch sampler drop_last": lambda: d.BatchSampler(range(3), 2, "no"),
        "split sizes": lambda: d.random_split(range(10), [3, 6]),
        "split fractions": lambda: d.random_split(range(10), [0.5, 0.6]),
        "split fraction range": lambda: d.random_split(range(10), [1.5, -0.5]),
        "concat nothing": lambda: d.ConcatDataset([]),
        "concat index": lambda: d.ConcatDataset([[1, 2]])[-3],
        "set batch_size": lambda: setattr(d.DataLoader(ds), "batch_size", 3),
        "collate object": lambda: d.default_collate([object()]),
        "collate None": lambda: d.default_collate([None]),
        "collate strings array": lambda: d.default_collate([np.array(["a"])]),
        "collate shapes": lambda: d.default_collate([L.arange(3), L.arange(2)]),
        "collate list sizes": lambda: d.default_collate([[1, 2], [3]]),
        "collate empty": lambda: d.default_collate([]),
    }


SAME_TYPE_ONLY = {"collate empty"}  # PyTorch's message there is Python's "list index out of range"


def test_errors_match_torch():
    torch_or_skip()
    theirs, ours = bad_calls(library("torch")), bad_calls(library("minigrad"))
    assert theirs.keys() == ours.keys()
    for name in theirs:
        with pytest.raises(Exception) as expected:
            theirs[name]()
        with pytest.raises(Exception) as got:
            ours[name]()
        assert type(got.value) is type(expected.value), name
        if name not in SAME_TYPE_ONLY:  # PyTorch's message, word for word, perhaps with a fix after it
            assert str(got.value).startswith(str(expected.value)), (name, str(got.value), str(expected.value))


def test_float_and_int_dtypes_match_torch():
    torch = torch_or_skip()
    for batch in ([0.5, 1.5], [1, 2], [True, False], [1, 2.5], [2.5, 1], [np.float32(1)], [np.int32(1)]):
        theirs = torch.utils.data.default_collate(batch)
        assert plain(default_collate(batch)) == plain(theirs), batch


# ------------------------------------------------------------------------------------------------
# End to end: a regression trained through a shuffled DataLoader
# ------------------------------------------------------------------------------------------------


def test_linear_regression_learns_through_a_shuffled_dataloader():
    """y = X w + b + noise (σ = 0.1): predicting the mean leaves MSE = var(y) ≈ 14; we need < 0.05."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((256, 3)).astype(np.float32)
    y = (X @ np.array([[2.0], [-3.0], [1.0]]) + 0.5 + 0.1 * rng.standard_normal((256, 1))).astype(np.float32)
    X, y = minigrad.tensor(X), minigrad.tensor(y)
    minigrad.manual_seed(0)
    model = minigrad.nn.Linear(3, 1)
    optimizer = minigrad.optim.SGD(model.parameters(), lr=0.05)
    loader = DataLoader(TensorDataset(X, y), batch_size=16, shuffle=True)
    baseline = float(((y - y.mean()) ** 2).mean().item())
    for _ in range(15):
        for xb, yb in loader:
            assert xb.shape[1:] == (3,) and yb.shape[1:] == (1,)
            loss = minigrad.nn.functional.mse_loss(model(xb), yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    with minigrad.no_grad():
        final = float(minigrad.nn.functional.mse_loss(model(X), y).item())
    assert baseline > 10
    assert final < 0.05, final
