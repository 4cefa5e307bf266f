"""Named-entity tagging with one direction or two: "Teddy Roosevelt was a great president" vs "Teddy bears are on sale".

The course's motivation for bidirectional RNNs. A tagger gives every word a tag (O, PER, LOC, ORG) from
the state at that word, ``ŷ<t> = softmax(W_y a<t> + b_y)``. Every sentence of the generated corpus
(``seq.datasets.entity_tags``) starts with an ambiguous word whose tag is decided by the words *after* it:
"Teddy" is a person before "Roosevelt" and not an entity before "bears"; "Washington" is a place, a
person (Irving) or an organisation (Post).

- A unidirectional LSTM tagger: a<1> has read "Teddy" and nothing else, so at the first word it can only
  guess the most frequent reading (near chance between the readings).
- A bidirectional one: a<1> = [a→<1>; a←<1>], and a←<1> has read the whole sentence from the end, so the
  first word is tagged as well as the others.

Reported: accuracy on the first word, token accuracy over every word (padding left out of the loss with
``ignore_index`` and out of the scores), and the per-tag confusion matrices (rows: true tag, columns:
predicted) of both taggers, over all words and over the first word. The corpus has a few dozen distinct
sentences, so the held-out sentences repeat training ones: the test is not generalisation but what each
model *can* know at the first word.

Run: ``python -m demos ner [--quick] [--seed S] [--out DIR] [--epochs N]``.
"""

from __future__ import annotations

import numpy as np

import minigrad
import seq
from demos.common import output_dir, parser, positive_int, progress, pyplot, save_metrics
from minigrad import nn, optim
from seq.datasets import TAGS, entity_tags
from seq.metrics import confusion_matrix, token_accuracy

NAME = "ner"
IGNORE = -100  # the target at padding: cross_entropy's ignore_index, left out of every score

DEFAULT = {"train": 2000, "test": 1000, "epochs": 8, "batch": 32, "embed": 32, "hidden": 64}
QUICK = {"train": 600, "test": 400, "epochs": 5, "batch": 32, "embed": 16, "hidden": 32}


def train(model: seq.SequenceTagger, examples: list, config: dict, seed: int, desc: str, quiet: bool) -> list:
    """Adam on the per-token cross-entropy (padding ignored); returns the mean loss of each epoch."""
    batches = seq.data.BatchIterator(examples, config["batch"], seed=seed, target_pad_id=IGNORE)
    opt = optim.Adam(model.parameters(), lr=1e-2)
    curve = []
    for epoch in range(config["epochs"]):
        losses = []
        for batch in progress(batches, desc=f"{desc} epoch {epoch + 1}/{config['epochs']}", quiet=quiet):
            logits = model(batch.inputs, batch.lengths)  # (T, B, K): one score per tag at every word
            T, B, K = logits.shape
            # (T, B, K) -> (T * B, K) against the tags (T, B) -> (T * B,); IGNORE at padding counts for nothing
            loss = nn.functional.cross_entropy(
                logits.reshape(T * B, K), batch.targets.reshape(T * B), ignore_index=IGNORE
            )
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), max_norm=5.0)
            opt.step()
            losses.append(loss.item())
        curve.append(float(np.mean(losses)))
    return curve


def evaluate(model: seq.SequenceTagger, examples: list) -> dict:
    """First-word accuracy, token accuracy and the confusion matrices (all words, first word)."""
    inputs, lengths = seq.data.pad_sequences([ids for ids, _ in examples])  # (T, B), (B,)
    tags, _ = seq.data.pad_sequences([t for _, t in examples], pad_id=IGNORE)  # (T, B)
    model.eval()
    with minigrad.no_grad():
        predicted = model(inputs, lengths).data.argmax(axis=-1)  # (T, B, K) -> (T, B)
    model.train()
    real = tags != IGNORE  # (T, B)
    first = np.zeros_like(real)
    first[0] = True  # the ambiguous first word of every sentence
    return {
        "first_word_accuracy": token_accuracy(predicted[0], tags[0]),
        "token_accuracy": token_accuracy(predicted, tags, mask=real),
        "later_words_accuracy": token_accuracy(predicted[1:], tags[1:], mask=real[1:]),
        "confusion": confusion_matrix(predicted, np.where(real, tags, 0), len(TAGS), mask=real),
        "confusion_first_word": confusion_matrix(predicted, np.where(real, tags, 0), len(TAGS), mask=first),
    }


def plot_confusions(path: object, results: dict, plt: object) -> None:
    """A 2 x 2 grid: rows all words / first word, columns unidirectional / bidirectional; rows normalised."""
    fig, axes = plt.subplots(2, 2, figsize=(9, 8))
    for col, (name, r) in enumerate(results.items()):
        for row, (key, which) in enumerate((("confusion", "every word"), ("confusion_first_word", "first word"))):
            counts = r[key]
            share = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)  # each true tag's row sums to 1
            ax = axes[row, col]
            ax.imshow(share, cmap="Blues", vmin=0.0, vmax=1.0)
            for i in range(len(TAGS)):
                for j in range(len(TAGS)):
                    ax.text(
                        j,
                        i,
                        str(counts[i, j]),
                        ha="center",
                        va="center",
                        fontsize=9,
                        color="white" if share[i, j] > 0.6 else "black",
                    )
            ax.set_xticks(range(len(TAGS)), TAGS)
            ax.set_yticks(range(len(TAGS)), TAGS)
            accuracy = r["token_accuracy"] if row == 0 else r["first_word_accuracy"]
            ax.set(xlabel="predicted tag", ylabel="true tag", title=f"{name}, {which}: accuracy {accuracy:.3f}")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv: list[str] | None = None) -> dict:
    p = parser(NAME, __doc__.split("\n\n")[0])
    p.add_argument(
        "--epochs", type=positive_int, default=None, help="training epochs of each tagger (default 8, quick 5)"
    )
    args = p.parse_args(argv)
    config = dict(QUICK if args.quick else DEFAULT)
    config["epochs"] = args.epochs or config["epochs"]
    out = output_dir(NAME, args.out)

    # Data: cased words (the capital letters are part of the clue), tags as ids 0..3 in the order of TAGS
    train_sentences = entity_tags(config["train"], seed=2 * args.seed)
    test_sentences = entity_tags(config["test"], seed=2 * args.seed + 1)
    vocab = seq.Vocabulary.build([tokens for tokens, _ in train_sentences], level="word")
    tag_id = {tag: i for i, tag in enumerate(TAGS)}

    def encode(sentences: list) -> list:
        return [(vocab.encode(tokens), [tag_id[t] for t in tags]) for tokens, tags in sentences]

    train_set, test_set = encode(train_sentences), encode(test_sentences)
    print(
        f"{len(train_set)} training sentences, {len(test_set)} test sentences, vocabulary {len(vocab)} words; "
        f"e.g. {' '.join(train_sentences[0][0])!r} -> {' '.join(train_sentences[0][1])}"
    )

    # The two taggers: the same sizes per direction, the same training
    results, curves = {}, {}
    for name, bidirectional in (("unidirectional", False), ("bidirectional", True)):
        minigrad.manual_seed(args.seed)
        model = seq.SequenceTagger(
            len(vocab), config["embed"], config["hidden"], len(TAGS), cell="lstm", bidirectional=bidirectional
        )
        curves[name] = train(model, train_set, config, args.seed, name, args.quick)
        results[name] = evaluate(model, test_set)

    plot_confusions(out / "confusion.png", results, pyplot())

    # The best any tagger can do at the first word from the first word alone: always its most frequent reading
    readings: dict = {}
    for tokens, tags in test_sentences:
        readings.setdefault(tokens[0], []).append(tags[0])
    best_left_only = sum(max(t.count(tag) for tag in set(t)) for t in readings.values()) / len(test_sentences)

    metrics = {
        "train_sentences": len(train_set),
        "test_sentences": len(test_set),
        "epochs": config["epochs"],
        "tags": list(TAGS),
        "first_word_best_from_left_context": best_left_only,
    }
    for name, r in results.items():
        metrics[f"{name}_first_word_accuracy"] = r["first_word_accuracy"]
        metrics[f"{name}_later_words_accuracy"] = r["later_words_accuracy"]
        metrics[f"{name}_token_accuracy"] = r["token_accuracy"]
        metrics[f"{name}_final_loss"] = curves[name][-1]
        metrics[f"{name}_confusion"] = r["confusion"].tolist()
        metrics[f"{name}_confusion_first_word"] = r["confusion_first_word"].tolist()
    save_metrics(out, metrics)
    print(f"{'':16s}{'first word':>12s}{'later words':>13s}{'every word':>12s}")
    for name, r in results.items():
        print(f"{name:16s}{r['first_word_accuracy']:12.3f}{r['later_words_accuracy']:13.3f}{r['token_accuracy']:12.3f}")
    print(f"from the first word alone (its most frequent reading) the best first-word accuracy is {best_left_only:.3f}")
    print(f"wrote {out / 'confusion.png'} and {out / 'metrics.json'}")
    return metrics


if __name__ == "__main__":
    main()
