"""Discourse-parsing micro-F1 over a whole test set, in percent, under one of two conventions.

Link scores ``(session, y, x)`` pairs and Link&Relation ``(session, y, x, type)`` triples; true
positives are the intersection, precision divides by the predicted links, recall by the gold links.
A link to the root is ``x = -1``, type ``"ROOT"`` (whatever label an explicit root link carries).

- ``strict`` (the default) scores every EDU as annotated: an EDU without a relation, or with an
  explicit root link, is linked to the root; a link that points forward or to the EDU itself is a
  gold link that a parser (which links each EDU to an earlier one) cannot predict; a repeated
  ``(x, y)`` pair counts once. With one head per EDU on both sides, precision = recall = F1.
- ``lenient`` scores, as the discourse papers' scripts do, only the EDUs whose gold head is an
  earlier EDU, against their links that point back: EDUs attached to the root, and those whose only
  links point forward or to themselves, are left to the system (neither side is scored there).

``link_rel_f1_level1/2`` compare relation types cut to the first one or two levels of an
``"L1/L2/L3"`` label; labels of other shapes (other corpora's label sets) are compared whole.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from mtdialog.data.labels import is_leveled, relation_level
from mtdialog.data.schema import ROOT, Relation, parse_links

ROOT_LABEL = "ROOT"
CONVENTIONS = {
    "strict": "micro-F1 over every EDU of the test set as annotated (strict): Link on (y, x), Link&Rel on "
              "(y, x, type); an EDU without a relation, or with an explicit root link, is linked to the root; "
              "links pointing forward or to the EDU itself are gold links no parser predicts",
    "lenient": "micro-F1 over the EDUs whose gold head is an earlier EDU (lenient, as the discourse papers' "
               "scripts score): Link on (y, x), Link&Rel on (y, x, type); EDUs attached to the root or "
               "only by forward links are left to the system",
}


def _at_level(label: str, level: int | None) -> str:
    if level is None or not is_leveled(label):
        return label
    return relation_level(label, level)


def heads(relations: Sequence[Relation], n_edus: int, *, where: str = "") -> list[tuple[int, int, str]]:
    """``(y, x, type)`` of every relation (a repeated ``(x, y)`` pair once; a root link as
    ``(y, -1, "ROOT")``), plus ``(y, -1, "ROOT")`` for each EDU without a relation.

    Raises ``ValueError`` (prefixed by ``where``) for an index outside the session.
    """
    out, seen = [], set()
    for i, r in enumerate(relations):
        if not (ROOT <= r.x < n_edus and 0 <= r.y < n_edus):
            raise ValueError(f"{where}relation {i} (x={r.x}, y={r.y}) is outside the session's {n_edus} EDUs")
        if (r.x, r.y) not in seen:
            seen.add((r.x, r.y))
            out.append((r.y, ROOT, ROOT_LABEL) if r.x == ROOT else (r.y, r.x, r.type))
    headed = {y for y, _, _ in out}
    out.extend((y, ROOT, ROOT_LABEL) for y in range(n_edus) if y not in headed)
    return out


def scored_links(predicted: Sequence[Relation], gold: Sequence[Relation], n_edus: int, convention: str = "strict",
                 *, where: str = "") -> tuple[list[tuple[int, int, str]], list[tuple[int, int, str]]]:
    """The predicted and the gold ``(y, x, type)`` links of one session that ``convention`` scores."""
    if convention not in CONVENTIONS:
        raise ValueError(f"unknown discourse convention {convention!r} (known: {', '.join(CONVENTIONS)})")
    pred = heads(predicted, n_edus, where=f"{where}predictions: ")
    gold_heads = heads(gold, n_edus, where=f"{where}references: ")
    if convention == "strict":
        return pred, gold_heads
    back = [(r.y, r.x, r.type) for r in parse_links(gold)]
    ys = {y for y, _, _ in back}
    return [link for link in pred if link[0] in ys], back


def _prf(tp: int, n_pred: int, n_gold: int) -> tuple[float, float, float]:
    p = tp / n_pred if n_pred else 0.0
    r = tp / n_gold if n_gold else 0.0
    return 100.0 * p, 100.0 * r, (200.0 * p * r / (p + r) if p + r else 0.0)


def discourse_scores(predictions: Sequence[Sequence[Relation]], references: Sequence[Sequence[Relation]],
                     n_edus: Sequence[int], convention: str = "strict") -> dict[str, float]:
    """Micro P/R/F1 of Link (``link_*``) and Link&Relation (``link_rel_*``) over all sessions, plus
    ``link_rel_f1_level1`` and ``link_rel_f1_level2``, under ``convention`` (``strict`` or
    ``lenient``); session ``k`` has ``n_edus[k]`` EDUs."""
    if not len(predictions) == len(references) == len(n_edus):
        raise ValueError(f"{len(predictions)} predicted sessions, {len(references)} gold sessions and "
                         f"{len(n_edus)} EDU counts")
    if not predictions:
        raise ValueError("no sessions to score")
    levels: dict[str, int | None] = {"link_rel": None, "level1": 1, "level2": 2}
    tp = Counter()
    n_pred = n_gold = 0
    for k, (pred, gold, n) in enumerate(zip(predictions, references, n_edus)):
        pred_heads, gold_heads = scored_links(pred, gold, n, convention, where=f"session {k}: ")
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
