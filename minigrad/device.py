"""Devices: minigrad computes on the CPU (NumPy), so every tensor's ``.device`` is ``cpu``.

PyTorch code names devices everywhere (``x.to(device)``, ``zeros(3, device=device)``,
``model.to("cpu")``), so minigrad accepts ``"cpu"`` and ``minigrad.device("cpu")`` wherever PyTorch
takes a device, and refuses a GPU with an error that says so. ``minigrad.cuda.is_available()`` is False,
so the usual ``device = "cuda" if torch.cuda.is_available() else "cpu"`` picks the CPU.
"""

from __future__ import annotations

from typing import Any

__all__ = ["as_device", "cpu", "device"]

_KNOWN = ("cpu", "cuda", "mps", "xpu", "xla", "meta", "hip", "ipu", "hpu", "mtia", "privateuseone")


class device:
    """A device, as ``torch.device``: ``device("cpu")``, ``device("cuda", 0)``, ``device("cuda:1")``.

    Any of PyTorch's device types can be named (so code that builds ``device("cuda")`` runs); only the
    CPU can hold a tensor. Prints as ``cpu``; two devices are equal when type and index are.
    """

    __slots__ = ("index", "type")

    def __init__(self, type: Any, index: int | None = None) -> None:
        if isinstance(type, device):
            type, index = type.type, type.index if index is None else index
        if not isinstance(type, str):
            raise TypeError(f"device() expects a string such as 'cpu', got {type!r} ({_kind(type)})")
        name, _, number = type.partition(":")
        if name not in _KNOWN:
            raise RuntimeError(f"Expected one of {', '.join(_KNOWN)} device type at start of device string: {type}")
        if number:
            if index is not None or not number.isdigit():
                raise RuntimeError(f"Invalid device string: '{type}'")
            index = int(number)
        if index is not None and (not isinstance(index, int) or isinstance(index, bool) or index < 0):
            raise RuntimeError(f"Device index must not be negative and must be an int, got {index!r}")
        self.type, self.index = name, index

    def __repr__(self) -> str:
        return (
            f"device(type='{self.type}')" if self.index is None else f"device(type='{self.type}', index={self.index})"
        )

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, device):
            return NotImplemented  # as PyTorch: device("cpu") == "cpu" is False
        return (self.type, self.index) == (other.type, other.index)

    def __hash__(self) -> int:
        return hash((self.type, self.index))


cpu = device("cpu")
"""The device of every tensor."""


def as_device(where: Any) -> device:
    """The CPU device for ``"cpu"``, ``"cpu:0"``, ``device("cpu")`` or None; an error for anything else."""
    if where is None or where is cpu:
        return cpu
    if isinstance(where, int) and not isinstance(where, bool):
        where = device("cuda", where)  # PyTorch reads a bare int as an accelerator index
    elif not isinstance(where, device):
        if not isinstance(where, str):
            raise TypeError(
                f"expected a device such as 'cpu' or minigrad.device('cpu'), got {where!r} ({_kind(where)})"
            )
        where = device(where)
    if where.type != "cpu":
        raise RuntimeError(
            f"minigrad computes on the CPU only (with NumPy): there is no '{where}' device. Use 'cpu', or "
            "choose the device as `'cuda' if minigrad.cuda.is_available() else 'cpu'` (it picks 'cpu')."
        )
    return cpu


def _kind(value: Any) -> str:
    return type(value).__name__
