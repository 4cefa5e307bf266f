"""Attention for encoder-decoder models: ``BahdanauAttention`` (additive) and ``LuongAttention`` (multiplicative).

The course's attention model: the decoder, about to produce y<t>, looks at every encoder activation
a<t'> (here the *keys*, the encoder's output ``memory``) and weighs them with

    e<t,t'>   = score(s<t-1>, a<t'>)                   how much y<t> should attend to a<t'>
    α<t,t'>   = exp(e<t,t'>) / Σ_t'' exp(e<t,t''>)      softmax over the source positions t'
    context<t> = Σ_t' α<t,t'> a<t'>

where s<t-1> (the *query*) is the decoder's state. The two classic scores:

- Bahdanau et al. 2015 (additive, "a small neural network"): ``e = vᵀ tanh(W_q s + W_k a)``.
- Luong et al. 2015 (multiplicative): ``e = sᵀ a`` ("dot") or ``e = sᵀ W a`` ("general").

Shapes follow seq's time-major layout: query (B, Hq), keys (S, B, Hk), mask (S, B) with True on the
real source positions. Padding positions get a weight of exactly 0, so a padded batch gives each
sequence the same context as it would get alone.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import minigrad
from minigrad import Tensor
from minigrad.nn import Linear, Module

__all__ = ["BahdanauAttention", "LuongAttention", "masked_softmax", "sequence_mask"]

_MASKED_SCORE = -1e9  # exp(-1e9 - max) underflows to exactly 0 in float32 and float64


def sequence_mask(lengths: Any, max_len: int | None = None) -> np.ndarray:
    """The (T, B) boolean mask of real positions: ``mask[t, b] = t < lengths[b]``.

    Args:
        lengths: (B,) integers.
        max_len: T (default: the longest length).

    Returns:
        (T, B) bool array, time-major as the rest of seq.
    """
    lengths = np.asarray(getattr(lengths, "data", lengths)).astype(np.int64)
    if lengths.ndim != 1:
        raise ValueError(f"sequence_mask: lengths must be 1-D (B,), got shape {lengths.shape}")
    T = int(lengths.max()) if max_len is None else int(max_len)
    return np.arange(T)[:, None] < lengths[None, :]  # (T, 1) < (1, B) -> (T, B)


def masked_softmax(scores: Tensor, mask: Any = None, axis: int = 0) -> Tensor:
    """softmax over ``axis`` that gives masked-out positions (mask False) a weight of exactly 0.

    The masked scores are replaced by a large negative number before the softmax (so they take no
    share of the probability) and the result is zeroed there again with ``where`` (so a row whose every
    position is masked gives all zeros instead of a uniform distribution over padding).

    Args:
        scores: any shape.
        mask: bool array broadcastable to ``scores`` (True = keep), or None for a plain softmax.
        axis: the axis to normalise over.
    """
    if mask is None:
        return minigrad.softmax(scores, axis=axis)
    mask = np.asarray(getattr(mask, "data", mask), dtype=bool)
    weights = minigrad.softmax(minigrad.where(mask, scores, _MASKED_SCORE), axis=axis)
    return minigrad.where(mask, weights, 0.0)


def _check_inputs(name: str, query: Tensor, keys: Tensor, mask: Any, query_dim: int, key_dim: int) -> Any:
    if query.ndim != 2 or keys.ndim != 3:
        raise ValueError(
            f"{name}: expected query (B, Hq) and keys (S, B, Hk), got shapes {tuple(query.shape)} and "
            f"{tuple(keys.shape)}"
        )
    if query.shape[0] != keys.shape[1]:
        raise ValueError(
            f"{name}: query has batch {query.shape[0]} but keys (S, B, Hk) have batch {keys.shape[1]}; keys are "
            "time-major (S, B, Hk) — transpose a batch-first memory with keys.transpose(0, 1)"
        )
    if query.shape[1] != query_dim or keys.shape[2] != key_dim:
        raise ValueError(
            f"{name}: built for query_dim={query_dim}, key_dim={key_dim}, got query (B, {query.shape[1]}) and "
            f"keys (S, B, {keys.shape[2]})"
        )
    if mask is None:
        return None
    mask = np.asarray(getattr(mask, "data", mask), dtype=bool)
    if mask.shape != tuple(keys.shape[:2]):
        raise ValueError(f"{name}: mask must have shape (S, B) = {tuple(keys.shape[:2])}, got {mask.shape}")
    return mask


def _attend(scores: Tensor, keys: Tensor, mask: Any) -> tuple:
    """Weights from scores (S, B) and the context they make of keys (S, B, Hk)."""
    alpha = masked_softmax(scores, mask, axis=0)  # (S, B): α<t,t'> over the source positions t'
    context = (alpha.unsqueeze(-1) * keys).sum(axis=0)  # (S, B, 1) * (S, B, Hk) summed over S -> (B, Hk)
    return context, alpha.transpose(0, 1)  # weights (S, B) -> (B, S)


class BahdanauAttention(Module):
    """Additive attention (Bahdanau, Cho & Bengio 2015): ``e<t'> = vᵀ tanh(W_q q + W_k k<t'> + b)``.

    This is the course's "small neural network" that computes e<t,t'> from s<t-1> and a<t'>: one
    hidden layer of ``attn_dim`` tanh units, then a linear read-out.

    Weights:
        query_proj.weight: (attn_dim, query_dim) W_q, no bias.
        key_proj.weight: (attn_dim, key_dim) W_k; key_proj.bias: (attn_dim,) b.
        v.weight: (1, attn_dim) vᵀ, no bias.

    Args:
        query_dim: Hq, the decoder state's size.
        key_dim: Hk, the encoder output's size (2 H for a bidirectional encoder).
        attn_dim: the hidden layer's size.

    Call ``attn(query, keys, mask=None)``: query (B, Hq), keys (S, B, Hk), mask (S, B) bool (True on real
    positions) or None. Returns ``context`` (B, Hk) and ``weights`` (B, S): non-negative, summing to 1 over
    the real positions, exactly 0 on the masked ones.
    """

    def __init__(self, query_dim: int, key_dim: int, attn_dim: int) -> None:
        super().__init__()
        self.query_dim, self.key_dim, self.attn_dim = query_dim, key_dim, attn_dim
        self.query_proj = Linear(query_dim, attn_dim, bias=False)
        self.key_proj = Linear(key_dim, attn_dim)
        self.v = Linear(attn_dim, 1, bias=False)

    def forward(self, query: Tensor, keys: Tensor, mask: Any = None) -> tuple[Tensor, Tensor]:
        """See the class docstring."""
        mask = _check_inputs("BahdanauAttention", query, keys, mask, self.query_dim, self.key_dim)
        hidden = minigrad.tanh(self.query_proj(query).unsqueeze(0) + self.key_proj(keys))  # (1,B,A)+(S,B,A)
        scores = self.v(hidden).squeeze(-1)  # (S, B, 1) -> (S, B): e<t'>
        return _attend(scores, keys, mask)

    def extra_repr(self) -> str:
        return f"query_dim={self.query_dim}, key_dim={self.key_dim}, attn_dim={self.attn_dim}"


class LuongAttention(Module):
    """Multiplicative attention (Luong, Pham & Manning 2015): ``e<t'> = qᵀ k<t'>`` or ``qᵀ W k<t'>``.

    Weights:
        ("general" only) weight.weight: (query_dim, key_dim) W, no bias.

    Args:
        query_dim: Hq; key_dim: Hk ("dot" needs Hq == Hk).
        method: "dot" (no parameters) or "general".

    Call ``attn(query, keys, mask=None)`` with the shapes of ``BahdanauAttention``; returns ``context``
    (B, Hk) and ``weights`` (B, S). Luong's decoder attends with its *current* state s<t> (Bahdanau's with
    s<t-1>); that choice belongs to the decoder, not to this module.
    """

    def __init__(self, query_dim: int, key_dim: int, method: str = "dot") -> None:
        super().__init__()
        if method not in ("dot", "general"):
            raise ValueError(f"LuongAttention: method must be 'dot' or 'general', got {method!r}")
        if method == "dot" and query_dim != key_dim:
            raise ValueError(
                f"LuongAttention(method='dot') scores qᵀk, so query_dim must equal key_dim; got {query_dim} and "
                f"{key_dim}. Use method='general' (qᵀ W k) to compare vectors of different sizes."
            )
        self.query_dim, self.key_dim, self.method = query_dim, key_dim, method
        if method == "general":
            self.weight = Linear(key_dim, query_dim, bias=False)  # k -> W k, of the query's size

    def forward(self, query: Tensor, keys: Tensor, mask: Any = None) -> tuple[Tensor, Tensor]:
        """See the class docstring."""
        mask = _check_inputs("LuongAttention", query, keys, mask, self.query_dim, self.key_dim)
        projected = keys if self.method == "dot" else self.weight(keys)  # (S, B, Hq)
        scores = (query.unsqueeze(0) * projected).sum(axis=-1)  # (1, B, Hq) * (S, B, Hq) summed -> (S, B)
        return _attend(scores, keys, mask)

    def extra_repr(self) -> str:
        return f"query_dim={self.query_dim}, key_dim={self.key_dim}, method={self.method!r}"
