"""seq.generate: sampling from a LanguageModel, greedy decoding and beam search for a Seq2Seq."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minigrad
from minigrad import Tensor
from minigrad.nn import Module
from seq.generate import beam_search, greedy_decode, next_token_distribution, sample
from seq.models import LanguageModel, Seq2Seq


class CharVocab:
    """A stand-in for seq.text.Vocabulary: one character per id, the specials included (so decode inverts encode)."""

    chars = "_?^$abcdef"  # <pad> <unk> <bos> <eos> a..f
    pad_id, unk_id, bos_id, eos_id = 0, 1, 2, 3

    def __len__(self) -> int:
        return len(self.chars)

    def encode(self, text: str) -> list:
        return [self.chars.index(c) for c in text]

    def decode(self, ids) -> str:
        return "".join(self.chars[i] for i in ids)


VOCAB = CharVocab()


def language_model(seed: int = 0, dropout: float = 0.0) -> LanguageModel:
    minigrad.manual_seed(seed)
    model = LanguageModel(len(VOCAB), 6, 8, cell="lstm", dropout=dropout)
    model.decoder.weight.data *= 5  # sharper distributions: the argmax is well separated
    return model


# --------------------------------------------------------------------------------------------------
# sample
# --------------------------------------------------------------------------------------------------


def test_next_token_distribution_by_hand():
    logits = np.log([1.0, 2.0, 4.0])  # p = [1, 2, 4] / 7
    np.testing.assert_allclose(next_token_distribution(logits), [1 / 7, 2 / 7, 4 / 7])
    np.testing.assert_allclose(next_token_distribution(logits, temperature=2.0), np.sqrt([1, 2, 4]) / (3 + np.sqrt(2)))
    np.testing.assert_allclose(next_token_distribution(logits, top_k=2), [0, 1 / 3, 2 / 3])
    np.testing.assert_allclose(next_token_distribution(logits, top_p=0.5), [0, 0, 1])  # 4/7 already reaches 0.5
    np.testing.assert_allclose(next_token_distribution(logits, top_p=0.7), [0, 1 / 3, 2 / 3])
    np.testing.assert_allclose(next_token_distribution(logits, temperature=1e-6), [0, 0, 1])
    with pytest.raises(ValueError, match="greedy=True"):
        next_token_distribution(logits, temperature=0.0)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_low_temperature_top_k_1_and_greedy_agree(seed):
    model = language_model(seed)
    kwargs = {"prime": "ab", "max_len": 15, "stop_at_eos": False}
    greedy = sample(model, VOCAB, greedy=True, **kwargs)
    assert len(greedy) == 15
    assert sample(model, VOCAB, temperature=1e-6, seed=1, **kwargs) == greedy
    assert sample(model, VOCAB, top_k=1, seed=2, **kwargs) == greedy
    assert sample(model, VOCAB, top_p=1e-9, seed=3, **kwargs) == greedy


def test_sampling_is_deterministic_under_a_seed():
    model = language_model()
    kwargs = {"max_len": 20, "stop_at_eos": False, "temperature": 2.0}
    assert sample(model, VOCAB, seed=5, **kwargs) == sample(model, VOCAB, seed=5, **kwargs)
    assert len({sample(model, VOCAB, seed=s, **kwargs) for s in range(5)}) > 1  # and it is random
    minigrad.manual_seed(3)
    first = sample(model, VOCAB, **kwargs)  # seed=None draws from the global generator
    minigrad.manual_seed(3)
    assert sample(model, VOCAB, **kwargs) == first


def test_the_prime_conditions_the_continuation_and_is_not_returned():
    model = language_model()
    whole = sample(model, VOCAB, greedy=True, max_len=12, stop_at_eos=False)
    assert sample(model, VOCAB, prime=whole[:4], greedy=True, max_len=8, stop_at_eos=False) == whole[4:]
    # each token is the argmax given everything before it: one pass over <bos> + the sample agrees
    ids = np.array([VOCAB.bos_id, *VOCAB.encode(whole)])[:, None]  # (T, 1)
    with minigrad.no_grad():
        logits, _ = model(ids[:-1])
    assert VOCAB.decode(logits.data[:, 0].argmax(axis=-1)) == whole


def test_sampling_stops_at_eos():
    model = language_model()
    with minigrad.no_grad():
        model.decoder.weight.data[...] = 0.0
        model.decoder.bias.data[...] = 0.0
        model.decoder.bias.data[VOCAB.eos_id] = 50.0  # <eos> is (almost surely) always drawn
    assert sample(model, VOCAB, prime="abc", seed=0) == ""
    assert sample(model, VOCAB, max_len=4, stop_at_eos=False, seed=0) == "$$$$"


def test_sampling_runs_in_eval_mode_without_a_graph_and_restores_the_mode():
    model = language_model(dropout=0.5)
    model.train()
    first = sample(model, VOCAB, greedy=True, max_len=15, stop_at_eos=False)
    assert model.training
    assert sample(model, VOCAB, greedy=True, max_len=15, stop_at_eos=False) == first  # no dropout noise
    assert all(p.grad is None for p in model.parameters())


def test_a_tiny_temperature_is_the_argmax_not_nan():
    logits = np.array([0.5, 2.0, -1.0, 1.999])
    for temperature in (1e-6, 1e-30, 1e-300, 1e-320, 5e-324):
        p = next_token_distribution(logits, temperature=temperature)
        np.testing.assert_array_equal(p, [0.0, 1.0, 0.0, 0.0])  # exp(-0.001 / 1e-6) is 0 in float64
    np.testing.assert_array_equal(next_token_distribution(np.array([3.0, 1.0, 3.0]), temperature=1e-320), [0.5, 0, 0.5])
    huge = np.array([1e308, -1e308, 0.0])  # z / T overflows; z - max does not
    np.testing.assert_array_equal(next_token_distribution(huge, temperature=0.5), [1.0, 0.0, 0.0])
    masked = np.array([-np.inf, 0.0, np.log(3.0)])  # -inf: a token never drawn
    np.testing.assert_allclose(next_token_distribution(masked), [0.0, 0.25, 0.75])


def test_sampling_with_a_tiny_temperature_is_greedy():
    model = language_model(1)
    kwargs = {"prime": "ab", "max_len": 12, "stop_at_eos": False}
    assert sample(model, VOCAB, temperature=1e-320, seed=0, **kwargs) == sample(model, VOCAB, greedy=True, **kwargs)


def test_priming_reads_the_prime_as_char_rnn_does():
    """The state after <bos> and the prime is the state the model reaches reading that text; the first new token
    is drawn from the prediction after the prime's last token."""
    model = language_model(2)
    prime = "cab"
    ids = np.array([VOCAB.bos_id, *VOCAB.encode(prime)])[:, None]  # (T, 1)
    with minigrad.no_grad():
        logits, _ = model(ids)
    first = int(np.argmax(logits.data[-1, 0]))
    continuation = sample(model, VOCAB, prime=prime, greedy=True, max_len=6, stop_at_eos=False)
    assert continuation[0] == VOCAB.chars[first]
    # drawing: the first token follows next_token_distribution of the same logits, under the same seed
    p = next_token_distribution(logits.data[-1, 0], temperature=1.5)
    drawn = minigrad.random.numpy_generator(minigrad.Generator(9)).choice(p.size, p=p)
    assert (
        sample(model, VOCAB, prime=prime, temperature=1.5, seed=9, max_len=1, stop_at_eos=False) == VOCAB.chars[drawn]
    )


def test_a_word_level_prime_and_a_list_of_tokens():
    from seq.text import Vocabulary

    vocab = Vocabulary.build(["the apple and pear salad", "a pair of socks"], level="word")
    minigrad.manual_seed(0)
    model = LanguageModel(len(vocab), 4, 6, cell="gru")
    as_text = sample(model, vocab, prime="the apple and", greedy=True, max_len=4)
    assert sample(model, vocab, prime=["the", "apple", "and"], greedy=True, max_len=4) == as_text
    assert all(word in vocab for word in as_text.split())
    # an unknown word of the prime is read as <unk>, as in training
    assert sample(model, vocab, prime="the kiwi and", greedy=True, max_len=4) == sample(
        model, vocab, prime="the <unk> and", greedy=True, max_len=4
    )


# --------------------------------------------------------------------------------------------------
# Bad input to sampling
# --------------------------------------------------------------------------------------------------

LOGITS = np.log([1.0, 2.0, 4.0])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"temperature": 0.0}, "temperature must be a finite number > 0, got 0.0; use greedy=True"),
        ({"temperature": -1.0}, "temperature must be a finite number > 0"),
        ({"temperature": float("nan")}, "temperature must be a finite number > 0, got nan"),
        ({"temperature": float("inf")}, "temperature must be a finite number > 0, got inf"),
        ({"temperature": True}, "temperature must be a finite number > 0, got True"),
        ({"top_k": 2.5}, "top_k must be None or an int >= 1.*got 2.5"),
        ({"top_k": 0}, "top_k must be None or an int >= 1"),
        ({"top_k": True}, "top_k must be None or an int >= 1"),
        ({"top_p": 0.0}, "top_p must be None or a number in \\(0, 1\\]"),
        ({"top_p": 1.5}, "top_p must be None or a number in \\(0, 1\\]"),
        ({"top_p": float("nan")}, "top_p must be None or a number in \\(0, 1\\], got nan"),
    ],
)
def test_next_token_distribution_and_sample_refuse_bad_options(kwargs, message):
    with pytest.raises(ValueError, match=message):
        next_token_distribution(LOGITS, **kwargs)
    with pytest.raises(ValueError, match=message):
        sample(language_model(), VOCAB, max_len=3, **kwargs)


@pytest.mark.parametrize(
    ("logits", "message"),
    [
        (np.zeros((2, 3)), "one next token, shape \\(V,\\), got shape \\(2, 3\\)"),
        (np.float64(1.0), "got shape \\(\\)"),
        (np.array([1.0, np.nan, 0.0]), "1 NaN"),
        (np.array([1.0, np.inf, 0.0]), "1 \\+inf"),
        (np.array([-np.inf, -np.inf]), "not all of them"),
        (np.array([]), "non-empty"),
        (np.array(["a", "b"]), "numbers"),
    ],
)
def test_next_token_distribution_refuses_logits_that_are_not_one_distribution(logits, message):
    with pytest.raises(ValueError, match=message):
        next_token_distribution(logits)


class TwoDimensionalModel(Module):
    """A model that forgets the batch axis: (T, V) logits where (T, 1, V) are expected."""

    def forward(self, ids, state=None):
        return Tensor(np.zeros((np.shape(ids)[0], len(VOCAB)))), state


@pytest.mark.parametrize(
    ("model", "kwargs", "error", "message"),
    [
        (TwoDimensionalModel(), {}, ValueError, "logits \\(T, 1, V\\).*returned shape \\(1, 10\\)"),
        (LanguageModel(4, 3, 3), {}, ValueError, "V = 10.*returned shape \\(1, 1, 4\\)"),
        (None, {"max_len": 0}, ValueError, "max_len must be an int >= 1, got 0"),
        (None, {"max_len": 2.5}, ValueError, "max_len must be an int >= 1, got 2.5"),
        (None, {"seed": -1}, ValueError, "seed must be None or an int >= 0"),
        (None, {"seed": 1.5}, ValueError, "seed must be None or an int >= 0"),
        (None, {"prime": 5}, TypeError, "prime must be a text \\(str\\) or a list of tokens, got int"),
    ],
)
def test_sample_refuses_bad_input(model, kwargs, error, message):
    with pytest.raises(error, match=message):
        sample(model if model is not None else language_model(), VOCAB, **kwargs)


# --------------------------------------------------------------------------------------------------
# greedy_decode and beam_search
# --------------------------------------------------------------------------------------------------


def seq2seq(seed: int, attention):
    minigrad.manual_seed(seed)
    model = Seq2Seq(7, 6, 4, 5, attention=attention, cell="gru" if seed % 2 else "lstm")
    model.out.weight.data *= 4  # sharper: <eos> is sometimes the argmax
    return model


@given(
    seed=st.integers(0, 2**16),
    attention=st.sampled_from(["bahdanau", "luong-general", None]),
    length=st.integers(1, 5),
)
def test_beam_width_1_is_greedy_decoding(seed, attention, length):
    model = seq2seq(seed, attention)
    src = np.random.default_rng(seed).integers(3, 7, (length, 1))
    greedy, _ = greedy_decode(model, src, None, 8, 1, 2)
    assert beam_search(model, src, None, beam_width=1, max_len=8, bos_id=1, eos_id=2) == greedy[0]


def test_greedy_decode_of_a_batch_equals_each_source_alone():
    model = seq2seq(3, "bahdanau")
    lengths = np.array([2, 5, 3])
    src = np.random.default_rng(0).integers(3, 7, (5, 3))
    src[np.arange(5)[:, None] >= lengths[None, :]] = 0  # padding
    tokens, attention = greedy_decode(model, src, lengths, 6, 1, 2)
    for b, n in enumerate(lengths):
        alone, alone_attention = greedy_decode(model, src[:n, b], None, 6, 1, 2)
        assert tokens[b] == alone[0]
        assert 2 not in tokens[b] and len(tokens[b]) <= 6
        assert attention[b].shape == (len(tokens[b]), n)  # one row per output token, one column per source token
        np.testing.assert_allclose(attention[b], alone_attention[0], rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(attention[b].sum(axis=1), 1.0, rtol=1e-5)
    assert greedy_decode(seq2seq(3, None), src, lengths, 6, 1, 2)[1] is None


class TwoPathModel(Module):
    """A fake Seq2Seq whose most likely output greedy decoding misses (the course's beam-search example).

    From <bos>: A (p=0.6) or B (0.4). After A: ten tokens of 0.1 each, then <eos>. After B: <eos> (1.0).
    Greedy takes A, then a 0.1 token, then <eos>: P = 0.06. The best output is B <eos>: P = 0.4.
    """

    BOS, EOS, A, B, V = 0, 1, 2, 3, 14

    def encode(self, src, src_lengths=None):
        B = np.shape(src)[1]
        return Tensor(np.zeros((np.shape(src)[0], B, 1))), Tensor(np.full((B, 1), -1.0))  # nothing read yet

    def source_mask(self, src, src_lengths=None):
        return None

    def decode_step(self, token, state, memory, src_mask=None):
        node = state.data[:, 0].astype(int)  # what was read before: -1 nothing, 0 <bos>, 1 A, 2 B, 3 the rest
        node = np.where(node == -1, 0, np.where(node == 0, np.where(token == self.A, 1, 2), 3))  # read token
        p = np.full((len(token), self.V), 1e-9)
        p[node == 0, self.A], p[node == 0, self.B] = 0.6, 0.4
        p[node == 1, 4:] = 0.1
        p[node >= 2, self.EOS] = 1.0
        return Tensor(np.log(p)), Tensor(node[:, None].astype(float)), None


@pytest.mark.parametrize("length_penalty", [0.0, 0.7, 1.0])
def test_beam_search_finds_the_output_greedy_decoding_misses(length_penalty):
    model, src = TwoPathModel(), np.zeros((1, 1), dtype=np.int64)
    greedy, _ = greedy_decode(model, src, None, 5, TwoPathModel.BOS, TwoPathModel.EOS)
    assert greedy[0] == [TwoPathModel.A, 4]
    best = beam_search(
        model,
        src,
        beam_width=2,
        max_len=5,
        length_penalty=length_penalty,
        bos_id=TwoPathModel.BOS,
        eos_id=TwoPathModel.EOS,
    )
    assert best == [TwoPathModel.B]
    assert beam_search(model, src, beam_width=1, max_len=5, bos_id=0, eos_id=1) == greedy[0]


def test_beam_search_takes_one_source():
    with pytest.raises(ValueError, match="one source at a time"):
        beam_search(seq2seq(0, None), np.ones((3, 2), dtype=np.int64), bos_id=1, eos_id=2)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"beam_width": 0}, "beam_width must be an int >= 1, got 0"),
        ({"beam_width": 2.5}, "beam_width must be an int >= 1, got 2.5"),
        ({"max_len": 0}, "max_len must be an int >= 1, got 0"),
        ({"max_len": 1.5}, "max_len must be an int >= 1"),
        ({"length_penalty": float("nan")}, "length_penalty must be a finite number"),
        ({"bos_id": 6}, "bos_id must be an int id of the target vocabulary \\(0\\.\\.5\\), got 6"),
        ({"eos_id": 1.0}, "eos_id must be an int id"),
    ],
)
def test_beam_search_refuses_bad_input(kwargs, message):
    arguments = {"bos_id": 1, "eos_id": 2, **kwargs}
    with pytest.raises(ValueError, match=message):
        beam_search(seq2seq(0, None), np.ones((3, 1), dtype=np.int64), **arguments)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((np.ones((3, 1), dtype=np.int64), None, 0, 1, 2), "max_len must be an int >= 1, got 0"),
        ((np.ones((3, 1), dtype=np.int64), None, 2.5, 1, 2), "max_len must be an int >= 1, got 2.5"),
        ((np.ones((3, 1), dtype=np.int64), None, 4, -1, 2), "bos_id must be an int id"),
        ((np.ones((3, 1), dtype=np.int64), None, 4, 1, 99), "eos_id must be an int id"),
        ((np.ones((3, 1)), None, 4, 1, 2), "src must be integer ids"),
        ((np.ones((0, 2), dtype=np.int64), None, 4, 1, 2), "with S >= 1, got shape \\(0, 2\\)"),
    ],
)
def test_greedy_decode_refuses_bad_input(args, message):
    with pytest.raises(ValueError, match=message):
        greedy_decode(seq2seq(0, None), *args)
