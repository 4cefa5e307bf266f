"""The reverse-mode engine: how an op is defined, how the graph is recorded, how gradients flow back.

Read this file top to bottom:

1. ``Function`` — the one way to define an op. Subclass it, write ``forward(ctx, *arrays)`` and
   ``backward(ctx, grad_output)`` on NumPy arrays, call ``MyOp.apply(*tensors)``. This is the shape of
   ``torch.autograd.Function``. ``apply`` runs ``forward`` and, when grad mode is on and an input requires
   grad, records the call: the output tensor keeps the ``ctx`` (its ``grad_fn``), the ``ctx`` keeps its inputs.
2. Grad mode: ``no_grad()`` / ``enable_grad()`` switch recording off and on.
3. ``backward()`` — an iterative topological sweep of the recorded graph, from the output back to the
   leaves: a tensor is processed once every op that used it has sent its gradient contribution.
   Each op returns only its *local* gradients; the engine undoes broadcasting (``unbroadcast``), sums the
   contributions of a tensor used several times, runs hooks, and writes ``.grad`` on leaves.

A tensor's gradient during the sweep lives in ``tensor._g``. Dense contributions are summed; an
``IndexGrad`` contribution (what slicing returns) is added into one buffer per tensor, so taking
``X[t]`` for every step ``t`` of a long sequence costs O(size of X) in total, not O(T * size of X).
"""

from __future__ import annotations

import contextlib
import functools
import gc
import traceback
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from minigrad.tensor import Tensor

# --------------------------------------------------------------------------------------------------
# Grad mode
# --------------------------------------------------------------------------------------------------


class _GradMode:
    """The two switches read on every op: is the graph recorded, is anomaly detection on."""

    enabled = True
    anomaly = False


def is_grad_enabled() -> bool:
    """True when ops record the graph (the default)."""
    return _GradMode.enabled


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


@contextlib.contextmanager
def cyclic_gc_paused() -> Any:
    """Pause Python's cyclic garbage collector while a large graph is built or walked.

    A recorded graph has no reference cycles (a tensor points to its op, the op to its inputs), so
    reference counting frees it. The cyclic collector would only rescan the growing set of graph
    objects again and again, which makes a loop over 100,000 steps superlinear. Used by the step-by-step
    recurrent layers and by ``backward``; wrap your own long loops in it the same way.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


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
# Function: the one way to define an op
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

    # Set on every ctx by ``apply``.
    __slots__ = ("__dict__", "_clock", "_saved", "needs_input_grad", "parents")

    # Defaults for what only some ops need (an instance sets its own when it does).
    _n_out = 1  # number of outputs of forward
    _reached = 0  # during backward: outputs of this op not yet processed
    _pending: Any = None  # during backward: the gradients of the outputs of a several-output op
    _out_meta: tuple = ()  # (shape, dtype) of each output of a several-output op
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
        """Run ``forward`` on the arrays of the arguments and, if needed, record the op in the graph."""
        ctx = _new(cls)
        ctx._saved = ()
        arrays = []
        needs = []
        for a in args:  # (a plain loop: faster than two comprehensions on Python 3.11)
            if isinstance(a, _Tensor):
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
        if type(out) is tuple:
            outputs = tuple(_new_tensor(o, ctx if record else None) for o in out)
        else:
            outputs = _new_tensor(out, ctx if record else None)
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
                o._index = i
            ctx._n_out = len(outputs)
            ctx._out_meta = tuple((o.data.shape, o.data.dtype) for o in outputs)
        if _GradMode.anomaly:
            ctx._stack = traceback.extract_stack()[:-1]
        return outputs


def _new_tensor(array: Any, ctx: Function | None) -> Tensor:
    """A Tensor holding an op's output; ``ctx`` is the op that made it (None: not in a graph)."""
    if type(array) is not np.ndarray:
        array = np.asarray(array)  # NumPy returns scalars for 0-d results
    t = _new(_Tensor)
    t.data = array
    t.grad = None
    t._requires_grad = ctx is not None
    t._ctx = ctx
    t._deps = 0
    t._g = None
    t._hooks = None
    t._vc = None
    return t


_new = object.__new__
_NEEDS: dict = {}  # the few distinct short needs_input_grad tuples, shared


def _check_saved_versions(ctx: Function, out: Tensor) -> None:
    """Raise if an array ``ctx`` saved belongs to a tensor changed in place since the op ran."""
    owners = [p for p in ctx.parents if isinstance(p, _Tensor)] + [out]
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

    def add_into(self, buffer: np.ndarray) -> None:
        if self.accumulate:
            np.add.at(buffer, self.index, self.values)
        else:
            buffer[self.index] += self.values


def unbroadcast(grad: np.ndarray, shape: tuple) -> np.ndarray:
    """Sum a gradient of a broadcast result back to the shape of the input that was broadcast.

    Broadcasting prepends axes and stretches axes of length 1; the gradient of a stretched value is
    the sum over the copies: sum over the prepended axes, then (keeping them) over the stretched ones.
    """
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    if extra > 0:
        grad = grad.sum(axis=tuple(range(extra)))  # drop prepended axes
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if stretched:
        grad = grad.sum(axis=stretched, keepdims=True)
    if grad.shape != shape:  # an op returned a gradient that broadcasts *to* the input (a scalar 0)
        grad = np.broadcast_to(grad, shape)
    return grad


# --------------------------------------------------------------------------------------------------
# The engine
# --------------------------------------------------------------------------------------------------


def _count_uses(roots: list) -> list:
    """Visit every tensor that requires grad and leads to a root; return them.

    On the way, count in ``t._deps`` how many recorded op inputs each tensor is: how many gradient
    contributions it will receive. Iterative, with an explicit stack: BPTT graphs are far deeper than
    Python's recursion limit.
    """
    visited = list(roots)
    stack = list(roots)
    pop, push, visit = stack.pop, stack.append, visited.append  # (local names: once per node)
    while stack:
        t = pop()
        ctx = t._ctx
        if ctx is None:
            continue
        if ctx._n_out > 1:  # an op with several outputs: count its inputs once, at its first output
            ctx._reached += 1
            if ctx._reached > 1:
                continue
            ctx._pending = [None] * ctx._n_out
        for p, need in zip(ctx.parents, ctx.needs_input_grad):
            if need:
                if p._deps == 0:  # first time seen
                    visit(p)
                    push(p)
                p._deps += 1
    return visited


def _accumulate(t: Tensor, g: Any) -> None:
    """Add one contribution to the gradient of ``t`` being built during this backward pass."""
    if type(g) is IndexGrad:
        acc = t._g
        if acc is None or not t._gown:  # start an owned buffer (copy of what is there)
            buffer = np.zeros(t.data.shape, dtype=t.data.dtype)
            if acc is not None:
                buffer += acc
            t._g = acc = buffer
            t._gown = True
        g.add_into(acc)
        return
    if g.shape != t.data.shape:
        g = unbroadcast(g, t.data.shape)
    acc = t._g
    if acc is None:
        t._g = g
        t._gown = False
    elif t._gown:
        acc += g
    else:
        t._g = acc + g  # never write into an array an op returned: it may be shared
        t._gown = True


def run_backward(roots: list, root_grads: list, retain_graph: bool = False, inputs: list | None = None) -> list | None:
    """Backpropagate from ``roots`` (tensors) seeded with ``root_grads`` (arrays).

    A topological sweep by counting (Kahn's algorithm, as PyTorch's engine schedules): a tensor is
    processed once every op that used it has sent its gradient contribution, so its gradient is
    complete; then its own op's backward runs and sends contributions to the op's inputs.

    Without ``inputs``: write ``.grad`` on leaves (accumulating) and on tensors that ``retain_grad()``.
    With ``inputs``: return their gradients instead and leave every ``.grad`` untouched.
    """
    with cyclic_gc_paused():  # a big graph: keep the collector from rescanning it (see cyclic_gc_paused)
        unique = list({id(r): r for r in roots}.values())
        for r in unique:
            r._deps = 1  # the seed is one contribution; it also keeps a root from being visited twice
        visited = _count_uses(unique)
        capture = None if inputs is None else {id(t): None for t in inputs}
        try:
            for r, g in zip(roots, root_grads):
                _accumulate(r, g)
            for r in unique:
                r._deps -= 1
            _sweep([r for r in unique if r._deps == 0], capture, retain_graph)
        except BaseException:
            for t in visited:  # leave no half-built state behind
                t._g = None
                t._deps = 0
                if t._ctx is not None and t._ctx._n_out > 1:
                    t._ctx._reached = 0
                    t._ctx._pending = None
            raise
    if capture is not None:
        return [capture[id(t)] for t in inputs]
    return None


def _sweep(ready: list, capture: dict | None, retain_graph: bool) -> None:
    """Process tensors whose gradient is complete; each op's backward may complete its inputs' gradients."""
    anomaly = _GradMode.anomaly
    pop, push = ready.pop, ready.append  # (local names: this loop runs once per node of the graph)
    ndarray, wait, freed = np.ndarray, _WAIT, _FREED
    while ready:
        t = pop()
        g, t._g = t._g, None
        ctx = t._ctx
        if ctx is not None and ctx._n_out > 1:
            g = _gather_outputs(ctx, t, g)
            if g is wait:
                continue  # the op's other outputs are not complete yet
        if g is not None and (t._hooks is not None or capture is not None):
            if t._hooks is not None:
                g = _run_hooks(t, g, write_retained=capture is None)
            if capture is not None and id(t) in capture:
                capture[id(t)] = g
        if ctx is None:  # a leaf
            if g is not None and capture is None:
                _write_grad(t, g)
            continue
        grads = (None,) * len(ctx.parents) if g is None else _call_backward(ctx, t, g)
        for p, need, pg in zip(ctx.parents, ctx.needs_input_grad, grads):
            if not need:
                continue
            if pg is not None:
                if anomaly:
                    _check_finite(ctx, pg)
                if p._g is None and type(pg) is ndarray and pg.shape == p.data.shape:
                    p._g, p._gown = pg, False  # the first contribution, of the right shape: keep it
                else:
                    _accumulate(p, pg)
            p._deps -= 1
            if p._deps == 0:  # every use of p has sent its share: p's gradient is complete
                push(p)
        if not retain_graph:
            ctx._saved = freed


def _call_backward(ctx: Function, out: Tensor, g: Any) -> tuple:
    """One op's backward: its inputs' gradients, as a tuple with one entry per argument."""
    if ctx._clock != _InPlace.clock and ctx._saved and ctx._saved is not _FREED:
        _check_saved_versions(ctx, out)  # something was changed in place since this op ran
    grads = ctx.backward(ctx, *g) if type(g) is list else ctx.backward(ctx, g)
    if type(grads) is not tuple:
        grads = (grads,)
    if len(grads) != len(ctx.parents):
        raise RuntimeError(
            f"function {ctx.name()} returned an incorrect number of gradients (expected "
            f"{len(ctx.parents)}, got {len(grads)}): return one per positional argument of forward, "
            "None where there is none"
        )
    return grads


_WAIT = object()  # _gather_outputs: not all outputs of the op are complete yet


def _gather_outputs(ctx: Function, t: Tensor, g: Any) -> list | None:
    """Collect the gradients of an op with several outputs: ``_WAIT`` until the last one arrives, then
    all of them (None if none got a gradient)."""
    ctx._pending[t._index] = g
    ctx._reached -= 1
    if ctx._reached > 0:
        return _WAIT
    grads, ctx._pending = ctx._pending, None
    if all(x is None for x in grads):
        return None
    # zeros for outputs that got no gradient (PyTorch "materializes" them the same way)
    return [np.zeros(shape, dtype) if x is None else x for x, (shape, dtype) in zip(grads, ctx._out_meta)]


RETAIN_GRAD = object()  # in a tensor's hook list: write its gradient to .grad (``retain_grad()``)


def _run_hooks(t: Tensor, g: Any, write_retained: bool) -> Any:
    """Call the tensor's hooks in order; each may replace the gradient. ``retain_grad`` writes last."""
    for hook in t._hooks:
        if hook is RETAIN_GRAD:
            continue
        out = hook(g)
        if out is not None:
            out = np.asarray(out)
            if out.shape != t.data.shape:
                raise RuntimeError(f"hook returned a gradient of shape {out.shape}, expected {t.data.shape}")
            g = out
    if write_retained and t._ctx is not None and RETAIN_GRAD in t._hooks:
        _write_grad(t, g)
    return g


def _write_grad(t: Tensor, g: Any) -> None:
    """Accumulate into ``t.grad`` (a leaf, or a tensor that called ``retain_grad()``)."""
    if t.grad is None:
        t.grad = np.array(g, dtype=t.data.dtype, copy=True)  # own it: later calls add into it
    else:
        t.grad += g


def _check_finite(ctx: Function, g: Any) -> None:
    values = g.values if type(g) is IndexGrad else g
    if not np.all(np.isfinite(values)):
        where = "".join(traceback.format_list(list(ctx._stack)[-6:]))
        raise AnomalyError(
            f"Function '{ctx.name()}' returned nan or inf values in its gradient.\n"
            f"The op was created here (traceback of the forward call):\n{where}"
        )


def grad(
    outputs: Any,
    inputs: Any,
    grad_outputs: Any = None,
    retain_graph: bool = False,
    allow_unused: bool = False,
) -> tuple:
    """Gradients of ``outputs`` with respect to ``inputs``, returned instead of written to ``.grad``.

    As ``torch.autograd.grad``: ``outputs`` and ``grad_outputs`` are a tensor or a sequence; returns a
    tuple of NumPy arrays, one per input (``None`` for an unused input when ``allow_unused``).
    """
    outputs = list(outputs) if isinstance(outputs, list | tuple) else [outputs]
    single = not isinstance(inputs, list | tuple)
    inputs = [inputs] if single else list(inputs)
    if grad_outputs is None:
        grad_outputs = [None] * len(outputs)
    elif not isinstance(grad_outputs, list | tuple):
        grad_outputs = [grad_outputs]
    for t in inputs:
        if not t.requires_grad:
            raise RuntimeError("one of the inputs does not require grad: grad() cannot differentiate it")
    seeds = [_seed_gradient(o, g) for o, g in zip(outputs, grad_outputs)]
    grads = run_backward(outputs, seeds, retain_graph=retain_graph, inputs=inputs)
    for g in grads:
        if g is None and not allow_unused:
            raise RuntimeError(
                "One of the differentiated tensors appears to not have been used in the graph. "
                "Set allow_unused=True if this is the desired behavior."
            )
    return tuple(None if g is None else np.array(g, dtype=t.data.dtype) for t, g in zip(inputs, grads))


def _seed_gradient(output: Tensor, gradient: Any) -> np.ndarray:
    """The gradient that starts backward at ``output``: 1 for a scalar, else the one the user passes."""
    if not output.requires_grad:
        raise RuntimeError(
            "element 0 of tensors does not require grad and does not have a grad_fn: "
            "nothing in its computation requires grad (did you forget requires_grad=True, "
            "or compute it under no_grad()?)"
        )
    if gradient is None:
        if output.data.size != 1:
            raise RuntimeError(
                f"grad can be implicitly created only for scalar outputs; this output has shape "
                f"{output.data.shape}: pass gradient= (an array of that shape) or reduce it first, "
                "e.g. loss.sum().backward()"
            )
        return np.ones(output.data.shape, dtype=output.data.dtype)
    gradient = gradient.data if isinstance(gradient, _Tensor) else np.asarray(gradient)
    if gradient.shape != output.data.shape:
        raise RuntimeError(
            f"Mismatch in shape: gradient has shape {gradient.shape} and output has shape {output.data.shape}"
        )
    return gradient.astype(output.data.dtype, copy=False)


def once_differentiable(fn: Any) -> Any:  # pragma: no cover - kept for PyTorch-shaped user code
    """Accepted for PyTorch compatibility: every backward here runs on NumPy arrays already."""
    return functools.wraps(fn)(fn)


# Bound by minigrad.tensor at import (the engine and the Tensor class refer to each other).
_Tensor: Any = None
