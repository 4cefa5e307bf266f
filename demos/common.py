"""What the demos share: the command line and its number types, the output folder, metrics.json, progress
bars and plots; and, for the character-level language models (names, music, charlm), the next-character
loss over padded batches, its evaluation, and the n-gram baselines a language model has to beat.

Each demo's training loop stays written out in the demo's own file: that is the part to read.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

import minigrad
import seq
from minigrad import nn

# ---------------------------------------------------------------------------------------------------------------
# The command line
# ---------------------------------------------------------------------------------------------------------------


def _number(text: str, cast: Callable[[str], Any], fits: Callable[[Any], bool], expected: str) -> Any:
    """``cast(text)`` when it is a number that ``fits``; else argparse's error, which names the option."""
    try:
        value = cast(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be {expected}, got {text!r}") from None
    if not fits(value):
        raise argparse.ArgumentTypeError(f"must be {expected}, got {text}")
    return value


def positive_int(text: str) -> int:
    """An argparse type: a whole number >= 1 (``--epochs 0`` is refused with a message naming the option)."""
    return _number(text, int, lambda v: v >= 1, "a positive integer")


def nonnegative_int(text: str) -> int:
    """An argparse type: a whole number >= 0 (a seed: NumPy's generators take no negative seeds)."""
    return _number(text, int, lambda v: v >= 0, "a non-negative integer")


def positive_float(text: str) -> float:
    """An argparse type: a finite number > 0 (a learning rate, a temperature, a time budget)."""
    return _number(text, float, lambda v: math.isfinite(v) and v > 0, "a positive number")


def nonnegative_float(text: str) -> float:
    """An argparse type: a finite number >= 0 (e.g. a clipping norm, where 0 turns clipping off)."""
    return _number(text, float, lambda v: math.isfinite(v) and v >= 0, "a non-negative number")


def probability(text: str) -> float:
    """An argparse type: a dropout probability p in [0, 1) (p = 1 would drop every unit, always)."""
    return _number(text, float, lambda v: 0.0 <= v < 1.0, "a probability in [0, 1)")


def int_at_least(minimum: int, reason: str) -> Callable[[str], int]:
    """An argparse type: a whole number >= ``minimum``; ``reason`` says why, in the error message."""

    def parse(text: str) -> int:
        return _number(text, int, lambda v: v >= minimum, f"a whole number of at least {minimum} ({reason})")

    parse.__name__ = f"int_at_least_{minimum}"
    return parse


def parser(name: str, description: str) -> argparse.ArgumentParser:
    """An argument parser with the options every demo has: --quick, --seed, --out."""
    p = argparse.ArgumentParser(prog=f"python -m demos {name}", description=description)
    p.add_argument("--quick", action="store_true", help="a small configuration for tests (seconds, not minutes)")
    p.add_argument(
        "--seed", type=nonnegative_int, default=0, help="random seed, >= 0 (runs are deterministic under it)"
    )
    p.add_argument("--out", type=Path, default=None, help=f"output folder (default runs/{name}/)")
    return p


def output_dir(name: str, out: Path | None) -> Path:
    """The folder for a demo's files (made if missing), or a clear exit when it cannot be one."""
    path = Path(out) if out is not None else Path("runs") / name
    if path.exists() and not path.is_dir():
        raise SystemExit(f"--out {path} is a file, not a folder: pass a folder for the demo's outputs")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise SystemExit(f"cannot make the output folder {path}: {error.strerror}") from None
    return path


# ---------------------------------------------------------------------------------------------------------------
# Outputs: metrics.json, progress bars, plots
# ---------------------------------------------------------------------------------------------------------------


def save_metrics(path: Path, metrics: dict) -> None:
    """Write metrics.json (floats to 6 significant digits, for reading)."""

    def clean(v: Any) -> Any:
        if isinstance(v, float):
            return float(f"{v:.6g}")
        if isinstance(v, dict):
            return {k: clean(x) for k, x in v.items()}
        if isinstance(v, list | tuple):
            return [clean(x) for x in v]
        if hasattr(v, "item"):
            return clean(v.item())
        return v

    (path / "metrics.json").write_text(json.dumps(clean(metrics), indent=2) + "\n")


def progress(iterable: Iterable, desc: str, total: int | None = None, quiet: bool = False) -> Iterable:
    """A tqdm progress bar (plain iteration when tqdm is missing or the run is quiet)."""
    if quiet or os.environ.get("DEMOS_NO_PROGRESS"):
        return iterable
    try:
        from tqdm import tqdm
    except ImportError:
        return iterable
    return tqdm(iterable, desc=desc, total=total, leave=False, file=sys.stderr)


def pyplot() -> Any:
    """matplotlib's pyplot with the Agg backend (files only, no window), or a clear error."""
    try:
        import matplotlib
    except ImportError:
        raise SystemExit(
            "this demo draws plots with matplotlib: pip install -e '.[demos]' (or pip install matplotlib)"
        ) from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


# ---------------------------------------------------------------------------------------------------------------
# Character-level language models over many short texts (names, tunes)
# ---------------------------------------------------------------------------------------------------------------


def framed_examples(texts: Sequence[str], vocab: seq.Vocabulary) -> list[tuple[list[int], list[int]]]:
    """(input, target) pairs: x = <bos> c1 .. cn and y = c1 .. cn <eos> (the input shifted by one step)."""
    pairs = []
    for text in texts:
        ids = vocab.encode(text, add_bos=True, add_eos=True)
        pairs.append((ids[:-1], ids[1:]))
    return pairs


def next_char_loss(model: seq.LanguageModel, batch: seq.data.Batch, pad_id: int, reduction: str = "mean"):
    """Cross-entropy of the next character at every real position of a padded batch; the padding is ignored.

    Padding sits after the end of each text and the model reads left to right (from a zero state), so the
    padding never changes the predictions at the real positions; ``ignore_index`` leaves its targets out.
    """
    logits, _ = model(batch.inputs)  # (T, B, V)
    T, B, V = logits.shape
    return nn.functional.cross_entropy(
        logits.reshape(T * B, V), batch.targets.reshape(T * B), ignore_index=pad_id, reduction=reduction
    )  # (T, B, V) -> (T·B, V) against the targets (T, B) -> (T·B,)


def evaluate(model: seq.LanguageModel, data: list, pad_id: int, batch_size: int = 64) -> float:
    """Mean negative log-likelihood per predicted character (nats) over a data set: dropout off, no graph."""
    model.eval()
    total, count = 0.0, 0
    with minigrad.no_grad():
        for batch in seq.data.BatchIterator(data, batch_size=batch_size, shuffle=False, pad_id=pad_id):
            total += next_char_loss(model, batch, pad_id, reduction="sum").item()
            count += int(batch.lengths.sum())
    model.train()
    return total / count


# ---------------------------------------------------------------------------------------------------------------
# n-gram baselines: a language model is only interesting if it beats them
# ---------------------------------------------------------------------------------------------------------------

K_GRID = (0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0)  # add-k smoothing constants tried on the validation set


class NGram:
    """P(c | the previous n-1 symbols) = (count(context, c) + k) / (count(context) + k·|outcomes|).

    Each text is one sequence; its start is padded with <bos>, so the first character is predicted from
    <bos> (and, for a trigram, <bos> <bos>). With ``add_eos`` (short texts such as names or tunes) <eos>
    ends each text and is predicted too; without it (one long stream, as in charlm) it never appears. The
    outcomes are every symbol that can come next: the characters, <unk>, and <eos> when it is added.
    """

    def __init__(self, n: int, texts: Sequence[str], vocab: seq.Vocabulary, add_eos: bool = True) -> None:
        self.n, self.vocab, self.add_eos = n, vocab, add_eos
        self.outcomes = len(vocab) - (2 if add_eos else 3)  # <pad> and <bos> never follow anything; nor <eos> here
        self.counts: Counter = Counter()  # (context, next) -> count
        self.context_counts: Counter = Counter()  # context -> count
        for context, nxt in self.events(texts):
            self.counts[context, nxt] += 1
            self.context_counts[context] += 1

    def events(self, texts: Sequence[str]) -> Iterator[tuple[tuple[int, ...], int]]:
        """Every (context of n-1 ids, next id) of the texts."""
        for text in texts:
            ids = [self.vocab.bos_id] * (self.n - 1) + self.vocab.encode(text, add_eos=self.add_eos)
            for t in range(self.n - 1, len(ids)):
                yield tuple(ids[t - self.n + 1 : t]), ids[t]

    def probability(self, context: tuple[int, ...], nxt: int, k: float) -> float:
        """P(nxt | context) with add-k smoothing."""
        return (self.counts[context, nxt] + k) / (self.context_counts[context] + k * self.outcomes)

    def losses(self, texts: Sequence[str], ks: Iterable[float]) -> dict[float, float]:
        """Mean negative log-likelihood per predicted symbol (nats) for each smoothing constant k in ``ks``.

        The counts of the texts' events are looked up once; each k then costs one vectorised formula.
        """
        pair = np.fromiter((self.counts[e] for e in self.events(texts)), dtype=np.float64)  # count(context, next)
        context = np.fromiter((self.context_counts[c] for c, _ in self.events(texts)), dtype=np.float64)
        return {k: float(-np.mean(np.log((pair + k) / (context + k * self.outcomes)))) for k in ks}

    def loss(self, texts: Sequence[str], k: float) -> float:
        """Mean negative log-likelihood per predicted symbol (nats)."""
        return self.losses(texts, [k])[k]


def ngram_baseline(n: int, train: Sequence[str], val: Sequence[str], vocab: seq.Vocabulary, add_eos: bool = True):
    """Fit an n-gram on ``train``; choose k on ``val`` from ``K_GRID`` (the baseline at its best); its losses."""
    model = NGram(n, train, vocab, add_eos=add_eos)
    val_losses = model.losses(val, K_GRID)
    k = min(val_losses, key=val_losses.get)
    return {"k": k, "val_loss": val_losses[k], "train_loss": model.loss(train, k)}
