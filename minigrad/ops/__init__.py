"""Every built-in op: one ``Function`` class each, and the function users call.

- ``elementwise``: arithmetic, exp/log/sqrt/sin/cos/abs, tanh/sigmoid/relu, clip, maximum/minimum, where
- ``reduce``: sum/mean/max/min/var, logsumexp, softmax/log_softmax
- ``linalg``: matmul
- ``shape``: reshape/view/flatten/squeeze/unsqueeze, permute/transpose, expand, flip
- ``join``: cat/stack, split/chunk/unbind, pad
- ``index``: x[key], take, gather
"""

from minigrad.ops import elementwise, index, join, linalg, reduce, shape
from minigrad.ops.elementwise import *  # noqa: F403
from minigrad.ops.index import *  # noqa: F403
from minigrad.ops.join import *  # noqa: F403
from minigrad.ops.linalg import *  # noqa: F403
from minigrad.ops.reduce import *  # noqa: F403
from minigrad.ops.shape import *  # noqa: F403

MODULES = (elementwise, reduce, linalg, shape, join, index)
"""The op modules. Each lists its ops in its own ``__all__``: the one list to edit when adding an op."""

__all__ = sorted(name for module in MODULES for name in module.__all__)
"""Every op: the ``Function`` classes (``Tanh``) and the functions users call (``tanh``)."""

FUNCTIONS = tuple(name for name in __all__ if name[0].islower())
"""The functions users call; ``minigrad`` re-exports them (``minigrad.tanh``)."""
