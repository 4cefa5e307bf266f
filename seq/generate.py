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

import math
import numbers
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

        p_i = exp((z_i - max z) / T) / Σ_j exp((z_j - max z) / T)

    The largest logit is subtracted *before* dividing by T, so a tiny temperature (even 1e-320) gives the
    argmax (probability 1, shared equally among tied maxima) instead of inf/inf = NaN.

    Args:
        logits: (V,) scores of the next token, one distribution (a logit of -inf is a token never drawn).
        temperature: a finite number > 0; below 1 sharpens the distribution (the argmax as it goes to 0),
            above 1 flattens it.
        top_k: an int >= 1: keep only the k most likely tokens (Fan et al. 2018); ties with the k-th are kept.
        top_p: in (0, 1]: keep the smallest set of most likely tokens whose probability reaches p ("nucleus",
            Holtzman et al. 2020).

    Returns:
        (V,) float64 probabilities (zero outside the kept tokens), summing to 1.
    """
    _check_sampling(temperature, top_k, top_p)
    z = np.asarray(getattr(logits, "data", logits))
    if z.ndim != 1:
        raise ValueError(
            f"next_token_distribution expects the logits of one next token, shape (V,), got shape {z.shape}: "
            "pick one row (e.g. logits[-1, 0] of a (T, B, V) output)"
        )
    if z.size == 0 or z.dtype.kind not in "iuf":
        raise ValueError(f"logits must be a non-empty array of numbers, got shape {z.shape} dtype {z.dtype}")
    z = z.astype(np.float64)
    if np.isnan(z).any() or np.isposinf(z).any() or np.isneginf(z).all():
        raise ValueError(
            "logits must be finite numbers (-inf allowed for tokens never drawn, but not all of them): got "
            f"{int(np.isnan(z).sum())} NaN, {int(np.isposinf(z).sum())} +inf, {int(np.isneginf(z).sum())} -inf"
        )
    with np.errstate(over="ignore"):  # a tiny temperature sends z < 0 to -inf: probability 0, as it should
        z = (z - z.max()) / temperature  # (V,): shift first, so z <= 0 and the largest is exactly 0
    if top_k is not None and top_k < z.size:
        kth = np.sort(z)[-top_k]
        z = np.where(z >= kth, z, -np.inf)  # ties with the k-th score are kept
    p = np.exp(z)
    p /= p.sum()
    if top_p is not None:
        order = np.argsort(-p, kind="stable")  # most likely first
        before = np.cumsum(p[order]) - p[order]  # the mass of the tokens ranked above each
        keep = np.zeros(p.size, dtype=bool)
        keep[order[before < top_p]] = True  # the most likely token is always kept
        p = np.where(keep, p, 0.0)
        p /= p.sum()
    return p


def _is_int(value: Any) -> bool:
    """An integer (Python's or NumPy's), and not a bool."""
    return isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))


def _is_real(value: Any) -> bool:
    """A real number (Python's or NumPy's), and not a bool."""
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


def _check_sampling(temperature: Any, top_k: Any, top_p: Any) -> None:
    """temperature a finite number > 0, top_k None or an int >= 1, top_p None or a number in (0, 1]."""
    if not _is_real(temperature) or not 0.0 < temperature < math.inf:
        raise ValueError(
            f"temperature must be a finite number > 0, got {temperature!r}; use greedy=True for the argmax"
        )
    if top_k is not None and (not _is_int(top_k) or top_k < 1):
        raise ValueError(f"top_k must be None or an int >= 1 (the number of tokens kept), got {top_k!r}")
    if top_p is not None and (not _is_real(top_p) or not 0.0 < top_p <= 1.0):
        raise ValueError(f"top_p must be None or a number in (0, 1], got {top_p!r}; it is the probability mass kept")


def _check_count(name: str, value: Any, least: int = 1) -> None:
    if not _is_int(value) or value < least:
        raise ValueError(f"{name} must be an int >= {least}, got {value!r}")


def _prime_ids(vocab: Any, prime: Any) -> list:
    """The prime's ids without any <bos>/<eos> the vocabulary's ``encode`` may add around them."""
    if isinstance(prime, str) and not prime:
        return []
    if not isinstance(prime, (str, list, tuple)):
        raise TypeError(f"prime must be a text (str) or a list of tokens, got {type(prime).__name__} {prime!r}")
    ids = [int(i) for i in vocab.encode(prime)]
    if ids and ids[0] == vocab.bos_id:
        ids = ids[1:]
    if ids and ids[-1] == vocab.eos_id:
        ids = ids[:-1]
    return ids


def sample(
    model: Module,
    vocab: Any,
    prime: str | list = "",
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

    Priming works as in Karpathy's char-rnn (``-primetext``): the prime's tokens are *read*, not drawn —
    each is fed in turn, carrying the state, exactly as during training — and the first generated token is
    drawn from the distribution the model predicts after the prime's last token. So a prime steers the
    sample ("the apple and" makes "pear" likely), and with ``greedy`` the continuation of a prime is the
    continuation of the same text inside a longer greedy sample. Two differences from char-rnn: the model
    reads <bos> before the prime (seq's models are trained to start from it), and the prime is not
    repeated in the result. A prime symbol the vocabulary does not hold is read as <unk>, as in training.

    Args:
        model: called as ``model(ids (T, 1), state) -> (logits (T, 1, V), state)``.
        vocab: any object with ``bos_id``, ``eos_id``, ``encode(str) -> ids`` and ``decode(ids) -> str``.
        prime: text to start from (a str, or a list of tokens for a word-level vocabulary); "" for none.
        max_len: the most tokens to generate (<eos> included), an int >= 1.
        temperature, top_k, top_p: see ``next_token_distribution`` (checked even with ``greedy``).
            temperature → 0, top_k=1 and greedy all pick the argmax.
        greedy: take the most likely token at every step (deterministic).
        stop_at_eos: stop when <eos> is drawn (it is not part of the result); else <eos> is just a token.
        seed: an int >= 0: draw from a fresh ``minigrad.Generator(seed)`` (reproducible); None: the global
            generator.

    Returns:
        The generated continuation, decoded, **without** the prime (``prime + sample(...)`` is the full text
        at character level, ``prime + " " + sample(...)`` at word level).
    """
    _check_count("max_len", max_len)
    _check_sampling(temperature, top_k, top_p)
    if seed is not None and (not _is_int(seed) or seed < 0):
        raise ValueError(f"seed must be None or an int >= 0, got {seed!r}")
    rng = numpy_generator(None if seed is None else minigrad.Generator(seed))
    ids = [vocab.bos_id, *_prime_ids(vocab, prime)]
    generated: list = []
    with _inference(model):
        logits, state = model(np.asarray(ids, dtype=np.int64)[:, None], None)  # (T, 1) -> (T, 1, V)
        _check_logits(logits, len(ids), vocab)
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


def _check_logits(logits: Any, T: int, vocab: Any) -> None:
    """The model's output for (T, 1) ids must be (T, 1, V) logits, V the vocabulary's size when it has one."""
    shape = np.shape(getattr(logits, "data", logits))
    size = len(vocab) if hasattr(vocab, "__len__") else None
    if len(shape) != 3 or shape[:2] != (T, 1) or (size is not None and shape[2] != size):
        raise ValueError(
            f"sample expects the model to map ids (T, 1) to logits (T, 1, V) (V = {size if size else 'the vocabulary'}"
            f"), as seq.models.LanguageModel does; for T={T} it returned shape {shape}"
        )


def _check_ids(name: str, value: Any, model: Module) -> None:
    """A token id: an int in the target vocabulary (when the model says its size)."""
    size = getattr(model, "tgt_vocab", None)
    if not _is_int(value) or value < 0 or (size is not None and value >= size):
        raise ValueError(
            f"{name} must be an int id of the target vocabulary (0..{size - 1 if size else 'V-1'}), got {value!r}"
        )


def _src_array(src: Any) -> np.ndarray:
    src = np.asarray(getattr(src, "data", src))
    if src.ndim == 1:
        src = src[:, None]  # one source (S,) -> (S, 1)
    if src.ndim != 2 or src.dtype.kind not in "iu" or src.shape[0] == 0:
        raise ValueError(
            f"src must be integer ids of shape (S, B) or (S,) with S >= 1, got shape {src.shape} dtype {src.dtype}"
        )
    return src


def greedy_decode(
    model: Module, src: Any, src_lengths: Any, max_len: int, bos_id: int, eos_id: int
) -> tuple[list, list | None]:
    """Decode a batch with a ``seq.models.Seq2Seq`` by taking the most likely token at every step.

    Args:
        model: a ``Seq2Seq`` (anything with ``encode``, ``source_mask`` and ``decode_step``).
        src: (S, B) source ids (or (S,) for one source); src_lengths: (B,) or None (all S).
        max_len: the most decoding steps (<eos> included), an int >= 1.
        bos_id, eos_id: the target vocabulary's start and end tokens.

    Returns:
        ``tokens``: B lists of target ids, each without <bos> and cut before its first <eos>; and
        ``attention``: B arrays (len(tokens[b]), S_b), the weights each output token gave the real source
        positions (the course's attention plot), or None for a model without attention.
    """
    src = _src_array(src)
    _check_count("max_len", max_len)
    _check_ids("bos_id", bos_id, model)
    _check_ids("eos_id", eos_id, model)
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
        beam_width: B, the number of prefixes kept, an int >= 1.
        max_len: the most decoding steps (<eos> included), an int >= 1.
        length_penalty: α of the length normalisation (0: raw log-likelihood, which favours short outputs).
        bos_id, eos_id: the target vocabulary's start and end tokens.

    Returns:
        The best hypothesis' ids, without <bos> and <eos>.
    """
    src = _src_array(src)
    if src.shape[1] != 1:
        raise ValueError(f"beam_search decodes one source at a time: got a batch of {src.shape[1]}; loop over it")
    _check_count("beam_width", beam_width)
    _check_count("max_len", max_len)
    if not _is_real(length_penalty) or not math.isfinite(length_penalty):
        raise ValueError(f"length_penalty must be a finite number (α; 0 for none), got {length_penalty!r}")
    _check_ids("bos_id", bos_id, model)
    _check_ids("eos_id", eos_id, model)

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
