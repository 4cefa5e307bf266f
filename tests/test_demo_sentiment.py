"""demos/sentiment.py: on the word-order pairs the LSTM beats the bag of words, which is at chance by construction."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("matplotlib", reason="the demos need the demos extra: pip install -e '.[demos]'")


def test_quick_run(tmp_path):
    from demos.sentiment import EXAMPLE_PAIR, main

    m = main(["--quick", "--seed", "0", "--out", str(tmp_path)])
    # the two reviews of a pair have the same bag of words: one right, one wrong, never both
    assert m["bag_of_words_accuracy"] == 0.5
    assert m["bag_of_words_pair_accuracy"] == 0.0
    assert m["lstm_accuracy"] > 0.9
    assert m["lstm_pair_accuracy"] > m["bag_of_words_pair_accuracy"] + 0.8
    assert m["lstm_final_loss"] < 0.5 * m["bag_of_words_final_loss"]
    # the title's pair: the LSTM tells them apart (0.999 and 0.0001 on seed 0), the bag of words cannot
    good_not_bad, bad_not_good = (m["p_positive"][text] for text in EXAMPLE_PAIR)
    assert good_not_bad["lstm"] > 0.9 and bad_not_good["lstm"] < 0.1
    assert good_not_bad["bag_of_words"] == bad_not_good["bag_of_words"]
    assert set(json.loads((tmp_path / "metrics.json").read_text())) == set(m)
    assert (tmp_path / "comparison.png").stat().st_size > 10_000


def test_bad_arguments_give_a_clear_error(capsys):
    from demos.sentiment import main

    with pytest.raises(SystemExit):
        main(["--reviews", "41"])
    assert "--reviews must be an even number" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["--reviews", "20"])
    assert "argument --reviews: must be a whole number of at least 40" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["--epochs", "0"])
    assert "argument --epochs: must be a positive integer, got 0" in capsys.readouterr().err
