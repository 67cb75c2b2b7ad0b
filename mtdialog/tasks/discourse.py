"""Discourse parsing (JDDC 2.1 Table 8): for each EDU, the earlier EDU it attaches to and the relation.

Examples: every session with discourse annotations (all its EDUs and gold relations, as annotated:
explicit root links, links that point forward and repeated pairs included). The session is encoded
whole, in overlapping windows when long; the head (``DiscourseParser``) links each EDU to an earlier
one or to the root and labels the link with one of the corpus's relation labels, and learns the
annotation's ``parse_links``. Predictions and references are lists of :class:`Relation`; an EDU
without one is linked to the root. Scores follow the ``convention`` option, ``strict`` (every EDU as
annotated) or ``lenient`` (the EDUs whose head is an earlier EDU; see :mod:`mtdialog.metrics.discourse`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from mtdialog.baselines.discourse import PreviousEDU
from mtdialog.data.labels import JDDC21_RELATIONS
from mtdialog.data.native import dump_line
from mtdialog.data.schema import (
    EDU,
    Annotations,
    DataError,
    Relation,
    Session,
    describe_relation_kinds,
    parse_links,
    relation_kinds,
)
from mtdialog.metrics import discourse as metrics
from mtdialog.metrics.files import Scored, read_discourse
from mtdialog.tasks.base import Task, pad, register_task


@dataclass
class DiscourseExample:
    """A session's EDUs and gold relations."""

    session: Session
    edus: list[EDU]
    relations: list[Relation]


@register_task
class DiscourseTask(Task):
    """The head EDU and relation of every EDU of a session (the ``DiscourseParser`` head)."""

    name = "discourse"
    annotation = "annotations.discourse"
    title = "Table 8: discourse parsing"
    columns = (("Link", "link_f1"), ("Link&Rel", "link_rel_f1"))
    headline = "link_rel_f1"
    whole_session = True
    baselines: ClassVar = {"previous-edu": PreviousEDU.fit}

    # ------------------------------------------------------------------------------------- examples
    def examples(self, session: Session) -> Iterator[DiscourseExample]:
        if session.annotations is not None and session.annotations.discourse is not None:
            yield DiscourseExample(session, session.edus(), sorted(session.annotations.discourse,
                                                                    key=lambda r: (r.y, r.x)))

    def gold(self, example: DiscourseExample) -> list[Relation]:
        return example.relations

    def session_examples(self, session, record):
        return [DiscourseExample(session, session.edus(), [])]

    def answer(self, record, pairs):
        record[self.answer_field] = pairs[0][1] if pairs else []

    def render(self, session, record):
        edus, relations = session.edus(), record.get(self.answer_field, [])
        links = [f"EDU {r.y} -> EDU {r.x} ({r.type})" for r in relations]
        width = max(map(len, links), default=0)
        return ([f"discourse ({len(edus)} EDUs; an EDU without a link attaches to the root):"]
                + [f"  {link.ljust(width)}   {_edu_text(edus[r.y])} -> {_edu_text(edus[r.x])}"
                   for link, r in zip(links, relations)])

    # ---------------------------------------------------------------------------------------- model
    def build_head(self, config):
        from mtdialog.models.heads import DiscourseParser

        return DiscourseParser(config.hidden_size, len(config.relation_labels), config.max_edu_distance,
                               config.classifier_dropout)

    def encode(self, example, layout, processor, *, with_targets):
        spans, speakers = layout.edus()
        item = {"edu_spans": spans, "edu_speakers": speakers}
        if with_targets:
            ids = {label: i for i, label in enumerate(processor.config.relation_labels)}
            heads: list[list[tuple[int, int]]] = [[] for _ in spans]
            for r in parse_links(example.relations):
                if r.type not in ids:
                    raise DataError(f"label {r.type!r} (of the link {r.x} -> {r.y}) is not in the model's label set",
                                    field=f"{example.session.session_id}: {self.annotation}")
                heads[r.y].append((r.x + 1, ids[r.type]))
            item["heads"] = heads
        return item

    def collate(self, items):
        import torch

        n = max(len(item["edu_spans"]) for item in items)
        spans = torch.zeros(len(items), n, 2, dtype=torch.long)
        for b, item in enumerate(items):
            if item["edu_spans"]:
                spans[b, : len(item["edu_spans"])] = torch.tensor(item["edu_spans"])
        out = {"edu_spans": spans, "edu_speakers": pad([item["edu_speakers"] for item in items], 0),
               "edu_mask": pad([[1] * len(item["edu_spans"]) for item in items], 0)}
        if "heads" in items[0]:
            links = torch.zeros(len(items), n, n + 1, dtype=torch.long)
            relations = torch.full((len(items), n, n + 1), -100, dtype=torch.long)
            for b, item in enumerate(items):
                for y, heads in enumerate(item["heads"]):
                    if not heads:
                        links[b, y, 0] = 1  # no gold head: linked to ROOT
                    for j, label in heads:
                        links[b, y, j] = 1
                        relations[b, y, j] = label
            out["link_labels"], out["relation_labels"] = links, relations
        return out

    def predict(self, model, batch, examples, processor, **generate_kwargs):
        labels = model.config.relation_labels
        result = model(**batch)
        relations = result.relation_logits.argmax(-1)
        return [[Relation(int(head) - 1, y, labels[int(relations[b, y])])
                 for y, head in enumerate(result.heads[b, : len(example.session.edus())]) if head > 0]
                for b, example in enumerate(examples)]

    # ------------------------------------------------------------------------------------- metrics
    def score(self, predictions, examples, *, convention: str = "strict", **options):
        return metrics.discourse_scores(list(predictions), [e.relations for e in examples],
                                        [len(e.edus) for e in examples], convention)

    def conventions(self, *, convention: str = "strict", **options):
        return [metrics.CONVENTIONS[convention]]

    # --------------------------------------------------------------------------------------- files
    def file_lines(self, values, examples):
        """Native session JSONL, one session per example, whose ``annotations`` hold only the relations."""
        return [dump_line(Session(e.session.session_id, e.session.shop, e.session.product_id, e.session.turns,
                                  Annotations(discourse=list(relations))).to_dict())
                for relations, e in zip(values, examples)]

    def file_name(self, kind):
        return f"{self.name}.{kind}.jsonl"

    def score_files(self, predictions: Path, references: Path, *, corpus=None, convention: str = "strict",
                    **options) -> Scored:
        """Native session JSONL (sessions matched by id) or STAC / Molweni JSON (by position)."""
        labels = corpus.relation_labels if corpus is not None else JDDC21_RELATIONS
        gold_format, gold = read_discourse(references, labels)
        pred_format, pred = read_discourse(predictions, labels)
        if pred_format != gold_format:
            raise DataError(f"{pred_format} format but the references ({references}) are {gold_format}",
                            path=str(predictions))
        if gold_format == "native":
            by_id = {s.key: s for s in pred}
            missing = [s.key for s in gold if s.key not in by_id]
            if missing:
                raise DataError(f"no prediction for session {missing[0]!r} ({len(missing)} missing)",
                                path=str(predictions), field="session_id")
            gold_ids = {s.key for s in gold}
            extra = [s for s in pred if s.key not in gold_ids]
            if extra:
                raise extra[0].error(f"session {extra[0].key!r} is not in the references ({len(extra)} such)",
                                     "session_id")
            pred = [by_id[s.key] for s in gold]
        elif len(pred) != len(gold):
            raise DataError(f"{len(pred)} dialogues but the references ({references}) have {len(gold)}",
                            path=str(predictions))
        for p, g in zip(pred, gold):
            if p.n_edus != g.n_edus:
                raise p.error(f"{p.n_edus} EDUs but the reference ({g.where}) has {g.n_edus}", "edus")
        scores = metrics.discourse_scores([p.relations for p in pred], [g.relations for g in gold],
                                          [g.n_edus for g in gold], convention)
        notes = [f"{path}: {described}" for path, sessions in ((references, gold), (predictions, pred))
                 if (described := describe_relation_kinds(sum((relation_kinds(s.relations) for s in sessions), Counter())))]
        return Scored(scores, len(gold), self.conventions(convention=convention), notes)



def _edu_text(edu: EDU, width: int = 16) -> str:
    if edu.image is not None:
        return f"[图片 {edu.image}]"
    return edu.text if len(edu.text) <= width else edu.text[:width] + "…"
