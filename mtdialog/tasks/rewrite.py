"""Query rewriting (b), JDDC 2.1 Table 7: the rewritable customer query rewritten as a text query.

Examples: the rewritable annotated customer turns (see ``mtdialog.tasks.rewritable``). A session
without annotations has the turns the rewritability head judges rewritable rewritten; their
``rewrites`` records get the ``text`` (``""`` for the others).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mtdialog.baselines.retrieval import CopyQuery, QueryRetrieval
from mtdialog.data.schema import Session
from mtdialog.tasks.base import GenerationTask, register_task
from mtdialog.tasks.rewritable import RewriteExample, annotated_rewrites


@register_task
class RewriteTask(GenerationTask):
    """The text rewrite of a rewritable customer turn, written after ``[REWRITE]``."""

    name = "rewrite"
    annotation = "annotations.rewrites"
    title = "Table 7: query rewriting, rewrite generation"
    answer_field = "rewrites"
    prompt = "[REWRITE]"
    requires = ("rewritable",)
    baselines: ClassVar = {"copy-query": CopyQuery.fit, "retrieval": QueryRetrieval.fit}
    needs_roles = True

    def examples(self, session: Session) -> Iterator[RewriteExample]:
        for r in annotated_rewrites(session):
            if r.rewritable:
                yield RewriteExample(session, r.turn, r.rewritable, r.text)

    def session_examples(self, session, record):
        return [RewriteExample(session, r.turn, True, "") for r in record["rewrites"] if r.rewritable]

    def answer(self, record, pairs):
        texts = {example.turn: text for example, text in pairs}
        for r in record[self.answer_field]:
            r.text = texts.get(r.turn, "")

    def render(self, session, record):
        return []  # the rewritability task shows the rewrites with their verdicts
