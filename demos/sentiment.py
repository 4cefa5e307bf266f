"""Sentiment where word order decides: "the food was good, not bad at all" vs "the food was bad, not good at all".

The course's sentiment classifier, and why it is a sequence model. Two classifiers are trained on the same
generated reviews (``seq.datasets.negation_sentiment``), which come in pairs: the same words, the asserted
and the negated sentiment word swapped, opposite labels.

- Bag of words: average the embeddings of the words, then logistic regression,
  ``P(positive) = σ(wᵀ (1/T) Σ_t E[x<t>] + b)``. An average forgets the order, so both reviews of a pair
  get the same features and the same answer: exactly one of the two is right. Its accuracy is 50% by
  construction, and it never gets a pair right.
- LSTM (``seq.SequenceClassifier``): reads the words in order, and its final state a<T> decides. It can
  learn that the word after "not" is the one denied.

Train and test are split by pair, and no test review appears in the training set. Reported: accuracy per
review, and pair accuracy — the fraction of pairs whose two reviews are both right (a model that ignores
word order scores 0 there; a coin flip 25%).

Run: ``python -m demos sentiment [--quick] [--seed S] [--out DIR] [--epochs N]``.
"""

from __future__ import annotations

import numpy as np

import minigrad
import seq
from demos.common import int_at_least, output_dir, parser, positive_int, progress, pyplot, save_metrics
from minigrad import Tensor, nn, optim
from seq.datasets import negation_sentiment

NAME = "sentiment"

DEFAULT = {"epochs": 12, "batch": 32, "embed": 32, "hidden": 64, "test_fraction": 0.25}
QUICK = {"epochs": 6, "batch": 32, "embed": 16, "hidden": 32, "test_fraction": 0.25}
EXAMPLE_PAIR = ("the food was good, not bad at all", "the food was bad, not good at all")


class BagOfWords(nn.Module):
    """Averaged embeddings and logistic regression: ``logit = w · mean_t E[x<t>] + b`` (order is lost).

    Weights:
        embedding.weight: (V, E); classifier.weight: (1, E); classifier.bias: (1,).
    """

    def __init__(self, vocab_size: int, embed_dim: int, padding_idx: int) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=padding_idx)
        self.classifier = nn.Linear(embed_dim, 1)

    def forward(self, ids: np.ndarray, lengths: np.ndarray) -> Tensor:
        """ids (T, B) padded, lengths (B,) -> logits (B,) of P(positive)."""
        mask = seq.attention.sequence_mask(lengths, ids.shape[0])[:, :, None]  # (T, B, 1): True on real words
        x = self.embedding(ids) * minigrad.tensor(mask.astype(np.float32))  # (T, B, E), padding zeroed
        mean = x.sum(axis=0) / minigrad.tensor(lengths[:, None].astype(np.float32))  # (B, E)
        return self.classifier(mean).squeeze(-1)  # (B, 1) -> (B,)


def split_by_pair(examples: list, test_fraction: float, seed: int) -> tuple[list, list]:
    """Distinct pairs of reviews, split train/test: both partners of a pair land on the same side."""
    pairs: dict = {}
    for ex in examples:
        pairs.setdefault(ex.pair_id, []).append(ex)
    unique: dict = {}
    for members in pairs.values():
        key = tuple(sorted(ex.text for ex in members))  # the same two texts may have been drawn twice
        unique.setdefault(key, sorted(members, key=lambda ex: -ex.label))  # (positive, negative)
    distinct = list(unique.values())
    order = np.random.default_rng(seed).permutation(len(distinct))
    n_test = round(test_fraction * len(distinct))
    return [distinct[i] for i in order[n_test:]], [distinct[i] for i in order[:n_test]]


def train(model: nn.Module, examples: list, config: dict, seed: int, desc: str, quiet: bool, binary: bool) -> list:
    """Adam on cross-entropy; returns the mean loss of each epoch. ``binary``: one logit and a sigmoid."""
    batches = seq.data.BatchIterator(examples, config["batch"], seed=seed)
    opt = optim.Adam(model.parameters(), lr=1e-2)
    curve = []
    for epoch in range(config["epochs"]):
        losses = []
        for batch in progress(batches, desc=f"{desc} epoch {epoch + 1}/{config['epochs']}", quiet=quiet):
            labels = batch.targets  # (B,) 1 positive, 0 negative
            if binary:
                logits = model(batch.inputs, batch.lengths)  # (B,)
                loss = nn.functional.binary_cross_entropy_with_logits(logits, labels.astype(np.float32))
            else:
                logits = model(batch.inputs, batch.lengths)  # (B, 2)
                loss = nn.functional.cross_entropy(logits, labels)
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), max_norm=5.0)
            opt.step()
            losses.append(loss.item())
        curve.append(float(np.mean(losses)))
    return curve


def positive_probability(model: nn.Module, ids: list, binary: bool) -> np.ndarray:
    """P(positive) of each review (a list of id lists), in eval mode without a graph."""
    inputs, lengths = seq.data.pad_sequences(ids)  # (T, B), (B,)
    model.eval()
    with minigrad.no_grad():
        logits = model(inputs, lengths).data
    model.train()
    if binary:
        return 1.0 / (1.0 + np.exp(-logits.astype(np.float64)))  # σ(logit): (B,)
    z = logits.astype(np.float64)  # (B, 2)
    p = np.exp(z - z.max(axis=1, keepdims=True))
    return p[:, 1] / p.sum(axis=1)


def scores(prob: np.ndarray, labels: np.ndarray) -> dict:
    """Accuracy per review and per pair (rows 2i and 2i+1 are the two partners of pair i)."""
    right = (prob > 0.5) == (labels == 1)  # (N,)
    return {"accuracy": float(right.mean()), "pair_accuracy": float(right.reshape(-1, 2).all(axis=1).mean())}


def main(argv: list[str] | None = None) -> dict:
    p = parser(NAME, __doc__.split("\n\n")[0])
    p.add_argument(
        "--epochs", type=positive_int, default=None, help="training epochs of each model (default 12, quick 6)"
    )
    p.add_argument(
        "--reviews",
        type=int_at_least(40, "a quarter of the pairs are held out"),
        default=None,
        help="generated reviews before removing duplicates (default 4000, quick 1200; even)",
    )
    args = p.parse_args(argv)
    config = dict(QUICK if args.quick else DEFAULT)
    config["epochs"] = args.epochs or config["epochs"]
    reviews = args.reviews or (1200 if args.quick else 4000)
    if reviews % 2:
        p.error(f"--reviews must be an even number (reviews come in pairs), got {reviews}")
    out = output_dir(NAME, args.out)

    # Data: distinct pairs, split by pair; a word vocabulary of the training reviews
    train_pairs, test_pairs = split_by_pair(
        negation_sentiment(reviews, seed=args.seed), config["test_fraction"], args.seed
    )
    vocab = seq.Vocabulary.build([ex.text for pair in train_pairs for ex in pair], level="word", lower=True)
    train_set = [(vocab.encode(ex.text), ex.label) for pair in train_pairs for ex in pair]
    test_ids = [vocab.encode(ex.text) for pair in test_pairs for ex in pair]  # partners adjacent: 2i, 2i+1
    test_labels = np.array([ex.label for pair in test_pairs for ex in pair])
    print(
        f"{len(train_set)} training reviews, {len(test_ids)} test reviews ({len(test_pairs)} pairs), "
        f"vocabulary {len(vocab)} words"
    )

    # The two models, same embedding size, same optimiser and epochs
    minigrad.manual_seed(args.seed)
    bow = BagOfWords(len(vocab), config["embed"], padding_idx=vocab.pad_id)
    bow_curve = train(bow, train_set, config, args.seed, "bag of words", args.quick, binary=True)
    minigrad.manual_seed(args.seed)
    lstm = seq.SequenceClassifier(len(vocab), config["embed"], config["hidden"], num_classes=2, cell="lstm")
    lstm_curve = train(lstm, train_set, config, args.seed, "LSTM", args.quick, binary=False)

    results = {
        "bag_of_words": scores(positive_probability(bow, test_ids, binary=True), test_labels),
        "lstm": scores(positive_probability(lstm, test_ids, binary=False), test_labels),
    }
    example_ids = [vocab.encode(text) for text in EXAMPLE_PAIR]
    examples = {
        text: {"bag_of_words": float(pb), "lstm": float(pl)}
        for text, pb, pl in zip(
            EXAMPLE_PAIR,
            positive_probability(bow, example_ids, binary=True),
            positive_probability(lstm, example_ids, binary=False),
        )
    }

    plt = pyplot()
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.2), gridspec_kw={"width_ratios": [3, 2]})
    labels = ["accuracy per review", "pairs with both right"]
    x = np.arange(len(labels))
    for offset, (name, key) in zip((-0.2, 0.2), (("bag of words", "bag_of_words"), ("LSTM", "lstm"))):
        values = [results[key]["accuracy"], results[key]["pair_accuracy"]]
        bars = ax1.bar(x + offset, values, width=0.38, label=name)
        ax1.bar_label(bars, fmt="%.2f")
    ax1.hlines([0.5, 0.25], x - 0.45, x + 0.45, color="gray", linestyle="--", linewidth=1)  # a coin flip's score
    ax1.text(0.8, 0.27, "a coin flip", color="gray", fontsize=8, ha="center")
    ax1.set(
        xticks=x,
        xticklabels=labels,
        ylim=(0, 1.1),
        ylabel="fraction on held-out reviews",
        title=f"{len(test_pairs)} held-out pairs with the same words, opposite labels",
    )
    ax1.legend(loc="upper left")
    ax2.plot(np.arange(1, len(bow_curve) + 1), bow_curve, marker="o", label="bag of words")
    ax2.plot(np.arange(1, len(lstm_curve) + 1), lstm_curve, marker="o", label="LSTM")
    ax2.axhline(np.log(2), color="gray", linestyle="--", linewidth=1)
    ax2.set(xlabel="epoch", ylabel="training cross-entropy", title="the bag of words stays at ln 2")
    ax2.legend()
    fig.tight_layout()
    fig.savefig(out / "comparison.png", dpi=110)
    plt.close(fig)

    metrics = {
        "train_reviews": len(train_set),
        "test_reviews": len(test_ids),
        "test_pairs": len(test_pairs),
        "epochs": config["epochs"],
        "bag_of_words_accuracy": results["bag_of_words"]["accuracy"],
        "bag_of_words_pair_accuracy": results["bag_of_words"]["pair_accuracy"],
        "lstm_accuracy": results["lstm"]["accuracy"],
        "lstm_pair_accuracy": results["lstm"]["pair_accuracy"],
        "bag_of_words_final_loss": bow_curve[-1],
        "lstm_final_loss": lstm_curve[-1],
        "p_positive": examples,
    }
    save_metrics(out, metrics)
    print(f"{'':14s}{'per review':>12s}{'both of a pair':>16s}")
    for name, key in (("bag of words", "bag_of_words"), ("LSTM", "lstm")):
        print(f"{name:14s}{results[key]['accuracy']:12.3f}{results[key]['pair_accuracy']:16.3f}")
    for text, p_pos in examples.items():
        print(f"P(positive | {text!r}): bag of words {p_pos['bag_of_words']:.2f}, LSTM {p_pos['lstm']:.2f}")
    print(f"wrote {out / 'comparison.png'} and {out / 'metrics.json'}")
    return metrics


if __name__ == "__main__":
    main()
