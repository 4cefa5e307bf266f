"""minigrad.nn.init: the formulas (bounds and standard deviations), in-place behaviour, determinism under a
seed or a Generator, and agreement with torch.nn.init where PyTorch is installed."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minigrad
from minigrad import nn
from minigrad.nn import init


def empty(*shape, dtype=np.float32):
    return nn.Parameter(np.zeros(shape, dtype=dtype))


@pytest.mark.parametrize(
    ("nonlinearity", "param"),
    [
        ("linear", None),
        ("conv2d", None),
        ("sigmoid", None),
        ("tanh", None),
        ("relu", None),
        ("leaky_relu", None),
        ("leaky_relu", 0.2),
        ("leaky_relu", math.sqrt(5)),
        ("selu", None),
    ],
)
def test_calculate_gain_matches_pytorch(nonlinearity, param):
    expected = {"linear": 1.0, "conv2d": 1.0, "sigmoid": 1.0, "tanh": 5 / 3, "relu": math.sqrt(2)}
    expected["selu"] = 0.75
    slope = 0.01 if param is None else param
    expected["leaky_relu"] = math.sqrt(2 / (1 + slope**2))
    assert init.calculate_gain(nonlinearity, param) == pytest.approx(expected[nonlinearity], rel=1e-15)
    torch = pytest.importorskip("torch")
    assert init.calculate_gain(nonlinearity, param) == pytest.approx(
        torch.nn.init.calculate_gain(nonlinearity, param), rel=1e-15
    )


def test_calculate_gain_rejects_unknown():
    with pytest.raises(ValueError, match="Unsupported nonlinearity"):
        init.calculate_gain("swish")


def test_initialisers_work_in_place_on_parameters_and_keep_dtype():
    p = empty(3, 4)
    same = init.normal_(p)
    assert same is p and p.dtype == np.float32 and p.requires_grad and p.is_leaf and p.data.std() > 0
    assert init.zeros_(p) is p and not p.data.any()
    assert init.ones_(p) is p and (p.data == 1).all()
    init.constant_(p, 0.25)
    assert (p.data == 0.25).all()
    init.eye_(p)
    np.testing.assert_array_equal(p.data, np.eye(3, 4))
    init.uniform_(p, -2.0, -1.0)
    assert ((p.data >= -2) & (p.data < -1)).all()


# Large tensors so the sample moments are sharp: the standard error of a std estimate over n draws is
# about std / √(2n); n = 80,000 gives 0.25 %, and the tolerance is 2 %.
FAN_SHAPES = [(200, 400), (400, 200), (50, 20, 4, 4)]


def fans(shape):
    receptive = int(np.prod(shape[2:]))
    return shape[1] * receptive, shape[0] * receptive


@pytest.mark.parametrize("shape", FAN_SHAPES)
def test_xavier_formulas(shape):
    fan_in, fan_out = fans(shape)
    std = 0.5 * math.sqrt(2 / (fan_in + fan_out))
    w = init.xavier_uniform_(empty(*shape, dtype=np.float64), gain=0.5).data
    assert np.abs(w).max() <= math.sqrt(3) * std
    assert w.std() == pytest.approx(std, rel=0.02)
    w = init.xavier_normal_(empty(*shape, dtype=np.float64), gain=0.5).data
    assert w.std() == pytest.approx(std, rel=0.02) and abs(w.mean()) < 0.05 * std


@pytest.mark.parametrize("shape", FAN_SHAPES)
@pytest.mark.parametrize(
    ("a", "mode", "nonlinearity"),
    [(0, "fan_in", "relu"), (0.1, "fan_out", "leaky_relu"), (math.sqrt(5), "fan_in", "leaky_relu")],
)
def test_kaiming_formulas_and_torch(shape, a, mode, nonlinearity):
    fan = fans(shape)[0 if mode == "fan_in" else 1]
    std = init.calculate_gain(nonlinearity, a) / math.sqrt(fan)
    w = init.kaiming_uniform_(empty(*shape, dtype=np.float64), a=a, mode=mode, nonlinearity=nonlinearity).data
    assert np.abs(w).max() <= math.sqrt(3) * std
    assert w.std() == pytest.approx(std, rel=0.02)
    w = init.kaiming_normal_(empty(*shape, dtype=np.float64), a=a, mode=mode, nonlinearity=nonlinearity).data
    assert w.std() == pytest.approx(std, rel=0.02)
    torch = pytest.importorskip("torch")
    theirs = torch.nn.init.kaiming_normal_(torch.empty(shape), a=a, mode=mode, nonlinearity=nonlinearity)
    assert float(theirs.std()) == pytest.approx(std, rel=0.02)


def test_fan_errors():
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init.xavier_uniform_(empty(3))
    with pytest.raises(ValueError, match="fan_in, fan_out"):
        init.kaiming_uniform_(empty(3, 3), mode="fan_avg")
    with pytest.raises(ValueError, match="2 dimensions"):
        init.eye_(empty(2, 2, 2))


@given(st.integers(1, 6), st.integers(1, 6), st.sampled_from([1.0, 0.5, 2.0]))
def test_orthogonal_is_semi_orthogonal(rows, cols, gain):
    q = init.orthogonal_(empty(rows, cols, dtype=np.float64), gain=gain).data
    if rows >= cols:
        np.testing.assert_allclose(q.T @ q, gain**2 * np.eye(cols), atol=1e-12)  # orthonormal columns
    else:
        np.testing.assert_allclose(q @ q.T, gain**2 * np.eye(rows), atol=1e-12)  # orthonormal rows


def test_orthogonal_of_a_higher_rank_tensor_flattens_trailing_axes():
    q = init.orthogonal_(empty(3, 2, 2, dtype=np.float64)).data.reshape(3, 4)  # (3, 2, 2) -> (3, 4)
    np.testing.assert_allclose(q @ q.T, np.eye(3), atol=1e-12)


INITIALISERS = [
    lambda t, g: init.uniform_(t, generator=g),
    lambda t, g: init.normal_(t, generator=g),
    lambda t, g: init.xavier_uniform_(t, generator=g),
    lambda t, g: init.xavier_normal_(t, generator=g),
    lambda t, g: init.kaiming_uniform_(t, generator=g),
    lambda t, g: init.kaiming_normal_(t, generator=g),
    lambda t, g: init.orthogonal_(t, generator=g),
]


@pytest.mark.parametrize("fill", INITIALISERS)
def test_initialisers_are_deterministic(fill):
    a, b = fill(empty(4, 5), minigrad.Generator(1)), fill(empty(4, 5), minigrad.Generator(1))
    np.testing.assert_array_equal(a.data, b.data)
    minigrad.manual_seed(42)
    c = fill(empty(4, 5), None).data
    minigrad.manual_seed(42)
    np.testing.assert_array_equal(fill(empty(4, 5), None).data, c)
    assert not np.array_equal(fill(empty(4, 5), None).data, c)  # the global stream moved on
