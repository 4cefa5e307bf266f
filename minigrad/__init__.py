"""minigrad: a small reverse-mode autograd engine on NumPy, shaped like PyTorch.

    >>> import minigrad
    >>> x = minigrad.tensor([1.0, 2.0, 3.0], requires_grad=True)
    >>> y = (x * x).sum()
    >>> y.backward()
    >>> x.grad
    array([2., 4., 6.], dtype=float32)

Where things live: ``autograd/`` (start with ``autograd/readable.py``: backpropagation in one function;
then ``Function``, grad mode and the engine), ``tensor.py`` (the Tensor), ``tensor_methods.py`` (its op
methods), ``creation.py`` (``zeros``, ``randn``, ...), ``ops/`` (every op, one class each),
``gradcheck.py`` (finite-difference checks), ``testing.py`` (hypothesis strategies for your own tests),
``random.py`` (seeding), ``viz.py`` (the graph as a picture), ``nn/`` (modules, layers, losses,
initialisers), ``optim/`` (optimizers, schedulers), ``serialization.py`` (``save``/``load``, no pickle).
"""

import numpy as np

from minigrad import autograd, nn, ops, optim, viz
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
from minigrad.gradcheck import GradcheckError, gradcheck
from minigrad.random import Generator, get_rng_state, initial_seed, manual_seed, seed, set_rng_state
from minigrad.serialization import CheckpointError, load, save
from minigrad.tensor import Tensor, get_default_dtype, set_default_dtype

for _name in ops.FUNCTIONS:  # every op function (minigrad.tanh, ...), from the op modules' own lists
    globals()[_name] = getattr(ops, _name)
del _name

float16, float32, float64 = np.float16, np.float32, np.float64
int32, int64, bool_ = np.int32, np.int64, np.bool_

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
    "bool_",
    "detect_anomaly",
    "empty",
    "enable_grad",
    "eye",
    "float16",
    "float32",
    "float64",
    "from_numpy",
    "full",
    "full_like",
    "get_default_dtype",
    "get_rng_state",
    "grad",
    "gradcheck",
    "initial_seed",
    "int32",
    "int64",
    "is_anomaly_enabled",
    "is_grad_enabled",
    "linspace",
    "load",
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
    "save",
    "seed",
    "set_default_dtype",
    "set_grad_enabled",
    "set_rng_state",
    "tensor",
    "viz",
    "zeros",
    "zeros_like",
    *ops.FUNCTIONS,
]
