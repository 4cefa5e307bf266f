"""BPTT speed: seq's layers against the same model written by hand in NumPy, measured in one run.

Workload: an LSTM forward over the sequence, ``loss = 0.5 * Σ_t |h_t|²``, backward to every weight.
The reference is the fast way to write it by hand in NumPy: the input projection of all steps as one
matrix product, one product per step for all four gates, the activations kept, a hand-derived backward
loop, and the weight gradients as two products over all steps at the end.

Measured, as medians of interleaved repeats, with ratios to the hand-written NumPy of the same run:
  - seq.LSTM, fused path (the default) and composed-cell path (impl="cells");
  - torch.nn.LSTM on the CPU, when PyTorch is installed;
  at sizes S1 (T=50, B=32, D=64, H=128), S2 (T=50, B=32, D=256, H=512), S3 (T=100, B=1, D=65, H=100),
  in float32 and float64.
  - a long sequence: tanh RNN, H=32, B=1, D=8, float64, T = 1,000 / 10,000 / 100,000: µs per step and
    extra peak memory (tracemalloc) for both paths and the hand-written NumPy RNN.

Run: ``python benchmarks/rnn_bptt.py [--repeats 7] [--quick]``.
Targets: fused <= 1.10x NumPy at S1/S2 and <= 1.25x at S3; cells <= 1.6x at S1/S2 and <= 3.5x at S3;
long sequences linear in T (µs/step at 100,000 within 1.3x of 1,000), fused <= 1.5x NumPy per step with
under 200 MiB extra peak memory at T = 100,000, cells <= 40 µs/step.
"""

from __future__ import annotations

import argparse
import statistics
import time
import tracemalloc

import numpy as np

import minigrad
import seq

SIZES = {"S1": (50, 32, 64, 128), "S2": (50, 32, 256, 512), "S3": (100, 1, 65, 100)}


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (np.tanh(0.5 * x) + 1)


def lstm_numpy(x, h0, c0, w_ih, w_hh, b_ih, b_hh) -> tuple:
    """Forward, loss 0.5 Σ|h_t|², and backward to the weights, by hand. Returns (loss, grads)."""
    T, B, D = x.shape
    H = h0.shape[1]
    xw = (x.reshape(T * B, D) @ w_ih.T + (b_ih + b_hh)).reshape(T, B, 4 * H)  # input projection, one GEMM
    hs = np.empty((T + 1, B, H), x.dtype)
    cs = np.empty((T + 1, B, H), x.dtype)
    acts = np.empty((T, B, 4 * H), x.dtype)  # i, f, g, o after their nonlinearities
    tanh_c = np.empty((T, B, H), x.dtype)
    hs[0], cs[0] = h0, c0
    for t in range(T):
        z = xw[t] + hs[t] @ w_hh.T  # all gates, one GEMM
        a = acts[t]
        a[:, : 2 * H] = sigmoid(z[:, : 2 * H])
        a[:, 2 * H : 3 * H] = np.tanh(z[:, 2 * H : 3 * H])
        a[:, 3 * H :] = sigmoid(z[:, 3 * H :])
        i, f, g, o = a[:, :H], a[:, H : 2 * H], a[:, 2 * H : 3 * H], a[:, 3 * H :]
        cs[t + 1] = f * cs[t] + i * g
        tanh_c[t] = np.tanh(cs[t + 1])
        hs[t + 1] = o * tanh_c[t]
    loss = 0.5 * float(np.sum(hs[1:] ** 2))
    dz = np.empty((T, B, 4 * H), x.dtype)
    dh_next = np.zeros((B, H), x.dtype)
    dc_next = np.zeros((B, H), x.dtype)
    for t in range(T - 1, -1, -1):
        a = acts[t]
        i, f, g, o = a[:, :H], a[:, H : 2 * H], a[:, 2 * H : 3 * H], a[:, 3 * H :]
        dh = hs[t + 1] + dh_next  # d loss/dh_t: direct part + through the recurrence
        dc = dc_next + dh * o * (1 - tanh_c[t] ** 2)
        dz[t, :, :H] = dc * g * i * (1 - i)
        dz[t, :, H : 2 * H] = dc * cs[t] * f * (1 - f)
        dz[t, :, 2 * H : 3 * H] = dc * i * (1 - g * g)
        dz[t, :, 3 * H :] = dh * tanh_c[t] * o * (1 - o)
        dc_next = dc * f
        dh_next = dz[t] @ w_hh
    flat = dz.reshape(T * B, 4 * H)
    grads = (flat.T @ x.reshape(T * B, D), flat.T @ hs[:-1].reshape(T * B, H), flat.sum(0), flat.sum(0))
    return loss, grads


def rnn_numpy(x, h0, w_ih, w_hh, b_ih, b_hh) -> tuple:
    """The same for a tanh RNN (the long-sequence case)."""
    T, B, D = x.shape
    H = h0.shape[1]
    xw = (x.reshape(T * B, D) @ w_ih.T + (b_ih + b_hh)).reshape(T, B, H)
    hs = np.empty((T + 1, B, H), x.dtype)
    hs[0] = h0
    for t in range(T):
        hs[t + 1] = np.tanh(xw[t] + hs[t] @ w_hh.T)
    loss = 0.5 * float(np.sum(hs[1:] ** 2))
    dz = np.empty((T, B, H), x.dtype)
    dh_next = np.zeros((B, H), x.dtype)
    for t in range(T - 1, -1, -1):
        dz[t] = (hs[t + 1] + dh_next) * (1 - hs[t + 1] ** 2)
        dh_next = dz[t] @ w_hh
    flat = dz.reshape(T * B, H)
    return loss, (flat.T @ x.reshape(T * B, D), flat.T @ hs[:-1].reshape(T * B, H), flat.sum(0), flat.sum(0))


def run_seq(layer, x: minigrad.Tensor) -> float:
    layer.zero_grad()
    out, _ = layer(x)
    loss = (out * out).sum() * 0.5
    loss.backward()
    return loss.item()


CLOCK = {"wall": time.perf_counter, "cpu": time.process_time}
clock = time.perf_counter


def timed(fn, *args) -> float:
    start = clock()
    fn(*args)
    return clock() - start


def lstm_case(name: str, dtype, repeats: int, torch) -> None:
    T, B, D, H = SIZES[name]
    minigrad.manual_seed(0)
    fused = seq.LSTM(D, H, dtype=dtype)
    cells = seq.LSTM(D, H, impl="cells", dtype=dtype)
    cells.load_state_dict(fused.state_dict())
    rng = np.random.default_rng(0)
    x_np = rng.standard_normal((T, B, D)).astype(dtype)
    h0 = np.zeros((B, H), dtype)
    w = [p.data for p in fused.parameters()]
    x = minigrad.Tensor(x_np)
    loss_ref = lstm_numpy(x_np, h0, h0, *w)[0]
    assert np.isclose(run_seq(fused, x), loss_ref, rtol=1e-3), "fused LSTM disagrees with the reference"
    contenders = {
        "numpy": lambda: lstm_numpy(x_np, h0, h0, *w),
        "fused": lambda: run_seq(fused, x),
        "cells": lambda: run_seq(cells, x),
    }
    if torch is not None:
        tl = torch.nn.LSTM(D, H, dtype=torch.float32 if dtype == np.float32 else torch.float64)
        tl.load_state_dict({k: torch.tensor(v) for k, v in fused.state_dict().items()})
        tx = torch.tensor(x_np)

        def torch_run():
            tl.zero_grad()
            out, _ = tl(tx)
            (0.5 * (out * out).sum()).backward()

        contenders["torch"] = torch_run
    times = {k: [] for k in contenders}
    for fn in contenders.values():
        fn()  # warm-up
    for _ in range(repeats):
        for k, fn in contenders.items():
            times[k].append(timed(fn))
    med = {k: statistics.median(v) for k, v in times.items()}
    line = f"  {name} {np.dtype(dtype).name:8s} numpy {med['numpy'] * 1e3:8.2f} ms"
    for k in ("fused", "cells", "torch"):
        if k in med:
            line += f" | {k} {med[k] / med['numpy']:5.2f}x"
    print(line)


def peak_extra_memory(fn) -> float:
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return (peak - base) / 2**20


def long_case(lengths: list, repeats: int) -> None:
    D, H = 8, 32
    minigrad.manual_seed(0)
    fused = seq.RNN(D, H, dtype=np.float64)
    cells = seq.RNN(D, H, impl="cells", dtype=np.float64)
    cells.load_state_dict(fused.state_dict())
    w = [p.data for p in fused.parameters()]
    base = {}
    for T in lengths:
        x_np = np.random.default_rng(0).standard_normal((T, 1, D))
        x = minigrad.Tensor(x_np)
        h0 = np.zeros((1, H))
        runs = {
            "numpy": lambda: rnn_numpy(x_np, h0, *w),  # noqa: B023
            "fused": lambda: run_seq(fused, x),  # noqa: B023
            "cells": lambda: run_seq(cells, x),  # noqa: B023
        }
        n = max(1, repeats if T <= 10_000 else 1)
        line = f"  T={T:>7,}"
        for k, fn in runs.items():
            per_step = statistics.median(timed(fn) for _ in range(n)) / T * 1e6
            base.setdefault(k, per_step)
            memory = peak_extra_memory(fn) if T >= 10_000 else float("nan")
            line += f" | {k} {per_step:6.2f} us/step ({per_step / base[k]:4.2f}x of T={lengths[0]:,})"
            if T >= 10_000:
                line += f" {memory:6.1f} MiB"
        print(line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--quick", action="store_true", help="S1 and S3 only, fewer repeats, T up to 10,000")
    parser.add_argument(
        "--clock",
        choices=CLOCK,
        default="wall",
        help="wall time, or this process's CPU time (steadier on a shared machine; run it with "
        "OPENBLAS_NUM_THREADS=1 so that CPU time is the work done)",
    )
    args = parser.parse_args()
    try:
        import torch
    except ImportError:
        torch = None
    global clock
    clock = CLOCK[args.clock]
    print(f"clock: {args.clock}")
    if args.clock == "cpu" and torch is not None:
        torch.set_num_threads(1)  # CPU time of a thread pool counts its spinning threads too
    sizes = ["S1", "S3"] if args.quick else list(SIZES)
    repeats = 3 if args.quick else args.repeats
    print("LSTM forward + loss + backward to all weights; ratios to hand-written NumPy (medians):")
    for dtype in (np.float32, np.float64):
        for name in sizes:
            lstm_case(name, dtype, repeats, torch)
    print("long sequence, tanh RNN, H=32, B=1, D=8, float64 (extra peak memory for T >= 10,000):")
    long_case([1_000, 10_000] if args.quick else [1_000, 10_000, 100_000], repeats)


if __name__ == "__main__":
    main()
