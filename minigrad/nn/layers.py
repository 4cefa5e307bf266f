"""Layers: Linear, Embedding, Dropout, LayerNorm, the activations, Identity and Flatten.

Weights use PyTorch's layout and default initialisation, so a state_dict moves between the two.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from minigrad import ops
from minigrad.nn import functional as F
from minigrad.nn import init
from minigrad.nn.module import Module, Parameter
from minigrad.random import Generator
from minigrad.tensor import Tensor, get_default_dtype

__all__ = [
    "Dropout",
    "Embedding",
    "Flatten",
    "Identity",
    "LayerNorm",
    "Linear",
    "LogSoftmax",
    "ReLU",
    "Sigmoid",
    "Softmax",
    "Tanh",
]


def _dtype(dtype: Any) -> np.dtype:
    return get_default_dtype() if dtype is None else np.dtype(dtype)


class Linear(Module):
    """y = x Wᵀ + b.

    Weights:
        weight: (out_features, in_features), U(-1/√in_features, 1/√in_features) (PyTorch's default:
            ``kaiming_uniform_`` with a = √5).
        bias: (out_features,), U(-1/√in_features, 1/√in_features), or None with ``bias=False``.

    Args:
        in_features, out_features: sizes of x and y's last axis.
        bias: whether to add a bias.
        dtype: of the weights (the default dtype, float32, unless given).
        generator: to draw the initial weights from (the global generator by default).
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        dtype: Any = None,
        *,
        generator: Generator | None = None,
    ) -> None:
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        self.weight = Parameter(np.empty((out_features, in_features), dtype=_dtype(dtype)))
        if bias:
            self.bias = Parameter(np.empty((out_features,), dtype=_dtype(dtype)))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters(generator=generator)

    def reset_parameters(self, generator: Generator | None = None) -> None:
        """PyTorch's default initialisation (weight first, then bias: the same draws for the same seed)."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5), generator=generator)  # bound = 1/√fan_in
        if self.bias is not None:
            bound = 1 / math.sqrt(self.in_features) if self.in_features > 0 else 0.0
            init.uniform_(self.bias, -bound, bound, generator=generator)

    def forward(self, input: Tensor) -> Tensor:
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self) -> str:
        has_bias = self.bias is not None
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={has_bias}"


class Embedding(Module):
    """A lookup table: ``out[...] = weight[ids[...]]``.

    Weights:
        weight: (num_embeddings, embedding_dim), N(0, 1) as PyTorch's; the ``padding_idx`` row is zeros and
            gets no gradient (it stays whatever it is: zeros unless you change it).

    Args:
        num_embeddings: rows of the table (the vocabulary size).
        embedding_dim: size of each vector.
        padding_idx: a row reserved for padding (negative counts from the end), or None.
        dtype: of the table.
        generator: to draw the initial weights from.
    """

    def __init__(
        self,
        num_embeddings: int,
        embedding_dim: int,
        padding_idx: int | None = None,
        dtype: Any = None,
        *,
        generator: Generator | None = None,
    ) -> None:
        super().__init__()
        self.num_embeddings = num_embeddings
        self.embedding_dim = embedding_dim
        if padding_idx is not None:
            padding_idx = F._padding_index(padding_idx, num_embeddings)
        self.padding_idx = padding_idx
        self.weight = Parameter(np.empty((num_embeddings, embedding_dim), dtype=_dtype(dtype)))
        self.reset_parameters(generator=generator)

    def reset_parameters(self, generator: Generator | None = None) -> None:
        init.normal_(self.weight, generator=generator)
        if self.padding_idx is not None:
            self.weight.data[self.padding_idx] = 0

    def forward(self, input: Any) -> Tensor:
        return F.embedding(input, self.weight, self.padding_idx)

    def extra_repr(self) -> str:
        text = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            text += f", padding_idx={self.padding_idx}"
        return text


class Dropout(Module):
    """Inverted dropout in training (zero with probability p, scale the rest by 1/(1-p)); identity in eval.

    Args:
        p: probability of zeroing an element.
        inplace: accepted for PyTorch's signature; only False is supported (minigrad records no in-place op).
        generator: draw masks from this generator instead of the global one.
    """

    def __init__(self, p: float = 0.5, inplace: bool = False, *, generator: Generator | None = None) -> None:
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        if inplace:
            raise NotImplementedError("Dropout(inplace=True): minigrad records no in-place op; use False")
        self.p = p
        self.inplace = inplace
        self.generator = generator

    def forward(self, input: Tensor) -> Tensor:
        return F.dropout(input, self.p, self.training, generator=self.generator)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


class LayerNorm(Module):
    """(x - mean) / √(var + eps) · weight + bias over the last axes (``normalized_shape``).

    Weights (with ``elementwise_affine``):
        weight: normalized_shape, ones.
        bias: normalized_shape, zeros (None with ``bias=False``).
    """

    def __init__(
        self,
        normalized_shape: Any,
        eps: float = 1e-5,
        elementwise_affine: bool = True,
        bias: bool = True,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
        self.normalized_shape = shape
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        if elementwise_affine:
            self.weight = Parameter(np.ones(shape, dtype=_dtype(dtype)))
            if bias:
                self.bias = Parameter(np.zeros(shape, dtype=_dtype(dtype)))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def forward(self, input: Tensor) -> Tensor:
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (
            f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}, "
            f"bias={self.bias is not None}"
        )


class Tanh(Module):
    """tanh, elementwise."""

    def forward(self, input: Tensor) -> Tensor:
        return ops.tanh(input)


class Sigmoid(Module):
    """σ(x) = 1 / (1 + e^-x), elementwise."""

    def forward(self, input: Tensor) -> Tensor:
        return ops.sigmoid(input)


class ReLU(Module):
    """max(x, 0), elementwise (``inplace`` only False: minigrad records no in-place op)."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        if inplace:
            raise NotImplementedError("ReLU(inplace=True): minigrad records no in-place op; use False")
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return ops.relu(input)


class Softmax(Module):
    """softmax along ``dim`` (required: PyTorch's implicit choice of dim is deprecated)."""

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        return ops.softmax(input, dim=self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSoftmax(Module):
    """log softmax along ``dim`` (stable)."""

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        return ops.log_softmax(input, dim=self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class Identity(Module):
    """Returns its input (a placeholder: arguments are accepted and ignored, as PyTorch's)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()

    def forward(self, input: Any) -> Any:
        return input


class Flatten(Module):
    """Merge axes ``start_dim``..``end_dim`` (by default all but the batch axis): (N, *) -> (N, prod(*))."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, input: Tensor) -> Tensor:
        return ops.flatten(input, self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"
