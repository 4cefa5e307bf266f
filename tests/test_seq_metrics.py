"""seq.metrics against hand-computed values, and the perplexity of a uniform language model."""

from __future__ import annotations

import math

import numpy as np
import pytest

import minigrad
from minigrad.nn import functional as F
from seq.metrics import bits_per_char, confusion_matrix, perplexity, sequence_accuracy, token_accuracy
from seq.models import LanguageModel


def test_perplexity_and_bits_per_char_by_hand():
    assert perplexity(math.log(5.0)) == pytest.approx(5.0)
    assert perplexity(0.0) == 1.0
    assert perplexity(minigrad.tensor(math.log(3.0))) == pytest.approx(3.0)  # a loss tensor works too
    assert bits_per_char(math.log(2.0)) == pytest.approx(1.0)
    assert bits_per_char(math.log(8.0)) == pytest.approx(3.0)
    assert 2 ** bits_per_char(1.3) == pytest.approx(perplexity(1.3))


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_a_uniform_language_model_has_perplexity_equal_to_the_vocabulary_size(cell):
    V = 11
    model = LanguageModel(V, 4, 5, cell=cell)
    with minigrad.no_grad():
        model.decoder.weight.data[...] = 0.0  # every logit 0: ŷ = 1/V for every token
        model.decoder.bias.data[...] = 0.0
    ids = np.random.default_rng(0).integers(0, V, (7, 3))
    logits, _ = model(ids[:-1])
    loss = F.cross_entropy(logits.reshape(-1, V), ids[1:].reshape(-1))  # (T * B, V) against (T * B,)
    assert perplexity(loss) == pytest.approx(V, rel=1e-5)
    assert bits_per_char(loss) == pytest.approx(math.log2(V), rel=1e-5)


def test_token_accuracy_by_hand():
    pred = np.array([[1, 2], [3, 4], [5, 6]])  # (T, B)
    target = np.array([[1, 0], [3, 4], [0, 0]])
    assert token_accuracy(pred, target) == pytest.approx(3 / 6)
    assert token_accuracy(pred, target, pad_id=0) == pytest.approx(3 / 3)
    mask = np.array([[True, True], [True, False], [False, False]])
    assert token_accuracy(pred, target, mask=mask) == pytest.approx(2 / 3)
    assert token_accuracy(pred, target, mask=mask, pad_id=0) == pytest.approx(2 / 2)
    logits = np.eye(7)[pred] * 3.0  # (T, B, V) whose argmax is pred
    assert token_accuracy(minigrad.tensor(logits), target) == pytest.approx(3 / 6)
    with pytest.raises(ValueError, match="nothing to score"):
        token_accuracy(pred, target, mask=np.zeros((3, 2), dtype=bool))
    with pytest.raises(ValueError, match="shape"):
        token_accuracy(pred[:2], target)


def test_sequence_accuracy_by_hand():
    assert sequence_accuracy([[1, 2], [3], [4, 5]], [[1, 2], [3, 4], [4, 5]]) == pytest.approx(2 / 3)
    assert sequence_accuracy([np.array([1, 2])], [(1, 2)]) == 1.0
    assert sequence_accuracy([[1, 2, 3]], [[1, 2]]) == 0.0  # a longer prediction is wrong
    with pytest.raises(ValueError, match="2 predictions for 1 targets"):
        sequence_accuracy([[1], [2]], [[1]])


def test_confusion_matrix_by_hand():
    target = np.array([0, 0, 1, 2, 2, 2])
    pred = np.array([0, 1, 1, 2, 0, 2])
    expected = np.array([[1, 1, 0], [0, 1, 0], [1, 0, 2]])  # rows: true class, columns: predicted
    np.testing.assert_array_equal(confusion_matrix(pred, target, 3), expected)
    mask = np.array([True, True, True, True, False, True])
    np.testing.assert_array_equal(confusion_matrix(pred, target, 3, mask=mask), [[1, 1, 0], [0, 1, 0], [0, 0, 2]])
    np.testing.assert_array_equal(confusion_matrix(pred.reshape(2, 3), target.reshape(2, 3), 3), expected)
    assert np.trace(expected) / expected.sum() == token_accuracy(pred, target)
    with pytest.raises(ValueError, match=r"outside 0\.\.2"):
        confusion_matrix(pred + 1, target, 3)
