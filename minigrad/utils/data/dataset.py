"""Datasets: what a DataLoader reads samples from (``torch/utils/data/dataset.py``, name for name).

There are two kinds, as in PyTorch:

- a *map-style* dataset (``Dataset``) answers ``dataset[i]`` and ``len(dataset)``: ``TensorDataset``
  (rows of tensors), ``Subset`` (some of another dataset's rows), ``ConcatDataset`` (several, one after
  the other), or your own subclass;
- an *iterable-style* dataset (``IterableDataset``) is a stream, read with ``for sample in dataset``
  (``ChainDataset`` joins several streams).

``random_split`` cuts a map-style dataset into disjoint random ``Subset``s (a train/validation split).
"""

from __future__ import annotations

import bisect
import itertools
import math
import operator
import warnings
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Generic, TypeVar

import numpy as np

from minigrad.random import Generator, numpy_generator
from minigrad.tensor import Tensor

__all__ = [
    "ChainDataset",
    "ConcatDataset",
    "Dataset",
    "IterableDataset",
    "Subset",
    "TensorDataset",
    "random_split",
]

T_co = TypeVar("T_co", covariant=True)


class Dataset(Generic[T_co]):
    """A map-style dataset: subclass it and define ``__getitem__`` (and ``__len__``, which samplers need).

    ``dataset[i]`` is sample i: a tensor, an array, a number, a string, or a tuple/list/dict of them
    (``default_collate`` knows how to batch each). ``a + b`` is ``ConcatDataset([a, b])``.

    Example:
        >>> class Squares(Dataset):
        ...     def __len__(self):
        ...         return 4
        ...
        ...     def __getitem__(self, i):
        ...         return i, i * i
        >>> Squares()[3]
        (3, 9)
        >>> len(Squares() + Squares())
        8
    """

    def __getitem__(self, index: Any) -> T_co:
        raise NotImplementedError("Subclasses of Dataset should implement __getitem__.")

    # No default __len__ (as PyTorch): len() of a dataset without one is Python's TypeError, which the
    # samplers turn into a message that says what to do.

    def __add__(self, other: Dataset) -> ConcatDataset:
        return ConcatDataset([self, other])


class IterableDataset(Dataset[T_co], Iterable[T_co]):
    """A stream of samples: subclass it and define ``__iter__``.

    A DataLoader reads it in order, ``batch_size`` samples at a time; it takes no ``sampler``,
    ``batch_sampler`` or ``shuffle`` (a stream has no indices to draw). ``a + b`` is
    ``ChainDataset([a, b])``.

    Example:
        >>> class Countdown(IterableDataset):
        ...     def __init__(self, start):
        ...         self.start = start
        ...
        ...     def __iter__(self):
        ...         return iter(range(self.start, 0, -1))
        >>> list(Countdown(3))
        [3, 2, 1]
        >>> list(Countdown(2) + Countdown(1))
        [2, 1, 1]
    """

    def __add__(self, other: Dataset) -> ChainDataset:
        return ChainDataset([self, other])


class TensorDataset(Dataset[tuple]):
    """Rows of tensors: sample i is ``(t[i] for t in tensors)``, a tuple.

    Args:
        *tensors: minigrad Tensors (or NumPy arrays), all with the same first size, the number of samples.

    Example:
        >>> X = minigrad.tensor([[0.0, 1.0], [2.0, 3.0], [4.0, 5.0]])
        >>> y = minigrad.tensor([0, 1, 0])
        >>> dataset = TensorDataset(X, y)
        >>> len(dataset)
        3
        >>> dataset[1]
        (tensor([2., 3.]), tensor(1))
    """

    def __init__(self, *tensors: Tensor) -> None:
        if not tensors:
            raise ValueError("TensorDataset needs at least one tensor, got none: TensorDataset(X, y)")
        for position, t in enumerate(tensors):
            if not isinstance(t, Tensor | np.ndarray):
                raise TypeError(
                    f"TensorDataset expects tensors, but argument {position} is a {type(t).__name__}: "
                    "make it one with minigrad.tensor(...)"
                )
            if t.ndim == 0:
                raise ValueError(
                    f"TensorDataset: argument {position} is a 0-d tensor, which has no first dimension to "
                    "index samples by; give tensors whose first size is the number of samples"
                )
        sizes = [t.shape[0] for t in tensors]
        if any(size != sizes[0] for size in sizes):
            # AssertionError and this first sentence are PyTorch's.
            raise AssertionError(
                f"Size mismatch between tensors: every tensor needs the same first size (the number of "
                f"samples), got first sizes {sizes}"
            )
        self.tensors = tensors

    def __getitem__(self, index: Any) -> tuple:
        return tuple(t[index] for t in self.tensors)

    def __len__(self) -> int:
        return self.tensors[0].shape[0]


class ConcatDataset(Dataset[T_co]):
    """Several map-style datasets, one after the other: sample i of the whole is found by bisection.

    Args:
        datasets: the datasets to join (not IterableDatasets: ``ChainDataset`` joins those).

    Example:
        >>> joined = ConcatDataset([[10, 11, 12], [20, 21]])
        >>> len(joined), joined[3], joined[-1]
        (5, 20, 21)
        >>> joined.cumulative_sizes
        [3, 5]
    """

    def __init__(self, datasets: Iterable[Dataset]) -> None:
        self.datasets = list(datasets)
        if len(self.datasets) == 0:
            raise AssertionError("datasets should not be an empty iterable")  # PyTorch's error
        for d in self.datasets:
            if isinstance(d, IterableDataset):
                raise AssertionError(
                    "ConcatDataset does not support IterableDataset: join streams with ChainDataset instead"
                )
        self.cumulative_sizes = list(itertools.accumulate(len(d) for d in self.datasets))  # ends of each part

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, idx: int) -> T_co:
        n = len(self)
        if idx < 0:
            if -idx > n:
                raise ValueError("absolute value of index should not exceed dataset length")  # PyTorch's error
            idx = n + idx
        if idx >= n:
            raise IndexError(f"index {idx} is out of range for a ConcatDataset of length {n}")
        part = bisect.bisect_right(self.cumulative_sizes, idx)  # the first part that ends after idx
        start = self.cumulative_sizes[part - 1] if part > 0 else 0
        return self.datasets[part][idx - start]


class ChainDataset(IterableDataset):
    """Several IterableDatasets read one after the other (joined as they are read, not in advance).

    Example:
        >>> class Stream(IterableDataset):
        ...     def __init__(self, items):
        ...         self.items = items
        ...
        ...     def __iter__(self):
        ...         return iter(self.items)
        >>> list(ChainDataset([Stream("ab"), Stream("c")]))
        ['a', 'b', 'c']
    """

    def __init__(self, datasets: Iterable[Dataset]) -> None:
        self.datasets = datasets

    def __iter__(self) -> Iterator:
        for d in self.datasets:
            _check_iterable_part(d)
            yield from d

    def __len__(self) -> int:
        total = 0
        for d in self.datasets:
            _check_iterable_part(d)
            total += len(d)
        return total


def _check_iterable_part(d: Any) -> None:
    if not isinstance(d, IterableDataset):
        raise AssertionError(  # PyTorch's error
            f"ChainDataset only supports IterableDataset, got a {type(d).__name__}: join map-style datasets "
            "with ConcatDataset instead"
        )


class Subset(Dataset[T_co]):
    """The samples of ``dataset`` at ``indices``, in that order: ``subset[i] = dataset[indices[i]]``.

    Args:
        dataset: the whole dataset.
        indices: positions in it (a list, a range, an integer array or tensor).

    Example:
        >>> evens = Subset(["a", "b", "c", "d", "e"], [0, 2, 4])
        >>> len(evens), evens[1]
        (3, 'c')
        >>> Subset(minigrad.arange(10, 20), [0, 2, 4])[[1, 2]]  # a list of positions: one lookup
        tensor([12, 14])
    """

    def __init__(self, dataset: Dataset[T_co], indices: Sequence[int]) -> None:
        self.dataset = dataset
        self.indices = indices

    def __getitem__(self, idx: Any) -> T_co:
        if isinstance(idx, list):  # a list of positions: one lookup with the list, as PyTorch
            return self.dataset[[self.indices[i] for i in idx]]
        return self.dataset[self.indices[idx]]

    def __len__(self) -> int:
        return len(self.indices)


def random_split(
    dataset: Dataset[T_co], lengths: Sequence[int | float], generator: Generator | None = None
) -> list[Subset[T_co]]:
    """Cut ``dataset`` into disjoint random subsets of the given sizes, which together cover it.

    ``lengths`` are sizes that add up to ``len(dataset)``, or fractions that add up to 1: fraction f
    gives ⌊f · len(dataset)⌋ samples, and the samples left over go one each to the first subsets in
    turn (PyTorch's rule, so the sizes are PyTorch's; unlike PyTorch, fractions whose floating-point
    sum rounds to just above 1 are taken too). The order comes from one random permutation
    drawn from ``generator``, or from the global generator (``minigrad.manual_seed``).

    Args:
        dataset: the dataset to split (anything with ``len`` and ``[]``).
        lengths: sizes, or fractions that sum to 1.
        generator: a ``minigrad.Generator`` for a split that does not depend on the global seed.

    Example:
        >>> train, val = random_split(range(10), [0.8, 0.2], generator=minigrad.Generator(42))
        >>> len(train), len(val)
        (8, 2)
        >>> sorted(list(train) + list(val)) == list(range(10))
        True
    """
    n = _dataset_length(dataset)
    rng = numpy_generator(generator)  # checks the generator's type before anything else
    lengths = list(lengths)
    # Fractions: PyTorch also asks for sum <= 1, and so refuses fractions whose float sum rounds above 1
    # (0.1 + 0.2 + 0.3 + 0.3 + 0.1 = 1.0000000000000002); here they work. Their floors never exceed n.
    if math.isclose(sum(lengths), 1):
        sizes = []
        for i, fraction in enumerate(lengths):
            if fraction < 0 or fraction > 1:
                raise ValueError(f"Fraction at index {i} is not between 0 and 1")  # PyTorch's error
            sizes.append(math.floor(n * fraction))
        for i in range(n - sum(sizes)):  # the remainder, one each, round robin
            sizes[i % len(sizes)] += 1
        for i, size in enumerate(sizes):
            if size == 0:
                warnings.warn(
                    f"Length of split at index {i} is 0. This might result in an empty dataset.", stacklevel=2
                )
    else:
        sizes = [_split_size(length, i, lengths, n) for i, length in enumerate(lengths)]
    if sum(sizes) != n:
        raise ValueError(  # PyTorch's first sentence
            f"Sum of input lengths does not equal the length of the input dataset! The lengths {lengths} "
            f"add up to {sum(sizes)}, the dataset has {n} samples: give sizes that add up to {n}, or "
            "fractions that add up to 1"
        )
    order = rng.permutation(n).tolist()
    ends = list(itertools.accumulate(sizes))
    return [Subset(dataset, order[end - size : end]) for end, size in zip(ends, sizes)]


def _split_size(length: Any, i: int, lengths: list, n: int) -> int:
    """A size from ``random_split``'s lengths, which are not fractions: a non-negative integer."""
    try:
        size = operator.index(length)
    except TypeError:
        raise ValueError(  # PyTorch's first sentence
            f"Sum of input lengths does not equal the length of the input dataset! The lengths {lengths} are "
            f"neither fractions that add up to 1 (they add up to {sum(lengths)}) nor integer sizes (length {i} "
            f"is {length!r}): give sizes that add up to {n}, or fractions that add up to 1"
        ) from None
    if size < 0:
        raise ValueError(f"random_split: length {i} is {size}; sizes must be non-negative")
    return size


def _dataset_length(dataset: Any, what: str = "dataset") -> int:
    """``len(dataset)``, or an error that says why a length is needed and how to give one."""
    if not hasattr(type(dataset), "__len__"):
        stream = " (or, for a stream, make it an IterableDataset)" if what == "dataset" else ""
        raise TypeError(
            f"object of type '{type(dataset).__name__}' has no len(): the number of samples is needed here; "
            f"define __len__ on your {what}{stream}"
        )
    return len(dataset)
