"""The Tensor's methods that call an op: ``x.exp()``, ``x.sum(dim=1)``, ``x.reshape(2, -1)``, ``x.to(dtype)``, ...

Each is one line that hands the tensor to ``minigrad.ops`` (see there for the math and the gradient) or
to a factory (``new_zeros``). ``Tensor`` (``tensor.py``) inherits them from ``TensorMethods``, so
``tensor.py`` holds only what a tensor *is*.

The methods PyTorch code uses to convert and move tensors are here too: ``to(dtype)``, ``to("cpu")``,
``to(other)``, ``cpu()``, ``long()``/``int()``/``float()``/``double()``/``bool()``, ``type_as``,
``new_zeros``/``new_ones``/``new_full``/``new_empty``/``new_tensor``, ``contiguous()``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

import minigrad  # minigrad.Tensor, read when a method runs (tensor.py builds Tensor on this class)
from minigrad import ops as F
from minigrad.autograd.grad_mode import is_grad_enabled
from minigrad.device import as_device, device
from minigrad.dtypes import as_dtype
from minigrad.ops.dims import tensor_arg

if TYPE_CHECKING:
    from minigrad.tensor import Tensor


class TensorMethods:
    """The op methods of ``Tensor`` (a base class with no state of its own)."""

    __slots__ = ()

    # ------------------------------------------------------------------------------------------
    # Elementwise
    # ------------------------------------------------------------------------------------------

    def add(self, other: Any, *, alpha: float = 1) -> Tensor:
        return F.add(self, other, alpha=alpha)

    def sub(self, other: Any, *, alpha: float = 1) -> Tensor:
        return F.sub(self, other, alpha=alpha)

    def mul(self, other: Any) -> Tensor:
        return F.Mul.apply(self, other)

    def div(self, other: Any) -> Tensor:
        return F.Div.apply(self, other)

    def floor_divide(self, other: Any) -> Tensor:
        return F.FloorDivide.apply(self, other)

    def remainder(self, other: Any) -> Tensor:
        return F.Remainder.apply(self, other)

    def neg(self) -> Tensor:
        return F.Neg.apply(self)

    def where(self, condition: Any, other: Any) -> Tensor:
        """This tensor where ``condition`` holds, ``other`` elsewhere (``torch.where(condition, self, other)``)."""
        return F.where(condition, self, other)

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

    def clip(self, min: Any = None, max: Any = None) -> Tensor:
        return F.clip(self, min, max)

    clamp = clip

    def clamp_min(self, min: Any) -> Tensor:
        return F.clip(self, min, None)

    def clamp_max(self, max: Any) -> Tensor:
        return F.clip(self, None, max)

    def maximum(self, other: Any) -> Tensor:
        return F.Maximum.apply(self, other)

    def minimum(self, other: Any) -> Tensor:
        return F.Minimum.apply(self, other)

    def masked_fill(self, mask: Any, value: Any) -> Tensor:
        """This tensor with ``value`` where the bool ``mask`` is true (``scores.masked_fill(mask, -inf)``)."""
        return F.masked_fill(self, mask, value)

    def matmul(self, other: Any) -> Tensor:
        return F.matmul(self, other)

    # ------------------------------------------------------------------------------------------
    # Reductions and ordering
    # ------------------------------------------------------------------------------------------

    def sum(
        self, axis: Any = None, keepdims: bool = False, *, dim: Any = None, keepdim: Any = None, dtype: Any = None
    ) -> Tensor:
        return F.sum(self, axis, keepdims, dim=dim, keepdim=keepdim, dtype=dtype)

    def mean(
        self, axis: Any = None, keepdims: bool = False, *, dim: Any = None, keepdim: Any = None, dtype: Any = None
    ) -> Tensor:
        return F.mean(self, axis, keepdims, dim=dim, keepdim=keepdim, dtype=dtype)

    def max(self, dim: Any = None, keepdim: bool = False, *, axis: Any = None, keepdims: Any = None) -> Any:
        """``x.max()`` the largest value; ``x.max(dim)`` the named tuple ``(values, indices)``; ``x.max(other)``
        the elementwise maximum; ``x.max(axis=...)`` the values only (see ``minigrad.ops.reduce.max``)."""
        return F.max(self, dim, keepdim, axis=axis, keepdims=keepdims)

    def min(self, dim: Any = None, keepdim: bool = False, *, axis: Any = None, keepdims: Any = None) -> Any:
        """``x.min()``, ``x.min(dim)`` -> ``(values, indices)``, ``x.min(other)``, ``x.min(axis=...)``: as ``max``."""
        return F.min(self, dim, keepdim, axis=axis, keepdims=keepdims)

    def amax(self, dim: Any = None, keepdim: bool = False, *, axis: Any = None, keepdims: Any = None) -> Tensor:
        """The largest values over one dim or several (values only; tied maxima share the gradient)."""
        return F.amax(self, axis, bool(keepdims), dim=dim, keepdim=keepdim)

    def amin(self, dim: Any = None, keepdim: bool = False, *, axis: Any = None, keepdims: Any = None) -> Tensor:
        """The smallest values over one dim or several (values only; tied minima share the gradient)."""
        return F.amin(self, axis, bool(keepdims), dim=dim, keepdim=keepdim)

    def argmax(self, dim: Any = None, keepdim: bool = False, *, axis: Any = None, keepdims: Any = None) -> Tensor:
        """Indices of the largest values (the first of ties; int64, no gradient)."""
        return F.argmax(self, dim, keepdim, axis=axis, keepdims=keepdims)

    def argmin(self, dim: Any = None, keepdim: bool = False, *, axis: Any = None, keepdims: Any = None) -> Tensor:
        """Indices of the smallest values (the first of ties; int64, no gradient)."""
        return F.argmin(self, dim, keepdim, axis=axis, keepdims=keepdims)

    def median(self, dim: Any = None, keepdim: bool = False) -> Any:
        return F.median(self, dim, keepdim)

    def sort(self, dim: int = -1, descending: bool = False, *, stable: bool = False) -> Any:
        return F.sort(self, dim, descending, stable=stable)

    def argsort(self, dim: int = -1, descending: bool = False, *, stable: bool = False) -> Tensor:
        return F.argsort(self, dim, descending, stable=stable)

    def topk(self, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> Any:
        return F.topk(self, k, dim, largest, sorted)

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
        return F.std(self, axis, keepdims, correction, **kw)

    def logsumexp(self, axis: Any = None, keepdims: bool = False, *, dim: Any = None, keepdim: Any = None) -> Tensor:
        return F.logsumexp(self, axis, keepdims, dim=dim, keepdim=keepdim)

    def softmax(self, axis: Any = None, *, dim: Any = None) -> Tensor:
        return F.softmax(self, axis, dim=dim)

    def log_softmax(self, axis: Any = None, *, dim: Any = None) -> Tensor:
        return F.log_softmax(self, axis, dim=dim)

    def any(self) -> bool:
        return bool(self.data.any())

    def all(self) -> bool:
        return bool(self.data.all())

    def multinomial(self, num_samples: int, replacement: bool = False, *, generator: Any = None) -> Tensor:
        """Draw category indices with these (unnormalised) probabilities: see ``minigrad.multinomial``."""
        return minigrad.multinomial(self, num_samples, replacement, generator=generator)

    # ------------------------------------------------------------------------------------------
    # Shapes
    # ------------------------------------------------------------------------------------------

    def reshape(self, *shape: Any) -> Tensor:
        return F.reshape(self, *shape)

    def view(self, *shape: Any) -> Tensor:
        return F.view(self, *shape)

    def view_as(self, other: Tensor) -> Tensor:
        return F.view(self, tensor_arg(other, "view_as", "other").shape)

    def reshape_as(self, other: Tensor) -> Tensor:
        return F.reshape(self, tensor_arg(other, "reshape_as", "other").shape)

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        return F.flatten(self, start_dim, end_dim)

    def squeeze(self, dim: Any = None) -> Tensor:
        return F.squeeze(self, dim)

    def unsqueeze(self, dim: int) -> Tensor:
        return F.unsqueeze(self, dim)

    def permute(self, *dims: Any) -> Tensor:
        return F.permute(self, *dims)

    def transpose(self, dim0: int | None = None, dim1: int | None = None) -> Tensor:
        """Swap two axes (PyTorch's meaning; ``permute`` reorders all of them)."""
        return F.transpose(self, dim0, dim1)

    swapaxes = transpose

    def t(self) -> Tensor:
        """The transpose of a matrix (at most 2 dims)."""
        return F.t(self)

    @property
    def mT(self) -> Tensor:
        """The last two dims swapped (a batch of matrices transposed)."""
        return F.transpose(self, -2, -1)

    def contiguous(self) -> Tensor:
        """This tensor if its memory is in row-major order, else a differentiable copy that is."""
        return self if self.data.flags.c_contiguous else F.Clone.apply(self)

    def expand(self, *shape: Any) -> Tensor:
        return F.expand(self, *shape)

    def expand_as(self, other: Tensor) -> Tensor:
        return F.expand(self, tensor_arg(other, "expand_as", "other").shape)

    def broadcast_to(self, shape: Any) -> Tensor:
        return F.expand(self, tuple(shape))

    def flip(self, dims: Any) -> Tensor:
        return F.flip(self, dims)

    def repeat(self, *repeats: Any) -> Tensor:
        return F.repeat(self, *repeats)

    def repeat_interleave(self, repeats: Any, dim: int | None = None) -> Tensor:
        return F.repeat_interleave(self, repeats, dim)

    def split(self, split_size_or_sections: Any, dim: int = 0) -> tuple:
        return F.split(self, split_size_or_sections, dim)

    def chunk(self, chunks: int, dim: int = 0) -> tuple:
        return F.chunk(self, chunks, dim)

    def unbind(self, dim: int = 0) -> tuple:
        return F.unbind(self, dim)

    def gather(self, dim: int, index: Any) -> Tensor:
        return F.gather(self, dim, index)

    def take(self, indices: Any, axis: int | None = None) -> Tensor:
        return F.take(self, indices, axis)

    def index_select(self, dim: int, index: Any) -> Tensor:
        return F.index_select(self, dim, index)

    def clone(self) -> Tensor:
        return F.Clone.apply(self)

    # ------------------------------------------------------------------------------------------
    # Dtypes and devices
    # ------------------------------------------------------------------------------------------

    def astype(self, dtype: Any) -> Tensor:
        """This tensor converted to ``dtype`` (differentiable between floating dtypes; self if it has it)."""
        dtype = as_dtype(dtype)
        if dtype == self.data.dtype:
            return self
        if self._requires_grad and is_grad_enabled() and dtype.kind != "f":
            return minigrad.Tensor(self.data.astype(dtype))  # integers carry no gradient
        return F.Cast.apply(self, dtype)

    def to(self, *args: Any, **kwargs: Any) -> Tensor:
        """PyTorch's ``to``: ``to(dtype)``, ``to("cpu")``, ``to(device, dtype)``, ``to(other)`` (other's dtype),
        ``to(dtype=..., device=..., copy=False, non_blocking=False)``. Returns self when nothing changes.

        Every tensor is on the CPU: a GPU device is a RuntimeError that says so.
        """
        dtype, copy = _to_args("Tensor.to", args, kwargs)
        out = self if dtype is None else self.astype(dtype)
        return F.Clone.apply(out) if copy and out is self else out

    def cpu(self) -> Tensor:
        """This tensor: it is on the CPU already."""
        return self

    def cuda(self, device: Any = None, non_blocking: bool = False) -> Tensor:
        as_device("cuda" if device is None else device)  # raises: there is no GPU
        return self

    def type_as(self, other: Tensor) -> Tensor:
        return self.astype(tensor_arg(other, "type_as", "other").dtype)

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

    def half(self) -> Tensor:
        raise NotImplementedError(_HALF)

    # ------------------------------------------------------------------------------------------
    # New tensors like this one (its dtype unless told; no gradient unless asked)
    # ------------------------------------------------------------------------------------------

    def new_zeros(self, *size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
        return minigrad.zeros(*size, dtype=dtype or self.dtype, device=device, requires_grad=requires_grad)

    def new_ones(self, *size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
        return minigrad.ones(*size, dtype=dtype or self.dtype, device=device, requires_grad=requires_grad)

    def new_empty(self, *size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
        return minigrad.empty(*size, dtype=dtype or self.dtype, device=device, requires_grad=requires_grad)

    def new_full(
        self, size: Any, fill_value: Any, *, dtype: Any = None, device: Any = None, requires_grad: bool = False
    ) -> Tensor:
        return minigrad.full(size, fill_value, dtype=dtype or self.dtype, device=device, requires_grad=requires_grad)

    def new_tensor(self, data: Any, *, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
        """A new tensor holding a copy of ``data``, in this tensor's dtype unless ``dtype`` says otherwise."""
        return minigrad.tensor(data, dtype=dtype or self.dtype, device=device, requires_grad=requires_grad)


_HALF = (
    "half() (float16) is not supported: minigrad computes in float32 or float64 (NumPy has no fast float16 "
    "kernels, and float16 gradients underflow without loss scaling). Keep float32 (.float()); to store values "
    "in float16, convert the array: x.astype(minigrad.float16)."
)


def _to_args(what: str, args: tuple, kwargs: dict) -> tuple:
    """``(dtype or None, copy)`` from the arguments of ``to``; a device must be the CPU.

    Positional arguments are told apart by type, as PyTorch does: a string, ``device`` or int is a
    device, a tensor stands for its dtype, anything else is a dtype.
    """
    unknown = set(kwargs) - {"dtype", "device", "copy", "non_blocking", "memory_format"}
    if unknown:
        raise TypeError(f"{what}() got an unexpected keyword argument {sorted(unknown)[0]!r}")
    dtype, where = kwargs.get("dtype"), kwargs.get("device")
    if len(args) > 2:
        raise TypeError(f"{what}() takes at most 2 positional arguments (a device and a dtype), got {len(args)}")
    for arg in args:
        if isinstance(arg, str | device) or (isinstance(arg, int) and not isinstance(arg, bool)):
            where = arg
        elif isinstance(arg, minigrad.Tensor):
            dtype = arg.dtype
        elif isinstance(arg, bool) or arg is None:
            raise TypeError(f"{what}() expects a dtype, a device or a tensor, got {arg!r}")
        else:
            dtype = arg
    as_device(where)
    return (None if dtype is None else as_dtype(dtype)), bool(kwargs.get("copy", False))
