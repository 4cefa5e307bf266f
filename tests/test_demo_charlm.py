"""demos/charlm.py: the quick run on a small generated text learns; missing text gives a clear message."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

pytest.importorskip("matplotlib", reason="the demos need the demos extra: pip install -e '.[demos]'")

import seq
from demos import charlm as demo


@pytest.fixture
def small_text(tmp_path):
    """400 lines of a tiny grammar: 'The king hath seen the sea.' (about 11,000 characters)."""
    rng = np.random.default_rng(0)
    subjects = ["the king", "my lord", "the queen", "a fool", "good sir"]
    verbs = ["speaks of", "dreams of", "hath seen", "will find", "loves"]
    objects = ["the crown.", "his horse.", "the sea.", "a rose.", "the night."]
    lines = [f"{rng.choice(subjects).capitalize()} {rng.choice(verbs)} {rng.choice(objects)}" for _ in range(400)]
    path = tmp_path / "small.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run(out, text, *extra):
    metrics = demo.main(["--quick", "--seed", "0", "--out", str(out), "--text", str(text), *extra])
    saved = json.loads((out / "metrics.json").read_text())
    assert set(saved) == set(metrics)
    return metrics


def test_quick_run_learns(tmp_path, small_text):
    m = run(tmp_path / "out", small_text)
    assert m["steps"] == 150
    assert m["val_loss"] < 0.4 * m["initial_val_loss"]  # about 3.5 -> 0.26 nats/char on the fixed seed
    assert m["final_train_loss"] < 0.4 * m["initial_train_loss"]
    assert math.isclose(m["val_bits_per_char"], m["val_loss"] / math.log(2))
    assert m["tokens_per_second"] > 0
    assert m["samples"] and all(isinstance(s["text"], str) and len(s["text"]) > 50 for s in m["samples"])
    for name in ("charlm.png", "metrics.json", "model.ckpt"):
        assert (tmp_path / "out" / name).stat().st_size > 100


def test_runs_are_deterministic_under_the_seed_and_other_cells_learn(tmp_path, small_text):
    a = run(tmp_path / "a", small_text, "--cell", "gru", "--steps", "60")
    b = run(tmp_path / "b", small_text, "--cell", "gru", "--steps", "60")
    assert a["val_loss"] == b["val_loss"] and a["samples"] == b["samples"]
    assert a["val_loss"] < 0.75 * a["initial_val_loss"]


def test_missing_text_file_is_a_clear_error(tmp_path):
    with pytest.raises(SystemExit, match="neither a file nor a known corpus"):
        demo.main(["--quick", "--out", str(tmp_path), "--text", str(tmp_path / "missing.txt")])


def test_no_network_and_no_cache_is_a_clear_error(tmp_path, monkeypatch):
    def offline(url, timeout=30.0):
        raise OSError("network is unreachable")

    monkeypatch.setenv("MINIGRAD_DATA", str(tmp_path / "empty-cache"))
    monkeypatch.setattr(seq.datasets.corpora, "_download", offline)
    with pytest.raises(SystemExit, match="could not download tinyshakespeare") as e:
        demo.main(["--quick", "--out", str(tmp_path / "out")])
    assert "save it as" in str(e.value)


def test_too_short_text_and_bad_arguments(tmp_path, capsys):
    short = tmp_path / "short.txt"
    short.write_text("to be or not to be\n", encoding="utf-8")
    with pytest.raises(SystemExit, match="too short"):
        demo.main(["--quick", "--out", str(tmp_path), "--text", str(short)])
    with pytest.raises(SystemExit):
        demo.main(["--quick", "--out", str(tmp_path), "--cell", "transformer"])
    assert "invalid choice" in capsys.readouterr().err
