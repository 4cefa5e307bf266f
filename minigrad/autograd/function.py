"""Function: the one way to define an op, and how it records itself in the graph.

``Function`` has the shape of ``torch.autograd.Function``: subclass it, write ``forward(ctx, *arrays)``
and ``backward(ctx, grad_output)`` on NumPy arrays, call ``MyOp.apply(*tensors)``. ``apply`` runs
``forward`` and, when grad mode is on and an input requires grad, records the call: the output keeps
the ``ctx`` (its ``grad_fn``), the ``ctx`` keeps its inputs (``ctx.parents``). That chain is the graph.

Also here: the values an op keeps for backward (``ctx.save_for_backward``) and the version counters
that catch one of them being changed in place before backward reads it; ``IndexGrad``, the
gradient an indexing op returns (zero except at the index), and ``ProductGrad``, the gradient a matrix
product returns for its right operand (aᵀg, which the engine sums over all uses as one product).
"""

from __future__ import annotations

import functools
import itertools
import traceback
from typing import TYPE_CHECKING, Any

import numpy as np

import minigrad  # minigrad.Tensor, read when an op runs (the Tensor's methods call the ops defined on this class)
from minigrad.autograd.grad_mode import _GradMode

if TYPE_CHECKING:
    from minigrad.tensor import Tensor

__all__ = ["Function", "IndexGrad", "ProductGrad", "VersionCounter", "once_differentiable", "version_counter"]

# --------------------------------------------------------------------------------------------------
# Version counters: catching a saved array that was changed in place
# --------------------------------------------------------------------------------------------------


class _InPlace:
    """A clock that ticks at every in-place change of any tensor.

    Each recorded op notes the clock. In backward, an op whose note equals the clock knows that no
    tensor at all was changed in place since it ran, and skips the per-array check: the common case
    costs one comparison.
    """

    clock = 0


class VersionCounter:
    """How many times a tensor's memory was changed in place (PyTorch's ``_version``), and when.

    Shared by a tensor, its views and its ``detach()``-ed copies: they are the same memory. ``ticks``
    keeps the clock readings of the last few changes, enough to tell the version an op saw.
    """

    __slots__ = ("ticks", "version")

    def __init__(self) -> None:
        self.version = 0
        self.ticks: tuple = ()  # (a tuple, not a list: one object less for the GC while nothing changes)

    def bump(self) -> None:
        _InPlace.clock += 1
        self.version += 1
        self.ticks = (*self.ticks[-63:], _InPlace.clock)  # the last 64 changes

    def changes_since(self, clock: int) -> int:
        """How many changes happened after the clock read ``clock`` (a lower bound past the history)."""
        return sum(1 for tick in self.ticks if tick > clock)


def version_counter(t: Tensor) -> VersionCounter:
    """The tensor's counter, made on first need (most tensors are never changed in place)."""
    if t._vc is None:
        t._vc = VersionCounter()
    return t._vc


# --------------------------------------------------------------------------------------------------
# Function
# --------------------------------------------------------------------------------------------------


class _Freed:
    """What ``ctx.saved_tensors`` becomes when backward frees the values: reading them is an error."""

    __slots__ = ()

    def _refuse(self, *args: Any) -> Any:
        raise RuntimeError(
            "Trying to backward through the graph a second time (or to read the values an op saved for "
            "backward after they were freed). The values saved for backward are freed when you call "
            ".backward(); pass retain_graph=True to the first .backward() call if you need to backward "
            "through the graph again."
        )

    __iter__ = __getitem__ = __len__ = _refuse

    def __bool__(self) -> bool:
        return True


_FREED = _Freed()  # ``ctx.saved_tensors`` after a backward without retain_graph


class Function:
    """Base class of every op. Subclass it and define two static methods on NumPy arrays::

        class Cube(Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return x ** 3

            @staticmethod
            def backward(ctx, grad_output):
                (x,) = ctx.saved_tensors
                return grad_output * 3 * x ** 2      # d x^3/dx = 3 x^2

        y = Cube.apply(t)

    ``forward`` receives ``.data`` of every tensor argument and any other argument unchanged.
    It returns one array, or a tuple of arrays for several outputs. ``backward`` receives one gradient
    per output (zeros for an output that got none) and returns one gradient per positional argument
    of ``forward`` (``None`` where there is none; a single value when there is one argument).
    The gradient it returns may have the broadcast shape of the output: the engine sums it back
    to the input's shape.

    ``ctx`` is an instance of the subclass, made by calling it with no arguments (so a subclass needs no
    ``__init__``, and must not require arguments in one). Keep arrays for backward with ``ctx.save_for_backward``
    (they are checked against in-place changes and released after backward); keep other values
    (an axis, a shape) as plain attributes. ``ctx.needs_input_grad[i]`` says whether argument ``i``
    needs a gradient, so backward can skip work.
    """

    # Set on every ctx by ``apply``: ``needs_input_grad[i]`` whether argument i is a tensor that
    # requires grad, and the arguments themselves (``parents``): one or two (nearly every op) in
    # ``_in0`` and ``_in1``, more as the tuple ``_inputs`` (a tuple per op is one more object for
    # Python's cyclic GC to scan, again and again while a long graph grows). An op with several
    # outputs also keeps the tuple of arrays its forward returned (``_outputs``: their shapes and
    # dtypes make the zero gradient of an output nothing used).
    __slots__ = ("__dict__", "_clock", "_in0", "_in1", "_inputs", "_outputs", "needs_input_grad", "saved_tensors")

    # Defaults for what only some ops need (an instance sets its own when it does).
    num_outputs = 1  # how many arrays forward returned (PyTorch: several outputs, one grad_fn)
    _stack: Any = ()  # in anomaly mode: where the op was created

    # Set to the index of the input whose memory the output views (reshape, transpose, slicing):
    # the output then shares that input's version counter, so an in-place change through either is seen.
    view_of_input: int | None = None

    @property
    def output_meta(self) -> tuple:
        """Ops with several outputs: (shape, dtype) of each output, to make zero gradients (else ``()``)."""
        return tuple((o.shape, o.dtype) for o in self._outputs) if self.num_outputs > 1 else ()

    @property
    def parents(self) -> tuple:
        """The arguments of ``forward`` as given (tensors and constants), in order: the op's inputs."""
        n = len(self.needs_input_grad)
        if n == 1:
            return (self._in0,)
        return (self._in0, self._in1) if n == 2 else self._inputs

    def save_for_backward(self, *arrays: Any) -> None:
        """Keep arrays that ``backward`` needs. Read them back as ``ctx.saved_tensors`` (PyTorch's name:
        they are NumPy arrays here), a tuple; after a backward without ``retain_graph`` reading it raises."""
        self.saved_tensors = arrays

    @classmethod
    def name(cls) -> str:
        """The op's name as PyTorch prints a ``grad_fn``: ``TanhBackward``."""
        return cls.__name__ + "Backward"

    def __repr__(self) -> str:
        return f"<{self.name()}>"

    @staticmethod
    def forward(ctx: Any, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("a Function subclass must define forward(ctx, *arrays)")

    @staticmethod
    def backward(ctx: Any, *grad_outputs: np.ndarray) -> Any:
        raise NotImplementedError("a Function subclass must define backward(ctx, grad_output)")

    @classmethod
    def apply(cls, *args: Any, **kwargs: Any) -> Any:
        """Run ``forward`` on the arrays of the arguments and, if needed, record the op in the graph.

        The output keeps ``ctx`` as its ``grad_fn`` when the op is recorded, and ``ctx`` keeps the
        arguments (``ctx.parents``). This runs once per op, so it is written for speed (``engine.py``'s
        docstring lists why each part is as it is): one and two arguments, and one output, are unrolled.
        """
        Tensor = minigrad.Tensor
        ctx = cls()  # (no op defines __init__: the fastest way to make an instance)
        ctx.saved_tensors = ()
        n = len(args)
        if n == 2:
            a, b = ctx._in0, ctx._in1 = args  # (kept by ctx: the op's inputs, ``ctx.parents``)
            need_a = need_b = False
            if isinstance(a, Tensor):
                need_a, a = a._requires_grad, a.data
            if isinstance(b, Tensor):
                need_b, b = b._requires_grad, b.data
            ctx.needs_input_grad = _NEEDS_2[need_a][need_b]
            out = cls.forward(ctx, a, b, **kwargs) if kwargs else cls.forward(ctx, a, b)
            record = (need_a or need_b) and _GradMode.enabled
        elif n == 1:
            a = ctx._in0 = args[0]
            need_a = False
            if isinstance(a, Tensor):
                need_a, a = a._requires_grad, a.data
            ctx.needs_input_grad = _NEEDS_1[need_a]
            out = cls.forward(ctx, a, **kwargs) if kwargs else cls.forward(ctx, a)
            record = need_a and _GradMode.enabled
        else:
            arrays = []
            needs = []
            for a in args:
                if isinstance(a, Tensor):
                    arrays.append(a.data)
                    needs.append(a._requires_grad)
                else:
                    arrays.append(a)
                    needs.append(False)
            ctx._inputs = args
            needs = tuple(needs)
            if n <= 4:  # the usual short patterns: one shared tuple each (fewer objects for the GC)
                needs = _NEEDS.setdefault(needs, needs)
            ctx.needs_input_grad = needs
            out = cls.forward(ctx, *arrays, **kwargs) if kwargs else cls.forward(ctx, *arrays)
            record = True in needs and _GradMode.enabled
        if type(out) is tuple:
            return _several_outputs(ctx, args, out, record)

        # One output. (Tensor._init sets every slot: the one place that lists them.)
        if type(out) is not _ndarray:
            out = np.asarray(out)  # NumPy returns scalars for 0-d results
        t = _new(Tensor)
        if record:
            t._init(out, True, ctx, _next_order())
            ctx._clock = _InPlace.clock
            if _GradMode.anomaly:
                ctx._stack = traceback.extract_stack()[:-1]
        else:
            t._init(out, False, None)
        if cls.view_of_input is not None:  # a view shares its base's version counter
            t._vc = version_counter(args[cls.view_of_input])
        return t


def _several_outputs(ctx: Function, args: tuple, out: tuple, record: bool) -> tuple:
    """The outputs of an op whose forward returned a tuple of arrays (``split``, ``unbind``, ``max(x, dim)``)."""
    Tensor = minigrad.Tensor
    counter = None if ctx.view_of_input is None else version_counter(args[ctx.view_of_input])
    outputs = []
    for i, o in enumerate(out):
        if type(o) is not _ndarray:
            o = np.asarray(o)
        t = _new(Tensor)
        if record:
            t._init(o, True, ctx, _next_order())  # consecutive: the engine finds an op's outputs together
            t._output_nr = i
        else:
            t._init(o, False, None)
        t._vc = counter  # views share their base's version counter
        outputs.append(t)
    if record:
        ctx._clock = _InPlace.clock
        ctx.num_outputs = len(outputs)
        ctx._outputs = out
        if _GradMode.anomaly:
            ctx._stack = traceback.extract_stack()[:-2]
    return tuple(outputs)


_new = object.__new__
_next_order = itertools.count(-1, -1).__next__  # -1, -2, ...: the op outputs' ``_order``, latest smallest
_ndarray = np.ndarray
_NEEDS: dict = {}  # the few distinct short needs_input_grad tuples of three or more arguments, shared
_NEEDS_1 = ((False,), (True,))  # needs_input_grad of one argument: _NEEDS_1[requires grad]
_NEEDS_2 = (((False, False), (False, True)), ((True, False), (True, True)))  # _NEEDS_2[a needs][b needs]


def _check_saved_versions(ctx: Function, out: Tensor) -> None:
    """Raise if an array ``ctx`` saved belongs to a tensor changed in place since the op ran."""
    if ctx.saved_tensors is _FREED:
        return  # backward will say that the saved values were freed
    owners = [p for p in ctx.parents if isinstance(p, minigrad.Tensor)] + [out]
    for k, s in enumerate(ctx.saved_tensors):
        for owner in owners:
            if owner.data is s and owner._vc is not None:
                changes = owner._vc.changes_since(ctx._clock)
                if changes:
                    now = owner._vc.version
                    raise RuntimeError(
                        f"one of the arrays needed for gradient computation has been modified by an "
                        f"in-place operation: saved tensor {k} of {ctx.name()} (shape {owner.shape}) is at "
                        f"version {now}; expected version {now - changes} instead. Do not change a tensor "
                        f"in place after using it in a computation you will backpropagate through "
                        f"(change a .clone(), or compute out of place)."
                    )
                break


class IndexGrad:
    """A gradient that is zero except ``values`` at ``index``: what the backward of ``x[index]`` returns.

    The engine adds it into one buffer per tensor instead of materialising a full-size array per use.
    ``accumulate=True`` uses ``np.add.at`` (an integer-array index may repeat positions).
    """

    __slots__ = ("accumulate", "index", "values")

    def __init__(self, index: Any, values: np.ndarray, accumulate: bool = False) -> None:
        self.index = index
        self.values = values
        self.accumulate = accumulate

    def to_dense(self, shape: tuple, dtype: np.dtype) -> np.ndarray:
        """The full gradient: zeros of ``shape`` with ``values`` added at ``index``."""
        dense = np.zeros(shape, dtype=dtype)
        self.add_into(dense)
        return dense

    def add_into(self, buffer: np.ndarray) -> None:
        if self.accumulate:
            np.add.at(buffer, self.index, self.values)
        else:
            buffer[self.index] += self.values


class ProductGrad:
    """A gradient given as the matrix product ``aᵀ g``, not yet computed: what ``a @ w`` returns for ``w``.

    A weight used at every step of a sequence receives one such product per step. The engine keeps them
    and computes their sum as one product of the stacked rows, Σ_k a_kᵀ g_k = [a_1; ...; a_n]ᵀ [g_1; ...;
    g_n]: one large matrix product, which BLAS computes faster than n thin ones, and no weight-sized
    array per step to allocate and add.
    """

    __slots__ = ("a", "g")

    def __init__(self, a: np.ndarray, g: np.ndarray) -> None:
        self.a = a  # (m, k)
        self.g = g  # (m, n)

    def to_dense(self, shape: tuple, dtype: np.dtype) -> np.ndarray:
        """The full gradient, ``aᵀ g`` (of ``shape``, (k, n))."""
        return self.a.T @ self.g  # (k, m) @ (m, n) -> (k, n)


def once_differentiable(fn: Any) -> Any:  # pragma: no cover - kept for PyTorch-shaped user code
    """Accepted for PyTorch compatibility: every backward here runs on NumPy arrays already."""
    return functools.wraps(fn)(fn)
