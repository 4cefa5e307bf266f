"""``minigrad.cuda``: there is no GPU here, and PyTorch code that asks finds out.

``is_available()`` is False and ``device_count()`` is 0, so ``"cuda" if torch.cuda.is_available() else
"cpu"`` picks the CPU; seeding every GPU (``manual_seed_all``) does nothing, as in PyTorch without one.
"""

from __future__ import annotations

__all__ = ["device_count", "is_available", "manual_seed", "manual_seed_all"]


def is_available() -> bool:
    """False: minigrad computes on the CPU (NumPy)."""
    return False


def device_count() -> int:
    return 0


def manual_seed(seed: int) -> None:
    """Seed the GPU's generator: there is none, so nothing happens (``minigrad.manual_seed`` seeds the CPU's)."""


def manual_seed_all(seed: int) -> None:
    """Seed every GPU's generator: there are none, so nothing happens."""
