"""The forecast demo's --quick run on seed 0: the recurrent models beat the baselines, and its files are written."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("matplotlib", reason="the demos need the demos extra: pip install -e '.[demos]'")


def test_forecast_quick(tmp_path):
    import demos.forecast

    m = demos.forecast.main(["--quick", "--seed", "0", "--out", str(tmp_path)])
    assert set(json.loads((tmp_path / "metrics.json").read_text())) == set(m)
    r = m["results"]
    best = r[m["best_model"]]
    naive, seasonal = r["naive (last value)"], r["seasonal naive (one period ago)"]
    # Seed 0 gives naive / best = 8.7 on the one-step MSE; 4 leaves room for platform differences.
    assert m["naive_over_best_one_step_mse"] > 4
    assert best["one_step_mse"] < naive["one_step_mse"] / 4
    assert best["one_step_mse"] < 0.8 * seasonal["one_step_mse"]  # 0.018 vs 0.032 on seed 0
    assert best["multi_step_mse"] < 0.8 * seasonal["multi_step_mse"]  # 12 steps ahead: 0.015-0.017 vs 0.034
    assert best["one_step_mse"] > 0.5 * m["noise_floor_mse"]  # nobody predicts the noise: a leak would show here
    for cell in ("GRU", "LSTM"):
        first, last = m["train_loss"][cell]
        assert last < 0.2 * first
    assert len(best["mse_by_step"]) == m["horizon"] == 12
    assert (tmp_path / "forecast.png").stat().st_size > 20_000


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--horizon", "13"], "at most the period"),
        (["--epochs", "0"], "argument --epochs: must be a positive integer, got 0"),
        (["--length", "50"], "too short"),
        (["--lr", "-1"], "argument --lr: must be a positive number, got -1"),
        (["--seed", "-3"], "argument --seed: must be a non-negative integer, got -3"),
    ],
)
def test_forecast_bad_arguments(argv, message, capsys, tmp_path):
    import demos.forecast

    with pytest.raises(SystemExit) as e:
        demos.forecast.main([*argv, "--out", str(tmp_path)])
    assert e.value.code == 2
    assert message in capsys.readouterr().err
