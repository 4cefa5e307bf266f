"""seq.export: a seq layer or model and its PyTorch twin compute the same outputs and gradients (float64, 1e-10).

Every test that needs torch skips cleanly without it (``pytest.importorskip``); the message that says how
to install it is tested without torch.
"""

from __future__ import annotations

import sys

import numpy as np
import pytest

import minigrad
import seq
from seq import export

TOL = {"rtol": 1e-10, "atol": 1e-10}


@pytest.fixture
def torch():
    return pytest.importorskip("torch", reason="PyTorch is an optional oracle: pip install 'minigrad[torch]'")


def close(actual, expected):
    np.testing.assert_allclose(np.asarray(actual), np.asarray(expected), **TOL)


def flat(state):
    """The tensors of a layer's final state: h_n, or (h_n, c_n)."""
    return list(state) if isinstance(state, tuple) else [state]


def projections(shapes, seed=1):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s) for s in shapes]


# ------------------------------------------------------------------------------------------------
# Layers and cells
# ------------------------------------------------------------------------------------------------

LAYERS = [
    ("RNN", {}),
    ("RNN", {"nonlinearity": "relu", "num_layers": 2}),
    ("RNN", {"bidirectional": True, "batch_first": True}),
    ("GRU", {}),
    ("GRU", {"num_layers": 2, "bidirectional": True}),
    ("LSTM", {}),
    ("LSTM", {"num_layers": 2, "bidirectional": True, "batch_first": True}),
    ("LSTM", {"bias": False}),
]


def run_both(seq_layer, torch_layer, torch, cell=False):
    """Run both on one batch; a loss that weights every output; return outputs and gradients of both."""
    rng = np.random.default_rng(0)
    D = seq_layer.input_size
    shape = (3, D) if cell else ((2, 5, D) if getattr(seq_layer, "batch_first", False) else (5, 2, D))
    x = rng.standard_normal(shape)
    xs = minigrad.tensor(x, requires_grad=True)
    xt = torch.tensor(x, requires_grad=True)
    out_s, out_t = seq_layer(xs), torch_layer(xt)
    if not cell:
        out_s, out_t = [out_s[0], *flat(out_s[1])], [out_t[0], *flat(out_t[1])]
    else:
        out_s, out_t = flat(out_s), flat(out_t)
    weights = projections([tuple(o.shape) for o in out_s])
    loss_s = sum((o * minigrad.tensor(w)).sum() for o, w in zip(out_s, weights))
    loss_t = sum((o * torch.tensor(w)).sum() for o, w in zip(out_t, weights))
    loss_s.backward()
    loss_t.backward()
    for a, b in zip(out_s, out_t):
        close(a.data, b.detach().numpy())
    close(xs.grad, xt.grad.numpy())
    grads_t = {k: p.grad.numpy() for k, p in torch_layer.named_parameters()}
    grads_s = {k: p.grad for k, p in seq_layer.named_parameters()}
    assert grads_s.keys() == grads_t.keys()
    for key in grads_s:
        close(grads_s[key], grads_t[key])


@pytest.mark.parametrize(("kind", "options"), LAYERS, ids=[f"{k}-{o}" for k, o in LAYERS])
def test_a_seq_layer_and_its_torch_export_agree(torch, kind, options):
    minigrad.manual_seed(0)
    layer = getattr(seq, kind)(4, 3, dtype=np.float64, **options)
    exported = export.to_torch(layer)
    assert type(exported) is getattr(torch.nn, kind)
    assert exported.weight_ih_l0.dtype == torch.float64
    run_both(layer, exported, torch)


@pytest.mark.parametrize(("kind", "options"), LAYERS, ids=[f"{k}-{o}" for k, o in LAYERS])
def test_a_torch_layer_and_its_seq_import_agree(torch, kind, options):
    torch.manual_seed(0)
    module = getattr(torch.nn, kind)(4, 3, dtype=torch.float64, **options)
    imported = export.from_torch(module)
    assert type(imported) is getattr(seq, kind)
    assert imported.weight_ih_l0.dtype == np.float64
    run_both(imported, module, torch)


def test_the_cells_path_imports_too(torch):
    torch.manual_seed(0)
    module = torch.nn.GRU(4, 3, dtype=torch.float64)
    imported = export.from_torch(module, impl="cells")
    assert imported.impl == "cells"
    run_both(imported, module, torch)


@pytest.mark.parametrize("kind", ["RNNCell", "GRUCell", "LSTMCell"])
def test_cells_convert_both_ways(torch, kind):
    minigrad.manual_seed(0)
    cell = getattr(seq, kind)(4, 3, dtype=np.float64)
    run_both(cell, export.to_torch(cell), torch, cell=True)
    module = getattr(torch.nn, kind)(4, 3, dtype=torch.float64)
    run_both(export.from_torch(module), module, torch, cell=True)


def test_float32_stays_float32_and_weights_are_copies(torch):
    layer = seq.LSTM(2, 3)
    exported = export.to_torch(layer)
    assert exported.weight_hh_l0.dtype == torch.float32
    with torch.no_grad():
        exported.weight_hh_l0.zero_()
    assert np.abs(layer.weight_hh_l0.data).sum() > 0  # changing one side leaves the other alone


def test_mode_and_frozen_parameters_carry_over(torch):
    model = seq.LanguageModel(7, 4, 4, cell="gru", dropout=0.3).double()
    model.eval()
    model.embedding.weight.requires_grad_(False)
    exported = export.to_torch(model)
    assert not exported.training and not exported.embedding.weight.requires_grad
    assert exported.decoder.weight.requires_grad
    back = export.from_torch(exported.train())
    assert back.training and not back.embedding.weight.requires_grad


def test_conversion_leaves_the_random_streams_alone(torch):
    model = seq.LanguageModel(5, 3, 3)
    minigrad.manual_seed(3)
    torch.manual_seed(3)
    expected_m, expected_t = minigrad.randn(2).data, torch.randn(2)
    minigrad.manual_seed(3)
    torch.manual_seed(3)
    export.from_torch(export.to_torch(model))
    close(minigrad.randn(2).data, expected_m)
    assert torch.equal(torch.randn(2), expected_t)


# ------------------------------------------------------------------------------------------------
# Models
# ------------------------------------------------------------------------------------------------

MODELS = [
    ("LanguageModel", {"cell": "lstm"}, False),
    ("LanguageModel", {"cell": "gru", "num_layers": 2, "tie_weights": True}, False),
    ("LanguageModel", {"cell": "rnn"}, False),
    ("SequenceClassifier", {"num_classes": 3, "cell": "lstm", "bidirectional": True, "padding_idx": 0}, True),
    ("SequenceClassifier", {"num_classes": 3, "cell": "gru", "num_layers": 2}, True),
    ("SequenceClassifier", {"num_classes": 2, "cell": "rnn"}, False),
    ("SequenceTagger", {"num_tags": 4, "cell": "gru", "bidirectional": True}, True),
    ("SequenceTagger", {"num_tags": 4, "cell": "lstm", "num_layers": 2, "padding_idx": 0}, True),
]


def model_args(name, options):
    args = {"vocab_size": 9, "embed_dim": 5, "hidden_size": 5 if options.get("tie_weights") else 4}
    return {**args, **options}


def run_models(seq_model, torch_model, name, with_lengths, torch):
    """Same ids (and lengths) into both models; compare logits and every parameter's gradient."""
    rng = np.random.default_rng(0)
    T, B = 6, 3
    ids = rng.integers(1, 9, size=(T, B))
    lengths = np.array([6, 2, 4]) if with_lengths else None
    if lengths is not None:
        ids[np.arange(T)[:, None] >= lengths[None, :]] = 0  # padding
    if name == "LanguageModel":
        out_s, state_s = seq_model(ids)
        out_t, state_t = torch_model(torch.as_tensor(ids))
        for a, b in zip(flat(state_s), flat(state_t)):
            close(a.data, b.detach().numpy())
    else:
        out_s, out_t = seq_model(ids, lengths=lengths), torch_model(torch.as_tensor(ids), lengths=lengths)
    close(out_s.data, out_t.detach().numpy())
    (w,) = projections([out_s.shape])
    (out_s * minigrad.tensor(w)).sum().backward()
    (out_t * torch.tensor(w)).sum().backward()
    grads_t = {k: p.grad.numpy() for k, p in torch_model.named_parameters()}
    grads_s = {k: p.grad for k, p in seq_model.named_parameters()}
    assert grads_s.keys() == grads_t.keys()
    for key in grads_s:
        close(grads_s[key], grads_t[key])


@pytest.mark.parametrize(("name", "options", "with_lengths"), MODELS, ids=[f"{n}-{o}" for n, o, _ in MODELS])
def test_a_seq_model_and_its_torch_export_agree(torch, name, options, with_lengths):
    minigrad.manual_seed(0)
    model = getattr(seq, name)(**model_args(name, options)).double()
    exported = export.to_torch(model)
    assert type(exported).__name__ == "Torch" + name
    assert isinstance(exported, getattr(export, "Torch" + name))
    assert list(exported.state_dict()) == list(model.state_dict())  # the same keys, in the same order
    if options.get("tie_weights"):
        assert exported.decoder.weight is exported.embedding.weight
    run_models(model, exported, name, with_lengths, torch)


@pytest.mark.parametrize(("name", "options", "with_lengths"), MODELS, ids=[f"{n}-{o}" for n, o, _ in MODELS])
def test_a_torch_model_and_its_seq_import_agree(torch, name, options, with_lengths):
    torch.manual_seed(0)
    module = getattr(export, "Torch" + name)(**model_args(name, options)).double()
    imported = export.from_torch(module)
    assert type(imported) is getattr(seq, name)
    assert imported.embedding.weight.dtype == np.float64
    if options.get("tie_weights"):
        assert imported.decoder.weight is imported.embedding.weight
    if options.get("padding_idx") is not None:
        assert imported.embedding.padding_idx == 0
    run_models(imported, module, name, with_lengths, torch)


def test_a_round_trip_keeps_every_weight(torch):
    model = seq.SequenceTagger(6, 3, 4, num_tags=2, cell="lstm", bidirectional=True).double()
    back = export.from_torch(export.to_torch(model))
    for (key, a), (key_b, b) in zip(model.state_dict().items(), back.state_dict().items()):
        assert key == key_b
        np.testing.assert_array_equal(a, b)


# ------------------------------------------------------------------------------------------------
# Refusals
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "module",
    [seq.GRU(3, 4, reset_after=False), seq.GRUCell(3, 4, reset_after=False)],
    ids=["GRU", "GRUCell"],
)
def test_a_reset_before_gru_is_refused_with_the_reason(torch, module):
    with pytest.raises(ValueError, match=r"reset_after=False.*applies it after.*reset_after=True"):
        export.to_torch(module)


def test_a_model_holding_a_reset_before_gru_is_refused(torch):
    model = seq.SequenceClassifier(5, 3, 4, num_classes=2, cell="gru")
    model.rnn = seq.GRU(3, 4, reset_after=False)
    with pytest.raises(ValueError, match="reset_after=False"):
        export.to_torch(model)


def test_the_minimal_gru_is_refused_with_the_reason(torch):
    with pytest.raises(ValueError, match=r"no reset gate.*torch has no such cell"):
        export.to_torch(seq.MinimalGRUCell(3, 4))
    with pytest.raises(ValueError, match=r"MinimalGRU cannot be exported.*torch has no such layer.*seq.GRU"):
        export.to_torch(seq.MinimalGRU(3, 4, num_layers=2))


# ------------------------------------------------------------------------------------------------
# dtypes: float16 converts and stays float16; bfloat16 is refused with the lossless way out
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["LSTM", "GRUCell"])
def test_float16_converts_both_ways_and_stays_float16(torch, kind):
    torch.manual_seed(0)
    module = getattr(torch.nn, kind)(3, 4).half()
    imported = export.from_torch(module)
    assert all(p.dtype == np.float16 for p in imported.parameters())
    for key, value in module.state_dict().items():
        np.testing.assert_array_equal(imported.state_dict()[key], value.numpy())  # bit for bit
    back = export.to_torch(imported)
    assert all(p.dtype == torch.float16 for p in back.parameters())
    for key, value in module.state_dict().items():
        assert torch.equal(back.state_dict()[key], value)
    # the same function: outputs agree with torch's half-precision kernels to float16's precision
    x = np.random.default_rng(0).standard_normal((5, 2, 3) if kind == "LSTM" else (2, 3)).astype(np.float16)
    ours, theirs = imported(minigrad.tensor(x)), module(torch.tensor(x))
    first = (lambda out: out[0]) if kind == "LSTM" else (lambda out: out)
    np.testing.assert_allclose(first(ours).data, first(theirs).detach().numpy(), atol=2e-3)


@pytest.mark.parametrize("kind", ["LSTM", "GRUCell"])
def test_bfloat16_is_refused_with_the_lossless_way_out(torch, kind):
    torch.manual_seed(0)
    module = getattr(torch.nn, kind)(3, 4)
    with pytest.raises(ValueError, match=r"bfloat16.*from_torch\(module.float\(\)\)"):
        export.from_torch(module.to(torch.bfloat16))
    as_float = export.from_torch(module.to(torch.bfloat16).float())  # the way out: exact
    for key, value in module.to(torch.bfloat16).float().state_dict().items():
        np.testing.assert_array_equal(as_float.state_dict()[key], value.numpy())


def test_weights_seq_cannot_hold_are_refused(torch):
    mixed = torch.nn.LSTM(3, 4)
    mixed.bias_hh_l0.data = mixed.bias_hh_l0.data.double()
    with pytest.raises(ValueError, match="several dtypes"):
        export.from_torch(mixed)
    with pytest.raises(ValueError, match="meta device"):
        export.from_torch(torch.nn.GRU(3, 4, device="meta"))
    complex_rnn = torch.nn.RNN(3, 4)
    for p in complex_rnn.parameters():
        p.data = p.data.to(torch.complex64)
    with pytest.raises(TypeError, match="complex64"):
        export.from_torch(complex_rnn)
    ours = seq.LSTM(3, 4)
    ours.bias_hh_l0 = minigrad.nn.Parameter(np.zeros(16))  # float64 among float32 weights
    with pytest.raises(ValueError, match="several dtypes"):
        export.to_torch(ours)


def test_other_modules_are_refused(torch):
    with pytest.raises(TypeError, match="Seq2Seq"):
        export.to_torch(seq.Seq2Seq(5, 5, 3, 4))
    with pytest.raises(TypeError, match="Linear"):
        export.from_torch(torch.nn.Linear(2, 3))
    with pytest.raises(TypeError, match="got object"):
        export.from_torch(object())
    with pytest.raises(ValueError, match="proj_size=2"):
        export.from_torch(torch.nn.LSTM(3, 4, proj_size=2))
    with pytest.raises(AttributeError, match="TorchSeq2Seq"):
        export.TorchSeq2Seq


def test_without_torch_the_error_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # import torch now raises ImportError
    with pytest.raises(ImportError, match=r'pip install "minigrad\[torch\]"'):
        export.to_torch(seq.LSTM(2, 3))
    with pytest.raises(ImportError, match="PyTorch"):
        export.from_torch(object())
