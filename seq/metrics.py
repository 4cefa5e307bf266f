"""Evaluation metrics for sequence models, on plain numbers and NumPy arrays (no gradient).

- ``perplexity``: exp of the mean negative log-likelihood per token — the number of equally likely
  choices the model is "as confused as": a uniform model over V tokens has perplexity V.
- ``bits_per_char``: the same mean NLL in bits (nats / ln 2), the usual unit for character models.
- ``token_accuracy``, ``sequence_accuracy``, ``confusion_matrix``: for taggers, classifiers and decoders.
- ``score_sentence``: the course's P(sentence) = P(y<1>) P(y<2> | y<1>) ... under a ``LanguageModel``, with
  every term shown ("the apple and pear salad" against "the apple and pair salad").
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable
from typing import Any, NamedTuple

import numpy as np

import minigrad

__all__ = [
    "SentenceScore",
    "bits_per_char",
    "confusion_matrix",
    "perplexity",
    "score_sentence",
    "sequence_accuracy",
    "token_accuracy",
]


def _array(x: Any) -> np.ndarray:
    return np.asarray(getattr(x, "data", x))


def _mean_nll(x: Any, what: str) -> float:
    """One mean negative log-likelihood (a float, a 0-d array or a one-element Tensor), checked: a number >= 0."""
    value = _array(x)
    if value.size != 1:
        raise ValueError(f"{what} expects one number, the mean NLL per token; got shape {value.shape}: take the mean")
    if value.dtype.kind not in "iuf":
        raise TypeError(f"{what} expects a number (the mean NLL per token in nats), got dtype {value.dtype}")
    value = float(value.reshape(()))
    if not value >= 0.0:  # also refuses NaN
        raise ValueError(
            f"{what} expects a mean negative log-likelihood, which is >= 0; got {value}. A negative value is a "
            "mean log-likelihood (negate it); NaN means the loss diverged"
        )
    return value


def perplexity(mean_nll: Any) -> float:
    """exp(mean NLL): ``perplexity = exp(-(1/N) Σ_t log P(y<t> | y<1..t-1>))``.

    Args:
        mean_nll: the mean negative log-likelihood per token in nats (e.g. ``cross_entropy``'s mean), >= 0.

    Returns:
        The perplexity, >= 1 (``inf`` when the NLL is too large for a float, as ``torch.exp`` gives).
    """
    nll = _mean_nll(mean_nll, "perplexity")
    return math.exp(nll) if nll < 709.0 else math.inf  # exp(709.8) is the largest float64


def bits_per_char(mean_nll_nats: Any) -> float:
    """The mean NLL per character in bits: ``mean_nll_nats / ln 2`` (perplexity = 2^bpc)."""
    return _mean_nll(mean_nll_nats, "bits_per_char") / math.log(2.0)


def _targets(target: Any) -> np.ndarray:
    """The target ids, checked to be integers."""
    target = _array(target)
    if target.dtype.kind not in "iu":
        raise TypeError(f"target must hold integer ids, got dtype {target.dtype}")
    return target


def _predictions(pred: Any, target: np.ndarray) -> np.ndarray:
    """Predicted ids: ``pred`` itself, or its argmax over the last axis if it has one axis more (logits)."""
    pred = _array(pred)
    if pred.ndim == target.ndim + 1:
        pred = pred.argmax(axis=-1)  # logits (..., C) -> ids (...)
    elif pred.dtype.kind not in "iu":
        raise TypeError(
            f"pred has the target's number of axes but dtype {pred.dtype}: pass ids (integers), or logits with one "
            "more (class) axis at the end"
        )
    if pred.shape != target.shape:
        raise ValueError(
            f"pred has shape {pred.shape} and target {target.shape}: pass ids of the target's shape, or logits "
            "with one more (class) axis at the end"
        )
    return pred


def _is_int(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))


def _id_sequence(ids: Any, what: str) -> list[int]:
    """One sequence of ids as Python ints; a float or a bool is refused, not truncated."""
    ids = _array(ids)
    if ids.ndim != 1 or (ids.size and ids.dtype.kind not in "iu"):
        raise TypeError(f"{what} must hold sequences of integer ids, got one of shape {ids.shape} dtype {ids.dtype}")
    return [int(t) for t in ids]


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
    target = _targets(target)
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
    preds = [_id_sequence(s, "pred_seqs") for s in pred_seqs]
    targets = [_id_sequence(s, "target_seqs") for s in target_seqs]
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
    if not _is_int(num_classes) or num_classes < 1:
        raise ValueError(f"num_classes must be an int >= 1, got {num_classes!r}")
    target = _targets(target)
    pred = _predictions(pred, target)
    keep = _mask(mask, None, target)
    t, p = target[keep].astype(np.int64), pred[keep].astype(np.int64)
    for name, ids in (("target", t), ("pred", p)):
        if ids.size and (ids.min() < 0 or ids.max() >= num_classes):
            raise ValueError(f"confusion_matrix: {name} has class ids outside 0..{num_classes - 1}")
    counts = np.bincount(t * num_classes + p, minlength=num_classes * num_classes)  # one bin per (true, pred)
    return counts.reshape(num_classes, num_classes)  # (C * C,) -> (C, C)


# ---------------------------------------------------------------------------------------------------------------
# The probability of a sentence
# ---------------------------------------------------------------------------------------------------------------


class SentenceScore(NamedTuple):
    """A sentence scored by a language model: every token's conditional log-probability and their sum.

    Attributes:
        tokens: the scored symbols in order, as the vocabulary spells them (an unknown word is ``<unk>``;
            ``<eos>`` last when it was added); the ``<bos>`` the model starts from is not among them.
        log_probs: (len(tokens),) float64, ``log P(token | <bos>, every token before it)``, natural log.
        total: ``log P(sentence)`` = the sum of ``log_probs``.
    """

    tokens: list
    log_probs: np.ndarray
    total: float

    @property
    def probability(self) -> float:
        """P(sentence) = exp(total) (it underflows to 0 for long sentences: compare ``total`` instead)."""
        return math.exp(self.total)

    @property
    def perplexity(self) -> float:
        """exp(-total / len(tokens)): the perplexity of the model on this sentence."""
        return perplexity(-self.total / len(self.tokens))


def score_sentence(model: Any, vocab: Any, sentence: Any, add_eos: bool = True) -> SentenceScore:
    """The course's P(sentence) = P(y<1>) P(y<2> | y<1>) ... P(<EOS> | y<1>, ..., y<Ty>), term by term.

    The sentence is encoded by ``vocab``, ``<bos>`` is put first (the model's x<1>; it is given, not scored)
    and, with ``add_eos``, ``<eos>`` last (scored: the probability that the sentence ends there). The model
    reads it once (in eval mode, without a graph; its mode is restored) and every token's log-probability is
    taken from the softmax before it (``LanguageModel.token_log_probs``).

    Args:
        model: a ``seq.models.LanguageModel`` (anything with ``token_log_probs(ids (T, 1))``).
        vocab: a ``seq.text.Vocabulary`` (``encode``, ``symbol``, ``bos_id``, ``eos_id``).
        sentence: a text, or a list of tokens.
        add_eos: score the end of the sentence too (the course's ``<EOS>``).

    Returns:
        ``SentenceScore(tokens, log_probs, total)``; ``.probability`` and ``.perplexity`` follow from them.
    """
    model_size, vocab_size = getattr(model, "vocab_size", None), len(vocab)
    if model_size is not None and model_size != vocab_size:
        raise ValueError(
            f"the model predicts {model_size} tokens but the vocabulary has {vocab_size}: score with the vocabulary "
            "the model was trained with"
        )
    ids = [vocab.bos_id, *vocab.encode(sentence)] + ([vocab.eos_id] if add_eos else [])
    if len(ids) < 2:
        raise ValueError("there is nothing to score: the sentence is empty and add_eos=False")
    was_training = model.training
    model.eval()
    try:
        with minigrad.no_grad():
            terms = model.token_log_probs(np.array(ids, dtype=np.int64)[:, None])  # (T, 1) -> (T-1, 1)
    finally:
        model.train(was_training)
    log_probs = np.asarray(terms.data, dtype=np.float64).reshape(-1)  # (T-1, 1) -> (T-1,)
    return SentenceScore([vocab.symbol(i) for i in ids[1:]], log_probs, float(log_probs.sum()))
