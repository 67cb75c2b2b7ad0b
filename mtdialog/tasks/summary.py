"""Summarization (JDDC 2.1 Table 9): a short summary of the whole session (38 characters on average).

Examples: every session with a summary. The session is encoded whole, in overlapping windows when
long, and the shared decoder writes the summary after ``[SUMM]`` (up to ``max_summary_length``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mtdialog.baselines.summary import Lead, LexRank
from mtdialog.data.schema import Session
from mtdialog.tasks.base import GenerationTask, SessionExample, register_task


@register_task
class SummaryTask(GenerationTask):
    """A summary of the whole session, written after ``[SUMM]``."""

    name = "summary"
    annotation = "annotations.summary"
    title = "Table 9: summarization"
    columns = (("RG-1", "rouge1"), ("RG-2", "rouge2"), ("RG-L", "rougeL"), ("RG-Lsum", "rougeLsum"))
    headline = "rougeL"
    whole_session = True
    prompt = "[SUMM]"
    max_length_setting = "max_summary_length"
    baselines: ClassVar = {"lead": Lead.fit, "lexrank": LexRank.fit}

    def examples(self, session: Session) -> Iterator[SessionExample]:
        if session.annotations is not None and session.annotations.summary is not None:
            yield SessionExample(session, session.annotations.summary)

    def session_examples(self, session, record):
        return [SessionExample(session, "")]

    def answer(self, record, pairs):
        record[self.answer_field] = pairs[0][1] if pairs else ""

    def render(self, session, record):
        return [f"summary: {record.get(self.answer_field, '')}"]
