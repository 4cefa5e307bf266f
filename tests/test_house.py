"""The house rules that keep the code readable: files of one sitting, and import paths that keep working."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MAX_LINES = 600


def test_no_module_is_longer_than_one_sitting():
    long = {
        str(path.relative_to(ROOT)): n
        for folder in ("minigrad", "seq", "demos")
        for path in (ROOT / folder).rglob("*.py")
        if (n := len(path.read_text().splitlines())) > MAX_LINES
    }
    assert not long, f"modules over {MAX_LINES} lines (cut them by idea): {long}"


# Where things were before the packages were cut, and still are.
OLD_PATHS = [
    ("minigrad.autograd", ["Function", "IndexGrad", "no_grad", "enable_grad", "grad", "cyclic_gc_paused"]),
    ("minigrad.autograd", ["run_backward", "unbroadcast", "version_counter", "detect_anomaly", "AnomalyError"]),
    ("minigrad.tensor", ["Tensor", "set_default_dtype", "get_default_dtype"]),
    ("minigrad.nn.module", ["Module", "Parameter", "Sequential", "ModuleList", "ModuleDict"]),
    ("minigrad.serialization", ["save", "load", "CheckpointError", "MAGIC", "DTYPES"]),
    ("minigrad.ops", ["Tanh", "tanh", "MatMul", "Index", "Split", "Cast"]),
    ("seq.reference", ["rnn_forward", "rnn_backward", "lstm_forward", "gru_cell_backward", "clip", "sample"]),
    ("seq.reference", ["optimize", "model_gradients", "rnn_to_seq", "lstm_from_seq", "load_into", "LSTM_GATES"]),
    ("seq.datasets", ["names", "load_text", "dates", "agreement", "negation_sentiment", "entity_tags"]),
    ("seq.datasets", ["adding_problem", "time_series", "CORPORA", "DownloadError", "PLURAL_NOUNS", "TAGS"]),
    ("seq.fused", ["FusedRNN", "FusedGRU", "FusedLSTM", "FusedMinimalGRU"]),
]


@pytest.mark.parametrize(("module", "names"), OLD_PATHS, ids=[f"{m}-{n[0]}" for m, n in OLD_PATHS])
def test_old_import_paths_still_work(module, names):
    imported = importlib.import_module(module)
    missing = [name for name in names if not hasattr(imported, name)]
    assert not missing, f"{module} no longer has {missing}"


def test_the_course_functions_keep_their_step_by_step_signatures():
    """seq.reference.rnn_forward is the Step by Step notebook's; the dinosaur assignment's lives in its module."""
    import inspect

    import seq.reference
    import seq.reference.dinosaurus

    assert list(inspect.signature(seq.reference.rnn_forward).parameters) == ["x", "a0", "parameters"]
    assert list(inspect.signature(seq.reference.dinosaurus.rnn_forward).parameters)[:4] == [
        "X",
        "Y",
        "a0",
        "parameters",
    ]
