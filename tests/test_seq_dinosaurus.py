"""seq.reference.dinosaurus: the course's Assignment 2 as written.

Three kinds of evidence that it computes what the course computes:

- the values the course's notebook checks (the ``optimize`` and ``sample`` tests of the assignment);
- every gradient equal to autograd's gradient of the same summed loss through seq (``seq.RNN`` /
  ``seq.RNNCell`` + ``nn.Linear`` on one-hot inputs, float64) to 1e-12, on hypothesis-drawn models;
- an independent implementation written here from the course's equations (it does not import the module
  under test): forward, backward, the sampler with NumPy's global generator as the course seeds it, and the
  whole training loop.
"""

from __future__ import annotations

import contextlib
import io
from collections import Counter

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import seq
from minigrad import Tensor, nn
from seq import reference as R
from seq.reference import dinosaurus as D

TOL = 1e-12

# vocab, n_a, length, whether X starts with None, and a seed for the values
models = st.tuples(st.integers(2, 8), st.integers(1, 6), st.integers(1, 7), st.booleans(), st.integers(0, 2**31))


def random_model(rng, vocab, n_a, bias="b"):
    """The course's parameters, big enough that tanh and softmax are far from linear."""
    return {
        "Wax": rng.normal(0, 1.0, (n_a, vocab)),
        "Waa": rng.normal(0, 1.0, (n_a, n_a)),
        "Wya": rng.normal(0, 1.0, (vocab, n_a)),
        bias: rng.normal(0, 0.5, (n_a, 1)),
        "by": rng.normal(0, 0.5, (vocab, 1)),
    }


def random_example(rng, vocab, length, none_first):
    chars = [int(i) for i in rng.integers(0, vocab, size=length)]
    X = ([None] + chars[1:]) if none_first else chars
    Y = [int(i) for i in rng.integers(0, vocab, size=length)]
    return X, Y


def one_hot(X, vocab):
    """(T, B=1, vocab): the course's x<t>, zeros for None."""
    x = np.zeros((len(X), 1, vocab))
    for t, i in enumerate(X):
        if i is not None:
            x[t, 0, i] = 1.0
    return x


def max_diff(a, b):
    a, b = np.asarray(a), np.asarray(b)
    assert a.shape == b.shape, (a.shape, b.shape)
    return float(np.max(np.abs(a - b)))


# ------------------------------------------------------------------------------------------------
# The values the course's notebook checks
# ------------------------------------------------------------------------------------------------


def test_optimize_gives_the_values_the_course_checks():
    rng = np.random.RandomState(1)  # the course's test: np.random.seed(1), then randn in this order
    vocab_size, n_a = 27, 100
    a_prev = rng.randn(n_a, 1)
    Wax, Waa, Wya = rng.randn(n_a, vocab_size), rng.randn(n_a, n_a), rng.randn(vocab_size, n_a)
    b, by = rng.randn(n_a, 1), rng.randn(vocab_size, 1)
    parameters = {"Wax": Wax, "Waa": Waa, "Wya": Wya, "b": b, "by": by}
    old_Wya = Wya.copy()
    loss, gradients, a_last = D.optimize([12, 3, 5, 11, 22, 3], [4, 14, 11, 22, 25, 26], a_prev, parameters, 0.01)
    assert loss == pytest.approx(126.5039757, abs=1e-7)
    assert gradients["dWaa"][1, 2] == pytest.approx(0.1947093, abs=1e-7)
    assert np.argmax(gradients["dWax"]) == 93
    assert gradients["dWya"][1, 2] == pytest.approx(-0.007773876, abs=1e-9)
    assert gradients["db"][4, 0] == pytest.approx(-0.06809825, abs=1e-8)
    assert gradients["dby"][1, 0] == pytest.approx(0.01538192, abs=1e-8)
    assert a_last[4, 0] == pytest.approx(-1.0, abs=1e-7)
    assert list(gradients) == ["dWaa", "dWax", "dWya", "db", "dby"]
    assert all(np.abs(g).max() <= 5 for g in gradients.values())
    assert not np.allclose(parameters["Wya"], old_Wya)  # updated in place


def test_sample_gives_the_indices_the_course_checks():
    rng = np.random.RandomState(24)  # the course's test: np.random.seed(24)
    vocab_size, n_a = 27, 100
    Wax, Waa, Wya = rng.randn(n_a, vocab_size), rng.randn(n_a, n_a), rng.randn(vocab_size, n_a)
    b, by = rng.randn(n_a, 1), rng.randn(vocab_size, 1)
    char_to_ix = D.read_names().char_to_ix  # '\n' = 0, a = 1, ..., z = 26, as for the course's dinos.txt
    indices = D.sample({"Wax": Wax, "Waa": Waa, "Wya": Wya, "b": b, "by": by}, char_to_ix, 0)
    assert indices[:6] == [23, 16, 26, 26, 24, 3]
    assert len(indices) < 52 and indices[-1] == char_to_ix["\n"]


def test_initialize_parameters_is_the_courses_and_leaves_the_global_generator_alone():
    state = np.random.get_state()  # noqa: NPY002
    p = D.initialize_parameters(5, 4, 3)
    assert np.random.get_state()[1].tolist() == state[1].tolist()  # noqa: NPY002
    rng = np.random.RandomState(1)
    np.testing.assert_array_equal(p["Wax"], rng.randn(5, 4) * 0.01)
    np.testing.assert_array_equal(p["Waa"], rng.randn(5, 5) * 0.01)
    np.testing.assert_array_equal(p["Wya"], rng.randn(3, 5) * 0.01)
    np.testing.assert_array_equal(p["b"], np.zeros((5, 1)))
    np.testing.assert_array_equal(p["by"], np.zeros((3, 1)))


def test_the_small_utilities():
    assert D.get_initial_loss(27, 7) == pytest.approx(7 * np.log(27))
    assert D.smooth(10.0, 20.0) == pytest.approx(10.01)
    ix_to_char = {0: "\n", 1: "a", 2: "b"}
    assert D.get_sample([1, 2, 1, 0], ix_to_char) == "Aba\n"
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        D.print_sample([2, 1, 0], ix_to_char)
    assert out.getvalue() == "Ba\n"
    z = np.array([[1.0], [2.0], [3.0]])
    np.testing.assert_allclose(D.softmax(z), np.exp(z) / np.exp(z).sum())


def test_star_import_gives_the_notebooks_names_and_seq_reference_keeps_the_step_by_step_ones():
    namespace: dict = {}
    exec("from seq.reference.dinosaurus import *", namespace)
    for name in ("rnn_forward", "rnn_backward", "clip", "sample", "optimize", "model", "initialize_parameters",
                 "update_parameters", "rnn_step_forward", "rnn_step_backward", "smooth", "get_initial_loss",
                 "print_sample", "softmax", "read_names"):  # fmt: skip
        assert name in namespace, name
    assert namespace["rnn_forward"] is D.rnn_forward
    assert R.rnn_forward is R.step_by_step.rnn_forward and R.rnn_backward is R.step_by_step.rnn_backward
    assert R.clip is D.clip and R.sample is D.sample and R.optimize is D.optimize


# ------------------------------------------------------------------------------------------------
# Every gradient equals autograd's through seq
# ------------------------------------------------------------------------------------------------


def seq_char_model(p, impl):
    """The same character model built from seq: seq.RNN + nn.Linear (float64)."""
    vocab, n_a = p["Wax"].shape[1], p["Wax"].shape[0]
    rnn = R.load_into(seq.RNN(vocab, n_a, impl=impl, dtype=np.float64), R.rnn_to_seq(p))
    head = nn.Linear(n_a, vocab, dtype=np.float64)
    head.load_state_dict(R.readout_to_seq(p))
    return rnn, head


@pytest.mark.parametrize("impl", ["cells", "fused"])
@pytest.mark.parametrize("bias", ["b", "ba"])
def test_rnn_forward_and_backward_equal_autograd_through_seq_rnn(impl, bias):
    @given(models)
    def check(m):
        vocab, n_a, length, none_first, seed = m
        rng = np.random.default_rng(seed)
        p = random_model(rng, vocab, n_a, bias)
        X, Y = random_example(rng, vocab, length, none_first)
        a0 = rng.normal(size=(n_a, 1))

        loss, cache = D.rnn_forward(X, Y, a0, p)
        gradients, a = D.rnn_backward(X, Y, p, cache)

        rnn, head = seq_char_model(p, impl)
        h0 = Tensor(a0.T[None].copy(), requires_grad=True)  # a0 (n_a, 1) -> (num_layers, B, H)
        output, h_n = rnn(Tensor(one_hot(X, vocab)), h0)  # (T, 1, n_a)
        logits = head(output.reshape(len(X), n_a))  # (T, 1, n_a) -> (T, n_a) -> (T, vocab)
        seq_loss = nn.functional.cross_entropy(logits, np.array(Y), reduction="sum")
        seq_loss.backward()

        assert abs(loss - seq_loss.item()) <= TOL * max(1.0, abs(loss))
        assert max_diff(np.stack([a[t][:, 0] for t in range(len(X))]), output.data[:, 0]) <= TOL
        assert max_diff(gradients["dWya"], head.weight.grad) <= TOL
        assert max_diff(gradients["dby"][:, 0], head.bias.grad) <= TOL
        assert max_diff(gradients["dWax"], rnn.weight_ih_l0.grad) <= TOL
        assert max_diff(gradients["dWaa"], rnn.weight_hh_l0.grad) <= TOL
        assert max_diff(gradients["d" + bias][:, 0], rnn.bias_ih_l0.grad) <= TOL
        assert max_diff(gradients["d" + bias][:, 0], rnn.bias_hh_l0.grad) <= TOL  # both biases: the same gradient
        assert max_diff(gradients["da_next"], h0.grad[0].T) <= TOL  # what reaches a0
        assert set(gradients) == {"dWax", "dWaa", "dWya", "d" + bias, "dby", "da_next"}

    check()


@given(st.integers(2, 8), st.integers(1, 6), st.integers(0, 2**31))
def test_rnn_step_forward_and_backward_equal_autograd_through_seq_rnn_cell(vocab, n_a, seed):
    rng = np.random.default_rng(seed)
    p = random_model(rng, vocab, n_a)
    x = np.zeros((vocab, 1))
    x[rng.integers(vocab)] = 1.0
    a_prev, da_next, dy = rng.normal(size=(n_a, 1)), rng.normal(size=(n_a, 1)), rng.normal(size=(vocab, 1))
    start = {k: rng.normal(size=v.shape) for k, v in (("dWax", p["Wax"]), ("dWaa", p["Waa"]), ("dWya", p["Wya"]),
                                                       ("db", p["b"]), ("dby", p["by"]))}  # fmt: skip

    a_next, p_t = D.rnn_step_forward(p, a_prev, x)
    gradients = D.rnn_step_backward(dy, {**{k: v.copy() for k, v in start.items()}, "da_next": da_next}, p, x,
                                    a_next, a_prev)  # fmt: skip

    cell = R.load_into(seq.RNNCell(vocab, n_a, dtype=np.float64), R.rnn_to_seq(p))
    head = nn.Linear(n_a, vocab, dtype=np.float64)
    head.load_state_dict(R.readout_to_seq(p))
    h_prev = Tensor(a_prev.T.copy(), requires_grad=True)
    h = cell(Tensor(x.T), h_prev)  # (1, n_a)
    z = head(h)  # (1, vocab)
    # L = <dy, z> + <da_next, a<t>>: dL/dz = dy (what softmax + cross-entropy send back) and da_next from step t+1
    ((z * Tensor(dy.T)).sum() + (h * Tensor(da_next.T)).sum()).backward()

    assert max_diff(a_next, h.data.T) <= TOL
    assert max_diff(p_t[:, 0], np.exp(z.data[0]) / np.exp(z.data[0]).sum()) <= TOL
    assert max_diff(gradients["dWya"] - start["dWya"], head.weight.grad) <= TOL  # each step adds its share
    assert max_diff(gradients["dby"][:, 0] - start["dby"][:, 0], head.bias.grad) <= TOL
    assert max_diff(gradients["dWax"] - start["dWax"], cell.weight_ih.grad) <= TOL
    assert max_diff(gradients["dWaa"] - start["dWaa"], cell.weight_hh.grad) <= TOL
    assert max_diff(gradients["db"][:, 0] - start["db"][:, 0], cell.bias_ih.grad) <= TOL
    assert max_diff(gradients["da_next"], h_prev.grad.T) <= TOL  # now the gradient sent to step t-1


@given(models, st.floats(0.001, 0.5))
def test_optimize_is_clip_5_then_one_step_of_gradient_descent(m, learning_rate):
    vocab, n_a, length, none_first, seed = m
    rng = np.random.default_rng(seed)
    p = random_model(rng, vocab, n_a)
    p["Wax"] *= 8  # big weights: some gradients exceed 5 and are clipped
    X, Y = random_example(rng, vocab, length, none_first)
    a_prev = rng.normal(size=(n_a, 1))
    loss, raw, a_last = D.model_gradients(X, Y, a_prev, p)
    before = {k: v.copy() for k, v in p.items()}

    loss2, gradients, a_last2 = D.optimize(X, Y, a_prev, p, learning_rate=learning_rate)

    assert loss2 == loss
    np.testing.assert_array_equal(a_last2, a_last)
    assert list(gradients) == ["dWaa", "dWax", "dWya", "db", "dby"]
    for key in before:
        np.testing.assert_array_equal(gradients["d" + key], np.clip(raw["d" + key], -5, 5))
        np.testing.assert_array_equal(p[key], before[key] - learning_rate * gradients["d" + key])


def test_the_step_by_step_notebooks_ba_works_too():
    rng = np.random.default_rng(3)
    p = random_model(rng, 4, 3)
    step_by_step = {("ba" if k == "b" else k): v.copy() for k, v in p.items()}
    loss, grads, _ = R.optimize([None, 1, 2], [1, 2, 0], np.zeros((3, 1)), p)
    loss_ba, grads_ba, _ = R.optimize([None, 1, 2], [1, 2, 0], np.zeros((3, 1)), step_by_step)
    assert loss == loss_ba and "db" in grads and list(grads_ba) == ["dWaa", "dWax", "dWya", "dba", "dby"]
    np.testing.assert_array_equal(grads["db"], grads_ba["dba"])
    np.testing.assert_array_equal(p["b"], step_by_step["ba"])
    assert R.sample(p, {"\n": 0, "a": 1, "b": 2, "c": 3}, 4) == R.sample(
        step_by_step, {"\n": 0, "a": 1, "b": 2, "c": 3}, 4
    )


# ------------------------------------------------------------------------------------------------
# An independent implementation, from the course's equations
# ------------------------------------------------------------------------------------------------


def independent_loss_and_gradients(X, Y, a0, p):
    """L = Σ_t -log softmax(Wya a<t> + by)[Y[t]], a<t> = tanh(Wax x<t> + Waa a<t-1> + b), and its gradients.

    Written apart from seq.reference: all steps at once where possible, log-softmax by log-sum-exp,
    backpropagation through the pre-activations of every step.
    """
    Wax, Waa, Wya, b, by = p["Wax"], p["Waa"], p["Wya"], p["b"][:, 0], p["by"][:, 0]
    T, V = len(X), Wax.shape[1]
    xs = np.zeros((T, V))
    for t, i in enumerate(X):
        if i is not None:
            xs[t, i] = 1.0
    states = [a0[:, 0]]
    for t in range(T):
        states.append(np.tanh(Wax @ xs[t] + Waa @ states[-1] + b))
    H, H_prev = np.array(states[1:]), np.array(states[:-1])  # (T, n_a) each
    Z = H @ Wya.T + by  # (T, V)
    log_norm = Z.max(axis=1) + np.log(np.exp(Z - Z.max(axis=1, keepdims=True)).sum(axis=1))
    loss = float(np.sum(log_norm - Z[np.arange(T), Y]))
    dZ = np.exp(Z - log_norm[:, None])
    dZ[np.arange(T), Y] -= 1.0
    dH = dZ @ Wya  # the gradient reaching each a<t> through its own output
    dpre = np.zeros_like(H)
    from_later = np.zeros(H.shape[1])
    for t in reversed(range(T)):
        dpre[t] = (dH[t] + from_later) * (1.0 - H[t] ** 2)
        from_later = Waa.T @ dpre[t]
    gradients = {
        "dWax": dpre.T @ xs,
        "dWaa": dpre.T @ H_prev,
        "dWya": dZ.T @ H,
        "db": dpre.sum(axis=0)[:, None],
        "dby": dZ.sum(axis=0)[:, None],
    }
    return loss, gradients, H[-1][:, None]


def course_sample(parameters, char_to_ix, seed):
    """The course's sampler as the notebook runs it: NumPy's global generator, reseeded at every draw."""
    Waa, Wax, Wya, by, b = (parameters[k] for k in ("Waa", "Wax", "Wya", "by", "b"))
    vocab_size, n_a = by.shape[0], Waa.shape[1]
    x, a_prev, indices, idx, counter = np.zeros((vocab_size, 1)), np.zeros((n_a, 1)), [], -1, 0
    while idx != char_to_ix["\n"] and counter != 50:
        a = np.tanh(Wax @ x + Waa @ a_prev + b)
        z = Wya @ a + by
        y = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
        np.random.seed(counter + seed)  # noqa: NPY002
        idx = np.random.choice(list(range(vocab_size)), p=y.ravel())  # noqa: NPY002
        indices.append(idx)
        x = np.zeros((vocab_size, 1))
        x[idx] = 1
        a_prev, seed, counter = a, seed + 1, counter + 1
    if counter == 50:
        indices.append(char_to_ix["\n"])
    return indices


@contextlib.contextmanager
def global_generator_restored():
    state = np.random.get_state()  # noqa: NPY002
    try:
        yield
    finally:
        np.random.set_state(state)  # noqa: NPY002


@given(models)
def test_loss_and_gradients_equal_an_independent_implementation(m):
    vocab, n_a, length, none_first, seed = m
    rng = np.random.default_rng(seed)
    p = random_model(rng, vocab, n_a)
    X, Y = random_example(rng, vocab, length, none_first)
    a0 = rng.normal(size=(n_a, 1))
    loss, gradients, a_last = D.model_gradients(X, Y, a0, p)
    expected_loss, expected, expected_last = independent_loss_and_gradients(X, Y, a0, p)
    assert abs(loss - expected_loss) <= TOL * max(1.0, abs(loss))
    assert max_diff(a_last, expected_last) <= TOL
    for key, value in expected.items():
        assert max_diff(gradients[key], value) <= TOL, key


@given(st.integers(2, 8), st.integers(1, 6), st.integers(0, 10_000), st.integers(0, 2**31))
def test_sample_equals_the_courses_sampler_and_leaves_the_global_generator_alone(vocab, n_a, seed, param_seed):
    p = random_model(np.random.default_rng(param_seed), vocab, n_a)
    char_to_ix = {"\n": 0, **{chr(ord("a") + i): i + 1 for i in range(vocab - 1)}}
    with global_generator_restored():
        np.random.seed(12345)  # noqa: NPY002
        drawn = D.sample(p, char_to_ix, seed)
        assert np.random.randint(2**30) == np.random.RandomState(12345).randint(2**30)  # noqa: NPY002
        assert drawn == course_sample(p, char_to_ix, seed)
    assert all(isinstance(i, int) and 0 <= i < vocab for i in drawn)
    assert drawn[-1] == 0 and 0 not in drawn[:-1][:49] and len(drawn) <= 51


def test_sample_stops_at_fifty_characters():
    p = random_model(np.random.default_rng(0), 4, 3)
    p["by"][0] = -50.0  # the newline (index 0) is never drawn
    indices = D.sample(p, {"\n": 0, "a": 1, "b": 2, "c": 3}, seed=7)
    assert len(indices) == 51 and indices[-1] == 0 and 0 not in indices[:-1]


def independent_training(names, char_to_ix, num_iterations, n_a, dino_names):
    """The course's model loop, written from its description, with the functions above; returns what it printed."""
    vocab_size = len(char_to_ix)
    rng = np.random.RandomState(1)
    Wax, Waa, Wya = rng.randn(n_a, vocab_size) * 0.01, rng.randn(n_a, n_a) * 0.01, rng.randn(vocab_size, n_a) * 0.01
    p = {"Wax": Wax, "Waa": Waa, "Wya": Wya, "b": np.zeros((n_a, 1)), "by": np.zeros((vocab_size, 1))}
    smoothed = -np.log(1.0 / vocab_size) * dino_names
    examples = [x.strip() for x in names]
    np.random.seed(0)  # noqa: NPY002
    np.random.shuffle(examples)  # noqa: NPY002
    a_prev = np.zeros((n_a, 1))
    ix_to_char = {i: c for c, i in char_to_ix.items()}
    printed = []
    for j in range(num_iterations):
        X = [None] + [char_to_ix[c] for c in examples[j % len(examples)]]
        Y = X[1:] + [char_to_ix["\n"]]
        loss, gradients, a_prev = independent_loss_and_gradients(X, Y, a_prev, p)
        for key in p:
            p[key] = p[key] - 0.01 * np.clip(gradients["d" + key], -5, 5)
        smoothed = smoothed * 0.999 + loss * 0.001
        if j % 2000 == 0:
            printed.append(f"Iteration: {j}, Loss: {smoothed:f}")
            for seed in range(dino_names):
                text = "".join(ix_to_char[i] for i in course_sample(p, char_to_ix, seed))
                printed.append((text[:1].upper() + text[1:]).replace("\n", ""))
    return p, printed


@pytest.mark.slow
def test_model_equals_an_independent_training_loop():
    data = D.read_names()
    names = data.data_x[::10]  # 517 names: the loop wraps around the shuffled list 3 times
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        parameters, last_name = D.model(names, data.ix_to_char, data.char_to_ix, num_iterations=2001, n_a=12)
    with global_generator_restored():
        expected, printed = independent_training(names, data.char_to_ix, 2001, 12, 7)
    for key, value in expected.items():
        assert max_diff(parameters[key], value) <= 1e-10, key  # 2001 steps of rounding in a different order
    lines = [line for line in out.getvalue().split("\n") if line]
    assert lines == printed
    assert last_name == printed[-1] + "\n"


# ------------------------------------------------------------------------------------------------
# clip
# ------------------------------------------------------------------------------------------------


@given(st.integers(0, 2**31), st.floats(0.1, 10.0))
def test_clip_is_the_courses(seed, max_value):
    rng = np.random.default_rng(seed)
    grads = {k: rng.normal(0, 10, (3, 2)) for k in ("dWax", "dWaa", "dWya", "db", "dby", "da_next")}
    before = {k: v.copy() for k, v in grads.items()}
    clipped = D.clip(grads, max_value)
    assert list(clipped) == ["dWaa", "dWax", "dWya", "db", "dby"]  # the course's five, in its order
    for key, value in clipped.items():
        np.testing.assert_array_equal(value, np.clip(before[key], -max_value, max_value))
        assert value is not grads[key]
    for key in grads:
        np.testing.assert_array_equal(grads[key], before[key])  # the caller's arrays are not changed
    assert D.clip(grads, max_value=max_value).keys() == clipped.keys()  # seq.reference's spelling


def test_clip_takes_any_gradients_and_passes_other_entries_through():
    grads = {"dWf": np.array([[-7.0, 2.0]]), "dba": np.array([[9.0]]), "note": "kept"}
    clipped = R.clip(grads, max_value=5)
    assert list(clipped) == ["dba", "dWf", "note"]
    np.testing.assert_array_equal(clipped["dWf"], [[-5.0, 2.0]])
    np.testing.assert_array_equal(clipped["dba"], [[5.0]])
    assert clipped["note"] == "kept"


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "message"),
    [
        ((), {}, TypeError, "needs the bound"),
        ((5,), {"max_value": 5}, TypeError, "not both"),
        ((0,), {}, ValueError, "number > 0"),
        ((-1.0,), {}, ValueError, "number > 0"),
        ((float("nan"),), {}, ValueError, "number > 0"),
        ((True,), {}, ValueError, "number > 0"),
        (("5",), {}, ValueError, "number > 0"),
    ],
)
def test_clip_refuses_a_bad_bound(args, kwargs, error, message):
    with pytest.raises(error, match=message):
        D.clip({"dWax": np.ones((2, 2))}, *args, **kwargs)


# ------------------------------------------------------------------------------------------------
# model and read_names
# ------------------------------------------------------------------------------------------------


def test_model_prints_as_the_course_does_and_verbose_adds_the_debugging_lines():
    data = D.read_names()
    names = ["abc", "de", "f"]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        parameters, last_name = D.model(names, data.ix_to_char, data.char_to_ix, num_iterations=4, n_a=5, dino_names=2)
    lines = out.getvalue().split("\n")
    assert lines[0].startswith("Iteration: 0, Loss: ") and lines[1] == ""  # the course prints a blank line after it
    assert len([line for line in lines if line.startswith("Iteration")]) == 1  # only at j = 0 in 4 iterations
    assert last_name.endswith("\n") and last_name[0].isupper()
    assert set(parameters) == {"Wax", "Waa", "Wya", "b", "by"} and parameters["Wax"].shape == (5, 27)
    verbose = io.StringIO()
    with contextlib.redirect_stdout(verbose):
        D.model(names, data.ix_to_char, data.char_to_ix, num_iterations=4, n_a=5, dino_names=2, verbose=True)
    text = verbose.getvalue()
    assert "j =  0 idx =  0" in text and "j =  2 idx =  2" in text and "j =  3 idx =  0" in text
    assert "single_example =" in text and " X =  [None," in text


@pytest.mark.slow
def test_model_learns_names():
    """2,000 steps of the course's loop beat the unigram model on names it never saw.

    (A bigram model, 2.34 nats per character here, needs about 10,000 of the course's steps; too slow for a test.)
    """
    data = D.read_names()
    train, val = seq.datasets.names("train"), seq.datasets.names("val")
    with contextlib.redirect_stdout(io.StringIO()):
        parameters, _ = D.model(train, data.ix_to_char, data.char_to_ix, num_iterations=2000)
    c2i = data.char_to_ix
    total, count = 0.0, 0
    for name in val:
        X = [None] + [c2i[c] for c in name]
        loss, _ = D.rnn_forward(X, X[1:] + [c2i["\n"]], np.zeros((50, 1)), parameters)
        total, count = total + loss, count + len(X)
    counts = Counter("".join(name + "\n" for name in train))
    unigram = -sum(np.log(counts[c] / sum(counts.values())) for name in val for c in name + "\n") / count
    assert unigram == pytest.approx(2.80, abs=0.01)
    assert total / count < unigram - 0.15  # 2.61 on this seed


def test_read_names_reads_a_file_the_courses_way(tmp_path):
    path = tmp_path / "dinos.txt"
    path.write_text("Aachenosaurus\nAardonyx\nZuniceratops\n", encoding="utf-8")
    data = D.read_names(path)
    assert data.data_x == ["aachenosaurus", "aardonyx", "zuniceratops", ""]  # the course's data.split("\n")
    chars = sorted(set("aachenosaurus\naardonyx\nzuniceratops\n"))
    assert data.char_to_ix == {c: i for i, c in enumerate(chars)} and data.char_to_ix["\n"] == 0
    assert data.ix_to_char == dict(enumerate(chars)) and data.vocab_size == len(chars)
    one_line = tmp_path / "one.txt"
    one_line.write_text("rex", encoding="utf-8")
    assert D.read_names(one_line).char_to_ix == {"\n": 0, "e": 1, "r": 2, "x": 3}  # '\n' is always there
    offline = D.read_names()
    assert offline.vocab_size == 27 and offline.data_x == seq.datasets.names()


def test_read_names_refuses_what_is_not_a_text_file(tmp_path):
    with pytest.raises(IsADirectoryError, match="is a directory"):
        D.read_names(tmp_path)
    binary = tmp_path / "weights.bin"
    binary.write_bytes(b"\xff\xfe\x00\x81 not text")
    with pytest.raises(ValueError, match="not UTF-8 text"):
        D.read_names(binary)


# ------------------------------------------------------------------------------------------------
# Bad input gets a message
# ------------------------------------------------------------------------------------------------


def small():
    return random_model(np.random.default_rng(0), 4, 3)


@pytest.mark.parametrize(
    ("X", "Y", "a0_shape", "message"),
    [
        ([None, 1], [1], (3, 1), "as many targets as inputs"),
        ([], [], (3, 1), "at least one"),
        ([None, 4], [1, 2], (3, 1), r"X\[1\] = 4: expected an int index from 0 to 3"),
        ([None, -1], [1, 2], (3, 1), r"X\[1\] = -1"),
        ([None, 1.0], [1, 2], (3, 1), r"X\[1\] = 1.0"),
        ([None, True], [1, 2], (3, 1), r"X\[1\] = True"),
        ([None, 1], [1, 9], (3, 1), r"Y\[1\] = 9"),
        ([None, 1], [1, 2], (3,), r"a0 must be a column of shape \(3, 1\)"),
    ],
)
def test_rnn_forward_refuses_a_bad_example(X, Y, a0_shape, message):
    with pytest.raises(ValueError, match=message):
        D.rnn_forward(X, Y, np.zeros(a0_shape), small())


def test_rnn_forward_refuses_a_vocab_size_other_than_wax_width():
    with pytest.raises(ValueError, match="Wax has 4 columns"):
        D.rnn_forward([None], [1], np.zeros((3, 1)), small(), vocab_size=27)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"vocab_size": 20}, ValueError, "vocab_size must be at least 27"),
        ({"num_iterations": -1}, ValueError, "num_iterations must be an int >= 0"),
        ({"n_a": 2.5}, ValueError, "n_a must be an int >= 1"),
        ({"dino_names": -3}, ValueError, "dino_names must be an int >= 0"),
        ({"data_x": "trex\nraptor"}, TypeError, "list of names"),
        ({"data_x": []}, ValueError, "no name"),
        ({"data_x": ["josé"]}, KeyError, "'é' of the name 'josé' is not in char_to_ix"),
        ({"char_to_ix": {"a": 0}}, KeyError, "char_to_ix has no"),
    ],
)
def test_model_refuses_bad_arguments(kwargs, error, message):
    data = D.read_names()
    arguments = {"data_x": ["rex"], "ix_to_char": data.ix_to_char, "char_to_ix": data.char_to_ix, "num_iterations": 1}
    with pytest.raises(error, match=message):
        D.model(**{**arguments, **kwargs})


@pytest.mark.parametrize("seed", [-1, 2.5, True, 2**32])
def test_sample_refuses_a_bad_seed(seed):
    with pytest.raises(ValueError, match="seed must be an int"):
        D.sample(small(), {"\n": 0, "a": 1, "b": 2, "c": 3}, seed)


def test_sample_needs_a_newline():
    with pytest.raises(KeyError, match="char_to_ix has no"):
        D.sample(small(), {"a": 1}, 0)
