"""STAC / Molweni discourse JSON: a JSON array of dialogues ``{"edus": [{"text", "speaker"}],
"relations": [{"x", "y", "type"}], "id"?, ...}`` (the layout of Shi & Huang's Deep Sequential
parser, which Molweni shares).

Mapping onto :class:`Session` (``meta["stac"]`` keeps what the session itself cannot hold):

- each EDU becomes one turn with its text, so EDU indices carry over unchanged; an EDU with an
  ``"image"`` key (as :func:`write` marks image EDUs) becomes an image-only turn;
- speakers: each turn keeps its speaker's name (``Turn.name``). Roles come from ``roles`` (``{name:
  "Q" | "A"}``, ``data convert --roles``) for a customer-service corpus, or from the names when they
  are ``Q`` and ``A`` themselves (as the writer writes a customer-service session); otherwise the
  dialogue is not one of customers and agents (``Session.roles == "other"``, so the response task leaves it out)
  and the speakers, ranked by first appearance, alternate ``Q``, ``A``, ``Q``... (in a multi-party
  dialogue each person keeps one role throughout);
- every relation becomes ``annotations.discourse`` as annotated, with its original label (labels are
  the corpus's own, never checked against JDDC's): links that point back (``x < y``), explicit root
  links (``x = -1``), links that point forward or to the EDU itself (which the STAC conversion of
  Shi & Huang produces and their loader counts but keeps) and repeated ``(x, y)`` pairs (their loader
  keeps the first) alike; ``relation_kinds`` counts the unusual ones and the scoring conventions say
  how they are scored. Relations with fields beyond ``x``, ``y`` and ``type`` keep the original list
  in ``relations``, written back as long as the session's relations are still the ones read;
- ``id`` gives the session id (an id shared by several dialogues, as STAC's per-game ids are, gets
  ``-<n>`` for its n-th dialogue); without one it is ``<file stem>-<index>``; extra dialogue, EDU and
  relation fields are kept in ``fields``, ``edu_fields`` and ``relations``.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from mtdialog.data.formats import OTHER_SHOP, iter_records, load_json_array
from mtdialog.data.schema import (
    ROLES,
    ROOT,
    SPEAKERS,
    Annotations,
    DataError,
    Relation,
    Session,
    SkipReport,
    Turn,
    get_field,
    type_name,
)
from mtdialog.fileio import atomic_write

META_KEY = "stac"
EDU_KEYS = ("text", "speaker")
RELATION_KEYS = ("x", "y", "type")


def image_text(image_id: str) -> str:
    """The text written for an image EDU (which also carries ``"image": image_id``)."""
    return f"[image:{image_id}]"


def _relations(raw: list[dict[str, Any]]) -> list[Relation]:
    return [Relation(r["x"], r["y"], r["type"]) for r in raw]


def labels_of(sessions: Iterable[Session]) -> list[str]:
    """The sorted discourse label set of ``sessions`` (annotations and relations kept in meta), to
    record as the corpus's own label set in meta.json."""
    labels: set[str] = set()
    for s in sessions:
        if s.annotations is not None and s.annotations.discourse is not None:
            labels.update(r.type for r in s.annotations.discourse)
        labels.update(r["type"] for r in s.meta.get(META_KEY, {}).get("relations", []))
    return sorted(labels)


# ------------------------------------------------------------------------------------ reading
def _roles(names: list[str], roles: Mapping[str, str] | None) -> list[str]:
    """The role of each speaker name: from ``roles``, else alternating by first appearance."""
    if roles is not None:
        for j, name in enumerate(names):
            if name not in roles:
                raise DataError(f"speaker {name!r} has no role (--roles names {', '.join(sorted(roles))})",
                                field=f"edus[{j}].speaker")
        return [roles[name] for name in names]
    rank: dict[str, int] = {}
    for name in names:
        rank.setdefault(name, len(rank))
    return ["Q" if rank[name] % 2 == 0 else "A" for name in names]


def _edu(raw: Any, j: int) -> tuple[Turn, str, dict[str, Any]]:
    name = f"edus[{j}]"
    if not isinstance(raw, dict):
        raise DataError(f"expected an object, got {type_name(raw)}", field=name)
    text = get_field(raw, "text", str, name)
    speaker = get_field(raw, "speaker", str, name)
    extra = {k: v for k, v in raw.items() if k not in EDU_KEYS}
    if "image" in extra:
        image = get_field(raw, "image", str, name)
        if not image or text != image_text(image):
            raise DataError(f"an image EDU needs a non-empty id and the text {image_text('ID')!r}",
                            field=f"{name}.image")
        del extra["image"]
        return Turn("Q", "", [image]), speaker, extra
    if not text:
        raise DataError("empty EDU text", field=f"{name}.text")
    return Turn("Q", text), speaker, extra


def _relation(raw: Any, k: int, n_edus: int) -> dict[str, Any]:
    name = f"relations[{k}]"
    if not isinstance(raw, dict):
        raise DataError(f"expected an object, got {type_name(raw)}", field=name)
    for key, low in (("x", ROOT), ("y", 0)):
        v = get_field(raw, key, int, name)
        if not low <= v < n_edus:
            root = "; -1 is the root" if key == "x" else ""
            raise DataError(f"EDU index {v} out of range (dialogue has {n_edus} EDUs{root})", field=f"{name}.{key}")
    get_field(raw, "type", str, name)
    return raw


def _session(record: Any, session_id: str, roles: Mapping[str, str] | None = None) -> Session:
    if not isinstance(record, dict):
        raise DataError(f"a dialogue must be a JSON object, got {type_name(record)}")
    raw_edus = get_field(record, "edus", list, "")
    if not raw_edus:
        raise DataError("dialogue has no EDUs", field="edus")
    turns, names, edu_fields = [], [], []
    for j, raw in enumerate(raw_edus):
        turn, name, extra = _edu(raw, j)
        turns.append(turn)
        names.append(name)
        edu_fields.append(extra)
    if roles is None and set(names) <= set(SPEAKERS):  # as the writer writes a native session's roles
        roles = {role: role for role in SPEAKERS}
    for turn, name, role in zip(turns, names, _roles(names, roles)):
        turn.speaker, turn.name = role, None if name == role and name in SPEAKERS else name
    raw_relations = [_relation(r, k, len(turns)) for k, r in enumerate(get_field(record, "relations", list, ""))]
    relations = _relations(raw_relations)

    meta: dict[str, Any] = {}
    if any(edu_fields):
        meta["edu_fields"] = edu_fields
    if any(set(r) != set(RELATION_KEYS) for r in raw_relations):
        meta["relations"] = raw_relations
    if "id" not in record:
        meta["has_id"] = False
    elif record["id"] != session_id:
        meta["id"] = record["id"]
    fields = {k: v for k, v in record.items() if k not in ("edus", "relations", "id")}
    if fields:
        meta["fields"] = fields
    return Session(session_id, OTHER_SHOP, None, turns, Annotations(discourse=relations),
                   {META_KEY: meta} if meta else {}, roles=ROLES[0] if roles is not None else "other")


def _session_ids(records: list[Any], stem: str) -> list[str]:
    """Per record: its ``id`` (``<id>-<n>`` for the n-th of a shared id), else ``<stem>-<index>``."""
    ids = [str(r["id"]) if isinstance(r, dict) and isinstance(r.get("id"), (str, int)) else None
           for r in records]
    shared = {i for i, n in Counter(ids).items() if n > 1}
    seen: Counter = Counter()
    out = []
    for index, i in enumerate(ids):
        if i is None:
            out.append(f"{stem}-{index}")
        elif i in shared:
            out.append(f"{i}-{seen[i]}")
            seen[i] += 1
        else:
            out.append(i)
    return out


def read(path: str | Path, *, skip_invalid: bool = False, report: SkipReport | None = None,
         roles: Mapping[str, str] | None = None) -> Iterator[Session]:
    """Read a STAC / Molweni JSON file; errors name the file, 0-based record index and field
    (``edus[3].text``, ``relations[2].y``, ...). ``roles`` maps speaker names to ``Q``/``A`` (see above)."""
    records = load_json_array(path)
    ids = _session_ids(records, Path(path).stem)

    def build(record: Any, index: int) -> Session:
        if isinstance(record, dict) and "id" in record:
            get_field(record, "id", (str, int), "")
        return _session(record, ids[index], roles)

    yield from iter_records(path, records, build, skip_invalid=skip_invalid, report=report)


# ------------------------------------------------------------------------------------ writing
def to_record(session: Session) -> dict[str, Any]:
    """The STAC dialogue of ``session``: its EDUs (image EDUs as ``{"text": "[image:ID]", "image":
    ID}``), its discourse relations, its id, and what the STAC reader kept in meta."""
    meta = session.meta.get(META_KEY, {})
    edus = session.edus()
    names = [session.turns[e.turn].name or e.speaker for e in edus]
    if meta.get("speakers") is not None and len(meta["speakers"]) == len(edus):  # corpora converted before names
        names = meta["speakers"]
    edu_fields = meta.get("edu_fields")
    if edu_fields is None or len(edu_fields) != len(edus):
        edu_fields = [{}] * len(edus)
    out_edus = []
    for e, name, extra in zip(edus, names, edu_fields):
        edu = {"text": e.text, "speaker": name} if e.image is None else \
            {"text": image_text(e.image), "speaker": name, "image": e.image}
        out_edus.append({**edu, **extra})
    relations = session.annotations.discourse if session.annotations is not None else None
    relations = relations or []
    original = meta.get("relations")
    if original is not None and _relations(original) == relations:
        out_relations = original
    else:
        out_relations = [{"x": r.x, "y": r.y, "type": r.type} for r in relations]
    record: dict[str, Any] = {"edus": out_edus, "relations": out_relations}
    if meta.get("has_id", True):
        record["id"] = meta.get("id", session.session_id)
    record.update(meta.get("fields", {}))
    return record


def write(sessions: Iterable[Session], path: str | Path) -> None:
    """Write sessions as a STAC / Molweni JSON array (UTF-8, not ASCII-escaped) on a single line, as
    the reference discourse-parsing loaders read it, so that discourse annotations and predictions
    can be exchanged with tools that read this format."""
    records = [to_record(s) for s in sessions]
    with atomic_write(path) as f:
        f.write(json.dumps(records, ensure_ascii=False) + "\n")
