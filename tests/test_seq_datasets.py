"""seq.datasets: corpora (offline: the network is never touched) and the seeded generated tasks."""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import re
import sys
import urllib.error
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from seq import datasets
from seq.text import tokenize

# --------------------------------------------------------------------------------------------- load_text


@pytest.fixture
def fake_corpus(monkeypatch, tmp_path):
    """A small fake "tinyshakespeare" with its digest, and a network that must not be used unless a test says so."""
    content = b"First Citizen:\nBefore we proceed any further, hear me speak.\n"
    corpus = dataclasses.replace(datasets.CORPORA["tinyshakespeare"], sha256=hashlib.sha256(content).hexdigest())
    monkeypatch.setitem(datasets.corpora.CORPORA, "tinyshakespeare", corpus)

    def no_network(url, timeout=30.0):
        raise urllib.error.URLError("no network in tests")

    monkeypatch.setattr(datasets.corpora, "_download", no_network)
    return content, tmp_path / "cache"


def test_load_text_reads_a_local_file(tmp_path):
    path = tmp_path / "poem.txt"
    path.write_text("Shall I compare thee\nto a summer's day?\n", encoding="utf-8")
    assert datasets.load_text(path) == "Shall I compare thee\nto a summer's day?\n"
    assert datasets.load_text(str(path)) == datasets.load_text(path)


def test_load_text_refuses_a_directory_a_binary_file_and_a_non_path(tmp_path):
    with pytest.raises(IsADirectoryError, match="is a directory: pass a UTF-8 text file"):
        datasets.load_text(tmp_path)
    binary = tmp_path / "model.ckpt"
    binary.write_bytes(bytes(range(256)))
    with pytest.raises(ValueError, match="is not UTF-8 text .*not binary ones"):
        datasets.load_text(binary)
    with pytest.raises(TypeError, match="expects a file path or a corpus name"):
        datasets.load_text(3)


def test_load_text_unknown_name():
    with pytest.raises(FileNotFoundError, match="tinyshakespeare"):
        datasets.load_text("no-such-corpus-or-file.txt")


def test_download_failure_says_which_file_to_put_where(fake_corpus):
    _, cache = fake_corpus
    with pytest.raises(datasets.DownloadError) as info:
        datasets.load_text("tinyshakespeare", cache_dir=cache)
    message = str(info.value)
    assert str(cache / "tinyshakespeare.txt") in message
    assert datasets.CORPORA["tinyshakespeare"].url in message
    assert isinstance(info.value, OSError)
    assert not (cache / "tinyshakespeare.txt").exists()


def test_download_once_verified_and_atomic(fake_corpus, monkeypatch):
    content, cache = fake_corpus
    calls = []

    def fake_download(url, timeout=30.0):
        calls.append(url)
        return content

    monkeypatch.setattr(datasets.corpora, "_download", fake_download)
    assert datasets.load_text("tinyshakespeare", cache_dir=cache) == content.decode()
    assert datasets.load_text("tinyshakespeare", cache_dir=cache) == content.decode()
    assert len(calls) == 1  # the second read comes from the cache
    assert sorted(p.name for p in cache.iterdir()) == ["tinyshakespeare.txt"]  # no temporary file left behind


def test_download_with_wrong_digest_is_refused_and_not_written(fake_corpus, monkeypatch):
    _, cache = fake_corpus
    monkeypatch.setattr(datasets.corpora, "_download", lambda url, timeout=30.0: b"something else")
    with pytest.raises(ValueError, match="SHA-256"):
        datasets.load_text("tinyshakespeare", cache_dir=cache)
    assert not (cache / "tinyshakespeare.txt").exists()


def test_corrupt_cached_file_is_refused(fake_corpus):
    content, cache = fake_corpus
    cache.mkdir()
    (cache / "tinyshakespeare.txt").write_bytes(content[:-5])
    with pytest.raises(ValueError, match="corrupt"):
        datasets.load_text("tinyshakespeare", cache_dir=cache)


def test_cache_dir_from_environment(fake_corpus, monkeypatch):
    content, cache = fake_corpus
    cache.mkdir()
    (cache / "tinyshakespeare.txt").write_bytes(content)
    monkeypatch.setenv("MINIGRAD_DATA", str(cache))
    assert datasets.default_cache_dir() == cache
    assert datasets.load_text("tinyshakespeare") == content.decode()
    monkeypatch.delenv("MINIGRAD_DATA")
    monkeypatch.setenv("XDG_CACHE_HOME", "/somewhere")
    assert datasets.default_cache_dir() == Path("/somewhere/minigrad")


def test_the_real_digest_matches_a_cached_copy():
    """Where a real download is cached (MINIGRAD_DATA or the user cache dir), its digest is the one we expect."""
    cached = datasets.default_cache_dir() / datasets.CORPORA["tinyshakespeare"].filename
    if not cached.exists():
        pytest.skip("no cached copy of tinyshakespeare to check the digest against (tests never download)")
    assert datasets.sha256_of(cached) == datasets.CORPORA["tinyshakespeare"].sha256


# ------------------------------------------------------------------------------------------------- names


def test_names():
    pytest.importorskip("names", reason="the census names ship in the optional `names` package")
    everything = datasets.names()
    assert len(everything) > 4000
    assert all(n.isalpha() and n.islower() for n in everything)
    assert everything == sorted(set(everything))
    assert {"mary", "james", "linda"} <= set(everything)
    parts = [datasets.names(s) for s in ("train", "val", "test")]
    assert sorted(n for part in parts for n in part) == everything  # a partition
    assert len(parts[0]) > 0.75 * len(everything)
    assert datasets.names("train") == parts[0]  # the same split every time


def test_names_without_the_package(monkeypatch):
    monkeypatch.setitem(sys.modules, "names", None)  # makes `import names` raise ImportError
    with pytest.raises(ImportError, match="demos"):
        datasets.names()


# ------------------------------------------------------------------------------------------------- dates

MONTHS = [m.lower() for m in datasets.MONTHS]
WEEKDAYS = [d.lower() for d in datasets.WEEKDAYS]


def parse_human_date(text: str) -> datetime.date:
    """An independent reader of the generated formats: slashes are month first, dots and dashes day first."""
    s = text.lower().strip()
    weekday = None
    if re.fullmatch(r"\d+/\d+/\d+", s):
        month, day, year = (int(p) for p in s.split("/"))
    elif re.fullmatch(r"\d+\.\d+\.\d+", s):
        day, month, year = (int(p) for p in s.split("."))
    else:
        tokens = [t for t in re.split(r"[\s,.\-']+", s) if t and t not in ("the", "of")]
        month = None
        numbers = []
        for t in tokens:
            if t in MONTHS or t in [m[:3] for m in MONTHS]:
                month = [m[: len(t)] for m in MONTHS].index(t) + 1
            elif t in WEEKDAYS or t in [d[:3] for d in WEEKDAYS]:
                weekday = [d[: len(t)] for d in WEEKDAYS].index(t)
            else:
                match = re.fullmatch(r"(\d+)(st|nd|rd|th)?", t)
                assert match, f"unexpected token {t!r} in {text!r}"
                numbers.append(match)
        assert month is not None and len(numbers) == 2, text
        day_match, year_match = numbers  # the year always comes last
        day, year = int(day_match.group(1)), int(year_match.group(1))
        if day_match.group(2):
            assert datasets.ordinal(day) == day_match.group(0), f"wrong ordinal in {text!r}"
    if year < 100:
        year += 1900 if year >= 50 else 2000
    date = datetime.date(year, month, day)  # raises on a date that does not exist
    if weekday is not None:
        assert date.weekday() == weekday, f"wrong weekday in {text!r}"
    return date


def _shape(text: str) -> tuple[str, ...]:
    """A coarse signature of a date's format: token classes and the case of the letters."""
    classes = []
    for t in re.findall(r"[A-Za-z]+|\d+|[^\sA-Za-z\d]", text):
        low = t.lower()
        if t.isdigit():
            classes.append("YYYY" if len(t) == 4 else "N")
        elif low in MONTHS:
            classes.append("MONTH")
        elif low in [m[:3] for m in MONTHS]:
            classes.append("MON")
        elif low in WEEKDAYS:
            classes.append("WEEKDAY")
        elif low in [d[:3] for d in WEEKDAYS]:
            classes.append("WKD")
        else:
            classes.append(low)
    letters = "".join(re.findall(r"[A-Za-z]", text))
    case = "none" if not letters else "lower" if letters.islower() else "upper" if letters.isupper() else "mixed"
    return (*classes, case)


def test_parser_reads_known_examples():
    assert parse_human_date("tuesday, march 3 1998") == datetime.date(1998, 3, 3)
    assert parse_human_date("05/03/79") == datetime.date(1979, 5, 3)
    assert parse_human_date("3rd of May 1979") == datetime.date(1979, 5, 3)
    assert parse_human_date("03.05.1979") == datetime.date(1979, 5, 3)
    with pytest.raises(AssertionError, match="weekday"):
        parse_human_date("monday, march 3 1998")


def test_dates_are_real_and_match_their_iso():
    pairs = datasets.dates(3000, seed=0)
    assert len(pairs) == 3000
    for human, iso in pairs:
        date = datetime.date.fromisoformat(iso)
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", iso)
        assert datetime.date(1950, 1, 1) <= date <= datetime.date(2049, 12, 31)
        assert parse_human_date(human) == date, human
    years = [int(iso[:4]) for _, iso in pairs]
    assert min(years) < 1960 and max(years) > 2040


def test_dates_use_at_least_twelve_formats_and_mixed_case():
    pairs = datasets.dates(3000, seed=1)
    shapes = {_shape(h) for h, iso in pairs if iso[5:7] != "05"}  # "May" is both a name and an abbreviation
    assert len(shapes) >= 12
    cases = {s[-1] for s in shapes}
    assert {"lower", "upper", "mixed"} <= cases
    assert any(re.search(r"\d(st|nd|rd|th)\b", h) for h, _ in pairs)
    assert any(re.fullmatch(r"\d\d/\d\d/\d\d", h) for h, _ in pairs)  # two-digit years


def test_dates_are_seeded():
    assert datasets.dates(50, seed=7) == datasets.dates(50, seed=7)
    assert datasets.dates(50, seed=7) != datasets.dates(50, seed=8)


def test_ordinal():
    assert [datasets.ordinal(d) for d in (1, 2, 3, 4, 11, 12, 13, 21, 22, 23, 31)] == [
        "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "23rd", "31st",
    ]  # fmt: skip


# --------------------------------------------------------------------------------------------- agreement

NOUNS = datasets.SINGULAR_NOUNS | datasets.PLURAL_NOUNS | set(datasets.PROPER_NAMES)


def _is_plural(noun: str) -> bool:
    return noun in datasets.PLURAL_NOUNS


def test_agreement_labels_follow_the_subject():
    examples = datasets.agreement(2000, max_gap=12, seed=0, min_gap=0)
    for ex in examples:
        assert ex.tokens[0] == "the" and len(ex.tokens) == 2 + ex.gap
        assert 0 <= ex.gap <= 12
        subject = ex.tokens[1]
        assert subject in datasets.SINGULAR_NOUNS | datasets.PLURAL_NOUNS
        assert ex.label == int(_is_plural(subject))
        assert ex.verb == ("were" if ex.label else "was")
    assert {ex.gap for ex in examples} == set(range(13))
    assert 0.4 < np.mean([ex.label for ex in examples]) < 0.6
    # the distractors give nothing away: the noun nearest the verb agrees with it only by chance
    agrees = [
        _is_plural([t for t in ex.tokens[2:] if t in NOUNS][-1]) == bool(ex.label) for ex in examples if ex.gap >= 2
    ]
    assert 0.45 < np.mean(agrees) < 0.55


def test_agreement_gap_bounds_and_seed():
    examples = datasets.agreement(300, max_gap=9, seed=1, min_gap=5)
    assert {ex.gap for ex in examples} <= set(range(5, 10))
    assert datasets.agreement(20, 6, seed=2) == datasets.agreement(20, 6, seed=2)
    assert datasets.agreement(20, 6, seed=2) != datasets.agreement(20, 6, seed=3)
    with pytest.raises(ValueError, match="min_gap"):
        datasets.agreement(5, max_gap=2, min_gap=3)


# ---------------------------------------------------------------------------------------------- negation


def test_negation_pairs_share_their_bag_of_words_and_flip_the_label():
    examples = datasets.negation_sentiment(400, seed=0)
    by_pair: dict[int, list] = {}
    for ex in examples:
        by_pair.setdefault(ex.pair_id, []).append(ex)
    assert len(by_pair) == 200
    for a, b in by_pair.values():
        assert Counter(tokenize(a.text)) == Counter(tokenize(b.text))
        assert {a.label, b.label} == {0, 1}
        assert a.text != b.text  # only the order differs
    assert any(examples[2 * i].pair_id != examples[2 * i + 1].pair_id for i in range(200))  # shuffled


def test_negation_label_is_the_asserted_word():
    positive = {p for p, _ in datasets.SENTIMENT_WORDS}
    for ex in datasets.negation_sentiment(100, seed=1):
        if ex.text.startswith("the ") and ", not " in ex.text:  # "the food was good, not bad at all"
            asserted = ex.text.split(", not ")[0].split()[-1]
            assert ex.label == int(asserted in positive), ex.text


def test_negation_seed_and_odd_n():
    assert datasets.negation_sentiment(10, seed=0) == datasets.negation_sentiment(10, seed=0)
    assert datasets.negation_sentiment(10, seed=0) != datasets.negation_sentiment(10, seed=1)
    with pytest.raises(ValueError, match="even"):
        datasets.negation_sentiment(3)


# ----------------------------------------------------------------------------------------------- entities


def test_entity_tags():
    examples = datasets.entity_tags(500, seed=0)
    first_tags: dict[str, set[str]] = {}
    for tokens, tags in examples:
        assert len(tokens) == len(tags) >= 2
        assert set(tags) <= set(datasets.TAGS)
        first_tags.setdefault(tokens[0], set()).add(tags[0])
    assert set(first_tags) == set(datasets.AMBIGUOUS_FIRST_WORDS)
    assert all(len(t) >= 2 for t in first_tags.values())  # the same first word, different tags
    sentences = {" ".join(tokens): tags for tokens, tags in examples}
    assert sentences.get("Teddy Roosevelt was a great president") == ["PER", "PER", "O", "O", "O", "O"]
    assert sentences.get("Teddy bears are on sale") == ["O"] * 5


def test_entity_tags_seed():
    assert datasets.entity_tags(30, seed=0) == datasets.entity_tags(30, seed=0)
    assert datasets.entity_tags(30, seed=0) != datasets.entity_tags(30, seed=1)


# ------------------------------------------------------------------------------------------------ homophones


def test_homophones_put_pear_and_pair_in_their_own_contexts():
    sentences = datasets.homophones(3000, seed=0)
    assert len(sentences) == 3000 and all(s == s.lower() and "  " not in s for s in sentences)
    after_apple_and = Counter(s.split()[s.split().index("and") + 1] for s in sentences if "apple and" in s)
    assert set(after_apple_and) == {"pear", "banana", "grape", "orange"}
    assert 0.4 < after_apple_and["pear"] / sum(after_apple_and.values()) < 0.6  # pear half the time
    for s in sentences:
        words = s.split()
        for i, w in enumerate(words):
            if w == "pair":
                assert words[i - 1] in ("a", "new", "lovely", "the") and "apple" not in words
        assert "apple and pair" not in s
    assert "the apple and pear salad is tasty" in sentences and "i bought a pair of socks" in sentences
    assert len(set(sentences)) > 50  # the templates and slots mix


def test_homophones_seed():
    assert datasets.homophones(40, seed=0) == datasets.homophones(40, seed=0)
    assert datasets.homophones(40, seed=0) != datasets.homophones(40, seed=1)
    assert datasets.homophones(0) == []


# ------------------------------------------------------------------------------------------------ bad input


TASKS = {
    "dates": lambda n=3, seed=0: datasets.dates(n, seed=seed),
    "agreement": lambda n=3, seed=0: datasets.agreement(n, 4, seed=seed),
    "negation_sentiment": lambda n=4, seed=0: datasets.negation_sentiment(n, seed=seed),
    "entity_tags": lambda n=3, seed=0: datasets.entity_tags(n, seed=seed),
    "homophones": lambda n=3, seed=0: datasets.homophones(n, seed=seed),
    "adding_problem": lambda n=3, seed=0: datasets.adding_problem(n, 5, seed=seed),
    "time_series": lambda n=3, seed=0: datasets.time_series(n, seed=seed),
}


@pytest.mark.parametrize("task", sorted(TASKS))
@pytest.mark.parametrize("n", [-1, 2.0, 2.5, True, "3", None])
def test_every_task_refuses_a_bad_n(task, n):
    with pytest.raises(ValueError, match=f"n must be an int >= 0, got {re.escape(repr(n))}"):
        TASKS[task](n=n)


@pytest.mark.parametrize("task", sorted(TASKS))
@pytest.mark.parametrize("seed", [-1, 0.5, 1.0, True, None, "0"])
def test_every_task_refuses_a_bad_seed(task, seed):
    with pytest.raises(ValueError, match=f"seed must be an int >= 0.*got {re.escape(repr(seed))}"):
        TASKS[task](seed=seed)


@pytest.mark.parametrize("task", sorted(TASKS))
def test_every_task_takes_numpy_integers(task):
    assert len(TASKS[task](n=np.int64(4), seed=np.uint32(7))) in (2, 4)  # adding_problem returns (x, y)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: datasets.adding_problem(3, 2.5), r"T >= 2, an int.*got T=2\.5"),
        (lambda: datasets.adding_problem(3, -4), r"T >= 2, an int.*got T=-4"),
        (lambda: datasets.agreement(3, max_gap=2.5), "max_gap must be an int >= 0"),
        (lambda: datasets.agreement(3, max_gap=3, min_gap=-1), "min_gap must be an int >= 0"),
        (lambda: datasets.agreement(3, max_gap=2, min_gap=3), "min_gap <= max_gap"),
        (lambda: datasets.negation_sentiment(3), "n must be even"),
        (lambda: datasets.time_series(5, period=0), "period must be a finite number > 0"),
        (lambda: datasets.time_series(5, period=float("nan")), "period must be a finite number > 0"),
        (lambda: datasets.time_series(5, noise=-0.1), "noise must be a finite number >= 0"),
        (lambda: datasets.time_series(5, trend=float("inf")), "trend must be a finite number"),
        (lambda: datasets.format_date(datetime.date(2000, 1, 1), -1), "fmt must be an int from 0 to 15"),
        (lambda: datasets.format_date(datetime.date(2000, 1, 1), 16), "fmt must be an int from 0 to 15"),
        (lambda: datasets.ordinal(2.5), "day must be an int >= 0"),
    ],
)
def test_other_bad_arguments_are_refused(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_format_date_needs_a_date():
    with pytest.raises(TypeError, match="date must be a datetime.date, got str"):
        datasets.format_date("2000-01-01", 0)


# ------------------------------------------------------------------------------------------------ numbers


def test_adding_problem():
    x, y = datasets.adding_problem(5000, T=30, seed=0)
    assert x.shape == (5000, 30, 2) and y.shape == (5000,)
    assert x.dtype == np.float32
    values, marks = x[..., 0], x[..., 1]
    assert ((values >= 0) & (values < 1)).all()
    assert set(np.unique(marks)) == {0.0, 1.0}
    assert (marks[:, :15].sum(axis=1) == 1).all() and (marks[:, 15:].sum(axis=1) == 1).all()
    np.testing.assert_allclose(y, (values * marks).sum(axis=1), rtol=1e-6)
    assert abs(np.mean((y - 1.0) ** 2) - 1 / 6) < 0.01  # the baseline a model must beat


def test_adding_problem_seed_and_short_T():
    a, b = datasets.adding_problem(10, 8, seed=0), datasets.adding_problem(10, 8, seed=0)
    np.testing.assert_array_equal(a[0], b[0])
    assert not np.array_equal(a[0], datasets.adding_problem(10, 8, seed=1)[0])
    x, y = datasets.adding_problem(3, 2)
    np.testing.assert_allclose(y, x[..., 0].sum(axis=1), rtol=1e-6)  # both steps marked
    np.testing.assert_array_equal(x[..., 1], np.ones((3, 2)))
    with pytest.raises(ValueError, match="T >= 2"):
        datasets.adding_problem(3, 1)


def test_time_series():
    t = np.arange(240)
    clean = datasets.time_series(240, seed=0, period=12, trend=0.01, noise=0.0)
    np.testing.assert_allclose(clean, np.sin(2 * np.pi * t / 12) + 0.01 * t, atol=1e-12)
    noisy = datasets.time_series(5000, seed=0, noise=0.1)
    residual = noisy - (np.sin(2 * np.pi * np.arange(5000) / 12) + 0.01 * np.arange(5000))
    assert noisy.shape == (5000,) and noisy.dtype == np.float64
    assert abs(residual.std() - 0.1) < 0.01
    np.testing.assert_array_equal(datasets.time_series(50, seed=3), datasets.time_series(50, seed=3))
    assert not np.array_equal(datasets.time_series(50, seed=3), datasets.time_series(50, seed=4))
