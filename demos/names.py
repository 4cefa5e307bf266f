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
the one with the best validation loss, not the last one. ``--patience N`` goes one step further and stops
training after N epochs without a better validation loss ("early stopping"); by default training runs all
its epochs, so the picture shows the overfitting.

Baselines on the same split: bigram and trigram models, P(c | previous 1 or 2 chars) from counts with
add-k smoothing, k chosen on the validation set (``demos.common.NGram``). A language model is only
interesting if it beats them.

Run: ``python -m demos names [--quick] [--seed S] [--out DIR] [--epochs N] [--hidden H] [--patience N]
[--sample] [--resume]``. ``--sample`` loads the best checkpoint from --out and only samples; ``--resume``
continues the last one.
"""

from __future__ import annotations

import argparse
import math
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

import minigrad
import seq
from demos.common import (
    evaluate,
    framed_examples,
    next_char_loss,
    ngram_baseline,
    output_dir,
    parser,
    positive_float,
    positive_int,
    probability,
    progress,
    pyplot,
    save_metrics,
)
from minigrad import nn, optim

NAME = "names"
SHOWN = 20  # sampled names printed
COUNTED = 200  # sampled names over which the fraction of new names is measured


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The options, with the --quick and full defaults filled in."""
    p = parser(NAME, __doc__.split("\n\n")[0])
    p.add_argument("--epochs", type=positive_int, default=None, help="training epochs (default 30, quick 4)")
    p.add_argument("--hidden", type=positive_int, default=None, help="LSTM hidden units (default 256, quick 64)")
    p.add_argument("--dropout", type=probability, default=0.3, help="dropout on the LSTM's output (default 0.3)")
    p.add_argument("--lr", type=positive_float, default=None, help="AdamW learning rate (default 3e-3, quick 1e-2)")
    p.add_argument("--batch-size", type=positive_int, default=64, help="names per batch (default 64)")
    p.add_argument(
        "--patience",
        type=positive_int,
        default=None,
        help="stop after this many epochs without a better validation loss (default: off, train every epoch)",
    )
    p.add_argument("--temperature", type=positive_float, default=1.0, help="sampling temperature (default 1.0)")
    p.add_argument("--sample", action="store_true", help="load the best checkpoint from --out and only sample")
    p.add_argument("--resume", action="store_true", help="continue training from the last checkpoint in --out")
    args = p.parse_args(argv)
    if args.sample and args.resume:
        p.error("--sample and --resume exclude each other: --sample only samples, --resume trains")
    args.epochs = args.epochs or (4 if args.quick else 30)
    args.hidden = args.hidden or (64 if args.quick else 256)
    args.lr = args.lr or (1e-2 if args.quick else 3e-3)  # the small quick model learns fast at a high rate
    return args


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


@dataclass
class Data:
    """The split, its character vocabulary, and the (input, target) pairs of both parts."""

    train_names: list[str]
    val_names: list[str]
    vocab: seq.Vocabulary
    train: list
    val: list


def prepare_data(seed: int) -> Data:
    """Split the names by ``seed``; the vocabulary is <pad> <unk> <bos> <eos>, then the training names' characters."""
    train_names, val_names = split(load_names(), seed)
    vocab = seq.Vocabulary.build(train_names, level="char")
    return Data(train_names, val_names, vocab, framed_examples(train_names, vocab), framed_examples(val_names, vocab))


# ---------------------------------------------------------------------------------------------------------------
# The model and its checkpoints (minigrad.save writes nested dicts of arrays, no pickle)
# ---------------------------------------------------------------------------------------------------------------


def make_model(config: dict) -> seq.LanguageModel:
    """Embedding -> LSTM (dropout on its output) -> Linear, as ``config`` says."""
    return seq.LanguageModel(
        config["vocab_size"],
        config["embed"],
        config["hidden"],
        cell="lstm",
        num_layers=config["layers"],
        dropout=config["dropout"],
    )


def save_checkpoint(path: Path, model, opt, vocab, config: dict, history: dict) -> None:
    """Everything --resume needs to continue exactly, and --sample to sample."""
    minigrad.save(
        {
            "config": config,
            "symbols": list(vocab)[len(vocab.specials) :],  # the characters in id order, after the specials
            "model": model.state_dict(),
            "optimizer": opt.state_dict(),
            "epoch": history["epoch"][-1],
            "best": min(history["val_loss"]),
            "history": history,
            "rng": minigrad.get_rng_state(),  # dropout's random stream, so --resume continues it exactly
        },
        path,
    )


def load_checkpoint(path: Path, what: str) -> dict:
    """A checkpoint written by this demo, or a clear exit saying how to make one."""
    if not path.exists():
        raise SystemExit(
            f"{what} needs the checkpoint {path}, which does not exist: train first with "
            f"`python -m demos names --out {path.parent}`"
        )
    try:
        return minigrad.load(path)
    except minigrad.CheckpointError as e:
        raise SystemExit(f"cannot read {path}: {e}") from None


def resume(path: Path, model, opt, vocab, config: dict, epochs: int) -> dict:
    """Load the last checkpoint into ``model`` and ``opt``; return its history (the epochs done so far)."""
    ckpt = load_checkpoint(path, "--resume")
    if ckpt["symbols"] != list(vocab)[len(vocab.specials) :] or ckpt["config"] != config:
        raise SystemExit(
            f"{path} was trained with another vocabulary or configuration "
            f"({ckpt['config']}); resume with the same --seed and options"
        )
    if int(ckpt["epoch"]) >= epochs:
        raise SystemExit(
            f"nothing to train: {path} already has {ckpt['epoch']} epochs; pass --epochs > {ckpt['epoch']} to continue"
        )
    model.load_state_dict(ckpt["model"])
    opt.load_state_dict(ckpt["optimizer"])
    minigrad.set_rng_state(ckpt["rng"])
    print(f"resuming after epoch {ckpt['epoch']} (best validation loss so far {ckpt['best']:.3f})")
    return ckpt["history"]


# ---------------------------------------------------------------------------------------------------------------
# Training
# ---------------------------------------------------------------------------------------------------------------


def epochs_without_improvement(val_losses: list[float]) -> int:
    """How many evaluations since the best one (0 when the last is the best; a tie is no improvement)."""
    return len(val_losses) - 1 - int(np.argmin(val_losses))


def train(model, opt, data: Data, args, config: dict, history: dict, out: Path) -> bool:
    """Train until --epochs (or until --patience epochs bring no better validation loss); True if stopped early.

    After every epoch: the validation loss, a checkpoint of the best model so far (``best.ckpt``) and of the
    last one (``last.ckpt``). ``history`` (epoch, train_loss, val_loss) grows in place.
    """
    pad = data.vocab.pad_id
    # Names of similar length go together (little padding); the epoch's order is fixed by (seed, epoch)
    batches = seq.data.BatchIterator(data.train, batch_size=args.batch_size, pad_id=pad, seed=args.seed)
    batches.epoch = len(history["epoch"])  # on --resume: the shuffles continue where they stopped
    bar = progress(range(len(history["epoch"]), args.epochs), desc="epochs", quiet=args.quick)
    for epoch in bar:
        total, count = 0.0, 0
        for batch in batches:
            loss = next_char_loss(model, batch, pad)  # mean over the batch's real characters
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
            opt.step()
            n_tokens = int(batch.lengths.sum())
            total += loss.item() * n_tokens
            count += n_tokens
        val_loss = evaluate(model, data.val, pad, batch_size=512)
        improved = val_loss < min(history["val_loss"], default=math.inf)
        history["epoch"].append(epoch + 1)
        history["train_loss"].append(total / count)
        history["val_loss"].append(val_loss)
        if improved:  # keep the best model by validation loss, not the last
            save_checkpoint(out / "best.ckpt", model, opt, data.vocab, config, history)
        save_checkpoint(out / "last.ckpt", model, opt, data.vocab, config, history)
        if hasattr(bar, "set_postfix"):
            bar.set_postfix(train=f"{total / count:.3f}", val=f"{val_loss:.3f}", best=f"{min(history['val_loss']):.3f}")
        if args.patience is not None and epochs_without_improvement(history["val_loss"]) >= args.patience:
            return True  # early stopping: the best checkpoint is `patience` epochs back
    return False


# ---------------------------------------------------------------------------------------------------------------
# Sampling and the report
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


def sample_only(args, out: Path) -> dict:
    """--sample: no training, just names from the best checkpoint in --out."""
    ckpt = load_checkpoint(out / "best.ckpt", "--sample")
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


def plot_losses(path: Path, history: dict, bigram: dict, trigram: dict, config: dict, stopped_early: bool) -> None:
    """The learning curves against the n-gram baselines; a line at the best epoch (the checkpoint kept)."""
    best = min(history["val_loss"])
    best_epoch = history["epoch"][int(np.argmin(history["val_loss"]))]
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7.5, 4.5))
    ax.plot(history["epoch"], history["train_loss"], label="LSTM, training (dropout on)")
    ax.plot(history["epoch"], history["val_loss"], label="LSTM, validation")
    ax.axhline(bigram["val_loss"], color="gray", linestyle=":", label=f"bigram, validation (k={bigram['k']})")
    ax.axhline(trigram["val_loss"], color="gray", linestyle="--", label=f"trigram, validation (k={trigram['k']})")
    ax.axvline(best_epoch, color="k", linewidth=0.8, alpha=0.5)
    ax.annotate(f"best: {best:.3f}", (best_epoch, best), xytext=(5, -15), textcoords="offset points")
    stopped = ", stopped early" if stopped_early else ""
    ax.set(
        xlabel="epoch",
        ylabel="loss (nats per character, <eos> included)",
        title=f"first names: LSTM {config['hidden']} units, dropout {config['dropout']}{stopped}",
    )
    lo = min(min(history["train_loss"]), best) - 0.1
    ax.set_ylim(lo, max(bigram["val_loss"], min(history["val_loss"][0], 3.0)) + 0.1)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


# ---------------------------------------------------------------------------------------------------------------
# main
# ---------------------------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> dict:
    """Train on the names (or, with --sample, only sample); the metrics written to metrics.json."""
    args = parse_args(argv)
    out = output_dir(NAME, args.out)
    if args.sample:
        return sample_only(args, out)
    started = time.perf_counter()

    data = prepare_data(args.seed)
    bigram = ngram_baseline(2, data.train_names, data.val_names, data.vocab)
    trigram = ngram_baseline(3, data.train_names, data.val_names, data.vocab)

    config = {
        "vocab_size": len(data.vocab),
        "embed": 32,
        "hidden": args.hidden,
        "layers": 1,
        "dropout": args.dropout,
        "seed": args.seed,  # the seed fixes the split
    }
    minigrad.manual_seed(args.seed)
    model = make_model(config)
    opt = optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-2)
    history: dict = {"epoch": [], "train_loss": [], "val_loss": []}
    untrained = None  # None on --resume
    if args.resume:
        history = resume(out / "last.ckpt", model, opt, data.vocab, config, args.epochs)
    else:
        untrained = evaluate(model, data.val, data.vocab.pad_id, batch_size=512)

    stopped_early = train(model, opt, data, args, config, history, out)
    seconds = time.perf_counter() - started

    # Sample from the best model, not the last
    ckpt = minigrad.load(out / "best.ckpt")
    model.load_state_dict(ckpt["model"])
    best, best_epoch = float(ckpt["best"]), int(ckpt["epoch"])
    samples = sample_names(model, data.vocab, COUNTED, args.seed, args.temperature)
    plot_losses(out / "names.png", history, bigram, trigram, config, stopped_early)
    fraction_new = report_samples(samples, set(data.train_names))

    metrics = {
        "val_loss": best,
        "best_epoch": best_epoch,
        "epochs": history["epoch"][-1],
        "patience": args.patience,
        "stopped_early": stopped_early,
        "final_train_loss": history["train_loss"][-1],
        "final_val_loss": history["val_loss"][-1],
        "untrained_val_loss": untrained,
        "bigram_val_loss": bigram["val_loss"],
        "trigram_val_loss": trigram["val_loss"],
        "bigram_k": bigram["k"],
        "trigram_k": trigram["k"],
        "fraction_new": fraction_new,
        "samples": samples[:SHOWN],
        "seconds": seconds,
        "train_names": len(data.train_names),
        "val_names": len(data.val_names),
    }
    save_metrics(out, metrics)
    print(f"{fraction_new:.0%} of {COUNTED} sampled names are new")
    print("validation loss (nats/char, <eos> included):")
    print(f"  bigram  (add-k, k={bigram['k']:<5})  {bigram['val_loss']:.3f}")
    print(f"  trigram (add-k, k={trigram['k']:<5})  {trigram['val_loss']:.3f}")
    print(f"  LSTM    (best, epoch {best_epoch:>3})    {best:.3f}   (last epoch: {history['val_loss'][-1]:.3f})")
    if stopped_early:
        print(f"stopped early: {args.patience} epochs without a better validation loss")
    print(
        f"trained {history['epoch'][-1]} epochs in {seconds:.0f} s; wrote {out / 'names.png'}, "
        f"{out / 'metrics.json'}, best.ckpt and last.ckpt"
    )
    return metrics


if __name__ == "__main__":
    main()
