"""Generating sequences from trained models: ``sample`` for a ``LanguageModel``; ``greedy_decode`` and
``beam_search`` for a ``Seq2Seq``.

The course's sampling procedure for a language model (the dinosaur-names exercise):

    x<1> = <bos>;  for t = 1, 2, ...:  ŷ<t> = softmax(logits<t>);  y<t> ~ ŷ<t>;  x<t+1> = y<t>
    stop at <eos> (or after max_len tokens)

For translation one wants the most likely output, argmax_y P(y | x), not a random one: greedy
decoding takes the argmax at each step; beam search keeps the B most likely prefixes (the course's
beam width B) and ranks finished translations by the length-normalised log-likelihood

    (1 / Ty^α) Σ_t log P(y<t> | x, y<1>, ..., y<t-1>)        α = ``length_penalty``

Everything here runs under ``minigrad.no_grad()`` with the model in eval mode (dropout off); the
model's training mode is restored afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

import minigrad
from minigrad import Tensor
from minigrad.nn import Module
from minigrad.random import numpy_generator

__all__ = ["beam_search", "greedy_decode", "next_token_distribution", "sample"]


@contextmanager
def _inference(model: Module) -> Iterator[None]:
    """No graph, dropout off; the model's mode is put back afterwards."""
    was_training = model.training
    model.eval()
    try:
        with minigrad.no_grad():
            yield
    finally:
        model.train(was_training)


def next_token_distribution(
    logits: Any, temperature: float = 1.0, top_k: int | None = None, top_p: float | None = None
) -> np.ndarray:
    """The distribution to draw the next token from: softmax(logits / temperature), truncated.

    Args:
        logits: (V,) scores of the next token.
        temperature: > 0; below 1 sharpens the distribution (towards the argmax as it goes to 0), above 1
            flattens it.
        top_k: keep only the k most likely tokens (Fan et al. 2018).
        top_p: keep the smallest set of most likely tokens whose probability reaches p ("nucleus", Holtzman
            et al. 2020).

    Returns:
        (V,) float64 probabilities (zero outside the kept tokens), summing to 1.
    """
    if temperature <= 0:
        raise ValueError(f"temperature must be > 0 (use greedy=True for the argmax), got {temperature}")
    z = np.asarray(getattr(logits, "data", logits), dtype=np.float64) / temperature  # (V,)
    if top_k is not None:
        if top_k < 1:
            raise ValueError(f"top_k must be >= 1, got {top_k}")
        if top_k < z.size:
            kth = np.sort(z)[-top_k]
            z = np.where(z >= kth, z, -np.inf)  # ties with the k-th score are kept
    p = np.exp(z - z.max())
    p /= p.sum()
    if top_p is not None:
        if not 0.0 < top_p <= 1.0:
            raise ValueError(f"top_p must be in (0, 1], got {top_p}")
        order = np.argsort(-p, kind="stable")  # most likely first
        before = np.cumsum(p[order]) - p[order]  # the mass of the tokens ranked above each
        keep = np.zeros(p.size, dtype=bool)
        keep[order[before < top_p]] = True  # the most likely token is always kept
        p = np.where(keep, p, 0.0)
        p /= p.sum()
    return p


def _prime_ids(vocab: Any, prime: str) -> list:
    """The prime's ids without any <bos>/<eos> the vocabulary's ``encode`` may add around them."""
    if not prime:
        return []
    ids = [int(i) for i in vocab.encode(prime)]
    if ids and ids[0] == vocab.bos_id:
        ids = ids[1:]
    if ids and ids[-1] == vocab.eos_id:
        ids = ids[:-1]
    return ids


def sample(
    model: Module,
    vocab: Any,
    prime: str = "",
    max_len: int = 100,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
    greedy: bool = False,
    stop_at_eos: bool = True,
    seed: int | None = None,
) -> str:
    """Generate text from a ``seq.models.LanguageModel``: draw y<t> from ŷ<t> and feed it back as x<t+1>.

    The model first reads <bos> and then the prime (its state after the prime conditions what follows);
    then up to ``max_len`` tokens are generated, each drawn from ``next_token_distribution`` (or the
    argmax with ``greedy``), until <eos> when ``stop_at_eos``.

    Args:
        model: called as ``model(ids (T, 1), state) -> (logits (T, 1, V), state)``.
        vocab: any object with ``bos_id``, ``eos_id``, ``encode(str) -> ids`` and ``decode(ids) -> str``.
        prime: text to start from.
        max_len: the most tokens to generate (<eos> included).
        temperature, top_k, top_p: see ``next_token_distribution``. temperature → 0, top_k=1 and
            greedy all pick the argmax.
        greedy: take the most likely token at every step (deterministic).
        stop_at_eos: stop when <eos> is drawn (it is not part of the result); else <eos> is just a token.
        seed: draw from a fresh ``minigrad.Generator(seed)`` (reproducible), or the global generator if None.

    Returns:
        The generated continuation, decoded, **without** the prime (``prime + sample(...)`` is the full text).
    """
    rng = numpy_generator(None if seed is None else minigrad.Generator(seed))
    ids = [vocab.bos_id, *_prime_ids(vocab, prime)]
    generated: list = []
    with _inference(model):
        logits, state = model(np.asarray(ids, dtype=np.int64)[:, None], None)  # (T, 1) -> (T, 1, V)
        for _ in range(max_len):
            last = logits.data[-1, 0]  # (V,): ŷ of the next token
            if greedy:
                token = int(np.argmax(last))
            else:
                p = next_token_distribution(last, temperature, top_k, top_p)
                token = int(rng.choice(p.size, p=p))
            if stop_at_eos and token == vocab.eos_id:
                break
            generated.append(token)
            logits, state = model(np.array([[token]], dtype=np.int64), state)  # x<t+1> = y<t>: (1, 1)
    return vocab.decode(generated)


def _src_array(src: Any) -> np.ndarray:
    src = np.asarray(getattr(src, "data", src))
    if src.ndim == 1:
        src = src[:, None]  # one source (S,) -> (S, 1)
    if src.ndim != 2 or src.dtype.kind not in "iu":
        raise ValueError(f"src must be integer ids of shape (S, B) or (S,), got shape {src.shape} dtype {src.dtype}")
    return src


def greedy_decode(
    model: Module, src: Any, src_lengths: Any, max_len: int, bos_id: int, eos_id: int
) -> tuple[list, list | None]:
    """Decode a batch with a ``seq.models.Seq2Seq`` by taking the most likely token at every step.

    Args:
        model: a ``Seq2Seq`` (anything with ``encode``, ``source_mask`` and ``decode_step``).
        src: (S, B) source ids (or (S,) for one source); src_lengths: (B,) or None (all S).
        max_len: the most decoding steps (<eos> included).
        bos_id, eos_id: the target vocabulary's start and end tokens.

    Returns:
        ``tokens``: B lists of target ids, each without <bos> and cut before its first <eos>; and
        ``attention``: B arrays (len(tokens[b]), S_b), the weights each output token gave the real source
        positions (the course's attention plot), or None for a model without attention.
    """
    src = _src_array(src)
    if max_len < 1:
        raise ValueError(f"max_len must be >= 1, got {max_len}")
    B = src.shape[1]
    with _inference(model):
        memory, state = model.encode(src, src_lengths)
        mask = model.source_mask(src, src_lengths)
        token = np.full(B, bos_id, dtype=np.int64)
        steps, weights = [], []
        done = np.zeros(B, dtype=bool)
        for _ in range(max_len):
            logits, state, attn = model.decode_step(token, state, memory, mask)
            token = np.argmax(logits.data, axis=-1)  # (B,)
            steps.append(token)
            weights.append(None if attn is None else attn.data)
            done |= token == eos_id
            if done.all():
                break
    if src_lengths is None:
        lengths = np.full(B, src.shape[0])
    else:
        lengths = np.asarray(getattr(src_lengths, "data", src_lengths))
    tokens: list = []
    attention: list | None = [] if weights[0] is not None else None
    for b in range(B):
        seq_b = [int(s[b]) for s in steps]
        n = seq_b.index(eos_id) if eos_id in seq_b else len(seq_b)
        tokens.append(seq_b[:n])
        if attention is not None:
            attention.append(
                np.stack([w[b, : lengths[b]] for w in weights[:n]]) if n else np.zeros((0, int(lengths[b])))
            )  # (n, S_b)
    return tokens, attention


def _select(state: Any, index: np.ndarray) -> Any:
    """Rows ``index`` of a decoder state ((k, H), or a pair of them)."""
    if isinstance(state, tuple):
        return tuple(_select(s, index) for s in state)
    return Tensor(state.data[index])


def beam_search(
    model: Module,
    src: Any,
    src_lengths: Any = None,
    beam_width: int = 5,
    max_len: int = 50,
    length_penalty: float = 1.0,
    *,
    bos_id: int,
    eos_id: int,
) -> list:
    """Decode one source with a ``seq.models.Seq2Seq`` by beam search; returns the best target's ids.

    At each step every live prefix is extended by every token; of the extensions the ``beam_width`` most
    likely (by Σ log P) are kept. An extension ending in <eos> that ranks among the top ``beam_width``
    is a finished hypothesis, scored by ``Σ log P / Ty^length_penalty`` (Ty counts <eos>). The search
    stops when ``beam_width`` hypotheses are finished or after ``max_len`` steps (then the live prefixes
    compete too). With ``beam_width=1`` this is greedy decoding.

    Args:
        model: a ``Seq2Seq``; src: (S,) or (S, 1) source ids; src_lengths: (1,) or None.
        beam_width: B, the number of prefixes kept.
        max_len: the most decoding steps (<eos> included).
        length_penalty: α of the length normalisation (0: raw log-likelihood, which favours short outputs).
        bos_id, eos_id: the target vocabulary's start and end tokens.

    Returns:
        The best hypothesis' ids, without <bos> and <eos>.
    """
    src = _src_array(src)
    if src.shape[1] != 1:
        raise ValueError(f"beam_search decodes one source at a time: got a batch of {src.shape[1]}; loop over it")
    if beam_width < 1:
        raise ValueError(f"beam_width must be >= 1, got {beam_width}")

    def normalised(logp: float, length: int) -> float:
        return logp / (length**length_penalty)

    with _inference(model):
        memory, state = model.encode(src, src_lengths)  # memory (S, 1, M)
        mask = model.source_mask(src, src_lengths)
        beams = [([], 0.0)]  # live prefixes: (tokens, Σ log P)
        finished: list = []  # (score, tokens, Σ log P)
        for _ in range(max_len):
            k = len(beams)
            keys = Tensor(memory.data[:, np.zeros(k, dtype=np.int64)])  # (S, 1, M) -> (S, k, M)
            k_mask = None if mask is None else mask[:, np.zeros(k, dtype=np.int64)]  # (S, k)
            last = np.array([tokens[-1] if tokens else bos_id for tokens, _ in beams], dtype=np.int64)  # (k,)
            logits, state, _ = model.decode_step(last, state, keys, k_mask)
            logp = minigrad.log_softmax(logits, dim=-1).data.astype(np.float64)  # (k, V)
            total = np.array([s for _, s in beams])[:, None] + logp  # (k, V): Σ log P of each extension
            order = np.argsort(-total, axis=None, kind="stable")[: 2 * beam_width]  # best first
            new_beams, parents = [], []
            for rank, flat in enumerate(order):
                b, token = np.unravel_index(flat, total.shape)
                tokens = [*beams[b][0], int(token)]
                if token == eos_id:
                    if rank < beam_width:
                        finished.append((normalised(total[b, token], len(tokens)), tokens[:-1], total[b, token]))
                elif len(new_beams) < beam_width:
                    new_beams.append((tokens, float(total[b, token])))
                    parents.append(b)
            if len(finished) >= beam_width or not new_beams:
                break
            beams = new_beams
            state = _select(state, np.array(parents))
        else:  # out of steps: the live prefixes compete with the finished hypotheses
            finished += [(normalised(s, len(tokens)), tokens, s) for tokens, s in beams]
    best = max(finished, key=lambda f: f[0])
    return best[1]
