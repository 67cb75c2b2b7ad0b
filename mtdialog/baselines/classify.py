"""Majority-class baselines for the classification tasks (rewritability, image category)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from mtdialog.baselines.common import gold, training_examples
from mtdialog.data.schema import Session


@dataclass
class Majority:
    """Predicts the most frequent gold value of ``task`` in the train split (ties: first seen)."""

    task: str
    label: Any

    @classmethod
    def fit(cls, task: str, train: Sequence[Session]) -> Majority:
        counts = Counter(gold(task, e) for e in training_examples(task, train))
        return cls(task, counts.most_common(1)[0][0])

    def predict(self, examples: Sequence) -> list:
        return [self.label] * len(examples)
