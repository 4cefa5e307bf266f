"""The course's Assignment 2, "Dinosaurus Island: character-level language model", as written, in NumPy.

``from seq.reference.dinosaurus import *`` gives a learner the names the notebook uses:

- the utilities the assignment hands out: ``softmax``, ``smooth``, ``get_sample``, ``print_sample``,
  ``get_initial_loss``, ``initialize_parameters``, ``rnn_step_forward``, ``rnn_step_backward``,
  ``update_parameters``, ``rnn_forward``, ``rnn_backward``;
- the four graded functions: ``clip``, ``sample``, ``optimize``, ``model``;
- ``read_names``: the data, read the course's way (a file such as ``dinos.txt``, or ``seq.datasets.names()``
  offline).

The model (one example at a time, shapes for a vocabulary of ``vocab_size`` characters, 27 in the course:
``'\\n'`` and ``a``..``z``)::

    x<t>  one-hot (vocab_size, 1), x<1> = 0        Wax (n_a, vocab_size)  Waa (n_a, n_a)  b (n_a, 1)
    a<t>  = tanh(Wax x<t> + Waa a<t-1> + b)         (n_a, 1)
    ŷ<t>  = softmax(Wya a<t> + by)                  Wya (vocab_size, n_a)  by (vocab_size, 1)
    L     = Σ_t -log ŷ<t>[Y[t]]                     X = [None] + name,  Y = name + ['\\n']

Where this file differs from the notebook (none of it changes a number the notebook prints):

- random numbers: ``initialize_parameters``, ``model``'s shuffle and ``sample`` draw from a private
  ``np.random.RandomState`` seeded as the course seeds NumPy's global generator (``np.random.seed(1)``,
  ``np.random.seed(0)``, ``np.random.seed(counter + seed)``): the same numbers, and the global generator
  is left as it was;
- the RNN bias may be called ``ba`` (the "Step by Step" notebook's name) instead of ``b``; its gradient is
  then ``dba``;
- ``rnn_forward``'s ``vocab_size`` is read from ``Wax`` unless given (the course's default, 27, is that
  for the course's data), so the same code runs on any alphabet;
- bad input (an index out of range, X and Y of different lengths, a character missing from ``char_to_ix``)
  is refused with a message instead of a NumPy error or a silently wrong one-hot vector.

``seq.reference`` re-exports ``clip``, ``sample`` and ``optimize`` (and ``model_gradients``: forward and
backward in one call); the assignment's ``rnn_forward``/``rnn_backward`` stay here, since
``seq.reference.rnn_forward`` is the "Step by Step" notebook's.
"""

from __future__ import annotations

import copy
import numbers
import os
from typing import Any, NamedTuple

import numpy as np

from seq.reference.step_by_step import Parameters, _ba_key

__all__ = [
    "clip",
    "get_initial_loss",
    "get_sample",
    "initialize_parameters",
    "model",
    "optimize",
    "print_sample",
    "read_names",
    "rnn_backward",
    "rnn_forward",
    "rnn_step_backward",
    "rnn_step_forward",
    "sample",
    "smooth",
    "softmax",
    "update_parameters",
]

# ================================================================================================
# The utilities the assignment hands out
# ================================================================================================


def softmax(x: np.ndarray) -> np.ndarray:
    """softmax over axis 0: e^(x - max x) / Σ e^(x - max x), shifted by the largest entry of the whole array."""
    e_x = np.exp(x - np.max(x))
    return e_x / e_x.sum(axis=0)


def smooth(loss: float, cur_loss: float) -> float:
    """The printed loss: an exponential moving average, ``0.999 · loss + 0.001 · cur_loss``."""
    return loss * 0.999 + cur_loss * 0.001


def get_sample(sample_ix: list, ix_to_char: dict) -> str:
    """The characters of some indices, the first one capitalised: ``[1, 2, 0]`` -> ``"Ab\\n"``."""
    txt = "".join(ix_to_char[ix] for ix in sample_ix)
    return txt[:1].upper() + txt[1:]  # capitalise the first character


def print_sample(sample_ix: list, ix_to_char: dict) -> None:
    """Print ``get_sample(sample_ix, ix_to_char)`` without a newline of its own (the sample ends with one)."""
    print(get_sample(sample_ix, ix_to_char), end="")


def get_initial_loss(vocab_size: int, seq_length: int) -> float:
    """The loss of guessing uniformly, ``-log(1 / vocab_size) · seq_length``: where ``smooth`` starts."""
    return -np.log(1.0 / vocab_size) * seq_length


def initialize_parameters(n_a: int, n_x: int, n_y: int) -> Parameters:
    """Small random weights (standard normal · 0.01) and zero biases, always the same (the course's seed 1).

        Wax (n_a, n_x)   Waa (n_a, n_a)   Wya (n_y, n_a)   b (n_a, 1) = 0   by (n_y, 1) = 0

    The draws are the course's ``np.random.seed(1)`` followed by ``np.random.randn`` for Wax, Waa, Wya,
    from a private generator (NumPy's global one is not reseeded).
    """
    rng = np.random.RandomState(1)  # the course: np.random.seed(1)
    Wax = rng.randn(n_a, n_x) * 0.01  # input to hidden
    Waa = rng.randn(n_a, n_a) * 0.01  # hidden to hidden
    Wya = rng.randn(n_y, n_a) * 0.01  # hidden to output
    b = np.zeros((n_a, 1))  # hidden bias
    by = np.zeros((n_y, 1))  # output bias
    return {"Wax": Wax, "Waa": Waa, "Wya": Wya, "b": b, "by": by}


def rnn_step_forward(parameters: Parameters, a_prev: np.ndarray, x: np.ndarray) -> tuple:
    """One step: ``a<t> = tanh(Wax x<t> + Waa a<t-1> + b)``, ``ŷ<t> = softmax(Wya a<t> + by)``.

    Returns:
        ``a_next`` (n_a, 1) and ``p_t`` = ŷ<t> (vocab_size, 1), the probabilities of the next character.
    """
    Waa, Wax, Wya, by = parameters["Waa"], parameters["Wax"], parameters["Wya"], parameters["by"]
    b = parameters[_ba_key(parameters)]
    a_next = np.tanh(Wax @ x + Waa @ a_prev + b)  # hidden state                 (n_a, 1)
    p_t = softmax(Wya @ a_next + by)  # probabilities of the next character     (vocab_size, 1)
    return a_next, p_t


def rnn_step_backward(
    dy: np.ndarray, gradients: dict, parameters: Parameters, x: np.ndarray, a: np.ndarray, a_prev: np.ndarray
) -> dict:
    """One step back: add this step's share to every gradient in ``gradients`` (in place) and return it.

    With dy = dL/dz_y<t> = ŷ<t> - one_hot(Y[t]) and da_next the gradient arriving from step t+1:

        dWya += dy a<t>ᵀ          dby += dy
        da    = Wyaᵀ dy + da_next                        through ŷ<t> and through a<t+1>
        daraw = (1 - a<t>²) ⊙ da                         through tanh
        db   += daraw    dWax += daraw x<t>ᵀ    dWaa += daraw a<t-1>ᵀ
        da_next = Waaᵀ daraw                             what step t-1 receives
    """
    bias = "d" + _ba_key(parameters)
    gradients["dWya"] += dy @ a.T  # z_y = Wya a<t> + by: dL/dWya = dy a<t>ᵀ
    gradients["dby"] += dy  # dz_y/dby = 1
    da = parameters["Wya"].T @ dy + gradients["da_next"]  # backprop into a<t>
    daraw = (1 - a * a) * da  # d tanh(z)/dz = 1 - tanh(z)² = 1 - a<t>²
    gradients[bias] += daraw  # dz/db = 1
    gradients["dWax"] += daraw @ x.T  # dz/dWax_ij = x_j
    gradients["dWaa"] += daraw @ a_prev.T  # dz/dWaa_ij = a<t-1>_j
    gradients["da_next"] = parameters["Waa"].T @ daraw  # dz/da<t-1> = Waa
    return gradients


def update_parameters(parameters: Parameters, gradients: dict, lr: float) -> Parameters:
    """One step of gradient descent, in place: ``W += -lr · dW`` for W in Wax, Waa, Wya, b, by."""
    for key in ("Wax", "Waa", "Wya", _ba_key(parameters), "by"):
        parameters[key] += -lr * gradients["d" + key]
    return parameters


def rnn_forward(X: list, Y: list, a0: np.ndarray, parameters: Parameters, vocab_size: int | None = None) -> tuple:
    """The forward pass over one example and its loss, ``L = Σ_t -log ŷ<t>[Y[t]]``.

    Args:
        X: input indices; ``None`` stands for the zero vector (the course's x<1>), e.g. ``[None, 4, 1, 14]``.
        Y: target indices, as many as X, e.g. ``[4, 1, 14, 0]`` (X shifted by one, then '\\n').
        a0: the hidden state to start from, (n_a, 1).
        parameters: "Wax", "Waa", "Wya", "b" (or "ba"), "by".
        vocab_size: the length of the one-hot vectors; by default Wax's number of columns (the course
            writes 27, which is that for its data).

    Returns:
        ``loss`` and ``cache = (y_hat, a, x)``: dicts keyed by t of ŷ<t>, a<t> (with ``a[-1] = a0``) and x<t>.
    """
    n_a, n_x = parameters["Wax"].shape
    if vocab_size is not None and vocab_size != n_x:
        raise ValueError(f"vocab_size={vocab_size!r} but Wax has {n_x} columns: the one-hot x<t> must have Wax's width")
    vocab_size = n_x
    _check_example(X, Y, vocab_size, parameters["Wya"].shape[0])
    _check_column("a0", a0, n_a)
    x, a, y_hat = {}, {}, {}
    a[-1] = np.copy(a0)
    loss = 0
    for t in range(len(X)):
        x[t] = np.zeros((vocab_size, 1))  # one-hot x<t>; None leaves it zero
        if X[t] is not None:
            x[t][X[t]] = 1
        a[t], y_hat[t] = rnn_step_forward(parameters, a[t - 1], x[t])
        loss -= np.log(y_hat[t][Y[t], 0])  # the cross-entropy of this step
    return loss, (y_hat, a, x)


def rnn_backward(X: list, Y: list, parameters: Parameters, cache: tuple) -> tuple:
    """Backpropagation through time for the example ``rnn_forward`` read.

    Walking back from the last step, dy = ŷ<t> - one_hot(Y[t]) (softmax and cross-entropy together) and
    ``rnn_step_backward`` adds each step's share: the weights are shared, so their gradients are sums over t.

    Returns:
        ``gradients`` {"dWax", "dWaa", "dWya", "db" (or "dba"), "dby", "da_next"} (``da_next`` is then the
        gradient reaching a0) and ``a`` (the dict of hidden states from the cache).
    """
    y_hat, a, x = cache
    Waa, Wax, Wya, by = parameters["Waa"], parameters["Wax"], parameters["Wya"], parameters["by"]
    b = parameters[_ba_key(parameters)]
    gradients = {}
    gradients["dWax"], gradients["dWaa"], gradients["dWya"] = np.zeros_like(Wax), np.zeros_like(Waa), np.zeros_like(Wya)
    gradients["d" + _ba_key(parameters)], gradients["dby"] = np.zeros_like(b), np.zeros_like(by)
    gradients["da_next"] = np.zeros_like(a[0])
    for t in reversed(range(len(X))):
        dy = np.copy(y_hat[t])
        dy[Y[t]] -= 1  # d(-log softmax(z)[y])/dz = softmax(z) - one_hot(y)
        gradients = rnn_step_backward(dy, gradients, parameters, x[t], a[t], a[t - 1])
    return gradients, a


# ================================================================================================
# The graded functions: clip, sample, optimize, model
# ================================================================================================


def clip(gradients: dict, maxValue: float | None = None, *, max_value: float | None = None) -> dict:
    """Clip every gradient entrywise to [-maxValue, maxValue] (the course's remedy for exploding gradients).

    As the course's ``clip``: the gradients are deep-copied first, the copies clipped in place with
    ``np.clip(gradient, -maxValue, maxValue, out=gradient)``, and a new dict is returned; the caller's
    arrays are not changed. The result holds the course's five gradients, in the course's order
    (dWaa, dWax, dWya, db, dby); ``rnn_backward``'s ``da_next`` (the gradient reaching a0, not a weight's)
    is left out, as the course leaves it out. Any other array (an LSTM's dWf, ...) is clipped too and
    non-array entries are passed through, so the function serves any dictionary of gradients.

    Args:
        gradients: name -> gradient array.
        maxValue: the bound, > 0 (the course's name; ``max_value=`` is accepted as well).

    Returns:
        The clipped copies.
    """
    bound = _clip_bound(maxValue, max_value)
    gradients = copy.deepcopy(gradients)
    course_order = [k for k in ("dWaa", "dWax", "dWya", "db", "dba", "dby") if k in gradients]
    clipped = {}
    for key in course_order + [k for k in gradients if k not in course_order and k != "da_next"]:
        gradient = gradients[key]
        if isinstance(gradient, np.ndarray):
            np.clip(gradient, -bound, bound, out=gradient)
        clipped[key] = gradient
    return clipped


def sample(parameters: Parameters, char_to_ix: dict, seed: int) -> list[int]:
    """Sample a sequence of character indices from the model, as the course does.

        x<1> = 0, a<0> = 0;   a<t> = tanh(Wax x<t> + Waa a<t-1> + b);   ŷ<t> = softmax(Wya a<t> + by)
        idx<t> ~ ŷ<t>;        x<t+1> = one_hot(idx<t>)

    Stops after drawing '\\n' or after 50 characters (then appends '\\n''s index, as the course does), so
    the list always ends with the newline's index. (If the 50th draw is itself '\\n' the course still
    appends one: 51 indices ending in two newlines. Kept, to give the course's output.)

    Draw number t (from 0) uses ``np.random.RandomState(seed + 2t)``: the course calls
    ``np.random.seed(counter + seed)`` and then increments both. The same indices as the course, without
    touching NumPy's global generator.

    Args:
        parameters: "Wax" (n_a, vocab), "Waa", "b" (or "ba"), "Wya" (vocab, n_a), "by" (vocab, 1).
        char_to_ix: character -> index; must hold '\\n'.
        seed: the course's seed, an int from 0 to 2**32 - 101.

    Returns:
        The drawn indices (Python ints), at most 51, the last one '\\n''s.
    """
    if "\n" not in char_to_ix:
        raise KeyError("char_to_ix has no '\\n': sampling stops at the newline, so the vocabulary must hold it")
    if not _is_int(seed) or not 0 <= seed <= 2**32 - 101:
        raise ValueError(f"seed must be an int from 0 to 2**32 - 101 (NumPy's seeds are 32-bit), got {seed!r}")
    Waa, Wax, Wya, by = parameters["Waa"], parameters["Wax"], parameters["Wya"], parameters["by"]
    b = parameters[_ba_key(parameters)]
    vocab_size = by.shape[0]
    n_a = Waa.shape[1]
    x = np.zeros((vocab_size, 1))  # x<1> = 0: no character before the first
    a_prev = np.zeros((n_a, 1))
    indices: list[int] = []
    idx = -1
    counter = 0
    newline_character = char_to_ix["\n"]
    while idx != newline_character and counter != 50:
        a = np.tanh(Wax @ x + Waa @ a_prev + b)
        z = Wya @ a + by
        y = softmax(z)
        idx = int(np.random.RandomState(counter + seed).choice(range(vocab_size), p=y.ravel()))
        indices.append(idx)
        x = np.zeros((vocab_size, 1))
        x[idx] = 1  # feed the drawn character back in
        a_prev = a
        seed += 1
        counter += 1
    if counter == 50:
        indices.append(newline_character)
    return indices


def optimize(X: list, Y: list, a_prev: np.ndarray, parameters: Parameters, learning_rate: float = 0.01) -> tuple:
    """One step of training: forward, backward, clip the gradients to [-5, 5], update the parameters.

        W ← W - learning_rate · clip(dW, 5)       for W in Wax, Waa, Wya, b, by

    ``parameters`` is updated in place (as in the course).

    Args:
        X: input indices, ``X[0]`` is None (the zero vector), e.g. ``[None] + [char_to_ix[c] for c in name]``.
        Y: target indices, X shifted by one and ending with '\\n''s index.
        a_prev: the hidden state to start from, (n_a, 1).
        learning_rate: the step size.

    Returns:
        ``loss``, the clipped ``gradients`` {"dWaa", "dWax", "dWya", "db", "dby"}, and ``a[len(X)-1]``,
        the last hidden state (n_a, 1), which the course's ``model`` carries into the next example.
    """
    loss, cache = rnn_forward(X, Y, a_prev, parameters)
    gradients, a = rnn_backward(X, Y, parameters, cache)
    gradients = clip(gradients, 5)
    parameters = update_parameters(parameters, gradients, learning_rate)
    return loss, gradients, a[len(X) - 1]


def model(
    data_x: list,
    ix_to_char: dict,
    char_to_ix: dict,
    num_iterations: int = 35000,
    n_a: int = 50,
    dino_names: int = 7,
    vocab_size: int = 27,
    verbose: bool = False,
) -> tuple:
    """Train the character model on a list of names and print samples along the way, as the course does.

    The course's loop: the names are stripped and shuffled once (``np.random.seed(0)``); iteration j takes
    ``examples[j % len(examples)]``, sets X = [None] + its indices and Y = X[1:] + ['\\n'], and calls
    ``optimize`` with learning rate 0.01, carrying the last hidden state into the next example. The loss
    printed is ``smooth``ed from ``get_initial_loss(vocab_size, dino_names)``.

    Printing is the course's: every 2000 iterations (from j = 0) ``Iteration: j, Loss: ...`` and
    ``dino_names`` samples (seeds 0, 1, ...), whatever ``verbose`` says; ``verbose`` adds the course's
    debugging lines (j and idx at the first example, the last one and the wrap-around; X and Y of the first).
    Redirect stdout (``contextlib.redirect_stdout``) for a quiet run.

    Args:
        data_x: the names, one string each (e.g. ``read_names().data_x``, or the course's ``data.split("\\n")``).
        ix_to_char, char_to_ix: the two tables (``read_names`` builds them the course's way).
        num_iterations: training steps (one name each).
        n_a: the size of the hidden state.
        dino_names: how many names to sample at each report.
        vocab_size: the number of characters (27 in the course; ``read_names(...).vocab_size`` for other data).
        verbose: print the debugging lines too.

    Returns:
        ``(parameters, last_dino_name)``, as the course's: the trained parameters, and the last name
        sampled (capitalised, ending with '\\n'; ``"abc"`` if nothing was sampled).
    """
    _check_model_arguments(data_x, char_to_ix, num_iterations, n_a, dino_names, vocab_size)
    n_x, n_y = vocab_size, vocab_size
    parameters = initialize_parameters(n_a, n_x, n_y)
    loss = get_initial_loss(vocab_size, dino_names)
    examples = [x.strip() for x in data_x]
    np.random.RandomState(0).shuffle(examples)  # the course: np.random.seed(0); np.random.shuffle(examples)
    a_prev = np.zeros((n_a, 1))
    last_dino_name = "abc"
    for j in range(num_iterations):
        idx = j % len(examples)
        single_example = examples[idx]
        single_example_chars = list(single_example)
        single_example_ix = [char_to_ix[c] for c in single_example_chars]
        X = [None] + single_example_ix
        ix_newline = char_to_ix["\n"]
        Y = X[1:] + [ix_newline]
        curr_loss, _gradients, a_prev = optimize(X, Y, a_prev, parameters, learning_rate=0.01)
        if verbose and j in [0, len(examples) - 1, len(examples)]:
            print("j = ", j, "idx = ", idx)
        if verbose and j in [0]:
            print("single_example =", single_example)
            print("single_example_chars", single_example_chars)
            print("single_example_ix", single_example_ix)
            print(" X = ", X, "\n", "Y =       ", Y, "\n")
        loss = smooth(loss, curr_loss)
        if j % 2000 == 0:
            print("Iteration: %d, Loss: %f" % (j, loss) + "\n")  # noqa: UP031 (the course's format)
            seed = 0
            for _ in range(dino_names):
                sampled_indices = sample(parameters, char_to_ix, seed)
                last_dino_name = get_sample(sampled_indices, ix_to_char)
                print(last_dino_name.replace("\n", ""))
                seed += 1  # the same names at every report, for grading
            print("\n")
    return parameters, last_dino_name


# ================================================================================================
# The data, read the course's way
# ================================================================================================


class Names(NamedTuple):
    """What ``read_names`` returns: the names and the two tables, in ``model``'s argument order."""

    data_x: list
    ix_to_char: dict
    char_to_ix: dict

    @property
    def vocab_size(self) -> int:
        """The number of characters, '\\n' included (27 for lowercase a..z)."""
        return len(self.char_to_ix)


def read_names(path: str | os.PathLike | None = None) -> Names:
    """Read names the course's way: one per line, lowercased, characters sorted into the two tables.

    The course reads ``dinos.txt`` with ``open(...).read().lower()``, takes ``sorted(set(data))`` as the
    characters ('\\n' sorts first, so it gets index 0, then a = 1, ..., z = 26) and passes
    ``data.split("\\n")`` to ``model``. This does the same; with no path it uses the ~5,000 US-census first
    names of ``seq.datasets.names()``, which work offline. '\\n' is always in the tables (a file of one line
    has none, and sampling needs it).

    Args:
        path: a UTF-8 text file with one name per line (the course's ``dinos.txt``), or None.

    Returns:
        ``Names(data_x, ix_to_char, char_to_ix)``; ``.vocab_size`` is the number of characters.
    """
    if path is None:
        from seq.datasets import names  # here, not at the top: seq.datasets is not needed for a file

        data = "\n".join(names())
    else:
        data = _read_text(path)
    data = data.lower()
    chars = sorted(set(data) | {"\n"})
    char_to_ix = {ch: i for i, ch in enumerate(chars)}
    ix_to_char = {i: ch for i, ch in enumerate(chars)}
    return Names(data.split("\n"), ix_to_char, char_to_ix)


def model_gradients(X: list, Y: list, a_prev: np.ndarray, parameters: Parameters) -> tuple:
    """Forward and backward in one call, before clipping: ``rnn_forward`` then ``rnn_backward``.

    Returns:
        ``loss``, the unclipped ``gradients`` (with ``da_next``) and ``a[len(X)-1]`` (n_a, 1).
    """
    loss, cache = rnn_forward(X, Y, a_prev, parameters)
    gradients, a = rnn_backward(X, Y, parameters, cache)
    return loss, gradients, a[len(X) - 1]


# ================================================================================================
# Checks: bad input gets a message, not a NumPy error or a silently wrong one-hot vector
# ================================================================================================


def _is_int(value: Any) -> bool:
    """An integer (Python's or NumPy's), and not a bool."""
    return isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))


def _check_index(name: str, t: int, value: Any, size: int) -> None:
    if not _is_int(value) or not 0 <= value < size:
        raise ValueError(
            f"{name}[{t}] = {value!r}: expected an int index from 0 to {size - 1} (a character of the vocabulary)"
        )


def _check_example(X: list, Y: list, vocab_size: int, n_y: int) -> None:
    """X: None or indices below vocab_size; Y: indices below n_y; one target per input."""
    if len(X) != len(Y) or len(X) == 0:
        raise ValueError(
            f"X and Y must hold one index per step, as many targets as inputs and at least one: got {len(X)} "
            f"inputs and {len(Y)} targets (Y is X[1:] + [char_to_ix['\\n']])"
        )
    for t, (x, y) in enumerate(zip(X, Y)):
        if x is not None:
            _check_index("X", t, x, vocab_size)
        _check_index("Y", t, y, n_y)


def _check_column(name: str, value: np.ndarray, n: int) -> None:
    if np.shape(value) != (n, 1):
        raise ValueError(f"{name} must be a column of shape ({n}, 1) (n_a, 1), got shape {np.shape(value)}")


def _clip_bound(maxValue: Any, max_value: Any) -> float:
    """The one bound given, as either spelling, checked to be a number > 0."""
    if maxValue is not None and max_value is not None:
        raise TypeError("clip takes the bound once: pass maxValue (the course's name) or max_value, not both")
    bound = maxValue if maxValue is not None else max_value
    if bound is None:
        raise TypeError("clip needs the bound: clip(gradients, maxValue), e.g. clip(gradients, 5)")
    if isinstance(bound, (bool, np.bool_)) or not isinstance(bound, numbers.Real) or not bound > 0:
        raise ValueError(
            f"maxValue must be a number > 0 (the gradients are clipped to [-maxValue, maxValue]), got {bound!r}"
        )
    return bound


def _check_model_arguments(
    data_x: list, char_to_ix: dict, num_iterations: int, n_a: int, dino_names: int, vocab_size: int
) -> None:
    for name, value, least in (("num_iterations", num_iterations, 0), ("n_a", n_a, 1), ("dino_names", dino_names, 0)):
        if not _is_int(value) or value < least:
            raise ValueError(f"{name} must be an int >= {least}, got {value!r}")
    if isinstance(data_x, str) or not all(isinstance(x, str) for x in data_x):
        raise TypeError("data_x must be a list of names (strings), e.g. read_names().data_x or data.split('\\n')")
    if len(data_x) == 0:
        raise ValueError("data_x is empty: there is no name to train on")
    if "\n" not in char_to_ix:
        raise KeyError("char_to_ix has no '\\n': every name ends with it, so the vocabulary must hold it")
    largest = max(char_to_ix.values())
    if not _is_int(vocab_size) or largest >= vocab_size:
        raise ValueError(
            f"char_to_ix uses indices up to {largest}, so vocab_size must be at least {largest + 1}; got "
            f"{vocab_size!r}. Pass vocab_size=len(char_to_ix) (read_names(...).vocab_size)"
        )
    for name in data_x:
        for ch in name.strip():
            if ch not in char_to_ix:
                raise KeyError(
                    f"the character {ch!r} of the name {name!r} is not in char_to_ix: build the tables from the same "
                    "names (read_names does), or lowercase the names as the course does"
                )


def _read_text(path: str | os.PathLike) -> str:
    """A UTF-8 text file's contents, or an error that says what the file is instead."""
    if os.path.isdir(path):
        raise IsADirectoryError(f"{os.fspath(path)!r} is a directory: pass a text file with one name per line")
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except UnicodeDecodeError as e:
        raise ValueError(f"{os.fspath(path)!r} is not UTF-8 text ({e}): pass a text file with one name per line") from e
