"""Generated tasks: small, seeded (``np.random.default_rng(seed)``), each isolating one thing a sequence
model must learn (see ``seq.datasets`` for the list).
"""

from __future__ import annotations

import datetime
import math
import numbers
from typing import Any, NamedTuple

import numpy as np

# ---------------------------------------------------------------------------------------------------------------
# Checks shared by every task: counts are ints >= 0, seeds are what np.random.default_rng takes
# ---------------------------------------------------------------------------------------------------------------


def _is_int(value: Any) -> bool:
    """An integer (Python's or NumPy's), and not a bool."""
    return isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))


def _check_count(name: str, value: Any, least: int = 0) -> None:
    if not _is_int(value) or value < least:
        raise ValueError(f"{name} must be an int >= {least}, got {value!r}")


def _rng(seed: Any) -> np.random.Generator:
    """``np.random.default_rng(seed)`` for an int seed >= 0; anything else is refused with a message."""
    if not _is_int(seed) or seed < 0:
        raise ValueError(f"seed must be an int >= 0 (the seed of np.random.default_rng), got {seed!r}")
    return np.random.default_rng(seed)


def _check_real(name: str, value: Any, positive: bool = False, non_negative: bool = False) -> None:
    ok = isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_)) and math.isfinite(value)
    if not ok or (positive and value <= 0) or (non_negative and value < 0):
        need = "a finite number > 0" if positive else "a finite number >= 0" if non_negative else "a finite number"
        raise ValueError(f"{name} must be {need}, got {value!r}")


# ---------------------------------------------------------------------------------------------------------------
# dates: human-readable -> ISO (the course's neural machine translation with attention exercise)
# ---------------------------------------------------------------------------------------------------------------

MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")  # date.weekday() order

# Each format: a template over the fields below and a case ("keep", "lower", "upper").
#   {d} day (3), {dd} day with zero (03), {dth} ordinal day (3rd), {m} month (5), {mm} month with zero (05),
#   {month} May / September, {mon} May / Sep, {yyyy} 1979, {yy} 79, {weekday} Thursday, {wkd} Thu.
# Slashes are always US (month first), dots and dashes always day first, so each format reads one way.
# Two-digit years mean 1950-2049: 50-99 are 19xx, 00-49 are 20xx.
DATE_FORMATS: tuple[tuple[str, str], ...] = (
    ("{d} {month} {yyyy}", "keep"),  # 3 May 1979
    ("{weekday}, {month} {d} {yyyy}", "lower"),  # thursday, may 3 1979
    ("{mm}/{dd}/{yy}", "keep"),  # 05/03/79
    ("{dth} of {month} {yyyy}", "keep"),  # 3rd of May 1979
    ("{month} {d}, {yyyy}", "keep"),  # May 3, 1979
    ("{dd}.{mm}.{yyyy}", "keep"),  # 03.05.1979
    ("{mon} {d} {yyyy}", "upper"),  # MAY 3 1979
    ("{d} {mon} {yy}", "lower"),  # 3 may 79
    ("{wkd} {dth} {month} {yyyy}", "keep"),  # Thu 3rd May 1979
    ("{weekday} {d} {month} {yyyy}", "upper"),  # THURSDAY 3 MAY 1979
    ("{month} {dth}, {yyyy}", "lower"),  # may 3rd, 1979
    ("{dd}-{mon}-{yyyy}", "upper"),  # 03-MAY-1979
    ("{wkd}, {d} {mon} {yy}", "keep"),  # Thu, 3 May 79
    ("{m}/{d}/{yyyy}", "keep"),  # 5/3/1979
    ("the {dth} of {month}, {yyyy}", "lower"),  # the 3rd of may, 1979
    ("{d}.{m}.{yy}", "keep"),  # 3.5.79
)

_FIRST_DAY = datetime.date(1950, 1, 1).toordinal()
_LAST_DAY = datetime.date(2049, 12, 31).toordinal()


def ordinal(day: int) -> str:
    """1 -> "1st", 2 -> "2nd", 3 -> "3rd", 11 -> "11th", 22 -> "22nd"."""
    _check_count("day", day)
    suffix = "th" if 11 <= day % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


def format_date(date: datetime.date, fmt: int) -> str:
    """A date written in ``DATE_FORMATS[fmt]``; month and weekday names are English, independent of the locale."""
    if not isinstance(date, datetime.date):
        raise TypeError(f"date must be a datetime.date, got {type(date).__name__} {date!r}")
    if not _is_int(fmt) or not 0 <= fmt < len(DATE_FORMATS):
        raise ValueError(
            f"fmt must be an int from 0 to {len(DATE_FORMATS) - 1} (an index of DATE_FORMATS), got {fmt!r}"
        )
    template, case = DATE_FORMATS[fmt]
    text = template.format(
        d=date.day,
        dd=f"{date.day:02d}",
        dth=ordinal(date.day),
        m=date.month,
        mm=f"{date.month:02d}",
        month=MONTHS[date.month - 1],
        mon=MONTHS[date.month - 1][:3],
        yyyy=date.year,
        yy=f"{date.year % 100:02d}",
        weekday=WEEKDAYS[date.weekday()],
        wkd=WEEKDAYS[date.weekday()][:3],
    )
    return {"keep": text, "lower": text.lower(), "upper": text.upper()}[case]


def dates(n: int, seed: int = 0) -> list[tuple[str, str]]:
    """Pairs (human-readable date, ISO date) for a translation model: "Thu 3rd May 1979" -> "1979-05-03".

    Tests: reading a variable-length, variably-ordered input (day or month first, names or numbers, two- or
    four-digit years) and writing a fixed format — the course's attention exercise. Dates are uniform over
    1950-01-01 .. 2049-12-31; each is written in one of the 16 ``DATE_FORMATS``, chosen uniformly (weekday
    names are the real weekday of the date).

    Args:
        n: the number of pairs.
        seed: the seed of ``np.random.default_rng``.

    Returns:
        A list of ``(human, iso)`` with ``iso`` as ``"YYYY-MM-DD"``.
    """
    _check_count("n", n)
    rng = _rng(seed)
    days = rng.integers(_FIRST_DAY, _LAST_DAY + 1, size=n)
    fmts = rng.integers(0, len(DATE_FORMATS), size=n)
    pairs = []
    for day, fmt in zip(days, fmts):
        date = datetime.date.fromordinal(int(day))
        pairs.append((format_date(date, int(fmt)), date.isoformat()))
    return pairs


# ---------------------------------------------------------------------------------------------------------------
# agreement: subject-verb number agreement across distractors (Linzen et al., 2016)
# ---------------------------------------------------------------------------------------------------------------

NOUNS = {  # singular -> plural
    "cat": "cats", "dog": "dogs", "boy": "boys", "girl": "girls", "teacher": "teachers", "doctor": "doctors",
    "farmer": "farmers", "king": "kings", "student": "students", "pilot": "pilots", "bird": "birds",
    "horse": "horses", "child": "children", "woman": "women", "man": "men", "author": "authors",
}  # fmt: skip
PLURAL_NOUNS = frozenset(NOUNS.values())
SINGULAR_NOUNS = frozenset(NOUNS)
_PREPOSITIONS = ("near", "behind", "with", "beside", "like")
_ADJECTIVES = ("old", "small", "happy", "tired", "clever", "angry")
_ADVERBS = ("certainly", "really", "clearly", "surely", "probably", "also")
_TRANSITIVE = ("saw", "liked", "chased", "met", "helped", "admired")
PROPER_NAMES = ("john", "mary", "alice", "peter", "sam", "lucy")
_COMPLETIONS = ("here", "hungry", "late", "happy", "outside", "tired", "right")


class AgreementExample(NamedTuple):
    """One agreement example: the words before the verb, the label, and the gap.

    Attributes:
        tokens: ``["the", subject, *gap_words]``: the words before the verb (the model's input).
        label: 1 when the verb must be plural ("were"), 0 when singular ("was") — the subject's number.
        gap: the number of words between the subject and the verb.
    """

    tokens: list[str]
    label: int
    gap: int

    @property
    def verb(self) -> str:
        """The verb that agrees with the subject."""
        return "were" if self.label else "was"


def _noun(rng: np.random.Generator, plural: bool) -> str:
    singular = str(rng.choice(list(NOUNS)))
    return NOUNS[singular] if plural else singular


def _phrase(rng: np.random.Generator, length: int, plural: bool | None) -> list[str]:
    """A phrase of exactly ``length`` words (1 to 4); with ``plural`` not None it holds a noun of that number."""
    if plural is None:
        plural = bool(rng.integers(2))
    if length == 1:
        return [str(rng.choice(_ADVERBS))]  # the only length without a noun: callers ask plural=None
    if length == 2:
        noun = _noun(rng, True) if plural else str(rng.choice(PROPER_NAMES))  # a bare plural, or a name (singular)
        return [str(rng.choice(_PREPOSITIONS)), noun]
    if length == 3:
        return [str(rng.choice(_PREPOSITIONS)), "the", _noun(rng, plural)]
    if rng.integers(2):
        return ["that", "the", _noun(rng, plural), str(rng.choice(_TRANSITIVE))]
    return [str(rng.choice(_PREPOSITIONS)), "the", str(rng.choice(_ADJECTIVES)), _noun(rng, plural)]


def agreement(n: int, max_gap: int, seed: int = 0, min_gap: int = 0) -> list[AgreementExample]:
    """Sentences "the cat near the dogs that the boy saw ... was/were": predict the number of the verb.

    Tests: long memory. The label is the number of the subject (the second word); between subject and
    verb come ``gap`` distractor words (uniform in ``min_gap..max_gap``): adverbs, prepositional phrases
    and relative clauses whose nouns have either number, drawn independently of the subject, so the
    nearest noun says nothing about the verb ("copy the number of the last noun" is right half the time,
    and no other word gives the label away). A model must keep the subject's number in its state across
    the whole gap. Labels are balanced in expectation.

    Args:
        n: the number of examples.
        max_gap: the largest gap.
        seed: the seed of ``np.random.default_rng``.
        min_gap: the smallest gap.

    Returns:
        A list of ``AgreementExample(tokens, label, gap)``; ``tokens + [example.verb]`` is the sentence up to
        the verb.
    """
    _check_count("n", n)
    _check_count("max_gap", max_gap)
    _check_count("min_gap", min_gap)
    if not min_gap <= max_gap:
        raise ValueError(f"need 0 <= min_gap <= max_gap, got min_gap={min_gap}, max_gap={max_gap}")
    rng = _rng(seed)
    examples = []
    for _ in range(n):
        plural = bool(rng.integers(2))
        gap = int(rng.integers(min_gap, max_gap + 1))
        words: list[str] = []
        if gap == 1:
            words = _phrase(rng, 1, None)
        elif gap >= 2:
            last_length = int(rng.integers(2, min(gap, 4) + 1))
            remaining = gap - last_length
            while remaining > 0:
                length = int(rng.integers(1, min(remaining, 4) + 1))
                words += _phrase(rng, length, None)
                remaining -= length
            words += _phrase(rng, last_length, bool(rng.integers(2)))  # a noun of either number, near the verb
        examples.append(AgreementExample(["the", _noun(rng, plural), *words], int(plural), gap))
    return examples


# ---------------------------------------------------------------------------------------------------------------
# negation_sentiment: pairs with the same bag of words and opposite labels
# ---------------------------------------------------------------------------------------------------------------

SENTIMENT_WORDS = (  # (positive, negative)
    ("good", "bad"), ("great", "terrible"), ("tasty", "bland"), ("friendly", "rude"), ("fast", "slow"),
    ("clean", "dirty"), ("cheap", "overpriced"), ("excellent", "awful"), ("fresh", "stale"),
    ("lovely", "horrible"), ("amazing", "disappointing"),
)  # fmt: skip
_REVIEW_NOUNS = ("food", "service", "staff", "movie", "room", "pizza", "coffee", "hotel", "show", "meal")
# {said}: the word the review asserts (it decides the label); {denied}: the word it negates.
_REVIEW_TEMPLATES = (
    "the {noun} was {said}, not {denied} at all",
    "the {noun} was not {denied}, it was {said}",
    "not {denied} but {said}: that was the {noun}",
    "i expected the {noun} to be {denied} but it was {said}",
    "the {noun} was {said} and not {denied}",
    "{said}, not {denied}, is how i would describe the {noun}",
    "people said the {noun} was {denied}. it was {said}",
)


class SentimentExample(NamedTuple):
    """One review: its text, its label (1 positive, 0 negative), and the id it shares with its partner."""

    text: str
    label: int
    pair_id: int


def negation_sentiment(n: int, seed: int = 0) -> list[SentimentExample]:
    """Short reviews whose sentiment is decided by word order: "the food was good, not bad at all" is positive.

    Tests: order sensitivity. Examples come in pairs sharing a ``pair_id``: the same template, noun and pair of
    sentiment words, with the asserted and the negated word swapped — so the two have exactly the same bag of
    words and opposite labels, and a bag-of-words model is at chance on every pair. The examples are shuffled
    (partners are not adjacent); split train/test by ``pair_id``.

    Args:
        n: the number of examples, even.
        seed: the seed of ``np.random.default_rng``.

    Returns:
        A list of ``SentimentExample(text, label, pair_id)``.
    """
    _check_count("n", n)
    if n % 2:
        raise ValueError(f"negation_sentiment makes examples in pairs: n must be even, got {n}")
    rng = _rng(seed)
    examples = []
    for pair_id in range(n // 2):
        template = _REVIEW_TEMPLATES[rng.integers(len(_REVIEW_TEMPLATES))]
        noun = str(rng.choice(_REVIEW_NOUNS))
        positive, negative = SENTIMENT_WORDS[rng.integers(len(SENTIMENT_WORDS))]
        examples.append(SentimentExample(template.format(noun=noun, said=positive, denied=negative), 1, pair_id))
        examples.append(SentimentExample(template.format(noun=noun, said=negative, denied=positive), 0, pair_id))
    return [examples[i] for i in rng.permutation(n)]


# ---------------------------------------------------------------------------------------------------------------
# entity_tags: the tag of the first word depends on the words after it
# ---------------------------------------------------------------------------------------------------------------

TAGS = ("O", "PER", "LOC", "ORG")  # outside any entity, person, location, organisation

# first word -> its readings: (the words after it that decide the reading, written "word/TAG" with O by default,
# and the continuations that fit that reading). The first word takes the tag of the reading.
_READINGS: dict[str, list[tuple[str, str, tuple[str, ...]]]] = {
    "Teddy": [
        ("PER", "Roosevelt/PER", ("was a great president", "gave a speech in Boston/LOC", "led the country")),
        ("O", "bears", ("are on sale", "are soft and cheap", "make good gifts")),
    ],
    "Washington": [
        ("LOC", "", ("is a state in the north", "is the capital of America/LOC", "has rainy winters")),
        ("PER", "Irving/PER", ("wrote many stories", "was born in New/LOC York/LOC", "was a great writer")),
        ("ORG", "Post/ORG", ("published a story", "hired new reporters", "sells many papers")),
    ],
    "Jordan": [
        ("LOC", "", ("borders Syria/LOC", "is a country in Asia/LOC", "has a long history")),
        ("PER", "Peele/PER", ("made a new movie", "was born in New/LOC York/LOC", "is a funny man")),
    ],
    "Apple": [
        ("ORG", "", ("released a new phone", "hired many engineers", "is based in Cupertino/LOC")),
        ("O", "pie", ("is tasty", "is on the table", "is my favourite dessert")),
    ],
    "Paris": [
        ("LOC", "", ("is the capital of France/LOC", "is a lovely city", "has many museums")),
        ("PER", "Hilton/PER", ("was on television", "gave a speech in Boston/LOC", "is a famous person")),
    ],
    "Jackson": [
        ("LOC", "", ("is the capital of Mississippi/LOC", "is a city in the south", "has hot summers")),
        ("PER", "Pollock/PER", ("painted many pictures", "was a great painter", "was born in Wyoming/LOC")),
    ],
    "Amazon": [
        ("ORG", "", ("shipped my order", "hired many workers", "sells books and music")),
        ("O", "parrots", ("are green birds", "are very loud", "live for many years")),
    ],
    "Georgia": [
        ("LOC", "", ("is a state in the south", "borders Florida/LOC", "has hot summers")),
        ("PER", "O'Keeffe/PER", ("painted many flowers", "was a great painter", "was born in Wisconsin/LOC")),
    ],
}
AMBIGUOUS_FIRST_WORDS = tuple(_READINGS)


def _tagged(words: str) -> list[tuple[str, str]]:
    """ "Boston/LOC is big" -> [("Boston", "LOC"), ("is", "O"), ("big", "O")]."""
    pairs = []
    for item in words.split():
        word, _, tag = item.partition("/")
        pairs.append((word, tag or "O"))
    return pairs


def entity_tags(n: int, seed: int = 0) -> list[tuple[list[str], list[str]]]:
    """Sentences tagged word by word with ``TAGS``, where the first word's tag is decided by the words after it.

    Tests: the need for the right context. "Teddy Roosevelt was a great president" is ``PER PER O O O O``;
    "Teddy bears are on sale" is ``O O O O O`` — at the first step a left-to-right RNN cannot know which
    (it is at chance between the readings of ``AMBIGUOUS_FIRST_WORDS``), a bidirectional one can. Every
    sentence starts with one of those words; its reading is chosen uniformly, then one continuation.

    Args:
        n: the number of sentences.
        seed: the seed of ``np.random.default_rng``.

    Returns:
        A list of ``(tokens, tags)`` of equal lengths.
    """
    _check_count("n", n)
    rng = _rng(seed)
    examples = []
    for _ in range(n):
        first = AMBIGUOUS_FIRST_WORDS[rng.integers(len(AMBIGUOUS_FIRST_WORDS))]
        readings = _READINGS[first]
        tag, decider, continuations = readings[rng.integers(len(readings))]
        rest = _tagged(decider) + _tagged(continuations[rng.integers(len(continuations))])
        tokens = [first] + [w for w, _ in rest]
        tags = [tag] + [t for _, t in rest]
        examples.append((tokens, tags))
    return examples


# ---------------------------------------------------------------------------------------------------------------
# homophones: the course's speech-recognition example, "the apple and pear salad" vs "... pair salad"
# ---------------------------------------------------------------------------------------------------------------

_FRUITS = ("pear", "pear", "pear", "banana", "grape", "orange")  # pear half the time: "apple and pear" is common
_DISHES = ("salad", "salad", "pie", "juice")
_TASTES = ("tasty", "fresh", "sweet", "good")
_GARMENTS = ("shoes", "socks", "gloves", "boots")
# {fruit} is a fruit after "apple and" (pear half the time); every other slot is filled from its list.
_HOMOPHONE_TEMPLATES = (
    "the apple and {fruit} {dish} is {taste}",
    "we ate the apple and {fruit} {dish}",
    "she made an apple and {fruit} {dish}",
    "a ripe pear is {taste}",
    "he ate a pear and an apple",
    "i bought a pair of {garment}",
    "he wore a new pair of {garment}",
    "the pair of {garment} is new",
    "they make a lovely pair",
)


def homophones(n: int, seed: int = 0) -> list[str]:
    """Lowercase sentences in which "pear" and "pair" each appear in their own contexts.

    Tests: what a language model is for, in the course's speech-recognition example: "the apple and pear
    salad" and "the apple and pair salad" sound the same, and the model should give the first a higher
    P(sentence). Here "pear" is the fruit ("the apple and pear salad is tasty": after "apple and" it is the
    fruit half the time, banana, grape or orange otherwise) and "pair" comes with garments ("i bought a pair
    of socks", "they make a lovely pair"); "apple and pair" never occurs. Templates are drawn uniformly.

    Args:
        n: the number of sentences.
        seed: the seed of ``np.random.default_rng``.

    Returns:
        A list of ``n`` sentences (words separated by single spaces, no punctuation).
    """
    _check_count("n", n)
    rng = _rng(seed)
    sentences = []
    for _ in range(n):
        template = _HOMOPHONE_TEMPLATES[rng.integers(len(_HOMOPHONE_TEMPLATES))]
        slots = {
            "fruit": _FRUITS[rng.integers(len(_FRUITS))],
            "dish": _DISHES[rng.integers(len(_DISHES))],
            "taste": _TASTES[rng.integers(len(_TASTES))],
            "garment": _GARMENTS[rng.integers(len(_GARMENTS))],
        }  # every slot is drawn, used or not, so one template's draws do not shift the others'
        sentences.append(template.format(**slots))
    return sentences


# ---------------------------------------------------------------------------------------------------------------
# Numeric sequences
# ---------------------------------------------------------------------------------------------------------------


def adding_problem(n: int, T: int, seed: int = 0, dtype: Any = np.float32) -> tuple[np.ndarray, np.ndarray]:
    """The adding problem (Hochreiter & Schmidhuber, 1997): add the two marked numbers of a long sequence.

    Tests: memory over ``T`` steps. Channel 0 holds numbers uniform in [0, 1); channel 1 is 1 at exactly two
    steps — one in the first half, one in the second — and 0 elsewhere. The target is the sum of the two
    marked numbers. Always answering 1 (the mean) has MSE = Var(u1 + u2) = 2/12 ≈ 0.167: a model must beat
    that to have remembered anything.

    Args:
        n: the number of sequences.
        T: the length of each sequence, at least 2.
        seed: the seed of ``np.random.default_rng``.
        dtype: the float type of the arrays (minigrad's default is float32).

    Returns:
        ``(x, y)``: x of shape (n, T, 2) (batch first: use ``x.transpose(1, 0, 2)`` for (T, n, 2)), y of shape (n,).
    """
    _check_count("n", n)
    if not _is_int(T) or T < 2:
        raise ValueError(f"the adding problem needs T >= 2, an int (one mark in each half), got T={T!r}")
    rng = _rng(seed)
    values = rng.random((n, T))  # (n, T)
    half = T // 2
    first = rng.integers(0, half, size=n)
    second = rng.integers(half, T, size=n)
    marks = np.zeros((n, T))  # (n, T)
    rows = np.arange(n)
    marks[rows, first] = 1.0
    marks[rows, second] = 1.0
    x = np.stack([values, marks], axis=-1).astype(dtype)  # 2 x (n, T) -> (n, T, 2)
    y = (x[rows, first, 0] + x[rows, second, 0]).astype(dtype)
    return x, y


def time_series(n: int, seed: int = 0, period: float = 12, trend: float = 0.01, noise: float = 0.1) -> np.ndarray:
    """A seasonal series with a trend and noise: ``x[t] = sin(2π t / period) + trend · t + noise · ε_t``.

    Tests: forecasting. The season repeats every ``period`` steps (12: months of a year), the trend drifts
    the level, and ``ε_t`` is standard normal noise that no model can predict (its variance ``noise²`` is the
    lowest one-step MSE possible).

    Args:
        n: the number of steps.
        seed: the seed of ``np.random.default_rng``.
        period: the length of one season, in steps.
        trend: the rise per step.
        noise: the standard deviation of the noise.

    Returns:
        A float64 array of shape (n,).
    """
    _check_count("n", n)
    _check_real("period", period, positive=True)
    _check_real("trend", trend)
    _check_real("noise", noise, non_negative=True)
    rng = _rng(seed)
    t = np.arange(n, dtype=np.float64)
    return np.sin(2 * np.pi * t / period) + trend * t + noise * rng.standard_normal(n)
