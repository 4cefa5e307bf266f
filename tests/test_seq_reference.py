"""seq.reference: the course's hand-written NumPy RNN/LSTM/GRU equal seq's cells and layers under autograd.

(The dinosaur assignment, ``seq.reference.dinosaurus``, has its own file: tests/test_seq_dinosaurus.py.)

Every hand-written backward is compared with the gradients autograd computes through the matching
``seq`` cell or layer loaded with the converted weights (float64, 1e-12); forwards agree to 1e-13.
The largest differences seen are kept in ``OBSERVED`` and printed at the end of the module (``pytest -s``).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minigrad
import seq
from minigrad import Tensor, nn
from seq import reference as R

GRAD_TOL = 1e-12
VALUE_TOL = 1e-13
OBSERVED: dict[str, float] = {}

# n_x, n_a, m, T_x, and a seed for the values
sizes = st.tuples(st.integers(1, 4), st.integers(1, 5), st.integers(1, 3), st.integers(1, 4), st.integers(0, 2**31))


@pytest.fixture(scope="module", autouse=True)
def _report_observed():
    yield
    print("\nlargest |hand-written - seq| seen:")
    for name, value in sorted(OBSERVED.items()):
        print(f"  {name:40s} {value:.2e}")


def agree(name: str, actual, expected, tol: float) -> None:
    """Assert same shape and max |actual - expected| <= tol; remember the largest difference per name."""
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.shape == expected.shape, f"{name}: shape {actual.shape} != {expected.shape}"
    diff = float(np.max(np.abs(actual - expected))) if actual.size else 0.0
    OBSERVED[name] = max(OBSERVED.get(name, 0.0), diff)
    assert diff <= tol, f"{name}: max difference {diff:.3e} > {tol:.0e}"


# ------------------------------------------------------------------------------------------------
# Parameters in the course's shapes
# ------------------------------------------------------------------------------------------------


def rnn_parameters(rng, n_x, n_a, n_y):
    return {
        "Wax": rng.normal(0, 0.8, (n_a, n_x)),
        "Waa": rng.normal(0, 0.8, (n_a, n_a)),
        "ba": rng.normal(0, 0.5, (n_a, 1)),
        "Wya": rng.normal(0, 0.8, (n_y, n_a)),
        "by": rng.normal(0, 0.5, (n_y, 1)),
    }


def gate_parameters(rng, letters, n_x, n_a, n_y=None):
    p = {}
    for letter in letters:
        p["W" + letter] = rng.normal(0, 0.8, (n_a, n_a + n_x))
        p["b" + letter] = rng.normal(0, 0.5, (n_a, 1))
    if n_y is not None:
        p["Wy"], p["by"] = rng.normal(0, 0.8, (n_y, n_a)), rng.normal(0, 0.5, (n_y, 1))
    return p


def as_seq_gradients(converter, gradients):
    """The course's dW, db in seq's layout: the converters are linear maps, so they map gradients too.

    (The GRU's update gate: z's pre-activation is minus Γu's, so dL/dW_z = -dWu, which the negation does.)
    """
    return converter({k[1:]: v for k, v in gradients.items() if k[:2] in ("dW", "db")})


def check_seq_gradients(kind: str, converted: dict, module, suffix: str = "") -> None:
    """seq's parameter gradients against the course's, converted. Both of seq's biases get the same gradient."""
    for name in ("weight_ih", "weight_hh", "bias_ih"):
        agree(f"{kind} d{name}", converted[name], getattr(module, name + suffix).grad, GRAD_TOL)
    agree(f"{kind} dbias_hh", converted["bias_ih"], getattr(module, "bias_hh" + suffix).grad, GRAD_TOL)


def readout(module_output: Tensor, parameters) -> Tensor:
    """softmax(linear(h)) with the course's read-out weights, in seq's layout: (..., n_a) -> (..., n_y)."""
    n_y, n_a = R.readout_to_seq(parameters)["weight"].shape
    linear = nn.Linear(n_a, n_y, dtype=np.float64)
    linear.load_state_dict(R.readout_to_seq(parameters))
    return minigrad.softmax(linear(module_output), axis=-1)


# ------------------------------------------------------------------------------------------------
# Basic RNN
# ------------------------------------------------------------------------------------------------


@given(sizes)
def test_rnn_cell_forward_and_backward_equal_seq_rnn_cell(s):
    n_x, n_a, m, _, seed = s
    rng = np.random.default_rng(seed)
    p = rnn_parameters(rng, n_x, n_a, n_y=3)
    xt, a_prev, da_next = rng.normal(size=(n_x, m)), rng.normal(size=(n_a, m)), rng.normal(size=(n_a, m))

    a_next, yt_pred, cache = R.rnn_cell_forward(xt, a_prev, p)
    grads = R.rnn_cell_backward(da_next, cache)

    cell = R.load_into(seq.RNNCell(n_x, n_a, dtype=np.float64), R.rnn_to_seq(p))
    x_t = Tensor(xt.T.copy(), requires_grad=True)  # (n_x, m) -> (B, D)
    a_t = Tensor(a_prev.T.copy(), requires_grad=True)  # (n_a, m) -> (B, H)
    h = cell(x_t, a_t)  # (B, H)
    (h * Tensor(da_next.T)).sum().backward()  # L = <da_next, a<t>>, so dL/da<t> = da_next

    agree("rnn_cell_forward a_next", a_next, h.data.T, VALUE_TOL)
    agree("rnn_cell_forward yt_pred", yt_pred, readout(h, p).data.T, VALUE_TOL)
    agree("rnn_cell_backward dxt", grads["dxt"], x_t.grad.T, GRAD_TOL)
    agree("rnn_cell_backward da_prev", grads["da_prev"], a_t.grad.T, GRAD_TOL)
    check_seq_gradients("rnn_cell_backward", as_seq_gradients(R.rnn_to_seq, grads), cell)


@pytest.mark.parametrize("impl", ["cells", "fused"])
def test_rnn_forward_and_backward_equal_seq_rnn(impl):
    @given(sizes)
    def check(s):
        n_x, n_a, m, T_x, seed = s
        rng = np.random.default_rng(seed)
        p = rnn_parameters(rng, n_x, n_a, n_y=2)
        x, a0, da = rng.normal(size=(n_x, m, T_x)), rng.normal(size=(n_a, m)), rng.normal(size=(n_a, m, T_x))

        a, y_pred, caches = R.rnn_forward(x, a0, p)
        grads = R.rnn_backward(da, caches)

        rnn = R.load_into(seq.RNN(n_x, n_a, impl=impl, dtype=np.float64), R.rnn_to_seq(p))
        xs = Tensor(x.transpose(2, 1, 0).copy(), requires_grad=True)  # (n_x, m, T_x) -> (T, B, D)
        h0 = Tensor(a0.T[None].copy(), requires_grad=True)  # (n_a, m) -> (1, B, H)
        output, _ = rnn(xs, h0)  # (T, B, H)
        (output * Tensor(da.transpose(2, 1, 0))).sum().backward()

        name = f"rnn ({impl})"
        agree(f"{name} forward a", a, output.data.transpose(2, 1, 0), VALUE_TOL)
        agree(f"{name} forward y_pred", y_pred, readout(output, p).data.transpose(2, 1, 0), VALUE_TOL)
        agree(f"{name} backward dx", grads["dx"], xs.grad.transpose(2, 1, 0), GRAD_TOL)
        agree(f"{name} backward da0", grads["da0"], h0.grad[0].T, GRAD_TOL)
        check_seq_gradients(f"{name} backward", as_seq_gradients(R.rnn_to_seq, grads), rnn, "_l0")

    check()


# ------------------------------------------------------------------------------------------------
# LSTM
# ------------------------------------------------------------------------------------------------


@given(sizes)
def test_lstm_cell_forward_and_backward_equal_seq_lstm_cell(s):
    n_x, n_a, m, _, seed = s
    rng = np.random.default_rng(seed)
    p = gate_parameters(rng, "fico", n_x, n_a, n_y=3)
    xt, a_prev, c_prev = rng.normal(size=(n_x, m)), rng.normal(size=(n_a, m)), rng.normal(size=(n_a, m))
    da_next, dc_next = rng.normal(size=(n_a, m)), rng.normal(size=(n_a, m))

    a_next, c_next, yt_pred, cache = R.lstm_cell_forward(xt, a_prev, c_prev, p)
    grads = R.lstm_cell_backward(da_next, dc_next, cache)

    cell = R.load_into(seq.LSTMCell(n_x, n_a, dtype=np.float64), R.lstm_to_seq(p))
    x_t, a_t, c_t = (Tensor(v.T.copy(), requires_grad=True) for v in (xt, a_prev, c_prev))
    h, c = cell(x_t, (a_t, c_t))
    ((h * Tensor(da_next.T)).sum() + (c * Tensor(dc_next.T)).sum()).backward()

    agree("lstm_cell_forward a_next", a_next, h.data.T, VALUE_TOL)
    agree("lstm_cell_forward c_next", c_next, c.data.T, VALUE_TOL)
    agree("lstm_cell_forward yt_pred", yt_pred, readout(h, p).data.T, VALUE_TOL)
    agree("lstm_cell_backward dxt", grads["dxt"], x_t.grad.T, GRAD_TOL)
    agree("lstm_cell_backward da_prev", grads["da_prev"], a_t.grad.T, GRAD_TOL)
    agree("lstm_cell_backward dc_prev", grads["dc_prev"], c_t.grad.T, GRAD_TOL)
    check_seq_gradients("lstm_cell_backward", as_seq_gradients(R.lstm_to_seq, grads), cell)


@pytest.mark.parametrize("impl", ["cells", "fused"])
def test_lstm_forward_and_backward_equal_seq_lstm(impl):
    @given(sizes)
    def check(s):
        n_x, n_a, m, T_x, seed = s
        rng = np.random.default_rng(seed)
        p = gate_parameters(rng, "fico", n_x, n_a, n_y=2)
        x, a0, da = rng.normal(size=(n_x, m, T_x)), rng.normal(size=(n_a, m)), rng.normal(size=(n_a, m, T_x))

        a, y, c, caches = R.lstm_forward(x, a0, p)
        grads = R.lstm_backward(da, caches)

        lstm = R.load_into(seq.LSTM(n_x, n_a, impl=impl, dtype=np.float64), R.lstm_to_seq(p))
        xs = Tensor(x.transpose(2, 1, 0).copy(), requires_grad=True)  # (T, B, D)
        h0 = Tensor(a0.T[None].copy(), requires_grad=True)  # (1, B, H)
        c0 = Tensor(np.zeros((1, m, n_a)), requires_grad=True)  # the course starts from c<0> = 0
        output, (_, c_n) = lstm(xs, (h0, c0))
        (output * Tensor(da.transpose(2, 1, 0))).sum().backward()

        name = f"lstm ({impl})"
        agree(f"{name} forward a", a, output.data.transpose(2, 1, 0), VALUE_TOL)
        agree(f"{name} forward y", y, readout(output, p).data.transpose(2, 1, 0), VALUE_TOL)
        agree(f"{name} forward c<T>", c[:, :, -1], c_n.data[0].T, VALUE_TOL)
        agree(f"{name} backward dx", grads["dx"], xs.grad.transpose(2, 1, 0), GRAD_TOL)
        agree(f"{name} backward da0", grads["da0"], h0.grad[0].T, GRAD_TOL)
        agree(f"{name} backward dc0", grads["dc0"], c0.grad[0].T, GRAD_TOL)
        check_seq_gradients(f"{name} backward", as_seq_gradients(R.lstm_to_seq, grads), lstm, "_l0")

    check()


# ------------------------------------------------------------------------------------------------
# GRU (the course's: reset before the product = seq's reset_after=False)
# ------------------------------------------------------------------------------------------------


@given(sizes)
def test_gru_cell_forward_and_backward_equal_seq_gru_cell(s):
    n_x, n_a, m, _, seed = s
    rng = np.random.default_rng(seed)
    p = gate_parameters(rng, "ruc", n_x, n_a, n_y=3)
    xt, a_prev, da_next = rng.normal(size=(n_x, m)), rng.normal(size=(n_a, m)), rng.normal(size=(n_a, m))

    a_next, yt_pred, cache = R.gru_cell_forward(xt, a_prev, p)
    grads = R.gru_cell_backward(da_next, cache)

    cell = R.load_into(seq.GRUCell(n_x, n_a, reset_after=False, dtype=np.float64), R.gru_to_seq(p))
    x_t, a_t = Tensor(xt.T.copy(), requires_grad=True), Tensor(a_prev.T.copy(), requires_grad=True)
    h = cell(x_t, a_t)
    (h * Tensor(da_next.T)).sum().backward()

    agree("gru_cell_forward a_next", a_next, h.data.T, VALUE_TOL)
    agree("gru_cell_forward yt_pred", yt_pred, readout(h, p).data.T, VALUE_TOL)
    agree("gru_cell_backward dxt", grads["dxt"], x_t.grad.T, GRAD_TOL)
    agree("gru_cell_backward da_prev", grads["da_prev"], a_t.grad.T, GRAD_TOL)
    check_seq_gradients("gru_cell_backward", as_seq_gradients(R.gru_to_seq, grads), cell)


@pytest.mark.parametrize("impl", ["cells", "fused"])
def test_gru_forward_and_backward_equal_seq_gru(impl):
    @given(sizes)
    def check(s):
        n_x, n_a, m, T_x, seed = s
        rng = np.random.default_rng(seed)
        p = gate_parameters(rng, "ruc", n_x, n_a)
        x, a0, da = rng.normal(size=(n_x, m, T_x)), rng.normal(size=(n_a, m)), rng.normal(size=(n_a, m, T_x))

        a, y, caches = R.gru_forward(x, a0, p)
        grads = R.gru_backward(da, caches)
        assert y is None  # no read-out given

        gru = R.load_into(seq.GRU(n_x, n_a, reset_after=False, impl=impl, dtype=np.float64), R.gru_to_seq(p))
        xs = Tensor(x.transpose(2, 1, 0).copy(), requires_grad=True)
        h0 = Tensor(a0.T[None].copy(), requires_grad=True)
        output, _ = gru(xs, h0)
        (output * Tensor(da.transpose(2, 1, 0))).sum().backward()

        name = f"gru ({impl})"
        agree(f"{name} forward a", a, output.data.transpose(2, 1, 0), VALUE_TOL)
        agree(f"{name} backward dx", grads["dx"], xs.grad.transpose(2, 1, 0), GRAD_TOL)
        agree(f"{name} backward da0", grads["da0"], h0.grad[0].T, GRAD_TOL)
        check_seq_gradients(f"{name} backward", as_seq_gradients(R.gru_to_seq, grads), gru, "_l0")

    check()


def test_the_update_gate_is_negated_and_reset_after_true_is_refused():
    rng = np.random.default_rng(0)
    p = gate_parameters(rng, "ruc", 2, 3)
    state = R.gru_to_seq(p)
    H = 3
    np.testing.assert_array_equal(state["weight_hh"][H : 2 * H], -p["Wu"][:, :H])  # z = 1 - Γu: minus Γu's weights
    np.testing.assert_array_equal(state["weight_ih"][H : 2 * H], -p["Wu"][:, H:])
    np.testing.assert_array_equal(state["bias_ih"][H : 2 * H], -p["bu"].ravel())
    with pytest.raises(ValueError, match="reset_after=False"):
        R.load_into(seq.GRUCell(2, 3, dtype=np.float64), state)
    with pytest.raises(ValueError, match="num_layers=2"):
        R.load_into(seq.RNN(2, 3, num_layers=2, dtype=np.float64), R.rnn_to_seq(rnn_parameters(rng, 2, 3, 2)))


# ------------------------------------------------------------------------------------------------
# Converters
# ------------------------------------------------------------------------------------------------

CONVERTERS = {
    "rnn": (R.rnn_to_seq, R.rnn_from_seq, seq.RNNCell, {}),
    "lstm": (R.lstm_to_seq, R.lstm_from_seq, seq.LSTMCell, {}),
    "gru": (R.gru_to_seq, R.gru_from_seq, seq.GRUCell, {"reset_after": False}),
}


def course_parameters(kind, rng, n_x, n_a):
    if kind == "rnn":
        return {k: v for k, v in rnn_parameters(rng, n_x, n_a, 2).items() if k in ("Wax", "Waa", "ba")}
    return gate_parameters(rng, "fico" if kind == "lstm" else "ruc", n_x, n_a)


@pytest.mark.parametrize("kind", list(CONVERTERS))
def test_converters_round_trip_exactly(kind):
    to_seq, from_seq, cls, kwargs = CONVERTERS[kind]

    @given(sizes)
    def check(s):
        n_x, n_a, _, _, seed = s
        rng = np.random.default_rng(seed)
        p = course_parameters(kind, rng, n_x, n_a)
        # course -> seq -> course: bit for bit
        back = from_seq(to_seq(p))
        assert set(back) == set(p)
        for key in p:
            np.testing.assert_array_equal(back[key], p[key])
        # through a real cell's state dict, and through a layer's (weight_ih_l0, ...)
        cell = R.load_into(cls(n_x, n_a, dtype=np.float64, **kwargs), to_seq(p))
        for key, value in from_seq(cell.state_dict()).items():
            np.testing.assert_array_equal(value, p[key])
        # seq -> course -> seq: exact for the weights; the two biases come back as their sum in bias_ih
        state = cell.state_dict()
        state["bias_hh"] = rng.normal(size=state["bias_hh"].shape)
        again = to_seq(from_seq(state))
        np.testing.assert_array_equal(again["weight_ih"], state["weight_ih"])
        np.testing.assert_array_equal(again["weight_hh"], state["weight_hh"])
        np.testing.assert_allclose(again["bias_ih"], state["bias_ih"] + state["bias_hh"], rtol=0, atol=1e-15)
        np.testing.assert_array_equal(again["bias_hh"], 0.0)

    check()


def test_layer_state_dicts_convert_too():
    rng = np.random.default_rng(1)
    p = gate_parameters(rng, "fico", 3, 4)
    lstm = R.load_into(seq.LSTM(3, 4, dtype=np.float64), R.lstm_to_seq(p))
    assert set(lstm.state_dict()) == {"weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"}
    for key, value in R.lstm_from_seq(lstm.state_dict()).items():
        np.testing.assert_array_equal(value, p[key])


def test_readout_round_trips_and_matches_linear():
    rng = np.random.default_rng(2)
    p = rnn_parameters(rng, 3, 4, 5)
    state = R.readout_to_seq(p)
    assert state["weight"].shape == (5, 4) and state["bias"].shape == (5,)
    back = R.readout_from_seq(state)
    np.testing.assert_array_equal(back["Wya"], p["Wya"])
    np.testing.assert_array_equal(back["by"], p["by"])
    with pytest.raises(KeyError, match="Wya"):
        R.readout_to_seq({"Wax": p["Wax"]})
