"""Whole models of the course's sequence-model architectures, built from seq's layers.

The course sorts RNN architectures by how many inputs and outputs they have (Tx, Ty):

- one-to-many / many-to-many with Tx = Ty, shifted: ``LanguageModel`` — the character-level model
  that reads x<t> = y<t-1> and predicts ŷ<t>, and samples novel text (``seq.generate.sample``).
- many-to-one: ``SequenceClassifier`` — sentiment classification: one label from the final state.
- many-to-many with Tx = Ty: ``SequenceTagger`` — named-entity recognition: one tag per input word.
- many-to-many with Tx ≠ Ty: ``Seq2Seq`` — machine translation: an encoder reads the source, a decoder
  writes the target, optionally attending to the encoder's outputs (``seq.attention``).

Every model is time-major (ids (T, B), as ``seq.LSTM``); a batch of variable-length sequences is padded
to T and passed with ``lengths`` (B,): the recurrent layers stop each sequence at its own length, so
padding never changes the outputs at the real positions.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import minigrad
from minigrad import Tensor
from minigrad.nn import Dropout, Embedding, Linear, Module
from minigrad.random import Generator, numpy_generator
from seq.attention import BahdanauAttention, LuongAttention, sequence_mask
from seq.cells import GRUCell, LSTMCell
from seq.layers import GRU, LSTM, RNN

__all__ = ["LanguageModel", "Seq2Seq", "SequenceClassifier", "SequenceTagger"]

_LAYERS = {"lstm": LSTM, "gru": GRU, "rnn": RNN}


def _recurrent(
    cell: str, input_size: int, hidden_size: int, num_layers: int = 1, dropout: float = 0.0, bidirectional: bool = False
) -> Module:
    """The seq layer named by ``cell``; ``dropout`` is applied between stacked layers only (as PyTorch)."""
    if cell not in _LAYERS:
        raise ValueError(f"cell must be one of {sorted(_LAYERS)}, got {cell!r}")
    between = dropout if num_layers > 1 else 0.0
    return _LAYERS[cell](input_size, hidden_size, num_layers, dropout=between, bidirectional=bidirectional)


def _check_sizes(**sizes: Any) -> None:
    """Every size (vocabulary, embedding, hidden, classes) an int >= 1, or a ValueError naming it."""
    for name, value in sizes.items():
        if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
            raise ValueError(f"{name} must be an int >= 1, got {value!r}")


def _hidden(state: Any) -> Tensor:
    """The hidden state a<t> of a layer's final state (an LSTM's is (h_n, c_n); the others' h_n)."""
    return state[0] if isinstance(state, tuple) else state


class LanguageModel(Module):
    """A recurrent language model: P(y<t> | y<1>, ..., y<t-1>) for every t (the course's character model).

        e<t>  = E[x<t>]                          Embedding
        a<t>  = RNN(e<t>, a<t-1>)                LSTM / GRU / RNN, ``num_layers`` stacked
        ŷ<t>  = softmax(W_y dropout(a<t>) + b_y)  the logits are returned; the softmax is in the loss

    Trained with x<t> = y<t-1> (the input is the target shifted right by one, starting from <bos>) and
    ``cross_entropy(logits.reshape(T * B, V), targets.reshape(T * B))``.

    The probability of a whole sequence is the course's chain of conditionals,
    P(y<1>, ..., y<Ty>) = P(y<1>) P(y<2> | y<1>) ... P(y<Ty> | y<1>, ..., y<Ty-1>): ``log_prob`` sums their
    logs, ``token_log_probs`` gives them one by one (``seq.metrics.score_sentence`` does it for a text).

    Weights:
        embedding.weight: (V, E); rnn: as ``seq.LSTM`` (``weight_ih_l0`` (G·H, E), ...);
        decoder.weight: (V, H) — the same Parameter as ``embedding.weight`` with ``tie_weights``
        (Press & Wolf 2017; needs E == H); decoder.bias: (V,).

    Args:
        vocab_size: V; embed_dim: E; hidden_size: H.
        cell: "lstm", "gru" or "rnn".
        num_layers: stacked recurrent layers.
        dropout: on the last layer's output (and between stacked layers).
        tie_weights: share the embedding matrix with the output layer.
    """

    def __init__(
        self,
        vocab_size: int,
        embed_dim: int,
        hidden_size: int,
        cell: str = "lstm",
        num_layers: int = 1,
        dropout: float = 0.0,
        tie_weights: bool = False,
    ) -> None:
        super().__init__()
        _check_sizes(vocab_size=vocab_size, embed_dim=embed_dim, hidden_size=hidden_size)
        if tie_weights and embed_dim != hidden_size:
            raise ValueError(
                f"tie_weights shares the (V, E) embedding with the (V, H) output layer, so embed_dim must equal "
                f"hidden_size; got embed_dim={embed_dim}, hidden_size={hidden_size}. Make them equal or pass "
                "tie_weights=False."
            )
        self.vocab_size, self.embed_dim, self.hidden_size = vocab_size, embed_dim, hidden_size
        self.cell, self.num_layers, self.tie_weights = cell, num_layers, tie_weights
        self.embedding = Embedding(vocab_size, embed_dim)
        self.rnn = _recurrent(cell, embed_dim, hidden_size, num_layers, dropout)
        self.dropout = Dropout(dropout)
        self.decoder = Linear(hidden_size, vocab_size)
        if tie_weights:
            self.decoder.weight = self.embedding.weight  # one Parameter, (V, E) = (V, H)

    def forward(self, ids: Any, state: Any = None) -> tuple[Tensor, Any]:
        """Logits of the next token at every step.

        Args:
            ids: (T, B) integer token ids x<1..T>.
            state: the recurrent state to start from (``init_state`` or a previous call's), None for zeros.

        Returns:
            logits (T, B, V) and the final state ((num_layers, B, H); a pair (h, c) for an LSTM), to carry
            into the next window (after ``seq.detach_state`` for truncated BPTT).
        """
        x = self.embedding(ids)  # (T, B, E)
        output, state = self.rnn(x, state)  # (T, B, H)
        return self.decoder(self.dropout(output)), state  # (T, B, V)

    def token_log_probs(self, ids: Any, lengths: Any = None) -> Tensor:
        """log P(y<t> | y<1>, ..., y<t-1>) of every token after the first, from one pass over the sequences.

        Each sequence starts with the token the model was trained to start from (``<bos>``): that first
        token is given, not scored (the course's x<1>). Every later token is scored given all the tokens
        before it, an ``<eos>`` at the end like any other (the course's P(... <EOS>)); so for
        ``ids = [<bos>, y1, ..., yn, <eos>]`` the rows are log P(y1 | <bos>), ..., log P(<eos> | ..., yn).

        Dropout is applied if the model is in training mode: call ``model.eval()`` first to score (and
        ``minigrad.no_grad()`` when no gradient is wanted). The result is differentiable: its negative mean
        is the training loss.

        Args:
            ids: (T, B) integer ids, T >= 2 (or (T,) for one sequence), each sequence padded past its length.
            lengths: (B,) the real length of each sequence, its first token included (2..T), or None (all T).

        Returns:
            (T - 1, B) log-probabilities (natural log; 0 past each length), or (T - 1,) for 1-D ids.
        """
        ids, lengths, one = _scored_ids(ids, lengths, self.vocab_size)
        T, B = ids.shape
        logits, _ = self(ids[:-1])  # x<t> = y<t-1>: (T-1, B, V)
        logp = minigrad.log_softmax(logits, dim=-1)  # (T-1, B, V)
        terms = minigrad.gather(logp, 2, ids[1:, :, None]).reshape(T - 1, B)  # log P(y<t>): (T-1, B, 1) -> (T-1, B)
        if lengths is not None:
            scored = np.arange(1, T)[:, None] < lengths[None, :]  # (T-1, B): positions inside each sequence
            terms = terms * Tensor(scored.astype(logp.dtype))
        return terms.reshape(T - 1) if one else terms  # (T-1, 1) -> (T-1,) for one sequence

    def log_prob(self, ids: Any, lengths: Any = None) -> Tensor:
        """log P(sequence) = Σ_t log P(y<t> | y<1>, ..., y<t-1>): ``token_log_probs`` summed over time.

        Args:
            ids, lengths: as ``token_log_probs`` (the first token, ``<bos>``, is given; ``<eos>`` is scored).

        Returns:
            (B,) log-probabilities (natural log), or a 0-d tensor for 1-D ids.
        """
        return self.token_log_probs(ids, lengths).sum(axis=0)

    def init_state(self, batch: int) -> Any:
        """Zeros: (num_layers, batch, H), or a pair of them for an LSTM."""
        dtype = self.embedding.weight.dtype
        h = minigrad.zeros(self.num_layers, batch, self.hidden_size, dtype=dtype)
        return (h, minigrad.zeros(self.num_layers, batch, self.hidden_size, dtype=dtype)) if self.cell == "lstm" else h


def _scored_ids(ids: Any, lengths: Any, vocab_size: int) -> tuple:
    """ids as an int64 (T, B) array (and whether it was one 1-D sequence), lengths as (B,) or None, checked."""
    ids = np.asarray(getattr(ids, "data", ids))
    one = ids.ndim == 1
    if one:
        ids = ids[:, None]  # (T,) -> (T, 1)
    if ids.ndim != 2 or ids.dtype.kind not in "iu":
        raise ValueError(
            f"ids must be integer token ids of shape (T, B) or (T,), got shape {ids.shape} dtype {ids.dtype}"
        )
    if ids.shape[0] < 2:
        raise ValueError(
            f"a sequence to score needs its first token (<bos>) and at least one more, got T={ids.shape[0]}"
        )
    if ids.size and (ids.min() < 0 or ids.max() >= vocab_size):
        raise ValueError(f"ids must be in 0..{vocab_size - 1} (the vocabulary), got {ids.min()}..{ids.max()}")
    if lengths is not None:
        lengths = np.asarray(getattr(lengths, "data", lengths))
        if lengths.shape != (ids.shape[1],) or lengths.dtype.kind not in "iu":
            raise ValueError(f"lengths must be {ids.shape[1]} integers (one per sequence), got {lengths!r}")
        if lengths.min() < 2 or lengths.max() > ids.shape[0]:
            raise ValueError(f"lengths must be in 2..T={ids.shape[0]} (<bos> and at least one token), got {lengths}")
    return ids.astype(np.int64), lengths, one


class SequenceClassifier(Module):
    """Many-to-one: one label per sequence from the final state (the course's sentiment classifier).

        a<T_b>   = the last layer's state at each sequence's last real step (lengths-aware)
        logits   = W dropout(a<T_b>) + b            with a bidirectional layer: [a→<T_b>; a←<1>]

    Weights:
        embedding.weight: (V, E); rnn: as ``seq.LSTM``; classifier.weight: (C, dirs·H); classifier.bias: (C,).

    Args:
        vocab_size: V; embed_dim: E; hidden_size: H; num_classes: C.
        cell: "lstm", "gru" or "rnn"; num_layers; bidirectional.
        dropout: before the classifier (and between stacked layers).
        padding_idx: an embedding row reserved for padding (optional: with ``lengths`` padding is never read).
    """

    def __init__(
        self,
        vocab_size: int,
        embed_dim: int,
        hidden_size: int,
        num_classes: int,
        cell: str = "lstm",
        num_layers: int = 1,
        bidirectional: bool = False,
        dropout: float = 0.0,
        padding_idx: int | None = None,
    ) -> None:
        super().__init__()
        _check_sizes(vocab_size=vocab_size, embed_dim=embed_dim, hidden_size=hidden_size, num_classes=num_classes)
        self.bidirectional = bidirectional
        self.embedding = Embedding(vocab_size, embed_dim, padding_idx=padding_idx)
        self.rnn = _recurrent(cell, embed_dim, hidden_size, num_layers, dropout, bidirectional)
        self.dropout = Dropout(dropout)
        self.classifier = Linear(hidden_size * (2 if bidirectional else 1), num_classes)

    def forward(self, ids: Any, lengths: Any = None) -> Tensor:
        """Class logits.

        Args:
            ids: (T, B) integer ids, padded past each length.
            lengths: (B,) real lengths (1..T), or None when every sequence has T tokens.

        Returns:
            logits (B, C).
        """
        x = self.embedding(ids)  # (T, B, E)
        _, state = self.rnn(x, lengths=lengths)
        h_n = _hidden(state)  # (num_layers * dirs, B, H), taken at each sequence's last real step
        if self.bidirectional:
            final = minigrad.cat([h_n[-2], h_n[-1]], axis=-1)  # forward's last step, backward's first: (B, 2H)
        else:
            final = h_n[-1]  # (B, H)
        return self.classifier(self.dropout(final))  # (B, C)


class SequenceTagger(Module):
    """Many-to-many with Tx = Ty: one tag per token (the course's named-entity recogniser).

        ŷ<t> = softmax(W dropout(a<t>) + b)    a<t> = [a→<t>; a←<t>] with a bidirectional layer

    Weights:
        embedding.weight: (V, E); rnn: as ``seq.LSTM``; classifier.weight: (K, dirs·H); classifier.bias: (K,).

    Args:
        vocab_size: V; embed_dim: E; hidden_size: H; num_tags: K.
        cell: "lstm", "gru" or "rnn"; bidirectional; num_layers.
        dropout: before the classifier (and between stacked layers).
        padding_idx: an embedding row reserved for padding (optional).

    The logits past each sequence's length are the classifier's bias (the layer outputs zeros there):
    leave them out of the loss, e.g. with targets set to ``ignore_index`` at the padding.
    """

    def __init__(
        self,
        vocab_size: int,
        embed_dim: int,
        hidden_size: int,
        num_tags: int,
        cell: str = "lstm",
        bidirectional: bool = False,
        num_layers: int = 1,
        dropout: float = 0.0,
        padding_idx: int | None = None,
    ) -> None:
        super().__init__()
        _check_sizes(vocab_size=vocab_size, embed_dim=embed_dim, hidden_size=hidden_size, num_tags=num_tags)
        self.embedding = Embedding(vocab_size, embed_dim, padding_idx=padding_idx)
        self.rnn = _recurrent(cell, embed_dim, hidden_size, num_layers, dropout, bidirectional)
        self.dropout = Dropout(dropout)
        self.classifier = Linear(hidden_size * (2 if bidirectional else 1), num_tags)

    def forward(self, ids: Any, lengths: Any = None) -> Tensor:
        """Tag logits at every step.

        Args:
            ids: (T, B) integer ids; lengths: (B,) or None.

        Returns:
            logits (T, B, K).
        """
        x = self.embedding(ids)  # (T, B, E)
        output, _ = self.rnn(x, lengths=lengths)  # (T, B, dirs * H)
        return self.classifier(self.dropout(output))  # (T, B, K)


class Seq2Seq(Module):
    """Encoder-decoder for Tx ≠ Ty (the course's translation model), with optional attention.

    Encoder (a bidirectional layer by default): memory = [a→<t'>; a←<t'>] for t' = 1..S, (S, B, dirs·H).
    The decoder state starts from the encoder's final state (through ``bridge``, tanh(W [a→; a←]), when
    the encoder is bidirectional). At each target step, from the previous token y<t-1>:

    - ``attention="bahdanau"``: context<t> = attn(s<t-1>, memory); s<t> = cell([E y<t-1>; context<t>], s<t-1>);
      logits = W_out [s<t>; context<t>].
    - ``"luong-dot"`` / ``"luong-general"``: s<t> = cell(E y<t-1>, s<t-1>); context<t> = attn(s<t>, memory);
      s̃<t> = tanh(W_c [context<t>; s<t>]); logits = W_out s̃<t> (Luong's "global attention", without input
      feeding). "luong-dot" needs memory and state of one size: ``bidirectional_encoder=False``.
    - ``None``: s<t> = cell(E y<t-1>, s<t-1>); logits = W_out s<t> — the whole source passes through the
      encoder's final state (Sutskever et al. 2014, Cho et al. 2014).

    Weights:
        src_embedding.weight (V_src, E); encoder: ``seq.LSTM``/``seq.GRU`` (E -> H, dirs directions);
        bridge (``bridge_c`` for the LSTM's cell): Linear(2H, H) with a bidirectional encoder;
        tgt_embedding.weight (V_tgt, E); decoder_cell: ``seq.LSTMCell``/``GRUCell`` (E [+ dirs·H] -> H);
        attention: see ``seq.attention``; combine: Linear(dirs·H + H, H) (Luong); out: Linear(..., V_tgt).

    Args:
        src_vocab, tgt_vocab: vocabulary sizes; embed_dim: E; hidden_size: H (per encoder direction and
            the decoder's).
        attention: "bahdanau", "luong-dot", "luong-general" or None.
        cell: "lstm" or "gru".
        bidirectional_encoder: read the source both ways.
        dropout: on the embeddings and before the output layer.

    ``forward`` runs the decoder over a whole target (teacher forcing); ``encode`` and ``decode_step``
    are what ``seq.generate.greedy_decode`` and ``beam_search`` call one step at a time.
    """

    def __init__(
        self,
        src_vocab: int,
        tgt_vocab: int,
        embed_dim: int,
        hidden_size: int,
        attention: str | None = "bahdanau",
        cell: str = "lstm",
        bidirectional_encoder: bool = True,
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        _check_sizes(src_vocab=src_vocab, tgt_vocab=tgt_vocab, embed_dim=embed_dim, hidden_size=hidden_size)
        if cell not in ("lstm", "gru"):
            raise ValueError(f"Seq2Seq: cell must be 'lstm' or 'gru', got {cell!r}")
        if attention not in ("bahdanau", "luong-dot", "luong-general", None):
            raise ValueError(
                f"Seq2Seq: attention must be 'bahdanau', 'luong-dot', 'luong-general' or None, got {attention!r}"
            )
        dirs = 2 if bidirectional_encoder else 1
        H, E, M = hidden_size, embed_dim, hidden_size * dirs  # M: the memory's size
        if attention == "luong-dot" and M != H:
            raise ValueError(
                f"Seq2Seq(attention='luong-dot') scores sᵀa, so the memory ({M} = 2 x hidden_size, bidirectional) "
                f"and the decoder state ({H}) must have one size: pass bidirectional_encoder=False or use "
                "attention='luong-general'."
            )
        self.src_vocab, self.tgt_vocab, self.hidden_size = src_vocab, tgt_vocab, hidden_size
        self.attention_type, self.cell, self.bidirectional_encoder = attention, cell, bidirectional_encoder
        self.src_embedding = Embedding(src_vocab, E)
        self.encoder = _recurrent(cell, E, H, bidirectional=bidirectional_encoder)
        if bidirectional_encoder:
            self.bridge = Linear(2 * H, H)
            if cell == "lstm":
                self.bridge_c = Linear(2 * H, H)
        self.tgt_embedding = Embedding(tgt_vocab, E)
        cell_class = LSTMCell if cell == "lstm" else GRUCell
        self.dropout = Dropout(dropout)
        if attention == "bahdanau":
            self.attention = BahdanauAttention(H, M, H)
            self.decoder_cell = cell_class(E + M, H)
            self.out = Linear(H + M, tgt_vocab)
        elif attention is not None:
            self.attention = LuongAttention(H, M, method=attention.split("-")[1])
            self.decoder_cell = cell_class(E, H)
            self.combine = Linear(M + H, H)
            self.out = Linear(H, tgt_vocab)
        else:
            self.decoder_cell = cell_class(E, H)
            self.out = Linear(H, tgt_vocab)

    # --------------------------------------------------------------------------------------------
    # Encoder
    # --------------------------------------------------------------------------------------------

    def encode(self, src: Any, src_lengths: Any = None) -> tuple[Tensor, Any]:
        """Read the source.

        Args:
            src: (S, B) integer ids, padded past each length; src_lengths: (B,) or None (all S).

        Returns:
            memory (S, B, dirs·H) (zeros past each length) and the decoder's initial state ((B, H), or a
            pair (h, c) for the LSTM).
        """
        x = self.dropout(self.src_embedding(src))  # (S, B, E)
        memory, state = self.encoder(x, lengths=src_lengths)  # (S, B, dirs * H)
        kinds = state if isinstance(state, tuple) else (state,)  # each (dirs, B, H)
        if self.bidirectional_encoder:
            bridges = (self.bridge, self.bridge_c) if self.cell == "lstm" else (self.bridge,)
            # [a→; a←] (B, 2H) -> tanh(W [a→; a←] + b) (B, H): Bahdanau's initial decoder state
            init = tuple(minigrad.tanh(b(minigrad.cat([s[0], s[1]], axis=-1))) for b, s in zip(bridges, kinds))
        else:
            init = tuple(s[0] for s in kinds)  # (1, B, H) -> (B, H)
        return memory, (init if self.cell == "lstm" else init[0])

    def source_mask(self, src: Any, src_lengths: Any = None) -> np.ndarray | None:
        """The (S, B) mask of real source positions (None when every source is full length)."""
        if src_lengths is None:
            return None
        return sequence_mask(src_lengths, np.shape(getattr(src, "data", src))[0])

    # --------------------------------------------------------------------------------------------
    # Decoder
    # --------------------------------------------------------------------------------------------

    def decode_step(self, token: Any, state: Any, memory: Tensor, src_mask: Any = None) -> tuple:
        """One decoder step: from y<t-1> and s<t-1> to the logits of y<t> and s<t>.

        Args:
            token: (B,) integer ids of the previous target token (<bos> at the first step).
            state: s<t-1> ((B, H), or (h, c) for the LSTM).
            memory: (S, B, dirs·H) from ``encode``.
            src_mask: (S, B) bool (True on real source positions) or None.

        Returns:
            logits (B, V_tgt), the new state, and the attention weights (B, S) (None without attention).
        """
        e = self.dropout(self.tgt_embedding(token))  # (B, E)
        h_prev = _hidden(state)
        if self.attention_type == "bahdanau":
            context, weights = self.attention(h_prev, memory, src_mask)  # (B, M), (B, S): attend with s<t-1>
            state = self.decoder_cell(minigrad.cat([e, context], axis=-1), state)  # input (B, E + M)
            features = minigrad.cat([_hidden(state), context], axis=-1)  # (B, H + M)
        elif self.attention_type is not None:
            state = self.decoder_cell(e, state)
            h = _hidden(state)
            context, weights = self.attention(h, memory, src_mask)  # attend with s<t>
            features = minigrad.tanh(self.combine(minigrad.cat([context, h], axis=-1)))  # s̃<t>: (B, H)
        else:
            state = self.decoder_cell(e, state)
            features, weights = _hidden(state), None
        return self.out(self.dropout(features)), state, weights

    def forward(
        self,
        src: Any,
        src_lengths: Any,
        tgt_in: Any,
        teacher_forcing_ratio: float = 1.0,
        generator: Generator | None = None,
    ) -> tuple[Tensor, Tensor | None]:
        """Decode a whole target, feeding the true previous token with probability ``teacher_forcing_ratio``.

        Args:
            src: (S, B) source ids; src_lengths: (B,) or None.
            tgt_in: (T, B) decoder inputs: <bos> then the target without its last token (the loss's targets
                are the target without <bos>).
            teacher_forcing_ratio: at each step t > 1, one draw u ~ U(0, 1) for the batch: the next input is
                the true ``tgt_in[t]`` if u < ratio, else the model's own greedy prediction. 1.0 (always the
                truth, no draws) is plain teacher forcing; 0.0 feeds back predictions as at inference.
            generator: the ``minigrad.Generator`` to draw from (the global one by default).

        Returns:
            logits (T, B, V_tgt) and attention weights (T, B, S) (None without attention).
        """
        if not 0.0 <= teacher_forcing_ratio <= 1.0:
            raise ValueError(f"teacher_forcing_ratio must be in [0, 1], got {teacher_forcing_ratio}")
        tgt = np.asarray(getattr(tgt_in, "data", tgt_in))
        memory, state = self.encode(src, src_lengths)
        mask = self.source_mask(src, src_lengths)
        rng = numpy_generator(generator) if 0.0 < teacher_forcing_ratio < 1.0 else None
        token = tgt[0]
        logits, attns = [], []
        for t in range(tgt.shape[0]):
            step_logits, state, weights = self.decode_step(token, state, memory, mask)
            logits.append(step_logits)
            attns.append(weights)
            if t + 1 < tgt.shape[0]:
                forced = teacher_forcing_ratio == 1.0 or (rng is not None and rng.random() < teacher_forcing_ratio)
                token = tgt[t + 1] if forced else np.argmax(step_logits.data, axis=-1)  # (B,)
        weights = None if self.attention_type is None else minigrad.stack(attns, axis=0)  # (T, B, S)
        return minigrad.stack(logits, axis=0), weights  # (T, B, V_tgt)
