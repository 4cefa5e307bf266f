"""Initialisations the course mentions for recurrent weights.

- ``identity_``: the IRNN of Le, Jaitly & Hinton (2015): a ReLU RNN whose recurrent matrix starts as
  the identity and biases at zero, so a<t> = relu(a<t-1> + W x<t>) copies the state forward at first.
- ``orthogonal_recurrent_``: each gate's recurrent block an orthogonal matrix (all singular values 1),
  so repeated products neither shrink nor blow up at the start of training.
- ``forget_bias_``: start an LSTM's forget gates open (Jozefowicz et al. 2015; Keras' unit_forget_bias).
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import minigrad
from minigrad.nn import Module, init
from seq import cells, layers
from seq.cells import set_forget_bias


def _recurrent_weights(module: Module, name: str) -> list:
    """(weight_ih, weight_hh, bias_ih, bias_hh) of every layer and direction of a cell or a layer."""
    if isinstance(module, cells._CellBase):
        return [(module.weight_ih, module.weight_hh, module.bias_ih, module.bias_hh)]
    if not isinstance(module, layers._RNNBase):
        raise TypeError(
            f"{name} initialises seq's recurrent cells and layers (RNN, GRU, LSTM, MinimalGRU and their cells), "
            f"got {type(module).__name__}"
        )
    return [
        module.weights(layer, reverse)
        for layer in range(module.num_layers)
        for reverse in (False, True)[: module.num_directions]
    ]


def identity_(module: Module, input_std: float = 0.001, generator: Any = None) -> Module:
    """IRNN initialisation for an ``RNN``/``RNNCell`` (use it with ``nonlinearity="relu"``).

    W_hh = I, biases 0, W_ih ~ N(0, input_std²). Returns the module.
    """
    weights = _recurrent_weights(module, "identity_")
    if module.gates != 1:
        raise ValueError("identity_ is for plain RNNs (one gate); for a GRU or an LSTM use orthogonal_recurrent_")
    _check_number("input_std", input_std, minimum=0.0)
    for w_ih, w_hh, b_ih, b_hh in weights:
        init.eye_(w_hh)
        init.normal_(w_ih, 0.0, input_std, generator=generator)
        for b in (b_ih, b_hh):
            if b is not None:
                init.zeros_(b)
    return module


def orthogonal_recurrent_(module: Module, gain: float = 1.0, generator: Any = None) -> Module:
    """Make each gate's (H, H) block of every ``weight_hh`` orthogonal. Returns the module."""
    _check_number("gain", gain)
    for _, w_hh, _, _ in _recurrent_weights(module, "orthogonal_recurrent_"):
        H = w_hh.shape[1]
        for g in range(w_hh.shape[0] // H):
            block = minigrad.Tensor(w_hh.data[g * H : (g + 1) * H].copy())
            init.orthogonal_(block, gain=gain, generator=generator)
            with minigrad.no_grad():
                w_hh[g * H : (g + 1) * H] = block
    return module


def forget_bias_(module: Module, value: float = 1.0) -> Module:
    """Set b_if + b_hf = ``value`` in every layer and direction of an ``LSTM``/``LSTMCell``. Returns the module."""
    weights = _recurrent_weights(module, "forget_bias_")
    if module.gates != 4:
        raise ValueError(f"forget_bias_ is for LSTMs (a forget gate), got {type(module).__name__}")
    _check_number("value", value)
    for _, _, b_ih, b_hh in weights:
        if b_ih is None:
            raise ValueError("this LSTM has no biases (bias=False): forget_bias_ has nothing to set")
        set_forget_bias(b_ih, b_hh, value)
    return module


def _check_number(name: str, value: Any, minimum: float = -math.inf) -> None:
    """A finite real number (not a bool) at least ``minimum``, or a clear error."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} should be a number, got: {type(value).__name__}")
    if not math.isfinite(value) or value < minimum:
        bound = "" if minimum == -math.inf else f" and at least {minimum}"
        raise ValueError(f"{name} must be finite{bound}, got {value}")
