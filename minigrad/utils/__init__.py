"""Utilities shaped like ``torch.utils``: ``data`` (datasets, samplers and the DataLoader)."""

from minigrad.utils import data

__all__ = ["data"]
