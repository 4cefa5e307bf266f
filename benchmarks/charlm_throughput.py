"""End to end: training tokens per second of the charlm demo's default model, minigrad beside PyTorch.

The model and loop are those of ``demos/charlm.py`` with its defaults: ``seq.LanguageModel`` (embedding 64,
one LSTM layer of 512, a linear decoder) on windows of 100 characters from 32 parallel streams (truncated
BPTT: the state is carried from window to window, detached), cross-entropy, gradients clipped to norm 1,
AdamW at 2e-3; float32 and the default threads, as the demo runs. The text is a fixed random stream of
ids over tinyshakespeare's vocabulary size (65 characters and 4 specials): the speed does not depend on
which characters they are, and the benchmark needs no download.

PyTorch runs the same model (``torch.nn.Embedding``, ``LSTM``, ``Linear``, ``AdamW``, ``clip_grad_norm_``)
from the same initial weights on the same windows; its first loss is checked against minigrad's first.
After warm-up steps, the two take turns (a few steps each, round after round) and each training step is
timed; the figures are medians, as tokens per second (T·B / median step time).

Aim: minigrad at least 0.9x PyTorch's tokens per second in float32.

Run: ``python benchmarks/charlm_throughput.py [--steps 30] [--quick] [--threads N] [--clock cpu]``. On a shared
machine, ``--clock cpu`` (this process's CPU time, with one thread: a thread pool waiting for a core busy elsewhere
would count its wait) gives steadier figures than the default wall clock, which is what the demo sees.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from timing import describe_machine, import_torch, load_average, median, use_threads

import minigrad
import seq
from minigrad import nn, optim

VOCAB = 65 + 4  # tinyshakespeare's characters and seq.Vocabulary's four specials
EMBED, HIDDEN, SEQ_LEN, BATCH, LR, CLIP = 64, 512, 100, 32, 2e-3, 1.0


def windows(n: int, seed: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    """``n`` consecutive (inputs, targets) windows of (SEQ_LEN, BATCH) ids; targets are inputs shifted by one."""
    stream = np.random.default_rng(seed).integers(0, VOCAB, size=(n * SEQ_LEN + 1, BATCH))  # (T_total, B)
    return [(stream[i : i + SEQ_LEN], stream[i + 1 : i + SEQ_LEN + 1]) for i in range(0, n * SEQ_LEN, SEQ_LEN)]


class MinigradTrainer:
    """The demo's training step on seq.LanguageModel."""

    def __init__(self) -> None:
        minigrad.manual_seed(0)
        self.model = seq.LanguageModel(VOCAB, EMBED, HIDDEN, cell="lstm")
        self.params = list(self.model.parameters())
        self.opt = optim.AdamW(self.params, lr=LR)
        self.state = None

    def loss(self, x: np.ndarray, y: np.ndarray, state=None) -> minigrad.Tensor:
        logits, state = self.model(x, state)  # (T, B, V)
        T, B, V = logits.shape
        return nn.functional.cross_entropy(logits.reshape(T * B, V), y.reshape(T * B)), state

    def step(self, x: np.ndarray, y: np.ndarray) -> float:
        self.state = seq.detach_state(self.state)  # truncated BPTT: keep the values, cut the graph
        loss, self.state = self.loss(x, y, self.state)
        self.opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(self.params, max_norm=CLIP)
        self.opt.step()
        return loss.item()


class TorchTrainer:
    """The same model and step in PyTorch, starting from the minigrad model's weights."""

    def __init__(self, torch, weights: dict) -> None:
        self.torch = torch
        tnn = torch.nn

        class LanguageModel(tnn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.embedding = tnn.Embedding(VOCAB, EMBED)
                self.rnn = tnn.LSTM(EMBED, HIDDEN)
                self.decoder = tnn.Linear(HIDDEN, VOCAB)

            def forward(self, ids, state=None):
                output, state = self.rnn(self.embedding(ids), state)  # (T, B, H)
                return self.decoder(output), state  # (T, B, V)

        self.model = LanguageModel()
        self.model.load_state_dict({k: torch.tensor(np.asarray(v)) for k, v in weights.items()})
        self.opt = torch.optim.AdamW(self.model.parameters(), lr=LR, weight_decay=1e-2)  # minigrad's defaults
        self.state = None

    def loss(self, x: np.ndarray, y: np.ndarray, state=None):
        x, y = self.torch.from_numpy(x), self.torch.from_numpy(y)
        logits, state = self.model(x, state)
        T, B, V = logits.shape
        return self.torch.nn.functional.cross_entropy(logits.reshape(T * B, V), y.reshape(T * B)), state

    def step(self, x: np.ndarray, y: np.ndarray) -> float:
        if self.state is not None:
            self.state = tuple(s.detach() for s in self.state)
        loss, self.state = self.loss(x, y, self.state)
        self.opt.zero_grad()
        loss.backward()
        self.torch.nn.utils.clip_grad_norm_(self.model.parameters(), max_norm=CLIP)
        self.opt.step()
        return loss.item()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=30, help="timed training steps of each (after warm-up)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed steps of each first")
    parser.add_argument("--turn", type=int, default=3, help="steps each takes in its turn")
    parser.add_argument("--quick", action="store_true", help="6 timed steps, 1 warm-up step")
    parser.add_argument("--threads", type=int, default=None, help="BLAS and torch threads (default: their own)")
    parser.add_argument(
        "--clock",
        choices=("wall", "cpu"),
        default="wall",
        help="wall time, or this process's CPU time (steadier on a busy machine; implies --threads 1 unless given)",
    )
    args = parser.parse_args()
    if args.clock == "cpu" and args.threads is None:
        args.threads = 1  # the CPU time of a thread pool would count its waiting threads too
    use_threads(args.threads)
    clock = time.process_time if args.clock == "cpu" else time.perf_counter
    if args.quick:
        args.steps, args.warmup, args.turn = 6, 1, 2
    torch = import_torch()
    print(describe_machine(torch))
    if minigrad.get_default_dtype() != np.float32:
        raise SystemExit(f"minigrad's default dtype is {minigrad.get_default_dtype()}; this benchmark is float32")

    trainers = {"minigrad": MinigradTrainer()}
    if torch is not None:
        trainers["PyTorch"] = TorchTrainer(torch, trainers["minigrad"].model.state_dict())
    data = windows(args.warmup + args.steps + 1)

    # The same model on the same window: the first losses agree (float32 sums: to 1e-4 relative).
    first = {}
    for name, trainer in trainers.items():
        with torch.no_grad() if name == "PyTorch" else minigrad.no_grad():
            first[name] = float(trainer.loss(*data[0])[0].item())
    print(f"first loss: {', '.join(f'{n} {v:.6f}' for n, v in first.items())} (ln {VOCAB} = {np.log(VOCAB):.6f})")
    if "PyTorch" in first and not abs(first["PyTorch"] - first["minigrad"]) <= 1e-4 * abs(first["minigrad"]):
        raise SystemExit("minigrad and PyTorch compute different losses on the same model: nothing was timed")

    for trainer in trainers.values():
        for x, y in data[: args.warmup]:
            trainer.step(x, y)
    times: dict = {name: [] for name in trainers}
    position = {name: args.warmup for name in trainers}
    while any(len(t) < args.steps for t in times.values()):
        for name, trainer in trainers.items():  # turns: a burst of load hits both alike
            for _ in range(min(args.turn, args.steps - len(times[name]))):
                x, y = data[position[name]]
                start = clock()
                trainer.step(x, y)
                times[name].append(clock() - start)
                position[name] += 1

    tokens = SEQ_LEN * BATCH
    rate = {name: tokens / median(t) for name, t in times.items()}
    print(
        f"\ncharlm default model (embedding {EMBED}, LSTM {HIDDEN}, BPTT {SEQ_LEN}, batch {BATCH}), float32, "
        f"training step = forward + loss + backward + clip + AdamW; median of {args.steps} steps each, "
        f"{'CPU time' if args.clock == 'cpu' else 'wall clock'}:"
    )
    for name, t in times.items():
        print(f"  {name:9} {rate[name]:8,.0f} tokens/s  ({median(t) * 1e3:.0f} ms per step)")
    if "PyTorch" in rate:
        ratio = rate["minigrad"] / rate["PyTorch"]
        print(f"  minigrad / PyTorch: {ratio:.2f}x  (aim >= 0.9x: {'met' if ratio >= 0.9 else 'MISSED'})")
    else:
        print("  PyTorch   (not installed)")
    print(load_average())


if __name__ == "__main__":
    main()
