"""The Tensor's methods that call an op: ``x.exp()``, ``x.sum(dim=1)``, ``x.reshape(2, -1)``, ...

Each is one line that hands the tensor to ``minigrad.ops`` (see there for the math and the gradient).
``Tensor`` (``tensor.py``) inherits them from ``TensorMethods``, so ``tensor.py`` holds only what a
tensor *is*: its data, its gradient, its place in the graph and its in-place safety.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

import minigrad  # minigrad.Tensor, read when a method runs (tensor.py builds Tensor on this class)
from minigrad import ops as F
from minigrad.autograd.grad_mode import is_grad_enabled

if TYPE_CHECKING:
    from minigrad.tensor import Tensor


class TensorMethods:
    """The op methods of ``Tensor`` (a base class with no state of its own)."""

    __slots__ = ()

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
        return minigrad.Tensor(np.argmax(self.data, axis=axis, keepdims=keepdims if keepdim is None else keepdim))

    def argmin(
        self, axis: int | None = None, keepdims: bool = False, *, dim: Any = None, keepdim: Any = None
    ) -> Tensor:
        """Indices of the smallest values (no gradient)."""
        axis = axis if dim is None else dim
        return minigrad.Tensor(np.argmin(self.data, axis=axis, keepdims=keepdims if keepdim is None else keepdim))

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
        if self._requires_grad and is_grad_enabled() and dtype.kind != "f":
            return minigrad.Tensor(self.data.astype(dtype))  # integers carry no gradient
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
