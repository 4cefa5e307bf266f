"""RMSprop: divide the gradient by a running root-mean-square of past gradients (``torch.optim.RMSprop``)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from minigrad.optim.optimizer import Optimizer, lerp_
from minigrad.tensor import Tensor


class RMSprop(Optimizer):
    r"""RMSprop (Hinton's lecture 6e), PyTorch's update rule exactly.

    For each parameter θ with gradient g (learning rate γ, smoothing α, momentum μ, weight decay λ)::

        g ← -g                               if maximize
        g ← g + λ θ                          if λ ≠ 0
        v ← α v + (1 - α) g²                 (course: s_dW, with β₂ = α)
        ḡ ← α ḡ + (1 - α) g                  if centered
        d ← √(v - ḡ²) + ε                    if centered,  else  d ← √v + ε
        b ← μ b + g / d;  θ ← θ - γ b        if μ > 0
        θ ← θ - γ g / d                      otherwise

    ε is added after the square root; there is no bias correction (v starts at 0).

    Args:
        params: tensors to optimize, or dicts of parameter groups.
        lr: learning rate γ.
        alpha: smoothing constant α of the running mean of g².
        eps: ε, added to the denominator.
        weight_decay: L2 penalty λ.
        momentum: momentum factor μ.
        centered: subtract the squared running mean of g (an estimate of the variance).
        maximize: ascend the objective instead of descending it.

    State per parameter: ``step``, ``square_avg`` (v), ``momentum_buffer`` (b, if μ > 0),
    ``grad_avg`` (ḡ, if centered).
    """

    def __init__(
        self,
        params: Iterable[Tensor] | Iterable[dict[str, Any]],
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        centered: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= momentum:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= alpha:
            raise ValueError(f"Invalid alpha value: {alpha}")
        defaults = {
            "lr": lr,
            "alpha": alpha,
            "eps": eps,
            "weight_decay": weight_decay,
            "momentum": momentum,
            "centered": centered,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def _update(self, group: dict[str, Any], p: Tensor, grad: np.ndarray, state: dict[str, Any]) -> None:
        lr, alpha, eps = group["lr"], group["alpha"], group["eps"]
        weight_decay, momentum = group["weight_decay"], group["momentum"]
        if not state:
            state["step"] = 0
            state["square_avg"] = np.zeros_like(p.data)
            if momentum > 0:
                state["momentum_buffer"] = np.zeros_like(p.data)
            if group["centered"]:
                state["grad_avg"] = np.zeros_like(p.data)
        square_avg = state["square_avg"]

        g = -grad if group["maximize"] else grad
        state["step"] += 1
        if weight_decay != 0:
            g = g + weight_decay * p.data
        square_avg *= alpha
        square_avg += (1 - alpha) * g * g  # v ← α v + (1 - α) g²
        if group["centered"]:
            grad_avg = state["grad_avg"]
            lerp_(grad_avg, g, 1 - alpha)  # ḡ ← α ḡ + (1 - α) g
            avg = np.sqrt(square_avg - grad_avg * grad_avg)  # √(v - ḡ²)
        else:
            avg = np.sqrt(square_avg)
        avg += eps
        if momentum > 0:
            buf = state["momentum_buffer"]
            buf *= momentum
            buf += g / avg  # b ← μ b + g / d
            p.data -= lr * buf
        else:
            p.data += (-lr * g) / avg  # θ ← θ - γ g / d
