"""Discourse-parsing micro-F1 over a whole test set, in percent.

Every EDU has a head: the relations that point to it, or, when none does, a link to a root
(``x = -1``, type ``"ROOT"``), in the gold annotation and in the prediction alike. Link scores
``(session, y, x)`` triples and Link&Relation ``(session, y, x, type)``; true positives are the
multiset intersection, precision divides by the predicted links, recall by the gold links (so with
one head per EDU on both sides precision = recall = F1). ``link_rel_f1_level1/2`` compare relation
types cut to the first one or two levels of an ``"L1/L2/L3"`` label; labels of other shapes (other
corpora's label sets) are compared whole.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from mtdialog.data.labels import relation_level
from mtdialog.data.schema import Relation

ROOT = -1
ROOT_LABEL = "ROOT"
CONVENTION = ("micro-F1 over every EDU of the test set: Link on (y, x), Link&Rel on (y, x, type); "
              "an EDU without a head is linked to a root")


def _at_level(label: str, level: int | None) -> str:
    if level is None or label.count("/") != 2:
        return label
    return relation_level(label, level)


def heads(relations: Sequence[Relation], n_edus: int, *, where: str = "") -> list[tuple[int, int, str]]:
    """``(y, x, type)`` for every relation, plus ``(y, -1, "ROOT")`` for each EDU without a head.

    Raises ``ValueError`` (prefixed by ``where``) for a relation outside ``0 <= x < y < n_edus``.
    """
    out = []
    for i, r in enumerate(relations):
        if not 0 <= r.x < r.y < n_edus:
            raise ValueError(f"{where}relation {i} (x={r.x}, y={r.y}) is not 0 <= x < y < {n_edus} EDUs")
        out.append((r.y, r.x, r.type))
    headed = {y for y, _, _ in out}
    out.extend((y, ROOT, ROOT_LABEL) for y in range(n_edus) if y not in headed)
    return out


def _prf(tp: int, n_pred: int, n_gold: int) -> tuple[float, float, float]:
    p = tp / n_pred if n_pred else 0.0
    r = tp / n_gold if n_gold else 0.0
    return 100.0 * p, 100.0 * r, (200.0 * p * r / (p + r) if p + r else 0.0)


def discourse_scores(predictions: Sequence[Sequence[Relation]], references: Sequence[Sequence[Relation]],
                     n_edus: Sequence[int]) -> dict[str, float]:
    """Micro P/R/F1 of Link (``link_*``) and Link&Relation (``link_rel_*``) over all sessions, plus
    ``link_rel_f1_level1`` and ``link_rel_f1_level2``; session ``k`` has ``n_edus[k]`` EDUs."""
    if not len(predictions) == len(references) == len(n_edus):
        raise ValueError(f"{len(predictions)} predicted sessions, {len(references)} gold sessions and "
                         f"{len(n_edus)} EDU counts")
    if not predictions:
        raise ValueError("no sessions to score")
    levels: dict[str, int | None] = {"link_rel": None, "level1": 1, "level2": 2}
    tp = Counter()
    n_pred = n_gold = 0
    for k, (pred, gold, n) in enumerate(zip(predictions, references, n_edus)):
        pred_heads = heads(pred, n, where=f"predictions[{k}]: ")
        gold_heads = heads(gold, n, where=f"references[{k}]: ")
        n_pred += len(pred_heads)
        n_gold += len(gold_heads)
        tp["link"] += sum((Counter((y, x) for y, x, _ in pred_heads)
                           & Counter((y, x) for y, x, _ in gold_heads)).values())
        for name, level in levels.items():
            tp[name] += sum((Counter((y, x, _at_level(t, level)) for y, x, t in pred_heads)
                             & Counter((y, x, _at_level(t, level)) for y, x, t in gold_heads)).values())
    out: dict[str, float] = {}
    for name in ("link", "link_rel"):
        p, r, f = _prf(tp[name], n_pred, n_gold)
        out.update({f"{name}_precision": p, f"{name}_recall": r, f"{name}_f1": f})
    for level in (1, 2):
        out[f"link_rel_f1_level{level}"] = _prf(tp[f"level{level}"], n_pred, n_gold)[2]
    return out
