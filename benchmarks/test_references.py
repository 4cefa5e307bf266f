"""The benchmarks' hand-written references compute what minigrad computes: loss and every gradient.

Run: ``python -m pytest -q benchmarks/test_references.py``. The benchmark scripts check the same before they
time anything; these tests add the shapes a benchmark never uses (one step, one unit, several blocks of
steps in backward), float32, and the checking helpers themselves.
"""

from __future__ import annotations

import numpy as np
import pytest
import references
from timing import check_agreement, worst_difference

import minigrad
import seq

KERNELS = {
    "lstm": (references.lstm, seq.LSTM, 2),
    "gru": (references.gru, seq.GRU, 1),
    "rnn": (references.rnn, seq.RNN, 1),
}
NAMES = ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")

# (T, B, D, H): one step and one unit; odd sizes; and sizes whose backward runs in several blocks of steps
# (T * B * G * H * 8 bytes above the 512 KiB block budget for every kernel).
SHAPES = [(1, 1, 1, 1), (3, 2, 5, 1), (7, 3, 4, 6), (1, 4, 3, 9), (300, 8, 3, 40)]


def run_minigrad(kernel: str, x: np.ndarray, states: list, seed: int = 1) -> tuple[dict, tuple[float, dict]]:
    """seq's fused layer on x (requires grad) from the given states: (weights, (loss, grads))."""
    _, layer_class, _ = KERNELS[kernel]
    minigrad.manual_seed(seed)
    layer = layer_class(x.shape[2], states[0].shape[1], dtype=x.dtype)
    xt = minigrad.Tensor(x, requires_grad=True)
    hx = [minigrad.Tensor(s[None]) for s in states]
    out, _ = layer(xt, tuple(hx) if len(hx) == 2 else hx[0])
    loss = (out * out).sum() * 0.5
    loss.backward()
    params = dict(layer.named_parameters())
    grads = {"x": xt.grad, **{n: params[n].grad for n in NAMES}}
    return {n: params[n].data for n in NAMES}, (loss.item(), grads)


def case(kernel: str, T: int, B: int, D: int, H: int, dtype=np.float64) -> tuple:
    rng = np.random.default_rng(T * 1000 + B * 100 + D * 10 + H)
    x = rng.standard_normal((T, B, D)).astype(dtype)
    states = [(0.5 * rng.standard_normal((B, H))).astype(dtype) for _ in range(KERNELS[kernel][2])]
    weights, expected = run_minigrad(kernel, x, states)
    reference = KERNELS[kernel][0]
    return reference, x, states, [weights[n] for n in NAMES], expected


@pytest.mark.parametrize("kernel", list(KERNELS))
@pytest.mark.parametrize("shape", SHAPES)
def test_reference_matches_minigrad_in_float64(kernel, shape):
    reference, x, states, weights, expected = case(kernel, *shape)
    got = reference(x, *states, *weights)
    assert set(got[1]) == set(expected[1])
    assert check_agreement(kernel, got, expected, 1e-10) <= 1e-10


@pytest.mark.parametrize("kernel", list(KERNELS))
def test_reference_without_input_grad_gives_the_same_weight_grads(kernel):
    reference, x, states, weights, expected = case(kernel, 9, 3, 4, 5)
    loss, grads = reference(x, *states, *weights, input_grad=False)
    assert "x" not in grads
    del expected[1]["x"]
    check_agreement(kernel, (loss, grads), expected, 1e-10)


@pytest.mark.parametrize("kernel", list(KERNELS))
def test_reference_keeps_float32(kernel):
    reference, x, states, weights, expected = case(kernel, 20, 4, 6, 8, dtype=np.float32)
    loss, grads = reference(x, *states, *weights)
    assert all(g.dtype == np.float32 for g in grads.values())
    check_agreement(kernel, (loss, grads), expected, 2e-3)


@pytest.mark.parametrize("kernel", list(KERNELS))
def test_a_one_percent_error_in_a_weight_fails_the_check(kernel):
    reference, x, states, weights, expected = case(kernel, 5, 2, 3, 4)
    loss, grads = reference(x, *states, *weights)
    grads["weight_hh_l0"] = grads["weight_hh_l0"] * 1.01
    with pytest.raises(AssertionError, match="weight_hh_l0 differs"):
        check_agreement(kernel, (loss, grads), expected, 1e-10)


def minigrad_chain(x0: np.ndarray, a: np.ndarray, m: np.ndarray, n_ops: int) -> tuple[float, dict]:
    x = minigrad.Tensor(x0, requires_grad=True)
    y = x
    for k in range(n_ops):
        y = y + minigrad.Tensor(a) if k % 3 == 0 else (y * minigrad.Tensor(m) if k % 3 == 1 else y.tanh())
    loss = y.sum()
    loss.backward()
    return loss.item(), {"x": x.grad}


@pytest.mark.parametrize("n_ops", [1, 2, 3, 4, 5, 6, 7, 300])
def test_op_chain_matches_minigrad(n_ops):
    rng = np.random.default_rng(n_ops)
    x0, a, m = rng.standard_normal(16), rng.standard_normal(16), rng.uniform(0.5, 1.5, 16)
    loss, grad = references.op_chain(x0, a, m, n_ops)
    check_agreement("op chain", (loss, {"x": grad}), minigrad_chain(x0, a, m, n_ops), 1e-12)
    assert not np.allclose(grad, 1.0) or n_ops == 1  # the chain's derivative is not trivially one


@pytest.mark.parametrize(("T", "step_bytes"), [(1, 10), (10, 1 << 20), (10, 1 << 17), (50, 1 << 16), (7, 1 << 19)])
def test_blocks_cover_every_step_once_last_first(T, step_bytes):
    blocks = references._blocks(T, step_bytes)
    steps = [t for start, stop in blocks for t in range(stop - 1, start - 1, -1)]
    assert steps == list(range(T - 1, -1, -1))
    assert all(stop - start <= max(1, (1 << 19) // step_bytes) for start, stop in blocks)


def test_worst_difference_names_the_worst_and_counts_nan_and_shape():
    expected = {"a": np.array([1.0, 2.0]), "b": np.array([100.0])}
    assert worst_difference({"a": np.array([1.0, 2.5]), "b": np.array([101.0])}, expected) == (
        "a",
        0.25,
    )  # 0.5 / 2 beats 1 / 100
    assert worst_difference({"a": np.array([1.0, np.nan]), "b": np.array([100.0])}, expected)[0] == "a"
    assert worst_difference({"a": np.array([1.0]), "b": np.array([100.0])}, expected) == ("a", np.inf)
