"""Test configuration: hypothesis profiles, chosen with the HYPOTHESIS_PROFILE environment variable.

- ``ci`` (the default under CI=true): hypothesis' own ci profile — derandomized, no deadline, no example
  database — with a budget of examples that keeps the whole suite within minutes on 2 cores.
- ``dev`` (the default elsewhere): fewer examples, for a quick local run.
- ``thorough``: many examples, for a deliberate hunt (``HYPOTHESIS_PROFILE=thorough pytest``).

Markers (``pyproject.toml``): ``slow`` — the demo runs, the executed tutorials and README, and the tests
decorated ``@pytest.mark.slow``; ``pytest -m "not slow"`` is a contributor's quick loop. ``torch`` — the
tests that compare with PyTorch (marked here, from the test's own source asking for torch).
"""

from __future__ import annotations

import functools
import inspect
import os

# The tests multiply tiny matrices: one BLAS thread is faster than several fighting for 2 cores.
# (setdefault: a value from the environment wins; set before numpy is first imported.)
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from hypothesis import HealthCheck, settings  # noqa: E402

settings.register_profile(
    "ci",
    parent=settings.get_profile("ci"),
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "dev",
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "thorough",
    max_examples=500,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))


SLOW_FILES = ("test_demo_", "test_demos.py", "test_docs.py")  # every test in these files runs a demo or a tutorial


def pytest_collection_modifyitems(config, items):
    """Mark the slow files ``slow`` and the tests that ask for PyTorch ``torch``."""
    for item in items:
        if item.path.name.startswith(SLOW_FILES):
            item.add_marker(pytest.mark.slow)
        function = getattr(item, "function", None)
        if function is not None and _asks_for_torch(function):
            item.add_marker(pytest.mark.torch)


@functools.cache
def _asks_for_torch(function) -> bool:
    try:
        source = inspect.getsource(function)
    except (OSError, TypeError):
        return False
    return "torch_or_skip(" in source or 'importorskip("torch"' in source


@pytest.fixture(autouse=True)
def _restore_global_state(monkeypatch):
    """Each test starts with the default dtype and a freshly seeded global generator (and demos print no bars)."""
    import minigrad

    monkeypatch.setenv("DEMOS_NO_PROGRESS", "1")
    dtype = minigrad.get_default_dtype()
    minigrad.manual_seed(0)
    yield
    minigrad.set_default_dtype(dtype)


def torch_or_skip():
    """The torch module, or skip the calling test cleanly when PyTorch is not installed."""
    return pytest.importorskip("torch", reason="PyTorch is an optional oracle: pip install -e '.[torch]'")


def assert_close(actual, expected, rtol: float = 1e-7, atol: float = 1e-10) -> None:
    np.testing.assert_allclose(np.asarray(actual), np.asarray(expected), rtol=rtol, atol=atol)
