"""demos/dates.py: the quick run of the attention translator learns most held-out dates, and draws its heatmaps."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("matplotlib", reason="the demos need the demos extra: pip install -e '.[demos]'")


def test_quick_run(tmp_path):
    from demos.dates import main

    m = main(["--quick", "--seed", "0", "--out", str(tmp_path)])
    # exact match of all ten characters; a model that had learned nothing gets ~0. (The default run reaches >= 99.5%.)
    assert m["greedy_accuracy"] > 0.7
    assert m["beam_accuracy"] > 0.7
    assert m["final_loss"] < 0.2
    assert set(json.loads((tmp_path / "metrics.json").read_text())) == set(m)
    assert (tmp_path / "attention.png").stat().st_size > 10_000


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--epochs", "0"], "--epochs must be at least 1"),
        (["--beam-width", "0"], "--beam-width must be at least 1"),
        (["--quick", "--beam-examples", "100000"], "--beam-examples must be between 1 and 500"),
        (["--epochs", "many"], "invalid int value"),
    ],
)
def test_bad_arguments_give_a_clear_error(argv, message, capsys):
    from demos.dates import main

    with pytest.raises(SystemExit):
        main(argv)
    assert message in capsys.readouterr().err
