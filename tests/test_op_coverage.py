"""One list of ops, and every op proven: the guards that keep adding an op a short, checked path.

- Every name an op module lists in its ``__all__`` exists, and ``minigrad.ops`` and ``minigrad`` export
  exactly what the op modules list (their lists are derived from the modules' own).
- Every ``Function`` subclass anywhere in minigrad and seq is reached by an entry of the op registry
  (``tests/op_registry.py``), or has a gradient check of its own, named below.
- Every op function has its Tensor method where ``torch.Tensor`` has one.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
from pathlib import Path

import pytest
from conftest import torch_or_skip
from hypothesis import Phase, find, settings
from op_registry import OPS

import minigrad
import seq

TESTS = Path(__file__).resolve().parent

# Functions outside the registry, each with the test that checks its gradients against finite differences.
OWN_GRADIENT_CHECKS = {
    "Cast": ("test_kinks_and_ties.py", "test_cast_gradient_matches_finite_differences"),
    "EmbeddingLookup": ("test_nn_functional.py", "test_embedding_is_a_row_lookup_with_gradients"),
    "LogSigmoid": ("test_nn_functional.py", "test_logsigmoid_is_stable_and_correct"),
    "BinaryCrossEntropy": ("test_nn_functional.py", "test_binary_cross_entropy"),
    "BinaryCrossEntropyWithLogits": ("test_nn_functional.py", "test_binary_cross_entropy_with_logits"),
    "FusedRNN": ("test_seq_fused.py", "test_gradients_match_finite_differences"),
    "FusedGRU": ("test_seq_fused.py", "test_gradients_match_finite_differences"),
    "FusedMinimalGRU": ("test_seq_fused.py", "test_gradients_match_finite_differences"),
    "FusedLSTM": ("test_seq_fused.py", "test_gradients_match_finite_differences"),
}


def _all_functions() -> dict:
    """name -> class, for every Function subclass defined in a module of minigrad or seq."""
    found = {}
    for package in (minigrad, seq):
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            module = importlib.import_module(info.name)
            for obj in vars(module).values():
                if (
                    isinstance(obj, type)
                    and issubclass(obj, minigrad.Function)
                    and obj is not minigrad.Function
                    and obj.__module__ == module.__name__
                ):
                    found[obj.__name__] = obj
    return found


def _reached_by_the_registry() -> set:
    """The Function classes in the graphs of one drawn example of every registry entry."""
    seen = set()
    one = settings(max_examples=1, phases=[Phase.generate], database=None, derandomize=True)
    for op in OPS:
        arrays_, kwargs = find(op.inputs, lambda _: True, settings=one)
        out = op.fn(*[minigrad.tensor(a, requires_grad=True) for a in arrays_], **kwargs)
        stack = [o for o in (out if isinstance(out, tuple) else (out,)) if o.grad_fn is not None]
        while stack:
            ctx = stack.pop().grad_fn
            seen.add(type(ctx).__name__)
            stack.extend(p for p in ctx.parents if isinstance(p, minigrad.Tensor) and p.grad_fn is not None)
    return seen


def test_the_op_lists_are_derived_from_the_op_modules():
    listed = set()
    for module in minigrad.ops.MODULES:
        for name in module.__all__:
            assert hasattr(module, name), f"{module.__name__}.__all__ lists {name!r}, which it does not define"
        listed |= set(module.__all__)
    assert set(minigrad.ops.__all__) == listed
    functions = {name for name in listed if name[0].islower()}
    assert set(minigrad.ops.FUNCTIONS) == functions
    for name in functions:
        assert getattr(minigrad, name) is getattr(minigrad.ops, name), name
    assert functions <= set(minigrad.__all__)
    classes = {name for name, obj in vars(minigrad.ops).items() if isinstance(obj, type) and name[0].isupper()}
    functions_classes = {name for name in classes if issubclass(getattr(minigrad.ops, name), minigrad.Function)}
    assert functions_classes <= listed, f"op classes not in their module's __all__: {functions_classes - listed}"


def test_every_function_has_a_gradient_check():
    every = _all_functions()
    reached = _reached_by_the_registry()
    unchecked = sorted(set(every) - reached - set(OWN_GRADIENT_CHECKS))
    assert not unchecked, f"Functions with no registry entry and no gradient check of their own: {unchecked}"
    stale = sorted(set(OWN_GRADIENT_CHECKS) - set(every))
    assert not stale, f"OWN_GRADIENT_CHECKS names Functions that no longer exist: {stale}"


@pytest.mark.parametrize("name", sorted(OWN_GRADIENT_CHECKS))
def test_the_named_gradient_checks_exist(name):
    """The test named for a Function exists and compares gradients with finite differences."""
    filename, test_name = OWN_GRADIENT_CHECKS[name]
    tree = ast.parse((TESTS / filename).read_text())
    tests = {node.name: node for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}
    assert test_name in tests, f"{filename} has no {test_name} (named as {name}'s gradient check)"
    body = ast.unparse(tests[test_name])
    assert "gradcheck" in body or "assert_gradients_match" in body, f"{filename}::{test_name} checks no gradient"


def test_every_op_function_has_its_tensor_method_where_torch_has_one():
    torch = torch_or_skip()
    missing = [
        name
        for name in minigrad.ops.FUNCTIONS
        if hasattr(torch.Tensor, name) and not hasattr(minigrad.Tensor, name) and not name.startswith("_")
    ]
    assert not missing, f"op functions without the Tensor method torch has: {missing}"
