"""The ``Session``: the one in-memory type every reader produces and every task consumes.

A session is a list of turns (customer ``Q`` or agent ``A``; each with text and image ids) plus
optional annotations for the four JDDC 2.1 tasks. EDUs (the units of discourse parsing) are derived
from the turns, never stored: each turn contributes its text (if non-empty), then each of its images.

``Session.from_dict`` validates a native record and raises :class:`DataError` naming the file, line
and field of the first problem; ``Session.to_dict`` writes the canonical record back, so that
native -> native conversion is byte-for-byte stable.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

from mtdialog.errors import DataError

SPEAKERS = ("Q", "A")
#: What a session's roles mean: ``Q`` a customer and ``A`` an agent (the default), or, for dialogue
#: of another kind (everyday chat, a game), the speakers in order of first appearance, alternating
#: (tasks about customers and agents, such as the response task, leave such sessions out).
ROLES = ("customer-agent", "other")
#: The most turns and images a session may have: the discourse parser scores every pair of EDUs, so
#: its memory grows with the square of their number (``benchmarks/bench_session_length.py``: predict
#: with the main job's model takes 2.4 times as long and 0.5 GB more at 500 turns as at 20). JDDC 2.1
#: sessions have about 20 turns.
MAX_SESSION_TURNS = 500
MAX_SESSION_IMAGES = 200


@dataclass
class SkipReport:
    """What a reader skipped under ``--skip-invalid``: how many records, and why (one error each)."""

    errors: list[DataError] = field(default_factory=list)

    def add(self, error: DataError) -> None:
        self.errors.append(error)

    def __len__(self) -> int:
        return len(self.errors)

    def summary(self, limit: int = 10) -> str:
        """``"skipped N invalid records"`` with counts per field and the first ``limit`` errors."""
        if not self.errors:
            return "skipped 0 invalid records"
        by_field = Counter(e.field or "record" for e in self.errors)
        lines = [f"skipped {len(self.errors)} invalid record(s): "
                 + ", ".join(f"{n} x {f}" for f, n in by_field.most_common())]
        lines += [f"  {e}" for e in self.errors[:limit]]
        if len(self.errors) > limit:
            lines.append(f"  ... and {len(self.errors) - limit} more")
        return "\n".join(lines)


T = TypeVar("T")


def build_records(records: Iterable[tuple[int, Any]], build: Callable[[Any, int], T], *, path: str,
                  by: str = "line", skip_invalid: bool = False,
                  report: SkipReport | None = None) -> Iterator[T]:
    """``build(record, n)`` for each ``(n, record)``; a DataError is located at ``path`` and line (or
    record, ``by="record"``) ``n``, then raised or, with ``skip_invalid``, added to ``report``."""
    for n, record in records:
        try:
            yield build(record, n)
        except DataError as e:
            error = e.located(path=path, **{by: n})
            if not skip_invalid:
                raise error from None
            if report is not None:
                report.add(error)


@dataclass
class Turn:
    """One message: ``speaker`` is its role, ``"Q"`` (customer) or ``"A"`` (agent); ``images`` are image
    ids; ``name`` is the speaker's name where the source has one (several people of one role, in a
    multi-party dialogue, keep theirs), kept as data and never shown to a model."""

    speaker: str
    text: str = ""
    images: list[str] = field(default_factory=list)
    name: str | None = None


@dataclass
class EDU:
    """An elementary discourse unit: a turn's text, or one of its images (``image`` is its id)."""

    turn: int
    speaker: str
    text: str = ""
    image: str | None = None


@dataclass
class Relation:
    """A discourse link from head EDU ``x`` to dependent EDU ``y`` with a relation label.

    Links point back (``x < y``) in a parse; annotated data may also hold an explicit root link
    (``x = -1``), links that point forward (``x > y``) or to the EDU itself, and repeated ``(x, y)``
    pairs. They are kept as data and counted (:func:`relation_kinds`); a parser learns and predicts
    the :func:`parse_links` only, and the scoring conventions say how the rest is scored.
    """

    x: int
    y: int
    type: str

    @property
    def kind(self) -> str:
        """``"root"`` (``x = -1``), ``"back"`` (``x < y``), ``"forward"`` (``x > y``) or ``"self"``."""
        if self.x == ROOT:
            return "root"
        return "back" if self.x < self.y else ("forward" if self.x > self.y else "self")


#: The head index of an explicit link to the dialogue's root.
ROOT = -1
#: The kinds of relation other than a parse's back links, in report order (see :func:`relation_kinds`).
OTHER_KINDS = ("root", "forward", "self", "repeated")


def parse_links(relations: Iterable[Relation]) -> list[Relation]:
    """The links a parser learns and predicts: those pointing back (``x < y``), the first of each
    ``(x, y)`` pair, ordered by ``(y, x)``; every EDU without one attaches to the root."""
    out, seen = [], set()
    for r in relations:
        if r.kind == "back" and (r.x, r.y) not in seen:
            seen.add((r.x, r.y))
            out.append(r)
    return sorted(out, key=lambda r: (r.y, r.x))


def relation_kinds(relations: Iterable[Relation]) -> Counter:
    """How many relations are explicit root links, point forward or to themselves, or repeat an
    earlier ``(x, y)`` pair (the keys of :data:`OTHER_KINDS`; zero counts left out)."""
    counts: Counter = Counter()
    seen = set()
    for r in relations:
        if (r.x, r.y) in seen:
            counts["repeated"] += 1
        elif r.kind != "back":
            counts[r.kind] += 1
        seen.add((r.x, r.y))
    return counts


def describe_relation_kinds(counts: Counter) -> str:
    """``"2 explicit root links, 1 pointing forward (kept as annotated...)"`` for the counts of
    :func:`relation_kinds`; empty when there are none."""
    names = {"root": "explicit root link(s)", "forward": "pointing forward", "self": "pointing to their own EDU",
             "repeated": "repeating an (x, y) pair"}
    parts = [f"{counts[k]} {names[k]}" for k in OTHER_KINDS if counts.get(k)]
    return (", ".join(parts) + " (kept as annotated; a parser learns the links pointing back, and the "
            "scoring convention says how the rest count)") if parts else ""


@dataclass
class Rewrite:
    """Query-rewriting label of customer turn ``turn``: can it be rewritten as text, and the rewrite."""

    turn: int
    rewritable: bool
    text: str = ""


@dataclass
class Annotations:
    """Task annotations of a session; ``None`` means "not annotated" for that task."""

    rewrites: list[Rewrite] | None = None
    discourse: list[Relation] | None = None
    summary: str | None = None
    image_categories: dict[str, str] | None = None


@dataclass
class Session:
    """A customer-service dialogue of one shop, possibly about one product.

    ``meta`` holds source-specific or hidden attributes (for example the generator's ground truth of
    what an image shows, or CSDS's extra summaries); readers keep it, models never see it.
    """

    session_id: str
    shop: str
    product_id: str | None
    turns: list[Turn]
    annotations: Annotations | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    roles: str = ROLES[0]

    def edus(self) -> list[EDU]:
        """The session's EDUs in order: for each turn, its text (if non-empty), then each image."""
        out = []
        for i, turn in enumerate(self.turns):
            if turn.text:
                out.append(EDU(i, turn.speaker, text=turn.text))
            out.extend(EDU(i, turn.speaker, image=image) for image in turn.images)
        return out

    def image_ids(self) -> list[str]:
        """Every image id of the session, in order of appearance (an image sent twice appears twice)."""
        return [image for turn in self.turns for image in turn.images]

    def check_size(self) -> None:
        """A :class:`DataError` (field ``turns`` or ``images``) when the session is beyond
        :data:`MAX_SESSION_TURNS` or :data:`MAX_SESSION_IMAGES`."""
        for what, count, limit in (("turns", len(self.turns), MAX_SESSION_TURNS),
                                   ("images", len(self.image_ids()), MAX_SESSION_IMAGES)):
            if count > limit:
                raise DataError(f"{count:,} {what}, more than the {limit} a session may have (MAX_SESSION_"
                                f"{what.upper()}: the discourse parser's memory grows with their square)", field=what)

    # ----------------------------------------------------------------------------- serialisation
    def to_dict(self) -> dict[str, Any]:
        """The canonical native record (fixed key order; absent annotations omitted)."""
        out: dict[str, Any] = {
            "session_id": self.session_id,
            "shop": self.shop,
            "product_id": self.product_id,
            "turns": [{"speaker": t.speaker, "text": t.text, "images": list(t.images),
                       **({"name": t.name} if t.name is not None else {})} for t in self.turns],
        }
        if self.roles != ROLES[0]:
            out["roles"] = self.roles
        if self.annotations is not None:
            a, ann = self.annotations, {}
            if a.rewrites is not None:
                ann["rewrites"] = [{"turn": r.turn, "rewritable": r.rewritable, "text": r.text}
                                   for r in a.rewrites]
            if a.discourse is not None:
                ann["discourse"] = {"relations": [{"x": r.x, "y": r.y, "type": r.type} for r in a.discourse]}
            if a.summary is not None:
                ann["summary"] = a.summary
            if a.image_categories is not None:
                ann["image_categories"] = dict(a.image_categories)
            out["annotations"] = ann
        if self.meta:
            out["meta"] = self.meta
        return out

    @classmethod
    def from_dict(cls, record: Any, *, relation_labels: Iterable[str] | None = None,
                  image_categories: Iterable[str] | None = None) -> Session:
        """Validate a native record and build the session.

        Raises :class:`DataError` with the offending field (its location is added by the reader).
        ``relation_labels`` / ``image_categories``: the corpus's label sets; labels outside them are errors.
        """
        _require(isinstance(record, dict), "", "a session must be a JSON object")
        _no_unknown(record, {"session_id", "shop", "product_id", "turns", "roles", "annotations", "meta"}, "")
        session_id = get_field(record, "session_id", str, "")
        _require(bool(session_id), "session_id", "must not be empty")
        shop = get_field(record, "shop", str, "")
        product_id = get_field(record, "product_id", (str, type(None)), "")
        turns_raw = get_field(record, "turns", list, "")
        _require(len(turns_raw) > 0, "turns", "empty session (no turns)")
        turns = [_turn(t, f"turns[{i}]") for i, t in enumerate(turns_raw)]
        meta = record.get("meta", {})
        _require(isinstance(meta, dict), "meta", f"expected an object, got {type_name(meta)}")
        roles = record.get("roles", ROLES[0])
        _require(roles in ROLES, "roles", f"expected one of {', '.join(map(repr, ROLES))}, got {roles!r}")
        session = cls(session_id, shop, product_id, turns, None, meta, roles)
        session.check_size()
        if "annotations" in record:
            session.annotations = _annotations(record["annotations"], session,
                                               set(relation_labels) if relation_labels is not None else None,
                                               set(image_categories) if image_categories is not None else None)
        return session


# --------------------------------------------------------------------------------- validation helpers
def type_name(value: Any) -> str:
    """The JSON name of a value's type, for error messages."""
    return {dict: "object", list: "array", str: "string", bool: "boolean", int: "integer",
            float: "number", type(None): "null"}.get(type(value), type(value).__name__)


def _require(ok: bool, field_name: str, message: str) -> None:
    if not ok:
        raise DataError(message, field=field_name or None)


def get_field(record: dict, key: str, types, prefix: str) -> Any:
    """``record[key]`` checked to be one of ``types`` (bool is not an int); errors name ``prefix.key``."""
    name = f"{prefix}.{key}" if prefix else key
    if key not in record:
        raise DataError("missing required field", field=name)
    value = record[key]
    types = types if isinstance(types, tuple) else (types,)
    if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
        expected = " or ".join("null" if t is type(None) else type_name(t()) for t in types)
        raise DataError(f"expected {expected}, got {type_name(value)}", field=name)
    return value


def _no_unknown(record: dict, allowed: set[str], prefix: str) -> None:
    unknown = sorted(set(record) - allowed)
    if unknown:
        name = f"{prefix}.{unknown[0]}" if prefix else unknown[0]
        raise DataError(f"unknown field (allowed: {', '.join(sorted(allowed))})", field=name)


def _turn(raw: Any, prefix: str) -> Turn:
    _require(isinstance(raw, dict), prefix, f"expected an object, got {type_name(raw)}")
    _no_unknown(raw, {"speaker", "text", "images", "name"}, prefix)
    speaker = get_field(raw, "speaker", str, prefix)
    _require(speaker in SPEAKERS, f"{prefix}.speaker", f"unknown speaker {speaker!r} (expected 'Q' or 'A')")
    text = get_field(raw, "text", str, prefix)
    images = get_field(raw, "images", list, prefix)
    for j, image in enumerate(images):
        _require(isinstance(image, str) and bool(image), f"{prefix}.images[{j}]", "expected a non-empty image id")
    _require(bool(text) or bool(images), prefix, "a turn needs text or at least one image")
    name = get_field(raw, "name", str, prefix) if "name" in raw else None
    return Turn(speaker, text, list(images), name)


def _annotations(raw: Any, session: Session, relation_labels: set[str] | None,
                 categories: set[str] | None) -> Annotations:
    _require(isinstance(raw, dict), "annotations", f"expected an object, got {type_name(raw)}")
    _no_unknown(raw, {"rewrites", "discourse", "summary", "image_categories"}, "annotations")
    out = Annotations()
    if "rewrites" in raw:
        out.rewrites = []
        seen: set[int] = set()
        for i, r in enumerate(get_field(raw, "rewrites", list, "annotations")):
            p = f"annotations.rewrites[{i}]"
            _require(isinstance(r, dict), p, f"expected an object, got {type_name(r)}")
            _no_unknown(r, {"turn", "rewritable", "text"}, p)
            turn = get_field(r, "turn", int, p)
            _require(0 <= turn < len(session.turns), f"{p}.turn",
                     f"turn index {turn} out of range (session has {len(session.turns)} turns)")
            _require(session.turns[turn].speaker == "Q", f"{p}.turn", f"turn {turn} is not a customer turn")
            _require(turn not in seen, f"{p}.turn", f"turn {turn} rewritten twice")
            seen.add(turn)
            out.rewrites.append(Rewrite(turn, get_field(r, "rewritable", bool, p), get_field(r, "text", str, p)))
    if "discourse" in raw:
        d = get_field(raw, "discourse", dict, "annotations")
        _no_unknown(d, {"relations"}, "annotations.discourse")
        n_edus = len(session.edus())
        out.discourse = []
        for i, r in enumerate(get_field(d, "relations", list, "annotations.discourse")):
            p = f"annotations.discourse.relations[{i}]"
            _require(isinstance(r, dict), p, f"expected an object, got {type_name(r)}")
            _no_unknown(r, {"x", "y", "type"}, p)
            x, y, label = get_field(r, "x", int, p), get_field(r, "y", int, p), get_field(r, "type", str, p)
            _require(ROOT <= x < n_edus, f"{p}.x",
                     f"EDU index {x} out of range (session has {n_edus} EDUs; -1 is the root)")
            _require(0 <= y < n_edus, f"{p}.y", f"EDU index {y} out of range (session has {n_edus} EDUs)")
            _require(relation_labels is None or label in relation_labels, f"{p}.type",
                     f"label {label!r} is not in the corpus's relation label set")
            out.discourse.append(Relation(x, y, label))
    if "summary" in raw:
        out.summary = get_field(raw, "summary", str, "annotations")
    if "image_categories" in raw:
        cats = get_field(raw, "image_categories", dict, "annotations")
        images = set(session.image_ids())
        for image, cat in cats.items():
            p = f"annotations.image_categories.{image}"
            _require(image in images, p, "image id does not occur in the session")
            _require(isinstance(cat, str), p, f"expected string, got {type_name(cat)}")
            _require(categories is None or cat in categories, p, f"category {cat!r} is not in the corpus's set")
        out.image_categories = dict(cats)
    return out
