"""The Tensor: a NumPy array (``.data``) plus what autograd needs to know about it.

A tensor made by the user is a *leaf*. A tensor made by an op keeps that op's ``ctx`` (``grad_fn``),
which keeps the op's inputs: that chain is the graph ``backward()`` walks. Methods here only check
their arguments and call the ops in ``minigrad.ops``; all the math lives there.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from minigrad import autograd
from minigrad import ops as F
from minigrad.autograd import _GradMode, run_backward
from minigrad.random import numpy_generator


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


class Tensor:
    """An n-dimensional array that can record the operations applied to it and compute gradients.

    Args:
        data: a NumPy array (kept as is, with its dtype, sharing memory like ``torch.from_numpy``), or
            Python numbers / nested lists (floats become the default dtype, float32).
        requires_grad: record operations on this tensor so ``backward()`` fills its ``.grad``.
        dtype: convert to this dtype.

    ``.data`` is the NumPy array; ``.grad`` is a NumPy array of the same shape, or None until a
    backward pass reaches the tensor.
    """

    __slots__ = (
        "__weakref__",
        "_ctx",  # the op that made this tensor (its grad_fn), None for a leaf
        "_deps",  # during backward: gradient contributions still to come (0 at rest)
        "_g",  # gradient being accumulated during a backward pass
        "_gown",  # whether _g is a buffer the engine owns (it can add into it in place)
        "_hooks",  # None, or functions called with this tensor's gradient during backward
        "_index",  # which output of its op this tensor is (ops with several outputs)
        "_requires_grad",
        "_vc",  # None, or the VersionCounter shared with views (made at the first in-place change)
        "data",
        "grad",
    )

    __array_ufunc__ = None  # ndarray + Tensor calls Tensor.__radd__ instead of converting the tensor

    def __init__(self, data: Any, requires_grad: bool = False, dtype: Any = None) -> None:
        self.data = _to_array(data, dtype)
        if requires_grad:
            _check_grad_dtype(self.data.dtype)
        self._requires_grad = bool(requires_grad)
        self.grad = None
        self._ctx = None
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
    def grad_fn(self) -> autograd.Function | None:
        """The op that made this tensor (its ctx), or None for a leaf."""
        return self._ctx

    @property
    def is_leaf(self) -> bool:
        return self._ctx is None

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
        seed = autograd._seed_gradient(self, gradient)
        run_backward([self], [seed], retain_graph=retain_graph)

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
        t._vc = autograd.version_counter(self)
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
            self._hooks.append(autograd.RETAIN_GRAD)

    @property
    def retains_grad(self) -> bool:
        return self._hooks is not None and autograd.RETAIN_GRAD in self._hooks

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
        if not _GradMode.enabled:
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
        autograd.version_counter(self).bump()
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
        if _GradMode.enabled and (self._requires_grad or (isinstance(other, Tensor) and other._requires_grad)):
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

    # ------------------------------------------------------------------------------------------
    # Methods: the ops of minigrad.ops (see there for the math)
    # ------------------------------------------------------------------------------------------

    def exp(self) -> Tensor:
        return F.Exp.apply(self)

    def log(self) -> Tensor:
        return F.Log.apply(self)

    def sqrt(self) -> Tensor:
        return F.Sqrt.apply(self)

    def sin(self) -> Tensor:
        return F.Sin.apply(self)

    def cos(self) -> Tensor:
        return F.Cos.apply(self)

    def abs(self) -> Tensor:
        return F.Abs.apply(self)

    def tanh(self) -> Tensor:
        return F.Tanh.apply(self)

    def sigmoid(self) -> Tensor:
        return F.Sigmoid.apply(self)

    def relu(self) -> Tensor:
        return F.Relu.apply(self)

    def pow(self, exponent: Any) -> Tensor:
        return F.Pow.apply(self, exponent)

    def clip(self, min: float | None = None, max: float | None = None) -> Tensor:
        return F.clip(self, min, max)

    clamp = clip

    def maximum(self, other: Any) -> Tensor:
        return F.Maximum.apply(self, other)

    def minimum(self, other: Any) -> Tensor:
        return F.Minimum.apply(self, other)

    def matmul(self, other: Any) -> Tensor:
        return F.MatMul.apply(self, other)

    def sum(self, axis: Any = None, keepdims: bool = False, *, dim: Any = None, keepdim: Any = None) -> Tensor:
        return F.sum(self, axis, keepdims, dim=dim, keepdim=keepdim)

    def mean(self, axis: Any = None, keepdims: bool = False, *, dim: Any = None, keepdim: Any = None) -> Tensor:
        return F.mean(self, axis, keepdims, dim=dim, keepdim=keepdim)

    def max(self, axis: Any = None, keepdims: bool = False, *, dim: Any = None, keepdim: Any = None) -> Tensor:
        """The largest values (values only, as ``torch.amax``; ``argmax`` gives the indices)."""
        return F.max(self, axis, keepdims, dim=dim, keepdim=keepdim)

    def min(self, axis: Any = None, keepdims: bool = False, *, dim: Any = None, keepdim: Any = None) -> Tensor:
        """The smallest values (values only, as ``torch.amin``; ``argmin`` gives the indices)."""
        return F.min(self, axis, keepdims, dim=dim, keepdim=keepdim)

    amax = max
    amin = min

    def var(
        self,
        axis: Any = None,
        keepdims: bool = False,
        correction: int = 1,
        *,
        dim: Any = None,
        keepdim: Any = None,
        unbiased: bool | None = None,
    ) -> Tensor:
        return F.var(self, axis, keepdims, correction, dim=dim, keepdim=keepdim, unbiased=unbiased)

    def std(self, axis: Any = None, keepdims: bool = False, correction: int = 1, **kw: Any) -> Tensor:
        return self.var(axis, keepdims, correction, **kw).sqrt()

    def logsumexp(self, axis: Any = None, keepdims: bool = False, *, dim: Any = None, keepdim: Any = None) -> Tensor:
        return F.logsumexp(self, axis, keepdims, dim=dim, keepdim=keepdim)

    def softmax(self, axis: Any = None, *, dim: Any = None) -> Tensor:
        return F.softmax(self, axis, dim=dim)

    def log_softmax(self, axis: Any = None, *, dim: Any = None) -> Tensor:
        return F.log_softmax(self, axis, dim=dim)

    def argmax(
        self, axis: int | None = None, keepdims: bool = False, *, dim: Any = None, keepdim: Any = None
    ) -> Tensor:
        """Indices of the largest values (no gradient)."""
        axis = axis if dim is None else dim
        return Tensor(np.argmax(self.data, axis=axis, keepdims=keepdims if keepdim is None else keepdim))

    def argmin(
        self, axis: int | None = None, keepdims: bool = False, *, dim: Any = None, keepdim: Any = None
    ) -> Tensor:
        """Indices of the smallest values (no gradient)."""
        axis = axis if dim is None else dim
        return Tensor(np.argmin(self.data, axis=axis, keepdims=keepdims if keepdim is None else keepdim))

    def any(self) -> bool:
        return bool(self.data.any())

    def all(self) -> bool:
        return bool(self.data.all())

    def reshape(self, *shape: Any) -> Tensor:
        return F.reshape(self, *shape)

    def view(self, *shape: Any) -> Tensor:
        return F.reshape(self, *shape)

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        return F.flatten(self, start_dim, end_dim)

    def squeeze(self, dim: Any = None) -> Tensor:
        return F.squeeze(self, dim)

    def unsqueeze(self, dim: int) -> Tensor:
        return F.unsqueeze(self, dim)

    def permute(self, *dims: Any) -> Tensor:
        return F.permute(self, *dims)

    def transpose(self, dim0: int = -2, dim1: int = -1) -> Tensor:
        """Swap two axes (PyTorch's meaning; ``permute`` reorders all of them)."""
        return F.transpose(self, dim0, dim1)

    swapaxes = transpose

    def expand(self, *shape: Any) -> Tensor:
        return F.expand(self, *shape)

    def broadcast_to(self, shape: Any) -> Tensor:
        return F.expand(self, tuple(shape))

    def flip(self, dims: Any) -> Tensor:
        return F.flip(self, dims)

    def split(self, split_size_or_sections: Any, dim: int = 0) -> tuple:
        return F.split(self, split_size_or_sections, dim)

    def chunk(self, chunks: int, dim: int = 0) -> tuple:
        return F.chunk(self, chunks, dim)

    def unbind(self, dim: int = 0) -> tuple:
        return F.unbind(self, dim)

    def gather(self, dim: int, index: Any) -> Tensor:
        return F.gather(self, dim, index)

    def take(self, indices: Any, axis: int = 0) -> Tensor:
        return F.take(self, indices, axis)

    def clone(self) -> Tensor:
        return F.Clone.apply(self)

    def astype(self, dtype: Any) -> Tensor:
        """This tensor converted to ``dtype`` (differentiable between floating dtypes)."""
        dtype = np.dtype(dtype)
        if dtype == self.data.dtype:
            return self
        if self._requires_grad and _GradMode.enabled and dtype.kind != "f":
            return Tensor(self.data.astype(dtype))  # integers carry no gradient
        return F.Cast.apply(self, dtype)

    def to(self, dtype: Any) -> Tensor:
        return self.astype(dtype)

    def float(self) -> Tensor:
        return self.astype(np.float32)

    def double(self) -> Tensor:
        return self.astype(np.float64)

    def long(self) -> Tensor:
        return self.astype(np.int64)

    def int(self) -> Tensor:
        return self.astype(np.int32)

    def bool(self) -> Tensor:
        return self.astype(np.bool_)


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


autograd._Tensor = Tensor  # the engine builds op outputs as Tensors


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
