"""A discourse parse drawn as arcs between EDUs: one self-contained SVG, for the report and the chat page.

The EDUs run top to bottom, one row each; a link from head EDU ``x`` to EDU ``y`` is a curve on the
left, as deep as the link is long, ending in an arrow at ``y``; each row ends with its relation label.
Given the gold relations, each predicted link is marked ``correct`` (head and relation right),
``wrong-relation`` (head right) or ``wrong-link`` (dashed red), so a reader sees the errors at once.
Every arc is a ``path.arc`` with ``data-x``/``data-y``, for the browser tests and for styling.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from html import escape

from mtdialog.data.schema import ROOT, Relation

ROW = 24  # px per EDU
TOP = 30  # px above the first EDU (the title)
FONT = 12
LABEL_CHARS = 22  # an EDU's text is cut to this many characters
COLOURS = {"gold": "#4a5a7a", "correct": "#2e8b57", "wrong-relation": "#e08a00", "wrong-link": "#d62828"}


def text_width(text: str) -> float:
    """Roughly how wide ``text`` is at :data:`FONT` px: wide (CJK) characters count double."""
    return sum(FONT if unicodedata.east_asian_width(c) in "WF" else FONT * 0.6 for c in text)


def short_relation(label: str) -> str:
    """The last part of a hierarchical relation label (``Question&Answer/Answer/Affirmation`` -> ``Affirmation``)."""
    return label.rsplit("/", 1)[-1]


def mark(relation: Relation, gold: Sequence[Relation] | None) -> str:
    """How a relation compares with ``gold``: ``gold`` (no comparison), ``correct``, ``wrong-relation`` or
    ``wrong-link``."""
    if gold is None:
        return "gold"
    heads = {(g.x, g.y): g.type for g in gold}
    if (relation.x, relation.y) not in heads:
        return "wrong-link"
    return "correct" if heads[(relation.x, relation.y)] == relation.type else "wrong-relation"


def arcs_svg(edus: Sequence[str], relations: Sequence[Relation], *, gold: Sequence[Relation] | None = None,
             title: str = "") -> str:
    """The SVG of ``relations`` over ``edus`` (each EDU's label, e.g. ``"Q: 你好"``); with ``gold``, the
    relations are the predicted ones and each arc is marked against it. Links to the root or outside the
    EDUs are listed in the row's label, not drawn."""
    drawn = [r for r in relations if r.x != ROOT and 0 <= r.x < len(edus) and 0 <= r.y < len(edus) and r.x != r.y]
    longest = max((abs(r.y - r.x) for r in drawn), default=1)
    left = 16 + min(8 * longest, 160)  # where the EDU rows start; the arcs bulge left of it
    labels = [_cut(text) for text in edus]
    by_edu: dict[int, list[Relation]] = {}
    for r in relations:
        by_edu.setdefault(r.y, []).append(r)
    rows, width = [], left
    for i, label in enumerate(labels):
        y = TOP + i * ROW
        attached = "; ".join(f"{'root' if r.x == ROOT else f'← {r.x}'} {short_relation(r.type)}"
                             for r in by_edu.get(i, []))
        head = f"{i}  {label}"
        rows.append(f'<text class="edu" x="{left + 6}" y="{y + 4}" data-edu="{i}">{escape(head)}</text>')
        if attached:
            rows.append(f'<text class="rel" x="{left + 14 + text_width(head)}" y="{y + 4}">{escape(attached)}</text>')
        rows.append(f'<circle cx="{left}" cy="{y}" r="3" fill="#888"/>')
        width = max(width, left + 24 + text_width(head) + text_width(attached))
    arcs = []
    for r in drawn:
        kind = mark(r, gold)
        y1, y2 = TOP + r.x * ROW, TOP + r.y * ROW
        depth = min(10 + 8 * abs(r.y - r.x), left - 6)
        dash = ' stroke-dasharray="5 3"' if kind == "wrong-link" else ""
        arcs.append(f'<path class="arc {kind}" data-x="{r.x}" data-y="{r.y}" d="M {left - 4} {y1} C {left - depth} {y1} '
                    f'{left - depth} {y2} {left - 4} {y2}" fill="none" stroke="{COLOURS[kind]}" stroke-width="1.6"'
                    f'{dash} marker-end="url(#arrow-{kind})"><title>{r.x} → {r.y}: {escape(r.type)} ({kind})</title></path>')
    height = TOP + max(len(edus), 1) * ROW
    markers = "".join(f'<marker id="arrow-{k}" viewBox="0 0 8 8" refX="7" refY="4" markerWidth="6" markerHeight="6" '
                      f'orient="auto"><path d="M0,0 L8,4 L0,8 z" fill="{c}"/></marker>' for k, c in COLOURS.items())
    return (f'<svg class="arcs" xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height}" '
            f'viewBox="0 0 {width:.0f} {height}" font-family="sans-serif" font-size="{FONT}">'
            f'<defs>{markers}</defs><text x="4" y="14" font-weight="bold">{escape(title)}</text>'
            f'<style>.rel{{fill:#777;font-size:{FONT - 1}px}}</style>{"".join(arcs)}{"".join(rows)}</svg>')


def _cut(text: str) -> str:
    return text if len(text) <= LABEL_CHARS else text[: LABEL_CHARS - 1] + "…"


__all__ = ["arcs_svg", "mark", "short_relation"]
