"""Per-op overhead of the engine: a chain of tiny elementwise ops, forward and backward, measured in one run.

Workload: ``y = x`` (16 float64 values); op k is ``y + a``, ``y * m``, ``tanh(y)`` for k % 3 = 0, 1, 2; after
2,000 ops, ``sum(y)`` and backward to x. On arrays this small the arithmetic is nearly free, so the time per
op is the cost of the machinery around it: making the output tensor, recording the op, walking the graph,
calling each backward, accumulating gradients.

Contenders, each first checked against the reference (loss and dloss/dx within 1e-12):
  - minigrad (forward and backward timed apart);
  - the reference: the same chain as a plain loop of NumPy ufuncs, one call per op, the forward keeping in a
    list what each derivative needs, the backward walking it once, every result into a preallocated buffer
    (``references.op_chain``);
  - PyTorch on the CPU, when installed.
Figures are medians of interleaved repeats, in µs per op (forward + backward time / number of ops).

Targets: minigrad <= 3.5x the ufunc loop per op, and below PyTorch's per-op time in the same run.

The long chain: 100,000 ops built by a plain user loop (no wrapper, no GC tricks), then backward. Its
forward per op must stay within 1.5x of the 2,000-op chain's forward per op: the engine must not make a
long loop slower per step (for instance by letting Python's cyclic GC rescan the growing graph). Both are
measured in a separate process that imports only NumPy and minigrad, as a user's script would: a process
that has imported PyTorch holds some 150,000 more objects for every full collection of the GC to scan,
which would be charged to minigrad.

Run: ``python benchmarks/op_overhead.py [--quick] [--ops 2000] [--long 100000] [--repeats 15]``.
"""

from __future__ import annotations

import argparse
import gc
import json
import subprocess
import sys
import time

import numpy as np
import references
from timing import check_agreement, describe_machine, import_torch, load_average, median, verdict

import minigrad

CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}
clock = time.perf_counter


def chain_data(n: int = 16) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """x, the added constant a, the multiplier m: small inputs and near-neutral constants keep the gradient
    through hundreds of tanh's from vanishing, so the agreement check compares O(0.1) values."""
    rng = np.random.default_rng(0)
    return 0.1 * rng.standard_normal(n), 1e-4 * rng.standard_normal(n), rng.uniform(0.9995, 1.0005, n)


def chain_minigrad(x0: np.ndarray, a: minigrad.Tensor, m: minigrad.Tensor, n_ops: int) -> dict:
    """The chain as a user writes it; returns the forward and backward times and the result."""
    x = minigrad.Tensor(x0, requires_grad=True)
    start = clock()
    y = x
    for k in range(n_ops):
        op = k % 3
        if op == 0:
            y = y + a
        elif op == 1:
            y = y * m
        else:
            y = y.tanh()
    loss = y.sum()
    built = clock()
    loss.backward()
    done = clock()
    return {"forward": built - start, "backward": done - built, "result": (loss.item(), {"x": x.grad})}


def chain_reference(x0: np.ndarray, a: np.ndarray, m: np.ndarray, n_ops: int) -> dict:
    start = clock()
    loss, grad = references.op_chain(x0, a, m, n_ops)
    return {"total": clock() - start, "result": (loss, {"x": grad})}


def chain_torch(torch, x0: np.ndarray, a, m, n_ops: int) -> dict:
    x = torch.tensor(x0, requires_grad=True)
    start = clock()
    y = x
    for k in range(n_ops):
        op = k % 3
        if op == 0:
            y = y + a
        elif op == 1:
            y = y * m
        else:
            y = y.tanh()
    loss = y.sum()
    built = clock()
    loss.backward()
    done = clock()
    return {"forward": built - start, "backward": done - built, "result": (loss.item(), {"x": x.grad.numpy()})}


def long_chain_probe(n: int, length: int) -> None:
    """In this (fresh, torch-free) process: forward µs/op of the n-op chain (median of 7) and of the long chain
    (median of 3, with its backward and the GC's share), printed as JSON."""
    x0, a, m = chain_data()
    a_t, m_t = minigrad.Tensor(a), minigrad.Tensor(m)
    short = []
    for _ in range(7):
        gc.collect()
        short.append(chain_minigrad(x0, a_t, m_t, n)["forward"] / n)
    runs, gc_seconds = [], []
    timer = {"start": 0.0, "total": 0.0}

    def gc_callback(phase: str, info: dict) -> None:
        if phase == "start":
            timer["start"] = clock()
        else:
            timer["total"] += clock() - timer["start"]

    for _ in range(3):
        gc.collect()
        timer["total"] = 0.0
        gc.callbacks.append(gc_callback)
        runs.append(chain_minigrad(x0, a_t, m_t, length))  # the GC's time in forward and backward both
        gc.callbacks.remove(gc_callback)
        gc_seconds.append(timer["total"])
    result = {
        "short_forward": median(short),
        "long_forward": median([r["forward"] for r in runs]) / length,
        "long_backward": median([r["backward"] for r in runs]) / length,
        "long_gc": median(gc_seconds) / length,
    }
    print(json.dumps(result))


def total(times: dict) -> float:
    return times["total"] if "total" in times else times["forward"] + times["backward"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ops", type=int, default=2000, help="length of the chain")
    parser.add_argument("--long", type=int, default=100_000, help="length of the long chain")
    parser.add_argument("--repeats", type=int, default=21, help="interleaved repeats of the chain")
    parser.add_argument("--quick", action="store_true", help="7 repeats; a long chain of 20,000 ops")
    parser.add_argument(
        "--clock", choices=CLOCKS, default="wall", help="wall time, or this process's CPU time (steadier when busy)"
    )
    parser.add_argument("--long-chain-probe", action="store_true", help=argparse.SUPPRESS)  # internal
    args = parser.parse_args()
    if args.quick:
        args.repeats, args.long = 7, min(args.long, 20_000)
    global clock
    clock = CLOCKS[args.clock]
    if args.long_chain_probe:
        long_chain_probe(args.ops, args.long)
        return
    torch = import_torch()
    if torch is not None:
        torch.set_num_threads(1)  # 16 values: threads only add overhead (and CPU time counts them all)
    print(describe_machine(torch) + f"; clock: {args.clock}")

    x0, a, m = chain_data()
    n = args.ops
    a_t, m_t = minigrad.Tensor(a), minigrad.Tensor(m)
    runs = {
        "minigrad": lambda: chain_minigrad(x0, a_t, m_t, n),
        "ufunc loop": lambda: chain_reference(x0, a, m, n),
    }
    if torch is not None:
        a_torch, m_torch = torch.tensor(a), torch.tensor(m)
        runs["PyTorch"] = lambda: chain_torch(torch, x0, a_torch, m_torch, n)
    expected = runs["ufunc loop"]()["result"]
    for name, run in runs.items():
        check_agreement(name, run()["result"], expected, 1e-12)

    times: dict = {name: [] for name in runs}
    for _ in range(args.repeats):  # interleaved: a burst of load hits every contender alike
        for name, run in runs.items():
            gc.collect()
            times[name].append(run())
    per_op = {name: median([total(t) for t in ts]) / n * 1e6 for name, ts in times.items()}
    print(f"\nchain of {n:,} ops (add, mul, tanh) on 16 float64 values, forward + backward, median of {args.repeats}:")
    for name, ts in times.items():
        line = f"  {name:11} {per_op[name]:6.2f} us/op"
        if "forward" in ts[0]:
            fwd = median([t["forward"] for t in ts]) / n * 1e6
            bwd = median([t["backward"] for t in ts]) / n * 1e6
            line += f"   (forward {fwd:.2f}, backward {bwd:.2f})"
        print(line)
    checks = [("minigrad / ufunc loop", per_op["minigrad"] / per_op["ufunc loop"], 3.5)]
    if "PyTorch" in per_op:
        checks.append(("minigrad / PyTorch", per_op["minigrad"] / per_op["PyTorch"], 1.0))
    else:
        print("  PyTorch     (not installed)")
    command = [sys.executable, __file__, "--long-chain-probe", "--ops", str(n), "--long", str(args.long)]
    command += ["--clock", args.clock]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    probe = json.loads(done.stdout.strip().splitlines()[-1])
    print(
        f"in a process without PyTorch: the {n:,}-op chain's forward {probe['short_forward'] * 1e6:.2f} us/op; a "
        f"{args.long:,}-op chain built in a plain loop (median of 3): forward {probe['long_forward'] * 1e6:.2f} "
        f"us/op, backward {probe['long_backward'] * 1e6:.2f} us/op, of which cyclic GC {probe['long_gc'] * 1e6:.2f}"
    )
    ratio = probe["long_forward"] / probe["short_forward"]
    checks.append((f"{args.long:,}-op forward per op / {n:,}-op forward per op", ratio, 1.5))

    print("\ntargets:")
    for description, value, target in checks:
        print(f"  {description:54} {value:5.2f}x  (target <= {target}x)  {verdict(value, target)}")
    print(load_average())


if __name__ == "__main__":
    main()
