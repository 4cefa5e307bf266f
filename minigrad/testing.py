"""Property-based testing kit: hypothesis strategies for tensors, and a gradient assertion.

For tests of your own ops and layers::

    from hypothesis import given
    from minigrad.testing import tensors, assert_gradients_match

    @given(tensors(shape=(3, 4), away_from=(0.0,)))
    def test_my_relu_gradient(x):
        assert_gradients_match(my_relu, x)

Every strategy draws float64 values by default (what gradcheck needs), from a bounded range, never
NaN, inf or subnormal. ``away_from`` keeps values at least ``margin`` away from the kinks of a
function (0 for relu and abs), so a finite difference never straddles one; ``min_gap`` keeps values
apart (away from the ties of max and min).

Shapes are drawn to exercise ops, not to be small: most have every axis of length 2 or more, a few are
the edge cases (0-d, length-1 axes), and their size is capped so full-Jacobian checks stay fast.

Needs ``hypothesis`` (``pip install "minigrad[dev]"``).
"""

from __future__ import annotations

import math
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

from minigrad import GradcheckError, Tensor, gradcheck

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


@st.composite
def shapes(
    draw: Callable,
    min_dims: int = 0,
    max_dims: int = 3,
    min_side: int = 1,
    max_side: int = 4,
    max_size: int = 24,
) -> tuple:
    """Array shapes with ``min_dims``..``max_dims`` axes of length ``min_side``..``max_side``, drawn to exercise ops.

    Three draws in four are *typical*: at least one axis, every axis of length 2 or more (so a reduction,
    a max or a softmax has something to choose from). The fourth is an *edge* case: any number of axes
    (0-d included), lengths from ``min_side`` (1 included). The total size is capped at ``max_size`` by
    shortening the longest axes (never below ``min_side``), which keeps full-Jacobian gradient checks fast.
    tests/test_testing.py measures the distribution: over 200 draws, >= 80% have more than one element.
    """
    edge = draw(st.sampled_from([False, False, False, True]))
    ndim = draw(st.sampled_from(range(min_dims if edge else max(min_dims, 1), max_dims + 1)))
    shortest = min_side if edge else max(min_side, min(2, max_side))
    sides = [draw(st.sampled_from(range(shortest, max_side + 1))) for _ in range(ndim)]
    while math.prod(sides) > max_size and max(sides) > min_side:
        sides[sides.index(max(sides))] -= 1
    return tuple(sides)


@st.composite
def broadcastable_shapes(
    draw: Callable,
    num_shapes: int = 2,
    min_dims: int = 0,
    max_dims: int = 3,
    min_side: int = 1,
    max_side: int = 4,
    max_size: int = 24,
) -> tuple:
    """Tuples of ``num_shapes`` shapes that broadcast together to one drawn with ``shapes(...)``.

    That full shape mostly has two axes or more (room to broadcast). Each of the tuple's shapes is the
    full one, or it with some axes set to 1 (one axis at least stays whole), or its trailing axes only
    (NumPy aligns trailing axes), so most inputs have more than one element and most draws broadcast.
    """
    lowest = draw(st.sampled_from([min(max(min_dims, 2), max_dims), min_dims]))
    full = draw(shapes(lowest, max_dims, min_side, max_side, max_size))
    out = []
    for _ in range(num_shapes):
        kind = draw(st.sampled_from(["full", "ones", "fewer axes"]))
        if kind == "ones" and full:
            most = max(len(full) - 1, 1)  # keep an axis whole where there are several
            ones = draw(st.lists(st.sampled_from(range(len(full))), min_size=1, max_size=most, unique=True))
            out.append(tuple(1 if axis in ones else n for axis, n in enumerate(full)))
        elif kind == "fewer axes" and len(full) > min_dims:
            keep = draw(st.integers(min_dims if len(full) == 1 else max(min_dims, 1), len(full) - 1))
            out.append(full[len(full) - keep :])
        else:
            out.append(full)
    return tuple(out)


def arrays(
    shape: tuple | st.SearchStrategy | None = None,
    dtype: Any = np.float64,
    min_value: float = -2.0,
    max_value: float = 2.0,
    away_from: Sequence[float] = (),
    margin: float = 0.1,
    unique: bool = False,
    min_gap: float = 0.0,
) -> st.SearchStrategy[np.ndarray]:
    """NumPy arrays of a given or drawn shape with values from ``floats(...)``.

    Every element is drawn on its own (no fill value repeated across the array), so ties are rare.
    ``min_gap > 0`` rules them out: any two values differ by at least ``min_gap`` (for max, min and
    sort away from their ties), built directly rather than filtered, so hypothesis never gives up.
    """
    if shape is None:
        shape = shapes()
    elements = floats(min_value, max_value, away_from, margin).map(lambda v: np.dtype(dtype).type(v))
    if min_gap <= 0:
        return hnp.arrays(dtype=dtype, shape=shape, elements=elements, fill=st.nothing(), unique=unique)
    if away_from:
        raise ValueError("arrays: min_gap spreads values apart and cannot also keep them away_from points")
    shape_strategy = shape if isinstance(shape, st.SearchStrategy) else st.just(shape)
    return shape_strategy.flatmap(lambda s: _separated(s, dtype, min_value, max_value, min_gap))


def _separated(shape: tuple, dtype: Any, min_value: float, max_value: float, min_gap: float) -> st.SearchStrategy:
    """Arrays of ``shape`` whose values are pairwise at least ``min_gap`` apart, within [min_value, max_value]."""
    n = math.prod(shape)
    top = max_value - (n - 1) * min_gap  # room for n - 1 gaps above the smallest value
    if top < min_value:
        raise ValueError(f"arrays: {n} values {min_gap} apart do not fit in [{min_value}, {max_value}]")

    def spread(base: np.ndarray) -> np.ndarray:
        order = np.argsort(base, kind="stable")
        out = base.astype(np.float64).copy()
        out[order] += np.arange(n) * min_gap  # the k-th smallest moves up by k gaps: sorted gaps >= min_gap
        return out.reshape(shape).astype(dtype)

    base = hnp.arrays(np.float64, (n,), elements=floats(min_value, top), fill=st.nothing())
    return base.map(spread)


def tensors(
    shape: tuple | st.SearchStrategy | None = None,
    dtype: Any = np.float64,
    min_value: float = -2.0,
    max_value: float = 2.0,
    away_from: Sequence[float] = (),
    margin: float = 0.1,
    requires_grad: bool = True,
    unique: bool = False,
    min_gap: float = 0.0,
) -> st.SearchStrategy[Tensor]:
    """Tensors (float64, ``requires_grad=True`` by default) of a given or drawn shape.

    ``unique=True`` draws distinct values; ``min_gap`` keeps them that far apart (away from the ties of
    max/min/sort; see ``arrays``).
    """
    return arrays(shape, dtype, min_value, max_value, away_from, margin, unique, min_gap).map(
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
