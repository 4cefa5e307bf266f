"""Collation: a list of samples in, one batch out (``torch/utils/data/_utils/collate.py``).

``default_collate`` looks at the first sample's type and batches by it, the same rules as PyTorch's:

==========================  =============================================================
samples (each one a ...)    batch
==========================  =============================================================
minigrad Tensor             the tensors stacked along a new first axis (``minigrad.stack``)
NumPy array                 the same, as a Tensor of the arrays' dtype
NumPy scalar                a 1-d Tensor of its dtype
Python float                a 1-d **float64** Tensor (PyTorch's rule, not the default dtype)
Python int / bool           a 1-d int64 / bool Tensor (as ``minigrad.tensor(batch)``)
str / bytes                 the samples unchanged (the list, or the tuple, they came in)
dict                        a dict of the same keys, each value batched
namedtuple                  the same namedtuple, each field batched
tuple / list                a **list**, position by position batched ("transposed")
==========================  =============================================================

Python floats become float64 because PyTorch's ``default_collate`` asks for float64 explicitly;
minigrad gives the same dtype so a model ported from PyTorch sees the same batches. To train in
float32, have your dataset return float32 arrays or tensors, or call ``.float()`` on the batch.

``default_convert`` (used with ``batch_size=None``) only turns NumPy arrays into Tensors.
To batch a type of your own, pass a ``collate_fn``, or add an entry ``{type: function}`` to
``default_collate_fn_map`` (a function takes the list of samples and ``collate_fn_map=``).
"""

from __future__ import annotations

import collections
import copy
import re
from collections.abc import Callable
from typing import Any

import numpy as np

import minigrad
from minigrad.tensor import Tensor

__all__ = ["collate", "default_collate", "default_collate_fn_map", "default_convert"]

# NumPy dtypes that hold strings or objects (bytes S, ascii a, unicode U, object O): no tensor of them.
np_str_obj_array_pattern = re.compile(r"[SaUO]")

default_collate_err_msg_format = (  # PyTorch's message, then what to do
    "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {}: "
    "give the DataLoader a collate_fn that batches it"
)


def default_convert(data: Any) -> Any:
    """NumPy arrays (anywhere inside ``data``) made Tensors; everything else left as it is.

    The DataLoader's collate function when batching is off (``batch_size=None``). As PyTorch's, a
    tuple comes back as a list.

    Example:
        >>> default_convert(np.array([0, 1]))
        tensor([0, 1])
        >>> default_convert((np.array(1.5), 2, "x"))
        [tensor(1.5000, dtype=float64), 2, 'x']
    """
    if isinstance(data, Tensor):
        return data
    if isinstance(data, np.ndarray | np.generic) and not isinstance(data, np.str_ | np.bytes_):
        if isinstance(data, np.ndarray) and np_str_obj_array_pattern.search(data.dtype.str) is not None:
            return data  # strings or objects: no tensor can hold them
        return Tensor(data)  # shares memory with the array, as torch.as_tensor
    if isinstance(data, collections.abc.Mapping):
        return _same_mapping(data, {key: default_convert(data[key]) for key in data})
    if isinstance(data, tuple) and hasattr(data, "_fields"):  # a namedtuple
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]  # a list, as PyTorch
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, str | bytes):
        return _same_sequence(data, [default_convert(d) for d in data])
    return data


def collate(batch: list, *, collate_fn_map: dict[type | tuple[type, ...], Callable] | None = None) -> Any:
    """Batch a list of samples: by ``collate_fn_map`` for the first sample's type, else by container.

    A type found in ``collate_fn_map`` (exactly, else the first key it is an instance of, in the
    map's order) is batched by that function; a dict, namedtuple, tuple or list is batched field by
    field, recursively. ``default_collate`` is this with ``default_collate_fn_map``.

    Example:
        >>> def add_up(batch, *, collate_fn_map):
        ...     return sum(batch)
        >>> collate([(1, 2), (3, 4)], collate_fn_map={int: add_up})
        [4, 6]
    """
    if len(batch) == 0:
        raise IndexError("default_collate: the batch is empty; it takes a non-empty list of samples")
    elem = batch[0]
    elem_type = type(elem)

    if collate_fn_map is not None:
        if elem_type in collate_fn_map:
            return collate_fn_map[elem_type](batch, collate_fn_map=collate_fn_map)
        for collate_type in collate_fn_map:
            if isinstance(elem, collate_type):
                return collate_fn_map[collate_type](batch, collate_fn_map=collate_fn_map)

    if isinstance(elem, collections.abc.Mapping):  # {key: batch of that key's values}
        return _same_mapping(
            elem, {key: collate([d[key] for d in batch], collate_fn_map=collate_fn_map) for key in elem}
        )
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # a namedtuple: field by field
        return elem_type(*(collate(samples, collate_fn_map=collate_fn_map) for samples in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):  # position by position
        if any(len(sample) != len(elem) for sample in batch):
            raise RuntimeError(  # PyTorch's first sentence
                f"each element in list of batch should be of equal size, got sizes {[len(s) for s in batch]}: "
                "pad the samples to one size, or batch them with your own collate_fn"
            )
        # zip gives each position's samples as a tuple, and strings come back as that tuple (as PyTorch)
        transposed = [collate(samples, collate_fn_map=collate_fn_map) for samples in zip(*batch)]
        if isinstance(elem, tuple):
            return transposed  # a list, as PyTorch
        return _same_sequence(elem, transposed)

    raise TypeError(default_collate_err_msg_format.format(elem_type))


def _same_mapping(like: Any, items: dict) -> Any:
    """``items`` in a mapping of ``like``'s type when that type can be made so, else a dict (as PyTorch)."""
    try:
        if isinstance(like, collections.abc.MutableMapping):
            clone = copy.copy(like)  # keeps a defaultdict's factory, an OrderedDict's order
            clone.update(items)
            return clone
        return type(like)(items)
    except TypeError:
        return items


def _same_sequence(like: Any, items: list) -> Any:
    """``items`` in a sequence of ``like``'s type when that type can be made so, else a list (as PyTorch)."""
    try:
        if isinstance(like, collections.abc.MutableSequence):
            clone = copy.copy(like)
            for i, item in enumerate(items):
                clone[i] = item
            return clone
        return type(like)(items)
    except TypeError:
        return items


# ------------------------------------------------------------------------------------------------
# One function per kind of sample: they take the batch (a list of samples of that kind)
# ------------------------------------------------------------------------------------------------


def collate_tensor_fn(batch: list, *, collate_fn_map: dict | None = None) -> Tensor:
    """Tensors of one shape stacked along a new first axis: (B, *shape). Differentiable, as torch.stack."""
    shape = batch[0].shape
    for i, t in enumerate(batch):
        if t.shape != shape:
            raise RuntimeError(  # PyTorch's first sentence
                f"stack expects each tensor to be equal size, but got {list(shape)} at entry 0 and "
                f"{list(t.shape)} at entry {i}: the samples of a batch must have one shape; pad them to "
                "one size, or batch them with your own collate_fn"
            )
    return minigrad.stack(batch, 0)  # (B, *shape)


def collate_numpy_array_fn(batch: list, *, collate_fn_map: dict | None = None) -> Tensor:
    """Arrays made Tensors (sharing memory, keeping their dtype), then stacked."""
    elem = batch[0]
    if np_str_obj_array_pattern.search(elem.dtype.str) is not None:
        raise TypeError(default_collate_err_msg_format.format(elem.dtype))
    return collate([Tensor(array) for array in batch], collate_fn_map=collate_fn_map)


def collate_numpy_scalar_fn(batch: list, *, collate_fn_map: dict | None = None) -> Tensor:
    """NumPy scalars (np.float32(1.5), np.int64(3), np.bool_(True)): a 1-d Tensor of their dtype."""
    return Tensor(np.array(batch))


def collate_float_fn(batch: list, *, collate_fn_map: dict | None = None) -> Tensor:
    """Python floats: a 1-d float64 Tensor (PyTorch's rule: float64, whatever the default dtype)."""
    return Tensor(np.array(batch, dtype=np.float64))


def collate_int_fn(batch: list, *, collate_fn_map: dict | None = None) -> Tensor:
    """Python ints (or bools): ``minigrad.tensor(batch)``, an int64 (or bool) Tensor, as ``torch.tensor``."""
    return minigrad.tensor(batch)


def collate_str_fn(batch: list, *, collate_fn_map: dict | None = None) -> Any:
    """Strings and bytes: the batch unchanged."""
    return batch


# The order matters for subclasses: np.float64 is a Python float, and bool is an int.
default_collate_fn_map: dict[type | tuple[type, ...], Callable] = {
    Tensor: collate_tensor_fn,
    np.ndarray: collate_numpy_array_fn,
    (np.bool_, np.number, np.object_): collate_numpy_scalar_fn,
    float: collate_float_fn,
    int: collate_int_fn,
    str: collate_str_fn,
    bytes: collate_str_fn,
}


def default_collate(batch: list) -> Any:
    """A list of samples made one batch, with a new first axis of size ``len(batch)``.

    The rules, type by type, are in this module's docstring; they are PyTorch's, with minigrad
    Tensors in place of torch's.

    Example:
        >>> default_collate([0, 1, 2, 3])
        tensor([0, 1, 2, 3])
        >>> default_collate([0.5, 1.5])  # Python floats: float64, as PyTorch
        tensor([0.5000, 1.5000], dtype=float64)
        >>> default_collate(["a", "b", "c"])
        ['a', 'b', 'c']
        >>> default_collate([{"A": 0, "B": 1}, {"A": 100, "B": 100}])
        {'A': tensor([  0, 100]), 'B': tensor([  1, 100])}
        >>> default_collate([(0, 1), (2, 3)])  # tuples are transposed into a list
        [tensor([0, 2]), tensor([1, 3])]
        >>> default_collate([minigrad.zeros(2, 3), minigrad.ones(2, 3)]).shape
        (2, 2, 3)
    """
    return collate(batch, collate_fn_map=default_collate_fn_map)
