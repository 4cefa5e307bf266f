"""Function: the one way to define an op, and how it records itself in the graph.

``Function`` has the shape of ``torch.autograd.Function``: subclass it, write ``forward(ctx, *arrays)``
and ``backward(ctx, grad_output)`` on NumPy arrays, call ``MyOp.apply(*tensors)``. ``apply`` runs
``forward`` and, when grad mode is on and an input requires grad, records the call: the output keeps
the ``ctx`` (its ``grad_fn``), the ``ctx`` keeps its inputs (``ctx.parents``). That chain is the graph.

Also here: the values an op keeps for backward (``ctx.save_for_backward``) and the version counters
that catch one of them being changed in place before backward reads it, and ``IndexGrad``, the
gradient an indexing op returns (zero except at the index).
"""

from __future__ import annotations

import functools
import traceback
from typing import TYPE_CHECKING, Any

import numpy as np

import minigrad  # minigrad.Tensor, read when an op runs (the Tensor's methods call the ops defined on this class)
from minigrad.autograd.grad_mode import _GradMode

if TYPE_CHECKING:
    from minigrad.tensor import Tensor

__all__ = ["Function", "IndexGrad", "VersionCounter", "once_differentiable", "version_counter"]

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
        self.ticks: list = []

    def bump(self) -> None:
        _InPlace.clock += 1
        self.version += 1
        self.ticks.append(_InPlace.clock)
        if len(self.ticks) > 64:
            del self.ticks[:32]

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

_FREED = object()  # marks saved arrays released after a backward without retain_graph


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

    ``ctx`` is an instance of the subclass. Keep arrays for backward with ``ctx.save_for_backward``
    (they are checked against in-place changes and released after backward); keep other values
    (an axis, a shape) as plain attributes. ``ctx.needs_input_grad[i]`` says whether argument ``i``
    needs a gradient, so backward can skip work.
    """

    # Set on every ctx by ``apply``: ``parents`` are the arguments of forward as given (tensors and
    # constants), ``needs_input_grad[i]`` whether argument i is a tensor that requires grad.
    __slots__ = ("__dict__", "_clock", "_saved", "needs_input_grad", "parents")

    # Defaults for what only some ops need (an instance sets its own when it does).
    num_outputs = 1  # how many arrays forward returned (PyTorch: several outputs, one grad_fn)
    output_meta: tuple = ()  # ops with several outputs: (shape, dtype) of each, to make zero gradients
    _reached = 0  # engine, during backward: outputs of this op not yet processed
    _pending: Any = None  # engine, during backward: the gradients of the outputs of a several-output op
    _stack: Any = ()  # in anomaly mode: where the op was created

    # Set to the index of the input whose memory the output views (reshape, transpose, slicing):
    # the output then shares that input's version counter, so an in-place change through either is seen.
    view_of_input: int | None = None

    def save_for_backward(self, *arrays: Any) -> None:
        """Keep arrays that ``backward`` needs. Read them back with ``ctx.saved_tensors``."""
        self._saved = arrays

    @property
    def saved_tensors(self) -> tuple:
        """The arrays given to ``save_for_backward`` (PyTorch's name: they are NumPy arrays here)."""
        saved = self._saved
        if saved is _FREED:
            raise RuntimeError(
                f"Trying to backward through the graph a second time through {self.name()} "
                "(or to read its saved values after they were freed). The values saved for backward "
                "are freed when you call .backward(); pass retain_graph=True to the first "
                ".backward() call if you need to backward through the graph again."
            )
        return saved

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

        The outputs are made by ``Tensor._from_op`` (the one place that builds an op's output); the
        output keeps ``ctx`` as its ``grad_fn`` when the op is recorded.
        """
        Tensor = minigrad.Tensor
        ctx = _new(cls)
        ctx._saved = ()
        arrays = []
        needs = []
        for a in args:  # (a plain loop: faster than two comprehensions on Python 3.11)
            if isinstance(a, Tensor):
                arrays.append(a.data)
                needs.append(a._requires_grad)
            else:
                arrays.append(a)
                needs.append(False)
        needs = tuple(needs)
        if len(needs) <= 4:  # the usual short patterns: one shared tuple each (fewer objects for the GC)
            needs = _NEEDS.setdefault(needs, needs)
        ctx.needs_input_grad = needs
        out = cls.forward(ctx, *arrays, **kwargs) if kwargs else cls.forward(ctx, *arrays)

        record = _GradMode.enabled and True in needs
        grad_fn = ctx if record else None
        if type(out) is tuple:
            outputs = tuple(Tensor._from_op(o, grad_fn) for o in out)
        else:
            outputs = Tensor._from_op(out, grad_fn)
        if cls.view_of_input is not None:  # a view shares its base's version counter
            counter = version_counter(args[cls.view_of_input])
            for o in outputs if type(outputs) is tuple else (outputs,):
                o._vc = counter
        if not record:
            ctx._saved = ()  # nothing will call backward: keep nothing alive
            return outputs

        ctx.parents = args
        ctx._clock = _InPlace.clock
        if type(outputs) is tuple:
            for i, o in enumerate(outputs):
                o._output_nr = i
            ctx.num_outputs = len(outputs)
            ctx.output_meta = tuple((o.data.shape, o.data.dtype) for o in outputs)
        if _GradMode.anomaly:
            ctx._stack = traceback.extract_stack()[:-1]
        return outputs


_new = object.__new__
_NEEDS: dict = {}  # the few distinct short needs_input_grad tuples, shared


def _check_saved_versions(ctx: Function, out: Tensor) -> None:
    """Raise if an array ``ctx`` saved belongs to a tensor changed in place since the op ran."""
    owners = [p for p in ctx.parents if isinstance(p, minigrad.Tensor)] + [out]
    for k, s in enumerate(ctx._saved):
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


def once_differentiable(fn: Any) -> Any:  # pragma: no cover - kept for PyTorch-shaped user code
    """Accepted for PyTorch compatibility: every backward here runs on NumPy arrays already."""
    return functools.wraps(fn)(fn)
