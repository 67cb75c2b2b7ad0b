"""Character n-gram statistics of paired strings, for BLEU and ROUGE-N (and Distinct).

For pair ``k`` and order ``n`` the clipped match count is ``sum_g min(count_hyp(g), count_ref(g))``
over the n-grams ``g`` of the two strings: the numerator of BLEU's modified n-gram precision and of
ROUGE-N. :func:`clipped_matches` computes it for a whole corpus with numpy, chunk by chunk: within a
chunk every pair's characters get small local ids, an n-gram becomes one int64 code
``(pair, n-gram, side)``, and one sort of all codes turns runs into counts. A chunk whose codes would
overflow int64 (texts with tens of thousands of distinct characters) is counted with ``Counter``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np

_CHUNK = 16384          # pairs per numpy chunk (bounds memory: ~100 bytes per character)
_UNICODE = 0x110000     # code points are below this
_INT64_LIMIT = 2**63


def ngram_counts(text: str, n: int) -> Counter:
    """The n-grams of a character string (as substrings) with their counts."""
    return Counter(text[i:i + n] for i in range(len(text) - n + 1))


def ngram_totals(lengths: np.ndarray, max_n: int) -> np.ndarray:
    """Number of n-grams of strings of the given lengths, shape ``(len(lengths), max_n)``."""
    orders = np.arange(1, max_n + 1)
    return np.maximum(np.asarray(lengths, dtype=np.int64)[:, None] - orders + 1, 0)


def clipped_matches(hyps: Sequence[str], refs: Sequence[str], max_n: int) -> np.ndarray:
    """Clipped n-gram matches of each pair for orders ``1..max_n``, shape ``(len(hyps), max_n)``."""
    out = np.zeros((len(hyps), max_n), dtype=np.int64)
    for start in range(0, len(hyps), _CHUNK):
        stop = start + _CHUNK
        out[start:stop] = _chunk_matches(list(hyps[start:stop]), list(refs[start:stop]), max_n)
    return out


def _counter_matches(hyps: list[str], refs: list[str], max_n: int) -> np.ndarray:
    out = np.zeros((len(hyps), max_n), dtype=np.int64)
    for k, (hyp, ref) in enumerate(zip(hyps, refs)):
        for n in range(1, max_n + 1):
            out[k, n - 1] = sum((ngram_counts(hyp, n) & ngram_counts(ref, n)).values())
    return out


def _chunk_matches(hyps: list[str], refs: list[str], max_n: int) -> np.ndarray:
    n_pairs = len(hyps)
    out = np.zeros((n_pairs, max_n), dtype=np.int64)
    texts = hyps + refs
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    size = int(lengths.sum())
    if size == 0:
        return out
    points = np.frombuffer("".join(texts).encode("utf-32-le"), dtype="<u4").astype(np.int64)
    segment = np.repeat(np.arange(len(texts)), lengths)
    pair = segment % n_pairs
    side = (segment >= n_pairs).astype(np.int64)
    # Local character ids: rank of the character among the distinct characters of its pair.
    keys, local = np.unique(pair * _UNICODE + points, return_inverse=True)
    local = local.reshape(-1)
    key_pair = keys // _UNICODE
    local -= np.searchsorted(key_pair, np.arange(n_pairs))[pair]
    width = int(np.bincount(key_pair, minlength=n_pairs).max())
    if 2 * n_pairs * width**max_n >= _INT64_LIMIT:
        return _counter_matches(hyps, refs, max_n)
    # remaining[p]: characters from position p to the end of its string; an n-gram starts at p iff >= n.
    remaining = np.cumsum(lengths)[segment] - np.arange(size)
    code = np.zeros(size, dtype=np.int64)
    for n in range(1, max_n + 1):
        code[:size - n + 1] = code[:size - n + 1] * width + local[n - 1:]
        starts = np.flatnonzero(remaining >= n)
        if starts.size == 0:
            break
        base = width**n
        sorted_keys = np.sort(((pair[starts] * base + code[starts]) << 1) | side[starts])
        run_start = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])
        run_count = np.diff(np.r_[run_start, sorted_keys.size])
        run_key = sorted_keys[run_start] >> 1
        # A hypothesis run (side 0) directly followed by a reference run of the same n-gram: a match.
        both = np.flatnonzero(run_key[:-1] == run_key[1:])
        matched = np.minimum(run_count[both], run_count[both + 1])
        out[:, n - 1] = np.bincount(run_key[both] // base, weights=matched, minlength=n_pairs).astype(np.int64)
    return out


def distinct_counts(texts: Sequence[str], n: int) -> tuple[int, int]:
    """``(unique, total)`` character n-grams over all ``texts`` (each text's n-grams, the last included)."""
    seen: set[str] = set()
    total = 0
    for text in texts:
        grams = [text[i:i + n] for i in range(len(text) - n + 1)]
        total += len(grams)
        seen.update(grams)
    return len(seen), total
