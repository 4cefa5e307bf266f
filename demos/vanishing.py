"""Vanishing and exploding gradients, made visible.

Part 1 — vanishing. Run each cell over the same random sequence of T steps, take the loss at the last
step only, L = ½|a<T>|², and read dL/da<t> for every t: ``retain_grad()`` on each a<t> keeps the total
gradient that reached it through the recurrence. For a tanh RNN the norm shrinks by a roughly constant
factor per step (the course's "vanishing gradients"); the gates of the GRU and the LSTM let it through
longer, and starting the LSTM's forget gate open (forget bias 3) or the ReLU RNN's recurrent matrix at
the identity (IRNN) keep it alive across the whole sequence.

Part 2 — exploding. A tanh RNN whose recurrent matrix has all singular values 1.5 (``GAIN``) is trained
with SGD to output the sum of its T inputs (uniform in [-1, 1]) divided by √T. Answering 0, the target's
mean, scores an MSE of 1/3, its variance: a run that trains goes well below that. Without clipping a few
steps of growing gradients throw the weights out, the next gradients are larger still, and the loss goes
to inf/NaN (the run stops there); with ``clip_grad_norm_(params, 1.0)`` (the course's remedy) the same
learning rate trains.

Run: ``python -m demos vanishing [--quick] [--seed S] [--out DIR] [--steps N]``.
"""

from __future__ import annotations

import math

import numpy as np

import minigrad
import seq
from demos.common import output_dir, parser, positive_int, progress, pyplot, save_metrics
from minigrad import nn, optim

NAME = "vanishing"
GAIN, LR = 1.5, 0.1  # part 2: the recurrent matrix's singular values, and SGD's learning rate
PREDICT_ZERO_MSE = 1 / 3  # part 2's target has mean 0 and variance 1/3: the MSE of always answering 0


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


def train_sum(clip: bool, steps: int, T: int, seed: int, quiet: bool) -> tuple[list, list]:
    """SGD on "output the sum of the inputs over √T"; the loss and the gradient norm (before clipping) per step.

    The run stops early at the first loss that is not finite: nothing can be learnt from there.
    """
    minigrad.manual_seed(seed)
    rng = np.random.default_rng(seed)
    rnn, head = seq.RNN(1, 32), nn.Linear(32, 1)
    seq.init.orthogonal_recurrent_(rnn, gain=GAIN)  # every singular value 1.5: products of Jacobians can grow
    params = [*rnn.parameters(), *head.parameters()]
    opt = optim.SGD(params, lr=LR)
    losses, norms = [], []
    for _ in progress(range(steps), desc="clipped" if clip else "not clipped", quiet=quiet):
        x = rng.uniform(-1, 1, (T, 64, 1)).astype(np.float32)
        target = x.sum(axis=0) / math.sqrt(T)  # (64, 1): mean 0, variance 1/3
        _, h_n = rnn(minigrad.tensor(x))
        loss = nn.functional.mse_loss(head(h_n[-1]), minigrad.tensor(target))
        opt.zero_grad()
        loss.backward()
        # returns the norm before clipping; max_norm=inf leaves the unclipped run's gradients as they are
        norms.append(nn.utils.clip_grad_norm_(params, max_norm=1.0 if clip else math.inf).item())
        opt.step()
        losses.append(loss.item())
        if not math.isfinite(losses[-1]):
            break
    return losses, norms


def main(argv: list[str] | None = None) -> dict:
    p = parser(NAME, __doc__.split("\n\n")[0])
    p.add_argument("--steps", type=positive_int, default=None, help="training steps of part 2 (default 300, quick 150)")
    args = p.parse_args(argv)
    out = output_dir(NAME, args.out)
    T, hidden = (40, 16) if args.quick else (100, 32)  # part 1
    T_sum, steps = (20, 150) if args.quick else (30, 300)  # part 2
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
        runs = {clip: train_sum(clip, steps, T_sum, args.seed, args.quick) for clip in (False, True)}
    (unclipped, unclipped_norms), (clipped, clipped_norms) = runs[False], runs[True]

    plt = pyplot()
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.5))
    for name, n in norms.items():
        ax1.semilogy(np.arange(1, T + 1), n, label=name)
    ax1.set(xlabel="time step t", ylabel="‖dL/da<t>‖", title=f"gradient of L = ½|a<{T}>|² reaching each step")
    ax1.legend(fontsize=8)
    ax2.semilogy(clipped, label="clip_grad_norm_(1.0)")
    ax2.semilogy(np.where(np.isfinite(unclipped), unclipped, np.nan), label="no clipping (goes to inf/NaN)")
    if not math.isfinite(unclipped[-1]):
        ax2.axvline(
            len(unclipped) - 1, color="C1", linestyle=":", label=f"no clipping: inf/NaN at step {len(unclipped)}"
        )
    ax2.axhline(PREDICT_ZERO_MSE, color="gray", linestyle="--", linewidth=1, label="always answer 0: MSE 1/3")
    ax2.set(
        xlabel="SGD step",
        ylabel="MSE",
        title=f"tanh RNN with recurrent singular values {GAIN}, T = {T_sum}",
        ylim=(0.01, 1e6),
    )
    ax2.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "gradients.png", dpi=110)
    plt.close(fig)

    ratio = {name: float(n[0] / n[-1]) for name, n in norms.items()}  # how much reaches step 1
    finite = [v for v in unclipped if math.isfinite(v)]
    metrics = {
        "T": T,
        "norm_ratio_first_to_last": ratio,
        "T_sum": T_sum,
        "steps": steps,
        "predict_zero_mse": PREDICT_ZERO_MSE,
        "unclipped_steps": len(unclipped),  # fewer than `steps`: it stopped at a loss of inf/NaN
        "unclipped_final_loss": unclipped[-1] if math.isfinite(unclipped[-1]) else "nan/inf",
        "unclipped_diverged": bool(len(finite) < len(unclipped) or max(finite) > 1e3 * unclipped[0]),
        "unclipped_largest_finite_gradient_norm": max(n for n in unclipped_norms if math.isfinite(n)),
        "clipped_largest_gradient_norm": max(clipped_norms),
        "clipped_initial_loss": clipped[0],
        "clipped_final_loss": float(np.mean(clipped[-10:])),
    }
    save_metrics(out, metrics)
    print(f"dL/da<1> / dL/da<{T}> (how much of the gradient survives {T - 1} steps back):")
    for name, r in ratio.items():
        print(f"  {name:28s} {r:9.2e}")
    print(
        f"exploding: without clipping the loss went {unclipped[0]:.3f} -> {metrics['unclipped_final_loss']} "
        f"in {len(unclipped)} steps; with clip_grad_norm_(1.0) {clipped[0]:.3f} -> "
        f"{metrics['clipped_final_loss']:.3f} (always answering 0 scores {PREDICT_ZERO_MSE:.3f})"
    )
    print(f"wrote {out / 'gradients.png'} and {out / 'metrics.json'}")
    return metrics


if __name__ == "__main__":
    main()
