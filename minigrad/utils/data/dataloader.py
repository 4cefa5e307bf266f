"""The DataLoader: a dataset read in batches, in the order a sampler gives (``torch/utils/data/dataloader.py``).

Iterating a DataLoader is, in the main process::

    for indices in batch_sampler:                          # e.g. BatchSampler(RandomSampler(dataset), 32)
        yield collate_fn([dataset[i] for i in indices])    # default_collate: stack into tensors

Every argument and every check is PyTorch's, with PyTorch's messages. minigrad has no worker
processes and no devices, so ``num_workers`` must be 0 and the options that only concern workers
(``timeout``, ``prefetch_factor``, ``persistent_workers``, ``multiprocessing_context``) must keep
their defaults; ``pin_memory=True`` warns, as PyTorch does on a machine without an accelerator.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Generic, TypeVar

from minigrad.random import Generator, numpy_generator
from minigrad.utils.data import _utils
from minigrad.utils.data._utils.collate import default_collate, default_convert
from minigrad.utils.data.dataset import Dataset, IterableDataset, _dataset_length
from minigrad.utils.data.sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler, _is_int

__all__ = ["DataLoader", "default_collate", "default_convert", "get_worker_info"]

T_co = TypeVar("T_co", covariant=True)


def get_worker_info() -> None:
    """Information about the worker process running this code: always None (minigrad loads in the main process).

    PyTorch's IterableDatasets call it in ``__iter__`` to split a stream among workers; None means
    "the main process, read everything", which is what they do here.
    """
    return None


class _DatasetKind:
    Map = 0
    Iterable = 1


class _InfiniteConstantSampler(Sampler[None]):
    """The sampler of an IterableDataset: None forever (a stream has no indices; BatchSampler counts them)."""

    def __iter__(self) -> Iterator[None]:
        while True:
            yield None


# What the iterator was built from: changing it on a live DataLoader is refused, as in PyTorch.
_FIXED_AFTER_INIT = ("batch_size", "batch_sampler", "sampler", "drop_last", "dataset", "persistent_workers")


class DataLoader(Generic[T_co]):
    """Batches of a dataset, one per step of a ``for`` loop; a new order each epoch when shuffling.

    Args:
        dataset: a map-style dataset (``len`` and ``[]``: a Dataset, TensorDataset, list, Tensor) or an
            IterableDataset.
        batch_size: samples per batch (default 1); None turns batching off (each sample comes as it is,
            NumPy arrays made Tensors).
        shuffle: a new random order every epoch (a ``RandomSampler``), drawn from ``generator`` or from
            the global generator, so ``minigrad.manual_seed`` makes runs reproducible.
        sampler: the order of the indices (any iterable of indices); excludes ``shuffle``.
        batch_sampler: lists of indices, one per batch; excludes ``batch_size``, ``shuffle``,
            ``sampler`` and ``drop_last``.
        num_workers: must be 0 (minigrad loads in the main process).
        collate_fn: makes a batch from a list of samples (``default_collate`` by default).
        pin_memory: accepted; True only warns (no accelerator, nothing to pin).
        drop_last: drop the last batch if it is smaller than ``batch_size``.
        timeout, worker_init_fn, multiprocessing_context, prefetch_factor, persistent_workers,
            pin_memory_device, in_order: options for worker processes, accepted at their defaults
            (``worker_init_fn`` is accepted and never called, as in PyTorch with ``num_workers=0``).
        generator: a ``minigrad.Generator`` for ``shuffle``'s order.

    ``len(loader)`` is the number of batches per epoch.

    Example:
        >>> X = minigrad.arange(10).reshape(5, 2)
        >>> y = minigrad.tensor([0, 1, 0, 1, 1])
        >>> loader = DataLoader(TensorDataset(X, y), batch_size=2)
        >>> len(loader)
        3
        >>> [(xb.shape, yb.shape) for xb, yb in loader]
        [((2, 2), (2,)), ((2, 2), (2,)), ((1, 2), (1,))]
        >>> shuffled = DataLoader(range(6), batch_size=3, shuffle=True, generator=minigrad.Generator(0))
        >>> sorted(int(i) for batch in shuffled for i in batch)
        [0, 1, 2, 3, 4, 5]
    """

    _initialized = False

    def __init__(
        self,
        dataset: Dataset[T_co] | Any,
        batch_size: int | None = 1,
        shuffle: bool | None = None,
        sampler: Sampler | Iterable | None = None,
        batch_sampler: Sampler[list] | Iterable[list] | None = None,
        num_workers: int = 0,
        collate_fn: Callable[[list], Any] | None = None,
        pin_memory: bool = False,
        drop_last: bool = False,
        timeout: float = 0,
        worker_init_fn: Callable[[int], None] | None = None,
        multiprocessing_context: Any = None,
        generator: Generator | None = None,
        *,
        prefetch_factor: int | None = None,
        persistent_workers: bool = False,
        pin_memory_device: str = "",
        in_order: bool = True,
    ) -> None:
        _check_single_process(num_workers, timeout, prefetch_factor, persistent_workers, multiprocessing_context)
        if generator is not None:
            numpy_generator(generator)  # a TypeError now for a generator that is not a minigrad.Generator
        if collate_fn is not None and not callable(collate_fn):
            raise TypeError(f"collate_fn must be a function of a list of samples, got a {type(collate_fn).__name__}")

        # What kind of dataset, and which of shuffle / sampler / batch_sampler / batch_size / drop_last
        # go together: PyTorch's checks, in PyTorch's order, with its messages.
        if isinstance(dataset, IterableDataset):
            kind = _DatasetKind.Iterable
            if shuffle not in {False, None}:
                raise ValueError(
                    f"DataLoader with IterableDataset: expected unspecified shuffle option, but got shuffle={shuffle}"
                )
            if sampler is not None:
                raise ValueError(
                    f"DataLoader with IterableDataset: expected unspecified sampler option, but got sampler={sampler}"
                )
            if batch_sampler is not None:
                raise ValueError(
                    "DataLoader with IterableDataset: expected unspecified "
                    f"batch_sampler option, but got batch_sampler={batch_sampler}"
                )
        else:
            kind = _DatasetKind.Map
            shuffle = bool(shuffle)

        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")

        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError(
                    "batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, and drop_last"
                )
            batch_size = None
            drop_last = False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually exclusive with drop_last")

        if sampler is None:
            if kind == _DatasetKind.Iterable:
                sampler = _InfiniteConstantSampler()
            elif shuffle:
                sampler = RandomSampler(dataset, generator=generator)
            else:
                sampler = SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)  # checks batch_size and drop_last

        self.dataset = dataset
        self._dataset_kind = kind
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.generator = generator
        self.num_workers = num_workers
        self.pin_memory = pin_memory
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.prefetch_factor = prefetch_factor
        self.persistent_workers = persistent_workers
        self.in_order = in_order
        if collate_fn is None:
            collate_fn = default_collate if self._auto_collation else default_convert
        self.collate_fn = collate_fn
        self._initialized = True

    def __setattr__(self, attr: str, value: Any) -> None:
        if self._initialized and attr in _FIXED_AFTER_INIT:
            raise ValueError(  # PyTorch's error
                f"{attr} attribute should not be set after {type(self).__name__} is initialized: "
                "make a new DataLoader instead"
            )
        super().__setattr__(attr, value)

    @property
    def _auto_collation(self) -> bool:
        """Whether samples are batched (there is a batch sampler) or come one by one."""
        return self.batch_sampler is not None

    @property
    def _index_sampler(self) -> Iterable:
        """What the iterator draws from: lists of indices when batching, single indices otherwise."""
        return self.batch_sampler if self._auto_collation else self.sampler

    def __iter__(self) -> _SingleProcessDataLoaderIter:
        return _SingleProcessDataLoaderIter(self)

    def __len__(self) -> int:
        if self._dataset_kind == _DatasetKind.Iterable:  # the stream's length, in batches
            length = _dataset_length(self.dataset)
            if self.batch_size is None:
                return length
            return length // self.batch_size if self.drop_last else math.ceil(length / self.batch_size)
        return _dataset_length(self._index_sampler, what="sampler")


class _SingleProcessDataLoaderIter:
    """One epoch of a DataLoader: the batches of one pass over its (batch) sampler."""

    def __init__(self, loader: DataLoader) -> None:
        if loader.pin_memory:
            warnings.warn(  # PyTorch's warning on a machine without an accelerator
                "'pin_memory' argument is set as true but no accelerator is found, "
                "then device pinned memory won't be used.",
                stacklevel=3,
            )
        self._index_sampler = loader._index_sampler
        self._sampler_iter = iter(self._index_sampler)
        fetcher = _utils.fetch._IterableDatasetFetcher
        if loader._dataset_kind == _DatasetKind.Map:
            fetcher = _utils.fetch._MapDatasetFetcher
        self._dataset_fetcher = fetcher(loader.dataset, loader._auto_collation, loader.collate_fn, loader.drop_last)

    def __iter__(self) -> _SingleProcessDataLoaderIter:
        return self

    def __next__(self) -> Any:
        index = next(self._sampler_iter)  # an index, or a list of them (StopIteration at the epoch's end)
        return self._dataset_fetcher.fetch(index)  # may also raise StopIteration (a stream's end)

    def __len__(self) -> int:
        return _dataset_length(self._index_sampler, what="sampler")


def _check_single_process(
    num_workers: Any, timeout: Any, prefetch_factor: Any, persistent_workers: Any, multiprocessing_context: Any
) -> None:
    """The options that only worker processes use must keep their defaults: minigrad has no workers."""
    if not _is_int(num_workers):
        raise TypeError(f"num_workers should be an integer, but got num_workers={num_workers!r}")
    if num_workers < 0:
        raise ValueError("num_workers option should be non-negative; use num_workers=0 to disable multiprocessing.")
    if num_workers > 0:
        raise ValueError(
            f"num_workers={num_workers}: minigrad loads data in the main process, it has no worker processes; "
            "use num_workers=0"
        )
    if timeout < 0:
        raise ValueError("timeout option should be non-negative")
    if timeout > 0:
        raise ValueError(
            f"timeout={timeout}: a timeout applies to worker processes, and minigrad loads data in the main "
            "process; leave timeout=0"
        )
    if prefetch_factor is not None:
        raise ValueError(
            "prefetch_factor option could only be specified in multiprocessing: minigrad loads data in the main "
            "process (num_workers=0), so leave prefetch_factor=None"
        )
    if persistent_workers:
        raise ValueError(
            "persistent_workers option needs num_workers > 0: minigrad loads data in the main process, "
            "so leave persistent_workers=False"
        )
    if multiprocessing_context is not None:
        raise ValueError(
            "multiprocessing_context can only be used with multi-process loading (num_workers > 0), but got "
            "num_workers=0: minigrad loads data in the main process, so leave multiprocessing_context=None"
        )
