"""Response generation (JDDC 2.1 Table 5): the agent's reply to the customer's query.

Examples: every agent turn with text that follows at least one customer turn; the context is every
turn before it (the last customer turn is the query). A session without annotations is answered once,
after its last customer turn.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import ClassVar

from mtdialog.baselines.retrieval import QueryRetrieval
from mtdialog.data.schema import Session, Turn
from mtdialog.tasks.base import GenerationTask, TurnExample, register_task


@dataclass
class ResponseExample(TurnExample):
    """An agent turn (``turn``) to generate, and its gold text; its context is every turn before it."""

    target: str

    @property
    def context(self) -> list[Turn]:
        return self.session.turns[: self.turn]


def last_query(session: Session) -> int | None:
    """Index of the session's last customer turn, or None."""
    return max((i for i, t in enumerate(session.turns) if t.speaker == "Q"), default=None)


@register_task
class ResponseTask(GenerationTask):
    """The agent's reply to the customer, written by the shared decoder after ``[RESP]``."""

    name = "response"
    annotation = "turns"
    title = "Table 5: response generation"
    prompt = "[RESP]"
    baselines: ClassVar = {"retrieval": QueryRetrieval.fit}
    needs_roles = True

    def examples(self, session: Session) -> Iterator[ResponseExample]:
        seen_query = False
        for i, turn in enumerate(session.turns):
            if turn.speaker == "Q":
                seen_query = True
            elif turn.text and seen_query:
                yield ResponseExample(session, i, turn.text)

    def session_examples(self, session, record):
        query = last_query(session)
        return [] if query is None else [ResponseExample(session, query + 1, "")]

    def answer(self, record, pairs):
        record[self.answer_field] = pairs[0][1] if pairs else None

    def render(self, session, record):
        query = last_query(session)
        if query is None:
            return ["response: (no customer query to answer)"]
        return [f"response (to turn {query}): {record.get(self.answer_field)}"]
