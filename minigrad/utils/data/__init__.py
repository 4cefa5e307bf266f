"""Datasets, samplers and the DataLoader: ``torch.utils.data``, name for name, on minigrad Tensors.

Code written for PyTorch runs with its imports changed
(``from minigrad.utils.data import DataLoader, TensorDataset``)::

    train_data = TensorDataset(X, Y)                      # X: (N, ...), Y: (N, ...)
    for xb, yb in DataLoader(train_data, batch_size=500, shuffle=True):
        ...                                               # xb: (500, ...), a new order each epoch

The files are cut as PyTorch's: ``dataset.py`` (Dataset, IterableDataset, TensorDataset, Subset,
ConcatDataset, ChainDataset, random_split), ``sampler.py`` (Sampler, SequentialSampler,
RandomSampler, SubsetRandomSampler, WeightedRandomSampler, BatchSampler), ``dataloader.py``
(DataLoader), ``_utils/collate.py`` (default_collate, default_convert) and ``_utils/fetch.py``.

Where minigrad differs from PyTorch, on purpose:

- Data is loaded in the main process: ``num_workers`` must be 0, and the worker options keep their
  defaults (an error says so); ``get_worker_info()`` is always None.
- Randomness comes from ``minigrad.Generator``s (NumPy's PCG64): ``minigrad.manual_seed(0)`` makes
  every shuffle reproducible, but the orders are not torch's for the same seed.
- ``TensorDataset`` also takes NumPy arrays.

The batches are PyTorch's otherwise, dtypes included: Python floats collate to float64 and Python
ints to int64, exactly as ``torch.utils.data.default_collate`` does.
"""

from minigrad.utils.data.dataloader import DataLoader, default_collate, default_convert, get_worker_info
from minigrad.utils.data.dataset import (
    ChainDataset,
    ConcatDataset,
    Dataset,
    IterableDataset,
    Subset,
    TensorDataset,
    random_split,
)
from minigrad.utils.data.sampler import (
    BatchSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
)

__all__ = [
    "BatchSampler",
    "ChainDataset",
    "ConcatDataset",
    "DataLoader",
    "Dataset",
    "IterableDataset",
    "RandomSampler",
    "Sampler",
    "SequentialSampler",
    "Subset",
    "SubsetRandomSampler",
    "TensorDataset",
    "WeightedRandomSampler",
    "default_collate",
    "default_convert",
    "get_worker_info",
    "random_split",
]
