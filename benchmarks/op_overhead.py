"""Per-op overhead of the engine: a long chain of tiny elementwise ops, forward + backward.

The workload: a chain of N ops cycling ``y + a``, ``y * m``, ``tanh(y)`` on a 16-element float64
tensor, then ``sum()`` and ``backward()``. On arrays this small the arithmetic is nearly free, so the
time per op is the engine's own cost: making the output tensor, recording the op, sorting the graph,
calling each backward and accumulating gradients.

Reported (medians of repeated runs, all measured in this run):
  - µs per op for minigrad (forward + backward time / N);
  - the same computation written by hand in NumPy with its derivative, and the ratio to it;
  - PyTorch CPU per op, when torch is installed;
  - the time to backpropagate a 100,000-op chain (default recursion limit).

Run: ``python benchmarks/op_overhead.py [--ops 2000] [--repeats 15]``.
Targets: <= 3 µs per op and <= 3.5x hand-written NumPy.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import numpy as np

import minigrad

CLOCK = {"wall": time.perf_counter, "cpu": time.process_time}
clock = time.perf_counter


def chain_minigrad(x0: np.ndarray, a: np.ndarray, m: np.ndarray, n_ops: int) -> float:
    x = minigrad.Tensor(x0, requires_grad=True)
    a_t, m_t = minigrad.Tensor(a), minigrad.Tensor(m)
    start = clock()
    y = x
    for i in range(n_ops):
        k = i % 3
        if k == 0:
            y = y + a_t
        elif k == 1:
            y = y * m_t
        else:
            y = y.tanh()
    y.sum().backward()
    return clock() - start


def chain_numpy(x0: np.ndarray, a: np.ndarray, m: np.ndarray, n_ops: int) -> float:
    """The same chain by hand: forward keeps what each derivative needs, backward applies them in reverse."""
    start = clock()
    y = x0
    saved = []
    for i in range(n_ops):
        k = i % 3
        if k == 0:
            y = y + a
            saved.append(None)
        elif k == 1:
            y = y * m
            saved.append(None)
        else:
            y = np.tanh(y)
            saved.append(y)
    g = np.ones_like(y)  # d sum(y)/dy
    for i in range(n_ops - 1, -1, -1):
        k = i % 3
        if k == 1:
            g = g * m  # d(y m)/dy = m
        elif k == 2:
            out = saved[i]
            g = g * (1 - out * out)  # d tanh(y)/dy = 1 - tanh(y)^2
    return clock() - start


def chain_torch(x0: np.ndarray, a: np.ndarray, m: np.ndarray, n_ops: int) -> float:
    import torch

    x = torch.tensor(x0, requires_grad=True)
    a_t, m_t = torch.tensor(a), torch.tensor(m)
    start = clock()
    y = x
    for i in range(n_ops):
        k = i % 3
        if k == 0:
            y = y + a_t
        elif k == 1:
            y = y * m_t
        else:
            y = y.tanh()
    y.sum().backward()
    return clock() - start


def median_time(fn, repeats: int, *args) -> float:
    fn(*args)  # warm-up
    return statistics.median(fn(*args) for _ in range(repeats))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ops", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--long", type=int, default=100_000, help="length of the long chain")
    parser.add_argument(
        "--clock",
        choices=CLOCK,
        default="wall",
        help="wall time, or this process's CPU time (steadier on a shared machine)",
    )
    args = parser.parse_args()
    global clock
    clock = CLOCK[args.clock]
    print(f"clock: {args.clock}")

    rng = np.random.default_rng(0)
    x0 = rng.standard_normal(16)
    a = rng.standard_normal(16) * 0.1
    m = 1 + rng.standard_normal(16) * 0.1
    n = args.ops

    # The two are interleaved so that machine noise affects both alike.
    ours, ref = [], []
    chain_minigrad(x0, a, m, n)
    chain_numpy(x0, a, m, n)
    for _ in range(args.repeats):
        ours.append(chain_minigrad(x0, a, m, n))
        ref.append(chain_numpy(x0, a, m, n))
    t_ours, t_ref = statistics.median(ours), statistics.median(ref)
    print(f"chain of {n} elementwise ops on 16 float64 values, forward + backward, median of {args.repeats}:")
    print(f"  minigrad             {t_ours / n * 1e6:7.2f} us/op")
    print(f"  hand-written NumPy   {t_ref / n * 1e6:7.2f} us/op")
    print(f"  ratio minigrad / NumPy: {t_ours / t_ref:.2f}x   (target <= 3.5x, <= 3 us/op)")
    try:
        import torch  # noqa: F401

        t_torch = median_time(chain_torch, args.repeats, x0, a, m, n)
        print(
            f"  PyTorch CPU          {t_torch / n * 1e6:7.2f} us/op   (ratio minigrad / PyTorch: "
            f"{t_ours / t_torch:.2f}x)"
        )
    except ImportError:
        print("  PyTorch CPU          (not installed)")

    limit = sys.getrecursionlimit()
    x = minigrad.Tensor(x0, requires_grad=True)
    start = clock()
    y = x
    for i in range(args.long):
        k = i % 3
        y = y + a if k == 0 else (y * m if k == 1 else y.tanh())
    loss = y.sum()
    built = clock()
    loss.backward()
    done = clock()
    print(
        f"a {args.long:,}-op chain (recursion limit {limit}): forward {(built - start) / args.long * 1e6:.2f} us/op, "
        f"backward {(done - built) / args.long * 1e6:.2f} us/op"
    )
    print(
        "  (the forward is your loop: Python's cyclic GC rescans the growing graph; wrap long loops in "
        "minigrad.autograd.cyclic_gc_paused(), as backward and seq's layers do)"
    )


if __name__ == "__main__":
    main()
