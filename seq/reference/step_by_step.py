"""The course's "Building your Recurrent Neural Network - Step by Step" notebook, in NumPy.

``rnn_cell_forward``/``rnn_forward``/``rnn_cell_backward``/``rnn_backward``, the same for the LSTM
(``lstm_...``) and the course's GRU (``gru_...``), and the two activations of the course's
``rnn_utils.py``. Shapes and notation are the course's (see ``seq.reference``); every line of every
backward pass is commented with the derivative it computes.
"""

from __future__ import annotations

import numpy as np

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
