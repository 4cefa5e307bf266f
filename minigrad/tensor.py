"""The Tensor: a NumPy array (``.data``) plus what autograd needs to know about it.

A tensor made by the user is a *leaf*. A tensor made by an op keeps that op's ``ctx`` (``grad_fn``),
which keeps the op's inputs: that chain is the graph ``backward()`` walks. This file holds what a tensor
*is*: its data and dtype, its gradient, its place in the graph, its in-place safety, and Python's
operators. The methods that call an op (``exp``, ``sum``, ``reshape``, ...) are in ``tensor_methods.py``;
the functions that make tensors (``zeros``, ``randn``, ...) in ``creation.py``; all the math in ``ops/``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from minigrad import ops as F
from minigrad.autograd import engine
from minigrad.autograd.engine import RETAIN_GRAD
from minigrad.autograd.function import Function, version_counter
from minigrad.autograd.grad_mode import is_grad_enabled
from minigrad.tensor_methods import TensorMethods


class _Defaults:
    dtype: np.dtype = np.dtype(np.float32)


def set_default_dtype(dtype: Any) -> None:
    """The floating dtype of tensors made from Python numbers (float32 unless changed, as PyTorch)."""
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        raise TypeError(f"the default dtype must be a floating dtype, got {dtype}")
    _Defaults.dtype = dtype


def get_default_dtype() -> np.dtype:
    return _Defaults.dtype


_GRAD_DTYPES = "f"  # kinds of dtypes that can require grad: floating point only


def _to_array(data: Any, dtype: Any = None, copy: bool = False) -> np.ndarray:
    """An ndarray from user data: Python floats become the default dtype, NumPy data keeps its dtype."""
    if isinstance(data, Tensor):
        data = data.data
    if isinstance(data, np.ndarray | np.generic):
        array = np.array(data, copy=True) if copy else np.asarray(data)
    else:
        try:
            array = np.array(data)
        except ValueError as error:
            raise TypeError(f"cannot make a tensor from a ragged nested list ({error})") from None
        if array.dtype == np.float64 and dtype is None:
            array = array.astype(_Defaults.dtype)
    if dtype is not None:
        array = array.astype(dtype, copy=False)
    if array.dtype.kind not in "fiub":
        raise TypeError(
            f"cannot make a tensor of dtype {array.dtype} (from {type(data).__name__}): "
            "tensors hold floats, integers or booleans (a ragged nested list gives dtype object)"
        )
    return array


def _check_grad_dtype(dtype: np.dtype) -> None:
    if dtype.kind not in _GRAD_DTYPES:
        raise RuntimeError(
            f"only tensors of floating point dtype can require gradients, this one has dtype {dtype}: "
            "make it float, e.g. Tensor(data, dtype=np.float32, requires_grad=True)"
        )


class _Handle:
    """Returned by ``register_hook``; ``handle.remove()`` unregisters the hook."""

    def __init__(self, hooks: list, fn: Callable) -> None:
        self._hooks, self._fn = hooks, fn

    def remove(self) -> None:
        if self._fn in self._hooks:
            self._hooks.remove(self._fn)


class Tensor(TensorMethods):
    """An n-dimensional array that can record the operations applied to it and compute gradients.

    Args:
        data: a NumPy array (kept as is, with its dtype, sharing memory like ``torch.from_numpy``), or
            Python numbers / nested lists (floats become the default dtype, float32).
        requires_grad: record operations on this tensor so ``backward()`` fills its ``.grad``.
        dtype: convert to this dtype.

    ``.data`` is the NumPy array; ``.grad`` is a NumPy array of the same shape, or None until a
    backward pass reaches the tensor. The op methods (``exp``, ``sum``, ...) come from
    ``TensorMethods`` (``tensor_methods.py``).
    """

    __slots__ = (
        "__weakref__",
        "_ctx",  # the op that made this tensor (its grad_fn), None for a leaf
        "_deps",  # during backward: gradient contributions still to come (0 at rest)
        "_g",  # gradient being accumulated during a backward pass
        "_gown",  # whether _g is a buffer the engine owns (it can add into it in place)
        "_hooks",  # None, or functions called with this tensor's gradient during backward
        "_output_nr",  # which output of its op this tensor is (set only by ops with several outputs)
        "_requires_grad",
        "_vc",  # None, or the VersionCounter shared with views (made at the first in-place change)
        "data",
        "grad",
    )

    __array_ufunc__ = None  # ndarray + Tensor calls Tensor.__radd__ instead of converting the tensor

    def __init__(self, data: Any, requires_grad: bool = False, dtype: Any = None) -> None:
        array = _to_array(data, dtype)
        if requires_grad:
            _check_grad_dtype(array.dtype)
        self._init(array, bool(requires_grad), None)

    @classmethod
    def _from_op(cls, array: Any, grad_fn: Function | None) -> Tensor:
        """The output of an op: ``Function.apply`` makes every op's output here.

        ``grad_fn`` is the op's ctx when the op was recorded (the output requires grad), else None.
        """
        if type(array) is not np.ndarray:
            array = np.asarray(array)  # NumPy returns scalars for 0-d results
        t = _new(cls)
        t._init(array, grad_fn is not None, grad_fn)
        return t

    def _init(self, array: np.ndarray, requires_grad: bool, grad_fn: Function | None) -> None:
        """Set every slot (the one place that lists them)."""
        self.data = array
        self.grad = None
        self._requires_grad = requires_grad
        self._ctx = grad_fn
        self._deps = 0
        self._g = None
        self._hooks = None
        self._vc = None

    # ------------------------------------------------------------------------------------------
    # Attributes
    # ------------------------------------------------------------------------------------------

    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        self.requires_grad_(value)

    @property
    def shape(self) -> tuple:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def size(self) -> int:
        """Number of elements (NumPy's ``size``; PyTorch's ``numel()``). For ``size(d)`` use ``shape[d]``."""
        return self.data.size

    def numel(self) -> int:
        return self.data.size

    def dim(self) -> int:
        return self.data.ndim

    @property
    def T(self) -> Tensor:
        """All axes reversed."""
        return F.permute(self, tuple(range(self.ndim))[::-1]) if self.ndim > 1 else self

    @property
    def grad_fn(self) -> Function | None:
        """The op that made this tensor (its ctx), or None for a leaf."""
        return self._ctx

    @property
    def is_leaf(self) -> bool:
        return self._ctx is None

    @property
    def output_nr(self) -> int:
        """Which output of its ``grad_fn`` this tensor is (0 unless the op has several outputs)."""
        return getattr(self, "_output_nr", 0)

    @property
    def _version(self) -> int:
        """How many in-place changes this tensor's memory has had."""
        return 0 if self._vc is None else self._vc.version

    def item(self) -> float | int | bool:
        if self.data.size != 1:
            raise ValueError(
                f"a Tensor with {self.data.size} elements cannot be converted to a Python scalar "
                f"(shape {self.shape}); reduce it first, e.g. .sum() or .mean()"
            )
        return self.data.item()

    def numpy(self) -> np.ndarray:
        """The data as a NumPy array (the same memory)."""
        if self._requires_grad:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.")
        return self.data

    def tolist(self) -> Any:
        return self.data.tolist()

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        return np.asarray(self.numpy(), dtype=dtype)

    def __len__(self) -> int:
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.data.shape[0]

    def __iter__(self) -> Any:
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(F.unbind(self, 0))

    def __bool__(self) -> bool:
        if self.data.size != 1:
            raise RuntimeError(
                f"Boolean value of Tensor with more than one value is ambiguous (shape {self.shape}): "
                "use .any() or .all()"
            )
        return bool(self.data)

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        if self.data.dtype.kind not in "iu" or self.data.size != 1:
            raise TypeError(f"only integer tensors of a single element can be used as an index, got {self!r}")
        return int(self.data)

    __hash__ = object.__hash__  # tensors are hashed by identity (``==`` is elementwise)

    def __repr__(self) -> str:
        data = self.data
        if data.dtype.kind == "f" and data.size and np.all(np.isfinite(data)) and np.all(data == np.round(data)):
            floatmode = "maxprec"  # whole numbers print as "1."
        else:
            floatmode = "fixed"
        body = np.array2string(data, separator=", ", prefix="tensor(", precision=4, floatmode=floatmode, threshold=1000)
        extras = []
        default = _Defaults.dtype if data.dtype.kind == "f" else np.dtype(np.int64)
        if data.dtype != default and data.dtype != bool:
            extras.append(f"dtype={data.dtype}")
        if self._ctx is not None:
            extras.append(f"grad_fn=<{self._ctx.name()}>")
        elif self._requires_grad:
            extras.append("requires_grad=True")
        return "tensor(" + ", ".join([body, *extras]) + ")"

    # ------------------------------------------------------------------------------------------
    # Autograd
    # ------------------------------------------------------------------------------------------

    def backward(self, gradient: Any = None, retain_graph: bool = False) -> None:
        """Compute the gradient of this tensor with respect to every leaf that requires grad.

        Leaves accumulate into ``.grad`` (call ``zero_grad``/set ``.grad = None`` between steps).
        ``gradient`` is needed unless this tensor has a single element. The values saved for backward
        are freed afterwards unless ``retain_graph=True``.
        """
        engine.backward([self], [gradient], retain_graph=retain_graph)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        if self._ctx is not None and not requires_grad:
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables; use .detach() to get a "
                "tensor that does not require grad"
            )
        if requires_grad:
            _check_grad_dtype(self.data.dtype)
        self._requires_grad = bool(requires_grad)
        return self

    def detach(self) -> Tensor:
        """The same data (shared memory and version counter), cut from the graph."""
        t = Tensor(self.data)
        t._vc = version_counter(self)
        return t

    def detach_(self) -> Tensor:
        self._ctx = None
        self._requires_grad = False
        return self

    def retain_grad(self) -> None:
        """Keep ``.grad`` for this non-leaf tensor after backward (leaves always keep theirs)."""
        if not self._requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self._ctx is not None and not self.retains_grad:
            if self._hooks is None:
                self._hooks = []
            self._hooks.append(RETAIN_GRAD)

    @property
    def retains_grad(self) -> bool:
        return self._hooks is not None and RETAIN_GRAD in self._hooks

    def register_hook(self, hook: Callable[[np.ndarray], np.ndarray | None]) -> _Handle:
        """Call ``hook(grad)`` with this tensor's total gradient (a NumPy array) during backward.

        The hook may return a replacement gradient of the same shape, or None to keep it.
        Returns a handle whose ``remove()`` unregisters the hook.
        """
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self._hooks is None:
            self._hooks = []
        self._hooks.append(hook)
        return _Handle(self._hooks, hook)

    # ------------------------------------------------------------------------------------------
    # In-place changes: they bump the version counter that backward checks
    # ------------------------------------------------------------------------------------------

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
        if isinstance(other, Tensor) and other._requires_grad:
            raise RuntimeError(
                "in-place operation with an argument that requires grad: minigrad does not record "
                "in-place ops; compute out of place instead (y = x + w)"
            )

    def _bump(self) -> Tensor:
        version_counter(self).bump()
        return self

    def add_(self, other: Any, alpha: float = 1) -> Tensor:
        self._check_inplace(other)
        value = _data(other)
        self.data += value if alpha == 1 else alpha * value
        return self._bump()

    def sub_(self, other: Any, alpha: float = 1) -> Tensor:
        self._check_inplace(other)
        value = _data(other)
        self.data -= value if alpha == 1 else alpha * value
        return self._bump()

    def mul_(self, other: Any) -> Tensor:
        self._check_inplace(other)
        self.data *= _data(other)
        return self._bump()

    def div_(self, other: Any) -> Tensor:
        self._check_inplace(other)
        self.data /= _data(other)
        return self._bump()

    def clamp_(self, min: float | None = None, max: float | None = None) -> Tensor:
        self._check_inplace()
        np.clip(self.data, min, max, out=self.data)
        return self._bump()

    def zero_(self) -> Tensor:
        return self.fill_(0)

    def fill_(self, value: float) -> Tensor:
        self._check_inplace(value)
        self.data[...] = _data(value)
        return self._bump()

    def copy_(self, src: Any) -> Tensor:
        self._check_inplace(src)
        self.data[...] = _data(src)
        return self._bump()

    def __setitem__(self, key: Any, value: Any) -> None:
        self._check_inplace(value)
        self.data[_key(key)] = _data(value)
        self._bump()

    def _inplace_or_new(self, other: Any, op: Callable, inplace: Callable) -> Tensor:
        """``x += y``: in place on plain tensors; on a tensor in the graph, a new tensor (``x = x + y``).

        Python rebinds the name to what this returns, so ``loss += step_loss`` builds the graph as
        PyTorch's does; only another name bound to the old tensor keeps the old value.
        """
        if is_grad_enabled() and (self._requires_grad or (isinstance(other, Tensor) and other._requires_grad)):
            if self._requires_grad and self._ctx is None:
                self._check_inplace(other)  # a leaf that requires grad: PyTorch's error
            return op(self, other)
        return inplace(other)

    def __iadd__(self, other: Any) -> Tensor:
        return self._inplace_or_new(other, F.add, self.add_)

    def __isub__(self, other: Any) -> Tensor:
        return self._inplace_or_new(other, F.sub, self.sub_)

    def __imul__(self, other: Any) -> Tensor:
        return self._inplace_or_new(other, F.mul, self.mul_)

    def __itruediv__(self, other: Any) -> Tensor:
        return self._inplace_or_new(other, F.div, self.div_)

    # ------------------------------------------------------------------------------------------
    # Arithmetic operators (Python scalars stay Python scalars: they never upcast a tensor)
    # ------------------------------------------------------------------------------------------

    def __add__(self, other: Any) -> Tensor:
        return F.Add.apply(self, other)

    def __radd__(self, other: Any) -> Tensor:
        return F.Add.apply(other, self)

    def __sub__(self, other: Any) -> Tensor:
        return F.Sub.apply(self, other)

    def __rsub__(self, other: Any) -> Tensor:
        return F.Sub.apply(other, self)

    def __mul__(self, other: Any) -> Tensor:
        return F.Mul.apply(self, other)

    def __rmul__(self, other: Any) -> Tensor:
        return F.Mul.apply(other, self)

    def __truediv__(self, other: Any) -> Tensor:
        return F.Div.apply(self, other)

    def __rtruediv__(self, other: Any) -> Tensor:
        return F.Div.apply(other, self)

    def __pow__(self, other: Any) -> Tensor:
        return F.Pow.apply(self, other)

    def __rpow__(self, other: Any) -> Tensor:
        return F.Pow.apply(other, self)

    def __matmul__(self, other: Any) -> Tensor:
        return F.MatMul.apply(self, other)

    def __rmatmul__(self, other: Any) -> Tensor:
        return F.MatMul.apply(other, self)

    def __neg__(self) -> Tensor:
        return F.Neg.apply(self)

    def __pos__(self) -> Tensor:
        return self

    def __abs__(self) -> Tensor:
        return F.Abs.apply(self)

    # Comparisons: no gradient, a bool tensor.
    def __lt__(self, other: Any) -> Tensor:
        return Tensor(self.data < _data(other))

    def __le__(self, other: Any) -> Tensor:
        return Tensor(self.data <= _data(other))

    def __gt__(self, other: Any) -> Tensor:
        return Tensor(self.data > _data(other))

    def __ge__(self, other: Any) -> Tensor:
        return Tensor(self.data >= _data(other))

    def __eq__(self, other: Any) -> Tensor:  # type: ignore[override]
        return Tensor(self.data == _data(other))

    def __ne__(self, other: Any) -> Tensor:  # type: ignore[override]
        return Tensor(self.data != _data(other))

    def __invert__(self) -> Tensor:
        return Tensor(~self.data)

    def __and__(self, other: Any) -> Tensor:
        return Tensor(self.data & _data(other))

    def __or__(self, other: Any) -> Tensor:
        return Tensor(self.data | _data(other))

    def __getitem__(self, key: Any) -> Tensor:
        return F.Index.apply(self, _key(key))


# ------------------------------------------------------------------------------------------------
# Helpers
# ------------------------------------------------------------------------------------------------


def _data(x: Any) -> Any:
    """The array behind a tensor, or the value itself."""
    return x.data if isinstance(x, Tensor) else x


def _key(key: Any) -> Any:
    """An index key with tensors replaced by their arrays (integer or boolean)."""
    if isinstance(key, Tensor):
        return _index_array(key)
    if type(key) is tuple:
        return tuple(_index_array(k) if isinstance(k, Tensor) else k for k in key)
    if isinstance(key, list):
        return np.asarray(key)
    return key


def _index_array(t: Tensor) -> np.ndarray:
    if t.data.dtype.kind not in "iub":
        raise IndexError(f"tensors used as indices must be integer or boolean, got dtype {t.data.dtype}")
    return t.data


_new = object.__new__
