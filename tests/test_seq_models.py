"""seq.attention and seq.models: gradients, masking, padding invariance, the course's tasks learnt."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minigrad
from minigrad.nn import functional as F
from minigrad.optim import Adam
from minigrad.testing import assert_gradients_match
from seq.attention import BahdanauAttention, LuongAttention, masked_softmax, sequence_mask
from seq.generate import greedy_decode
from seq.metrics import sequence_accuracy
from seq.models import LanguageModel, Seq2Seq, SequenceClassifier, SequenceTagger

ATTENTIONS = ["bahdanau", "dot", "general"]
PAD, BOS, EOS = 0, 1, 2  # the special ids of the generated tasks below


def make_attention(kind: str, query_dim: int, key_dim: int):
    if kind == "bahdanau":
        return BahdanauAttention(query_dim, key_dim, attn_dim=3)
    return LuongAttention(query_dim, key_dim, method=kind)


def train(model, batches, loss_fn, steps: int, lr: float) -> list:
    """Adam on ``loss_fn(model, *batches(step))`` for ``steps`` steps; returns the losses."""
    optimizer = Adam(model.parameters(), lr=lr)
    losses = []
    for step in range(steps):
        loss = loss_fn(model, *batches(step))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


# --------------------------------------------------------------------------------------------------
# Attention
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ATTENTIONS)
def test_attention_gradients_match_finite_differences(kind):
    minigrad.set_default_dtype(np.float64)
    S, B, H = 4, 2, 3
    attn = make_attention(kind, H, H)
    query = minigrad.randn(B, H, requires_grad=True)
    keys = minigrad.randn(S, B, H, requires_grad=True)
    mask = sequence_mask(np.array([4, 2]), S)

    def attend(q, k, *params):
        return attn(q, k, mask)  # (context, weights): both outputs are checked

    assert_gradients_match(attend, query, keys, *attn.parameters())


def test_attention_parameters_are_checked():
    """The gradchecks above see every weight: Bahdanau has W_q, W_k, b_k, v; general has W; dot none."""
    assert [p.shape for p in make_attention("bahdanau", 3, 5).parameters()] == [(3, 3), (3, 5), (3,), (1, 3)]
    assert [p.shape for p in make_attention("general", 3, 5).parameters()] == [(3, 5)]
    assert list(make_attention("dot", 3, 3).parameters()) == []


@given(
    kind=st.sampled_from(ATTENTIONS),
    lengths=st.lists(st.integers(1, 5), min_size=1, max_size=3),
    seed=st.integers(0, 2**16),
)
def test_attention_weights_are_a_distribution_over_the_real_positions(kind, lengths, seed):
    minigrad.set_default_dtype(np.float64)
    minigrad.manual_seed(seed)
    lengths = np.array(lengths)
    S, B, H = int(lengths.max()) + 1, len(lengths), 4
    attn = make_attention(kind, H, H)
    query, keys = minigrad.randn(B, H), minigrad.randn(S, B, H) * 3.0
    mask = sequence_mask(lengths, S)
    context, weights = attn(query, keys, mask)
    w = weights.data  # (B, S)
    assert w.shape == (B, S) and context.shape == (B, H)
    assert np.all(w >= 0)
    np.testing.assert_allclose(w.sum(axis=1), 1.0, rtol=1e-12)
    assert np.all(w[~mask.T] == 0.0)  # exactly zero on padding
    # what sits in the padding never reaches the context
    garbage = keys.data.copy()
    garbage[~mask] = 1e3
    context2, weights2 = attn(query, minigrad.tensor(garbage), mask)
    np.testing.assert_allclose(context2.data, context.data, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(weights2.data, w, rtol=1e-12, atol=1e-15)


def test_masked_softmax_without_a_real_position_is_all_zero():
    scores = minigrad.tensor([[1.0, 2.0], [3.0, 4.0]])
    weights = masked_softmax(scores, np.array([[True, False], [True, False]]), axis=0)
    np.testing.assert_array_equal(weights.data[:, 1], 0.0)
    np.testing.assert_allclose(weights.data[:, 0].sum(), 1.0)


def test_errors_say_what_to_do():
    with pytest.raises(ValueError, match="method='general'"):
        LuongAttention(3, 5, method="dot")
    with pytest.raises(ValueError, match="transpose"):
        make_attention("bahdanau", 3, 3)(minigrad.randn(2, 3), minigrad.randn(2, 4, 3))
    with pytest.raises(ValueError, match="embed_dim must equal hidden_size"):
        LanguageModel(10, 4, 6, tie_weights=True)
    with pytest.raises(ValueError, match="bidirectional_encoder=False"):
        Seq2Seq(5, 5, 4, 3, attention="luong-dot")
    with pytest.raises(ValueError, match="cell must be"):
        SequenceClassifier(5, 4, 3, 2, cell="transformer")


# --------------------------------------------------------------------------------------------------
# LanguageModel
# --------------------------------------------------------------------------------------------------


def test_language_model_shapes_state_and_tied_weights():
    minigrad.set_default_dtype(np.float64)
    model = LanguageModel(7, 5, 5, cell="lstm", num_layers=2, tie_weights=True)
    assert model.decoder.weight is model.embedding.weight
    names = [name for name, _ in model.named_parameters()]
    assert "decoder.weight" not in names and "embedding.weight" in names  # one shared Parameter
    ids = np.random.default_rng(0).integers(0, 7, (6, 3))
    logits, (h, c) = model(ids)
    assert logits.shape == (6, 3, 7) and h.shape == c.shape == (2, 3, 5)
    # the state carries across windows: two halves with the state passed on give the whole
    first, state = model(ids[:3], model.init_state(3))
    second, _ = model(ids[3:], state)
    np.testing.assert_allclose(np.concatenate([first.data, second.data]), logits.data, rtol=1e-12, atol=1e-14)
    # the tied matrix gets gradient from both its uses
    logits.sum().backward()
    assert model.embedding.weight.grad is not None and np.abs(model.embedding.weight.grad).sum() > 0


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_language_model_learns_a_periodic_string(cell):
    minigrad.manual_seed(0)
    text = np.arange(44) % 5  # "abcdeabcde..."
    ids = np.stack([text[i : i + 20] for i in range(4)], axis=1)  # (T=20, B=4)
    targets = np.stack([text[i + 1 : i + 21] for i in range(4)], axis=1)  # x<t+1> = y<t>
    model = LanguageModel(5, 8, 16, cell=cell)

    def loss_fn(m, x, y):
        logits, _ = m(x)
        return F.cross_entropy(logits.reshape(-1, 5), y.reshape(-1))  # (T * B, V) against (T * B,)

    losses = train(model, lambda step: (ids, targets), loss_fn, steps=40, lr=0.05)
    assert losses[-1] < losses[0] / 20, losses[::10]


# --------------------------------------------------------------------------------------------------
# LanguageModel.log_prob: the course's P(y<1>, ..., y<Ty>) as a chain of conditionals
# --------------------------------------------------------------------------------------------------


def sharp_language_model(V: int, cell: str, seed: int) -> LanguageModel:
    minigrad.set_default_dtype(np.float64)
    minigrad.manual_seed(seed)
    model = LanguageModel(V, 4, 5, cell=cell)
    model.decoder.weight.data *= 4  # far from uniform, so a wrong index or shift shows
    return model.eval()


@given(
    cell=st.sampled_from(["lstm", "gru", "rnn"]),
    lengths=st.lists(st.integers(2, 6), min_size=1, max_size=3),
    seed=st.integers(0, 2**16),
)
def test_token_log_probs_are_the_chain_of_conditionals_one_prefix_at_a_time(cell, lengths, seed):
    V = 6
    model = sharp_language_model(V, cell, seed)
    rng = np.random.default_rng(seed)
    T = max(lengths)
    ids = rng.integers(0, V, (T, len(lengths)))  # (T, B); past each length: padding of any value
    terms = model.token_log_probs(ids, np.array(lengths))  # (T-1, B)
    totals = model.log_prob(ids, np.array(lengths))  # (B,)
    assert terms.shape == (T - 1, len(lengths)) and totals.shape == (len(lengths),)
    for b, n in enumerate(lengths):
        for t in range(1, n):
            logits, _ = model(ids[:t, b : b + 1])  # the prefix y<1..t-1> of sequence b: (t, 1)
            expected = np.log(minigrad.softmax(logits, dim=-1).data[-1, 0, ids[t, b]])  # log ŷ<t>[y<t>]
            assert abs(terms.data[t - 1, b] - expected) < 1e-12
        assert np.all(terms.data[n - 1 :, b] == 0.0)  # past the length: nothing
        alone = model.log_prob(ids[:n, b]).item()  # the sequence without any padding, as 1-D ids
        assert abs(totals.data[b] - alone) < 1e-12


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_the_probabilities_of_every_continuation_sum_to_one(cell):
    """Σ over all y<1..3> of P(y<1>, y<2>, y<3> | <bos>) = 1: log_prob is a normalised distribution."""
    V, bos = 4, 0
    model = sharp_language_model(V, cell, 1)
    continuations = np.array(np.meshgrid(*[np.arange(V)] * 3, indexing="ij")).reshape(3, -1)  # (3, V**3)
    ids = np.concatenate([np.full((1, V**3), bos), continuations])  # (4, 64): <bos> then every continuation
    with minigrad.no_grad():
        probabilities = np.exp(model.log_prob(ids).data)
    assert abs(probabilities.sum() - 1.0) < 1e-12
    assert probabilities.max() > 2 / V**3 > 4 * probabilities.min()  # far from uniform: not 1 by accident


def test_minus_the_mean_token_log_prob_is_the_training_loss_with_its_gradient():
    V, model = 7, sharp_language_model(7, "gru", 3)
    ids = np.random.default_rng(0).integers(0, V, (6, 3))  # (T, B)
    loss_from_log_prob = -model.token_log_probs(ids).mean()
    loss_from_log_prob.backward()
    grads = [p.grad.copy() for p in model.parameters()]
    model.zero_grad()
    logits, _ = model(ids[:-1])
    loss = F.cross_entropy(logits.reshape(-1, V), ids[1:].reshape(-1))  # (T-1) * B tokens
    loss.backward()
    assert abs(loss_from_log_prob.item() - loss.item()) < 1e-12
    for g, p in zip(grads, model.parameters()):
        np.testing.assert_allclose(g, p.grad, rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize(
    ("ids", "lengths", "message"),
    [
        (np.array([[1.0], [2.0]]), None, "integer token ids"),
        (np.array([[1]]), None, "at least one more, got T=1"),
        (np.array([[1], [9]]), None, r"ids must be in 0\.\.6"),
        (np.array([[1], [-1]]), None, r"ids must be in 0\.\.6"),
        (np.zeros((2, 2, 2), dtype=np.int64), None, "shape \\(T, B\\) or \\(T,\\)"),
        (np.ones((3, 2), dtype=np.int64), np.array([3]), "one per sequence"),
        (np.ones((3, 2), dtype=np.int64), np.array([3.0, 2.0]), "one per sequence"),
        (np.ones((3, 2), dtype=np.int64), np.array([1, 3]), r"lengths must be in 2\.\.T=3"),
        (np.ones((3, 2), dtype=np.int64), np.array([2, 4]), r"lengths must be in 2\.\.T=3"),
    ],
)
def test_log_prob_refuses_bad_ids_and_lengths(ids, lengths, message):
    with pytest.raises(ValueError, match=message):
        sharp_language_model(7, "rnn", 0).log_prob(ids, lengths)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: LanguageModel(5.5, 4, 4), "vocab_size must be an int >= 1, got 5.5"),
        (lambda: LanguageModel(0, 4, 4), "vocab_size must be an int >= 1, got 0"),
        (lambda: LanguageModel(5, True, 4), "embed_dim must be an int >= 1, got True"),
        (lambda: SequenceClassifier(5, 4, 4, num_classes=0), "num_classes must be an int >= 1"),
        (lambda: SequenceTagger(5, 4, 4, num_tags=2.0), "num_tags must be an int >= 1"),
        (lambda: Seq2Seq(5, -6, 4, 4), "tgt_vocab must be an int >= 1, got -6"),
    ],
)
def test_models_refuse_sizes_that_are_not_positive_ints(build, message):
    with pytest.raises(ValueError, match=message):
        build()


# --------------------------------------------------------------------------------------------------
# Classifier and tagger: padding invariance and learning
# --------------------------------------------------------------------------------------------------


@given(
    cell=st.sampled_from(["lstm", "gru", "rnn"]),
    bidirectional=st.booleans(),
    num_layers=st.integers(1, 2),
    lengths=st.lists(st.integers(1, 5), min_size=1, max_size=3),
    extra=st.integers(1, 3),
    seed=st.integers(0, 2**16),
)
def test_padding_never_changes_classifier_or_tagger_outputs(cell, bidirectional, num_layers, lengths, extra, seed):
    minigrad.set_default_dtype(np.float64)
    minigrad.manual_seed(seed)
    rng = np.random.default_rng(seed)
    lengths = np.array(lengths)
    V, T, B = 6, int(lengths.max()), len(lengths)
    ids = rng.integers(0, V, (T, B))
    padded = np.concatenate([ids, rng.integers(0, V, (extra, B))])  # (T + extra, B): garbage past T
    padded[np.arange(T + extra)[:, None] >= lengths[None, :]] = rng.integers(0, V)  # and past each length
    kwargs = {"cell": cell, "bidirectional": bidirectional, "num_layers": num_layers}
    classifier = SequenceClassifier(V, 3, 4, 3, **kwargs)
    tagger = SequenceTagger(V, 3, 4, 5, **kwargs)
    real = sequence_mask(lengths, T)  # (T, B)

    expected = classifier(ids, lengths).data  # (B, C)
    np.testing.assert_allclose(classifier(padded, lengths).data, expected, rtol=1e-10, atol=1e-12)
    tags = tagger(ids, lengths).data  # (T, B, K)
    tags_padded = tagger(padded, lengths).data[:T]
    np.testing.assert_allclose(tags_padded[real], tags[real], rtol=1e-10, atol=1e-12)
    for b, n in enumerate(lengths):  # each sequence alone, unpadded, gives the same answer
        alone = ids[:n, b : b + 1]
        np.testing.assert_allclose(classifier(alone).data[0], expected[b], rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(tagger(alone).data[:, 0], tags[:n, b], rtol=1e-10, atol=1e-12)


def test_bidirectional_classifier_reads_the_backward_state_at_the_first_step():
    minigrad.set_default_dtype(np.float64)
    model = SequenceClassifier(6, 3, 4, 2, cell="gru", bidirectional=True)
    ids = np.array([[1], [2], [3]])
    output, h_n = model.rnn(model.embedding(ids))
    final = np.concatenate([output.data[-1, 0, :4], output.data[0, 0, 4:]])  # a→<T>, a←<1>
    np.testing.assert_allclose(np.concatenate([h_n.data[0, 0], h_n.data[1, 0]]), final)
    expected = final @ model.classifier.weight.data.T + model.classifier.bias.data
    np.testing.assert_allclose(model(ids).data[0], expected, rtol=1e-12)


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_classifier_learns_first_token_decides_the_class(cell):
    """The label is set by the first token only, seen up to 5 steps before the final state."""
    minigrad.manual_seed(0)
    rng = np.random.default_rng(0)

    def batch(step):
        lengths = rng.integers(1, 7, 16)
        ids = rng.integers(2, 6, (int(lengths.max()), 16))
        return ids, lengths, (ids[0] >= 4).astype(np.int64)

    model = SequenceClassifier(6, 8, 12, 2, cell=cell)
    losses = train(model, batch, lambda m, x, n, y: F.cross_entropy(m(x, n), y), steps=60, lr=0.03)
    assert np.mean(losses[-5:]) < np.mean(losses[:5]) / 10, losses[::10]


def test_tagger_learns_to_copy_the_tokens():
    minigrad.manual_seed(0)
    rng = np.random.default_rng(0)

    def batch(step):
        lengths = rng.integers(1, 7, 8)
        T = int(lengths.max())
        ids = rng.integers(0, 6, (T, 8))
        return ids, lengths, np.where(sequence_mask(lengths, T), ids, -100)  # tag = token; padding ignored

    def loss_fn(m, x, n, y):
        return F.cross_entropy(m(x, n).reshape(-1, 6), y.reshape(-1))  # (T * B, K) against (T * B,)

    model = SequenceTagger(6, 8, 12, 6, cell="gru", bidirectional=True)
    losses = train(model, batch, loss_fn, steps=40, lr=0.05)
    assert np.mean(losses[-3:]) < np.mean(losses[:3]) / 10, losses[::10]


# --------------------------------------------------------------------------------------------------
# Seq2Seq
# --------------------------------------------------------------------------------------------------


def reverse_batch(rng: np.random.Generator, B: int = 16, vocab: int = 8) -> tuple:
    """Sources of 3-5 tokens (ids 3..vocab-1) and their reversal: src (S, B), lengths (B,), tgt (S + 2, B)."""
    lengths = rng.integers(3, 6, B)
    S = int(lengths.max())
    src, tgt = np.full((S, B), PAD), np.full((S + 2, B), PAD)
    for b, n in enumerate(lengths):
        tokens = rng.integers(3, vocab, n)
        src[:n, b] = tokens
        tgt[0, b], tgt[1 : n + 1, b], tgt[n + 1, b] = BOS, tokens[::-1], EOS  # <bos> reversed <eos>
    return src, lengths, tgt


def seq2seq_loss(model, src, lengths, tgt, **kwargs):
    logits, _ = model(src, lengths, tgt[:-1], **kwargs)  # read <bos> y1 ... predict y1 ... <eos>
    targets = np.where(tgt[1:] == PAD, -100, tgt[1:])
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))  # (T * B, V), (T * B,)


@pytest.mark.parametrize(
    ("attention", "cell", "bidirectional"),
    [("bahdanau", "lstm", True), ("luong-general", "gru", True), ("luong-dot", "lstm", False), (None, "gru", True)],
)
def test_seq2seq_loss_gradients_match_finite_differences(attention, cell, bidirectional):
    minigrad.set_default_dtype(np.float64)
    minigrad.manual_seed(1)
    model = Seq2Seq(6, 6, 3, 3, attention=attention, cell=cell, bidirectional_encoder=bidirectional)
    src, lengths, tgt = reverse_batch(np.random.default_rng(0), B=2, vocab=6)
    params = list(model.parameters())

    def loss(*_):
        return seq2seq_loss(model, src, lengths, tgt)

    # tight tolerances on purpose: they pass at 1e-8, and the default 1e-3 misses a detached attention path
    assert_gradients_match(loss, *params, fast_mode=True, rtol=1e-6, atol=1e-9)


def test_seq2seq_shapes_and_attention_ignores_source_padding():
    minigrad.set_default_dtype(np.float64)
    model = Seq2Seq(8, 9, 4, 5, attention="bahdanau")
    src, lengths, tgt = reverse_batch(np.random.default_rng(3), B=3)
    logits, weights = model(src, lengths, tgt[:-1])
    T, S = tgt.shape[0] - 1, src.shape[0]
    assert logits.shape == (T, 3, 9) and weights.shape == (T, 3, S)
    assert np.all(weights.data[:, ~sequence_mask(lengths, S).T] == 0)
    np.testing.assert_allclose(weights.data.sum(axis=-1), 1.0, rtol=1e-12)
    padded = np.concatenate([src, np.full((2, 3), 7)])  # two more steps of junk
    logits2, weights2 = model(padded, lengths, tgt[:-1])
    np.testing.assert_allclose(logits2.data, logits.data, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(weights2.data[..., :S], weights.data, rtol=1e-10, atol=1e-14)


def test_teacher_forcing_ratio():
    minigrad.set_default_dtype(np.float64)
    model = Seq2Seq(8, 8, 4, 5, attention="luong-general", cell="gru")
    src, lengths, tgt = reverse_batch(np.random.default_rng(4), B=2)
    other = tgt.copy()
    other[2:] = (tgt[2:] + 1) % 8  # different targets from the second decoder input on

    def logits(target, ratio, seed=None):
        generator = None if seed is None else minigrad.Generator(seed)
        return model(src, lengths, target[:-1], teacher_forcing_ratio=ratio, generator=generator)[0].data

    # ratio 1: the true previous token is read, so changing it changes the logits
    assert not np.allclose(logits(tgt, 1.0), logits(other, 1.0))
    # ratio 0: the model reads its own predictions, never the targets past <bos>
    np.testing.assert_array_equal(logits(tgt, 0.0), logits(other, 0.0))
    # ratio 0.5: random per step, reproducible from a generator's seed
    np.testing.assert_array_equal(logits(other, 0.5, seed=7), logits(other, 0.5, seed=7))
    runs = {logits(other, 0.5, seed=s).tobytes() for s in range(6)}
    assert len(runs) > 1


@pytest.mark.slow
def test_seq2seq_learns_to_reverse_sequences():
    minigrad.manual_seed(0)
    rng = np.random.default_rng(0)
    model = Seq2Seq(8, 8, 8, 16, attention="bahdanau", cell="gru")
    losses = train(model, lambda step: reverse_batch(rng), seq2seq_loss, steps=150, lr=0.02)
    assert np.mean(losses[-5:]) < np.mean(losses[:5]) / 10, losses[::25]
    src, lengths, _ = reverse_batch(np.random.default_rng(99), B=32)
    decoded, _ = greedy_decode(model, src, lengths, max_len=8, bos_id=BOS, eos_id=EOS)
    references = [list(src[:n, b][::-1]) for b, n in enumerate(lengths)]
    assert sequence_accuracy(decoded, references) > 0.6
