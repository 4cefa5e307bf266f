"""seq.RNN/GRU/LSTM/MinimalGRU: PyTorch's API and numbers, both paths, gradients proven, variable lengths (padding
that holds NaN or inf included), empty batches, errors."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minigrad
import seq
from minigrad import Tensor
from minigrad.testing import assert_gradients_match

IMPLS = ["cells", "fused"]
MODES = ["RNN", "GRU", "LSTM"]  # the layers torch.nn has
ALL_MODES = [*MODES, "MinimalGRU"]
STATES = {"RNN": 1, "GRU": 1, "LSTM": 2, "MinimalGRU": 1}  # initial state tensors: h_0, or (h_0, c_0)


@st.composite
def configs(draw, max_layers: int = 3, max_T: int = 6, max_side: int = 5):
    """A layer configuration and a batch: sizes, layers, directions, layout, lengths, initial state."""
    return {
        "T": draw(st.integers(1, max_T)),
        "B": draw(st.integers(1, 3)),
        "D": draw(st.integers(1, max_side)),
        "H": draw(st.integers(1, max_side)),
        "num_layers": draw(st.integers(1, max_layers)),
        "bidirectional": draw(st.booleans()),
        "batch_first": draw(st.booleans()),
        "bias": draw(st.booleans()),
        "use_lengths": draw(st.booleans()),
        "use_state": draw(st.booleans()),
        "seed": draw(st.integers(0, 2**16)),
    }


def build(mode, cfg, impl, **extra):
    minigrad.manual_seed(cfg["seed"])
    return getattr(seq, mode)(
        cfg["D"],
        cfg["H"],
        num_layers=cfg["num_layers"],
        bias=cfg["bias"],
        batch_first=cfg["batch_first"],
        bidirectional=cfg["bidirectional"],
        impl=impl,
        dtype=np.float64,
        **extra,
    )


def batch(mode, cfg):
    """Inputs as arrays: x in the layer's layout, lengths (B,) or None, initial states or None."""
    rng = np.random.default_rng(cfg["seed"])
    T, B, D, H = cfg["T"], cfg["B"], cfg["D"], cfg["H"]
    x = rng.standard_normal((B, T, D) if cfg["batch_first"] else (T, B, D))
    lengths = None
    if cfg["use_lengths"]:
        lengths = rng.integers(1, T + 1, size=B)
        lengths[rng.integers(B)] = T
    n = cfg["num_layers"] * (2 if cfg["bidirectional"] else 1)
    states = None
    if cfg["use_state"]:
        states = [rng.standard_normal((n, B, H)) for _ in range(STATES[mode])]
    return x, lengths, states


def as_hx(mode, states):
    """The layer's hx argument from a list of state tensors: h_0, or (h_0, c_0) for the LSTM."""
    if not states:
        return None
    return tuple(states) if mode == "LSTM" else states[0]


def as_finals(mode, h):
    """The layer's final state as a tuple: (h_n,) or (h_n, c_n)."""
    return h if mode == "LSTM" else (h,)


def run_ours(layer, mode, x_np, lengths, states_np):
    x = Tensor(x_np, requires_grad=True)
    states = None if states_np is None else [Tensor(s, requires_grad=True) for s in states_np]
    output, h = layer(x, as_hx(mode, states), lengths=lengths)
    return x, states, output, as_finals(mode, h)


def padding_of(cfg, lengths):
    """A boolean mask in the input's layout ((B, T) with batch_first, else (T, B)): True past each length."""
    T, B = cfg["T"], cfg["B"]
    if lengths is None:
        mask = np.zeros((T, B), bool)
    else:
        mask = np.arange(T)[:, None] >= np.asarray(lengths)[None, :]  # (T, B)
    return mask.T if cfg["batch_first"] else mask


def loss_of(output, finals, lib_sum):
    """A loss touching every output and final state, with distinct weights."""
    total = lib_sum(output * output)
    for k, f in enumerate(finals):
        total = total + lib_sum(f) * (k + 2.0)
    return total


# ------------------------------------------------------------------------------------------------
# PyTorch parity: outputs, final states and all gradients, on drawn configurations
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("mode", MODES)
def test_layers_match_pytorch(mode, impl):
    torch = pytest.importorskip("torch")
    from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

    @given(configs(), st.sampled_from([0.0, np.nan, np.inf]))
    def check(cfg, fill):
        ours = build(mode, cfg, impl)
        theirs = getattr(torch.nn, mode)(
            cfg["D"],
            cfg["H"],
            num_layers=cfg["num_layers"],
            bias=cfg["bias"],
            batch_first=cfg["batch_first"],
            bidirectional=cfg["bidirectional"],
            dtype=torch.float64,
        )
        theirs.load_state_dict({k: torch.tensor(v) for k, v in ours.state_dict().items()})
        x_np, lengths, states_np = batch(mode, cfg)
        padding = padding_of(cfg, lengths)  # (B, T) or (T, B): True past each length
        x_np[padding] = fill  # what the padding holds must not matter (torch's packed layers never read it)
        x, states, output, finals = run_ours(ours, mode, x_np, lengths, states_np)

        tx = torch.tensor(x_np, requires_grad=True)
        tstates = None if states_np is None else [torch.tensor(s, requires_grad=True) for s in states_np]
        thx = None if tstates is None else (tuple(tstates) if mode == "LSTM" else tstates[0])
        if lengths is None:
            tout, th = theirs(tx, thx)
        else:
            packed = pack_padded_sequence(
                tx, torch.tensor(lengths), batch_first=cfg["batch_first"], enforce_sorted=False
            )
            tout, th = theirs(packed, thx)
            tout, _ = pad_packed_sequence(tout, batch_first=cfg["batch_first"], total_length=cfg["T"])
        tfinals = th if mode == "LSTM" else (th,)

        np.testing.assert_allclose(output.data, tout.detach().numpy(), rtol=1e-10, atol=1e-12)
        for f, tf in zip(finals, tfinals):
            np.testing.assert_allclose(f.data, tf.detach().numpy(), rtol=1e-10, atol=1e-12)
        loss_of(output, finals, lambda t: t.sum()).backward()
        loss_of(tout, tfinals, lambda t: t.sum()).backward()
        np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=1e-10, atol=1e-12)
        assert np.all(x.grad[padding] == 0)
        for s, ts in zip(states or [], tstates or []):
            np.testing.assert_allclose(s.grad, ts.grad.numpy(), rtol=1e-10, atol=1e-12)
        torch_params = dict(theirs.named_parameters())
        for name, p in ours.named_parameters():
            np.testing.assert_allclose(p.grad, torch_params[name].grad.numpy(), rtol=1e-10, atol=1e-12, err_msg=name)

    check()


# ------------------------------------------------------------------------------------------------
# Gradients against finite differences (inputs, initial states, every parameter)
# ------------------------------------------------------------------------------------------------

VARIANTS = [
    ("RNN", {}),
    ("RNN", {"nonlinearity": "relu"}),
    ("GRU", {}),
    ("GRU", {"reset_after": False}),
    ("LSTM", {}),
    ("LSTM", {"forget_bias": 1.0}),
    ("MinimalGRU", {}),
]
# Central differences in float64 agree with these layers' gradients to ~1e-9. minigrad.gradcheck's fast mode checks a
# random projection vᵀ J u for each (input, output) pair on its own, so a wrong gradient of a small tensor cannot
# hide behind a large one's; at this tolerance a 1% error in any one tensor's gradient fails whenever its projection
# exceeds 1e-6 (the planted-error test below proves it on every draw). Full Jacobians would cost two forward passes
# per element of every weight; the projections cost two per tensor.
GRAD_TOL = {"atol": 1e-8, "rtol": 1e-5}


def check_layer_gradients(fn, inputs):
    assert_gradients_match(fn, *inputs, fast_mode=True, **GRAD_TOL)


def layer_function(layer, mode, lengths, n_states):
    """``f(x, *states) -> (output, *finals)``: the layer as a function of its input and initial states."""

    def f(x, *states):
        output, h = layer(x, as_hx(mode, list(states[:n_states])), lengths=lengths)
        return (output, *as_finals(mode, h))

    return f


def gradient_case(mode, cfg, impl, extra):
    """A small layer, its inputs as tensors, and the function of them; None for a draw at relu's kink."""
    if "forget_bias" in extra:
        cfg = {**cfg, "bias": True}  # forget_bias needs the biases it sets
    layer = build(mode, cfg, impl, **extra)
    x_np, lengths, states_np = batch(mode, cfg)
    x = Tensor(x_np, requires_grad=True)
    states = [Tensor(s, requires_grad=True) for s in states_np] if states_np is not None else []
    if extra.get("nonlinearity") == "relu":
        with minigrad.no_grad():  # relu's kink: skip draws whose pre-activations come near 0
            if _min_relu_preactivation(layer, x, states, lengths) < 1e-4:
                return None
    return layer, [x, *states, *layer.parameters()], layer_function(layer, mode, lengths, len(states))


# Small sizes (T <= 4, D, H <= 3, up to 2 layers) keep a check per tensor cheap; lengths, both directions, both
# layouts, with and without bias and initial state are all drawn.
small_configs = configs(max_layers=2, max_T=4, max_side=3)


@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize(("mode", "extra"), VARIANTS, ids=[f"{m}-{e}" for m, e in VARIANTS])
def test_layer_gradients_match_finite_differences(mode, extra, impl):
    @given(small_configs)
    def check(cfg):
        case = gradient_case(mode, cfg, impl, extra)
        if case is not None:
            _, inputs, f = case
            check_layer_gradients(f, inputs)

    check()


PLANTED = ["input", "h_0", "weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0", "weight_hh_l1_reverse"]


@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("mode", ALL_MODES)
def test_a_planted_one_percent_error_fails_the_layer_gradient_check(mode, impl):
    """A hook scales one tensor's gradient by 1.01: the check above must fail, on every drawn configuration."""

    @given(small_configs, st.sampled_from(PLANTED))
    def check(cfg, planted):
        cfg = {**cfg, "bias": True, "use_state": True}  # the planted tensor exists and gets a gradient
        if planted.endswith("l1_reverse"):
            cfg = {**cfg, "num_layers": 2, "bidirectional": True}
        layer, inputs, f = gradient_case(mode, cfg, impl, {})
        if planted == "input":
            target = inputs[0]
        elif planted == "h_0":
            target = inputs[1]
        else:
            target = getattr(layer, planted)
        target.register_hook(lambda g: g * 1.01)
        with pytest.raises(AssertionError, match="do not match finite differences"):
            check_layer_gradients(f, inputs)

    check()


def _min_relu_preactivation(layer, x, states, lengths):
    closest = [np.inf]

    class Watch(minigrad.Function):
        @staticmethod
        def forward(ctx, v):
            closest[0] = min(closest[0], float(np.min(np.abs(v)))) if v.size else closest[0]
            return v

    original = minigrad.Tensor.relu
    minigrad.Tensor.relu = lambda self: original(Watch.apply(self))
    try:
        impl = layer.impl
        layer.impl = "cells"
        layer(x, states[0] if states else None, lengths=lengths)
        layer.impl = impl
    finally:
        minigrad.Tensor.relu = original
    return closest[0]


# ------------------------------------------------------------------------------------------------
# The two paths agree
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("mode", "extra"), VARIANTS, ids=[f"{m}-{e}" for m, e in VARIANTS])
def test_fused_and_cells_paths_agree(mode, extra):
    @given(configs())
    def check(cfg):
        if "forget_bias" in extra:
            cfg = {**cfg, "bias": True}
        results = []
        for impl in IMPLS:
            layer = build(mode, cfg, impl, **extra)
            x_np, lengths, states_np = batch(mode, cfg)
            x, states, output, finals = run_ours(layer, mode, x_np, lengths, states_np)
            loss_of(output, finals, lambda t: t.sum()).backward()
            grads = [x.grad] + [s.grad for s in states or []] + [p.grad for p in layer.parameters()]
            results.append(([output.data] + [f.data for f in finals], grads))
        (values_c, grads_c), (values_f, grads_f) = results
        for a, b in zip(values_c, values_f):
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
        for a, b in zip(grads_c, grads_f):
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)

    check()


# ------------------------------------------------------------------------------------------------
# Shapes, layouts, variable lengths
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("impl", IMPLS)
def test_output_shapes_like_pytorch(impl):
    lstm = seq.LSTM(3, 5, num_layers=2, bidirectional=True, batch_first=True, impl=impl)
    out, (h, c) = lstm(minigrad.randn(4, 7, 3))
    assert out.shape == (4, 7, 10) and h.shape == (4, 4, 5) and c.shape == (4, 4, 5)
    gru = seq.GRU(3, 5, impl=impl)
    out, h = gru(minigrad.randn(7, 3))  # unbatched (T, D)
    assert out.shape == (7, 5) and h.shape == (1, 5)


@pytest.mark.parametrize("impl", IMPLS)
def test_padding_is_ignored_and_gets_no_gradient(impl):
    minigrad.manual_seed(0)
    layer = seq.LSTM(2, 3, bidirectional=True, impl=impl, dtype=np.float64)
    rng = np.random.default_rng(0)
    x_np = rng.standard_normal((6, 2, 2))
    lengths = np.array([6, 3])
    x = Tensor(x_np, requires_grad=True)
    out, (h, c) = layer(x, lengths=lengths)
    np.testing.assert_array_equal(out.data[3:, 1], 0.0)
    (out.sum() + h.sum() + c.sum()).backward()
    np.testing.assert_array_equal(x.grad[3:, 1], 0.0)
    # the short sequence alone gives the same result as inside the padded batch
    alone_out, (alone_h, _) = layer(Tensor(x_np[:3, 1:2]))
    np.testing.assert_allclose(out.data[:3, 1:2], alone_out.data, rtol=1e-12)
    np.testing.assert_allclose(h.data[:, 1:2], alone_h.data, rtol=1e-12)
    # changing the padding changes nothing
    x_np2 = x_np.copy()
    x_np2[3:, 1] = 100.0
    out2, _ = layer(Tensor(x_np2), lengths=lengths)
    np.testing.assert_array_equal(out2.data, out.data)


def run_padded(mode, cfg, impl, x_np, lengths, states_np, packed, poison_output_grad):
    """Outputs, final states and every gradient of one padded run (a fresh layer from cfg's seed each time).

    ``packed`` passes a PackedSequence instead of ``lengths=``; ``poison_output_grad`` makes the gradient that
    arrives at the padded outputs NaN (what a loss that divides by a padded zero sends back).
    """
    layer = build(mode, cfg, impl)
    x = Tensor(x_np, requires_grad=True)
    states = [Tensor(s, requires_grad=True) for s in states_np] if states_np is not None else []
    if packed:
        output, h = layer(seq.pack_padded_sequence(x, lengths, cfg["batch_first"], enforce_sorted=False))
        output = output.data  # (T, B, dirs * H), time-major
        out_padding = np.arange(cfg["T"])[:, None] >= lengths[None, :]  # (T, B)
    else:
        output, h = layer(x, as_hx(mode, states), lengths=lengths)
        out_padding = padding_of(cfg, lengths)
    if poison_output_grad:
        output = output.clone()  # (a hook on a fused kernel's own output would see all of its outputs' gradients)
        output.register_hook(lambda g: np.where(out_padding[..., None], np.nan, g))
    finals = as_finals(mode, h)
    loss_of(output, finals, lambda t: t.sum()).backward()
    grads = [x.grad] + [s.grad for s in states] + [p.grad for p in layer.parameters()]
    return output.data, [f.data for f in finals], grads, out_padding


@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("mode", ALL_MODES)
def test_nan_and_inf_in_the_padding_reach_no_output_state_or_gradient(mode, impl):
    """The padding holds NaN or inf (and the gradient arriving at padded outputs may be NaN): outputs past each
    length are exactly 0, and the outputs, final states and every gradient equal those of the run with zero padding,
    bit for bit; all finite. With ``lengths=`` and with a PackedSequence, both directions, several layers."""

    @given(configs(max_layers=2), st.sampled_from([np.nan, np.inf, -np.inf]), st.booleans(), st.booleans())
    def check(cfg, fill, packed, poison_output_grad):
        cfg = {**cfg, "use_lengths": True, "use_state": cfg["use_state"] and not packed}
        x_np, lengths, states_np = batch(mode, cfg)
        if cfg["T"] > 1:
            lengths[np.argmin(lengths)] = min(lengths.min(), cfg["T"] - 1)  # at least one sequence has padding
        padding = padding_of(cfg, lengths)
        clean = x_np.copy()
        clean[padding] = 0.0
        poisoned = x_np.copy()
        poisoned[padding] = fill
        args = (mode, cfg, impl)
        out_clean, finals_clean, grads_clean, out_padding = run_padded(*args, clean, lengths, states_np, packed, False)
        out, finals, grads, _ = run_padded(*args, poisoned, lengths, states_np, packed, poison_output_grad)
        assert np.all(out[out_padding] == 0)
        np.testing.assert_array_equal(out, out_clean)
        for got, expected in zip(finals, finals_clean):
            assert np.all(np.isfinite(got))
            np.testing.assert_array_equal(got, expected)
        for got, expected in zip(grads, grads_clean):
            assert np.all(np.isfinite(got))
            np.testing.assert_array_equal(got, expected)
        assert np.all(grads[0][padding] == 0)

    check()


@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("mode", ALL_MODES)
def test_an_empty_batch_gives_empty_outputs_and_zero_gradients(mode, impl):
    """B = 0: output (T, 0, dirs * H) and states (L * dirs, 0, H), as PyTorch; every parameter's gradient is 0."""
    minigrad.manual_seed(0)
    layer = getattr(seq, mode)(3, 4, num_layers=2, bidirectional=True, impl=impl, dtype=np.float64)
    for batch_first, shape in ((False, (5, 0, 3)), (True, (0, 5, 3))):
        layer.batch_first = batch_first
        x = Tensor(np.zeros(shape), requires_grad=True)
        states = [Tensor(np.zeros((4, 0, 4)), requires_grad=True) for _ in range(STATES[mode])]
        for hx, lengths in ((None, None), (as_hx(mode, states), np.zeros(0, np.int64))):
            layer.zero_grad()
            output, h = layer(x, hx, lengths=lengths)
            finals = as_finals(mode, h)
            assert output.shape == (shape[0], shape[1], 8)
            assert all(f.shape == (4, 0, 4) for f in finals)
            loss_of(output, finals, lambda t: t.sum()).backward()
            assert x.grad.shape == shape
            for name, p in layer.named_parameters():
                np.testing.assert_array_equal(p.grad, np.zeros(p.shape), err_msg=name)


@pytest.mark.parametrize("mode", MODES)
def test_an_empty_batch_has_pytorchs_shapes(mode):
    torch = pytest.importorskip("torch")
    theirs = getattr(torch.nn, mode)(3, 4, num_layers=2, bidirectional=True)
    output, h = theirs(torch.zeros(5, 0, 3))
    ours_output, ours_h = getattr(seq, mode)(3, 4, num_layers=2, bidirectional=True)(minigrad.zeros(5, 0, 3))
    assert ours_output.shape == tuple(output.shape)
    for ours_f, f in zip(as_finals(mode, ours_h), as_finals(mode, h)):
        assert ours_f.shape == tuple(f.shape)


@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("mode", ALL_MODES)
def test_no_time_steps_is_refused_as_pytorch_refuses_it(mode, impl):
    for shape, batch_first in (((0, 2, 3), False), ((2, 0, 3), True), ((0, 3), False)):
        layer = getattr(seq, mode)(3, 4, batch_first=batch_first, impl=impl)
        with pytest.raises(ValueError, match="Expected sequence length to be larger than 0"):
            layer(minigrad.zeros(*shape))


def test_no_time_steps_message_is_pytorchs():
    torch = pytest.importorskip("torch")
    with pytest.raises(RuntimeError, match="Expected sequence length to be larger than 0 in RNN"):
        torch.nn.LSTM(3, 4)(torch.zeros(0, 2, 3))
    with pytest.raises(ValueError, match="Expected sequence length to be larger than 0 in RNN"):
        seq.LSTM(3, 4)(minigrad.zeros(0, 2, 3))


def test_packed_sequence_round_trip():
    x = minigrad.randn(4, 3, 2)
    packed = seq.pack_padded_sequence(x, [4, 2, 1])
    assert packed.batch_sizes.tolist() == [3, 2, 1, 1]
    short = seq.pack_padded_sequence(minigrad.randn(6, 3, 2), [4, 2, 1])  # two steps of padding for everyone
    assert short.batch_sizes.tolist() == [3, 2, 1, 1]
    assert seq.pad_packed_sequence(short)[0].shape == (4, 3, 2)  # as PyTorch: up to the longest sequence
    out, h = seq.GRU(2, 3)(packed)
    assert isinstance(out, seq.PackedSequence)
    padded, lengths = seq.pad_packed_sequence(out, batch_first=True, padding_value=-1.0, total_length=5)
    assert padded.shape == (3, 5, 3) and lengths.tolist() == [4, 2, 1]
    assert np.all(padded.data[2, 1:] == -1.0)
    with pytest.raises(RuntimeError, match="enforce_sorted"):
        seq.pack_padded_sequence(x, [1, 2, 4])
    seq.pack_padded_sequence(x, [1, 2, 4], enforce_sorted=False)


def test_dropout_between_layers_only_in_training():
    minigrad.manual_seed(0)
    layer = seq.GRU(3, 4, num_layers=2, dropout=0.5)
    x = minigrad.randn(5, 2, 3)
    layer.eval()
    a, _ = layer(x)
    b, _ = layer(x)
    np.testing.assert_array_equal(a.data, b.data)
    layer.train()
    c, _ = layer(x)
    assert not np.allclose(a.data, c.data)
    with pytest.warns(UserWarning, match="non-zero dropout expects num_layers greater than 1"):
        single = seq.GRU(3, 4, num_layers=1, dropout=0.5)  # one layer: no dropout at all, as PyTorch (who warns)
    single.train()
    np.testing.assert_array_equal(single(x)[0].data, single(x)[0].data)


def test_state_dict_keys_are_pytorchs():
    layer = seq.LSTM(3, 4, num_layers=2, bidirectional=True)
    keys = list(layer.state_dict())
    assert keys[:4] == ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"]
    assert "weight_hh_l1_reverse" in keys and len(keys) == 16
    assert layer.weight_ih_l1.shape == (16, 8)


def test_state_dict_moves_both_ways_with_pytorch():
    torch = pytest.importorskip("torch")
    theirs = torch.nn.LSTM(3, 4, num_layers=2, bidirectional=True)
    ours = seq.LSTM(3, 4, num_layers=2, bidirectional=True)
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    back = torch.nn.LSTM(3, 4, num_layers=2, bidirectional=True)
    back.load_state_dict({k: torch.tensor(v) for k, v in ours.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((5, 2, 3)).astype(np.float32)
    np.testing.assert_allclose(ours(Tensor(x))[0].data, back(torch.tensor(x))[0].detach().numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("impl", IMPLS)
def test_float32_stays_float32(impl):
    layer = seq.LSTM(3, 4, impl=impl)
    x = minigrad.randn(5, 2, 3, requires_grad=True)
    out, (h, c) = layer(x)
    assert out.dtype == np.float32 and h.dtype == np.float32
    out.sum().backward()
    assert x.grad.dtype == np.float32 and layer.weight_hh_l0.grad.dtype == np.float32


@pytest.mark.slow
@pytest.mark.parametrize("impl", IMPLS)
def test_long_sequence_with_default_recursion_limit(impl):
    limit = sys.getrecursionlimit()
    minigrad.manual_seed(0)
    rnn = seq.RNN(2, 4, impl=impl, dtype=np.float64)
    x = minigrad.randn(10_000, 1, 2, dtype=np.float64, requires_grad=True)
    out, h = rnn(x)
    (out[-1] ** 2).sum().backward()
    assert sys.getrecursionlimit() == limit
    assert np.all(np.isfinite(x.grad)) and np.abs(x.grad[-1]).sum() > 0


# ------------------------------------------------------------------------------------------------
# MinimalGRU: the course's simplified GRU as a layer
# ------------------------------------------------------------------------------------------------


def minimal_gru_numpy(layer, x, lengths, h0):
    """seq.MinimalGRU in NumPy, from its equations: x (T, B, D) time-major; returns output (T, B, dirs * H), h_n."""
    T, B, _ = x.shape
    H, dirs = layer.hidden_size, layer.num_directions
    valid = np.ones((T, B), bool) if lengths is None else np.arange(T)[:, None] < lengths[None, :]  # (T, B)
    finals, layer_input = [], x
    for k in range(layer.num_layers):
        outputs = []
        for d, reverse in enumerate((False, True)[:dirs]):
            w_ih, w_hh, b_ih, b_hh = (None if w is None else w.data for w in layer.weights(k, reverse))
            a = np.zeros((B, H)) if h0 is None else h0[k * dirs + d]
            output = np.zeros((T, B, H))
            for t in range(T - 1, -1, -1) if reverse else range(T):
                pre = layer_input[t] @ w_ih.T + a @ w_hh.T + (0 if b_ih is None else b_ih + b_hh)  # (B, 2H)
                gamma_u = 1 / (1 + np.exp(-pre[:, :H]))  # Γu
                c_tilde = np.tanh(pre[:, H:])  # c̃<t>
                new = gamma_u * c_tilde + (1 - gamma_u) * a  # a<t>
                a = np.where(valid[t][:, None], new, a)
                output[t] = np.where(valid[t][:, None], new, 0.0)
            outputs.append(output)
            finals.append(a)
        layer_input = np.concatenate(outputs, axis=-1)  # (T, B, dirs * H)
    return layer_input, np.stack(finals)  # (L * dirs, B, H)


@pytest.mark.parametrize("impl", IMPLS)
def test_minimal_gru_matches_its_equations_in_numpy(impl):
    @given(configs())
    def check(cfg):
        layer = build("MinimalGRU", cfg, impl)
        x_np, lengths, states_np = batch("MinimalGRU", cfg)
        _, _, output, (h_n,) = run_ours(layer, "MinimalGRU", x_np, lengths, states_np)
        time_major = x_np.transpose(1, 0, 2) if cfg["batch_first"] else x_np  # (T, B, D)
        expected, expected_h = minimal_gru_numpy(
            layer, time_major, lengths, None if states_np is None else states_np[0]
        )
        got = output.data.transpose(1, 0, 2) if cfg["batch_first"] else output.data
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-13)
        np.testing.assert_allclose(h_n.data, expected_h, rtol=1e-12, atol=1e-13)

    check()


@pytest.mark.parametrize("impl", IMPLS)
def test_minimal_gru_steps_its_cell(impl):
    minigrad.manual_seed(0)
    layer = seq.MinimalGRU(3, 4, impl=impl, dtype=np.float64)
    cell = seq.MinimalGRUCell(3, 4, dtype=np.float64)
    cell.load_state_dict({k.removesuffix("_l0"): v for k, v in layer.state_dict().items()})
    x = minigrad.randn(5, 2, 3, dtype=np.float64)
    output, h_n = layer(x)
    a = None
    for t in range(5):
        a = cell(x[t], a)
        np.testing.assert_allclose(output.data[t], a.data, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(h_n.data[0], a.data, rtol=1e-12, atol=1e-14)


def test_minimal_gru_parameters_in_pytorchs_style():
    layer = seq.MinimalGRU(3, 4, num_layers=2, bidirectional=True)
    shapes = {k: v.shape for k, v in layer.state_dict().items()}
    assert list(shapes)[:4] == ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"]
    assert len(shapes) == 16 and shapes["weight_ih_l1_reverse"] == (8, 8)
    assert shapes["weight_ih_l0"] == (8, 3) and shapes["weight_hh_l0"] == (8, 4) and shapes["bias_hh_l1"] == (8,)
    assert repr(layer) == "MinimalGRU(3, 4, num_layers=2, bidirectional=True)"
    out, h_n = layer(seq.pack_padded_sequence(minigrad.randn(5, 2, 3), [5, 3]))
    assert isinstance(out, seq.PackedSequence) and h_n.shape == (4, 2, 4)


def test_pad_packed_sequence_matches_pytorchs():
    torch = pytest.importorskip("torch")
    from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

    x = np.random.default_rng(0).standard_normal((6, 3, 2))
    for batch_first, total_length in ((False, None), (True, None), (False, 7)):
        data = x.transpose(1, 0, 2) if batch_first else x
        lengths = [4, 1, 3]
        ours = seq.pad_packed_sequence(
            seq.pack_padded_sequence(Tensor(data), lengths, batch_first, enforce_sorted=False),
            batch_first,
            padding_value=-1.0,
            total_length=total_length,
        )
        theirs = pad_packed_sequence(
            pack_padded_sequence(torch.tensor(data), lengths, batch_first, enforce_sorted=False),
            batch_first,
            padding_value=-1.0,
            total_length=total_length,
        )
        np.testing.assert_array_equal(ours[0].data, theirs[0].numpy())
        np.testing.assert_array_equal(ours[1].data, theirs[1].numpy())


# ------------------------------------------------------------------------------------------------
# Errors as clear as PyTorch's
# ------------------------------------------------------------------------------------------------


def test_input_errors():
    lstm = seq.LSTM(10, 20, num_layers=2)
    with pytest.raises(ValueError, match=r"input.size\(-1\) must be equal to input_size. Expected 10, got 11"):
        lstm(minigrad.randn(5, 3, 11))
    with pytest.raises(ValueError, match="Expected input to be 2D or 3D, got 4D"):
        lstm(minigrad.randn(5, 3, 2, 10))
    with pytest.raises(ValueError, match=r"Expected hidden size \(2, 3, 20\), got \(1, 3, 20\)"):
        lstm(minigrad.randn(5, 3, 10), (minigrad.zeros(1, 3, 20), minigrad.zeros(2, 3, 20)))
    with pytest.raises(ValueError, match=r"Expected cell size \(2, 3, 20\), got \(2, 3, 5\)"):
        lstm(minigrad.randn(5, 3, 10), (minigrad.zeros(2, 3, 20), minigrad.zeros(2, 3, 5)))
    with pytest.raises(TypeError, match="dtype"):
        lstm(minigrad.randn(5, 3, 10, dtype=np.float64))


def test_lengths_errors_and_batch_first_hints():
    gru = seq.GRU(4, 3)
    x = minigrad.randn(6, 2, 4)  # (T=6, B=2)
    with pytest.raises(ValueError, match="between 1 and T=6"):
        gru(x, lengths=[7, 2])
    with pytest.raises(ValueError, match="Length of all samples has to be greater than 0"):
        gru(x, lengths=[0, 2])
    with pytest.raises(ValueError, match=r"Expected `len\(lengths\)` to be equal to batch_size.*batch_first"):
        gru(x, lengths=[1, 2, 3, 4, 5, 6])
    with pytest.raises(ValueError, match="Expected hidden size.*batch_first"):
        gru(x, minigrad.zeros(1, 6, 3))


# ------------------------------------------------------------------------------------------------
# Truncated BPTT tools and initialisations
# ------------------------------------------------------------------------------------------------


def test_batchify_and_bptt_windows():
    ids = np.arange(23)
    batched = seq.data.batchify(ids, 4)
    assert batched.shape == (5, 4)
    assert batched[:, 1].tolist() == [5, 6, 7, 8, 9]  # stream 1 is contiguous
    windows = list(seq.data.bptt_windows(batched, 3))
    assert [w[0].shape[0] for w in windows] == [3, 1]
    for inputs, targets in windows:
        np.testing.assert_array_equal(targets, inputs + 1)  # next token, in every stream
    with pytest.raises(ValueError, match="too short"):
        seq.data.batchify(np.arange(3), 4)


def test_detach_state_cuts_the_graph():
    lstm = seq.LSTM(2, 3)
    out, state = lstm(minigrad.randn(4, 1, 2))
    h, c = seq.detach_state(state)
    assert h.grad_fn is None and c.grad_fn is None and not h.requires_grad
    np.testing.assert_array_equal(h.data, state[0].data)
    with pytest.raises(TypeError):
        seq.detach_state("not a state")


def test_truncated_bptt_loop_learns_a_stream():
    """The README's loop: carry the state across windows, detach between them; loss falls."""
    from minigrad import nn, optim

    minigrad.manual_seed(0)
    stream = np.tile(np.array([0, 1, 2, 3, 2, 1]), 60)  # a periodic 4-symbol stream
    batched = seq.data.batchify(stream, 4)
    emb, rnn, head = nn.Embedding(4, 8), seq.GRU(8, 16), nn.Linear(16, 4)
    params = list(emb.parameters()) + list(rnn.parameters()) + list(head.parameters())
    opt = optim.Adam(params, lr=0.02)
    losses = []
    for _epoch in range(5):
        state = None
        for inputs, targets in seq.data.bptt_windows(batched, 10):
            out, state = rnn(emb(Tensor(inputs)), state)
            logits = head(out)  # (T, B, 4)
            loss = nn.functional.cross_entropy(logits.reshape(-1, 4), Tensor(targets.reshape(-1)))
            opt.zero_grad()
            loss.backward()
            opt.step()
            state = seq.detach_state(state)
            losses.append(loss.item())
    assert losses[-1] < 0.2 * losses[0], (losses[0], losses[-1])


def test_identity_init_for_relu_rnn():
    rnn = seq.init.identity_(seq.RNN(3, 4, nonlinearity="relu", num_layers=2))
    np.testing.assert_array_equal(rnn.weight_hh_l1.data, np.eye(4))
    np.testing.assert_array_equal(rnn.bias_ih_l0.data, 0)
    with pytest.raises(ValueError, match="plain RNNs"):
        seq.init.identity_(seq.LSTM(3, 4))


def test_orthogonal_recurrent_blocks():
    lstm = seq.init.orthogonal_recurrent_(seq.LSTM(3, 5, dtype=np.float64))
    w = lstm.weight_hh_l0.data
    for g in range(4):
        block = w[g * 5 : (g + 1) * 5]
        np.testing.assert_allclose(block @ block.T, np.eye(5), atol=1e-10)


def assert_forget_gates_open(lstm, value):
    """Every layer and direction: b_if = value, b_hf = 0, and the other gates' biases left as drawn."""
    H = lstm.hidden_size
    bound = 1 / np.sqrt(H)
    for layer in range(lstm.num_layers):
        for reverse in (False, True)[: lstm.num_directions]:
            _, _, b_ih, b_hh = lstm.weights(layer, reverse)
            where = f"layer {layer}{' reverse' if reverse else ''}"
            np.testing.assert_array_equal(b_ih.data[H : 2 * H], value, err_msg=where)
            np.testing.assert_array_equal(b_hh.data[H : 2 * H], 0.0, err_msg=where)
            others = np.concatenate([b.data[k * H : (k + 1) * H] for b in (b_ih, b_hh) for k in (0, 2, 3)])
            assert np.all(np.abs(others) <= bound) and np.unique(others).size > 1, where


@pytest.mark.parametrize("impl", IMPLS)
def test_forget_bias_opens_every_layer_and_direction(impl):
    lstm = seq.LSTM(3, 5, num_layers=3, bidirectional=True, forget_bias=2.5, impl=impl)
    assert_forget_gates_open(lstm, 2.5)
    lstm.reset_parameters()  # and again after a reset
    assert_forget_gates_open(lstm, 2.5)
    assert_forget_gates_open(seq.init.forget_bias_(seq.LSTM(3, 5, num_layers=2, bidirectional=True), 2.0), 2.0)


def test_the_forget_bias_check_fails_when_only_layer_0_is_set(monkeypatch):
    """A planted bug (forget_bias set on layer 0's forward direction only) fails the check above."""

    def layer_0_only(self):
        seq.layers._RNNBase.reset_parameters(self)
        seq.cells.set_forget_bias(self.bias_ih_l0, self.bias_hh_l0, self.forget_bias)

    monkeypatch.setattr(seq.LSTM, "reset_parameters", layer_0_only)
    for layers, bidirectional in ((2, False), (1, True)):
        with pytest.raises(AssertionError, match="layer 1|reverse"):
            assert_forget_gates_open(
                seq.LSTM(3, 5, num_layers=layers, bidirectional=bidirectional, forget_bias=2.5), 2.5
            )


def test_forget_bias_needs_the_biases():
    with pytest.raises(ValueError, match="bias=False"):
        seq.LSTM(3, 5, bias=False, forget_bias=1.0)
    with pytest.raises(ValueError, match="bias=False"):
        seq.LSTMCell(3, 5, bias=False, forget_bias=1.0)
