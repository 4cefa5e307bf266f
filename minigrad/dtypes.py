"""Dtypes: PyTorch's names for them, the default floating dtype, and the check every ``dtype=`` goes through.

A dtype here is a NumPy dtype. PyTorch's names are NumPy dtype objects, so ``x.dtype == minigrad.long``
and ``x.dtype is minigrad.long`` both hold for an int64 tensor, and every ``dtype=`` argument (factories,
``to``, ``astype``, ``new_zeros``) takes them, NumPy dtypes, Python's ``float``/``int``/``bool``
(float64, int64, bool, as PyTorch reads them) or NumPy's names (``"float32"``).

    minigrad.float  = minigrad.float32 = float32     minigrad.double = minigrad.float64 = float64
    minigrad.int    = minigrad.int32   = int32       minigrad.long   = minigrad.int64   = int64
    minigrad.bool   = bool                           minigrad.float16, int8, int16, uint8
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["DTYPE_NAMES", "as_dtype", "get_default_dtype", "set_default_dtype"]

float16 = np.dtype(np.float16)
float32 = np.dtype(np.float32)
float64 = np.dtype(np.float64)
uint8 = np.dtype(np.uint8)
int8 = np.dtype(np.int8)
int16 = np.dtype(np.int16)
int32 = np.dtype(np.int32)
int64 = np.dtype(np.int64)
bool_ = np.dtype(np.bool_)

DTYPE_NAMES = {
    "float16": float16,
    "float32": float32,
    "float64": float64,
    "uint8": uint8,
    "int8": int8,
    "int16": int16,
    "int32": int32,
    "int64": int64,
    "bool_": bool_,
    # PyTorch's other names for the same dtypes
    "float": float32,
    "double": float64,
    "int": int32,
    "long": int64,
    "bool": bool_,
}
"""The dtype names ``minigrad`` exports (``minigrad.long``, ...): name -> NumPy dtype."""


class _Defaults:
    dtype: np.dtype = float32


def set_default_dtype(dtype: Any) -> None:
    """The floating dtype of tensors made from Python numbers (float32 unless changed, as PyTorch)."""
    dtype = as_dtype(dtype)
    if dtype.kind != "f":
        raise TypeError(f"the default dtype must be a floating dtype, got {dtype}")
    _Defaults.dtype = dtype


def get_default_dtype() -> np.dtype:
    return _Defaults.dtype


def as_dtype(dtype: Any) -> np.dtype:
    """``dtype`` as a NumPy dtype that a tensor can hold (floating, integer or bool), or a TypeError."""
    if type(dtype) is not np.dtype:
        try:
            dtype = np.dtype(dtype)
        except TypeError:
            raise TypeError(
                f"dtype must be a dtype such as minigrad.float32 or minigrad.long, got {dtype!r} "
                f"({type(dtype).__name__})"
            ) from None
    if dtype.kind not in "fiub":
        raise TypeError(
            f"minigrad tensors hold floating, integer or bool dtypes, not {dtype}: use minigrad.float32, "
            "minigrad.float64, minigrad.long or minigrad.bool"
        )
    return dtype
