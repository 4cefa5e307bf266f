"""The course's PyTorch character models, run on minigrad with only their imports changed.

The code below is PyTorch code. The imports are the only lines that differ from the course's:

    import torch                                   ->  import minigrad as torch
    from torch import nn                           ->  from minigrad import nn
    import torch.nn.functional as F                ->  from minigrad.nn import functional as F
    from torch.utils.data import TensorDataset, DataLoader
                                                   ->  from minigrad.utils.data import TensorDataset, DataLoader
    nn.RNN, nn.LSTM                                ->  seq.RNN, seq.LSTM   (import seq: the recurrent layers,
                                                       with PyTorch's constructor, call and outputs)

Both models learn first names (``seq.datasets.names()``, 5,163 of them, each ended by ".") read as one
stream of characters: a character-level RNN (embedding -> RNN -> two Linear layers) and the usual LSTM
variant (its hidden state made by ``weight.new_zeros``, sampling with ``torch.multinomial``). Each must end
its training below a stated loss that beats the unigram model of the same characters.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter

import pytest

import minigrad as torch
import seq
from minigrad import nn
from minigrad.nn import functional as F
from minigrad.utils.data import DataLoader, TensorDataset

# ------------------------------------------------------------------------------------------------
# Data: the names as one stream, cut so that batch j holds window j of each of B parallel streams
# (then the hidden state carried from one batch to the next belongs to the same stream)
# ------------------------------------------------------------------------------------------------

T = 10  # characters per window
B = 500  # streams, one per row of a batch: DataLoader(train_data, batch_size=500)

text = ".".join(seq.datasets.names()) + "."
chars = sorted(set(text))
stoi = {c: i for i, c in enumerate(chars)}
itos = dict(enumerate(chars))
vocab_size = len(chars)

ids = torch.tensor([stoi[c] for c in text], dtype=torch.long)
stream_length = (len(ids) - 1) // B // T * T  # each stream: a whole number of windows
windows = stream_length // T
xs = ids[: B * stream_length].view(B, windows, T).transpose(0, 1).contiguous().view(-1, T)  # (windows*B, T)
ys = ids[1 : B * stream_length + 1].view(B, windows, T).transpose(0, 1).contiguous().view(-1, T)
train_data = TensorDataset(xs, ys)

# The baselines, in nats/char on the same text: the unigram model (2.81) and the maximum-likelihood bigram
# model (2.33, the best any bigram model can do here). Both models must end below BOUND, under both.
counts, pairs, firsts = Counter(text), Counter(itertools.pairwise(text)), Counter(text[:-1])
UNIGRAM = -sum(n / len(text) * math.log(n / len(text)) for n in counts.values())
BIGRAM = -sum(n * math.log(n / firsts[a]) for (a, _), n in pairs.items()) / (len(text) - 1)
BOUND = 2.25


# ------------------------------------------------------------------------------------------------
# The RNN model (the course's: embedding -> RNN -> Linear -> ReLU -> Linear)
# ------------------------------------------------------------------------------------------------


class CharRNN(nn.Module):
    def __init__(self, vocab_size, embed_size, hidden_size):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_size)
        self.rnn = seq.RNN(embed_size, hidden_size, batch_first=True)
        self.fc1 = nn.Linear(hidden_size, hidden_size)
        self.fc2 = nn.Linear(hidden_size, vocab_size)

    def forward(self, x, hidden=None):
        x = self.embedding(x)
        out, hidden = self.rnn(x, hidden)
        out = torch.relu(self.fc1(out))
        return self.fc2(out), hidden


@pytest.mark.slow
def test_the_course_rnn_learns_names():
    torch.manual_seed(0)
    model = CharRNN(vocab_size, 16, 64)
    optimizer = torch.optim.AdamW(model.parameters(), lr=0.01)
    criterion = nn.CrossEntropyLoss()
    loader = DataLoader(train_data, batch_size=500)

    for _epoch in range(8):
        hidden = None
        total, batches = 0.0, 0
        for x, y in loader:
            if hidden is not None:
                hidden = hidden.detach()  # truncated BPTT: keep the state, cut the graph
            optimizer.zero_grad()
            logits, hidden = model(x, hidden)
            loss = criterion(logits.view(-1, vocab_size), y.view(-1))
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            optimizer.step()
            total += loss.item()
            batches += 1
        epoch_loss = total / batches

    assert epoch_loss < BOUND < BIGRAM < UNIGRAM, f"last epoch {epoch_loss:.3f} nats/char, bigram {BIGRAM:.3f}"


# ------------------------------------------------------------------------------------------------
# The LSTM variant, with sampling
# ------------------------------------------------------------------------------------------------


class CharLSTM(nn.Module):
    def __init__(self, vocab_size, embed_size, hidden_size, num_layers):
        super().__init__()
        self.hidden_size, self.num_layers = hidden_size, num_layers
        self.embedding = nn.Embedding(vocab_size, embed_size)
        self.lstm = seq.LSTM(embed_size, hidden_size, num_layers, batch_first=True)
        self.fc = nn.Linear(hidden_size, vocab_size)

    def init_hidden(self, batch_size):
        weight = next(self.parameters())
        return (
            weight.new_zeros(self.num_layers, batch_size, self.hidden_size),
            weight.new_zeros(self.num_layers, batch_size, self.hidden_size),
        )

    def forward(self, xs, hidden):
        batch_size, steps = xs.size(0), xs.size(1)
        out, hidden = self.lstm(self.embedding(xs), hidden)
        out = out.contiguous().view(batch_size * steps, self.hidden_size)
        return self.fc(out), hidden


def sample(model, start, length, temperature=1.0):
    model.eval()
    hidden = model.init_hidden(1)
    x = torch.tensor([[stoi[c] for c in start]], dtype=torch.long)
    out = start
    with torch.no_grad():
        for _ in range(length):
            logits, hidden = model(x, hidden)
            probs = F.softmax(logits[-1] / temperature, dim=-1)
            next_id = torch.multinomial(probs, 1).item()
            out += itos[next_id]
            x = torch.tensor([[next_id]], dtype=torch.long)
    return out


@pytest.mark.slow
def test_the_course_lstm_learns_names_and_samples():
    torch.manual_seed(0)
    model = CharLSTM(vocab_size, 16, 64, num_layers=1)
    optimizer = torch.optim.AdamW(model.parameters(), lr=0.01)
    criterion = nn.CrossEntropyLoss()
    loader = DataLoader(train_data, batch_size=500)

    for _epoch in range(8):
        hidden = model.init_hidden(500)
        total, batches = 0.0, 0
        for x, y in loader:
            hidden = tuple(h.detach() for h in hidden)
            optimizer.zero_grad()
            logits, hidden = model(x, hidden)
            loss = criterion(logits, y.view(-1))
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            optimizer.step()
            total += loss.item()
            batches += 1
        epoch_loss = total / batches

    assert epoch_loss < BOUND < BIGRAM < UNIGRAM, f"last epoch {epoch_loss:.3f} nats/char, bigram {BIGRAM:.3f}"

    torch.manual_seed(1)
    text_out = sample(model, "ma", 60)
    assert len(text_out) == 62 and set(text_out) <= set(chars)
    made = [name for name in text_out.split(".")[1:-1] if name]  # whole names between two ends
    assert made and all(2 <= len(name) <= 12 for name in made), text_out  # name-like lengths, not noise
