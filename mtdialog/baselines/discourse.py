"""Discourse parsing baseline: every EDU attaches to the one before it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from mtdialog.baselines.common import training_examples
from mtdialog.data.schema import DataError, Relation, Session
from mtdialog.data.tasks import DiscourseExample


@dataclass
class PreviousEDU:
    """EDU ``i > 0`` links to EDU ``i - 1`` with ``relation``, the most frequent relation of the train
    split (ties: first seen); EDU 0 is the root (no head)."""

    relation: str

    @classmethod
    def fit(cls, train: Sequence[Session]) -> PreviousEDU:
        counts = Counter(r.type for e in training_examples("discourse", train) for r in e.relations)
        if not counts:
            raise DataError("discourse annotations hold no relations to fit on", field="annotations.discourse")
        return cls(counts.most_common(1)[0][0])

    def predict(self, examples: Sequence[DiscourseExample]) -> list[list[Relation]]:
        return [[Relation(i - 1, i, self.relation) for i in range(1, len(e.edus))] for e in examples]
