"""seq.fused: the fused RNN/GRU/LSTM/minimal-GRU kernels against finite differences, against a readable per-step
loop of minigrad ops (their composite twin, whose BPTT autograd derives), and against PyTorch's native layers.

Every test draws a configuration (sizes, lengths, direction, bias, nonlinearity or GRU variant) with hypothesis;
sizes stay tiny (T <= 5, B <= 3, D, H <= 4) so full Jacobians are cheap. The gradient check's tolerance is tight
enough that a 1% error in any one gradient fails it, and tests plant such an error to prove it.
"""

from __future__ import annotations

import dataclasses
import sys
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minigrad
from minigrad import Tensor
from minigrad.testing import assert_gradients_match
from seq.fused import FusedGRU, FusedLSTM, FusedMinimalGRU, FusedRNN, common

GATES = {"rnn": 1, "gru": 3, "lstm": 4, "minimal_gru": 2}
KINDS = list(GATES)
# Central differences in float64 (eps 1e-6) agree with these kernels' gradients to ~1e-9; at this tolerance a 1%
# error in any Jacobian entry larger than 1e-5 fails the check (the planted-error tests below prove it).
GRAD_TOL = {"atol": 1e-7, "rtol": 1e-4}
NAMES = ("x", "h0", "c0", "w_ih", "w_hh", "b_ih", "b_hh")  # the tensor arguments, in the order of ``run_fused``


def assert_close(actual: Any, expected: Any, tol: float) -> None:
    np.testing.assert_allclose(np.asarray(actual), np.asarray(expected), rtol=tol, atol=tol)


# --------------------------------------------------------------------------------------------------
# Configurations
# --------------------------------------------------------------------------------------------------


@dataclasses.dataclass
class Case:
    """One layer call: sizes, lengths (None or int64 (B,)), direction, bias, and the kind's option
    (``nonlinearity`` for the RNN, ``reset_after`` for the GRU, None for the LSTM); values from ``seed``."""

    kind: str
    T: int
    B: int
    D: int
    H: int
    lengths: np.ndarray | None
    reverse: bool
    bias: bool
    option: Any
    seed: int

    def arrays(self, dtype: Any = np.float64) -> dict:
        """Inputs and weights, uniform in (-1, 1) and (-k, k) with PyTorch's k = 1/√H doubled (to leave the linear
        regime); c0 None except for the LSTM, biases None without bias."""
        rng = np.random.default_rng(self.seed)
        G, k = GATES[self.kind], 2 / np.sqrt(self.H)
        out = {
            "x": rng.uniform(-1, 1, (self.T, self.B, self.D)),
            "h0": rng.uniform(-1, 1, (self.B, self.H)),
            "c0": rng.uniform(-1, 1, (self.B, self.H)) if self.kind == "lstm" else None,
            "w_ih": rng.uniform(-k, k, (G * self.H, self.D)),
            "w_hh": rng.uniform(-k, k, (G * self.H, self.H)),
            "b_ih": rng.uniform(-k, k, G * self.H) if self.bias else None,
            "b_hh": rng.uniform(-k, k, G * self.H) if self.bias else None,
        }
        return {name: None if a is None else a.astype(dtype) for name, a in out.items()}

    def tensors(self, dtype: Any = np.float64, requires_grad: bool = True) -> list:
        """The arguments of ``run_fused`` / ``run_reference`` as fresh tensors, in the order of ``NAMES``."""
        arrays = self.arrays(dtype)
        return [None if arrays[n] is None else Tensor(arrays[n], requires_grad=requires_grad) for n in NAMES]


@st.composite
def cases(draw: Any, kind: str, max_T: int = 5, max_B: int = 3, max_side: int = 4, relu: bool = True) -> Case:
    T = draw(st.integers(1, max_T))
    B = draw(st.integers(1, max_B))
    lengths = draw(st.none() | hnp.arrays(np.int64, (B,), elements=st.integers(1, T)))
    option = {
        "rnn": st.sampled_from(["tanh", "relu"] if relu else ["tanh"]),
        "gru": st.booleans(),
        "lstm": st.none(),
        "minimal_gru": st.none(),
    }[kind]
    return Case(
        kind=kind,
        T=T,
        B=B,
        D=draw(st.integers(1, max_side)),
        H=draw(st.integers(1, max_side)),
        lengths=lengths,
        reverse=draw(st.booleans()),
        bias=draw(st.booleans()),
        option=draw(option),
        seed=draw(st.integers(0, 2**32 - 1)),
    )


def run_fused(case: Case, x, h0, c0, w_ih, w_hh, b_ih, b_hh) -> tuple:
    """The fused Function of ``case.kind``: (output, h_n) or (output, h_n, c_n)."""
    if case.kind == "rnn":
        return FusedRNN.apply(x, h0, w_ih, w_hh, b_ih, b_hh, case.lengths, case.reverse, case.option)
    if case.kind == "gru":
        return FusedGRU.apply(x, h0, w_ih, w_hh, b_ih, b_hh, case.lengths, case.reverse, case.option)
    if case.kind == "minimal_gru":
        return FusedMinimalGRU.apply(x, h0, w_ih, w_hh, b_ih, b_hh, case.lengths, case.reverse)
    return FusedLSTM.apply(x, h0, c0, w_ih, w_hh, b_ih, b_hh, case.lengths, case.reverse)


# --------------------------------------------------------------------------------------------------
# The readable twin: one cell per step, written with minigrad ops, BPTT left to autograd
# --------------------------------------------------------------------------------------------------


def linear(x: Tensor, w: Tensor, b: Tensor | None) -> Tensor:
    """x Wᵀ + b."""
    y = x @ w.T
    return y if b is None else y + b


def block(a: Tensor | None, k: int, H: int) -> Tensor | None:
    """Gate block k (rows k*H..(k+1)*H) of a stacked weight or bias."""
    return None if a is None else a[k * H : (k + 1) * H]


def rnn_cell(x, h, c, w_ih, w_hh, b_ih, b_hh, nonlinearity):
    """h' = act(W_ih x + b_ih + W_hh h + b_hh)."""
    z = linear(x, w_ih, b_ih) + linear(h, w_hh, b_hh)
    return (z.tanh() if nonlinearity == "tanh" else z.relu()), None


def gru_cell(x, h, c, w_ih, w_hh, b_ih, b_hh, reset_after):
    """r, z = σ(...); n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)) or tanh(W_in x + b_in + W_hn (r ⊙ h) + b_hn);
    h' = (1 - z) ⊙ n + z ⊙ h."""
    H = h.shape[1]

    def gate(k: int, hidden: Tensor) -> tuple:
        return linear(x, block(w_ih, k, H), block(b_ih, k, H)), linear(hidden, block(w_hh, k, H), block(b_hh, k, H))

    r = sum(gate(0, h)).sigmoid()
    z = sum(gate(1, h)).sigmoid()
    if reset_after:
        x_n, h_n = gate(2, h)
        n = (x_n + r * h_n).tanh()
    else:
        n = sum(gate(2, r * h)).tanh()
    return (1 - z) * n + z * h, None


def lstm_cell(x, h, c, w_ih, w_hh, b_ih, b_hh, _option):
    """i, f, g, o = σ, σ, tanh, σ of the 4 blocks; c' = f ⊙ c + i ⊙ g; h' = o ⊙ tanh(c')."""
    H = h.shape[1]
    pre = [
        linear(x, block(w_ih, k, H), block(b_ih, k, H)) + linear(h, block(w_hh, k, H), block(b_hh, k, H))
        for k in range(4)
    ]
    i, f, g, o = pre[0].sigmoid(), pre[1].sigmoid(), pre[2].tanh(), pre[3].sigmoid()
    c_new = f * c + i * g
    return o * c_new.tanh(), c_new


def minimal_gru_cell(x, h, c, w_ih, w_hh, b_ih, b_hh, _option):
    """u, c̃ = σ, tanh of the 2 blocks; h' = u ⊙ c̃ + (1 - u) ⊙ h."""
    H = h.shape[1]
    pre = [
        linear(x, block(w_ih, k, H), block(b_ih, k, H)) + linear(h, block(w_hh, k, H), block(b_hh, k, H))
        for k in range(2)
    ]
    u, c_tilde = pre[0].sigmoid(), pre[1].tanh()
    return u * c_tilde + (1 - u) * h, None


CELLS = {"rnn": rnn_cell, "gru": gru_cell, "lstm": lstm_cell, "minimal_gru": minimal_gru_cell}


def run_reference(case: Case, x, h0, c0, w_ih, w_hh, b_ih, b_hh) -> tuple:
    """The same layer as a plain loop: h<t> = m ⊙ h' + (1 - m) ⊙ h<t-1>, output<t> = m ⊙ h', m = (t < lengths)."""
    cell = CELLS[case.kind]
    steps = range(case.T - 1, -1, -1) if case.reverse else range(case.T)
    h, c = h0, c0
    outputs = [None] * case.T
    if h is None:  # the kernels' default: zeros
        h = Tensor(np.zeros((case.B, case.H)))
    if c is None and case.kind == "lstm":
        c = Tensor(np.zeros((case.B, case.H)))
    for t in steps:
        h_new, c_new = cell(x[t], h, c, w_ih, w_hh, b_ih, b_hh, case.option)
        if case.lengths is None:
            h, c, outputs[t] = h_new, c_new, h_new
        else:
            m = (t < case.lengths)[:, None]  # (B, 1)
            h = minigrad.where(m, h_new, h)
            c = None if c is None else minigrad.where(m, c_new, c)
            outputs[t] = minigrad.where(m, h_new, 0.0)
    output = minigrad.stack(outputs)  # (T, B, H)
    return (output, h) if case.kind != "lstm" else (output, h, c)


def outputs_and_grads(fn: Any, case: Case, seeds: list, args: list | None = None) -> tuple[list, list]:
    """Outputs of ``fn(case, *tensors)`` and the gradients of Σ_k <seed_k, output_k> for every tensor argument."""
    args = case.tensors() if args is None else args
    outs = fn(case, *args)
    loss = sum((o * Tensor(s)).sum() for o, s in zip(outs, seeds))
    loss.backward()
    return [o.data for o in outs], [None if a is None else a.grad for a in args]


def output_seeds(case: Case) -> list:
    rng = np.random.default_rng(case.seed + 1)
    shapes = [(case.T, case.B, case.H), (case.B, case.H)] + ([(case.B, case.H)] if case.kind == "lstm" else [])
    return [rng.standard_normal(s) for s in shapes]


# --------------------------------------------------------------------------------------------------
# Gradients against finite differences
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
@given(data=st.data())
def test_gradients_match_finite_differences(kind, data):
    # relu is checked against torch and the reference loop instead: a finite difference may straddle its kink
    case = data.draw(cases(kind, relu=False))
    args = case.tensors()
    assert_gradients_match(lambda *a: run_fused(case, *a), *args, **GRAD_TOL)


class _OffByOnePercent:
    """Patch ``kernel.backward`` to return the gradient of argument ``index`` times 1.01 (a planted bug)."""

    def __init__(self, monkeypatch: Any, kernel: Any, index: int) -> None:
        original = kernel.backward

        def backward(ctx, *grads):
            out = list(original(ctx, *grads))
            if out[index] is not None:
                out[index] = out[index] * 1.01
            return tuple(out)

        monkeypatch.setattr(kernel, "backward", staticmethod(backward))


KERNELS = {"rnn": FusedRNN, "gru": FusedGRU, "lstm": FusedLSTM, "minimal_gru": FusedMinimalGRU}


@pytest.mark.parametrize("kind", KINDS)
def test_a_planted_one_percent_error_fails_the_gradient_check(kind, monkeypatch):
    """The check above catches a backward whose gradient for any one argument is off by 1%, on every draw."""
    names = [n for n in NAMES if n != "c0" or kind == "lstm"]

    @given(data=st.data())
    def check(data):
        name = data.draw(st.sampled_from(names))
        case = data.draw(cases(kind, relu=False))
        if name.startswith("b_") and not case.bias:
            case = dataclasses.replace(case, bias=True)
        args = case.tensors()
        with monkeypatch.context() as patch:
            _OffByOnePercent(patch, KERNELS[kind], names.index(name))
            with pytest.raises(AssertionError, match="do not match finite differences"):
                assert_gradients_match(lambda *a: run_fused(case, *a), *args, **GRAD_TOL)

    check()


# --------------------------------------------------------------------------------------------------
# The fused path against its readable twin
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
@given(data=st.data())
def test_fused_matches_reference_loop(kind, data):
    case = data.draw(cases(kind))
    seeds = output_seeds(case)
    fused_outs, fused_grads = outputs_and_grads(run_fused, case, seeds)
    ref_outs, ref_grads = outputs_and_grads(run_reference, case, seeds)
    for got, expected in zip(fused_outs, ref_outs):
        assert got.shape == expected.shape
        assert_close(got, expected, 1e-12)
    for name, got, expected in zip(NAMES, fused_grads, ref_grads):
        assert (got is None) == (expected is None), name
        if got is not None:
            assert got.shape == expected.shape, name
            assert_close(got, expected, 1e-12)


@pytest.mark.parametrize("kind", KINDS)
@given(data=st.data())
def test_blocks_and_chunks_of_steps_change_nothing(kind, data):
    """Backward walks the steps in blocks (the factors of a block computed at once) inside chunks (the weight
    gradients summed chunk by chunk). The benchmark's sizes fit in a few; here they are made as small as one step
    each, or a few steps, so that every boundary (a block or chunk that starts or ends mid-sequence, padding across
    it, either direction) is crossed: the values and gradients stay those of one block and one chunk."""
    case = data.draw(cases(kind, max_T=9))
    seeds = output_seeds(case)
    expected_outs, expected_grads = outputs_and_grads(run_fused, case, seeds)
    sizes = {
        "BLOCK_BYTES": data.draw(st.integers(0, 400), label="block bytes"),
        "CHUNK_BYTES": data.draw(st.integers(0, 800), label="chunk bytes"),
        "CHUNK_ROWS": data.draw(st.integers(0, 6), label="chunk rows"),
    }
    defaults = {name: getattr(common, name) for name in sizes}
    try:
        for name, value in sizes.items():
            setattr(common, name, value)
        outs, grads = outputs_and_grads(run_fused, case, seeds)
    finally:
        for name, value in defaults.items():
            setattr(common, name, value)
    for got, expected in zip(outs, expected_outs):
        np.testing.assert_array_equal(got, expected)  # forward does not depend on the blocks
    for name, got, expected in zip(NAMES, grads, expected_grads):
        if expected is not None:
            np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12, err_msg=name)


@pytest.mark.parametrize("kind", KINDS)
@given(data=st.data())
def test_backward_twice_with_retain_graph_gives_the_same_gradients(kind, data):
    """Backward only reads what forward saved (the states, the gates, the output it returns as a view of the
    states): a second backward through the same graph adds exactly the same gradients again."""
    case = data.draw(cases(kind, max_T=7))
    seeds = output_seeds(case)
    args = case.tensors()
    outs = run_fused(case, *args)
    loss = sum((o * Tensor(s)).sum() for o, s in zip(outs, seeds))
    loss.backward(retain_graph=True)
    first = [None if a is None else a.grad.copy() for a in args]
    loss.backward()
    for name, a, g in zip(NAMES, args, first):
        if a is not None:
            np.testing.assert_array_equal(a.grad, 2 * g, err_msg=name)


def test_blocks_and_chunks_split_the_steps_in_backward_order():
    """The blocks of a chunk and the chunks of a sequence cover every step once, in the order backward walks them
    (T-1 down to 0; 0 up to T-1 when forward ran reversed), with the sizes their budgets allow."""
    assert common._chunks(10, 1, 100, reverse=False) == [(0, 10)]  # 512 rows: one chunk
    defaults = (common.CHUNK_ROWS, common.CHUNK_BYTES, common.BLOCK_BYTES)
    try:
        common.CHUNK_ROWS, common.CHUNK_BYTES, common.BLOCK_BYTES = 2, 300, 200  # 100-byte rows: 3 steps, 2 steps
        assert common._chunks(10, 1, 100, reverse=False) == [(9, 10), (6, 9), (3, 6), (0, 3)]
        assert common._chunks(10, 1, 100, reverse=True) == [(0, 3), (3, 6), (6, 9), (9, 10)]
        assert common._chunks(10, 1, 1000, reverse=False) == [(8, 10), (6, 8), (4, 6), (2, 4), (0, 2)]  # 2 rows
        blocks = list(common._blocks(3, 8, 100, reverse=False))
        assert [(lo, hi, list(steps)) for lo, hi, steps in blocks] == [(6, 8, [7, 6]), (4, 6, [5, 4]), (3, 4, [3])]
        blocks = list(common._blocks(3, 8, 100, reverse=True))
        assert [(lo, hi, list(steps)) for lo, hi, steps in blocks] == [(3, 5, [3, 4]), (5, 7, [5, 6]), (7, 8, [7])]
    finally:
        common.CHUNK_ROWS, common.CHUNK_BYTES, common.BLOCK_BYTES = defaults


@pytest.mark.parametrize("kind", KINDS)
@given(data=st.data())
def test_padding_changes_nothing_and_gets_no_gradient(kind, data):
    case = data.draw(cases(kind))
    lengths = data.draw(hnp.arrays(np.int64, (case.B,), elements=st.integers(1, case.T)))
    case = dataclasses.replace(case, lengths=lengths)
    seeds = output_seeds(case)
    outs, grads = outputs_and_grads(run_fused, case, seeds)
    padding = np.arange(case.T)[:, None] >= lengths[None, :]  # (T, B)
    assert np.all(outs[0][padding] == 0)
    assert np.all(grads[0][padding] == 0)
    # Other values in the padding, finite or not, and a gradient arriving at the padded outputs that is NaN: the
    # outputs, the final states and every gradient stay exactly what they were.
    fill = data.draw(st.sampled_from([np.nan, np.inf, -np.inf, "random"]))
    arrays = case.arrays()
    other = dataclasses.replace(case, seed=case.seed + 7).arrays()["x"] * 100 if fill == "random" else fill
    arrays["x"] = np.where(padding[:, :, None], other, arrays["x"])  # (T, B, D): changed only in the padding
    args = [None if arrays[n] is None else Tensor(arrays[n], requires_grad=True) for n in NAMES]
    poisoned = [s.copy() for s in seeds]
    poisoned[0][padding] = np.nan  # d loss / d output at the padding: dropped, as PyTorch's pad_packed_sequence
    outs_again, grads_again = outputs_and_grads(run_fused, case, poisoned, args)
    for got, expected in zip(outs_again, outs):
        np.testing.assert_array_equal(got, expected)
    for name, got, expected in zip(NAMES, grads_again, grads):
        if expected is not None:
            np.testing.assert_array_equal(got, expected, err_msg=name)


@pytest.mark.parametrize("kind", KINDS)
@given(data=st.data())
def test_no_initial_state_means_zeros(kind, data):
    """h0=None (and c0=None) runs the kernels' own zero state: values and gradients equal explicit zeros."""
    case = data.draw(cases(kind))
    seeds = output_seeds(case)
    zeros = case.tensors()
    nones = case.tensors()
    for i, name in enumerate(NAMES):
        if name in ("h0", "c0") and zeros[i] is not None:
            zeros[i] = Tensor(np.zeros((case.B, case.H)), requires_grad=True)
            nones[i] = None
    outs_zeros, grads_zeros = outputs_and_grads(run_fused, case, seeds, zeros)
    outs_none, grads_none = outputs_and_grads(run_fused, case, seeds, nones)
    for got, expected in zip(outs_none, outs_zeros):
        np.testing.assert_array_equal(got, expected)
    for name, got, expected in zip(NAMES, grads_none, grads_zeros):
        if name in ("h0", "c0"):
            assert got is None
        elif expected is not None:
            np.testing.assert_array_equal(got, expected, err_msg=name)
    if kind == "lstm":  # one state given, the other None
        mixed = case.tensors()
        mixed[NAMES.index("c0")] = None
        outs_mixed, _ = outputs_and_grads(run_fused, case, seeds, mixed)
        reference = case.tensors()
        reference[NAMES.index("c0")] = Tensor(np.zeros((case.B, case.H)))
        outs_reference, _ = outputs_and_grads(run_fused, case, seeds, reference)
        for got, expected in zip(outs_mixed, outs_reference):
            np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("kind", KINDS)
def test_an_empty_batch_runs_and_gives_zero_gradients(kind):
    case = Case(kind, T=3, B=0, D=2, H=3, lengths=None, reverse=False, bias=True, option=_option(kind), seed=0)
    args = case.tensors()
    outs = run_fused(case, *args)
    assert [o.shape for o in outs] == [(3, 0, 3)] + [(0, 3)] * (len(outs) - 1)
    sum(o.sum() for o in outs).backward()
    for name, a in zip(NAMES, args):
        if a is not None:
            assert a.grad.shape == a.shape and np.all(a.grad == 0), name


@pytest.mark.parametrize("kind", KINDS)
def test_no_time_steps_is_refused_as_pytorch_refuses_it(kind):
    case = Case(kind, T=0, B=2, D=2, H=3, lengths=None, reverse=False, bias=True, option=_option(kind), seed=0)
    with pytest.raises(ValueError, match="Expected sequence length to be larger than 0"):
        run_fused(case, *case.tensors())


def _option(kind: str) -> Any:
    return {"rnn": "tanh", "gru": True, "lstm": None, "minimal_gru": None}[kind]


@pytest.mark.parametrize("kind", KINDS)
def test_only_inputs_that_need_grad_get_one(kind):
    case = Case(
        kind,
        T=3,
        B=2,
        D=3,
        H=2,
        lengths=np.array([3, 1]),
        reverse=False,
        bias=True,
        option=_option(kind),
        seed=3,
    )
    seeds = output_seeds(case)
    _, all_grads = outputs_and_grads(run_fused, case, seeds)
    args = case.tensors()
    for a, name in zip(args, NAMES):
        if a is not None and name not in ("w_hh", "b_ih"):
            a.requires_grad_(False)
    outs = run_fused(case, *args)
    sum((o * Tensor(s)).sum() for o, s in zip(outs, seeds)).backward()
    for a, name, expected in zip(args, NAMES, all_grads):
        if name in ("w_hh", "b_ih"):
            assert_close(a.grad, expected, 1e-14)
        elif a is not None:
            assert a.grad is None, name


# --------------------------------------------------------------------------------------------------
# PyTorch parity
# --------------------------------------------------------------------------------------------------


def torch_layer(torch: Any, case: Case, arrays: dict) -> Any:
    """A float64 torch.nn.RNN/GRU/LSTM holding ``arrays``' weights in the direction ``case.reverse`` selects (a
    bidirectional module for the reverse direction; its forward half keeps random weights and is not used)."""
    kwargs = {"input_size": case.D, "hidden_size": case.H, "bias": case.bias, "bidirectional": case.reverse}
    if case.kind == "rnn":
        layer = torch.nn.RNN(nonlinearity=case.option, **kwargs)
    else:
        layer = {"gru": torch.nn.GRU, "lstm": torch.nn.LSTM}[case.kind](**kwargs)
    layer = layer.double()
    suffix = "_reverse" if case.reverse else ""
    with torch.no_grad():
        for name in ("w_ih", "w_hh", "b_ih", "b_hh"):
            if arrays[name] is not None:
                torch_name = {"w_ih": "weight_ih", "w_hh": "weight_hh", "b_ih": "bias_ih", "b_hh": "bias_hh"}[name]
                getattr(layer, f"{torch_name}_l0{suffix}").copy_(torch.from_numpy(arrays[name]))
    return layer


@pytest.mark.parametrize("kind", ["rnn", "gru", "lstm"])
@given(data=st.data())
def test_matches_torch(kind, data):
    torch = pytest.importorskip("torch")
    case = data.draw(cases(kind))
    if kind == "gru" and not case.option:  # reset_after=False has no torch twin: the reference loop covers it
        case = dataclasses.replace(case, option=True)
    seeds = output_seeds(case)
    outs, grads = outputs_and_grads(run_fused, case, seeds)

    arrays = case.arrays()
    layer = torch_layer(torch, case, arrays)
    directions = 2 if case.reverse else 1
    x = torch.tensor(arrays["x"], requires_grad=True)
    h0 = torch.tensor(np.stack([arrays["h0"]] * directions), requires_grad=True)  # (directions, B, H)
    states = [h0]
    if kind == "lstm":
        states.append(torch.tensor(np.stack([arrays["c0"]] * directions), requires_grad=True))
    packed = x
    if case.lengths is not None:
        packed = torch.nn.utils.rnn.pack_padded_sequence(x, torch.tensor(case.lengths), enforce_sorted=False)
    output, final = layer(packed, tuple(states) if kind == "lstm" else h0)
    if case.lengths is not None:
        output, _ = torch.nn.utils.rnn.pad_packed_sequence(output, total_length=case.T)  # zeros past each length
    output = output[..., case.H :] if case.reverse else output  # (T, B, H) of the direction under test
    finals = list(final) if kind == "lstm" else [final]
    theirs = [output] + [f[-1] for f in finals]  # the last direction's h_n (and c_n)
    loss = sum((o * torch.tensor(s)).sum() for o, s in zip(theirs, seeds))
    loss.backward()

    for mine, expected in zip(outs, theirs):
        assert_close(mine, expected.detach().numpy(), 1e-10)
    suffix = "_reverse" if case.reverse else ""
    expected_grads = {"x": x.grad, "h0": h0.grad[-1]}
    if kind == "lstm":
        expected_grads["c0"] = states[1].grad[-1]
    for name, torch_name in (("w_ih", "weight_ih"), ("w_hh", "weight_hh"), ("b_ih", "bias_ih"), ("b_hh", "bias_hh")):
        if case.bias or name.startswith("w"):
            expected_grads[name] = getattr(layer, f"{torch_name}_l0{suffix}").grad
    for name, grad in zip(NAMES, grads):
        if name in expected_grads:
            assert_close(grad, expected_grads[name].numpy(), 1e-10)
        else:
            assert grad is None, name


# --------------------------------------------------------------------------------------------------
# dtypes, long sequences, errors
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_float32_in_float32_out(kind):
    case = Case(
        kind,
        T=4,
        B=3,
        D=3,
        H=2,
        lengths=np.array([4, 2, 1]),
        reverse=True,
        bias=True,
        option={"rnn": "tanh", "gru": False, "lstm": None, "minimal_gru": None}[kind],
        seed=5,
    )
    args = case.tensors(np.float32)
    outs = run_fused(case, *args)
    seeds = output_seeds(case)
    sum((o * Tensor(s.astype(np.float32))).sum() for o, s in zip(outs, seeds)).backward()
    expected_outs, expected_grads = outputs_and_grads(run_fused, case, seeds)  # float64
    for o, expected in zip(outs, expected_outs):
        assert o.dtype == np.float32
        assert_close(o.data, expected, 1e-5)
    for a, expected in zip(args, expected_grads):
        if a is not None:
            assert a.grad.dtype == np.float32
            assert_close(a.grad, expected, 1e-4)


def test_ten_thousand_steps_forward_and_backward():
    limit = sys.getrecursionlimit()
    case = Case("rnn", T=10_000, B=1, D=2, H=4, lengths=None, reverse=False, bias=True, option="tanh", seed=0)
    args = case.tensors()
    output, h_n = run_fused(case, *args)
    (output.sum() + h_n.sum()).backward()
    assert sys.getrecursionlimit() == limit
    assert output.shape == (10_000, 1, 4)
    np.testing.assert_array_equal(h_n.data, output.data[-1])
    for a in args:
        if a is not None:
            assert a.grad is not None and np.all(np.isfinite(a.grad))
    assert np.any(args[0].grad[0] != 0)  # the first step still gets a gradient


def valid_lstm_args() -> dict:
    rng = np.random.default_rng(0)
    T, B, D, H = 3, 2, 4, 5
    shapes = {
        "x": (T, B, D),
        "h0": (B, H),
        "c0": (B, H),
        "w_ih": (4 * H, D),
        "w_hh": (4 * H, H),
        "b_ih": (4 * H,),
        "b_hh": (4 * H,),
    }
    return {name: Tensor(rng.standard_normal(s)) for name, s in shapes.items()}


@pytest.mark.parametrize(
    ("name", "shape", "message"),
    [
        ("x", (3, 2), "time-major"),
        ("w_ih", (20, 3), "w_ih must have shape"),
        ("w_ih", (18, 4), "w_ih must have shape"),
        ("w_hh", (20, 4), "w_hh must have shape"),
        ("h0", (3, 5), "h0 must have shape"),
        ("c0", (2, 4), "c0 must have shape"),
        ("b_hh", (5,), "b_hh must have shape"),
    ],
)
def test_inconsistent_shapes_raise_value_error(name, shape, message):
    args = valid_lstm_args()
    FusedLSTM.apply(*args.values(), None, False)  # the valid call runs
    args[name] = Tensor(np.zeros(shape))
    with pytest.raises(ValueError, match=message):
        FusedLSTM.apply(*args.values(), None, False)


def test_other_invalid_arguments_raise_value_error():
    args = valid_lstm_args()
    with pytest.raises(ValueError, match="lengths must have shape"):
        FusedLSTM.apply(*args.values(), np.array([1, 2, 3]), False)
    with pytest.raises(ValueError, match="both biases"):
        FusedLSTM.apply(*list(args.values())[:6], None, None, False)
    rnn_args = [args["x"], args["h0"], Tensor(np.zeros((5, 4))), Tensor(np.zeros((5, 5))), None, None]
    with pytest.raises(ValueError, match="nonlinearity"):
        FusedRNN.apply(*rnn_args, None, False, "sigmoid")
    with pytest.raises(ValueError, match="dtype"):
        FusedGRU.apply(
            args["x"],
            args["h0"],
            Tensor(np.zeros((15, 4), np.float32)),
            Tensor(np.zeros((15, 5))),
            None,
            None,
            None,
            False,
            True,
        )
