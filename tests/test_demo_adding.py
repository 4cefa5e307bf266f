"""The adding demo's --quick run on seed 0: the GRU leaves the 0.167 plateau at T = 25, and the files are written."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("matplotlib", reason="the demos need the demos extra: pip install -e '.[demos]'")


def test_adding_quick(tmp_path):
    import demos.adding

    m = demos.adding.main(["--quick", "--seed", "0", "--out", str(tmp_path)])
    assert set(json.loads((tmp_path / "metrics.json").read_text())) == set(m)
    assert m["T"] == 25
    mse = m["final_mse"]
    # The baseline is the plateau: always answering 1, the mean of the target, scores 2/12 = 0.167.
    # The GRU goes far below it: 0.0010 on seed 0 (0.001-0.002 on seeds 0-2), below 0.01 by step 175.
    assert mse["GRU"] < 0.2 * m["plateau_mse"] and mse["GRU"] < 0.01
    assert m["steps_to_mse_0.01"]["GRU"] is not None
    # The tanh RNN never leaves the plateau (0.165 on seed 0), as the README says of the full run
    assert mse["tanh RNN"] > 0.8 * m["plateau_mse"] and m["steps_to_mse_0.01"]["tanh RNN"] is None
    assert (tmp_path / "learning_curves.png").stat().st_size > 20_000


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--T", "1"], "argument --T: must be a whole number of at least 2 (one marked number in each half"),
        (["--steps", "0"], "argument --steps: must be a positive integer, got 0"),
        (["--seed", "-1"], "argument --seed: must be a non-negative integer, got -1"),
        (["--T", "many"], "argument --T: must be a whole number of at least 2"),
    ],
)
def test_adding_bad_arguments(argv, message, tmp_path, capsys):
    import demos.adding

    with pytest.raises(SystemExit) as e:
        demos.adding.main([*argv, "--out", str(tmp_path)])
    assert e.value.code == 2
    assert message in capsys.readouterr().err
