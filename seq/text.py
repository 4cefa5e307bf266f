"""Text to ids and back: a ``Vocabulary`` of characters or of words, and a small word tokenizer.

A sequence model reads integers, so text goes through a vocabulary first: every symbol (a character
for a char-level model, a word for a word-level one) gets an id, and the model's outputs are turned
back into text by the same table. As in the course, a few special symbols come first:

- ``<pad>`` (id 0): fills the end of short sequences in a batch (``seq.data.pad_sequences``);
- ``<unk>`` (id 1): stands for every symbol the vocabulary does not hold (rare words, unseen chars);
- ``<bos>`` (id 2) and ``<eos>`` (id 3): mark the beginning and the end of a sequence (the course's
  ``<EOS>`` token, which lets a sampler know when a generated name or sentence is finished).

The course writes these specials in capitals, ``<UNK>`` and ``<EOS>``. A vocabulary accepts both
spellings wherever a symbol goes in (``encode``, ``vocab["<EOS>"]``, ``"<UNK>" in vocab``, the texts given
to ``build``): ``<UNK>``, ``<EOS>``, ``<BOS>``, ``<PAD>`` name the same ids as ``<unk>``, ``<eos>``,
``<bos>``, ``<pad>`` (and the other way round, for a vocabulary built with capital specials). What comes
out (``decode``, iteration, ``save``) is always the vocabulary's own spelling. The word tokenizer keeps a
special written in a text (``"the cat sat <EOS>"``) as one token.

Then the symbols of the training texts follow by decreasing frequency; ties are broken by **first
appearance** in the texts (so ids are deterministic and do not depend on hashing). Example::

    vocab = Vocabulary.build(["hello world"], level="char")
    ids = vocab.encode("hello", add_eos=True)   # [.., .., .., .., .., 3]
    vocab.decode(ids)                           # 'hello' (specials are skipped)
"""

from __future__ import annotations

import json
import numbers
import os
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np

DEFAULT_SPECIALS: tuple[str, ...] = ("<pad>", "<unk>", "<bos>", "<eos>")
LEVELS = ("char", "word")
_FORMAT = "seq.text.Vocabulary"

# The course's spellings of the specials, and ours: either names the same id.
COURSE_SPELLINGS: dict[str, str] = {"<UNK>": "<unk>", "<EOS>": "<eos>", "<BOS>": "<bos>", "<PAD>": "<pad>"}
_OTHER_SPELLING = {**COURSE_SPELLINGS, **{ours: course for course, ours in COURSE_SPELLINGS.items()}}

# A special written in a text (<unk>, <EOS>) is one token; a word is a run of letters/digits/underscores,
# optionally with an inner apostrophe (don't, o'keeffe); every other non-space character (punctuation) is a
# token of its own.
_WORD_RE = re.compile(r"<\w+>|\w+(?:'\w+)*|[^\w\s]")


def tokenize(text: str, lower: bool = False) -> list[str]:
    """Split a text into words and punctuation marks with one regular expression.

    A word is a run of letters, digits or underscores, with inner apostrophes kept (``don't``);
    a special symbol written in angle brackets (``<EOS>``, ``<unk>``) is one token; each other punctuation
    mark is its own token; whitespace only separates. Nothing else is normalised.

    Args:
        text: the text to split.
        lower: lowercase the text first.

    Returns:
        The tokens in order, e.g. ``tokenize("Don't stop, Bob!")`` is ``["Don't", "stop", ",", "Bob", "!"]``
        and ``tokenize("cats sleep <EOS>")`` is ``["cats", "sleep", "<EOS>"]``.
    """
    if not isinstance(text, str):
        raise TypeError(f"tokenize expects a str, got {type(text).__name__}")
    if lower:
        text = text.lower()
    return _WORD_RE.findall(text)


class Vocabulary:
    """A two-way table between symbols (characters or words) and integer ids.

    Build one from texts with ``Vocabulary.build``; ``vocab[symbol]`` is an id, ``vocab.symbol(i)``
    a symbol, ``len(vocab)`` the number of ids (the size of the embedding and of the softmax).

    Attributes:
        level: ``"char"`` (a text is a sequence of characters, decoded with ``""``) or ``"word"``
            (a text is split by ``tokenize``, decoded with ``" "``).
        lower: whether word-level texts are lowercased before they are split.
        specials: the special symbols, which hold the first ids.
    """

    def __init__(
        self,
        symbols: Iterable[str],
        level: str = "char",
        specials: Sequence[str] = DEFAULT_SPECIALS,
        lower: bool = False,
    ) -> None:
        """A vocabulary with the given symbols in id order, after the specials.

        Args:
            symbols: the ordinary symbols; the first gets id ``len(specials)``. Specials among them are skipped.
            level: ``"char"`` or ``"word"``.
            specials: the special symbols, ids 0, 1, ... in this order.
            lower: lowercase word-level texts before splitting them (ignored at char level).
        """
        if level not in LEVELS:
            raise ValueError(f"level must be one of {LEVELS}, got {level!r}")
        if isinstance(specials, (str, bytes)):
            raise TypeError(f"specials must be a sequence of str, e.g. ('<pad>', '<unk>'), got the string {specials!r}")
        specials = tuple(specials)
        for s in specials:
            if not isinstance(s, str):
                raise TypeError(f"specials must be str, got {type(s).__name__} ({s!r})")
        if len(set(specials)) != len(specials):
            raise ValueError(f"specials must be distinct, got {specials}")
        self.level = level
        self.lower = bool(lower) and level == "word"
        self.specials = specials
        self._itos: list[str] = list(specials)
        self._stoi: dict[str, int] = {s: i for i, s in enumerate(specials)}
        if isinstance(symbols, (str, bytes)):
            raise TypeError("symbols must be a list of str (one per id), not a single string: pass list(text)")
        for s in symbols:
            if not isinstance(s, str):
                raise TypeError(f"vocabulary symbols must be str, got {type(s).__name__} ({s!r})")
            if self._lookup(s) is None:  # specials, and the other spelling of a special, are not added again
                self._stoi[s] = len(self._itos)
                self._itos.append(s)

    @classmethod
    def build(
        cls,
        texts: str | Iterable[str | Sequence[str]],
        level: str = "char",
        min_freq: int = 1,
        max_size: int | None = None,
        specials: Sequence[str] = DEFAULT_SPECIALS,
        lower: bool = False,
    ) -> Vocabulary:
        """Count the symbols of some texts and keep the frequent ones.

        Ids: the specials first, in the order given (by default ``<pad>``=0, ``<unk>``=1, ``<bos>``=2,
        ``<eos>``=3), then the symbols by decreasing count, ties broken by first appearance.

        Args:
            texts: strings, or lists of tokens already split (each token is then one symbol). A single
                string is taken as one text.
            level: ``"char"`` (each character is a symbol) or ``"word"`` (strings are split by ``tokenize``).
            min_freq: keep only symbols seen at least this many times.
            max_size: the largest ``len(vocab)``, specials included; the rarest symbols are dropped first.
            specials: the special symbols; pass ``()`` for none (then ``encode`` refuses unknown symbols).
            lower: lowercase word-level strings before splitting them.

        Returns:
            The vocabulary.
        """
        if not _is_int(min_freq) or min_freq < 1:
            raise ValueError(f"min_freq must be an int >= 1, got {min_freq!r}")
        if max_size is not None and (not _is_int(max_size) or max_size < len(tuple(specials))):
            raise ValueError(
                f"max_size must be None or an int >= the number of specials ({len(tuple(specials))}: {specials}), "
                f"got {max_size!r}"
            )
        vocab = cls([], level=level, specials=specials, lower=lower)
        if isinstance(texts, str):
            texts = [texts]
        if isinstance(texts, (bytes, Mapping)) or not isinstance(texts, Iterable):
            raise TypeError(f"texts must be a str or a list of texts (str or lists of tokens), got {_kind(texts)}")
        counts: Counter[str] = Counter()
        for text in texts:
            counts.update(vocab.tokenize(text))  # Counter keeps first-appearance order among new keys
        for s in [s for s in counts if vocab._lookup(s) is not None]:
            counts.pop(s)  # the specials, in either spelling
        kept = [s for s, c in counts.items() if c >= min_freq]
        kept.sort(key=lambda s: -counts[s])  # a stable sort: equal counts stay in first-appearance order
        if max_size is not None:
            kept = kept[: max_size - len(vocab.specials)]
        return cls(kept, level=level, specials=specials, lower=lower)

    def tokenize(self, text: str | Sequence[str]) -> list[str]:
        """The symbols of one text at this vocabulary's level: characters, or ``tokenize(text, self.lower)``.

        A list of tokens (already split) is returned as a list, unchanged; anything else is refused.
        """
        if not isinstance(text, str):
            if isinstance(text, (bytes, Mapping)) or not isinstance(text, Iterable):
                raise TypeError(
                    f"expected a text (str) or a list of symbols (str), got {_kind(text)}; "
                    "to turn ids into text use decode"
                )
            tokens = list(text)
            for position, token in enumerate(tokens):
                if not isinstance(token, str):
                    raise TypeError(
                        f"a list of symbols must hold str, got {_kind(token)} at position {position}; "
                        "are these ids already? decode turns ids into text"
                    )
            return tokens
        if self.level == "char":
            return list(text)
        return tokenize(text, lower=self.lower)

    def encode(self, text: str | Sequence[str], add_bos: bool = False, add_eos: bool = False) -> list[int]:
        """The ids of a text (or of a list of tokens); symbols not in the vocabulary become ``<unk>``.

        The course's spellings ``<UNK>``, ``<EOS>``, ``<BOS>``, ``<PAD>`` are read as the specials.

        Args:
            text: a string (split at this vocabulary's level) or a list of symbols (str).
            add_bos: put ``<bos>`` first.
            add_eos: put ``<eos>`` last.

        Returns:
            A list of ints.
        """
        unk = self._lookup("<unk>")
        ids = []
        for s in self.tokenize(text):
            i = self._lookup(s)
            if i is None:
                i = unk
            if i is None:
                raise KeyError(f"symbol {s!r} is not in the vocabulary and it has no '<unk>' special to stand for it")
            ids.append(i)
        if add_bos:
            ids.insert(0, self.bos_id)
        if add_eos:
            ids.append(self.eos_id)
        return ids

    def decode(self, ids: Iterable[int], skip_specials: bool = True) -> str:
        """The text of some ids: characters joined with ``""``, words with ``" "``.

        Args:
            ids: a 1-D sequence of integer ids (a list, a NumPy array or a minigrad Tensor). Floats (even
                whole ones), NaN and bools are refused: an id is an index, and 4.9 is not one.
            skip_specials: leave the special symbols (padding, ``<bos>``, ``<eos>``, ``<unk>``) out.

        Returns:
            The text.
        """
        ids = _id_list(ids)
        n_specials = len(self.specials)
        symbols = [self.symbol(i) for i in ids if not (skip_specials and 0 <= i < n_specials)]
        return ("" if self.level == "char" else " ").join(symbols)

    def symbol(self, index: int) -> str:
        """The symbol with this id."""
        if not _is_int(index):
            raise TypeError(f"an id must be an int, got {_kind(index)}")
        if not 0 <= index < len(self._itos):
            raise IndexError(f"id {index} is out of range for a vocabulary of {len(self._itos)} symbols")
        return self._itos[index]

    def _lookup(self, symbol: str) -> int | None:
        """The id of a symbol, or of the special it is the other spelling of (``<EOS>`` for ``<eos>``); else None."""
        i = self._stoi.get(symbol)
        if i is None and _OTHER_SPELLING.get(symbol) in self.specials:
            i = self._stoi[_OTHER_SPELLING[symbol]]
        return i

    def _special_id(self, name: str) -> int:
        for spelling in (name, _OTHER_SPELLING[name]):
            if spelling in self.specials:
                return self._stoi[spelling]
        raise KeyError(f"this vocabulary has no {name!r} special (its specials are {self.specials})")

    @property
    def pad_id(self) -> int:
        """The id of ``<pad>``."""
        return self._special_id("<pad>")

    @property
    def unk_id(self) -> int:
        """The id of ``<unk>``."""
        return self._special_id("<unk>")

    @property
    def bos_id(self) -> int:
        """The id of ``<bos>``."""
        return self._special_id("<bos>")

    @property
    def eos_id(self) -> int:
        """The id of ``<eos>``."""
        return self._special_id("<eos>")

    def __len__(self) -> int:
        return len(self._itos)

    def __contains__(self, symbol: object) -> bool:
        return isinstance(symbol, str) and self._lookup(symbol) is not None

    def __iter__(self) -> Iterator[str]:
        """The symbols in id order, specials first."""
        return iter(list(self._itos))

    def __getitem__(self, symbol: str) -> int:
        """The id of a symbol; a ``KeyError`` for one not in the vocabulary (``encode`` maps those to ``<unk>``)."""
        i = self._lookup(symbol) if isinstance(symbol, str) else None
        if i is None:
            raise KeyError(
                f"{symbol!r} is not in the vocabulary of {len(self)} symbols; test with `in`, "
                f"or use vocab.encode([...]) to map unknown symbols to '<unk>'"
            )
        return i

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Vocabulary):
            return NotImplemented
        return (self.level, self.lower, self.specials, self._itos) == (
            other.level,
            other.lower,
            other.specials,
            other._itos,
        )

    __hash__ = None  # type: ignore[assignment]  # mutable-looking table: not hashable, like a dict

    def __repr__(self) -> str:
        return f"Vocabulary(level={self.level!r}, size={len(self)}, specials={self.specials})"

    def save(self, path: str | os.PathLike) -> None:
        """Write the vocabulary as JSON (symbols in id order), so ids stay the same across runs."""
        payload = {
            "format": _FORMAT,
            "version": 1,
            "level": self.level,
            "lower": self.lower,
            "specials": list(self.specials),
            "symbols": self._itos[len(self.specials) :],
        }
        with open(path, "w", encoding="utf-8") as f:
            json.dump(payload, f, ensure_ascii=False, indent=1)

    @classmethod
    def load(cls, path: str | os.PathLike) -> Vocabulary:
        """Read a vocabulary written by ``save``; a malformed file is refused with a ``ValueError`` saying why."""
        if os.path.isdir(path):
            raise IsADirectoryError(f"{os.fspath(path)!r} is a directory: pass the file Vocabulary.save wrote")
        try:
            with open(path, encoding="utf-8") as f:
                payload = json.load(f)
        except UnicodeDecodeError as e:
            raise ValueError(f"{path} is not a vocabulary file: it is not UTF-8 text ({e})") from e
        except json.JSONDecodeError as e:
            raise ValueError(f"{path} is not a vocabulary file: it is not valid JSON ({e})") from e

        def bad(why: str) -> ValueError:
            return ValueError(f"{path} is not a valid vocabulary file written by Vocabulary.save: {why}")

        if not isinstance(payload, dict) or payload.get("format") != _FORMAT:
            raise bad(f'expected a JSON object with "format": "{_FORMAT}"')
        if payload.get("version") != 1:
            raise bad(f"unsupported version {payload.get('version')!r} (this code reads version 1)")
        if payload.get("level") not in LEVELS:
            raise bad(f"'level' must be one of {LEVELS}, got {payload.get('level')!r}")
        for key in ("specials", "symbols"):
            value = payload.get(key)
            if not isinstance(value, list) or not all(isinstance(s, str) for s in value):
                raise bad(f"{key!r} must be a list of strings")
        all_symbols = payload["specials"] + payload["symbols"]
        if len(set(all_symbols)) != len(all_symbols):
            raise bad("a symbol appears twice")
        return cls(
            payload["symbols"],
            level=payload["level"],
            specials=payload["specials"],
            lower=bool(payload.get("lower", False)),
        )


# ---------------------------------------------------------------------------------------------------------------
# Checks
# ---------------------------------------------------------------------------------------------------------------


def _is_int(value: Any) -> bool:
    """An integer (Python's or NumPy's), and not a bool."""
    return isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))


def _kind(value: Any) -> str:
    """How a value is described in an error: its type, and a short repr."""
    text = repr(value)
    return f"{type(value).__name__} {text if len(text) <= 40 else text[:37] + '...'}"


def _id_list(ids: Any) -> list[int]:
    """A 1-D sequence of integer ids as a list of Python ints, or a TypeError/ValueError saying what is wrong."""
    if not isinstance(ids, np.ndarray):
        ids = getattr(ids, "data", ids)  # a minigrad Tensor holds its array in .data
    if isinstance(ids, np.ndarray):
        if ids.ndim != 1:
            raise ValueError(f"decode expects a 1-D sequence of ids, got shape {ids.shape}: decode one row at a time")
        if ids.dtype.kind not in "iu":
            raise TypeError(
                f"ids must be integers, got an array of dtype {ids.dtype}: an id is an index (argmax gives ints; "
                "cast whole numbers with .astype(int))"
            )
        return [int(i) for i in ids]
    if isinstance(ids, (str, bytes, Mapping)) or not isinstance(ids, Iterable):
        raise TypeError(f"decode expects a 1-D sequence of integer ids, got {_kind(ids)}; for one id use [i]")
    out = []
    for position, i in enumerate(ids):
        if not _is_int(i):
            raise TypeError(
                f"ids must be integers, got {_kind(i)} at position {position}: an id is an index (round or cast "
                "whole numbers with int(...) first; a float is not truncated)"
            )
        out.append(int(i))
    return out
