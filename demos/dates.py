"""Neural machine translation of dates with attention: "Thu 3rd May 1979" -> "1979-05-03".

The course's attention exercise. An encoder (a bidirectional LSTM) reads the human-written date one
character at a time; a decoder (an LSTM cell) writes the ISO date one character at a time, and before
each character it looks back at the source through Bahdanau attention:

    e<t,t'>    = vᵀ tanh(W_s s<t-1> + W_a a<t'>)       how much output t should look at source character t'
    α<t,t'>    = softmax over t' of e<t,t'>
    context<t> = Σ_t' α<t,t'> a<t'>                    what the decoder reads before writing y<t>

Trained with teacher forcing and cross-entropy on every output character; evaluated by exact match
(all ten characters right) on held-out dates — greedy decoding on all of them, beam search on a subset
(beam search decodes one date at a time, so it is slower). The heatmaps plot α<t,t'> for a few dates:
writing the year, the decoder looks at the year; writing the month, at the month's name or number; writing
the day, at the day — wherever the format put them. The baseline: a decoder that never reads the source
and writes, at each position, the characters as often as the training dates have them there (the "-"s are
certain, the century nearly so); its held-out loss and exact match show what reading the source adds.

Run: ``python -m demos dates [--quick] [--seed S] [--out DIR] [--epochs N] [--beam-width K] [--beam-examples N]``.
"""

from __future__ import annotations

import datetime

import numpy as np

import minigrad
import seq
from demos.common import output_dir, parser, positive_int, progress, pyplot, save_metrics
from minigrad import nn, optim
from seq.datasets import dates, format_date
from seq.generate import beam_search, greedy_decode
from seq.metrics import sequence_accuracy

NAME = "dates"

# training dates, held-out dates, epochs, batch size, hidden size H, embedding size E, Adam's initial learning rate
DEFAULT = {"train": 24_000, "test": 2_000, "epochs": 4, "batch": 64, "hidden": 64, "embed": 32, "lr": 3e-3}
QUICK = {"train": 3_000, "test": 500, "epochs": 3, "batch": 32, "hidden": 32, "embed": 16, "lr": 1e-2}

# The heatmaps: 8 March 2001 as "Thu 8th March 2001", "03/08/01" (US: month first), "08.03.2001" (day first) and
# "the 8th of march, 2001" (seq.datasets.DATE_FORMATS 8, 2, 5 and 14)
SHOWN_DATE = datetime.date(2001, 3, 8)
SHOWN_FORMATS = (8, 2, 5, 14)


def encode_pairs(pairs: list, src_vocab: seq.Vocabulary, tgt_vocab: seq.Vocabulary) -> list:
    """(human, iso) strings -> (source ids, <bos> iso ids <eos>) for ``BatchIterator``."""
    return [(src_vocab.encode(human), tgt_vocab.encode(iso, add_bos=True, add_eos=True)) for human, iso in pairs]


def evaluate_greedy(model: seq.Seq2Seq, examples: list, tgt_vocab: seq.Vocabulary, batch: int = 250) -> tuple:
    """Greedy-decode every example in batches: (exact-match accuracy, decoded id lists, attention arrays)."""
    decoded, attention = [], []
    for start in range(0, len(examples), batch):
        chunk = examples[start : start + batch]
        src, lengths = seq.data.pad_sequences([s for s, _ in chunk])  # (S, B), (B,)
        tokens, attn = greedy_decode(model, src, lengths, max_len=12, bos_id=tgt_vocab.bos_id, eos_id=tgt_vocab.eos_id)
        decoded += tokens
        attention += attn
    references = [t[1:-1] for _, t in examples]  # without <bos> and <eos>
    return sequence_accuracy(decoded, references), decoded, attention


def held_out_loss(model: seq.Seq2Seq, examples: list) -> float:
    """Cross-entropy per output character (nats) on held-out examples, teacher forced as in training."""
    src, lengths = seq.data.pad_sequences([s for s, _ in examples])  # (S, N), (N,)
    tgt = np.array([t for _, t in examples]).T  # (12, N): every target is <bos> + 10 characters + <eos>
    model.eval()
    with minigrad.no_grad():
        logits, _ = model(src, lengths, tgt[:-1])  # (11, N, V)
    model.train()
    T, N, V = logits.shape
    return nn.functional.cross_entropy(logits.reshape(T * N, V), tgt[1:].reshape(T * N)).item()  # (T·N, V)


def source_blind_baseline(train: list, test: list, vocab_size: int) -> dict:
    """The best a decoder can do without reading the source: each output position's character frequencies.

    The frequencies are counted on the training targets (add-one smoothing). Returned: its loss on the held-out
    targets, and the exact match of its single most likely output (one date, the same for every input).
    """
    targets = np.array([t[1:] for _, t in train])  # (N, 11): y<1> .. y<10> <eos>
    counts = np.ones((targets.shape[1], vocab_size))  # (11, V), add-one smoothing
    for position, column in enumerate(targets.T):
        np.add.at(counts[position], column, 1)
    log_p = np.log(counts / counts.sum(axis=1, keepdims=True))  # (11, V)
    test_targets = np.array([t[1:] for _, t in test])  # (N_test, 11)
    loss = -log_p[np.arange(targets.shape[1]), test_targets].mean()
    guess = log_p.argmax(axis=1)  # (11,): one output for every source
    return {"loss": float(loss), "accuracy": float(np.mean((test_targets == guess).all(axis=1)))}


def log_likelihood(model: seq.Seq2Seq, src: list, output: list, tgt_vocab: seq.Vocabulary) -> float:
    """log P(output <eos> | src) under the model, by teacher forcing: Σ_t log P(y<t> | x, y<1..t-1>)."""
    target = [*output, tgt_vocab.eos_id]
    tgt_in = np.array([tgt_vocab.bos_id, *output])[:, None]  # (T, 1): <bos> y<1> .. y<T-1>
    model.eval()
    with minigrad.no_grad():
        logits, _ = model(np.array(src)[:, None], None, tgt_in)  # (T, 1, V)
    model.train()
    logp = minigrad.log_softmax(logits, dim=-1).data[:, 0].astype(np.float64)  # (T, V)
    return float(logp[np.arange(len(target)), target].sum())


def plot_attention(path: object, shown: list, plt: object) -> None:
    """One heatmap per example: output characters (rows) by source characters (columns)."""
    fig, axes = plt.subplots(len(shown), 1, figsize=(9, 2.3 * len(shown)))
    for ax, (human, output, weights) in zip(np.atleast_1d(axes), shown):
        ax.imshow(weights, cmap="viridis", vmin=0.0, vmax=1.0, aspect="auto")  # (len(output), len(human))
        ax.set_xticks(range(len(human)), list(human), fontsize=9)
        ax.set_yticks(range(len(output)), list(output), fontsize=9)
        ax.set_title(f"{human!r} -> {output!r}", fontsize=10)
    fig.supxlabel("source character t' (what the encoder read)")
    fig.supylabel("output character t (what the decoder wrote)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv: list[str] | None = None) -> dict:
    p = parser(NAME, __doc__.split("\n\n")[0])
    p.add_argument(
        "--epochs", type=positive_int, default=None, help="passes over the training dates (default 4, quick 3)"
    )
    p.add_argument("--beam-width", type=positive_int, default=3, help="beam width B of beam search (default 3)")
    p.add_argument(
        "--beam-examples",
        type=positive_int,
        default=None,
        help="held-out dates decoded by beam search too (default 300, quick 50)",
    )
    args = p.parse_args(argv)
    config = dict(QUICK if args.quick else DEFAULT)
    config["epochs"] = args.epochs or config["epochs"]
    beam_examples = args.beam_examples or (50 if args.quick else 300)
    if beam_examples > config["test"]:
        p.error(f"--beam-examples must be at most {config['test']} (the held-out dates), got {beam_examples}")
    out = output_dir(NAME, args.out)

    # Data: held-out dates are written differently from every training date; character vocabularies
    minigrad.manual_seed(args.seed)
    train_pairs = dates(config["train"], seed=2 * args.seed)
    seen = {human for human, _ in train_pairs}
    test_pairs = [pair for pair in dates(2 * config["test"], seed=2 * args.seed + 1) if pair[0] not in seen]
    test_pairs = test_pairs[: config["test"]]
    src_vocab = seq.Vocabulary.build([human for human, _ in train_pairs], level="char")
    tgt_vocab = seq.Vocabulary.build([iso for _, iso in train_pairs], level="char")  # digits and "-"
    train = encode_pairs(train_pairs, src_vocab, tgt_vocab)
    test = encode_pairs(test_pairs, src_vocab, tgt_vocab)
    print(
        f"{len(train)} training dates, {len(test)} held out; source vocabulary {len(src_vocab)} characters, "
        f"target {len(tgt_vocab)}; e.g. {train_pairs[0][0]!r} -> {train_pairs[0][1]!r}"
    )

    model = seq.Seq2Seq(len(src_vocab), len(tgt_vocab), config["embed"], config["hidden"], attention="bahdanau")
    batches = seq.data.BatchIterator(train, config["batch"], seed=args.seed, pad_id=src_vocab.pad_id)
    steps = config["epochs"] * len(batches)
    opt = optim.Adam(model.parameters(), lr=config["lr"])
    schedule = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps, eta_min=1e-4)  # per step

    # Training: teacher forcing — the decoder reads the true previous character, <bos> first
    losses = []
    for epoch in range(config["epochs"]):
        for batch in progress(batches, desc=f"epoch {epoch + 1}/{config['epochs']}", quiet=args.quick):
            tgt = batch.targets  # (12, B): <bos> y<1> ... y<10> <eos>; every ISO date has 10 characters
            logits, _ = model(batch.inputs, batch.lengths, tgt[:-1])  # reads <bos> .. y<10>: (T, B, V), T = 11
            T, B, V = logits.shape
            # predicts y<1> .. y<10> <eos>: logits (T, B, V) -> (T * B, V) against tgt[1:] (T, B) -> (T * B,)
            loss = nn.functional.cross_entropy(logits.reshape(T * B, V), tgt[1:].reshape(T * B))
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), max_norm=5.0)
            opt.step()
            schedule.step()
            losses.append(loss.item())
        print(f"epoch {epoch + 1}: mean loss {np.mean(losses[-len(batches) :]):.4f}")

    # Evaluation: greedy on every held-out date, beam search on the first beam_examples of them
    greedy_acc, decoded, _ = evaluate_greedy(model, test, tgt_vocab)
    test_loss = held_out_loss(model, test)
    blind = source_blind_baseline(train, test, len(tgt_vocab))
    references = [t[1:-1] for _, t in test]
    beam_decoded = []
    for src, _ in progress(test[:beam_examples], desc="beam search", quiet=args.quick):
        beam_decoded.append(
            beam_search(
                model,
                np.array(src),
                None,
                beam_width=args.beam_width,
                max_len=12,
                bos_id=tgt_vocab.bos_id,
                eos_id=tgt_vocab.eos_id,
            )
        )
    beam_acc = sequence_accuracy(beam_decoded, references[:beam_examples])
    greedy_subset_acc = sequence_accuracy(decoded[:beam_examples], references[:beam_examples])
    errors = [
        (test_pairs[i][0], tgt_vocab.decode(decoded[i]), test_pairs[i][1])
        for i in range(len(test))
        if decoded[i] != references[i]
    ]
    # The course's error analysis of beam search: when its output ŷ is wrong, is P(ŷ|x) > P(y*|x)? Then the
    # model prefers the wrong answer (a model error); else the search missed the better one (a search error).
    beam_errors = []
    for i, ids in enumerate(beam_decoded):
        if ids != references[i]:
            src = test[i][0]
            gap = log_likelihood(model, src, ids, tgt_vocab) - log_likelihood(model, src, references[i], tgt_vocab)
            beam_errors.append(
                {
                    "date": test_pairs[i][0],
                    "beam": tgt_vocab.decode(ids),
                    "expected": test_pairs[i][1],
                    "log_p_beam_minus_log_p_expected": gap,
                    "kind": "model error" if gap > 0 else "search error",
                }
            )

    # Heatmaps: one date written four ways; the same ISO output, but the day, month and year sit elsewhere
    shown_pairs = [(format_date(SHOWN_DATE, fmt), SHOWN_DATE.isoformat()) for fmt in SHOWN_FORMATS]
    _, shown_decoded, shown_attention = evaluate_greedy(
        model, encode_pairs(shown_pairs, src_vocab, tgt_vocab), tgt_vocab
    )
    shown = [
        (human, tgt_vocab.decode(ids), weights)
        for (human, _), ids, weights in zip(shown_pairs, shown_decoded, shown_attention)
    ]
    plot_attention(out / "attention.png", shown, pyplot())

    metrics = {
        "train_dates": len(train),
        "test_dates": len(test),
        "epochs": config["epochs"],
        "steps": steps,
        "final_loss": float(np.mean(losses[-20:])),
        "test_loss": test_loss,
        "source_blind_loss": blind["loss"],
        "source_blind_accuracy": blind["accuracy"],
        "greedy_accuracy": greedy_acc,
        "beam_width": args.beam_width,
        "beam_examples": beam_examples,
        "beam_accuracy": beam_acc,
        "greedy_accuracy_on_beam_examples": greedy_subset_acc,
        "errors": [list(e) for e in errors[:10]],
        "beam_errors": beam_errors[:10],
        "shown": {human: output for human, output, _ in shown},
    }
    save_metrics(out, metrics)
    print(
        f"held-out loss {test_loss:.4f} nats/char; a decoder that never reads the source: {blind['loss']:.3f} "
        f"nats/char, exact match {blind['accuracy']:.2%}"
    )
    print(f"exact match on {len(test)} held-out dates, greedy: {greedy_acc:.2%} ({len(errors)} wrong)")
    print(
        f"on the first {beam_examples}: beam search (B={args.beam_width}) {beam_acc:.2%}, "
        f"greedy {greedy_subset_acc:.2%}"
    )
    for human, got, want in errors[:5]:
        print(f"  greedy: {human!r} -> {got!r}, expected {want!r}")
    for e in beam_errors[:5]:
        print(
            f"  beam: {e['date']!r} -> {e['beam']!r}, expected {e['expected']!r}; log P(beam) - log P(expected) "
            f"= {e['log_p_beam_minus_log_p_expected']:+.3f}: a {e['kind']}"
        )
    print(f"wrote {out / 'attention.png'} and {out / 'metrics.json'}")
    return metrics


if __name__ == "__main__":
    main()
