"""Image category classification: which of the corpus's categories (15 in JDDC 2.1) each image is.

Examples: every annotated image occurrence; the context is every turn up to and including the one
that sent the image, and the head reads the image's visual tokens in that context. A session
without annotations has every image categorised (``{"turn", "image", "category"}`` records).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import ClassVar

from mtdialog.baselines.classify import Majority
from mtdialog.data.labels import IMAGE_CATEGORIES
from mtdialog.data.schema import Session
from mtdialog.tasks.base import SpanLabelTask, TurnExample, register_task


@dataclass
class ImageCategoryExample(TurnExample):
    """An image sent in ``turn``, and its gold category."""

    image: str
    target: str


@dataclass
class ImagePrediction:
    """The predicted category of the image sent in ``turn``."""

    turn: int
    image: str
    category: str


@register_task
class ImageCategoryTask(SpanLabelTask):
    """The category of each image, from its visual tokens in context."""

    name = "image_category"
    annotation = "annotations.image_categories"
    title = "Image category classification"
    answer_field = "images"
    baselines: ClassVar = {"majority": Majority.fit}

    def examples(self, session: Session) -> Iterator[ImageCategoryExample]:
        if session.annotations is None or session.annotations.image_categories is None:
            return
        categories = session.annotations.image_categories
        for i, turn in enumerate(session.turns):
            for image in turn.images:
                if image in categories:
                    yield ImageCategoryExample(session, i, image, categories[image])

    def span(self, example, layout):
        turn = example.turn
        start = layout.turn_offsets[turn]
        s, e = layout.segments[turn].image_spans[example.session.turns[turn].images.index(example.image)]
        return start + s, start + e

    def label_field(self, example):
        return f"{self.annotation}.{example.image}"

    def labels(self, config):
        return list(config.image_categories)

    def configure(self, config, corpus):
        pass  # the corpus's categories are the config's image_categories

    def known_labels(self, corpus):
        return list(corpus.image_categories if corpus is not None else IMAGE_CATEGORIES)

    def session_examples(self, session, record):
        return [ImageCategoryExample(session, i, image, "") for i, t in enumerate(session.turns) for image in t.images]

    def answer(self, record, pairs):
        record[self.answer_field] = [ImagePrediction(ex.turn, ex.image, category) for ex, category in pairs]

    def render(self, session, record):
        images = record.get(self.answer_field, [])
        return (["image categories:" if images else "image categories: (no images)"]
                + [f"  [{p.turn}] {p.image}: {p.category}" for p in images])
