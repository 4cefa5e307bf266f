"""Initialisations the course mentions for recurrent weights.

- ``identity_``: the IRNN of Le, Jaitly & Hinton (2015): a ReLU RNN whose recurrent matrix starts as
  the identity and biases at zero, so a<t> = relu(a<t-1> + W x<t>) copies the state forward at first.
- ``orthogonal_recurrent_``: each gate's recurrent block an orthogonal matrix (all singular values 1),
  so repeated products neither shrink nor blow up at the start of training.
- ``forget_bias_``: start an LSTM's forget gates open (Jozefowicz et al. 2015; Keras' unit_forget_bias).
"""

from __future__ import annotations

from typing import Any

import minigrad
from minigrad.nn import Module, init
from seq.cells import set_forget_bias


def _recurrent_weights(module: Module) -> list:
    """(weight_ih, weight_hh, bias_ih, bias_hh) of every layer and direction of a cell or a layer."""
    if hasattr(module, "weight_hh"):
        return [(module.weight_ih, module.weight_hh, module.bias_ih, module.bias_hh)]
    return [
        module.weights(layer, reverse)
        for layer in range(module.num_layers)
        for reverse in (False, True)[: module.num_directions]
    ]


def identity_(module: Module, input_std: float = 0.001, generator: Any = None) -> Module:
    """IRNN initialisation for an ``RNN``/``RNNCell`` (use it with ``nonlinearity="relu"``).

    W_hh = I, biases 0, W_ih ~ N(0, input_std²). Returns the module.
    """
    if getattr(module, "gates", 1) != 1:
        raise ValueError("identity_ is for plain RNNs (one gate); for a GRU or an LSTM use orthogonal_recurrent_")
    for w_ih, w_hh, b_ih, b_hh in _recurrent_weights(module):
        init.eye_(w_hh)
        init.normal_(w_ih, 0.0, input_std, generator=generator)
        for b in (b_ih, b_hh):
            if b is not None:
                init.zeros_(b)
    return module


def orthogonal_recurrent_(module: Module, gain: float = 1.0, generator: Any = None) -> Module:
    """Make each gate's (H, H) block of every ``weight_hh`` orthogonal. Returns the module."""
    for _, w_hh, _, _ in _recurrent_weights(module):
        H = w_hh.shape[1]
        for g in range(w_hh.shape[0] // H):
            block = minigrad.Tensor(w_hh.data[g * H : (g + 1) * H].copy())
            init.orthogonal_(block, gain=gain, generator=generator)
            with minigrad.no_grad():
                w_hh[g * H : (g + 1) * H] = block
    return module


def forget_bias_(module: Module, value: float = 1.0) -> Module:
    """Set b_if + b_hf = ``value`` in every direction of an ``LSTM``/``LSTMCell``. Returns the module."""
    if getattr(module, "gates", 0) != 4:
        raise ValueError("forget_bias_ is for LSTMs")
    for _, _, b_ih, b_hh in _recurrent_weights(module):
        if b_ih is None:
            raise ValueError("this LSTM has no biases (bias=False)")
        set_forget_bias(b_ih, b_hh, value)
    return module
