"""Forecasting a seasonal time series with a GRU and an LSTM, against the two baselines every forecast must beat.

The series: ``seq.datasets.time_series`` — x[t] = sin(2π t / 12) + 0.01 t + 0.1 ε_t, a "monthly" season
with a rising trend and noise. The noise no model can predict, so 0.1² = 0.01 is the lowest one-step MSE.

The task is many-to-one (the course's Tx > 1, Ty = 1 architecture): the network reads a window of the
last ``window`` values x<1..Tx> and, from its last hidden state a<Tx>, a linear head writes the next
``horizon`` values at once. This is the *direct multi-output* strategy: one model, one forward pass, and
output k is trained for step k directly (no feeding of its own predictions back, so errors do not
compound as in the iterated one-step strategy). Its first output is the one-step forecast.

Windows are made relative to their last observed value: the inputs are x[t-i] - x[t] and the targets
x[t+k] - x[t]. The trend lifts the level of the held-out part above anything seen in training, and a
network that read raw levels would have to extrapolate its tanh units; relative to the last value the
held-out windows look like the training ones (the trend is just a constant drift of 0.01 per step).

Baselines, on the same held-out windows (the last part of the series, never trained on):

- naive: every future value is the last one seen, x̂[t+k] = x[t];
- seasonal naive: the value one period earlier, x̂[t+k] = x[t+k-12] (for k ≤ 12).

Both are strong on some series; a model that does not beat them has learned nothing worth its cost.

Run: ``python -m demos forecast [--quick] [--seed S] [--out DIR] [--epochs N] [--hidden H] [--horizon K]``.
"""

from __future__ import annotations

import time

import numpy as np

import minigrad
import seq
from demos.common import output_dir, parser, positive_float, positive_int, progress, pyplot, save_metrics
from minigrad import Tensor, nn, optim

NAME = "forecast"
PERIOD = 12  # the season of seq.datasets.time_series: 12 steps ("months")
NOISE = 0.1  # its noise: 0.1² = 0.01 is the best one-step MSE anyone can reach
CELLS = {"GRU": seq.GRU, "LSTM": seq.LSTM}


class Forecaster(nn.Module):
    """Many-to-one: a recurrent layer reads the window, a linear head maps a<Tx> to the next ``horizon`` values.

    Weights: rnn as ``seq.GRU`` / ``seq.LSTM`` with input_size 1; head.weight (horizon, H), head.bias (horizon,).
    """

    def __init__(self, cell: str, hidden: int, horizon: int) -> None:
        super().__init__()
        self.rnn = CELLS[cell](1, hidden)
        self.head = nn.Linear(hidden, horizon)

    def forward(self, x: Tensor) -> Tensor:
        """x (Tx, B, 1), time-major -> forecasts (B, horizon)."""
        output, _ = self.rnn(x)  # (Tx, B, H); the LSTM's state (h_n, c_n) is not needed
        return self.head(output[-1])  # a<Tx>: (B, H) -> (B, horizon)


def make_windows(series: np.ndarray, origins: np.ndarray, window: int, horizon: int) -> tuple:
    """Inputs and targets for forecast origins t (the last observed step), relative to x[t].

    Returns:
        inputs (N, window): x[t-window+1 .. t] - x[t]; targets (N, horizon): x[t+1 .. t+horizon] - x[t];
        last (N,): x[t], to add back.
    """
    past = np.stack([series[t - window + 1 : t + 1] for t in origins])  # (N, window)
    future = np.stack([series[t + 1 : t + 1 + horizon] for t in origins])  # (N, horizon)
    last = series[origins]  # (N,)
    return past - last[:, None], future - last[:, None], last


def baselines(series: np.ndarray, origins: np.ndarray, horizon: int) -> dict:
    """The naive and seasonal-naive forecasts (N, horizon) from each origin t."""
    naive = np.repeat(series[origins][:, None], horizon, axis=1)  # x̂[t+k] = x[t]
    steps = np.arange(1, horizon + 1)
    seasonal = series[origins[:, None] + steps[None, :] - PERIOD]  # x̂[t+k] = x[t+k-12]
    return {"naive (last value)": naive, "seasonal naive (one period ago)": seasonal}


def predict(model: Forecaster, inputs: np.ndarray) -> np.ndarray:
    """The model's forecasts (N, horizon) for relative input windows (N, window), without a graph."""
    model.eval()
    with minigrad.no_grad():
        x = minigrad.tensor(inputs.T[:, :, None].astype(np.float32))  # (N, Tx) -> (Tx, N, 1)
        y = model(x).data
    model.train()
    return y.astype(np.float64)


def train(cell: str, data: dict, args, seed: int) -> tuple[Forecaster, list]:
    """Adam on the MSE of all ``horizon`` outputs, minibatches of 64 windows, a new order every epoch."""
    minigrad.manual_seed(seed)  # the same initialisation stream for both cells
    rng = np.random.default_rng(seed)
    model = Forecaster(cell, args.hidden, args.horizon)
    opt = optim.Adam(model.parameters(), lr=args.lr)
    sched = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=args.epochs)
    x_train, y_train = data["train_inputs"], data["train_targets"]
    losses = []
    for _ in progress(range(args.epochs), desc=f"{cell} epochs", quiet=args.quick):
        order = rng.permutation(len(x_train))
        epoch_loss = 0.0
        for start in range(0, len(order), args.batch_size):
            idx = order[start : start + args.batch_size]
            x = minigrad.tensor(x_train[idx].T[:, :, None].astype(np.float32))  # (B, Tx) -> (Tx, B, 1)
            y = minigrad.tensor(y_train[idx].astype(np.float32))  # (B, horizon)
            loss = nn.functional.mse_loss(model(x), y)
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
            opt.step()
            epoch_loss += loss.item() * len(idx)
        sched.step()
        losses.append(epoch_loss / len(order))
    return model, losses


def errors(forecast: np.ndarray, truth: np.ndarray) -> dict:
    """MSE and MAE of the one-step forecast and over all ``horizon`` steps, and the MSE at each step ahead."""
    err = forecast - truth  # (N, horizon)
    return {
        "one_step_mse": float(np.mean(err[:, 0] ** 2)),
        "one_step_mae": float(np.mean(np.abs(err[:, 0]))),
        "multi_step_mse": float(np.mean(err**2)),
        "multi_step_mae": float(np.mean(np.abs(err))),
        "mse_by_step": [float(v) for v in np.mean(err**2, axis=0)],
    }


def check_args(p, args) -> None:
    """Refuse values that cannot work together, with a message instead of a traceback."""
    if args.horizon > PERIOD:
        p.error(
            f"--horizon must be at most the period {PERIOD} (the seasonal-naive baseline looks one period "
            f"back from each forecast step), got {args.horizon}"
        )
    if args.length < 5 * (args.window + args.horizon):
        p.error(
            f"--length {args.length} is too short for windows of {args.window} + {args.horizon} steps: "
            f"use at least {5 * (args.window + args.horizon)}"
        )


def main(argv: list[str] | None = None) -> dict:
    p = parser(NAME, __doc__.split("\n\n")[0])
    p.add_argument("--epochs", type=positive_int, default=None, help="training epochs (default 60, quick 40)")
    p.add_argument("--hidden", type=positive_int, default=None, help="hidden units H (default 32, quick 16)")
    p.add_argument("--horizon", type=positive_int, default=12, help="steps forecast at once, 1..12 (default 12)")
    p.add_argument("--window", type=positive_int, default=None, help="input window Tx (default 36, quick 24)")
    p.add_argument("--length", type=positive_int, default=None, help="length of the series (default 1200, quick 360)")
    p.add_argument("--batch-size", type=positive_int, default=64, help="windows per minibatch (default 64)")
    p.add_argument("--lr", type=positive_float, default=1e-2, help="Adam's learning rate, annealed to 0 (default 0.01)")
    args = p.parse_args(argv)
    quick = (40, 16, 24, 360) if args.quick else (60, 32, 36, 1200)
    for name, value in zip(("epochs", "hidden", "window", "length"), quick):
        if getattr(args, name) is None:
            setattr(args, name, value)
    check_args(p, args)
    out = output_dir(NAME, args.out)

    # The series and its split: the last 20% of the steps are held out; every training window's targets
    # end before them, every test window forecasts inside them.
    series = seq.datasets.time_series(args.length, seed=args.seed, period=PERIOD, trend=0.01, noise=NOISE)
    test_start = int(0.8 * args.length)
    first = max(args.window, PERIOD) - 1  # the first origin with a full window and one period of history
    train_origins = np.arange(first, test_start - args.horizon)
    test_origins = np.arange(test_start - 1, args.length - args.horizon)
    x_train, y_train, _ = make_windows(series, train_origins, args.window, args.horizon)
    x_test, y_test, last_test = make_windows(series, test_origins, args.window, args.horizon)
    truth = y_test + last_test[:, None]  # (N, horizon): the real future values
    data = {"train_inputs": x_train, "train_targets": y_train}

    results = {name: errors(f, truth) for name, f in baselines(series, test_origins, args.horizon).items()}
    forecasts = dict(baselines(series, test_origins, args.horizon))
    curves, seconds = {}, {}
    for i, cell in enumerate(CELLS):
        start = time.perf_counter()
        model, curves[cell] = train(cell, data, args, args.seed + i)
        seconds[cell] = time.perf_counter() - start
        forecasts[cell] = predict(model, x_test) + last_test[:, None]  # back from relative to absolute values
        results[cell] = errors(forecasts[cell], truth)

    best = min(CELLS, key=lambda c: results[c]["one_step_mse"])
    naive, seasonal = results["naive (last value)"], results["seasonal naive (one period ago)"]
    metrics = {
        "length": args.length,
        "train_windows": len(train_origins),
        "test_windows": len(test_origins),
        "horizon": args.horizon,
        "strategy": "direct multi-output head (one linear output per step ahead)",
        "noise_floor_mse": NOISE**2,
        "results": results,
        "train_loss": {c: [curves[c][0], curves[c][-1]] for c in CELLS},
        "best_model": best,
        "best_one_step_mse": results[best]["one_step_mse"],
        "naive_one_step_mse": naive["one_step_mse"],
        "seasonal_naive_one_step_mse": seasonal["one_step_mse"],
        "naive_over_best_one_step_mse": naive["one_step_mse"] / results[best]["one_step_mse"],
        "models_beat_both_baselines": all(
            results[c][key] < min(naive[key], seasonal[key])
            for c in CELLS
            for key in ("one_step_mse", "multi_step_mse")
        ),
        "train_seconds": seconds,
    }

    plot(out, series, test_start, test_origins, truth, forecasts, results, curves, args.horizon)
    save_metrics(out, metrics)
    print(f"held-out: {len(test_origins)} windows after step {test_start}; noise floor MSE {NOISE**2:.4f}")
    print(
        f"  {'':34s} {'1-step MSE':>10s} {'1-step MAE':>10s} {f'{args.horizon}-step MSE':>11s} "
        f"{f'{args.horizon}-step MAE':>11s}"
    )
    for name, r in results.items():
        print(
            f"  {name:34s} {r['one_step_mse']:10.4f} {r['one_step_mae']:10.4f} {r['multi_step_mse']:11.4f} "
            f"{r['multi_step_mae']:11.4f}"
        )
    print(
        f"best model {best}: one-step MSE {metrics['naive_over_best_one_step_mse']:.1f}x lower than naive; "
        f"both models beat both baselines: {metrics['models_beat_both_baselines']}"
    )
    print(f"wrote {out / 'forecast.png'} and {out / 'metrics.json'}")
    return metrics


def plot(out, series, test_start, test_origins, truth, forecasts, results, curves, horizon) -> None:
    """Four panels: the series and its split, one-step forecasts, one multi-step forecast, MSE by step ahead."""
    plt = pyplot()
    fig, axes = plt.subplots(2, 2, figsize=(13, 8))
    ax = axes[0, 0]
    ax.plot(series, lw=0.8, color="0.3")
    ax.axvspan(test_start, len(series), color="tab:orange", alpha=0.15, label="held out")
    ax.set(xlabel="t", ylabel="x[t]", title="the series: season 12, trend 0.01, noise 0.1")
    ax.legend(fontsize=8, loc="lower right")
    inset = ax.inset_axes([0.1, 0.55, 0.35, 0.32])
    for cell, losses in curves.items():
        inset.semilogy(np.arange(1, len(losses) + 1), losses, lw=1, label=cell)
    inset.set_title("training MSE per epoch", fontsize=7)
    inset.tick_params(labelsize=6)
    inset.legend(fontsize=6)

    ax = axes[0, 1]
    shown = slice(0, 4 * PERIOD)  # the first four seasons of the held-out part, to see the points
    t_next = test_origins[shown] + 1
    ax.plot(t_next, truth[shown, 0], "ko-", ms=3, lw=0.6, label="truth")
    styles = {"seasonal naive (one period ago)": ":", "naive (last value)": ":"}
    for name, f in forecasts.items():
        label = f"{name} (test MSE {results[name]['one_step_mse']:.3f})"
        ax.plot(t_next, f[shown, 0], styles.get(name, "-"), lw=1.2, label=label)
    ax.set(xlabel="t", ylabel="x[t]", title="one-step forecasts on the held-out part (first 48 steps shown)")
    ax.legend(fontsize=7)

    ax = axes[1, 0]
    i = len(test_origins) // 2  # one forecast origin in the middle of the held-out part
    t0 = test_origins[i]
    history = np.arange(t0 - 2 * PERIOD + 1, t0 + 1)
    steps = t0 + np.arange(1, horizon + 1)
    ax.plot(history, series[history], "k-", lw=1, label="observed")
    ax.plot(steps, truth[i], "k.--", lw=0.8, label="truth")
    for name, f in forecasts.items():
        ax.plot(steps, f[i], styles.get(name, "-"), marker="o", ms=3, lw=1, label=name)
    ax.axvline(t0, color="0.6", lw=0.8)
    ax.set(xlabel="t", ylabel="x[t]", title=f"a {horizon}-step forecast from t = {t0} (direct multi-output)")
    ax.legend(fontsize=7)

    ax = axes[1, 1]
    k = np.arange(1, horizon + 1)
    for name, r in results.items():
        ax.semilogy(k, r["mse_by_step"], styles.get(name, "-"), marker="o", ms=3, label=name)
    ax.axhline(NOISE**2, color="0.5", lw=0.8, ls="--", label="noise floor 0.01")
    ax.set(xlabel="steps ahead k", ylabel="test MSE", title="error against the forecast horizon")
    ax.legend(fontsize=7, loc="center right")
    fig.tight_layout()
    fig.savefig(out / "forecast.png", dpi=110)
    plt.close(fig)


if __name__ == "__main__":
    main()
