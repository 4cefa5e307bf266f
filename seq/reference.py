"""The course's hand-written NumPy RNN, LSTM and GRU, and the bridge from them to ``seq``.

In the Sequence Models course you write these functions yourself, in NumPy, before meeting a framework.
This file holds them in the course's notation and shapes, with every backward pass commented line by
line, and converters that move the course's parameter dictionaries into ``seq``'s PyTorch layout and
back. A test (``tests/test_seq_reference.py``) holds every hand-written backward equal to autograd's
gradients of the matching ``seq`` cell or layer to 1e-12: the framework computes exactly what you wrote.

Shapes (the course's, batch on the *second* axis, time on the last)::

    x        (n_x, m, T_x)      xt = x[:, :, t]   (n_x, m)
    a        (n_a, m, T_x)      a_prev, a_next    (n_a, m)
    y_pred   (n_y, m, T_x)
    Wax (n_a, n_x)   Waa (n_a, n_a)   ba (n_a, 1)   Wya (n_y, n_a)   by (n_y, 1)
    LSTM: Wf, Wi, Wc, Wo (n_a, n_a + n_x) acting on [a<t-1>; x<t>], bf, bi, bc, bo (n_a, 1); read-out Wy, by
    GRU:  Wr, Wu, Wc     (n_a, n_a + n_x),                          br, bu, bc     (n_a, 1); read-out Wy, by

``seq`` (and PyTorch) put batch on the first axis of a step and time on the first axis of a sequence,
store ``W @ x`` as ``x @ Wᵀ``, stack the gates in one matrix and split the course's concatenated W into
the part acting on x (``weight_ih``) and the part acting on a (``weight_hh``)::

    course x (n_x, m, T_x)   <->  seq input (T, B, D) = x.transpose(2, 1, 0)
    course a<t> (n_a, m)     <->  seq h (B, H)        = a<t>.T

The converters (``rnn_to_seq``/``rnn_from_seq``, ``lstm_...``, ``gru_...``, ``readout_...``) and
``load_into(cell_or_layer, state)`` do that rewriting. Two conventions to know: PyTorch has two biases
per gate where the course has one (the course's goes to ``bias_ih``, ``bias_hh`` is 0), and seq's GRU
update gate z is the course's 1 - Γu (its weights are the negated Wu, bu; see ``gru_to_seq``).

The dinosaur notebook calls the RNN's bias ``b`` (gradient ``db``) where the "step by step" notebook says
``ba``; these functions read either and write what they were given.

Every function works on plain NumPy arrays (no minigrad), so it reads as you wrote it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = [
    "clip",
    "gru_backward",
    "gru_cell_backward",
    "gru_cell_forward",
    "gru_forward",
    "gru_from_seq",
    "gru_to_seq",
    "load_into",
    "lstm_backward",
    "lstm_cell_backward",
    "lstm_cell_forward",
    "lstm_forward",
    "lstm_from_seq",
    "lstm_to_seq",
    "model_gradients",
    "optimize",
    "readout_from_seq",
    "readout_to_seq",
    "rnn_backward",
    "rnn_cell_backward",
    "rnn_cell_forward",
    "rnn_forward",
    "rnn_from_seq",
    "rnn_to_seq",
    "sample",
    "sigmoid",
    "softmax",
]

Parameters = dict[str, np.ndarray]

# ------------------------------------------------------------------------------------------------
# The two activations the course defines in its rnn_utils.py
# ------------------------------------------------------------------------------------------------


def sigmoid(x: np.ndarray) -> np.ndarray:
    """σ(x) = 1 / (1 + e^(-x)); its derivative is σ(x) (1 - σ(x))."""
    return 1.0 / (1.0 + np.exp(-x))


def softmax(x: np.ndarray) -> np.ndarray:
    """softmax over axis 0 (the course's classes axis): e^(x_i - max) / Σ_j e^(x_j - max)."""
    e_x = np.exp(x - np.max(x, axis=0, keepdims=True))
    return e_x / e_x.sum(axis=0, keepdims=True)


def _ba_key(parameters: Parameters) -> str:
    """The RNN bias' key: "ba" (the step-by-step notebook) or "b" (the dinosaur notebook)."""
    if "ba" in parameters:
        return "ba"
    if "b" in parameters:
        return "b"
    raise KeyError(f"the RNN's parameters need a bias 'ba' (or 'b', as in the dinosaur notebook): {sorted(parameters)}")


def _readout(parameters: Parameters) -> tuple[np.ndarray, np.ndarray] | None:
    """(W_y, b_y): "Wya" (the RNN notebooks) or "Wy" (the LSTM's), with "by"; None when absent."""
    W = parameters.get("Wya", parameters.get("Wy"))
    if W is None or "by" not in parameters:
        return None
    return W, parameters["by"]


# ================================================================================================
# Basic RNN
# ================================================================================================


def rnn_cell_forward(xt: np.ndarray, a_prev: np.ndarray, parameters: Parameters) -> tuple:
    """One step of the basic RNN.

        a<t>      = tanh(Waa a<t-1> + Wax x<t> + ba)
        ŷ<t>      = softmax(Wya a<t> + by)

    Args:
        xt: x<t>, (n_x, m).
        a_prev: a<t-1>, (n_a, m).
        parameters: "Wax" (n_a, n_x), "Waa" (n_a, n_a), "ba" (n_a, 1), "Wya" (n_y, n_a), "by" (n_y, 1).

    Returns:
        ``a_next`` (n_a, m), ``yt_pred`` (n_y, m), ``cache = (a_next, a_prev, xt, parameters)``.
    """
    Wax, Waa, ba = parameters["Wax"], parameters["Waa"], parameters[_ba_key(parameters)]
    Wya, by = parameters["Wya"], parameters["by"]
    a_next = np.tanh(Waa @ a_prev + Wax @ xt + ba)  # (n_a, m)
    yt_pred = softmax(Wya @ a_next + by)  # (n_y, m)
    cache = (a_next, a_prev, xt, parameters)
    return a_next, yt_pred, cache


def rnn_forward(x: np.ndarray, a0: np.ndarray, parameters: Parameters) -> tuple:
    """The basic RNN over a whole sequence: ``rnn_cell_forward`` for t = 1..T_x.

    Args:
        x: (n_x, m, T_x).
        a0: a<0>, (n_a, m).
        parameters: as ``rnn_cell_forward``.

    Returns:
        ``a`` (n_a, m, T_x) (every a<t>), ``y_pred`` (n_y, m, T_x), ``caches = (list of cell caches, x)``.
    """
    _, m, T_x = x.shape
    n_y, n_a = parameters["Wya"].shape
    a = np.zeros((n_a, m, T_x))
    y_pred = np.zeros((n_y, m, T_x))
    caches = []
    a_next = a0
    for t in range(T_x):
        a_next, yt_pred, cache = rnn_cell_forward(x[:, :, t], a_next, parameters)
        a[:, :, t] = a_next
        y_pred[:, :, t] = yt_pred
        caches.append(cache)
    return a, y_pred, (caches, x)


def rnn_cell_backward(da_next: np.ndarray, cache: tuple) -> dict:
    """The backward pass of one RNN step, from dL/da<t> to the gradients of its inputs and weights.

    With z = Waa a<t-1> + Wax x<t> + ba and a<t> = tanh(z):

        dz        = (1 - a<t>²) ⊙ da<t>
        dx<t>     = Waxᵀ dz          dWax = dz x<t>ᵀ
        da<t-1>   = Waaᵀ dz          dWaa = dz a<t-1>ᵀ
        dba       = Σ_m dz

    Args:
        da_next: dL/da<t>, (n_a, m): the *total* gradient reaching a<t> (direct + from step t+1).
        cache: from ``rnn_cell_forward``.

    Returns:
        {"dxt", "da_prev", "dWax", "dWaa", "dba"}.
    """
    a_next, a_prev, xt, parameters = cache
    Wax, Waa = parameters["Wax"], parameters["Waa"]
    dz = (1 - a_next**2) * da_next  # d tanh(z)/dz = 1 - tanh(z)² = 1 - a<t>²         (n_a, m)
    dxt = Wax.T @ dz  # d(Wax x)/dx = Wax: the gradient goes back through its transpose  (n_x, m)
    dWax = dz @ xt.T  # d(Wax x)/dWax_ij = x_j, summed over the batch                    (n_a, n_x)
    da_prev = Waa.T @ dz  # d(Waa a<t-1>)/da<t-1> = Waa                                  (n_a, m)
    dWaa = dz @ a_prev.T  # d(Waa a<t-1>)/dWaa_ij = a<t-1>_j, summed over the batch      (n_a, n_a)
    dba = np.sum(dz, axis=1, keepdims=True)  # dz/dba = 1; ba is broadcast over m: sum   (n_a, 1)
    return {"dxt": dxt, "da_prev": da_prev, "dWax": dWax, "dWaa": dWaa, "dba": dba}


def rnn_backward(da: np.ndarray, caches: tuple) -> dict:
    """Backpropagation through time for the basic RNN.

    ``da[:, :, t]`` is the gradient of the loss with respect to a<t> that does *not* pass through a<t+1>
    (e.g. through ŷ<t>). Walking back from t = T_x, the total gradient of a<t> is that plus what comes
    back from step t+1 (``da_prevt``); the weights are shared by every step, so their gradients add up:

        da<t>_total = da[:, :, t] + da_prev<t+1>          dW = Σ_t dW<t>

    Args:
        da: (n_a, m, T_x).
        caches: from ``rnn_forward``.

    Returns:
        {"dx" (n_x, m, T_x), "da0" (n_a, m), "dWax", "dWaa", "dba"}.
    """
    caches, x = caches
    n_a, m, T_x = da.shape
    n_x = x.shape[0]
    dx = np.zeros((n_x, m, T_x))
    dWax = np.zeros((n_a, n_x))
    dWaa = np.zeros((n_a, n_a))
    dba = np.zeros((n_a, 1))
    da_prevt = np.zeros((n_a, m))  # nothing comes back from after the last step
    for t in reversed(range(T_x)):
        gradients = rnn_cell_backward(da[:, :, t] + da_prevt, caches[t])  # direct + through a<t+1>
        dx[:, :, t] = gradients["dxt"]
        da_prevt = gradients["da_prev"]
        dWax += gradients["dWax"]  # shared weights: sum over time
        dWaa += gradients["dWaa"]
        dba += gradients["dba"]
    da0 = da_prevt  # what reaches a<0>
    return {"dx": dx, "da0": da0, "dWax": dWax, "dWaa": dWaa, "dba": dba}


# ================================================================================================
# LSTM
# ================================================================================================


def lstm_cell_forward(xt: np.ndarray, a_prev: np.ndarray, c_prev: np.ndarray, parameters: Parameters) -> tuple:
    """One LSTM step (the course's gates, seq's/PyTorch's letters in brackets).

        concat    = [a<t-1>; x<t>]                      (n_a + n_x, m)
        Γf        = σ(Wf concat + bf)                   forget gate        (f)
        Γu        = σ(Wi concat + bi)                   update/input gate  (i)
        c̃<t>      = tanh(Wc concat + bc)                candidate          (g)
        c<t>      = Γf ⊙ c<t-1> + Γu ⊙ c̃<t>
        Γo        = σ(Wo concat + bo)                   output gate        (o)
        a<t>      = Γo ⊙ tanh(c<t>)
        ŷ<t>      = softmax(Wy a<t> + by)

    Args:
        xt: (n_x, m); a_prev, c_prev: (n_a, m).
        parameters: "Wf", "Wi", "Wc", "Wo" (n_a, n_a + n_x); "bf", "bi", "bc", "bo" (n_a, 1);
            "Wy" (n_y, n_a) and "by" (n_y, 1) (optional: without them ``yt_pred`` is None).

    Returns:
        ``a_next``, ``c_next`` (n_a, m), ``yt_pred`` (n_y, m) or None, and
        ``cache = (a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, parameters)``.
    """
    p = parameters
    concat = np.concatenate((a_prev, xt), axis=0)  # (n_a + n_x, m)
    ft = sigmoid(p["Wf"] @ concat + p["bf"])  # Γf   (n_a, m)
    it = sigmoid(p["Wi"] @ concat + p["bi"])  # Γu
    cct = np.tanh(p["Wc"] @ concat + p["bc"])  # c̃<t>
    c_next = ft * c_prev + it * cct
    ot = sigmoid(p["Wo"] @ concat + p["bo"])  # Γo
    a_next = ot * np.tanh(c_next)
    readout = _readout(p)
    yt_pred = None if readout is None else softmax(readout[0] @ a_next + readout[1])
    cache = (a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, parameters)
    return a_next, c_next, yt_pred, cache


def lstm_forward(x: np.ndarray, a0: np.ndarray, parameters: Parameters, c0: np.ndarray | None = None) -> tuple:
    """The LSTM over a sequence: ``lstm_cell_forward`` for t = 1..T_x, with c<0> = 0 (the course's) or ``c0``.

    Returns:
        ``a`` (n_a, m, T_x), ``y`` (n_y, m, T_x) or None without a read-out, ``c`` (n_a, m, T_x), and
        ``caches = (list of cell caches, x)``.
    """
    _, m, T_x = x.shape
    n_a = a0.shape[0]
    readout = _readout(parameters)
    a = np.zeros((n_a, m, T_x))
    c = np.zeros((n_a, m, T_x))
    y = None if readout is None else np.zeros((readout[0].shape[0], m, T_x))
    a_next, c_next = a0, (np.zeros((n_a, m)) if c0 is None else c0)
    caches = []
    for t in range(T_x):
        a_next, c_next, yt, cache = lstm_cell_forward(x[:, :, t], a_next, c_next, parameters)
        a[:, :, t], c[:, :, t] = a_next, c_next
        if y is not None:
            y[:, :, t] = yt
        caches.append(cache)
    return a, y, c, (caches, x)


def lstm_cell_backward(da_next: np.ndarray, dc_next: np.ndarray, cache: tuple) -> dict:
    """The backward pass of one LSTM step.

    The course names the gradients of the gates' *pre-activations* dft, dit, dcct, dot. With
    τ = tanh(c<t>) and dc = dc_next + da_next ⊙ Γo ⊙ (1 - τ²) the total gradient reaching c<t>:

        dot   = da_next ⊙ τ ⊙ Γo (1 - Γo)            dcct = dc ⊙ Γu ⊙ (1 - c̃²)
        dit   = dc ⊙ c̃ ⊙ Γu (1 - Γu)                 dft  = dc ⊙ c<t-1> ⊙ Γf (1 - Γf)
        dW•   = d• concatᵀ        db• = Σ_m d•
        dconcat = Σ_• W•ᵀ d•  =  [da_prev; dxt]       dc_prev = dc ⊙ Γf

    Args:
        da_next: dL/da<t> (n_a, m), total; dc_next: dL/dc<t> (n_a, m) from step t+1.
        cache: from ``lstm_cell_forward``.

    Returns:
        {"dxt", "da_prev", "dc_prev", "dWf", "dbf", "dWi", "dbi", "dWc", "dbc", "dWo", "dbo"}.
    """
    a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, parameters = cache
    p = parameters
    n_a = a_next.shape[0]
    tanh_c = np.tanh(c_next)
    # a<t> = Γo ⊙ tanh(c<t>): ∂a/∂Γo = tanh(c<t>), ∂a/∂c<t> = Γo (1 - tanh²(c<t>))
    dc = dc_next + da_next * ot * (1 - tanh_c**2)  # total dL/dc<t>: from c<t+1> and through a<t>
    dot = da_next * tanh_c * ot * (1 - ot)  # dσ(z)/dz = σ(1 - σ): Γo's pre-activation
    # c<t> = Γf ⊙ c<t-1> + Γu ⊙ c̃<t>: ∂c/∂c̃ = Γu, ∂c/∂Γu = c̃, ∂c/∂Γf = c<t-1>, ∂c/∂c<t-1> = Γf
    dcct = dc * it * (1 - cct**2)  # d tanh(z)/dz = 1 - tanh²: c̃'s pre-activation
    dit = dc * cct * it * (1 - it)  # Γu's pre-activation
    dft = dc * c_prev * ft * (1 - ft)  # Γf's pre-activation
    dc_prev = dc * ft
    # each pre-activation is W• concat + b•: dW• = d• concatᵀ (summed over m), db• = Σ_m d•
    concat = np.concatenate((a_prev, xt), axis=0)  # (n_a + n_x, m)
    dWf, dWi, dWc, dWo = dft @ concat.T, dit @ concat.T, dcct @ concat.T, dot @ concat.T
    dbf, dbi, dbc, dbo = (np.sum(d, axis=1, keepdims=True) for d in (dft, dit, dcct, dot))
    # and d concat = Σ W•ᵀ d•; its first n_a rows are da<t-1>, the rest dx<t>
    dconcat = p["Wf"].T @ dft + p["Wi"].T @ dit + p["Wc"].T @ dcct + p["Wo"].T @ dot  # (n_a + n_x, m)
    da_prev, dxt = dconcat[:n_a], dconcat[n_a:]
    return {
        "dxt": dxt,
        "da_prev": da_prev,
        "dc_prev": dc_prev,
        "dWf": dWf,
        "dbf": dbf,
        "dWi": dWi,
        "dbi": dbi,
        "dWc": dWc,
        "dbc": dbc,
        "dWo": dWo,
        "dbo": dbo,
    }


def lstm_backward(da: np.ndarray, caches: tuple) -> dict:
    """BPTT for the LSTM: as ``rnn_backward``, with a second state c<t> carried back alongside a<t>.

        da<t>_total = da[:, :, t] + da_prev<t+1>       dc<t>_total = dc_prev<t+1>       dW = Σ_t dW<t>

    Args:
        da: (n_a, m, T_x), the gradient reaching each a<t> not through a<t+1>.
        caches: from ``lstm_forward``.

    Returns:
        {"dx", "da0", "dc0", "dWf", "dbf", "dWi", "dbi", "dWc", "dbc", "dWo", "dbo"} (``dc0``: dL/dc<0>).
    """
    caches, x = caches
    n_a, m, T_x = da.shape
    n_x = x.shape[0]
    dx = np.zeros((n_x, m, T_x))
    grads = {f"d{k}": np.zeros((n_a, n_a + n_x)) for k in ("Wf", "Wi", "Wc", "Wo")}
    grads.update({f"d{k}": np.zeros((n_a, 1)) for k in ("bf", "bi", "bc", "bo")})
    da_prevt, dc_prevt = np.zeros((n_a, m)), np.zeros((n_a, m))
    for t in reversed(range(T_x)):
        step = lstm_cell_backward(da[:, :, t] + da_prevt, dc_prevt, caches[t])
        dx[:, :, t] = step["dxt"]
        da_prevt, dc_prevt = step["da_prev"], step["dc_prev"]
        for key in grads:
            grads[key] += step[key]  # shared weights: sum over time
    return {"dx": dx, "da0": da_prevt, "dc0": dc_prevt, **grads}


# ================================================================================================
# GRU (the course's full GRU, with the relevance/reset gate Γr applied before the product)
# ================================================================================================


def gru_cell_forward(xt: np.ndarray, a_prev: np.ndarray, parameters: Parameters) -> tuple:
    """One step of the course's full GRU (Cho et al. 2014; ``seq.GRUCell(reset_after=False)``).

        concat    = [a<t-1>; x<t>]
        Γr        = σ(Wr concat + br)                        relevance (reset) gate
        Γu        = σ(Wu concat + bu)                        update gate (seq's z = 1 - Γu)
        c̃<t>      = tanh(Wc [Γr ⊙ a<t-1>; x<t>] + bc)        candidate (seq's n)
        a<t>      = Γu ⊙ c̃<t> + (1 - Γu) ⊙ a<t-1>
        ŷ<t>      = softmax(Wy a<t> + by)                    (only with "Wy", "by")

    Args:
        xt: (n_x, m); a_prev: (n_a, m).
        parameters: "Wr", "Wu", "Wc" (n_a, n_a + n_x); "br", "bu", "bc" (n_a, 1); optional "Wy", "by".

    Returns:
        ``a_next`` (n_a, m), ``yt_pred`` (n_y, m) or None, and
        ``cache = (a_next, a_prev, xt, rt, ut, cct, parameters)``.
    """
    p = parameters
    concat = np.concatenate((a_prev, xt), axis=0)  # (n_a + n_x, m)
    rt = sigmoid(p["Wr"] @ concat + p["br"])  # Γr
    ut = sigmoid(p["Wu"] @ concat + p["bu"])  # Γu
    concat_r = np.concatenate((rt * a_prev, xt), axis=0)  # [Γr ⊙ a<t-1>; x<t>]
    cct = np.tanh(p["Wc"] @ concat_r + p["bc"])  # c̃<t>
    a_next = ut * cct + (1 - ut) * a_prev
    readout = _readout(p)
    yt_pred = None if readout is None else softmax(readout[0] @ a_next + readout[1])
    return a_next, yt_pred, (a_next, a_prev, xt, rt, ut, cct, parameters)


def gru_forward(x: np.ndarray, a0: np.ndarray, parameters: Parameters) -> tuple:
    """The course's GRU over a sequence: ``gru_cell_forward`` for t = 1..T_x.

    Args:
        x: (n_x, m, T_x); a0: a<0> (n_a, m); parameters: as ``gru_cell_forward``.

    Returns:
        ``a`` (n_a, m, T_x), ``y`` (n_y, m, T_x) or None without a read-out, ``caches = (list of cell caches, x)``.
    """
    _, m, T_x = x.shape
    n_a = a0.shape[0]
    readout = _readout(parameters)
    a = np.zeros((n_a, m, T_x))
    y = None if readout is None else np.zeros((readout[0].shape[0], m, T_x))
    a_next, caches = a0, []
    for t in range(T_x):
        a_next, yt, cache = gru_cell_forward(x[:, :, t], a_next, parameters)
        a[:, :, t] = a_next
        if y is not None:
            y[:, :, t] = yt
        caches.append(cache)
    return a, y, (caches, x)


def gru_cell_backward(da_next: np.ndarray, cache: tuple) -> dict:
    """The backward pass of one step of the course's GRU.

        dc̃    = da ⊙ Γu                 dΓu = da ⊙ (c̃ - a<t-1>)          da<t-1> ∋ da ⊙ (1 - Γu)
        dzc   = dc̃ ⊙ (1 - c̃²)           dWc = dzc [Γr ⊙ a<t-1>; x]ᵀ      [dra; dx] ∋ Wcᵀ dzc
        dΓr   = dra ⊙ a<t-1>            da<t-1> ∋ dra ⊙ Γr                (dra: gradient of Γr ⊙ a<t-1>)
        dzr   = dΓr ⊙ Γr (1 - Γr)       dzu = dΓu ⊙ Γu (1 - Γu)
        dWr   = dzr concatᵀ             dWu = dzu concatᵀ                  [da<t-1>; dx] ∋ Wrᵀ dzr + Wuᵀ dzu

    Returns:
        {"dxt", "da_prev", "dWr", "dbr", "dWu", "dbu", "dWc", "dbc"}.
    """
    _, a_prev, xt, rt, ut, cct, p = cache
    n_a = a_prev.shape[0]
    # a<t> = Γu ⊙ c̃ + (1 - Γu) ⊙ a<t-1>: ∂a/∂c̃ = Γu, ∂a/∂Γu = c̃ - a<t-1>, ∂a/∂a<t-1> (direct) = 1 - Γu
    dcct = da_next * ut
    dut = da_next * (cct - a_prev)
    da_prev = da_next * (1 - ut)
    # c̃ = tanh(zc): d tanh/dz = 1 - c̃²; zc = Wc [Γr ⊙ a<t-1>; x] + bc
    dzc = dcct * (1 - cct**2)
    concat_r = np.concatenate((rt * a_prev, xt), axis=0)  # (n_a + n_x, m)
    dWc = dzc @ concat_r.T
    dbc = np.sum(dzc, axis=1, keepdims=True)
    dconcat_r = p["Wc"].T @ dzc  # (n_a + n_x, m): [d(Γr ⊙ a<t-1>); dx from the candidate]
    dra, dxt = dconcat_r[:n_a], dconcat_r[n_a:]
    # Γr ⊙ a<t-1>: ∂/∂Γr = a<t-1>, ∂/∂a<t-1> = Γr
    drt = dra * a_prev
    da_prev = da_prev + dra * rt
    # the gates: dσ(z)/dz = σ (1 - σ), z = W concat + b
    dzr = drt * rt * (1 - rt)
    dzu = dut * ut * (1 - ut)
    concat = np.concatenate((a_prev, xt), axis=0)  # (n_a + n_x, m)
    dWr, dWu = dzr @ concat.T, dzu @ concat.T
    dbr, dbu = np.sum(dzr, axis=1, keepdims=True), np.sum(dzu, axis=1, keepdims=True)
    dconcat = p["Wr"].T @ dzr + p["Wu"].T @ dzu  # (n_a + n_x, m)
    da_prev = da_prev + dconcat[:n_a]
    dxt = dxt + dconcat[n_a:]
    return {"dxt": dxt, "da_prev": da_prev, "dWr": dWr, "dbr": dbr, "dWu": dWu, "dbu": dbu, "dWc": dWc, "dbc": dbc}


def gru_backward(da: np.ndarray, caches: tuple) -> dict:
    """BPTT for the course's GRU, as ``rnn_backward``: da<t>_total = da[:, :, t] + da_prev<t+1>, dW = Σ_t dW<t>.

    Args:
        da: (n_a, m, T_x), the gradient reaching each a<t> not through a<t+1>.
        caches: from ``gru_forward``.

    Returns:
        {"dx", "da0", "dWr", "dbr", "dWu", "dbu", "dWc", "dbc"}.
    """
    caches, x = caches
    n_a, m, T_x = da.shape
    n_x = x.shape[0]
    dx = np.zeros((n_x, m, T_x))
    grads = {f"d{k}": np.zeros((n_a, n_a + n_x)) for k in ("Wr", "Wu", "Wc")}
    grads.update({f"d{k}": np.zeros((n_a, 1)) for k in ("br", "bu", "bc")})
    da_prevt = np.zeros((n_a, m))
    for t in reversed(range(T_x)):
        step = gru_cell_backward(da[:, :, t] + da_prevt, caches[t])
        dx[:, :, t] = step["dxt"]
        da_prevt = step["da_prev"]
        for key in grads:
            grads[key] += step[key]
    return {"dx": dx, "da0": da_prevt, **grads}


# ================================================================================================
# The character model of the dinosaur notebook: clip, sample, optimize
# ================================================================================================


def clip(gradients: dict, max_value: float) -> dict:
    """Clip every gradient entrywise to [-max_value, max_value] (the course's remedy for exploding gradients).

    Unlike the notebook's ``np.clip(..., out=gradient)`` this returns new arrays and leaves ``gradients``
    unchanged. Non-array entries (none in the course) are passed through.
    """
    return {k: np.clip(v, -max_value, max_value) if isinstance(v, np.ndarray) else v for k, v in gradients.items()}


def sample(parameters: Parameters, char_to_ix: dict, seed: int) -> list[int]:
    """Sample a sequence of character indices from the character RNN, as the dinosaur notebook does.

        x<1> = 0, a<0> = 0;   a<t> = tanh(Wax x<t> + Waa a<t-1> + ba);   ŷ<t> = softmax(Wya a<t> + by)
        idx<t> ~ ŷ<t>;        x<t+1> = one_hot(idx<t>)

    Stops after drawing '\\n' or after 50 characters (then appends '\\n''s index, as the notebook does), so
    the list always ends with the newline's index. (If the 50th draw is itself '\\n' the notebook still
    appends one: 51 indices ending in two newlines. Kept, to give the notebook's output.)

    Draw number t (from 0) uses ``np.random.RandomState(seed + 2t)``: the notebook calls
    ``np.random.seed(counter + seed)`` and increments both. The same indices as the notebook, without
    touching NumPy's global random state.

    Args:
        parameters: "Wax" (n_a, vocab), "Waa", "ba" (or "b"), "Wya" (vocab, n_a), "by" (vocab, 1).
        char_to_ix: character -> index; must hold '\\n'.
        seed: the notebook's seed.

    Returns:
        The drawn indices, at most 51, the last one '\\n''s.
    """
    Waa, Wax, Wya, by = parameters["Waa"], parameters["Wax"], parameters["Wya"], parameters["by"]
    b = parameters[_ba_key(parameters)]
    vocab_size = by.shape[0]
    n_a = Waa.shape[1]
    x = np.zeros((vocab_size, 1))  # x<1> = 0: no character before the first
    a_prev = np.zeros((n_a, 1))
    indices: list[int] = []
    idx = -1
    counter = 0
    newline = char_to_ix["\n"]
    while idx != newline and counter != 50:
        a = np.tanh(Wax @ x + Waa @ a_prev + b)
        y = softmax(Wya @ a + by)
        idx = int(np.random.RandomState(counter + seed).choice(range(vocab_size), p=y.ravel()))
        indices.append(idx)
        x = np.zeros((vocab_size, 1))
        x[idx] = 1  # feed the drawn character back in
        a_prev = a
        seed += 1
        counter += 1
    if counter == 50:
        indices.append(newline)
    return indices


def model_gradients(X: list, Y: list, a_prev: np.ndarray, parameters: Parameters) -> tuple:
    """Forward and backward through the character model, before clipping (the notebook's utils).

        x<t> = one_hot(X[t]) (zeros for None),  a<t> = tanh(Wax x<t> + Waa a<t-1> + ba),
        ŷ<t> = softmax(Wya a<t> + by),          L = -Σ_t log ŷ<t>[Y[t]]

    Backward: dz_y<t> = ŷ<t> - one_hot(Y[t]) (softmax + cross-entropy), da<t> = Wyaᵀ dz_y<t> + da_next,
    then ``rnn_cell_backward``'s equations.

    Returns:
        ``loss``, ``gradients`` {"dWax", "dWaa", "dWya", "dba" (or "db"), "dby"}, and ``a_last`` (n_a, 1).
    """
    Waa, Wax, Wya, by = parameters["Waa"], parameters["Wax"], parameters["Wya"], parameters["by"]
    bkey = _ba_key(parameters)
    b = parameters[bkey]
    vocab_size = by.shape[0]
    # forward
    xs, a, y_hat = {}, {-1: np.copy(a_prev)}, {}
    loss = 0.0
    for t in range(len(X)):
        xs[t] = np.zeros((vocab_size, 1))
        if X[t] is not None:
            xs[t][X[t]] = 1
        a[t] = np.tanh(Wax @ xs[t] + Waa @ a[t - 1] + b)
        y_hat[t] = softmax(Wya @ a[t] + by)
        loss -= float(np.log(y_hat[t][Y[t], 0]))
    # backward
    grads = {
        "dWax": np.zeros_like(Wax),
        "dWaa": np.zeros_like(Waa),
        "dWya": np.zeros_like(Wya),
        f"d{bkey}": np.zeros_like(b),
        "dby": np.zeros_like(by),
    }
    da_next = np.zeros_like(a[0])
    for t in reversed(range(len(X))):
        dy = np.copy(y_hat[t])
        dy[Y[t]] -= 1  # d(-log softmax(z)[y])/dz = softmax(z) - one_hot(y)
        grads["dWya"] += dy @ a[t].T  # z_y = Wya a<t> + by
        grads["dby"] += dy
        da = Wya.T @ dy + da_next  # through ŷ<t> and through a<t+1>
        dz = (1 - a[t] ** 2) * da  # 1 - tanh²
        grads[f"d{bkey}"] += dz
        grads["dWax"] += dz @ xs[t].T
        grads["dWaa"] += dz @ a[t - 1].T
        da_next = Waa.T @ dz
    return loss, grads, a[len(X) - 1]


def optimize(X: list, Y: list, a_prev: np.ndarray, parameters: Parameters, learning_rate: float = 0.01) -> tuple:
    """One step of gradient descent on the character model: forward, loss, backward, clip to 5, update.

        W ← W - learning_rate · clip(dW, 5)       for W in Wax, Waa, Wya, ba, by

    ``parameters`` is updated in place (as in the notebook).

    Args:
        X: input indices, ``X[0]`` is None (the zero vector), e.g. ``[None] + [char_to_ix[c] for c in name]``.
        Y: target indices, X shifted by one, ending with '\\n''s index.
        a_prev: a<0>, (n_a, 1).

    Returns:
        ``loss``, the clipped ``gradients``, and ``a_last`` = a<T_x> (n_a, 1).
    """
    loss, gradients, a_last = model_gradients(X, Y, a_prev, parameters)
    gradients = clip(gradients, 5)
    for key in ("Wax", "Waa", "Wya", _ba_key(parameters), "by"):
        parameters[key] -= learning_rate * gradients["d" + key]
    return loss, gradients, a_last


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
