"""The course's character-level Shakespeare model on seq: Embedding -> LSTM -> Linear, trained by truncated BPTT.

The text is one long stream of characters. ``seq.data.batchify`` cuts it into B parallel streams;
``seq.data.bptt_windows`` walks them in windows of --seq-len steps. The model reads a window and predicts
the next character at every step; the hidden state is carried into the next window (each stream continues
where it stopped) but detached from the graph first (``seq.detach_state``), so backpropagation goes back at
most one window: truncated backpropagation through time. Gradients are clipped to norm 1
(``clip_grad_norm_``, the course's remedy for exploding gradients); the optimizer is AdamW, its learning rate
decaying along half a cosine to a tenth over the run (the run's end: --steps, or the --minutes budget).

The last 10% of the text is held out; its loss is reported in nats/char and bits/char (nats / ln 2), next
to the loss of a character bigram on the same split (``demos.common.NGram``), the baseline to beat.
Samples are drawn with a temperature: below 1 the distribution is sharpened (safer, more repetitive text),
above 1 flattened (more surprising, more mistakes).

Run: ``python -m demos charlm [--text PATH] [--cell lstm|gru|rnn] [--minutes M] [--steps N] [--quick]``.
Without --text the "tinyshakespeare" corpus is downloaded once and cached (``seq.datasets.load_text``).
--minutes is a time budget (so the number of steps depends on the machine); --steps repeats a run exactly.
"""

from __future__ import annotations

import itertools
import math
import time

import numpy as np

import minigrad
import seq
from demos.common import (
    ngram_baseline,
    nonnegative_float,
    output_dir,
    parser,
    positive_float,
    positive_int,
    progress,
    pyplot,
    save_metrics,
)
from minigrad import nn, optim

NAME = "charlm"


def load(text_option: str | None) -> str:
    """The text of --text, or the cached tinyshakespeare; a clear exit (no traceback) when it is missing."""
    source = text_option if text_option is not None else "tinyshakespeare"
    try:
        return seq.datasets.load_text(source)
    except FileNotFoundError as e:
        raise SystemExit(f"--text: {e}") from None
    except (OSError, ValueError) as e:  # DownloadError (an OSError) or a corrupt cached file
        raise SystemExit(str(e)) from None


def cosine_lr(base: float, fraction: float, final: float = 0.1) -> float:
    """The learning rate after ``fraction`` of the run: from ``base`` down to ``final * base`` along half a cosine."""
    return base * (final + (1.0 - final) * 0.5 * (1.0 + math.cos(math.pi * fraction)))


def evaluate(model: seq.LanguageModel, batched: np.ndarray, seq_len: int) -> float:
    """Mean NLL per character (nats) over (T, B) streams, state carried across windows, dropout off."""
    model.eval()
    total, count, state = 0.0, 0, None
    with minigrad.no_grad():
        for x, y in seq.data.bptt_windows(batched, seq_len):
            logits, state = model(x, state)  # (T, B, V)
            T, B, V = logits.shape
            loss = nn.functional.cross_entropy(logits.reshape(T * B, V), y.reshape(T * B), reduction="sum")
            total += loss.item()
            count += T * B
    model.train()
    return total / count


def main(argv: list[str] | None = None) -> dict:
    p = parser(NAME, __doc__.split("\n\n")[0])
    p.add_argument("--text", default=None, help="a UTF-8 text file to learn (default: tinyshakespeare, cached)")
    p.add_argument("--cell", choices=("lstm", "gru", "rnn"), default="lstm", help="the recurrent cell")
    p.add_argument(
        "--minutes", type=positive_float, default=None, help="training time budget (default 12; quick: 150 steps)"
    )
    p.add_argument("--steps", type=positive_int, default=None, help="stop after this many steps (exactly repeatable)")
    p.add_argument("--embed", type=positive_int, default=None, help="embedding size (default 64, quick 16)")
    p.add_argument("--hidden", type=positive_int, default=None, help="hidden units (default 512, quick 64)")
    p.add_argument(
        "--seq-len", type=positive_int, default=None, help="BPTT window, in characters (default 100, quick 32)"
    )
    p.add_argument("--batch-size", type=positive_int, default=None, help="parallel streams (default 32, quick 16)")
    p.add_argument(
        "--lr", type=positive_float, default=None, help="AdamW peak learning rate (default 2e-3, quick 1e-2)"
    )
    p.add_argument(
        "--clip", type=nonnegative_float, default=1.0, help="gradient-norm clipping (default 1.0; 0 turns it off)"
    )
    p.add_argument(
        "--eval-every", type=positive_int, default=None, help="steps between validations (default 250, quick 50)"
    )
    p.add_argument("--temperature", type=positive_float, default=0.8, help="sampling temperature (default 0.8)")
    args = p.parse_args(argv)
    q = args.quick
    embed = args.embed or (16 if q else 64)
    hidden = args.hidden or (64 if q else 512)
    seq_len = args.seq_len or (32 if q else 100)
    batch_size = args.batch_size or (16 if q else 32)
    eval_every = args.eval_every or (50 if q else 250)
    lr = args.lr or (1e-2 if q else 2e-3)  # the small quick model learns fast at a high rate
    minutes = args.minutes or (5.0 if q else 12.0)
    max_steps = args.steps or (150 if q else None)
    out = output_dir(NAME, args.out)

    # Data: the first 90% to train on, the last 10% held out; characters the training part lacks become <unk>
    text = load(args.text)
    cut = int(0.9 * len(text))
    vocab = seq.Vocabulary.build(text[:cut], level="char")
    if cut < batch_size * (seq_len + 1) or len(text) - cut < 2:
        raise SystemExit(
            f"the text has {len(text)} characters: too short for {batch_size} streams of windows of "
            f"{seq_len} in its first 90%; pass a longer --text or a smaller --batch-size / --seq-len"
        )
    train = seq.data.batchify(np.array(vocab.encode(text[:cut])), batch_size)  # (T, B)
    val_ids = np.array(vocab.encode(text[cut:]))
    val_streams = max(1, min(batch_size, len(val_ids) // (seq_len + 1)))  # short texts: fewer, full windows
    val = seq.data.batchify(val_ids, val_streams)  # (T_val, streams)
    # The baseline to beat: a character bigram, P(next character | this one), counted on the same training part
    bigram = ngram_baseline(2, [text[:cut]], [text[cut:]], vocab, add_eos=False)
    first_line = text.split("\n", 1)[0]
    prime = first_line[:40] if first_line else text[:10]  # e.g. "First Citizen:"

    minigrad.manual_seed(args.seed)
    model = seq.LanguageModel(len(vocab), embed, hidden, cell=args.cell)
    opt = optim.AdamW(model.parameters(), lr=lr)
    params = list(model.parameters())
    initial_val = evaluate(model, val, seq_len)
    print(
        f"{len(text):,} characters, {len(vocab)} symbols; {args.cell.upper()} {hidden}, "
        f"{sum(w.data.size for w in params):,} parameters; untrained validation loss {initial_val:.3f} nats/char"
    )

    history = {"step": [], "train_loss": []}
    val_history = {"step": [0], "val_loss": [initial_val]}
    samples: list[dict] = []
    budget, train_seconds, tokens, step, state = 60.0 * minutes, 0.0, 0, 0, None

    def validate_and_sample(write) -> None:
        val_history["step"].append(step)
        val_history["val_loss"].append(evaluate(model, val, seq_len))
        text_sample = seq.generate.sample(
            model,
            vocab,
            prime=prime,
            max_len=200 if q else 300,
            temperature=args.temperature,
            stop_at_eos=False,
            seed=args.seed + step,
        )
        samples.append({"step": step, "text": prime + text_sample})
        write(
            f"\n--- step {step}: validation {val_history['val_loss'][-1]:.3f} nats/char; sample:\n"
            f"{prime + text_sample}\n"
        )

    def run_fraction() -> float:
        """How much of the run is done: of the steps (--steps), or of the time budget, whichever is nearer."""
        by_steps = step / max_steps if max_steps is not None else 0.0
        return min(1.0, max(by_steps, train_seconds / budget))

    def windows():
        """(inputs, targets, first) for every window, epoch after epoch; ``first`` marks an epoch's start."""
        for _ in itertools.count():
            for i, (x, y) in enumerate(seq.data.bptt_windows(train, seq_len)):
                yield x, y, i == 0

    bar = progress(itertools.count(), desc="steps", total=max_steps, quiet=q)
    write = getattr(bar, "write", print)  # print above a tqdm bar without breaking it
    for _, (x, y, first) in zip(bar, windows()):
        started = time.perf_counter()
        if first:  # the streams start again from their beginning: so does the state
            state = None
        for group in opt.param_groups:
            group["lr"] = cosine_lr(lr, run_fraction())
        state = seq.detach_state(state)  # keep the values, cut the graph: truncated BPTT
        logits, state = model(x, state)  # (T, B, V)
        T, B, V = logits.shape
        loss = nn.functional.cross_entropy(logits.reshape(T * B, V), y.reshape(T * B))  # (T·B, V)
        opt.zero_grad()
        loss.backward()
        if args.clip > 0:
            nn.utils.clip_grad_norm_(params, max_norm=args.clip)
        opt.step()
        train_seconds += time.perf_counter() - started
        step += 1
        tokens += T * B
        history["step"].append(step)
        history["train_loss"].append(loss.item())
        if hasattr(bar, "set_postfix") and step % 10 == 0:
            bar.set_postfix(loss=f"{np.mean(history['train_loss'][-50:]):.3f}", tok_s=f"{tokens / train_seconds:.0f}")
        done = (max_steps is not None and step >= max_steps) or train_seconds >= budget
        if step % eval_every == 0 or done:
            validate_and_sample(write)
        if done:
            break

    final_val = val_history["val_loss"][-1]
    minigrad.save(
        {
            "symbols": list(vocab)[len(vocab.specials) :],
            "model": model.state_dict(),
            "config": {"embed": embed, "hidden": hidden, "cell": args.cell},
        },
        out / "model.ckpt",
    )

    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7.5, 4.5))
    losses, window = np.array(history["train_loss"]), 20
    trailing = [losses[max(0, i - window + 1) : i + 1].mean() for i in range(len(losses))]  # mean of the last 20
    ax.plot(history["step"], losses, color="C0", alpha=0.25, linewidth=0.8)
    ax.plot(history["step"], trailing, color="C0", label=f"training window (mean of the last {window})")
    ax.plot(val_history["step"], val_history["val_loss"], "o-", color="C1", label="validation (last 10% of the text)")
    ax.set(
        xlabel=f"step (a window of {seq_len} characters in each of {batch_size} streams)",
        ylabel="loss (nats per character)",
        title=f"character-level {args.cell.upper()} {hidden}, truncated BPTT {seq_len}",
        ylim=(None, initial_val),
    )
    sec = ax.secondary_yaxis("right", functions=(lambda n: n / math.log(2), lambda b: b * math.log(2)))
    sec.set_ylabel("bits per character")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "charlm.png", dpi=110)
    plt.close(fig)

    metrics = {
        "initial_val_loss": initial_val,
        "val_loss": final_val,
        "val_bits_per_char": seq.metrics.bits_per_char(final_val),
        "val_perplexity": seq.metrics.perplexity(final_val),
        "bigram_val_loss": bigram["val_loss"],
        "bigram_k": bigram["k"],
        "initial_train_loss": float(np.mean(history["train_loss"][:5])),
        "final_train_loss": float(trailing[-1]),
        "steps": step,
        "epochs": tokens / train.size,
        "tokens_per_second": tokens / train_seconds,
        "train_seconds": train_seconds,
        "cell": args.cell,
        "vocab_size": len(vocab),
        "samples": samples,
    }
    save_metrics(out, metrics)
    print(
        f"validation: {final_val:.3f} nats/char = {metrics['val_bits_per_char']:.3f} bits/char "
        f"(untrained {initial_val:.3f}, a character bigram {bigram['val_loss']:.3f}); {step} steps, "
        f"{tokens / train_seconds:,.0f} tokens/s"
    )
    print(f"wrote {out / 'charlm.png'}, {out / 'metrics.json'} and {out / 'model.ckpt'}")
    return metrics


if __name__ == "__main__":
    main()
