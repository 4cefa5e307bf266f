"""Arithmetic: + - * / ** and negation, with PyTorch's type promotion.

Each op is one ``Function``: ``forward`` computes the value, ``backward`` right below it multiplies the
incoming gradient ``g`` by the local derivative, written once as a comment. The gradients have the
broadcast shape of the output; the engine sums them back to each input's shape.

**Type promotion.** When the two operands have different dtypes, the result has the dtype PyTorch gives
it, which is not always NumPy's (``promote``):

- a higher kind wins (bool < integer < floating), and within the winning kind, a tensor with dimensions
  outranks a 0-d tensor, which outranks a Python or NumPy scalar: ``float32 tensor * np.float64(2)`` and
  ``float32 tensor * float64 0-d tensor`` stay float32 (NumPy would give float64);
- a floating scalar with an integer tensor gives the default dtype: ``int64 tensor * 1.5`` is float32;
- an integer tensor times a floating tensor takes the floating tensor's dtype (``int64 * float32`` is
  float32; NumPy would give float64);
- true division of integers gives the default dtype (``int64 tensor / 2`` is float32).

The operands are converted first, so the arithmetic is done in the result's dtype, as PyTorch does it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import minigrad  # minigrad.Tensor, read when a function runs (tensor.py imports this module)
from minigrad.autograd import Function
from minigrad.dtypes import _Defaults
from minigrad.ops.dims import tensor_arg

__all__ = [
    "Add",
    "Div",
    "FloorDivide",
    "Mul",
    "Neg",
    "Pow",
    "Remainder",
    "Sub",
    "add",
    "div",
    "floor_divide",
    "mul",
    "neg",
    "pow",
    "remainder",
    "sub",
]

_ndarray = np.ndarray
_PYTHON_SCALARS = (float, int, bool)
_RANK = {"b": 0, "u": 1, "i": 1, "f": 2}  # bool < integer < floating


def promote(a: Any, b: Any, division: bool = False) -> tuple:
    """``a`` and ``b`` converted to the dtype PyTorch computes ``a op b`` in (see the module docstring).

    The common cases return at once: two arrays of one dtype, or a floating array and a Python number.
    """
    if type(a) is _ndarray:
        if type(b) is _ndarray:
            if a.dtype is b.dtype and (not division or a.dtype.kind == "f"):
                return a, b
        elif type(b) in _PYTHON_SCALARS and a.dtype.kind == "f":
            return a, b
    elif type(b) is _ndarray and type(a) in _PYTHON_SCALARS and b.dtype.kind == "f":
        return a, b
    dtype = result_dtype(a, b, division)
    return _converted(a, dtype), _converted(b, dtype)


def result_dtype(a: Any, b: Any, division: bool = False) -> np.dtype:
    """The dtype of ``a op b`` under PyTorch's rules: kind first, then dimensioned > 0-d > scalar."""
    entries = []  # (dtype, priority): 0 a tensor with dimensions, 1 a 0-d tensor, 2 a scalar
    for v in (a, b):
        if isinstance(v, _ndarray):
            entries.append((v.dtype, 0 if v.ndim else 1))
        else:
            entries.append((np.asarray(v).dtype, 2))
    for dtype, _ in entries:
        if dtype.kind not in _RANK:
            raise TypeError(f"minigrad tensors compute with floating, integer or bool values, not {dtype}")
    rank = max(_RANK[dtype.kind] for dtype, _ in entries)
    for priority in (0, 1, 2):
        candidates = [dtype for dtype, p in entries if p == priority and _RANK[dtype.kind] == rank]
        if candidates:
            break
    if priority < 2:
        dtype = np.result_type(*candidates)
    else:  # only a scalar has the winning kind: PyTorch's default for that kind
        dtype = (np.dtype(np.bool_), np.dtype(np.int64), _Defaults.dtype)[rank]
    if division and dtype.kind != "f":
        dtype = _Defaults.dtype
    return dtype


def broadcast_error(a: Any, b: Any) -> RuntimeError:
    """PyTorch's error for operands whose shapes do not broadcast, naming both shapes."""
    sa, sb = np.shape(a), np.shape(b)
    for i in range(1, min(len(sa), len(sb)) + 1):
        if sa[-i] != sb[-i] and sa[-i] != 1 and sb[-i] != 1:
            return RuntimeError(
                f"The size of tensor a ({sa[-i]}) must match the size of tensor b ({sb[-i]}) at non-singleton "
                f"dimension {max(len(sa), len(sb)) - i}: shapes {sa} and {sb} do not broadcast"
            )
    return RuntimeError(f"shapes {sa} and {sb} do not broadcast")


def _converted(v: Any, dtype: np.dtype) -> Any:
    if isinstance(v, _ndarray):
        return v if v.dtype == dtype else v.astype(dtype)
    if isinstance(v, np.generic):
        v = v.item()  # a NumPy scalar counts as a Python number (as in PyTorch)
    return v if dtype.kind == "f" or not isinstance(v, float) else np.asarray(v, dtype=dtype)


class Add(Function):
    """a + b"""

    @staticmethod
    def forward(ctx, a, b):
        if type(a) is not _ndarray or type(b) is not _ndarray or a.dtype is not b.dtype:
            a, b = promote(a, b)  # a number, or two dtypes: PyTorch's promotion
        try:
            return a + b
        except ValueError:
            raise broadcast_error(a, b) from None

    @staticmethod
    def backward(ctx, g):
        return g, g  # d(a+b)/da = 1, d(a+b)/db = 1


class Sub(Function):
    """a - b"""

    @staticmethod
    def forward(ctx, a, b):
        if type(a) is not _ndarray or type(b) is not _ndarray or a.dtype is not b.dtype:
            a, b = promote(a, b)  # a number, or two dtypes: PyTorch's promotion
        try:
            return a - b
        except ValueError:
            raise broadcast_error(a, b) from None

    @staticmethod
    def backward(ctx, g):
        return g, -g if ctx.needs_input_grad[1] else None  # d(a-b)/da = 1, d(a-b)/db = -1


class Mul(Function):
    """a * b"""

    @staticmethod
    def forward(ctx, a, b):
        if type(a) is not _ndarray or type(b) is not _ndarray or a.dtype is not b.dtype:
            a, b = promote(a, b)  # a number, or two dtypes: PyTorch's promotion
        ctx.save_for_backward(a, b)
        try:
            return a * b
        except ValueError:
            raise broadcast_error(a, b) from None

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        da = g * b if ctx.needs_input_grad[0] else None  # d(ab)/da = b
        if a is b and da is not None:
            return da, da  # x * x: g·x twice, the same values computed once (one array, not two)
        db = g * a if ctx.needs_input_grad[1] else None  # d(ab)/db = a
        return da, db


class Div(Function):
    """a / b (true division: integers give the default floating dtype)"""

    @staticmethod
    def forward(ctx, a, b):
        if type(a) is not _ndarray or type(b) is not _ndarray or a.dtype is not b.dtype or a.dtype.kind != "f":
            a, b = promote(a, b, division=True)  # integers divide into the default float dtype
        ctx.save_for_backward(a, b)
        try:
            return a / b
        except ValueError:
            raise broadcast_error(a, b) from None

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        da = g / b if ctx.needs_input_grad[0] else None  # d(a/b)/da = 1/b
        db = -g * a / (b * b) if ctx.needs_input_grad[1] else None  # d(a/b)/db = -a/b^2
        return da, db


class FloorDivide(Function):
    """a // b, rounded down (no derivative, as in PyTorch: backward through it is an error)"""

    @staticmethod
    def forward(ctx, a, b):
        if type(a) is not _ndarray or type(b) is not _ndarray or a.dtype is not b.dtype:
            a, b = promote(a, b)  # a number, or two dtypes: PyTorch's promotion
        try:
            return a // b
        except ValueError:
            raise broadcast_error(a, b) from None

    @staticmethod
    def backward(ctx, g):
        raise RuntimeError(
            "derivative for floor_divide is not implemented (it is 0 almost everywhere and undefined at the "
            "steps): compute a // b from a.detach() if no gradient should flow through it"
        )


class Remainder(Function):
    """a % b with the sign of b (Python's and PyTorch's remainder): a - b ⌊a/b⌋"""

    @staticmethod
    def forward(ctx, a, b):
        if type(a) is not _ndarray or type(b) is not _ndarray or a.dtype is not b.dtype:
            a, b = promote(a, b)  # a number, or two dtypes: PyTorch's promotion
        ctx.save_for_backward(a, b)
        try:
            return a % b
        except ValueError:
            raise broadcast_error(a, b) from None

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        da = g if ctx.needs_input_grad[0] else None  # d(a - b⌊a/b⌋)/da = 1 (between the steps)
        db = -g * np.floor_divide(a, b) if ctx.needs_input_grad[1] else None  # d/db = -⌊a/b⌋
        return da, db


class Neg(Function):
    """-x"""

    @staticmethod
    def forward(ctx, x):
        if x.dtype.kind == "b":
            raise RuntimeError(
                "Negation, the `-` operator, on a bool tensor is not supported. If you are trying to invert "
                "a mask, use the `~` operator instead."
            )
        return -x

    @staticmethod
    def backward(ctx, g):
        return -g  # d(-x)/dx = -1


class Pow(Function):
    """a ** b, with a tensor or a constant on either side (a negative base to a fractional power is NaN)"""

    @staticmethod
    def forward(ctx, a, b):
        if type(a) is not _ndarray or type(b) is not _ndarray or a.dtype is not b.dtype:
            a, b = promote(a, b)  # a number, or two dtypes: PyTorch's promotion
        try:
            if _whole(b) and b >= 0:  # the usual x ** 2: no base gives inf or NaN
                out = a**b
            else:
                with np.errstate(invalid="ignore", divide="ignore"):  # (-8) ** (1/3) is NaN, 0 ** -1 inf: quietly
                    out = a**b
        except ValueError as error:
            if "negative integer powers" in str(error):
                raise RuntimeError("Integers to negative integer powers are not allowed.") from None
            raise broadcast_error(a, b) from None
        ctx.save_for_backward(a, b, out)
        return out

    @staticmethod
    def backward(ctx, g):
        a, b, out = ctx.saved_tensors
        if _whole(b) and b >= 1 and not ctx.needs_input_grad[1]:  # the usual x ** 2: nothing can be inf or NaN
            return g * b * a ** (b - 1), None  # d a^b/da = b a^(b-1)
        da = db = None
        with np.errstate(invalid="ignore", divide="ignore"):  # 0 ** -0.5 is inf, log(-1) NaN: as PyTorch
            if ctx.needs_input_grad[0]:
                da = np.where(b == 0, 0, g * b * a ** (b - 1))  # d a^b/da = b a^(b-1), and 0 for b = 0
            if ctx.needs_input_grad[1]:
                db = g * out * np.log(a)  # d a^b/db = a^b ln a
                db = np.where((a == 0) & (b >= 0), 0, db)  # 0 (not 0 · -inf) at a = 0, as PyTorch
        return da, db


def _whole(b: Any) -> bool:
    """True for a Python exponent with a whole value: then no base makes a ** b NaN."""
    return type(b) is int or (type(b) is float and b.is_integer())


# ------------------------------------------------------------------------------------------------
# The functions users call
# ------------------------------------------------------------------------------------------------


def operands(a: Any, b: Any, what: str) -> None:
    """Check the two operands of a binary op function: tensors, numbers or arrays, at least one a tensor."""
    for position, v in ((1, a), (2, b)):
        if not isinstance(v, minigrad.Tensor | int | float | np.ndarray | np.generic):
            name = "input" if position == 1 else "other"
            raise TypeError(f"{what}(): argument '{name}' (position {position}) must be Tensor, not {type(v).__name__}")
    if not isinstance(a, minigrad.Tensor) and not isinstance(b, minigrad.Tensor):
        raise TypeError(f"{what}(): argument 'input' (position 1) must be Tensor, not {type(a).__name__}")


def add(a: Any, b: Any, *, alpha: float = 1) -> Any:
    """``a + alpha * b``."""
    operands(a, b, "add")
    return Add.apply(a, b if alpha == 1 else Mul.apply(b, alpha))


def sub(a: Any, b: Any, *, alpha: float = 1) -> Any:
    """``a - alpha * b``."""
    operands(a, b, "sub")
    return Sub.apply(a, b if alpha == 1 else Mul.apply(b, alpha))


def mul(a: Any, b: Any) -> Any:
    operands(a, b, "mul")
    return Mul.apply(a, b)


def div(a: Any, b: Any) -> Any:
    operands(a, b, "div")
    return Div.apply(a, b)


def floor_divide(a: Any, b: Any) -> Any:
    operands(a, b, "floor_divide")
    return FloorDivide.apply(a, b)


def remainder(a: Any, b: Any) -> Any:
    operands(a, b, "remainder")
    return Remainder.apply(a, b)


def neg(x: Any) -> Any:
    x = tensor_arg(x, "neg")
    return Neg.apply(x)


def pow(a: Any, b: Any) -> Any:
    operands(a, b, "pow")
    return Pow.apply(a, b)
