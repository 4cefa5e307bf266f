"""Check a function's gradients against central finite differences.

For every input x_i that requires grad and every output y_o, the analytical Jacobian (one backward
pass per output element) is compared with the numerical one:

    J[k, j] ≈ (y_k(x + ε e_j) - y_k(x - ε e_j)) / 2ε

``fast_mode`` compares a single random projection vᵀ J u instead (one backward pass and two forward
passes), which is what makes whole-sequence layers checkable. Central differences in float64 have an
error of order ε² + machine-ε/ε, so inputs must be float64.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from minigrad.autograd import grad, no_grad
from minigrad.tensor import Tensor


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
) -> bool:
    """Compare the gradients autograd computes for ``fn(*inputs)`` with central finite differences.

    Args:
        fn: takes ``*inputs`` and returns a tensor or a tuple of tensors.
        inputs: a tensor or a sequence of arguments; the float64 tensors with ``requires_grad=True``
            are checked, other arguments are passed through.
        eps: the finite-difference step.
        atol, rtol: an entry passes when |analytical - numerical| <= atol + rtol * |numerical|.
        fast_mode: check vᵀ J u for random u, v instead of every entry of J.
        raise_exception: raise ``GradcheckError`` on failure (else return False).
        seed: for the random projections of ``fast_mode``.

    Also checks that backward with a zero output gradient gives zero, and that two backward passes
    give the same result. Returns True when every check passes.
    """
    inputs = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
    wrt = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
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
        _run_checks(fn, inputs, wrt, eps, atol, rtol, fast_mode, seed)
    except GradcheckError:
        if raise_exception:
            raise
        return False
    return True


def _outputs(fn: Callable, inputs: tuple) -> list:
    out = fn(*inputs)
    outs = list(out) if isinstance(out, list | tuple) else [out]
    for k, o in enumerate(outs):
        if not isinstance(o, Tensor):
            raise TypeError(f"gradcheck: output {k} of fn is a {type(o).__name__}, not a Tensor")
    return outs


def _evaluate(fn: Callable, inputs: tuple) -> list:
    """The outputs' values as float64 arrays, without recording a graph."""
    with no_grad():
        return [np.array(o.data, dtype=np.float64) for o in _outputs(fn, inputs)]


def _run_checks(
    fn: Callable, inputs: tuple, wrt: list, eps: float, atol: float, rtol: float, fast_mode: bool, seed: int
) -> None:
    outs = _outputs(fn, inputs)
    diff = [k for k, o in enumerate(outs) if o.requires_grad]
    if not diff:
        raise GradcheckError("gradcheck: no output of fn requires grad (is the graph connected to the inputs?)")
    xs = [inputs[i] for i in wrt]
    if fast_mode:
        _check_projection(fn, inputs, wrt, outs, diff, eps, atol, rtol, seed)
    else:
        for k in diff:
            _check_full_jacobian(fn, inputs, wrt, outs, k, eps, atol, rtol)
    _check_zero_and_repeat(outs, diff, xs, wrt)


def _backward(outs: list, diff: list, seeds: list, xs: list) -> list:
    """Gradients of Σ_o <seed_o, y_o> with respect to each x (zeros where unused)."""
    grads = grad([outs[k] for k in diff], xs, seeds, retain_graph=True, allow_unused=True)
    return [np.zeros(x.shape) if g is None else g for x, g in zip(xs, grads)]


def _check_full_jacobian(
    fn: Callable, inputs: tuple, wrt: list, outs: list, k: int, eps: float, atol: float, rtol: float
) -> None:
    out = outs[k]
    xs = [inputs[i] for i in wrt]
    n_out = out.data.size
    # analytical: row r of J is the gradient of output element r
    analytical = [np.zeros((n_out, x.data.size)) for x in xs]
    for r in range(n_out):
        seed = np.zeros(out.shape, dtype=out.dtype)
        seed.flat[r] = 1.0
        grads = grad(out, xs, seed, retain_graph=True, allow_unused=True)
        for a, g in zip(analytical, grads):
            if g is not None:
                a[r] = g.ravel()
    # numerical: column j of J from perturbing input element j
    for x_pos, (i, x) in enumerate(zip(wrt, xs)):
        numerical = np.zeros((n_out, x.data.size))
        flat = x.data.reshape(-1)  # a view of the input's memory, restored after each step
        if not np.shares_memory(flat, x.data):
            raise TypeError(f"gradcheck: input {i} is not contiguous; pass a contiguous copy")
        for j in range(x.data.size):
            original = flat[j]
            flat[j] = original + eps
            plus = _evaluate(fn, inputs)[k]
            flat[j] = original - eps
            minus = _evaluate(fn, inputs)[k]
            flat[j] = original
            numerical[:, j] = ((plus - minus) / (2 * eps)).ravel()
        _compare(analytical[x_pos], numerical, atol, rtol, f"output {k} with respect to input {i}", out.shape, x.shape)


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
    out_index = np.unravel_index(r, out_shape) if out_shape else ()
    in_index = np.unravel_index(j, in_shape) if in_shape else ()
    a, n = analytical[r, j], numerical[r, j]
    raise GradcheckError(
        f"Jacobian mismatch for {what}: {int(bad.sum())} of {bad.size} entries differ.\n"
        f"Worst: d output{list(map(int, out_index))} / d input{list(map(int, in_index))}\n"
        f"    analytical: {a!r}\n    numerical:  {n!r}\n    difference: {a - n!r} "
        f"(allowed: atol {atol} + rtol {rtol} * |numerical| = {atol + rtol * abs(n):.3g})\n"
        f"analytical Jacobian (rows: output elements, columns: input elements):\n{analytical}\n"
        f"numerical Jacobian:\n{numerical}"
    )


def _check_projection(
    fn: Callable,
    inputs: tuple,
    wrt: list,
    outs: list,
    diff: list,
    eps: float,
    atol: float,
    rtol: float,
    seed: int,
) -> None:
    rng = np.random.default_rng(seed)
    xs = [inputs[i] for i in wrt]
    us = [rng.standard_normal(x.shape) for x in xs]
    vs = [rng.standard_normal(outs[k].shape) for k in diff]
    # analytical vᵀ J u: the gradient of <v, y> dotted with u
    grads = _backward(outs, diff, vs, xs)
    analytical = float(sum(np.sum(g * u) for g, u in zip(grads, us)))
    # numerical: the directional derivative of <v, y> along u
    originals = [x.data.copy() for x in xs]
    try:
        for x, u, o in zip(xs, us, originals):
            x.data[...] = o + eps * u
        plus = _evaluate(fn, inputs)
        for x, u, o in zip(xs, us, originals):
            x.data[...] = o - eps * u
        minus = _evaluate(fn, inputs)
    finally:
        for x, o in zip(xs, originals):
            x.data[...] = o
    numerical = float(sum(np.sum(v * (plus[k] - minus[k])) / (2 * eps) for v, k in zip(vs, diff)))
    if abs(analytical - numerical) > atol + rtol * abs(numerical):
        raise GradcheckError(
            "Jacobian mismatch (fast mode: random projection vᵀ J u over all checked inputs and outputs):\n"
            f"    analytical: {analytical!r}\n    numerical:  {numerical!r}\n"
            f"    difference: {analytical - numerical!r} (allowed: atol {atol} + rtol {rtol} * |numerical|)\n"
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
