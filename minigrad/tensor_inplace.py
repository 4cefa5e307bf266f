"""The Tensor's in-place methods (``add_``, ``copy_``, ``x[i] = v``, ``x += y``, ...) and their safety checks.

minigrad does not record in-place ops in the graph. So an in-place change is allowed on a tensor
outside the graph (data, buffers, parameters under ``no_grad()`` as optimizers do) and bumps the
tensor's version counter, which backward checks against the versions the ops saw; on a tensor in the
graph it is refused with advice, except ``x += y``, which builds ``x = x + y`` (as Python rebinds the
name, this gives the graph PyTorch's in-place op would). ``Tensor`` (``tensor.py``) inherits these
methods from ``InPlaceMethods``. The checks and errors are PyTorch's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

import minigrad  # minigrad.Tensor, read when a method runs (tensor.py builds Tensor on this class)
from minigrad import ops
from minigrad.autograd.function import version_counter
from minigrad.autograd.grad_mode import is_grad_enabled

if TYPE_CHECKING:
    from minigrad.tensor import Tensor

__all__ = ["InPlaceMethods"]


class InPlaceMethods:
    """The in-place methods of ``Tensor`` (a base class with no state of its own)."""

    __slots__ = ()

    def _check_inplace(self, other: Any = None) -> None:
        if not is_grad_enabled():
            return
        if self._requires_grad and self._ctx is None:
            raise RuntimeError(
                "a leaf Variable that requires grad is being used in an in-place operation. "
                "Do it under `with minigrad.no_grad():` (as optimizers do), or on a copy (.detach() or .clone())."
            )
        if self._requires_grad:
            raise RuntimeError(
                f"in-place operation on a tensor that is part of the graph (made by {self._ctx.name()}): "
                "minigrad does not record in-place ops; compute out of place (y = x + 1), or collect "
                "per-step values in a list and join them with minigrad.stack / minigrad.cat"
            )
        if isinstance(other, minigrad.Tensor) and other._requires_grad:
            raise RuntimeError(
                "in-place operation with an argument that requires grad: minigrad does not record "
                "in-place ops; compute out of place instead (y = x + w)"
            )

    def _bump(self) -> Tensor:
        version_counter(self).bump()
        return self

    def _inplace(self, ufunc: np.ufunc, value: Any) -> Tensor:
        """``self.data = ufunc(self.data, value)`` in the same memory, with PyTorch's errors; bumps the version."""
        _operand(value, ufunc.__name__)
        value = _data(value)
        try:
            ufunc(self.data, value, out=self.data)
        except (TypeError, ValueError) as error:
            raise RuntimeError(_inplace_error(self, value, error)) from None
        return self._bump()

    def add_(self, other: Any, alpha: float = 1) -> Tensor:
        self._check_inplace(other)
        return self._inplace(np.add, other if alpha == 1 else alpha * _data(other))

    def sub_(self, other: Any, alpha: float = 1) -> Tensor:
        self._check_inplace(other)
        return self._inplace(np.subtract, other if alpha == 1 else alpha * _data(other))

    def mul_(self, other: Any) -> Tensor:
        self._check_inplace(other)
        return self._inplace(np.multiply, other)

    def div_(self, other: Any) -> Tensor:
        self._check_inplace(other)
        return self._inplace(np.true_divide, other)

    def clamp_(self, min: Any = None, max: Any = None) -> Tensor:
        """Clamp into [min, max] in place (the checks and the result of ``clamp``, in this tensor's memory)."""
        self._check_inplace()
        clamped = ops.clip(self.detach(), min, max).data
        if clamped.dtype != self.data.dtype or clamped.shape != self.data.shape:
            raise RuntimeError(
                f"clamp_: the result (dtype {clamped.dtype}, shape {clamped.shape}) does not fit this tensor (dtype "
                f"{self.dtype}, shape {self.shape}): an in-place operation keeps dtype and shape; use clamp()"
            )
        self.data[...] = clamped
        return self._bump()

    def masked_fill_(self, mask: Any, value: Any) -> Tensor:
        """Write ``value`` where the bool ``mask`` is true, in place (the mask broadcasts to this tensor's shape)."""
        self._check_inplace(value)
        filled = ops.masked_fill(self.detach(), mask, value).data  # the checks and the dtype of masked_fill
        if filled.shape != self.data.shape:
            raise RuntimeError(
                f"masked_fill_: the mask of shape {np.shape(_data(mask))} does not broadcast to the tensor's shape "
                f"{self.data.shape} (out of place, masked_fill broadcasts the tensor too)"
            )
        return self.copy_(filled)

    def zero_(self) -> Tensor:
        return self.fill_(0)

    def fill_(self, value: float) -> Tensor:
        self._check_inplace(value)
        if isinstance(value, minigrad.Tensor) and value.ndim != 0:
            raise RuntimeError(
                f"fill_ only supports 0-dimension value tensor but got tensor with {value.ndim} dimensions."
            )
        self.data[...] = ops.dims.number_arg(value, "fill_", "value")
        return self._bump()

    def copy_(self, src: Any) -> Tensor:
        self._check_inplace(src)
        _operand(src, "copy_")
        try:
            np.copyto(self.data, _data(src), casting="unsafe")  # converted to this tensor's dtype, as PyTorch
        except ValueError as error:
            raise RuntimeError(_inplace_error(self, _data(src), error)) from None
        return self._bump()

    def __setitem__(self, key: Any, value: Any) -> None:
        self._check_inplace(value)
        try:
            self.data[_key(key)] = _data(value)
        except IndexError as error:
            raise IndexError(str(error).replace("for axis", "for dimension")) from None
        self._bump()

    def _inplace_or_new(self, other: Any, op: Callable, inplace: Callable) -> Tensor:
        """``x += y``: in place on plain tensors; on a tensor in the graph, a new tensor (``x = x + y``).

        Python rebinds the name to what this returns, so ``loss += step_loss`` builds the graph as
        PyTorch's does; only another name bound to the old tensor keeps the old value.
        """
        if is_grad_enabled() and (self._requires_grad or (isinstance(other, minigrad.Tensor) and other._requires_grad)):
            if self._requires_grad and self._ctx is None:
                self._check_inplace(other)  # a leaf that requires grad: PyTorch's error
            return op(self, other)
        return inplace(other)

    def __iadd__(self, other: Any) -> Tensor:
        return self._inplace_or_new(other, ops.add, self.add_)

    def __isub__(self, other: Any) -> Tensor:
        return self._inplace_or_new(other, ops.sub, self.sub_)

    def __imul__(self, other: Any) -> Tensor:
        return self._inplace_or_new(other, ops.mul, self.mul_)

    def __itruediv__(self, other: Any) -> Tensor:
        return self._inplace_or_new(other, ops.div, self.div_)


# ------------------------------------------------------------------------------------------------
# Helpers (tensor.py uses them too)
# ------------------------------------------------------------------------------------------------


def _data(x: Any) -> Any:
    """The array behind a tensor, or the value itself."""
    return x.data if isinstance(x, minigrad.Tensor) else x


def _key(key: Any) -> Any:
    """An index key with tensors replaced by their arrays (integer or boolean)."""
    if isinstance(key, minigrad.Tensor):
        return _index_array(key)
    if type(key) is tuple:
        return tuple(_index_array(k) if isinstance(k, minigrad.Tensor) else k for k in key)
    if isinstance(key, list):
        return np.asarray(key)
    return key


def _index_array(t: Tensor) -> np.ndarray:
    if t.data.dtype.kind not in "iub":
        raise IndexError(f"tensors used as indices must be long, int, byte or bool tensors, got dtype {t.data.dtype}")
    return t.data


def _operand(value: Any, what: str) -> None:
    """The other operand of an in-place op: a tensor, a number or an array (PyTorch's TypeError otherwise)."""
    if not isinstance(value, minigrad.Tensor | int | float | np.ndarray | np.generic):
        raise TypeError(f"{what}_(): argument 'other' (position 1) must be Tensor, not {type(value).__name__}")


def _inplace_error(t: Tensor, value: Any, error: Exception) -> str:
    """NumPy's error from an in-place change, in PyTorch's words."""
    if not t.data.flags.writeable:
        return (
            "unsupported operation: more than one element of the written-to tensor refers to a single memory "
            "location (an expanded view). Please clone() the tensor before performing the operation."
        )
    if isinstance(error, TypeError) or "Cannot cast" in str(error):
        return (
            f"result type {np.result_type(t.data, value)} can't be cast to the desired output type {t.dtype}: "
            "an in-place operation keeps the tensor's dtype; compute out of place (y = x + v)"
        )
    return (
        f"output with shape {list(t.shape)} doesn't match the broadcast shape of {list(t.shape)} and "
        f"{list(np.shape(value))}: an in-place operation keeps the tensor's shape"
    )
