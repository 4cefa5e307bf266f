"""Making tensors: ``tensor``, ``zeros``, ``ones``, ``full``, ``arange``, ``randn``, ... (PyTorch's factory functions).

Floats become the default dtype (float32 unless ``minigrad.set_default_dtype`` says otherwise); random
tensors come from ``generator`` or minigrad's global generator (``minigrad.manual_seed``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from minigrad.random import numpy_generator
from minigrad.tensor import Tensor, _data, _Defaults, _to_array

# ------------------------------------------------------------------------------------------------
# Making tensors
# ------------------------------------------------------------------------------------------------


def _shape_arg(shape: tuple) -> tuple:
    if len(shape) == 1 and isinstance(shape[0], tuple | list):
        shape = tuple(shape[0])
    return tuple(int(s) for s in shape)


def _float_dtype(dtype: Any) -> np.dtype:
    return _Defaults.dtype if dtype is None else np.dtype(dtype)


def _make(array: np.ndarray, requires_grad: bool) -> Tensor:
    return Tensor(array, requires_grad=requires_grad)


def tensor(data: Any, requires_grad: bool = False, dtype: Any = None) -> Tensor:
    """A new tensor holding a copy of ``data`` (as ``torch.tensor``)."""
    return Tensor(_to_array(data, dtype, copy=True), requires_grad=requires_grad)


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing memory with ``array`` (as ``torch.from_numpy``)."""
    return Tensor(array)


def zeros(*shape: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return _make(np.zeros(_shape_arg(shape), dtype=_float_dtype(dtype)), requires_grad)


def ones(*shape: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return _make(np.ones(_shape_arg(shape), dtype=_float_dtype(dtype)), requires_grad)


def empty(*shape: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return _make(np.empty(_shape_arg(shape), dtype=_float_dtype(dtype)), requires_grad)


def full(shape: Any, fill_value: float, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    if dtype is None:
        dtype = _Defaults.dtype if isinstance(fill_value, float) else np.asarray(fill_value).dtype
    return _make(np.full(shape, fill_value, dtype=dtype), requires_grad)


def zeros_like(t: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return _make(np.zeros_like(_data(t), dtype=dtype), requires_grad)


def ones_like(t: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return _make(np.ones_like(_data(t), dtype=dtype), requires_grad)


def full_like(t: Any, fill_value: float, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return _make(np.full_like(_data(t), fill_value, dtype=dtype), requires_grad)


def randn(*shape: Any, generator: Any = None, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Samples of the standard normal distribution (from ``generator`` or the global one)."""
    rng = numpy_generator(generator)
    return _make(rng.standard_normal(_shape_arg(shape)).astype(_float_dtype(dtype)), requires_grad)


def rand(*shape: Any, generator: Any = None, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Samples of the uniform distribution on [0, 1)."""
    rng = numpy_generator(generator)
    return _make(rng.random(_shape_arg(shape)).astype(_float_dtype(dtype)), requires_grad)


def randint(low: int, high: int | None = None, size: Any = (), generator: Any = None) -> Tensor:
    """Random integers in [low, high) (or [0, low) with one bound), int64."""
    if high is None:
        low, high = 0, low
    rng = numpy_generator(generator)
    return Tensor(rng.integers(low, high, size=size, dtype=np.int64))


def randn_like(t: Any, generator: Any = None, dtype: Any = None) -> Tensor:
    return randn(*np.shape(_data(t)), generator=generator, dtype=dtype or _data(t).dtype)


def rand_like(t: Any, generator: Any = None, dtype: Any = None) -> Tensor:
    return rand(*np.shape(_data(t)), generator=generator, dtype=dtype or _data(t).dtype)


def arange(start: float, end: float | None = None, step: float = 1, dtype: Any = None) -> Tensor:
    """Evenly spaced values in [start, end): int64 for integer arguments, else the default float dtype."""
    if end is None:
        start, end = 0, start
    if dtype is None:
        whole = all(isinstance(v, int | np.integer) for v in (start, end, step))
        dtype = np.int64 if whole else _Defaults.dtype
    return Tensor(np.arange(start, end, step, dtype=dtype))


def linspace(start: float, end: float, steps: int, dtype: Any = None) -> Tensor:
    return Tensor(np.linspace(start, end, steps, dtype=_float_dtype(dtype)))


def eye(n: int, m: int | None = None, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return _make(np.eye(n, m, dtype=_float_dtype(dtype)), requires_grad)
