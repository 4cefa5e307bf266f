"""The one normaliser of dim and shape arguments: every op and method that takes a dim or a shape uses it.

``x.sum(dim=1)``, ``x.transpose(0, 1)``, ``cat(xs, dim=-1)``, ``x.reshape(2, -1)``, ``zeros(3, 4)``: all of
them pass their dims and shapes through here, so they accept the same things and refuse the same things,
with PyTorch's errors:

- **a dim** is an int (a NumPy integer or anything with ``__index__`` too, but not a bool) in
  ``[-ndim, ndim - 1]``; negative dims count from the end; a 0-d tensor accepts 0 and -1. Out of range:
  ``IndexError: Dimension out of range (expected to be in range of [-2, 1], but got 2)``. A float, a bool
  or a string: ``TypeError``. A dim is never wrapped around modulo ndim.
- **several dims** (``sum(dim=(0, 2))``) may not name one dim twice: ``RuntimeError: dim 0 appears
  multiple times in the list of dims``.
- **a shape** is ints >= 0, given as ``f(2, 3)`` or ``f((2, 3))``; ``reshape``/``view`` accept one -1
  (inferred), ``expand`` accepts -1 for "keep this size". Anything else: ``TypeError`` (not an int) or
  ``RuntimeError`` (a negative size), naming the argument.

The common case, an int already in range, costs one type check and one comparison.

The checks of the other arguments every op shares are here too: the input must be a tensor
(``tensor_arg``; ``minigrad.tanh(2.5)`` is a TypeError, as in PyTorch) and a number must be a number
(``number_arg``).
"""

from __future__ import annotations

import operator
from typing import Any

import numpy as np

import minigrad  # minigrad.Tensor, read when a check runs

__all__ = ["as_int", "normalize_dim", "normalize_dims", "normalize_shape", "number_arg", "tensor_arg"]


def normalize_dim(dim: Any, ndim: int, what: str = "dim") -> int:
    """``dim`` as an index in ``range(ndim)`` (``range(1)`` for a 0-d tensor).

    Args:
        dim: the dim as given: an int, negative counting from the end.
        ndim: the number of dimensions of the tensor it indexes (one more for ``unsqueeze``/``stack``).
        what: the argument's name, for the error message (``"transpose(): argument 'dim1'"``).
    """
    if type(dim) is int and 0 <= dim < ndim:
        return dim
    return _checked_dim(dim, ndim, what)


def _checked_dim(dim: Any, ndim: int, what: str) -> int:
    dim = _as_int(dim, what, "int")
    n = ndim or 1  # a 0-d tensor accepts dim 0 and -1, as in PyTorch
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})")
    return dim % n if ndim else 0


def normalize_dims(dims: Any, ndim: int, what: str = "dim") -> tuple:
    """``dims`` (None for all, an int, or a sequence of ints) as a sorted tuple of distinct indices.

    ``None`` means every dim. A 0-d tensor has no dims to reduce: the result is ``()``. An empty sequence
    means no dims (NumPy's ``axis=()``); the reductions turn PyTorch's ``dim=()`` into None before this.
    """
    if dims is None:
        return tuple(range(ndim))
    if type(dims) is int and 0 <= dims < ndim:
        return (dims,)
    if isinstance(dims, tuple | list):
        out = [normalize_dim(d, ndim, what) for d in dims]
        if len(set(out)) != len(out):
            repeated = next(d for d in out if out.count(d) > 1)
            raise RuntimeError(f"dim {repeated} appears multiple times in the list of dims")
        return tuple(sorted(out)) if ndim else ()
    dim = normalize_dim(dims, ndim, what)
    return (dim,) if ndim else ()


def normalize_shape(sizes: tuple, what: str, minus_one: str = "") -> tuple:
    """A shape given as ``f(2, 3)`` or ``f((2, 3))``, as a tuple of ints.

    Args:
        sizes: the positional arguments: the sizes, or one tuple/list of them.
        what: the function's name, for the error message (``"reshape"``).
        minus_one: where -1 is allowed: ``""`` nowhere, ``"infer"`` once (reshape, view: the size
            that makes the element counts agree), ``"keep"`` anywhere (expand: keep that size).
    """
    if len(sizes) == 1 and isinstance(sizes[0], tuple | list):
        sizes = sizes[0]
    for s in sizes:
        if type(s) is not int or s < 0:
            break
    else:  # the common case: plain non-negative ints
        return tuple(sizes)
    shape = tuple(_as_int(s, f"{what}(): argument 'size'", "tuple of ints", i) for i, s in enumerate(sizes))
    negative = [i for i, s in enumerate(shape) if s < 0]
    if not negative:
        return shape
    bad = [i for i in negative if shape[i] != -1 or not minus_one]
    if bad:
        i = bad[0]
        if minus_one:
            raise RuntimeError(f"{what}: invalid shape dimension {shape[i]} at index {i} of shape {list(shape)}")
        raise RuntimeError(
            f"{what}: Dimension size must be non-negative, got {shape[i]} at index {i} of shape {list(shape)}"
        )
    if minus_one == "infer" and len(negative) > 1:
        raise RuntimeError(f"{what}: only one dimension can be inferred, got shape {list(shape)}")
    return shape


def as_int(value: Any, what: str) -> int:
    """A count or size argument (``chunk(3)``, ``split(2)``, ``topk(k)``) as an int: a float or bool is a TypeError."""
    return value if type(value) is int else _as_int(value, what, "int")


def _as_int(value: Any, what: str, expected: str, position: int | None = None) -> int:
    """``value`` as a Python int, or a TypeError: floats, bools and strings are not sizes or dims."""
    if type(value) is int:
        return value
    if not isinstance(value, bool | np.bool_):
        try:
            return operator.index(value)  # NumPy integers, integer 0-d tensors
        except TypeError:
            pass
    found = f"found element of type {type(value).__name__} at pos {position}" if position is not None else ""
    given = found or f"not {type(value).__name__}"
    raise TypeError(f"{what} must be {expected}, {'but ' if found else ''}{given} (got {value!r}): pass an int")


def tensor_arg(x: Any, what: str, argument: str = "input", position: int = 1) -> Any:
    """``x`` if it is a tensor; otherwise PyTorch's TypeError ("tanh(): argument 'input' (position 1) must be
    Tensor, not float")."""
    if isinstance(x, minigrad.Tensor):
        return x
    raise TypeError(
        f"{what}(): argument '{argument}' (position {position}) must be Tensor, not {type(x).__name__}: "
        f"make one with minigrad.tensor(...)"
    )


def number_arg(value: Any, what: str, argument: str) -> Any:
    """``value`` if it is a Python or NumPy number or a one-element tensor's value; otherwise a TypeError."""
    if isinstance(value, minigrad.Tensor):
        if value.data.size != 1:
            raise RuntimeError(
                f"{what}: {argument} must be a number or a one-element tensor, got a tensor of shape {value.shape}"
            )
        return value.data.reshape(()).item()
    if isinstance(value, int | float | np.number | np.bool_):
        return value
    raise TypeError(f"{what}(): argument '{argument}' must be Number, not {type(value).__name__}")
