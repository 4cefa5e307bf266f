"""demos/dates.py: the quick run of the attention translator learns most held-out dates, and draws its heatmaps."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("matplotlib", reason="the demos need the demos extra: pip install -e '.[demos]'")


def test_quick_run(tmp_path):
    from demos.dates import main

    m = main(["--quick", "--seed", "0", "--out", str(tmp_path)])
    # The baseline: a decoder that never reads the source (each position's character frequencies) scores
    # 1.12 nats/char and 0% exact match on seed 0; the model 0.058 nats/char and 90% (the default run >= 99.5%).
    assert m["source_blind_loss"] > 0.8 and m["source_blind_accuracy"] < 0.01
    assert m["test_loss"] < 0.15 * m["source_blind_loss"]
    assert m["greedy_accuracy"] > 0.7
    assert m["beam_accuracy"] > 0.7
    assert m["final_loss"] < 0.15 * m["source_blind_loss"]
    assert set(json.loads((tmp_path / "metrics.json").read_text())) == set(m)
    assert (tmp_path / "attention.png").stat().st_size > 10_000


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--epochs", "0"], "argument --epochs: must be a positive integer, got 0"),
        (["--beam-width", "0"], "argument --beam-width: must be a positive integer, got 0"),
        (["--quick", "--beam-examples", "100000"], "--beam-examples must be at most 500"),
        (["--epochs", "many"], "argument --epochs: must be a positive integer, got 'many'"),
    ],
)
def test_bad_arguments_give_a_clear_error(argv, message, capsys):
    from demos.dates import main

    with pytest.raises(SystemExit):
        main(argv)
    assert message in capsys.readouterr().err
