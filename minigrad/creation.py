"""Making tensors: ``tensor``, ``zeros``, ``ones``, ``full``, ``arange``, ``randn``, ``multinomial``, ... (as PyTorch).

Floats become the default dtype (float32 unless ``minigrad.set_default_dtype`` says otherwise); random
tensors come from ``generator`` or minigrad's global generator (``minigrad.manual_seed``). Every factory
takes PyTorch's ``dtype=`` (``minigrad.long``, ``minigrad.float32``, ...) and ``device=`` (the CPU:
``"cpu"``, ``minigrad.device("cpu")`` or None); sizes go through the one shape check of ``ops/dims.py``
(ints >= 0, given as ``zeros(2, 3)`` or ``zeros((2, 3))``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from minigrad.device import as_device
from minigrad.dtypes import as_dtype
from minigrad.ops.dims import as_int, normalize_shape, number_arg
from minigrad.random import numpy_generator
from minigrad.tensor import Tensor, _data, _Defaults, _to_array

__all__ = [
    "arange",
    "empty",
    "eye",
    "from_numpy",
    "full",
    "full_like",
    "linspace",
    "multinomial",
    "ones",
    "ones_like",
    "rand",
    "rand_like",
    "randint",
    "randn",
    "randn_like",
    "tensor",
    "zeros",
    "zeros_like",
]

# ------------------------------------------------------------------------------------------------
# Making tensors
# ------------------------------------------------------------------------------------------------


def _dtype(dtype: Any, default: Any = None) -> np.dtype:
    """The dtype asked for, or ``default`` (the default floating dtype unless given)."""
    if dtype is None:
        return _Defaults.dtype if default is None else np.dtype(default)
    return as_dtype(dtype)


def _make(array: np.ndarray, requires_grad: bool, device: Any) -> Tensor:
    as_device(device)
    return Tensor(array, requires_grad=requires_grad)


def tensor(data: Any, requires_grad: bool = False, dtype: Any = None, device: Any = None) -> Tensor:
    """A new tensor holding a copy of ``data`` (as ``torch.tensor``; Python floats become the default dtype)."""
    return _make(_to_array(data, dtype, copy=True), requires_grad, device)


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing memory with ``array`` (as ``torch.from_numpy``)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(array).__name__})")
    return Tensor(array)


def zeros(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    return _make(np.zeros(normalize_shape(size, "zeros"), dtype=_dtype(dtype)), requires_grad, device)


def ones(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    return _make(np.ones(normalize_shape(size, "ones"), dtype=_dtype(dtype)), requires_grad, device)


def empty(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    return _make(np.empty(normalize_shape(size, "empty"), dtype=_dtype(dtype)), requires_grad, device)


def full(size: Any, fill_value: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of ``size`` filled with ``fill_value``: the default float dtype for a float, int64 for an int,
    bool for a bool (as PyTorch)."""
    shape = normalize_shape((size,), "full")
    fill = number_arg(fill_value, "full", "fill_value")
    if dtype is None:
        default = np.asarray(fill).dtype
        dtype = _Defaults.dtype if default.kind == "f" else (np.int64 if default.kind in "iu" else default)
    return _make(np.full(shape, fill, dtype=_dtype(dtype)), requires_grad, device)


def zeros_like(t: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    return _make(np.zeros_like(_data(t), dtype=None if dtype is None else as_dtype(dtype)), requires_grad, device)


def ones_like(t: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    return _make(np.ones_like(_data(t), dtype=None if dtype is None else as_dtype(dtype)), requires_grad, device)


def full_like(t: Any, fill_value: float, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    dtype = None if dtype is None else as_dtype(dtype)
    return _make(np.full_like(_data(t), fill_value, dtype=dtype), requires_grad, device)


def _floating(dtype: Any, what: str) -> np.dtype:
    dtype = _dtype(dtype)
    if dtype.kind != "f":
        raise TypeError(f"{what}() draws floating values: dtype must be floating, got {dtype} (randint draws integers)")
    return dtype


def randn(
    *size: Any, generator: Any = None, dtype: Any = None, device: Any = None, requires_grad: bool = False
) -> Tensor:
    """Samples of the standard normal distribution (from ``generator`` or the global one)."""
    shape, dtype = normalize_shape(size, "randn"), _floating(dtype, "randn")
    rng = numpy_generator(generator)
    return _make(rng.standard_normal(shape).astype(dtype), requires_grad, device)


def rand(
    *size: Any, generator: Any = None, dtype: Any = None, device: Any = None, requires_grad: bool = False
) -> Tensor:
    """Samples of the uniform distribution on [0, 1)."""
    shape, dtype = normalize_shape(size, "rand"), _floating(dtype, "rand")
    rng = numpy_generator(generator)
    return _make(rng.random(shape).astype(dtype), requires_grad, device)


def randint(
    low: int, high: int | None = None, size: Any = (), generator: Any = None, dtype: Any = None, device: Any = None
) -> Tensor:
    """Random integers in [low, high) (or [0, low) with one bound: ``randint(10, (3,))`` as PyTorch), int64
    unless ``dtype`` says otherwise."""
    if isinstance(high, tuple | list):  # randint(high, size)
        low, high, size = 0, low, high
    if high is None:
        low, high = 0, low
    low, high = as_int(low, "randint(): argument 'low'"), as_int(high, "randint(): argument 'high'")
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    shape = normalize_shape((size,), "randint")
    rng = numpy_generator(generator)
    return _make(rng.integers(low, high, size=shape, dtype=np.int64).astype(_dtype(dtype, np.int64)), False, device)


def randn_like(t: Any, generator: Any = None, dtype: Any = None) -> Tensor:
    return randn(*np.shape(_data(t)), generator=generator, dtype=dtype or _data(t).dtype)


def rand_like(t: Any, generator: Any = None, dtype: Any = None) -> Tensor:
    return rand(*np.shape(_data(t)), generator=generator, dtype=dtype or _data(t).dtype)


def arange(
    start: float,
    end: float | None = None,
    step: float = 1,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """Evenly spaced values in [start, end): int64 for integer arguments, else the default float dtype."""
    if end is None:
        start, end = 0, start
    start, end, step = (number_arg(v, "arange", name) for v, name in ((start, "start"), (end, "end"), (step, "step")))
    if step == 0:
        raise RuntimeError("arange: step must be nonzero")
    if dtype is None:
        whole = all(isinstance(v, int | np.integer) for v in (start, end, step))
        dtype = np.int64 if whole else _Defaults.dtype
    return _make(np.arange(start, end, step, dtype=as_dtype(dtype)), requires_grad, device)


def linspace(start: float, end: float, steps: int, dtype: Any = None, device: Any = None) -> Tensor:
    start, end = number_arg(start, "linspace", "start"), number_arg(end, "linspace", "end")
    steps = as_int(steps, "linspace(): argument 'steps'")
    if steps < 0:
        raise RuntimeError(f"linspace: number of steps must be non-negative, got {steps}")
    return _make(np.linspace(start, end, steps).astype(_dtype(dtype)), False, device)


def eye(n: int, m: int | None = None, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    (n,) = normalize_shape((n,), "eye")
    m = n if m is None else normalize_shape((m,), "eye")[0]
    return _make(np.eye(n, m, dtype=_dtype(dtype)), requires_grad, device)


# ------------------------------------------------------------------------------------------------
# Sampling categories
# ------------------------------------------------------------------------------------------------


def multinomial(input: Any, num_samples: int, replacement: bool = False, *, generator: Any = None) -> Tensor:
    """Draw ``num_samples`` category indices per row of ``input``, category i with probability
    ``input[i] / input.sum()`` (the weights need not sum to 1), as ``torch.multinomial``.

    ``input`` has shape (C,) or (B, C); the result (num_samples,) or (B, num_samples), int64. Without
    ``replacement`` a category is drawn at most once per row (so ``num_samples <= C``, and each row needs
    that many categories of positive weight). Draws come from ``generator`` or the global generator
    (``minigrad.manual_seed``), so a seed makes them reproducible (not the same numbers as PyTorch's).
    """
    weights = input.data if isinstance(input, Tensor) else np.asarray(input)
    k = as_int(num_samples, "multinomial(): argument 'num_samples'")
    if weights.dtype.kind != "f":
        raise RuntimeError(f"multinomial only supports floating-point dtypes for input, got: {weights.dtype}")
    if weights.ndim not in (1, 2):
        raise RuntimeError(f"prob_dist must be 1 or 2 dim, got shape {weights.shape}")
    if k <= 0:
        raise RuntimeError(f"cannot sample n_sample <= 0 samples, got num_samples={k}")
    rows = weights.reshape(-1, weights.shape[-1]).astype(np.float64)  # (B, C)
    if not np.isfinite(rows).all() or (rows < 0).any():
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    totals = rows.sum(axis=1, keepdims=True)  # (B, 1)
    if (totals <= 0).any():
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    rng = numpy_generator(generator)
    if replacement:
        cdf = np.cumsum(rows / totals, axis=1)  # (B, C)
        u = rng.random((rows.shape[0], k))  # (B, k)
        out = np.stack([np.searchsorted(c, v, side="right") for c, v in zip(cdf, u)])
        out = np.minimum(out, rows.shape[1] - 1)  # u close to 1 beyond a rounded cdf[-1] < 1
    else:
        if k > rows.shape[1]:
            raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without replacement")
        # Exponential races: category i finishes at E_i / w_i with E_i ~ Exp(1); the first k to finish are a
        # draw without replacement, each next one with probability proportional to its weight. Categories of
        # weight 0 never finish: they come last, in index order, only when k asks for more than the others.
        with np.errstate(divide="ignore"):
            finish = rng.standard_exponential(rows.shape) / rows  # (B, C); weight 0: never
        out = np.argsort(finish, axis=1, kind="stable")[:, :k]
    return Tensor(out.astype(np.int64).reshape(weights.shape[:-1] + (k,)))
