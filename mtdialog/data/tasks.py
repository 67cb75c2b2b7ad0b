"""Task examples: what each JDDC 2.1 task asks of a session, independent of any model.

One home for "which turns are examples of which task", so that baselines, references, the model's
batches and its predictions all enumerate the same examples in the same order:

- ``response``: every agent turn with text that follows at least one customer turn; the context is
  every turn before it (the last customer turn is the query).
- ``rewrite`` / ``rewritable``: every annotated customer turn; the context is every turn up to and
  including it; the target is the text rewrite (only rewritable turns count for ``rewrite``).
- ``discourse``: every session with discourse annotations; all its EDUs and gold relations.
- ``summary``: every session with a summary.
- ``image_category``: every annotated image occurrence.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from mtdialog.data.schema import EDU, Relation, Session, Turn

TASKS = ("response", "rewritable", "rewrite", "discourse", "summary", "image_category")


@dataclass
class ResponseExample:
    session: Session
    turn: int  # index of the agent turn to generate
    target: str

    @property
    def context(self) -> list[Turn]:
        return self.session.turns[: self.turn]


@dataclass
class RewriteExample:
    session: Session
    turn: int  # index of the customer turn to rewrite
    rewritable: bool
    target: str

    @property
    def context(self) -> list[Turn]:
        return self.session.turns[: self.turn + 1]


@dataclass
class DiscourseExample:
    session: Session
    edus: list[EDU]
    relations: list[Relation]


@dataclass
class SummaryExample:
    session: Session
    target: str


@dataclass
class ImageCategoryExample:
    session: Session
    turn: int
    image: str
    target: str


def response_examples(session: Session) -> Iterator[ResponseExample]:
    seen_query = False
    for i, turn in enumerate(session.turns):
        if turn.speaker == "Q":
            seen_query = True
        elif turn.text and seen_query:
            yield ResponseExample(session, i, turn.text)


def rewrite_examples(session: Session, *, rewritable_only: bool = False) -> Iterator[RewriteExample]:
    if session.annotations is None or session.annotations.rewrites is None:
        return
    for r in sorted(session.annotations.rewrites, key=lambda r: r.turn):
        if r.rewritable or not rewritable_only:
            yield RewriteExample(session, r.turn, r.rewritable, r.text)


def discourse_examples(session: Session) -> Iterator[DiscourseExample]:
    if session.annotations is not None and session.annotations.discourse is not None:
        yield DiscourseExample(session, session.edus(), sorted(session.annotations.discourse,
                                                                key=lambda r: (r.y, r.x)))


def summary_examples(session: Session) -> Iterator[SummaryExample]:
    if session.annotations is not None and session.annotations.summary is not None:
        yield SummaryExample(session, session.annotations.summary)


def image_category_examples(session: Session) -> Iterator[ImageCategoryExample]:
    if session.annotations is None or session.annotations.image_categories is None:
        return
    cats = session.annotations.image_categories
    for i, turn in enumerate(session.turns):
        for image in turn.images:
            if image in cats:
                yield ImageCategoryExample(session, i, image, cats[image])


def task_examples(task: str, sessions: Iterable[Session]) -> Iterator:
    """All examples of ``task`` over ``sessions``, in session order then turn order."""
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r} (expected one of {', '.join(TASKS)})")
    for session in sessions:
        if task == "response":
            yield from response_examples(session)
        elif task in ("rewritable", "rewrite"):
            yield from rewrite_examples(session, rewritable_only=task == "rewrite")
        elif task == "discourse":
            yield from discourse_examples(session)
        elif task == "summary":
            yield from summary_examples(session)
        else:
            yield from image_category_examples(session)
