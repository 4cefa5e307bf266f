"""Data sets for the sequence-model exercises: two public corpora and seven generated tasks.

Everything here works offline. ``load_text("tinyshakespeare")`` downloads its file once into a cache
directory and checks its SHA-256; without a network it says which file to put where. ``names()`` reads
the US-census first names shipped inside the ``names`` package. The generated tasks are small,
seeded (``np.random.default_rng(seed)``; counts and seeds must be ints >= 0) and each isolates one thing
a sequence model must learn:

====================== ======================================================================================
``dates``              translate a human-written date into ISO format (the course's attention exercise)
``agreement``          carry the subject's number across distractors to choose "was"/"were" (long memory)
``negation_sentiment`` sentiment where word order decides ("good, not bad" vs "bad, not good")
``entity_tags``        tag the first word using the words after it (why a bidirectional RNN helps)
``homophones``         sentences where "pear" and "pair" live in their own contexts (P(sentence) tells them apart)
``adding_problem``     add two marked numbers far apart (Hochreiter & Schmidhuber's test of long memory)
``time_series``        forecast a seasonal signal with a trend and noise
====================== ======================================================================================

Where things are: ``corpora`` (download-and-cache, ``names``) and ``tasks`` (the generated tasks).
Everything is importable from ``seq.datasets`` itself.
"""

from seq.datasets.corpora import CORPORA, Corpus, DownloadError, default_cache_dir, load_text, names, sha256_of
from seq.datasets.tasks import (
    AMBIGUOUS_FIRST_WORDS,
    DATE_FORMATS,
    MONTHS,
    NOUNS,
    PLURAL_NOUNS,
    PROPER_NAMES,
    SENTIMENT_WORDS,
    SINGULAR_NOUNS,
    TAGS,
    WEEKDAYS,
    AgreementExample,
    SentimentExample,
    adding_problem,
    agreement,
    dates,
    entity_tags,
    format_date,
    homophones,
    negation_sentiment,
    ordinal,
    time_series,
)

__all__ = [
    "AMBIGUOUS_FIRST_WORDS",
    "CORPORA",
    "DATE_FORMATS",
    "MONTHS",
    "NOUNS",
    "PLURAL_NOUNS",
    "PROPER_NAMES",
    "SENTIMENT_WORDS",
    "SINGULAR_NOUNS",
    "TAGS",
    "WEEKDAYS",
    "AgreementExample",
    "Corpus",
    "DownloadError",
    "SentimentExample",
    "adding_problem",
    "agreement",
    "dates",
    "default_cache_dir",
    "entity_tags",
    "format_date",
    "homophones",
    "load_text",
    "names",
    "negation_sentiment",
    "ordinal",
    "sha256_of",
    "time_series",
]
