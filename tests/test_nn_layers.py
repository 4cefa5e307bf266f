"""minigrad.nn layers: forward against NumPy, gradients against finite differences (float64), default
initialisation, reproducibility under a seed, and parity with torch.nn where PyTorch is installed."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minigrad
from minigrad import Tensor, nn
from minigrad.testing import assert_gradients_match, index_arrays, tensors


def assert_close(actual, expected, rtol=1e-10, atol=1e-10):
    np.testing.assert_allclose(np.asarray(actual), np.asarray(expected), rtol=rtol, atol=atol)


def load_into_torch(torch, mine, theirs):
    """Copy minigrad weights into a float64 torch module (the reverse direction of the module tests)."""
    theirs.double()
    theirs.load_state_dict({k: torch.tensor(v) for k, v in mine.state_dict().items()})
    return theirs


# --------------------------------------------------------------------------------------------------
# Linear
# --------------------------------------------------------------------------------------------------


@given(st.integers(1, 4), st.integers(1, 4), st.booleans(), st.data())
def test_linear_forward_gradients_and_torch(n_in, n_out, bias, data):
    layer = nn.Linear(n_in, n_out, bias=bias, dtype=np.float64)
    x = data.draw(tensors((2, n_in)))
    expected = x.data @ layer.weight.data.T + (layer.bias.data if bias else 0)
    assert_close(layer(x).data, expected)
    params = [layer.weight] + ([layer.bias] if bias else [])
    assert_gradients_match(lambda x, *_: layer(x), x, *params)
    torch = pytest.importorskip("torch")
    theirs = load_into_torch(torch, layer, torch.nn.Linear(n_in, n_out, bias=bias))
    assert_close(layer(x).data, theirs(torch.tensor(x.data)).detach().numpy())


def test_linear_default_init_is_pytorchs_distribution():
    fan_in = 400
    layer = nn.Linear(fan_in, 300)
    bound = 1 / np.sqrt(fan_in)  # kaiming_uniform_(a=√5): gain √(1/3) · √(3 / fan_in)
    w, b = layer.weight.data, layer.bias.data
    assert w.dtype == np.float32 and w.shape == (300, 400) and b.shape == (300,)
    assert np.abs(w).max() <= bound and np.abs(b).max() <= bound
    assert abs(w.std() - bound / np.sqrt(3)) < 0.01 * bound  # U(-a, a) has std a/√3; 120,000 draws
    assert abs(w.mean()) < 0.01 * bound
    torch = pytest.importorskip("torch")
    theirs = torch.nn.Linear(fan_in, 300).weight.detach().numpy()
    assert abs(theirs.std() - w.std()) < 0.02 * bound
    assert abs(np.abs(theirs).max() - np.abs(w).max()) < 1e-3 * bound  # both fill [-bound, bound]


def test_linear_accepts_batched_inputs():
    layer = nn.Linear(3, 2)
    assert layer(minigrad.randn(4, 5, 3)).shape == (4, 5, 2)
    assert layer.bias is not None and nn.Linear(3, 2, bias=False).bias is None


def test_same_seed_gives_bit_identical_weights():
    def build():
        return nn.Sequential(nn.Linear(3, 4), nn.Embedding(5, 2), nn.Linear(4, 1))

    minigrad.manual_seed(123)
    a = build().state_dict()
    minigrad.manual_seed(123)
    b = build().state_dict()
    for key in a:
        np.testing.assert_array_equal(a[key], b[key])
    minigrad.manual_seed(124)
    c = build().state_dict()
    assert not np.array_equal(a["0.weight"], c["0.weight"])
    g1, g2 = minigrad.Generator(5), minigrad.Generator(5)
    w1, w2 = nn.Linear(3, 3, generator=g1).weight.data, nn.Linear(3, 3, generator=g2).weight.data
    np.testing.assert_array_equal(w1, w2)


# --------------------------------------------------------------------------------------------------
# Embedding
# --------------------------------------------------------------------------------------------------


@given(index_arrays(6, (2, 3)), st.one_of(st.none(), st.integers(0, 5)))
def test_embedding_lookup_gradients_and_padding(ids, padding_idx):
    layer = nn.Embedding(6, 3, padding_idx=padding_idx, dtype=np.float64)
    if padding_idx is not None:
        assert not layer.weight.data[padding_idx].any()  # initialised to zeros
    assert_close(layer(ids).data, layer.weight.data[ids])
    if padding_idx is None:  # (with padding the forward reads a row whose gradient is zero by design)
        assert_gradients_match(lambda w: layer(ids), layer.weight)
    layer(ids).sum().backward()
    counts = np.bincount(ids.ravel(), minlength=6).astype(float)
    if padding_idx is not None:
        counts[padding_idx] = 0  # the padding row gets no gradient
    assert_close(layer.weight.grad, np.repeat(counts[:, None], 3, axis=1))


def test_embedding_padding_row_is_read_but_frozen_like_pytorch():
    torch = pytest.importorskip("torch")
    layer = nn.Embedding(4, 2, padding_idx=1, dtype=np.float64)
    layer.weight.data[1] = [3.0, -2.0]  # a changed padding row is still what the lookup returns
    theirs = load_into_torch(torch, layer, torch.nn.Embedding(4, 2, padding_idx=1))
    ids = np.array([[1, 0, 1], [2, 3, 1]])
    out, expected = layer(ids), theirs(torch.tensor(ids))
    assert_close(out.data, expected.detach().numpy())
    (out * out).sum().backward()
    (expected * expected).sum().backward()
    assert_close(layer.weight.grad, theirs.weight.grad.numpy())
    assert not layer.weight.grad[1].any()


def test_embedding_default_init_is_standard_normal():
    w = nn.Embedding(500, 200).weight.data
    assert w.dtype == np.float32
    assert abs(w.mean()) < 0.01 and abs(w.std() - 1) < 0.01  # 100,000 draws: standard errors ~0.003


def test_embedding_negative_padding_index():
    layer = nn.Embedding(5, 2, padding_idx=-1)
    assert layer.padding_idx == 4 and repr(layer) == "Embedding(5, 2, padding_idx=4)"


# --------------------------------------------------------------------------------------------------
# Dropout
# --------------------------------------------------------------------------------------------------


def test_dropout_module_train_vs_eval():
    layer = nn.Dropout(0.5)
    x = minigrad.ones(50, 40)
    out = layer(x).data
    assert set(np.unique(out)) == {0.0, 2.0}
    layer.eval()
    assert layer(x) is x
    with pytest.raises(ValueError, match="between 0 and 1"):
        nn.Dropout(-0.1)


def test_dropout_module_is_reproducible():
    x = minigrad.ones(8, 8)
    minigrad.manual_seed(3)
    a = nn.Dropout(0.4)(x).data
    minigrad.manual_seed(3)
    b = nn.Dropout(0.4)(x).data
    np.testing.assert_array_equal(a, b)
    c = nn.Dropout(0.4, generator=minigrad.Generator(9))(x).data
    d = nn.Dropout(0.4, generator=minigrad.Generator(9))(x).data
    np.testing.assert_array_equal(c, d)


@given(tensors((3, 4)))
def test_dropout_gradient_with_a_fixed_mask(x):
    def fn(t):
        return nn.Dropout(0.3, generator=minigrad.Generator(1))(t)

    assert_gradients_match(fn, x)
    fn(x).sum().backward()
    mask = fn(Tensor(np.ones((3, 4)))).data
    assert_close(x.grad, mask)  # d out/dx is the scaled mask


# --------------------------------------------------------------------------------------------------
# LayerNorm
# --------------------------------------------------------------------------------------------------


@given(tensors((2, 3, 4)), st.sampled_from([4, (3, 4)]), st.booleans(), st.booleans(), st.data())
def test_layer_norm_module(x, shape, affine, bias, data):
    layer = nn.LayerNorm(shape, elementwise_affine=affine, bias=bias, dtype=np.float64)
    params = [p for p in (layer.weight, layer.bias) if p is not None]
    with minigrad.no_grad():
        for p in params:
            p.copy_(data.draw(tensors(p.shape, min_value=0.5)).data)
    axes = (-1,) if shape == 4 else (-2, -1)
    normed = (x.data - x.data.mean(axes, keepdims=True)) / np.sqrt(x.data.var(axes, keepdims=True) + 1e-5)
    w = layer.weight.data if layer.weight is not None else 1
    b = layer.bias.data if layer.bias is not None else 0
    assert_close(layer(x).data, normed * w + b)
    assert_gradients_match(lambda x, *_: layer(x), x, *params)
    torch = pytest.importorskip("torch")
    theirs = load_into_torch(torch, layer, torch.nn.LayerNorm(shape, elementwise_affine=affine, bias=bias))
    assert_close(layer(x).data, theirs(torch.tensor(x.data)).detach().numpy())


def test_layer_norm_default_parameters():
    layer = nn.LayerNorm((2, 3))
    assert (layer.weight.data == 1).all() and (layer.bias.data == 0).all()
    assert [name for name, _ in layer.named_parameters()] == ["weight", "bias"]
    assert list(nn.LayerNorm(3, elementwise_affine=False).parameters()) == []


# --------------------------------------------------------------------------------------------------
# Activations, Identity, Flatten
# --------------------------------------------------------------------------------------------------

ACTIVATIONS = [
    (nn.Tanh(), np.tanh),
    (nn.Sigmoid(), lambda a: 1 / (1 + np.exp(-a))),
    (nn.ReLU(), lambda a: np.maximum(a, 0)),
    (nn.Softmax(dim=1), lambda a: np.exp(a) / np.exp(a).sum(1, keepdims=True)),
    (nn.LogSoftmax(dim=1), lambda a: a - np.log(np.exp(a).sum(1, keepdims=True))),
    (nn.Identity(), lambda a: a),
]


@pytest.mark.parametrize(("layer", "reference"), ACTIVATIONS, ids=lambda v: type(v).__name__)
@given(x=tensors((2, 3), away_from=(0.0,)))
def test_activation_modules(layer, reference, x):
    assert_close(layer(x).data, reference(x.data))
    if not isinstance(layer, nn.Identity):
        assert_gradients_match(layer, x)


@given(tensors((2, 3, 2, 2)))
def test_flatten(x):
    assert nn.Flatten()(x).shape == (2, 12)
    assert nn.Flatten(0, 1)(x).shape == (6, 2, 2)
    assert_close(nn.Flatten()(x).data, x.data.reshape(2, 12))
    assert_gradients_match(nn.Flatten(), x)


def test_inplace_is_refused():
    with pytest.raises(NotImplementedError, match="in-place"):
        nn.ReLU(inplace=True)
    with pytest.raises(NotImplementedError, match="in-place"):
        nn.Dropout(inplace=True)


def test_layer_reprs_match_pytorch():
    torch = pytest.importorskip("torch")
    pairs = [
        (nn.Flatten(), torch.nn.Flatten()),
        (nn.Identity(), torch.nn.Identity()),
        (nn.Softmax(dim=-1), torch.nn.Softmax(dim=-1)),
        (nn.LayerNorm(3, elementwise_affine=False), torch.nn.LayerNorm(3, elementwise_affine=False)),
        (nn.Dropout(), torch.nn.Dropout()),
        (nn.CrossEntropyLoss(), torch.nn.CrossEntropyLoss()),
        (nn.BCEWithLogitsLoss(), torch.nn.BCEWithLogitsLoss()),
    ]
    for mine, theirs in pairs:
        assert repr(mine) == repr(theirs)


# --------------------------------------------------------------------------------------------------
# Loss modules
# --------------------------------------------------------------------------------------------------


@given(
    tensors((3, 4)),
    index_arrays(4, (3,)),
    tensors((3, 4), min_value=0.1, max_value=0.9),
    tensors((3, 4), min_value=0, max_value=1, requires_grad=False),
)
def test_loss_modules_call_their_functions(logits, classes, probs, targets):
    w = np.array([1.0, 2.0, 0.5, 1.0])
    F = nn.functional
    cases = [
        (
            nn.CrossEntropyLoss(weight=w, label_smoothing=0.1)(logits, classes),
            F.cross_entropy(logits, classes, weight=w, label_smoothing=0.1),
        ),
        (nn.NLLLoss(reduction="sum")(logits, classes), F.nll_loss(logits, classes, reduction="sum")),
        (nn.BCELoss()(probs, targets), F.binary_cross_entropy(probs, targets)),
        (
            nn.BCEWithLogitsLoss(pos_weight=w)(logits, targets),
            F.binary_cross_entropy_with_logits(logits, targets, pos_weight=w),
        ),
        (nn.MSELoss(reduction="none")(logits, targets), F.mse_loss(logits, targets, reduction="none")),
        (nn.L1Loss()(logits, targets), F.l1_loss(logits, targets)),
    ]
    for module_value, function_value in cases:
        assert_close(module_value.data, function_value.data, rtol=0, atol=0)
    with pytest.raises(ValueError, match="reduction"):
        nn.MSELoss(reduction="average")
