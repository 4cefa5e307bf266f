"""Where minigrad's time goes: per op on the op chain, per step on seq's fused and step-by-step layers.

A diagnostic to read beside ``op_overhead.py`` and ``rnn_bptt.py``; it has no targets. Two instruments:

- ``perf_counter`` around the phases that public calls delimit (building the chain with and without
  recording, the same arithmetic in bare NumPy, the layer's forward, the loss, backward), medians of
  repeats: absolute µs per op or per step;
- ``cProfile`` for the split inside a phase: the functions with the most time of their own ("self") or
  including their callees ("incl."). The profiler adds its own cost to every Python call (a fraction
  of a µs) and always uses wall time, so its figures are inflated where calls are many and cheap: read
  them as shares, and the perf_counter figures as the absolute ones;
- ``tracemalloc`` for memory: what is alive at the peak of a long sequence's forward and backward, by the
  line that allocated it.

Time in Python's cyclic garbage collector is measured with ``gc.callbacks`` in every phase.

Clocks: by default this process's CPU time, with one BLAS thread (``--threads``), so that a busy shared
machine (time spent waiting for a core) does not land in whichever function happened to be running;
``--clock wall`` for wall time.

Run: ``python benchmarks/profile_minigrad.py [--quick] [--top 12] [--clock wall] [--threads N]``.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import pstats
import statistics
import sys
import time
import tracemalloc

import numpy as np
import references
from timing import load_average, use_threads

import minigrad
import seq

clock = time.perf_counter


class GCTimer:
    """Time spent in the cyclic garbage collector while it is installed (gc.callbacks)."""

    def __init__(self) -> None:
        self.seconds, self.collections, self._start = 0.0, 0, 0.0

    def __call__(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._start = clock()
        else:
            self.seconds += clock() - self._start
            self.collections += 1

    def __enter__(self) -> GCTimer:
        gc.callbacks.append(self)
        return self

    def __exit__(self, *exc) -> None:
        gc.callbacks.remove(self)


def median_of(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        gc.collect()
        start = clock()
        fn()
        times.append(clock() - start)
    return statistics.median(times)


def profile(fn, runs: int) -> pstats.Stats:
    profiler = cProfile.Profile()  # its own fast wall clock: a Python timer would multiply its overhead
    for _ in range(runs):
        gc.collect()
        profiler.enable()
        fn()
        profiler.disable()
    return pstats.Stats(profiler)


def print_profile(stats: pstats.Stats, per: float, unit: str, top: int) -> None:
    """The functions with the most self time and the most inclusive time, in µs per ``unit`` (÷ ``per``)."""
    rows = []
    for (filename, line, name), (_, ncalls, self_time, incl_time, _) in stats.stats.items():
        where = filename.rsplit("/", 2)
        label = f"{'/'.join(where[-2:])}:{line} {name}" if line else name
        rows.append((label, ncalls / per, self_time / per * 1e6, incl_time / per * 1e6))
    total = sum(r[2] for r in rows)
    print(f"    cProfile (profiled total {total:.2f} us/{unit}); self time:")
    for label, calls, self_us, _ in sorted(rows, key=lambda r: -r[2])[:top]:
        print(f"      {self_us:8.2f} us/{unit} {self_us / total:5.1%}  {calls:7.2f} calls/{unit}  {label}")
    print("    including callees:")
    for label, calls, _, incl_us in sorted(rows, key=lambda r: -r[3])[:top]:
        print(f"      {incl_us:8.2f} us/{unit} {incl_us / total:5.1%}  {calls:7.2f} calls/{unit}  {label}")


# --------------------------------------------------------------------------------------------------
# The op chain
# --------------------------------------------------------------------------------------------------


def chain_forward(x, a, m, n_ops: int):
    y = x
    for k in range(n_ops):
        op = k % 3
        if op == 0:
            y = y + a
        elif op == 1:
            y = y * m
        else:
            y = y.tanh() if isinstance(y, minigrad.Tensor) else np.tanh(y)
    return y


def numpy_backward_arithmetic(outputs: list, m: np.ndarray, n_ops: int) -> np.ndarray:
    """The arithmetic minigrad's op backwards do on this chain, with the same temporaries, and nothing else."""
    g = np.ones_like(m)
    for k in range(n_ops - 1, -1, -1):
        op = k % 3
        if op == 1:
            g = g * m  # Mul.backward: g * b
        elif op == 2:
            out = outputs[k]
            g = g - g * out * out  # Tanh.backward
    return g


def profile_chain(n: int, repeats: int, top: int) -> None:
    rng = np.random.default_rng(0)
    x0, a, m = 0.1 * rng.standard_normal(16), 1e-4 * rng.standard_normal(16), rng.uniform(0.9995, 1.0005, 16)
    a_t, m_t = minigrad.Tensor(a), minigrad.Tensor(m)
    outputs = []
    y = x0
    for k in range(n):  # the forward values, for the bare backward arithmetic
        y = y + a if k % 3 == 0 else (y * m if k % 3 == 1 else np.tanh(y))
        outputs.append(y)

    def recorded():
        x = minigrad.Tensor(x0, requires_grad=True)
        return chain_forward(x, a_t, m_t, n).sum()

    def unrecorded():
        with minigrad.no_grad():
            chain_forward(minigrad.Tensor(x0, requires_grad=True), a_t, m_t, n)

    forward_times, backward_times, gc_forward, gc_backward = [], [], [], []
    for _ in range(repeats):
        gc.collect()
        with GCTimer() as gc_f:
            start = clock()
            loss = recorded()
            built = clock()
        with GCTimer() as gc_b:
            loss.backward()
            done = clock()
        forward_times.append(built - start)
        backward_times.append(done - built)
        gc_forward.append(gc_f.seconds)
        gc_backward.append(gc_b.seconds)
    us = 1e6 / n
    fwd, bwd = statistics.median(forward_times) * us, statistics.median(backward_times) * us
    no_record = median_of(unrecorded, repeats) * us
    bare_fwd = median_of(lambda: chain_forward(x0, a, m, n), repeats) * us
    bare_bwd = median_of(lambda: numpy_backward_arithmetic(outputs, m, n), repeats) * us
    ufunc_loop = median_of(lambda: references.op_chain(x0, a, m, n), repeats) * us
    print(f"\n== op chain: {n:,} ops (add, mul, tanh) on 16 float64 values; us per op (median of {repeats}) ==")
    print(f"  minigrad forward {fwd:.2f} + backward {bwd:.2f} = {fwd + bwd:.2f}; ufunc-loop reference {ufunc_loop:.2f}")
    print("  forward, split by difference:")
    print(f"    NumPy arithmetic (allocating ufuncs, as the ops call them)  {bare_fwd:6.2f}")
    print(f"    op call + output Tensor, not recorded (no_grad)             {no_record - bare_fwd:6.2f}")
    print(f"    recording (ctx, parents, needs_input_grad, grad_fn)         {fwd - no_record:6.2f}")
    print(f"    of which cyclic GC                                          {statistics.median(gc_forward) * us:6.2f}")
    print("  backward, split by difference:")
    print(f"    NumPy arithmetic of the ops' backward formulas              {bare_bwd:6.2f}")
    print(f"    engine (schedule, sweep, accumulate, write .grad, free)     {bwd - bare_bwd:6.2f}")
    print(f"    of which cyclic GC                                          {statistics.median(gc_backward) * us:6.2f}")

    print("  forward:")
    print_profile(profile(recorded, 3), 3 * n, "op", top)
    losses = []

    def build():
        losses.append(recorded())

    for _ in range(3):
        build()
    print("  backward:")
    print_profile(profile(lambda: losses.pop().backward(), 3), 3 * n, "op", top)

    # The long chain: forward per op as it grows, and the GC's share (a plain user loop, as op_overhead's)
    for length in (n, 10 * n, 50 * n):
        gc.collect()
        x = minigrad.Tensor(x0, requires_grad=True)
        with GCTimer() as timer:
            start = clock()
            loss = chain_forward(x, a_t, m_t, length).sum()
            elapsed = clock() - start
        loss.backward()
        print(
            f"  a {length:,}-op chain: forward {elapsed / length * 1e6:.2f} us/op, of which cyclic GC "
            f"{timer.seconds / length * 1e6:.2f} us/op ({timer.collections} collections)"
        )


# --------------------------------------------------------------------------------------------------
# seq's layers, per step
# --------------------------------------------------------------------------------------------------


def profile_layer(kernel: str, impl: str, T: int, B: int, D: int, H: int, repeats: int, top: int) -> None:
    layer_class, reference = {"lstm": (seq.LSTM, references.lstm), "gru": (seq.GRU, references.gru)}.get(
        kernel, (seq.RNN, references.rnn)
    )
    minigrad.manual_seed(0)
    layer = layer_class(D, H, impl=impl, dtype=np.float64)
    rng = np.random.default_rng(0)
    x_np = rng.standard_normal((T, B, D))
    states = [0.1 * rng.standard_normal((B, H)) for _ in range(2 if kernel == "lstm" else 1)]
    named = dict(layer.named_parameters())
    weights = [named[n].data for n in ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")]

    def forward():
        x = minigrad.Tensor(x_np, requires_grad=True)
        hx = [minigrad.Tensor(s[None]) for s in states]
        out, _ = layer(x, tuple(hx) if len(hx) == 2 else hx[0])
        return out

    phases: dict = {"forward": [], "loss": [], "backward": [], "gc": []}
    for _ in range(repeats):
        layer.zero_grad()
        gc.collect()
        with GCTimer() as timer:
            t0 = clock()
            out = forward()
            t1 = clock()
            loss = (out * out).sum() * 0.5
            t2 = clock()
            loss.backward()
            t3 = clock()
        for name, value in zip(phases, (t1 - t0, t2 - t1, t3 - t2, timer.seconds)):
            phases[name].append(value)
    us = {name: statistics.median(v) / T * 1e6 for name, v in phases.items()}
    ref = median_of(lambda: reference(x_np, *states, *weights), repeats) / T * 1e6
    total = us["forward"] + us["loss"] + us["backward"]
    print(
        f"\n== {kernel.upper()} {impl}, T={T} B={B} D={D} H={H} float64: us per step (median of {repeats}) ==\n"
        f"  forward {us['forward']:.2f} + loss {us['loss']:.2f} + backward {us['backward']:.2f} = {total:.2f} "
        f"({total / ref:.2f}x the NumPy reference's {ref:.2f}); cyclic GC {us['gc']:.2f}"
    )

    def whole():
        layer.zero_grad()
        out = forward()
        ((out * out).sum() * 0.5).backward()

    print_profile(profile(whole, 3), 3 * T, "step", top)


def peak_breakdown(kernel: str, impl: str, T: int, top: int) -> None:
    """What is alive at the peak of one forward + loss + backward of a long tanh RNN (B=1, D=8, H=32), by the line
    that allocated it (tracemalloc). A snapshot is taken whenever the traced memory passes its highest value so
    far by 1 MiB: the last one is the peak, within 1 MiB."""
    layer_class = {"lstm": seq.LSTM, "gru": seq.GRU, "rnn": seq.RNN}[kernel]
    minigrad.manual_seed(0)
    layer = layer_class(8, 32, impl=impl, dtype=np.float64)
    x_np = np.random.default_rng(0).standard_normal((T, 1, 8))
    h0 = np.zeros((1, 1, 32))

    def run():
        out, _ = layer(minigrad.Tensor(x_np, requires_grad=True), minigrad.Tensor(h0))
        ((out * out).sum() * 0.5).backward()

    run()  # imports and first-call set-up outside the measurement
    best = {"bytes": 0, "snapshot": None}

    def watch(frame, event, arg) -> None:
        if event in ("return", "c_return"):
            current = tracemalloc.get_traced_memory()[0]
            if current > best["bytes"] + 2**20:
                best["bytes"], best["snapshot"] = current, tracemalloc.take_snapshot()

    gc.collect()
    tracemalloc.start()
    sys.setprofile(watch)
    try:
        run()
    finally:
        sys.setprofile(None)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    print(
        f"\n== extra peak memory, {kernel.upper()} {impl}, T={T:,} B=1 D=8 H=32 float64: {peak / 2**20:.1f} MiB "
        f"({peak / T:.0f} bytes per step); alive at the peak (within 1 MiB), by allocating line =="
    )
    if best["snapshot"] is None:
        return
    snapshot = best["snapshot"].filter_traces([tracemalloc.Filter(False, tracemalloc.__file__)])
    for stat in snapshot.statistics("lineno")[:top]:
        frame = stat.traceback[0]
        where = "/".join(frame.filename.rsplit("/", 2)[-2:])
        print(
            f"  {stat.size / 2**20:7.2f} MiB {stat.size / T:7.0f} B/step {stat.count:8,} blocks  {where}:{frame.lineno}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer repeats and cases")
    parser.add_argument("--top", type=int, default=12, help="functions listed per profile")
    parser.add_argument("--clock", choices=("cpu", "wall"), default="cpu", help="CPU time (default) or wall time")
    parser.add_argument("--threads", type=int, default=1, help="BLAS threads (default 1)")
    args = parser.parse_args()
    use_threads(args.threads)
    global clock
    clock = time.process_time if args.clock == "cpu" else time.perf_counter
    repeats = 5 if args.quick else 15
    print(
        f"NumPy {np.__version__}; minigrad from {minigrad.__file__}; clock {args.clock}, {args.threads} BLAS thread(s)"
    )
    profile_chain(2000, repeats, args.top)
    cases = [
        ("lstm", "fused", 50, 32, 64, 128),
        ("lstm", "fused", 100, 1, 65, 100),
        ("gru", "fused", 50, 32, 64, 128),
        ("gru", "fused", 100, 1, 65, 100),
        ("rnn", "fused", 50, 32, 64, 128),
        ("rnn", "fused", 10_000, 1, 8, 32),
        ("lstm", "cells", 50, 32, 64, 128),
        ("lstm", "cells", 100, 1, 65, 100),
        ("gru", "cells", 50, 32, 64, 128),
        ("rnn", "cells", 50, 32, 64, 128),
        ("gru", "cells", 100, 1, 65, 100),
        ("rnn", "cells", 10_000, 1, 8, 32),
    ]
    if args.quick:
        cases = [c for c in cases if c[2] <= 100]
    for case in cases:
        profile_layer(*case, repeats=max(3, repeats // 3) if case[2] > 1000 else repeats, top=args.top)
    peak_breakdown("rnn", "fused", 10_000, args.top)
    peak_breakdown("rnn", "cells", 2_000 if args.quick else 10_000, args.top)
    print(load_average())


if __name__ == "__main__":
    main()
