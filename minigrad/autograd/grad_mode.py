"""Grad mode: whether ops record the graph, and whether backward looks for NaN (anomaly mode).

    with minigrad.no_grad():          # optimizer updates, evaluation: nothing is recorded
        ...
    with minigrad.detect_anomaly():   # debugging: name the op that first produced a NaN gradient
        loss.backward()

Both switches are read on every op, so they are two class attributes of ``_GradMode`` (a private
record); everything outside this package reads them through ``is_grad_enabled()`` and
``is_anomaly_enabled()``.
"""

from __future__ import annotations

import contextlib

__all__ = [
    "AnomalyError",
    "detect_anomaly",
    "enable_grad",
    "is_anomaly_enabled",
    "is_grad_enabled",
    "no_grad",
    "set_grad_enabled",
]


class _GradMode:
    """The two switches read on every op: is the graph recorded, is anomaly detection on."""

    enabled = True
    anomaly = False


def is_grad_enabled() -> bool:
    """True when ops record the graph (the default)."""
    return _GradMode.enabled


def is_anomaly_enabled() -> bool:
    """True inside ``detect_anomaly()``."""
    return _GradMode.anomaly


class _GradModeSwitch(contextlib.ContextDecorator):
    """Context manager and decorator that sets grad mode and restores the previous mode on exit."""

    mode = True

    def __enter__(self) -> None:
        self._previous = _GradMode.enabled
        _GradMode.enabled = self.mode

    def __exit__(self, *exc: object) -> None:
        _GradMode.enabled = self._previous


class no_grad(_GradModeSwitch):
    """Do not record the graph: ``with minigrad.no_grad(): ...`` or ``@minigrad.no_grad()``."""

    mode = False


class enable_grad(_GradModeSwitch):
    """Record the graph again inside a ``no_grad`` block."""

    mode = True


class set_grad_enabled(_GradModeSwitch):
    """``with set_grad_enabled(training): ...`` — record the graph only when ``mode`` is true."""

    def __init__(self, mode: bool) -> None:
        self.mode = bool(mode)


class detect_anomaly(contextlib.ContextDecorator):
    """Find the op that first produced a NaN or inf gradient.

    While on, every op keeps the stack of the user code that created it (this is slow: use it to debug),
    and ``backward`` checks each gradient an op returns. The first non-finite one raises
    ``AnomalyError`` naming the op and showing where it was created.
    """

    def __enter__(self) -> None:
        self._previous = _GradMode.anomaly
        _GradMode.anomaly = True

    def __exit__(self, *exc: object) -> None:
        _GradMode.anomaly = self._previous


class AnomalyError(RuntimeError):
    """Raised in anomaly mode when an op's backward returns NaN or inf."""
