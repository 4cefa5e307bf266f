"""Tests of minigrad.optim.lr_scheduler: learning-rate sequences by hand and against PyTorch, checkpoints."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import minigrad
from minigrad.optim import SGD, Adam
from minigrad.optim import lr_scheduler as sched


def make_optimizer(lrs=(0.1, 0.05)) -> SGD:
    groups = [{"params": [minigrad.Tensor(np.zeros(2), requires_grad=True)], "lr": lr} for lr in lrs]
    return SGD(groups, lr=lrs[0])


def lr_sequence(scheduler, steps: int = 30, metrics=None) -> list[list[float]]:
    """The learning rates after construction, then after each of ``steps`` calls to step()."""
    seq = [scheduler.get_last_lr()]
    for t in range(steps):
        scheduler.optimizer.step()
        if metrics is None:
            scheduler.step()
        else:
            scheduler.step(metrics[t])
        seq.append(scheduler.get_last_lr())
    return seq


def _half_lambda(epoch: int) -> float:
    return 0.5 ** (epoch // 4)


def _warmup_lambda(epoch: int) -> float:
    return min(1.0, (epoch + 1) / 5)


# A plateau, a drop, a plateau, noise: every branch of ReduceLROnPlateau is taken.
METRICS = [
    1.0,
    0.9,
    0.9,
    0.9,
    0.95,
    0.9,
    0.5,
    0.5,
    0.49999,
    0.6,
    0.7,
    0.8,
    0.4,
    0.4,
    0.4,
    0.4,
    0.4,
    0.4,
    0.3,
    0.3,
    0.2999,
    0.31,
    0.32,
    0.33,
    0.34,
    0.35,
    0.36,
    0.1,
    0.1,
    0.1,
]

# (class name, keyword arguments); the same on both sides.
SCHEDULES = [
    ("StepLR", {"step_size": 7, "gamma": 0.5}),
    ("StepLR", {"step_size": 1, "gamma": 0.9}),
    ("MultiStepLR", {"milestones": [3, 8, 8, 20], "gamma": 0.3}),
    ("ExponentialLR", {"gamma": 0.93}),
    ("CosineAnnealingLR", {"T_max": 10}),
    ("CosineAnnealingLR", {"T_max": 12, "eta_min": 0.001}),
    ("LambdaLR", {"lr_lambda": _half_lambda}),
    ("LambdaLR", {"lr_lambda": [_half_lambda, _warmup_lambda]}),
    ("LinearLR", {}),
    ("LinearLR", {"start_factor": 0.1, "end_factor": 1.0, "total_iters": 8}),
    ("LinearLR", {"start_factor": 1.0, "end_factor": 0.2, "total_iters": 12}),
    ("ReduceLROnPlateau", {"patience": 2, "factor": 0.5}),
    ("ReduceLROnPlateau", {"mode": "max", "patience": 1, "threshold": 0.05, "threshold_mode": "abs"}),
    ("ReduceLROnPlateau", {"patience": 0, "cooldown": 2, "min_lr": [0.02, 0.0], "factor": 0.3}),
    ("ReduceLROnPlateau", {"patience": 1, "threshold": 0.1, "min_lr": 0.004, "eps": 1e-3}),
]
IDS = [name + "-" + ",".join(f"{k}={getattr(v, '__name__', v)}" for k, v in kw.items()) for name, kw in SCHEDULES]


def metrics_for(name: str, kwargs: dict):
    if name != "ReduceLROnPlateau":
        return None
    return [-m for m in METRICS] if kwargs.get("mode") == "max" else METRICS


# --------------------------------------------------------------------------------------------------
# Parity with PyTorch
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "kwargs"), SCHEDULES, ids=IDS)
def test_lr_sequence_matches_pytorch(name, kwargs):
    torch = pytest.importorskip("torch")
    metrics = metrics_for(name, kwargs)
    ours = lr_sequence(getattr(sched, name)(make_optimizer(), **kwargs), metrics=metrics)
    tparams = [torch.zeros(2, requires_grad=True) for _ in range(2)]
    tgroups = [{"params": [tparams[0]], "lr": 0.1}, {"params": [tparams[1]], "lr": 0.05}]
    topt = torch.optim.SGD(tgroups, lr=0.1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = lr_sequence(getattr(torch.optim.lr_scheduler, name)(topt, **kwargs), metrics=metrics)
    assert ours == theirs  # float for float
    assert len({tuple(lrs) for lrs in ours}) > 1  # the schedule changed something


# --------------------------------------------------------------------------------------------------
# By hand
# --------------------------------------------------------------------------------------------------


def test_step_lr_by_hand():
    seq = lr_sequence(sched.StepLR(make_optimizer((1.0,)), step_size=3, gamma=0.5), steps=9)
    assert [lrs[0] for lrs in seq] == [1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.125]


def test_multistep_lr_by_hand():
    seq = lr_sequence(sched.MultiStepLR(make_optimizer((1.0,)), milestones=[2, 5, 5], gamma=0.1), steps=6)
    np.testing.assert_allclose([lrs[0] for lrs in seq], [1, 1, 0.1, 0.1, 0.1, 0.001, 0.001], rtol=1e-15)


def test_exponential_and_lambda_by_hand():
    seq = lr_sequence(sched.ExponentialLR(make_optimizer((2.0,)), gamma=0.9), steps=5)
    np.testing.assert_allclose([lrs[0] for lrs in seq], [2.0 * 0.9**t for t in range(6)], rtol=1e-14)
    seq = lr_sequence(sched.LambdaLR(make_optimizer((2.0,)), lr_lambda=lambda e: 1 / (e + 1)), steps=3)
    np.testing.assert_allclose([lrs[0] for lrs in seq], [2.0, 1.0, 2 / 3, 0.5], rtol=1e-15)


def test_cosine_follows_the_closed_form():
    lr, eta_min, t_max = 0.1, 0.01, 10
    seq = lr_sequence(sched.CosineAnnealingLR(make_optimizer((lr,)), T_max=t_max, eta_min=eta_min), steps=25)
    closed = [eta_min + (lr - eta_min) * (1 + math.cos(math.pi * t / t_max)) / 2 for t in range(26)]
    np.testing.assert_allclose([lrs[0] for lrs in seq], closed, rtol=1e-12, atol=1e-15)
    assert seq[t_max][0] == pytest.approx(eta_min) and seq[2 * t_max][0] == pytest.approx(lr)


def test_linear_warmup_by_hand():
    seq = lr_sequence(sched.LinearLR(make_optimizer((1.0,)), start_factor=0.25, total_iters=4), steps=6)
    expected = [0.25, 0.4375, 0.625, 0.8125, 1.0, 1.0, 1.0]  # base_lr · (s + (1 - s) min(t, 4) / 4)
    np.testing.assert_allclose([lrs[0] for lrs in seq], expected, rtol=1e-14)


def test_reduce_on_plateau_by_hand():
    opt = make_optimizer((1.0,))
    scheduler = sched.ReduceLROnPlateau(opt, patience=2, factor=0.5, cooldown=1)
    # best=1 | bad 1, bad 2 | bad 3 > patience: halve, cooldown 1 | cooldown (bad not counted) |
    # bad 1, bad 2 | bad 3: halve again | better: best = 0.5
    got = []
    for metric in [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.5]:
        scheduler.step(metric)
        got.append(opt.param_groups[0]["lr"])
    assert got == [1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25]
    assert scheduler.best == 0.5 and scheduler.num_bad_epochs == 0 and scheduler.last_epoch == 9


@pytest.mark.parametrize("mode", ["min", "max"])
@pytest.mark.parametrize("threshold_mode", ["rel", "abs"])
def test_reduce_on_plateau_an_equal_value_is_not_an_improvement(mode, threshold_mode):
    opt = make_optimizer((1.0,))
    scheduler = sched.ReduceLROnPlateau(opt, mode=mode, patience=0, threshold=0.0, threshold_mode=threshold_mode)
    scheduler.step(2.0)
    assert opt.param_groups[0]["lr"] == 1.0 and scheduler.best == 2.0
    scheduler.step(2.0)
    assert opt.param_groups[0]["lr"] == pytest.approx(0.1)


def test_reduce_on_plateau_respects_min_lr_and_eps():
    opt = make_optimizer((1.0, 1.0))
    scheduler = sched.ReduceLROnPlateau(opt, patience=0, factor=0.1, min_lr=[0.05, 0.0])
    for _ in range(4):
        scheduler.step(1.0)
    assert scheduler.get_last_lr() == [0.05, pytest.approx(1e-3)]
    opt = make_optimizer((1e-8,))
    scheduler = sched.ReduceLROnPlateau(opt, patience=0)
    scheduler.step(1.0)
    scheduler.step(1.0)
    assert opt.param_groups[0]["lr"] == 1e-8  # a change smaller than eps is skipped


# --------------------------------------------------------------------------------------------------
# The base class and checkpoints
# --------------------------------------------------------------------------------------------------


def test_constructor_sets_initial_lr_and_epoch_zero():
    opt = make_optimizer()
    scheduler = sched.ExponentialLR(opt, gamma=0.5)
    assert [g["initial_lr"] for g in opt.param_groups] == [0.1, 0.05]
    assert scheduler.base_lrs == [0.1, 0.05] and scheduler.last_epoch == 0
    assert scheduler.get_last_lr() == [0.1, 0.05]
    scheduler.step()
    assert scheduler.get_last_lr() == [0.05, 0.025] and scheduler.last_epoch == 1
    scheduler.get_last_lr().append(1.0)  # a copy: the scheduler is not changed
    assert len(scheduler.get_last_lr()) == 2


def test_a_schedule_drives_the_optimizers_steps():
    p = minigrad.Tensor(np.zeros(1), requires_grad=True)
    opt = SGD([p], lr=1.0)
    scheduler = sched.StepLR(opt, step_size=1, gamma=0.5)
    for _ in range(3):
        p.grad = np.ones(1)
        opt.step()
        scheduler.step()
    np.testing.assert_allclose(p.data, [-(1.0 + 0.5 + 0.25)])


@pytest.mark.parametrize(("name", "kwargs"), SCHEDULES, ids=IDS)
def test_state_dict_round_trip_continues_identically(name, kwargs):
    metrics = metrics_for(name, kwargs) or [None] * 30
    opt = make_optimizer()
    scheduler = getattr(sched, name)(opt, **kwargs)

    def advance(s, o, t):
        o.step()
        if metrics[t] is None:
            s.step()
        else:
            s.step(metrics[t])

    for t in range(12):
        advance(scheduler, opt, t)
    saved_sched, saved_opt = scheduler.state_dict(), opt.state_dict()
    for key, value in saved_sched.items():
        assert isinstance(key, str)
        assert all(isinstance(v, int | float | str) for v in (value if isinstance(value, list) else [value]))
    assert "optimizer" not in saved_sched and "lr_lambdas" not in saved_sched

    opt2 = make_optimizer()
    scheduler2 = getattr(sched, name)(opt2, **kwargs)  # the scheduler first, then the optimizer's state
    opt2.load_state_dict(saved_opt)
    scheduler2.load_state_dict(saved_sched)
    for t in range(12, 30):
        advance(scheduler, opt, t)
        advance(scheduler2, opt2, t)
        assert scheduler2.get_last_lr() == scheduler.get_last_lr()
        assert [g["lr"] for g in opt2.param_groups] == [g["lr"] for g in opt.param_groups]


def test_resuming_needs_initial_lr():
    with pytest.raises(KeyError, match="initial_lr"):
        sched.StepLR(make_optimizer(), step_size=2, last_epoch=4)
    opt = make_optimizer()
    for g in opt.param_groups:
        g["initial_lr"] = g["lr"]
    opt.param_groups[0]["lr"] = 0.07  # as restored from a checkpoint
    scheduler = sched.CosineAnnealingLR(opt, T_max=10, last_epoch=4)
    assert scheduler.last_epoch == 5 and scheduler.get_last_lr()[0] == 0.07  # resuming keeps the lr
    scheduler.step()
    ratio = (1 + math.cos(math.pi * 6 / 10)) / (1 + math.cos(math.pi * 5 / 10))
    assert scheduler.get_last_lr()[0] == pytest.approx(0.07 * ratio)


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("ExponentialLR", {"gamma": 0.5}),
        ("LinearLR", {"start_factor": 0.5, "total_iters": 10}),
        ("CosineAnnealingLR", {"T_max": 10}),
        ("StepLR", {"step_size": 4}),  # (epoch 6 is not a multiple of 4: StepLR would decay there)
    ],
)
def test_resuming_keeps_the_restored_lr_then_continues_as_pytorch(name, kwargs):
    def resumed(module, opt):
        for g in opt.param_groups:
            g["initial_lr"], g["lr"] = g["lr"], g["lr"] * 0.7  # as restored from a checkpoint at epoch 5
        return getattr(module, name)(opt, last_epoch=5, **kwargs)

    scheduler = resumed(sched, make_optimizer())
    assert scheduler.last_epoch == 6 and scheduler.get_last_lr() == [0.1 * 0.7, 0.05 * 0.7]
    torch = pytest.importorskip("torch")
    tparams = [torch.zeros(2, requires_grad=True) for _ in range(2)]
    topt = torch.optim.SGD([{"params": [tparams[0]], "lr": 0.1}, {"params": [tparams[1]], "lr": 0.05}])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = lr_sequence(resumed(torch.optim.lr_scheduler, topt), steps=10)
    assert lr_sequence(scheduler, steps=10) == theirs


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda: sched.StepLR(object(), step_size=2), TypeError, "object is not an Optimizer"),
        (lambda: sched.LinearLR(make_optimizer(), start_factor=0), ValueError, "greater than 0"),
        (lambda: sched.LinearLR(make_optimizer(), end_factor=1.5), ValueError, "between 0 and 1"),
        (lambda: sched.LambdaLR(make_optimizer(), [_half_lambda]), ValueError, "Expected 2 lr_lambdas, but"),
        (lambda: sched.ReduceLROnPlateau(make_optimizer(), factor=1.0), ValueError, "Factor should be < 1"),
        (lambda: sched.ReduceLROnPlateau(make_optimizer(), mode="low"), ValueError, "mode low is unknown"),
        (lambda: sched.ReduceLROnPlateau(make_optimizer(), threshold_mode="x"), ValueError, "threshold mode"),
        (lambda: sched.ReduceLROnPlateau(make_optimizer(), min_lr=[0.1]), ValueError, "expected 2 min_lrs"),
    ],
)
def test_clear_errors(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_load_state_dict_rejects_another_schedulers_state():
    state = sched.StepLR(make_optimizer(), step_size=3).state_dict()
    with pytest.raises(KeyError, match="another kind of scheduler"):
        sched.CosineAnnealingLR(make_optimizer(), T_max=5).load_state_dict(state)


def test_works_with_any_optimizer():
    p = minigrad.Tensor(np.zeros(2), requires_grad=True)
    opt = Adam([p], lr=0.01)
    scheduler = sched.LinearLR(opt, start_factor=0.5, total_iters=2)
    assert opt.param_groups[0]["lr"] == 0.005
    opt.step()
    scheduler.step()
    scheduler.step()
    assert opt.param_groups[0]["lr"] == pytest.approx(0.01)
