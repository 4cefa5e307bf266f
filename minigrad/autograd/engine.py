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
- **Several-output ops** (``split``, ``unbind``) wait until every output's gradient is in, then call
  backward once, with zeros for outputs that got none (``readable.py`` gets this from its order).
- **Speed.** A graph unrolled over 100,000 steps has a million nodes, and a Python loop pays for every
  attribute and call. So:

  * The schedule is Kahn's algorithm (as PyTorch's engine): ``_count_uses`` counts in ``t._deps`` how
    many gradient contributions each tensor will receive, and a tensor is processed when its count
    reaches 0. That is one pass to count and one to sweep, with no separate sort and no dict of
    gradients: the gradient being built lives on the tensor (``t._g``), and ``t._gown`` says whether
    the engine owns that array (and may add into it in place) or it is an op's return value (which
    may be shared, so the first sum makes a new array).
  * The first contribution of the right shape is kept as is, not copied.
  * An ``IndexGrad`` contribution (what ``x[t]`` returns) is added into one buffer per tensor, so
    taking ``X[t]`` for every step of a sequence costs O(size of X) in total, not O(T · size of X).
  * The per-node loops bind what they call to local names (``pop, push = ...``): a local lookup is
    cheaper than an attribute lookup on every one of a million iterations.
  * The cyclic garbage collector is paused during the sweep (``cyclic_gc_paused``): the graph has no
    reference cycles, and rescanning its growing set of objects would make a long backward quadratic.
  * ``Function.apply`` (``function.py``) shares the few distinct short ``needs_input_grad`` tuples and
    skips the saved-array version check when no tensor at all changed in place since the op ran.

The engine's state on a tensor: ``_deps`` (contributions still to come), ``_g`` (the gradient being
summed), ``_gown`` (whether ``_g`` is the engine's own buffer); on a several-output op: ``_reached``
(outputs not yet processed) and ``_pending`` (their gradients). All are reset when backward ends.
"""

from __future__ import annotations

import contextlib
import gc
import traceback
from typing import TYPE_CHECKING, Any

import numpy as np

import minigrad  # minigrad.Tensor, read when backward runs
from minigrad.autograd.function import _FREED, Function, IndexGrad, _check_saved_versions, _InPlace
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
        if ctx.num_outputs > 1:  # an op with several outputs: count its inputs once, at its first output
            ctx._reached += 1
            if ctx._reached > 1:
                continue
            ctx._pending = [None] * ctx.num_outputs
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
        t._g = np.asarray(acc + g)  # a new array (never write into one an op returned; 0-d sums are scalars)
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
                if t._ctx is not None and t._ctx.num_outputs > 1:
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
        if g is not None and (t._hooks is not None or capture is not None):  # t's own gradient is complete
            if t._hooks is not None:
                g = _run_hooks(t, g, write_retained=capture is None)
            if capture is not None and id(t) in capture:
                capture[id(t)] = g
        ctx = t._ctx
        if ctx is None:  # a leaf
            if g is not None and capture is None:
                _write_grad(t, g)
            continue
        if ctx.num_outputs > 1:
            g = _gather_outputs(ctx, t, g)
            if g is wait:
                continue  # the op's other outputs are not complete yet
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
    if len(grads) > len(ctx.parents) and all(extra is None for extra in grads[len(ctx.parents) :]):
        grads = grads[: len(ctx.parents)]  # trailing Nones (for keyword arguments, say) are allowed, as in PyTorch
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
    ctx._pending[t.output_nr] = g
    ctx._reached -= 1
    if ctx._reached > 0:
        return _WAIT
    grads, ctx._pending = ctx._pending, None
    if all(x is None for x in grads):
        return None
    # zeros for outputs that got no gradient (PyTorch "materializes" them the same way)
    return [np.zeros(shape, dtype) if x is None else x for x, (shape, dtype) in zip(grads, ctx.output_meta)]


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
