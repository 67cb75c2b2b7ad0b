"""Corpus statistics in the layout of the JDDC 2.1 paper, from one streaming pass over the sessions.

- Table 2: per split and shop (the shops the split has, JDDC's ``xjd`` and ``fx`` first, then
  ``all``; a split of one shop that is not JDDC's shows ``all`` only): dialogues, utterances (turns), images (image
  occurrences), their averages per dialogue, and the average utterance length in characters (over
  turns with text).
- Table 3: per split, the discourse-annotated dialogues, their turns, EDUs and relations, and how many
  of those are explicit root links, point forward or to their own EDU, or repeat a pair.
- Table 12: the relation-label distribution (level1 / level2 / level3 for ``"L1/L2/L3"`` labels, the
  label itself for a flat label set; count, percent of all relations).
- Query rewriting (rewritable vs not) and summaries (count, mean length in characters).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

from mtdialog.data.labels import is_leveled
from mtdialog.data.native import Corpus
from mtdialog.data.schema import Session, SkipReport, relation_kinds

#: The JDDC shops, shown first in Table 2, and the column of every dialogue of a split.
JDDC_SHOPS = ("xjd", "fx")
ALL = "all"


def _mean(total: int, n: int) -> float:
    return total / n if n else 0.0


@dataclass
class DialogueStats:
    """Table 2 counts of one (split, shop) cell."""

    dialogues: int = 0
    utterances: int = 0
    images: int = 0
    text_utterances: int = 0
    text_chars: int = 0

    def add(self, session: Session) -> None:
        self.dialogues += 1
        self.utterances += len(session.turns)
        self.images += sum(len(t.images) for t in session.turns)
        texts = [t.text for t in session.turns if t.text]
        self.text_utterances += len(texts)
        self.text_chars += sum(map(len, texts))

    @property
    def avg_utterances(self) -> float:
        return _mean(self.utterances, self.dialogues)

    @property
    def avg_images(self) -> float:
        return _mean(self.images, self.dialogues)

    @property
    def avg_utterance_length(self) -> float:
        return _mean(self.text_chars, self.text_utterances)


@dataclass
class DiscourseStats:
    """Table 3 counts of one split: dialogues with discourse annotations, their turns, EDUs, relations."""

    dialogues: int = 0
    turns: int = 0
    edus: int = 0
    relations: int = 0
    root: int = 0
    forward: int = 0
    self: int = 0
    repeated: int = 0


@dataclass
class CorpusStats:
    """Everything ``mtdialog data stats`` prints; ``to_dict()`` is its ``--json`` form."""

    name: str
    relation_labels: tuple[str, ...]
    dialogues: dict[str, dict[str, DialogueStats]] = field(default_factory=dict)
    discourse: dict[str, DiscourseStats] = field(default_factory=dict)
    relations: Counter = field(default_factory=Counter)
    rewritable: int = 0
    not_rewritable: int = 0
    summaries: int = 0
    summary_chars: int = 0

    @property
    def rewrite_ratio(self) -> float:
        """Share of annotated customer turns that can be rewritten as text."""
        return _mean(self.rewritable, self.rewritable + self.not_rewritable)

    @property
    def summary_length(self) -> float:
        return _mean(self.summary_chars, self.summaries)

    @property
    def leveled(self) -> bool:
        """Whether every relation label has the ``"L1/L2/L3"`` shape (Table 12 then shows the levels)."""
        return bool(self.relation_labels) and all(map(is_leveled, self.relation_labels))

    def relation_rows(self) -> list[tuple[str, ...]]:
        """Table 12 rows in label-set order: ``(level1, level2, level3, count, percent)`` for a
        leveled label set, ``(label, count, percent)`` for a flat one."""
        total = sum(self.relations.values())
        return [(*(label.split("/") if self.leveled else [label]), self.relations[label],
                 100 * _mean(self.relations[label], total)) for label in self.relation_labels]

    def add_split(self, split: str) -> dict[str, DialogueStats]:
        """The Table 2 cells of ``split`` (created with ``all`` only, so that empty splits still show)."""
        return self.dialogues.setdefault(split, {ALL: DialogueStats()})

    def shops(self, split: str) -> list[str]:
        """The Table 2 columns of ``split``: its shops (JDDC's first) and ``all``, or ``all`` alone for
        a split of one shop that is not JDDC's (``other``, of a converted corpus)."""
        found = [shop for shop in self.dialogues[split] if shop != ALL]
        ordered = [s for s in JDDC_SHOPS if s in found] + sorted(s for s in found if s not in JDDC_SHOPS)
        return ordered + [ALL] if len(ordered) > 1 or set(ordered) & set(JDDC_SHOPS) else [ALL]

    def add(self, split: str, session: Session) -> None:
        cells = self.add_split(split)
        cells[ALL].add(session)
        if session.shop != ALL:
            cells.setdefault(session.shop, DialogueStats()).add(session)
        a = session.annotations
        if a is None:
            return
        if a.discourse is not None:
            d = self.discourse.setdefault(split, DiscourseStats())
            d.dialogues += 1
            d.turns += len(session.turns)
            d.edus += len(session.edus())
            d.relations += len(a.discourse)
            for kind, n in relation_kinds(a.discourse).items():
                setattr(d, kind, getattr(d, kind) + n)
            self.relations.update(r.type for r in a.discourse)
        for r in a.rewrites or ():
            if r.rewritable:
                self.rewritable += 1
            else:
                self.not_rewritable += 1
        if a.summary is not None:
            self.summaries += 1
            self.summary_chars += len(a.summary)

    def to_dict(self) -> dict[str, Any]:
        def cell(c: DialogueStats) -> dict[str, Any]:
            return {**asdict(c), "avg_utterances": c.avg_utterances, "avg_images": c.avg_images,
                    "avg_utterance_length": c.avg_utterance_length}

        return {
            "name": self.name,
            "dialogues": {s: {shop: cell(cells[shop]) for shop in self.shops(s)} for s, cells in self.dialogues.items()},
            "discourse": {s: asdict(d) for s, d in self.discourse.items()},
            "relations": [dict(zip((*(("level1", "level2", "level3") if self.leveled else ("label",)), "count",
                                    "percent"), row)) for row in self.relation_rows()],
            "rewrites": {"rewritable": self.rewritable, "not_rewritable": self.not_rewritable,
                         "ratio": self.rewrite_ratio},
            "summaries": {"count": self.summaries, "mean_length": self.summary_length},
        }


def corpus_stats(corpus: Corpus, *, skip_invalid: bool = False, report: SkipReport | None = None) -> CorpusStats:
    """One streaming pass over every split of ``corpus``."""
    stats = CorpusStats(str(corpus.meta.get("name", corpus.root.name)), corpus.relation_labels)
    for split in corpus.splits:
        stats.add_split(split)
        for session in corpus.sessions(split, skip_invalid=skip_invalid, report=report):
            stats.add(split, session)
    return stats
