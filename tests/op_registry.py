"""The registry of ops: one entry per op drives every generic op test in ``test_ops.py``.

An entry says how to draw inputs (a hypothesis strategy of ``(arrays, kwargs)``), how minigrad computes
the op from tensors, and how NumPy computes it from arrays. Adding an op here adds its forward test
against NumPy, its float64 gradient check, its float32 dtype test and its gradient-shape test.
Inputs are drawn away from the op's kinks (relu/abs at 0, clip at its bounds, ties of max/min).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from hypothesis import assume
from hypothesis import strategies as st

import minigrad
from minigrad.testing import arrays, broadcastable_shapes, index_arrays, shapes


@dataclass(frozen=True)
class OpSpec:
    name: str
    fn: Callable  # minigrad: (*tensors, **kwargs) -> tensor or tuple of tensors
    ref: Callable  # NumPy: (*arrays, **kwargs) -> array or tuple of arrays
    inputs: st.SearchStrategy  # draws (tuple of float64 arrays, kwargs)
    grad: bool = True  # differentiable in every input (False: only the forward and dtype tests apply)
    notes: str = field(default="")


def _no_kwargs(strategy: st.SearchStrategy) -> st.SearchStrategy:
    return strategy.map(lambda arrays_: (tuple(arrays_), {}))


def unary(lo: float = -2.0, hi: float = 2.0, away_from: tuple = ()) -> st.SearchStrategy:
    return _no_kwargs(st.tuples(arrays(shapes(), min_value=lo, max_value=hi, away_from=away_from)))


def binary(lo_a=-2.0, hi_a=2.0, lo_b=-2.0, hi_b=2.0, away_b: tuple = ()) -> st.SearchStrategy:
    """Two arrays of broadcastable shapes."""

    @st.composite
    def draw(draw_):
        sa, sb = draw_(broadcastable_shapes(2))
        a = draw_(arrays(sa, min_value=lo_a, max_value=hi_a))
        b = draw_(arrays(sb, min_value=lo_b, max_value=hi_b, away_from=away_b, margin=0.5))
        return (a, b), {}

    return draw()


@st.composite
def separated_pair(draw):
    """a and b of one shape with |a - b| >= 0.1 everywhere (no ties for maximum/minimum)."""
    shape = draw(shapes())
    a = draw(arrays(shape))
    gap = draw(arrays(shape, min_value=0.1, max_value=1.0))
    sign = draw(arrays(shape, min_value=-1.0, max_value=1.0, away_from=(0.0,), margin=0.5))
    return (a, a + np.sign(sign) * gap), {}


def _axis_choices(ndim: int) -> st.SearchStrategy:
    if ndim == 0:
        return st.none()
    single = st.integers(-ndim, ndim - 1)
    several = st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True).map(tuple)
    return st.none() | single | several


@st.composite
def reduction(draw, distinct: bool = False):
    """One array, an axis (None, int or tuple) and keepdims."""
    x = draw(arrays(shapes(max_side=3), min_gap=1e-3 if distinct else 0.0))  # distinct: no ties for max/min
    axis = draw(_axis_choices(x.ndim))
    return (x,), {"axis": axis, "keepdims": draw(st.booleans())}


@st.composite
def one_axis(draw, min_dims: int = 1):
    x = draw(arrays(shapes(min_dims=min_dims)))
    return (x,), {"axis": draw(st.integers(-x.ndim, x.ndim - 1))}


@st.composite
def variance(draw):
    x = draw(arrays(shapes(min_dims=1, max_side=4)))
    axis = draw(st.integers(0, x.ndim - 1))
    assume(x.shape[axis] > 1)  # N - correction must be positive
    return (x,), {"axis": axis, "keepdims": draw(st.booleans())}


@st.composite
def matmul_pair(draw):
    """Operands of every kind matmul takes: 1-D, 2-D and batched with broadcasting batch axes."""
    m, k, n = draw(st.integers(1, 4)), draw(st.integers(1, 4)), draw(st.integers(1, 4))
    kind = draw(st.sampled_from(["vv", "mv", "vm", "mm", "batched", "broadcast"]))
    if kind == "vv":
        sa, sb = (k,), (k,)
    elif kind == "mv":
        sa, sb = (*draw(st.sampled_from([(), (2,)])), m, k), (k,)
    elif kind == "vm":
        sa, sb = (k,), (*draw(st.sampled_from([(), (2,)])), k, n)
    elif kind == "mm":
        sa, sb = (m, k), (k, n)
    elif kind == "batched":
        sa, sb = (2, m, k), (2, k, n)
    else:
        sa, sb = (3, 1, m, k), (2, k, n)
    return (draw(arrays(sa)), draw(arrays(sb))), {}


@st.composite
def reshape_args(draw):
    x = draw(arrays(shapes()))
    sizes = [d for d in range(1, x.size + 1) if x.size % d == 0]
    first = draw(st.sampled_from(sizes))
    shape = draw(st.sampled_from([(first, -1), (-1,), (x.size // first, first)]))
    return (x,), {"shape": shape}


@st.composite
def permute_args(draw):
    x = draw(arrays(shapes(min_dims=1)))
    return (x,), {"axes": tuple(draw(st.permutations(range(x.ndim))))}


@st.composite
def two_axes(draw):
    x = draw(arrays(shapes(min_dims=1)))
    axis = st.integers(-x.ndim, x.ndim - 1)
    return (x,), {"dim0": draw(axis), "dim1": draw(axis)}


@st.composite
def squeeze_args(draw):
    shape = list(draw(shapes(min_dims=1, min_side=1, max_side=3)))
    for i in draw(st.sets(st.integers(0, len(shape) - 1), min_size=1)):  # at least one axis of length 1 to squeeze
        shape[i] = 1
    x = draw(arrays(tuple(shape)))
    return (x,), {"dim": draw(st.none() | st.integers(-x.ndim, x.ndim - 1))}


@st.composite
def unsqueeze_args(draw):
    x = draw(arrays(shapes()))
    return (x,), {"dim": draw(st.integers(-x.ndim - 1, x.ndim))}


@st.composite
def expand_args(draw):
    shape = list(draw(shapes(max_dims=2, max_side=3)))
    for i in draw(st.sets(st.integers(0, len(shape) - 1), max_size=len(shape))) if shape else ():
        shape[i] = 1  # axes of length 1 that expand stretches
    x = draw(arrays(tuple(shape)))
    lead = draw(st.lists(st.integers(1, 3), max_size=2))
    target = tuple(lead) + tuple(draw(st.integers(2, 3)) if n == 1 else n for n in x.shape)
    return (x,), {"shape": target}


@st.composite
def several(draw, same_shape: bool):
    """2-3 arrays to join: one shape (stack) or one shape but the joining axis (cat)."""
    base = draw(shapes(min_dims=1))
    axis = draw(st.integers(-len(base), len(base) - 1))
    count = draw(st.integers(1, 3))
    out = []
    for _ in range(count):
        shape = list(base)
        if not same_shape:
            shape[axis] = draw(st.integers(1, 3))
        out.append(draw(arrays(tuple(shape))))
    return tuple(out), {"axis": axis}


@st.composite
def split_args(draw):
    x = draw(arrays(shapes(min_dims=1, max_side=5)))
    axis = draw(st.integers(0, x.ndim - 1))
    return (x,), {"size": draw(st.integers(1, x.shape[axis])), "dim": axis}


@st.composite
def pad_args(draw):
    x = draw(arrays(shapes(min_dims=1, max_dims=2)))
    widths = tuple((draw(st.integers(0, 2)), draw(st.integers(0, 2))) for _ in range(x.ndim))
    return (x,), {"pad_width": widths, "value": draw(st.floats(-1, 1))}


@st.composite
def basic_index(draw):
    x = draw(arrays(shapes(min_dims=1, max_side=4)))
    key = []
    for n in x.shape:
        key.append(
            draw(
                st.integers(-n, n - 1)
                | st.builds(
                    slice,
                    st.none() | st.integers(0, n),
                    st.none() | st.integers(0, n),
                    st.sampled_from([None, 1, 2, -1]),
                )
            )
        )
    count = draw(st.integers(1, x.ndim))
    if draw(st.booleans()):
        key = (Ellipsis, *key[x.ndim - count :])  # index the last axes
    else:
        key = tuple(key[:count])  # index the first axes
    if draw(st.booleans()):
        key = (None, *key)
    return (x,), {"key": key}


@st.composite
def integer_array_index(draw):
    x = draw(arrays(shapes(min_dims=1, max_side=4)))
    idx = draw(index_arrays(x.shape[0], shape=draw(shapes(max_dims=2, max_side=5))))
    return (x,), {"key": idx}


@st.composite
def mask_index(draw):
    x = draw(arrays(shapes(min_dims=1, max_side=4)))
    mask = draw(st.lists(st.booleans(), min_size=x.size, max_size=x.size)).copy()
    return (x,), {"key": np.array(mask, dtype=bool).reshape(x.shape)}


@st.composite
def take_args(draw):
    x = draw(arrays(shapes(min_dims=1, max_side=4)))
    axis = draw(st.integers(0, x.ndim - 1))
    idx = draw(index_arrays(x.shape[axis], shape=draw(shapes(max_dims=2, max_side=4))))
    return (x,), {"indices": idx, "axis": axis}


@st.composite
def gather_args(draw):
    """An index of any size along ``dim`` and at most x's size along the others (PyTorch's rule)."""
    x = draw(arrays(shapes(min_dims=1, max_side=4)))
    axis = draw(st.integers(0, x.ndim - 1))
    shape = tuple(draw(st.integers(1, 4)) if i == axis else draw(st.integers(1, n)) for i, n in enumerate(x.shape))
    return (x,), {"dim": axis, "index": draw(index_arrays(x.shape[axis], shape=shape))}


@st.composite
def flat_take_args(draw):
    x = draw(arrays(shapes(min_dims=1, max_side=4)))
    return (x,), {"indices": draw(index_arrays(x.size, shape=draw(shapes(max_dims=2, max_side=4))))}


@st.composite
def index_select_args(draw):
    x = draw(arrays(shapes(min_dims=1, max_side=4)))
    dim = draw(st.integers(-x.ndim, x.ndim - 1))
    return (x,), {"dim": dim, "index": draw(index_arrays(x.shape[dim], shape=(draw(st.integers(0, 5)),)))}


@st.composite
def where_args(draw):
    sc, sa, sb = draw(broadcastable_shapes(3))
    cond = np.asarray(draw(arrays(sc)) > 0)
    return (draw(arrays(sa)), draw(arrays(sb))), {"condition": cond}


@st.composite
def distinct_values(draw, min_dims: int = 0, max_side: int = 4):
    """One array without ties (sorting, medians and maxima are differentiable there): a shuffled grid of
    values 0.25 apart, each moved by less than 0.1, so any two differ by more than 0.05."""
    shape = draw(shapes(min_dims=min_dims, max_side=max_side))
    n = int(np.prod(shape))
    order = np.array(draw(st.permutations(range(n))), dtype=float)
    jitter = draw(arrays((n,), min_value=0.0, max_value=0.1))
    return (0.25 * order - 0.125 * n + jitter).reshape(shape)


@st.composite
def one_dim(draw, keepdim: bool = True):
    """An array without ties, one dim, and keepdim."""
    x = draw(distinct_values(min_dims=1))
    kwargs = {"dim": draw(st.integers(-x.ndim, x.ndim - 1))}
    if keepdim:
        kwargs["keepdim"] = draw(st.booleans())
    return (x,), kwargs


@st.composite
def sort_args(draw):
    (x,), kwargs = draw(one_dim(keepdim=False))
    return (x,), {**kwargs, "descending": draw(st.booleans())}


@st.composite
def topk_args(draw):
    (x,), kwargs = draw(one_dim(keepdim=False))
    k = draw(st.integers(0, x.shape[kwargs["dim"]]))
    return (x,), {**kwargs, "k": k, "largest": draw(st.booleans())}


@st.composite
def masked_fill_args(draw):
    """x, a 0-d value (a tensor: its gradient is checked too), and a bool mask broadcasting to x."""
    x = draw(arrays(shapes(min_dims=1)))
    mask_shape = x.shape[draw(st.integers(0, x.ndim)) :]  # a suffix of x's shape: it broadcasts
    mask = np.array(draw(st.lists(st.booleans(), min_size=int(np.prod(mask_shape)), max_size=int(np.prod(mask_shape)))))
    return (x, draw(arrays(()))), {"mask": mask.reshape(mask_shape)}


@st.composite
def repeat_args(draw):
    x = draw(arrays(shapes(max_dims=2, max_side=3)))
    extra = draw(st.integers(0, 1))
    return (x,), {"repeats": tuple(draw(st.integers(1, 3)) for _ in range(x.ndim + extra))}


@st.composite
def repeat_interleave_args(draw):
    x = draw(arrays(shapes(min_dims=1, max_dims=2, max_side=3)))
    dim = draw(st.none() | st.integers(-x.ndim, x.ndim - 1))
    n = x.size if dim is None else x.shape[dim]
    repeats = draw(st.integers(0, 3) | st.lists(st.integers(0, 3), min_size=n, max_size=n).map(np.array))
    return (x,), {"repeats": repeats, "dim": dim}


@st.composite
def remainder_pair(draw):
    """a % b with b in [0.5, 2] and a/b away from whole numbers (the steps of the remainder)."""
    shape = draw(shapes())
    b = draw(arrays(shape, min_value=0.5, max_value=2.0))
    fraction = draw(arrays(shape, min_value=0.1, max_value=0.9))
    whole = draw(arrays(shape, min_value=-3, max_value=3)).round()
    return ((whole + fraction) * b, b), {}


def _lower_median(x, dim=None, keepdim=False):
    if dim is None:
        return np.sort(x.ravel())[(x.size - 1) // 2]
    picked = np.take(np.sort(x, axis=dim), [(x.shape[dim] - 1) // 2], axis=dim)
    return picked if keepdim else np.squeeze(picked, dim)


def _np_sort(x, dim, descending):
    out = np.sort(x, axis=dim)
    return np.flip(out, dim) if descending else out


def _np_topk(x, dim, k, largest):
    ordered = _np_sort(x, dim, largest)
    return np.take(ordered, np.arange(k), axis=dim)


def _np_repeat_interleave(x, repeats, dim):
    return np.repeat(x.ravel() if dim is None else x, repeats, axis=0 if dim is None else dim)


def _np_gather(x, dim, index):
    part = x[tuple(slice(0, n) if d != dim else slice(None) for d, n in enumerate(index.shape))]
    return np.take_along_axis(part, index, axis=dim)


def _softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _split_ref(x, size, dim):
    n = x.shape[dim]
    return tuple(np.split(x, list(range(size, n, size)), axis=dim))


def _np_transpose(x, dim0, dim1):
    return np.swapaxes(x, dim0, dim1) if x.ndim >= 2 else x


def _np_squeeze(x, dim):
    if dim is None:
        return np.squeeze(x)
    return np.squeeze(x, dim) if x.shape[dim] == 1 else x


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


OPS = [
    # arithmetic with broadcasting
    OpSpec("add", lambda a, b: a + b, np.add, binary()),
    OpSpec("sub", lambda a, b: a - b, np.subtract, binary()),
    OpSpec("mul", lambda a, b: a * b, np.multiply, binary()),
    OpSpec("div", lambda a, b: a / b, np.divide, binary(away_b=(0.0,))),
    OpSpec("pow_tensor", lambda a, b: a**b, np.power, binary(lo_a=0.2, hi_a=2.0)),
    OpSpec("pow_scalar", lambda a: a**3, lambda a: a**3, unary()),
    OpSpec("sqrt_as_pow", lambda a: a**0.5, np.sqrt, unary(0.2, 3.0)),
    OpSpec("rpow", lambda a: 2.0**a, lambda a: 2.0**a, unary()),
    OpSpec("rsub", lambda a: 1.5 - a, lambda a: 1.5 - a, unary()),
    OpSpec("rdiv", lambda a: 1.5 / a, lambda a: 1.5 / a, unary(away_from=(0.0,))),
    OpSpec("neg", lambda a: -a, np.negative, unary()),
    OpSpec("remainder", lambda a, b: a % b, np.remainder, remainder_pair()),
    OpSpec("floor_divide", lambda a, b: a // b, np.floor_divide, binary(lo_b=0.5, hi_b=2.0), grad=False),
    # unary math and activations
    OpSpec("exp", minigrad.exp, np.exp, unary()),
    OpSpec("log", minigrad.log, np.log, unary(0.2, 3.0)),
    OpSpec("sqrt", minigrad.sqrt, np.sqrt, unary(0.2, 3.0)),
    OpSpec("sin", minigrad.sin, np.sin, unary()),
    OpSpec("cos", minigrad.cos, np.cos, unary()),
    OpSpec("abs", minigrad.abs, np.abs, unary(away_from=(0.0,))),
    OpSpec("tanh", minigrad.tanh, np.tanh, unary(-3.0, 3.0)),
    OpSpec("sigmoid", minigrad.sigmoid, _sigmoid, unary(-4.0, 4.0)),
    OpSpec("relu", minigrad.relu, lambda a: np.maximum(a, 0), unary(away_from=(0.0,))),
    OpSpec(
        "clip",
        lambda a: minigrad.clip(a, -0.5, 0.5),
        lambda a: np.clip(a, -0.5, 0.5),
        unary(away_from=(-0.5, 0.5)),
    ),
    OpSpec("clip_low", lambda a: a.clamp(min=0.3), lambda a: np.maximum(a, 0.3), unary(away_from=(0.3,))),
    OpSpec("clamp_min", lambda a: a.clamp_min(-0.2), lambda a: np.maximum(a, -0.2), unary(away_from=(-0.2,))),
    OpSpec("clamp_max", lambda a: a.clamp_max(0.4), lambda a: np.minimum(a, 0.4), unary(away_from=(0.4,))),
    OpSpec("maximum", minigrad.maximum, np.maximum, separated_pair()),
    OpSpec("minimum", minigrad.minimum, np.minimum, separated_pair()),
    OpSpec(
        "where",
        lambda a, b, condition: minigrad.where(condition, a, b),
        lambda a, b, condition: np.where(condition, a, b),
        where_args(),
    ),
    OpSpec(
        "masked_fill",
        lambda x, value, mask: x.masked_fill(mask, value),
        lambda x, value, mask: np.where(mask, value, x),
        masked_fill_args(),
    ),
    OpSpec("clone", minigrad.clone, np.copy, unary()),
    # reductions
    OpSpec("sum", lambda x, axis, keepdims: x.sum(axis, keepdims), np.sum, reduction()),
    OpSpec("mean", lambda x, axis, keepdims: x.mean(axis, keepdims), np.mean, reduction()),
    OpSpec("max", lambda x, axis, keepdims: x.max(axis=axis, keepdims=keepdims), np.max, reduction(distinct=True)),
    OpSpec("min", lambda x, axis, keepdims: x.min(axis=axis, keepdims=keepdims), np.min, reduction(distinct=True)),
    OpSpec(
        "max_dim",
        lambda x, dim, keepdim: x.max(dim, keepdim).values,
        lambda x, dim, keepdim: np.max(x, axis=dim, keepdims=keepdim),
        one_dim(),
    ),
    OpSpec(
        "min_dim",
        lambda x, dim, keepdim: minigrad.min(x, dim=dim, keepdim=keepdim).values,
        lambda x, dim, keepdim: np.min(x, axis=dim, keepdims=keepdim),
        one_dim(),
    ),
    # ordering
    OpSpec(
        "sort",
        lambda x, dim, descending: x.sort(dim, descending).values,
        _np_sort,
        sort_args(),
    ),
    OpSpec(
        "topk",
        lambda x, dim, k, largest: x.topk(k, dim, largest).values,
        _np_topk,
        topk_args(),
    ),
    OpSpec("median", lambda x: x.median(), _lower_median, _no_kwargs(st.tuples(distinct_values()))),
    OpSpec("median_dim", lambda x, dim, keepdim: x.median(dim, keepdim).values, _lower_median, one_dim()),
    OpSpec(
        "var",
        lambda x, axis, keepdims: x.var(axis, keepdims),
        lambda x, axis, keepdims: np.var(x, axis=axis, keepdims=keepdims, ddof=1),
        variance(),
    ),
    OpSpec(
        "logsumexp",
        lambda x, axis, keepdims: x.logsumexp(axis, keepdims),
        lambda x, axis, keepdims: np.log(np.sum(np.exp(x), axis=axis, keepdims=keepdims)),
        reduction(),
    ),
    OpSpec("softmax", lambda x, axis: x.softmax(axis), _softmax, one_axis()),
    OpSpec(
        "log_softmax",
        lambda x, axis: x.log_softmax(axis),
        lambda x, axis: np.log(_softmax(x, axis)),
        one_axis(),
    ),
    # linear algebra
    OpSpec("matmul", lambda a, b: a @ b, np.matmul, matmul_pair()),
    # shapes
    OpSpec("reshape", lambda x, shape: x.reshape(shape), lambda x, shape: x.reshape(shape), reshape_args()),
    OpSpec("flatten", lambda x: x.flatten(), np.ravel, unary()),
    OpSpec("permute", lambda x, axes: x.permute(axes), np.transpose, permute_args()),
    OpSpec("transpose", lambda x, dim0, dim1: x.transpose(dim0, dim1), _np_transpose, two_axes()),
    OpSpec("T", lambda x: x.T, lambda x: x.T, unary()),
    OpSpec("t", lambda x: x.t(), lambda x: x.T, _no_kwargs(st.tuples(arrays(shapes(max_dims=2))))),
    OpSpec(
        "contiguous",
        lambda x: x.t().contiguous(),
        lambda x: np.array(x.T, order="C"),
        _no_kwargs(st.tuples(arrays(shapes(max_dims=2)))),
    ),
    OpSpec("repeat", lambda x, repeats: x.repeat(*repeats), lambda x, repeats: np.tile(x, repeats), repeat_args()),
    OpSpec(
        "repeat_interleave",
        lambda x, repeats, dim: x.repeat_interleave(repeats, dim),
        _np_repeat_interleave,
        repeat_interleave_args(),
    ),
    OpSpec("squeeze", lambda x, dim: x.squeeze(dim), _np_squeeze, squeeze_args()),
    OpSpec("unsqueeze", lambda x, dim: x.unsqueeze(dim), lambda x, dim: np.expand_dims(x, dim), unsqueeze_args()),
    OpSpec("expand", lambda x, shape: x.expand(shape), np.broadcast_to, expand_args()),
    OpSpec("flip", lambda x: x.flip(0), lambda x: np.flip(x, 0), _no_kwargs(st.tuples(arrays(shapes(min_dims=1))))),
    # joining and cutting
    OpSpec("cat", lambda *xs, axis: minigrad.cat(xs, axis), lambda *xs, axis: np.concatenate(xs, axis), several(False)),
    OpSpec("stack", lambda *xs, axis: minigrad.stack(xs, axis), lambda *xs, axis: np.stack(xs, axis), several(True)),
    OpSpec("split", lambda x, size, dim: x.split(size, dim), _split_ref, split_args()),
    OpSpec(
        "unbind",
        lambda x: x.unbind(0),
        lambda x: tuple(x),
        _no_kwargs(st.tuples(arrays(shapes(min_dims=1)))),
    ),
    OpSpec(
        "chunk",
        lambda x: x.chunk(2, 0),
        lambda x: _split_ref(x, -(-x.shape[0] // 2), 0),
        _no_kwargs(st.tuples(arrays(shapes(min_dims=1)))),
    ),
    OpSpec(
        "pad",
        lambda x, pad_width, value: minigrad.pad(x, pad_width, value),
        lambda x, pad_width, value: np.pad(x, pad_width, constant_values=value),
        pad_args(),
    ),
    # indexing
    OpSpec("index_basic", lambda x, key: x[key], lambda x, key: x[key], basic_index()),
    OpSpec("index_int_array", lambda x, key: x[key], lambda x, key: x[key], integer_array_index()),
    OpSpec("index_mask", lambda x, key: x[key], lambda x, key: x[key], mask_index()),
    OpSpec(
        "take",
        lambda x, indices, axis: x.take(indices, axis),
        lambda x, indices, axis: np.take(x, indices, axis=axis),
        take_args(),
    ),
    OpSpec("gather", lambda x, dim, index: x.gather(dim, index), _np_gather, gather_args()),
    OpSpec("take_flat", lambda x, indices: x.take(indices), lambda x, indices: np.take(x, indices), flat_take_args()),
    OpSpec(
        "index_select",
        lambda x, dim, index: x.index_select(dim, index),
        lambda x, dim, index: np.take(x, index, axis=dim),
        index_select_args(),
    ),
]

OPS_BY_NAME = {op.name: op for op in OPS}
