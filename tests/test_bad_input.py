"""Hostile input to the engine's surface: a clear error (PyTorch's type and words), never a silent difference.

Each case in ``BAD`` is one line of PyTorch code, run with ``torch`` bound to minigrad: it must raise the
given exception type with a message containing the given fragment. Where PyTorch has the call, the same
line is run under PyTorch too and must raise the same type (``torch="same"``); where the two differ on
purpose, ``torch`` says why. The tests after the table pin values that used to come out silently
different from PyTorch's (wrapped dims, dtypes, NaN) to PyTorch's.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass

import numpy as np
import pytest
from conftest import torch_or_skip

import minigrad


@dataclass(frozen=True)
class Bad:
    code: str  # one expression, with `x = torch.ones(2, 3)` and `np` defined
    error: type
    fragment: str  # a part of minigrad's message (plain text)
    torch: str = "same"  # "same": PyTorch raises this type too; otherwise why PyTorch differs

    def __str__(self) -> str:
        return self.code


DIM_2 = "Dimension out of range (expected to be in range of [-2, 1], but got 2)"

BAD = [
    # dims are never wrapped modulo ndim, and are ints
    Bad("x.transpose(0, 2)", IndexError, DIM_2),
    Bad("x.transpose(0, 5)", IndexError, "but got 5)"),
    Bad("x.swapaxes(0, 2)", IndexError, DIM_2),
    Bad("x.transpose(0, 1.0)", TypeError, "argument 'dim1' must be int, not float"),
    Bad("x.permute(0, 5)", IndexError, "but got 5)"),
    Bad("x.permute(0, 0)", RuntimeError, "duplicate dims are not allowed"),
    Bad("x.permute(0)", RuntimeError, "number of dims don't match"),
    Bad("x.sum(2)", IndexError, DIM_2),
    Bad("x.sum(1.0)", TypeError, "must be int, not float"),
    Bad("x.sum(True)", TypeError, "must be int, not bool"),
    Bad("x.sum((0, 0))", RuntimeError, "dim 0 appears multiple times in the list of dims"),
    Bad("x.mean(dim=(0, 2))", IndexError, DIM_2),
    Bad("x.max(2)", IndexError, DIM_2),
    Bad("x.argmax(2)", IndexError, DIM_2),
    Bad("x.softmax(2)", IndexError, DIM_2),
    Bad("x.log_softmax(-3)", IndexError, "but got -3)"),
    Bad("x.squeeze(2)", IndexError, DIM_2),
    Bad("x.unsqueeze(3)", IndexError, "expected to be in range of [-3, 2], but got 3"),
    Bad("x.flatten(2)", IndexError, DIM_2),
    Bad("x.flatten(1, 0)", RuntimeError, "start_dim cannot come after end_dim"),
    Bad("x.flip(2)", IndexError, DIM_2),
    Bad("x.flip((0, 0))", RuntimeError, "dim 0 appears multiple times"),
    Bad("x.unbind(2)", IndexError, DIM_2),
    Bad("torch.tensor(1.0).unbind(0)", IndexError, "Dimension specified as 0 but tensor has no dimensions"),
    Bad("x.size(2)", IndexError, DIM_2),
    Bad("x.size(1.0)", TypeError, "must be int, not float"),
    Bad("x.sort(2)", IndexError, DIM_2),
    Bad("x.topk(1, dim=2)", IndexError, DIM_2),
    Bad("torch.cat([x, x], 2)", IndexError, DIM_2),
    Bad("torch.stack([x, x], 3)", IndexError, "expected to be in range of [-3, 2], but got 3"),
    Bad("x.gather(2, torch.tensor([[0]]))", IndexError, DIM_2),
    Bad("x.t().t().transpose(-3, 0)", IndexError, "but got -3)"),
    # shapes: ints >= 0, one -1 to infer
    Bad("x.reshape(-2, 3)", RuntimeError, "invalid shape dimension -2"),
    Bad("x.reshape(-1, -1)", RuntimeError, "only one dimension can be inferred"),
    Bad("x.view(3.0, 2)", TypeError, "must be tuple of ints, but found element of type float at pos 0"),
    Bad("x.reshape(True, 6)", TypeError, "found element of type bool at pos 0"),
    Bad("x.reshape(4)", RuntimeError, "shape '[4]' is invalid for input of size 6"),
    Bad("x.view(-1, 4)", RuntimeError, "shape '[-1, 4]' is invalid for input of size 6"),
    Bad("x.expand(3, 3)", RuntimeError, "must match the existing size (2) at non-singleton dimension 0"),
    Bad("x.expand(-1, 2, 3)", RuntimeError, "isn't allowed in a leading, non-existing dimension 0"),
    Bad("x.expand(2)", RuntimeError, "the number of sizes provided (1) must be greater or equal"),
    Bad("x.repeat(2)", RuntimeError, "can not be smaller than number of dimensions of tensor"),
    Bad("x.repeat(-1, 2)", RuntimeError, "Dimension size must be non-negative"),
    Bad("x.repeat_interleave(-1)", RuntimeError, "Repeats must be non-negative"),
    Bad("x.repeat_interleave(torch.tensor([1, 2, 3]), dim=0)", RuntimeError, "one int per element along dim"),
    Bad("torch.zeros(2.5)", TypeError, "zeros(): argument 'size' must be tuple of ints"),
    Bad("torch.zeros(-1)", RuntimeError, "Dimension size must be non-negative"),
    Bad("torch.zeros('3')", TypeError, "found element of type str"),
    Bad("torch.ones((2, -3))", RuntimeError, "got -3 at index 1"),
    Bad("torch.randn(2.0)", TypeError, "must be tuple of ints"),
    Bad("torch.full((2.5,), 1.0)", TypeError, "must be tuple of ints"),
    Bad("x.new_zeros(2.5)", TypeError, "must be tuple of ints"),
    # cutting and joining
    Bad("x.split(0)", RuntimeError, "split_size can only be 0 if dimension size is 0"),
    Bad("x.split(-1)", RuntimeError, "split expects split_size be non-negative"),
    Bad("x.split(2.0)", TypeError, "must be int, not float"),
    Bad("torch.ones(5).split([2, 2])", RuntimeError, "split_with_sizes expects split_sizes to sum exactly to 5"),
    Bad("x.chunk(0)", RuntimeError, "chunk expects `chunks` to be greater than 0, got: 0"),
    Bad("x.chunk(-1)", RuntimeError, "greater than 0, got: -1"),
    Bad("torch.cat([torch.ones(2, 2), torch.ones(2, 3)])", RuntimeError, "Sizes of tensors must match except in dim"),
    Bad("torch.cat([torch.ones(2, 2), torch.ones(2)])", RuntimeError, "same number of dimensions: got 2 and 1"),
    Bad("torch.cat([])", ValueError, "expected a non-empty list of Tensors"),
    Bad("torch.stack([])", RuntimeError, "stack expects a non-empty TensorList"),
    Bad("torch.stack([torch.ones(2), torch.ones(3)])", RuntimeError, "stack expects each tensor to be equal size"),
    Bad("torch.cat(x)", TypeError, "must be a list or tuple of tensors"),
    # operands of other types: Python's own TypeError
    Bad("x + 'a'", TypeError, "unsupported operand type(s) for +: 'Tensor' and 'str'"),
    Bad("x + None", TypeError, "unsupported operand type(s) for +: 'Tensor' and 'NoneType'"),
    Bad("None - x", TypeError, "unsupported operand type(s) for -: 'NoneType' and 'Tensor'"),
    Bad("x * [[1, 2], [3]]", TypeError, "unsupported operand type(s) for *: 'Tensor' and 'list'"),
    Bad("x + [1.0, 2.0, 3.0]", TypeError, "'Tensor' and 'list'"),
    Bad("x @ 'a'", TypeError, "unsupported operand type(s) for @"),
    Bad("x < 'a'", TypeError, "'<' not supported between instances of 'Tensor' and 'str'"),
    Bad("x >= None", TypeError, "'>=' not supported between instances of 'Tensor' and 'NoneType'"),
    Bad("x < [1, 2, 3]", TypeError, "'<' not supported between instances of 'Tensor' and 'list'"),
    Bad("~x", TypeError, "only implemented on integer and Boolean-type tensors"),
    Bad("x & x", TypeError, "only implemented on integer and Boolean-type tensors", torch="NotImplementedError"),
    Bad("-torch.tensor([True])", RuntimeError, "Negation, the `-` operator, on a bool tensor is not supported"),
    Bad("torch.tensor([2]) ** -1", RuntimeError, "Integers to negative integer powers are not allowed"),
    Bad("'a' in x", RuntimeError, "Tensor.__contains__ only supports Tensor or scalar"),
    Bad("f'{x:.2f}'", TypeError, "unsupported format string passed to Tensor.__format__"),
    # indexing
    Bad("x[torch.tensor([0.5])]", IndexError, "tensors used as indices must be long, int, byte or bool tensors"),
    Bad("x[0.5]", IndexError, "only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables"),
    Bad("x[5]", IndexError, "index 5 is out of bounds for dimension 0 with size 2"),
    Bad("x[0, 5]", IndexError, "index 5 is out of bounds for dimension 1 with size 3"),
    Bad("x[torch.tensor([5])]", IndexError, "index 5 is out of bounds for dimension 0 with size 2"),
    Bad("x[:, [0, 3]]", IndexError, "index 3 is out of bounds"),
    Bad("x.gather(1, torch.tensor([[0, 3], [1, 1]]))", RuntimeError, "index 3 is out of bounds for dimension 1"),
    Bad("x.gather(1, torch.tensor([[-1]]))", RuntimeError, "index -1 is out of bounds for dimension 1"),
    Bad("x.gather(1, torch.tensor([0, 1]))", RuntimeError, "Index tensor must have the same number of dimensions"),
    Bad("x.take(torch.tensor([10]))", IndexError, "out of range: tried to access index 10 on a tensor of 6 elements"),
    Bad("x.index_select(0, torch.tensor([0.0]))", RuntimeError, "Expected dtype int64 for index"),
    Bad("x.take(torch.tensor([0.5]))", RuntimeError, "Expected dtype int64 for index"),
    Bad("x.gather(0, torch.tensor([[0.5]]))", RuntimeError, "Expected dtype int64 for index"),
    # values, scalars, gradients
    Bad("x.item()", RuntimeError, "a Tensor with 6 elements cannot be converted to Scalar"),
    Bad("bool(x)", RuntimeError, "Boolean value of Tensor with more than one value is ambiguous"),
    Bad("bool(torch.ones(0))", RuntimeError, "Boolean value of Tensor with no values is ambiguous"),
    Bad("len(torch.tensor(1.0))", TypeError, "len() of a 0-d tensor"),
    Bad("torch.ones(2, dtype=torch.long).sum().backward()", RuntimeError, "element 0 of tensors does not require grad"),
    Bad("torch.ones(2, dtype=torch.long, requires_grad=True)", RuntimeError, "Only Tensors of floating point"),
    Bad("torch.ones(2, dtype=torch.long).requires_grad_()", RuntimeError, "Only Tensors of floating point"),
    Bad("torch.tensor([1, 2]).mean()", RuntimeError, "mean(): could not infer output dtype"),
    Bad("torch.tensor([1, 2]).var()", RuntimeError, "std and var only support floating point"),
    Bad("torch.ones(0).max()", RuntimeError, "Expected reduction dim to be specified for input.numel() == 0"),
    Bad("torch.ones(0).argmax()", IndexError, "Expected reduction dim to be specified for input.numel() == 0"),
    Bad("torch.ones(2, 0).max(1)", IndexError, "Expected reduction dim 1 to have non-zero size"),
    Bad("torch.ones(2, 0).median(1)", IndexError, "Expected reduction dim 1 to have non-zero size"),
    Bad("x.max(dim=(0, 1))", TypeError, "dim must be one int when it returns (values, indices)"),
    Bad("x.max(1.0)", TypeError, "must be int, not float"),
    Bad("x.max(keepdim=True)", TypeError, "keepdim=True needs a dim"),
    Bad("torch.max(x, 2.0)", TypeError, "must be int, not float"),
    Bad("x.topk(4)", RuntimeError, "selected index k out of range"),
    Bad("x.topk(-1)", RuntimeError, "selected index k out of range"),
    Bad("x.topk(1.0)", TypeError, "argument 'k' must be int, not float"),
    # shapes and dtypes that do not fit together
    Bad("x @ torch.ones(4, 5)", RuntimeError, "mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)"),
    Bad("x + torch.ones(4)", RuntimeError, "The size of tensor a (3) must match the size of tensor b (4) at non-singl"),
    Bad("x * torch.ones(4, 3)", RuntimeError, "The size of tensor a (2) must match the size of tensor b (4)"),
    Bad("x < torch.ones(4)", RuntimeError, "The size of tensor a (3) must match the size of tensor b (4)"),
    Bad("torch.maximum(x, torch.ones(4))", RuntimeError, "The size of tensor a (3) must match"),
    Bad("torch.where(torch.ones(2), torch.ones(2), torch.zeros(2))", RuntimeError, "where expected condition to be a"),
    Bad("x.masked_fill(torch.ones(2, 3), 0.0)", RuntimeError, "masked_fill_ only supports boolean masks"),
    Bad("x.masked_fill(x > 0, torch.ones(2))", RuntimeError, "only supports a 0-dimensional value tensor"),
    Bad("x.masked_fill(torch.ones(4, dtype=torch.bool), 5.0)", RuntimeError, "must match the size of tensor b"),
    Bad("torch.clamp(x)", RuntimeError, "At least one of 'min' or 'max' must not be None"),
    # in place
    Bad("torch.ones(3, dtype=torch.long).add_(1.5)", RuntimeError, "can't be cast to the desired output type int64"),
    Bad("torch.ones(3).add_(torch.ones(2, 3))", RuntimeError, "output with shape [3] doesn't match the broadcast"),
    Bad("torch.ones(3).expand(2, 3).add_(1)", RuntimeError, "more than one element of the written-to tensor"),
    Bad("x.masked_fill_(torch.ones(2, 2, 3, dtype=torch.bool), 1.0)", RuntimeError, "does not broadcast"),
    # modules
    Bad(
        "torch.nn.Linear(2, 2).load_state_dict([('weight', torch.ones(2, 2))])", TypeError, "Expected state_dict to be"
    ),
    Bad("torch.nn.Linear(2, 2).to(torch.long)", TypeError, "nn.Module.to only accepts floating point"),
    # random sampling
    Bad("torch.multinomial(torch.tensor([0.5, -0.1]), 1)", RuntimeError, "contains either `inf`, `nan` or element < 0"),
    Bad("torch.multinomial(torch.tensor([0.5, 0.5]), 3)", RuntimeError, "cannot sample n_sample > prob_dist.size(-1)"),
    Bad("torch.multinomial(torch.tensor([0.0, 0.0]), 1)", RuntimeError, "invalid multinomial distribution (sum"),
    Bad("torch.multinomial(torch.ones(2), 0)", RuntimeError, "cannot sample n_sample <= 0 samples"),
    Bad("torch.multinomial(torch.ones(2, 2, 2), 1)", RuntimeError, "prob_dist must be 1 or 2 dim"),
    Bad("torch.multinomial(torch.tensor([1, 2]), 1)", RuntimeError, "only supports floating-point dtypes"),
    Bad("torch.multinomial(torch.ones(2), 1.0)", TypeError, "argument 'num_samples' must be int, not float"),
    # devices
    Bad("x.to('float')", RuntimeError, "device type at start of device string: float"),
    Bad("torch.device('tpu')", RuntimeError, "device type at start of device string: tpu"),
    Bad("torch.zeros(2, device='cuda')", RuntimeError, "minigrad computes on the CPU only", torch="AssertionError"),
    Bad("x.to('cuda')", RuntimeError, "there is no 'cuda' device", torch="AssertionError"),
    Bad("x.cuda()", RuntimeError, "there is no 'cuda' device", torch="AssertionError"),
    Bad("x.half()", NotImplementedError, "float16) is not supported", torch="float16 works in PyTorch"),
    Bad("torch.nn.Linear(2, 2).half()", NotImplementedError, "float16) is not supported", torch="float16 works"),
    Bad("torch.Tensor(2, 3)", TypeError, "that is minigrad.empty(2, 3)", torch="legacy constructor: sizes"),
]

TORCH_REASONS = {
    "NotImplementedError": "PyTorch raises NotImplementedError from its kernel dispatcher; TypeError here, as for ~",
    "AssertionError": "PyTorch's CPU build asserts 'Torch not compiled with CUDA enabled'; a RuntimeError here",
}


def _namespace(torch_module) -> dict:
    return {"torch": torch_module, "np": np, "x": torch_module.ones(2, 3)}


@pytest.mark.parametrize("case", BAD, ids=str)
def test_bad_input_raises_a_clear_error(case):
    with pytest.raises(case.error, match=re.escape(case.fragment)):
        eval(case.code, _namespace(minigrad))


@pytest.mark.parametrize("case", [c for c in BAD if c.torch == "same"], ids=str)
def test_pytorch_raises_the_same_type(case):
    torch = torch_or_skip()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(case.error):
            eval(case.code, _namespace(torch))


def test_the_deliberate_differences_are_real():
    """Each case marked as differing from PyTorch does differ (so the mark is not hiding a same-type case)."""
    torch = torch_or_skip()
    for case in [c for c in BAD if c.torch != "same"]:
        try:
            eval(case.code, _namespace(torch))
        except Exception as error:  # any exception but minigrad's type is what the mark says
            assert not isinstance(error, case.error), f"{case.code}: PyTorch raises {type(error).__name__} too"
            assert type(error).__name__ == case.torch, f"{case.code}: {case.torch!r} vs {type(error).__name__}"
        else:
            assert case.torch in ("float16 works in PyTorch", "float16 works", "legacy constructor: sizes")
    assert set(TORCH_REASONS) <= {c.torch for c in BAD}


# ------------------------------------------------------------------------------------------------
# Values that were silently different from PyTorch's
# ------------------------------------------------------------------------------------------------


def _values(t):
    return t.data if isinstance(t, minigrad.Tensor) else t.detach().numpy()


def _same_as_torch(code: str, **env):
    """Run ``code`` (an expression) under both libraries; equal values (NaN in the same places), shapes, dtypes."""
    torch = torch_or_skip()
    ours = eval(code, {**_namespace(minigrad), **env})
    theirs = eval(code, {**_namespace(torch), **env})
    ours = ours if isinstance(ours, tuple) else (ours,)
    theirs = theirs if isinstance(theirs, tuple) else (theirs,)
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        assert a.shape == tuple(b.shape)
        assert str(a.dtype) == str(b.dtype).replace("torch.", "")
        # (exp and sigmoid of float32 may differ in the last bit between NumPy's and PyTorch's math libraries)
        np.testing.assert_allclose(_values(a), _values(b), rtol=2e-7, atol=0)


def test_an_out_of_range_dim_used_to_wrap_and_now_raises():
    """``transpose(0, 5)`` of a 2-d tensor used to swap dims 0 and 1 (5 % 2); nothing out of range is accepted."""
    x = minigrad.ones(2, 3)
    for call in (lambda: x.transpose(0, 5), lambda: x.permute(0, 5), lambda: x.swapaxes(0, 2)):
        with pytest.raises(IndexError):
            call()
    assert x.transpose(0, -1).shape == (3, 2) and x.transpose(1, 1).shape == (2, 3)


def test_numpy_integers_are_sizes_and_dims():
    x = minigrad.ones(2, 3)
    assert x.view(np.int64(3), 2).shape == (3, 2)
    assert minigrad.zeros(np.int32(2)).shape == (2,)
    assert x.sum(np.int64(1)).shape == (2,)
    assert x.size(np.int64(-1)) == 3
    assert x.reshape(minigrad.tensor(6)).shape == (6,)  # an integer 0-d tensor is an int (__index__)


@pytest.mark.parametrize(
    "code",
    [
        "torch.tensor([1, 2]) * 1.5",  # float32, not NumPy's float64
        "torch.tensor([1, 2]) / 2",
        "torch.tensor([1, 2]) / torch.tensor([4, 8])",
        "torch.ones(2) + np.float64(2)",  # a NumPy scalar counts as a Python number
        "torch.ones(2) * torch.tensor([1, 2])",  # int64 with float32: float32
        "torch.ones(2) * torch.tensor(2.0, dtype=torch.float64)",  # a 0-d tensor does not upcast
        "torch.ones(2, dtype=torch.float64) * torch.ones(2)",
        "torch.tensor([True, False]) + 1",
        "torch.tensor([1, 2], dtype=torch.int32) + torch.tensor([1, 2])",
        "torch.tensor([1, 2], dtype=torch.int32) * 3",
        "torch.tensor([1, 2]) ** 0.5",
        "torch.tensor([1, 2]).exp()",
        "torch.tensor([1, 2]).sigmoid()",
        "torch.tensor([1, 2]).sqrt()",
        "torch.tensor([3, 1]).clamp_min(2.5)",
        "torch.where(torch.tensor([True, False]), 2.0, 3)",
        "torch.where(torch.tensor([True, False]), torch.ones(2), torch.tensor([5, 6]))",
        "torch.maximum(torch.ones(2), torch.tensor([0, 3]))",
        "torch.cat([torch.ones(2), torch.tensor([1, 2])])",
        "torch.tensor([1, 2]).masked_fill(torch.tensor([True, False]), 2.7)",
        "torch.tensor([5, -3]) // 2",
        "torch.tensor([5.0, -3.5]) % 2",
        "torch.tensor([-8.0]) ** (1 / 3)",  # NaN, as PyTorch, and quietly
        "torch.clamp(torch.tensor([0.5, 2.0, -1.0]), 1, 0)",  # min > max: max everywhere
    ],
)
def test_dtypes_and_values_follow_pytorch(code):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no NumPy RuntimeWarning either
        _same_as_torch(code)


def test_clamp_with_min_above_max_has_pytorch_gradient():
    torch = torch_or_skip()
    for lib in (minigrad, torch):
        x = lib.tensor([2.0, 1.0, 3.0, 0.5], requires_grad=True)
        y = x.clamp(3.0, 1.0)
        y.sum().backward()
        assert y.tolist() == [1.0, 1.0, 1.0, 1.0]
        assert np.asarray(_values(x.grad) if lib is torch else x.grad).tolist() == [0.0, 0.0, 0.0, 0.0]


@pytest.mark.parametrize(
    "code",
    [
        "a.max()",
        "a.min()",
        "a.amax(0)",
        "a.max(0)",
        "a.min(0)",
        "a.sort()",
        "a.sort(descending=True)",
        "a.topk(2)",
        "a.topk(2, largest=False)",
        "a.argmax()",
        "a.argmin()",
        "a.median()",
        "a.median(0)",
        "torch.maximum(a, torch.ones(4))",
        "torch.minimum(a, torch.ones(4))",
    ],
)
def test_nan_is_the_largest_value_as_in_pytorch(code):
    torch = torch_or_skip()
    values = [1.0, float("nan"), 3.0, float("nan")]
    ours = eval(code, {"torch": minigrad, "a": minigrad.tensor(values)})
    theirs = eval(code, {"torch": torch, "a": torch.tensor(values)})
    ours = ours if isinstance(ours, tuple) else (ours,)
    theirs = theirs if isinstance(theirs, tuple) else (theirs,)
    for a, b in zip(ours, theirs, strict=True):
        np.testing.assert_array_equal(_values(a), _values(b))


def test_nan_gradient_of_max_goes_to_the_nans_as_in_pytorch():
    torch = torch_or_skip()
    grads = []
    for lib in (minigrad, torch):
        x = lib.tensor([1.0, float("nan"), 3.0, float("nan")], requires_grad=True)
        x.max().backward()
        grads.append(np.asarray(x.grad if lib is minigrad else x.grad.numpy()))
    np.testing.assert_array_equal(grads[0], grads[1])
    assert grads[0].tolist() == [0.0, 0.5, 0.0, 0.5]


def test_comparison_with_none_or_a_string_is_false_as_in_pytorch():
    x = minigrad.ones(2)
    assert (x == None) is False and (x != None) is True  # noqa: E711 - the operator is what is tested
    assert (x == "a") is False
    assert (x == [1.0, 1.0]) is False  # PyTorch does not compare with lists either
