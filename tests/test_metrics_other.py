"""Binary and multi-class classification scores and discourse micro-F1, against hand counts."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mtdialog import metrics
from mtdialog.data.labels import JDDC21_RELATIONS
from mtdialog.data.schema import Relation

YES_NO, SWIH, DENY = "Question&Answer/Question/Yes-No", "Question&Answer/Question/SWIH", "Question&Answer/Answer/Deny"
SOCIAL = "Communication/Social/Social"


def approx(x: float):
    return pytest.approx(x, abs=1e-9)


# ------------------------------------------------------------------------------------- binary
def test_binary_scores_by_hand():
    # TP 2 (0, 4), FP 1 (1), FN 1 (3), TN 1 (2)
    s = metrics.binary_scores([True, True, False, False, True], [True, False, False, True, True])
    assert s == {"precision": approx(200 / 3), "recall": approx(200 / 3), "f1": approx(200 / 3),
                 "accuracy": approx(60.0)}


def test_binary_scores_without_predicted_positives_are_zero_not_errors():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = metrics.binary_scores([False, False], [True, False])
    assert (s["precision"], s["recall"], s["f1"], s["accuracy"]) == (0.0, 0.0, 0.0, 50.0)


def test_binary_scores_accept_0_1_and_numpy_bools_and_reject_others():
    assert metrics.binary_scores([1, 0], np.array([True, False]))["f1"] == approx(100.0)
    with pytest.raises(ValueError, match=r"predictions\[1\]"):
        metrics.binary_scores([True, "yes"], [True, False])
    with pytest.raises(ValueError, match="2 predictions but 1 references"):
        metrics.binary_scores([True, False], [True])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.booleans()), min_size=1, max_size=20))
def test_binary_scores_properties(pairs):
    pred, gold = [p for p, _ in pairs], [g for _, g in pairs]
    s = metrics.binary_scores(pred, gold)
    assert all(0.0 <= v <= 100.0 for v in s.values())
    if any(gold):
        assert metrics.binary_scores(gold, gold)["f1"] == approx(100.0)
    assert metrics.binary_scores(pred[::-1], gold[::-1]) == s


# ---------------------------------------------------------------------------- classification
def test_classification_scores_by_hand():
    s = metrics.classification_scores(["a", "b", "a", "c"], ["a", "b", "b", "b"])
    # F1: a = 2/3 (P 1/2, R 1), b = 1/2 (P 1, R 1/3), c = 0 (predicted only)
    assert s == {"accuracy": approx(50.0), "macro_f1": approx(100 * (2 / 3 + 1 / 2 + 0) / 3)}
    with pytest.raises(TypeError, match=r"references\[0\]"):
        metrics.classification_scores(["a"], [1])


# --------------------------------------------------------------------------------- discourse
def test_discourse_link_and_relation_by_hand():
    # session 1: 4 EDUs; gold 0->1 Yes-No, 1->2 Deny, 1->3 Social; EDU 0 has the root.
    # prediction 0->1 Yes-No, 0->2 Deny, 2->3 Social: correct links y0 (root), y1.
    # session 2: 2 EDUs; gold 0->1 Yes-No; prediction 0->1 SWIH (same level 1 and 2, other leaf).
    gold = [[Relation(0, 1, YES_NO), Relation(1, 2, DENY), Relation(1, 3, SOCIAL)], [Relation(0, 1, YES_NO)]]
    pred = [[Relation(0, 1, YES_NO), Relation(0, 2, DENY), Relation(2, 3, SOCIAL)], [Relation(0, 1, SWIH)]]
    s = metrics.discourse_scores(pred, gold, [4, 2])
    # 6 heads on each side; Link: 2 + 2 correct; Link&Rel: 2 + 1 (the root of session 2)
    assert s["link_f1"] == s["link_precision"] == s["link_recall"] == approx(100 * 4 / 6)
    assert s["link_rel_f1"] == approx(50.0)
    assert s["link_rel_f1_level2"] == s["link_rel_f1_level1"] == approx(100 * 4 / 6)


def test_discourse_levels_differ_when_level2_differs():
    s = metrics.discourse_scores([[Relation(0, 1, DENY)]], [[Relation(0, 1, YES_NO)]], [2])
    # root correct everywhere; the relation agrees at level 1 (Question&Answer) only
    assert (s["link_rel_f1"], s["link_rel_f1_level2"], s["link_rel_f1_level1"]) == (50.0, 50.0, 100.0)


def test_discourse_unheaded_edus_link_to_the_root():
    # gold: EDU 2 unheaded; prediction: every EDU unheaded -> roots of y0 and y2 correct
    s = metrics.discourse_scores([[]], [[Relation(0, 1, SOCIAL)]], [3])
    assert s["link_f1"] == approx(100 * 2 / 3)
    assert metrics.discourse_scores([[]], [[]], [3])["link_rel_f1"] == approx(100.0)


def test_discourse_general_form_with_two_gold_heads():
    # gold EDU 2 has two heads (4 gold links with the roots of y0, y1); prediction one (3 links)
    s = metrics.discourse_scores([[Relation(1, 2, "Comment")]], [[Relation(0, 2, "QAP"), Relation(1, 2, "Comment")]],
                                 [3])
    assert (s["link_precision"], s["link_recall"]) == (approx(100.0), approx(75.0))
    assert s["link_f1"] == approx(100 * 2 * 0.75 / 1.75)
    # labels that are not "L1/L2/L3" are compared whole at every level
    assert s["link_rel_f1_level1"] == s["link_rel_f1"] == s["link_f1"]


def test_discourse_rejects_bad_relations_and_counts():
    with pytest.raises(ValueError, match=r"session 0: predictions: relation 0 \(x=-2, y=1\)"):
        metrics.discourse_scores([[Relation(-2, 1, SOCIAL)]], [[]], [2])
    with pytest.raises(ValueError, match=r"session 0: references: relation 0 \(x=0, y=5\)"):
        metrics.discourse_scores([[]], [[Relation(0, 5, SOCIAL)]], [2])
    with pytest.raises(ValueError, match="EDU counts"):
        metrics.discourse_scores([[]], [[]], [2, 3])
    with pytest.raises(ValueError, match="unknown discourse convention 'loose'"):
        metrics.discourse_scores([[]], [[]], [2], "loose")


def test_discourse_conventions_by_hand():
    # 5 EDUs. Gold: an explicit root link of EDU 0, 0->1, 3->2 (points forward), 1->3, 1->3 again,
    # and nothing for EDU 4. A parser's prediction: 0->1, 1->2, 1->3, 3->4.
    gold = [Relation(-1, 0, "Root"), Relation(0, 1, "QAP"), Relation(3, 2, "Comment"), Relation(1, 3, "Ack"),
            Relation(1, 3, "Ack")]
    pred = [Relation(0, 1, "QAP"), Relation(1, 2, "Comment"), Relation(1, 3, "Result"), Relation(3, 4, "Ack")]
    # strict: gold heads y0 root, y1 0, y2 3, y3 1 (once), y4 root = 5; predicted y0 root + 4 links = 5.
    # Link right: y0, y1, y3 -> 3/5; Link&Rel: y0 (both ROOT), y1 -> 2/5.
    strict = metrics.discourse_scores([pred], [gold], [5])
    assert (strict["link_f1"], strict["link_rel_f1"]) == (approx(60.0), approx(40.0))
    # lenient: only EDUs whose gold head is earlier (y1, y3): 2 gold links, and the 2 predicted for them
    lenient = metrics.discourse_scores([pred], [gold], [5], "lenient")
    assert (lenient["link_f1"], lenient["link_rel_f1"]) == (approx(100.0), approx(50.0))
    assert lenient["link_precision"] == lenient["link_recall"] == approx(100.0)


@st.composite
def sessions(draw):
    n = draw(st.integers(1, 6))
    rels = [Relation(draw(st.integers(0, y - 1)), y, draw(st.sampled_from(JDDC21_RELATIONS[:5])))
            for y in range(1, n) if draw(st.booleans())]
    return n, rels


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(sessions(), sessions()), min_size=1, max_size=5))
def test_discourse_properties(pairs):
    # predictions use the gold session's EDU count
    n_edus = [g[0] for g, _ in pairs]
    gold = [g[1] for g, _ in pairs]
    pred = [[r for r in p[1] if r.y < n] for (_, p), n in zip(pairs, n_edus)]
    s = metrics.discourse_scores(pred, gold, n_edus)
    assert all(0.0 <= v <= 100.0 for v in s.values())
    assert s["link_rel_f1"] <= s["link_rel_f1_level2"] <= s["link_rel_f1_level1"] <= s["link_f1"] + 1e-9
    assert metrics.discourse_scores(gold, gold, n_edus)["link_rel_f1"] == approx(100.0)
    assert metrics.discourse_scores(pred[::-1], gold[::-1], n_edus[::-1]) == pytest.approx(s)
