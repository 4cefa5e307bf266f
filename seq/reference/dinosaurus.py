"""The character model of the course's dinosaur-names assignment: ``clip``, ``sample``, ``optimize``.

Plain NumPy in the course's shapes: one-hot x<t> of shape (vocab_size, 1), a<t> of shape (n_a, 1),
parameters ``Wax`` (n_a, vocab_size), ``Waa`` (n_a, n_a), ``Wya`` (vocab_size, n_a), ``b`` (n_a, 1),
``by`` (vocab_size, 1).
"""

from __future__ import annotations

import numpy as np

from seq.reference.step_by_step import Parameters, _ba_key, softmax

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
