"""minigrad.nn: modules, layers, losses, initialisers and gradient clipping, with PyTorch's names.

    >>> from minigrad import nn
    >>> model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 3))
    >>> loss = nn.CrossEntropyLoss()(model(x), y)

Where things live: ``module.py`` (Module, Parameter), ``container.py`` (Sequential, ModuleList,
ModuleDict), ``layers.py``, ``losses.py`` (loss modules), ``functional.py`` (the functions behind both,
``minigrad.nn.functional``), ``init.py`` (initialisers), ``utils.py`` (``clip_grad_norm_``,
``clip_grad_value_``).
"""

from minigrad.nn import functional, init, utils
from minigrad.nn.container import ModuleDict, ModuleList, Sequential
from minigrad.nn.layers import (
    Dropout,
    Embedding,
    Flatten,
    Identity,
    LayerNorm,
    Linear,
    LogSoftmax,
    ReLU,
    Sigmoid,
    Softmax,
    Tanh,
)
from minigrad.nn.losses import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, L1Loss, MSELoss, NLLLoss
from minigrad.nn.module import Module, Parameter

__all__ = [
    "BCELoss",
    "BCEWithLogitsLoss",
    "CrossEntropyLoss",
    "Dropout",
    "Embedding",
    "Flatten",
    "Identity",
    "L1Loss",
    "LayerNorm",
    "Linear",
    "LogSoftmax",
    "MSELoss",
    "Module",
    "ModuleDict",
    "ModuleList",
    "NLLLoss",
    "Parameter",
    "ReLU",
    "Sequential",
    "Sigmoid",
    "Softmax",
    "Tanh",
    "functional",
    "init",
    "utils",
]
