"""The dialogue builder: scenes append turns to a :class:`Script`, which keeps everything needed for
the annotations as it goes (EDU indices, relations, rewrites, image specs).

EDU indices follow ``Session.edus()``: a turn contributes its text (if any), then each image. Every
EDU after the first gets exactly one head ``x < y`` and the relation of its dialogue act. Heads
follow content, as in real two-party chats: answers attach to the question even when photos or a
second customer message came in between, reactions to the agent move they react to.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field

from mtdialog.data.schema import Relation, Rewrite, Turn
from mtdialog.data.synth import acts
from mtdialog.data.synth.hidden import ATTRIBUTES
from mtdialog.data.synth.voice import Voice


class _Vague:
    """Type of :data:`VAGUE`."""

    def __repr__(self) -> str:
        return "VAGUE"


#: ``rw`` value of a customer query that cannot be rewritten as a self-contained text.
VAGUE = _Vague()

#: A customer query's rewrite: its text, or :data:`VAGUE`.
Rw = str | _Vague


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


#: Agent acts a customer reacts to (answers, promises, suggestions, questions): a customer's
#: acknowledgement or follow-up links to the latest of these, not to the agent's asides after it.
PRIMARY_ACTS = frozenset({
    acts.AFFIRM, acts.DENY, acts.HOLD, acts.PROMISE, acts.SUGGEST, acts.RECOMMEND, acts.REQUEST, acts.SOLUTION,
    acts.YES_NO, acts.SWIH, acts.CHOICE, acts.CONFIRM, acts.CONCESSION, acts.RESTATEMENT,
})

#: Agent acts that attach to the customer's problem (the latest query) rather than to the agent's
#: previous message.
SOLVING_ACTS = frozenset({acts.SUGGEST, acts.SOLUTION})


class Script:
    """Turns, relations, rewrites and image jobs of one session under construction.

    Besides the EDU count it tracks what later moves attach to: ``last_query`` (the customer's
    latest question or report; answers link to it), ``focus`` (the agent's latest primary move;
    customer reactions link to it), a pending agent ``greeting`` (said just before the agent's first
    reply) and a pending customer ``lead`` (对了, 还有 ... typed before the next new matter).
    """

    def __init__(self, rng: random.Random, image_key: str, voice: Voice):
        self.rng = rng
        self.voice = voice
        self.turns: list[Turn] = []
        self.relations: list[Relation] = []
        self.rewrites: list[Rewrite] = []
        self.jobs: list[ImageJob] = []
        self._image_key = image_key
        self._n_edus = 0
        self.last_query: int | None = None
        self.focus: int | None = None
        self.greeting: str | None = None
        self.greeting_head: int | None = None  # what the greeting answers (default: the first query)
        self.lead: str | None = None

    def _link(self, y: int, act: str | None, head: int | None) -> None:
        if y == 0 or act is None:
            return
        x = y - 1 if head is None else head
        if not 0 <= x < y:
            raise ValueError(f"EDU {y} cannot attach to EDU {x}")
        self.relations.append(Relation(x, y, act))

    def _turn(self, speaker: str, text: str, act: str | None, head: int | None, images: tuple[Img, ...],
              decorate: bool, opens: bool = False) -> Move:
        if speaker == "A" and self.greeting is not None:
            greeting, self.greeting = self.greeting, None
            head_of_greeting = self.greeting_head if self.greeting_head is not None else self.last_query
            self._turn("A", greeting, acts.SOCIAL, head_of_greeting, (), True)
        if text and decorate:
            if speaker == "A":
                text = self.voice.agent(text, self.rng)
            else:
                text = self.voice.customer(text, self.rng, opens=opens)
        if speaker == "Q" and opens and self.lead is not None:
            if text:
                text = self.lead + text
            self.lead = None
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
            if speaker == "A" and act in PRIMARY_ACTS:
                self.focus = text_edu
        image_edus = []
        for img in images:
            y = self._n_edus
            self._n_edus += 1
            default = text_edu if text_edu is not None else (head if head is not None else y - 1)
            self._link(y, img.act, img.head if img.head is not None else default)
            image_edus.append(y)
        return Move(len(self.turns) - 1, text_edu, tuple(image_edus))

    def q(self, text: str, act: str | None, *, rw: Rw | None, head: int | None = None,
          images: tuple[Img, ...] = (), query: bool = True, decorate: bool = True, react: bool = False,
          opens: bool = False) -> Move:
        """A customer turn.

        ``rw``: the turn's self-contained rewrite; :data:`VAGUE` for a query that cannot be rewritten
        (annotated as not rewritable); ``None`` for a turn that is no query at all (greetings,
        acknowledgements, order cards), which gets no rewrite annotation. ``query``: whether later
        answers should link to it. ``react``: the turn reacts to the agent's latest primary move and
        links to it (unless ``head`` is given). ``opens``: the turn starts a new matter (it may take
        an opener such as 你好 / 请问, and a pending lead such as 对了).
        """
        if react and head is None:
            head = self.focus
        move = self._turn("Q", text, act, head, images, decorate, opens)
        if rw is not None:
            self.rewrites.append(Rewrite(move.turn, True, rw) if isinstance(rw, str) else Rewrite(move.turn, False, ""))
        if query:
            self.last_query = move.first if move.text is not None else move.last
        return move

    def a(self, text: str, act: str, *, head: int | None = None, decorate: bool = True) -> Move:
        """An agent turn (text only); an act in :data:`PRIMARY_ACTS` becomes the new ``focus``. A
        suggestion or solution attaches to the customer's query (the problem it solves) unless
        ``head`` is given; other moves default to the previous EDU."""
        if head is None and act in SOLVING_ACTS:
            head = self.last_query
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
