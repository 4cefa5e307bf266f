"""Vanishing and exploding gradients, made visible.

Part 1 — vanishing. Run each cell over the same random sequence of T steps, take the loss at the last
step only, L = ½|a<T>|², and read dL/da<t> for every t: ``retain_grad()`` on each a<t> keeps the total
gradient that reached it through the recurrence. For a tanh RNN the norm shrinks by a roughly constant
factor per step (the course's "vanishing gradients"); the gates of the GRU and the LSTM let it through
longer, and starting the LSTM's forget gate open (forget bias 3) or the ReLU RNN's recurrent matrix at
the identity (IRNN) keep it alive across the whole sequence.

Part 2 — exploding. A tanh RNN whose recurrent matrix has all singular values 3 is trained with SGD to
output a scaled sum of its inputs. Without clipping, one step of a huge gradient throws the weights out
and the loss goes to inf/NaN; with ``clip_grad_norm_(params, 1.0)`` (the course's remedy) it trains.

Run: ``python -m demos vanishing [--quick] [--seed S] [--out DIR] [--steps N]``.
"""

from __future__ import annotations

import math

import numpy as np

import minigrad
import seq
from demos.common import output_dir, parser, progress, pyplot, save_metrics
from minigrad import nn, optim

NAME = "vanishing"


def cells(input_size: int, hidden: int) -> dict:
    """The cells compared, all of the same size, PyTorch's default initialisation unless said."""
    return {
        "tanh RNN": seq.RNNCell(input_size, hidden),
        "IRNN (ReLU, identity init)": seq.init.identity_(seq.RNNCell(input_size, hidden, nonlinearity="relu")),
        "GRU": seq.GRUCell(input_size, hidden),
        "LSTM": seq.LSTMCell(input_size, hidden),
        "LSTM, forget bias 3": seq.LSTMCell(input_size, hidden, forget_bias=3.0),
    }


def gradient_norms(cell: nn.Module, xs: minigrad.Tensor) -> np.ndarray:
    """‖dL/da<t>‖ for t = 1..T (mean over the batch), with L = ½|a<T>|²."""
    T, B = xs.shape[0], xs.shape[1]
    state = None
    activations = []
    for t in range(T):
        state = cell(xs[t], state)
        a = state[0] if isinstance(state, tuple) else state  # the LSTM's state is (a<t>, c<t>)
        a.retain_grad()  # keep dL/da<t> after backward: the total, through every later step
        activations.append(a)
    loss = 0.5 * (activations[-1] ** 2).sum()
    loss.backward()
    return np.array([np.linalg.norm(a.grad) / B for a in activations])


def train_sum(clip: bool, steps: int, T: int, seed: int, quiet: bool) -> list:
    """SGD on "output the scaled sum of the inputs" with a tanh RNN whose recurrent singular values are 3."""
    minigrad.manual_seed(seed)
    rng = np.random.default_rng(seed)
    rnn, head = seq.RNN(1, 32), nn.Linear(32, 1)
    seq.init.orthogonal_recurrent_(rnn, gain=3.0)  # every singular value 3: products of Jacobians grow
    params = [*rnn.parameters(), *head.parameters()]
    opt = optim.SGD(params, lr=0.05)
    losses = []
    for _ in progress(range(steps), desc="clipped" if clip else "not clipped", quiet=quiet):
        x = rng.uniform(-1, 1, (T, 64, 1)).astype(np.float32)
        target = x.sum(axis=0) / math.sqrt(T)  # (64, 1)
        _, h_n = rnn(minigrad.tensor(x))
        loss = nn.functional.mse_loss(head(h_n[-1]), minigrad.tensor(target))
        opt.zero_grad()
        loss.backward()
        if clip:
            nn.utils.clip_grad_norm_(params, max_norm=1.0)
        opt.step()
        losses.append(loss.item())
    return losses


def main(argv: list[str] | None = None) -> dict:
    p = parser(NAME, __doc__.split("\n\n")[0])
    p.add_argument("--steps", type=int, default=None, help="training steps of part 2 (default 300, quick 80)")
    args = p.parse_args(argv)
    out = output_dir(NAME, args.out)
    T, hidden, steps = (40, 16, 80) if args.quick else (100, 32, 300)
    steps = args.steps or steps

    # Part 1: gradient norms against t, in float64 so the tiny ones are still exact
    minigrad.set_default_dtype(np.float64)
    try:
        minigrad.manual_seed(args.seed)
        xs = minigrad.tensor(np.random.default_rng(args.seed).standard_normal((T, 16, 8)))
        norms = {name: gradient_norms(cell, xs) for name, cell in cells(8, hidden).items()}
    finally:
        minigrad.set_default_dtype(np.float32)

    # Part 2: exploding gradients, with and without clipping
    with np.errstate(all="ignore"):  # the unclipped run overflows: that is the lesson
        curves = {clip: train_sum(clip, steps, 30, args.seed, args.quick) for clip in (False, True)}

    plt = pyplot()
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.5))
    for name, n in norms.items():
        ax1.semilogy(np.arange(1, T + 1), n, label=name)
    ax1.set(xlabel="time step t", ylabel="‖dL/da<t>‖", title=f"gradient of L = ½|a<{T}>|² reaching each step")
    ax1.legend(fontsize=8)
    for clip, losses in curves.items():
        shown = np.where(np.isfinite(losses), losses, np.nan)
        ax2.semilogy(shown, label="clip_grad_norm_(1.0)" if clip else "no clipping (goes to inf/NaN)")
    ax2.set(xlabel="SGD step", ylabel="MSE", title="tanh RNN with recurrent singular values 3", ylim=(0.1, 1e6))
    ax2.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "gradients.png", dpi=110)
    plt.close(fig)

    ratio = {name: float(n[0] / n[-1]) for name, n in norms.items()}  # how much reaches step 1
    unclipped, clipped = curves[False], curves[True]
    metrics = {
        "T": T,
        "norm_ratio_first_to_last": ratio,
        "unclipped_final_loss": unclipped[-1] if np.isfinite(unclipped[-1]) else "nan/inf",
        "unclipped_diverged": bool(not np.all(np.isfinite(unclipped)) or max(unclipped) > 1e3 * unclipped[0]),
        "clipped_initial_loss": clipped[0],
        "clipped_final_loss": float(np.mean(clipped[-10:])),
    }
    save_metrics(out, metrics)
    print(f"dL/da<1> / dL/da<{T}> (how much of the gradient survives {T - 1} steps back):")
    for name, r in ratio.items():
        print(f"  {name:28s} {r:9.2e}")
    print(
        f"exploding: without clipping the loss went {unclipped[0]:.3f} -> {metrics['unclipped_final_loss']}; "
        f"with clip_grad_norm_(1.0) {clipped[0]:.3f} -> {metrics['clipped_final_loss']:.3f}"
    )
    print(f"wrote {out / 'gradients.png'} and {out / 'metrics.json'}")
    return metrics


if __name__ == "__main__":
    main()
