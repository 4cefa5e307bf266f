"""What every demo shares: the command line, the output folder, metrics.json, progress bars and plots."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any


def parser(name: str, description: str) -> argparse.ArgumentParser:
    """An argument parser with the options every demo has: --quick, --seed, --out."""
    p = argparse.ArgumentParser(prog=f"python -m demos {name}", description=description)
    p.add_argument("--quick", action="store_true", help="a small configuration for tests (seconds, not minutes)")
    p.add_argument("--seed", type=int, default=0, help="random seed (runs are deterministic under it)")
    p.add_argument("--out", type=Path, default=None, help=f"output folder (default runs/{name}/)")
    return p


def output_dir(name: str, out: Path | None) -> Path:
    """The folder for a demo's files (made if missing), or a clear exit when it cannot be one."""
    path = Path(out) if out is not None else Path("runs") / name
    if path.exists() and not path.is_dir():
        raise SystemExit(f"--out {path} is a file, not a folder: pass a folder for the demo's outputs")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise SystemExit(f"cannot make the output folder {path}: {error.strerror}") from None
    return path


def save_metrics(path: Path, metrics: dict) -> None:
    """Write metrics.json (floats to 6 significant digits, for reading)."""

    def clean(v: Any) -> Any:
        if isinstance(v, float):
            return float(f"{v:.6g}")
        if isinstance(v, dict):
            return {k: clean(x) for k, x in v.items()}
        if isinstance(v, list | tuple):
            return [clean(x) for x in v]
        if hasattr(v, "item"):
            return clean(v.item())
        return v

    (path / "metrics.json").write_text(json.dumps(clean(metrics), indent=2) + "\n")


def progress(iterable: Iterable, desc: str, total: int | None = None, quiet: bool = False) -> Iterable:
    """A tqdm progress bar (plain iteration when tqdm is missing or the run is quiet)."""
    if quiet or os.environ.get("DEMOS_NO_PROGRESS"):
        return iterable
    try:
        from tqdm import tqdm
    except ImportError:
        return iterable
    return tqdm(iterable, desc=desc, total=total, leave=False, file=sys.stderr)


def pyplot() -> Any:
    """matplotlib's pyplot with the Agg backend (files only, no window), or a clear error."""
    try:
        import matplotlib
    except ImportError:
        raise SystemExit(
            "this demo draws plots with matplotlib: pip install -e '.[demos]' (or pip install matplotlib)"
        ) from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt
