"""seq.text: the word tokenizer and the Vocabulary (ids, encode/decode, min_freq/max_size, JSON files)."""

from __future__ import annotations

import json
import os
import tempfile

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from seq.text import Vocabulary, tokenize

words = st.from_regex(r"[a-z]{1,6}", fullmatch=True)


def test_tokenize_splits_words_and_punctuation():
    assert tokenize("Don't stop, Bob!") == ["Don't", "stop", ",", "Bob", "!"]
    assert tokenize("Don't stop, Bob!", lower=True) == ["don't", "stop", ",", "bob", "!"]
    assert tokenize("  a\tb\n\nc.") == ["a", "b", "c", "."]


def test_specials_come_first_then_symbols_by_frequency_ties_by_first_appearance():
    vocab = Vocabulary.build(["abbccc", "d"], level="char")
    assert list(vocab) == ["<pad>", "<unk>", "<bos>", "<eos>", "c", "b", "a", "d"]
    assert (vocab.pad_id, vocab.unk_id, vocab.bos_id, vocab.eos_id) == (0, 1, 2, 3)
    ties = Vocabulary.build(["zyx", "xyz"], level="char")  # all counts equal: order of first appearance
    assert list(ties)[4:] == ["z", "y", "x"]


def test_word_level_build_and_lowercase():
    vocab = Vocabulary.build(["The cat sat.", "the dog sat"], level="word", lower=True)
    assert list(vocab)[4:] == ["the", "sat", "cat", ".", "dog"]
    assert vocab.encode("THE CAT") == [vocab["the"], vocab["cat"]]
    assert vocab.decode(vocab.encode("the cat sat")) == "the cat sat"
    cased = Vocabulary.build(["The the"], level="word")
    assert "The" in cased and "the" in cased


def test_single_string_is_one_text():
    assert Vocabulary.build("hello world", level="word") == Vocabulary.build(["hello world"], level="word")


@given(st.text(max_size=60))
def test_char_round_trip_on_any_text(text):
    vocab = Vocabulary.build([text], level="char")
    ids = vocab.encode(text, add_bos=True, add_eos=True)
    assert ids[0] == vocab.bos_id and ids[-1] == vocab.eos_id
    assert len(ids) == len(text) + 2
    assert vocab.decode(ids) == text
    assert vocab.unk_id not in ids


@given(st.text(min_size=1, max_size=30), st.text(min_size=1, max_size=30))
def test_unknown_chars_become_unk(known, other):
    vocab = Vocabulary.build([known], level="char")
    ids = vocab.encode(other)
    for ch, i in zip(other, ids):
        assert i == (vocab[ch] if ch in vocab else vocab.unk_id)
    expected = "".join(ch for ch in other if ch in vocab)
    assert vocab.decode(ids) == expected  # <unk> is a special: skipped
    assert vocab.decode(ids, skip_specials=False).count("<unk>") >= sum(ch not in vocab for ch in other)


@given(st.lists(words, min_size=1, max_size=20))
def test_word_round_trip(tokens):
    vocab = Vocabulary.build([tokens], level="word")
    text = " ".join(tokens)
    assert vocab.encode(text) == vocab.encode(tokens)
    assert vocab.decode(vocab.encode(text)) == text


def test_min_freq_and_max_size():
    text = "aaaabbbcc d"
    vocab = Vocabulary.build([text], min_freq=2)
    assert list(vocab)[4:] == ["a", "b", "c"]
    assert "d" not in vocab and " " not in vocab
    assert vocab.encode("ad") == [vocab["a"], vocab.unk_id]
    small = Vocabulary.build([text], max_size=6)
    assert len(small) == 6 and list(small)[4:] == ["a", "b"]
    with pytest.raises(ValueError, match="max_size"):
        Vocabulary.build([text], max_size=2)
    with pytest.raises(ValueError, match="min_freq"):
        Vocabulary.build([text], min_freq=0)


def test_lookup_methods():
    vocab = Vocabulary.build(["abc"])
    assert len(vocab) == 7
    assert vocab["b"] == 5 and vocab.symbol(5) == "b"
    assert [vocab[s] for s in vocab] == list(range(len(vocab)))
    with pytest.raises(KeyError, match="not in the vocabulary"):
        vocab["z"]
    with pytest.raises(IndexError, match="out of range"):
        vocab.symbol(7)
    assert vocab.decode(np.array([4, 5, 0, 0])) == "ab"
    with pytest.raises(ValueError, match="1-D"):
        vocab.decode(np.zeros((2, 2), dtype=int))


def test_custom_specials_and_no_unk():
    vocab = Vocabulary.build(["ab"], specials=())
    assert list(vocab) == ["a", "b"]
    with pytest.raises(KeyError, match="<unk>"):
        vocab.encode("abc")
    with pytest.raises(KeyError, match="no '<bos>' special"):
        vocab.bos_id


def test_specials_in_text_are_not_counted_twice():
    vocab = Vocabulary.build([["<pad>", "a", "<eos>"]], level="word")
    assert list(vocab) == ["<pad>", "<unk>", "<bos>", "<eos>", "a"]


def test_save_load_round_trip(tmp_path):
    vocab = Vocabulary.build(["Grüße, naïve café!", "the café"], level="word", lower=True, min_freq=1)
    path = tmp_path / "vocab.json"
    vocab.save(path)
    loaded = Vocabulary.load(path)
    assert loaded == vocab
    assert list(loaded) == list(vocab) and loaded.level == "word" and loaded.lower
    assert loaded.encode("Café") == vocab.encode("Café")


@given(st.text(max_size=40))
def test_save_load_round_trip_char(text):
    vocab = Vocabulary.build([text])
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "v.json")
        vocab.save(path)
        assert Vocabulary.load(path) == vocab


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json {", "not valid JSON"),
        ("[1, 2]", "format"),
        (json.dumps({"format": "seq.text.Vocabulary", "version": 2}), "version"),
        (json.dumps({"format": "seq.text.Vocabulary", "version": 1, "level": "byte"}), "level"),
        (
            json.dumps({"format": "seq.text.Vocabulary", "version": 1, "level": "char", "specials": [], "symbols": 3}),
            "'symbols' must be a list",
        ),
        (
            json.dumps(
                {"format": "seq.text.Vocabulary", "version": 1, "level": "char", "specials": ["a"], "symbols": ["a"]}
            ),
            "appears twice",
        ),
    ],
)
def test_load_refuses_malformed_files(tmp_path, content, message):
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        Vocabulary.load(path)


def test_bad_level():
    with pytest.raises(ValueError, match="level"):
        Vocabulary.build(["a"], level="byte")


# --------------------------------------------------------------------------------------------------
# The course's spellings of the specials
# --------------------------------------------------------------------------------------------------


def test_the_courses_unk_and_eos_name_the_specials():
    vocab = Vocabulary.build(["the cat sat"], level="word")
    assert vocab["<EOS>"] == vocab["<eos>"] == vocab.eos_id
    assert vocab["<UNK>"] == vocab.unk_id and vocab["<BOS>"] == vocab.bos_id and vocab["<PAD>"] == vocab.pad_id
    assert "<EOS>" in vocab and "<UNK>" in vocab and "<Eos>" not in vocab
    assert vocab.encode(["the", "<UNK>", "cat", "<EOS>"]) == [vocab["the"], vocab.unk_id, vocab["cat"], vocab.eos_id]
    assert vocab.encode("the dog sat <EOS>") == [vocab["the"], vocab.unk_id, vocab["sat"], vocab.eos_id]
    assert vocab.decode(vocab.encode("the <UNK> <EOS>"), skip_specials=False) == "the <unk> <eos>"  # our spelling out
    with pytest.raises(KeyError, match="not in the vocabulary"):
        vocab["<Eos>"]


def test_texts_with_the_courses_tokens_do_not_add_symbols():
    vocab = Vocabulary.build(["the cat <EOS>", "a <UNK> sat <EOS>"], level="word")
    assert list(vocab)[4:] == ["the", "cat", "a", "sat"]
    char_list = Vocabulary(["a", "<UNK>", "<unk>", "b"], level="char")
    assert list(char_list)[4:] == ["a", "b"]


def test_a_vocabulary_with_the_courses_specials_answers_to_ours():
    vocab = Vocabulary.build(["ab"], specials=("<PAD>", "<UNK>", "<BOS>", "<EOS>"))
    assert (vocab.pad_id, vocab.unk_id, vocab.bos_id, vocab.eos_id) == (0, 1, 2, 3)
    assert vocab.encode(["a", "<eos>", "z"]) == [vocab["a"], 3, 1]
    assert vocab.decode([2, 4, 3], skip_specials=False) == "<BOS>a<EOS>"


def test_the_word_tokenizer_keeps_specials_whole():
    assert tokenize("cats sleep <EOS>") == ["cats", "sleep", "<EOS>"]
    assert tokenize("a <unk> b") == ["a", "<unk>", "b"]
    assert tokenize("x < y > z") == ["x", "<", "y", ">", "z"]  # angle brackets apart are punctuation


# --------------------------------------------------------------------------------------------------
# Bad input: the error names what was expected
# --------------------------------------------------------------------------------------------------

VOCAB = Vocabulary.build(["abc"])


def _load(tmp_path, content: bytes):
    path = tmp_path / "vocab.json"
    path.write_bytes(content)
    return Vocabulary.load(path)


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: VOCAB.decode([4.9]), TypeError, "ids must be integers, got float 4.9 at position 0"),
        (lambda: VOCAB.decode([4.0]), TypeError, "got float 4.0"),
        (lambda: VOCAB.decode([4, float("nan")]), TypeError, "got float nan at position 1"),
        (lambda: VOCAB.decode([True]), TypeError, "got bool True"),
        (lambda: VOCAB.decode(np.array([4.9])), TypeError, "array of dtype float64"),
        (lambda: VOCAB.decode(np.array([True, False])), TypeError, "array of dtype bool"),
        (lambda: VOCAB.decode(5), TypeError, "1-D sequence of integer ids, got int 5"),
        (lambda: VOCAB.decode("ab"), TypeError, "got str 'ab'"),
        (lambda: VOCAB.decode([-1]), IndexError, "id -1 is out of range"),
        (lambda: VOCAB.decode([99]), IndexError, "id 99 is out of range"),
        (lambda: VOCAB.symbol(4.0), TypeError, "an id must be an int, got float"),
        (lambda: VOCAB.encode(5), TypeError, "expected a text \\(str\\) or a list of symbols \\(str\\), got int 5"),
        (lambda: VOCAB.encode(None), TypeError, "got NoneType"),
        (lambda: VOCAB.encode(b"abc"), TypeError, "got bytes"),
        (lambda: VOCAB.encode([4, 5]), TypeError, "got int 4 at position 0; are these ids already"),
        (lambda: Vocabulary.build(5), TypeError, "texts must be a str or a list"),
        (lambda: Vocabulary.build(["a"], min_freq=1.5), ValueError, "min_freq must be an int >= 1"),
        (lambda: Vocabulary.build(["a"], max_size=5.5), ValueError, "max_size must be None or an int"),
        (lambda: Vocabulary("abc"), TypeError, "not a single string"),
        (lambda: Vocabulary(["a"], specials="<pad>"), TypeError, "specials must be a sequence of str"),
        (lambda: Vocabulary(["a"], specials=(0,)), TypeError, "specials must be str"),
    ],
)
def test_bad_input_is_refused_with_a_message(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_load_refuses_a_binary_file_and_a_directory(tmp_path):
    with pytest.raises(ValueError, match="not UTF-8 text"):
        _load(tmp_path, b'{"format": "\xff\xfe"}')
    with pytest.raises(IsADirectoryError, match="is a directory"):
        Vocabulary.load(tmp_path)


def test_integer_ids_of_any_kind_still_decode():
    assert VOCAB.decode([np.int64(4), np.int32(5), 6]) == "abc"
    assert VOCAB.decode(np.array([4, 5], dtype=np.uint8)) == "ab"
    assert VOCAB.decode([]) == ""
