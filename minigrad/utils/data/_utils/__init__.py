"""The DataLoader's internals, cut as PyTorch's ``torch/utils/data/_utils``: ``collate`` (samples into a
batch) and ``fetch`` (indices into samples). Users import ``default_collate`` from ``minigrad.utils.data``.
"""

from minigrad.utils.data._utils import collate, fetch

__all__ = ["collate", "fetch"]
