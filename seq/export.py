"""Outgrowing minigrad: move a seq layer or model to PyTorch and back, weights included.

    torch_model = seq.export.to_torch(model)      # a torch.nn.Module computing the same function
    model = seq.export.from_torch(torch_model)    # and back

seq uses PyTorch's parameter names, shapes and gate order (LSTM i, f, g, o; GRU r, z, n), so a layer's
state dict moves across unchanged. What converts:

==================================  ==================================
seq                                 torch
==================================  ==================================
``seq.RNN`` / ``GRU`` / ``LSTM``    ``torch.nn.RNN`` / ``GRU`` / ``LSTM``
``seq.RNNCell`` / ``GRUCell`` /     ``torch.nn.RNNCell`` / ``GRUCell`` /
``LSTMCell``                        ``LSTMCell``
``seq.LanguageModel``               ``seq.export.TorchLanguageModel``
``seq.SequenceClassifier``          ``seq.export.TorchSequenceClassifier``
``seq.SequenceTagger``              ``seq.export.TorchSequenceTagger``
==================================  ==================================

The three ``Torch...`` classes are small ``torch.nn.Module`` twins of the seq models, defined here (on
first use: this module imports torch only when you call it), with the same constructor arguments, the
same submodule names (so the same state-dict keys), the same call and the same outputs; a padded batch
with ``lengths`` goes through ``pack_padded_sequence``, which is what seq's ``lengths=`` does.

Not convertible, and refused with the reason: ``seq.GRU(reset_after=False)`` / ``GRUCell(reset_after=False)``
(the course's GRU, reset gate applied *before* the recurrent product: torch's GRU applies it after, a
different function of the same weights) and ``seq.MinimalGRU`` / ``MinimalGRUCell`` (no reset gate: torch
has no such layer or cell).

The dtype is kept (float64 stays float64, float16 stays float16) and so are train/eval mode and each
parameter's ``requires_grad``. A bfloat16 torch module is refused: NumPy has no bfloat16, and converting it
quietly to another dtype would break that promise; every bfloat16 value is exactly a float32, so
``from_torch(module.float())`` converts it without loss, in the dtype you chose. Needs PyTorch:
``pip install "minigrad[torch]"``.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

import minigrad
from minigrad.nn import Module
from seq import cells, layers, models

__all__ = ["from_torch", "to_torch"]

_LAYERS = {layers.RNN: "RNN", layers.GRU: "GRU", layers.LSTM: "LSTM"}
_CELLS = {cells.RNNCell: "RNNCell", cells.GRUCell: "GRUCell", cells.LSTMCell: "LSTMCell"}
_CELL_NAMES = {layers.RNN: "rnn", layers.GRU: "gru", layers.LSTM: "lstm"}
_TORCH_MODELS = ("TorchLanguageModel", "TorchSequenceClassifier", "TorchSequenceTagger")


def _torch() -> Any:
    """Import torch, or explain how to get it."""
    try:
        import torch
    except ImportError as error:
        raise ImportError(
            'seq.export needs PyTorch, which is not installed: pip install "minigrad[torch]" '
            "(PyTorch 2.13.0, CPU). minigrad and the rest of seq work without it."
        ) from error
    return torch


def _torch_dtype(dtype: np.dtype) -> Any:
    torch = _torch()
    return {
        np.dtype(np.float64): torch.float64,
        np.dtype(np.float32): torch.float32,
        np.dtype(np.float16): torch.float16,
    }[np.dtype(dtype)]


def _one_dtype(dtypes: list, what: str, convert: str) -> Any:
    """The one dtype of a module's weights, or an error saying how to make them one."""
    unique = sorted(set(dtypes), key=str)
    if len(unique) != 1:
        raise ValueError(
            f"{what} has weights of several dtypes ({', '.join(map(str, unique))}); seq's layers hold one: convert "
            f"the module to one dtype first ({convert})"
        )
    return unique[0]


def _check_torch_weights(module: Any) -> None:
    """Refuse, with the way out, the torch weights seq cannot hold: bfloat16, non-float, meta (no values)."""
    torch = _torch()
    tensors = list(module.state_dict().values())
    if any(t.is_meta for t in tensors):
        raise ValueError(
            f"the {type(module).__name__}'s weights are on the meta device (shapes without values): materialize "
            "them first (module.to_empty(device='cpu'), then initialize or load them)"
        )
    dtype = _one_dtype([t.dtype for t in tensors], f"the torch {type(module).__name__}", "module.float()")
    if dtype == torch.bfloat16:
        raise ValueError(
            f"the torch {type(module).__name__} is in bfloat16, which NumPy (and so seq) cannot hold. Every bfloat16 "
            "value is exactly a float32: convert it without loss with from_torch(module.float()) (or .double())"
        )
    if dtype not in (torch.float16, torch.float32, torch.float64):
        raise TypeError(
            f"the torch {type(module).__name__}'s weights are {dtype}; seq's layers hold float16, float32 or "
            "float64: convert the module (module.float())"
        )


# ------------------------------------------------------------------------------------------------
# The torch twins of seq's models (built on first use, so that importing seq never imports torch)
# ------------------------------------------------------------------------------------------------


@functools.cache
def _torch_models() -> dict:
    """Define the torch.nn.Module twins of ``seq.models`` once torch is importable."""
    torch = _torch()
    nn = torch.nn
    from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

    recurrent = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}

    def make_rnn(
        cell: str, input_size: int, hidden_size: int, num_layers: int, dropout: float, bidirectional: bool = False
    ) -> Any:
        if cell not in recurrent:
            raise ValueError(f"cell must be one of {sorted(recurrent)}, got {cell!r}")
        between = dropout if num_layers > 1 else 0.0  # between stacked layers only, as seq.models
        return recurrent[cell](input_size, hidden_size, num_layers, dropout=between, bidirectional=bidirectional)

    def run(rnn: Any, x: Any, lengths: Any, state: Any = None) -> tuple:
        """The layer over a padded (T, B, E) batch; with lengths, each sequence stops at its own length."""
        if lengths is None:
            return rnn(x, state)
        lengths = torch.as_tensor(np.asarray(getattr(lengths, "data", lengths)), dtype=torch.int64)
        packed = pack_padded_sequence(x, lengths, enforce_sorted=False)
        output, state = rnn(packed, state)
        output, _ = pad_packed_sequence(output, total_length=x.shape[0])  # zeros past each length
        return output, state

    def ids_tensor(ids: Any) -> Any:
        return ids if isinstance(ids, torch.Tensor) else torch.as_tensor(np.asarray(getattr(ids, "data", ids)))

    class TorchLanguageModel(nn.Module):
        """The torch twin of ``seq.LanguageModel``: same arguments, state-dict keys, call and outputs."""

        def __init__(
            self,
            vocab_size: int,
            embed_dim: int,
            hidden_size: int,
            cell: str = "lstm",
            num_layers: int = 1,
            dropout: float = 0.0,
            tie_weights: bool = False,
        ) -> None:
            super().__init__()
            if tie_weights and embed_dim != hidden_size:
                raise ValueError(f"tie_weights needs embed_dim == hidden_size, got {embed_dim} and {hidden_size}")
            self.config = {
                "vocab_size": vocab_size,
                "embed_dim": embed_dim,
                "hidden_size": hidden_size,
                "cell": cell,
                "num_layers": num_layers,
                "dropout": dropout,
                "tie_weights": tie_weights,
            }
            self.embedding = nn.Embedding(vocab_size, embed_dim)
            self.rnn = make_rnn(cell, embed_dim, hidden_size, num_layers, dropout)
            self.dropout = nn.Dropout(dropout)
            self.decoder = nn.Linear(hidden_size, vocab_size)
            if tie_weights:
                self.decoder.weight = self.embedding.weight  # one Parameter, (V, E) = (V, H)

        def forward(self, ids: Any, state: Any = None) -> tuple:
            """ids (T, B) -> logits (T, B, V) and the final state."""
            x = self.embedding(ids_tensor(ids))  # (T, B, E)
            output, state = self.rnn(x, state)  # (T, B, H)
            return self.decoder(self.dropout(output)), state  # (T, B, V)

    class TorchSequenceClassifier(nn.Module):
        """The torch twin of ``seq.SequenceClassifier``: logits (B, C) from each sequence's final state."""

        def __init__(
            self,
            vocab_size: int,
            embed_dim: int,
            hidden_size: int,
            num_classes: int,
            cell: str = "lstm",
            num_layers: int = 1,
            bidirectional: bool = False,
            dropout: float = 0.0,
            padding_idx: int | None = None,
        ) -> None:
            super().__init__()
            self.config = {
                "vocab_size": vocab_size,
                "embed_dim": embed_dim,
                "hidden_size": hidden_size,
                "num_classes": num_classes,
                "cell": cell,
                "num_layers": num_layers,
                "bidirectional": bidirectional,
                "dropout": dropout,
                "padding_idx": padding_idx,
            }
            self.bidirectional = bidirectional
            self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=padding_idx)
            self.rnn = make_rnn(cell, embed_dim, hidden_size, num_layers, dropout, bidirectional)
            self.dropout = nn.Dropout(dropout)
            self.classifier = nn.Linear(hidden_size * (2 if bidirectional else 1), num_classes)

        def forward(self, ids: Any, lengths: Any = None) -> Any:
            """ids (T, B), lengths (B,) or None -> logits (B, C)."""
            x = self.embedding(ids_tensor(ids))  # (T, B, E)
            _, state = run(self.rnn, x, lengths)
            h_n = state[0] if isinstance(state, tuple) else state  # (num_layers * dirs, B, H)
            final = torch.cat([h_n[-2], h_n[-1]], dim=-1) if self.bidirectional else h_n[-1]  # (B, dirs * H)
            return self.classifier(self.dropout(final))  # (B, C)

    class TorchSequenceTagger(nn.Module):
        """The torch twin of ``seq.SequenceTagger``: logits (T, B, K), one tag per token."""

        def __init__(
            self,
            vocab_size: int,
            embed_dim: int,
            hidden_size: int,
            num_tags: int,
            cell: str = "lstm",
            bidirectional: bool = False,
            num_layers: int = 1,
            dropout: float = 0.0,
            padding_idx: int | None = None,
        ) -> None:
            super().__init__()
            self.config = {
                "vocab_size": vocab_size,
                "embed_dim": embed_dim,
                "hidden_size": hidden_size,
                "num_tags": num_tags,
                "cell": cell,
                "bidirectional": bidirectional,
                "num_layers": num_layers,
                "dropout": dropout,
                "padding_idx": padding_idx,
            }
            self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=padding_idx)
            self.rnn = make_rnn(cell, embed_dim, hidden_size, num_layers, dropout, bidirectional)
            self.dropout = nn.Dropout(dropout)
            self.classifier = nn.Linear(hidden_size * (2 if bidirectional else 1), num_tags)

        def forward(self, ids: Any, lengths: Any = None) -> Any:
            """ids (T, B), lengths (B,) or None -> logits (T, B, K)."""
            x = self.embedding(ids_tensor(ids))  # (T, B, E)
            output, _ = run(self.rnn, x, lengths)  # (T, B, dirs * H)
            return self.classifier(self.dropout(output))  # (T, B, K)

    classes = (TorchLanguageModel, TorchSequenceClassifier, TorchSequenceTagger)
    for cls in classes:
        cls.__module__ = __name__
    return dict(zip(_TORCH_MODELS, classes))


def __getattr__(name: str) -> Any:
    """``seq.export.TorchLanguageModel`` and its siblings, defined when first asked for (imports torch)."""
    if name in _TORCH_MODELS:
        return _torch_models()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# ------------------------------------------------------------------------------------------------
# What the two sides' configurations are
# ------------------------------------------------------------------------------------------------


def _refuse_unexportable(module: Any) -> None:
    """Raise for the seq variants that no torch module computes, saying why."""
    if isinstance(module, layers.MinimalGRU):
        raise ValueError(
            "MinimalGRU cannot be exported to PyTorch: it is the course's simplified GRU (an update gate and a "
            "candidate, no reset gate, weights stacked as (u, c̃) in 2H rows), and torch has no such layer. Use "
            "seq.GRU (PyTorch's GRU) for a model you want to move to torch."
        )
    if isinstance(module, cells.MinimalGRUCell):
        raise ValueError(
            "MinimalGRUCell cannot be exported to PyTorch: it is the course's simplified GRU (an update gate "
            "and a candidate, no reset gate, weights stacked as (u, c̃) in 2H rows), and torch has no such "
            "cell. Use seq.GRUCell (PyTorch's GRU) for a model you want to move to torch."
        )
    if isinstance(module, layers.GRU | cells.GRUCell) and not module.reset_after:
        raise ValueError(
            f"{type(module).__name__}(reset_after=False) cannot be exported to PyTorch: it applies the reset gate "
            "before the recurrent product, c̃ = tanh(W_in x + b_in + W_hn (Γr ⊙ a) + b_hn) (the course's and "
            "Cho et al.'s GRU), while torch.nn.GRU applies it after, tanh(W_in x + b_in + Γr ⊙ (W_hn a + "
            "b_hn)). Same weights, different functions: no torch module computes yours. Train with "
            "reset_after=True (the default) to export."
        )


def _layer_config(layer: Any) -> dict:
    config = {
        "input_size": layer.input_size,
        "hidden_size": layer.hidden_size,
        "num_layers": layer.num_layers,
        "bias": layer.bias,
        "batch_first": layer.batch_first,
        "dropout": layer.dropout,
        "bidirectional": layer.bidirectional,
    }
    if isinstance(layer, layers.RNN) or type(layer).__name__ == "RNN":
        config["nonlinearity"] = layer.nonlinearity
    return config


def _cell_config(cell: Any) -> dict:
    config = {"input_size": cell.input_size, "hidden_size": cell.hidden_size, "bias": cell.bias}
    if isinstance(cell, cells.RNNCell) or type(cell).__name__ == "RNNCell":
        config["nonlinearity"] = cell.nonlinearity
    return config


def _model_config(model: Module) -> tuple[str, dict]:
    """The torch twin's name and constructor arguments of a seq model."""
    rnn = model.rnn
    _refuse_unexportable(rnn)
    if type(rnn) not in _CELL_NAMES:
        raise TypeError(f"{type(model).__name__}.rnn is a {type(rnn).__name__}: expected seq.RNN, GRU or LSTM")
    embedding = model.embedding
    common = {
        "vocab_size": embedding.num_embeddings,
        "embed_dim": embedding.embedding_dim,
        "hidden_size": rnn.hidden_size,
        "cell": _CELL_NAMES[type(rnn)],
        "num_layers": rnn.num_layers,
        "dropout": model.dropout.p,
    }
    if isinstance(model, models.LanguageModel):
        return "TorchLanguageModel", {**common, "tie_weights": model.tie_weights}
    extra = {"bidirectional": rnn.bidirectional, "padding_idx": embedding.padding_idx}
    if isinstance(model, models.SequenceClassifier):
        return "TorchSequenceClassifier", {**common, **extra, "num_classes": model.classifier.out_features}
    return "TorchSequenceTagger", {**common, **extra, "num_tags": model.classifier.out_features}


# ------------------------------------------------------------------------------------------------
# The two directions
# ------------------------------------------------------------------------------------------------


def to_torch(model: Module) -> Any:
    """The ``torch.nn.Module`` that computes what ``model`` computes, with a copy of its weights.

    Args:
        model: a ``seq.RNN``, ``GRU``, ``LSTM``, ``RNNCell``, ``GRUCell``, ``LSTMCell``, ``LanguageModel``,
            ``SequenceClassifier`` or ``SequenceTagger``.

    Returns:
        ``torch.nn.RNN`` / ``GRU`` / ``LSTM`` / ``RNNCell`` / ``GRUCell`` / ``LSTMCell``, or the matching
        ``seq.export.Torch...`` model, in the parameters' dtype, in the same train/eval mode.

    Raises:
        ImportError: torch is not installed (``pip install "minigrad[torch]"``).
        ValueError: ``reset_after=False`` GRUs, ``MinimalGRU`` and ``MinimalGRUCell``, which torch cannot compute;
            weights of several dtypes.
        TypeError: anything else (``Seq2Seq`` is not covered).
    """
    torch = _torch()
    _refuse_unexportable(model)
    if type(model) in _LAYERS:
        build = getattr(torch.nn, _LAYERS[type(model)])
        config = _layer_config(model)
    elif type(model) in _CELLS:
        build = getattr(torch.nn, _CELLS[type(model)])
        config = _cell_config(model)
    elif isinstance(model, models.LanguageModel | models.SequenceClassifier | models.SequenceTagger):
        name, config = _model_config(model)
        build = _torch_models()[name]
    else:
        raise TypeError(
            f"to_torch converts seq.RNN, GRU, LSTM, RNNCell, GRUCell, LSTMCell, LanguageModel, SequenceClassifier "
            f"and SequenceTagger; got {type(model).__name__}"
        )
    state = model.state_dict()
    dtype = _one_dtype([v.dtype for v in state.values()], f"the seq {type(model).__name__}", "model.to(np.float32)")
    with torch.random.fork_rng(devices=[]):  # building draws initial weights: leave torch's stream as it was
        module = build(**config).to(_torch_dtype(dtype))
    module.load_state_dict({key: torch.from_numpy(np.array(value)) for key, value in state.items()}, strict=True)
    requires = dict(model.named_parameters())
    for key, param in module.named_parameters():
        if key in requires:
            param.requires_grad_(requires[key].requires_grad)
    return module.train(model.training)


def from_torch(module: Any, impl: str = "fused") -> Module:
    """The seq layer or model that computes what the torch ``module`` computes, with a copy of its weights.

    Args:
        module: a ``torch.nn.RNN``, ``GRU``, ``LSTM``, ``RNNCell``, ``GRUCell``, ``LSTMCell`` or one of the
            ``seq.export.Torch...`` models (what ``to_torch`` returns).
        impl: for layers, ``"fused"`` (the default) or ``"cells"`` (the readable step-by-step path).

    Returns:
        The seq module, in the weights' dtype and the same train/eval mode.

    Raises:
        ValueError: an LSTM with ``proj_size > 0`` (seq's LSTM has no projection); weights in bfloat16 (NumPy has
            no bfloat16: pass ``module.float()``, a lossless conversion), of several dtypes, or on the meta device.
        TypeError: any other module, or weights that are not floating point.
    """
    torch = _torch()
    name = type(module).__name__
    is_layer = isinstance(module, torch.nn.RNN | torch.nn.GRU | torch.nn.LSTM) and name in ("RNN", "GRU", "LSTM")
    is_cell = isinstance(module, torch.nn.RNNCell | torch.nn.GRUCell | torch.nn.LSTMCell)
    is_model = isinstance(module, tuple(_torch_models().values()))
    if not (is_layer or is_cell or is_model):
        raise TypeError(
            "from_torch converts torch.nn.RNN, GRU, LSTM, RNNCell, GRUCell, LSTMCell and the models "
            f"seq.export.to_torch makes (TorchLanguageModel, ...); got {name}"
        )
    if isinstance(module, torch.nn.LSTM) and module.proj_size > 0:
        raise ValueError(
            f"torch.nn.LSTM(proj_size={module.proj_size}) projects h to proj_size dimensions; seq.LSTM has no "
            "projection, so it cannot hold this model. Use proj_size=0."
        )
    _check_torch_weights(module)
    state = {key: value.detach().cpu().numpy().copy() for key, value in module.state_dict().items()}
    dtype = next(iter(state.values())).dtype
    saved_rng = minigrad.get_rng_state()  # building draws initial weights: leave minigrad's stream as it was
    try:
        if is_layer:
            seq_model = getattr(layers, name)(**_layer_config(module), impl=impl, dtype=dtype)
        elif is_cell:
            seq_model = getattr(cells, name)(**_cell_config(module), dtype=dtype)
        else:
            seq_model = getattr(models, name.removeprefix("Torch"))(**module.config)
            seq_model.to(dtype)
    finally:
        minigrad.set_rng_state(saved_rng)
    seq_model.load_state_dict(state, strict=True)
    requires = dict(module.named_parameters())
    for key, param in seq_model.named_parameters():
        if key in requires:
            param.requires_grad_(requires[key].requires_grad)
    return seq_model.train(module.training)
