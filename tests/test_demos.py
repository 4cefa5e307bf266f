"""Each demo's --quick run, on a fixed seed: learning happened (stated bounds) and its files were written."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

pytest.importorskip("matplotlib", reason="the demos need the demos extra: pip install -e '.[demos]'")


def run(name, tmp_path, *extra):
    import importlib

    module = importlib.import_module(f"demos.{name}")
    metrics = module.main(["--quick", "--seed", "0", "--out", str(tmp_path), *extra])
    saved = json.loads((tmp_path / "metrics.json").read_text())
    assert set(saved) == set(metrics)
    return metrics


def test_listing_and_unknown_demo():
    listing = subprocess.run([sys.executable, "-m", "demos"], capture_output=True, text=True, check=True).stdout
    assert "vanishing" in listing and "custom_layer" in listing
    bad = subprocess.run([sys.executable, "-m", "demos", "nope"], capture_output=True, text=True)
    assert bad.returncode == 2 and "unknown demo" in bad.stderr


def test_vanishing(tmp_path):
    m = run("vanishing", tmp_path)
    r = m["norm_ratio_first_to_last"]
    assert r["tanh RNN"] < 1e-8  # the plain RNN's gradient vanishes over the sequence
    assert r["GRU"] > 100 * r["tanh RNN"] and r["LSTM"] > 100 * r["tanh RNN"]  # gates let more through
    assert r["IRNN (ReLU, identity init)"] > 1e-2 and r["LSTM, forget bias 3"] > 1e-3  # and the init tricks keep it
    assert m["unclipped_diverged"]
    assert m["clipped_final_loss"] < 0.95 * m["clipped_initial_loss"]
    assert (tmp_path / "gradients.png").stat().st_size > 10_000


def test_custom_layer(tmp_path):
    m = run("custom_layer", tmp_path)
    assert m["gradient_checks_passed"] == 10
    assert m["final_loss"] < 0.6 * m["initial_loss"]
    assert m["accuracy"] > 0.75  # chance is 0.5
    assert (tmp_path / "loss.png").exists()


def test_out_must_be_a_folder(tmp_path):
    import demos.vanishing

    not_a_folder = tmp_path / "file.txt"
    not_a_folder.write_text("x")
    with pytest.raises(SystemExit, match="is a file, not a folder"):
        demos.vanishing.main(["--quick", "--out", str(not_a_folder)])


def test_bad_arguments_give_a_clear_error(capsys):
    import demos.vanishing

    with pytest.raises(SystemExit):
        demos.vanishing.main(["--steps", "many"])
    assert "invalid int value" in capsys.readouterr().err
