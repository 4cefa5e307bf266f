"""The demos' shared pieces (demos/common.py), the listing, and the --quick runs of vanishing and custom_layer.

A demo's run is tested on a fixed seed against the baseline it claims to beat (stated beside each bound).
"""

from __future__ import annotations

import argparse
import importlib
import json
import math
import re
import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("matplotlib", reason="the demos need the demos extra: pip install -e '.[demos]'")

import minigrad
import seq
from demos import DEMOS, common


def run(name, tmp_path, *extra):
    module = importlib.import_module(f"demos.{name}")
    metrics = module.main(["--quick", "--seed", "0", "--out", str(tmp_path), *extra])
    saved = json.loads((tmp_path / "metrics.json").read_text())
    assert set(saved) == set(metrics)
    return metrics


def test_listing_and_unknown_demo():
    listing = subprocess.run([sys.executable, "-m", "demos"], capture_output=True, text=True, check=True).stdout
    assert all(name in listing for name in DEMOS)
    bad = subprocess.run([sys.executable, "-m", "demos", "nope"], capture_output=True, text=True)
    assert bad.returncode == 2 and "unknown demo" in bad.stderr


# ---------------------------------------------------------------------------------------------------------------
# demos/common.py: the number types of the command line
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "good", "bad", "message"),
    [
        (common.positive_int, {"1": 1, "250": 250}, ["0", "-3", "2.5", "many", ""], "must be a positive integer"),
        (common.nonnegative_int, {"0": 0, "7": 7}, ["-1", "1e3", "x"], "must be a non-negative integer"),
        (common.positive_float, {"0.5": 0.5, "3e-3": 3e-3}, ["0", "-1", "nan", "inf", "fast"], "a positive number"),
        (common.nonnegative_float, {"0": 0.0, "1.5": 1.5}, ["-0.1", "nan", "inf"], "a non-negative number"),
        (common.probability, {"0": 0.0, "0.3": 0.3, "0.99": 0.99}, ["1", "1.5", "-0.1", "nan"], "in [0, 1)"),
        (common.int_at_least(10, "a tenth is held out"), {"10": 10, "60": 60}, ["9", "0", "ten"], "at least 10"),
    ],
)
def test_number_types_accept_and_refuse(kind, good, bad, message):
    for text, value in good.items():
        assert kind(text) == value and type(kind(text)) is type(value)
    for text in bad:
        with pytest.raises(argparse.ArgumentTypeError, match=re.escape(message)):
            kind(text)


@pytest.mark.parametrize("name", list(DEMOS))
def test_every_demo_refuses_a_negative_seed_naming_the_option(name, capsys):
    """Every demo's parser comes from common.parser: --seed is a non-negative integer everywhere."""
    module = importlib.import_module(f"demos.{name}")
    with pytest.raises(SystemExit) as e:
        module.main(["--seed", "-1"])
    assert e.value.code == 2
    assert "argument --seed: must be a non-negative integer, got -1" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("name", "argv", "message"),
    [
        ("vanishing", ["--steps", "many"], "argument --steps: must be a positive integer, got 'many'"),
        ("vanishing", ["--steps", "0"], "argument --steps: must be a positive integer, got 0"),
        ("custom_layer", ["--examples", "0"], "argument --examples: must be a positive integer, got 0"),
        ("charlm", ["--clip", "-1"], "argument --clip: must be a non-negative number, got -1"),
        ("charlm", ["--lr", "0"], "argument --lr: must be a positive number, got 0"),
        ("names", ["--dropout", "1"], "argument --dropout: must be a probability in [0, 1), got 1"),
        ("names", ["--patience", "0"], "argument --patience: must be a positive integer, got 0"),
    ],
)
def test_bad_numbers_give_argparse_errors_that_name_the_option(name, argv, message, capsys):
    module = importlib.import_module(f"demos.{name}")
    with pytest.raises(SystemExit) as e:
        module.main(argv)
    assert e.value.code == 2
    assert message in capsys.readouterr().err


def test_out_must_be_a_folder(tmp_path):
    import demos.vanishing

    not_a_folder = tmp_path / "file.txt"
    not_a_folder.write_text("x")
    with pytest.raises(SystemExit, match="is a file, not a folder"):
        demos.vanishing.main(["--quick", "--out", str(not_a_folder)])


# ---------------------------------------------------------------------------------------------------------------
# demos/common.py: the language models' loss, evaluation and n-gram baselines
# ---------------------------------------------------------------------------------------------------------------


def test_evaluate_is_the_mean_nll_per_character_whatever_the_padding():
    """Padded batches give the mean over every real character of -log P(next), as one text at a time does."""
    texts = ["ab", "abcab", "c", "bbbbbbbbba", "cab"]  # lengths 1-10: batches of mixed lengths, much padding
    vocab = seq.Vocabulary.build(texts, level="char")
    data = common.framed_examples(texts, vocab)
    assert data[1] == (vocab.encode("abcab", add_bos=True), vocab.encode("abcab", add_eos=True))
    model = seq.LanguageModel(len(vocab), 4, 5, cell="lstm", dropout=0.5)  # dropout: evaluate must turn it off
    total, count = 0.0, 0
    model.eval()
    with minigrad.no_grad():
        for x, y in data:
            logits, _ = model(np.array(x)[:, None])  # (T, 1, V): one text, no padding
            log_p = minigrad.log_softmax(logits, dim=-1).data[:, 0].astype(np.float64)  # (T, V)
            total -= log_p[np.arange(len(y)), y].sum()
            count += len(y)
    model.train()
    for batch_size in (1, 2, 5):
        assert math.isclose(common.evaluate(model, data, vocab.pad_id, batch_size), total / count, rel_tol=1e-5)
    assert model.training  # evaluate switches dropout back on


def test_ngram_probabilities_sum_to_one_and_the_baseline_picks_k_on_validation():
    train, val = ["anna", "bob", "ann"], ["nab", "bonn"]
    vocab = seq.Vocabulary.build(train, level="char")
    for n, add_eos in ((2, True), (3, True), (2, False)):
        model = common.NGram(n, train, vocab, add_eos=add_eos)
        outcomes = [i for i in range(len(vocab)) if i not in (vocab.pad_id, vocab.bos_id)]
        if not add_eos:  # one long stream: <eos> never comes next
            outcomes.remove(vocab.eos_id)
        assert model.outcomes == len(outcomes)
        for context in {c for c, _ in model.events(train + val)}:
            total = sum(model.probability(context, c, k=0.1) for c in outcomes)
            assert math.isclose(total, 1.0)
    bigram = common.NGram(2, train, vocab)
    baseline = common.ngram_baseline(2, train, val, vocab)
    assert baseline["val_loss"] == min(bigram.loss(val, k) for k in common.K_GRID)
    assert baseline["val_loss"] == bigram.loss(val, baseline["k"])
    # "n" is followed 4 times in "anna", "ann": by "n" twice, by "a" and by <eos> once each
    assert math.isclose(bigram.probability((vocab["n"],), vocab["a"], k=1.0), (1 + 1) / (4 + bigram.outcomes))
    assert math.isclose(bigram.probability((vocab["n"],), vocab["n"], k=0.0), 2 / 4)


# ---------------------------------------------------------------------------------------------------------------
# vanishing and custom_layer
# ---------------------------------------------------------------------------------------------------------------


def test_vanishing(tmp_path):
    m = run("vanishing", tmp_path)
    r = m["norm_ratio_first_to_last"]
    assert r["tanh RNN"] < 1e-8  # the plain RNN's gradient vanishes over the sequence
    assert r["GRU"] > 100 * r["tanh RNN"] and r["LSTM"] > 100 * r["tanh RNN"]  # gates let more through
    assert r["IRNN (ReLU, identity init)"] > 1e-2 and r["LSTM, forget bias 3"] > 1e-3  # and the init tricks keep it
    # Exploding: without clipping the loss reaches inf/NaN (step 37 of 150 on seed 0), its gradient norm 1e18 first
    assert m["unclipped_diverged"] and m["unclipped_steps"] < m["steps"]
    assert m["unclipped_largest_finite_gradient_norm"] > 1e6
    # With clipping the same SGD trains: 0.37 -> 0.13 on seed 0 (0.11-0.16 on seeds 0-3), where always answering 0,
    # the target's mean, scores 1/3 and the untrained network more (its first loss)
    assert m["clipped_final_loss"] < 0.6 * m["predict_zero_mse"]
    assert m["clipped_initial_loss"] > 0.6 * m["predict_zero_mse"]
    assert (tmp_path / "gradients.png").stat().st_size > 10_000


def test_custom_layer(tmp_path):
    m = run("custom_layer", tmp_path)
    assert m["gradient_checks_passed"] == 10
    # chance: loss ln 2 = 0.693 and the more frequent class (0.51 of 512); seed 0 reaches 0.12 and 0.97
    assert m["initial_loss"] > 0.6
    assert m["final_loss"] < 0.3
    assert m["accuracy"] > 0.9 and m["majority_accuracy"] < 0.6
    assert (tmp_path / "loss.png").exists()
