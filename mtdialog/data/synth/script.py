"""The dialogue builder: scenes append turns to a :class:`Script`, which keeps everything needed for
the annotations as it goes (EDU indices, relations, rewrites, image specs).

EDU indices follow ``Session.edus()``: a turn contributes its text (if any), then each image. Every
EDU after the first gets exactly one head ``x < y`` and the relation of its dialogue act.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field

from mtdialog.data.schema import Relation, Rewrite, Turn
from mtdialog.data.synth import noise
from mtdialog.data.synth.hidden import ATTRIBUTES


class _Vague:
    """Type of :data:`VAGUE`."""

    def __repr__(self) -> str:
        return "VAGUE"


#: ``rw`` value of a customer query that cannot be rewritten as a self-contained text.
VAGUE = _Vague()


@dataclass(frozen=True)
class Img:
    """An image a customer sends: its category, hidden value and act (relation to its head)."""

    category: str
    value: str
    act: str
    head: int | None = None  # default: the turn's text EDU, else the previous EDU
    details: dict = field(default_factory=dict)  # what else the image must show (e.g. the damage's place)


@dataclass(frozen=True)
class Move:
    """Where a turn landed: its index and the EDU indices of its text and images."""

    turn: int
    text: int | None
    images: tuple[int, ...]

    @property
    def first(self) -> int:
        return self.text if self.text is not None else self.images[0]

    @property
    def last(self) -> int:
        return self.images[-1] if self.images else self.text  # type: ignore[return-value]


@dataclass
class ImageJob:
    """An image to render once the dialogue is written (``details``: what the dialogue fixed besides the value)."""

    image_id: str
    category: str
    attribute: str
    value: str
    details: dict = field(default_factory=dict)


class Script:
    """Turns, relations, rewrites and image jobs of one session under construction."""

    def __init__(self, rng: random.Random, image_key: str):
        self.rng = rng
        self.turns: list[Turn] = []
        self.relations: list[Relation] = []
        self.rewrites: list[Rewrite] = []
        self.jobs: list[ImageJob] = []
        self._image_key = image_key
        self._n_edus = 0
        self.last_query: int | None = None  # the customer's latest question/statement EDU

    def _link(self, y: int, act: str | None, head: int | None) -> None:
        if y == 0 or act is None:
            return
        x = y - 1 if head is None else head
        if not 0 <= x < y:
            raise ValueError(f"EDU {y} cannot attach to EDU {x}")
        self.relations.append(Relation(x, y, act))

    def _turn(self, speaker: str, text: str, act: str | None, head: int | None, images: tuple[Img, ...],
              decorate: bool) -> Move:
        if text and decorate:
            text = noise.decorate(text, self.rng, speaker)
        ids = []
        for img in images:
            ids.append(hashlib.md5(f"{self._image_key}/{len(self.jobs)}".encode()).hexdigest())
            self.jobs.append(ImageJob(ids[-1], img.category, ATTRIBUTES[img.category].name, img.value,
                                     dict(img.details)))
        self.turns.append(Turn(speaker, text, ids))
        text_edu = None
        if text:
            text_edu = self._n_edus
            self._n_edus += 1
            self._link(text_edu, act, head)
        image_edus = []
        for img in images:
            y = self._n_edus
            self._n_edus += 1
            default = text_edu if text_edu is not None else (head if head is not None else y - 1)
            self._link(y, img.act, img.head if img.head is not None else default)
            image_edus.append(y)
        return Move(len(self.turns) - 1, text_edu, tuple(image_edus))

    def q(self, text: str, act: str | None, *, rw: str | _Vague | None, head: int | None = None,
          images: tuple[Img, ...] = (), query: bool = True, decorate: bool = True) -> Move:
        """A customer turn.

        ``rw``: the turn's self-contained rewrite; :data:`VAGUE` for a query that cannot be rewritten
        (annotated as not rewritable); ``None`` for a turn that is no query at all (greetings,
        acknowledgements, order cards), which gets no rewrite annotation. ``query``: whether later
        answers should link to it.
        """
        move = self._turn("Q", text, act, head, images, decorate)
        if rw is not None:
            self.rewrites.append(Rewrite(move.turn, True, rw) if isinstance(rw, str) else Rewrite(move.turn, False, ""))
        if query:
            self.last_query = move.first if move.text is not None else move.last
        return move

    def a(self, text: str, act: str | None, *, head: int | None = None, decorate: bool = True) -> Move:
        """An agent turn (text only)."""
        return self._turn("A", text, act, head, (), decorate)

    def answer(self, text: str, act: str) -> Move:
        """An agent answer linked to the customer's latest query."""
        return self.a(text, act, head=self.last_query)

    def join(self, text: str) -> None:
        """Append ``text`` to the latest turn as a consecutive message (``|||``); same EDU.

        Only a turn with text can take one: giving an image-only turn a text would add an EDU.
        """
        turn = self.turns[-1]
        if not turn.text:
            raise ValueError("join() needs a turn with text")
        turn.text = f"{turn.text}|||{text}"
