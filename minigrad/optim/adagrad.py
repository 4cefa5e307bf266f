"""Adagrad: a per-coordinate step size shrinking with the sum of all past squared gradients."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from minigrad.optim.optimizer import Optimizer
from minigrad.tensor import Tensor


class Adagrad(Optimizer):
    r"""Adagrad (Duchi et al., 2011), PyTorch's update rule exactly.

    For each parameter θ with gradient g, at step t = 1, 2, ... (learning rate γ, learning-rate decay η,
    weight decay λ, initial accumulator value s₀)::

        g ← -g                          if maximize
        g ← g + λ θ                     if λ ≠ 0
        γₜ ← γ / (1 + (t - 1) η)
        s ← s + g²                      (s starts at s₀)
        θ ← θ - γₜ g / (√s + ε)

    Args:
        params: tensors to optimize, or dicts of parameter groups.
        lr: learning rate γ.
        lr_decay: η.
        weight_decay: L2 penalty λ.
        initial_accumulator_value: s₀, the starting value of the sum of squares.
        eps: ε, added to the denominator.
        maximize: ascend the objective instead of descending it.

    State per parameter (made in the constructor, as PyTorch): ``step`` and ``sum`` (s).
    """

    def __init__(
        self,
        params: Iterable[Tensor] | Iterable[dict[str, Any]],
        lr: float = 1e-2,
        lr_decay: float = 0.0,
        weight_decay: float = 0.0,
        initial_accumulator_value: float = 0.0,
        eps: float = 1e-10,
        *,
        maximize: bool = False,
    ) -> None:
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= lr_decay:
            raise ValueError(f"Invalid lr_decay value: {lr_decay}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= initial_accumulator_value:
            raise ValueError(f"Invalid initial_accumulator_value value: {initial_accumulator_value}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        defaults = {
            "lr": lr,
            "lr_decay": lr_decay,
            "eps": eps,
            "weight_decay": weight_decay,
            "initial_accumulator_value": initial_accumulator_value,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group, and make the state of its parameters now (``sum`` = s₀), as the constructor does."""
        super().add_param_group(param_group)
        group = self.param_groups[-1]
        for p in group["params"]:
            self._init_state(group, p, self.state.setdefault(p, {}))

    @staticmethod
    def _init_state(group: dict[str, Any], p: Tensor, state: dict[str, Any]) -> None:
        state["step"] = 0
        state["sum"] = np.full_like(p.data, group["initial_accumulator_value"])

    def _update(self, group: dict[str, Any], p: Tensor, grad: np.ndarray, state: dict[str, Any]) -> None:
        if not state:  # e.g. a state dict saved before this parameter had state
            self._init_state(group, p, state)
        lr, lr_decay, eps, weight_decay = group["lr"], group["lr_decay"], group["eps"], group["weight_decay"]
        state_sum = state["sum"]

        state["step"] += 1
        g = -grad if group["maximize"] else grad
        if weight_decay != 0:
            g = g + weight_decay * p.data
        clr = lr / (1 + (state["step"] - 1) * lr_decay)  # γₜ = γ / (1 + (t - 1) η)
        state_sum += g * g  # s ← s + g²
        std = np.sqrt(state_sum) + eps
        p.data += (-clr * g) / std  # θ ← θ - γₜ g / (√s + ε)
