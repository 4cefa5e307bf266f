"""seq.metrics against hand-computed values, and the perplexity of a uniform language model."""

from __future__ import annotations

import math

import numpy as np
import pytest

import minigrad
import seq
from minigrad.nn import functional as F
from seq.data import pad_sequences
from seq.metrics import (
    bits_per_char,
    confusion_matrix,
    perplexity,
    score_sentence,
    sequence_accuracy,
    token_accuracy,
)
from seq.models import LanguageModel
from seq.text import Vocabulary


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


# --------------------------------------------------------------------------------------------------
# score_sentence: the course's P(sentence), term by term
# --------------------------------------------------------------------------------------------------


def test_score_sentence_of_a_uniform_model_by_hand():
    vocab = Vocabulary.build(["the apple and pear salad"], level="word")
    V = len(vocab)
    model = LanguageModel(V, 3, 4, cell="gru", dropout=0.5)  # dropout: scoring must switch it off
    with minigrad.no_grad():
        model.decoder.weight.data[...] = 0.0  # every logit 0: P = 1/V for every token
        model.decoder.bias.data[...] = 0.0
    score = score_sentence(model, vocab, "The apple and pear salad")
    assert score.tokens == ["<unk>", "apple", "and", "pear", "salad", "<eos>"]  # "The" is not "the"
    np.testing.assert_allclose(score.log_probs, np.full(6, -math.log(V)), rtol=1e-6)
    assert score.total == pytest.approx(-6 * math.log(V), rel=1e-6)
    assert score.probability == pytest.approx(V**-6, rel=1e-5)
    assert score.perplexity == pytest.approx(V, rel=1e-5)
    assert model.training  # the mode is put back
    assert len(score_sentence(model, vocab, "pear salad", add_eos=False).tokens) == 2
    with pytest.raises(ValueError, match="nothing to score"):
        score_sentence(model, vocab, "", add_eos=False)
    with pytest.raises(ValueError, match="the model predicts 3 tokens but the vocabulary has 9"):
        score_sentence(LanguageModel(3, 2, 2), vocab, "pear salad")


def test_score_sentence_is_the_models_log_prob():
    vocab = Vocabulary.build(["a b c d"], level="word")
    minigrad.manual_seed(4)
    model = LanguageModel(len(vocab), 3, 4, cell="lstm").eval()
    score = score_sentence(model, vocab, ["a", "c", "b"])
    ids = np.array([vocab.bos_id, vocab["a"], vocab["c"], vocab["b"], vocab.eos_id])
    assert score.total == pytest.approx(model.log_prob(ids).item(), rel=1e-6)
    np.testing.assert_allclose(score.log_probs, model.token_log_probs(ids).data, rtol=1e-6)


def test_a_trained_word_model_prefers_the_pear_salad():
    """The course's example: "pair" is the more frequent word, but after "the apple and" the model picks "pear"."""
    sentences = seq.datasets.homophones(2000, seed=0)
    words = " ".join(sentences).split()
    assert words.count("pair") > words.count("pear")  # a unigram model would write "pair"
    vocab = Vocabulary.build(sentences, level="word", lower=True)
    encoded = [vocab.encode(s, add_bos=True, add_eos=True) for s in sentences]
    minigrad.manual_seed(0)
    model = LanguageModel(len(vocab), 16, 24, cell="gru")
    optimizer = minigrad.optim.Adam(model.parameters(), lr=0.03)
    rng = np.random.default_rng(0)
    for _ in range(200):
        ids, lengths = pad_sequences([encoded[i] for i in rng.integers(0, len(encoded), 32)], pad_id=vocab.pad_id)
        logits, _ = model(ids[:-1])  # (T-1, B, V)
        targets = ids[1:].copy()
        targets[np.arange(1, ids.shape[0])[:, None] >= lengths[None, :]] = -100  # padding is not scored
        loss = F.cross_entropy(logits.reshape(-1, len(vocab)), targets.reshape(-1), ignore_index=-100)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    pear = score_sentence(model, vocab, "The apple and pear salad")
    pair = score_sentence(model, vocab, "The apple and pair salad")
    assert pear.tokens[3] == "pear" and pair.tokens[3] == "pair"
    np.testing.assert_allclose(pear.log_probs[:3], pair.log_probs[:3], rtol=1e-6)  # the same first three words
    assert pear.log_probs[3] > pair.log_probs[3] + math.log(50)  # P(pear | the apple and) >= 50 P(pair | ...)
    assert pear.total > pair.total + math.log(10)


# --------------------------------------------------------------------------------------------------
# Bad input
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: perplexity(float("nan")), ValueError, "NaN means the loss diverged"),
        (lambda: perplexity(-0.5), ValueError, "negative value is a mean log-likelihood"),
        (lambda: bits_per_char(-1.0), ValueError, "mean negative log-likelihood, which is >= 0"),
        (lambda: perplexity(np.array([1.0, 2.0])), ValueError, "one number.*shape \\(2,\\): take the mean"),
        (lambda: perplexity("2.0"), TypeError, "expects a number"),
        (lambda: token_accuracy(np.array([[1, 2]]), np.array([1, 2])), ValueError, "shape"),
        (lambda: token_accuracy(np.array([0.9, 0.2]), np.array([1, 0])), TypeError, "pass ids \\(integers\\)"),
        (lambda: token_accuracy(np.array([1, 0]), np.array([1.0, 0.0])), TypeError, "target must hold integer"),
        (lambda: token_accuracy(np.array([1, 0]), np.array([1, 0]), mask=np.ones(3)), ValueError, "mask has shape"),
        (lambda: sequence_accuracy([[1.5, 2]], [[1, 2]]), TypeError, "pred_seqs must hold sequences of integer"),
        (lambda: sequence_accuracy([[1]], [[True]]), TypeError, "target_seqs must hold"),
        (lambda: sequence_accuracy([], []), ValueError, "no sequences"),
        (lambda: confusion_matrix(np.array([0]), np.array([0]), 2.5), ValueError, "num_classes must be an int >= 1"),
        (lambda: confusion_matrix(np.array([0]), np.array([0]), 0), ValueError, "num_classes must be an int >= 1"),
        (lambda: confusion_matrix(np.array([0, 1]), np.array([0]), 2), ValueError, "shape"),
    ],
)
def test_bad_input_is_refused_with_a_message(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_a_huge_nll_has_an_infinite_perplexity_as_torch_exp_gives():
    assert perplexity(1000.0) == math.inf
    assert perplexity(math.inf) == math.inf
    assert perplexity(np.float32(2.0)) == pytest.approx(math.exp(2.0))
