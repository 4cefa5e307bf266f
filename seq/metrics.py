"""Evaluation metrics for sequence models, on plain numbers and NumPy arrays (no gradient).

- ``perplexity``: exp of the mean negative log-likelihood per token — the number of equally likely
  choices the model is "as confused as": a uniform model over V tokens has perplexity V.
- ``bits_per_char``: the same mean NLL in bits (nats / ln 2), the usual unit for character models.
- ``token_accuracy``, ``sequence_accuracy``, ``confusion_matrix``: for taggers, classifiers and decoders.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

__all__ = ["bits_per_char", "confusion_matrix", "perplexity", "sequence_accuracy", "token_accuracy"]


def _number(x: Any) -> float:
    """A Python float from a float, a 0-d array or a one-element Tensor."""
    return float(np.asarray(getattr(x, "data", x)))


def _array(x: Any) -> np.ndarray:
    return np.asarray(getattr(x, "data", x))


def perplexity(mean_nll: Any) -> float:
    """exp(mean NLL): ``perplexity = exp(-(1/N) Σ_t log P(y<t> | y<1..t-1>))``.

    Args:
        mean_nll: the mean negative log-likelihood per token in nats (e.g. ``cross_entropy``'s mean).
    """
    return math.exp(_number(mean_nll))


def bits_per_char(mean_nll_nats: Any) -> float:
    """The mean NLL per character in bits: ``mean_nll_nats / ln 2`` (perplexity = 2^bpc)."""
    return _number(mean_nll_nats) / math.log(2.0)


def _predictions(pred: Any, target: np.ndarray) -> np.ndarray:
    """Predicted ids: ``pred`` itself, or its argmax over the last axis if it has one axis more (logits)."""
    pred = _array(pred)
    if pred.ndim == target.ndim + 1:
        pred = pred.argmax(axis=-1)  # logits (..., C) -> ids (...)
    if pred.shape != target.shape:
        raise ValueError(
            f"pred has shape {pred.shape} and target {target.shape}: pass ids of the target's shape, or logits "
            "with one more (class) axis at the end"
        )
    return pred


def _mask(mask: Any, pad_id: int | None, target: np.ndarray) -> np.ndarray:
    """Positions to count: ``mask`` (True = count) and not ``pad_id`` in the target."""
    keep = np.ones(target.shape, dtype=bool) if mask is None else _array(mask).astype(bool)
    if keep.shape != target.shape:
        raise ValueError(f"mask has shape {keep.shape}, the target {target.shape}: they must be equal")
    if pad_id is not None:
        keep = keep & (target != pad_id)
    return keep


def token_accuracy(pred: Any, target: Any, mask: Any = None, pad_id: int | None = None) -> float:
    """The fraction of counted positions where the predicted token equals the target.

    Args:
        pred: ids of the target's shape (e.g. (T, B)), or logits with a trailing class axis ((T, B, V)).
        target: integer ids.
        mask: bool, the target's shape: True where a position counts (e.g. ``seq.attention.sequence_mask``).
        pad_id: also skip the positions whose target is this id.

    Returns:
        correct / counted, a float in [0, 1]. Raises ValueError when nothing is counted.
    """
    target = _array(target)
    pred = _predictions(pred, target)
    keep = _mask(mask, pad_id, target)
    counted = int(keep.sum())
    if counted == 0:
        raise ValueError("token_accuracy: every position is masked or padding; there is nothing to score")
    return float(((pred == target) & keep).sum()) / counted


def sequence_accuracy(pred_seqs: Iterable, target_seqs: Iterable) -> float:
    """The fraction of sequences predicted exactly (same length, every token equal).

    Args:
        pred_seqs, target_seqs: equally many sequences of ids (lists, tuples or 1-D arrays), e.g. what
            ``seq.generate.greedy_decode`` returns and the references without <bos>/<eos>.
    """
    preds = [[int(t) for t in s] for s in pred_seqs]
    targets = [[int(t) for t in s] for s in target_seqs]
    if len(preds) != len(targets):
        raise ValueError(f"sequence_accuracy: {len(preds)} predictions for {len(targets)} targets")
    if not targets:
        raise ValueError("sequence_accuracy: no sequences to score")
    return sum(p == t for p, t in zip(preds, targets)) / len(targets)


def confusion_matrix(pred: Any, target: Any, num_classes: int, mask: Any = None) -> np.ndarray:
    """Counts ``M[i, j]`` of positions whose true class is i and predicted class is j.

    Args:
        pred: class ids of the target's shape, or logits with a trailing class axis.
        target: integer class ids in 0..num_classes-1.
        num_classes: C.
        mask: bool, the target's shape: only the True positions are counted.

    Returns:
        (C, C) int64: rows are true classes, columns predictions (scikit-learn's convention); the
        diagonal holds the correct ones.
    """
    target = _array(target)
    pred = _predictions(pred, target)
    keep = _mask(mask, None, target)
    t, p = target[keep].astype(np.int64), pred[keep].astype(np.int64)
    for name, ids in (("target", t), ("pred", p)):
        if ids.size and (ids.min() < 0 or ids.max() >= num_classes):
            raise ValueError(f"confusion_matrix: {name} has class ids outside 0..{num_classes - 1}")
    counts = np.bincount(t * num_classes + p, minlength=num_classes * num_classes)  # one bin per (true, pred)
    return counts.reshape(num_classes, num_classes)  # (C * C,) -> (C, C)
