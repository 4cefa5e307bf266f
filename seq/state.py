"""Recurrent state handling."""

from __future__ import annotations

from typing import Any

from minigrad import Tensor


def detach_state(state: Any) -> Any:
    """Cut the hidden state from the graph (a tensor, or a tuple/list of them, as an LSTM's (h, c)).

    Truncated BPTT: carry the values into the next window, but not the graph, so backward stops here.
    """
    if state is None:
        return None
    if isinstance(state, Tensor):
        return state.detach()
    if isinstance(state, tuple | list):
        return type(state)(detach_state(s) for s in state)
    raise TypeError(f"detach_state expects a Tensor or a tuple/list of Tensors, got {type(state).__name__}")
