"""minigrad: a small reverse-mode autograd engine on NumPy, shaped like PyTorch.

    >>> import minigrad
    >>> x = minigrad.tensor([1.0, 2.0, 3.0], requires_grad=True)
    >>> y = (x * x).sum()
    >>> y.backward()
    >>> x.grad
    array([2., 4., 6.], dtype=float32)

Where things live: ``autograd/`` (start with ``autograd/readable.py``: backpropagation in one function;
then ``Function``, grad mode and the engine), ``tensor.py`` (the Tensor), ``tensor_methods.py`` (its op
methods), ``tensor_inplace.py`` (its in-place methods), ``creation.py`` (``zeros``, ``randn``, ...),
``dtypes.py`` (``minigrad.float32``, ``minigrad.long``, ...), ``device.py`` (``cpu``; ``cuda.py`` says there
is no GPU), ``ops/`` (every op, one class each), ``gradcheck.py`` (finite-difference checks),
``testing.py`` (hypothesis strategies for your own tests), ``random.py`` (seeding), ``viz.py`` (the graph
as a picture), ``nn/`` (modules, layers, losses, initialisers), ``optim/`` (optimizers, schedulers),
``utils/data/`` (``Dataset``, ``DataLoader``), ``serialization/`` (``save``/``load``, no pickle).
"""

from minigrad import autograd, cuda, nn, ops, optim, utils, viz
from minigrad.autograd import (
    AnomalyError,
    Function,
    IndexGrad,
    detect_anomaly,
    enable_grad,
    grad,
    is_anomaly_enabled,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
)
from minigrad.creation import (
    arange,
    empty,
    eye,
    from_numpy,
    full,
    full_like,
    linspace,
    multinomial,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randn,
    randn_like,
    tensor,
    zeros,
    zeros_like,
)
from minigrad.device import device
from minigrad.dtypes import DTYPE_NAMES
from minigrad.gradcheck import GradcheckError, gradcheck
from minigrad.ops import return_types
from minigrad.random import Generator, get_rng_state, initial_seed, manual_seed, seed, set_rng_state
from minigrad.serialization import CheckpointError, load, save
from minigrad.tensor import Tensor, get_default_dtype, set_default_dtype

for _name in ops.FUNCTIONS:  # every op function (minigrad.tanh, ...), from the op modules' own lists
    globals()[_name] = getattr(ops, _name)
del _name

globals().update(DTYPE_NAMES)  # the dtypes by PyTorch's names: minigrad.float32, minigrad.long, minigrad.bool, ...


def is_tensor(obj: object) -> bool:
    """True for a minigrad tensor (``torch.is_tensor``)."""
    return isinstance(obj, Tensor)


__version__ = "0.1.0"

__all__ = [
    "AnomalyError",
    "CheckpointError",
    "Function",
    "Generator",
    "GradcheckError",
    "IndexGrad",
    "Tensor",
    "arange",
    "autograd",
    "cuda",
    "device",
    "detect_anomaly",
    "empty",
    "enable_grad",
    "eye",
    "from_numpy",
    "full",
    "full_like",
    "get_default_dtype",
    "get_rng_state",
    "grad",
    "gradcheck",
    "initial_seed",
    "is_anomaly_enabled",
    "is_grad_enabled",
    "is_tensor",
    "linspace",
    "load",
    "multinomial",
    "manual_seed",
    "nn",
    "no_grad",
    "ones",
    "ones_like",
    "ops",
    "optim",
    "rand",
    "rand_like",
    "randint",
    "randn",
    "randn_like",
    "return_types",
    "save",
    "seed",
    "set_default_dtype",
    "set_grad_enabled",
    "set_rng_state",
    "tensor",
    "utils",
    "viz",
    "zeros",
    "zeros_like",
    *DTYPE_NAMES,
    *ops.FUNCTIONS,
]
