"""Stochastic gradient descent, with momentum, Nesterov momentum and L2 weight decay (``torch.optim.SGD``)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from minigrad.optim.optimizer import Optimizer
from minigrad.tensor import Tensor


class SGD(Optimizer):
    r"""Stochastic gradient descent, optionally with momentum: PyTorch's update rule, step by step.

    For each parameter θ with gradient g, at step t (learning rate γ, momentum μ, dampening τ,
    weight decay λ)::

        g ← -g                          if maximize
        g ← g + λ θ                     if λ ≠ 0          (L2 penalty: its gradient is added)
        if μ ≠ 0:
            b ← g                       at the first step  (the buffer starts at g, not at 0)
            b ← μ b + (1 - τ) g         afterwards
            g ← g + μ b                 if nesterov
            g ← b                       otherwise
        θ ← θ - γ g

    This is PyTorch's form of momentum (Sutskever et al.): the learning rate multiplies the buffer, so
    ``b`` is a sum of gradients, not of steps. The course's form ``v ← β v + (1 - β) g`` is dampening
    τ = β with μ = β, except that PyTorch's first buffer is g itself.

    Args:
        params: tensors to optimize, or dicts of parameter groups.
        lr: learning rate γ.
        momentum: momentum factor μ (0: plain SGD).
        dampening: dampening τ of the gradient in the buffer.
        weight_decay: L2 penalty λ.
        nesterov: Nesterov momentum (needs μ > 0 and τ = 0).
        maximize: ascend the objective instead of descending it.

    State per parameter: ``momentum_buffer`` (when μ ≠ 0).
    """

    def __init__(
        self,
        params: Iterable[Tensor] | Iterable[dict[str, Any]],
        lr: float = 1e-3,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "dampening": dampening,
            "weight_decay": weight_decay,
            "nesterov": nesterov,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def _update(self, group: dict[str, Any], p: Tensor, grad: np.ndarray, state: dict[str, Any]) -> None:
        lr, momentum, dampening = group["lr"], group["momentum"], group["dampening"]
        weight_decay = group["weight_decay"]

        g = -grad if group["maximize"] else grad
        if weight_decay != 0:
            g = g + weight_decay * p.data  # gradient of (λ/2) ||θ||²
        if momentum != 0:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = np.array(g, copy=True)  # b₁ = g₁
            else:
                buf *= momentum
                buf += (1 - dampening) * g  # b ← μ b + (1 - τ) g
            g = g + momentum * buf if group["nesterov"] else buf
        p.data -= lr * g  # θ ← θ - γ g
