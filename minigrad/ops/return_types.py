"""The named tuples that ``max``/``min``/``median`` along a dim, ``sort`` and ``topk`` return (``torch.return_types``).

``values, indices = x.max(dim=1)`` unpacks one; ``x.max(dim=1).values`` and ``x.max(1)[0]`` read it. The
values are a tensor in the graph; the indices are an int64 tensor without gradient.
"""

from __future__ import annotations

from typing import Any, NamedTuple

__all__ = ["max", "median", "min", "sort", "topk"]


def _repr(self: Any) -> str:
    return f"minigrad.return_types.{type(self).__name__}(\nvalues={self.values!r},\nindices={self.indices!r})"


class max(NamedTuple):
    values: Any
    indices: Any

    __repr__ = _repr


class min(NamedTuple):
    values: Any
    indices: Any

    __repr__ = _repr


class median(NamedTuple):
    values: Any
    indices: Any

    __repr__ = _repr


class sort(NamedTuple):
    values: Any
    indices: Any

    __repr__ = _repr


class topk(NamedTuple):
    values: Any
    indices: Any

    __repr__ = _repr
