"""minigrad.nn.functional: forward against NumPy references, gradients against finite differences,
and parity with torch.nn.functional (values and gradients, float64) where PyTorch is installed."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minigrad
from minigrad import Tensor
from minigrad.nn import functional as F
from minigrad.testing import arrays, assert_gradients_match, index_arrays, probability_vectors, tensors

REDUCTIONS = st.sampled_from(["none", "mean", "sum"])


def assert_close(actual, expected, rtol=1e-10, atol=1e-10):
    actual = np.asarray(actual, dtype=np.float64)
    np.testing.assert_allclose(actual, np.asarray(expected), rtol=rtol, atol=atol)


def reduced(per_element, reduction):
    return {"none": per_element, "mean": per_element.mean(), "sum": per_element.sum()}[reduction]


def to_torch(torch, x, requires_grad=False):
    data = x.data if isinstance(x, Tensor) else np.asarray(x)
    return torch.tensor(data, requires_grad=requires_grad)


# --------------------------------------------------------------------------------------------------
# Strategies
# --------------------------------------------------------------------------------------------------


@st.composite
def class_problems(draw, spatial=True, at_least_one_kept=True):
    """(logits, class-index target, weight or None, label_smoothing, reduction) for cross_entropy."""
    n = draw(st.integers(1, 3))
    c = draw(st.integers(2, 4))
    extra = draw(st.sampled_from([(), (2,)])) if spatial else ()
    logits = draw(arrays((n, c, *extra), min_value=-3, max_value=3))
    target = draw(index_arrays(c, (n, *extra)))
    ignored = np.zeros((n, *extra), bool)
    if draw(st.booleans()):
        ignored = draw(arrays((n, *extra), dtype=np.bool_))
    target = np.where(ignored, -100, target)
    if at_least_one_kept:
        target.flat[0] = draw(st.integers(0, c - 1))
    weight = draw(arrays((c,), min_value=0.2, max_value=2.0)) if draw(st.booleans()) else None
    smoothing = draw(st.sampled_from([0.0, 0.0, 0.1, 0.5]))
    return logits, target, weight, smoothing, draw(REDUCTIONS)


# --------------------------------------------------------------------------------------------------
# linear, embedding, one_hot, pad, layer_norm, dropout
# --------------------------------------------------------------------------------------------------


@given(tensors((2, 3)), tensors((4, 3)), tensors((4,)))
def test_linear_matches_numpy_and_finite_differences(x, w, b):
    assert_close(F.linear(x, w, b).data, x.data @ w.data.T + b.data)
    assert_close(F.linear(x, w).data, x.data @ w.data.T)
    assert_gradients_match(F.linear, x, w, b)


def test_linear_shape_error_names_both_shapes():
    with pytest.raises(ValueError, match=r"\(2, 5\).*\(4, 3\)"):
        F.linear(minigrad.zeros(2, 5), minigrad.zeros(4, 3))


@given(tensors((5, 3)), index_arrays(5, (2, 3)))
def test_embedding_is_a_row_lookup_with_gradients(weight, ids):
    assert_close(F.embedding(ids, weight).data, weight.data[ids])
    assert_gradients_match(lambda w: F.embedding(ids, w), weight)


@given(tensors((5, 3)), index_arrays(5, (2, 4)), st.integers(-5, 4))
def test_embedding_padding_row_gets_no_gradient(weight, ids, padding_idx):
    out = F.embedding(ids, weight, padding_idx=padding_idx)
    assert_close(out.data, weight.data[ids])  # the padding row is still read as it is
    (out * out).sum().backward()
    row = padding_idx % 5
    expected = np.zeros_like(weight.data)
    np.add.at(expected, ids[ids != row], 2 * weight.data[ids[ids != row]])
    assert_close(weight.grad, expected)
    assert not weight.grad[row].any()


def test_embedding_errors():
    w = minigrad.zeros(4, 2)
    with pytest.raises(IndexError, match="index 4 is out of range"):
        F.embedding(np.array([0, 4]), w)
    with pytest.raises(TypeError, match="integers"):
        F.embedding(np.array([0.0]), w)
    with pytest.raises(ValueError, match="padding_idx"):
        F.embedding(np.array([0]), w, padding_idx=4)


@given(index_arrays(4, (3, 2)))
def test_one_hot_matches_torch_and_numpy(ids):
    out = F.one_hot(ids, 4)
    assert out.dtype == np.int64 and out.shape == (3, 2, 4)
    np.testing.assert_array_equal(out.data, np.eye(4, dtype=np.int64)[ids])
    np.testing.assert_array_equal(F.one_hot(ids).data.shape[-1], ids.max() + 1)
    torch = pytest.importorskip("torch")
    np.testing.assert_array_equal(out.data, torch.nn.functional.one_hot(torch.tensor(ids), 4).numpy())


def test_one_hot_rejects_out_of_range():
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        F.one_hot(np.array([3]), 3)


@given(tensors((2, 3, 2)), st.sampled_from([(1, 2), (0, 1, 2, 0), (1, 1, 0, 2, 3, 0)]), st.floats(-1, 1))
def test_pad_follows_torch_convention(x, widths, value):
    out = F.pad(x, widths, value=value)
    pairs = [(0, 0)] * 3
    for k in range(len(widths) // 2):
        pairs[2 - k] = (widths[2 * k], widths[2 * k + 1])
    assert_close(out.data, np.pad(x.data, pairs, constant_values=value))
    assert_gradients_match(lambda t: F.pad(t, widths, value=value), x)
    torch = pytest.importorskip("torch")
    assert_close(out.data, torch.nn.functional.pad(to_torch(torch, x), widths, value=value).numpy())


def test_pad_errors():
    with pytest.raises(ValueError, match="even number"):
        F.pad(minigrad.zeros(2), (1,))
    with pytest.raises(NotImplementedError, match="constant"):
        F.pad(minigrad.zeros(2), (1, 1), mode="reflect")


@given(tensors((2, 3, 4)), tensors((3, 4), min_value=0.5), tensors((3, 4)), st.sampled_from([1, 2]))
def test_layer_norm_reference_gradients_and_torch(x, w, b, k):
    shape = x.shape[3 - k :]
    if k == 1:
        w, b = Tensor(w.data[0], requires_grad=True), Tensor(b.data[0], requires_grad=True)
    axes = tuple(range(3 - k, 3))
    mean = x.data.mean(axis=axes, keepdims=True)
    var = x.data.var(axis=axes, keepdims=True)
    expected = (x.data - mean) / np.sqrt(var + 1e-5) * w.data + b.data
    assert_close(F.layer_norm(x, shape, w, b).data, expected)
    assert_gradients_match(lambda *a: F.layer_norm(a[0], shape, a[1], a[2]), x, w, b)
    torch = pytest.importorskip("torch")
    tx, tw, tb = (to_torch(torch, t, True) for t in (x, w, b))
    torch.nn.functional.layer_norm(tx, shape, tw, tb).pow(3).sum().backward()
    for t in (x, w, b):
        t.grad = None
    (F.layer_norm(x, shape, w, b) ** 3).sum().backward()
    for mine, theirs in ((x, tx), (w, tw), (b, tb)):
        assert_close(mine.grad, theirs.grad.numpy(), rtol=1e-8, atol=1e-9)


def test_layer_norm_shape_error():
    with pytest.raises(ValueError, match=r"\(3,\).*\(2, 4\)"):
        F.layer_norm(minigrad.zeros(2, 4), (3,))


@given(tensors((3, 4)), st.sampled_from([0.2, 0.5, 0.8]))
def test_dropout_keeps_or_scales_each_element(x, p):
    out = F.dropout(x, p, training=True)
    kept = out.data != 0
    assert_close(out.data[kept], x.data[kept] / (1 - p))
    assert F.dropout(x, p, training=False) is x

    def fixed_mask(t):  # the same generator state at every call: the same mask
        return F.dropout(t, p, generator=minigrad.Generator(3))

    assert_gradients_match(fixed_mask, x)


def test_dropout_statistics_and_bounds():
    x = minigrad.ones(200, 500, dtype=np.float64)
    out = F.dropout(x, 0.3)
    assert abs((out.data == 0).mean() - 0.3) < 0.01  # 100,000 draws: the standard error is 0.0015
    assert abs(out.data.mean() - 1.0) < 0.02  # inverted dropout keeps the expectation
    assert not F.dropout(x, 1.0).data.any()
    assert F.dropout(x, 0.0) is x
    with pytest.raises(ValueError, match="between 0 and 1"):
        F.dropout(x, 1.5)


def test_dropout_is_reproducible_under_a_seed():
    x = minigrad.ones(4, 6)
    minigrad.manual_seed(7)
    a = F.dropout(x, 0.5).data
    minigrad.manual_seed(7)
    b = F.dropout(x, 0.5).data
    np.testing.assert_array_equal(a, b)
    c = F.dropout(x, 0.5).data
    assert not np.array_equal(b, c)  # the stream moved on: 2^-24 chance of a false failure
    g1, g2 = minigrad.Generator(11), minigrad.Generator(11)
    np.testing.assert_array_equal(F.dropout(x, 0.5, generator=g1).data, F.dropout(x, 0.5, generator=g2).data)


@given(tensors((2, 4)))
def test_softmax_and_log_softmax_match_torch(x):
    assert_close(F.softmax(x, dim=1).data.sum(axis=1), np.ones(2))
    assert_close(np.exp(F.log_softmax(x, dim=1).data), F.softmax(x, dim=1).data)
    torch = pytest.importorskip("torch")
    assert_close(F.log_softmax(x, 1).data, torch.log_softmax(to_torch(torch, x), 1).numpy())


@given(tensors((5,), min_value=-50, max_value=50))
def test_logsigmoid_is_stable_and_correct(x):
    assert_close(F.logsigmoid(x).data, -np.logaddexp(0, -x.data))
    assert_gradients_match(F.logsigmoid, x)
    big = F.logsigmoid(Tensor(np.array([-1000.0, 1000.0])))
    assert_close(big.data, [-1000.0, 0.0])


# --------------------------------------------------------------------------------------------------
# cross_entropy and nll_loss
# --------------------------------------------------------------------------------------------------


def reference_cross_entropy(logits, target, weight, smoothing, reduction, ignore_index=-100):
    """A plain NumPy loop over every (sample, position): the formula of the docstring."""
    c = logits.shape[1]
    logits = np.moveaxis(logits, 1, -1).reshape(-1, c)  # (N * d, C)
    target = target.reshape(-1)
    w = np.ones(c) if weight is None else weight
    losses, denominator = [], 0.0
    for row, t in zip(logits, target):
        logp = row - np.log(np.exp(row - row.max()).sum()) - row.max()
        if t == ignore_index:
            losses.append(0.0)
            continue
        nll = -w[t] * logp[t]
        smooth = -(w * logp).sum()
        losses.append((1 - smoothing) * nll + smoothing / c * smooth)
        denominator += w[t]
    losses = np.array(losses)
    if reduction == "sum":
        return losses.sum()
    if reduction == "mean":
        return losses.sum() / denominator
    return losses


@given(class_problems())
def test_cross_entropy_matches_a_reference_loop(problem):
    logits, target, weight, smoothing, reduction = problem
    kwargs = {"weight": weight, "label_smoothing": smoothing, "reduction": reduction}
    out = F.cross_entropy(Tensor(logits), target, **kwargs)
    expected = reference_cross_entropy(logits, target, weight, smoothing, reduction)
    assert_close(out.data.reshape(-1) if reduction == "none" else out.data, expected)


@given(class_problems())
def test_cross_entropy_gradients(problem):
    logits, target, weight, smoothing, reduction = problem

    def loss(x):
        return F.cross_entropy(x, target, weight=weight, label_smoothing=smoothing, reduction=reduction)

    assert_gradients_match(loss, Tensor(logits, requires_grad=True))


@given(class_problems(at_least_one_kept=False), st.sampled_from([-100, 1]))
def test_cross_entropy_matches_torch(problem, ignore_index):
    torch = pytest.importorskip("torch")
    logits, target, weight, smoothing, reduction = problem
    if ignore_index == 1:
        target = np.where(target == -100, 0, target)
    x = Tensor(logits, requires_grad=True)
    kwargs = {"ignore_index": ignore_index, "label_smoothing": smoothing, "reduction": reduction}
    out = F.cross_entropy(x, target, weight=weight, **kwargs)
    tx = to_torch(torch, logits, True)
    tw = None if weight is None else torch.tensor(weight)
    expected = torch.nn.functional.cross_entropy(tx, torch.tensor(target), weight=tw, **kwargs)
    assert_close(out.data, expected.detach().numpy())  # NaN where torch gives NaN (all ignored, mean)
    out.sum().backward()
    expected.sum().backward()
    assert_close(x.grad, tx.grad.numpy())  # (zero where the loss is NaN, as torch's)


@given(st.integers(1, 3), st.integers(2, 4), st.data())
def test_cross_entropy_with_probabilities_matches_torch(n, c, data):
    logits = data.draw(arrays((n, c, 2)))
    probs = data.draw(probability_vectors(c, batch=(n, 2)))
    probs = np.ascontiguousarray(np.moveaxis(probs, -1, 1))  # (n, 2, c) -> (n, c, 2)
    weight = data.draw(arrays((c,), min_value=0.2, max_value=2.0)) if data.draw(st.booleans()) else None
    smoothing = data.draw(st.sampled_from([0.0, 0.3]))
    reduction = data.draw(REDUCTIONS)

    def loss(x, p):
        return F.cross_entropy(x, p, weight=weight, label_smoothing=smoothing, reduction=reduction)

    x, p = Tensor(logits, requires_grad=True), Tensor(probs, requires_grad=True)
    assert_gradients_match(loss, x, p)
    expected = -(
        np.moveaxis(probs * (1 - smoothing) + smoothing / c, 1, -1)
        * np.moveaxis(logits - np.log(np.exp(logits).sum(1, keepdims=True)), 1, -1)
        * (1 if weight is None else weight)
    ).sum(-1)  # (n, 2)
    assert_close(loss(x, p).data, reduced(expected, reduction))
    torch = pytest.importorskip("torch")
    tw = None if weight is None else torch.tensor(weight)
    theirs = torch.nn.functional.cross_entropy(
        to_torch(torch, logits),
        torch.tensor(probs),
        weight=tw,
        label_smoothing=smoothing,
        reduction=reduction,
    )
    assert_close(loss(x, p).data, theirs.numpy())


def test_cross_entropy_unbatched_input():
    x = Tensor(np.array([1.0, 2.0, 0.5]))
    expected = -(2.0 - np.log(np.exp(x.data).sum()))
    assert_close(F.cross_entropy(x, np.array(1)).data, expected)


@pytest.mark.filterwarnings("error")  # no 0/0 warning, forward or backward
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
def test_cross_entropy_all_ignored_is_nan_for_mean_and_zero_for_sum(smoothing):
    x = Tensor(np.zeros((2, 3)), requires_grad=True)
    target = np.array([-100, -100])
    loss = F.cross_entropy(x, target, label_smoothing=smoothing)
    assert np.isnan(loss.item())
    loss.backward()
    np.testing.assert_array_equal(x.grad, np.zeros((2, 3)))  # torch 2.13: NaN loss, zero gradient
    assert np.isnan(F.nll_loss(x, target).item())
    assert F.cross_entropy(x, target, reduction="sum").item() == 0.0
    np.testing.assert_array_equal(F.cross_entropy(x, target, reduction="none").data, [0.0, 0.0])


def test_cross_entropy_errors_name_shapes_and_values():
    x = minigrad.zeros(2, 3)
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(2,\).*\(3,\)"):
        F.cross_entropy(x, np.array([0, 1, 2]))
    with pytest.raises(IndexError, match="target 3 is out of bounds for 3 classes"):
        F.cross_entropy(x, np.array([0, 3]))
    with pytest.raises(ValueError, match="weight must have shape"):
        F.cross_entropy(x, np.array([0, 1]), weight=np.ones(2))
    with pytest.raises(ValueError, match="not a valid value for reduction"):
        F.cross_entropy(x, np.array([0, 1]), reduction="avg")
    with pytest.raises(ValueError, match=r"target has shape \(2, 2\) but input has shape \(2, 3\)"):
        F.cross_entropy(x, np.zeros((2, 2)))


@given(class_problems(spatial=True))
def test_nll_loss_matches_torch_and_finite_differences(problem):
    logits, target, weight, _, reduction = problem
    logp = Tensor(logits - np.log(np.exp(logits).sum(1, keepdims=True)), requires_grad=True)
    assert_gradients_match(lambda t: F.nll_loss(t, target, weight=weight, reduction=reduction), logp)
    torch = pytest.importorskip("torch")
    tw = None if weight is None else torch.tensor(weight)
    expected = torch.nn.functional.nll_loss(to_torch(torch, logp), torch.tensor(target), weight=tw, reduction=reduction)
    assert_close(F.nll_loss(logp, target, weight=weight, reduction=reduction).data, expected.numpy())


# --------------------------------------------------------------------------------------------------
# Binary cross-entropy
# --------------------------------------------------------------------------------------------------


@given(
    tensors((2, 3), min_value=0.05, max_value=0.95), arrays((2, 3), min_value=0, max_value=1), REDUCTIONS, st.booleans()
)
def test_binary_cross_entropy(p, t, reduction, weighted):
    weight = np.linspace(0.5, 1.5, 3) if weighted else None
    target = Tensor(t, requires_grad=True)
    loss = F.binary_cross_entropy(p, target, weight=weight, reduction=reduction)
    per = -(t * np.log(p.data) + (1 - t) * np.log(1 - p.data)) * (1 if weight is None else weight)
    assert_close(loss.data, reduced(per, reduction))

    def bce(a, b):
        return F.binary_cross_entropy(a, b, weight=weight, reduction=reduction)

    assert_gradients_match(bce, p, target)
    torch = pytest.importorskip("torch")
    tp, tt = to_torch(torch, p, True), to_torch(torch, t, True)
    tw = None if weight is None else torch.tensor(weight)
    expected = torch.nn.functional.binary_cross_entropy(tp, tt, weight=tw, reduction=reduction)
    assert_close(loss.data, expected.detach().numpy())
    loss.sum().backward()
    expected.sum().backward()
    assert_close(p.grad, tp.grad.numpy(), rtol=1e-9)
    assert_close(target.grad, tt.grad.numpy(), rtol=1e-9)


def test_binary_cross_entropy_at_zero_and_one_is_clamped_and_finite():
    p = Tensor(np.array([0.0, 1.0, 0.0, 1.0]), requires_grad=True)
    t = np.array([1.0, 0.0, 0.0, 1.0])
    loss = F.binary_cross_entropy(p, t, reduction="none")
    assert_close(loss.data, [100.0, 100.0, 0.0, 0.0])
    loss.sum().backward()
    assert np.isfinite(p.grad).all()
    torch = pytest.importorskip("torch")
    tp = to_torch(torch, p, True)
    torch.nn.functional.binary_cross_entropy(tp, torch.tensor(t), reduction="none").sum().backward()
    assert_close(p.grad, tp.grad.numpy())


def test_binary_cross_entropy_rejects_non_probabilities_and_shape_mismatch():
    with pytest.raises(ValueError, match="between 0 and 1"):
        F.binary_cross_entropy(Tensor(np.array([1.5])), np.array([1.0]))
    with pytest.raises(ValueError, match=r"\(3, 1\).*\(3,\)"):
        F.binary_cross_entropy(Tensor(np.full(3, 0.5)), np.ones((3, 1)))


@given(
    tensors((2, 3), min_value=-5, max_value=5),
    arrays((2, 3), min_value=0, max_value=1),
    REDUCTIONS,
    st.booleans(),
    st.booleans(),
)
def test_binary_cross_entropy_with_logits(x, t, reduction, weighted, pos_weighted):
    weight = np.linspace(0.5, 1.5, 3) if weighted else None
    pos_weight = np.array([0.5, 1.0, 3.0]) if pos_weighted else None
    target = Tensor(t, requires_grad=True)

    def loss(a, b):
        return F.binary_cross_entropy_with_logits(a, b, weight=weight, reduction=reduction, pos_weight=pos_weight)

    s = 1 / (1 + np.exp(-x.data))
    pw = 1 if pos_weight is None else pos_weight
    per = -(pw * t * np.log(s) + (1 - t) * np.log(1 - s)) * (1 if weight is None else weight)
    assert_close(loss(x, target).data, reduced(per, reduction), rtol=1e-9)
    assert_gradients_match(loss, x, target)
    torch = pytest.importorskip("torch")
    tx, tt = to_torch(torch, x, True), to_torch(torch, t, True)
    expected = torch.nn.functional.binary_cross_entropy_with_logits(
        tx,
        tt,
        weight=None if weight is None else torch.tensor(weight),
        reduction=reduction,
        pos_weight=None if pos_weight is None else torch.tensor(pos_weight),
    )
    out = loss(x, target)
    assert_close(out.data, expected.detach().numpy())
    out.sum().backward()
    expected.sum().backward()
    assert_close(x.grad, tx.grad.numpy())
    assert_close(target.grad, tt.grad.numpy())


def test_binary_cross_entropy_with_logits_is_stable_for_huge_logits():
    x = Tensor(np.array([-1000.0, 1000.0, 40.0, -40.0, 1000.0]), requires_grad=True)
    t = np.array([1.0, 0.0, 1.0, 0.0, 1.0])
    loss = F.binary_cross_entropy_with_logits(x, t, reduction="none")
    tiny = np.log1p(np.exp(-40.0))  # 4.2e-18
    assert_close(loss.data[:3], [1000.0, 1000.0, tiny], rtol=1e-15, atol=0)
    assert 0 <= loss.data[3] <= 1e-17 and loss.data[4] == 0  # x - log σ(x) at x = -40 rounds to 0
    loss.sum().backward()
    sigma_40 = 1 / (1 + np.exp(40.0))  # σ(-40): exact on both sides, no 1 - (1 - ε) cancellation
    assert_close(x.grad, [-1.0, 1.0, -sigma_40, sigma_40, 0.0], rtol=1e-15, atol=0)
    torch = pytest.importorskip("torch")
    tx = to_torch(torch, x, True)
    expected = torch.nn.functional.binary_cross_entropy_with_logits(tx, torch.tensor(t), reduction="none")
    assert_close(loss.data, expected.detach().numpy(), rtol=1e-15, atol=0)
    expected.sum().backward()
    assert_close(x.grad, tx.grad.numpy(), rtol=1e-15, atol=1e-17)  # torch rounds -σ(-40) at x = 40 to 0


# --------------------------------------------------------------------------------------------------
# mse_loss and l1_loss
# --------------------------------------------------------------------------------------------------


@given(tensors((2, 3)), tensors((2, 3)), REDUCTIONS)
def test_mse_loss(x, y, reduction):
    per = (x.data - y.data) ** 2
    assert_close(F.mse_loss(x, y, reduction).data, reduced(per, reduction))
    assert_gradients_match(lambda a, b: F.mse_loss(a, b, reduction), x, y)
    torch = pytest.importorskip("torch")
    expected = torch.nn.functional.mse_loss(to_torch(torch, x), to_torch(torch, y), reduction=reduction)
    assert_close(F.mse_loss(x, y, reduction).data, expected.numpy())


@given(tensors((2, 3)), tensors((2, 3), away_from=(0.0,)), REDUCTIONS)
def test_l1_loss(y, delta, reduction):
    x = Tensor(y.data + delta.data, requires_grad=True)  # x - y away from the kink at 0
    per = np.abs(delta.data)
    assert_close(F.l1_loss(x, y, reduction).data, reduced(per, reduction))
    assert_gradients_match(lambda a, b: F.l1_loss(a, b, reduction), x, y)
    torch = pytest.importorskip("torch")
    expected = torch.nn.functional.l1_loss(to_torch(torch, x), to_torch(torch, y), reduction=reduction)
    assert_close(F.l1_loss(x, y, reduction).data, expected.numpy())


def test_regression_losses_refuse_to_broadcast_the_target():
    with pytest.raises(ValueError, match=r"target has shape \(4, 1\) but input has shape \(4,\)"):
        F.mse_loss(minigrad.zeros(4), np.zeros((4, 1)))
    with pytest.raises(ValueError, match="reshape"):
        F.l1_loss(minigrad.zeros(4), np.zeros((4, 1)))


# --------------------------------------------------------------------------------------------------
# Each dedicated Function agrees with its readable composite twin (values and gradients)
# --------------------------------------------------------------------------------------------------


def values_and_grads(fn, *inputs):
    for x in inputs:
        x.grad = None
    out = fn(*inputs)
    (out * out).sum().backward()
    return [out.data] + [x.grad for x in inputs]


def assert_twins_agree(fast, composite, *inputs):
    for a, b in zip(values_and_grads(fast, *inputs), values_and_grads(composite, *inputs)):
        assert_close(a, b, rtol=1e-9)


@given(tensors((2, 3), min_value=-10, max_value=10))
def test_logsigmoid_twin(x):
    assert_twins_agree(F.logsigmoid, lambda t: -minigrad.log(1 + minigrad.exp(-t)), x)


@given(tensors((2, 3), min_value=0.05, max_value=0.95), tensors((2, 3), min_value=0, max_value=1))
def test_binary_cross_entropy_twin(p, t):
    def composite(p, t):
        return -(t * minigrad.log(p) + (1 - t) * minigrad.log(1 - p))

    assert_twins_agree(lambda p, t: F.binary_cross_entropy(p, t, reduction="none"), composite, p, t)


@given(tensors((4, 3)), index_arrays(4, (2, 3)))
def test_embedding_twin(weight, ids):
    assert_twins_agree(lambda w: F.embedding(ids, w), lambda w: minigrad.take(w, ids, 0), weight)


@given(tensors((2, 3), min_value=-5, max_value=5), tensors((2, 3), min_value=0, max_value=1), st.booleans())
def test_binary_cross_entropy_with_logits_twin(x, t, pos_weighted):
    pos_weight = np.array([0.5, 1.0, 3.0]) if pos_weighted else None

    def composite(x, t):
        log_weight = 1 if pos_weight is None else (Tensor(pos_weight) - 1) * t + 1
        return (1 - t) * x - log_weight * F.logsigmoid(x)

    def fast(x, t):
        return F.binary_cross_entropy_with_logits(x, t, reduction="none", pos_weight=pos_weight)

    assert_twins_agree(fast, composite, x, t)
