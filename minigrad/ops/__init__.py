"""Every built-in op: one ``Function`` class each, and the function users call.

- ``elementwise``: arithmetic, exp/log/sqrt/sin/cos/abs, tanh/sigmoid/relu, clip, maximum/minimum, where
- ``reduce``: sum/mean/max/min/var, logsumexp, softmax/log_softmax
- ``linalg``: matmul
- ``shape``: reshape/view/flatten/squeeze/unsqueeze, permute/transpose, expand, flip
- ``join``: cat/stack, split/chunk/unbind, pad
- ``index``: x[key], take, gather
"""

from minigrad.ops.elementwise import (
    Abs, Add, Cast, Clip, Clone, Cos, Div, Exp, Log, Maximum, Minimum, Mul, Neg, Pow, Relu, Sigmoid, Sin, Sqrt,
    Sub, Tanh, Where, abs, add, clamp, clip, clone, cos, div, exp, log, maximum, minimum, mul, neg, pow, relu,
    sigmoid, sin, sqrt, sub, tanh, where,
)
from minigrad.ops.index import Gather, Index, Take, gather, take
from minigrad.ops.join import Cat, Pad, Split, Stack, Unbind, cat, chunk, concatenate, pad, split, stack, unbind
from minigrad.ops.linalg import MatMul, matmul
from minigrad.ops.reduce import (
    LogSoftmax, LogSumExp, Max, Mean, Min, Softmax, Sum, Var, log_softmax, logsumexp, max, mean, min, softmax,
    sum, var,
)
from minigrad.ops.shape import (
    Expand, Flip, Permute, Reshape, broadcast_to, expand, flatten, flip, permute, reshape, squeeze, swapaxes,
    transpose, unsqueeze, view,
)

__all__ = [
    "Abs", "Add", "Cast", "Cat", "Clip", "Clone", "Cos", "Div", "Exp", "Expand", "Flip", "Gather", "Index",
    "Log", "LogSoftmax", "LogSumExp", "MatMul", "Max", "Maximum", "Mean", "Min", "Minimum", "Mul", "Neg", "Pad",
    "Permute", "Pow", "Relu", "Reshape", "Sigmoid", "Sin", "Softmax", "Split", "Sqrt", "Stack", "Sub", "Sum",
    "Take", "Tanh", "Unbind", "Var", "Where",
    "abs", "add", "broadcast_to", "cat", "chunk", "clamp", "clip", "clone", "concatenate", "cos", "div", "exp",
    "expand", "flatten", "flip", "gather", "log", "log_softmax", "logsumexp", "matmul", "max", "maximum", "mean",
    "min", "minimum", "mul", "neg", "pad", "permute", "pow", "relu", "reshape", "sigmoid", "sin", "softmax",
    "split", "sqrt", "squeeze", "stack", "sub", "sum", "swapaxes", "take", "tanh", "transpose", "unbind",
    "unsqueeze", "var", "view", "where",
]
