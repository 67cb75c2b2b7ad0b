"""Text-generation metrics with the Chinese character-level conventions (DESIGN §4), in percent.

- ``bleu``: BLEU-4. ``tokenize="char"`` (default) is NLTK ``corpus_bleu`` over character lists:
  clipped n-gram counts summed over the corpus (a hypothesis shorter than n adds 1 to the n-gram
  denominator, as NLTK does), uniform weights, no smoothing (any zero precision gives 0), brevity
  penalty over corpus lengths. ``"zh"`` is sacrebleu's corpus BLEU with its ``zh`` tokeniser and
  defaults; ``"sentence"`` is the mean over pairs of sentence BLEU smoothed as NLTK's
  ``SmoothingFunction().method1`` (epsilon 0.1).
- ``rouge``: ROUGE-1/2 (clipped character n-gram overlap), ROUGE-L (LCS of the whole strings) and
  ROUGE-Lsum (summary-level union LCS over sentences ending in ``。！？``, ROUGE-1.5.5's clipping),
  each the mean over pairs of per-pair precision, recall and F1. A pair with an empty side (or both
  empty) scores 0.
- ``distinct``: unique / total character n-grams over all predictions.

Tokens are the non-whitespace characters (:mod:`mtdialog.metrics.tokens`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import cached_property

import numpy as np

from mtdialog.metrics.lcs import lcs_lengths, union_lcs_hits
from mtdialog.metrics.ngrams import clipped_matches, distinct_counts, ngram_totals
from mtdialog.metrics.tokens import char_tokens, split_sentences

BLEU_ORDER = 4
BLEU_TOKENIZE = ("char", "zh", "sentence")
_SMOOTH_EPSILON = 0.1

#: How each score is computed, for reports (``bleu`` by its ``tokenize`` option).
CONVENTIONS = {
    "bleu:char": "BLEU-4 = corpus BLEU over characters (NLTK corpus_bleu: no smoothing, corpus brevity penalty)",
    "bleu:zh": "BLEU-4 = sacrebleu corpus BLEU, tokenize=zh (sacrebleu defaults, smooth=exp)",
    "bleu:sentence": "BLEU-4 = mean sentence BLEU over characters (NLTK SmoothingFunction().method1)",
    "rouge": "ROUGE-1/2/L(sum) = mean over pairs of per-pair character-level F1 "
             "(Lsum: union LCS over sentences split at 。！？)",
    "distinct": "Distinct-1/2 = unique/total character n-grams over all predictions",
}


def _checked(predictions: Sequence[str], references: Sequence[str]) -> None:
    if len(predictions) != len(references):
        raise ValueError(f"{len(predictions)} predictions but {len(references)} references")
    if not predictions:
        raise ValueError("no predictions to score")
    for name, texts in (("predictions", predictions), ("references", references)):
        bad = next((i for i, t in enumerate(texts) if not isinstance(t, str)), None)
        if bad is not None:
            raise TypeError(f"{name}[{bad}] is {type(texts[bad]).__name__}, expected str")


class PairedTexts:
    """Predictions and references tokenised once; n-gram and LCS statistics computed on demand."""

    def __init__(self, predictions: Sequence[str], references: Sequence[str]):
        _checked(predictions, references)
        self.raw_predictions, self.raw_references = list(predictions), list(references)
        self.hyps = [char_tokens(t) for t in predictions]
        self.refs = [char_tokens(t) for t in references]
        self.hyp_len = np.fromiter(map(len, self.hyps), dtype=np.int64, count=len(self.hyps))
        self.ref_len = np.fromiter(map(len, self.refs), dtype=np.int64, count=len(self.refs))

    @cached_property
    def matches(self) -> np.ndarray:
        """Clipped character n-gram matches per pair, orders 1..4, shape ``(pairs, 4)``."""
        return clipped_matches(self.hyps, self.refs, BLEU_ORDER)

    @cached_property
    def hyp_ngrams(self) -> np.ndarray:
        """Number of character n-grams of each prediction, orders 1..4."""
        return ngram_totals(self.hyp_len, BLEU_ORDER)

    @cached_property
    def ref_ngrams(self) -> np.ndarray:
        """Number of character n-grams of each reference, orders 1..4."""
        return ngram_totals(self.ref_len, BLEU_ORDER)

    @cached_property
    def lcs(self) -> np.ndarray:
        """LCS length of each pair (whole strings)."""
        return lcs_lengths(self.hyps, self.refs)

    def summary_lcs_hits(self) -> np.ndarray:
        """Union-LCS hits per pair; equal to the LCS when both sides are one sentence."""
        hits = self.lcs.copy()
        for k, (hyp, ref) in enumerate(zip(self.hyps, self.refs)):
            hyp_sents, ref_sents = split_sentences(hyp), split_sentences(ref)
            if len(hyp_sents) > 1 or len(ref_sents) > 1:
                hits[k] = union_lcs_hits(ref_sents, hyp_sents)
        return hits


# ------------------------------------------------------------------------------------------ BLEU
def _brevity_penalty(hyp_len: np.ndarray | int, ref_len: np.ndarray | int) -> np.ndarray:
    """BLEU's brevity penalty: 1 if c > r, 0 if c = 0, else exp(1 - r / c) (elementwise)."""
    c, r = np.asarray(hyp_len, dtype=float), np.asarray(ref_len, dtype=float)
    return np.where(c > r, 1.0, np.where(c == 0, 0.0, np.exp(1 - r / np.maximum(c, 1))))


def _corpus_bleu(pairs: PairedTexts) -> float:
    numerators = pairs.matches.sum(axis=0)
    denominators = np.maximum(pairs.hyp_ngrams, 1).sum(axis=0)
    if (numerators == 0).any():
        return 0.0
    bp = float(_brevity_penalty(pairs.hyp_len.sum(), pairs.ref_len.sum()))
    log_precision = math.fsum(math.log(int(m) / int(d)) / BLEU_ORDER for m, d in zip(numerators, denominators))
    return 100.0 * bp * math.exp(log_precision)


def _sentence_bleu(pairs: PairedTexts) -> float:
    matches = pairs.matches.astype(float)
    denominators = np.maximum(pairs.hyp_ngrams, 1)
    precision = np.where(matches == 0, _SMOOTH_EPSILON, matches) / denominators
    scores = _brevity_penalty(pairs.hyp_len, pairs.ref_len) * np.exp(np.log(precision).mean(axis=1))
    return 100.0 * float(np.where(matches[:, 0] == 0, 0.0, scores).mean())


def _sacrebleu_zh(pairs: PairedTexts) -> float:
    from sacrebleu.metrics import BLEU

    return float(BLEU(tokenize="zh").corpus_score(pairs.raw_predictions, [pairs.raw_references]).score)


def _bleu(pairs: PairedTexts, tokenize: str) -> float:
    if tokenize == "char":
        return _corpus_bleu(pairs)
    if tokenize == "sentence":
        return _sentence_bleu(pairs)
    if tokenize == "zh":
        return _sacrebleu_zh(pairs)
    raise ValueError(f"unknown BLEU tokenisation {tokenize!r} (expected one of {', '.join(BLEU_TOKENIZE)})")


def bleu(predictions: Sequence[str], references: Sequence[str], *, tokenize: str = "char") -> float:
    """BLEU-4 in percent (one reference per prediction); ``tokenize``: ``char``, ``zh`` or ``sentence``."""
    return _bleu(PairedTexts(predictions, references), tokenize)


# ----------------------------------------------------------------------------------------- ROUGE
def _mean_prf(hits: np.ndarray, hyp_total: np.ndarray, ref_total: np.ndarray, name: str) -> dict[str, float]:
    precision = hits / np.maximum(hyp_total, 1)
    recall = hits / np.maximum(ref_total, 1)
    denominator = precision + recall
    f1 = np.divide(2 * precision * recall, denominator, out=np.zeros_like(denominator), where=denominator > 0)
    return {name: 100.0 * float(f1.mean()), f"{name}_precision": 100.0 * float(precision.mean()),
            f"{name}_recall": 100.0 * float(recall.mean())}


def _rouge(pairs: PairedTexts) -> dict[str, float]:
    out: dict[str, float] = {}
    for n in (1, 2):
        out.update(_mean_prf(pairs.matches[:, n - 1], pairs.hyp_ngrams[:, n - 1], pairs.ref_ngrams[:, n - 1],
                             f"rouge{n}"))
    out.update(_mean_prf(pairs.lcs, pairs.hyp_len, pairs.ref_len, "rougeL"))
    out.update(_mean_prf(pairs.summary_lcs_hits(), pairs.hyp_len, pairs.ref_len, "rougeLsum"))
    return out


def rouge(predictions: Sequence[str], references: Sequence[str]) -> dict[str, float]:
    """Character ROUGE in percent: ``rouge1``, ``rouge2``, ``rougeL``, ``rougeLsum`` (mean per-pair F1),
    each with ``_precision`` and ``_recall``."""
    return _rouge(PairedTexts(predictions, references))


# -------------------------------------------------------------------------------------- Distinct
def distinct(predictions: Sequence[str], n: int = 1) -> float:
    """Distinct-n in percent: unique / total character n-grams over all predictions (0 if none)."""
    if n < 1:
        raise ValueError(f"n-gram order must be >= 1, got {n}")
    unique, total = distinct_counts([char_tokens(t) for t in predictions], n)
    return 100.0 * unique / total if total else 0.0


# -------------------------------------------------------------------------------------- together
def generation_scores(predictions: Sequence[str], references: Sequence[str], *,
                      bleu_tokenize: str = "char") -> dict[str, float]:
    """Every generation metric of the JDDC 2.1 tables in percent: ``bleu``, ``rouge1``, ``rouge2``,
    ``rougeL``, ``rougeLsum`` (with ``_precision`` / ``_recall``), ``distinct1``, ``distinct2``."""
    pairs = PairedTexts(predictions, references)
    out = {"bleu": _bleu(pairs, bleu_tokenize)}
    out.update(_rouge(pairs))
    for n in (1, 2):
        unique, total = distinct_counts(pairs.hyps, n)
        out[f"distinct{n}"] = 100.0 * unique / total if total else 0.0
    return out


def conventions(bleu_tokenize: str = "char") -> list[str]:
    """One line per metric family saying how the scores of :func:`generation_scores` are computed."""
    if bleu_tokenize not in BLEU_TOKENIZE:
        raise ValueError(f"unknown BLEU tokenisation {bleu_tokenize!r} (expected one of {', '.join(BLEU_TOKENIZE)})")
    return [CONVENTIONS[f"bleu:{bleu_tokenize}"], CONVENTIONS["rouge"], CONVENTIONS["distinct"]]
