"""Automatic differentiation, cut the way ``torch.autograd`` is.

Read in this order:

1. ``readable.py`` — backpropagation in one function: a topological order, each op's backward,
   ``unbroadcast``, the contributions summed. The whole algorithm, nothing else.
2. ``function.py`` — ``Function``, the one way to define an op (``forward`` and ``backward`` on NumPy
   arrays, ``ctx.save_for_backward``), how ``apply`` records the graph, and the version counters that
   catch a saved array changed in place.
3. ``grad_mode.py`` — ``no_grad``, ``enable_grad``, ``set_grad_enabled``, ``detect_anomaly``.
4. ``engine.py`` — the engine behind ``Tensor.backward`` and ``minigrad.grad``: the same gradients as
   ``readable.py``, plus hooks, freed saved values, anomaly mode and speed (its docstring says why).
"""

from minigrad.autograd.engine import backward, cyclic_gc_paused, grad, run_backward, unbroadcast
from minigrad.autograd.function import Function, IndexGrad, VersionCounter, once_differentiable, version_counter
from minigrad.autograd.grad_mode import (
    AnomalyError,
    detect_anomaly,
    enable_grad,
    is_anomaly_enabled,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
)

__all__ = [
    "AnomalyError",
    "Function",
    "IndexGrad",
    "VersionCounter",
    "backward",
    "cyclic_gc_paused",
    "detect_anomaly",
    "enable_grad",
    "grad",
    "is_anomaly_enabled",
    "is_grad_enabled",
    "no_grad",
    "once_differentiable",
    "run_backward",
    "set_grad_enabled",
    "unbroadcast",
    "version_counter",
]
