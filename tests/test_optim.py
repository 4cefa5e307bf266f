"""Tests of minigrad.optim: each rule by hand, against PyTorch, through a checkpoint, on a real problem.

- Hand-derived: two or three steps of each rule written out in NumPy (no PyTorch needed).
- Parity: 25 steps of every optimizer and option combination on the same float64 problem, in minigrad
  and in PyTorch, fed the same NumPy gradients; parameters and state agree to 1e-12.
- The base class: parameter groups, zero_grad, closures, skipped parameters, errors.
- state_dict: PyTorch's layout, plain values only, and a restored optimizer continues bit for bit.
- Minimisation: each optimizer, driven by ``loss.backward()``, solves a least-squares problem.
"""

from __future__ import annotations

import numpy as np
import pytest

import minigrad
from minigrad import optim
from minigrad.optim import SGD, Adagrad, Adam, AdamW, Optimizer, RMSprop

# --------------------------------------------------------------------------------------------------
# The shared float64 problem: least squares in w, a quadratic bowl in M
# --------------------------------------------------------------------------------------------------

_RNG = np.random.default_rng(1234)
A = _RNG.standard_normal((8, 3))
B = _RNG.standard_normal(8)
W0 = _RNG.standard_normal(3)
M0 = _RNG.standard_normal((2, 3))
M_TARGET = _RNG.standard_normal((2, 3))
SCALE = np.array([[1.0, 2.0, 0.5], [3.0, 0.1, 1.0]])


def grads(w: np.ndarray, m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Gradients of L = ||A w - b||² / (2·8) + Σ SCALE (M - T)² / 2, computed in NumPy."""
    return A.T @ (A @ w - B) / 8, SCALE * (m - M_TARGET)


def make_params() -> list[minigrad.Tensor]:
    return [minigrad.Tensor(W0.copy(), requires_grad=True), minigrad.Tensor(M0.copy(), requires_grad=True)]


def feed(params: list, step: int) -> None:
    """Write the problem's gradient (shifted a little each step, so no two steps see the same) into .grad."""
    gw, gm = grads(params[0].data, params[1].data)
    params[0].grad = gw + 0.01 * np.sin(step)
    params[1].grad = gm - 0.01 * np.cos(step)


# Every optimizer with each option alone and in the combinations PyTorch treats specially.
CASES = [
    ("SGD", {"lr": 0.1}),
    ("SGD", {"lr": 0.1, "momentum": 0.9}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "dampening": 0.5}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True}),
    ("SGD", {"lr": 0.1, "weight_decay": 0.1}),
    ("SGD", {"lr": 0.05, "momentum": 0.8, "nesterov": True, "weight_decay": 0.1}),
    ("SGD", {"lr": 0.02, "maximize": True}),
    ("SGD", {"lr": 0.02, "momentum": 0.9, "maximize": True, "weight_decay": 0.1}),
    ("Adam", {"lr": 0.1}),
    ("Adam", {"lr": 0.1, "amsgrad": True}),
    ("Adam", {"lr": 0.1, "weight_decay": 0.1}),
    ("Adam", {"lr": 0.1, "weight_decay": 0.1, "amsgrad": True}),
    ("Adam", {"lr": 0.05, "betas": (0.3, 0.5), "eps": 1e-3}),
    ("Adam", {"lr": 0.05, "maximize": True}),
    ("AdamW", {"lr": 0.1}),
    ("AdamW", {"lr": 0.1, "weight_decay": 0.5}),
    ("AdamW", {"lr": 0.1, "weight_decay": 0.5, "amsgrad": True}),
    ("AdamW", {"lr": 0.05, "maximize": True}),
    ("RMSprop", {"lr": 0.01}),
    ("RMSprop", {"lr": 0.01, "centered": True}),
    ("RMSprop", {"lr": 0.01, "momentum": 0.9}),
    ("RMSprop", {"lr": 0.01, "momentum": 0.9, "centered": True, "alpha": 0.3}),
    ("RMSprop", {"lr": 0.01, "weight_decay": 0.1}),
    ("RMSprop", {"lr": 0.01, "maximize": True, "momentum": 0.5}),
    ("Adagrad", {"lr": 0.1}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.1}),
    ("Adagrad", {"lr": 0.1, "weight_decay": 0.1}),
    ("Adagrad", {"lr": 0.1, "initial_accumulator_value": 0.5, "eps": 1e-3}),
    ("Adagrad", {"lr": 0.1, "maximize": True}),
]
CASE_IDS = [name + "-" + ",".join(f"{k}={v}" for k, v in kw.items()) for name, kw in CASES]


def make_optimizer(name: str, params: list, kwargs: dict) -> Optimizer:
    return getattr(optim, name)(params, **kwargs)


# --------------------------------------------------------------------------------------------------
# Hand-derived steps (no PyTorch)
# --------------------------------------------------------------------------------------------------


def run_steps(opt: Optimizer, p: minigrad.Tensor, gradients: list) -> list[np.ndarray]:
    """Assign each gradient to p.grad, step, and return p's value after every step."""
    values = []
    for g in gradients:
        p.grad = np.array(g, dtype=np.float64)
        opt.step()
        values.append(p.data.copy())
    return values


def test_sgd_plain_and_weight_decay_by_hand():
    p = minigrad.Tensor(np.array([1.0, -2.0]), requires_grad=True)
    got = run_steps(SGD([p], lr=0.1), p, [[0.5, 1.0], [-0.2, 0.0]])
    np.testing.assert_allclose(got, [[0.95, -2.1], [0.97, -2.1]], rtol=0, atol=1e-15)

    p = minigrad.Tensor(np.array([1.0]), requires_grad=True)
    got = run_steps(SGD([p], lr=0.1, weight_decay=0.1), p, [[0.5], [-0.2]])
    # g₁ = 0.5 + 0.1·1 = 0.6 → θ = 0.94;  g₂ = -0.2 + 0.1·0.94 = -0.106 → θ = 0.9506
    np.testing.assert_allclose(got, [[0.94], [0.9506]], rtol=0, atol=1e-15)


def test_sgd_momentum_first_buffer_is_the_gradient():
    p = minigrad.Tensor(np.array([1.0]), requires_grad=True)
    got = run_steps(SGD([p], lr=0.1, momentum=0.9), p, [[0.5], [-0.2], [0.3]])
    # b₁ = g₁ = 0.5 (not 0.1·g₁): θ = 1 - 0.05 = 0.95
    # b₂ = 0.9·0.5 - 0.2 = 0.25: θ = 0.925;  b₃ = 0.9·0.25 + 0.3 = 0.525: θ = 0.8725
    np.testing.assert_allclose(got, [[0.95], [0.925], [0.8725]], rtol=0, atol=1e-15)

    p = minigrad.Tensor(np.array([1.0]), requires_grad=True)
    got = run_steps(SGD([p], lr=0.1, momentum=0.9, dampening=0.5), p, [[0.5], [-0.2]])
    # b₁ = g₁ (dampening is not applied to the first buffer); b₂ = 0.9·0.5 + 0.5·(-0.2) = 0.35
    np.testing.assert_allclose(got, [[0.95], [0.915]], rtol=0, atol=1e-15)


def test_sgd_nesterov_by_hand():
    p = minigrad.Tensor(np.array([1.0]), requires_grad=True)
    got = run_steps(SGD([p], lr=0.1, momentum=0.9, nesterov=True), p, [[0.5], [-0.2]])
    # step 1: b = 0.5, g + μb = 0.5 + 0.45 = 0.95 → θ = 0.905
    # step 2: b = 0.9·0.5 - 0.2 = 0.25, g + μb = -0.2 + 0.225 = 0.025 → θ = 0.9025
    np.testing.assert_allclose(got, [[0.905], [0.9025]], rtol=0, atol=1e-15)


def test_sgd_maximize_ascends():
    p = minigrad.Tensor(np.array([1.0]), requires_grad=True)
    got = run_steps(SGD([p], lr=0.1, maximize=True), p, [[0.5]])
    np.testing.assert_allclose(got, [[1.05]], rtol=0, atol=1e-15)


def test_adam_by_hand():
    lr, b1, b2, eps = 0.1, 0.9, 0.999, 1e-8
    p0 = np.array([1.0, -1.0, 0.5])
    g1, g2, g3 = np.array([0.3, -2.0, 1e-3]), np.array([-0.1, -1.0, 2e-3]), np.array([0.2, 0.5, 0.0])
    p = minigrad.Tensor(p0.copy(), requires_grad=True)
    got = run_steps(Adam([p], lr=lr, betas=(b1, b2), eps=eps), p, [g1, g2, g3])

    m1, v1 = (1 - b1) * g1, (1 - b2) * g1**2
    p1 = p0 - lr * (m1 / (1 - b1)) / (np.sqrt(v1 / (1 - b2)) + eps)
    m2, v2 = b1 * m1 + (1 - b1) * g2, b2 * v1 + (1 - b2) * g2**2
    p2 = p1 - lr * (m2 / (1 - b1**2)) / (np.sqrt(v2 / (1 - b2**2)) + eps)
    m3, v3 = b1 * m2 + (1 - b1) * g3, b2 * v2 + (1 - b2) * g3**2
    p3 = p2 - lr * (m3 / (1 - b1**3)) / (np.sqrt(v3 / (1 - b2**3)) + eps)
    np.testing.assert_allclose(got, [p1, p2, p3], rtol=1e-12)
    # the first step moves every coordinate by about lr, whatever the gradient's size
    np.testing.assert_allclose(p0 - got[0], lr * np.sign(g1), rtol=1e-4)


def test_adam_eps_is_added_after_the_bias_correction():
    p = minigrad.Tensor(np.array([0.0]), requires_grad=True)
    g, eps = 1e-8, 1e-8
    run_steps(Adam([p], lr=1.0, eps=eps), p, [[g]])
    # PyTorch: step = m̂ / (√v̂ + ε) = g / (g + ε) = 0.5. With ε added before the correction,
    # (√v + ε)/√(1 - β₂) = (0.0316 g + ε)/0.0316, the step would be ≈ 0.03.
    np.testing.assert_allclose(p.data, [-0.5], rtol=1e-9)


def test_adam_amsgrad_keeps_the_largest_second_moment():
    lr, b1, b2, eps = 0.1, 0.9, 0.999, 1e-8
    g1, g2 = np.array([3.0]), np.array([0.01])
    p = minigrad.Tensor(np.array([0.0]), requires_grad=True)
    opt = Adam([p], lr=lr, amsgrad=True)
    got = run_steps(opt, p, [g1, g2])
    m1, v1 = (1 - b1) * g1, (1 - b2) * g1**2
    p1 = -lr * (m1 / (1 - b1)) / (np.sqrt(v1 / (1 - b2)) + eps)
    m2, v2 = b1 * m1 + (1 - b1) * g2, b2 * v1 + (1 - b2) * g2**2
    assert v2[0] < v1[0]  # so the running max is still v1
    p2 = p1 - lr * (m2 / (1 - b1**2)) / (np.sqrt(v1 / (1 - b2**2)) + eps)
    np.testing.assert_allclose(got, [p1, p2], rtol=1e-12)
    np.testing.assert_allclose(opt.state[p]["max_exp_avg_sq"], v1, rtol=1e-15)


def test_adamw_decays_the_weights_not_the_gradient():
    lr, wd, b1, b2, eps = 0.1, 0.5, 0.9, 0.999, 1e-8
    p0, g1, g2 = np.array([2.0, -1.0]), np.array([0.4, 0.1]), np.array([-0.3, 0.2])
    p = minigrad.Tensor(p0.copy(), requires_grad=True)
    got = run_steps(AdamW([p], lr=lr, weight_decay=wd), p, [g1, g2])
    m1, v1 = (1 - b1) * g1, (1 - b2) * g1**2
    p1 = p0 * (1 - lr * wd) - lr * (m1 / (1 - b1)) / (np.sqrt(v1 / (1 - b2)) + eps)
    m2, v2 = b1 * m1 + (1 - b1) * g2, b2 * v1 + (1 - b2) * g2**2
    p2 = p1 * (1 - lr * wd) - lr * (m2 / (1 - b1**2)) / (np.sqrt(v2 / (1 - b2**2)) + eps)
    np.testing.assert_allclose(got, [p1, p2], rtol=1e-12)

    # Adam with the same weight_decay adds λθ to the gradient instead: a different result
    q = minigrad.Tensor(p0.copy(), requires_grad=True)
    coupled = run_steps(Adam([q], lr=lr, weight_decay=wd), q, [g1, g2])
    assert np.abs(coupled[1] - got[1]).max() > 1e-3
    assert AdamW([minigrad.Tensor(p0, requires_grad=True)]).defaults["weight_decay"] == 1e-2


def test_rmsprop_by_hand():
    lr, alpha, eps = 0.01, 0.99, 1e-8
    p0, g1, g2 = np.array([1.0, -1.0]), np.array([0.5, -3.0]), np.array([0.1, 1.0])
    p = minigrad.Tensor(p0.copy(), requires_grad=True)
    got = run_steps(RMSprop([p], lr=lr, alpha=alpha, eps=eps), p, [g1, g2])
    v1 = (1 - alpha) * g1**2
    p1 = p0 - lr * g1 / (np.sqrt(v1) + eps)  # no bias correction: the first step is lr/√(1-α) = 10·lr
    v2 = alpha * v1 + (1 - alpha) * g2**2
    p2 = p1 - lr * g2 / (np.sqrt(v2) + eps)
    np.testing.assert_allclose(got, [p1, p2], rtol=1e-12)
    np.testing.assert_allclose(p0 - got[0], 0.1 * np.sign(g1), rtol=1e-6)


def test_rmsprop_centered_with_momentum_by_hand():
    lr, alpha, eps, mu = 0.01, 0.9, 1e-8, 0.5
    p0, g1, g2 = np.array([1.0, -1.0]), np.array([0.5, -3.0]), np.array([0.1, 1.0])
    p = minigrad.Tensor(p0.copy(), requires_grad=True)
    got = run_steps(RMSprop([p], lr=lr, alpha=alpha, momentum=mu, centered=True), p, [g1, g2])
    v1, gbar1 = (1 - alpha) * g1**2, (1 - alpha) * g1
    buf1 = g1 / (np.sqrt(v1 - gbar1**2) + eps)
    p1 = p0 - lr * buf1
    v2, gbar2 = alpha * v1 + (1 - alpha) * g2**2, alpha * gbar1 + (1 - alpha) * g2
    buf2 = mu * buf1 + g2 / (np.sqrt(v2 - gbar2**2) + eps)
    p2 = p1 - lr * buf2
    np.testing.assert_allclose(got, [p1, p2], rtol=1e-12)


def test_adagrad_by_hand():
    lr, lr_decay, s0, eps = 0.1, 0.5, 0.1, 1e-10
    p0, g1, g2, g3 = np.array([1.0, 2.0]), np.array([0.5, -1.0]), np.array([0.2, 0.3]), np.array([-1.0, 0.0])
    p = minigrad.Tensor(p0.copy(), requires_grad=True)
    got = run_steps(Adagrad([p], lr=lr, lr_decay=lr_decay, initial_accumulator_value=s0), p, [g1, g2, g3])
    s1 = s0 + g1**2
    p1 = p0 - lr * g1 / (np.sqrt(s1) + eps)
    s2 = s1 + g2**2
    p2 = p1 - lr / (1 + lr_decay) * g2 / (np.sqrt(s2) + eps)
    s3 = s2 + g3**2
    p3 = p2 - lr / (1 + 2 * lr_decay) * g3 / (np.sqrt(s3) + eps)
    np.testing.assert_allclose(got, [p1, p2, p3], rtol=1e-12)


# --------------------------------------------------------------------------------------------------
# Parity with PyTorch
# --------------------------------------------------------------------------------------------------


def _torch_state_value(value):
    return float(value) if value.ndim == 0 else value.detach().numpy()


@pytest.mark.parametrize(("name", "kwargs"), CASES, ids=CASE_IDS)
def test_matches_pytorch_for_25_steps(name, kwargs):
    torch = pytest.importorskip("torch")
    params = make_params()
    opt = make_optimizer(name, params, kwargs)
    tparams = [torch.tensor(p.data.copy(), requires_grad=True) for p in params]
    topt = getattr(torch.optim, name)(tparams, foreach=False, **kwargs)
    for step in range(25):
        feed(params, step)
        for p, tp in zip(params, tparams, strict=True):
            tp.grad = torch.from_numpy(p.grad.copy())
        opt.step()
        topt.step()
    for p, tp, start in zip(params, tparams, (W0, M0), strict=True):
        assert p.data.dtype == np.float64
        np.testing.assert_allclose(p.data, tp.detach().numpy(), rtol=1e-12, atol=1e-12)
        assert np.abs(p.data - start).max() > 1e-3  # the parameters moved: the comparison means something

    # the same state, under the same names, in the same state_dict layout
    ours, theirs = opt.state_dict(), topt.state_dict()
    keeps_state = not (name == "SGD" and "momentum" not in kwargs)  # plain SGD keeps nothing
    assert sorted(ours["state"]) == sorted(theirs["state"]) == ([0, 1] if keeps_state else [])
    for k in ours["state"]:
        assert set(ours["state"][k]) == set(theirs["state"][k])
        for key, value in ours["state"][k].items():
            expected = _torch_state_value(theirs["state"][k][key])
            np.testing.assert_allclose(value, expected, rtol=1e-12, atol=1e-12)
    group, tgroup = ours["param_groups"][0], theirs["param_groups"][0]
    assert group["params"] == tgroup["params"] == [0, 1]
    for key, value in group.items():
        assert tgroup[key] == value, key


def test_matches_pytorch_with_two_groups_and_a_parameter_without_grad():
    torch = pytest.importorskip("torch")
    w, m = make_params()
    idle = minigrad.Tensor(np.ones(4), requires_grad=True)
    opt = Adam([{"params": [w, idle]}, {"params": [m], "lr": 0.01, "amsgrad": True}], lr=0.1)
    tw, tm = (torch.tensor(x.copy(), requires_grad=True) for x in (W0, M0))
    tidle = torch.ones(4, dtype=torch.float64, requires_grad=True)
    topt = torch.optim.Adam(
        [{"params": [tw, tidle]}, {"params": [tm], "lr": 0.01, "amsgrad": True}], lr=0.1, foreach=False
    )
    for step in range(25):
        feed([w, m], step)
        tw.grad, tm.grad = torch.from_numpy(w.grad.copy()), torch.from_numpy(m.grad.copy())
        opt.step()
        topt.step()
    np.testing.assert_allclose(w.data, tw.detach().numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(m.data, tm.detach().numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(idle.data, np.ones(4))
    ours, theirs = opt.state_dict(), topt.state_dict()
    assert sorted(ours["state"]) == sorted(theirs["state"]) == [0, 2]  # no state for the idle parameter
    assert [g["params"] for g in ours["param_groups"]] == [g["params"] for g in theirs["param_groups"]]


# --------------------------------------------------------------------------------------------------
# The base class
# --------------------------------------------------------------------------------------------------


def test_param_groups_fill_in_defaults_and_keep_their_own_options():
    w, m = make_params()
    opt = SGD([{"params": w}, {"params": [m], "lr": 0.5, "momentum": 0.9}], lr=0.1)
    assert opt.defaults == {
        "lr": 0.1,
        "momentum": 0.0,
        "dampening": 0.0,
        "weight_decay": 0.0,
        "nesterov": False,
        "maximize": False,
    }
    assert opt.param_groups[0]["params"][0] is w and opt.param_groups[0]["lr"] == 0.1
    assert opt.param_groups[1]["lr"] == 0.5 and opt.param_groups[1]["momentum"] == 0.9
    assert opt.param_groups[1]["dampening"] == 0.0
    w.grad, m.grad = np.ones(3), np.ones((2, 3))
    opt.step()
    np.testing.assert_allclose(w.data, W0 - 0.1)
    np.testing.assert_allclose(m.data, M0 - 0.5)
    assert "momentum_buffer" in opt.state[m] and w not in opt.state


def test_add_param_group():
    w, m = make_params()
    opt = Adam([w], lr=0.1)
    opt.add_param_group({"params": m, "lr": 0.2})
    assert len(opt.param_groups) == 2
    assert opt.param_groups[1]["betas"] == (0.9, 0.999) and opt.param_groups[1]["lr"] == 0.2
    m.grad = np.ones((2, 3))
    opt.step()
    np.testing.assert_allclose(m.data, M0 - 0.2, rtol=1e-6)  # Adam's first step is lr·sign(g)
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [w]})


def test_adagrad_makes_state_for_every_parameter_up_front():
    w, m = make_params()
    opt = Adagrad([w], initial_accumulator_value=0.3)
    assert opt.state[w]["step"] == 0
    np.testing.assert_array_equal(opt.state[w]["sum"], np.full(3, 0.3))
    opt.add_param_group({"params": [m], "initial_accumulator_value": 0.7})
    np.testing.assert_array_equal(opt.state[m]["sum"], np.full((2, 3), 0.7))


def test_zero_grad():
    w, m = make_params()
    opt = SGD([w, m], lr=0.1)
    feed([w, m], 0)
    opt.zero_grad()
    assert w.grad is None and m.grad is None
    feed([w, m], 0)
    grad_array = w.grad
    opt.zero_grad(set_to_none=False)
    assert w.grad is grad_array
    np.testing.assert_array_equal(w.grad, np.zeros(3))


def test_parameters_without_grad_are_skipped():
    w, m = make_params()
    opt = Adam([w, m], lr=0.1)
    w.grad = np.ones(3)
    opt.step()
    np.testing.assert_array_equal(m.data, M0)
    assert m not in opt.state and opt.state[w]["step"] == 1


def test_step_updates_data_in_place_and_keeps_dtype_and_leaf():
    p = minigrad.Tensor(np.array([1.0, 2.0], dtype=np.float32), requires_grad=True)
    data = p.data
    for cls in (SGD, Adam, AdamW, RMSprop, Adagrad):
        opt = cls([p], lr=0.1)
        p.grad = np.array([0.5, -0.5], dtype=np.float32)
        opt.step()
        assert p.data is data and p.data.dtype == np.float32
        assert all(v.dtype == np.float32 for v in opt.state.get(p, {}).values() if isinstance(v, np.ndarray))
    assert p.is_leaf and p.requires_grad and p.grad_fn is None
    assert not np.allclose(p.data, [1.0, 2.0])


def test_step_with_closure_records_the_graph_even_under_no_grad():
    w = minigrad.Tensor(np.zeros(3), requires_grad=True)
    At, bt = minigrad.Tensor(A), minigrad.Tensor(B)
    opt = SGD([w], lr=0.1)
    calls = []

    def closure():
        opt.zero_grad()
        loss = ((At @ w - bt) ** 2).mean()
        loss.backward()
        calls.append(loss.item())
        return loss

    with minigrad.no_grad():
        loss = opt.step(closure)
    assert calls == [pytest.approx(np.mean(B**2))] and loss.item() == calls[0]
    np.testing.assert_allclose(w.data, -0.1 * (2 * A.T @ (-B) / 8), rtol=1e-12)
    assert opt.step() is None


def test_gradients_from_backward_give_the_numpy_update():
    w = minigrad.Tensor(W0.copy(), requires_grad=True)
    At, bt = minigrad.Tensor(A), minigrad.Tensor(B)
    opt = SGD([w], lr=0.3, momentum=0.5)
    expected, buf = W0.copy(), None
    for _ in range(3):
        opt.zero_grad()
        (((At @ w - bt) ** 2).sum() / 16).backward()
        g = A.T @ (A @ expected - B) / 8
        np.testing.assert_allclose(w.grad, g, rtol=1e-12)
        buf = g if buf is None else 0.5 * buf + g
        expected = expected - 0.3 * buf
        opt.step()
        np.testing.assert_allclose(w.data, expected, rtol=1e-12)


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda: SGD(_P), TypeError, "iterable of Tensors or dicts"),
        (lambda: SGD([]), ValueError, "optimizer got an empty parameter list"),
        (lambda: SGD([np.ones(2)]), TypeError, "can only optimize Tensors, but one of the params is ndarray"),
        (lambda: SGD([minigrad.Tensor(np.arange(3))]), TypeError, "floating point dtype.*int64"),
        (lambda: SGD([minigrad.Tensor(np.ones(2), requires_grad=True) * 2]), ValueError, "non-leaf"),
        (lambda: SGD([{"params": {minigrad.Tensor(np.ones(2))}}]), TypeError, "ordered collections"),
        (lambda: SGD([_P, _P]), ValueError, "duplicate parameters"),
        (lambda: SGD([{"params": [_P]}, {"params": [_P]}]), ValueError, "more than one parameter group"),
        (lambda: SGD([_P], lr=-0.1), ValueError, "Invalid learning rate: -0.1"),
        (lambda: SGD([_P], momentum=-0.5), ValueError, "Invalid momentum value: -0.5"),
        (lambda: SGD([_P], weight_decay=-1), ValueError, "Invalid weight_decay value: -1"),
        (lambda: SGD([_P], nesterov=True), ValueError, "Nesterov momentum requires a momentum and zero"),
        (lambda: SGD([_P], momentum=0.9, dampening=0.1, nesterov=True), ValueError, "zero dampening"),
        (lambda: Adam([_P], lr=-1e-3), ValueError, "Invalid learning rate: -0.001"),
        (lambda: Adam([_P], eps=-1.0), ValueError, "Invalid epsilon value: -1.0"),
        (lambda: Adam([_P], betas=(1.0, 0.999)), ValueError, "Invalid beta parameter at index 0: 1.0"),
        (lambda: Adam([_P], betas=(0.9, -0.1)), ValueError, "Invalid beta parameter at index 1: -0.1"),
        (lambda: AdamW([_P], weight_decay=-0.01), ValueError, "Invalid weight_decay value: -0.01"),
        (lambda: RMSprop([_P], alpha=-0.9), ValueError, "Invalid alpha value: -0.9"),
        (lambda: RMSprop([_P], momentum=-0.5), ValueError, "Invalid momentum value: -0.5"),
        (lambda: Adagrad([_P], lr_decay=-1.0), ValueError, "Invalid lr_decay value: -1.0"),
        (lambda: Adagrad([_P], initial_accumulator_value=-1), ValueError, "Invalid initial_accumulator"),
    ],
)
def test_clear_errors(make, error, message):
    with pytest.raises(error, match=message):
        make()


_P = minigrad.Tensor(np.ones(2), requires_grad=True)


# --------------------------------------------------------------------------------------------------
# state_dict
# --------------------------------------------------------------------------------------------------


def _leaves(obj):
    if isinstance(obj, dict):
        for key, value in obj.items():
            yield key
            yield from _leaves(value)
    elif isinstance(obj, list | tuple):
        for value in obj:
            yield from _leaves(value)
    else:
        yield obj


def _as_plain_checkpoint(state_dict):
    """What a pickle-free checkpoint gives back: string keys, lists for tuples, fresh arrays."""
    if isinstance(state_dict, dict):
        return {str(k): _as_plain_checkpoint(v) for k, v in state_dict.items()}
    if isinstance(state_dict, list | tuple):
        return [_as_plain_checkpoint(v) for v in state_dict]
    if isinstance(state_dict, np.ndarray):
        return np.array(state_dict)
    return state_dict


@pytest.mark.parametrize(("name", "kwargs"), CASES, ids=CASE_IDS)
def test_state_dict_round_trip_continues_bit_identically(name, kwargs):
    params = make_params()
    opt = make_optimizer(name, params, kwargs)
    for step in range(10):
        feed(params, step)
        opt.step()
    saved = _as_plain_checkpoint(opt.state_dict())
    for leaf in _leaves(saved):
        assert isinstance(leaf, np.ndarray | int | float | bool | str), type(leaf)

    restored_params = [minigrad.Tensor(p.data.copy(), requires_grad=True) for p in params]
    other = {**kwargs, "lr": 123.0}  # the loaded groups must override the constructor's options
    restored = make_optimizer(name, restored_params, other)
    restored.load_state_dict(saved)
    assert restored.param_groups[0]["lr"] == kwargs["lr"]
    for step in range(10, 20):
        feed(params, step)
        feed(restored_params, step)
        opt.step()
        restored.step()
    for p, q in zip(params, restored_params, strict=True):
        np.testing.assert_array_equal(p.data, q.data)


def test_state_dict_layout_and_copies():
    w, m = make_params()
    opt = SGD([{"params": [w]}, {"params": [m], "lr": 0.5}], lr=0.1, momentum=0.9)
    feed([w, m], 0)
    opt.step()
    sd = opt.state_dict()
    assert [g["params"] for g in sd["param_groups"]] == [[0], [1]]
    assert sd["param_groups"][1]["lr"] == 0.5 and sd["param_groups"][1]["momentum"] == 0.9
    assert set(sd["state"]) == {0, 1} and set(sd["state"][1]) == {"momentum_buffer"}
    buf = sd["state"][1]["momentum_buffer"].copy()
    feed([w, m], 1)
    opt.step()
    np.testing.assert_array_equal(sd["state"][1]["momentum_buffer"], buf)  # the saved dict did not move


def test_adam_state_step_is_a_plain_number():
    w, m = make_params()
    opt = Adam([w, m])
    feed([w, m], 0)
    opt.step()
    opt.step()
    step = opt.state_dict()["state"][0]["step"]
    assert type(step) is int and step == 2


def test_load_state_dict_checks_the_groups():
    w, m = make_params()
    sd = Adam([w, m]).state_dict()
    with pytest.raises(ValueError, match="different number of parameter groups"):
        Adam([{"params": [w]}, {"params": [m]}]).load_state_dict(sd)
    with pytest.raises(ValueError, match="doesn't match the size of optimizer's group"):
        Adam([w]).load_state_dict(sd)


def test_load_state_dict_checks_state_shapes():
    w, m = make_params()
    opt = Adam([w])
    w.grad = np.ones(3)
    opt.step()
    with pytest.raises(ValueError, match="shape"):
        Adam([m]).load_state_dict(opt.state_dict())


# --------------------------------------------------------------------------------------------------
# Minimisation with the engine
# --------------------------------------------------------------------------------------------------

LSQ_A = np.random.default_rng(7).standard_normal((20, 3))
LSQ_B = LSQ_A @ np.array([1.5, -2.0, 0.5]) + 0.1 * np.random.default_rng(8).standard_normal(20)
LSQ_BEST = float(np.mean((LSQ_A @ np.linalg.lstsq(LSQ_A, LSQ_B, rcond=None)[0] - LSQ_B) ** 2))


@pytest.mark.parametrize(
    ("cls", "kwargs"),
    [
        (SGD, {"lr": 0.1}),
        (SGD, {"lr": 0.05, "momentum": 0.9, "nesterov": True}),
        (Adam, {"lr": 0.1}),
        (AdamW, {"lr": 0.1, "weight_decay": 0.0}),
        (RMSprop, {"lr": 0.01}),
        (RMSprop, {"lr": 0.01, "centered": True, "momentum": 0.5}),
        (Adagrad, {"lr": 0.5}),
    ],
    ids=lambda v: v.__name__ if isinstance(v, type) else ",".join(f"{k}={x}" for k, x in v.items()),
)
def test_minimises_least_squares(cls, kwargs):
    w = minigrad.Tensor(np.zeros(3), requires_grad=True)
    At, bt = minigrad.Tensor(LSQ_A), minigrad.Tensor(LSQ_B)
    opt = cls([w], **kwargs)

    def loss_fn():
        return ((At @ w - bt) ** 2).mean()

    first = loss_fn().item()
    for _ in range(300):
        opt.zero_grad()
        loss = loss_fn()
        loss.backward()
        opt.step()
    assert first - LSQ_BEST > 1.0  # there was something to minimise
    assert loss_fn().item() < LSQ_BEST + 1e-4  # within 1e-4 of the least-squares optimum


def test_checkpoint_file_round_trip_with_a_scheduler(tmp_path):
    """Optimizer and scheduler saved with minigrad.serialization (no pickle), restored, continue exactly."""
    from minigrad import serialization
    from minigrad.optim import lr_scheduler

    params = make_params()
    opt = AdamW(params, lr=0.1, amsgrad=True)
    schedule = lr_scheduler.CosineAnnealingLR(opt, T_max=8, eta_min=0.01)
    for step in range(5):
        feed(params, step)
        opt.step()
        schedule.step()
    path = tmp_path / "ckpt.mg"
    serialization.save(
        {"params": [p.data for p in params], "optimizer": opt.state_dict(), "scheduler": schedule.state_dict()},
        path,
    )
    ckpt = serialization.load(path)

    restored_params = [minigrad.Tensor(a, requires_grad=True) for a in ckpt["params"]]
    restored = AdamW(restored_params, lr=0.1, amsgrad=True)
    restored_schedule = lr_scheduler.CosineAnnealingLR(restored, T_max=8, eta_min=0.01)
    restored.load_state_dict(ckpt["optimizer"])
    restored_schedule.load_state_dict(ckpt["scheduler"])
    assert restored.state[restored_params[0]]["step"] == 5
    for step in range(5, 15):
        feed(params, step)
        feed(restored_params, step)
        opt.step()
        restored.step()
        schedule.step()
        restored_schedule.step()
        assert restored_schedule.get_last_lr() == schedule.get_last_lr()
    for p, q in zip(params, restored_params, strict=True):
        np.testing.assert_array_equal(p.data, q.data)
