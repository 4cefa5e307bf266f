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
    assert mse["GRU"] < 0.03  # 0.0010 on seed 0 (0.001-0.002 on seeds 0-3): far below the plateau of 0.167
    assert mse["GRU"] < 0.2 * m["plateau_mse"]
    assert m["steps_to_mse_0.01"]["GRU"] is not None
    for name in mse:  # nobody ends above the plateau: everyone learnt at least to answer the mean
        assert mse[name] < 0.2, name
    assert (tmp_path / "learning_curves.png").stat().st_size > 20_000


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--T", "1"], "--T must be at least 2"),
        (["--steps", "0"], "--steps must be at least 1"),
        (["--seed", "-1"], "--seed must be a non-negative integer"),
        (["--T", "many"], None),
    ],
)
def test_adding_bad_arguments(argv, message, tmp_path):
    import demos.adding

    with pytest.raises(SystemExit, match=message):
        demos.adding.main([*argv, "--out", str(tmp_path)])
