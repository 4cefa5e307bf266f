"""demos/ner.py: at the ambiguous first word the bidirectional tagger beats the unidirectional one by a margin."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("matplotlib", reason="the demos need the demos extra: pip install -e '.[demos]'")


def test_quick_run(tmp_path):
    from demos.ner import main

    m = main(["--quick", "--seed", "0", "--out", str(tmp_path)])
    uni, bi = m["unidirectional_first_word_accuracy"], m["bidirectional_first_word_accuracy"]
    assert bi > 0.95
    assert uni <= m["first_word_best_from_left_context"]  # a<1> has read the first word only: it cannot do better
    assert bi > uni + 0.35
    assert m["unidirectional_later_words_accuracy"] > 0.95  # after the first word, both directions can tell
    assert m["bidirectional_token_accuracy"] > m["unidirectional_token_accuracy"]
    assert set(json.loads((tmp_path / "metrics.json").read_text())) == set(m)
    assert (tmp_path / "confusion.png").stat().st_size > 10_000


def test_bad_arguments_give_a_clear_error(capsys):
    from demos.ner import main

    with pytest.raises(SystemExit):
        main(["--epochs", "-1"])
    assert "argument --epochs: must be a positive integer, got -1" in capsys.readouterr().err
