"""seq.RNN/GRU/LSTM: PyTorch's API and numbers, both paths, gradients proven, variable lengths, errors."""

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
MODES = ["RNN", "GRU", "LSTM"]


@st.composite
def configs(draw, max_layers: int = 3):
    """A layer configuration and a batch: sizes, layers, directions, layout, lengths, initial state."""
    return {
        "T": draw(st.integers(1, 6)),
        "B": draw(st.integers(1, 3)),
        "D": draw(st.integers(1, 5)),
        "H": draw(st.integers(1, 5)),
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
        states = [rng.standard_normal((n, B, H)) for _ in range(2 if mode == "LSTM" else 1)]
    return x, lengths, states


def run_ours(layer, mode, x_np, lengths, states_np):
    x = Tensor(x_np, requires_grad=True)
    states = None if states_np is None else [Tensor(s, requires_grad=True) for s in states_np]
    hx = None if states is None else (tuple(states) if mode == "LSTM" else states[0])
    output, h = layer(x, hx, lengths=lengths)
    finals = h if mode == "LSTM" else (h,)
    return x, states, output, finals


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

    @given(configs())
    def check(cfg):
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
]


@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize(("mode", "extra"), VARIANTS, ids=[f"{m}-{e}" for m, e in VARIANTS])
def test_layer_gradients_match_finite_differences(mode, extra, impl):
    @given(configs(max_layers=3))
    def check(cfg):
        layer = build(mode, cfg, impl, **extra)
        x_np, lengths, states_np = batch(mode, cfg)
        x = Tensor(x_np, requires_grad=True)
        states = [Tensor(s, requires_grad=True) for s in states_np] if states_np is not None else []
        params = list(layer.parameters())

        def f(x, *rest):
            hx = None
            if states:
                hx = tuple(rest[: len(states)]) if mode == "LSTM" else rest[0]
            output, h = layer(x, hx, lengths=lengths)
            return (output, *h) if mode == "LSTM" else (output, h)

        if extra.get("nonlinearity") == "relu":
            with minigrad.no_grad():  # relu's kink: skip draws whose pre-activations come near 0
                if _min_relu_preactivation(layer, x, states, lengths) < 1e-4:
                    return
        assert_gradients_match(f, x, *states, *params, fast_mode=True)

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


def test_packed_sequence_round_trip():
    x = minigrad.randn(4, 3, 2)
    packed = seq.pack_padded_sequence(x, [4, 2, 1])
    assert packed.batch_sizes.tolist() == [3, 2, 1, 1]
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
    single = seq.GRU(3, 4, num_layers=1, dropout=0.5)  # one layer: no dropout at all, as PyTorch
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
    with pytest.raises(ValueError, match="between 1 and T=6"):
        gru(x, lengths=[0, 2])
    with pytest.raises(ValueError, match="lengths has 6 entries but the batch has 2 sequences.*batch_first"):
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


def test_forget_bias_init():
    lstm = seq.init.forget_bias_(seq.LSTM(3, 5, bidirectional=True), 2.0)
    for suffix in ("", "_reverse"):
        total = getattr(lstm, f"bias_ih_l0{suffix}").data + getattr(lstm, f"bias_hh_l0{suffix}").data
        np.testing.assert_allclose(total[5:10], 2.0)
    assert np.allclose(seq.LSTM(3, 5, forget_bias=3.0).bias_ih_l0.data[5:10], 3.0)
