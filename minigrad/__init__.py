"""minigrad: a small reverse-mode autograd engine on NumPy, shaped like PyTorch.

    >>> import minigrad
    >>> x = minigrad.tensor([1.0, 2.0, 3.0], requires_grad=True)
    >>> y = (x * x).sum()
    >>> y.backward()
    >>> x.grad
    array([2., 4., 6.], dtype=float32)

Where things live: ``tensor.py`` (the Tensor), ``autograd.py`` (Function and the backward engine),
``ops/`` (every op, one class each), ``gradcheck.py`` (finite-difference checks), ``testing.py``
(hypothesis strategies for your own tests), ``random.py`` (seeding).
"""

import numpy as np

from minigrad import ops
from minigrad.autograd import (
    AnomalyError,
    Function,
    IndexGrad,
    detect_anomaly,
    enable_grad,
    grad,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
)
from minigrad.gradcheck import GradcheckError, gradcheck
from minigrad.ops import (
    abs, cat, chunk, clamp, clip, clone, concatenate, cos, exp, expand, flatten, flip, gather, log, log_softmax,
    logsumexp, matmul, max, maximum, mean, min, minimum, pad, permute, relu, reshape, sigmoid, sin, softmax, split,
    sqrt, squeeze, stack, sum, swapaxes, take, tanh, transpose, unbind, unsqueeze, var, where,
)
from minigrad.random import Generator, get_rng_state, initial_seed, manual_seed, seed, set_rng_state
from minigrad.tensor import (
    Tensor, arange, empty, eye, from_numpy, full, full_like, get_default_dtype, linspace, ones, ones_like, rand,
    rand_like, randint, randn, randn_like, set_default_dtype, tensor, zeros, zeros_like,
)

float16, float32, float64 = np.float16, np.float32, np.float64
int32, int64, bool_ = np.int32, np.int64, np.bool_

__version__ = "0.1.0"

__all__ = [
    "AnomalyError", "Function", "Generator", "GradcheckError", "IndexGrad", "Tensor",
    "abs", "arange", "cat", "chunk", "clamp", "clip", "clone", "concatenate", "cos", "detect_anomaly", "empty",
    "enable_grad", "exp", "expand", "eye", "flatten", "flip", "from_numpy", "full", "full_like", "gather",
    "get_default_dtype", "get_rng_state", "grad", "gradcheck", "initial_seed", "is_grad_enabled", "linspace",
    "log", "log_softmax", "logsumexp", "manual_seed", "matmul", "max", "maximum", "mean", "min", "minimum",
    "no_grad", "ones", "ones_like", "ops", "pad", "permute", "rand", "rand_like", "randint", "randn",
    "randn_like", "relu", "reshape", "seed", "set_default_dtype", "set_grad_enabled", "set_rng_state",
    "sigmoid", "sin", "softmax", "split", "sqrt", "squeeze", "stack", "sum", "swapaxes", "take", "tanh",
    "tensor", "transpose", "unbind", "unsqueeze", "var", "where", "zeros", "zeros_like",
    "float16", "float32", "float64", "int32", "int64", "bool_",
]
