"""The backward engine: ``readable.py``'s algorithm, plus what a real engine needs.

Read ``readable.py`` first: a topological order of the ops, each op's backward from the loss back to the
leaves, ``unbroadcast``, the contributions of a tensor summed, ``.grad`` written on the leaves. This file
computes the same gradients (``tests/test_readable_engine.py`` holds the two equal to 1e-12 across the
op registry and random graphs) and adds:

- **Hooks and retained gradients** (``register_hook``, ``retain_grad``): a tensor's hooks run once its
  gradient is complete, and may replace it.
- **Gradients returned instead of written** (``minigrad.grad``, used by ``gradcheck``): ``inputs`` are
  captured and no ``.grad`` is touched.
- **Freeing what the graph saved** after backward (unless ``retain_graph=True``), so a training loop's
  memory stays flat, and a clear error on a second backward through freed values.
- **In-place checks**: an op whose saved array was changed in place since it ran refuses to backward
  (``function.py``'s version counters).
- **Anomaly mode** (``detect_anomaly``): every gradient an op returns is checked for NaN and inf, and
  the first bad one names the op and the user's line that created it.
- **Several-output ops** (``split``, ``unbind``) call backward once, with every output's gradient
  (zeros for outputs that got none; ``readable.py`` gets this from its order).
- **Speed.** A graph unrolled over 100,000 steps has a million nodes, and a Python loop pays for every
  attribute, call and object. Each trick below keeps every gradient (``tests/test_readable_engine.py``,
  ``tests/test_engine_speed_invariants.py``); why each is there:

  * **No pass over the graph before the sweep.** ``Function.apply`` numbers every op's output as it is
    recorded (``t._order``: -1, -2, ...). An op's inputs were made before it, so recording order is a
    topological order: backward keeps the tensors that have received a gradient in a heap and always
    takes the latest one; every op that used it was recorded later and has already sent its share, so
    its gradient is complete. Kahn's algorithm (PyTorch's engine counts dependencies the same way)
    first counts every tensor's uses in a separate walk: on a chain of small ops, a third of backward.
    Parts of graphs, several roots, ``retain_graph`` and tensors also used outside the loss's graph need
    nothing more (counting uses while recording would get those wrong). The heap holds the frontier
    only (one or two tensors on a chain). Leaves wait in a list and are written at the end (nothing
    depends on them). The outputs of a several-output op have consecutive numbers: when the first is
    taken, the others that got a gradient are on top of the heap.
  * **The gradient being built lives on the tensor** (``t._g``), no dict of gradients. ``t._gown`` says
    whether the engine owns that array (and may add into it in place) or it is an op's return value
    (which may be shared, so the first sum makes a new array). The first contribution of the right
    shape is kept as is, not copied; one broadcast only over axes of length 1 (a bias added to a
    single row) is reshaped, not summed.
  * **Contributions that are recipes, not arrays.** An ``IndexGrad`` (what ``x[t]`` returns) is added
    into one buffer per tensor, so taking ``X[t]`` at every step costs O(size of X) in all, not
    O(T · size of X). A ``ProductGrad`` (what ``a @ w`` returns for a matrix ``w``: aᵀg) is kept until
    the tensor is complete, then all of them are summed as ONE matrix product of the stacked rows
    (``_Products``): a weight used at every step of a sequence gets one large product, which BLAS
    computes much faster than T thin ones, and no weight-sized array per step (at B = 1 each would
    be an outer product as large as the weight). The rows kept are bounded (``_STACKED_BYTES``), so a
    sequence of any length takes little memory for them.
  * **The sweep is one loop** with the op's backward called inline, and binds what it calls to local
    names (``pop, push = ...``): a local lookup is cheaper than an attribute lookup, a call more
    expensive than either, on every one of a million iterations.
  * **The cyclic garbage collector is paused during the sweep** (``cyclic_gc_paused``): the graph has no
    reference cycles, and rescanning its objects again and again would make a long backward quadratic.
  * **Two objects per recorded op.** Every object an op leaves behind is one more for the cyclic GC to
    rescan at each full collection while a user's loop builds a long graph (the user's GC settings are
    theirs: nothing here changes them). ``Function.apply`` (``function.py``) leaves the output tensor
    and the ``ctx``: one or two inputs go to slots of ``ctx`` (``ctx.parents`` builds the tuple when
    asked), the few distinct ``needs_input_grad`` tuples are shared, ``saved_tensors`` is a slot, a
    version counter keeps its history in a tuple, a several-output op keeps its forward's tuple of
    arrays instead of per-output metadata.
  * **Fewer calls per op.** ``apply`` unrolls one and two arguments, makes the output with one call
    (``Tensor._init``, the one place that lists a tensor's slots), and skips the saved-array version
    check when no tensor at all changed in place since the op ran.
  * **The op classes** avoid what is slow in NumPy on small arrays: a Python scalar in an elementwise
    expression (tanh' is g - g·tanh², not g·(1 - tanh²)), temporaries (the sigmoid's four steps run in
    one buffer; ``x * x`` computes g·x once for both of its arguments), and ``np.split`` (``split``
    slices).

The engine's state on a tensor: ``_g`` (the gradient being summed) and ``_gown`` (whether ``_g`` is the
engine's own buffer), reset as each tensor is processed and when backward ends, normally or not.
"""

from __future__ import annotations

import contextlib
import gc
import traceback
from heapq import heappop, heappush
from typing import TYPE_CHECKING, Any

import numpy as np

import minigrad  # minigrad.Tensor, read when backward runs
from minigrad.autograd.function import _FREED, Function, IndexGrad, ProductGrad, _check_saved_versions, _InPlace
from minigrad.autograd.grad_mode import AnomalyError, _GradMode
from minigrad.autograd.readable import unbroadcast

if TYPE_CHECKING:
    from minigrad.tensor import Tensor

__all__ = ["backward", "cyclic_gc_paused", "grad", "run_backward", "unbroadcast"]


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


def _accumulate(t: Tensor, g: Any) -> None:
    """Add one contribution to the gradient of ``t`` being built during this backward pass."""
    acc = t._g
    if type(acc) is _Products:
        if type(g) is ProductGrad:
            acc.add(g)
            return
        t._g, t._gown = acc.total(), True  # another kind of contribution: sum the products first
        acc = t._g
    if type(g) is ProductGrad:
        t._g = _Products(g, acc)
        return
    if type(g) is IndexGrad:
        if acc is None or not t._gown:  # start an owned buffer (copy of what is there)
            buffer = np.zeros(t.data.shape, dtype=t.data.dtype)
            if acc is not None:
                buffer += acc
            t._g = acc = buffer
            t._gown = True
        g.add_into(acc)
        return
    if g.shape != t.data.shape:
        # broadcast axes of length 1 only (a bias added to one row): the sum over them is a reshape
        g = g.reshape(t.data.shape) if g.size == t.data.size else unbroadcast(g, t.data.shape)
    if acc is None:
        t._g = g
        t._gown = False
    elif t._gown:
        acc += g
    else:
        t._g = np.asarray(acc + g)  # a new array (never write into one an op returned; 0-d sums are scalars)
        t._gown = True


class _Products:
    """The ``ProductGrad`` contributions (aᵀ g) a tensor has received, summed as one matrix product.

    The rows of the a's and of the g's are stacked, Σ_k a_kᵀ g_k = Aᵀ G, when the tensor's gradient is
    complete, or whenever the g's kept add up to ``_STACKED_BYTES`` (the g's are kept alive until then:
    a bound keeps that memory small and reused, however long the sequence); ``dense`` holds what is
    summed so far (and an array gradient the tensor had before).
    """

    __slots__ = ("a", "dense", "g", "nbytes")

    def __init__(self, first: ProductGrad, dense: Any) -> None:
        self.a, self.g, self.nbytes, self.dense = [first.a], [first.g], first.g.nbytes, dense

    def add(self, p: ProductGrad) -> None:
        self.a.append(p.a)
        self.g.append(p.g)
        self.nbytes += p.g.nbytes
        if self.nbytes >= _STACKED_BYTES:
            self.dense, self.a, self.g, self.nbytes = self.total(), [], [], 0

    def total(self) -> np.ndarray:
        """Σ aᵀ g (plus ``dense``), a new array."""
        if not self.a:
            return self.dense
        a = self.a[0] if len(self.a) == 1 else np.concatenate(self.a)  # (rows, k)
        g = self.g[0] if len(self.g) == 1 else np.concatenate(self.g)  # (rows, n)
        out = a.T @ g  # (k, rows) @ (rows, n) -> (k, n)
        if self.dense is not None:
            out += self.dense
        return out


_STACKED_BYTES = 1 << 20  # g's a _Products keeps before it sums what it has (1 MiB: bounded memory)


def run_backward(roots: list, root_grads: list, retain_graph: bool = False, inputs: list | None = None) -> list | None:
    """Backpropagate from ``roots`` (tensors) seeded with ``root_grads`` (arrays).

    The tensors are processed from the latest recorded op back to the earliest: every op that used a
    tensor was recorded after the op that made it, so by the time a tensor is reached, every
    contribution to its gradient has been sent, and its own op's backward can run. The tensors that
    have received a gradient and wait for their turn are kept in a heap, ordered by ``_order``.

    Without ``inputs``: write ``.grad`` on leaves (accumulating) and on tensors that ``retain_grad()``.
    With ``inputs``: return their gradients instead and leave every ``.grad`` untouched.
    """
    capture = None if inputs is None else {id(t): None for t in inputs}
    heap: list = []  # (order, tensor) of the tensors made by an op that have a gradient and wait
    leaves: list = []  # the leaves that have a gradient, in the order they got their first contribution
    with cyclic_gc_paused():  # a big graph: keep the collector from rescanning it (see cyclic_gc_paused)
        try:
            for r, g in zip(roots, root_grads):
                if r._g is None:
                    if r._ctx is None:
                        leaves.append(r)
                    else:
                        heappush(heap, (r._order, r))
                _accumulate(r, g)
            _sweep(heap, leaves, capture, retain_graph)
            for t in leaves:  # nothing depends on a leaf: their gradients are complete at the end
                g = t._g
                t._g = None
                if type(g) is _Products:
                    g = g.total()
                if t._hooks is not None:
                    g = _run_hooks(t, g, write_retained=False)
                if capture is None:
                    _write_grad(t, g)
                elif id(t) in capture:
                    capture[id(t)] = g
        except BaseException:
            for _, t in heap:  # leave no half-built state behind
                t._g = None
            for t in leaves:
                t._g = None
            raise
    if capture is not None:
        return [capture[id(t)] for t in inputs]
    return None


def _sweep(heap: list, leaves: list, capture: dict | None, retain_graph: bool) -> None:
    """Pop the latest tensor (its gradient is complete), run its op's backward, send the contributions on."""
    anomaly = _GradMode.anomaly
    capturing = capture is not None
    pop, push, leaf = heappop, heappush, leaves.append  # (local names: this loop runs once per node)
    ndarray, freed, inplace = np.ndarray, _FREED, _InPlace
    while heap:
        t = pop(heap)[1]
        g = t._g
        t._g = None
        if type(g) is _Products:
            g = g.total()
        if t._hooks is not None or capturing:  # t's own gradient is complete
            if t._hooks is not None:
                g = _run_hooks(t, g, write_retained=not capturing)
            if capturing and id(t) in capture:
                capture[id(t)] = g
        ctx = t._ctx
        if ctx._clock != inplace.clock:
            _check_saved_versions(ctx, t)  # something was changed in place since this op ran
        if ctx.num_outputs == 1:
            grads = ctx.backward(ctx, g)  # the op's backward
        else:
            grads = ctx.backward(ctx, *_gather_outputs(heap, ctx, t, g, capture))
        if type(grads) is not tuple:
            grads = (grads,)
        needs = ctx.needs_input_grad
        n = len(needs)
        parents = (ctx._in0, ctx._in1) if n == 2 else (ctx._in0,) if n == 1 else ctx._inputs  # (ctx.parents)
        if len(grads) != n:
            grads = _one_per_argument(ctx, grads)
        for p, need, pg in zip(parents, needs, grads):
            if not need or pg is None:
                continue
            if anomaly:
                _check_finite(ctx, pg)
            if p._g is not None:
                _accumulate(p, pg)
                continue
            if type(pg) is ndarray and pg.shape == p.data.shape:
                p._g = pg  # the first contribution, of the right shape: keep it
                p._gown = False
            else:
                _accumulate(p, pg)
            if p._ctx is None:  # p's first contribution: it now waits for its turn
                leaf(p)
            else:
                push(heap, (p._order, p))
        grads = pg = None  # hold no contribution while the next op's backward runs (one array less at the peak)
        if not retain_graph:
            ctx.saved_tensors = freed


def _one_per_argument(ctx: Function, grads: tuple) -> tuple:
    """An op's gradients, one per argument: trailing Nones dropped (as PyTorch allows), else an error."""
    n = len(ctx.parents)
    if len(grads) > n and all(extra is None for extra in grads[n:]):
        return grads[:n]  # trailing Nones (for keyword arguments, say) are allowed, as in PyTorch
    raise RuntimeError(
        f"function {ctx.name()} returned an incorrect number of gradients (expected "
        f"{n}, got {len(grads)}): return one per positional argument of forward, "
        "None where there is none"
    )


def _gather_outputs(heap: list, ctx: Function, t: Tensor, g: Any, capture: dict | None) -> list:
    """The gradients of every output of an op with several outputs, once the first of them is popped.

    The outputs' orders are consecutive, so those that wait in the heap are on top of it now; an
    output that got no gradient gets zeros (PyTorch "materializes" them the same way).
    """
    grads: list = [None] * ctx.num_outputs
    grads[t._output_nr] = g
    while heap and heap[0][1]._ctx is ctx:  # the op's other outputs that got a gradient
        s = heappop(heap)[1]
        gs = s._g
        s._g = None
        if type(gs) is _Products:
            gs = gs.total()
        if s._hooks is not None:
            gs = _run_hooks(s, gs, write_retained=capture is None)
        if capture is not None and id(s) in capture:
            capture[id(s)] = gs
        grads[s._output_nr] = gs
    return [np.zeros_like(o) if x is None else x for x, o in zip(grads, ctx._outputs)]


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
    values = g.values if type(g) is IndexGrad else g.to_dense(None, None) if type(g) is ProductGrad else g
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
    gradient = gradient.data if isinstance(gradient, minigrad.Tensor) else np.asarray(gradient)
    if gradient.shape != output.data.shape:
        raise RuntimeError(
            f"Mismatch in shape: gradient has shape {gradient.shape} and output has shape {output.data.shape}"
        )
    return gradient.astype(output.data.dtype, copy=False)


def backward(tensors: Any, grad_tensors: Any = None, retain_graph: bool = False) -> None:
    """``torch.autograd.backward``: backpropagate from one tensor or several, writing ``.grad`` on leaves.

    ``loss.backward()`` is ``backward(loss)``; with several outputs, pass one gradient per output
    (``None`` for one-element outputs).
    """
    tensors = list(tensors) if isinstance(tensors, list | tuple) else [tensors]
    if grad_tensors is None:
        grad_tensors = [None] * len(tensors)
    elif not isinstance(grad_tensors, list | tuple):
        grad_tensors = [grad_tensors]
    if len(grad_tensors) != len(tensors):
        raise RuntimeError(
            f"got {len(tensors)} tensors and {len(grad_tensors)} gradients: pass one gradient per tensor"
        )
    seeds = [_seed_gradient(t, g) for t, g in zip(tensors, grad_tensors)]
    run_backward(tensors, seeds, retain_graph=retain_graph)
