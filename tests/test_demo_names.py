"""demos/names.py: the quick run learns (beats the bigram baseline), checkpoints resume exactly, --sample samples."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

pytest.importorskip("matplotlib", reason="the demos need the demos extra: pip install -e '.[demos]'")
pytest.importorskip("names", reason="the names demo reads the census lists of the `names` package")

import seq
from demos import names as demo


def run(tmp_path, *extra):
    metrics = demo.main(["--quick", "--seed", "0", "--out", str(tmp_path), *extra])
    saved = json.loads((tmp_path / "metrics.json").read_text())
    assert set(saved) == set(metrics)
    return metrics


def test_quick_run_learns_and_beats_the_bigram(tmp_path):
    m = run(tmp_path)
    # the baselines match the brief's reference figures for a 90/10 split (bigram ~2.34, trigram ~2.10)
    assert 2.2 < m["bigram_val_loss"] < 2.5 and 1.95 < m["trigram_val_loss"] < m["bigram_val_loss"]
    assert m["val_loss"] < 0.75 * m["untrained_val_loss"]  # ln(30) = 3.4 -> about 2.14 after 4 epochs
    assert m["val_loss"] < m["bigram_val_loss"] - 0.1
    assert len(m["samples"]) == 20 and all(s.isalpha() and s.islower() for s in m["samples"] if s)
    assert m["fraction_new"] > 0.5
    for name in ("names.png", "metrics.json", "best.ckpt", "last.ckpt"):
        assert (tmp_path / name).stat().st_size > 100


def test_sample_only_loads_the_best_checkpoint(tmp_path, capsys):
    trained = run(tmp_path)
    capsys.readouterr()
    sampled = demo.main(["--sample", "--seed", "0", "--out", str(tmp_path)])
    assert math.isclose(sampled["val_loss"], trained["val_loss"], rel_tol=1e-9)
    assert sampled["samples"] == trained["samples"]  # same weights, same seeds: the same names
    assert "sampled names" in capsys.readouterr().out


def test_resume_continues_exactly(tmp_path):
    straight = run(tmp_path / "straight", "--epochs", "3")
    run(tmp_path / "split", "--epochs", "2")
    resumed = demo.main(["--quick", "--seed", "0", "--out", str(tmp_path / "split"), "--epochs", "3", "--resume"])
    assert resumed["epochs"] == 3 and resumed["untrained_val_loss"] is None
    assert np.isclose(resumed["final_train_loss"], straight["final_train_loss"], rtol=1e-6)
    assert np.isclose(resumed["val_loss"], straight["val_loss"], rtol=1e-6)
    with pytest.raises(SystemExit, match="nothing to train"):  # already 3 epochs: refuse, leave the files alone
        demo.main(["--quick", "--seed", "0", "--out", str(tmp_path / "split"), "--epochs", "3", "--resume"])


def test_missing_checkpoint_and_bad_arguments_give_clear_errors(tmp_path, capsys):
    with pytest.raises(SystemExit, match="does not exist: train first"):
        demo.main(["--sample", "--out", str(tmp_path)])
    with pytest.raises(SystemExit):
        demo.main(["--epochs", "0", "--out", str(tmp_path)])
    assert "--epochs must be positive" in capsys.readouterr().err


def test_ngram_probabilities_sum_to_one():
    train = ["anna", "bob", "ann"]
    vocab = seq.Vocabulary.build(train, level="char")
    for n in (2, 3):
        model = demo.NGram(n, train, vocab)
        context = (vocab.bos_id,) * (n - 2) + (vocab["a"],)
        outcomes = [i for i in range(len(vocab)) if i not in (vocab.pad_id, vocab.bos_id)]
        total = sum(
            (model.counts[context, c] + 0.1) / (model.context_counts[context] + 0.1 * model.outcomes) for c in outcomes
        )
        assert math.isclose(total, 1.0)
