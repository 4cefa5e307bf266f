"""The Tensor's surface: construction and dtypes, creation functions, repr, conversions, errors."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import torch_or_skip

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


# ------------------------------------------------------------------------------------------------
# Ordering: ties and NaN pinned to PyTorch
# ------------------------------------------------------------------------------------------------


def _tie_heavy_rows(seed: int, count: int = 300):
    """Rows of few distinct values (many ties), some with NaN, of lengths 1-40."""
    rng = np.random.default_rng(seed)
    for k in range(count):
        a = rng.integers(0, 4, size=(int(rng.integers(1, 4)), int(rng.integers(1, 41)))).astype(np.float64)
        if k % 4 == 0:
            a[rng.random(a.shape) < 0.2] = np.nan
        yield a


def test_sort_is_stable_both_ways_with_nan_at_the_large_end():
    for a in _tie_heavy_rows(0, 100):
        x = minigrad.tensor(a)
        np.testing.assert_array_equal(x.sort(1).indices.data, np.argsort(a, axis=1, kind="stable"))
        descending = x.sort(1, descending=True).indices.data
        keys = np.where(np.isnan(a), np.inf, a)  # NaN first when descending, ties in their original order
        expected = np.array([sorted(range(len(row)), key=lambda i, row=row: -row[i]) for row in keys])
        np.testing.assert_array_equal(descending, expected)
        np.testing.assert_array_equal(x.argsort(1, descending=True).data, descending)


def test_sort_topk_median_and_max_indices_agree_with_pytorch_on_ties():
    """PyTorch's ``sort(stable=True)``, ``max``/``min`` (the first extreme) and, measured on its CPU
    implementation, ``median(dim)`` (the element at place (n-1)//2 of the stable order): the same indices.
    Its ``topk`` may pick any of tied values: the values agree."""
    torch = pytest.importorskip("torch")
    for a in _tie_heavy_rows(1):
        x, t = minigrad.tensor(a), torch.tensor(a)
        for ours, theirs in (
            (x.sort(1), t.sort(dim=1, stable=True)),
            (x.sort(1, descending=True), t.sort(dim=1, descending=True, stable=True)),
            (x.median(1), t.median(1)),
            (x.max(1), t.max(1)),
            (x.min(1), t.min(1)),
        ):
            np.testing.assert_array_equal(ours.values.data, theirs.values.numpy())
            np.testing.assert_array_equal(ours.indices.data, theirs.indices.numpy())
        k = a.shape[1] // 2
        for largest in (True, False):
            np.testing.assert_array_equal(x.topk(k, 1, largest).values.data, t.topk(k, 1, largest).values.numpy())


def test_topk_takes_the_first_of_tied_values():
    x = minigrad.tensor([2.0, 1.0, 2.0, 2.0], requires_grad=True)
    values, indices = x.topk(2)
    assert values.tolist() == [2.0, 2.0] and indices.tolist() == [0, 2]
    (values * minigrad.tensor([1.0, 2.0])).sum().backward()
    assert x.grad.tolist() == [1.0, 0.0, 2.0, 0.0]  # each value's gradient goes to the index it came from


def test_median_of_everything_shares_the_gradient_among_ties_as_pytorch():
    x = minigrad.tensor([2.0, 3.0, 3.0, 1.0, 2.0], requires_grad=True)
    m = x.median()
    m.backward()
    assert m.item() == 2.0 and x.grad.tolist() == [0.5, 0.0, 0.0, 0.0, 0.5]
    assert minigrad.tensor([4.0, 1.0, 3.0, 2.0]).median().item() == 2.0  # the lower of the two middle values
    assert np.isnan(minigrad.tensor([1.0, float("nan"), 0.0]).median().item())


# ------------------------------------------------------------------------------------------------
# PyTorch's conversions, devices and factories (tests/test_pytorch_idioms.py compares them with PyTorch)
# ------------------------------------------------------------------------------------------------


def test_dtype_names_are_numpy_dtypes_usable_everywhere():
    assert minigrad.long is np.dtype(np.int64) and minigrad.float is np.dtype(np.float32)
    assert minigrad.double == np.float64 and minigrad.int == np.int32 and minigrad.bool == np.bool_
    assert minigrad.zeros(2, dtype=minigrad.long).dtype is minigrad.long
    for make in (minigrad.ones, minigrad.empty, minigrad.zeros):
        assert make(2, dtype=minigrad.float64).dtype == np.float64
    assert minigrad.full((2,), 1.5, dtype=minigrad.long).tolist() == [1, 1]
    assert minigrad.arange(3, dtype=minigrad.float).dtype == np.float32
    assert minigrad.tensor([1.5]).to(minigrad.double).astype(minigrad.long).dtype == np.int64
    assert minigrad.zeros(2, dtype=float).dtype == np.float64 and minigrad.zeros(2, dtype=int).dtype == np.int64
    with pytest.raises(TypeError, match="floating, integer or bool"):
        minigrad.zeros(2, dtype=np.complex128)
    with pytest.raises(TypeError, match="floating"):
        minigrad.randn(2, dtype=minigrad.long)


def test_to_returns_self_when_nothing_changes_and_converts_otherwise():
    x = minigrad.tensor([1.0, 2.0], requires_grad=True)
    assert x.to("cpu") is x and x.cpu() is x and x.to(minigrad.device("cpu")) is x and x.to(x) is x
    y = x.to("cpu", minigrad.float64)
    assert y.dtype == np.float64 and y.grad_fn is not None
    assert x.to(dtype=minigrad.float64, copy=True).dtype == np.float64
    z = x.to(copy=True)
    assert z is not x and np.array_equal(z.data, x.data) and not np.shares_memory(z.data, x.data)
    with pytest.raises(RuntimeError, match="there is no 'cuda:1' device"):
        x.to(minigrad.device("cuda", 1))
    with pytest.raises(TypeError, match="unexpected keyword argument 'devise'"):
        x.to(devise="cpu")


def test_new_factories_keep_the_dtype_and_not_the_gradient():
    w = minigrad.zeros(2, dtype=minigrad.float64, requires_grad=True)
    for t in (w.new_zeros(2, 3), w.new_ones((2, 3)), w.new_empty(2, 3), w.new_full((2, 3), 7)):
        assert t.shape == (2, 3) and t.dtype == np.float64 and not t.requires_grad
    assert w.new_tensor([1, 2]).dtype == np.float64 and w.new_zeros(1, dtype=minigrad.long).dtype == np.int64
    assert w.new_full((2,), 7).tolist() == [7.0, 7.0]


def test_t_contiguous_and_mT():
    x = minigrad.arange(6.0).view(2, 3)
    assert x.t().shape == (3, 2) and not x.t().is_contiguous()
    c = x.t().contiguous()
    assert c.is_contiguous() and c.tolist() == [[0.0, 3.0], [1.0, 4.0], [2.0, 5.0]]
    assert x.contiguous() is x
    assert minigrad.ones(4, 2, 3).mT.shape == (4, 3, 2)
    with pytest.raises(RuntimeError, match="t\\(\\) expects a tensor with <= 2 dimensions"):
        minigrad.ones(2, 2, 2).t()


def test_masked_fill_in_place_and_out_of_place():
    x = minigrad.zeros(2, 3)
    mask = minigrad.tensor([True, False, True])
    assert x.masked_fill(mask, -1.0).tolist() == [[-1.0, 0.0, -1.0]] * 2 and x.tolist() == [[0.0] * 3] * 2
    version = x._version
    assert x.masked_fill_(mask, 5.0) is x and x.tolist() == [[5.0, 0.0, 5.0]] * 2 and x._version == version + 1
    ints = minigrad.tensor([1, 2]).masked_fill(minigrad.tensor([True, False]), 2.7)
    assert ints.dtype == np.int64 and ints.tolist() == [2, 2]  # the tensor keeps its dtype


def test_multinomial_draws_with_the_given_probabilities():
    generator = minigrad.Generator().manual_seed(3)
    weights = minigrad.tensor([1.0, 2.0, 7.0])  # need not sum to 1
    draws = minigrad.multinomial(weights, 20_000, replacement=True, generator=generator)
    assert draws.shape == (20_000,) and draws.dtype == np.int64
    frequencies = np.bincount(draws.data, minlength=3) / 20_000
    np.testing.assert_allclose(frequencies, [0.1, 0.2, 0.7], atol=4 * np.sqrt(0.25 / 20_000))
    # without replacement: the first draw is weighted, the second among the rest (probability p_j / (1 - p_i))
    rows = weights.expand(20_000, 3).multinomial(2, generator=generator).data
    assert (rows[:, 0] != rows[:, 1]).all()
    p = np.array([0.1, 0.2, 0.7])
    second = [sum(p[i] * p[j] / (1 - p[i]) for i in range(3) if i != j) for j in range(3)]
    np.testing.assert_allclose(np.bincount(rows[:, 0], minlength=3) / 20_000, p, atol=0.015)
    np.testing.assert_allclose(np.bincount(rows[:, 1], minlength=3) / 20_000, second, atol=0.015)


def test_multinomial_is_seeded_by_the_global_generator():
    probs = minigrad.tensor([[0.2, 0.3, 0.5], [0.5, 0.5, 0.0]])
    minigrad.manual_seed(11)
    first = minigrad.multinomial(probs, 2).tolist()
    minigrad.manual_seed(11)
    assert probs.multinomial(2).tolist() == first
    assert minigrad.multinomial(minigrad.tensor([0.0, 3.0, 0.0]), 2).tolist()[0] == 1  # a zero weight comes last


def test_format_contains_and_integer_division():
    loss = minigrad.tensor(0.123456)
    assert f"{loss:.3f}" == "0.123" and f"{minigrad.tensor([1.0])}" == "tensor([1.])"
    assert 3 in minigrad.tensor([1, 3]) and 4 not in minigrad.tensor([1, 3])
    i = minigrad.tensor([7, -7])
    assert (i // 2).tolist() == [3, -4] and (i % 3).tolist() == [1, 2] and (i // 2).dtype == np.int64
    x = minigrad.tensor([7.5], requires_grad=True)
    with pytest.raises(RuntimeError, match="derivative for floor_divide is not implemented"):
        (x // 2).sum().backward()


def test_matmul_of_two_dtypes_is_refused_as_in_pytorch():
    """Unlike the elementwise ops, PyTorch's matmul refuses two dtypes (float64 data into float32 weights)."""
    x = minigrad.ones(2, 3, dtype=minigrad.float64, requires_grad=True)
    w = minigrad.ones(3, 2, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"same dtype, but got float64 and float32 .*x.to\(weight.dtype\)"):
        x @ w
    with pytest.raises(RuntimeError, match="same dtype"):
        minigrad.ones(2, 3, dtype=minigrad.long) @ minigrad.ones(3, 2)
    y = x.to(w.dtype) @ w
    assert y.dtype == np.float32
    with pytest.raises(TypeError, match=r"matmul\(\): argument 'other' \(position 2\) must be Tensor, not float"):
        minigrad.matmul(x, 2.0)


def test_matmul_of_two_dtypes_is_refused_by_pytorch_too():
    torch = torch_or_skip()
    with pytest.raises(RuntimeError):
        torch.ones(2, 3, dtype=torch.float64) @ torch.ones(3, 2)
