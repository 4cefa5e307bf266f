"""seq: RNN, GRU and LSTM cells and layers on minigrad, trained by automatic backpropagation through time.

- ``seq.cells``: the readable cells (``RNNCell``, ``GRUCell``, ``MinimalGRUCell``, ``LSTMCell``), the
  course's equations transcribed into minigrad ops.
- ``seq.layers``: ``RNN``, ``GRU``, ``LSTM`` with PyTorch's constructor, call, outputs and parameter names, and
  ``MinimalGRU`` (the course's simplified GRU) with the same API; ``impl="fused"`` (one Function per layer and
  direction, the default) or ``impl="cells"``.
- ``seq.fused``: the fused kernels with their hand-derived backward (one file per kernel family).
- ``seq.packing``: ``pack_padded_sequence`` / ``pad_packed_sequence`` for variable-length batches.
- ``seq.init``: the course's initialisation tricks.
- the toolkit: ``seq.text`` (``Vocabulary``), ``seq.datasets`` (corpora and generated tasks),
  ``seq.data`` (``batchify``, ``bptt_windows``, ``pad_sequences``, ``BatchIterator``), ``seq.models``
  (``LanguageModel``, ``SequenceClassifier``, ``SequenceTagger``, ``Seq2Seq``), ``seq.attention``,
  ``seq.generate`` (``sample`` with a ``prime``, ``greedy_decode``, ``beam_search``), ``seq.metrics``
  (perplexity, accuracies, ``score_sentence``: a sentence's log-probability term by term).
- the bridge: ``seq.reference`` (the course's hand-written BPTT in NumPy: the "Step by Step" notebook, the
  dinosaur assignment as written in ``seq.reference.dinosaurus``, and converters between the course's
  parameters and seq's), ``seq.export`` (``to_torch`` / ``from_torch``; PyTorch imported only when called).
"""

from seq import attention, data, datasets, export, generate, init, metrics, models, reference, text
from seq.attention import BahdanauAttention, LuongAttention
from seq.cells import GRUCell, LSTMCell, MinimalGRUCell, RNNCell
from seq.layers import GRU, LSTM, RNN, MinimalGRU
from seq.models import LanguageModel, Seq2Seq, SequenceClassifier, SequenceTagger
from seq.packing import PackedSequence, pack_padded_sequence, pad_packed_sequence
from seq.state import detach_state
from seq.text import Vocabulary

__all__ = [
    "GRU",
    "LSTM",
    "RNN",
    "BahdanauAttention",
    "GRUCell",
    "LSTMCell",
    "LanguageModel",
    "LuongAttention",
    "MinimalGRU",
    "MinimalGRUCell",
    "PackedSequence",
    "RNNCell",
    "Seq2Seq",
    "SequenceClassifier",
    "SequenceTagger",
    "Vocabulary",
    "attention",
    "data",
    "datasets",
    "detach_state",
    "export",
    "generate",
    "init",
    "metrics",
    "models",
    "pack_padded_sequence",
    "pad_packed_sequence",
    "reference",
    "text",
]
