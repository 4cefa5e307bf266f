"""The agreement demo's --quick run on seed 0: at a short gap every cell learns "was"/"were"; at gap 20 only the
LSTM whose forget gate starts open carries the subject's number across, and the files are written."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("matplotlib", reason="the demos need the demos extra: pip install -e '.[demos]'")


def test_agreement_quick(tmp_path):
    import demos.agreement

    m = demos.agreement.main(["--quick", "--seed", "0", "--out", str(tmp_path)])
    assert set(json.loads((tmp_path / "metrics.json").read_text())) == set(m)
    assert m["gaps"] == [2, 20] and m["steps"] == 300
    acc, chance = m["accuracy"], m["majority_accuracy"]
    # chance, measured: always answering the test set's more frequent number (0.50-0.55 here)
    assert all(c < 0.6 for c in chance.values())
    for name in demos.agreement.MODELS:  # gap 2: every cell is at 100% on seed 0
        assert acc[name]["2"] > chance["2"] + 0.35, name
    # Gap 20: the forget-bias LSTM ends at 99.7-100% on seeds 0-3, the tanh RNN at 49-55% and the default LSTM
    # at 58% on seed 0: at chance, as the README says of gaps 25 and 50 in the full run.
    assert acc["LSTM, forget bias 3"]["20"] > chance["20"] + 0.35
    assert acc["tanh RNN"]["20"] < chance["20"] + 0.15
    assert acc["LSTM"]["20"] < chance["20"] + 0.15  # the same weights with the forget gate half shut
    assert (tmp_path / "accuracy_vs_gap.png").stat().st_size > 20_000


def test_the_distractors_do_not_give_the_answer_away():
    """The nearest noun's number is independent of the label (seq.datasets.agreement makes it the opposite)."""
    from demos.agreement import sentences
    from seq.datasets import PLURAL_NOUNS, PROPER_NAMES, SINGULAR_NOUNS

    def nearest_noun_is_plural(tokens):
        for w in reversed(tokens[2:]):
            if w in PLURAL_NOUNS or w in SINGULAR_NOUNS or w in PROPER_NAMES:
                return w in PLURAL_NOUNS
        return None

    examples = sentences(2000, gap=10, seed=0)
    assert all(ex.gap == 10 and len(ex.tokens) == 12 for ex in examples)
    same = [nearest_noun_is_plural(ex.tokens) == bool(ex.label) for ex in examples]
    assert 0.45 < sum(same) / len(same) < 0.55  # a coin flip, not a shortcut
    assert 0.45 < sum(ex.label for ex in examples) / len(examples) < 0.55  # balanced labels
    assert sentences(50, 10, seed=3) == sentences(50, 10, seed=3)  # deterministic under the seed


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--gaps", "2,ten"], "argument --gaps: takes comma-separated whole numbers such as 2,10,25,50"),
        (["--gaps=-1,2"], "argument --gaps: must be non-negative word counts"),
        (["--steps", "0"], "argument --steps: must be a positive integer, got 0"),
        (["--seed", "-1"], "argument --seed: must be a non-negative integer, got -1"),
    ],
)
def test_agreement_bad_arguments(argv, message, tmp_path, capsys):
    import demos.agreement

    with pytest.raises(SystemExit) as e:
        demos.agreement.main([*argv, "--out", str(tmp_path)])
    assert e.value.code == 2
    assert message in capsys.readouterr().err


def test_gap_list():
    from demos.agreement import gap_list

    assert gap_list("25,2,10,2") == (2, 10, 25)
