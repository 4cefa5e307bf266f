"""Backpropagation in one function: what ``loss.backward()`` computes, with nothing else in the way.

Start here. ``backward(loss)`` is the whole reverse-mode algorithm:

1. Put the ops that ``loss`` depends on in topological order: each op after the ops that made its inputs.
2. Seed d loss / d loss = 1 and walk the ops backwards, from the loss to the leaves. When we reach an
   op, every op that used its outputs came later in the forward pass, so we have already visited it:
   the gradients of this op's outputs are complete.
3. Ask the op for the gradients of its inputs. ``op.backward`` knows only its own derivative; the
   chain rule is ``d loss / d input = d loss / d output · d output / d input``, and that product is
   what it returns.
4. Undo broadcasting (``unbroadcast``) and *sum* the contributions of a tensor used several times
   (a weight shared by every time step of an RNN is the usual case).
5. Write the sums into ``.grad`` of the leaves.

micrograd's version is ``for v in reversed(topo): v._backward()``; this is that loop for ops on arrays.
The engine behind ``Tensor.backward`` (``engine.py``) computes the same gradients (a test holds them
equal to 1e-12) and adds what a real engine needs; its docstring lists what and why.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from minigrad.autograd.function import IndexGrad, ProductGrad


def backward(loss: Any) -> None:
    """Add d loss / d leaf to ``leaf.grad`` for every leaf tensor that requires grad (``loss``: one element)."""
    ops, outputs = topological_order(loss)
    grads = {id(loss): np.ones_like(loss.data)}  # d loss / d loss = 1
    leaves = {} if loss.grad_fn is not None else {id(loss): loss}  # (backward of a leaf: d x / d x = 1)
    for op in reversed(ops):  # from the loss back to the leaves
        grad_outputs = [None if t is None else grads.pop(id(t), None) for t in outputs[id(op)]]
        if all(g is None for g in grad_outputs):
            continue  # no gradient reached this op
        if op.num_outputs > 1:  # an output the loss does not use has gradient 0
            grad_outputs = [np.zeros(*meta) if g is None else g for g, meta in zip(grad_outputs, op.output_meta)]
        grad_inputs = op.backward(op, *grad_outputs)
        if not isinstance(grad_inputs, tuple):
            grad_inputs = (grad_inputs,)
        for x, needs_grad, g in zip(op.parents, op.needs_input_grad, grad_inputs):
            if not needs_grad or g is None:
                continue  # a constant, or a tensor that does not require grad
            if isinstance(g, IndexGrad | ProductGrad):  # x[index]'s gradient, or a product aᵀ g: the array
                g = g.to_dense(x.shape, x.dtype)
            g = unbroadcast(g, x.shape)
            grads[id(x)] = grads[id(x)] + g if id(x) in grads else g  # sum over the uses of x
            if x.grad_fn is None:
                leaves[id(x)] = x
    for key, leaf in leaves.items():
        g = grads[key].astype(leaf.dtype)
        leaf.grad = g.copy() if leaf.grad is None else leaf.grad + g


def topological_order(loss: Any) -> tuple[list, dict]:
    """The ops ``loss`` depends on, each after the ops that made its inputs; and each op's output tensors.

    A depth-first search with an explicit stack (a recursive one would overflow Python's stack on a
    graph unrolled over thousands of time steps): an op is appended once all of its inputs' ops are.
    """
    order, outputs, seen = [], {}, set()
    stack = [(loss, False)]
    while stack:
        t, inputs_done = stack.pop()
        op = t.grad_fn
        if op is None:
            continue  # a leaf: no op made it
        if inputs_done:
            order.append(op)
            continue
        outputs.setdefault(id(op), [None] * op.num_outputs)[t.output_nr] = t
        if id(op) in seen:
            continue
        seen.add(id(op))
        stack.append((t, True))  # come back to op after everything below it
        stack.extend((x, False) for x, needs_grad in zip(op.parents, op.needs_input_grad) if needs_grad)
    return order, outputs


def unbroadcast(grad: np.ndarray, shape: tuple) -> np.ndarray:
    """Sum a gradient of a broadcast result back to the shape of the input that was broadcast.

    Broadcasting prepends axes and stretches axes of length 1; the gradient of a stretched value is
    the sum over its copies: sum over the prepended axes, then (keeping them) over the stretched ones.
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
