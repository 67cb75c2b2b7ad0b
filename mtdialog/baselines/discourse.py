"""Discourse parsing baseline: every EDU attaches to the one before it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from mtdialog.data.schema import DataError, Relation, Session, parse_links


@dataclass
class PreviousEDU:
    """EDU ``i > 0`` links to EDU ``i - 1`` with ``relation``, the most frequent relation of the train
    split's links that point back (ties: first seen); EDU 0 is the root (no head)."""

    relation: str

    @classmethod
    def fit(cls, task, train: Sequence[Session]) -> PreviousEDU:
        """``task``: the discourse task, whose training examples hold the relations counted."""
        counts = Counter(r.type for e in task.training_examples(train) for r in parse_links(e.relations))
        if not counts:
            raise DataError("discourse annotations hold no relations to fit on", field="annotations.discourse")
        return cls(counts.most_common(1)[0][0])

    def predict(self, examples: Sequence) -> list[list[Relation]]:
        return [[Relation(i - 1, i, self.relation) for i in range(1, len(e.edus))] for e in examples]
