"""BPTT speed: seq's recurrent layers against strong hand-written NumPy, measured in one run.

Workload, for each kernel (LSTM, GRU, tanh RNN): one layer over a (T, B, D) input, ``loss = 0.5 Σ_t |h_t|²``
over every step's output, and backward to the input and the four weights (``h0``, and ``c0`` for the LSTM,
are given, non-zero, as constants). Contenders, all on the same data:

  - the reference: the same computation by hand in NumPy, written for speed (``references.py``: one GEMM
    for the input projection of all steps, one gate GEMM per step into a preallocated buffer, activations
    in place, ``dh @ W_hh`` per step in backward, the weight and input gradients as one GEMM each);
  - ``seq.LSTM`` / ``seq.GRU`` / ``seq.RNN`` on the fused path (the default) and on the step-by-step path
    (``impl="cells"``, autograd unrolls the loop);
  - ``torch.nn.LSTM`` / ``GRU`` / ``RNN`` on the CPU, when PyTorch is installed.

Every contender is first checked against the reference (loss and every gradient within 1e-10 in float64,
2e-3 in float32, relative to max(1, |value|)), then timed: medians of interleaved repeats, reported as the
reference's absolute time and each contender's ratio to it. Sizes: S1 T=50 B=32 D=64 H=128, S2 T=50 B=32
D=256 H=512, S3 T=100 B=1 D=65 H=100; float64 and float32. On request (``--sizes S4``, no target): S4 T=100 B=32
D=64 H=512, the LSTM of the charlm demo's default model that ``charlm_throughput.py`` trains end to end.

Targets: fused <= 1.10x the reference at S1 and S2, <= 1.25x at S3; cells <= 1.6x at S1 and S2, <= 3.5x at S3.

Long sequences: a tanh RNN with H=32, B=1, D=8 in float64, T = 1,000 / 10,000 / 100,000: µs per step and
extra peak memory of the fused path, the cells path and the reference. Targets: the fused path's extra peak
at most 2x the reference's, the cells path's at most 500 MiB. Memory is measured in a fresh process per
configuration (so that no earlier run's heap or high-water mark is counted) in two ways:

  - tracemalloc (the figure the targets use): the peak of the bytes allocated through Python's allocators
    during the call, which includes every NumPy array buffer and every Python object (tensors, graph nodes).
    It is exact and repeatable, and blind to what the allocator does with freed memory;
  - the resident set (RSS): the kernel's peak resident size during the call (Linux's VmHWM, reset just
    before it) minus the resident size before it: what the operating system had to provide, including
    allocator overhead and fragmentation, but coarser (pages, arenas, memory the allocator keeps).

Run: ``python benchmarks/rnn_bptt.py [--quick] [--sizes S1,S3] [--dtypes float64] [--kernels lstm,gru]
[--long-T 1000,10000] [--no-long] [--threads N]``. On a shared machine read the load average printed beside
the figures. When others are busy, ``--threads 1`` (a BLAS thread pool waits for its slowest thread) and
``--clock cpu`` (this process's CPU time, blind to the time it waits for a core) give steadier figures.
"""

from __future__ import annotations

import argparse
import gc
import json
import resource
import subprocess
import sys
import time
import tracemalloc

import numpy as np
import references
from timing import check_agreement, describe_machine, import_torch, interleaved, load_average, median, use_threads

import minigrad
import seq

SIZES = {
    "S1": (50, 32, 64, 128),
    "S2": (50, 32, 256, 512),
    "S3": (100, 1, 65, 100),
    "S4": (100, 32, 64, 512),
}  # T, B, D, H
DTYPES = {"float64": np.float64, "float32": np.float32}
KERNELS = {  # name: (label, reference, seq layer, torch.nn class name, number of states)
    "lstm": ("LSTM", references.lstm, seq.LSTM, "LSTM", 2),
    "gru": ("GRU", references.gru, seq.GRU, "GRU", 1),
    "rnn": ("RNN", references.rnn, seq.RNN, "RNN", 1),
}
TARGETS = {"fused": {"S1": 1.10, "S2": 1.10, "S3": 1.25}, "cells": {"S1": 1.6, "S2": 1.6, "S3": 3.5}}  # none at S4
TOLERANCE = {"float64": 1e-10, "float32": 2e-3}
LONG_DIMS = (1, 8, 32)  # B, D, H of the long-sequence case
CELLS_MEMORY_TARGET_MIB = 500
CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}


# --------------------------------------------------------------------------------------------------
# One case: data, layers and the contenders
# --------------------------------------------------------------------------------------------------


class Case:
    """The data, the weights and a run function per contender for one kernel, size and dtype."""

    def __init__(self, kernel: str, T: int, B: int, D: int, H: int, dtype, torch=None, seed: int = 0) -> None:
        _, self.reference, layer_class, torch_name, n_states = KERNELS[kernel]
        minigrad.manual_seed(seed)
        self.layers = {"fused": layer_class(D, H, dtype=dtype)}
        self.layers["cells"] = layer_class(D, H, impl="cells", dtype=dtype)
        self.layers["cells"].load_state_dict(self.layers["fused"].state_dict())
        rng = np.random.default_rng(seed)
        self.x = rng.standard_normal((T, B, D)).astype(dtype)
        self.states = [(0.1 * rng.standard_normal((B, H))).astype(dtype) for _ in range(n_states)]  # h0 (, c0)
        named = dict(self.layers["fused"].named_parameters())
        self.weights = [named[n].data for n in ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")]
        self.torch = torch
        if torch is not None:
            self.torch_layer = getattr(torch.nn, torch_name)(D, H, dtype=getattr(torch, np.dtype(dtype).name))
            self.torch_layer.load_state_dict({k: torch.tensor(v.data) for k, v in named.items()})

    def run_reference(self) -> tuple[float, dict]:
        return self.reference(self.x, *self.states, *self.weights)

    def run_minigrad(self, impl: str) -> tuple:
        """Forward, loss, backward through seq's layer; returns (loss tensor, x tensor) for ``result``."""
        layer = self.layers[impl]
        layer.zero_grad()
        x = minigrad.Tensor(self.x, requires_grad=True)
        states = [minigrad.Tensor(s[None]) for s in self.states]  # (1, B, H): num_layers first
        out, _ = layer(x, tuple(states) if len(states) == 2 else states[0])
        loss = (out * out).sum() * 0.5
        loss.backward()
        return loss, x

    def run_torch(self) -> tuple:
        torch = self.torch
        self.torch_layer.zero_grad()
        x = torch.from_numpy(self.x).requires_grad_(True)
        states = [torch.from_numpy(s[None]) for s in self.states]
        out, _ = self.torch_layer(x, tuple(states) if len(states) == 2 else states[0])
        loss = (out * out).sum() * 0.5
        loss.backward()
        return loss, x

    def result_minigrad(self, impl: str) -> tuple[float, dict]:
        loss, x = self.run_minigrad(impl)
        grads = {name: p.grad for name, p in self.layers[impl].named_parameters()}
        return loss.item(), {"x": x.grad, **grads}

    def result_torch(self) -> tuple[float, dict]:
        loss, x = self.run_torch()
        grads = {name: p.grad.numpy() for name, p in self.torch_layer.named_parameters()}
        return loss.item(), {"x": x.grad.numpy(), **grads}

    def contenders(self, check_tol: float) -> dict:
        """The run functions, each checked against the reference first (AssertionError if one disagrees)."""
        expected = self.run_reference()
        runs = {"reference": self.run_reference}
        for impl in ("fused", "cells"):
            check_agreement(f"seq {impl}", self.result_minigrad(impl), expected, check_tol)
            runs[impl] = lambda impl=impl: self.run_minigrad(impl)
        if self.torch is not None:
            check_agreement("torch", self.result_torch(), expected, check_tol)
            runs["torch"] = self.run_torch
        return runs


# --------------------------------------------------------------------------------------------------
# The grid: sizes x dtypes x kernels
# --------------------------------------------------------------------------------------------------


def run_grid(args, torch) -> list:
    """Time every case; print one line each; return the (description, ratio, target) of every target."""
    print(
        "\nOne layer, forward + 0.5 Σ|h_t|² + backward to x and every weight. 'reference' is hand-written NumPy "
        "(absolute median); the others are medians as multiples of it in the same run."
    )
    print(f"{'size':4} {'dtype':7} {'kernel':6} | {'reference':>10} | {'fused':^19} | {'cells':^19} | torch.nn")
    checks = []
    for size in args.sizes:
        T, B, D, H = SIZES[size]
        for dtype_name in args.dtypes:
            for kernel in args.kernels:
                case = Case(kernel, T, B, D, H, DTYPES[dtype_name], torch)
                times = interleaved(
                    case.contenders(TOLERANCE[dtype_name]), args.repeats, args.min_time, clock=args.clock
                )
                ref = median(times["reference"])
                line = f"{size:4} {dtype_name:7} {KERNELS[kernel][0]:6} | {ref * 1e3:7.2f} ms |"
                for impl in ("fused", "cells"):
                    ratio, target = median(times[impl]) / ref, TARGETS[impl].get(size)
                    if target is None:
                        line += f" {ratio:5.3f}x {'':6} {'':6} |"
                        continue
                    ok = ratio <= target
                    line += f" {ratio:5.3f}x {'met' if ok else 'MISSED':6} <={target:<4} |"
                    checks.append((f"{impl} {size} {dtype_name} {KERNELS[kernel][0]}", ratio, target))
                line += f" {median(times['torch']) / ref:5.2f}x" if "torch" in times else "  (not installed)"
                print(line + f"   [{len(times['reference'])} repeats; {load_average()}]", flush=True)
    return checks


# --------------------------------------------------------------------------------------------------
# Long sequences: time per step, and extra peak memory measured in a fresh process
# --------------------------------------------------------------------------------------------------


def long_case(T: int) -> Case:
    B, D, H = LONG_DIMS
    return Case("rnn", T, B, D, H, np.float64)


def memory_probe(spec: str) -> None:
    """In this (fresh) process: the extra peak memory of one run, printed as JSON. ``spec`` is CONTENDER:T:METHOD."""
    contender, T, method = spec.split(":")
    warm = long_case(8)  # imports and first-call set-up happen here, outside the measurement
    for run in (warm.run_reference, lambda: warm.run_minigrad("fused"), lambda: warm.run_minigrad("cells")):
        run()
    case = long_case(int(T))
    run = case.run_reference if contender == "reference" else lambda: case.run_minigrad(contender)
    gc.collect()
    if method == "tracemalloc":
        tracemalloc.start()
        result = run()
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        del result
    else:
        before = _reset_peak_resident()
        result = run()
        peak = _peak_resident() - before
        del result
    print(json.dumps({"mib": peak / 2**20}))


def _status_bytes(key: str) -> int:
    """A size from /proc/self/status (Linux), in bytes."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024  # the file gives kB
    raise OSError(f"no {key} in /proc/self/status")


def _reset_peak_resident() -> int:
    """Reset the kernel's peak resident size of this process to its current size; return that size (bytes).

    On Linux, writing 5 to /proc/self/clear_refs resets VmHWM. ``ru_maxrss`` cannot serve instead: it
    survives fork and exec, so a process started by a big parent begins with the parent's high-water mark.
    Elsewhere, fall back to ``ru_maxrss`` (correct only when the call raises the process's high-water mark).
    """
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return _status_bytes("VmRSS")
    except OSError:
        return _max_resident_bytes()


def _peak_resident() -> int:
    try:
        return _status_bytes("VmHWM")
    except OSError:
        return _max_resident_bytes()


def _max_resident_bytes() -> int:
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return maxrss if sys.platform == "darwin" else maxrss * 1024  # bytes on macOS, KiB on Linux


def measure_memory(contender: str, T: int, method: str) -> float:
    """Extra peak MiB of one run, measured by ``method`` in a new Python process."""
    command = [sys.executable, __file__, "--memory-probe", f"{contender}:{T}:{method}"]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"memory probe {contender} T={T} {method} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])["mib"]


def run_long(lengths: list, repeats: int, clock) -> list:
    B, D, H = LONG_DIMS
    print(
        f"\nLong sequences: tanh RNN, H={H}, B={B}, D={D}, float64. Time per step (median); extra peak memory of "
        "one run in a fresh process, by tracemalloc (targets) and by resident set size (RSS)."
    )
    checks, first = [], {}
    for T in lengths:
        case = long_case(T)
        runs = case.contenders(TOLERANCE["float64"])  # no torch here: the long case compares NumPy and seq
        long = T > 10_000  # the check above was the warm-up; a few repeats are enough at seconds per run
        times = interleaved(runs, 3 if long else repeats, 0.0 if long else 0.5, warmup=not long, clock=clock)
        memory = {name: {method: measure_memory(name, T, method) for method in ("tracemalloc", "rss")} for name in runs}
        ref_step = median(times["reference"]) / T
        line = f"  T={T:>7,} |"
        for name in runs:
            per_step = median(times[name]) / T
            first.setdefault(name, per_step)
            growth = per_step / first[name]
            line += (
                f" {name} {per_step * 1e6:6.2f} us/step ({per_step / ref_step:4.2f}x ref, {growth:4.2f}x of "
                f"T={lengths[0]:,}) {memory[name]['tracemalloc']:7.1f} MiB (RSS {memory[name]['rss']:6.1f}) |"
            )
        print(line + f" [{load_average()}]", flush=True)
        fused_vs_ref = memory["fused"]["tracemalloc"] / max(memory["reference"]["tracemalloc"], 1e-9)
        checks.append((f"fused extra peak / reference's, T={T:,}", fused_vs_ref, 2.0))
        checks.append((f"cells extra peak MiB, T={T:,}", memory["cells"]["tracemalloc"], CELLS_MEMORY_TARGET_MIB))
    return checks


# --------------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="S1,S2,S3", help="comma list of S1,S2,S3,S4")
    parser.add_argument("--dtypes", default="float64,float32", help="comma list of float64,float32")
    parser.add_argument("--kernels", default="lstm,gru,rnn", help="comma list of lstm,gru,rnn")
    parser.add_argument("--repeats", type=int, default=7, help="at least this many interleaved repeats per case")
    parser.add_argument("--min-time", type=float, default=0.5, help="more repeats (up to 41) until this many s")
    parser.add_argument("--long-T", default="1000,10000,100000", help="sequence lengths of the long case")
    parser.add_argument("--no-long", action="store_true", help="skip the long-sequence case")
    parser.add_argument("--quick", action="store_true", help="S1 and S3, 3 repeats, long sequences up to 10,000")
    parser.add_argument("--threads", type=int, default=None, help="BLAS (and torch) threads; default: BLAS's own")
    parser.add_argument(
        "--clock",
        choices=CLOCKS,
        default="wall",
        help="wall time, or this process's CPU time (steadier on a busy machine; implies --threads 1 unless given)",
    )
    parser.add_argument("--memory-probe", default=None, help=argparse.SUPPRESS)  # internal: one memory measurement
    args = parser.parse_args()
    if args.memory_probe:
        memory_probe(args.memory_probe)
        return
    if args.clock == "cpu" and args.threads is None:
        args.threads = 1  # the CPU time of a thread pool would count its waiting threads too
    use_threads(args.threads)
    print(f"clock: {args.clock}")
    args.clock = CLOCKS[args.clock]
    args.sizes, args.dtypes, args.kernels = (s.split(",") for s in (args.sizes, args.dtypes, args.kernels))
    lengths = [int(t) for t in args.long_T.split(",")]
    if args.quick:
        args.sizes = [s for s in args.sizes if s != "S2"]
        args.repeats, args.min_time = 3, 0.3
        lengths = [t for t in lengths if t <= 10_000]
    for option, values, allowed in (("--sizes", args.sizes, SIZES), ("--dtypes", args.dtypes, DTYPES)):
        if not set(values) <= set(allowed):
            parser.error(f"{option} takes a comma list of {', '.join(allowed)}; got {','.join(values)}")
    if not set(args.kernels) <= set(KERNELS):
        parser.error(f"--kernels takes a comma list of {', '.join(KERNELS)}; got {','.join(args.kernels)}")
    torch = import_torch()
    print(describe_machine(torch))
    started = time.perf_counter()
    checks = run_grid(args, torch)
    if not args.no_long:
        checks += run_long(lengths, args.repeats, args.clock)
    missed = [c for c in checks if not c[1] <= c[2]]
    print(f"\nTargets met: {len(checks) - len(missed)} of {len(checks)}.", end="")
    print(" Missed: " + "; ".join(f"{d} ({v:.3f} > {t})" for d, v, t in missed) if missed else "")
    print(f"Total time {time.perf_counter() - started:.0f} s; {load_average()}")


if __name__ == "__main__":
    main()
