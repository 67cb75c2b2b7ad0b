"""Throughput of the metric suite on synthetic Chinese text pairs.

Predictions are references with some characters replaced, dropped or inserted (so that n-grams and
LCS overlap as they do for real model outputs); texts are ``--length`` characters from a Zipf-like
distribution over 3,000 CJK characters, with a sentence end (``。！？``) about every ``--sentence``
characters. Prints one row per metric: pairs, wall seconds, pairs per second, and the CPU seconds
of this process (steadier than wall time on a shared machine).

    python benchmarks/bench_metrics.py --pairs 100000 --length 40
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from mtdialog import metrics
from mtdialog.metrics.text import PairedTexts, _rouge

_CHARS = np.array([chr(0x4E00 + i) for i in range(3000)])
_ENDS = np.array(list("。！？"))


def synthetic_pairs(n: int, length: int, sentence: int, seed: int) -> tuple[list[str], list[str]]:
    """``n`` (prediction, reference) pairs of about ``length`` characters each."""
    rng = np.random.default_rng(seed)
    weights = 1.0 / np.arange(1, _CHARS.size + 1)
    chars = rng.choice(_CHARS, size=(n, length), p=weights / weights.sum())
    ends = rng.random((n, length)) < 1.0 / sentence
    chars[ends] = rng.choice(_ENDS, size=int(ends.sum()))
    refs = ["".join(row) for row in chars]
    edited = chars.copy()
    change = rng.random((n, length)) < 0.3
    edited[change] = rng.choice(_CHARS[:500], size=int(change.sum()))
    keep = rng.random((n, length)) > 0.1
    preds = ["".join(row[mask]) for row, mask in zip(edited, keep)]
    return preds, refs


def _timed(fn) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process) of ``fn()``."""
    start, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - start, time.process_time() - cpu


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=100_000)
    parser.add_argument("--length", type=int, default=40, help="characters per reference")
    parser.add_argument("--sentence", type=int, default=15, help="mean characters per sentence")
    parser.add_argument("--zh-pairs", type=int, default=10_000,
                        help="pairs for sacrebleu's zh BLEU, which is much slower (default: 10000)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    preds, refs = synthetic_pairs(args.pairs, args.length, args.sentence, args.seed)
    zh = min(args.pairs, args.zh_pairs)
    rows = [
        ("BLEU-4 (char, corpus)", args.pairs, lambda: metrics.bleu(preds, refs)),
        ("BLEU-4 (sentence, smoothed)", args.pairs, lambda: metrics.bleu(preds, refs, tokenize="sentence")),
        ("BLEU-4 (sacrebleu zh)", zh, lambda: metrics.bleu(preds[:zh], refs[:zh], tokenize="zh")),
        ("ROUGE-1/2/L/Lsum", args.pairs, lambda: _rouge(PairedTexts(preds, refs))),
        ("Distinct-1/2", args.pairs, lambda: (metrics.distinct(preds, 1), metrics.distinct(preds, 2))),
        ("generation_scores (all)", args.pairs, lambda: metrics.generation_scores(preds, refs)),
    ]
    multi = sum(len(metrics.split_sentences(p)) > 1 or len(metrics.split_sentences(r)) > 1
                for p, r in zip(preds, refs))
    print(f"{args.pairs} pairs, {args.length} characters per reference, "
          f"{100 * multi / args.pairs:.0f}% of pairs with more than one sentence")
    print(f"{'metric':<30} {'pairs':>8} {'seconds':>8} {'pairs/s':>10} {'CPU s':>8}")
    for name, pairs, fn in rows:
        seconds, cpu = _timed(fn)
        print(f"{name:<30} {pairs:>8} {seconds:>8.2f} {pairs / seconds:>10.0f} {cpu:>8.2f}")


if __name__ == "__main__":
    main()
