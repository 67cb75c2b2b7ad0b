"""What every baseline shares: the gold value of a task example, training examples, one-line text."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from mtdialog.data.schema import DataError, Session
from mtdialog.data.tasks import task_examples

#: What a task's examples are annotated with, for the error raised when a split has none.
ANNOTATION_FIELD = {"response": "turns", "rewritable": "annotations.rewrites",
                    "rewrite": "annotations.rewrites", "discourse": "annotations.discourse",
                    "summary": "annotations.summary", "image_category": "annotations.image_categories"}

# Every character that str.splitlines() treats as a line boundary.
_LINE_BREAKS = re.compile("[\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")


def gold(task: str, example: Any) -> Any:
    """The gold value of a ``task`` example: its rewritability (``bool``) for ``rewritable``, its
    relations for ``discourse``, its target (text or category) otherwise."""
    if task == "rewritable":
        return example.rewritable
    if task == "discourse":
        return example.relations
    return example.target


def training_examples(task: str, sessions: Iterable[Session]) -> list:
    """The ``task`` examples of the training sessions; a :class:`DataError` when there are none."""
    examples = list(task_examples(task, sessions))
    if not examples:
        raise DataError(f"no {task} examples to fit on", field=ANNOTATION_FIELD[task])
    return examples


def one_line(text: str) -> str:
    """``text`` with every line break replaced by a space, so that one example is one line."""
    return _LINE_BREAKS.sub(" ", text)
