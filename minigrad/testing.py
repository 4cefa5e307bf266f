"""Property-based testing kit: hypothesis strategies for tensors, and a gradient assertion.

For tests of your own ops and layers::

    from hypothesis import given
    from minigrad.testing import tensors, assert_gradients_match

    @given(tensors(shape=(3, 4), away_from=(0.0,)))
    def test_my_relu_gradient(x):
        assert_gradients_match(my_relu, x)

Every strategy draws float64 values by default (what gradcheck needs), from a bounded range, never
NaN, inf or subnormal. ``away_from`` keeps values at least ``margin`` away from the kinks of a
function (0 for relu and abs), so a finite difference never straddles one.

Needs ``hypothesis`` (``pip install "minigrad[dev]"``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

try:
    from hypothesis import strategies as st
    from hypothesis.extra import numpy as hnp
except ImportError as error:  # pragma: no cover - exercised only without hypothesis
    raise ImportError(
        "minigrad.testing needs hypothesis: pip install hypothesis (or the project's dev extra)"
    ) from error

from minigrad.gradcheck import GradcheckError, gradcheck
from minigrad.tensor import Tensor

__all__ = [
    "arrays",
    "assert_gradients_match",
    "broadcastable_shapes",
    "floats",
    "index_arrays",
    "probability_vectors",
    "sequence_batches",
    "shapes",
    "tensors",
]


def floats(
    min_value: float = -2.0, max_value: float = 2.0, away_from: Sequence[float] = (), margin: float = 0.1
) -> st.SearchStrategy[float]:
    """Finite floats in [min_value, max_value], at least ``margin`` away from each point of ``away_from``.

    A value drawn too close to a point is pushed out to the nearer edge of the gap (or the other edge
    when that would leave the range), so nothing is filtered away and hypothesis never gives up.
    """
    strategy = st.floats(
        min_value=min_value, max_value=max_value, allow_nan=False, allow_infinity=False, allow_subnormal=False
    )
    points = sorted(away_from)
    if not points:
        return strategy
    for p in points:
        if p - margin <= min_value and p + margin >= max_value:
            raise ValueError(f"no value in [{min_value}, {max_value}] is {margin} away from {p}")

    def push_out(v: float) -> float:
        for _ in range(len(points) + 1):
            near = [p for p in points if abs(v - p) < margin]
            if not near:
                return v
            p = near[0]
            v = p + margin if v >= p else p - margin
            if not min_value <= v <= max_value:
                v = p - margin if v > p else p + margin
        return v

    return strategy.map(push_out).filter(lambda v: all(abs(v - p) >= margin for p in points))


def shapes(min_dims: int = 0, max_dims: int = 3, min_side: int = 1, max_side: int = 4) -> st.SearchStrategy[tuple]:
    """Array shapes with ``min_dims``..``max_dims`` axes of length ``min_side``..``max_side``."""
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side)


def broadcastable_shapes(
    num_shapes: int = 2, min_dims: int = 0, max_dims: int = 3, min_side: int = 1, max_side: int = 4
) -> st.SearchStrategy[tuple]:
    """Tuples of ``num_shapes`` shapes that broadcast together (some axes of length 1, some missing)."""
    return hnp.mutually_broadcastable_shapes(
        num_shapes=num_shapes, min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side
    ).map(lambda result: result.input_shapes)


def arrays(
    shape: tuple | st.SearchStrategy | None = None,
    dtype: Any = np.float64,
    min_value: float = -2.0,
    max_value: float = 2.0,
    away_from: Sequence[float] = (),
    margin: float = 0.1,
    unique: bool = False,
) -> st.SearchStrategy[np.ndarray]:
    """NumPy arrays of a given or drawn shape with values from ``floats(...)``."""
    if shape is None:
        shape = shapes()
    return hnp.arrays(
        dtype=dtype,
        shape=shape,
        elements=floats(min_value, max_value, away_from, margin).map(lambda v: np.dtype(dtype).type(v)),
        unique=unique,
    )


def tensors(
    shape: tuple | st.SearchStrategy | None = None,
    dtype: Any = np.float64,
    min_value: float = -2.0,
    max_value: float = 2.0,
    away_from: Sequence[float] = (),
    margin: float = 0.1,
    requires_grad: bool = True,
    unique: bool = False,
) -> st.SearchStrategy[Tensor]:
    """Tensors (float64, ``requires_grad=True`` by default) of a given or drawn shape.

    ``unique=True`` draws distinct values (to stay away from ties of max/min/sort).
    """
    return arrays(shape, dtype, min_value, max_value, away_from, margin, unique).map(
        lambda a: Tensor(a, requires_grad=requires_grad)
    )


def probability_vectors(n: int | st.SearchStrategy[int], batch: tuple = (), min_p: float = 0.01) -> st.SearchStrategy:
    """Arrays of shape ``batch + (n,)`` whose last axis is a probability distribution (every p >= min_p/n)."""
    n_strategy = n if isinstance(n, st.SearchStrategy) else st.just(n)

    def build(size: int) -> st.SearchStrategy:
        weights = hnp.arrays(np.float64, (*batch, size), elements=st.floats(min_p, 1.0, allow_subnormal=False))
        return weights.map(lambda w: w / w.sum(axis=-1, keepdims=True))

    return n_strategy.flatmap(build)


def index_arrays(high: int, shape: tuple | st.SearchStrategy = (), low: int = 0) -> st.SearchStrategy[np.ndarray]:
    """int64 arrays of ``shape`` with values in [low, high) (repeats allowed: that is the hard case)."""
    return hnp.arrays(np.int64, shape, elements=st.integers(low, high - 1))


@st.composite
def sequence_batches(
    draw: Callable,
    max_T: int = 6,
    max_B: int = 3,
    max_D: int = 5,
    D: int | None = None,
    batch_first: bool = False,
    with_lengths: bool = True,
    min_value: float = -2.0,
    max_value: float = 2.0,
) -> tuple[Tensor, np.ndarray]:
    """A padded batch of sequences and their lengths: ``(x, lengths)``.

    ``x`` has shape (T, B, D) (or (B, T, D) with ``batch_first``), float64, ``requires_grad=True``;
    ``lengths`` is an int64 array of shape (B,) with values in 1..T, the longest equal to T. Entries of
    ``x`` past a sequence's length are padding (drawn like the rest, so a test can check they do not
    matter). Without ``with_lengths`` every length is T.
    """
    T = draw(st.integers(1, max_T))
    B = draw(st.integers(1, max_B))
    D = D if D is not None else draw(st.integers(1, max_D))
    if with_lengths:
        lengths = draw(hnp.arrays(np.int64, (B,), elements=st.integers(1, T)))
        lengths[draw(st.integers(0, B - 1))] = T
    else:
        lengths = np.full(B, T, dtype=np.int64)
    shape = (B, T, D) if batch_first else (T, B, D)
    x = draw(arrays(shape, min_value=min_value, max_value=max_value))
    return Tensor(x, requires_grad=True), lengths


def assert_gradients_match(
    fn: Callable[..., Any],
    *inputs: Any,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    fast_mode: bool = False,
) -> None:
    """Assert that autograd's gradients of ``fn(*inputs)`` match central finite differences.

    A thin wrapper over ``minigrad.gradcheck`` whose failure is an ``AssertionError`` that says which
    input and element disagree, with both values, and the shapes of all inputs.
    """
    try:
        gradcheck(fn, inputs, eps=eps, atol=atol, rtol=rtol, fast_mode=fast_mode)
    except GradcheckError as error:
        shapes_seen = ", ".join(
            f"input {i}: {tuple(x.shape)} {x.dtype}" if isinstance(x, Tensor) else f"input {i}: {x!r}"
            for i, x in enumerate(inputs)
        )
        name = getattr(fn, "__name__", repr(fn))
        raise AssertionError(f"gradients of {name} do not match finite differences ({shapes_seen}):\n{error}") from None
