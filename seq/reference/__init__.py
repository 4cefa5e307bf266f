"""The course's hand-written NumPy RNN, LSTM and GRU, and the bridge from them to ``seq``.

In the Sequence Models course you write these functions yourself, in NumPy, before meeting a framework.
This package holds them in the course's notation and shapes, with every backward pass commented line by
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

The dinosaur assignment calls the RNN's bias ``b`` (gradient ``db``) where the "Step by Step" notebook says
``ba``; these functions read either and write what they were given.

Every function works on plain NumPy arrays (no minigrad), so it reads as you wrote it.

Where things are: ``step_by_step`` (the "Step by Step" notebook: the cells and their backward passes),
``dinosaurus`` (the course's Assignment 2, the dinosaur-names character model, as written) and ``convert``
(the course's dictionaries to and from ``seq``'s state dicts). Everything is importable from
``seq.reference`` itself, with one exception: two notebooks define ``rnn_forward`` and ``rnn_backward``.
``seq.reference.rnn_forward(x, a0, parameters)`` and ``rnn_backward(da, caches)`` are the "Step by Step"
notebook's; the dinosaur assignment's ``rnn_forward(X, Y, a0, parameters)`` and
``rnn_backward(X, Y, parameters, cache)`` (with its utilities and ``model``) are in
``seq.reference.dinosaurus``: ``from seq.reference.dinosaurus import *`` gives that notebook's names.
``seq.reference.clip``, ``sample`` and ``optimize`` are the assignment's (``clip`` takes its bound as
``maxValue``, the course's name, or ``max_value``).
"""

from seq.reference import dinosaurus
from seq.reference.convert import (
    GRU_GATES,
    LSTM_GATES,
    gru_from_seq,
    gru_to_seq,
    load_into,
    lstm_from_seq,
    lstm_to_seq,
    readout_from_seq,
    readout_to_seq,
    rnn_from_seq,
    rnn_to_seq,
)
from seq.reference.dinosaurus import clip, model_gradients, optimize, sample
from seq.reference.step_by_step import (
    gru_backward,
    gru_cell_backward,
    gru_cell_forward,
    gru_forward,
    lstm_backward,
    lstm_cell_backward,
    lstm_cell_forward,
    lstm_forward,
    rnn_backward,
    rnn_cell_backward,
    rnn_cell_forward,
    rnn_forward,
    sigmoid,
    softmax,
)

__all__ = [
    "GRU_GATES",
    "LSTM_GATES",
    "clip",
    "dinosaurus",
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
