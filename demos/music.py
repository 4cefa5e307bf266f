"""Music generation, as in the lectures: "input: sheet music, output: the next character of sheet music".

Folk tunes written in ABC notation are plain text: a few header lines (X: the tune's number, M: the
metre, L: the unit note length, K: the key) and then the notes, one character or two each::

    X: 3
    M: C
    L: 1/8
    K:Gm
    B/2-c/2 | d2 d>-c B2 A-B | (GBAG) F2 D-F | (G>AG).F (D>CD).F | G2 G>-A B3 c |

So the course's character-level language model applies as it is: an LSTM reads the text one character
at a time and learns P(next character | everything before it); sampled one character after another,
it writes new tunes. The data are the ABC collections that music21 ships in its corpus, read offline: by
default O'Neill's *Music of Ireland* (1850 Irish folk tunes, the lectures' genre); ``--collection``
picks another one (the Essen German folk songs, Ryan's Mammoth Collection, ...). Of each tune we keep
the four headers a player needs and the notes, and drop titles, sources and comments: free text that
would cost the model capacity and teach it nothing about music.

Training: every tune is one example, framed as <bos> tune <eos>, read from a zero state — exactly how
the sampler will start, from <bos> and zeros, so the model learns to open a tune with its headers from
there. (The alternative, all tunes laid end to end as one stream walked in truncated-BPTT windows with the
state carried across tunes, trains every header from the state left by the previous tune: a state the
sampler never has, and its first lines come out garbled.) ``seq.data.BatchIterator`` pads tunes of
similar length into batches; the targets are the inputs shifted by one, and ``ignore_index`` leaves the
padding out of the loss (an LSTM is causal, so the padding after a tune never changes its outputs).
Backpropagation runs through the whole tune; gradients are clipped to norm 1 (the course's remedy for
exploding gradients). Its validation loss is compared with a character bigram's on the same split
(``demos.common.NGram``): P(next character | this one), counted on the training tunes.

Does it write music? Each generated tune is given to music21's ABC parser: a tune is *valid* when it
parses without error and holds at least ``MIN_NOTES`` notes. The same figure for the same network before
training (random weights) is the baseline. All generated tunes are written to ``generated.abc``; the
first valid one with at least ``LISTEN_NOTES`` notes (else the first valid one: eight notes are valid,
but over before you hear them) is written as ABC text, as MIDI through music21, and as a WAV file
rendered by a small additive synthesizer below (NumPy and the standard library's ``wave``), so you can
listen with any audio player; its melody is plotted as pitch over time.

Needs music21: ``pip install -e '.[music]'`` (or ``pip install music21``).

Run: ``python -m demos music [--quick] [--seed S] [--out DIR] [--collection NAME] [--epochs N] [--tunes N]``.
"""

from __future__ import annotations

import math
import re
import time
import warnings
import wave
from pathlib import Path
from typing import Any

import numpy as np

import minigrad
import seq
from demos.common import (
    evaluate,
    framed_examples,
    int_at_least,
    next_char_loss,
    ngram_baseline,
    output_dir,
    parser,
    positive_float,
    positive_int,
    progress,
    pyplot,
    save_metrics,
)
from minigrad import nn, optim

NAME = "music"
COLLECTIONS = ("oneills1850", "essenFolksong", "ryansMammoth", "airdsAirs")  # music21's ABC folk collections
HEADERS = "XMLK"  # the header fields kept: number, metre, unit note length, key
MAX_TUNE_CHARS = 1000  # leave out the few very long tunes (medleys, variations)
MIN_NOTES = 8  # a generated tune must hold at least this many notes to count as valid
LISTEN_NOTES = 24  # the tune rendered is the first valid one with this many notes (if any has)
SAMPLE_RATE = 22_050  # Hz, of the rendered WAV
TEMPO = 120  # quarter notes per minute in the rendered WAV


def import_music21() -> Any:
    """music21, imported only when the demo runs, or a clear error naming the extra that installs it."""
    try:
        import music21
    except ImportError:
        raise SystemExit(
            "the music demo reads and writes ABC and MIDI with music21, which is not installed: "
            "pip install -e '.[music]' (or pip install music21)"
        ) from None
    return music21


# ---------------------------------------------------------------------------------------------------------------
# The data: raw ABC text of the tunes in music21's corpus
# ---------------------------------------------------------------------------------------------------------------


def clean_tune(text: str) -> str:
    """One tune with only the headers X, M, L, K and the lines of notes (comments and other fields dropped)."""
    kept = []
    for line in text.splitlines():
        line = line.rstrip()
        if not line.strip() or line.startswith("%"):
            continue
        if re.match(r"^[A-Za-z]:", line) and line[0] not in HEADERS:
            continue  # T: title, N: notes, Z: transcriber, R: rhythm, ... (and inline fields on their own line)
        kept.append(line)
    return "\n".join(kept)


def load_tunes(music21: Any, collection: str, limit: int | None = None) -> list[str]:
    """The tunes of one ABC collection of music21's corpus, cleaned, in file order (at most ``limit``)."""
    paths = sorted(p for p in music21.corpus.getPaths(fileExtensions=("abc",)) if Path(p).parent.name == collection)
    if not paths:
        raise SystemExit(
            f"music21's corpus holds no ABC files of the collection {collection!r} (music21 "
            f"{music21.__version__}); choose another with --collection: {', '.join(COLLECTIONS)}"
        )
    tunes = []
    for path in paths:
        raw = Path(path).read_bytes()
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = raw.decode("latin-1")  # a few older files
        for part in re.split(r"(?m)^(?=X:)", text):  # a new tune starts at every line beginning with X:
            if not part.startswith("X:"):
                continue  # the file's preamble
            tune = clean_tune(part)
            if "\nK:" in tune and len(tune) <= MAX_TUNE_CHARS:
                tunes.append(tune)
            if limit is not None and len(tunes) >= limit:
                return tunes
    return tunes


# ---------------------------------------------------------------------------------------------------------------
# Is it music? music21 as the judge
# ---------------------------------------------------------------------------------------------------------------


def parse_tune(music21: Any, text: str) -> Any | None:
    """The music21 score of an ABC tune, or None when music21 cannot parse it or finds fewer than MIN_NOTES notes."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            score = music21.converter.parse(text, format="abc")
        if isinstance(score, music21.stream.Opus):  # several X: in one text: take the first tune
            score = score.scores[0]
        notes = [n for n in score.flatten().notes if n.duration.quarterLength > 0]  # no grace notes, chord names
    except Exception:  # music21 raises many kinds of errors on malformed ABC: all of them mean "not valid"
        return None
    return score if len(notes) >= MIN_NOTES else None


def melody(score: Any) -> list[tuple[float, float, list[float], list[int]]]:
    """The sounding notes of a score: (start, length) in quarter notes, frequencies in Hz, MIDI pitch numbers."""
    events = []
    for n in score.flatten().notes:
        length = float(n.duration.quarterLength)
        if length <= 0:
            continue  # grace notes and chord symbols take no time
        pitches = list(n.pitches)
        events.append((float(n.offset), length, [p.frequency for p in pitches], [p.midi for p in pitches]))
    return events


def write_midi(music21: Any, score: Any, events: list, path: Path) -> str:
    """Write the score as MIDI; if music21 cannot (an odd generated tune), write its melody's notes alone."""
    try:
        score.write("midi", fp=str(path))
        return "the parsed score"
    except Exception:  # e.g. two time signatures at one offset, which the parser accepted
        line = music21.stream.Stream([music21.tempo.MetronomeMark(number=TEMPO)])
        for start, length, _, midis in events:
            sound = music21.chord.Chord(midis) if len(midis) > 1 else music21.note.Note(midis[0])
            sound.quarterLength = length
            line.insert(start, sound)
        line.write("midi", fp=str(path))
        return "the melody's notes (music21 could not write the parsed score)"


# ---------------------------------------------------------------------------------------------------------------
# A small synthesizer: additive tones with an envelope, written with the standard library's wave module
# ---------------------------------------------------------------------------------------------------------------


def tone(frequency: float, seconds: float, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """One note: four harmonics (amplitudes 1, 1/2, 1/4, 1/8) under an attack-decay-release envelope."""
    t = np.arange(int(seconds * sample_rate)) / sample_rate
    wave_ = sum(0.5 ** (k - 1) * np.sin(2 * np.pi * k * frequency * t) for k in range(1, 5))
    attack = np.minimum(t / 0.01, 1.0)  # 10 ms rise: no click at the start
    decay = np.exp(-2.5 * t / max(seconds, 1e-3))  # a plucked, fading note
    release = np.minimum((seconds - t) / 0.03, 1.0)  # 30 ms fall to zero: no click at the end
    return wave_ * attack * decay * np.clip(release, 0.0, 1.0)


def render(events: list, tempo: float = TEMPO, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """The melody as float samples in [-1, 1]: each note's tone added at its start time."""
    seconds_per_quarter = 60.0 / tempo
    end = max(start + length for start, length, _, _ in events)
    audio = np.zeros(int((end * seconds_per_quarter + 0.5) * sample_rate))
    for start, length, frequencies, _ in events:
        for f in frequencies:  # a chord: its notes added together
            samples = tone(f, length * seconds_per_quarter, sample_rate)
            i = int(start * seconds_per_quarter * sample_rate)
            audio[i : i + len(samples)] += samples
    return 0.8 * audio / max(np.abs(audio).max(), 1e-9)  # normalise the peak to 0.8


def write_wav(path: Path, audio: np.ndarray, sample_rate: int = SAMPLE_RATE) -> None:
    """16-bit mono PCM, readable by every audio player."""
    pcm = np.round(np.clip(audio, -1.0, 1.0) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as f:
        f.setnchannels(1)
        f.setsampwidth(2)  # bytes per sample: 16 bits
        f.setframerate(sample_rate)
        f.writeframes(pcm.tobytes())


# ---------------------------------------------------------------------------------------------------------------
# Training and generation
# ---------------------------------------------------------------------------------------------------------------


def generate(music21: Any, model: seq.LanguageModel, vocab: seq.Vocabulary, n: int, args, desc: str) -> tuple:
    """``n`` tunes sampled from <bos> until <eos>, and the music21 score of each (None when not valid)."""
    tunes, scores = [], []
    for i in progress(range(n), desc=desc, quiet=args.quick):
        text = seq.generate.sample(
            model, vocab, max_len=args.max_len, temperature=args.temperature, seed=args.seed * 1000 + i
        )
        tunes.append(text)
        scores.append(parse_tune(music21, text))
    return tunes, scores


def main(argv: list[str] | None = None) -> dict:
    p = parser(NAME, __doc__.split("\n\n")[0])
    p.add_argument(
        "--collection",
        choices=COLLECTIONS,
        default="oneills1850",
        help="which ABC collection of music21's corpus to learn from (default oneills1850)",
    )
    p.add_argument(
        "--tunes",
        type=int_at_least(10, "a tenth of them are held out for validation"),
        default=None,
        help="tunes to read, >= 10 (default all, quick 60)",
    )
    p.add_argument(
        "--epochs", type=positive_int, default=None, help="passes over the training tunes (default 8, quick 12)"
    )
    p.add_argument("--hidden", type=positive_int, default=None, help="LSTM units H (default 256, quick 64)")
    p.add_argument("--batch-size", type=positive_int, default=None, help="tunes per batch B (default 16, quick 4)")
    p.add_argument("--lr", type=positive_float, default=None, help="Adam's learning rate (default 0.003, quick 0.01)")
    p.add_argument(
        "--samples", type=positive_int, default=None, help="tunes generated per model (default 20, quick 12)"
    )
    p.add_argument(
        "--max-len", type=positive_int, default=None, help="most characters per generated tune (default 600, quick 400)"
    )
    p.add_argument(
        "--temperature", type=positive_float, default=None, help="sampling temperature (default 0.8, quick 0.6)"
    )
    args = p.parse_args(argv)
    # (quick, full) defaults; the small quick model's tunes hold together better at a lower temperature
    defaults = {
        "tunes": (60, 100_000), "epochs": (12, 8), "hidden": (64, 256), "batch_size": (4, 16),
        "lr": (0.01, 0.003), "samples": (12, 20), "temperature": (0.6, 0.8), "max_len": (400, 600),
    }  # fmt: skip
    for name, (quick, full) in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, quick if args.quick else full)
    music21 = import_music21()
    out = output_dir(NAME, args.out)

    # The data: tunes as text, a character vocabulary, a train/validation split of whole tunes
    tunes = load_tunes(music21, args.collection, limit=args.tunes)
    order = np.random.default_rng(args.seed).permutation(len(tunes))
    n_val = max(1, len(tunes) // 10)
    val_tunes = [tunes[i] for i in order[:n_val]]
    train_tunes = [tunes[i] for i in order[n_val:]]
    vocab = seq.Vocabulary.build(train_tunes, level="char")
    pad = vocab.pad_id
    train_data, val_data = framed_examples(train_tunes, vocab), framed_examples(val_tunes, vocab)
    n_chars = sum(len(x) for x, _ in train_data)
    print(
        f"{args.collection}: {len(tunes)} tunes ({len(train_tunes)} train, {n_val} validation), "
        f"{n_chars} training characters, {len(vocab)} symbols"
    )

    # The model: embedding -> LSTM -> linear, the course's character-level model
    minigrad.manual_seed(args.seed)
    V = len(vocab)
    model = seq.LanguageModel(V, embed_dim=32, hidden_size=args.hidden, cell="lstm")
    opt = optim.Adam(model.parameters(), lr=args.lr)
    params = list(model.parameters())

    # The baselines: a character bigram on the same split (the loss to beat), and the same network before
    # training (the parse rate to beat)
    bigram = ngram_baseline(2, train_tunes, val_tunes, vocab)
    untrained_tunes, untrained_scores = generate(music21, model, vocab, args.samples, args, "untrained samples")
    val_losses = [evaluate(model, val_data, pad)]
    train_losses = []

    batches = seq.data.BatchIterator(train_data, batch_size=args.batch_size, pad_id=pad, seed=args.seed)
    start = time.perf_counter()
    for epoch in range(args.epochs):
        total, count = 0.0, 0
        for batch in progress(batches, desc=f"epoch {epoch + 1}/{args.epochs}", total=len(batches), quiet=args.quick):
            loss = next_char_loss(model, batch, pad)  # mean over the real characters of the batch
            opt.zero_grad()
            loss.backward()  # through every step of every tune
            nn.utils.clip_grad_norm_(params, max_norm=1.0)
            opt.step()
            n = int(batch.lengths.sum())
            total, count = total + loss.item() * n, count + n
        train_losses.append(total / count)
        val_losses.append(evaluate(model, val_data, pad))
    train_seconds = time.perf_counter() - start

    trained_tunes, trained_scores = generate(music21, model, vocab, args.samples, args, "trained samples")
    valid_trained = sum(s is not None for s in trained_scores) / args.samples
    valid_untrained = sum(s is not None for s in untrained_scores) / args.samples

    # The files: every generated tune as ABC; one valid tune as ABC, MIDI, WAV and a plot of its melody
    abc = [
        f"% generated by `python -m demos music` (seed {args.seed}); valid = parsed by music21 with >= "
        f"{MIN_NOTES} notes"
    ]
    for i, (text, score) in enumerate(zip(trained_tunes, trained_scores)):
        abc.append(f"% sample {i + 1}: {'valid' if score is not None else 'NOT valid'}\n{text}")
    (out / "generated.abc").write_text("\n\n".join(abc) + "\n", encoding="utf-8")
    (out / "untrained.abc").write_text("\n\n".join(untrained_tunes) + "\n", encoding="utf-8")
    valid = [i for i, s in enumerate(trained_scores) if s is not None]
    long_enough = [i for i in valid if len(melody(trained_scores[i])) >= LISTEN_NOTES]
    first = (long_enough or valid or [None])[0]  # the first valid tune long enough to listen to, else the first
    if first is not None:
        chosen, chosen_text, rendered = trained_scores[first], trained_tunes[first], f"generated sample {first + 1}"
    else:  # nothing parsed (a very short run): show the pipeline on a real tune, and say so
        chosen_text = next(t for t in val_tunes if parse_tune(music21, t) is not None)
        chosen, rendered = parse_tune(music21, chosen_text), "a validation tune (no generated tune was valid)"
    (out / "tune.abc").write_text(chosen_text + "\n", encoding="utf-8")
    events = melody(chosen)
    midi_from = write_midi(music21, chosen, events, out / "tune.mid")
    audio = render(events)
    write_wav(out / "tune.wav", audio)

    plot(out, events, chosen_text, rendered, train_losses, val_losses, valid_trained, valid_untrained)
    metrics = {
        "collection": args.collection,
        "tunes": len(tunes),
        "train_characters": n_chars,
        "vocab_size": V,
        "epochs": args.epochs,
        "train_loss": train_losses,
        "val_loss": val_losses,
        "val_loss_untrained": val_losses[0],
        "val_loss_final": val_losses[-1],
        "val_loss_ratio": val_losses[-1] / val_losses[0],
        "uniform_loss": math.log(V),
        "bigram_val_loss": bigram["val_loss"],
        "bigram_k": bigram["k"],
        "samples": args.samples,
        "temperature": args.temperature,
        "valid_fraction_trained": valid_trained,
        "valid_fraction_untrained": valid_untrained,
        "rendered": rendered,
        "rendered_notes": len(events),
        "midi_from": midi_from,
        "wav_seconds": len(audio) / SAMPLE_RATE,
        "train_seconds": train_seconds,
    }
    save_metrics(out, metrics)
    print(
        f"validation loss {val_losses[0]:.3f} -> {val_losses[-1]:.3f} nats/char (a uniform guess: "
        f"ln V = {math.log(V):.3f}; a character bigram: {bigram['val_loss']:.3f})"
    )
    print(
        f"valid tunes (music21 parses them, >= {MIN_NOTES} notes): trained {valid_trained:.0%}, "
        f"untrained {valid_untrained:.0%} of {args.samples}"
    )
    print(f"the tune rendered ({rendered}):\n{chosen_text}")
    print(
        f"wrote {', '.join(str(out / f) for f in ('generated.abc', 'tune.mid', 'tune.wav', 'melody.png'))} "
        f"and {out / 'metrics.json'}"
    )
    return metrics


def plot(out, events, text, rendered, train_losses, val_losses, valid_trained, valid_untrained) -> None:
    """The rendered tune's melody as a piano roll (pitch against time), and the learning curves."""
    plt = pyplot()
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(14, 4.5), gridspec_kw={"width_ratios": [3, 1]})
    for start, length, _, midis in events:
        for m in midis:
            ax1.hlines(m, start, start + length * 0.95, lw=5, color="tab:blue")
    lowest = min(m for *_, midis in events for m in midis)
    highest = max(m for *_, midis in events for m in midis)
    names = "C C# D D# E F F# G G# A A# B".split()
    ticks = [m for m in range(lowest - 1, highest + 2) if names[m % 12] in ("C", "E", "G")]
    ax1.set_yticks(ticks, [f"{names[m % 12]}{m // 12 - 1}" for m in ticks])
    header = " ".join(line for line in text.splitlines() if line[:2] in ("M:", "L:", "K:"))
    ax1.set(xlabel="time (quarter notes)", ylabel="pitch", title=f"melody of {rendered}   [{header}]")
    ax1.grid(axis="y", alpha=0.3)
    ax2.plot(range(len(val_losses)), val_losses, "o-", ms=3, label="validation")
    ax2.plot(range(1, len(train_losses) + 1), train_losses, "o-", ms=3, label="training")
    ax2.set(
        xlabel="epoch",
        ylabel="cross-entropy (nats / char)",
        title=f"valid tunes: {valid_untrained:.0%} untrained -> {valid_trained:.0%} trained",
    )
    ax2.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "melody.png", dpi=110)
    plt.close(fig)


if __name__ == "__main__":
    main()
