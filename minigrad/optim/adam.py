"""Adam and AdamW: momentum on the gradient plus a per-coordinate step size (``torch.optim.Adam/AdamW``)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from minigrad.optim.optimizer import Optimizer, lerp_
from minigrad.tensor import Tensor


class Adam(Optimizer):
    r"""Adam (Kingma & Ba, 2015), PyTorch's update rule exactly.

    For each parameter θ with gradient g, at step t = 1, 2, ... (learning rate γ, betas β₁ β₂,
    weight decay λ)::

        g ← -g                                   if maximize
        θ ← θ (1 - γ λ)                          if λ ≠ 0 and decoupled_weight_decay  (AdamW)
        g ← g + λ θ                              if λ ≠ 0 otherwise                   (L2 penalty)
        m ← β₁ m + (1 - β₁) g                    first moment  (course: v_dW)
        v ← β₂ v + (1 - β₂) g²                   second moment (course: s_dW)
        v̂max ← max(v̂max, v)                      if amsgrad; then use v̂max for v below
        θ ← θ - (γ / (1 - β₁ᵗ)) · m / (√v / √(1 - β₂ᵗ) + ε)

    The bias corrections divide m by 1 - β₁ᵗ and v by 1 - β₂ᵗ (both start at 0). Note where ε goes:
    it is added to the *corrected* √v̂, i.e. ``√v / √(1 - β₂ᵗ) + ε``, not to √v before the correction.

    Args:
        params: tensors to optimize, or dicts of parameter groups.
        lr: learning rate γ.
        betas: (β₁, β₂), the decay rates of the two moving averages, each in [0, 1).
        eps: ε, added to the denominator for numerical stability.
        weight_decay: λ; an L2 penalty added to the gradient (or, with ``decoupled_weight_decay``,
            a shrink of θ itself: that is AdamW).
        amsgrad: use the running maximum of v (Reddi et al., 2018).
        maximize: ascend the objective instead of descending it.
        decoupled_weight_decay: decay θ directly instead of adding λ θ to the gradient (AdamW).

    State per parameter: ``step`` (an int), ``exp_avg`` (m), ``exp_avg_sq`` (v), and
    ``max_exp_avg_sq`` with amsgrad.
    """

    def __init__(
        self,
        params: Iterable[Tensor] | Iterable[dict[str, Any]],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        decoupled_weight_decay: bool = False,
    ) -> None:
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= betas[0] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
        if not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = {
            "lr": lr,
            "betas": tuple(betas),
            "eps": eps,
            "weight_decay": weight_decay,
            "amsgrad": amsgrad,
            "maximize": maximize,
            "decoupled_weight_decay": decoupled_weight_decay,
        }
        super().__init__(params, defaults)

    def _update(self, group: dict[str, Any], p: Tensor, grad: np.ndarray, state: dict[str, Any]) -> None:
        lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
        weight_decay = group["weight_decay"]
        if not state:
            state["step"] = 0
            state["exp_avg"] = np.zeros_like(p.data)
            state["exp_avg_sq"] = np.zeros_like(p.data)
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = np.zeros_like(p.data)
        exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]

        g = -grad if group["maximize"] else grad
        state["step"] += 1
        step = state["step"]
        if weight_decay != 0:
            if group["decoupled_weight_decay"]:
                p.data *= 1 - lr * weight_decay  # θ ← θ (1 - γ λ)
            else:
                g = g + weight_decay * p.data  # g ← g + λ θ
        lerp_(exp_avg, g, 1 - beta1)  # m ← β₁ m + (1 - β₁) g
        exp_avg_sq *= beta2
        exp_avg_sq += (1 - beta2) * g * g  # v ← β₂ v + (1 - β₂) g²

        bias_correction1 = 1 - beta1**step
        bias_correction2 = 1 - beta2**step
        step_size = lr / bias_correction1
        if group["amsgrad"]:
            max_exp_avg_sq = state["max_exp_avg_sq"]
            np.maximum(max_exp_avg_sq, exp_avg_sq, out=max_exp_avg_sq)
            v = max_exp_avg_sq
        else:
            v = exp_avg_sq
        denom = np.sqrt(v) / bias_correction2**0.5 + eps  # √v̂ + ε
        p.data += (-step_size * exp_avg) / denom  # θ ← θ - γ m̂ / (√v̂ + ε)


class AdamW(Adam):
    r"""Adam with decoupled weight decay (Loshchilov & Hutter, 2019), PyTorch's ``AdamW``.

    The same rule as ``Adam`` except for the weight decay, which shrinks θ directly before the
    Adam step instead of being added to the gradient (so it is not rescaled by 1 / √v̂)::

        θ ← θ (1 - γ λ)
        m ← β₁ m + (1 - β₁) g
        v ← β₂ v + (1 - β₂) g²
        θ ← θ - (γ / (1 - β₁ᵗ)) · m / (√v / √(1 - β₂ᵗ) + ε)

    Args:
        params: tensors to optimize, or dicts of parameter groups.
        lr: learning rate γ.
        betas: (β₁, β₂), each in [0, 1).
        eps: ε, added to the denominator.
        weight_decay: λ, the decoupled decay (default 1e-2, as PyTorch).
        amsgrad: use the running maximum of v.
        maximize: ascend the objective instead of descending it.
    """

    def __init__(
        self,
        params: Iterable[Tensor] | Iterable[dict[str, Any]],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize, decoupled_weight_decay=True)
