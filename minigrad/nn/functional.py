"""The functions behind the layers and losses (PyTorch's ``torch.nn.functional``), stateless.

Most are compositions of the engine's ops, so their gradients come for free: ``linear`` is a matmul and an
add, ``cross_entropy`` is ``log_softmax`` then a ``gather`` of the target's log-probability. Four are
dedicated ``Function``s, each tested against a composite twin: the embedding lookup (so the padding row gets
no gradient while the forward still reads it), ``logsigmoid`` (log σ(x) without overflow for any x),
``binary_cross_entropy`` (its logs are clamped at -100 as PyTorch's, and its backward must stay finite at
p = 0 and p = 1) and ``binary_cross_entropy_with_logits`` (a gradient without cancellation for any logit).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from minigrad import ops
from minigrad.autograd import Function, IndexGrad
from minigrad.ops.elementwise import stable_sigmoid
from minigrad.random import Generator, numpy_generator
from minigrad.tensor import Tensor

__all__ = [
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "dropout",
    "embedding",
    "l1_loss",
    "layer_norm",
    "linear",
    "log_softmax",
    "logsigmoid",
    "mse_loss",
    "nll_loss",
    "one_hot",
    "pad",
    "relu",
    "sigmoid",
    "softmax",
    "tanh",
]


def _tensor(x: Any, dtype: Any = None) -> Tensor:
    """``x`` as a Tensor (tensors are returned as they are)."""
    if isinstance(x, Tensor):
        return x
    return Tensor(np.asarray(x) if dtype is None else np.asarray(x, dtype=dtype))


def _array(x: Any) -> np.ndarray:
    return x.data if isinstance(x, Tensor) else np.asarray(x)


# --------------------------------------------------------------------------------------------------
# Layers
# --------------------------------------------------------------------------------------------------


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y = x Wᵀ + b, with W of shape (out_features, in_features) as PyTorch stores it.

    Args:
        input: (*, in_features).
        weight: (out_features, in_features).
        bias: (out_features,) or None.

    Returns:
        (*, out_features).
    """
    if input.ndim == 0 or input.shape[-1] != weight.shape[-1]:
        raise ValueError(
            f"linear: input has shape {tuple(input.shape)} and weight has shape {tuple(weight.shape)}; "
            f"the last dimension of the input must equal in_features = weight.shape[1] = {weight.shape[-1]}"
        )
    out = ops.matmul(input, ops.transpose(weight, 0, 1))  # (*, in) @ (in, out) -> (*, out)
    return out if bias is None else out + bias


class EmbeddingLookup(Function):
    """out[...] = weight[indices[...]]: rows of the table; the ``padding_idx`` row gets no gradient"""

    @staticmethod
    def forward(ctx, weight, indices, padding_idx):
        ctx.indices, ctx.padding_idx = indices, padding_idx
        return np.take(weight, indices, axis=0)  # (*indices.shape, embedding_dim)

    @staticmethod
    def backward(ctx, g):
        if ctx.padding_idx is not None:
            g = np.where((ctx.indices == ctx.padding_idx)[..., None], 0, g)  # the padding row is frozen
        # d weight[i]/d weight[j] = 1 if i == j: each row sums the gradients of the places that used it
        return IndexGrad(ctx.indices, g, accumulate=True), None, None


def embedding(input: Any, weight: Tensor, padding_idx: int | None = None) -> Tensor:
    """Look up rows of ``weight`` (num_embeddings, embedding_dim) at the integer ``input`` (*).

    Returns (*, embedding_dim). Positions equal to ``padding_idx`` read that row (its values as they are) but
    send it no gradient, as PyTorch's.
    """
    indices = _array(input)
    if indices.dtype.kind not in "iu":
        raise TypeError(f"embedding: indices must be integers, got dtype {indices.dtype}")
    n = weight.shape[0]
    if indices.size and (indices.min() < 0 or indices.max() >= n):
        bad = int(indices.min()) if indices.min() < 0 else int(indices.max())
        raise IndexError(f"embedding: index {bad} is out of range for a table of {n} rows (0..{n - 1})")
    if padding_idx is not None:
        padding_idx = _padding_index(padding_idx, n)
    return EmbeddingLookup.apply(weight, indices, padding_idx)


def _padding_index(padding_idx: int, num_embeddings: int) -> int:
    if not -num_embeddings <= padding_idx < num_embeddings:
        raise ValueError(f"padding_idx must be within num_embeddings = {num_embeddings}, got {padding_idx}")
    return padding_idx % num_embeddings


def dropout(input: Tensor, p: float = 0.5, training: bool = True, generator: Generator | None = None) -> Tensor:
    """Inverted dropout: zero each element with probability ``p`` and scale the rest by 1/(1-p).

    The expected value is unchanged, so evaluation (``training=False``) is the identity. The mask is drawn
    from ``generator`` or the global generator: the same seed gives the same mask.
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    keep = numpy_generator(generator).random(input.shape) >= p  # True with probability 1 - p
    scale = 0.0 if p == 1.0 else 1.0 / (1.0 - p)
    return input * Tensor((keep * scale).astype(input.dtype))


def layer_norm(
    input: Tensor,
    normalized_shape: Any,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise over the last ``len(normalized_shape)`` axes: (x - mean) / √(var + eps) · weight + bias.

    The variance is the biased one (divide by N), as PyTorch's.
    """
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    if tuple(input.shape[input.ndim - len(shape) :]) != shape or len(shape) > input.ndim:
        raise ValueError(
            f"layer_norm: normalized_shape {shape} must match the last dimensions of the input, "
            f"which has shape {tuple(input.shape)}"
        )
    axes = tuple(range(input.ndim - len(shape), input.ndim))
    mean = ops.mean(input, axes, keepdims=True)
    var = ops.var(input, axes, keepdims=True, correction=0)
    out = (input - mean) / ops.sqrt(var + eps)
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return out


def one_hot(tensor: Any, num_classes: int = -1) -> Tensor:
    """int64 one-hot vectors: shape (*, num_classes) for integer ``tensor`` (*); -1 infers max + 1."""
    indices = _array(tensor)
    if indices.dtype.kind not in "iu":
        raise TypeError(f"one_hot is only applicable to index tensors (integers), got dtype {indices.dtype}")
    if num_classes == -1:
        num_classes = int(indices.max()) + 1 if indices.size else 0
    if indices.size and (indices.min() < 0 or indices.max() >= num_classes):
        raise ValueError(
            f"one_hot: class values must be in [0, {num_classes}), got min {indices.min()}, max {indices.max()}"
        )
    return Tensor((indices[..., None] == np.arange(num_classes)).astype(np.int64))


def softmax(input: Tensor, dim: int) -> Tensor:
    """e^x_i / Σ_j e^x_j along ``dim`` (stable: computed from x - max)."""
    return ops.softmax(input, dim=dim)


def log_softmax(input: Tensor, dim: int) -> Tensor:
    """log softmax along ``dim``: x_i - logsumexp(x), stable."""
    return ops.log_softmax(input, dim=dim)


def relu(input: Tensor) -> Tensor:
    """max(x, 0), elementwise."""
    return ops.relu(input)


def tanh(input: Tensor) -> Tensor:
    """tanh x, elementwise."""
    return ops.tanh(input)


def sigmoid(input: Tensor) -> Tensor:
    """σ(x) = 1 / (1 + e^-x), elementwise (stable)."""
    return ops.sigmoid(input)


def log_sigmoid_array(x: np.ndarray) -> np.ndarray:
    """log σ(x) = -(max(-x, 0) + log(1 + e^-|x|)): e^-|x| ≤ 1 never overflows, log1p keeps tiny values."""
    return -(np.maximum(-x, 0) + np.log1p(np.exp(-np.abs(x))))


class LogSigmoid(Function):
    """log σ(x), finite for every x (no e^x overflow)"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return log_sigmoid_array(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * stable_sigmoid(-x)  # d log σ(x)/dx = 1 - σ(x) = σ(-x)


def logsigmoid(input: Tensor) -> Tensor:
    """log σ(x), stable for any x (``-logsigmoid(-x)`` is softplus)."""
    return LogSigmoid.apply(input)


def pad(input: Tensor, pad: Any, mode: str = "constant", value: float = 0.0) -> Tensor:
    """PyTorch's ``F.pad``: ``pad`` lists (before, after) pairs from the LAST axis backwards.

    ``pad=(1, 2)`` pads the last axis with 1 before and 2 after; ``(1, 2, 3, 4)`` also pads the axis before it
    with 3 and 4. Only ``mode="constant"`` and non-negative widths.
    """
    if mode != "constant":
        raise NotImplementedError(f"pad: only mode='constant' is implemented, got mode={mode!r}")
    pad = tuple(int(w) for w in pad)
    if len(pad) % 2 or len(pad) // 2 > input.ndim:
        raise ValueError(
            f"pad: expected an even number of widths, at most 2 per dimension of the input (shape "
            f"{tuple(input.shape)}), got {len(pad)}: {pad}"
        )
    if any(w < 0 for w in pad):
        raise ValueError(f"pad: negative widths (cropping) are not supported, got {pad}")
    widths = [(0, 0)] * input.ndim
    for k in range(len(pad) // 2):
        widths[input.ndim - 1 - k] = (pad[2 * k], pad[2 * k + 1])  # pair k pads axis -1-k
    return ops.pad(input, widths, value)


# --------------------------------------------------------------------------------------------------
# Losses
# --------------------------------------------------------------------------------------------------


def _reduce(loss: Tensor, reduction: str, denominator: float | None = None) -> Tensor:
    """Apply ``reduction`` to per-element losses; 'mean' divides by ``denominator`` (default: the count).

    A zero ``denominator`` (every entry ignored) gives NaN with a zero gradient, as PyTorch's: the NaN is
    selected by ``where`` instead of computed as 0/0, so backward sends 0 and raises no warning.
    """
    if reduction == "none":
        return loss
    if reduction == "sum":
        return ops.sum(loss)
    if reduction == "mean":
        if denominator is None:
            return ops.mean(loss)
        if denominator == 0:
            return ops.where(np.array(False), ops.sum(loss), np.nan)
        return ops.sum(loss) / denominator
    raise ValueError(f"{reduction!r} is not a valid value for reduction: use 'none', 'mean' or 'sum'")


def _check_reduction(reduction: str) -> None:
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction!r} is not a valid value for reduction: use 'none', 'mean' or 'sum'")


def _check_same_shape(input: Tensor, target: Any, name: str) -> None:
    target_shape = tuple(np.shape(_array(target)))
    if tuple(input.shape) != target_shape:
        raise ValueError(
            f"{name}: target has shape {target_shape} but input has shape {tuple(input.shape)}; they must be "
            "equal (minigrad does not broadcast a target: reshape it, e.g. target.reshape(input.shape))"
        )


def _class_dim(input: Tensor, name: str) -> int:
    if input.ndim == 0:
        raise ValueError(f"{name}: input must have a class dimension, got a 0-d tensor")
    return 0 if input.ndim == 1 else 1


def _class_targets(input: Tensor, target: Any, ignore_index: int, name: str) -> tuple:
    """Check class-index targets; return (targets with ignored entries set to 0, mask of kept entries)."""
    target = _array(target)
    cdim = _class_dim(input, name)
    expected = tuple(input.shape[:cdim]) + tuple(input.shape[cdim + 1 :])
    if target.dtype.kind not in "iu":
        raise TypeError(f"{name}: class-index targets must be integers, got dtype {target.dtype}")
    if tuple(target.shape) != expected:
        raise ValueError(
            f"{name}: for input of shape {tuple(input.shape)} (classes on dim {cdim}) the target must have "
            f"shape {expected}, got {tuple(target.shape)}"
        )
    kept = target != ignore_index
    n_classes = input.shape[cdim]
    bad = kept & ((target < 0) | (target >= n_classes))
    if bad.any():
        raise IndexError(
            f"{name}: target {int(target[bad].flat[0])} is out of bounds for {n_classes} classes "
            f"(valid: 0..{n_classes - 1}, or ignore_index={ignore_index})"
        )
    return np.where(kept, target, 0), kept


def _class_weights(weight: Any, n_classes: int, dtype: Any, name: str) -> np.ndarray | None:
    if weight is None:
        return None
    w = _array(weight).astype(dtype, copy=False)
    if w.shape != (n_classes,):
        raise ValueError(f"{name}: weight must have shape ({n_classes},), one per class, got {w.shape}")
    return w


def _broadcast_class(w: np.ndarray, ndim: int, cdim: int) -> np.ndarray:
    """Per-class weights shaped to broadcast along the class dim of an input with ``ndim`` axes."""
    return w.reshape((-1,) + (1,) * (ndim - cdim - 1))  # (C, 1, ..., 1)


def nll_loss(
    input: Tensor,
    target: Any,
    weight: Any = None,
    ignore_index: int = -100,
    reduction: str = "mean",
) -> Tensor:
    """Negative log-likelihood of class indices given log-probabilities.

    ``loss_i = -weight[t_i] · input[i, t_i]`` (0 where ``t_i == ignore_index``); 'mean' divides the sum by
    Σ weight[t_i] over the kept entries, as PyTorch's. Input (N, C), (C,) or (N, C, d1, ...); target (N,),
    () or (N, d1, ...).
    """
    return _nll(input, target, weight, ignore_index, reduction, 0.0, "nll_loss")


def _nll(
    logp: Tensor,
    target: Any,
    weight: Any,
    ignore_index: int,
    reduction: str,
    label_smoothing: float,
    name: str,
) -> Tensor:
    """The class-index loss on log-probabilities ``logp``, with optional label smoothing."""
    _check_reduction(reduction)
    cdim = _class_dim(logp, name)
    n_classes = logp.shape[cdim]
    safe, kept = _class_targets(logp, target, ignore_index, name)
    w = _class_weights(weight, n_classes, logp.dtype, name)
    w_target = (kept if w is None else w[safe] * kept).astype(logp.dtype)  # weight per entry, 0 if ignored
    index = np.expand_dims(safe, cdim)  # (N, 1, d1, ...): the target class, on the class dim
    picked = ops.squeeze(ops.gather(logp, cdim, index), cdim)  # (N, d1, ...): log p of the target class
    loss = -(picked * Tensor(w_target))
    if label_smoothing > 0.0:
        # the smoothed target puts ε/C on every class: -Σ_c w_c log p_c, for kept entries only
        per_class = logp if w is None else logp * Tensor(_broadcast_class(w, logp.ndim, cdim))
        smooth = -ops.sum(per_class, cdim) * Tensor(kept.astype(logp.dtype))
        loss = (1.0 - label_smoothing) * loss + (label_smoothing / n_classes) * smooth
    return _reduce(loss, reduction, denominator=float(w_target.sum()))


def cross_entropy(
    input: Tensor,
    target: Any,
    weight: Any = None,
    ignore_index: int = -100,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> Tensor:
    """Cross-entropy between logits ``input`` and class indices or class probabilities ``target``.

    Class indices (integer target of shape (N,), () or (N, d1, ...) for input (N, C), (C,) or
    (N, C, d1, ...)): ``loss_i = -weight[t_i] · log_softmax(x_i)[t_i]``; entries with
    ``t_i == ignore_index`` are 0 and not counted; 'mean' divides by Σ weight[t_i] over the counted
    entries. If every entry is ignored, 'mean' returns NaN (0/0) with a zero gradient and 'sum' returns 0,
    exactly as torch 2.13 does (a batch of padding only: skip it, or use 'sum' and divide by a count you
    choose).

    Class probabilities (float target of the input's shape):
    ``loss_i = -Σ_c weight_c · t_ic · log_softmax(x_i)_c``; 'mean' divides by the number of entries
    (N · d1 · ...), without the weights, as PyTorch.

    ``label_smoothing`` ε mixes the target with the uniform distribution: (1 - ε) · target + ε / C.

    Args:
        input: logits, classes on dim 1 (dim 0 for a single unbatched example).
        target: class indices (integers) or probabilities (floats, same shape as input).
        weight: (C,) weight per class, or None.
        ignore_index: a class-index target to skip (-100 by default).
        reduction: 'none', 'mean' or 'sum'.
        label_smoothing: ε in [0, 1].
    """
    _check_reduction(reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"label_smoothing must be between 0.0 and 1.0, got {label_smoothing}")
    cdim = _class_dim(input, "cross_entropy")
    logp = ops.log_softmax(input, dim=cdim)
    target_array = _array(target)
    if target_array.dtype.kind != "f":
        return _nll(logp, target, weight, ignore_index, reduction, label_smoothing, "cross_entropy")
    _check_same_shape(input, target, "cross_entropy (class probabilities)")
    n_classes = input.shape[cdim]
    probs = _tensor(target)
    if label_smoothing > 0.0:
        probs = probs * (1.0 - label_smoothing) + label_smoothing / n_classes
    terms = logp * probs
    w = _class_weights(weight, n_classes, input.dtype, "cross_entropy")
    if w is not None:
        terms = terms * Tensor(_broadcast_class(w, input.ndim, cdim))
    loss = -ops.sum(terms, cdim)
    return _reduce(loss, reduction)


_BCE_EPS = float(np.float32(1e-12))  # PyTorch's EPS: the C++ float 1e-12, i.e. 9.99999996e-13


class BinaryCrossEntropy(Function):
    """-(t · log p + (1 - t) · log(1 - p)), each log clamped at -100 (PyTorch's guard against log 0)"""

    @staticmethod
    def forward(ctx, p, t):
        ctx.save_for_backward(p, t)
        with np.errstate(divide="ignore"):  # log 0 = -inf, then clamped
            log_p = np.maximum(np.log(p), -100.0)
            log_1mp = np.maximum(np.log1p(-p), -100.0)
        ctx.log_p, ctx.log_1mp = log_p, log_1mp
        return -(t * log_p + (1 - t) * log_1mp)

    @staticmethod
    def backward(ctx, g):
        p, t = ctx.saved_tensors
        # d loss/dp = (p - t) / (p (1 - p)), denominator clamped at 1e-12 as PyTorch's (finite at p = 0, 1)
        dp = g * (p - t) / np.maximum(p * (1 - p), _BCE_EPS) if ctx.needs_input_grad[0] else None
        # d loss/dt = log(1 - p) - log p (with the clamped logs)
        dt = g * (ctx.log_1mp - ctx.log_p) if ctx.needs_input_grad[1] else None
        return dp, dt


def binary_cross_entropy(
    input: Tensor,
    target: Any,
    weight: Any = None,
    reduction: str = "mean",
) -> Tensor:
    """Binary cross-entropy of probabilities ``input`` in [0, 1] and targets of the same shape.

    ``loss = -weight · (t log p + (1 - t) log(1 - p))`` with each log clamped at -100, as PyTorch's, so p = 0
    or 1 gives a finite loss. For logits use ``binary_cross_entropy_with_logits`` (stable and exact).
    """
    _check_reduction(reduction)
    _check_same_shape(input, target, "binary_cross_entropy")
    p = input.data
    if p.size and not ((p >= 0) & (p <= 1)).all():
        raise ValueError(
            "binary_cross_entropy: all elements of input should be between 0 and 1 (probabilities); "
            f"got min {p.min()}, max {p.max()}. For logits use binary_cross_entropy_with_logits."
        )
    loss = BinaryCrossEntropy.apply(input, _tensor(target, input.dtype))
    if weight is not None:
        loss = loss * _tensor(weight, input.dtype)
    return _reduce(loss, reduction)


class BinaryCrossEntropyWithLogits(Function):
    """(1 - t) · x - (1 + (pw - 1) · t) · log σ(x): binary cross-entropy of a logit x, exact for any x

    Composed from ops, the gradient would be (1 - t) - (1 + (pw - 1) t) σ(-x), which cancels to 0 where the
    true value is tiny (σ(-40) = 4e-18 for x = -40, t = 0). Written as a sum of two terms, one per class of
    target, it is exact on both sides (PyTorch's σ(x) - t rounds to 0 at x = 40, t = 1: the two agree to
    1e-17 in absolute terms). ``pos_weight`` (pw) is a constant array or None.
    """

    @staticmethod
    def forward(ctx, x, t, pos_weight):
        log_sig = log_sigmoid_array(x)
        pw = 1.0 if pos_weight is None else pos_weight
        ctx.save_for_backward(x, t, log_sig)
        ctx.pw = pw
        return (1 - t) * x - (1 + (pw - 1) * t) * log_sig

    @staticmethod
    def backward(ctx, g):
        x, t, log_sig = ctx.saved_tensors
        pw = ctx.pw
        # d loss/dx = (1 - t) σ(x) - pw t σ(-x)   (σ(x) - t without pos_weight, with no cancellation)
        dx = g * ((1 - t) * stable_sigmoid(x) - pw * t * stable_sigmoid(-x))
        # d loss/dt = -x - (pw - 1) log σ(x)
        dt = g * (-x - (pw - 1) * log_sig) if ctx.needs_input_grad[1] else None
        return dx, dt, None


def binary_cross_entropy_with_logits(
    input: Tensor,
    target: Any,
    weight: Any = None,
    reduction: str = "mean",
    pos_weight: Any = None,
) -> Tensor:
    """Binary cross-entropy of logits: ``-w · (pw · t · log σ(x) + (1 - t) · log(1 - σ(x)))``.

    Written as ``(1 - t) · x - (1 + (pw - 1) · t) · log σ(x)`` (as log(1 - σ(x)) = log σ(x) - x) with a
    stable log σ: exact for any logit, values and gradients, as PyTorch's (``BinaryCrossEntropyWithLogits``;
    its composite twin is ``(1 - t) * x - (1 + (pw - 1) * t) * logsigmoid(x)``). ``pos_weight`` (broadcast
    along the last axis, one per class) weighs the positive term; ``weight`` weighs each element.
    """
    _check_reduction(reduction)
    _check_same_shape(input, target, "binary_cross_entropy_with_logits")
    pw = None if pos_weight is None else _array(pos_weight).astype(input.dtype, copy=False)
    loss = BinaryCrossEntropyWithLogits.apply(input, _tensor(target, input.dtype), pw)
    if weight is not None:
        loss = loss * _tensor(weight, input.dtype)
    return _reduce(loss, reduction)


def mse_loss(input: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """Squared error (x - y)², reduced. Shapes must be equal."""
    _check_reduction(reduction)
    _check_same_shape(input, target, "mse_loss")
    diff = input - _tensor(target, input.dtype)
    return _reduce(diff * diff, reduction)


def l1_loss(input: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """Absolute error |x - y|, reduced (the gradient at 0 is 0, as PyTorch's). Shapes must be equal."""
    _check_reduction(reduction)
    _check_same_shape(input, target, "l1_loss")
    return _reduce(ops.abs(input - _tensor(target, input.dtype)), reduction)
