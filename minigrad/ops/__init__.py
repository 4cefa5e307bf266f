"""Every built-in op: one ``Function`` class each, and the function users call.

- ``arithmetic``: + - * / ** and negation, with PyTorch's type promotion
- ``elementwise``: exp/log/sqrt/sin/cos/abs, tanh/sigmoid/relu, clip/clamp, maximum/minimum, where,
  masked_fill
- ``reduce``: sum/mean/var/std, max/min/amax/amin/argmax/argmin, logsumexp, softmax/log_softmax
- ``linalg``: matmul
- ``shape``: reshape/view/flatten/squeeze/unsqueeze, permute/transpose/t, expand, flip, repeat,
  repeat_interleave
- ``join``: cat/stack, split/chunk/unbind, pad
- ``index``: x[key], take, index_select, gather
- ``sorting``: sort, argsort, topk, median

Two helper modules are not op modules: ``dims`` (the one check of every dim and shape argument) and
``return_types`` (the named tuples ``(values, indices)``).
"""

from minigrad.ops import arithmetic, elementwise, index, join, linalg, reduce, shape, sorting
from minigrad.ops.arithmetic import *  # noqa: F403
from minigrad.ops.elementwise import *  # noqa: F403
from minigrad.ops.index import *  # noqa: F403
from minigrad.ops.join import *  # noqa: F403
from minigrad.ops.linalg import *  # noqa: F403
from minigrad.ops.reduce import *  # noqa: F403
from minigrad.ops.shape import *  # noqa: F403
from minigrad.ops.sorting import *  # noqa: F403

MODULES = (arithmetic, elementwise, reduce, linalg, shape, join, index, sorting)
"""The op modules. Each lists its ops in its own ``__all__``: the one list to edit when adding an op."""

__all__ = sorted(name for module in MODULES for name in module.__all__)
"""Every op: the ``Function`` classes (``Tanh``) and the functions users call (``tanh``)."""

FUNCTIONS = tuple(name for name in __all__ if name[0].islower())
"""The functions users call; ``minigrad`` re-exports them (``minigrad.tanh``)."""

assert len(set(__all__)) == len(__all__), "two op modules export the same name"
