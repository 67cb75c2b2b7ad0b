"""Longest common subsequences of character strings: lengths (rapidfuzz) and the summary-level
union-LCS hit count of ROUGE-1.5.5 (as ``rouge_score``'s ``_summary_level_lcs`` reimplements it).

Summary-level LCS depends on *which* LCS is chosen, so :func:`lcs_positions` reproduces the
ROUGE-1.5.5 backtrack exactly: from the end, take a match when the characters are equal; otherwise
drop the reference character when that keeps the LCS length, else the candidate character. It runs
on bit-parallel DP rows (Hyyrö's LCS recurrence on Python ints) for all candidate sentences at once:
row ``i`` is a bit vector over candidate columns whose zero bits mark where the LCS grows, and the
carries of its addition mark where row ``i`` exceeds row ``i - 1``. The backtrack then takes O(1)
integer operations per reference character.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import LCSseq


def lcs_lengths(a: Sequence[str], b: Sequence[str]) -> np.ndarray:
    """LCS length of each pair ``(a[k], b[k])``; shape ``(len(a),)``, int64."""
    if not a:
        return np.zeros(0, dtype=np.int64)
    return process.cpdist(a, b, scorer=LCSseq.similarity).astype(np.int64)


class Candidates:
    """Candidate sentences laid side by side in one bit vector, for LCS against reference sentences.

    Sentence ``s`` takes bits ``base[s] .. base[s] + size[s] - 1`` and one zero guard bit after them,
    which absorbs the carry of the DP addition so that the sentences' DP rows stay independent.
    """

    def __init__(self, sentences: Sequence[str]):
        self.base: list[int] = []
        self.size: list[int] = []
        occurrences: dict[str, int] = {}
        bit = 0
        for sentence in sentences:
            self.base.append(bit)
            self.size.append(len(sentence))
            for ch in sentence:
                occurrences[ch] = occurrences.get(ch, 0) | (1 << bit)
                bit += 1
            bit += 1
        self.segments = [((1 << n) - 1) << b for b, n in zip(self.base, self.size)]
        self.mask = sum(self.segments)
        #: character -> (bits of its occurrences, the same shifted to column numbering)
        self.match = {ch: (m, m << 1) for ch, m in occurrences.items()}


def lcs_positions(ref: str, candidates: Candidates) -> list[set[int]]:
    """For each candidate sentence, the indices into ``ref`` of the LCS that ROUGE-1.5.5's backtrack
    picks."""
    if not ref or not candidates.mask:
        return [set() for _ in candidates.size]
    mask = candidates.mask
    columns = mask << 1        # bit base + j stands for column j (1..size) of a sentence
    v = mask
    stops = []                 # per reference character: columns where a left-moving backtrack stops
    matches = []
    none = (0, 0)
    for ch in ref:
        match, shifted = candidates.match.get(ch, none)
        u = v & match
        total = v + u
        carries = total ^ v ^ u             # bit base + j: row i exceeds row i-1 at column j
        v = (total | (v - u)) & mask
        matches.append(shifted)
        # Moving left, the backtrack stops at a match (takes it) or where dropping the reference
        # character keeps the LCS (drops it and stays in that column).
        stops.append(shifted | (~carries & columns))
    out = []
    for base, size, segment in zip(candidates.base, candidates.size, candidates.segments):
        positions: set[int] = set()
        left = (~v & segment).bit_count()     # this sentence's LCS length: zeros of the last row
        i, j = len(ref), base + size
        while left:
            i -= 1
            j = (stops[i] & ((2 << j) - 1)).bit_length() - 1
            if matches[i] >> j & 1:
                positions.add(i)
                left -= 1
                j -= 1
        out.append(positions)
    return out


def union_lcs_hits(ref_sentences: Sequence[str], can_sentences: Sequence[str]) -> int:
    """Summary-level LCS hits: for each reference sentence, the union of its LCS positions with every
    candidate sentence, each token counted only while unused copies remain on both sides (the
    clipping rule of ROUGE-1.5.5)."""
    left_ref = Counter("".join(ref_sentences))
    left_can = Counter("".join(can_sentences))
    candidates = Candidates(can_sentences)
    hits = 0
    for ref in ref_sentences:
        for i in sorted(set().union(*lcs_positions(ref, candidates))):
            token = ref[i]
            if left_can[token] > 0 and left_ref[token] > 0:
                hits += 1
                left_can[token] -= 1
                left_ref[token] -= 1
    return hits
