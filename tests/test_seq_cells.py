"""The readable cells: gradients proven, equations checked against NumPy, numbers equal to PyTorch's."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minigrad
import seq
from minigrad import Tensor
from minigrad.testing import arrays, assert_gradients_match

sizes = st.tuples(st.integers(1, 3), st.integers(1, 4), st.integers(1, 4))  # B, D, H
# Full Jacobians by central differences in float64 agree with the cells' gradients to ~1e-9; at this tolerance a 1%
# error in any entry larger than 1e-5 fails (test_a_planted_one_percent_error_fails_the_cell_gradient_check).
GRAD_TOL = {"atol": 1e-7, "rtol": 1e-4}


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def make(cls, D, H, seed=0, **kwargs):
    minigrad.manual_seed(seed)
    return cls(D, H, dtype=np.float64, **kwargs)


CELLS = [
    (seq.RNNCell, {}),
    (seq.RNNCell, {"nonlinearity": "relu"}),
    (seq.GRUCell, {}),
    (seq.GRUCell, {"reset_after": False}),
    (seq.MinimalGRUCell, {}),
    (seq.LSTMCell, {}),
    (seq.LSTMCell, {"bias": False}),
]
cell_ids = [f"{c.__name__}-{kw}" for c, kw in CELLS]


@pytest.mark.parametrize(("cls", "kwargs"), CELLS, ids=cell_ids)
def test_cell_gradients_wrt_input_state_and_every_parameter(cls, kwargs):
    @given(sizes, st.data())
    def check(bdh, data):
        B, D, H = bdh
        cell = make(cls, D, H, **kwargs)
        x = Tensor(data.draw(arrays((B, D))), requires_grad=True)
        states = [Tensor(data.draw(arrays((B, H))), requires_grad=True) for _ in range(2 if cls is seq.LSTMCell else 1)]
        params = list(cell.parameters())

        def f(x, *rest):
            out = cell(x, tuple(rest[: len(states)]) if cls is seq.LSTMCell else rest[0])
            return out

        if kwargs.get("nonlinearity") == "relu":  # keep the pre-activation away from relu's kink
            pre = x.data @ cell.weight_ih.data.T + states[0].data @ cell.weight_hh.data.T
            pre = pre + cell.bias_ih.data + cell.bias_hh.data
            if np.min(np.abs(pre)) < 1e-3:
                return
        assert_gradients_match(f, x, *states, *params, **GRAD_TOL)

    check()


@pytest.mark.parametrize("cls", [seq.RNNCell, seq.GRUCell, seq.MinimalGRUCell, seq.LSTMCell])
def test_a_planted_one_percent_error_fails_the_cell_gradient_check(cls):
    """A hook scales one tensor's gradient by 1.01: the check above fails, on every draw."""

    @given(sizes, st.data(), st.sampled_from(["input", "state", "weight_ih", "weight_hh", "bias_ih", "bias_hh"]))
    def check(bdh, data, planted):
        B, D, H = bdh
        cell = make(cls, D, H)
        away = {"away_from": (0.0,), "margin": 0.1}  # a zero input or state would give the weights no gradient to spoil
        x = Tensor(data.draw(arrays((B, D), **away)), requires_grad=True)
        n = 2 if cls is seq.LSTMCell else 1
        states = [Tensor(data.draw(arrays((B, H), **away)), requires_grad=True) for _ in range(n)]
        target = {"input": x, "state": states[0]}.get(planted)
        (getattr(cell, planted) if target is None else target).register_hook(lambda g: g * 1.01)

        def f(x, *rest):
            return cell(x, tuple(rest[: len(states)]) if cls is seq.LSTMCell else rest[0])

        with pytest.raises(AssertionError, match="do not match finite differences"):
            assert_gradients_match(f, x, *states, *cell.parameters(), **GRAD_TOL)

    check()


@pytest.mark.parametrize("cls", [seq.RNNCell, seq.GRUCell, seq.MinimalGRUCell, seq.LSTMCell])
def test_an_empty_batch_gives_empty_states_and_zero_gradients(cls):
    cell = make(cls, 3, 2)
    x = Tensor(np.zeros((0, 3)), requires_grad=True)
    out = cell(x)
    outs = out if isinstance(out, tuple) else (out,)
    assert all(o.shape == (0, 2) for o in outs)
    sum(o.sum() for o in outs).backward()
    assert x.grad.shape == (0, 3)
    for p in cell.parameters():
        np.testing.assert_array_equal(p.grad, np.zeros(p.shape))


def test_rnn_cell_equation():
    cell = make(seq.RNNCell, 3, 2)
    x, a = np.random.default_rng(1).standard_normal((2, 4, 3)), np.random.default_rng(2).standard_normal((4, 2))
    out = cell(Tensor(x[0]), Tensor(a)).data
    expected = np.tanh(x[0] @ cell.weight_ih.data.T + cell.bias_ih.data + a @ cell.weight_hh.data.T + cell.bias_hh.data)
    np.testing.assert_allclose(out, expected, rtol=1e-13)


@pytest.mark.parametrize("reset_after", [True, False])
def test_gru_cell_equations(reset_after):
    D, H = 3, 2
    cell = make(seq.GRUCell, D, H, reset_after=reset_after)
    rng = np.random.default_rng(3)
    x, a = rng.standard_normal((4, D)), rng.standard_normal((4, H))
    W_i, W_h = cell.weight_ih.data, cell.weight_hh.data
    b_i, b_h = cell.bias_ih.data, cell.bias_hh.data
    r = _sigmoid(x @ W_i[:H].T + b_i[:H] + a @ W_h[:H].T + b_h[:H])
    z = _sigmoid(x @ W_i[H : 2 * H].T + b_i[H : 2 * H] + a @ W_h[H : 2 * H].T + b_h[H : 2 * H])
    if reset_after:
        n = np.tanh(x @ W_i[2 * H :].T + b_i[2 * H :] + r * (a @ W_h[2 * H :].T + b_h[2 * H :]))
    else:
        n = np.tanh(x @ W_i[2 * H :].T + b_i[2 * H :] + (r * a) @ W_h[2 * H :].T + b_h[2 * H :])
    np.testing.assert_allclose(cell(Tensor(x), Tensor(a)).data, (1 - z) * n + z * a, rtol=1e-13)


def test_minimal_gru_cell_equations():
    D, H = 3, 2
    cell = make(seq.MinimalGRUCell, D, H)
    rng = np.random.default_rng(4)
    x, a = rng.standard_normal((4, D)), rng.standard_normal((4, H))
    W_i, W_h, b_i, b_h = (p.data for p in (cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh))
    u = _sigmoid(x @ W_i[:H].T + b_i[:H] + a @ W_h[:H].T + b_h[:H])
    c = np.tanh(x @ W_i[H:].T + b_i[H:] + a @ W_h[H:].T + b_h[H:])
    np.testing.assert_allclose(cell(Tensor(x), Tensor(a)).data, u * c + (1 - u) * a, rtol=1e-13)


def test_lstm_cell_equations_and_forget_bias():
    D, H = 3, 2
    cell = make(seq.LSTMCell, D, H, forget_bias=2.5)
    np.testing.assert_array_equal(cell.bias_ih.data[H : 2 * H] + cell.bias_hh.data[H : 2 * H], [2.5, 2.5])
    rng = np.random.default_rng(5)
    x, a, c = rng.standard_normal((4, D)), rng.standard_normal((4, H)), rng.standard_normal((4, H))
    gates = x @ cell.weight_ih.data.T + cell.bias_ih.data + a @ cell.weight_hh.data.T + cell.bias_hh.data
    i, f, g, o = (
        _sigmoid(gates[:, :H]),
        _sigmoid(gates[:, H : 2 * H]),
        np.tanh(gates[:, 2 * H : 3 * H]),
        _sigmoid(gates[:, 3 * H :]),
    )
    c_next = f * c + i * g
    a_next, c_out = cell(Tensor(x), (Tensor(a), Tensor(c)))
    np.testing.assert_allclose(c_out.data, c_next, rtol=1e-13)
    np.testing.assert_allclose(a_next.data, o * np.tanh(c_next), rtol=1e-13)


def test_unbatched_input_and_zero_default_state():
    cell = make(seq.GRUCell, 3, 2)
    x = minigrad.randn(3, dtype=np.float64)
    out = cell(x)
    assert out.shape == (2,)
    np.testing.assert_allclose(out.data, cell(x.unsqueeze(0), minigrad.zeros(1, 2, dtype=np.float64)).data[0])


def test_default_init_bounds_and_names():
    cell = seq.LSTMCell(5, 16)
    bound = 1 / np.sqrt(16)
    assert [n for n, _ in cell.named_parameters()] == ["weight_ih", "weight_hh", "bias_ih", "bias_hh"]
    assert cell.weight_ih.shape == (64, 5) and cell.weight_hh.shape == (64, 16)
    for p in cell.parameters():
        assert np.all(np.abs(p.data) <= bound) and p.data.std() > bound / 3


def test_cell_errors_are_clear():
    cell = seq.RNNCell(3, 2)
    with pytest.raises(ValueError, match="Expected 3, got 4"):
        cell(minigrad.randn(5, 4))
    with pytest.raises(ValueError, match=r"Expected hidden size \(5, 2\), got \(5, 3\)"):
        cell(minigrad.randn(5, 3), minigrad.randn(5, 3))
    with pytest.raises(ValueError, match="nonlinearity"):
        seq.RNNCell(3, 2, nonlinearity="sigmoid")
    lstm = seq.LSTMCell(3, 2)
    with pytest.raises(TypeError, match=r"tuple \(a, c\) of two tensors.*got a single Tensor"):
        lstm(minigrad.randn(5, 3), minigrad.randn(5, 2))  # was "too many values to unpack"


TORCH_CELLS = [("RNNCell", {}), ("RNNCell", {"nonlinearity": "relu"}), ("GRUCell", {}), ("LSTMCell", {})]


@pytest.mark.parametrize(("name", "kwargs"), TORCH_CELLS, ids=[f"{n}-{k}" for n, k in TORCH_CELLS])
def test_cells_match_pytorch(name, kwargs):
    torch = pytest.importorskip("torch")

    @given(sizes, st.integers(0, 2**16), st.booleans())
    def check(bdh, seed, bias):
        B, D, H = bdh
        ours = make(getattr(seq, name), D, H, bias=bias, **kwargs)
        theirs = getattr(torch.nn, name)(D, H, bias=bias, dtype=torch.float64, **kwargs)
        theirs.load_state_dict({k: torch.tensor(v) for k, v in ours.state_dict().items()})
        rng = np.random.default_rng(seed)
        x_np, h_np, c_np = rng.standard_normal((B, D)), rng.standard_normal((B, H)), rng.standard_normal((B, H))
        x, h, c = (Tensor(v, requires_grad=True) for v in (x_np, h_np, c_np))
        tx, th, tc = (torch.tensor(v, requires_grad=True) for v in (x_np, h_np, c_np))
        if name == "LSTMCell":
            a, cc = ours(x, (h, c))
            ta, tcc = theirs(tx, (th, tc))
            loss, tloss = (a * a).sum() + (cc * 0.5).sum(), (ta * ta).sum() + (tcc * 0.5).sum()
        else:
            a, ta = ours(x, h), theirs(tx, th)
            loss, tloss = (a * a).sum(), (ta * ta).sum()
        np.testing.assert_allclose(a.data, ta.detach().numpy(), rtol=1e-10, atol=1e-12)
        loss.backward()
        tloss.backward()
        for ours_t, theirs_t in ((x, tx), (h, th)):
            np.testing.assert_allclose(ours_t.grad, theirs_t.grad.numpy(), rtol=1e-10, atol=1e-12)
        torch_params = dict(theirs.named_parameters())
        for pname, p in ours.named_parameters():
            np.testing.assert_allclose(p.grad, torch_params[pname].grad.numpy(), rtol=1e-10, atol=1e-12)

    check()
