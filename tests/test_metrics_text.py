"""Text metrics: hand-computed cases, Hypothesis properties, and agreement with NLTK (BLEU), sacrebleu
(zh) and rouge_score (ROUGE-1/2/L/Lsum) on character-tokenised input."""

from __future__ import annotations

import math
import random
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from nltk.translate.bleu_score import SmoothingFunction, corpus_bleu, sentence_bleu
from rouge_score import rouge_scorer

from mtdialog import metrics
from mtdialog.metrics import lcs, ngrams
from mtdialog.metrics.tokens import char_tokens, split_sentences

ROUGE_KEYS = ("rouge1", "rouge2", "rougeL", "rougeLsum")
CJK = "您好请问订单什么时候发货退换洗衣机显示故障亲稍等已经为查询到了的吗是"
ALPHABET = CJK + "USB-C3e。！？， "

texts = st.text(alphabet=ALPHABET, max_size=30)
pair_lists = st.integers(1, 6).flatmap(
    lambda n: st.tuples(st.lists(texts, min_size=n, max_size=n), st.lists(texts, min_size=n, max_size=n)))


def approx(x: float):
    return pytest.approx(x, abs=1e-9)


def bleu_by_hand(pairs: list[tuple[int, int]], hyp_len: int, ref_len: int) -> float:
    """Corpus BLEU-4 from (clipped matches, n-gram total) per order and corpus lengths."""
    bp = 1.0 if hyp_len > ref_len else math.exp(1 - ref_len / hyp_len)
    return 100 * bp * math.exp(sum(math.log(m / t) for m, t in pairs) / 4)


# ------------------------------------------------------------------------------ tokenisation
def test_tokens_are_non_space_characters_ascii_included():
    assert char_tokens("USB-C 接口\t好\u3000的") == "USB-C接口好的"
    assert len(char_tokens("USB-C接口")) == 7


def test_sentences_end_at_runs_of_terminators():
    assert split_sentences("你好。请问？！在吗") == ["你好。", "请问？！", "在吗"]
    assert split_sentences("好的！") == ["好的！"]
    assert split_sentences("") == []


# -------------------------------------------------------------------------------------- BLEU
def test_bleu_worked_example_with_brevity_penalty():
    # 请问什么时候发货 vs 请问一下什么时候能发货: 1-grams 8/8, 2-grams 5/7 (请问 什么 么时 时候 发货),
    # 3-grams 2/6 (什么时 么时候), 4-grams 1/5 (什么时候); c = 8 < r = 11.
    hyp, ref = "请问什么时候发货", "请问一下什么时候能发货"
    expected = bleu_by_hand([(8, 8), (5, 7), (2, 6), (1, 5)], 8, 11)
    assert metrics.bleu([hyp], [ref]) == approx(expected)
    assert expected == approx(100 * math.exp(1 - 11 / 8) * (1 / 21) ** 0.25)


def test_bleu_sums_over_the_corpus_and_counts_short_hypotheses_in_denominators():
    # the 2-character pair adds 2/2 and 1/1 matches, and 0/1 to the 3- and 4-gram precisions (NLTK)
    score = metrics.bleu(["请问什么时候发货", "好的"], ["请问一下什么时候能发货", "好的"])
    assert score == approx(bleu_by_hand([(10, 10), (6, 8), (2, 7), (1, 6)], 10, 13))


def test_bleu_is_zero_without_smoothing_when_a_precision_is_zero():
    assert metrics.bleu(["好的"], ["好的"]) == 0.0          # no 3- or 4-grams at all
    assert metrics.bleu([""], ["您好"]) == 0.0
    assert metrics.bleu(["您好"], [""]) == 0.0
    assert metrics.bleu(["请问什么时候发货"], ["请问什么时候发货"]) == approx(100.0)


def test_bleu_ignores_spaces_and_counts_ascii_characters():
    assert metrics.bleu(["USB-C 接口坏了"], ["USB-C接口 坏了"]) == approx(100.0)


def test_sentence_bleu_is_smoothed_mean():
    hyps, refs = ["请问什么时候发货", "好的"], ["请问一下什么时候能发货", "好的"]
    # pair 2: p = 2/2, 1/1, 0.1/1, 0.1/1 and no brevity penalty
    second = 100 * math.exp((math.log(0.1) * 2) / 4)
    first = bleu_by_hand([(8, 8), (5, 7), (2, 6), (1, 5)], 8, 11)
    assert metrics.bleu(hyps, refs, tokenize="sentence") == approx((first + second) / 2)


def test_bleu_rejects_unknown_tokenisation_and_bad_input():
    with pytest.raises(ValueError, match="unknown BLEU tokenisation"):
        metrics.bleu(["好"], ["好"], tokenize="word")
    with pytest.raises(ValueError, match="1 predictions but 2 references"):
        metrics.bleu(["好"], ["好", "的"])
    with pytest.raises(ValueError, match="no predictions"):
        metrics.generation_scores([], [])
    with pytest.raises(TypeError, match=r"references\[0\]"):
        metrics.rouge(["好"], [None])


def nltk_corpus(hyps, refs, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return 100 * corpus_bleu([[list(char_tokens(r))] for r in refs], [list(char_tokens(h)) for h in hyps],
                                 **kwargs)


@settings(max_examples=150, deadline=None)
@given(pair_lists)
def test_bleu_agrees_with_nltk_corpus_bleu(pairs):
    hyps, refs = pairs
    assert metrics.bleu(hyps, refs) == approx(nltk_corpus(hyps, refs))


def test_bleu_agrees_with_nltk_on_many_random_chinese_strings():
    rng = random.Random(7)
    for _ in range(40):
        n = rng.randint(1, 60)
        hyps = ["".join(rng.choices(CJK, k=rng.randint(0, 25))) for _ in range(n)]
        refs = ["".join(rng.choices(CJK, k=rng.randint(0, 25))) for _ in range(n)]
        assert metrics.bleu(hyps, refs) == approx(nltk_corpus(hyps, refs))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            expected = np.mean([100 * sentence_bleu([list(r)], list(h), smoothing_function=SmoothingFunction().method1)
                                for h, r in zip(hyps, refs)])
        assert metrics.bleu(hyps, refs, tokenize="sentence") == approx(expected)


def test_zh_option_is_sacrebleu_and_matches_char_bleu_on_pure_chinese():
    import sacrebleu

    rng = random.Random(3)
    refs = ["".join(rng.choices(CJK, k=rng.randint(6, 20))) for _ in range(30)]
    hyps = ["".join(c if rng.random() < 0.8 else rng.choice(CJK) for c in r[:rng.randint(4, len(r))]) for r in refs]
    zh = metrics.bleu(hyps, refs, tokenize="zh")
    assert 0 < zh < 100
    assert zh == approx(sacrebleu.corpus_bleu(hyps, [refs], tokenize="zh").score)
    # sacrebleu's zh tokeniser splits Chinese into characters: with every hypothesis >= 4 characters
    # and no zero precision the two implementations compute the same number.
    assert zh == pytest.approx(metrics.bleu(hyps, refs), abs=1e-6)


# ------------------------------------------------------------------------------------- ROUGE
def test_rouge_identical_empty_and_both_empty():
    same = metrics.rouge(["您好，请问有什么可以帮您？"], ["您好，请问有什么可以帮您？"])
    assert all(same[k] == approx(100.0) for k in ROUGE_KEYS)
    for pred, ref in (("", "您好"), ("您好", ""), ("", ""), (" ", "\t")):
        scores = metrics.rouge([pred], [ref])
        assert all(v == 0.0 for v in scores.values()), (pred, ref)


def test_rouge_mixed_chinese_and_ascii_by_hand():
    s = metrics.rouge(["USB-C接口"], ["USB接口"])
    # 7 vs 5 characters, all 5 reference characters matched: P 5/7, R 1
    assert (s["rouge1_precision"], s["rouge1_recall"]) == (approx(500 / 7), approx(100.0))
    assert s["rouge1"] == approx(100 * 10 / 12)
    # bigrams US SB B- -C C接 接口 vs US SB B接 接口: 3 matched, P 3/6, R 3/4
    assert s["rouge2"] == approx(100 * 2 * 0.5 * 0.75 / 1.25)
    assert s["rougeL"] == approx(100 * 10 / 12)          # LCS "USB接口"


def test_rouge_is_the_mean_of_per_pair_scores():
    both = metrics.rouge(["USB-C接口", "您好"], ["USB接口", "您好"])
    assert both["rouge1"] == approx((100 * 10 / 12 + 100) / 2)
    assert both["rouge2_recall"] == approx((75 + 100) / 2)


def test_rouge_lsum_union_lcs_differs_from_sentence_level_lcs():
    # ROUGE paper's example: r = w1..w5, c1 = w1 w2 w6 w7 w8, c2 = w1 w3 w8 w9 w5 -> union {w1 w2 w3 w5}
    ref, pred = "甲乙丙丁戊", "甲丙辛壬戊。甲乙己庚辛"
    s = metrics.rouge([pred], [ref])
    assert (s["rougeLsum_recall"], s["rougeLsum_precision"]) == (approx(100 * 4 / 5), approx(100 * 4 / 11))
    assert s["rougeLsum"] == approx(50.0)
    assert s["rougeL"] == approx(100 * 2 * (3 / 11) * (3 / 5) / (3 / 11 + 3 / 5))   # LCS 甲丙戊


def test_rouge_lsum_clips_tokens_used_up_by_earlier_reference_sentences():
    # ref sentences 甲乙。 and 甲丙 both take 甲 from the single candidate 甲丙乙, which has one 甲:
    # hits 甲 乙 丙 = 3 of 5 reference and 3 candidate tokens
    s = metrics.rouge(["甲丙乙"], ["甲乙。甲丙"])
    assert (s["rougeLsum_recall"], s["rougeLsum_precision"]) == (approx(60.0), approx(100.0))


def test_rouge_lsum_follows_rouge155_backtrack_on_ties():
    # 甲乙。 vs 乙甲 has two LCS (甲 or 乙); ROUGE-1.5.5 takes 甲, which the second sentence 甲 then
    # cannot use again: 1 hit (2 with the other choice).
    s = metrics.rouge(["乙甲"], ["甲乙。甲"])
    assert (s["rougeLsum_recall"], s["rougeLsum_precision"]) == (approx(25.0), approx(50.0))


class _CharTokenizer:
    def tokenize(self, text: str) -> list[str]:
        return list(char_tokens(text))


_SCORER = rouge_scorer.RougeScorer(list(ROUGE_KEYS), tokenizer=_CharTokenizer())


def rouge_score_reference(hyps, refs) -> dict[str, float]:
    """rouge_score on pre-tokenised input: characters, sentences on separate lines for rougeLsum."""
    out = dict.fromkeys(ROUGE_KEYS, 0.0)
    for h, r in zip(hyps, refs):
        s = _SCORER.score("\n".join(split_sentences(char_tokens(r))), "\n".join(split_sentences(char_tokens(h))))
        for k in ROUGE_KEYS:
            out[k] += 100 * s[k].fmeasure / len(hyps)
    return out


@settings(max_examples=150, deadline=None)
@given(pair_lists)
def test_rouge_agrees_with_rouge_score(pairs):
    hyps, refs = pairs
    ours = metrics.rouge(hyps, refs)
    for k, v in rouge_score_reference(hyps, refs).items():
        assert ours[k] == approx(v), k


def test_lcs_positions_agree_with_rouge_score_backtrack():
    rng = random.Random(11)
    for _ in range(3000):
        ref = "".join(rng.choices("甲乙丙丁", k=rng.randint(0, 12)))
        cands = ["".join(rng.choices("甲乙丙丁", k=rng.randint(0, 12))) for _ in range(rng.randint(1, 4))]
        expected = [set(rouge_scorer.lcs_ind(list(ref), list(c))) for c in cands]
        assert lcs.lcs_positions(ref, lcs.Candidates(cands)) == expected


# ---------------------------------------------------------------------------------- Distinct
def test_distinct_counts_every_ngram_including_the_last():
    preds = ["你好你好", "你 好"]
    # unigrams 你好你好 + 你好: 2 unique of 6; bigrams 你好 好你 你好 + 你好: 2 unique of 4
    assert metrics.distinct(preds, 1) == approx(100 * 2 / 6)
    assert metrics.distinct(preds, 2) == approx(50.0)
    assert metrics.distinct(["", "好"], 2) == 0.0
    with pytest.raises(ValueError):
        metrics.distinct(preds, 0)


# --------------------------------------------------------------------------- n-gram engine
def test_numpy_matches_equal_counter_matches_across_chunks_and_fallback(monkeypatch):
    rng = random.Random(5)
    hyps = ["".join(rng.choices(ALPHABET, k=rng.randint(0, 20))) for _ in range(50)]
    refs = ["".join(rng.choices(ALPHABET, k=rng.randint(0, 20))) for _ in range(50)]
    by_counter = ngrams._counter_matches(hyps, refs, 4)
    assert np.array_equal(ngrams.clipped_matches(hyps, refs, 4), by_counter)
    monkeypatch.setattr(ngrams, "_CHUNK", 7)
    assert np.array_equal(ngrams.clipped_matches(hyps, refs, 4), by_counter)
    # order 40 cannot be coded in int64: the chunk is counted with Counter, with the same low orders
    assert np.array_equal(ngrams.clipped_matches(hyps, refs, 40)[:, :4], by_counter)


# ---------------------------------------------------------------------------------- together
@settings(max_examples=100, deadline=None)
@given(pair_lists)
def test_generation_scores_are_percentages(pairs):
    scores = metrics.generation_scores(*pairs)
    assert {"bleu", "rouge1", "rouge2", "rougeL", "rougeLsum", "distinct1", "distinct2",
            "rouge1_precision", "rougeLsum_recall"} <= set(scores)
    assert all(0.0 <= v <= 100.0 + 1e-9 for v in scores.values())


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text(alphabet=ALPHABET, min_size=1, max_size=30).filter(lambda t: len(char_tokens(t)) >= 4),
                min_size=1, max_size=6))
def test_identity_scores_100(texts_):
    scores = metrics.generation_scores(texts_, texts_)
    for key in ("bleu", *ROUGE_KEYS):
        assert scores[key] == approx(100.0), key


@settings(max_examples=100, deadline=None)
@given(pair_lists, st.randoms(use_true_random=False))
def test_corpus_scores_do_not_depend_on_pair_order(pairs, rnd):
    hyps, refs = pairs
    order = list(range(len(hyps)))
    rnd.shuffle(order)
    shuffled = metrics.generation_scores([hyps[i] for i in order], [refs[i] for i in order])
    for key, value in metrics.generation_scores(hyps, refs).items():
        assert shuffled[key] == pytest.approx(value, abs=1e-7), key
