"""Learning-rate schedules: change each group's ``"lr"`` once per epoch (``torch.optim.lr_scheduler``).

Use::

    scheduler = StepLR(optimizer, step_size=30, gamma=0.1)
    for epoch in range(100):
        train(...)             # optimizer.step() for every batch
        scheduler.step()       # after the optimizer's steps, once per epoch

Constructing a scheduler sets ``group["initial_lr"]`` (the base learning rate) and applies the
schedule's value at epoch 0. Most schedules here are written as PyTorch writes them: *recursively*,
each new lr computed from the group's current lr, so the sequence of learning rates matches PyTorch's
float for float (and another schedule or the user may change ``lr`` in between, as in PyTorch).
Each class docstring also gives the closed form the recursion follows.

``state_dict()`` holds numbers, strings and lists of numbers only (never the optimizer or a function),
so a checkpoint can be saved without pickle.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

from minigrad.optim.optimizer import Optimizer

__all__ = [
    "CosineAnnealingLR",
    "ExponentialLR",
    "LRScheduler",
    "LambdaLR",
    "LinearLR",
    "MultiStepLR",
    "ReduceLROnPlateau",
    "StepLR",
]


def _check_optimizer(optimizer: Any) -> None:
    if not isinstance(optimizer, Optimizer):
        raise TypeError(
            f"{type(optimizer).__name__} is not an Optimizer: pass the optimizer whose learning rates "
            "the schedule changes, e.g. StepLR(SGD(params, lr=0.1), step_size=10)"
        )


def _copy(value: Any) -> Any:
    return list(value) if isinstance(value, list | tuple) else value


class LRScheduler:
    """Base class of the schedules: keeps ``last_epoch`` and writes ``get_lr()`` into the groups.

    Args:
        optimizer: the optimizer whose ``param_groups[i]["lr"]`` the schedule sets.
        last_epoch: the index of the last epoch; -1 (the default) starts a new schedule. A value >= 0
            resumes one, and needs ``"initial_lr"`` in every group (restored with the optimizer).

    Attributes:
        base_lrs: the ``initial_lr`` of each group.
        last_epoch: how many times ``step()`` was called since epoch 0 (0 right after construction).

    A subclass defines ``get_lr()``: the list of learning rates at epoch ``last_epoch``.
    """

    _exclude_from_state: tuple[str, ...] = ("optimizer",)

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        _check_optimizer(optimizer)
        self.optimizer = optimizer
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        else:
            for i, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise KeyError(
                        f"param 'initial_lr' is not specified in param_groups[{i}] when resuming a scheduler "
                        "with last_epoch >= 0: load the optimizer's state dict first, or use last_epoch=-1 "
                        "for a new schedule"
                    )
        self.base_lrs: list[float] = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._step_count = 0
        self._is_initial = True  # the constructor's step: schedules that recurse keep the current lr
        self.step()
        self._is_initial = False

    def get_lr(self) -> list[float]:
        """The learning rate of each group at epoch ``last_epoch`` (called by ``step``)."""
        raise NotImplementedError(f"{type(self).__name__} must define get_lr()")

    def get_last_lr(self) -> list[float]:
        """The learning rates the last ``step()`` set, one per group (a copy)."""
        return list(self._last_lr)

    def step(self) -> None:
        """Advance one epoch: ``last_epoch += 1`` and set every group's ``lr`` to ``get_lr()``."""
        self._step_count += 1
        self.last_epoch += 1
        values = self.get_lr()
        for group, lr in zip(self.optimizer.param_groups, values, strict=True):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def state_dict(self) -> dict[str, Any]:
        """Everything the schedule keeps except the optimizer (and functions): numbers, strings, lists."""
        return {key: _copy(value) for key, value in self.__dict__.items() if key not in self._exclude_from_state}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore what ``state_dict()`` saved; the schedule then continues exactly where it stopped."""
        unknown = set(state_dict) - set(self.state_dict())
        if unknown:
            raise KeyError(
                f"unexpected keys {sorted(unknown)} in the state dict of {type(self).__name__}: "
                "was it saved from another kind of scheduler?"
            )
        self.__dict__.update({key: _copy(value) for key, value in state_dict.items()})


class LambdaLR(LRScheduler):
    """Each group's lr is its initial lr times a function of the epoch: ``lr = base_lr · f(epoch)``.

    Args:
        optimizer: the optimizer.
        lr_lambda: a function of the epoch (an int) returning a factor, or a list with one per group.
        last_epoch: the index of the last epoch (-1: start).

    ``state_dict()`` does not contain the functions (as PyTorch, which keeps only the attributes of
    callable objects): build the scheduler with the same functions, then load the state.
    """

    _exclude_from_state = ("optimizer", "lr_lambdas")

    def __init__(
        self,
        optimizer: Optimizer,
        lr_lambda: Callable[[int], float] | list[Callable[[int], float]],
        last_epoch: int = -1,
    ) -> None:
        _check_optimizer(optimizer)
        if isinstance(lr_lambda, list | tuple):
            if len(lr_lambda) != len(optimizer.param_groups):
                raise ValueError(
                    f"Expected {len(optimizer.param_groups)} lr_lambdas, but got {len(lr_lambda)}: "
                    "pass one function, or one per parameter group"
                )
            self.lr_lambdas = list(lr_lambda)
        else:
            self.lr_lambdas = [lr_lambda] * len(optimizer.param_groups)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        pairs = zip(self.lr_lambdas, self.base_lrs, strict=True)
        return [base_lr * lr_lambda(self.last_epoch) for lr_lambda, base_lr in pairs]


class StepLR(LRScheduler):
    """Multiply the lr by ``gamma`` every ``step_size`` epochs: ``lr = base_lr · γ^⌊epoch / step_size⌋``.

    Computed recursively, as PyTorch: at each nonzero multiple of ``step_size``, ``lr ← γ · lr``.

    Args:
        optimizer: the optimizer.
        step_size: period of the decay, in epochs.
        gamma: multiplicative factor γ.
        last_epoch: the index of the last epoch (-1: start).
    """

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1) -> None:
        self.step_size = step_size
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        groups = self.optimizer.param_groups
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return [group["lr"] for group in groups]
        return [group["lr"] * self.gamma for group in groups]


class MultiStepLR(LRScheduler):
    """Multiply the lr by ``gamma`` at each milestone: ``lr = base_lr · γ^(milestones passed)``.

    Computed recursively, as PyTorch: at an epoch listed k times in ``milestones``, ``lr ← γ^k · lr``.

    Args:
        optimizer: the optimizer.
        milestones: epoch indices, increasing.
        gamma: multiplicative factor γ.
        last_epoch: the index of the last epoch (-1: start).
    """

    def __init__(
        self, optimizer: Optimizer, milestones: Iterable[int], gamma: float = 0.1, last_epoch: int = -1
    ) -> None:
        self.milestones = sorted(int(m) for m in milestones)  # a list, not a Counter: a state dict of numbers
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        groups = self.optimizer.param_groups
        times = self.milestones.count(self.last_epoch)
        if times == 0:
            return [group["lr"] for group in groups]
        return [group["lr"] * self.gamma**times for group in groups]


class ExponentialLR(LRScheduler):
    """Multiply the lr by ``gamma`` every epoch: ``lr = base_lr · γ^epoch`` (recursively ``lr ← γ · lr``).

    Args:
        optimizer: the optimizer.
        gamma: multiplicative factor γ.
        last_epoch: the index of the last epoch (-1: start).
    """

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1) -> None:
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        groups = self.optimizer.param_groups
        if self._is_initial:
            return [group["lr"] for group in groups]
        return [group["lr"] * self.gamma for group in groups]


class CosineAnnealingLR(LRScheduler):
    r"""Anneal the lr from its initial value to ``eta_min`` along half a cosine over ``T_max`` epochs.

    The closed form (SGDR without restarts; T = epoch)::

        η_T = η_min + (η_max - η_min) (1 + cos(π T / T_max)) / 2

    computed, as PyTorch, by the recursion that gives the same values when nothing else changes the lr::

        η_T = η_min + (η_{T-1} - η_min) (1 + cos(π T / T_max)) / (1 + cos(π (T - 1) / T_max))

    except where the denominator vanishes (T - 1 - T_max a multiple of 2 T_max), where
    ``η_T = η_{T-1} + (η_max - η_min)(1 - cos(π / T_max)) / 2``. Past ``T_max`` the lr climbs back up
    (the cosine continues): it is not clamped.

    Args:
        optimizer: the optimizer.
        T_max: number of epochs of the half cosine.
        eta_min: η_min, the final learning rate.
        last_epoch: the index of the last epoch (-1: start).
    """

    def __init__(
        self,
        optimizer: Optimizer,
        T_max: int,  # PyTorch's name
        eta_min: float = 0.0,
        last_epoch: int = -1,
    ) -> None:
        self.T_max = T_max
        self.eta_min = eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        groups, t, t_max, eta_min = self.optimizer.param_groups, self.last_epoch, self.T_max, self.eta_min
        if self._is_initial:
            return [group["lr"] for group in groups]
        if (t - 1 - t_max) % (2 * t_max) == 0:  # the bottom of the cosine: the ratio would be 0 / 0
            return [
                group["lr"] + (base_lr - eta_min) * (1 - math.cos(math.pi / t_max)) / 2
                for base_lr, group in zip(self.base_lrs, groups, strict=True)
            ]
        ratio = (1 + math.cos(math.pi * t / t_max)) / (1 + math.cos(math.pi * (t - 1) / t_max))
        return [ratio * (group["lr"] - eta_min) + eta_min for group in groups]


class LinearLR(LRScheduler):
    r"""Warm-up (or decay): scale the lr by a factor going linearly from ``start_factor`` to ``end_factor``.

    The closed form: ``lr = base_lr · (s + (e - s) · min(epoch, total_iters) / total_iters)``; constant
    after ``total_iters``. Computed recursively, as PyTorch: at epoch 0 ``lr ← s · lr``, then for
    1 ≤ epoch ≤ total_iters::

        lr ← lr · (1 + (e - s) / (total_iters · s + (epoch - 1)(e - s)))

    Args:
        optimizer: the optimizer.
        start_factor: s, the factor at epoch 0, in (0, 1].
        end_factor: e, the factor from epoch ``total_iters`` on, in [0, 1].
        total_iters: number of epochs of the ramp.
        last_epoch: the index of the last epoch (-1: start).
    """

    def __init__(
        self,
        optimizer: Optimizer,
        start_factor: float = 1.0 / 3,
        end_factor: float = 1.0,
        total_iters: int = 5,
        last_epoch: int = -1,
    ) -> None:
        if start_factor > 1.0 or start_factor <= 0:
            raise ValueError(
                f"Starting multiplicative factor expected to be greater than 0 and less or equal to 1, "
                f"got start_factor={start_factor}."
            )
        if end_factor > 1.0 or end_factor < 0:
            raise ValueError(
                f"Ending multiplicative factor expected to be between 0 and 1, got end_factor={end_factor}."
            )
        self.start_factor = start_factor
        self.end_factor = end_factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        groups, s, e = self.optimizer.param_groups, self.start_factor, self.end_factor
        if self.last_epoch == 0:
            return [group["lr"] * s for group in groups]
        if self._is_initial or self.last_epoch > self.total_iters:
            return [group["lr"] for group in groups]
        ratio = 1.0 + (e - s) / (self.total_iters * s + (self.last_epoch - 1) * (e - s))
        return [group["lr"] * ratio for group in groups]


class ReduceLROnPlateau(LRScheduler):
    """Multiply the lr by ``factor`` when a metric has stopped improving for ``patience`` epochs.

    Call ``scheduler.step(metric)`` once per epoch with the validation loss (mode ``"min"``) or
    accuracy (mode ``"max"``). A value is an improvement when it beats the best so far by the threshold:

    - mode min, rel: ``metric < best · (1 - threshold)``;  abs: ``metric < best - threshold``
    - mode max, rel: ``metric > best · (1 + threshold)``;  abs: ``metric > best + threshold``

    After more than ``patience`` epochs without improvement, each group's lr becomes
    ``max(lr · factor, min_lr)`` (unless that changes it by less than ``eps``), and ``cooldown`` epochs
    follow during which bad epochs are not counted.

    Args:
        optimizer: the optimizer.
        mode: ``"min"`` or ``"max"``.
        factor: the factor of a reduction, < 1.
        patience: the number of epochs without improvement tolerated.
        threshold: how much better a value must be to count as an improvement.
        threshold_mode: ``"rel"`` or ``"abs"``.
        cooldown: epochs to wait after a reduction before counting bad epochs again.
        min_lr: a lower bound on the lr, for all groups or one per group.
        eps: a reduction smaller than this is skipped.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        mode: str = "min",
        factor: float = 0.1,
        patience: int = 10,
        threshold: float = 1e-4,
        threshold_mode: str = "rel",
        cooldown: int = 0,
        min_lr: float | list[float] = 0,
        eps: float = 1e-8,
    ) -> None:
        if factor >= 1.0:
            raise ValueError(f"Factor should be < 1.0, got factor={factor}.")
        _check_optimizer(optimizer)
        if mode not in {"min", "max"}:
            raise ValueError(f"mode {mode} is unknown! Use 'min' or 'max'.")
        if threshold_mode not in {"rel", "abs"}:
            raise ValueError(f"threshold mode {threshold_mode} is unknown! Use 'rel' or 'abs'.")
        self.optimizer = optimizer
        self.factor = factor
        if isinstance(min_lr, list | tuple):
            if len(min_lr) != len(optimizer.param_groups):
                raise ValueError(f"expected {len(optimizer.param_groups)} min_lrs, got {len(min_lr)}")
            self.min_lr_per_group = True
            self.default_min_lr = 0.0
            self.min_lrs = list(min_lr)
        else:
            self.min_lr_per_group = False
            self.default_min_lr = min_lr
            self.min_lrs = [min_lr] * len(optimizer.param_groups)
        self.patience = patience
        self.cooldown = cooldown
        self.eps = eps
        self.mode = mode
        self.threshold = threshold
        self.threshold_mode = threshold_mode
        self.mode_worse = math.inf if mode == "min" else -math.inf
        self.last_epoch = 0
        self._last_lr = [group["lr"] for group in optimizer.param_groups]
        self.best = self.mode_worse
        self.cooldown_counter = 0
        self.num_bad_epochs = 0

    def get_lr(self) -> list[float]:
        """The current learning rates (this schedule changes them only in ``step(metrics)``)."""
        return [group["lr"] for group in self.optimizer.param_groups]

    def step(self, metrics: float) -> None:  # type: ignore[override]
        """Record one epoch's metric, and reduce the learning rates if it has stopped improving."""
        current = float(metrics)
        self.last_epoch += 1
        if self._is_better(current, self.best):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0  # bad epochs during the cooldown are not counted
        if self.num_bad_epochs > self.patience:
            self._reduce_lr()
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    @property
    def in_cooldown(self) -> bool:
        return self.cooldown_counter > 0

    def _reduce_lr(self) -> None:
        groups = self.optimizer.param_groups
        if len(groups) != len(self.min_lrs):
            if self.min_lr_per_group:
                raise RuntimeError(
                    f"The number of param groups in the optimizer ({len(groups)}) differs from when "
                    f"ReduceLROnPlateau was initialized ({len(self.min_lrs)}), usually because a param group "
                    "was added to the optimizer: set the min_lrs field to one value per group."
                )
            self.min_lrs = [self.default_min_lr] * len(groups)
        for group, min_lr in zip(groups, self.min_lrs, strict=True):
            old_lr = float(group["lr"])
            new_lr = max(old_lr * self.factor, min_lr)
            if old_lr - new_lr > self.eps:
                group["lr"] = new_lr

    def _is_better(self, a: float, best: float) -> bool:
        if self.mode == "min" and self.threshold_mode == "rel":
            return a < best * (1.0 - self.threshold)
        if self.mode == "min":
            return a < best - self.threshold
        if self.threshold_mode == "rel":
            return a > best * (self.threshold + 1.0)
        return a > best + self.threshold
