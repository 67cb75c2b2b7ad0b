"""Majority-class baselines for the classification tasks (rewritability, image category)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from mtdialog.data.schema import Session


@dataclass
class Majority:
    """Predicts the most frequent gold value of the task in the train split (ties: first seen)."""

    label: Any

    @classmethod
    def fit(cls, task, train: Sequence[Session]) -> Majority:
        """``task``: the :class:`~mtdialog.tasks.Task` whose examples and gold values are counted."""
        counts = Counter(task.gold(e) for e in task.training_examples(train))
        return cls(counts.most_common(1)[0][0])

    def predict(self, examples: Sequence) -> list:
        return [self.label] * len(examples)
