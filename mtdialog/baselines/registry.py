"""The baselines by name: ``TASK-METHOD`` (``image_category`` spelled ``image-category``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, Protocol

from mtdialog.baselines.classify import Majority
from mtdialog.baselines.discourse import PreviousEDU
from mtdialog.baselines.retrieval import CopyQuery, QueryRetrieval
from mtdialog.baselines.summary import Lead, LexRank
from mtdialog.data.schema import Session


class Predictor(Protocol):
    def predict(self, examples: Sequence) -> list[Any]:
        """One prediction per task example, in order."""


@dataclass(frozen=True)
class BaselineSpec:
    """A baseline: its ``task``, its ``method`` name, and ``fit(train_sessions) -> predictor``."""

    task: str
    method: str
    fit: Callable[[Sequence[Session]], Predictor]

    @property
    def name(self) -> str:
        return f"{self.task.replace('_', '-')}-{self.method}"


_SPECS = (
    BaselineSpec("response", "retrieval", partial(QueryRetrieval.fit, "response")),
    BaselineSpec("rewritable", "majority", partial(Majority.fit, "rewritable")),
    BaselineSpec("rewrite", "copy-query", CopyQuery.fit),
    BaselineSpec("rewrite", "retrieval", partial(QueryRetrieval.fit, "rewrite")),
    BaselineSpec("discourse", "previous-edu", PreviousEDU.fit),
    BaselineSpec("summary", "lead", Lead.fit),
    BaselineSpec("summary", "lexrank", LexRank.fit),
    BaselineSpec("image_category", "majority", partial(Majority.fit, "image_category")),
)

#: Every baseline by its full name, in task order.
BASELINES: dict[str, BaselineSpec] = {spec.name: spec for spec in _SPECS}


def resolve(name: str) -> BaselineSpec:
    """The baseline called ``name``: a full name, or a method name that only one task has."""
    if name in BASELINES:
        return BASELINES[name]
    matches = [spec for spec in _SPECS if spec.method == name]
    if len(matches) == 1:
        return matches[0]
    known = ", ".join(BASELINES)
    if matches:
        raise ValueError(f"baseline {name!r} is ambiguous: say {' or '.join(s.name for s in matches)}")
    raise ValueError(f"unknown baseline {name!r} (known: {known})")
