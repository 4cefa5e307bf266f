"""Samplers: the order in which a DataLoader visits a map-style dataset (``torch/utils/data/sampler.py``).

A sampler is an iterable of indices; ``BatchSampler`` groups another sampler's indices into lists,
one list per batch. Random samplers draw from the ``minigrad.Generator`` they are given, or from the
global one, so ``minigrad.manual_seed`` makes every order reproducible; each pass over a random
sampler (each epoch) draws a new order.
"""

from __future__ import annotations

import itertools
import operator
from collections.abc import Iterable, Iterator, Sequence, Sized
from typing import Any, Generic, TypeVar

import numpy as np

from minigrad.random import Generator, numpy_generator
from minigrad.utils.data.dataset import _dataset_length

__all__ = [
    "BatchSampler",
    "RandomSampler",
    "Sampler",
    "SequentialSampler",
    "SubsetRandomSampler",
    "WeightedRandomSampler",
]

T_co = TypeVar("T_co", covariant=True)


class Sampler(Generic[T_co]):
    """Base class of samplers: define ``__iter__`` (indices, or lists of indices), and ``__len__`` if known.

    Example:
        >>> class Backwards(Sampler[int]):
        ...     def __init__(self, data_source):
        ...         self.data_source = data_source
        ...
        ...     def __iter__(self):
        ...         return iter(range(len(self.data_source) - 1, -1, -1))
        ...
        ...     def __len__(self):
        ...         return len(self.data_source)
        >>> list(Backwards("abc"))
        [2, 1, 0]
    """

    def __iter__(self) -> Iterator[T_co]:
        raise NotImplementedError

    # No default __len__, as PyTorch: a sampler whose length is unknown must leave len() undefined.


class SequentialSampler(Sampler[int]):
    """0, 1, ..., len(data_source) - 1, the same every time.

    Example:
        >>> list(SequentialSampler(["a", "b", "c"]))
        [0, 1, 2]
    """

    def __init__(self, data_source: Sized) -> None:
        self.data_source = data_source

    def __iter__(self) -> Iterator[int]:
        return iter(range(_dataset_length(self.data_source)))

    def __len__(self) -> int:
        return _dataset_length(self.data_source)


class RandomSampler(Sampler[int]):
    """The indices in a random order (a new order on every pass), or drawn with replacement.

    Without replacement, each pass is a permutation of 0..n-1 (with ``num_samples`` > n, whole
    permutations one after another, the last one cut short). With ``replacement=True``, each index is
    drawn uniformly and independently.

    Without a ``generator``, each pass draws one seed from the global generator and permutes with a
    fresh generator made from it (PyTorch's scheme): ``minigrad.manual_seed`` fixes every epoch's
    order, and a pass moves the global generator on by one draw whatever the dataset's size.

    Args:
        data_source: the dataset (only its ``len`` is used).
        replacement: draw with replacement.
        num_samples: how many indices a pass yields (``len(data_source)`` by default).
        generator: a ``minigrad.Generator`` to draw from.

    Example:
        >>> sampler = RandomSampler(range(5), generator=minigrad.Generator(0))
        >>> first, second = list(sampler), list(sampler)
        >>> sorted(first), first != second  # each pass is a new permutation
        ([0, 1, 2, 3, 4], True)
        >>> len(list(RandomSampler(range(5), replacement=True, num_samples=12)))
        12
    """

    def __init__(
        self,
        data_source: Sized,
        replacement: bool = False,
        num_samples: int | None = None,
        generator: Generator | None = None,
    ) -> None:
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator
        if not isinstance(replacement, bool | np.bool_):
            raise TypeError(f"replacement should be a boolean value, but got replacement={replacement}")
        if generator is not None:
            numpy_generator(generator)  # a TypeError now, not at the first epoch, for a wrong kind of generator
        if not _is_int(self.num_samples) or self.num_samples <= 0:
            why = " (the dataset is empty)" if num_samples is None else ""
            raise ValueError(
                f"num_samples should be a positive integer value, but got num_samples={self.num_samples}{why}"
            )

    @property
    def num_samples(self) -> int:
        """How many indices a pass yields (the dataset's current size unless given)."""
        if self._num_samples is None:
            return _dataset_length(self.data_source)
        return self._num_samples

    def __iter__(self) -> Iterator[int]:
        n = _dataset_length(self.data_source)
        generator = self.generator
        if generator is None:  # this pass's own stream, seeded from the global generator
            generator = Generator(int(numpy_generator().integers(2**63)))
        rng = numpy_generator(generator)
        if self.replacement:
            yield from rng.integers(0, n, size=self.num_samples).tolist()
        else:
            for _ in range(self.num_samples // n):
                yield from rng.permutation(n).tolist()
            yield from rng.permutation(n)[: self.num_samples % n].tolist()

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler[int]):
    """The given indices, in a random order (a new one on every pass).

    Args:
        indices: the indices to draw from (each once per pass).
        generator: a ``minigrad.Generator`` to draw from (the global one by default).

    Example:
        >>> sampler = SubsetRandomSampler([10, 20, 30], generator=minigrad.Generator(0))
        >>> sorted(sampler)
        [10, 20, 30]
    """

    def __init__(self, indices: Sequence[int], generator: Generator | None = None) -> None:
        self.indices = indices
        self.generator = generator
        if generator is not None:
            numpy_generator(generator)  # check its type now

    def __iter__(self) -> Iterator[int]:
        for i in numpy_generator(self.generator).permutation(len(self.indices)).tolist():
            yield self.indices[i]

    def __len__(self) -> int:
        return len(self.indices)


class WeightedRandomSampler(Sampler[int]):
    """Indices 0..len(weights)-1 drawn with probabilities proportional to ``weights``.

    With replacement (the default) each draw is independent; without, an index drawn is not drawn
    again (each draw is proportional to the weights of the indices still left).

    Args:
        weights: one non-negative weight per index (they need not sum to 1).
        num_samples: how many indices a pass yields.
        replacement: draw with replacement.
        generator: a ``minigrad.Generator`` to draw from (the global one by default).

    Example:
        >>> sampler = WeightedRandomSampler([0.0, 1.0, 3.0], num_samples=50, generator=minigrad.Generator(0))
        >>> sorted(set(sampler))  # index 0 has weight 0: never drawn
        [1, 2]
    """

    def __init__(
        self, weights: Sequence[float], num_samples: int, replacement: bool = True, generator: Generator | None = None
    ) -> None:
        if not _is_int(num_samples) or num_samples <= 0:
            raise ValueError(f"num_samples should be a positive integer value, but got num_samples={num_samples}")
        if not isinstance(replacement, bool | np.bool_):
            raise ValueError(f"replacement should be a boolean value, but got replacement={replacement}")
        weights = np.asarray(getattr(weights, "data", weights), dtype=np.float64)
        if weights.ndim != 1:
            raise ValueError(f"weights should be a 1d sequence but given weights have shape {weights.shape}")
        if not np.all(np.isfinite(weights)) or np.any(weights < 0) or weights.sum() <= 0:
            raise ValueError(
                f"weights must be finite and non-negative with a positive sum, got {weights.tolist()}: "
                "they are probabilities up to a constant factor"
            )
        if not replacement and num_samples > np.count_nonzero(weights):
            raise ValueError(
                f"cannot draw {num_samples} samples without replacement from {np.count_nonzero(weights)} "
                "indices of non-zero weight: lower num_samples or use replacement=True"
            )
        if generator is not None:
            numpy_generator(generator)  # check its type now
        self.weights = weights
        self.num_samples = int(num_samples)
        self.replacement = bool(replacement)
        self.generator = generator

    def __iter__(self) -> Iterator[int]:
        rng = numpy_generator(self.generator)
        p = self.weights / self.weights.sum()
        yield from rng.choice(len(p), size=self.num_samples, replace=self.replacement, p=p).tolist()

    def __len__(self) -> int:
        return self.num_samples


class BatchSampler(Sampler[list[int]]):
    """Another sampler's indices in lists of ``batch_size`` (the last one shorter unless ``drop_last``).

    Args:
        sampler: any iterable of indices (a Sampler, a range, a list).
        batch_size: indices per batch, a positive integer.
        drop_last: drop the last batch if it has fewer than ``batch_size`` indices.

    Example:
        >>> list(BatchSampler(SequentialSampler(range(10)), batch_size=3, drop_last=False))
        [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]
        >>> list(BatchSampler(range(10), batch_size=3, drop_last=True))
        [[0, 1, 2], [3, 4, 5], [6, 7, 8]]
    """

    def __init__(self, sampler: Sampler[int] | Iterable[int], batch_size: int, drop_last: bool) -> None:
        if not _is_int(batch_size) or batch_size <= 0:
            raise ValueError(f"batch_size should be a positive integer value, but got batch_size={batch_size}")
        if not isinstance(drop_last, bool | np.bool_):
            raise ValueError(f"drop_last should be a boolean value, but got drop_last={drop_last}")
        self.sampler = sampler
        self.batch_size = int(batch_size)
        self.drop_last = bool(drop_last)

    def __iter__(self) -> Iterator[list[int]]:
        indices = iter(self.sampler)
        batch = list(itertools.islice(indices, self.batch_size))
        while batch:
            if len(batch) < self.batch_size and self.drop_last:
                return
            yield batch
            batch = list(itertools.islice(indices, self.batch_size))

    def __len__(self) -> int:
        n = _dataset_length(self.sampler, what="sampler")
        if self.drop_last:
            return n // self.batch_size
        return -(-n // self.batch_size)  # ⌈n / batch_size⌉


def _is_int(value: Any) -> bool:
    """An integer (Python's or NumPy's), not a bool and not a float with an integral value."""
    if isinstance(value, bool | np.bool_):
        return False
    try:
        operator.index(value)
    except TypeError:
        return False
    return True
