"""Prediction and reference files in the formats ``mtdialog score`` reads.

- ``response``, ``rewrite``, ``summary``: UTF-8 text, one example per line (line breaks inside a
  text become spaces, so that line ``i`` is example ``i``; an empty text is an empty line);
- ``rewritable``: ``1`` (rewritable) or ``0`` per line;
- ``image_category``: one category label per line;
- ``discourse``: native session JSONL, one session per example, whose ``annotations`` hold only
  ``discourse`` (the relations); ``meta`` is dropped.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mtdialog.baselines.common import gold, one_line
from mtdialog.data.native import dump_line
from mtdialog.data.schema import Annotations, Session


def task_lines(task: str, values: Sequence[Any], examples: Sequence) -> list[str]:
    """The file lines (each ending in a newline) holding ``values``, one per example of ``task``."""
    if len(values) != len(examples):
        raise ValueError(f"{len(values)} {task} values for {len(examples)} examples")
    if task == "discourse":
        return [dump_line(Session(e.session.session_id, e.session.shop, e.session.product_id,
                                  e.session.turns, Annotations(discourse=list(relations))).to_dict())
                for relations, e in zip(values, examples)]
    if task == "rewritable":
        return [f"{int(bool(v))}\n" for v in values]
    return [one_line(v) + "\n" for v in values]


def write_task_file(task: str, values: Sequence[Any], examples: Sequence, path: str | Path) -> Path:
    """Write ``values`` (predictions or gold values) of ``task`` to ``path``; returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.writelines(task_lines(task, values, examples))
    return path


def write_references(task: str, examples: Sequence, path: str | Path) -> Path:
    """Write the gold values of ``examples`` in the same format as the predictions."""
    return write_task_file(task, [gold(task, e) for e in examples], examples, path)
