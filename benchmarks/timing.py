"""What the benchmarks share: interleaved timing, agreement checks, thread settings and a line about the machine.

Timing: every contender is called once to warm up, then the contenders are called in turn, round after
round (interleaved), so that a burst of load on a shared machine hits all of them alike; the figure kept
is each one's median. ``gc.collect()`` runs before every call, outside the timed region, so that every
call starts from the same heap; the garbage collection a call triggers itself is part of its time.
"""

from __future__ import annotations

import gc
import math
import os
import statistics
import sys
import time
from collections.abc import Callable

import numpy as np

THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def use_threads(threads: int | None) -> None:
    """Run this script again with every BLAS/OpenMP thread variable set to ``threads`` (None: keep the defaults).

    The thread count of NumPy's BLAS is fixed when NumPy is imported, so the only reliable way to change it is
    to start again with the variables set; the script calls this before it measures anything.
    """
    if threads is None or all(os.environ.get(v) == str(threads) for v in THREAD_VARIABLES):
        return
    for variable in THREAD_VARIABLES:
        os.environ[variable] = str(threads)
    sys.stdout.flush()
    os.execv(sys.executable, [sys.executable, *sys.argv])


def import_torch():
    """PyTorch if it is installed (with as many threads as NumPy's BLAS was given), else None."""
    try:
        import torch
    except ImportError:
        return None
    threads = os.environ.get("OPENBLAS_NUM_THREADS")
    if threads is not None:
        torch.set_num_threads(int(threads))
    return torch


def describe_machine(torch=None) -> str:
    """One line: versions, threads, and the load average (the machine may be shared: read figures beside it)."""
    threads = os.environ.get("OPENBLAS_NUM_THREADS", f"default ({os.cpu_count()} CPUs)")
    line = f"Python {sys.version.split()[0]}, NumPy {np.__version__}, BLAS threads {threads}"
    if torch is not None:
        line += f", PyTorch {torch.__version__} ({torch.get_num_threads()} threads)"
    return line + f"; {load_average()}"


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f}"


def interleaved(
    contenders: dict[str, Callable[[], object]],
    repeats: int = 7,
    min_time: float = 1.0,
    max_repeats: int = 41,
    warmup: bool = True,
    clock: Callable[[], float] = time.perf_counter,
) -> dict[str, list[float]]:
    """Time each contender ``repeats`` times or more, in turns; return the times (seconds) of each.

    The number of rounds is raised (up to ``max_repeats``) until the slowest contender's total reaches
    ``min_time`` seconds, judged from its warm-up call (``warmup=False``: the caller has run each already).
    """
    first = {}
    for name, fn in contenders.items() if warmup else ():
        gc.collect()
        start = clock()
        fn()
        first[name] = clock() - start
    slowest = max(first.values(), default=0.0)
    rounds = max(repeats, min(max_repeats, math.ceil(min_time / max(slowest, 1e-9)))) if first else repeats
    times: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(rounds):
        for name, fn in contenders.items():
            gc.collect()
            start = clock()
            fn()
            times[name].append(clock() - start)
    return times


def median(times: list[float]) -> float:
    return statistics.median(times)


def worst_difference(got: dict, expected: dict) -> tuple[str, float]:
    """The name and size of the largest difference, each array's relative to max(1, max |expected|)."""
    worst_name, worst = "", 0.0
    for name, want in expected.items():
        have = got.get(name)
        if have is None or np.shape(have) != np.shape(want):
            return name, math.inf
        scale = max(1.0, float(np.max(np.abs(want))) if np.size(want) else 1.0)
        diff = float(np.max(np.abs(np.asarray(have, np.float64) - np.asarray(want, np.float64)))) / scale
        if math.isnan(diff):
            return name, math.inf
        if diff > worst:
            worst_name, worst = name, diff
    return worst_name, worst


def check_agreement(who: str, got: tuple[float, dict], expected: tuple[float, dict], tol: float) -> float:
    """Raise AssertionError unless the loss and every gradient of ``got`` match ``expected`` within ``tol``.

    Both are ``(loss, {name: array})``; differences are relative to max(1, max |expected|). Returns the worst.
    """
    loss, grads = got
    loss_ref, grads_ref = expected
    name, worst = worst_difference({"loss": np.float64(loss), **grads}, {"loss": np.float64(loss_ref), **grads_ref})
    if not worst <= tol:
        raise AssertionError(
            f"{who} disagrees with the reference: {name} differs by {worst:.3g} (relative), more than {tol:g}; "
            "a benchmark of a wrong result means nothing, so nothing was timed"
        )
    return worst


def verdict(value: float, target: float) -> str:
    """'met' when value <= target, else 'MISSED' (capitals, to stand out in a table)."""
    return "met" if value <= target else "MISSED"
