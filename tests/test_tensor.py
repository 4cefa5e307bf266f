"""The Tensor's surface: construction and dtypes, creation functions, repr, conversions, errors."""

from __future__ import annotations

import numpy as np
import pytest

import minigrad
from minigrad import Tensor


def test_python_floats_use_the_default_dtype():
    assert Tensor([1.0, 2.0]).dtype == np.float32
    assert minigrad.tensor(3.5).dtype == np.float32
    minigrad.set_default_dtype(np.float64)
    assert Tensor([1.0]).dtype == np.float64
    assert minigrad.zeros(2).dtype == np.float64


def test_numpy_arrays_keep_their_dtype_and_ints_stay_ints():
    assert Tensor(np.zeros(2, dtype=np.float64)).dtype == np.float64
    assert Tensor(np.zeros(2, dtype=np.float16)).dtype == np.float16
    assert Tensor([1, 2]).dtype == np.int64
    assert Tensor([True, False]).dtype == np.bool_
    assert Tensor([1.0], dtype=np.float64).dtype == np.float64


def test_python_scalars_never_upcast_a_tensor():
    x = Tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    for y in (x * 2.5, 2.5 * x, x + 1, x / 3.0, x**2, 1 - x, x.clip(0.0, 0.5)):
        assert y.dtype == np.float32


def test_tensor_copies_and_from_numpy_shares():
    a = np.zeros(3)
    assert not np.shares_memory(minigrad.tensor(a).data, a)
    assert np.shares_memory(minigrad.from_numpy(a).data, a)


def test_unsupported_data_is_refused():
    with pytest.raises(TypeError, match="ragged"):
        Tensor([[1.0, 2.0], [3.0]])
    with pytest.raises(TypeError, match="dtype"):
        Tensor(["a", "b"])


def test_set_default_dtype_refuses_integers():
    with pytest.raises(TypeError, match="floating"):
        minigrad.set_default_dtype(np.int32)


def test_creation_functions():
    assert minigrad.zeros(2, 3).shape == (2, 3)
    assert minigrad.ones((2, 3)).data.sum() == 6
    assert minigrad.full((2,), 7.0).data.tolist() == [7.0, 7.0]
    assert minigrad.eye(3).data.trace() == 3
    assert minigrad.arange(5).dtype == np.int64
    assert minigrad.arange(0, 1, 0.25).dtype == np.float32
    assert minigrad.zeros_like(Tensor(np.ones((2, 2)))).data.sum() == 0
    assert minigrad.ones_like(Tensor(np.ones((2, 2)))).dtype == np.float64
    assert minigrad.linspace(0, 1, 5).shape == (5,)
    x = minigrad.randn(2, 3, requires_grad=True)
    assert x.requires_grad and x.dtype == np.float32


def test_random_draws_are_reproducible_under_a_seed():
    minigrad.manual_seed(123)
    a = minigrad.randn(5).data.copy()
    minigrad.manual_seed(123)
    np.testing.assert_array_equal(minigrad.randn(5).data, a)
    g = minigrad.Generator().manual_seed(7)
    b = minigrad.rand(4, generator=g).data.copy()
    g.manual_seed(7)
    np.testing.assert_array_equal(minigrad.rand(4, generator=g).data, b)
    assert not np.array_equal(minigrad.randn(5).data, a)


def test_rng_state_round_trip():
    state = minigrad.get_rng_state()
    a = minigrad.randn(3).data.copy()
    minigrad.set_rng_state(state)
    np.testing.assert_array_equal(minigrad.randn(3).data, a)


def test_repr_like_pytorch():
    assert repr(Tensor([1.0, 2.5])) == "tensor([1.0000, 2.5000])"
    assert repr(Tensor([1.0, 2.0], requires_grad=True)) == "tensor([1., 2.], requires_grad=True)"
    assert repr(Tensor(np.array([1.0]))) == "tensor([1.], dtype=float64)"
    assert repr(Tensor([1, 2])) == "tensor([1, 2])"
    y = Tensor([0.5], requires_grad=True).tanh()
    assert repr(y).endswith("grad_fn=<TanhBackward>)")


def test_attributes():
    x = Tensor(np.zeros((2, 3, 4)))
    assert (x.shape, x.ndim, x.numel(), x.dim(), len(x)) == ((2, 3, 4), 3, 24, 3, 2)
    assert (x.size(), x.size(0), x.size(-1), x.size(dim=1)) == ((2, 3, 4), 2, 4, 3)
    assert x.T.shape == (4, 3, 2)
    assert x.is_leaf and x.grad_fn is None
    assert str(x.device) == "cpu" and x.device == minigrad.device("cpu") and not x.is_cuda


def test_size_is_a_method_as_in_pytorch():
    """``.size`` is PyTorch's method, not NumPy's element count: a leftover ``x.size > 1`` fails loudly."""
    x = Tensor(np.zeros((2, 3)))
    with pytest.raises(TypeError):
        x.size > 1  # noqa: B015 - the comparison itself is what must fail
    with pytest.raises(IndexError, match=r"Dimension out of range \(expected to be in range of \[-2, 1\], but got 2\)"):
        x.size(2)
    with pytest.raises(IndexError, match="no dimensions"):
        Tensor(1.0).size(0)


def test_item_numpy_tolist():
    assert Tensor([[2.5]]).item() == 2.5
    with pytest.raises(RuntimeError, match="a Tensor with 2 elements cannot be converted to Scalar"):
        Tensor([1.0, 2.0]).item()
    x = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"detach\(\).numpy\(\)"):
        x.numpy()
    assert x.detach().numpy().tolist() == [1.0, 2.0]
    assert x.tolist() == [1.0, 2.0]


def test_bool_of_a_tensor():
    assert bool(Tensor([1.0]))
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(Tensor([1.0, 2.0]))


def test_comparisons_give_bool_tensors_without_grad():
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    for mask in (x > 1.5, x >= 2.0, x < 2.0, x <= 1.0, x == 2.0, x != 2.0):
        assert mask.dtype == np.bool_ and not mask.requires_grad
    assert (x > 1.5).tolist() == [False, True, True]
    np.testing.assert_array_equal(x[x > 1.5].data, [2.0, 3.0])


def test_numpy_array_on_the_left_of_an_operator():
    x = Tensor(np.ones(2), requires_grad=True)
    y = np.array([2.0, 3.0]) * x
    assert isinstance(y, Tensor) and y.grad_fn is not None
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0, 3.0])


def test_indexing_with_tensors():
    x = Tensor(np.arange(6.0).reshape(3, 2), requires_grad=True)
    idx = Tensor([2, 0, 2])
    x[idx].sum().backward()
    np.testing.assert_array_equal(x.grad, [[1, 1], [0, 0], [2, 2]])  # row 2 picked twice
    with pytest.raises(IndexError, match="tensors used as indices must be long, int, byte or bool tensors"):
        x[Tensor([0.5])]


def test_cast_is_differentiable_between_float_dtypes():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = x.float()
    assert y.dtype == np.float32
    (y * 3).sum().backward()
    assert x.grad.dtype == np.float64
    np.testing.assert_array_equal(x.grad, [3.0, 3.0])
    assert x.long().dtype == np.int64 and not x.long().requires_grad


def test_iteration_and_unbind():
    x = Tensor(np.arange(6.0).reshape(3, 2), requires_grad=True)
    rows = list(x)
    assert len(rows) == 3 and rows[1].tolist() == [2.0, 3.0]
    (rows[0] * 2 + rows[2]).sum().backward()
    np.testing.assert_array_equal(x.grad, [[2, 2], [0, 0], [1, 1]])


def test_argmax_argmin_have_no_gradient():
    x = Tensor([[1.0, 5.0, 2.0]], requires_grad=True)
    assert x.argmax(axis=1).tolist() == [1]
    assert x.argmin(dim=1).tolist() == [0]
    assert not x.argmax().requires_grad


# ------------------------------------------------------------------------------------------------
# Errors that name both shapes (tests/test_bad_input.py holds every hostile input against PyTorch)
# ------------------------------------------------------------------------------------------------


def test_broadcast_mismatch_names_both_shapes():
    with pytest.raises(
        RuntimeError, match=r"size of tensor a \(3\) must match the size of tensor b \(4\).*\(2, 3\).*\(4,\)"
    ):
        Tensor(np.ones((2, 3))) + Tensor(np.ones(4))


def test_matmul_mismatch_names_both_shapes():
    with pytest.raises(RuntimeError, match=r"\(2x3 and 4x5\).*\(2, 3\) and \(4, 5\)"):
        Tensor(np.ones((2, 3))) @ Tensor(np.ones((4, 5)))


def test_reshape_error_names_shapes():
    with pytest.raises(RuntimeError, match=r"shape \(2, 3\) \(6 elements\) into shape \(4,\)"):
        Tensor(np.ones((2, 3))).reshape(4)


def test_max_along_a_dim_returns_values_and_indices_as_pytorch():
    x = Tensor(np.array([[1.0, 3.0, 3.0]]), requires_grad=True)
    values, indices = x.max(dim=1)
    assert values.tolist() == [3.0] and indices.tolist() == [1] and indices.dtype == np.int64
    assert type(x.max(1)) is minigrad.return_types.max and x.max(1).values is not None
    values.sum().backward()
    np.testing.assert_array_equal(x.grad, [[0.0, 1.0, 0.0]])  # to the index returned, the first maximum


def test_max_reduction_keeps_torch_amax_semantics():
    x = Tensor(np.array([[1.0, 3.0, 3.0]]), requires_grad=True)
    m = x.amax(dim=1)
    assert m.tolist() == [3.0] and x.max(axis=1).tolist() == [3.0]
    m.sum().backward()
    np.testing.assert_array_equal(x.grad, [[0.0, 0.5, 0.5]])  # ties share, as torch.amax


def test_var_defaults_to_pytorch_correction():
    x = Tensor(np.array([1.0, 2.0, 4.0]))
    assert np.isclose(x.var().item(), np.var(x.data, ddof=1))
    assert np.isclose(x.var(unbiased=False).item(), np.var(x.data))


def test_sigmoid_is_exact_and_quiet_at_extremes():
    x = Tensor(np.array([-1000.0, 0.0, 1000.0]), requires_grad=True)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        y = x.sigmoid()
        y.sum().backward()
    np.testing.assert_array_equal(y.data, [0.0, 0.5, 1.0])
    np.testing.assert_array_equal(x.grad, [0.0, 0.25, 0.0])


def test_softmax_and_logsumexp_are_stable():
    x = Tensor(np.array([[1000.0, 1000.0], [-1000.0, 0.0]]))
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        np.testing.assert_allclose(x.softmax(axis=1).data, [[0.5, 0.5], [0.0, 1.0]])
        np.testing.assert_allclose(x.logsumexp(axis=1).data, [1000.0 + np.log(2.0), 0.0])
        assert np.all(np.isfinite(x.log_softmax(axis=1).data))


def test_pytorch_parity_of_broadcast_matmul_gradients():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    a_np, b_np = rng.standard_normal((3, 1, 2, 4)), rng.standard_normal((5, 4, 2))
    a, b = Tensor(a_np, requires_grad=True), Tensor(b_np, requires_grad=True)
    ((a @ b).tanh() ** 2).sum().backward()
    ta, tb = torch.tensor(a_np, requires_grad=True), torch.tensor(b_np, requires_grad=True)
    ((ta @ tb).tanh() ** 2).sum().backward()
    np.testing.assert_allclose(a.grad, ta.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(b.grad, tb.grad.numpy(), rtol=1e-12)
