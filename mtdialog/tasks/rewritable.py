"""Query rewriting (a), JDDC 2.1 Table 6: can the customer's (multimodal) query be rewritten as text?

Examples: every annotated customer turn, in turn order; the context is every turn up to and
including it. A session without annotations has every customer turn judged; its answers are
``{"turn", "rewritable", "probability"}`` records under ``rewrites`` (the rewrite task adds ``text``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import ClassVar

from mtdialog.baselines.classify import Majority
from mtdialog.data.schema import Session
from mtdialog.metrics import classification
from mtdialog.metrics.files import read_booleans
from mtdialog.tasks.base import SpanLabelTask, TurnExample, register_task


@dataclass
class RewriteExample(TurnExample):
    """A customer turn (``turn``) to judge or rewrite: its gold rewritability and rewrite."""

    rewritable: bool
    target: str


@dataclass
class TurnRewrite:
    """A customer turn judged for rewriting: ``probability`` that it is rewritable, and its rewrite
    (``None`` when rewrites were not asked for, ``""`` when the turn is not rewritable)."""

    turn: int
    rewritable: bool
    probability: float
    text: str | None = None

    def to_dict(self) -> dict:
        return {k: v for k, v in asdict(self).items() if v is not None}


def annotated_rewrites(session: Session) -> list:
    if session.annotations is None or session.annotations.rewrites is None:
        return []
    return sorted(session.annotations.rewrites, key=lambda r: r.turn)


@register_task
class RewritableTask(SpanLabelTask):
    """Is a customer turn rewritable as a text query? From ``[CLS]`` and the turn's tokens."""

    name = "rewritable"
    annotation = "annotations.rewrites"
    title = "Table 6: query rewriting, rewritability"
    columns = (("P", "precision"), ("R", "recall"), ("F1", "f1"))
    headline = "f1"
    answer_field = "rewrites"
    with_cls = True
    baselines: ClassVar = {"majority": Majority.fit}
    needs_roles = True

    def examples(self, session: Session) -> Iterator[RewriteExample]:
        for r in annotated_rewrites(session):
            yield RewriteExample(session, r.turn, r.rewritable, r.text)

    def gold(self, example: RewriteExample) -> bool:
        return example.rewritable

    def span(self, example, layout):
        return layout.turn_span(example.turn)

    def labels(self, config):
        return [False, True]

    def configure(self, config, corpus):
        pass  # two fixed labels

    def known_labels(self, corpus):
        return [False, True]

    def session_examples(self, session, record):
        return [RewriteExample(session, i, False, "") for i, t in enumerate(session.turns) if t.speaker == "Q"]

    def answers(self, model, batch, examples, processor, **generate_kwargs):
        logits = self.logits(model, batch)
        return [TurnRewrite(ex.turn, bool(p[1] > p[0]), prob) for ex, p, prob
                in zip(examples, logits, logits.softmax(-1)[:, 1].tolist())]

    def render(self, session, record):
        lines = ["rewrites:"]
        for r in record.get(self.answer_field, []):
            verdict = "rewritable" if r.rewritable else "not rewritable"
            text = f": {r.text}" if r.rewritable and r.text is not None else ""
            lines.append(f"  [{r.turn}] {verdict} (p={r.probability:.2f}){text}")
        return lines

    def score_values(self, predictions, gold, **options):
        return classification.binary_scores([bool(p) for p in predictions], list(gold))

    def conventions(self, **options):
        return [classification.BINARY_CONVENTION]

    def file_lines(self, values, examples):
        return [f"{int(bool(v))}\n" for v in values]

    def read_file(self, path, *, corpus=None, **options):
        return read_booleans(path)
