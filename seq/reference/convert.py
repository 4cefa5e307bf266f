"""Converters between the course's parameter dictionaries and ``seq``'s (PyTorch's) state dicts.

See ``seq.reference`` for the two layouts side by side.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from seq.reference.step_by_step import Parameters, _ba_key, _readout

# ================================================================================================
# Converters: the course's dictionaries <-> seq's (PyTorch's) state dicts
# ================================================================================================


def rnn_to_seq(parameters: Parameters) -> dict:
    """The course's RNN parameters as an ``seq.RNNCell`` state dict.

    ``weight_ih = Wax`` (H, D), ``weight_hh = Waa`` (H, H), ``bias_ih = ba`` flattened to (H,), and
    ``bias_hh = 0``: PyTorch keeps two biases whose sum is the course's one, so the course's bias goes
    to ``bias_ih`` and ``bias_hh`` is zero. The read-out (Wya, by) is ``readout_to_seq``'s.
    """
    ba = parameters[_ba_key(parameters)]
    return {
        "weight_ih": np.array(parameters["Wax"], dtype=np.float64),
        "weight_hh": np.array(parameters["Waa"], dtype=np.float64),
        "bias_ih": np.array(ba, dtype=np.float64).reshape(-1),  # (n_a, 1) -> (H,)
        "bias_hh": np.zeros(ba.shape[0]),
    }


def rnn_from_seq(state: dict) -> Parameters:
    """A ``seq`` RNN cell's state dict as the course's {"Wax", "Waa", "ba"}; ``ba = bias_ih + bias_hh``."""
    state = _strip_layer_suffix(state)
    return {
        "Wax": np.array(state["weight_ih"], dtype=np.float64),
        "Waa": np.array(state["weight_hh"], dtype=np.float64),
        "ba": (np.asarray(state["bias_ih"]) + np.asarray(state["bias_hh"])).reshape(-1, 1),  # (H,) -> (n_a, 1)
    }


LSTM_GATES = ("i", "f", "c", "o")
"""The course's LSTM gate letters (Wi, Wf, Wc, Wo) in seq's/PyTorch's stacking order i, f, g, o."""

GRU_GATES = ("r", "u", "c")
"""The course's GRU letters (Wr, Wu, Wc) in seq's/PyTorch's stacking order r, z, n (z with negated weights)."""


def _gates_to_seq(parameters: Parameters, letters: tuple, signs: tuple) -> dict:
    """Stack the course's per-gate W (n_a, n_a + n_x) into weight_ih (G*H, D) and weight_hh (G*H, H)."""
    n_a = parameters["W" + letters[0]].shape[0]
    w_ih, w_hh, b_ih = [], [], []
    for letter, sign in zip(letters, signs):
        W, b = parameters["W" + letter], parameters["b" + letter]
        w_hh.append(sign * W[:, :n_a])  # the columns acting on a<t-1>       (H, H)
        w_ih.append(sign * W[:, n_a:])  # the columns acting on x<t>         (H, D)
        b_ih.append(sign * np.asarray(b).reshape(-1))  # (n_a, 1) -> (H,)
    return {
        "weight_ih": np.concatenate(w_ih, axis=0).astype(np.float64),  # G x (H, D) -> (G*H, D)
        "weight_hh": np.concatenate(w_hh, axis=0).astype(np.float64),  # G x (H, H) -> (G*H, H)
        "bias_ih": np.concatenate(b_ih).astype(np.float64),  # (G*H,)
        "bias_hh": np.zeros(len(letters) * n_a),
    }


def _gates_from_seq(state: dict, letters: tuple, signs: tuple) -> Parameters:
    """Split weight_ih/weight_hh into the course's per-gate W = [W_h• | W_i•] (n_a, n_a + n_x) and b•."""
    state = _strip_layer_suffix(state)
    w_ih, w_hh = np.asarray(state["weight_ih"]), np.asarray(state["weight_hh"])
    bias = np.asarray(state["bias_ih"]) + np.asarray(state["bias_hh"])  # the two biases add up
    H = w_hh.shape[1]
    out = {}
    for k, (letter, sign) in enumerate(zip(letters, signs)):
        rows = slice(k * H, (k + 1) * H)
        out["W" + letter] = sign * np.concatenate((w_hh[rows], w_ih[rows]), axis=1)  # [a part | x part]
        out["b" + letter] = sign * bias[rows].reshape(-1, 1)  # (H,) -> (n_a, 1)
    return out


def lstm_to_seq(parameters: Parameters) -> dict:
    """The course's LSTM parameters as a ``seq.LSTMCell`` state dict.

    Gates stacked in PyTorch's order i, f, g, o = the course's Wi (Γu), Wf, Wc (c̃), Wo. Each course
    matrix W• (n_a, n_a + n_x) acts on [a<t-1>; x<t>]: its first n_a columns go to ``weight_hh``, the
    remaining n_x to ``weight_ih``. The course's bias b• goes to ``bias_ih``; ``bias_hh`` is zero.
    """
    return _gates_to_seq(parameters, LSTM_GATES, (1, 1, 1, 1))


def lstm_from_seq(state: dict) -> Parameters:
    """A ``seq`` LSTM state dict as the course's {"Wi", "bi", "Wf", "bf", "Wc", "bc", "Wo", "bo"} (b = b_ih + b_hh)."""
    return _gates_from_seq(state, LSTM_GATES, (1, 1, 1, 1))


def gru_to_seq(parameters: Parameters) -> dict:
    """The course's GRU parameters as a ``seq.GRUCell(reset_after=False)`` state dict.

    Gates stacked in PyTorch's order r, z, n = Γr, *not Γu*, c̃. The update gates are complements:
    seq's/PyTorch's z is the share of the *old* state kept (a<t> = (1 - z) n + z a<t-1>), the course's
    Γu the share of the *candidate* let in (a<t> = Γu c̃ + (1 - Γu) a<t-1>), so z = 1 - Γu. Since
    σ(-v) = 1 - σ(v), z = 1 - Γu exactly when z's pre-activation is minus Γu's: z's weights (both
    parts) and bias are the *negated* Wu and bu. Γr and c̃ map directly. The course applies Γr before
    the product (c̃ = tanh(Wc [Γr ⊙ a<t-1>; x<t>] + bc)), which is ``reset_after=False``; PyTorch's
    default (``reset_after=True``) is a different function of the same weights. ``bias_hh`` is zero.
    """
    return _gates_to_seq(parameters, GRU_GATES, (1, -1, 1))


def gru_from_seq(state: dict) -> Parameters:
    """A ``seq`` GRU (reset_after=False) state dict as the course's {"Wr", "br", "Wu", "bu", "Wc", "bc"}.

    ``Wu = -[W_hz | W_iz]``, ``bu = -(b_iz + b_hz)`` (see ``gru_to_seq`` for why the update gate is negated).
    """
    return _gates_from_seq(state, GRU_GATES, (1, -1, 1))


def readout_to_seq(parameters: Parameters) -> dict:
    """The course's read-out (Wya or Wy (n_y, n_a), by (n_y, 1)) as an ``nn.Linear(n_a, n_y)`` state dict.

    ``ŷ = softmax(Wya a + by)`` is ``softmax(linear(h))`` with ``weight = Wya``, ``bias = by`` flattened.
    """
    readout = _readout(parameters)
    if readout is None:
        raise KeyError(f"no read-out in the parameters: expected 'Wya' (or 'Wy') and 'by', got {sorted(parameters)}")
    W, by = readout
    return {"weight": np.array(W, dtype=np.float64), "bias": np.array(by, dtype=np.float64).reshape(-1)}


def readout_from_seq(state: dict, key: str = "Wya") -> Parameters:
    """An ``nn.Linear`` state dict as the course's {key: weight, "by": bias (n_y, 1)} (key "Wya" or "Wy")."""
    return {key: np.array(state["weight"], dtype=np.float64), "by": np.asarray(state["bias"]).reshape(-1, 1)}


def _strip_layer_suffix(state: dict) -> dict:
    """Accept a layer's state dict (``weight_ih_l0``) as well as a cell's (``weight_ih``)."""
    if "weight_ih" in state:
        return state
    if "weight_ih_l0" in state:
        return {k: state[f"{k}_l0"] for k in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")}
    raise KeyError(f"expected a cell's state dict (weight_ih, ...) or a layer's (weight_ih_l0, ...): {sorted(state)}")


def load_into(module: Any, state: dict) -> Any:
    """Copy a converted state dict into a ``seq`` cell or a one-layer, one-direction ``seq`` layer.

    ``state`` is what ``rnn_to_seq``, ``lstm_to_seq`` or ``gru_to_seq`` returned (keys ``weight_ih``, ...);
    for a layer the keys become ``weight_ih_l0``, .... Values are converted to the module's dtype.
    Returns the module. A GRU must have ``reset_after=False`` to compute the course's GRU.

    Raises:
        ValueError: for a layer with more than one layer or direction, or a GRU with ``reset_after=True``.
    """
    if getattr(module, "reset_after", False):
        raise ValueError(
            "the course's GRU applies the reset gate before the product (c̃ = tanh(Wc [Γr ⊙ a; x] + bc)): "
            "build the seq GRU with reset_after=False"
        )
    if hasattr(module, "weight_ih_l0"):
        if module.num_layers != 1 or module.num_directions != 1:
            raise ValueError(
                f"the course's parameters describe one layer and one direction; got num_layers={module.num_layers}, "
                f"bidirectional={module.bidirectional}: load each layer's weights yourself"
            )
        state = {f"{k}_l0": v for k, v in state.items()}
    module.load_state_dict(state)
    return module
