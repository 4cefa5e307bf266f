"""The Tensor: a NumPy array (``.data``) plus what autograd needs to know about it.

A tensor made by the user is a *leaf*. A tensor made by an op keeps that op's ``ctx`` (``grad_fn``),
which keeps the op's inputs: that chain is the graph ``backward()`` walks. This file holds what a tensor
*is*: its data, dtype and device, its size, its gradient and place in the graph, and Python's operators.
The methods that call an op (``exp``, ``sum``, ``reshape``, ``to``, ...) are in ``tensor_methods.py``; the
in-place methods (``add_``, ``x[i] = v``) and their safety checks in ``tensor_inplace.py``; the functions
that make tensors (``zeros``, ``randn``, ...) in ``creation.py``; all the math in ``ops/``.

As in PyTorch, ``size()`` is a method (``x.size()``, ``x.size(0)``) and ``numel()`` counts the elements;
``.data`` and ``.grad`` are NumPy arrays.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from minigrad import ops as F
from minigrad.autograd import engine
from minigrad.autograd.engine import RETAIN_GRAD
from minigrad.autograd.function import Function, version_counter
from minigrad.device import cpu, device
from minigrad.dtypes import _Defaults, as_dtype, get_default_dtype, set_default_dtype
from minigrad.ops.dims import normalize_dim
from minigrad.tensor_inplace import InPlaceMethods, _data, _key
from minigrad.tensor_methods import TensorMethods

__all__ = ["Tensor", "get_default_dtype", "set_default_dtype"]


_GRAD_DTYPES = "f"  # kinds of dtypes that can require grad: floating point only


def _to_array(data: Any, dtype: Any = None, copy: bool = False) -> np.ndarray:
    """An ndarray from user data: Python floats become the default dtype, NumPy data keeps its dtype."""
    if dtype is not None:
        dtype = as_dtype(dtype)
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
            f"Only Tensors of floating point dtype can require gradients, this one has dtype {dtype}: "
            "make it float, e.g. minigrad.tensor(data, dtype=minigrad.float32, requires_grad=True)"
        )


def _operator(op: Any, symbol: str) -> tuple:
    """``x op y`` and ``y op x`` (the reflected form) for a Python operator, calling ``op``.

    An operand that is not a tensor, a number or an array gets ``NotImplemented``, so Python raises its
    own TypeError ("unsupported operand type(s) for +: 'Tensor' and 'str'"), as with PyTorch.
    """
    apply = op.apply if isinstance(op, type) else op

    def forward(self: Tensor, other: Any) -> Tensor:
        if type(other) is not Tensor and not isinstance(other, _OPERAND_TYPES):
            if isinstance(other, list | tuple):  # (Python's fallback would call list.__rmul__: a confusing error)
                raise TypeError(
                    f"unsupported operand type(s) for {symbol}: 'Tensor' and '{type(other).__name__}': make it a "
                    "tensor first, minigrad.tensor(...)"
                )
            return NotImplemented
        return apply(self, other)

    def reflected(self: Tensor, other: Any) -> Tensor:
        if not isinstance(other, _OPERAND_TYPES):
            return NotImplemented
        return apply(other, self)

    forward.__doc__, reflected.__doc__ = f"x {symbol} y", f"y {symbol} x (y not a tensor)"
    return forward, reflected


def _comparison(ufunc: np.ufunc, logical: str = "") -> Any:
    """``x < y`` and the other comparisons (``logical``: ``&``, ``|``, ``^``, for bool and integer tensors only).

    A bool tensor without gradient. An operand that is not a tensor, a number or an array gets
    ``NotImplemented``: ``x == None`` is False and ``x < "a"`` a TypeError, as with PyTorch.
    """

    def compare(self: Tensor, other: Any) -> Tensor:
        if not isinstance(other, _OPERAND_TYPES):
            return NotImplemented
        value = _data(other)
        if logical:
            for v in (self.data, value):
                if np.asarray(v).dtype.kind not in "biu":
                    raise TypeError(
                        f"{logical} is only implemented on integer and Boolean-type tensors, got {np.asarray(v).dtype}"
                    )
        try:
            return Tensor(ufunc(self.data, value))
        except ValueError:
            raise F.arithmetic.broadcast_error(self.data, value) from None

    compare.__doc__ = f"elementwise {ufunc.__name__}: a bool tensor, no gradient"
    return compare


class _Handle:
    """Returned by ``register_hook``; ``handle.remove()`` unregisters the hook."""

    def __init__(self, hooks: list, fn: Callable) -> None:
        self._hooks, self._fn = hooks, fn

    def remove(self) -> None:
        if self._fn in self._hooks:
            self._hooks.remove(self._fn)


class Tensor(TensorMethods, InPlaceMethods):
    """An n-dimensional array that can record the operations applied to it and compute gradients.

    Args:
        data: a NumPy array (kept as is, with its dtype, sharing memory like ``torch.from_numpy``), or
            Python numbers / nested lists (floats become the default dtype, float32).
        requires_grad: record operations on this tensor so ``backward()`` fills its ``.grad``.
        dtype: convert to this dtype.

    ``.data`` is the NumPy array; ``.grad`` is a NumPy array of the same shape, or None until a
    backward pass reaches the tensor. The op methods (``exp``, ``sum``, ...) come from
    ``TensorMethods`` (``tensor_methods.py``), the in-place ones from ``InPlaceMethods``
    (``tensor_inplace.py``).
    """

    __slots__ = (
        "__weakref__",
        "_ctx",  # the op that made this tensor (its grad_fn), None for a leaf
        "_g",  # gradient being accumulated during a backward pass
        "_gown",  # whether _g is a buffer the engine owns (it can add into it in place)
        "_hooks",  # None, or functions called with this tensor's gradient during backward
        "_order",  # an op's output: when it was made (-1, -2, ...: the later, the smaller); 0 for a leaf
        "_output_nr",  # which output of its op this tensor is (set only by ops with several outputs)
        "_requires_grad",
        "_vc",  # None, or the VersionCounter shared with views (made at the first in-place change)
        "data",
        "grad",
    )

    __array_ufunc__ = None  # ndarray + Tensor calls Tensor.__radd__ instead of converting the tensor

    def __init__(self, data: Any, requires_grad: bool = False, dtype: Any = None) -> None:
        if not isinstance(requires_grad, bool | np.bool_):
            raise TypeError(
                f"Tensor(data, requires_grad, dtype): requires_grad must be True or False, got {requires_grad!r}. "
                "(PyTorch's legacy torch.Tensor(2, 3) makes an uninitialised 2x3 tensor: that is minigrad.empty(2, 3).)"
            )
        array = _to_array(data, dtype)
        if requires_grad:
            _check_grad_dtype(array.dtype)
        self._init(array, bool(requires_grad), None)

    def _init(self, array: np.ndarray, requires_grad: bool, grad_fn: Function | None, order: int = 0) -> None:
        """Set every slot a tensor starts with: the one place that lists them (``__init__`` and
        ``Function.apply``, which makes every op's output, both call it). ``_gown`` and ``_output_nr`` are set
        only where needed; ``order`` is the op output's place in recording order (0 for a leaf)."""
        self.data = array
        self.grad = None
        self._requires_grad = requires_grad
        self._ctx = grad_fn
        self._order = order
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

    def size(self, dim: int | None = None) -> tuple | int:
        """The shape (``size()``, a tuple), or the length of one dim (``size(0)``, ``size(-1)``), as PyTorch.

        A method, as in PyTorch: NumPy's ``.size`` attribute (the number of elements) is ``numel()``.
        """
        if dim is None:
            return self.data.shape
        if self.data.ndim == 0:
            raise IndexError(f"dimension specified as {dim} but tensor has no dimensions")
        return self.data.shape[normalize_dim(dim, self.data.ndim, "size(): argument 'dim'")]

    def numel(self) -> int:
        """The number of elements (NumPy's ``.size``)."""
        return self.data.size

    nelement = numel

    def dim(self) -> int:
        return self.data.ndim

    ndimension = dim

    @property
    def device(self) -> device:
        """Where the tensor lives: always the CPU (``minigrad.device("cpu")``, printed ``cpu``)."""
        return cpu

    is_cuda = False

    def is_floating_point(self) -> bool:
        return self.data.dtype.kind == "f"

    def is_contiguous(self) -> bool:
        return bool(self.data.flags.c_contiguous)

    def element_size(self) -> int:
        return self.data.itemsize

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
            raise RuntimeError(
                f"a Tensor with {self.data.size} elements cannot be converted to Scalar (shape {self.shape}): "
                "reduce it first, e.g. .sum() or .mean(), or index one element"
            )
        return self.data.item()

    def numpy(self, *, force: bool = False) -> np.ndarray:
        """The data as a NumPy array (the same memory); ``force=True`` allows it on a tensor that requires grad."""
        if self._requires_grad and not force:
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
        if self.data.size == 0:
            raise RuntimeError("Boolean value of Tensor with no values is ambiguous")
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

    def __contains__(self, element: Any) -> bool:
        """``v in x``: whether some element equals ``v`` (as PyTorch)."""
        if not isinstance(element, _OPERAND_TYPES):
            raise RuntimeError(
                f"Tensor.__contains__ only supports Tensor or scalar, but you passed in a {type(element)}."
            )
        return bool((self.data == _data(element)).any())

    def __format__(self, spec: str) -> str:
        """``f"{loss:.4f}"`` formats a 0-d tensor's value, as PyTorch; other tensors only print whole (``f"{x}"``)."""
        if self.data.ndim == 0:
            return format(self.data.item(), spec)
        if spec:
            raise TypeError(
                f"unsupported format string passed to Tensor.__format__ (a tensor of shape {self.shape}): format "
                "one value, e.g. f'{x.item():.4f}' or f'{x[0]:.4f}'"
            )
        return str(self)

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
    # Python's operators. An operand of another type (a str, None, a list) gets NotImplemented, so
    # Python raises its own TypeError ("unsupported operand type(s) for +: 'Tensor' and 'str'"), as
    # with PyTorch. Python numbers never upcast a floating tensor (see ops/arithmetic.py).
    # ------------------------------------------------------------------------------------------

    __add__, __radd__ = _operator(F.Add, "+")
    __sub__, __rsub__ = _operator(F.Sub, "-")
    __mul__, __rmul__ = _operator(F.Mul, "*")
    __truediv__, __rtruediv__ = _operator(F.Div, "/")
    __floordiv__, __rfloordiv__ = _operator(F.FloorDivide, "//")
    __mod__, __rmod__ = _operator(F.Remainder, "%")
    __pow__, __rpow__ = _operator(F.Pow, "**")
    __matmul__, __rmatmul__ = _operator(F.MatMul, "@")

    def __neg__(self) -> Tensor:
        return F.Neg.apply(self)

    def __pos__(self) -> Tensor:
        return self

    def __abs__(self) -> Tensor:
        return F.Abs.apply(self)

    # Comparisons and logic: no gradient, a bool (or integer) tensor.
    __lt__ = _comparison(np.less)
    __le__ = _comparison(np.less_equal)
    __gt__ = _comparison(np.greater)
    __ge__ = _comparison(np.greater_equal)
    __eq__ = _comparison(np.equal)  # type: ignore[assignment]
    __ne__ = _comparison(np.not_equal)  # type: ignore[assignment]
    __and__ = __rand__ = _comparison(np.bitwise_and, logical="&")
    __or__ = __ror__ = _comparison(np.bitwise_or, logical="|")
    __xor__ = __rxor__ = _comparison(np.bitwise_xor, logical="^")

    def __invert__(self) -> Tensor:
        if self.data.dtype.kind not in "biu":
            raise TypeError(
                f"~ (operator.invert) is only implemented on integer and Boolean-type tensors, got {self.dtype}"
            )
        return Tensor(~self.data)

    def __getitem__(self, key: Any) -> Tensor:
        return F.Index.apply(self, _key(key))


# ------------------------------------------------------------------------------------------------
# Helpers
# ------------------------------------------------------------------------------------------------

_OPERAND_TYPES = (Tensor, int, float, np.ndarray, np.generic)
"""What Python's operators take besides a tensor (bools are ints). Not lists: PyTorch refuses them too."""
