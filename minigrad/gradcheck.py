"""Check a function's gradients against central finite differences.

For every input x_i that requires grad and every output y_o that requires grad, the analytical Jacobian
(one backward pass per output element) is compared with the numerical one:

    J[k, j] ≈ (y_k(x + ε e_j) - y_k(x - ε e_j)) / 2ε

``fast_mode`` compares random projections vᵀ J u instead, one per (input, output) pair and per draw of
(u, v) (a backward pass per output and two forward passes per input, per draw), which is what makes
whole-sequence layers checkable. Central differences in float64 have an error of order ε² + machine-ε/ε,
so inputs must be float64.

Going beyond ``torch.autograd.gradcheck``, outputs that do *not* require grad are checked too: a
floating-point output that changes when a checked input changes has lost its graph (a ``.detach()``,
``.data``, a trip through NumPy or ``no_grad`` inside ``fn``), and autograd would silently give it a zero
gradient. Integer and bool outputs (``argmax``, masks) are non-differentiable by nature and are not
checked; a floating output that does not depend on the inputs (a constant) passes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

import minigrad  # minigrad.Tensor, grad and no_grad, looked up when a check runs


class GradcheckError(AssertionError):
    """The analytical and numerical gradients disagree (or backward misbehaves)."""


def gradcheck(
    fn: Callable[..., Any],
    inputs: Any,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    fast_mode: bool = False,
    raise_exception: bool = True,
    seed: int = 0,
    projections: int = 1,
) -> bool:
    """Compare the gradients autograd computes for ``fn(*inputs)`` with central finite differences.

    Args:
        fn: takes ``*inputs`` and returns a tensor or a tuple of tensors.
        inputs: a tensor or a sequence of arguments; the float64 tensors with ``requires_grad=True``
            are checked, other arguments are passed through.
        eps: the finite-difference step.
        atol, rtol: an entry passes when |analytical - numerical| <= atol + rtol * |numerical|.
        fast_mode: check vᵀ J u for random u, v ~ N(0, 1), for each (input, output) pair, instead of
            every entry of J.
        raise_exception: raise ``GradcheckError`` on failure (else return False).
        seed: for the random projections of ``fast_mode``.
        projections: how many draws of (u, v) ``fast_mode`` checks (each costs two forward passes
            per input and a backward pass per output).

    Also checks that an output that does not require grad does not depend on a checked input (only
    floating outputs: integer and bool ones are non-differentiable), that backward with a zero output
    gradient gives zero, and that two backward passes give the same result. Returns True when every
    check passes.

    What a 1% gradient error does (with the default tolerances, proven in tests/test_gradcheck.py):

    - full mode fails on every Jacobian entry off by more than atol + rtol·|entry|: a 1% error of any
      entry larger than atol / (0.01 - rtol) ≈ 1.1e-3 in magnitude fails.
    - fast mode fails on a gradient scaled by 1.01 (a wrong coefficient: every entry of one input's
      gradient off by 1%) unless |vᵀ J u| of that pair is below ≈ 1.1e-3 in every projection. An
      error of 1% of the gradient's norm in any other direction changes vᵀ J u by a random amount:
      one projection misses it with probability about 6% (a property test that calls gradcheck on
      many draws catches it), ``projections=3`` about 0.02%. Because each (input, output) pair is
      projected on its own, a 1% error in a small input's gradient is not hidden by a large one's.
    """
    if projections < 1:
        raise ValueError(f"gradcheck: projections must be at least 1, got {projections}")
    inputs = (inputs,) if isinstance(inputs, minigrad.Tensor) else tuple(inputs)
    wrt = [i for i, x in enumerate(inputs) if isinstance(x, minigrad.Tensor) and x.requires_grad]
    if not wrt:
        raise ValueError("gradcheck: no input requires grad; pass tensors made with requires_grad=True")
    for i in wrt:
        if inputs[i].dtype != np.float64:
            raise TypeError(
                f"gradcheck: input {i} has dtype {inputs[i].dtype}; finite differences need float64 "
                "(in float32 their error swamps the gradient). Use .double(), dtype=np.float64, or "
                "minigrad.set_default_dtype(np.float64)."
            )
    try:
        _run_checks(fn, inputs, wrt, eps, atol, rtol, fast_mode, seed, projections)
    except GradcheckError:
        if raise_exception:
            raise
        return False
    return True


def _outputs(fn: Callable, inputs: tuple) -> list:
    out = fn(*inputs)
    outs = list(out) if isinstance(out, list | tuple) else [out]
    for k, o in enumerate(outs):
        if not isinstance(o, minigrad.Tensor):
            raise TypeError(f"gradcheck: output {k} of fn is a {type(o).__name__}, not a Tensor")
    return outs


def _evaluate(fn: Callable, inputs: tuple) -> list:
    """The outputs' values as float64 arrays, without recording a graph."""
    with minigrad.no_grad():
        return [np.array(o.data, dtype=np.float64) for o in _outputs(fn, inputs)]


def _run_checks(
    fn: Callable,
    inputs: tuple,
    wrt: list,
    eps: float,
    atol: float,
    rtol: float,
    fast_mode: bool,
    seed: int,
    projections: int,
) -> None:
    outs = _outputs(fn, inputs)
    diff = [k for k, o in enumerate(outs) if o.requires_grad]
    # outputs without a graph that could have had one: floating ones (integers and bools have no gradient)
    detached = [k for k, o in enumerate(outs) if not o.requires_grad and np.issubdtype(o.dtype, np.inexact)]
    if fast_mode:
        _check_projections(fn, inputs, wrt, outs, diff, detached, eps, atol, rtol, seed, projections)
    else:
        _check_full_jacobians(fn, inputs, wrt, outs, diff, detached, eps, atol, rtol)
    if not diff:
        raise GradcheckError("gradcheck: no output of fn requires grad (is the graph connected to the inputs?)")
    _check_zero_and_repeat(outs, diff, [inputs[i] for i in wrt], wrt)


def _backward(outs: list, diff: list, seeds: list, xs: list) -> list:
    """Gradients of Σ_o <seed_o, y_o> with respect to each x (zeros where unused)."""
    grads = minigrad.grad([outs[k] for k in diff], xs, seeds, retain_graph=True, allow_unused=True)
    return [np.zeros(x.shape) if g is None else g for x, g in zip(xs, grads)]


def _perturbed(fn: Callable, inputs: tuple, x: Any, step: np.ndarray) -> list:
    """(fn(x + step) - fn(x - step)) / 2 for every output, x restored afterwards."""
    original = x.data.copy()
    try:
        x.data[...] = original + step
        plus = _evaluate(fn, inputs)
        x.data[...] = original - step
        minus = _evaluate(fn, inputs)
    finally:
        x.data[...] = original
    return [(p - m) / 2 for p, m in zip(plus, minus)]


def _check_full_jacobians(
    fn: Callable, inputs: tuple, wrt: list, outs: list, diff: list, detached: list, eps: float, atol: float, rtol: float
) -> None:
    xs = [inputs[i] for i in wrt]
    # analytical: row r of J[k] is the gradient of element r of output k (one backward pass per row)
    analytical = {k: [np.zeros((outs[k].data.size, x.data.size)) for x in xs] for k in diff}
    for k in diff:
        for r in range(outs[k].data.size):
            seed = np.zeros(outs[k].shape, dtype=outs[k].dtype)
            seed.flat[r] = 1.0
            for a, g in zip(analytical[k], _backward(outs, [k], [seed], xs)):
                a[r] = g.ravel()
    # numerical: column j of every output's J from perturbing element j of one input
    for x_pos, (i, x) in enumerate(zip(wrt, xs)):
        numerical = [np.zeros((o.data.size, x.data.size)) for o in outs]
        for j in range(x.data.size):
            step = np.zeros(x.shape)
            step.flat[j] = eps
            for column, change in zip(numerical, _perturbed(fn, inputs, x, step)):
                column[:, j] = change.ravel() / eps
        for k in detached:
            _check_independent(numerical[k], k, i, atol, rtol, outs[k].shape, x.shape)
        for k in diff:
            _compare(
                analytical[k][x_pos],
                numerical[k],
                atol,
                rtol,
                f"output {k} with respect to input {i}",
                outs[k].shape,
                x.shape,
            )


def _check_independent(
    numerical: np.ndarray, k: int, i: int, atol: float, rtol: float, out_shape: tuple, in_shape: tuple
) -> None:
    """Output k has no graph, so autograd says its Jacobian is 0: finite differences must agree."""
    bad = np.abs(numerical) > atol + rtol * np.abs(numerical)  # the test of _compare, with analytical = 0
    if not bad.any():
        return
    r, j = np.unravel_index(np.argmax(np.where(bad, np.abs(numerical), -1)), numerical.shape)
    where = f"d output{_index(r, out_shape)} / d input{_index(j, in_shape)}" if numerical.shape[1] > 1 else ""
    raise GradcheckError(
        f"output {k} does not require grad but depends on input {i}: was it detached? "
        f"(finite differences give {where or 'a directional derivative of'} {numerical[r, j]!r}, "
        f"autograd gives it no gradient at all). Look for .detach(), .data, a NumPy round trip or no_grad "
        "inside fn. Only floating outputs are checked: integer and bool outputs (argmax, masks) are "
        "taken as non-differentiable."
    )


def _index(flat: int, shape: tuple) -> list:
    return [int(n) for n in np.unravel_index(flat, shape)] if shape else []


def _compare(
    analytical: np.ndarray,
    numerical: np.ndarray,
    atol: float,
    rtol: float,
    what: str,
    out_shape: tuple,
    in_shape: tuple,
) -> None:
    bad = np.abs(analytical - numerical) > atol + rtol * np.abs(numerical)
    if not bad.any():
        return
    worst = np.argmax(np.where(bad, np.abs(analytical - numerical), -1))
    r, j = np.unravel_index(worst, analytical.shape)
    a, n = analytical[r, j], numerical[r, j]
    raise GradcheckError(
        f"Jacobian mismatch for {what}: {int(bad.sum())} of {bad.size} entries differ.\n"
        f"Worst: d output{_index(r, out_shape)} / d input{_index(j, in_shape)}\n"
        f"    analytical: {a!r}\n    numerical:  {n!r}\n    difference: {a - n!r} "
        f"(allowed: atol {atol} + rtol {rtol} * |numerical| = {atol + rtol * abs(n):.3g})\n"
        f"analytical Jacobian (rows: output elements, columns: input elements):\n{analytical}\n"
        f"numerical Jacobian:\n{numerical}"
    )


def _check_projections(
    fn: Callable,
    inputs: tuple,
    wrt: list,
    outs: list,
    diff: list,
    detached: list,
    eps: float,
    atol: float,
    rtol: float,
    seed: int,
    projections: int,
) -> None:
    rng = np.random.default_rng(seed)
    xs = [inputs[i] for i in wrt]
    for draw in range(projections):
        us = [rng.standard_normal(x.shape) for x in xs]
        vs = {k: rng.standard_normal(outs[k].shape) for k in diff}
        # analytical vᵀ J u: the gradient of <v, y_k> with respect to x_i, dotted with u_i
        analytical = {k: [np.sum(g * u) for g, u in zip(_backward(outs, [k], [vs[k]], xs), us)] for k in diff}
        for x_pos, (i, x, u) in enumerate(zip(wrt, xs, us)):
            # numerical: the directional derivative of every output along u_i
            along_u = [change / eps for change in _perturbed(fn, inputs, x, eps * u)]
            for k in detached:
                _check_independent(along_u[k].reshape(-1, 1), k, i, atol, rtol, outs[k].shape, ())
            for k in diff:
                a, n = float(analytical[k][x_pos]), float(np.sum(vs[k] * along_u[k]))
                if abs(a - n) > atol + rtol * abs(n):
                    raise GradcheckError(
                        f"Jacobian mismatch for output {k} with respect to input {i} (fast mode: random "
                        f"projection vᵀ J u, draw {draw + 1} of {projections}):\n"
                        f"    analytical: {a!r}\n    numerical:  {n!r}\n    difference: {a - n!r} "
                        f"(allowed: atol {atol} + rtol {rtol} * |numerical| = {atol + rtol * abs(n):.3g})\n"
                        "Run with fast_mode=False on a smaller input to see which entries differ."
                    )


def _check_zero_and_repeat(outs: list, diff: list, xs: list, wrt: list) -> None:
    zeros = [np.zeros(outs[k].shape) for k in diff]
    for i, g in zip(wrt, _backward(outs, diff, zeros, xs)):
        if np.any(g != 0):
            raise GradcheckError(f"backward with a zero output gradient gave a non-zero gradient for input {i}")
    rng = np.random.default_rng(1)
    seeds = [rng.standard_normal(outs[k].shape) for k in diff]
    first = _backward(outs, diff, seeds, xs)
    second = _backward(outs, diff, seeds, xs)
    for i, a, b in zip(wrt, first, second):
        if not np.array_equal(a, b):
            raise GradcheckError(
                f"two backward passes gave different gradients for input {i} (max difference "
                f"{np.max(np.abs(a - b))}): does backward modify its saved values or its gradient in place?"
            )
