"""A character-level LSTM invents first names (the course's dinosaur-names exercise, on US-census names).

Each name is one sequence ``<bos> c1 ... cn <eos>``; the model reads x<t> = y<t-1> and predicts the next
character ŷ<t>, the end-of-name token included, so it learns when a name is finished. The ~5,000 names are
split 90/10 (by --seed) into training and validation; the validation loss is the mean negative
log-likelihood per predicted character in nats, <eos> counted.

Batches: ``seq.data.BatchIterator`` groups names of similar length, pads them with ``<pad>`` and the loss
leaves the padding out (``cross_entropy(..., ignore_index=pad_id)``). Measured here: bucketed batches are 2%
padding against 34% for random ones, and an epoch is about 30% faster.

The data set is small, so a big enough model learns the training names by heart: its training loss keeps
falling while the validation loss turns up (overfitting). Dropout delays that, and the checkpoint kept is
the one with the best validation loss, not the last one ("early stopping").

Baselines on the same split: bigram and trigram models, P(c | previous 1 or 2 chars) from counts with
add-k smoothing, k chosen on the validation set. A language model is only interesting if it beats them.

Run: ``python -m demos names [--quick] [--seed S] [--out DIR] [--epochs N] [--hidden H] [--sample] [--resume]``.
``--sample`` loads the best checkpoint from --out and only samples; ``--resume`` continues the last one.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from pathlib import Path

import numpy as np

import minigrad
import seq
from demos.common import output_dir, parser, progress, pyplot, save_metrics
from minigrad import nn, optim

NAME = "names"
SHOWN = 20  # sampled names printed
COUNTED = 200  # sampled names over which the fraction of new names is measured
K_GRID = (0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0)  # add-k smoothing constants tried on the validation set


# ---------------------------------------------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------------------------------------------


def load_names() -> list[str]:
    """All census names, or a clear exit if the `names` package is missing."""
    try:
        return seq.datasets.names()
    except ImportError as e:
        raise SystemExit(str(e)) from None


def split(names: list[str], seed: int, val_fraction: float = 0.1) -> tuple[list[str], list[str]]:
    """A random 90/10 split of the names, fixed by ``seed``."""
    order = np.random.default_rng(seed).permutation(len(names))
    n_val = round(val_fraction * len(names))
    return [names[i] for i in order[n_val:]], [names[i] for i in order[:n_val]]


def examples(names: list[str], vocab: seq.Vocabulary) -> list[tuple[list[int], list[int]]]:
    """(input, target) pairs: x = <bos> c1 .. cn and y = c1 .. cn <eos> (the input shifted by one)."""
    pairs = []
    for name in names:
        ids = vocab.encode(name, add_bos=True, add_eos=True)
        pairs.append((ids[:-1], ids[1:]))
    return pairs


# ---------------------------------------------------------------------------------------------------------------
# n-gram baselines
# ---------------------------------------------------------------------------------------------------------------


class NGram:
    """P(c | the previous n-1 symbols) = (count(context, c) + k) / (count(context) + k·|outcomes|).

    Contexts at the start of a name are padded with <bos>, so the first letter is predicted from <bos>
    (and, for a trigram, <bos> <bos>). The outcomes are every symbol a name can continue with: the
    characters, <unk> and <eos>.
    """

    def __init__(self, n: int, names: list[str], vocab: seq.Vocabulary) -> None:
        self.n, self.vocab = n, vocab
        self.outcomes = len(vocab) - 2  # every id except <pad> and <bos>, which never follow anything
        self.counts: Counter = Counter()  # (context, next) -> count
        self.context_counts: Counter = Counter()  # context -> count
        for context, nxt in self.events(names):
            self.counts[context, nxt] += 1
            self.context_counts[context] += 1

    def events(self, names: list[str]):
        """Every (context of n-1 ids, next id) of the names, <eos> included."""
        for name in names:
            ids = [self.vocab.bos_id] * (self.n - 1) + self.vocab.encode(name, add_eos=True)
            for t in range(self.n - 1, len(ids)):
                yield tuple(ids[t - self.n + 1 : t]), ids[t]

    def loss(self, names: list[str], k: float) -> float:
        """Mean negative log-likelihood per predicted symbol (nats), <eos> counted."""
        total, count = 0.0, 0
        for context, nxt in self.events(names):
            p = (self.counts[context, nxt] + k) / (self.context_counts[context] + k * self.outcomes)
            total -= math.log(p)
            count += 1
        return total / count


def ngram_baseline(n: int, train: list[str], val: list[str], vocab: seq.Vocabulary) -> dict:
    """Fit an n-gram on ``train``; choose k on ``val`` from ``K_GRID``; return its losses."""
    model = NGram(n, train, vocab)
    val_losses = {k: model.loss(val, k) for k in K_GRID}
    k = min(val_losses, key=val_losses.get)
    return {"k": k, "val_loss": val_losses[k], "train_loss": model.loss(train, k)}


# ---------------------------------------------------------------------------------------------------------------
# The model's loss
# ---------------------------------------------------------------------------------------------------------------


def batch_loss(model: seq.LanguageModel, batch: seq.data.Batch, pad_id: int, reduction: str = "mean"):
    """Cross-entropy of the next character at every real position; padding is ignored.

    Padding sits after the end of each name, and the model reads left to right, so it never changes the
    predictions at the real positions; ``ignore_index`` leaves its targets out of the loss.
    """
    logits, _ = model(batch.inputs)  # (T, B, V)
    T, B, V = logits.shape
    return nn.functional.cross_entropy(
        logits.reshape(T * B, V), batch.targets.reshape(T * B), ignore_index=pad_id, reduction=reduction
    )  # (T, B, V) -> (T·B, V)


def evaluate(model: seq.LanguageModel, data: list, pad_id: int) -> float:
    """Mean NLL per predicted character (nats) over a whole data set, dropout off."""
    model.eval()
    total, count = 0.0, 0
    with minigrad.no_grad():
        for batch in seq.data.BatchIterator(data, batch_size=512, shuffle=False, pad_id=pad_id):
            total += batch_loss(model, batch, pad_id, reduction="sum").item()
            count += int(batch.lengths.sum())
    model.train()
    return total / count


# ---------------------------------------------------------------------------------------------------------------
# Checkpoints: minigrad.save writes nested dicts of arrays (no pickle)
# ---------------------------------------------------------------------------------------------------------------


def make_model(config: dict) -> seq.LanguageModel:
    return seq.LanguageModel(
        config["vocab_size"],
        config["embed"],
        config["hidden"],
        cell="lstm",
        num_layers=config["layers"],
        dropout=config["dropout"],
    )


def save_checkpoint(path: Path, model, opt, vocab, config, epoch, best, history) -> None:
    minigrad.save(
        {
            "config": config,
            "symbols": list(vocab)[len(vocab.specials) :],  # the characters in id order, after the specials
            "model": model.state_dict(),
            "optimizer": opt.state_dict(),
            "epoch": epoch,
            "best": best,
            "history": history,
            "rng": minigrad.get_rng_state(),  # dropout's random stream, so --resume continues it exactly
        },
        path,
    )


def load_checkpoint(path: Path, what: str) -> dict:
    if not path.exists():
        raise SystemExit(
            f"{what} needs the checkpoint {path}, which does not exist: train first with "
            f"`python -m demos names --out {path.parent}`"
        )
    try:
        return minigrad.load(path)
    except minigrad.CheckpointError as e:
        raise SystemExit(f"cannot read {path}: {e}") from None


# ---------------------------------------------------------------------------------------------------------------
# Sampling
# ---------------------------------------------------------------------------------------------------------------


def sample_names(model, vocab, n: int, seed: int, temperature: float) -> list[str]:
    """n names drawn from the model (the course's sampling loop: seq.generate.sample), one seed each."""
    return [
        seq.generate.sample(model, vocab, max_len=30, temperature=temperature, seed=seed * 100_003 + i)
        for i in range(n)
    ]


def report_samples(names: list[str], train_set: set) -> float:
    """Print the first SHOWN names, marking the new ones; return the fraction new among all of them."""
    new = [bool(name) and name not in train_set for name in names]  # an empty name is not a new name
    print(f"{SHOWN} sampled names (* = not in the training set):")
    for name, is_new in zip(names[:SHOWN], new):
        print(f"  {'*' if is_new else ' '} {name.capitalize() or '(empty)'}")
    return sum(new) / len(names)


# ---------------------------------------------------------------------------------------------------------------
# main
# ---------------------------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> dict:
    p = parser(NAME, __doc__.split("\n\n")[0])
    p.add_argument("--epochs", type=int, default=None, help="training epochs (default 30, quick 4)")
    p.add_argument("--hidden", type=int, default=None, help="LSTM hidden units (default 256, quick 64)")
    p.add_argument("--dropout", type=float, default=0.3, help="dropout on the LSTM's output (default 0.3)")
    p.add_argument("--lr", type=float, default=3e-3, help="AdamW learning rate (default 3e-3)")
    p.add_argument("--batch-size", type=int, default=64, help="names per batch (default 64)")
    p.add_argument("--temperature", type=float, default=1.0, help="sampling temperature (default 1.0)")
    p.add_argument("--sample", action="store_true", help="load the best checkpoint from --out and only sample")
    p.add_argument("--resume", action="store_true", help="continue training from the last checkpoint in --out")
    args = p.parse_args(argv)
    if args.sample and args.resume:
        p.error("--sample and --resume exclude each other: --sample only samples, --resume trains")
    for option in ("epochs", "hidden", "batch_size"):
        value = getattr(args, option)
        if value is not None and value <= 0:
            p.error(f"--{option.replace('_', '-')} must be positive, got {value}")
    if not 0.0 <= args.dropout < 1.0:
        p.error(f"--dropout must be in [0, 1), got {args.dropout}")
    if args.lr <= 0 or args.temperature <= 0:
        p.error("--lr and --temperature must be positive")
    out = output_dir(NAME, args.out)
    best_path, last_path = out / "best.ckpt", out / "last.ckpt"
    started = time.perf_counter()

    # --sample: no training, just the best checkpoint's names
    if args.sample:
        ckpt = load_checkpoint(best_path, "--sample")
        train_set = set(split(load_names(), int(ckpt["config"]["seed"]))[0])  # the split it was trained on
        vocab = seq.Vocabulary(ckpt["symbols"], level="char")
        model = make_model(ckpt["config"])
        model.load_state_dict(ckpt["model"])
        samples = sample_names(model, vocab, COUNTED, args.seed, args.temperature)
        fraction_new = report_samples(samples, train_set)
        print(
            f"{fraction_new:.0%} of {COUNTED} sampled names are new (checkpoint of epoch {ckpt['epoch']}, "
            f"validation loss {ckpt['best']:.3f} nats/char)"
        )
        return {"fraction_new": fraction_new, "samples": samples[:SHOWN], "val_loss": ckpt["best"]}

    train_names, val_names = split(load_names(), args.seed)
    train_set = set(train_names)

    # The vocabulary: the specials <pad> <unk> <bos> <eos>, then the training names' characters
    vocab = seq.Vocabulary.build(train_names, level="char")
    pad = vocab.pad_id
    train_data, val_data = examples(train_names, vocab), examples(val_names, vocab)

    # Baselines on the same split
    bigram = ngram_baseline(2, train_names, val_names, vocab)
    trigram = ngram_baseline(3, train_names, val_names, vocab)

    config = {
        "vocab_size": len(vocab),
        "embed": 32,
        "hidden": args.hidden or (64 if args.quick else 256),
        "layers": 1,
        "dropout": args.dropout,
        "seed": args.seed,
    }  # the seed fixes the split
    epochs = args.epochs or (4 if args.quick else 30)
    minigrad.manual_seed(args.seed)
    model = make_model(config)
    opt = optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-2)
    history: dict = {"epoch": [], "train_loss": [], "val_loss": []}
    start_epoch, best = 0, math.inf

    if args.resume:
        ckpt = load_checkpoint(last_path, "--resume")
        if ckpt["symbols"] != list(vocab)[len(vocab.specials) :] or ckpt["config"] != config:
            raise SystemExit(
                f"{last_path} was trained with another vocabulary or configuration "
                f"({ckpt['config']}); resume with the same --seed and options"
            )
        model.load_state_dict(ckpt["model"])
        opt.load_state_dict(ckpt["optimizer"])
        minigrad.set_rng_state(ckpt["rng"])
        start_epoch, best, history = int(ckpt["epoch"]), float(ckpt["best"]), ckpt["history"]
        if start_epoch >= epochs:
            raise SystemExit(
                f"nothing to train: {last_path} already has {start_epoch} epochs; pass --epochs > "
                f"{start_epoch} to continue"
            )
        print(f"resuming after epoch {start_epoch} (best validation loss so far {best:.3f})")

    # Names of similar length go together (little padding); the epoch's order is fixed by (seed, epoch)
    batches = seq.data.BatchIterator(train_data, batch_size=args.batch_size, pad_id=pad, seed=args.seed)
    batches.epoch = start_epoch
    untrained = evaluate(model, val_data, pad) if start_epoch == 0 else None

    bar = progress(range(start_epoch, epochs), desc="epochs", quiet=args.quick)
    for epoch in bar:
        total, count = 0.0, 0
        for batch in batches:
            loss = batch_loss(model, batch, pad)
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
            opt.step()
            n_tokens = int(batch.lengths.sum())
            total += loss.item() * n_tokens
            count += n_tokens
        val_loss = evaluate(model, val_data, pad)
        history["epoch"].append(epoch + 1)
        history["train_loss"].append(total / count)
        history["val_loss"].append(val_loss)
        if val_loss < best:  # keep the best model by validation loss, not the last
            best = val_loss
            save_checkpoint(best_path, model, opt, vocab, config, epoch + 1, best, history)
        save_checkpoint(last_path, model, opt, vocab, config, epoch + 1, best, history)
        if hasattr(bar, "set_postfix"):
            bar.set_postfix(train=f"{total / count:.3f}", val=f"{val_loss:.3f}", best=f"{best:.3f}")
    seconds = time.perf_counter() - started

    # Sample from the best model
    ckpt = minigrad.load(best_path)
    model.load_state_dict(ckpt["model"])
    best_epoch = int(ckpt["epoch"])
    samples = sample_names(model, vocab, COUNTED, args.seed, args.temperature)

    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7.5, 4.5))
    ax.plot(history["epoch"], history["train_loss"], label="LSTM, training (dropout on)")
    ax.plot(history["epoch"], history["val_loss"], label="LSTM, validation")
    ax.axhline(bigram["val_loss"], color="gray", linestyle=":", label=f"bigram, validation (k={bigram['k']})")
    ax.axhline(trigram["val_loss"], color="gray", linestyle="--", label=f"trigram, validation (k={trigram['k']})")
    ax.axvline(best_epoch, color="k", linewidth=0.8, alpha=0.5)
    ax.annotate(f"best: {best:.3f}", (best_epoch, best), xytext=(5, -15), textcoords="offset points")
    ax.set(
        xlabel="epoch",
        ylabel="loss (nats per character, <eos> included)",
        title=f"first names: LSTM {config['hidden']} units, dropout {config['dropout']}",
    )
    lo = min(min(history["train_loss"]), best) - 0.1
    ax.set_ylim(lo, max(bigram["val_loss"], min(history["val_loss"][0], 3.0)) + 0.1)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "names.png", dpi=110)
    plt.close(fig)

    fraction_new = report_samples(samples, train_set)
    metrics = {
        "val_loss": best,
        "best_epoch": best_epoch,
        "epochs": history["epoch"][-1],
        "final_train_loss": history["train_loss"][-1],
        "final_val_loss": history["val_loss"][-1],
        "untrained_val_loss": untrained,  # None on --resume
        "bigram_val_loss": bigram["val_loss"],
        "trigram_val_loss": trigram["val_loss"],
        "bigram_k": bigram["k"],
        "trigram_k": trigram["k"],
        "fraction_new": fraction_new,
        "samples": samples[:SHOWN],
        "seconds": seconds,
        "train_names": len(train_names),
        "val_names": len(val_names),
    }
    save_metrics(out, metrics)
    print(f"{fraction_new:.0%} of {COUNTED} sampled names are new")
    print("validation loss (nats/char, <eos> included):")
    print(f"  bigram  (add-k, k={bigram['k']:<5})  {bigram['val_loss']:.3f}")
    print(f"  trigram (add-k, k={trigram['k']:<5})  {trigram['val_loss']:.3f}")
    print(f"  LSTM    (best, epoch {best_epoch:>3})    {best:.3f}   (last epoch: {history['val_loss'][-1]:.3f})")
    print(
        f"trained {len(history['epoch'])} epochs in {seconds:.0f} s; wrote {out / 'names.png'}, "
        f"{out / 'metrics.json'}, {best_path.name} and {last_path.name}"
    )
    return metrics


if __name__ == "__main__":
    main()
