"""The Optimizer base class: parameter groups, per-parameter state, zero_grad, state_dict.

An optimizer holds a list of *parameter groups*. Each group is a dict with the key ``"params"`` (a list of
tensors) and one entry per hyperparameter (``"lr"``, ``"momentum"``, ...); options a group does not give are
filled in from ``defaults``. ``state[p]`` is a dict of what the update rule keeps between steps for the
parameter ``p`` (a momentum buffer, Adam's moments, a step count), made at the first step that sees a
gradient for ``p``.

A subclass writes only ``__init__`` (check the hyperparameters, call ``super().__init__(params, defaults)``)
and ``_update(group, p, grad, state)``, the rule for one parameter. ``step`` loops over the groups and the
parameters that have a gradient and calls it. The rule writes the new values into ``p.data`` in place, so
no graph is recorded and the parameter keeps its dtype and memory.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from minigrad.autograd import enable_grad, no_grad
from minigrad.tensor import Tensor


class Optimizer:
    """Base class of every optimizer, shaped like ``torch.optim.Optimizer``.

    Args:
        params: an iterable of tensors, or of dicts each with ``"params"`` (tensors) and the options of
            that group (``[{"params": encoder, "lr": 1e-4}, {"params": head}]``).
        defaults: the default value of every option, used where a group does not give one.

    Attributes:
        param_groups: the list of groups; each a dict with ``"params"`` and every option filled in.
        defaults: the dict given to the constructor.
        state: ``state[p]`` is the dict the update rule keeps for parameter ``p``.
    """

    def __init__(self, params: Iterable[Any], defaults: dict[str, Any]) -> None:
        if isinstance(params, Tensor):
            raise TypeError(
                "params argument given to the optimizer should be an iterable of Tensors or dicts, but got "
                "a Tensor: pass a list, e.g. SGD([w, b], lr=0.1)"
            )
        self.defaults = defaults
        self.state: dict[Tensor, dict[str, Any]] = {}
        self.param_groups: list[dict[str, Any]] = []
        groups = list(params)
        if len(groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines.extend(f"    {key}: {group[key]}" for key in sorted(group) if key != "params")
        return "\n".join([*lines, ")"])

    # ------------------------------------------------------------------------------------------
    # Parameter groups
    # ------------------------------------------------------------------------------------------

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters, e.g. layers unfrozen while fine-tuning.

        Args:
            param_group: a dict with ``"params"`` (a tensor or an ordered collection of tensors) and any
                options that differ from ``defaults``.

        Raises:
            TypeError: not a dict, params given as a set, or a param that is not a float Tensor.
            ValueError: a non-leaf tensor, or a parameter that appears twice (in this group or another).
        """
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        group = dict(param_group)
        params = group.get("params")
        if params is None:
            raise ValueError("a parameter group needs the key 'params' (a list of tensors)")
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set | frozenset):
            raise TypeError(
                "optimizer parameters need to be organized in ordered collections, but the ordering of "
                "tensors in sets will change between runs. Please use a list instead."
            )
        group["params"] = params = list(params)

        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(f"optimizer can only optimize Tensors, but one of the params is {type(p).__name__}")
            if p.data.dtype.kind != "f":
                raise TypeError(
                    f"optimizer can only optimize Tensors of floating point dtype, but one of the params "
                    f"has dtype {p.data.dtype}: make it float, e.g. Tensor(data.astype(np.float32), "
                    "requires_grad=True)"
                )
            if not p.is_leaf:
                raise ValueError(
                    "can't optimize a non-leaf Tensor: a parameter must be a tensor you created (a leaf), "
                    "not the result of an op; use p.detach().requires_grad_() to make one"
                )

        if len({id(p) for p in params}) != len(params):
            raise ValueError(
                "optimizer contains a parameter group with duplicate parameters: list each tensor once "
                "(PyTorch only warns here; a duplicate would be updated twice per step)"
            )
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in params):
            raise ValueError("some parameters appear in more than one parameter group")

        for name, default in self.defaults.items():
            group.setdefault(name, default)
        self.param_groups.append(group)

    # ------------------------------------------------------------------------------------------
    # Gradients and the step
    # ------------------------------------------------------------------------------------------

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear the gradients of every parameter before the next backward pass.

        Args:
            set_to_none: set ``p.grad = None`` (the default, as PyTorch: the step then skips the
                parameter if no new gradient arrives) instead of filling it with zeros.
        """
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    p.grad[...] = 0

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient, once.

        Args:
            closure: optional; recomputes the loss (zero_grad, forward, backward) and returns it. It is
                called with the graph recorded, before the update.

        Returns:
            The closure's loss, or None.
        """
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        with no_grad():  # the rules write .data directly; nothing they do belongs in a graph
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is None:
                        continue  # a parameter that took no part in the loss is left as it is
                    grad = np.asarray(p.grad)
                    if grad.shape != p.data.shape:
                        raise RuntimeError(
                            f"the gradient of a parameter has shape {grad.shape}, but the parameter has "
                            f"shape {p.data.shape}"
                        )
                    state = self.state.setdefault(p, {})
                    self._update(group, p, grad, state)
                    if not state:  # a rule that keeps nothing (plain SGD): no entry, as PyTorch
                        del self.state[p]
        return loss

    def _update(self, group: dict[str, Any], p: Tensor, grad: np.ndarray, state: dict[str, Any]) -> None:
        """Apply the update rule to one parameter (``grad`` is ``p.grad``; change ``p.data`` in place)."""
        raise NotImplementedError(f"{type(self).__name__} must define _update(group, p, grad, state)")

    # ------------------------------------------------------------------------------------------
    # Checkpoints
    # ------------------------------------------------------------------------------------------

    def state_dict(self) -> dict[str, Any]:
        """The optimizer's state in PyTorch's layout, as plain arrays, numbers and strings.

        Returns:
            ``{"state": {index: {name: array or number}}, "param_groups": [{option: value, "params":
            [index, ...]}]}``. Parameters are numbered 0, 1, ... in the order of the groups; ``state``
            has an entry only for parameters that have state. Arrays are copies: a later step does not
            change a saved state dict.
        """
        index: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            packed = {key: value for key, value in group.items() if key != "params"}
            packed["params"] = []
            for p in group["params"]:
                index.setdefault(id(p), len(index))
                packed["params"].append(index[id(p)])
            groups.append(packed)
        state = {
            index[id(p)]: {name: _copy_value(value) for name, value in s.items()}
            for p, s in self.state.items()
            if id(p) in index
        }
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore the state saved by ``state_dict``, so training continues exactly where it stopped.

        Args:
            state_dict: what ``state_dict()`` returned (integer or digit-string parameter indices).

        Raises:
            ValueError: the number of groups, or of parameters in a group, differs from this optimizer's.
        """
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(
                f"loaded state dict has a different number of parameter groups ({len(saved_groups)}) than "
                f"this optimizer ({len(self.param_groups)}): build the optimizer with the same groups"
            )
        for i, (group, saved) in enumerate(zip(self.param_groups, saved_groups, strict=True)):
            if len(group["params"]) != len(saved["params"]):
                raise ValueError(
                    f"loaded state dict contains a parameter group that doesn't match the size of "
                    f"optimizer's group: group {i} has {len(saved['params'])} params in the state dict, "
                    f"{len(group['params'])} here"
                )
        saved_state = {int(k): v for k, v in state_dict["state"].items()}

        new_state: dict[Tensor, dict[str, Any]] = {}
        new_groups = []
        for group, saved in zip(self.param_groups, saved_groups, strict=True):
            for p, k in zip(group["params"], saved["params"], strict=True):
                if int(k) in saved_state:
                    new_state[p] = {name: _cast_value(value, p, name) for name, value in saved_state[int(k)].items()}
            options = {key: value for key, value in saved.items() if key != "params"}
            for key, value in options.items():
                if isinstance(self.defaults.get(key), tuple) and isinstance(value, list):
                    options[key] = tuple(value)  # betas saved through a format without tuples
            new_groups.append({**options, "params": group["params"]})
        self.state = new_state
        self.param_groups = new_groups


def lerp_(start: np.ndarray, end: np.ndarray, weight: float) -> None:
    """``start += weight * (end - start)`` in place, rounded as PyTorch's ``lerp_`` (for bit-level parity).

    Mathematically ``start ← (1 - weight) start + weight end``: the running averages of Adam and RMSprop.
    """
    if abs(weight) < 0.5:
        start += weight * (end - start)
    else:
        start[...] = end - (end - start) * (1 - weight)


def _copy_value(value: Any) -> Any:
    return value.copy() if isinstance(value, np.ndarray) else value


def _cast_value(value: Any, p: Tensor, name: str) -> Any:
    """A saved state value for parameter ``p``: a fresh array of p's dtype (counters stay numbers)."""
    if isinstance(value, np.ndarray | list) and name != "step":
        array = np.array(value, dtype=p.data.dtype)
        if array.shape != p.data.shape:
            raise ValueError(
                f"state '{name}' of a parameter has shape {array.shape} in the state dict, but the parameter "
                f"has shape {p.data.shape}"
            )
        return array
    if isinstance(value, np.ndarray | np.generic):
        return value.item()
    return value
