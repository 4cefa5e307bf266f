"""Public corpora: downloaded once, checked by SHA-256 and cached (``load_text``), and the US-census
first names shipped inside the ``names`` package (``names()``). Everything works offline once cached;
without a network ``load_text`` says which file to put where.
"""

from __future__ import annotations

import hashlib
import importlib
import os
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import numpy as np

# ---------------------------------------------------------------------------------------------------------------
# Public corpora
# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Corpus:
    """A public text file: where to download it, the name of its cached copy, and its SHA-256."""

    url: str
    filename: str
    sha256: str


CORPORA: dict[str, Corpus] = {
    # Karpathy's char-rnn data: the works of Shakespeare, 1,115,394 characters (40,000 lines).
    "tinyshakespeare": Corpus(
        url="https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/input.txt",
        filename="tinyshakespeare.txt",
        sha256="86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed",
    ),
}


class DownloadError(OSError):
    """A corpus is not cached and could not be downloaded; the message says where to put the file by hand."""


def default_cache_dir() -> Path:
    """Where corpora are cached: ``$MINIGRAD_DATA``, else ``$XDG_CACHE_HOME/minigrad``, else ``~/.cache/minigrad``."""
    if os.environ.get("MINIGRAD_DATA"):
        return Path(os.environ["MINIGRAD_DATA"]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base).expanduser() / "minigrad"


def sha256_of(path: str | os.PathLike) -> str:
    """The SHA-256 hex digest of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _download(url: str, timeout: float = 30.0) -> bytes:
    """The bytes at ``url`` (the one place that touches the network; tests replace it)."""
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.read()


def _fetch(name: str, corpus: Corpus, cache_dir: Path) -> Path:
    """The path of the verified cached copy of a corpus, downloading it first if it is missing."""
    path = cache_dir / corpus.filename
    if path.exists():
        found = sha256_of(path)
        if found != corpus.sha256:
            raise ValueError(
                f"the cached file {path} is corrupt or is not {name}: its SHA-256 is {found}, expected "
                f"{corpus.sha256}. Delete it to download it again, or replace it with a copy of {corpus.url}"
            )
        return path
    try:
        data = _download(corpus.url)
    except (OSError, urllib.error.URLError) as e:  # URLError is an OSError; both named for the reader
        raise DownloadError(
            f"could not download {name} from {corpus.url} ({e}). Without a network, download that file by "
            f"hand and save it as {path} (or set MINIGRAD_DATA / pass cache_dir= to use another directory)"
        ) from e
    found = hashlib.sha256(data).hexdigest()
    if found != corpus.sha256:
        raise ValueError(
            f"the download of {name} from {corpus.url} has SHA-256 {found}, expected {corpus.sha256}: "
            f"the file changed upstream or the transfer was damaged; nothing was written to {path}"
        )
    cache_dir.mkdir(parents=True, exist_ok=True)
    # Write to a temporary file next to the target, then rename: a reader never sees half a file.
    fd, tmp = tempfile.mkstemp(dir=cache_dir, prefix=f".{corpus.filename}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def load_text(name_or_path: str | os.PathLike, cache_dir: str | os.PathLike | None = None) -> str:
    """The text of a local file, or of a named public corpus (downloaded once, then read from the cache).

    Args:
        name_or_path: a path to a UTF-8 text file, or a name in ``CORPORA`` (``"tinyshakespeare"``).
        cache_dir: where named corpora are cached; by default ``default_cache_dir()``.

    Returns:
        The whole text as one string.

    Raises:
        TypeError: ``name_or_path`` is not a str or a path.
        FileNotFoundError: neither a file nor a known corpus name.
        IsADirectoryError: a directory, not a file.
        DownloadError: the corpus is not cached and the download failed (the message says where to put the file).
        ValueError: the cached or downloaded file does not have the expected SHA-256, or the file is not UTF-8
            text (a binary file).
    """
    if not isinstance(name_or_path, (str, os.PathLike)):
        raise TypeError(
            f"load_text expects a file path or a corpus name {sorted(CORPORA)}, got {type(name_or_path).__name__}"
        )
    key = os.fspath(name_or_path)
    if key in CORPORA:
        directory = Path(cache_dir).expanduser() if cache_dir is not None else default_cache_dir()
        path = _fetch(key, CORPORA[key], directory)
    else:
        path = Path(key).expanduser()
        if path.is_dir():
            raise IsADirectoryError(
                f"{key!r} is a directory: pass a UTF-8 text file (or a corpus name {sorted(CORPORA)})"
            )
        if not path.is_file():
            raise FileNotFoundError(f"{key!r} is neither a file nor a known corpus; the corpora are {sorted(CORPORA)}")
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise ValueError(f"{key!r} is not UTF-8 text ({e}): load_text reads text files, not binary ones") from e


def names(split: str | None = None) -> list[str]:
    """About 5,000 first names (US census 1990), lowercase, deduplicated, sorted: the course's name generator data.

    They come from ``dist.female.first`` and ``dist.male.first`` (columns: name, frequency, cumulative
    frequency, rank) inside the ``names`` package (``pip install -e '.[demos]'``).

    Args:
        split: None for all names, or ``"train"`` / ``"val"`` / ``"test"``: a fixed 80/10/10 partition
            (the same on every machine), each part sorted.

    Returns:
        The names, e.g. ``["aaron", "abbey", ...]``.
    """
    if split not in (None, "train", "val", "test"):
        raise ValueError(f"split must be None, 'train', 'val' or 'test', got {split!r}")
    try:
        package = importlib.import_module("names")
    except ImportError as e:
        raise ImportError(
            "seq.datasets.names() reads the census name lists shipped in the `names` package, which is not "
            "installed: pip install -e '.[demos]' (or pip install names)"
        ) from e
    directory = Path(package.__file__).parent
    found: set[str] = set()
    for filename in ("dist.female.first", "dist.male.first"):
        with open(directory / filename, encoding="utf-8") as f:
            found.update(line.split()[0].lower() for line in f if line.strip())
    everything = sorted(found)
    if split is None:
        return everything
    order = np.random.default_rng(0).permutation(len(everything))
    n_train, n_val = int(0.8 * len(everything)), int(0.1 * len(everything))
    parts = {"train": order[:n_train], "val": order[n_train : n_train + n_val], "test": order[n_train + n_val :]}
    return sorted(everything[i] for i in parts[split])
