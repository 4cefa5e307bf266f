"""Fetchers: one batch of samples from a dataset, collated (``torch/utils/data/_utils/fetch.py``).

The DataLoader's iterator asks its fetcher for the batch of each index (or list of indices) its
sampler gives. A map-style dataset is indexed; an iterable-style one is read ``len(indices)``
samples further (its sampler yields placeholders that only count the batch's size).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class _MapDatasetFetcher:
    """``collate_fn([dataset[i] for i in indices])`` (or of ``dataset[index]`` without batching)."""

    def __init__(self, dataset: Any, auto_collation: bool, collate_fn: Callable, drop_last: bool) -> None:
        self.dataset = dataset
        self.auto_collation = auto_collation
        self.collate_fn = collate_fn
        self.drop_last = drop_last

    def fetch(self, possibly_batched_index: Any) -> Any:
        if not self.auto_collation:
            return self.collate_fn(self.dataset[possibly_batched_index])
        if getattr(self.dataset, "__getitems__", None):  # a dataset that reads many samples at once (PyTorch's hook)
            data = self.dataset.__getitems__(possibly_batched_index)
        else:
            data = [self.dataset[i] for i in possibly_batched_index]
        return self.collate_fn(data)


class _IterableDatasetFetcher:
    """The next ``len(placeholders)`` samples of the stream, collated; StopIteration at its end."""

    def __init__(self, dataset: Any, auto_collation: bool, collate_fn: Callable, drop_last: bool) -> None:
        self.dataset_iter = iter(dataset)
        self.auto_collation = auto_collation
        self.collate_fn = collate_fn
        self.drop_last = drop_last
        self.ended = False

    def fetch(self, possibly_batched_index: Any) -> Any:
        if self.ended:
            raise StopIteration
        if not self.auto_collation:
            return self.collate_fn(next(self.dataset_iter))
        data = []
        for _ in possibly_batched_index:
            try:
                data.append(next(self.dataset_iter))
            except StopIteration:
                self.ended = True
                break
        if len(data) == 0 or (self.drop_last and len(data) < len(possibly_batched_index)):
            raise StopIteration
        return self.collate_fn(data)
